//! The numbers a model computes with.
//!
//! Two layers:
//!
//! * [`Scalar`] is implemented by the raw number types: `f64`, num-dual's first-order dual
//!   numbers ([`Dual64`], [`DualSVec64<N>`]) for forward mode, and [`Rev`] for reverse mode.
//!   It names the operations a model may use (arithmetic, the elementary functions, seeding
//!   and reading derivatives, and [`fused`](Scalar::fused) nodes with precomputed partials),
//!   and the special functions of statistics (ln-gamma, digamma, erf, the normal log-cdf,
//!   softplus, log-sigmoid) with their exact first derivatives, applied through one chain-rule
//!   primitive ([`Chain::chain`]). [`Chain`] is also implemented for the heap-backed
//!   [`DualDVec64`], which is usable in the special functions but not as a model scalar because
//!   it is not `Copy` (see ARCHITECTURE.md).
//! * [`Real<S>`] wraps a `Scalar` and is what model code sees. It exists because Rust's orphan
//!   rule forbids `impl Mul<Dual64> for f64` outside num-dual, and models must be able to write
//!   `2.0 * x` as well as `x * 2.0`. `Real<S>` is `#[repr(transparent)]` and every operation
//!   forwards to `S`, so it costs nothing.
//!
//! ```
//! use smallx_core::{Real, Scalar};
//! use num_dual::Dual64;
//!
//! let x = Real(Dual64::variable(1.5, 0));
//! let y = 2.0 * x.ln_gamma() - 1.0;
//! assert!((y.value() - (2.0 * statrs::function::gamma::ln_gamma(1.5) - 1.0)).abs() < 1e-12);
//! // d/dx 2 lnΓ(x) = 2 ψ(x)
//! assert!((y.derivative(0) - 2.0 * statrs::function::gamma::digamma(1.5)).abs() < 1e-12);
//! ```

mod real;
mod reverse;
mod special;

pub use num_dual::{Dual64, DualDVec64, DualSVec64};
pub use real::{Real, ln_beta, log_sum_exp};
pub use reverse::{Recording, Rev};
pub use special::{
    bessel_i1_over_i0_f64, digamma_f64, ln_bessel_i0_f64, normal_log_cdf_f64,
    standard_gamma_grad_f64, trigamma_f64,
};

use nalgebra::{Const, DefaultAllocator, Dim, U1, allocator::Allocator};
use num_dual::{Derivative, Dual, DualNum, DualVec};
use std::fmt::{Debug, Display};
use std::ops::{Add, Div, Mul, Neg, Sub};

/// A number type that can carry first derivatives through a special function.
///
/// [`chain`](Chain::chain) maps `x` to a number whose value is `f0` and whose derivative part is
/// the derivative part of `x` times `f1`: the chain rule for a function with `f(x.re) = f0`
/// and `f'(x.re) = f1`. Every special function in smallx is built on it.
pub trait Chain: Sized {
    /// The real part with all derivatives dropped.
    fn value(&self) -> f64;
    /// Apply a scalar function with known value `f0` and derivative `f1` at `self.value()`.
    fn chain(&self, f0: f64, f1: f64) -> Self;

