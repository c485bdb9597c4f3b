//! `Real<S>`: the number type of model code.

use super::Scalar;
use std::cmp::Ordering;
use std::fmt;
use std::iter::{Product, Sum};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real number in a model: a transparent wrapper around a [`Scalar`].
///
/// Arithmetic works between two `Real`s and between a `Real` and an `f64` in either order, so
/// model code reads like ordinary maths whether it runs with `f64` or with dual numbers.
/// Comparisons look at the value only (derivatives are ignored), as is usual for forward-mode
/// automatic differentiation.
///
/// ```
/// use smallx_core::Real;
/// let x = Real(3.0);
/// let y = 1.0 - 2.0 * x + x * x / 3.0;
/// assert_eq!(y.value(), -2.0);
/// ```
#[derive(Clone, Copy, Default, PartialEq)]
#[repr(transparent)]
pub struct Real<S = f64>(pub S);

impl<S: Scalar> Real<S> {
    /// A constant (no derivative).
    #[inline]
    pub fn new(x: f64) -> Self {
        Real(S::constant(x))
    }
    /// An independent variable with derivative 1 along `direction`.
    #[inline]
    pub fn variable(x: f64, direction: usize) -> Self {
        Real(S::variable(x, direction))
    }
    /// The value as `f64`, derivatives dropped.
    #[inline]
    pub fn value(&self) -> f64 {
        self.0.value()
    }
    /// The same value with every derivative set to zero (a stop-gradient).
    #[inline]
    pub fn detach(&self) -> Self {
        Self::new(self.value())
    }
    /// The derivative along `direction`.
    #[inline]
    pub fn derivative(&self, direction: usize) -> f64 {
        self.0.partial(direction)
    }
    /// True when every derivative is zero.
    #[inline]
    pub fn is_constant(&self) -> bool {
        self.0.is_constant()
    }
    /// The inner scalar.
    #[inline]
    pub fn inner(self) -> S {
        self.0
    }
    /// True when the value is neither infinite nor NaN.
    #[inline]
    pub fn is_finite(&self) -> bool {
        self.value().is_finite()
    }
    /// True when the value is NaN.
    #[inline]
    pub fn is_nan(&self) -> bool {
        self.value().is_nan()
    }
    /// The larger of two numbers, by value.
    #[inline]
    pub fn max(self, other: Self) -> Self {
        if other.value() > self.value() {
            other
        } else {
            self
        }
    }
    /// The smaller of two numbers, by value.
    #[inline]
    pub fn min(self, other: Self) -> Self {
        if other.value() < self.value() {
            other
        } else {
            self
        }
    }
    /// `x` raised to a real power.
    #[inline]
    pub fn powr(self, exponent: Self) -> Self {
        Real(self.0.powd(exponent.0))
    }
    /// `ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b)`.
    #[inline]
    pub fn ln_beta(self, b: Self) -> Self {
        ln_beta(self, b)
    }
}

