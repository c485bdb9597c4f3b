//! Site values: the typed contents of a site, type-erased for traces and data dictionaries.

use crate::scalar::{Real, Scalar};
use nalgebra::{DMatrix, DVector};
use std::borrow::Cow;
use std::fmt;

/// The value at a site, with its type made explicit.
///
/// A distribution decides the variant: a real for `Normal`, a vector of reals for an i.i.d.
/// or multivariate site, an integer for `Poisson`, `Binomial` and `Categorical`, a boolean for
/// `Bernoulli`, a matrix for a `lower_cholesky` parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<S: Scalar = f64> {
    /// One real number.
    Real(Real<S>),
    /// One integer.
    Int(i64),
    /// One boolean.
    Bool(bool),
    /// A vector of reals.
    RealVec(DVector<Real<S>>),
    /// A vector of integers.
    IntVec(Vec<i64>),
    /// A vector of booleans.
    BoolVec(Vec<bool>),
    /// A matrix of reals.
    Matrix(DMatrix<Real<S>>),
}

/// The type and shape of a [`Value`], used to say what a site expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A real number.
    Real,
    /// An integer.
    Int,
    /// A boolean.
    Bool,
    /// A vector of reals of the given length.
    RealVec(usize),
    /// A vector of integers of the given length.
    IntVec(usize),
    /// A vector of booleans of the given length.
    BoolVec(usize),
    /// A matrix with the given rows and columns.
    Matrix(usize, usize),
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueKind::Real => write!(f, "a real number"),
            ValueKind::Int => write!(f, "an integer"),
            ValueKind::Bool => write!(f, "a boolean"),
            ValueKind::RealVec(n) => write!(f, "a vector of {n} reals"),
            ValueKind::IntVec(n) => write!(f, "a vector of {n} integers"),
            ValueKind::BoolVec(n) => write!(f, "a vector of {n} booleans"),
            ValueKind::Matrix(r, c) => write!(f, "a {r}x{c} matrix"),
        }
    }
}

