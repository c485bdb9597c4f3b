//! Distributions of angles.

use super::{Distribution, check_finite, check_positive, fused};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, bessel_i1_over_i0_f64, ln_bessel_i0_f64};
use crate::value::{Value, ValueKind};
use rand::Rng;
use rand_distr::{Distribution as _, Open01};
use std::f64::consts::PI;

/// The von Mises distribution of an angle, with `loc` μ and `concentration` κ (Pyro's and
/// NumPyro's names): density `exp(κ cos(x − μ)) / (2π I₀(κ))` on `[−π, π)`.
///
/// The log-density is 2π-periodic in `x` (angles in `[0, 2π)` or any other window score the
/// same as their representative in `[−π, π)`); draws are in `[−π, π)`, by Best and Fisher's
/// (1979) rejection algorithm, and are not reparameterised. The support is the interval
/// `(−π, π)`, so inference on a latent angle sees a line segment, not a circle (as in
/// NumPyro): a posterior with mass near ±π mixes poorly. [`mean`](Distribution::mean) is the
/// circular mean `loc`, and [`variance`](Distribution::variance) the circular variance
/// `1 − I₁(κ)/I₀(κ)` (as Pyro reports them).
///
/// ```
/// use smallx_core::dist::{Distribution, VonMises};
/// use smallx_core::Real;
/// let d = VonMises::<f64>::new(0.5, 2.0).unwrap();
/// // I₀(2) = 2.2795853023360673
/// let lp = d.log_prob(&Real(0.5)).value();
/// assert!((lp - (2.0 - (2.0 * std::f64::consts::PI * 2.279_585_302_336_067_3).ln())).abs() < 1e-13);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct VonMises<S: Scalar = f64> {
    loc: Real<S>,
    concentration: Real<S>,
}

impl<S: Scalar> VonMises<S> {
    /// `loc` finite, `concentration > 0` and finite.
    pub fn new(
        loc: impl Into<Real<S>>,
        concentration: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        Ok(VonMises {
            loc: check_finite("loc", loc.into())?,
            concentration: check_positive("concentration", concentration.into())?,
        })
    }
    /// The mean direction μ.
    pub fn loc(&self) -> Real<S> {
        self.loc
    }
    /// The concentration κ.
    pub fn concentration(&self) -> Real<S> {
        self.concentration
    }
}

/// `x` moved by a multiple of 2π into `[−π, π)`.
fn wrap(x: f64) -> f64 {
    let y = (x + PI).rem_euclid(2.0 * PI) - PI;
    // rem_euclid may round up to exactly 2π.
    if y >= PI { -PI } else { y }
}

/// One draw of the angle from the mean direction, by Best and Fisher's algorithm (a wrapped
/// Cauchy envelope).
fn best_fisher(rng: &mut dyn Rng, kappa: f64) -> f64 {
    let u = |rng: &mut dyn Rng| -> f64 { Open01.sample(rng) };
    if kappa < 1e-6 {
        // Within 1e-6 of uniform: the envelope's parameters lose all their digits here.
        return PI * (2.0 * u(rng) - 1.0);
    }
    let tau = 1.0 + (1.0 + 4.0 * kappa * kappa).sqrt();
    let rho = (tau - (2.0 * tau).sqrt()) / (2.0 * kappa);
    let r = (1.0 + rho * rho) / (2.0 * rho);
    loop {
        let z = (PI * u(rng)).cos();
        let f = (1.0 + r * z) / (r + z);
        let c = kappa * (r - f);
        let u2 = u(rng);
        if c * (2.0 - c) > u2 || (c / u2).ln() + 1.0 - c >= 0.0 {
            let theta = f.clamp(-1.0, 1.0).acos();
            return if u(rng) < 0.5 { -theta } else { theta };
        }
    }
}

impl<S: Scalar> Distribution<S> for VonMises<S> {
    type Value = Real<S>;
    fn value_kind(&self) -> ValueKind {
        ValueKind::Real
    }
    fn name(&self) -> &'static str {
        "VonMises"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        let theta = best_fisher(rng, self.concentration.value());
        Real::new(wrap(self.loc.value() + theta))
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        let (k, d) = (self.concentration.value(), x.value() - self.loc.value());
        let (c, s) = (d.cos(), d.sin());
        let value = k * c - (2.0 * PI).ln() - ln_bessel_i0_f64(k);
        fused(
            value,
            [
                (*x, -k * s),
                (self.loc, k * s),
                (self.concentration, c - bessel_i1_over_i0_f64(k)),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::Interval(-PI, PI)
    }
    /// The circular mean, `loc`.
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::Real(self.loc))
    }
    /// The circular variance `1 − I₁(κ)/I₀(κ)`.
    fn variance(&self) -> Option<Value<S>> {
        let k = self.concentration.value();
        let ratio = self
            .concentration
            .0
            .chain(bessel_i1_over_i0_f64(k), i1_over_i0_derivative(k));
        Some(Value::Real(1.0 - Real(ratio)))
    }
}

/// `d/dκ (I₁/I₀) = 1 − A/κ − A²` with `A = I₁/I₀` (from `I₁' = I₀ − I₁/κ`, `I₀' = I₁`); its
/// limit at 0 is 1/2.
fn i1_over_i0_derivative(k: f64) -> f64 {
    if k < 1e-4 {
        // A = κ/2 − κ³/16 + …, so 1 − A/κ − A² = 1/2 − 3κ²/16 + O(κ⁴).
        return 0.5 - 3.0 * k * k / 16.0;
    }
    let a = bessel_i1_over_i0_f64(k);
    1.0 - a / k - a * a
}