    /// `ln Γ(x)`; derivative `ψ(x)`.
    fn ln_gamma(&self) -> Self {
        let x = self.value();
        self.chain(statrs::function::gamma::ln_gamma(x), digamma_f64(x))
    }
    /// The digamma function `ψ(x)`; derivative `ψ₁(x)` (trigamma).
    fn digamma(&self) -> Self {
        let x = self.value();
        self.chain(digamma_f64(x), trigamma_f64(x))
    }
    /// The error function; derivative `2/√π · exp(-x²)`.
    fn erf(&self) -> Self {
        let x = self.value();
        self.chain(
            statrs::function::erf::erf(x),
            std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
        )
    }
    /// The complementary error function `1 - erf(x)`, accurate in the upper tail.
    fn erfc(&self) -> Self {
        let x = self.value();
        self.chain(
            statrs::function::erf::erfc(x),
            -std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
        )
    }
    /// `ln Φ(x)`, the log of the standard normal cdf, stable far into the lower tail;
    /// derivative `φ(x)/Φ(x)`.
    fn normal_log_cdf(&self) -> Self {
        let x = self.value();
        let f0 = normal_log_cdf_f64(x);
        let log_pdf = -0.5 * x * x - 0.5 * (2.0 * std::f64::consts::PI).ln();
        self.chain(f0, (log_pdf - f0).exp())
    }
    /// `ln I₀(x)`, the log of the modified Bessel function of the first kind of order 0 (the
    /// von Mises normaliser), without overflow; derivative `I₁(x)/I₀(x)`.
    fn ln_bessel_i0(&self) -> Self {
        let x = self.value();
        self.chain(ln_bessel_i0_f64(x), bessel_i1_over_i0_f64(x))
    }
    /// `ln(1 + eˣ)`, without overflow; derivative `σ(x)`.
    fn softplus(&self) -> Self {
        let x = self.value();
        let f0 = x.max(0.0) + (-x.abs()).exp().ln_1p();
        self.chain(f0, sigmoid_f64(x))
    }
    /// `ln σ(x) = -softplus(-x)`; derivative `1 - σ(x)`.
    fn log_sigmoid(&self) -> Self {
        let x = self.value();
        let f0 = x.min(0.0) - (-x.abs()).exp().ln_1p();
        self.chain(f0, sigmoid_f64(-x))
    }
    /// The logistic function `1 / (1 + e⁻ˣ)`; derivative `σ(x)(1 - σ(x))`.
    fn sigmoid(&self) -> Self {
        let s = sigmoid_f64(self.value());
        self.chain(s, s * (1.0 - s))
    }
}