macro_rules! forward_unary {
    ($($(#[$doc:meta])* $name:ident => $via:ident;)*) => {
        impl<S: Scalar> Real<S> {
            $($(#[$doc])* #[inline] pub fn $name(self) -> Self { Real(self.0.$via()) })*
        }
    };
}

forward_unary! {
    /// `eˣ`.
    exp => exp;
    /// Natural logarithm.
    ln => ln;
    /// `ln(1 + x)`, accurate near 0.
    ln_1p => ln_1p;
    /// `eˣ − 1`, accurate near 0.
    exp_m1 => exp_m1;
    /// Square root.
    sqrt => sqrt;
    /// `1/x`.
    recip => recip;
    /// Absolute value.
    abs => abs;
    /// Sine.
    sin => sin;
    /// Cosine.
    cos => cos;
    /// Tangent.
    tan => tan;
    /// Arctangent.
    atan => atan;
    /// Hyperbolic sine.
    sinh => sinh;
    /// Hyperbolic cosine.
    cosh => cosh;
    /// Hyperbolic tangent.
    tanh => tanh;
    /// `ln Γ(x)`.
    ln_gamma => ln_gamma;
    /// Digamma `ψ(x)`.
    digamma => digamma;
    /// Error function.
    erf => erf;
    /// Complementary error function.
    erfc => erfc;
    /// `ln Φ(x)`, the log standard normal cdf.
    normal_log_cdf => normal_log_cdf;
    /// `ln I₀(x)`, the log modified Bessel function of order 0.
    ln_bessel_i0 => ln_bessel_i0;
    /// `ln(1 + eˣ)`.
    softplus => softplus;
    /// `ln σ(x)`.
    log_sigmoid => log_sigmoid;
    /// `σ(x) = 1/(1 + e⁻ˣ)`.
    sigmoid => sigmoid;
}

impl<S: Scalar> Real<S> {
    /// `xⁿ` for an integer `n`.
    #[inline]
    pub fn powi(self, n: i32) -> Self {
        Real(self.0.powi(n))
    }
    /// `xᵖ` for a real `p`.
    #[inline]
    pub fn powf(self, p: f64) -> Self {
        Real(self.0.powf(p))
    }
    /// The sign of the value: −1, 0 or 1 as a constant.
    #[inline]
    pub fn signum(self) -> f64 {
        let v = self.value();
        if v > 0.0 {
            1.0
        } else if v < 0.0 {
            -1.0
        } else {
            0.0
        }
    }
}

/// `ln B(a, b)`.
pub fn ln_beta<S: Scalar>(a: Real<S>, b: Real<S>) -> Real<S> {
    a.ln_gamma() + b.ln_gamma() - (a + b).ln_gamma()
}

/// `ln Σ exp(xᵢ)`, computed stably (the maximum is factored out). Empty input gives −∞.
pub fn log_sum_exp<S: Scalar>(xs: &[Real<S>]) -> Real<S> {
    let Some(max) = xs.iter().copied().reduce(Real::max) else {
        return Real::new(f64::NEG_INFINITY);
    };
    if !max.is_finite() {
        return max;
    }
    let m = max.detach();
    xs.iter().map(|&x| (x - m).exp()).sum::<Real<S>>().ln() + m
}

impl<S: Scalar> From<f64> for Real<S> {
    #[inline]
    fn from(x: f64) -> Self {
        Real::new(x)
    }
}

macro_rules! binary_ops {
    ($($Op:ident $op:ident $OpAssign:ident $op_assign:ident;)*) => {$(
        impl<S: Scalar> $Op for Real<S> {
            type Output = Self;
            #[inline]
            fn $op(self, rhs: Self) -> Self { Real($Op::$op(self.0, rhs.0)) }
        }
        impl<S: Scalar> $Op<f64> for Real<S> {
            type Output = Self;
            #[inline]
            fn $op(self, rhs: f64) -> Self { Real($Op::$op(self.0, rhs)) }
        }
        impl<S: Scalar> $Op<Real<S>> for f64 {
            type Output = Real<S>;
            #[inline]
            fn $op(self, rhs: Real<S>) -> Real<S> { Real($Op::$op(S::constant(self), rhs.0)) }
        }
        impl<S: Scalar> $Op<&Real<S>> for Real<S> {
            type Output = Self;
            #[inline]
            fn $op(self, rhs: &Self) -> Self { Real($Op::$op(self.0, rhs.0)) }
        }
        impl<S: Scalar> $OpAssign for Real<S> {
            #[inline]
            fn $op_assign(&mut self, rhs: Self) { *self = $Op::$op(*self, rhs); }
        }
        impl<S: Scalar> $OpAssign<f64> for Real<S> {
            #[inline]
            fn $op_assign(&mut self, rhs: f64) { *self = $Op::$op(*self, rhs); }
        }
    )*};
}

binary_ops! {
    Add add AddAssign add_assign;
    Sub sub SubAssign sub_assign;
    Mul mul MulAssign mul_assign;
    Div div DivAssign div_assign;
}

impl<S: Scalar> Neg for Real<S> {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Real(-self.0)
    }
}

impl<S: Scalar> Sum for Real<S> {
    /// One node in reverse mode ([`Scalar::sum_of`]).
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        Real(S::sum_of(iter.map(|x| x.0)))
    }
}

impl<'a, S: Scalar> Sum<&'a Real<S>> for Real<S> {
    fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        Real(S::sum_of(iter.map(|x| x.0)))
    }
}

impl<S: Scalar> Product for Real<S> {
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Real::new(1.0), |a, b| a * b)
    }
}

impl<S: Scalar> PartialEq<f64> for Real<S> {
    fn eq(&self, other: &f64) -> bool {
        self.value() == *other
    }
}

impl<S: Scalar> PartialOrd for Real<S> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value().partial_cmp(&other.value())
    }
}

impl<S: Scalar> PartialOrd<f64> for Real<S> {
    fn partial_cmp(&self, other: &f64) -> Option<Ordering> {
        self.value().partial_cmp(other)
    }
}

impl<S: Scalar> num_traits::Zero for Real<S> {
    fn zero() -> Self {
        Real::new(0.0)
    }
    fn is_zero(&self) -> bool {
        self.value() == 0.0
    }
}

impl<S: Scalar> num_traits::One for Real<S> {
    fn one() -> Self {
        Real::new(1.0)
    }
}

impl<S: Scalar> fmt::Debug for Real<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<S: Scalar> fmt::Display for Real<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
