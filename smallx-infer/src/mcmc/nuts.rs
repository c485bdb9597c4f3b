//! The No-U-Turn Sampler as Stan implements it: multinomial sampling over a trajectory doubled
//! in random directions until the generalised no-U-turn criterion (checked across every merged
//! subtree and between neighbouring subtrees) fails, biased progressive sampling at the top
//! level, divergences at an energy error above 1000, and Stan's warm-up ([`super::adapt`]).

use super::hamiltonian::{
    HamiltonianChain, Metric, Options, Point, hamiltonian_builders, leapfrog,
};
use super::{DrawStats, Kernel, Reports, State};
use crate::grad::GradMode;
use crate::potential::Potential;
use rand::rngs::SmallRng;
use rand_distr::{Distribution as _, Open01};
use smallx_core::{Error, Model, Result};

/// The energy error above which a trajectory counts as divergent (Stan's `max_deltaH`).
const MAX_DELTA_H: f64 = 1000.0;

/// NUTS (Stan's, NumPyro's and PyMC's default sampler), with the defaults of all three:
/// target acceptance 0.8, maximum tree depth 10, a diagonal metric adapted in Stan's windows.
/// Discrete latent sites are refused (condition them, or marginalise them out).
#[derive(Clone, Debug)]
pub struct Nuts<M> {
    model: M,
    max_tree_depth: u32,
    options: Options,
}

impl<M: Model + Sync> Nuts<M> {
    /// NUTS for `model` (conditioned on its data).
    pub fn new(model: M) -> Self {
        Nuts {
            model,
            max_tree_depth: 10,
            options: Options::default(),
        }
    }
    /// The maximum tree depth (default 10: at most 1023 leapfrog steps per draw).
    pub fn max_tree_depth(mut self, depth: u32) -> Self {
        self.max_tree_depth = depth;
        self
    }
    hamiltonian_builders!();
}

/// The trajectory being built: the sampler's running totals.
struct Trajectory<'r> {
    eps: f64,
    h0: f64,
    n_leapfrog: u32,
    sum_metro_prob: f64,
    divergent: bool,
    velocity: &'r mut Vec<f64>,
}

impl<M: Model + Sync> Kernel for Nuts<M> {
    type Model = M;
    type Chain = HamiltonianChain;

    fn model(&self) -> &M {
        &self.model
    }
    fn name(&self) -> &'static str {
        "NUTS"
    }
    fn uses_gradient(&self) -> bool {
        true
    }
    fn grad_mode(&self) -> GradMode {
        self.options.grad_mode
    }
    fn reports(&self) -> Reports {
        Reports::Hamiltonian
    }

    fn check(&self, potential: &Potential<'_, '_, M>) -> Result<()> {
        if self.max_tree_depth == 0 || self.max_tree_depth > 30 {
            return Err(Error::InvalidOption {
                algorithm: "NUTS",
                option: "max_tree_depth",
                value: self.max_tree_depth.to_string(),
                expected: "between 1 and 30",
            });
        }
        self.options.check("NUTS", potential)
    }

    fn start(
        &self,
        potential: &mut Potential<'_, '_, M>,
        state: &mut State,
        warmup: usize,
        rng: &mut SmallRng,
    ) -> Result<HamiltonianChain> {
        HamiltonianChain::start(potential, state, warmup, &self.options, rng)
    }

    fn step(
        &self,
        chain: &mut HamiltonianChain,
        potential: &mut Potential<'_, '_, M>,
        state: &mut State,
        t: usize,
        rng: &mut SmallRng,
    ) -> Result<DrawStats> {
        let (sample, stats) = transition(
            potential,
            &chain.adapter.metric,
            &chain.z,
            chain.adapter.step_size,
            self.max_tree_depth,
            &mut chain.velocity,
            rng,
        )?;
        chain.z = sample;
        chain.finish(potential, state, stats.accept_prob, t, rng)?;
        Ok(stats)
    }
}

fn uniform(rng: &mut SmallRng) -> f64 {
    Open01.sample(rng)
}

fn log_sum_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The generalised no-U-turn criterion: the trajectory keeps going while both ends' sharp
/// momenta point along the summed momentum `rho`.
fn criterion(p_sharp_minus: &[f64], p_sharp_plus: &[f64], rho: &[f64]) -> bool {
    dot(p_sharp_plus, rho) > 0.0 && dot(p_sharp_minus, rho) > 0.0
}

