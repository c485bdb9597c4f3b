//! Random-walk Metropolis in the unconstrained space of the continuous latent sites: the
//! builder users know, running [`MetropolisKernel`] on the shared [`Mcmc`] driver.

pub use crate::init::Init;
pub use crate::mcmc::DiscreteProposal;
use crate::mcmc::{Mcmc, MetropolisKernel};
use crate::samples::Samples;
use smallx_core::{Model, Result};

/// Random-walk Metropolis over every continuous latent site, in unconstrained space.
///
/// **Adaptation** (warm-up only, so the kept draws come from a fixed Markov kernel): the
/// proposal is `N(0, λ² Σ)`. `Σ` starts as the identity; from 20% of the warm-up on, it is
/// re-estimated at 40%, 60% and 80% of the warm-up as `2.38²/d` times the covariance of the
/// warm-up draws since 10% (the optimal-scaling proposal for random-walk Metropolis: Roberts,
/// Gelman and Gilks 1997; Haario, Saksman and Tamminen 2001). `λ` follows a Robbins–Monro
/// recursion `log λ += (t + 1)^(−0.6) (α − 0.234)` toward the optimal acceptance rate 0.234.
/// Compared with PyMC's step-size table, this learns the posterior's scales and correlations,
/// which gives more effective samples per iteration on correlated or unevenly scaled posteriors.
///
/// Discrete latent sites are refused unless given a [`DiscreteProposal`]; each iteration then
/// also proposes every such site in turn.
pub struct Metropolis<M> {
    mcmc: Mcmc<MetropolisKernel<M>>,
}

impl<M: Model + Sync> Metropolis<M> {
    /// Metropolis for `model` (conditioned on its data): 1000 warm-up iterations, 1000 kept
    /// draws, one chain, started from the prior.
    pub fn new(model: M) -> Self {
        Metropolis {
            mcmc: Mcmc::new(MetropolisKernel::new(model)),
        }
    }
    /// Warm-up (burn-in and tuning) iterations, discarded.
    pub fn warmup(self, n: usize) -> Self {
        self.driver(|m| m.warmup(n))
    }
    /// Draws kept per chain (at least 1).
    pub fn samples(self, n: usize) -> Self {
        self.driver(|m| m.samples(n))
    }
    /// Keep every `k`-th iteration after warm-up (at least 1).
    pub fn thin(self, k: usize) -> Self {
        self.driver(|m| m.thin(k))
    }
    /// Run `n` chains (at least 1) in parallel threads, each with its own seed derived from
    /// the seed.
    pub fn chains(self, n: usize) -> Self {
        self.driver(|m| m.chains(n))
    }
    /// The seed.
    pub fn seed(self, seed: u64) -> Self {
        self.driver(|m| m.seed(seed))
    }
    /// Where chains start.
    pub fn init(self, init: Init) -> Self {
        self.driver(|m| m.init(init))
    }
    /// Show a progress bar (default on; hidden when standard error is not a terminal).
    pub fn progress(self, show: bool) -> Self {
        self.driver(|m| m.progress(show))
    }
    /// The initial proposal standard deviation of every unconstrained coordinate.
    pub fn initial_scale(self, scale: f64) -> Self {
        self.driver(|m| m.map_kernel(|k| k.initial_scale(scale)))
    }
    /// The acceptance rate the warm-up aims for (default 0.234, optimal as the dimension grows;
    /// low-dimensional targets do a little better higher, 0.44 being optimal in one dimension).
    pub fn target_accept(self, rate: f64) -> Self {
        self.driver(|m| m.map_kernel(|k| k.target_accept(rate)))
    }
    /// Propose the discrete site `name` with `proposal`.
    pub fn discrete_proposal(self, name: &str, proposal: DiscreteProposal) -> Self {
        self.driver(|m| m.map_kernel(|k| k.discrete_proposal(name, proposal)))
    }

    fn driver(
        self,
        f: impl FnOnce(Mcmc<MetropolisKernel<M>>) -> Mcmc<MetropolisKernel<M>>,
    ) -> Self {
        Metropolis { mcmc: f(self.mcmc) }
    }

    /// Run the chains.
    pub fn run(&self, args: &M::Args<'_>) -> Result<Samples>
    where
        for<'a> M::Args<'a>: Sync,
    {
        self.mcmc.run(args)
    }
}
