//! The ELBO whose score-function terms see only the costs downstream of their site
//! (Pyro's `TraceGraph_ELBO`; Schulman et al. 2015, stochastic computation graphs).

use super::{Baselines, Elbo, Estimate, TracePair};
use smallx_core::{Error, Real, Result, Scalar, SiteKind, Trace, TraceSite};
use std::collections::HashMap;

/// The ELBO with Rao-Blackwellised score-function terms (Pyro's `TraceGraph_ELBO`).
///
/// Same value as [`TraceElbo`](crate::TraceElbo); a lower-variance gradient for guides with
/// sites whose draws are not reparameterisable (discrete sites, ...). Each such guide site `a`
/// adds the score term `(cost(a) − b(a)) · ∇ log q(z_a)` where `cost(a)` sums only the terms of
/// `log p(x, z) − log q(z)` that can depend on `z_a`, and `b(a)` is a baseline of its own.
///
/// **Dependency rule.** As Pyro's dense graphs do, a sample site is taken to depend on every
/// sample site before it in program order, except a site it is conditionally independent of:
/// both sit in a plate of the same name, entered separately (each entry of a plate gets its own
/// number, [`PlateFrame::entry`](smallx_core::site::PlateFrame), so a plate entered once per
/// item in a loop, Pyro's sequential `plate`, makes its items independent). Sites of one entry of
/// a plate (a vectorised plate) depend on one another. Then, for a guide site `a`:
///
/// * its guide descendants `D(a)` are `a` and, transitively, every later guide site that
///   depends on one of them;
/// * `cost(a) = Σ_{u ∈ D(a)} (log p(z_u) − log q(z_u)) + Σ_v log p(v)` over the model sites `v`
///   not in `D(a)` that come after some `u ∈ D(a)` in the model's order and depend on it there
///   (observations, typically).
///
/// Terms are scaled as in the log-joint (plates, `scale`, masks). The surrogate's value is
/// the ELBO; `−∇ log q` of a non-reparameterised site (zero in expectation) is left out, as
/// Pyro leaves it out.
///
/// **Baselines.** By default `b(a)` is a decaying average of `cost(a)`: starting at 0,
/// `b ← β·b + (1 − β)·cost(a)` after each particle, β = 0.90 (Pyro's `baseline_beta`); the
/// current particle uses the average before it. [`baseline_value`](Self::baseline_value) fixes
/// a site's baseline instead (Pyro's `baseline_value`), and
/// [`decaying_baseline(false)`](Self::decaying_baseline) turns the average off (baseline 0).
///
/// ```
/// use smallx::prelude::*;
/// use smallx::infer::{Adam, Svi, TraceGraphElbo};
///
/// // A coin z, and one observation centred on +1 or −1 depending on it.
/// #[model]
/// fn model() {
///     let z = sample!("z", Bernoulli::new(0.5));
///     sample!("x", Normal::new(if z { 1.0 } else { -1.0 }, 1.0), obs = 1.5);
/// }
///
/// #[model]
/// fn guide() {
///     let p = param!("p", 0.5, Constraint::Interval(0.0, 1.0));
///     sample!("z", Bernoulli::new(p));
/// }
///
/// let elbo = TraceGraphElbo::new().num_particles(8);
/// let mut svi = Svi::new(model, guide, Adam::new(0.05), elbo).seed(2).progress(false);
/// svi.run(1000, &()).unwrap();
/// // The posterior P(z | x) is 1 / (1 + e⁻³) = 0.953.
/// let p = svi.params().real("p").unwrap();
/// assert!((p - 0.953).abs() < 0.03, "{p}");
/// ```
#[derive(Clone, Debug)]
pub struct TraceGraphElbo {
    particles: usize,
    beta: f64,
    decaying: bool,
    values: HashMap<String, f64>,
}

impl Default for TraceGraphElbo {
    fn default() -> Self {
        TraceGraphElbo {
            particles: 1,
            beta: 0.9,
            decaying: true,
            values: HashMap::new(),
        }
    }
}

impl TraceGraphElbo {
    /// One particle, decaying-average baselines with β = 0.90.
    pub fn new() -> Self {
        Self::default()
    }
    /// Average `n` particles per step.
    pub fn num_particles(mut self, n: usize) -> Self {
        self.particles = n;
        self
    }
    /// The decay β of the average baselines, in `[0, 1)` (checked before the first step).
    pub fn baseline_beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }
    /// Use decaying-average baselines (default) or none.
    pub fn decaying_baseline(mut self, on: bool) -> Self {
        self.decaying = on;
        self
    }
    /// A fixed baseline for the guide site `site`, in place of the decaying average.
    pub fn baseline_value(mut self, site: &str, value: f64) -> Self {
        self.values.insert(site.to_string(), value);
        self
    }
}