/// The criterion for the momentum sum `rho + extra`, summed element by element inside the dot
/// products (the same arithmetic as forming the sum first, without a vector for it).
fn criterion_extended(
    p_sharp_minus: &[f64],
    p_sharp_plus: &[f64],
    rho: &[f64],
    extra: &[f64],
) -> bool {
    let dot_sum = |p: &[f64]| -> f64 {
        p.iter()
            .zip(rho.iter().zip(extra))
            .map(|(p, (r, e))| p * (r + e))
            .sum()
    };
    dot_sum(p_sharp_plus) > 0.0 && dot_sum(p_sharp_minus) > 0.0
}

/// One NUTS transition from `z0`.
fn transition<M: Model>(
    potential: &Potential<'_, '_, M>,
    metric: &Metric,
    z0: &Point,
    eps: f64,
    max_depth: u32,
    velocity: &mut Vec<f64>,
    rng: &mut SmallRng,
) -> Result<(Point, DrawStats)> {
    let d = z0.q.len();
    let mut z = z0.clone();
    metric.sample_momentum(&mut z.p, rng);
    let h0 = z.hamiltonian(metric);
    let mut p_sharp0 = vec![0.0; d];
    metric.velocity(&z.p, &mut p_sharp0);

    let mut z_fwd = z.clone();
    let mut z_bck = z.clone();
    let mut z_sample = z.clone();

    let (mut p_fwd_fwd, mut p_sharp_fwd_fwd) = (z.p.clone(), p_sharp0.clone());
    let (mut p_fwd_bck, mut p_sharp_fwd_bck) = (z.p.clone(), p_sharp0.clone());
    let (mut p_bck_fwd, mut p_sharp_bck_fwd) = (z.p.clone(), p_sharp0.clone());
    let (mut p_bck_bck, mut p_sharp_bck_bck) = (z.p.clone(), p_sharp0);
    let mut rho = z.p.clone();
    let mut log_sum_weight = 0.0;

    let mut traj = Trajectory {
        eps,
        h0,
        n_leapfrog: 0,
        sum_metro_prob: 0.0,
        divergent: false,
        velocity,
    };
    let mut depth = 0;
    while depth < max_depth {
        let mut rho_fwd = vec![0.0; d];
        let mut rho_bck = vec![0.0; d];
        let mut log_sum_weight_subtree = f64::NEG_INFINITY;
        let mut z_propose = z.clone();
        let valid = if uniform(rng) > 0.5 {
            let mut edge = z_fwd.clone();
            rho_bck.clone_from(&rho);
            p_bck_fwd.clone_from(&p_fwd_bck);
            p_sharp_bck_fwd.clone_from(&p_sharp_fwd_bck);
            let valid = build_tree(
                potential,
                metric,
                &mut traj,
                &mut edge,
                depth,
                1.0,
                &mut z_propose,
                &mut p_sharp_fwd_bck,
                &mut p_sharp_fwd_fwd,
                &mut rho_fwd,
                &mut p_fwd_bck,
                &mut p_fwd_fwd,
                &mut log_sum_weight_subtree,
                rng,
            )?;
            z_fwd = edge;
            valid
        } else {
            let mut edge = z_bck.clone();
            rho_fwd.clone_from(&rho);
            p_fwd_bck.clone_from(&p_bck_fwd);
            p_sharp_fwd_bck.clone_from(&p_sharp_bck_fwd);
            let valid = build_tree(
                potential,
                metric,
                &mut traj,
                &mut edge,
                depth,
                -1.0,
                &mut z_propose,
                &mut p_sharp_bck_fwd,
                &mut p_sharp_bck_bck,
                &mut rho_bck,
                &mut p_bck_fwd,
                &mut p_bck_bck,
                &mut log_sum_weight_subtree,
                rng,
            )?;
            z_bck = edge;
            valid
        };
        if !valid {
            break;
        }
        depth += 1;
        // Biased progressive sampling: prefer the new subtree.
        if log_sum_weight_subtree > log_sum_weight
            || uniform(rng) < (log_sum_weight_subtree - log_sum_weight).exp()
        {
            z_sample = z_propose;
        }
        log_sum_weight = log_sum_exp(log_sum_weight, log_sum_weight_subtree);
        for ((r, b), f) in rho.iter_mut().zip(&rho_bck).zip(&rho_fwd) {
            *r = b + f;
        }
        let mut persist = criterion(&p_sharp_bck_bck, &p_sharp_fwd_fwd, &rho);
        persist &= criterion_extended(&p_sharp_bck_bck, &p_sharp_fwd_bck, &rho_bck, &p_fwd_bck);
        persist &= criterion_extended(&p_sharp_bck_fwd, &p_sharp_fwd_fwd, &rho_fwd, &p_bck_fwd);
        if !persist {
            break;
        }
    }
    let n = traj.n_leapfrog.max(1);
    let stats = DrawStats {
        accepted: z_sample.q != z0.q,
        accept_prob: traj.sum_metro_prob / n as f64,
        diverging: traj.divergent,
        tree_depth: depth,
        n_steps: traj.n_leapfrog,
        step_size: eps,
        energy: z_sample.hamiltonian(metric),
        invalid: false,
    };
    Ok((z_sample, stats))
}

