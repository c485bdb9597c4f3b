//! Probability distributions, generic over the scalar type.
//!
//! Each distribution is a small struct with private fields, built by a validating constructor
//! (`Normal::new(loc, scale) -> Result<Normal<S>, DistError>`) or by `new_unchecked` in hot
//! loops. The maths lives in [`Distribution::log_prob`]; sampling draws `f64` randomness from
//! rand/rand_distr and, where the distribution is reparameterisable, pushes it through the
//! parameters so that derivatives flow into the sample ([`Distribution::has_rsample`]).
//!
//! Inside a model a constructor's `Result` is passed to `sample!` as is: an invalid parameter
//! becomes an error that names the site.
//!
//! ```
//! use smallx_core::dist::{Distribution, Normal};
//! use smallx_core::Real;
//! let d = Normal::<f64>::new(0.0, 2.0).unwrap();
//! let lp = d.log_prob(&Real(1.0));
//! assert!((lp.value() - (-0.5 * 0.25 - 2.0f64.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln())).abs() < 1e-12);
//! assert!(Normal::<f64>::new(0.0, -1.0).is_err());
//! ```

mod batch;
mod circular;
mod continuous;
mod count;
mod discrete;
mod glm;
mod improper;
mod lkj;
mod masked;
mod mixture;
mod multivariate;
mod ordinal;
mod positive;
mod truncated;

pub use batch::{Batch, Element, Iid, IidExt};
pub use circular::VonMises;
pub use continuous::{
    Beta, Cauchy, Exponential, Gamma, HalfCauchy, HalfNormal, Laplace, LogNormal, Normal, StudentT,
    Uniform,
};
pub use count::{
    BetaBinomial, GammaPoisson, Geometric, Multinomial, NegativeBinomial, ZeroInflatedPoisson,
};
pub use discrete::{Bernoulli, Binomial, Categorical, Poisson};
pub use glm::{BernoulliGlm, Design, LinearPredictor, NormalGlm};
pub use improper::{ImproperUniform, flat};
pub use lkj::LkjCholesky;
pub use masked::{MaskExt, Masked};
pub use mixture::{IntoWeights, Mixture};
pub use multivariate::{Delta, Dirichlet, Factor, MultivariateNormal};
pub use ordinal::OrderedLogistic;
pub use positive::{Pareto, Weibull};
pub use truncated::TruncatedNormal;

use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar};
use crate::value::{SiteValue, Value, ValueKind};
use rand::Rng;
use std::any::Any;

/// A probability distribution over values of type [`Self::Value`](Distribution::Value),
/// with parameters of scalar type `S`.
pub trait Distribution<S: Scalar>: Clone + Send + Sync + 'static {
    /// What a draw is: `Real<S>`, `bool`, `i64`, `usize`, `DVector<Real<S>>`, …
    type Value: SiteValue<S>;

    /// The distribution's name, for messages.
    fn name(&self) -> &'static str;

    /// Draw a value. When [`has_rsample`](Distribution::has_rsample) is true the draw is a
    /// differentiable function of the parameters (the reparameterisation trick); otherwise
    /// its derivatives are zero.
    fn sample(&self, rng: &mut dyn Rng) -> Self::Value;

    /// The log density (or log mass) at `x`; `−∞` outside the support.
    fn log_prob(&self, x: &Self::Value) -> Real<S>;

    /// The support, which is also the constraint used to map latent values to an
    /// unconstrained space.
    fn support(&self) -> Constraint;

    /// The type and shape of a value.
    fn value_kind(&self) -> ValueKind;

    /// Whether [`sample`](Distribution::sample) carries derivatives with respect to the
    /// parameters.
    fn has_rsample(&self) -> bool {
        false
    }

    /// `Σᵢ log_prob(xᵢ)`: the log density of independent draws. Distributions override it to
    /// hoist work that does not depend on `x` (a normal's `ln σ`) out of the loop.
    fn log_prob_many(&self, xs: &[Self::Value]) -> Real<S> {
        xs.iter().map(|x| self.log_prob(x)).sum()
    }

    /// `Σᵢ log_prob(parts[i], xs[i])`: the log density of independent draws from a batch of
    /// this family with per-element parameters ([`Batch`]). Families override it to hoist
    /// shared work and to record one reverse-mode node for the whole batch.
    fn log_prob_batch(parts: &[Self], xs: &[Self::Value]) -> Real<S> {
        parts.iter().zip(xs).map(|(d, x)| d.log_prob(x)).sum()
    }

    /// The log density of each conditionally independent part of `x`: one number for a
    /// univariate or multivariate distribution, one per element for a vectorised site (what
    /// WAIC and LOO need). Sums to [`log_prob`](Distribution::log_prob).
    fn log_prob_pointwise(&self, x: &Self::Value) -> Vec<Real<S>> {
        vec![self.log_prob(x)]
    }

    /// The mean, if it exists (a real, or a vector of reals).
    fn mean(&self) -> Option<Value<S>>;

    /// The variance (elementwise for vectors), if it exists.
    fn variance(&self) -> Option<Value<S>>;

    /// Whether [`sample`](Distribution::sample) can give a representable value with these
    /// parameters: `Err` naming the parameter when it cannot (a `Poisson` rate whose counts
    /// would not fit in `i64`). Checked before every default draw at a site; the default
    /// accepts. Draws that come out NaN or infinite (a `StudentT` with a tiny `df` whose draw
    /// is beyond `f64::MAX`) are reported at the site too.
    fn check_draw(&self) -> Result<(), DistError> {
        Ok(())
    }
}

