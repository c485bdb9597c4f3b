//! Finite mixtures of one family of univariate distributions.

use super::{Distribution, IntoDist};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, log_sum_exp};
use crate::value::{Value, ValueKind};
use rand::Rng;
use rand_distr::{Distribution as _, Open01};

/// `Σₖ wₖ pₖ(x)`: a mixture of real-valued components of one type (PyMC's `NormalMixture`
/// with `Mixture::new(&w, normals)`). Draws are not reparameterised.
#[derive(Clone, Debug)]
pub struct Mixture<S: Scalar, D> {
    log_weights: Vec<Real<S>>,
    components: Vec<D>,
}

impl<S: Scalar, D: Distribution<S, Value = Real<S>>> Mixture<S, D> {
    /// Non-negative `weights` summing to 1 (within 1e-6), one per component.
    pub fn new<I: IntoDist<S, Dist = D>>(
        weights: &[f64],
        components: impl IntoIterator<Item = I>,
    ) -> Result<Self, DistError> {
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
        if weights.iter().any(|w| !(0.0..=1.0).contains(w)) {
            return Err(DistError::OutOfRange {
                param: "weights",
                range: "[0, 1]",
                value: weights.iter().copied().fold(f64::NAN, f64::min),
            });
        }
        let sum: f64 = weights.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(DistError::NotNormalized { sum });
        }
        Ok(Mixture {
            log_weights: weights.iter().map(|w| Real::new(w.ln())).collect(),
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