impl<S: Scalar> Value<S> {
    /// The type and shape of this value.
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Real(_) => ValueKind::Real,
            Value::Int(_) => ValueKind::Int,
            Value::Bool(_) => ValueKind::Bool,
            Value::RealVec(v) => ValueKind::RealVec(v.len()),
            Value::IntVec(v) => ValueKind::IntVec(v.len()),
            Value::BoolVec(v) => ValueKind::BoolVec(v.len()),
            Value::Matrix(m) => ValueKind::Matrix(m.nrows(), m.ncols()),
        }
    }

    /// The same value with every derivative dropped.
    pub fn detach(&self) -> Value<f64> {
        match self {
            Value::Real(x) => Value::Real(Real(x.value())),
            Value::Int(i) => Value::Int(*i),
            Value::Bool(b) => Value::Bool(*b),
            Value::RealVec(v) => Value::RealVec(v.map(|x| Real(x.value()))),
            Value::IntVec(v) => Value::IntVec(v.clone()),
            Value::BoolVec(v) => Value::BoolVec(v.clone()),
            Value::Matrix(m) => Value::Matrix(m.map(|x| Real(x.value()))),
        }
    }

    /// The real number held, if this is [`Value::Real`].
    pub fn as_real(&self) -> Option<Real<S>> {
        match self {
            Value::Real(x) => Some(*x),
            _ => None,
        }
    }

    /// The value of a real site as `f64`, if this is [`Value::Real`].
    pub fn as_f64(&self) -> Option<f64> {
        self.as_real().map(|x| x.value())
    }

    /// The values held as real numbers, flattened (column-major for a matrix): reals as they
    /// are, and integers too, when every one of them converts to `f64` exactly (a CSV or JSON
    /// column `1, 2, 3` is read as integers, and is still usable as reals). `None` for
    /// booleans, and for integers beyond ±2^53 that `f64` cannot hold exactly (never a
    /// rounded value).
    ///
    /// ```
    /// use smallx_core::Value;
    /// assert_eq!(Value::<f64>::IntVec(vec![1, 2, 3]).real_values(), Some(vec![1.0, 2.0, 3.0]));
    /// assert_eq!(Value::<f64>::Int((1 << 53) + 1).real_values(), None);
    /// assert_eq!(Value::<f64>::Bool(true).real_values(), None);
    /// ```
    pub fn real_values(&self) -> Option<Vec<f64>> {
        match self {
            Value::Real(x) => Some(vec![x.value()]),
            Value::RealVec(v) => Some(v.iter().map(|x| x.value()).collect()),
            Value::Matrix(m) => Some(m.iter().map(|x| x.value()).collect()),
            Value::Int(i) => exact_f64(*i).map(|x| vec![x]),
            Value::IntVec(v) => v.iter().map(|&i| exact_f64(i)).collect(),
            Value::Bool(_) | Value::BoolVec(_) => None,
        }
    }

    /// The first real number held that is NaN or infinite, with its index (column-major for
    /// a matrix; 0 for a single real). `None` when every real is finite, and for integers and
    /// booleans.
    ///
    /// ```
    /// use smallx_core::Value;
    /// let v: Value = Value::RealVec(vec![1.0.into(), f64::NAN.into(), f64::INFINITY.into()].into());
    /// assert!(matches!(v.first_non_finite(), Some((1, x)) if x.is_nan()));
    /// assert_eq!(Value::<f64>::Real(2.0.into()).first_non_finite(), None);
    /// ```
    pub fn first_non_finite(&self) -> Option<(usize, f64)> {
        let first = |xs: &mut dyn Iterator<Item = &Real<S>>| {
            xs.map(|x| x.value())
                .enumerate()
                .find(|(_, x)| !x.is_finite())
        };
        match self {
            Value::Real(x) => first(&mut std::iter::once(x)),
            Value::RealVec(v) => first(&mut v.iter()),
            Value::Matrix(m) => first(&mut m.iter()),
            Value::Int(_) | Value::Bool(_) | Value::IntVec(_) | Value::BoolVec(_) => None,
        }
    }

    /// The first integer held that `f64` cannot represent exactly (beyond ±2^53), if any.
    pub fn inexact_integer(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i).filter(|&i| exact_f64(i).is_none()),
            Value::IntVec(v) => v.iter().copied().find(|&i| exact_f64(i).is_none()),
            _ => None,
        }
    }

    /// Convert to `kind` where that loses nothing: an integer to a real, integers to reals
    /// (only when `f64` holds every one exactly), an integer 0/1 to a boolean, a vector of
    /// 0/1 integers to booleans. Anything else that does not already have the kind is
    /// returned unchanged in `Err`.
    pub fn coerce(self, kind: ValueKind) -> Result<Value<S>, Value<S>> {
        if self.kind() == kind {
            return Ok(self);
        }
        match (self, kind) {
            (Value::Int(i), ValueKind::Real) if exact_f64(i).is_some() => {
                Ok(Value::Real(Real::new(i as f64)))
            }
            (Value::Int(i @ (0 | 1)), ValueKind::Bool) => Ok(Value::Bool(i == 1)),
            (Value::IntVec(v), ValueKind::RealVec(n))
                if v.len() == n && v.iter().all(|&i| exact_f64(i).is_some()) =>
            {
                Ok(Value::RealVec(DVector::from_iterator(
                    n,
                    v.iter().map(|&i| Real::new(i as f64)),
                )))
            }
            (Value::IntVec(v), ValueKind::BoolVec(n))
                if v.len() == n && v.iter().all(|&i| i == 0 || i == 1) =>
            {
                Ok(Value::BoolVec(v.iter().map(|&i| i == 1).collect()))
            }
            (other, _) => Err(other),
        }
    }
}