/// Anything `sample!` accepts as a distribution: a distribution, or the `Result` of a
/// validating constructor.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a distribution",
    label = "expected a distribution such as `Normal::new(0.0, 1.0)`"
)]
pub trait IntoDist<S: Scalar> {
    /// The distribution.
    type Dist: Distribution<S>;
    /// The distribution, or the reason its parameters are invalid.
    fn into_dist(self) -> Result<Self::Dist, DistError>;
}

impl<S: Scalar, D: Distribution<S>> IntoDist<S> for Result<D, DistError> {
    type Dist = D;
    #[inline]
    fn into_dist(self) -> Result<D, DistError> {
        self
    }
}

/// Implements [`IntoDist`] for a distribution type, so that it can be passed to `sample!`
/// directly as well as through its constructor's `Result`. Use it for your own
/// distributions: `smallx_core::impl_into_dist!(MyDist);`.
#[macro_export]
macro_rules! impl_into_dist {
    ($($ty:ident),* $(,)?) => {$(
        impl<S: $crate::Scalar> $crate::dist::IntoDist<S> for $ty<S> {
            type Dist = Self;
            #[inline]
            fn into_dist(self) -> ::core::result::Result<Self, $crate::DistError> { Ok(self) }
        }
    )*};
}

impl_into_dist!(
    Normal,
    HalfNormal,
    LogNormal,
    Exponential,
    Gamma,
    Beta,
    Uniform,
    StudentT,
    Cauchy,
    HalfCauchy,
    Laplace,
    Bernoulli,
    Binomial,
    Categorical,
    Poisson,
    Dirichlet,
    MultivariateNormal,
    NegativeBinomial,
    GammaPoisson,
    Geometric,
    ZeroInflatedPoisson,
    BetaBinomial,
    Multinomial,
    OrderedLogistic,
    Weibull,
    Pareto,
    TruncatedNormal,
    ImproperUniform,
    LkjCholesky,
    VonMises
);

/// The object-safe face of a [`Distribution`], used by sites and traces.
pub trait DynDistribution<S: Scalar>: Send + Sync {
    /// See [`Distribution::name`].
    fn name(&self) -> &'static str;
    /// A draw, type-erased.
    fn sample_value(&self, rng: &mut dyn Rng) -> Value<S>;
    /// See [`Distribution::check_draw`].
    fn check_draw(&self) -> Result<(), DistError>;
    /// The log density at a type-erased value; `None` when the value has the wrong type.
    fn log_prob_value(&self, x: &Value<S>) -> Option<Real<S>>;
    /// See [`Distribution::log_prob_pointwise`]; `None` when the value has the wrong type.
    fn log_prob_pointwise_value(&self, x: &Value<S>) -> Option<Vec<Real<S>>>;
    /// See [`Distribution::support`].
    fn support(&self) -> Constraint;
    /// See [`Distribution::value_kind`].
    fn value_kind(&self) -> ValueKind;
    /// See [`Distribution::has_rsample`].
    fn has_rsample(&self) -> bool;
    /// See [`Distribution::mean`].
    fn mean(&self) -> Option<Value<S>>;
    /// See [`Distribution::variance`].
    fn variance(&self) -> Option<Value<S>>;
    /// A boxed copy.
    fn boxed(&self) -> Box<dyn DynDistribution<S>>;
    /// For downcasting to the concrete type (analytic KL divergences, for example).
    fn as_any(&self) -> &dyn Any;

