//! Finite mixtures of one family of univariate distributions.

use super::{Distribution, IntoDist, fused};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, log_sum_exp};
use crate::value::{Value, ValueKind};
use nalgebra::DVector;
use rand::Rng;
use rand_distr::{Distribution as _, Open01};

/// `Σₖ wₖ pₖ(x)`: a mixture of real-valued components of one type, as Pyro's and NumPyro's
/// `MixtureSameFamily` (and PyMC's `NormalMixture` with `Mixture::new(&w, normals)`).
///
/// The weights may be fixed numbers or model quantities with derivatives, a Dirichlet site
/// for example; the log-density is differentiable in the weights and in the components'
/// parameters. Draws pick a component at random, so they are not reparameterised.
///
/// ```
/// use smallx_core::dist::{Dirichlet, Distribution, Mixture, Normal};
/// use smallx_core::{Dual64, Real};
/// // Weights with a derivative, as a Dirichlet site's value would carry.
/// let w0 = Real::<Dual64>::variable(0.3, 0);
/// let w = nalgebra::DVector::from_vec(vec![w0, 1.0 - w0]);
/// let d = Mixture::new(&w, [Normal::new(-1.0, 1.0), Normal::new(2.0, 0.5)]).unwrap();
/// let lp = d.log_prob(&Real::new(0.5));
/// // ∂/∂w₀ log(w₀ p₀ + (1 − w₀) p₁) = (p₀ − p₁) / p.
/// let (p0, p1) = (
///     Normal::<f64>::new(-1.0, 1.0).unwrap().log_prob(&Real(0.5)).value().exp(),
///     Normal::<f64>::new(2.0, 0.5).unwrap().log_prob(&Real(0.5)).value().exp(),
/// );
/// assert!((lp.derivative(0) - (p0 - p1) / (0.3 * p0 + 0.7 * p1)).abs() < 1e-12);
/// // Fixed weights are plain numbers.
/// assert!(Mixture::new(&[0.2, 0.8], [Normal::<f64>::new(0.0, 1.0), Normal::new(1.0, 1.0)]).is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Mixture<S: Scalar, D> {
    log_weights: Vec<Real<S>>,
    components: Vec<D>,
}

/// Mixture weights [`Mixture::new`] accepts: plain numbers (`&[f64]`, `&[f64; K]`,
/// `&Vec<f64>`) or model quantities (`&[Real<S>]`, `&[Real<S>; K]`, `&Vec<Real<S>>`,
/// `&DVector<Real<S>>`, the value of a Dirichlet site).
pub trait IntoWeights<S: Scalar> {
    /// The weights, in order.
    fn into_weights(self) -> Vec<Real<S>>;
}

impl<S: Scalar> IntoWeights<S> for &[f64] {
    fn into_weights(self) -> Vec<Real<S>> {
        self.iter().map(|&w| Real::new(w)).collect()
    }
}

impl<S: Scalar, const K: usize> IntoWeights<S> for &[f64; K] {
    fn into_weights(self) -> Vec<Real<S>> {
        self[..].into_weights()
    }
}

impl<S: Scalar> IntoWeights<S> for &Vec<f64> {
    fn into_weights(self) -> Vec<Real<S>> {
        self[..].into_weights()
    }
}

impl<S: Scalar> IntoWeights<S> for &[Real<S>] {
    fn into_weights(self) -> Vec<Real<S>> {
        self.to_vec()
    }
}

impl<S: Scalar, const K: usize> IntoWeights<S> for &[Real<S>; K] {
    fn into_weights(self) -> Vec<Real<S>> {
        self.to_vec()
    }
}

impl<S: Scalar> IntoWeights<S> for &Vec<Real<S>> {
    fn into_weights(self) -> Vec<Real<S>> {
        self.clone()
    }
}

impl<S: Scalar> IntoWeights<S> for &DVector<Real<S>> {
    fn into_weights(self) -> Vec<Real<S>> {
        self.iter().copied().collect()
    }
}

impl<S: Scalar> IntoWeights<S> for DVector<Real<S>> {
    fn into_weights(self) -> Vec<Real<S>> {
        self.iter().copied().collect()
    }
}

