//! Markov chain Monte Carlo: one driver ([`Mcmc`]) over one interface ([`Kernel`]).
//!
//! The driver runs chains in parallel threads, each with its own seed derived from the
//! run's seed; finds each chain's latent space and initial point through the shared
//! [`Potential`]; runs warm-up and kept iterations (with thinning); records kept points as
//! constrained draws with per-draw sampler statistics; and returns [`Samples`]. A kernel only
//! says how to move from one state to the next (and how it adapts during warm-up):
//! [`MetropolisKernel`], [`Hmc`] and [`Nuts`].
//!
//! ```
//! use smallx::prelude::*;
//! use smallx::infer::{Mcmc, Nuts};
//!
//! #[model]
//! fn scale(guess: f64) -> Real {
//!     let weight = sample!("weight", Normal::new(guess, 1.0));
//!     sample!("measurement", Normal::new(weight, 0.75))
//! }
//!
//! let conditioned = condition(scale, data! { "measurement" => 9.5 });
//! let samples = Mcmc::new(Nuts::new(conditioned))
//!     .warmup(500)
//!     .samples(1000)
//!     .progress(false)
//!     .run(&(8.5,))
//!     .unwrap();
//! let mean = samples.site("weight").unwrap().mean()[0];
//! assert!((mean - 9.14).abs() < 0.1, "{mean}");
//! assert_eq!(samples.divergences(), 0);
//! ```

mod adapt;
mod hamiltonian;
mod hmc;
mod metropolis;
mod nuts;

pub use adapt::MassMatrix;
pub use hamiltonian::HamiltonianChain;
pub use hmc::Hmc;
pub use metropolis::{DiscreteProposal, MetropolisKernel};
pub use nuts::Nuts;

use crate::grad::GradMode;
use crate::init::Init;
use crate::map::Map;
use crate::potential::{Column, Potential};
use crate::progress::Progress;
use crate::samples::Samples;
use crate::seeds::derive;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use smallx_core::{Error, Model, Result};

/// The state of a chain: an unconstrained point, its log-density, and (for gradient-based
/// kernels) the gradient there.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// The unconstrained coordinates.
    pub u: Vec<f64>,
    /// The log-density (with the Jacobian) at `u`.
    pub log_density: f64,
    /// Its gradient at `u` (empty for kernels that do not use it).
    pub grad: Vec<f64>,
}

/// What one iteration of a kernel reports (fields a kernel does not have keep their
/// defaults and are not recorded; see [`Kernel::reports`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DrawStats {
    /// Whether the state moved.
    pub accepted: bool,
    /// The acceptance probability (mean over the trajectory for NUTS).
    pub accept_prob: f64,
    /// Whether the trajectory diverged.
    pub diverging: bool,
    /// NUTS tree depth.
    pub tree_depth: u32,
    /// Leapfrog steps.
    pub n_steps: u32,
    /// Step size.
    pub step_size: f64,
    /// The Hamiltonian at the new state.
    pub energy: f64,
    /// Whether a proposal of the iteration was rejected because the log-density could not be
    /// evaluated there (a distribution parameter out of range, a NaN or `+∞` log-density).
    pub invalid: bool,
}

/// Which statistics a kernel reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reports {
    /// Accepted or not, and the acceptance rate (random-walk kernels).
    Acceptance,
    /// Everything in [`DrawStats`] (Hamiltonian kernels).
    Hamiltonian,
}

/// A transition kernel: how a chain moves, and how it adapts during warm-up.
pub trait Kernel: Sync {
    /// The model it samples.
    type Model: Model + Sync;
    /// The kernel's per-chain state (step size, mass matrix, adaptation).
    type Chain: Send;
    /// The model.
    fn model(&self) -> &Self::Model;
    /// The kernel's name, for messages.
    fn name(&self) -> &'static str;
    /// Whether it needs the gradient of the log-density.
    fn uses_gradient(&self) -> bool;
    /// How gradients are computed (gradient-based kernels).
    fn grad_mode(&self) -> GradMode {
        GradMode::Auto
    }
    /// Which statistics it reports.
    fn reports(&self) -> Reports;
    /// Check the options and the model (for example refuse discrete sites), before any chain
    /// starts its iterations.
    fn check(&self, potential: &Potential<'_, '_, Self::Model>) -> Result<()>;
    /// Start a chain at `state`, which will run `warmup` warm-up iterations.
    fn start(
        &self,
        potential: &mut Potential<'_, '_, Self::Model>,
        state: &mut State,
        warmup: usize,
        rng: &mut SmallRng,
    ) -> Result<Self::Chain>;
    /// One iteration (number `t`; warm-up while `t < warmup`), moving `state` in place.
    fn step(
        &self,
        chain: &mut Self::Chain,
        potential: &mut Potential<'_, '_, Self::Model>,
        state: &mut State,
        t: usize,
        rng: &mut SmallRng,
    ) -> Result<DrawStats>;
}