    /// The number of values in the support when it is finite and every value is one boolean
    /// or one integer (`Bernoulli`, `Categorical`, `Binomial`, `BetaBinomial`,
    /// `OrderedLogistic`, ...), what enumeration sums over; `None` for an infinite or
    /// continuous support. Read from [`support`](DynDistribution::support) and
    /// [`value_kind`](DynDistribution::value_kind), so every family with a declared finite
    /// support has it.
    ///
    /// ```
    /// use smallx_core::Value;
    /// use smallx_core::dist::{Categorical, DynDistribution, Poisson};
    /// let d: Categorical<f64> = Categorical::from_probs(&[0.2, 0.3, 0.5]).unwrap();
    /// assert_eq!(DynDistribution::support_size(&d), Some(3));
    /// assert_eq!(DynDistribution::support_value(&d, 2), Some(Value::Int(2)));
    /// assert_eq!(DynDistribution::support_size(&Poisson::<f64>::new(3.0).unwrap()), None);
    /// ```
    fn support_size(&self) -> Option<u64> {
        finite_support(self.support(), self.value_kind()).map(|(_, n)| n)
    }

    /// The `i`-th value of a finite support (in increasing order: `false` before `true`),
    /// `None` past its end or for a support that is not finite.
    fn support_value(&self, i: u64) -> Option<Value<S>> {
        let (low, n) = finite_support(self.support(), self.value_kind())?;
        if i >= n {
            return None;
        }
        Some(match self.value_kind() {
            ValueKind::Bool => Value::Bool(i == 1),
            _ => Value::Int(low + i as i64),
        })
    }
}

/// The lowest value and the size of a finite support of scalar booleans or integers.
fn finite_support(support: Constraint, kind: ValueKind) -> Option<(i64, u64)> {
    match (support, kind) {
        (Constraint::Boolean, ValueKind::Bool | ValueKind::Int) => Some((0, 2)),
        (Constraint::IntegerInterval(a, b), ValueKind::Int) if b >= a => {
            Some((a, (b as i128 - a as i128 + 1) as u64))
        }
        _ => None,
    }
}

impl<S: Scalar, D: Distribution<S>> DynDistribution<S> for D {
    fn name(&self) -> &'static str {
        Distribution::name(self)
    }
    fn sample_value(&self, rng: &mut dyn Rng) -> Value<S> {
        self.sample(rng).into_value()
    }
    fn check_draw(&self) -> Result<(), DistError> {
        Distribution::check_draw(self)
    }
    fn log_prob_value(&self, x: &Value<S>) -> Option<Real<S>> {
        D::Value::view(x).map(|v| self.log_prob(&v))
    }
    fn log_prob_pointwise_value(&self, x: &Value<S>) -> Option<Vec<Real<S>>> {
        D::Value::view(x).map(|v| self.log_prob_pointwise(&v))
    }
    fn support(&self) -> Constraint {
        Distribution::support(self)
    }
    fn value_kind(&self) -> ValueKind {
        Distribution::value_kind(self)
    }
    fn has_rsample(&self) -> bool {
        Distribution::has_rsample(self)
    }
    fn mean(&self) -> Option<Value<S>> {
        Distribution::mean(self)
    }
    fn variance(&self) -> Option<Value<S>> {
        Distribution::variance(self)
    }
    fn boxed(&self) -> Box<dyn DynDistribution<S>> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<S: Scalar> Clone for Box<dyn DynDistribution<S>> {
    fn clone(&self) -> Self {
        self.boxed()
    }
}

impl<S: Scalar> std::fmt::Debug for dyn DynDistribution<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name())
    }
}

// Parameter checks shared by the constructors. They look at values only.

/// A log-density computed in `f64` with its partial derivatives with respect to the inputs
/// (parameters and value): one reverse-mode node, one pass of the forward-mode directions
/// (Stan Math's operands-and-partials).
#[inline]
pub(crate) fn fused<S: Scalar, const N: usize>(value: f64, terms: [(Real<S>, f64); N]) -> Real<S> {
    Real(S::fused(
        value,
        &terms.map(|(x, _)| x.0),
        &terms.map(|(_, d)| d),
    ))
}

pub(crate) fn check_finite<S: Scalar>(
    param: &'static str,
    x: Real<S>,
) -> Result<Real<S>, DistError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(DistError::NotFinite {
            param,
            value: x.value(),
        })
    }
}

pub(crate) fn check_positive<S: Scalar>(
    param: &'static str,
    x: Real<S>,
) -> Result<Real<S>, DistError> {
    if x.value() > 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(DistError::NotPositive {
            param,
            value: x.value(),
        })
    }
}

pub(crate) fn check_probability<S: Scalar>(
    param: &'static str,
    x: Real<S>,
) -> Result<Real<S>, DistError> {
    let v = x.value();
    if (0.0..=1.0).contains(&v) {
        Ok(x)
    } else {
        Err(DistError::OutOfRange {
            param,
            range: "[0, 1]",
            value: v,
        })
    }
}

pub(crate) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

pub(crate) fn neg_inf<S: Scalar>() -> Real<S> {
    Real::new(f64::NEG_INFINITY)
}