/// `i` as `f64` when the conversion is exact (always within ±2^53; beyond, only for the
/// integers `f64` happens to represent).
pub(crate) fn exact_f64(i: i64) -> Option<f64> {
    let x = i as f64;
    // `x as i128` is exact for every f64 in i64's range and for 2^63, which i64 cannot hold.
    (x as i128 == i128::from(i)).then_some(x)
}

impl Value<f64> {
    /// The same value as constants of scalar type `S`.
    pub fn lift<S: Scalar>(&self) -> Value<S> {
        match self {
            Value::Real(x) => Value::Real(Real::new(x.0)),
            Value::Int(i) => Value::Int(*i),
            Value::Bool(b) => Value::Bool(*b),
            Value::RealVec(v) => Value::RealVec(v.map(|x| Real::new(x.0))),
            Value::IntVec(v) => Value::IntVec(v.clone()),
            Value::BoolVec(v) => Value::BoolVec(v.clone()),
            Value::Matrix(m) => Value::Matrix(m.map(|x| Real::new(x.0))),
        }
    }
}

impl<S: Scalar> fmt::Display for Value<S> {
    /// Numbers honour the precision (`{:.3}`); the whole value honours width and alignment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let precision = f.precision();
        let num = |x: f64| match precision {
            Some(p) => format!("{x:.p$}"),
            None => format!("{x}"),
        };
        fn list<T>(xs: impl Iterator<Item = T>, show: impl Fn(T) -> String) -> String {
            let mut out: Vec<String> = xs.take(9).map(show).collect();
            if out.len() == 9 {
                out[8] = "...".into();
            }
            format!("[{}]", out.join(", "))
        }
        let text = match self {
            Value::Real(x) => num(x.value()),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::RealVec(v) => list(v.iter(), |x| num(x.value())),
            Value::IntVec(v) => list(v.iter(), |i| i.to_string()),
            Value::BoolVec(v) => list(v.iter(), |b| b.to_string()),
            Value::Matrix(m) => format!("{}x{} matrix", m.nrows(), m.ncols()),
        };
        let w = f.width().unwrap_or(0);
        match f.align() {
            Some(fmt::Alignment::Right) => write!(f, "{text:>w$}"),
            Some(fmt::Alignment::Center) => write!(f, "{text:^w$}"),
            _ => write!(f, "{text:<w$}"),
        }
    }
}

/// A Rust type that a site can hold: the `Value` type of a distribution, or of a parameter.
pub trait SiteValue<S: Scalar>: Clone + Send + Sync + 'static {
    /// Into the type-erased form.
    fn into_value(self) -> Value<S>;
    /// Back from the type-erased form; `None` if the variant does not match.
    fn from_value(value: Value<S>) -> Option<Self>;
    /// A view of the type-erased form, borrowed where the representation is shared.
    fn view(value: &Value<S>) -> Option<Cow<'_, Self>>;
}

macro_rules! borrowed_site_value {
    ($ty:ty, $variant:ident) => {
        impl<S: Scalar> SiteValue<S> for $ty {
            #[inline]
            fn into_value(self) -> Value<S> {
                Value::$variant(self)
            }
            #[inline]
            fn from_value(value: Value<S>) -> Option<Self> {
                match value {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            #[inline]
            fn view(value: &Value<S>) -> Option<Cow<'_, Self>> {
                match value {
                    Value::$variant(x) => Some(Cow::Borrowed(x)),
                    _ => None,
                }
            }
        }
    };
}

borrowed_site_value!(Real<S>, Real);
borrowed_site_value!(i64, Int);
borrowed_site_value!(bool, Bool);
borrowed_site_value!(DVector<Real<S>>, RealVec);
borrowed_site_value!(Vec<i64>, IntVec);
borrowed_site_value!(Vec<bool>, BoolVec);
borrowed_site_value!(DMatrix<Real<S>>, Matrix);

impl<S: Scalar> SiteValue<S> for usize {
    fn into_value(self) -> Value<S> {
        Value::Int(self as i64)
    }
    fn from_value(value: Value<S>) -> Option<Self> {
        match value {
            Value::Int(i) => usize::try_from(i).ok(),
            _ => None,
        }
    }
    fn view(value: &Value<S>) -> Option<Cow<'_, Self>> {
        match value {
            Value::Int(i) => usize::try_from(*i).ok().map(Cow::Owned),
            _ => None,
        }
    }
}