/// The MCMC driver (NumPyro's `MCMC`): `Mcmc::new(Nuts::new(model)).run(&args)`.
pub struct Mcmc<K> {
    kernel: K,
    warmup: usize,
    samples: usize,
    thin: usize,
    chains: usize,
    seed: u64,
    init: Init,
    progress: bool,
}

impl<K: Kernel> Mcmc<K> {
    /// 1000 warm-up iterations and 1000 kept draws in one chain, seed 0; gradient-based
    /// kernels start from `init_to_uniform(2)` (NumPyro's default), others from a prior draw.
    pub fn new(kernel: K) -> Self {
        let init = if kernel.uses_gradient() {
            Init::Uniform { radius: 2.0 }
        } else {
            Init::Prior
        };
        Mcmc {
            kernel,
            warmup: 1000,
            samples: 1000,
            thin: 1,
            chains: 1,
            seed: 0,
            init,
            progress: true,
        }
    }
    /// Warm-up (tuning) iterations, discarded.
    pub fn warmup(mut self, n: usize) -> Self {
        self.warmup = n;
        self
    }
    /// Draws kept per chain (at least 1; checked when the run starts, as are the other
    /// counts).
    pub fn samples(mut self, n: usize) -> Self {
        self.samples = n;
        self
    }
    /// Keep every `k`-th iteration after warm-up (at least 1).
    pub fn thin(mut self, k: usize) -> Self {
        self.thin = k;
        self
    }
    /// Run `n` chains (at least 1) in parallel threads, each with its own seed.
    pub fn chains(mut self, n: usize) -> Self {
        self.chains = n;
        self
    }
    /// The seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Where chains start ([`crate::init`]).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    /// Show a progress bar for the first chain (default on; hidden when standard error is not
    /// a terminal).
    pub fn progress(mut self, show: bool) -> Self {
        self.progress = show;
        self
    }
    /// The kernel.
    pub fn kernel(&self) -> &K {
        &self.kernel
    }
    /// Change the kernel's options (`mcmc.map_kernel(|k| k.target_accept(0.9))`).
    pub fn map_kernel(mut self, f: impl FnOnce(K) -> K) -> Self {
        self.kernel = f(self.kernel);
        self
    }

    fn validate(&self) -> Result<()> {
        let bad = |detail: String| {
            Err(Error::Config {
                algorithm: self.kernel.name(),
                detail,
            })
        };
        let name = self.kernel.name();
        crate::samples::check_count(name, "samples", self.samples)?;
        if self.chains == 0 {
            return Err(Error::InvalidOption {
                algorithm: name,
                option: "chains",
                value: "0".into(),
                expected: "at least 1",
            });
        }
        if self.thin == 0 {
            return Err(Error::InvalidOption {
                algorithm: name,
                option: "thin",
                value: "0".into(),
                expected: "at least 1 (keep every k-th draw)",
            });
        }
        if self
            .samples
            .checked_mul(self.thin)
            .and_then(|n| n.checked_add(self.warmup))
            .is_none()
        {
            return bad(format!(
                "warmup + samples × thin overflows ({} + {} × {})",
                self.warmup, self.samples, self.thin
            ));
        }
        self.init.validate()
    }

