//! Hamiltonian Monte Carlo with a fixed trajectory length (Pyro's and NumPyro's `HMC`): each
//! iteration draws a momentum, takes `⌈length / ε⌉` leapfrog steps and accepts the end point
//! with the Metropolis probability. Step size and metric adapt as for NUTS.

use super::hamiltonian::{HamiltonianChain, Options, hamiltonian_builders, leapfrog};
use super::{DrawStats, Kernel, Reports, State};
use crate::grad::GradMode;
use crate::potential::Potential;
use rand::rngs::SmallRng;
use rand_distr::{Distribution as _, Open01};
use smallx_core::{Error, Model, Result};

/// The most leapfrog steps one iteration takes (a tiny step size early in the warm-up would
/// otherwise make one iteration arbitrarily long): NUTS's limit at tree depth 10.
const MAX_STEPS: usize = 1023;

/// HMC with a fixed trajectory length (default 2π, NumPyro's), target acceptance 0.8 and a
/// diagonal metric adapted in Stan's windows. Discrete latent sites are refused.
#[derive(Clone, Debug)]
pub struct Hmc<M> {
    model: M,
    trajectory_length: f64,
    options: Options,
}

impl<M: Model + Sync> Hmc<M> {
    /// HMC for `model` (conditioned on its data).
    pub fn new(model: M) -> Self {
        Hmc {
            model,
            trajectory_length: 2.0 * std::f64::consts::PI,
            options: Options::default(),
        }
    }
    /// The integration time per iteration (positive; default 2π). The number of steps is
    /// `⌈length / step size⌉`, at most 1023.
    pub fn trajectory_length(mut self, length: f64) -> Self {
        self.trajectory_length = length;
        self
    }
    hamiltonian_builders!();
}

impl<M: Model + Sync> Kernel for Hmc<M> {
    type Model = M;
    type Chain = HamiltonianChain;

    fn model(&self) -> &M {
        &self.model
    }
    fn name(&self) -> &'static str {
        "HMC"
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
        if !(self.trajectory_length.is_finite() && self.trajectory_length > 0.0) {
            return Err(Error::InvalidOption {
                algorithm: "HMC",
                option: "trajectory_length",
                value: self.trajectory_length.to_string(),
                expected: "positive and finite",
            });
        }
        self.options.check("HMC", potential)
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
        let metric = &chain.adapter.metric;
        let eps = chain.adapter.step_size;
        let steps = ((self.trajectory_length / eps).ceil() as usize).clamp(1, MAX_STEPS);
        let mut z = chain.z.clone();
        metric.sample_momentum(&mut z.p, rng);
        let h0 = z.hamiltonian(metric);
        let mut taken = 0;
        for _ in 0..steps {
            leapfrog(potential, metric, &mut z, eps, &mut chain.velocity)?;
            taken += 1;
            if z.lp == f64::NEG_INFINITY {
                break;
            }
        }
        let h = z.hamiltonian(metric);
        let diverging = h - h0 > 1000.0 || h.is_infinite();
        let accept_prob = if diverging {
            0.0
        } else {
            (h0 - h).exp().min(1.0)
        };
        let u: f64 = Open01.sample(&mut *rng);
        let accepted = u < accept_prob;
        if accepted {
            chain.z = z;
        }
        // Stan's energy: the Hamiltonian of the point kept, with this iteration's momentum.
        let energy = if accepted { h } else { h0 };
        chain.finish(potential, state, accept_prob, t, rng)?;
        Ok(DrawStats {
            accepted,
            accept_prob,
            diverging,
            tree_depth: 0,
            n_steps: taken,
            step_size: eps,
            energy,
            invalid: false,
        })
    }
}
