//! Stein variational gradient descent (Liu and Wang 2016), with the semantics of Pyro's
//! `pyro.infer.SVGD`.
//!
//! A set of `N` particles in the unconstrained latent space of the shared [`Potential`] moves
//! under the Stein force: every step evaluates `∇ log p(x_j)` at each particle (in parallel
//! threads), then
//!
//! `φ(x_i) = (1/N) Σ_j [k(x_j, x_i) ∇log p(x_j) + ∇_{x_j} k(x_j, x_i)]`,
//!
//! a kernel-weighted pull towards high density plus a repulsion that keeps the particles apart,
//! and hands `−φ` to the optimiser (over the flat `N × d` vector of particles) as the gradient
//! of a loss to minimise. The particles approximate the posterior: [`Svgd::samples`] returns
//! them as one chain of constrained draws.
//!
//! From the same initial particles ([`Svgd::init_particles`]) smallx's SVGD and Pyro's
//! compute the same steps: the same kernels and median heuristic, the force divided by `N`,
//! Adam with torch's defaults. One difference is deliberate: for a model with several latent
//! sites, Pyro reshapes its latent vector (the sites one after the other) into `N` rows that
//! then hold coordinates of different particles, while each of smallx's particles keeps its
//! own coordinates.

mod kernel;

pub use kernel::{ImqKernel, RbfKernel, SteinKernel, median_bandwidths};

use crate::callbacks::{Callback, Control, RunReport, StepInfo};
use crate::grad::GradMode;
use crate::init::Init;
use crate::mcmc::push_rows;
use crate::optim::Optimizer;
use crate::potential::Potential;
use crate::progress::Progress;
use crate::samples::Samples;
use crate::seeds::derive;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution as _, Uniform};
use rayon::prelude::*;
use smallx_core::{Constraint, Error, Model, ParamStore, Result, Trace, Value};

/// The name of the particles in [`Svgd::params`] (Pyro's `svgd_particles`).
pub const PARTICLES: &str = "svgd_particles";

/// How the kernel enters the Stein force (Pyro's `mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SteinMode {
    /// Each coordinate with its own one-dimensional kernel factor (Pyro's default,
    /// "univariate" test functions of Singhal et al.'s kernelized complete conditional Stein
    /// discrepancy).
    #[default]
    Univariate,
    /// The product of the factors over all coordinates, one kernel per pair of particles
    /// (Liu and Wang's original SVGD).
    Multivariate,
}

/// The most particles a run takes: each step allocates several `N × d` vectors, and the
/// kernel's work grows as `N²`.
const MAX_PARTICLES: usize = isize::MAX as usize / 64;

/// What one step reports ([`Svgd::history`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SvgdStep {
    /// The mean log-density (with the log-Jacobian, in unconstrained space) of the particles
    /// before the step; [`Svgd::step`] returns its negative.
    pub mean_log_density: f64,
    /// The size of the Stein force before the step: `√((1/N) Σ_i ‖φ(x_i)‖²)`; near 0 when
    /// the particles have settled.
    pub force_norm: f64,
}

/// Stein variational gradient descent: `Svgd::new(model, RbfKernel::new(), Adam::new(0.05))`.
///
/// The particles start where the [`Init`] strategy puts them, each with its own seed (default
/// a prior draw per particle, as Pyro's `init_to_sample`); a strategy that puts every particle
/// at the same point (`init_to_feasible`, `Init::Map`) is refused, as SVGD cannot separate
/// identical particles. The model's latent sites must be continuous and its plates
/// not subsampled.
///
/// ```
/// use smallx::prelude::*;
/// use smallx::infer::{Adam, RbfKernel, Svgd};
///
/// #[model]
/// fn scale(guess: f64) -> Real {
///     let weight = sample!("weight", Normal::new(guess, 1.0));
///     sample!("measurement", Normal::new(weight, 0.75))
/// }
///
/// let conditioned = condition(scale, data! { "measurement" => 9.5 });
/// let mut svgd = Svgd::new(conditioned, RbfKernel::new(), Adam::new(0.05))
///     .num_particles(50)
///     .seed(0)
///     .progress(false);
/// svgd.run(500, &(8.5,)).unwrap();
/// let samples = svgd.samples(&(8.5,)).unwrap();
/// let mean = samples.site("weight").unwrap().mean()[0];
/// assert!((mean - 9.14).abs() < 0.05, "{mean}");
/// ```
pub struct Svgd<M, K, O> {
    model: M,
    kernel: K,
    optim: O,
    num_particles: usize,
    mode: SteinMode,
    init: Init,
    init_particles: Option<Vec<f64>>,
    seed: u64,
    progress: bool,
    grad_mode: GradMode,
    store: ParamStore,
    dim: usize,
    history: Vec<SvgdStep>,
    losses: Vec<f64>,
}