    /// Run the chains.
    pub fn run(&self, args: &<K::Model as Model>::Args<'_>) -> Result<Samples>
    where
        for<'a> <K::Model as Model>::Args<'a>: Sync,
    {
        self.validate()?;
        let init = match &self.init {
            Init::Map => Init::Values(Map::new(self.kernel.model()).run(args)?.point),
            other => other.clone(),
        };
        let chains: Vec<Result<ChainRecord>> = (0..self.chains)
            .into_par_iter()
            .map(|c| self.run_chain(args, c, &init))
            .collect();
        let mut samples = Samples::new(self.chains);
        for (c, chain) in chains.into_iter().enumerate() {
            let chain = chain?;
            push_rows(&mut samples, c, &chain.columns, &chain.flat)?;
            if let Some(stats) = samples.stats_mut(c) {
                *stats = chain.stats;
            }
        }
        crate::predictive::add_deterministic(self.kernel.model(), args, &mut samples, self.seed)?;
        Ok(samples)
    }

    fn run_chain(
        &self,
        args: &<K::Model as Model>::Args<'_>,
        chain: usize,
        init: &Init,
    ) -> Result<ChainRecord> {
        let kernel = &self.kernel;
        let mut rng = SmallRng::seed_from_u64(derive(self.seed, chain as u64));
        let (potential, prior) = Potential::discover(kernel.model(), args, &mut rng)?;
        crate::latent::require_full_data(&prior, kernel.name())?;
        let mut potential = potential.grad_mode(kernel.grad_mode());
        kernel.check(&potential)?;
        let (u, _) = potential.initial_point(init, &prior, kernel.uses_gradient(), &mut rng)?;
        let mut potential = potential.eval_seed(rng.next_u64());
        let mut state = State {
            log_density: f64::NAN,
            grad: vec![0.0; if kernel.uses_gradient() { u.len() } else { 0 }],
            u,
        };
        state.log_density = if kernel.uses_gradient() {
            potential.log_density_and_gradient(&state.u, &mut state.grad)?
        } else {
            potential.log_density(&state.u)?
        };
        let mut kernel_chain = kernel.start(&mut potential, &mut state, self.warmup, &mut rng)?;

        let columns = potential.columns();
        let width: usize = columns.iter().map(|c| c.len).sum();
        let mut record = ChainRecord {
            // Reserved up front when it fits; a huge request grows as draws come.
            flat: Vec::with_capacity(
                self.samples
                    .checked_mul(width)
                    .filter(|&n| n <= 1 << 28)
                    .unwrap_or(0),
            ),
            columns,
            stats: Default::default(),
        };
        let stats = &mut record.stats;
        stats.log_joint.reserve(self.samples.min(1 << 24));
        let reports = kernel.reports();
        let total = self.warmup + self.samples * self.thin;
        let progress = Progress::new(
            total,
            &format!("{} chain {chain}", kernel.name()),
            self.progress && chain == 0,
        );
        let (mut accepted, mut accept_sum, mut divergences) = (0usize, 0.0, 0usize);
        for t in 0..total {
            let draw = kernel.step(&mut kernel_chain, &mut potential, &mut state, t, &mut rng)?;
            if t >= self.warmup {
                accepted += usize::from(draw.accepted);
                accept_sum += draw.accept_prob;
            }
            let kept = t >= self.warmup && (t - self.warmup) % self.thin == self.thin - 1;
            if kept {
                let log_det = potential.record(&state.u, &mut record.flat)?;
                stats.log_joint.push(state.log_density - log_det);
                match reports {
                    Reports::Acceptance => {
                        stats.accepted.push(draw.accepted);
                        stats.invalid.push(draw.invalid);
                    }
                    Reports::Hamiltonian => {
                        divergences += usize::from(draw.diverging);
                        stats.diverging.push(draw.diverging);
                        stats.tree_depth.push(draw.tree_depth);
                        stats.n_steps.push(draw.n_steps);
                        stats.step_size.push(draw.step_size);
                        stats.acceptance.push(draw.accept_prob);
                        stats.energy.push(draw.energy);
                    }
                }
            }
            progress.tick(|| {
                let kept = (t + 1).saturating_sub(self.warmup).max(1) as f64;
                match reports {
                    Reports::Acceptance => format!("accept {:.2}", accepted as f64 / kept),
                    Reports::Hamiltonian => format!(
                        "step {:.2e}, accept {:.2}, divergences {divergences}",
                        draw.step_size,
                        accept_sum / kept
                    ),
                }
            });
        }
        progress.finish();
        let after_warmup = (self.samples * self.thin) as f64;
        stats.accept_rate = match reports {
            Reports::Acceptance if potential.dim() > 0 => accepted as f64 / after_warmup,
            Reports::Acceptance => f64::NAN,
            Reports::Hamiltonian => accept_sum / after_warmup,
        };
        Ok(record)
    }
}

/// Append recorded rows (the numbers [`Potential::record`] writes, one row per draw, column
/// after column) to chain `chain` of `samples`.
pub(crate) fn push_rows(
    samples: &mut Samples,
    chain: usize,
    columns: &[Column],
    flat: &[f64],
) -> Result<()> {
    let width: usize = columns.iter().map(|col| col.len).sum();
    if width > 0 {
        for row in flat.chunks(width) {
            let mut at = 0;
            for col in columns {
                samples.push_numbers(chain, &col.name, col.kind, &row[at..at + col.len])?;
                at += col.len;
            }
        }
    }
    Ok(())
}

/// The kept draws of one chain: one row of numbers per draw, column after column.
struct ChainRecord {
    columns: Vec<Column>,
    flat: Vec<f64>,
    stats: crate::samples::ChainStats,
}