impl<S: Scalar> SiteValue<S> for Vec<usize> {
    fn into_value(self) -> Value<S> {
        Value::IntVec(self.into_iter().map(|i| i as i64).collect())
    }
    fn from_value(value: Value<S>) -> Option<Self> {
        Self::view(&value).map(Cow::into_owned)
    }
    fn view(value: &Value<S>) -> Option<Cow<'_, Self>> {
        match value {
            Value::IntVec(v) => v
                .iter()
                .map(|&i| usize::try_from(i).ok())
                .collect::<Option<Vec<_>>>()
                .map(Cow::Owned),
            _ => None,
        }
    }
}

impl<S: Scalar> SiteValue<S> for Value<S> {
    fn into_value(self) -> Value<S> {
        self
    }
    fn from_value(value: Value<S>) -> Option<Self> {
        Some(value)
    }
    fn view(value: &Value<S>) -> Option<Cow<'_, Self>> {
        Some(Cow::Borrowed(value))
    }
}

/// Something that can be given as an observed value or as data: plain numbers, slices,
/// vectors and nalgebra vectors of `f64`, integers and booleans, and [`Value`]s.
///
/// ```
/// use smallx_core::{IntoValue, Value};
/// assert_eq!(IntoValue::<f64>::into_value(&[1.0, 2.0][..]).kind().to_string(), "a vector of 2 reals");
/// assert_eq!(IntoValue::<f64>::into_value(3_i64), Value::Int(3));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as a site value",
    label = "expected a number, a boolean, or a slice, Vec or DVector of them"
)]
pub trait IntoValue<S: Scalar> {
    /// The type-erased value.
    fn into_value(self) -> Value<S>;

    /// The type-erased value, or a description of why this value has none: an unsigned or
    /// 128-bit integer beyond the range of `i64` that `f64` cannot hold exactly either.
    ///
    /// [`Data::insert`](crate::Data::insert), [`data!`](crate::data!) and observed values
    /// (`observe!`, `sample!(.., obs = ..)`) go through this check; [`into_value`](
    /// IntoValue::into_value), which cannot fail, gives NaN for such an integer, never a
    /// rounded number.
    fn try_into_value(self) -> Result<Value<S>, String>
    where
        Self: Sized,
    {
        Ok(self.into_value())
    }
}

impl<S: Scalar> IntoValue<S> for Value<S> {
    fn into_value(self) -> Value<S> {
        self
    }
}

impl<S: Scalar> IntoValue<S> for &Value<f64> {
    fn into_value(self) -> Value<S> {
        self.lift()
    }
}

impl<S: Scalar> IntoValue<S> for Real<S> {
    fn into_value(self) -> Value<S> {
        Value::Real(self)
    }
}

impl<S: Scalar> IntoValue<S> for DVector<Real<S>> {
    fn into_value(self) -> Value<S> {
        Value::RealVec(self)
    }
}

impl<S: Scalar> IntoValue<S> for f64 {
    fn into_value(self) -> Value<S> {
        Value::Real(Real::new(self))
    }
}

impl<S: Scalar> IntoValue<S> for Vec<Real<S>> {
    fn into_value(self) -> Value<S> {
        Value::RealVec(DVector::from_vec(self))
    }
}

impl<S: Scalar> IntoValue<S> for DMatrix<Real<S>> {
    fn into_value(self) -> Value<S> {
        Value::Matrix(self)
    }
}

