//! Vectorised sites: a vector of independent draws from univariate distributions.

use super::{Distribution, IntoDist};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar};
use crate::value::{SiteValue, Value, ValueKind};
use nalgebra::DVector;
use rand::Rng;

/// A value type that has a vector form: reals collect into `DVector<Real<S>>`, integers into
/// `Vec<i64>`, booleans into `Vec<bool>`.
pub trait Element<S: Scalar>: SiteValue<S> {
    /// The vector form.
    type Batch: SiteValue<S>;
    /// The kind of a vector of `n` elements.
    fn batch_kind(n: usize) -> ValueKind;
    /// The length of a vector.
    fn batch_len(batch: &Self::Batch) -> usize;
    /// Element `i` of a vector.
    fn batch_get(batch: &Self::Batch, i: usize) -> Self;
    /// A vector of `n` elements.
    fn batch_from_fn(n: usize, f: impl FnMut(usize) -> Self) -> Self::Batch;
    /// The elements as a slice.
    fn batch_slice(batch: &Self::Batch) -> &[Self];
}

impl<S: Scalar> Element<S> for Real<S> {
    type Batch = DVector<Real<S>>;
    fn batch_kind(n: usize) -> ValueKind {
        ValueKind::RealVec(n)
    }
    fn batch_len(batch: &Self::Batch) -> usize {
        batch.len()
    }
    fn batch_get(batch: &Self::Batch, i: usize) -> Self {
        batch[i]
    }
    fn batch_from_fn(n: usize, mut f: impl FnMut(usize) -> Self) -> Self::Batch {
        DVector::from_fn(n, |i, _| f(i))
    }
    fn batch_slice(batch: &Self::Batch) -> &[Self] {
        batch.as_slice()
    }
}

macro_rules! vec_element {
    ($t:ty, $kind:ident) => {
        impl<S: Scalar> Element<S> for $t {
            type Batch = Vec<$t>;
            fn batch_kind(n: usize) -> ValueKind {
                ValueKind::$kind(n)
            }
            fn batch_len(batch: &Self::Batch) -> usize {
                batch.len()
            }
            fn batch_get(batch: &Self::Batch, i: usize) -> Self {
                batch[i]
            }
            fn batch_from_fn(n: usize, f: impl FnMut(usize) -> Self) -> Self::Batch {
                (0..n).map(f).collect()
            }
            fn batch_slice(batch: &Self::Batch) -> &[Self] {
                batch
            }
        }
    };
}

vec_element!(i64, IntVec);
vec_element!(bool, BoolVec);
vec_element!(usize, IntVec);

/// `n` independent draws from one distribution, as one vector-valued site.
///
/// ```
/// use smallx_core::dist::{Distribution, IidExt, Normal};
/// let d = Normal::<f64>::new(0.0, 1.0).iid(3).unwrap();
/// assert_eq!(d.value_kind().to_string(), "a vector of 3 reals");
/// ```
#[derive(Clone, Debug)]
pub struct Iid<D> {
    base: D,
    n: usize,
}

impl<D> Iid<D> {
    /// `n` copies of `base`.
    pub fn new(base: D, n: usize) -> Self {
        Iid { base, n }
    }
    /// The distribution of one element.
    pub fn base(&self) -> &D {
        &self.base
    }
    /// The number of elements.
    pub fn len(&self) -> usize {
        self.n
    }
    /// True for zero elements.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

/// `.iid(n)` on a distribution or on a constructor's `Result`.
pub trait IidExt<S: Scalar>: IntoDist<S> + Sized {
    /// `n` independent copies as one vector-valued site.
    fn iid(self, n: usize) -> Result<Iid<Self::Dist>, DistError> {
        Ok(Iid::new(self.into_dist()?, n))
    }
}

impl<S: Scalar, T: IntoDist<S>> IidExt<S> for T {}

fn batch_moment<S: Scalar>(n: usize, m: Option<Value<S>>) -> Option<Value<S>> {
    match m? {
        Value::Real(x) => Some(Value::RealVec(DVector::from_element(n, x))),
        _ => None,
    }
}

impl<S: Scalar, D: Distribution<S>> Distribution<S> for Iid<D>
where
    D::Value: Element<S>,
{
    type Value = <D::Value as Element<S>>::Batch;
    fn name(&self) -> &'static str {
        self.base.name()
    }
    fn sample(&self, rng: &mut dyn Rng) -> Self::Value {
        D::Value::batch_from_fn(self.n, |_| self.base.sample(rng))
    }
    fn check_draw(&self) -> Result<(), DistError> {
        self.base.check_draw()
    }
    fn log_prob(&self, x: &Self::Value) -> Real<S> {
        if D::Value::batch_len(x) != self.n {
            return Real::new(f64::NEG_INFINITY);
        }
        self.base.log_prob_many(D::Value::batch_slice(x))
    }
    fn log_prob_pointwise(&self, x: &Self::Value) -> Vec<Real<S>> {
        (0..D::Value::batch_len(x))
            .map(|i| self.base.log_prob(&D::Value::batch_get(x, i)))
            .collect()
    }
    fn support(&self) -> Constraint {
        self.base.support()
    }
    fn value_kind(&self) -> ValueKind {
        D::Value::batch_kind(self.n)
    }
    fn has_rsample(&self) -> bool {
        self.base.has_rsample()
    }
    fn mean(&self) -> Option<Value<S>> {
        batch_moment(self.n, self.base.mean())
    }
    fn variance(&self) -> Option<Value<S>> {
        batch_moment(self.n, self.base.variance())
    }
}