/// The logistic function on `f64`, without overflow.
pub fn sigmoid_f64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The raw scalar type a model runs with: `f64`, [`Dual64`], [`DualSVec64<N>`] or [`Rev`].
///
/// Inference picks the scalar: `f64` to evaluate (Metropolis, importance sampling,
/// prediction), dual numbers or [`Rev`] to differentiate (SVI, MAP). A dual scalar carries
/// [`DIRECTIONS`](Scalar::DIRECTIONS) derivative directions; a gradient with more components
/// than that is computed in chunks, one model evaluation per chunk. [`Rev`] records the
/// computation and gives every component from one evaluation and one backward sweep.
///
/// The elementary functions are methods of this trait (not num-dual's `DualNum`), so that a
/// scalar only has to provide what models use.
pub trait Scalar:
    Chain
    + Copy
    + PartialEq
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
    + Div<f64, Output = Self>
{
    /// How many derivative directions the type carries (0 for `f64`, `usize::MAX` for
    /// [`Rev`], which records any number).
    const DIRECTIONS: usize;
    /// A constant: value `x`, all derivatives zero.
    fn constant(x: f64) -> Self;
    /// An independent variable: value `x` with derivative 1 along `direction` (which must be
    /// below `DIRECTIONS`; other directions are zero). For `f64` this is `x`.
    fn variable(x: f64, direction: usize) -> Self;
    /// True when every derivative is zero.
    fn is_constant(&self) -> bool;
    /// The derivative along `direction` (0 when out of range or for `f64`). Named `partial`
    /// because num-dual's types have an inherent `derivative` method that seeds a direction.
    fn partial(&self, direction: usize) -> f64;
    /// A number with value `value` whose derivative is `Σᵢ partials[i] · d inputs[i]`: a
    /// function of several inputs whose partial derivatives are computed by the caller (in
    /// `f64`), recorded as one node in reverse mode (Stan Math's operands-and-partials).
    /// `inputs` and `partials` have the same length.
    fn fused(value: f64, inputs: &[Self], partials: &[f64]) -> Self;
    /// Like [`fused`](Scalar::fused), with `(input, partial)` pairs from an iterator, for
    /// functions of many inputs (a log-density over a batch of latent values). `f64` does not
    /// run the iterator.
    fn fused_terms<I: IntoIterator<Item = (Self, f64)>>(value: f64, terms: I) -> Self;
    /// `Σ terms`, one node in reverse mode (instead of one per addition).
    fn sum_of<I: IntoIterator<Item = Self>>(terms: I) -> Self;
    /// True when `self` and `other` carry the same derivatives (the same recorded node in
    /// reverse mode, equal directions in forward mode), so that `p·d self + q·d other` may be
    /// recorded as `(p + q)·d self`.
    fn same_derivatives(&self, other: &Self) -> bool;

    /// `eˣ`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + x)`.
    fn ln_1p(self) -> Self;
    /// `eˣ − 1`.
    fn exp_m1(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// `1/x`.
    fn recip(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Tangent.
    fn tan(self) -> Self;
    /// Arctangent.
    fn atan(self) -> Self;
    /// Hyperbolic sine.
    fn sinh(self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// `xⁿ` for an integer `n`.
    fn powi(self, n: i32) -> Self;
    /// `xᵖ` for a real constant `p`.
    fn powf(self, p: f64) -> Self;
    /// `xʸ` for a scalar `y`.
    fn powd(self, y: Self) -> Self;
}

/// The elementary functions of a num-dual type, forwarded to `DualNum`.
macro_rules! forward_elementary {
    () => {
        #[inline]
        fn exp(self) -> Self {
            DualNum::exp(&self)
        }
        #[inline]
        fn ln(self) -> Self {
            DualNum::ln(&self)
        }
        #[inline]
        fn ln_1p(self) -> Self {
            DualNum::ln_1p(&self)
        }
        #[inline]
        fn exp_m1(self) -> Self {
            DualNum::exp_m1(&self)
        }
        #[inline]
        fn sqrt(self) -> Self {
            DualNum::sqrt(&self)
        }
        #[inline]
        fn recip(self) -> Self {
            DualNum::recip(&self)
        }
        #[inline]
        fn abs(self) -> Self {
            num_traits::Signed::abs(&self)
        }
        #[inline]
        fn sin(self) -> Self {
            DualNum::sin(&self)
        }
        #[inline]
        fn cos(self) -> Self {
            DualNum::cos(&self)
        }
        #[inline]
        fn tan(self) -> Self {
            DualNum::tan(&self)
        }
        #[inline]
        fn atan(self) -> Self {
            DualNum::atan(&self)
        }
        #[inline]
        fn sinh(self) -> Self {
            DualNum::sinh(&self)
        }
        #[inline]
        fn cosh(self) -> Self {
            DualNum::cosh(&self)
        }
        #[inline]
        fn tanh(self) -> Self {
            DualNum::tanh(&self)
        }
        #[inline]
        fn powi(self, n: i32) -> Self {
            DualNum::powi(&self, n)
        }
        #[inline]
        fn powf(self, p: f64) -> Self {
            DualNum::powf(&self, p)
        }
        #[inline]
        fn powd(self, y: Self) -> Self {
            DualNum::powd(&self, y)
        }
    };
}

impl Chain for f64 {
    #[inline]
    fn value(&self) -> f64 {
        *self
    }
    #[inline]
    fn chain(&self, f0: f64, _f1: f64) -> Self {
        f0
    }
}

impl Scalar for f64 {
    const DIRECTIONS: usize = 0;
    #[inline]
    fn constant(x: f64) -> Self {
        x
    }
    #[inline]
    fn variable(x: f64, _direction: usize) -> Self {
        x
    }
    #[inline]
    fn is_constant(&self) -> bool {
        true
    }
    #[inline]
    fn partial(&self, _direction: usize) -> f64 {
        0.0
    }
    #[inline]
    fn fused(value: f64, _inputs: &[Self], _partials: &[f64]) -> Self {
        value
    }
    #[inline]
    fn fused_terms<I: IntoIterator<Item = (Self, f64)>>(value: f64, _terms: I) -> Self {
        value
    }
    #[inline]
    fn sum_of<I: IntoIterator<Item = Self>>(terms: I) -> Self {
        terms.into_iter().sum()
    }
    #[inline]
    fn same_derivatives(&self, _other: &Self) -> bool {
        true
    }
    #[inline]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline]
    fn ln(self) -> Self {
        f64::ln(self)
    }
    #[inline]
    fn ln_1p(self) -> Self {
        f64::ln_1p(self)
    }
    #[inline]
    fn exp_m1(self) -> Self {
        f64::exp_m1(self)
    }
    #[inline]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline]
    fn recip(self) -> Self {
        f64::recip(self)
    }
    #[inline]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    #[inline]
    fn sin(self) -> Self {
        f64::sin(self)
    }
    #[inline]
    fn cos(self) -> Self {
        f64::cos(self)
    }
    #[inline]
    fn tan(self) -> Self {
        f64::tan(self)
    }
    #[inline]
    fn atan(self) -> Self {
        f64::atan(self)
    }
    #[inline]
    fn sinh(self) -> Self {
        f64::sinh(self)
    }
    #[inline]
    fn cosh(self) -> Self {
        f64::cosh(self)
    }
    #[inline]
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        f64::powi(self, n)
    }
    #[inline]
    fn powf(self, p: f64) -> Self {
        f64::powf(self, p)
    }
    #[inline]
    fn powd(self, y: Self) -> Self {
        f64::powf(self, y)
    }
}

impl Chain for Dual<f64> {
    #[inline]
    fn value(&self) -> f64 {
        self.re
    }
    #[inline]
    fn chain(&self, f0: f64, f1: f64) -> Self {
        Dual::new(f0, self.eps * f1)
    }
}

impl Scalar for Dual<f64> {
    const DIRECTIONS: usize = 1;
    #[inline]
    fn constant(x: f64) -> Self {
        Dual::from_re(x)
    }
    #[inline]
    fn variable(x: f64, direction: usize) -> Self {
        Dual::new(x, if direction == 0 { 1.0 } else { 0.0 })
    }
    #[inline]
    fn is_constant(&self) -> bool {
        self.eps == 0.0
    }
    #[inline]
    fn partial(&self, direction: usize) -> f64 {
        if direction == 0 { self.eps } else { 0.0 }
    }
    #[inline]
    fn fused(value: f64, inputs: &[Self], partials: &[f64]) -> Self {
        let eps = inputs.iter().zip(partials).map(|(x, p)| x.eps * p).sum();
        Dual::new(value, eps)
    }
    #[inline]
    fn fused_terms<I: IntoIterator<Item = (Self, f64)>>(value: f64, terms: I) -> Self {
        let eps = terms.into_iter().map(|(x, p)| x.eps * p).sum();
        Dual::new(value, eps)
    }
    #[inline]
    fn sum_of<I: IntoIterator<Item = Self>>(terms: I) -> Self {
        terms.into_iter().fold(Dual::from_re(0.0), |a, b| a + b)
    }
    #[inline]
    fn same_derivatives(&self, other: &Self) -> bool {
        self.eps == other.eps
    }
    forward_elementary!();
}

impl<D: Dim> Chain for DualVec<f64, D>
where
    DefaultAllocator: Allocator<D>,
{
    #[inline]
    fn value(&self) -> f64 {
        self.re
    }
    #[inline]
    fn chain(&self, f0: f64, f1: f64) -> Self {
        DualVec::new(f0, &self.eps * f1)
    }
}

impl<const N: usize> Scalar for DualVec<f64, Const<N>> {
    const DIRECTIONS: usize = N;
    #[inline]
    fn constant(x: f64) -> Self {
        DualVec::new(x, Derivative::none())
    }
    #[inline]
    fn variable(x: f64, direction: usize) -> Self {
        if direction < N {
            DualVec::new(x, Derivative::derivative_generic(Const::<N>, U1, direction))
        } else {
            Self::constant(x)
        }
    }
    #[inline]
    fn is_constant(&self) -> bool {
        self.eps
            .0
            .as_ref()
            .is_none_or(|m| m.iter().all(|&x| x == 0.0))
    }
    #[inline]
    fn partial(&self, direction: usize) -> f64 {
        match &self.eps.0 {
            Some(m) if direction < N => m[direction],
            _ => 0.0,
        }
    }
    #[inline]
    fn fused(value: f64, inputs: &[Self], partials: &[f64]) -> Self {
        Self::fused_terms(value, inputs.iter().copied().zip(partials.iter().copied()))
    }
    #[inline]
    fn fused_terms<I: IntoIterator<Item = (Self, f64)>>(value: f64, terms: I) -> Self {
        let mut eps = Derivative::none();
        for (x, p) in terms {
            if let Some(m) = &x.eps.0 {
                eps += Derivative::some(m * p);
            }
        }
        DualVec::new(value, eps)
    }
    #[inline]
    fn sum_of<I: IntoIterator<Item = Self>>(terms: I) -> Self {
        terms.into_iter().fold(Self::constant(0.0), |a, b| a + b)
    }
    #[inline]
    fn same_derivatives(&self, other: &Self) -> bool {
        match (&self.eps.0, &other.eps.0) {
            (None, None) => true,
            (Some(a), Some(b)) => a == b,
            (Some(m), None) | (None, Some(m)) => m.iter().all(|&x| x == 0.0),
        }
    }
    forward_elementary!();
}

impl Chain for Rev {
    #[inline]
    fn value(&self) -> f64 {
        Rev::value(self)
    }
    #[inline]
    fn chain(&self, f0: f64, f1: f64) -> Self {
        self.unary(f0, f1)
    }
}

impl Scalar for Rev {
    const DIRECTIONS: usize = usize::MAX;
    #[inline]
    fn constant(x: f64) -> Self {
        Rev::constant(x)
    }
    #[inline]
    fn variable(x: f64, direction: usize) -> Self {
        Rev::variable(x, direction)
    }
    #[inline]
    fn is_constant(&self) -> bool {
        Rev::is_constant(self)
    }
    fn partial(&self, direction: usize) -> f64 {
        Rev::partial(self, direction)
    }
    #[inline]
    fn fused(value: f64, inputs: &[Self], partials: &[f64]) -> Self {
        Rev::fused(value, inputs, partials)
    }
    #[inline]
    fn fused_terms<I: IntoIterator<Item = (Self, f64)>>(value: f64, terms: I) -> Self {
        Rev::fused_terms(value, terms)
    }
    #[inline]
    fn sum_of<I: IntoIterator<Item = Self>>(terms: I) -> Self {
        Rev::sum_of(terms)
    }
    #[inline]
    fn same_derivatives(&self, other: &Self) -> bool {
        Rev::same_node(self, other)
    }
    #[inline]
    fn exp(self) -> Self {
        let e = self.value().exp();
        self.unary(e, e)
    }
    #[inline]
    fn ln(self) -> Self {
        let x = self.value();
        self.unary(x.ln(), 1.0 / x)
    }
    #[inline]
    fn ln_1p(self) -> Self {
        let x = self.value();
        self.unary(x.ln_1p(), 1.0 / (1.0 + x))
    }
    #[inline]
    fn exp_m1(self) -> Self {
        let x = self.value();
        self.unary(x.exp_m1(), x.exp())
    }
    #[inline]
    fn sqrt(self) -> Self {
        let r = self.value().sqrt();
        self.unary(r, 0.5 / r)
    }
    #[inline]
    fn recip(self) -> Self {
        let r = 1.0 / self.value();
        self.unary(r, -r * r)
    }
    #[inline]
    fn abs(self) -> Self {
        let x = self.value();
        // The derivative num-dual uses: the sign, 0 at 0.
        let s = if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        };
        self.unary(x.abs(), s)
    }
    #[inline]
    fn sin(self) -> Self {
        let (s, c) = self.value().sin_cos();
        self.unary(s, c)
    }
    #[inline]
    fn cos(self) -> Self {
        let (s, c) = self.value().sin_cos();
        self.unary(c, -s)
    }
    #[inline]
    fn tan(self) -> Self {
        let t = self.value().tan();
        self.unary(t, 1.0 + t * t)
    }
    #[inline]
    fn atan(self) -> Self {
        let x = self.value();
        self.unary(x.atan(), 1.0 / (1.0 + x * x))
    }
    #[inline]
    fn sinh(self) -> Self {
        let x = self.value();
        self.unary(x.sinh(), x.cosh())
    }
    #[inline]
    fn cosh(self) -> Self {
        let x = self.value();
        self.unary(x.cosh(), x.sinh())
    }
    #[inline]
    fn tanh(self) -> Self {
        let t = self.value().tanh();
        self.unary(t, 1.0 - t * t)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        let x = self.value();
        let d = if n == 0 {
            0.0
        } else {
            n as f64 * x.powi(n - 1)
        };
        self.unary(x.powi(n), d)
    }
    #[inline]
    fn powf(self, p: f64) -> Self {
        let x = self.value();
        let d = if p == 0.0 { 0.0 } else { p * x.powf(p - 1.0) };
        self.unary(x.powf(p), d)
    }
    #[inline]
    fn powd(self, y: Self) -> Self {
        // xʸ = exp(y ln x), with num-dual's convention for the derivatives.
        let (x, e) = (self.value(), y.value());
        let v = x.powf(e);
        self.binary(y, v, e * x.powf(e - 1.0), v * x.ln())
    }
}

#[cfg(test)]
mod tests;