/// Build a subtree of `2^depth` leapfrog steps from `z` in direction `sign`, as Stan's
/// `build_tree`: returns whether it is valid (no divergence, no U-turn inside).
#[allow(clippy::too_many_arguments)]
fn build_tree<M: Model>(
    potential: &Potential<'_, '_, M>,
    metric: &Metric,
    traj: &mut Trajectory<'_>,
    z: &mut Point,
    depth: u32,
    sign: f64,
    z_propose: &mut Point,
    p_sharp_beg: &mut [f64],
    p_sharp_end: &mut [f64],
    rho: &mut [f64],
    p_beg: &mut [f64],
    p_end: &mut [f64],
    log_sum_weight: &mut f64,
    rng: &mut SmallRng,
) -> Result<bool> {
    let d = z.q.len();
    if depth == 0 {
        leapfrog(potential, metric, z, sign * traj.eps, traj.velocity)?;
        traj.n_leapfrog += 1;
        let h = z.hamiltonian(metric);
        if h - traj.h0 > MAX_DELTA_H || h.is_infinite() {
            traj.divergent = true;
        }
        *log_sum_weight = log_sum_exp(*log_sum_weight, traj.h0 - h);
        traj.sum_metro_prob += if traj.h0 - h > 0.0 {
            1.0
        } else {
            (traj.h0 - h).exp()
        };
        z_propose.clone_from(z);
        metric.velocity(&z.p, p_sharp_beg);
        p_sharp_end.copy_from_slice(p_sharp_beg);
        for (r, p) in rho.iter_mut().zip(&z.p) {
            *r += p;
        }
        p_beg.copy_from_slice(&z.p);
        p_end.copy_from_slice(&z.p);
        return Ok(!traj.divergent);
    }
    // The first half.
    let mut log_sum_weight_init = f64::NEG_INFINITY;
    let mut p_init_end = vec![0.0; d];
    let mut p_sharp_init_end = vec![0.0; d];
    let mut rho_init = vec![0.0; d];
    if !build_tree(
        potential,
        metric,
        traj,
        z,
        depth - 1,
        sign,
        z_propose,
        p_sharp_beg,
        &mut p_sharp_init_end,
        &mut rho_init,
        p_beg,
        &mut p_init_end,
        &mut log_sum_weight_init,
        rng,
    )? {
        return Ok(false);
    }
    // The second half.
    let mut z_propose_final = z.clone();
    let mut log_sum_weight_final = f64::NEG_INFINITY;
    let mut p_final_beg = vec![0.0; d];
    let mut p_sharp_final_beg = vec![0.0; d];
    let mut rho_final = vec![0.0; d];
    if !build_tree(
        potential,
        metric,
        traj,
        z,
        depth - 1,
        sign,
        &mut z_propose_final,
        &mut p_sharp_final_beg,
        p_sharp_end,
        &mut rho_final,
        &mut p_final_beg,
        p_end,
        &mut log_sum_weight_final,
        rng,
    )? {
        return Ok(false);
    }
    // Multinomial sample between the halves.
    let log_sum_weight_subtree = log_sum_exp(log_sum_weight_init, log_sum_weight_final);
    *log_sum_weight = log_sum_exp(*log_sum_weight, log_sum_weight_subtree);
    if log_sum_weight_final > log_sum_weight_subtree
        || uniform(rng) < (log_sum_weight_final - log_sum_weight_subtree).exp()
    {
        *z_propose = z_propose_final;
    }
    let mut persist = criterion_extended(p_sharp_beg, &p_sharp_final_beg, &rho_init, &p_final_beg);
    persist &= criterion_extended(&p_sharp_init_end, p_sharp_end, &rho_final, &p_init_end);
    // The subtree's momentum sum, formed in place in `rho_init`.
    for (i, f) in rho_init.iter_mut().zip(&rho_final) {
        *i += f;
    }
    for (r, s) in rho.iter_mut().zip(&rho_init) {
        *r += s;
    }
    Ok(persist && criterion(p_sharp_beg, p_sharp_end, &rho_init))
}