macro_rules! int_into_value {
    ($($t:ty),*) => {$(
        impl<S: Scalar> IntoValue<S> for $t {
            fn into_value(self) -> Value<S> { Value::Int(i64::from(self)) }
        }
    )*};
}
int_into_value!(i64, i32, u32, i16, u16, i8, u8);

/// Integer types wider than `i64` in some direction: a value that `i64` holds is an integer;
/// one beyond is a real when `f64` holds it exactly (2^63, 2^64, ...), and otherwise has no
/// value (`try_into_value` says why; `into_value` gives NaN, never a rounded number).
macro_rules! wide_int_into_value {
    ($($t:ty: $value_bits:expr),*) => {$(
        impl<S: Scalar> IntoValue<S> for $t {
            fn into_value(self) -> Value<S> {
                IntoValue::<S>::try_into_value(self).unwrap_or(Value::Real(Real::new(f64::NAN)))
            }
            fn try_into_value(self) -> Result<Value<S>, String> {
                if let Ok(i) = i64::try_from(self) {
                    return Ok(Value::Int(i));
                }
                // `x` is `self` rounded; below 2^value_bits, `x as $t` is exact, so the round
                // trip tells whether the rounding changed anything.
                let x = self as f64;
                if x < 2f64.powi($value_bits) && x as $t == self {
                    Ok(Value::Real(Real::new(x)))
                } else {
                    Err(format!(
                        "the integer {self} is beyond the range of i64 (a site's integer type), \
                         and f64 cannot hold it exactly either"
                    ))
                }
            }
        }
    )*};
}
wide_int_into_value!(u64: 64, usize: usize::BITS as i32, u128: 128, i128: 127);

impl<S: Scalar> IntoValue<S> for bool {
    fn into_value(self) -> Value<S> {
        Value::Bool(self)
    }
}

impl<S: Scalar> IntoValue<S> for &[f64] {
    fn into_value(self) -> Value<S> {
        Value::RealVec(DVector::from_iterator(
            self.len(),
            self.iter().map(|&x| Real::new(x)),
        ))
    }
}

impl<S: Scalar, const N: usize> IntoValue<S> for [f64; N] {
    fn into_value(self) -> Value<S> {
        IntoValue::<S>::into_value(&self[..])
    }
}

impl<S: Scalar, const N: usize> IntoValue<S> for &[f64; N] {
    fn into_value(self) -> Value<S> {
        IntoValue::<S>::into_value(&self[..])
    }
}

impl<S: Scalar> IntoValue<S> for &Vec<f64> {
    fn into_value(self) -> Value<S> {
        IntoValue::<S>::into_value(self.as_slice())
    }
}

impl<S: Scalar> IntoValue<S> for Vec<f64> {
    fn into_value(self) -> Value<S> {
        IntoValue::<S>::into_value(self.as_slice())
    }
}

impl<S: Scalar> IntoValue<S> for &DVector<f64> {
    fn into_value(self) -> Value<S> {
        Value::RealVec(self.map(Real::new))
    }
}

impl<S: Scalar> IntoValue<S> for DVector<f64> {
    fn into_value(self) -> Value<S> {
        Value::RealVec(self.map(Real::new))
    }
}

impl<S: Scalar> IntoValue<S> for DMatrix<f64> {
    fn into_value(self) -> Value<S> {
        Value::Matrix(self.map(Real::new))
    }
}

impl<S: Scalar> IntoValue<S> for &[i64] {
    fn into_value(self) -> Value<S> {
        Value::IntVec(self.to_vec())
    }
}

impl<S: Scalar> IntoValue<S> for &Vec<i64> {
    fn into_value(self) -> Value<S> {
        Value::IntVec(self.clone())
    }
}

impl<S: Scalar> IntoValue<S> for Vec<i64> {
    fn into_value(self) -> Value<S> {
        Value::IntVec(self)
    }
}

