//! Random-walk Metropolis as a kernel: adaptive Gaussian proposals in the unconstrained space
//! of the continuous sites, and optional proposals for discrete sites.

use super::{DrawStats, Kernel, Reports, State};
use crate::potential::Potential;
use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution as _, Open01, StandardNormal};
use smallx_core::{Constraint, Error, Model, Result, Value};

/// How a discrete latent site is proposed. Both proposals are symmetric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DiscreteProposal {
    /// A value drawn uniformly from the site's finite support (booleans, integer intervals).
    Uniform,
    /// The current value plus a uniform step in `−k..=k` without 0 (integers).
    RandomWalk(i64),
}

/// The random-walk Metropolis kernel; [`crate::Metropolis`] is its builder with the driver's
/// options, and its documentation describes the adaptation.
#[derive(Clone, Debug)]
pub struct MetropolisKernel<M> {
    model: M,
    initial_scale: f64,
    target_accept: f64,
    discrete: Vec<(String, DiscreteProposal)>,
}

impl<M: Model + Sync> MetropolisKernel<M> {
    /// Initial proposal scale 0.1, target acceptance 0.234, no discrete proposals.
    pub fn new(model: M) -> Self {
        MetropolisKernel {
            model,
            initial_scale: 0.1,
            target_accept: 0.234,
            discrete: Vec::new(),
        }
    }
    /// The initial proposal standard deviation of every unconstrained coordinate.
    pub fn initial_scale(mut self, scale: f64) -> Self {
        self.initial_scale = scale;
        self
    }
    /// The acceptance rate the warm-up aims for.
    pub fn target_accept(mut self, rate: f64) -> Self {
        self.target_accept = rate;
        self
    }
    /// Propose the discrete site `name` with `proposal`.
    pub fn discrete_proposal(mut self, name: &str, proposal: DiscreteProposal) -> Self {
        self.discrete.push((name.to_string(), proposal));
        self
    }

    fn proposals(&self, potential: &Potential<'_, '_, M>) -> Result<Vec<DiscreteProposal>> {
        potential
            .space()
            .discrete()
            .map(|site| {
                let proposal = self.discrete.iter().find(|(n, _)| *n == site.name).map(|(_, p)| *p).ok_or_else(|| {
                    Error::Unsupported {
                        algorithm: "Metropolis",
                        site: site.name.clone(),
                        detail: format!(
                            "the site is discrete (support {}), and random-walk Metropolis moves continuous sites only; give it a proposal with `.discrete_proposal(\"{}\", DiscreteProposal::Uniform)`, or marginalise it out",
                            site.support, site.name
                        ),
                    }
                })?;
                if proposal == DiscreteProposal::Uniform && !matches!(site.support, Constraint::Boolean | Constraint::IntegerInterval(..)) {
                    return Err(Error::Unsupported {
                        algorithm: "Metropolis",
                        site: site.name.clone(),
                        detail: format!("a uniform proposal needs a finite support, and {} is not; use DiscreteProposal::RandomWalk", site.support),
                    });
                }
                Ok(proposal)
            })
            .collect()
    }
}

/// A chain's adaptation state.
pub struct MetropolisChain {
    proposals: Vec<DiscreteProposal>,
    warmup: usize,
    chol: DMatrix<f64>,
    log_lambda: f64,
    adapt_from: usize,
    updates: [usize; 4],
    mean: DVector<f64>,
    m2: DMatrix<f64>,
    count: f64,
    delta: DVector<f64>,
    delta_after: DVector<f64>,
    proposal: Vec<f64>,
    z: Vec<f64>,
}

impl<M: Model + Sync> Kernel for MetropolisKernel<M> {
    type Model = M;
    type Chain = MetropolisChain;