impl<M, K, O> Svgd<M, K, O>
where
    M: Model + Sync,
    K: SteinKernel,
    O: Optimizer,
{
    /// SVGD for `model` (conditioned on its data) with `kernel` and `optim`: 100 particles,
    /// univariate mode, prior draws as the initial particles, seed 0.
    pub fn new(model: M, kernel: K, optim: O) -> Self {
        Svgd {
            model,
            kernel,
            optim,
            num_particles: 100,
            mode: SteinMode::Univariate,
            init: Init::Prior,
            init_particles: None,
            seed: 0,
            progress: true,
            grad_mode: GradMode::Auto,
            store: ParamStore::new(),
            dim: 0,
            history: Vec::new(),
            losses: Vec::new(),
        }
    }
    /// The number of particles (at least 2, as in Pyro).
    pub fn num_particles(mut self, n: usize) -> Self {
        self.num_particles = n;
        self
    }
    /// Univariate (default) or multivariate kernel.
    pub fn mode(mut self, mode: SteinMode) -> Self {
        self.mode = mode;
        self
    }
    /// Where the particles start ([`crate::init`]); each particle draws with its own seed.
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    /// Start from these particles instead of drawing them (Pyro users set the
    /// `svgd_particles` parameter before the first step for this): unconstrained
    /// coordinates, particle after particle (`num_particles × d` values, in the order of
    /// [`particles`](Svgd::particles)), taken at the first step in place of
    /// [`init`](Svgd::init). The first step refuses particles whose count is not
    /// `num_particles × d` (naming both), a value that is not finite, and a coordinate in which
    /// every particle has the same value.
    ///
    /// ```
    /// use smallx::prelude::*;
    /// use smallx::infer::{Adam, RbfKernel, Svgd};
    ///
    /// #[model]
    /// fn location() {
    ///     sample!("loc", Normal::new(0.0, 1.0));
    /// }
    ///
    /// let start = vec![-1.5, -0.5, 0.5, 1.5];
    /// let mut svgd = Svgd::new(location, RbfKernel::new(), Adam::new(0.05))
    ///     .num_particles(4)
    ///     .init_particles(start.clone())
    ///     .progress(false);
    /// svgd.step(&()).unwrap();
    /// assert_eq!(svgd.particles().len(), 4);
    /// assert!(svgd.particles()[0] > start[0]); // pulled towards the mode
    ///
    /// // Three values for four particles of one coordinate: an error at the first step.
    /// let mut wrong = Svgd::new(location, RbfKernel::new(), Adam::new(0.05))
    ///     .num_particles(4)
    ///     .init_particles(vec![0.0, 1.0, 2.0]);
    /// let msg = wrong.step(&()).unwrap_err().to_string();
    /// assert!(msg.contains("expected 4 × 1 = 4"), "{msg}");
    /// ```
    pub fn init_particles(mut self, particles: Vec<f64>) -> Self {
        self.init_particles = Some(particles);
        self
    }
    /// The seed of the initial particles.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Show a progress bar in [`run`](Svgd::run) (default on; hidden anyway when standard
    /// error is not a terminal).
    pub fn progress(mut self, show: bool) -> Self {
        self.progress = show;
        self
    }
    /// How gradients are computed (default [`GradMode::Auto`]).
    pub fn grad_mode(mut self, mode: GradMode) -> Self {
        self.grad_mode = mode;
        self
    }
    /// The kernel.
    pub fn kernel(&self) -> &K {
        &self.kernel
    }
    /// The kernel, to change it between steps (for example its bandwidth factor).
    pub fn kernel_mut(&mut self) -> &mut K {
        &mut self.kernel
    }
    /// The particles in unconstrained coordinates, particle after particle (`N × d`); empty
    /// before the first step.
    pub fn particles(&self) -> &[f64] {
        self.store.unconstrained()
    }
    /// The particles, to move them by hand between steps (empty before the first step).
    pub fn particles_mut(&mut self) -> &mut [f64] {
        self.store.unconstrained_mut()
    }
    /// The particles as a parameter store (one real vector, [`PARTICLES`]), as callbacks see
    /// them.
    pub fn params(&self) -> &ParamStore {
        &self.store
    }
    /// The number of unconstrained coordinates of one particle (0 before the first step).
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Each step's mean log-density and Stein-force norm.
    pub fn history(&self) -> &[SvgdStep] {
        &self.history
    }
    /// The number of steps taken.
    pub fn steps_taken(&self) -> usize {
        self.history.len()
    }

    fn config(&self, detail: String) -> Error {
        Error::Config {
            algorithm: "SVGD",
            detail,
        }
    }

    /// The potential at `args` (checked against the particles), and the discovery run.
    fn potential<'m, 'a>(
        &'m self,
        args: &'m M::Args<'a>,
    ) -> Result<(Potential<'m, 'a, M>, Trace<f64>)> {
        let mut rng = SmallRng::seed_from_u64(derive(self.seed, u64::MAX));
        let (potential, prior) = Potential::discover(&self.model, args, &mut rng)?;
        crate::latent::require_full_data(&prior, "SVGD")?;
        potential.refuse_discrete(
            "SVGD",
            "condition the discrete site or marginalise it out (enumeration) before SVGD",
        )?;
        potential.refuse_empty("SVGD")?;
        if self.dim > 0 && potential.dim() != self.dim {
            return Err(self.config(format!(
                "the particles have {} coordinates but the model with these arguments has {}",
                self.dim,
                potential.dim()
            )));
        }
        let potential = potential
            .grad_mode(self.grad_mode)
            .eval_seed(derive(self.seed, u64::MAX - 1));
        Ok((potential, prior))
    }

    fn initialise(&mut self, args: &M::Args<'_>) -> Result<()> {
        if let Some(given) = &self.init_particles {
            return self.initialise_from(args, given.clone());
        }
        if let Init::Map | Init::Feasible = self.init {
            return Err(self.config(
                "the initial strategy puts every particle at the same point, and SVGD cannot separate identical particles; use init_to_sample or init_to_uniform".into(),
            ));
        }
        self.init.validate()?;
        let n = self.num_particles;
        let (particles, dim) = {
            let (mut potential, discovery) = self.potential(args)?;
            let (model, dim) = (&self.model, potential.dim());
            let mut particles = Vec::with_capacity(n * dim);
            for j in 0..n {
                let mut rng = SmallRng::seed_from_u64(derive(self.seed, j as u64));
                // Each particle starts from its own prior draw (for the strategies that use one).
                let prior = match smallx_core::get_trace(model, args, &mut rng) {
                    Ok(t) => t.into_parts().0,
                    Err(_) => discovery.clone(),
                };
                let (u, _) = potential.initial_point(&self.init, &prior, true, &mut rng)?;
                particles.extend(u);
            }
            self.check_separated(
                &potential,
                &particles,
                "let the initial strategy draw that site",
            )?;
            (particles, dim)
        };
        self.store_particles(particles, dim)
    }

    /// The first step's particles from [`init_particles`](Svgd::init_particles).
    fn initialise_from(&mut self, args: &M::Args<'_>, particles: Vec<f64>) -> Result<()> {
        let n = self.num_particles;
        let (potential, _) = self.potential(args)?;
        let dim = potential.dim();
        if n.checked_mul(dim) != Some(particles.len()) {
            let expected = n
                .checked_mul(dim)
                .map_or("more than fit in memory".into(), |e| e.to_string());
            return Err(self.config(format!(
                "init_particles holds {} values, expected {n} × {dim} = {expected} (num_particles × the model's unconstrained coordinates per particle)",
                particles.len(),
            )));
        }
        if let Some(i) = particles.iter().position(|v| !v.is_finite()) {
            let site = potential
                .site_of(i % dim)
                .map_or("(unknown)".into(), |s| s.name.clone());
            return Err(self.config(format!(
                "init_particles: coordinate {} of particle {} (site `{site}`) is {}, not a finite number",
                i % dim,
                i / dim,
                particles[i]
            )));
        }
        self.check_separated(
            &potential,
            &particles,
            "give the particles different values there",
        )?;
        drop(potential);
        self.store_particles(particles, dim)
    }

    /// An error if every particle has the same value in some coordinate.
    fn check_separated(
        &self,
        potential: &Potential<'_, '_, M>,
        particles: &[f64],
        hint: &str,
    ) -> Result<()> {
        let (n, dim) = (self.num_particles, potential.dim());
        if let Some(k) = (0..dim).find(|&k| (1..n).all(|j| particles[j * dim + k] == particles[k]))
        {
            let site = potential
                .site_of(k)
                .map_or("(unknown)".into(), |s| s.name.clone());
            return Err(self.config(format!(
                "every particle starts at the same value in coordinate {k} (site `{site}`), and SVGD cannot separate identical particles; {hint}"
            )));
        }
        Ok(())
    }

    fn store_particles(&mut self, particles: Vec<f64>, dim: usize) -> Result<()> {
        let mut store = ParamStore::new();
        store.insert(PARTICLES, Value::from(particles), Constraint::Real)?;
        self.store = store;
        self.dim = dim;
        Ok(())
    }

    /// One step: the particles' gradients, the Stein force, and an optimiser step. Returns the
    /// negative mean log-density of the particles before the step (what Pyro's `Trace_ELBO`
    /// against its point-mass guide computes; the force norm is in [`history`](Svgd::history)).
    /// The first step draws the initial particles.
    pub fn step(&mut self, args: &M::Args<'_>) -> Result<f64>
    where
        for<'a> M::Args<'a>: Sync,
    {
        let n = self.num_particles;
        if n < 2 {
            return Err(self.config(format!(
                "num_particles must be at least 2 (got {n}): the kernel's bandwidth comes from the distances between particles"
            )));
        }
        if n > MAX_PARTICLES {
            return Err(Error::InvalidOption {
                algorithm: "SVGD",
                option: "num_particles",
                value: n.to_string(),
                expected: "few enough that the particles' coordinates fit in memory",
            });
        }
        self.kernel.validate()?;
        self.optim.check()?;
        if self.store.is_empty() {
            self.initialise(args)?;
        }
        let d = self.dim;
        if self.store.len() != n * d {
            return Err(self.config(format!(
                "num_particles is {n}, but the particles hold {} coordinates ({} per particle): set the number of particles before the first step",
                self.store.len(),
                d
            )));
        }
        let (potential, _) = self.potential(args)?;
        let x = self.store.unconstrained();
        let mut grad = vec![0.0; n * d];
        let log_densities: Vec<f64> = grad
            .par_chunks_mut(d)
            .zip(x.par_chunks(d))
            .map(|(g, u)| {
                let lp = potential.log_density_and_gradient(u, g)?;
                if !lp.is_finite() {
                    let (site, value) = potential.culprit(u).unwrap_or(("(none)".into(), lp));
                    return Err(Error::NonFinite {
                        site,
                        what: "the log-density at a particle",
                        value,
                    });
                }
                if let Some(i) = g.iter().position(|v| !v.is_finite()) {
                    let site = potential
                        .site_of(i)
                        .map_or("(unknown)".into(), |s| s.name.clone());
                    return Err(Error::NonFinite {
                        site,
                        what: "the gradient of the log-density at a particle",
                        value: g[i],
                    });
                }
                Ok(lp)
            })
            .collect::<Result<_>>()?;
        let h = self.kernel.bandwidths(x, n, d);
        let mut force = vec![0.0; n * d];
        stein_force(&self.kernel, self.mode, x, &grad, &h, &mut force);
        let mean_log_density = log_densities.iter().sum::<f64>() / n as f64;
        let force_norm = (force.iter().map(|f| f * f).sum::<f64>() / n as f64).sqrt();
        // The optimiser minimises: hand it −φ.
        force.iter_mut().for_each(|f| *f = -*f);
        self.optim.step(self.store.unconstrained_mut(), &force);
        self.history.push(SvgdStep {
            mean_log_density,
            force_norm,
        });
        self.losses.push(-mean_log_density);
        Ok(-mean_log_density)
    }

    /// Run `steps` steps; returns each step's value (see [`step`](Svgd::step)).
    pub fn run(&mut self, steps: usize, args: &M::Args<'_>) -> Result<Vec<f64>>
    where
        for<'a> M::Args<'a>: Sync,
    {
        Ok(self.run_with_callbacks(steps, args, &mut [])?.losses)
    }

    /// Run at most `steps` steps, calling each callback after every step (its
    /// [`StepInfo::params`] holds the particles, [`PARTICLES`]); a callback may stop the run.
    pub fn run_with_callbacks(
        &mut self,
        steps: usize,
        args: &M::Args<'_>,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<RunReport>
    where
        for<'a> M::Args<'a>: Sync,
    {
        for callback in callbacks.iter() {
            callback.check()?;
        }
        let progress = Progress::new(steps, "SVGD", self.progress);
        let first = self.losses.len();
        let mut stopped = None;
        for step in 0..steps {
            let loss = self.step(args)?;
            let force = self.history.last().map_or(f64::NAN, |s| s.force_norm);
            progress.tick(|| format!("−log p {loss:.4}, force {force:.3e}"));
            let info = StepInfo {
                step,
                loss,
                losses: &self.losses[first..],
                params: &self.store,
            };
            for callback in callbacks.iter_mut() {
                if let Control::Stop(reason) = callback.after_step(&info) {
                    stopped = Some((step + 1, reason));
                }
            }
            if stopped.is_some() {
                break;
            }
        }
        progress.finish();
        Ok(RunReport {
            losses: self.losses[first..].to_vec(),
            stopped,
        })
    }

    fn no_particles(&self) -> Error {
        self.config("there are no particles yet: take at least one step first".into())
    }

    /// The particles as draws: one chain, one draw per particle, constrained values, with the
    /// model's deterministic sites and each particle's log-joint (for `summary`,
    /// `Predictive::posterior`, ArviZ export). Draws of one chain of particles are not a Markov
    /// chain: the summary's R-hat and ESS do not apply.
    pub fn samples(&self, args: &M::Args<'_>) -> Result<Samples> {
        self.rows(args, 0..self.store.len() / self.dim.max(1))
    }

    /// `n` draws from the particle approximation (particles picked uniformly, with
    /// replacement), as one chain.
    pub fn draw(&self, n: usize, args: &M::Args<'_>, rng: &mut dyn Rng) -> Result<Samples> {
        let count = self.store.len() / self.dim.max(1);
        if count == 0 {
            return Err(self.no_particles());
        }
        let uniform = Uniform::new(0, count).map_err(|e| self.config(e.to_string()))?;
        let picks: Vec<usize> = (0..n).map(|_| uniform.sample(&mut *rng)).collect();
        self.rows(args, picks)
    }

    fn rows(&self, args: &M::Args<'_>, which: impl IntoIterator<Item = usize>) -> Result<Samples> {
        if self.store.is_empty() {
            return Err(self.no_particles());
        }
        let (mut potential, _) = self.potential(args)?;
        let d = self.dim;
        let x = self.store.unconstrained();
        let columns = potential.columns();
        let mut flat = Vec::new();
        let mut log_joint = Vec::new();
        for j in which {
            let u = &x[j * d..(j + 1) * d];
            let log_det = potential.record(u, &mut flat)?;
            log_joint.push(potential.log_density(u)? - log_det);
        }
        let mut samples = Samples::new(1);
        push_rows(&mut samples, 0, &columns, &flat)?;
        if let Some(stats) = samples.stats_mut(0) {
            stats.log_joint = log_joint;
            stats.accept_rate = f64::NAN;
        }
        crate::predictive::add_deterministic(&self.model, args, &mut samples, self.seed)?;
        Ok(samples)
    }
}

/// The Stein force `φ(x_i) = (1/N) Σ_j [k(x_j, x_i) ∇log p(x_j) + ∇_{x_j} k(x_j, x_i)]` at every
/// particle (`x` and `grad` are `N × d`, particle after particle; `h` the bandwidths), written
/// into `force`. In univariate mode coordinate `d` uses the factor `k_d` alone; in multivariate
/// mode the product kernel. Particles are processed in parallel.
pub fn stein_force<K: SteinKernel + ?Sized>(
    kernel: &K,
    mode: SteinMode,
    x: &[f64],
    grad: &[f64],
    h: &[f64],
    force: &mut [f64],
) {
    let d = h.len();
    if d == 0 {
        return;
    }
    let n = x.len() / d;
    force.par_chunks_mut(d).enumerate().for_each(|(i, phi)| {
        let xi = &x[i * d..(i + 1) * d];
        let mut terms = vec![(0.0, 0.0); d];
        phi.fill(0.0);
        for (xj, gj) in x.chunks(d).zip(grad.chunks(d)) {
            for k in 0..d {
                terms[k] = kernel.log_kernel_and_grad(xj[k] - xi[k], h[k]);
            }
            match mode {
                SteinMode::Univariate => {
                    for k in 0..d {
                        let (log_k, dlog_k) = terms[k];
                        phi[k] += log_k.exp() * (gj[k] + dlog_k);
                    }
                }
                SteinMode::Multivariate => {
                    let kv = terms.iter().map(|t| t.0).sum::<f64>().exp();
                    for k in 0..d {
                        phi[k] += kv * (gj[k] + terms[k].1);
                    }
                }
            }
        }
        phi.iter_mut().for_each(|p| *p /= n as f64);
    });
}
