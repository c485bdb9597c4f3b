//! Heavy- and light-tailed families on the positive half-line: Weibull and Pareto.

use super::{Distribution, check_positive, fused, neg_inf};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar};
use crate::value::{Value, ValueKind};
use rand::Rng;
use rand_distr::{Distribution as _, Exp1};

fn exp1(rng: &mut dyn Rng) -> f64 {
    Exp1.sample(rng)
}

/// The Weibull distribution with `scale` λ and `concentration` k (Pyro's and NumPyro's names
/// and parameterisation): density `k/λ · (x/λ)^(k−1) · exp(−(x/λ)^k)` for `x > 0`.
///
/// Draws are reparameterised: `x = λ · E^(1/k)` with `E ~ Exponential(1)`, so derivatives with
/// respect to both parameters flow into the draw.
///
/// ```
/// use smallx_core::dist::{Distribution, Weibull};
/// use smallx_core::Real;
/// let d = Weibull::<f64>::new(2.0, 1.5).unwrap();
/// // k = 1 would be the exponential distribution with rate 1/λ.
/// let lp = d.log_prob(&Real(1.0)).value();
/// let z: f64 = 0.5;
/// assert!((lp - ((1.5f64 / 2.0).ln() + 0.5 * z.ln() - z.powf(1.5))).abs() < 1e-12);
/// assert!(Weibull::<f64>::new(2.0, 0.0).is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Weibull<S: Scalar = f64> {
    scale: Real<S>,
    concentration: Real<S>,
}

impl<S: Scalar> Weibull<S> {
    /// `scale > 0`, `concentration > 0`, both finite.
    pub fn new(
        scale: impl Into<Real<S>>,
        concentration: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        Ok(Weibull {
            scale: check_positive("scale", scale.into())?,
            concentration: check_positive("concentration", concentration.into())?,
        })
    }
    /// The scale λ.
    pub fn scale(&self) -> Real<S> {
        self.scale
    }
    /// The concentration (shape) k.
    pub fn concentration(&self) -> Real<S> {
        self.concentration
    }
}

impl<S: Scalar> Distribution<S> for Weibull<S> {
    type Value = Real<S>;
    fn value_kind(&self) -> ValueKind {
        ValueKind::Real
    }
    fn name(&self) -> &'static str {
        "Weibull"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        let le = exp1(rng).ln();
        self.scale * (Real::new(le) / self.concentration).exp()
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        let inside = x.value() > 0.0 && x.value().is_finite();
        if !inside {
            return neg_inf();
        }
        let (xv, l, k) = (x.value(), self.scale.value(), self.concentration.value());
        // With z = x/λ: ln k − ln λ + (k − 1) ln z − z^k.
        let lz = xv.ln() - l.ln();
        let zk = (k * lz).exp();
        let value = k.ln() - l.ln() + (k - 1.0) * lz - zk;
        fused(
            value,
            [
                (*x, ((k - 1.0) - k * zk) / xv),
                (self.scale, k * (zk - 1.0) / l),
                (self.concentration, 1.0 / k + lz - zk * lz),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::Positive
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        let g1 = (1.0 + self.concentration.recip()).ln_gamma().exp();
        Some(Value::Real(self.scale * g1))
    }
    fn variance(&self) -> Option<Value<S>> {
        let inv = self.concentration.recip();
        let g1 = (1.0 + inv).ln_gamma().exp();
        let g2 = (1.0 + 2.0 * inv).ln_gamma().exp();
        Some(Value::Real(self.scale * self.scale * (g2 - g1 * g1)))
    }
}

/// The Pareto (type I) distribution with `scale` x_m and shape `alpha` (Pyro's and NumPyro's
/// names): density `α x_mᵅ / x^(α+1)` for `x ≥ x_m`.
///
/// Its support starts at the parameter `scale`, so [`support`](Distribution::support) is
/// `Constraint::GreaterThan(scale)` with the value the parameter has when the distribution is
/// built (as for [`Uniform`](super::Uniform)): inference maps a latent Pareto site through
/// `x = scale + eᵘ`. Draws are reparameterised: `x = x_m · exp(E/α)` with `E ~ Exponential(1)`.
///
/// ```
/// use smallx_core::dist::{Distribution, Pareto};
/// use smallx_core::{Constraint, Real};
/// let d = Pareto::<f64>::new(1.5, 3.0).unwrap();
/// assert_eq!(d.support(), Constraint::GreaterThan(1.5));
/// let lp = d.log_prob(&Real(2.0)).value();
/// assert!((lp - (3.0f64.ln() + 3.0 * 1.5f64.ln() - 4.0 * 2.0f64.ln())).abs() < 1e-12);
/// assert_eq!(d.log_prob(&Real(1.0)).value(), f64::NEG_INFINITY);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Pareto<S: Scalar = f64> {
    scale: Real<S>,
    alpha: Real<S>,
}

impl<S: Scalar> Pareto<S> {
    /// `scale > 0`, `alpha > 0`, both finite.
    pub fn new(scale: impl Into<Real<S>>, alpha: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(Pareto {
            scale: check_positive("scale", scale.into())?,
            alpha: check_positive("alpha", alpha.into())?,
        })
    }
    /// The scale x_m, where the support starts.
    pub fn scale(&self) -> Real<S> {
        self.scale
    }
    /// The shape α.
    pub fn alpha(&self) -> Real<S> {
        self.alpha
    }
}

impl<S: Scalar> Distribution<S> for Pareto<S> {
    type Value = Real<S>;
    fn value_kind(&self) -> ValueKind {
        ValueKind::Real
    }
    fn name(&self) -> &'static str {
        "Pareto"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        self.scale * (exp1(rng) / self.alpha).exp()
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        let (xv, m, a) = (x.value(), self.scale.value(), self.alpha.value());
        let inside = xv >= m && xv.is_finite();
        if !inside {
            return neg_inf();
        }
        let (lx, lm) = (xv.ln(), m.ln());
        let value = a.ln() + a * lm - (a + 1.0) * lx;
        fused(
            value,
            [
                (*x, -(a + 1.0) / xv),
                (self.scale, a / m),
                (self.alpha, 1.0 / a + lm - lx),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::GreaterThan(self.scale.value())
    }
    fn has_rsample(&self) -> bool {
        true
    }
    /// `α x_m/(α − 1)` for `α > 1`, else none (infinite).
    fn mean(&self) -> Option<Value<S>> {
        (self.alpha > 1.0).then(|| Value::Real(self.alpha * self.scale / (self.alpha - 1.0)))
    }
    /// `x_m² α / ((α − 1)² (α − 2))` for `α > 2`, else none (infinite).
    fn variance(&self) -> Option<Value<S>> {
        (self.alpha > 2.0).then(|| {
            let a1 = self.alpha - 1.0;
            Value::Real(self.scale * self.scale * self.alpha / (a1 * a1 * (self.alpha - 2.0)))
        })
    }
}