    fn model(&self) -> &M {
        &self.model
    }
    fn name(&self) -> &'static str {
        "Metropolis"
    }
    fn uses_gradient(&self) -> bool {
        false
    }
    fn reports(&self) -> Reports {
        Reports::Acceptance
    }

    fn check(&self, potential: &Potential<'_, '_, M>) -> Result<()> {
        if !(self.initial_scale.is_finite() && self.initial_scale > 0.0) {
            return Err(Error::Config {
                algorithm: "Metropolis",
                detail: format!(
                    "initial_scale must be positive and finite, got {}",
                    self.initial_scale
                ),
            });
        }
        if !(self.target_accept > 0.0 && self.target_accept < 1.0) {
            return Err(Error::Config {
                algorithm: "Metropolis",
                detail: format!(
                    "target_accept must be in (0, 1), got {}",
                    self.target_accept
                ),
            });
        }
        for (name, _) in &self.discrete {
            if potential.space().get(name).is_none_or(|s| !s.is_discrete()) {
                return Err(Error::UnknownSite {
                    handler: "Metropolis::discrete_proposal",
                    name: name.clone(),
                    known: potential
                        .space()
                        .discrete()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        self.proposals(potential).map(|_| ())
    }

    fn start(
        &self,
        potential: &mut Potential<'_, '_, M>,
        _state: &mut State,
        warmup: usize,
        _rng: &mut SmallRng,
    ) -> Result<MetropolisChain> {
        let d = potential.dim();
        Ok(MetropolisChain {
            proposals: self.proposals(potential)?,
            warmup,
            chol: DMatrix::<f64>::identity(d, d) * self.initial_scale,
            log_lambda: 0.0,
            adapt_from: warmup / 10,
            updates: [2, 4, 6, 8].map(|k| warmup * k / 10),
            mean: DVector::zeros(d),
            m2: DMatrix::zeros(d, d),
            count: 0.0,
            delta: DVector::zeros(d),
            delta_after: DVector::zeros(d),
            proposal: vec![0.0; d],
            z: vec![0.0; d],
        })
    }

    fn step(
        &self,
        c: &mut MetropolisChain,
        potential: &mut Potential<'_, '_, M>,
        state: &mut State,
        t: usize,
        rng: &mut SmallRng,
    ) -> Result<DrawStats> {
        let d = potential.dim();
        let mut stats = DrawStats::default();
        // A NaN density (for example far outside the typical set) or a parameter out of its
        // range there (a scale that underflowed to 0) is a rejected move.
        let log_density = |p: &mut Potential<'_, '_, M>, u: &[f64]| match p.log_density(u) {
            Err(Error::NonFinite { .. } | Error::InvalidDistribution { .. }) => {
                Ok(f64::NEG_INFINITY)
            }
            other => other,
        };
        if d > 0 {
            for zi in c.z.iter_mut() {
                *zi = StandardNormal.sample(&mut *rng);
            }
            let lambda = c.log_lambda.exp();
            for i in 0..d {
                c.proposal[i] =
                    state.u[i] + lambda * (0..=i).map(|j| c.chol[(i, j)] * c.z[j]).sum::<f64>();
            }
            let lp_new = log_density(potential, &c.proposal)?;
            let alpha = if lp_new.is_nan() {
                0.0
            } else {
                (lp_new - state.log_density).min(0.0).exp()
            };
            stats.accept_prob = alpha;
            let uniform: f64 = Open01.sample(&mut *rng);
            if uniform < alpha {
                stats.accepted = true;
                state.u.copy_from_slice(&c.proposal);
                state.log_density = lp_new;
            }
            if t < c.warmup {
                c.log_lambda += (t as f64 + 1.0).powf(-0.6) * (alpha - self.target_accept);
                if t >= c.adapt_from {
                    // Welford's update of the mean and of Σ (x − mean)(x − mean)ᵀ, in place.
                    c.count += 1.0;
                    for i in 0..d {
                        c.delta[i] = state.u[i] - c.mean[i];
                        c.mean[i] += c.delta[i] / c.count;
                        c.delta_after[i] = state.u[i] - c.mean[i];
                    }
                    c.m2.ger(1.0, &c.delta, &c.delta_after, 1.0);
                }
                if c.updates.contains(&(t + 1)) && c.count > 2.0 * d as f64 {
                    let cov = &c.m2 / (c.count - 1.0) + DMatrix::<f64>::identity(d, d) * 1e-8;
                    if let Some(chol) = cov.cholesky() {
                        c.chol = chol.l() * (2.38 / (d as f64).sqrt());
                        c.log_lambda = 0.0;
                    }
                }
            }
        }
        let sites: Vec<_> = potential.space().discrete().map(|s| s.support).collect();
        for (k, support) in sites.into_iter().enumerate() {
            let current = &potential.discrete()[k];
            let candidate = propose_discrete(current, support, c.proposals[k], rng);
            let saved = potential.discrete().to_vec();
            let mut trial = saved.clone();
            trial[k] = candidate;
            potential.set_discrete(trial);
            let lp_new = log_density(potential, &state.u)?;
            let uniform: f64 = Open01.sample(&mut *rng);
            if uniform.ln() < lp_new - state.log_density {
                state.log_density = lp_new;
            } else {
                potential.set_discrete(saved);
            }
        }
        Ok(stats)
    }
}

fn propose_discrete(
    current: &Value<f64>,
    support: Constraint,
    proposal: DiscreteProposal,
    rng: &mut SmallRng,
) -> Value<f64> {
    match (proposal, support, current) {
        (DiscreteProposal::Uniform, Constraint::Boolean, _) => Value::Bool(rng.next_u32() & 1 == 1),
        (DiscreteProposal::Uniform, Constraint::IntegerInterval(lo, hi), _) => {
            Value::Int(lo + (rng.next_u64() % (hi - lo + 1) as u64) as i64)
        }
        (DiscreteProposal::RandomWalk(k), _, Value::Int(i)) => {
            let k = k.max(1);
            let step = 1 + (rng.next_u64() % k as u64) as i64;
            Value::Int(if rng.next_u32() & 1 == 1 {
                i + step
            } else {
                i - step
            })
        }
        (DiscreteProposal::RandomWalk(_), _, Value::Bool(b)) => Value::Bool(!b),
        (_, _, other) => other.clone(),
    }
}
