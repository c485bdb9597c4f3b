//! The numbers a model computes with.
//!
//! Two layers:
//!
//! * [`Scalar`] is implemented by the raw number types: `f64` and num-dual's first-order dual
//!   numbers ([`Dual64`], [`DualSVec64<N>`]). It adds what num-dual lacks: seeding and reading
//!   derivative directions, and the special functions of statistics (ln-gamma, digamma, erf,
//!   the normal log-cdf, softplus, log-sigmoid) with their exact first derivatives, applied
//!   through one chain-rule primitive ([`Chain::chain`]). [`Chain`] is also implemented for the
//!   heap-backed [`DualDVec64`], which is usable in the special functions but not as a model
//!   scalar because it is not `Copy` (see ARCHITECTURE.md).
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
mod special;

pub use num_dual::{Dual64, DualDVec64, DualSVec64};
pub use real::{Real, ln_beta, log_sum_exp};
pub use special::{digamma_f64, normal_log_cdf_f64, trigamma_f64};

use nalgebra::{Const, DefaultAllocator, Dim, U1, allocator::Allocator};
use num_dual::{Derivative, Dual, DualNum, DualVec};

/// A number type that can carry first derivatives through a special function.
///
/// [`chain`](Chain::chain) maps `x` to a number whose value is `f0` and whose derivative part is
/// the derivative part of `x` times `f1`: the chain rule for a function with `f(x.re) = f0`
/// and `f'(x.re) = f1`. Every special function in smallx is built on it.
pub trait Chain: DualNum<Primitive = f64> {
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

/// The raw scalar type a model runs with: `f64`, [`Dual64`] or [`DualSVec64<N>`].
///
/// Inference picks the scalar: `f64` to evaluate (Metropolis, importance sampling,
/// prediction), dual numbers to differentiate (SVI, MAP). A dual scalar carries
/// [`DIRECTIONS`](Scalar::DIRECTIONS) derivative directions; a gradient with more components
/// than that is computed in chunks, one model evaluation per chunk.
pub trait Scalar: Chain + Copy + Send + Sync + 'static {
    /// How many derivative directions the type carries (0 for `f64`).
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
}

#[cfg(test)]
mod tests;
