//! Random-walk Metropolis as a kernel: adaptive Gaussian proposals in the unconstrained space
//! of the continuous sites, and optional proposals for discrete sites.

use super::adapt::{DualAveraging, Estimator, Windows};
use super::hamiltonian::Metric;
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
    target_accept: Option<f64>,
    discrete: Vec<(String, DiscreteProposal)>,
}

impl<M: Model + Sync> MetropolisKernel<M> {
    /// Initial proposal scale 0.1, target acceptance 0.44 in one dimension and 0.234 in more,
    /// no discrete proposals.
    pub fn new(model: M) -> Self {
        MetropolisKernel {
            model,
            initial_scale: 0.1,
            target_accept: None,
            discrete: Vec::new(),
        }
    }
    /// The initial proposal standard deviation of every unconstrained coordinate.
    pub fn initial_scale(mut self, scale: f64) -> Self {
        self.initial_scale = scale;
        self
    }
    /// The acceptance rate the warm-up aims for (default 0.44 for one unconstrained
    /// coordinate, 0.234 for more).
    pub fn target_accept(mut self, rate: f64) -> Self {
        self.target_accept = Some(rate);
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
    /// The Cholesky factor of the proposal covariance before the scale `λ`.
    chol: DMatrix<f64>,
    /// The scale `λ` the proposal is multiplied by.
    lambda: f64,
    /// Robbins–Monro iterations since the last window ended.
    learned: usize,
    /// The warm-up iteration the scale's adaptation last started again at.
    restarted: usize,
    /// The sum and count of `log λ` over the second half of the iterations since then.
    log_lambda_sum: f64,
    averaged: usize,
    target: f64,
    windows: Windows,
    window: Vec<f64>,
    /// The scale of each coordinate's own moves, and its adaptation (empty when the schedule
    /// adapts nothing).
    coordinate: Vec<(f64, DualAveraging)>,
    /// Whether the warm-up moves one coordinate at a time: until the first window ends, and
    /// for the window after one in which the chain was stuck.
    by_coordinate: bool,
    proposal: Vec<f64>,
    z: Vec<f64>,
}

impl<M: Model + Sync> MetropolisKernel<M> {
    /// The target acceptance rate in `d` dimensions: the one set, else 0.44 for one
    /// coordinate and 0.234 for more.
    fn target_for(&self, d: usize) -> f64 {
        self.target_accept
            .unwrap_or(if d == 1 { 0.44 } else { 0.234 })
    }
}

/// The log-density at a proposed point, or `None` when it cannot be evaluated there: a
/// distribution parameter out of its range (a scale that underflowed to 0), or a log-density
/// that is NaN or `+∞`. Such a proposal is a rejected move, counted in the chain's statistics;
/// any other error stops the run.
fn proposed_log_density<M: Model>(
    potential: &mut Potential<'_, '_, M>,
    u: &[f64],
) -> Result<Option<f64>> {
    match potential.log_density(u) {
        Ok(lp) if lp.is_nan() || lp == f64::INFINITY => Ok(None),
        Ok(lp) => Ok(Some(lp)),
        Err(
            Error::NonFinite { .. } | Error::InvalidDistribution { .. } | Error::Distribution(_),
        ) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The Metropolis test of a symmetric proposal whose log-density is `proposed` (`None` when
/// invalid): on acceptance `state` moves to `proposal`. Returns the acceptance probability.
fn metropolis_test(
    state: &mut State,
    proposal: &[f64],
    proposed: Option<f64>,
    stats: &mut DrawStats,
    rng: &mut SmallRng,
) -> f64 {
    stats.invalid |= proposed.is_none();
    let alpha = proposed.map_or(0.0, |lp| (lp - state.log_density).min(0.0).exp());
    let uniform: f64 = Open01.sample(&mut *rng);
    if let Some(lp) = proposed
        && uniform < alpha
    {
        stats.accepted = true;
        state.u.copy_from_slice(proposal);
        state.log_density = lp;
    }
    alpha
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
        if let Some(rate) = self.target_accept
            && !(rate > 0.0 && rate < 1.0)
        {
            return Err(Error::Config {
                algorithm: "Metropolis",
                detail: format!("target_accept must be in (0, 1), got {rate}"),
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
        let windows = Windows::new(warmup);
        let by_coordinate = windows.enabled();
        Ok(MetropolisChain {
            proposals: self.proposals(potential)?,
            warmup,
            chol: DMatrix::<f64>::identity(d, d) * self.initial_scale,
            lambda: 1.0,
            learned: 0,
            restarted: 0,
            log_lambda_sum: 0.0,
            averaged: 0,
            target: self.target_for(d),
            windows,
            window: Vec::new(),
            coordinate: if by_coordinate {
                vec![(self.initial_scale, DualAveraging::new(0.44, 1.0)); d]
            } else {
                Vec::new()
            },
            by_coordinate,
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
        if d > 0 && t < c.warmup && c.by_coordinate {
            // One coordinate at a time, each with its own scale: fast to find scales that
            // differ by orders of magnitude, far from the posterior.
            let mut sum = 0.0;
            for i in 0..d {
                let z: f64 = StandardNormal.sample(&mut *rng);
                c.proposal.copy_from_slice(&state.u);
                c.proposal[i] += c.coordinate[i].0 * z;
                let lp_new = proposed_log_density(potential, &c.proposal)?;
                let alpha = metropolis_test(state, &c.proposal, lp_new, &mut stats, rng);
                sum += alpha;
                c.coordinate[i].0 = self.initial_scale * c.coordinate[i].1.learn(alpha);
            }
            stats.accept_prob = sum / d as f64;
            self.adapt(c, &state.u, stats.accept_prob, t);
        } else if d > 0 {
            for zi in c.z.iter_mut() {
                *zi = StandardNormal.sample(&mut *rng);
            }
            for i in 0..d {
                c.proposal[i] =
                    state.u[i] + c.lambda * (0..=i).map(|j| c.chol[(i, j)] * c.z[j]).sum::<f64>();
            }
            let lp_new = proposed_log_density(potential, &c.proposal)?;
            let alpha = metropolis_test(state, &c.proposal, lp_new, &mut stats, rng);
            stats.accept_prob = alpha;
            if t < c.warmup {
                self.adapt(c, &state.u, alpha, t);
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
            let lp_new = proposed_log_density(potential, &state.u)?;
            stats.invalid |= lp_new.is_none();
            let uniform: f64 = Open01.sample(&mut *rng);
            match lp_new {
                Some(lp) if uniform.ln() < lp - state.log_density => state.log_density = lp,
                _ => potential.set_discrete(saved),
            }
        }
        Ok(stats)
    }
}

impl<M: Model + Sync> MetropolisKernel<M> {
    /// Learn from warm-up iteration `t`, which ended at `u` with acceptance probability
    /// `alpha`: the scale `λ` by Robbins–Monro; at the end of each window of the schedule, the
    /// covariance of the window's draws, after which `λ`'s adaptation starts again.
    fn adapt(&self, c: &mut MetropolisChain, u: &[f64], alpha: f64, t: usize) {
        let d = u.len();
        if !c.by_coordinate {
            c.learned += 1;
            c.lambda *= ((c.learned as f64).powf(-0.6) * (alpha - c.target)).exp();
            if 2 * (t - c.restarted) >= c.warmup - c.restarted {
                c.log_lambda_sum += c.lambda.ln();
                c.averaged += 1;
            }
        }
        if c.windows.in_window() {
            c.window.extend_from_slice(u);
        }
        if c.windows.window_ends() {
            c.windows.next();
            // The window's second half: its first may still be the way in from a start far
            // from the posterior. An unusable estimate (not finite, or without a Cholesky
            // factor) keeps the previous proposal.
            let mut estimator = Estimator::new(d, true);
            let n = c.window.len() / d;
            let mut moves = 0usize;
            let mut last: Option<&[f64]> = None;
            for x in c.window.chunks(d).skip(n / 2) {
                estimator.add(x);
                moves += usize::from(last.is_some_and(|l| l != x));
                last = Some(x);
            }
            c.window.clear();
            // A window with too few distinct points for a full-rank estimate (the chain was
            // stuck) keeps the previous proposal too.
            let estimate = if moves > d { estimator.metric() } else { None };
            if let Some(Metric::Dense { chol, .. }) = estimate {
                c.chol = chol * (2.38 / (d as f64).sqrt());
            } else if c.by_coordinate {
                c.chol = DMatrix::from_diagonal(&DVector::from_iterator(
                    d,
                    c.coordinate.iter().map(|(s, _)| *s),
                ));
            }
            // A stuck chain (its proposal wrong in some direction) goes back to moving one
            // coordinate at a time for the next window.
            c.by_coordinate = moves <= d && !c.coordinate.is_empty();
            for (scale, dual) in &mut c.coordinate {
                dual.restart(*scale / self.initial_scale);
            }
            c.lambda = 1.0;
            c.learned = 0;
            c.restarted = t + 1;
            c.log_lambda_sum = 0.0;
            c.averaged = 0;
        }
        c.windows.counter += 1;
        // Sampling uses the average of the last iterates (Polyak–Ruppert averaging): the
        // acceptance of a single Metropolis step is a noisy signal.
        if t + 1 == c.warmup && c.averaged > 0 {
            c.lambda = (c.log_lambda_sum / c.averaged as f64).exp();
        }
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