impl<S: Scalar, D: Distribution<S>> IntoDist<S> for Iid<D>
where
    D::Value: Element<S>,
{
    type Dist = Self;
    fn into_dist(self) -> Result<Self, DistError> {
        Ok(self)
    }
}

/// Independent draws from a list of univariate distributions of one type (each with its own
/// parameters), as one vector-valued site: `y ~ Bernoulli(logits = X β)`.
///
/// ```
/// use smallx_core::dist::{Batch, Distribution, Normal};
/// let locs = [0.0, 1.0, 2.0];
/// let d = Batch::new(locs.iter().map(|&m| Normal::<f64>::new(m, 1.0))).unwrap();
/// assert_eq!(d.value_kind().to_string(), "a vector of 3 reals");
/// ```
#[derive(Clone, Debug)]
pub struct Batch<D> {
    parts: Vec<D>,
}

impl<D> Batch<D> {
    /// Collect distributions (or constructor results); the first invalid one is the error.
    pub fn new<S: Scalar, I>(parts: impl IntoIterator<Item = I>) -> Result<Self, DistError>
    where
        I: IntoDist<S, Dist = D>,
    {
        // Sized from the iterator's hint: collecting through `Result` would grow the vector
        // by doubling (measured at a fifth of a W7 step).
        let parts = parts.into_iter();
        let mut out = Vec::with_capacity(parts.size_hint().0);
        for part in parts {
            out.push(part.into_dist()?);
        }
        Ok(Batch { parts: out })
    }
    /// The element distributions.
    pub fn parts(&self) -> &[D] {
        &self.parts
    }
}

fn batch_moments<S: Scalar>(
    ms: impl Iterator<Item = Option<Value<S>>>,
    n: usize,
) -> Option<Value<S>> {
    let xs: Option<Vec<Real<S>>> = ms.map(|m| m.and_then(|v| v.as_real())).collect();
    xs.map(|xs| Value::RealVec(DVector::from_vec(xs)))
        .filter(|_| n > 0)
}

impl<S: Scalar, D: Distribution<S>> Distribution<S> for Batch<D>
where
    D::Value: Element<S>,
{
    type Value = <D::Value as Element<S>>::Batch;
    fn name(&self) -> &'static str {
        self.parts.first().map_or("Batch", |d| d.name())
    }
    fn sample(&self, rng: &mut dyn Rng) -> Self::Value {
        D::Value::batch_from_fn(self.parts.len(), |i| self.parts[i].sample(rng))
    }
    fn check_draw(&self) -> Result<(), DistError> {
        self.parts.iter().try_for_each(|d| d.check_draw())
    }
    fn log_prob(&self, x: &Self::Value) -> Real<S> {
        if D::Value::batch_len(x) != self.parts.len() {
            return Real::new(f64::NEG_INFINITY);
        }
        D::log_prob_batch(&self.parts, D::Value::batch_slice(x))
    }
    fn log_prob_pointwise(&self, x: &Self::Value) -> Vec<Real<S>> {
        self.parts
            .iter()
            .enumerate()
            .map(|(i, d)| d.log_prob(&D::Value::batch_get(x, i)))
            .collect()
    }
    fn support(&self) -> Constraint {
        self.parts.first().map_or(Constraint::Real, |d| d.support())
    }
    fn value_kind(&self) -> ValueKind {
        D::Value::batch_kind(self.parts.len())
    }
    fn has_rsample(&self) -> bool {
        self.parts.iter().all(|d| d.has_rsample())
    }
    fn mean(&self) -> Option<Value<S>> {
        batch_moments(self.parts.iter().map(|d| d.mean()), self.parts.len())
    }
    fn variance(&self) -> Option<Value<S>> {
        batch_moments(self.parts.iter().map(|d| d.variance()), self.parts.len())
    }
}

impl<S: Scalar, D: Distribution<S>> IntoDist<S> for Batch<D>
where
    D::Value: Element<S>,
{
    type Dist = Self;
    fn into_dist(self) -> Result<Self, DistError> {
        Ok(self)
    }
}