impl<S: Scalar> IntoWeights<S> for Vec<Real<S>> {
    fn into_weights(self) -> Vec<Real<S>> {
        self
    }
}

impl<S: Scalar, D: Distribution<S, Value = Real<S>>> Mixture<S, D> {
    /// Finite, non-negative `weights` summing to 1 (within 1e-6), one per component. The
    /// weights are any [`IntoWeights`]: `&[0.2, 0.8]`, or the value of a Dirichlet site, whose
    /// derivatives then flow into the log-density through `ln wₖ`.
    pub fn new<I: IntoDist<S, Dist = D>>(
        weights: impl IntoWeights<S>,
        components: impl IntoIterator<Item = I>,
    ) -> Result<Self, DistError> {
        let weights = weights.into_weights();
        let components: Vec<D> = components
            .into_iter()
            .map(IntoDist::into_dist)
            .collect::<Result<_, _>>()?;
        if components.is_empty() || weights.len() != components.len() {
            return Err(DistError::Shape {
                what: "a mixture needs one weight per component, and at least one",
                detail: format!("{} weights, {} components", weights.len(), components.len()),
            });
        }
        if let Some(w) = weights.iter().find(|w| !w.is_finite()) {
            return Err(DistError::NotFinite {
                param: "weights",
                value: w.value(),
            });
        }
        if let Some(w) = weights.iter().find(|w| !(0.0..=1.0).contains(&w.value())) {
            return Err(DistError::OutOfRange {
                param: "weights",
                range: "[0, 1]",
                value: w.value(),
            });
        }
        let sum: f64 = weights.iter().map(|w| w.value()).sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(DistError::NotNormalized { sum });
        }
        // ln w with derivative 1/w; a zero weight is a constant −∞ (its component never
        // contributes, and ln's derivative there would turn into NaN).
        let log_weights = weights
            .iter()
            .map(|&w| {
                let v = w.value();
                if v > 0.0 {
                    fused(v.ln(), [(w, 1.0 / v)])
                } else {
                    Real::new(f64::NEG_INFINITY)
                }
            })
            .collect();
        Ok(Mixture {
            log_weights,
            components,
        })
    }

    fn moments(&self) -> Option<(Real<S>, Real<S>)> {
        let mut mean = Real::new(0.0);
        let mut second = Real::new(0.0);
        for (lw, c) in self.log_weights.iter().zip(&self.components) {
            let (m, v) = (c.mean()?.as_real()?, c.variance()?.as_real()?);
            let w = lw.exp();
            mean += w * m;
            second += w * (v + m * m);
        }
        Some((mean, second - mean * mean))
    }
}

impl<S: Scalar, D: Distribution<S, Value = Real<S>>> Distribution<S> for Mixture<S, D> {
    type Value = Real<S>;
    fn name(&self) -> &'static str {
        "Mixture"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        let mut u: f64 = Open01.sample(&mut *rng);
        for (lw, c) in self.log_weights.iter().zip(&self.components) {
            u -= lw.value().exp();
            if u <= 0.0 {
                return c.sample(rng).detach();
            }
        }
        self.components[self.components.len() - 1]
            .sample(rng)
            .detach()
    }
    fn check_draw(&self) -> Result<(), DistError> {
        self.components.iter().try_for_each(|c| c.check_draw())
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        let terms: Vec<Real<S>> = self
            .log_weights
            .iter()
            .zip(&self.components)
            .map(|(lw, c)| *lw + c.log_prob(x))
            .collect();
        log_sum_exp(&terms)
    }
    fn support(&self) -> Constraint {
        self.components[0].support()
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Real
    }
    fn mean(&self) -> Option<Value<S>> {
        self.moments().map(|(m, _)| Value::Real(m))
    }
    fn variance(&self) -> Option<Value<S>> {
        self.moments().map(|(_, v)| Value::Real(v))
    }
}

impl<S: Scalar, D: Distribution<S, Value = Real<S>>> IntoDist<S> for Mixture<S, D> {
    type Dist = Self;
    fn into_dist(self) -> Result<Self, DistError> {
        Ok(self)
    }
}
