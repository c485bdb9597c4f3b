//! The Rényi divergence bound (Li and Turner 2016), with the IWAE bound (Burda et al. 2016)
//! at α = 0.

use super::{Baselines, Elbo, Estimate, TracePair};
use smallx_core::{Error, Real, Result, Scalar};
use std::collections::HashMap;

/// The variational Rényi bound of order α (Pyro's `RenyiELBO`, same parameterisation):
///
/// `L = 1/(1 − α) · log (1/K) Σₖ exp((1 − α)·wₖ)`, with `wₖ = log p(x, zₖ) − log q(zₖ)` the
/// log weight of particle `k` of `K` (`num_particles`).
///
/// α = 0 is the importance-weighted (IWAE) bound, which tightens towards `log p(x)` as `K`
/// grows; α → 1 is the ordinary ELBO (α = 1 itself is refused: use
/// [`TraceElbo`](crate::TraceElbo)); 0 < α < 1 lies between the two. Defaults as in Pyro: α = 0
/// and two particles.
///
/// **Gradient.** With the self-normalised weights `ŵₖ = exp((1 − α)wₖ) / Σⱼ exp((1 − α)wⱼ)`
/// (held constant), the surrogate is
///
/// `Σₖ ŵₖ · [log p(x, zₖ) − Σ_reparam log q(zₖ) + α/(1 − α) · Σ_non-reparam log q(zₖ)]`.
///
/// Its gradient through reparameterised draws and the model's parameters is exactly the
/// gradient of `L` (since `∂L/∂wₖ = ŵₖ`). For a guide site whose draws are not
/// reparameterisable, the term `α/(1 − α) · ŵₖ · ∇ log q(zₖ)` is the self-normalised estimator
/// of the gradient of the Rényi divergence itself, `α/(1 − α) · E_q[(p/q)^{1−α} ∇ log q] /
/// E_q[(p/q)^{1−α}]`: consistent as `K` grows, as Pyro's estimator is. At α = 0 that term
/// vanishes (the limit `log p(x)` does not depend on the guide). The reported loss is `−L`.
///
/// ```
/// use smallx::prelude::*;
/// use smallx::infer::{Adam, RenyiElbo, Svi};
///
/// #[model]
/// fn model() -> Real {
///     let z = sample!("z", Normal::new(0.0, 1.0));
///     sample!("x", Normal::new(z, 1.0), obs = 1.0)
/// }
///
/// #[model]
/// fn guide() -> Real {
///     let loc = param!("loc", 0.0);
///     let scale = param!("scale", 1.0, Constraint::Positive);
///     sample!("z", Normal::new(loc, scale))
/// }
///
/// let elbo = RenyiElbo::new().alpha(0.5).num_particles(10);
/// let mut svi = Svi::new(model, guide, Adam::new(0.05), elbo).seed(1).progress(false);
/// svi.run(1500, &()).unwrap();
/// let loc = svi.params().real("loc").unwrap();
/// assert!((loc - 0.5).abs() < 0.1, "{loc}");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RenyiElbo {
    alpha: f64,
    particles: usize,
}

impl Default for RenyiElbo {
    fn default() -> Self {
        RenyiElbo {
            alpha: 0.0,
            particles: 2,
        }
    }
}

impl RenyiElbo {
    /// α = 0 (the IWAE bound) and two particles.
    pub fn new() -> Self {
        Self::default()
    }
    /// The order α: any finite number but 1 (checked before the first step).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// The number `K` of particles combined per step (at least 1, checked before the first step).
    pub fn num_particles(mut self, k: usize) -> Self {
        self.particles = k;
        self
    }
    /// The order α.
    pub fn order(&self) -> f64 {
        self.alpha
    }
}

impl Elbo for RenyiElbo {
    fn num_particles(&self) -> usize {
        self.particles
    }

    fn check(&self) -> Result<()> {
        super::check_particles("RenyiElbo", self.particles)?;
        if !self.alpha.is_finite() {
            return Err(Error::Config {
                algorithm: "RenyiElbo",
                detail: format!("the order alpha must be finite, got {}", self.alpha),
            });
        }
        if self.alpha == 1.0 {
            return Err(Error::Config {
                algorithm: "RenyiElbo",
                detail: "alpha = 1 is the ordinary ELBO; use TraceElbo for it".into(),
            });
        }
        Ok(())
    }

    fn estimate<S: Scalar, R>(
        &self,
        particles: &[TracePair<S, R>],
        _baselines: &Baselines,
    ) -> Estimate<S> {
        let one_minus = 1.0 - self.alpha;
        let score_factor = self.alpha / one_minus;
        let mut log_weights = Vec::with_capacity(particles.len());
        let mut parts = Vec::with_capacity(particles.len());
        for (model_trace, guide_trace) in particles {
            let mut part = model_trace.log_joint();
            let mut w = part.value();
            for g in guide_trace.iter() {
                let lq = g.weighted_log_prob();
                w -= lq.value();
                if g.is_latent() && g.dist.as_ref().is_some_and(|d| !d.has_rsample()) {
                    part += lq * score_factor;
                } else {
                    part -= lq;
                }
            }
            log_weights.push(one_minus * w);
            parts.push(part);
        }
        let k = particles.len().max(1) as f64;
        let max = log_weights
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        // log (1/K) Σ exp(aₖ), computed around the largest term.
        let log_mean = if max.is_finite() {
            max + log_weights
                .iter()
                .map(|a| (a - max).exp())
                .sum::<f64>()
                .ln()
                - k.ln()
        } else {
            max
        };
        let bound = log_mean / one_minus;
        let mut surrogate = Real::new(0.0);
        if log_mean.is_finite() {
            for (a, part) in log_weights.iter().zip(parts) {
                let weight = (a - log_mean).exp() / k;
                // A particle of weight zero (a log weight of −∞) contributes nothing, and its
                // possibly infinite terms must not turn the sum into NaN.
                if weight > 0.0 {
                    surrogate += part * weight;
                }
            }
        } else {
            surrogate = Real::new(f64::NAN);
        }
        Estimate {
            elbo: bound,
            surrogate: surrogate - surrogate.value() + bound,
            baselines: Baselines {
                elbo: None,
                sites: HashMap::new(),
            },
        }
    }
}
