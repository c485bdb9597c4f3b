//! Random-walk Metropolis in the unconstrained space of the continuous latent sites: the
//! builder users know, running [`MetropolisKernel`] on the shared [`Mcmc`] driver.

pub use crate::init::Init;
pub use crate::mcmc::DiscreteProposal;
use crate::mcmc::{Mcmc, MetropolisKernel};
use crate::samples::Samples;
use smallx_core::{Model, Result};

/// Random-walk Metropolis over every continuous latent site, in unconstrained space.
///
/// **Adaptation** (warm-up only, so the kept draws come from a fixed Markov kernel), in the
/// windows Stan uses for NUTS (an initial buffer of 75 iterations, windows of 25, 50, 100, …,
/// a final buffer of 50; scaled down for short warm-ups):
///
/// * until the first window ends, each iteration moves one coordinate at a time (`d`
///   evaluations of the log-density instead of one), each with its own scale learnt by dual
///   averaging toward acceptance 0.44: scales that differ by orders of magnitude are found in
///   a few dozen iterations, even far from the posterior;
/// * at the end of each window the proposal becomes `N(0, λ² · 2.38²/d · Σ)`, `Σ` the
///   covariance of the second half of the window's draws (the first may still be the way in),
///   regularised as Stan regularises its metric (`n/(n+5)·S + 10⁻³·5/(n+5)·I`): the
///   optimal-scaling proposal of Roberts, Gelman and Gilks 1997 and Haario, Saksman and
///   Tamminen 2001, estimated afresh in each window instead of from every draw since the start;
///   a window in which the chain hardly moved (no more distinct points than dimensions) keeps
///   the previous proposal and goes back to coordinate moves for the next window;
/// * `λ` starts again at 1 after each window and follows a Robbins–Monro recursion
///   `log λ += k^(−0.6) (α − target)` toward the target acceptance (0.44 for one coordinate,
///   0.234 for more); sampling uses the average of `log λ` over the second half of the final
///   buffer.
///
/// A proposal at which the model cannot be evaluated (a distribution parameter out of range, a
/// NaN or `+∞` log-density) is a rejected move, counted per chain in
/// [`ChainStats::invalid`](crate::ChainStats::invalid); the summary warns when such proposals
/// are more than half of a chain's kept iterations. Any other error stops the run.
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
    /// The acceptance rate the warm-up aims for (default 0.44 for one unconstrained
    /// coordinate, optimal in one dimension, and 0.234 for more, optimal as the dimension
    /// grows).
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