impl<S: Scalar> IntoValue<S> for &[bool] {
    fn into_value(self) -> Value<S> {
        Value::BoolVec(self.to_vec())
    }
}

impl<S: Scalar> IntoValue<S> for &Vec<bool> {
    fn into_value(self) -> Value<S> {
        Value::BoolVec(self.clone())
    }
}

impl<S: Scalar> IntoValue<S> for Vec<bool> {
    fn into_value(self) -> Value<S> {
        Value::BoolVec(self)
    }
}

/// What `sample!(name, dist, obs = x)` accepts: a value (observed), or an `Option` of one,
/// observed when `Some` and latent when `None` (Pyro's `obs=None`).
///
/// ```
/// use smallx_core::{IntoObservation, Value};
/// assert_eq!(IntoObservation::<f64>::into_observation(Some(1.5)), Some(Value::Real(1.5.into())));
/// assert_eq!(IntoObservation::<f64>::into_observation(None::<f64>), None);
/// assert!(IntoObservation::<f64>::into_observation(2_i64).is_some());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be observed at a site",
    label = "expected a value (a number, a boolean, or a slice, Vec or DVector of them) or an `Option` of one"
)]
pub trait IntoObservation<S: Scalar> {
    /// The observed value, or `None` for a latent site.
    fn into_observation(self) -> Option<Value<S>>;

    /// Like [`into_observation`](IntoObservation::into_observation), with the check of
    /// [`IntoValue::try_into_value`]: an error for an integer with no exact value.
    fn try_into_observation(self) -> Result<Option<Value<S>>, String>
    where
        Self: Sized,
    {
        Ok(self.into_observation())
    }
}

macro_rules! into_observation {
    ($($t:ty;)*) => {$(
        impl<S: Scalar> IntoObservation<S> for $t {
            fn into_observation(self) -> Option<Value<S>> {
                Some(IntoValue::<S>::into_value(self))
            }
            fn try_into_observation(self) -> Result<Option<Value<S>>, String> {
                IntoValue::<S>::try_into_value(self).map(Some)
            }
        }
        impl<S: Scalar> IntoObservation<S> for Option<$t> {
            fn into_observation(self) -> Option<Value<S>> {
                self.map(IntoValue::<S>::into_value)
            }
            fn try_into_observation(self) -> Result<Option<Value<S>>, String> {
                self.map(IntoValue::<S>::try_into_value).transpose()
            }
        }
    )*};
}

into_observation! {
    Value<S>;
    &Value<f64>;
    Real<S>;
    DVector<Real<S>>;
    Vec<Real<S>>;
    DMatrix<Real<S>>;
    f64;
    i64;
    i32;
    u32;
    i16;
    u16;
    i8;
    u8;
    u64;
    usize;
    u128;
    i128;
    bool;
    &[f64];
    &Vec<f64>;
    Vec<f64>;
    &DVector<f64>;
    DVector<f64>;
    DMatrix<f64>;
    &[i64];
    &Vec<i64>;
    Vec<i64>;
    &[bool];
    &Vec<bool>;
    Vec<bool>;
}

impl<S: Scalar, const N: usize> IntoObservation<S> for [f64; N] {
    fn into_observation(self) -> Option<Value<S>> {
        Some(IntoValue::<S>::into_value(self))
    }
}

impl<S: Scalar, const N: usize> IntoObservation<S> for &[f64; N] {
    fn into_observation(self) -> Option<Value<S>> {
        Some(IntoValue::<S>::into_value(self))
    }
}

impl<S: Scalar, const N: usize> IntoObservation<S> for Option<[f64; N]> {
    fn into_observation(self) -> Option<Value<S>> {
        self.map(IntoValue::<S>::into_value)
    }
}

impl<S: Scalar, const N: usize> IntoObservation<S> for Option<&[f64; N]> {
    fn into_observation(self) -> Option<Value<S>> {
        self.map(IntoValue::<S>::into_value)
    }
}