/// True when `a` and `b` sit in a plate of the same name entered separately.
fn independent<S: Scalar>(a: &TraceSite<S>, b: &TraceSite<S>) -> bool {
    a.plates.iter().any(|p| {
        b.plates
            .iter()
            .any(|q| q.name == p.name && q.entry != p.entry)
    })
}

/// The positions of `trace`'s sample sites (plates, params and deterministic sites are not
/// part of the dependency graph).
fn sample_positions<S: Scalar, R>(trace: &Trace<S, R>) -> Vec<usize> {
    trace
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == SiteKind::Sample)
        .map(|(i, _)| i)
        .collect()
}

/// `cost(a)` of the guide site at position `a` (see [`TraceGraphElbo`]), in `f64`.
fn downstream_cost<S: Scalar, R>(
    model_trace: &Trace<S, R>,
    guide_trace: &Trace<S>,
    guide_samples: &[usize],
    model_samples: &[usize],
    a: usize,
) -> f64 {
    let sites = guide_trace.sites();
    let mut descendants: Vec<usize> = vec![a];
    for &v in guide_samples.iter().filter(|&&v| v > a) {
        if descendants
            .iter()
            .any(|&u| !independent(&sites[u], &sites[v]))
        {
            descendants.push(v);
        }
    }
    let mut cost = 0.0;
    let mut in_model = Vec::with_capacity(descendants.len());
    for &u in &descendants {
        let g = &sites[u];
        cost -= g.weighted_log_prob().value();
        if let Some(m) = model_trace.get(&g.name) {
            cost += m.weighted_log_prob().value();
        }
        if let Some(pos) = model_trace.iter().position(|m| m.name == g.name) {
            in_model.push(pos);
        }
    }
    let model_sites = model_trace.sites();
    for &v in model_samples {
        let m = &model_sites[v];
        if in_model.contains(&v) || descendants.iter().any(|&u| sites[u].name == m.name) {
            continue;
        }
        if in_model
            .iter()
            .any(|&u| u < v && !independent(&model_sites[u], m))
        {
            cost += m.weighted_log_prob().value();
        }
    }
    cost
}

impl Elbo for TraceGraphElbo {
    fn num_particles(&self) -> usize {
        self.particles
    }

    fn check(&self) -> Result<()> {
        super::check_particles("TraceGraphElbo", self.particles)?;
        if !(0.0..1.0).contains(&self.beta) {
            return Err(Error::Config {
                algorithm: "TraceGraphElbo",
                detail: format!("baseline_beta must be in [0, 1), got {}", self.beta),
            });
        }
        if let Some((site, v)) = self.values.iter().find(|(_, v)| !v.is_finite()) {
            return Err(Error::Config {
                algorithm: "TraceGraphElbo",
                detail: format!("the baseline value of site `{site}` is not finite: {v}"),
            });
        }
        Ok(())
    }

    fn estimate<S: Scalar, R>(
        &self,
        particles: &[TracePair<S, R>],
        baselines: &Baselines,
    ) -> Estimate<S> {
        let mut averages = baselines.sites.clone();
        let mut total = Real::new(0.0);
        let mut plain = 0.0;
        for (model_trace, guide_trace) in particles {
            let guide_samples = sample_positions(guide_trace);
            let model_samples = sample_positions(model_trace);
            let mut part = model_trace.log_joint();
            let mut value = part.value();
            let mut score = Real::new(0.0);
            for &a in &guide_samples {
                let g = &guide_trace.sites()[a];
                let lq = g.weighted_log_prob();
                value -= lq.value();
                if !(g.is_latent() && g.dist.as_ref().is_some_and(|d| !d.has_rsample())) {
                    part -= lq;
                    continue;
                }
                let cost =
                    downstream_cost(model_trace, guide_trace, &guide_samples, &model_samples, a);
                let baseline = match self.values.get(&g.name) {
                    Some(&b) => b,
                    None if self.decaying => {
                        let avg = averages.entry(g.name.clone()).or_insert(0.0);
                        let b = *avg;
                        if cost.is_finite() {
                            *avg = self.beta * b + (1.0 - self.beta) * cost;
                        }
                        b
                    }
                    None => 0.0,
                };
                score += (lq - lq.value()) * (cost - baseline);
            }
            plain += value;
            total += part - part.value() + value + score;
        }
        let n = particles.len().max(1) as f64;
        Estimate {
            elbo: plain / n,
            surrogate: total / n,
            baselines: Baselines {
                elbo: None,
                sites: averages,
            },
        }
    }
}
