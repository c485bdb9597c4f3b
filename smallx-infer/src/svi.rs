//! Stochastic variational inference.

use crate::callbacks::{Callback, Control, RunReport, StepInfo};
use crate::elbo::{
    Baselines, Elbo, check_enumerated_sites, check_model_guide, first_non_finite, non_finite_error,
    run_model_and_guide,
};
use crate::grad::{GradMode, Objective, value_and_gradient};
use crate::optim::Optimizer;
use crate::progress::Progress;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use smallx_core::{Error, Model, ParamStore, Real, Result, Scalar};

/// How many times one step re-evaluates when new parameters appear.
const MAX_NEW_PARAM_RETRIES: usize = 2;

/// The most losses reserved up front: a run of `usize::MAX` steps (until a callback stops it)
/// grows its loss vector as it goes.
const MAX_RESERVED_STEPS: usize = 1 << 16;

/// SVI: fit a guide's parameters by maximising an ELBO with a gradient-based optimiser.
///
/// Gradients with respect to every parameter (in unconstrained space) come from the one
/// gradient entry point ([`GradMode`]): forward-mode dual numbers for a few parameters,
/// reverse mode (one recorded evaluation of model and guide and one backward sweep) for many.
///
/// ```
/// use smallx::prelude::*;
/// use smallx::infer::{Adam, Svi, TraceElbo};
///
/// #[model]
/// fn scale(guess: f64) -> Real {
///     let weight = sample!("weight", Normal::new(guess, 1.0));
///     sample!("measurement", Normal::new(weight, 0.75))
/// }
///
/// #[model]
/// fn guide(guess: f64) -> Real {
///     let a = param!("a", guess);
///     let b = param!("b", 1.0, Constraint::Positive);
///     sample!("weight", Normal::new(a, b))
/// }
///
/// let conditioned = condition(scale, data! { "measurement" => 9.5 });
/// let mut svi = Svi::new(conditioned, guide, Adam::new(0.02), TraceElbo::new()).seed(0).progress(false);
/// svi.run(3000, &(8.5,)).unwrap();
/// let a = svi.params().real("a").unwrap();
/// assert!((a - 9.14).abs() < 0.1, "{a}");
/// ```
pub struct Svi<M, G, O, E> {
    model: M,
    guide: G,
    optim: O,
    elbo: E,
    store: ParamStore,
    rng: SmallRng,
    step: usize,
    baselines: Baselines,
    checked: bool,
    skip_non_finite: bool,
    skipped: usize,
    progress: bool,
    grad_mode: GradMode,
}

struct ElboObjective<'s, 'a, M: Model, G, E> {
    model: &'s M,
    guide: &'s G,
    elbo: &'s E,
    args: &'s M::Args<'a>,
    store: &'s mut ParamStore,
    seed: u64,
    baselines: &'s Baselines,
    step: usize,
    next_baselines: Option<Baselines>,
}

impl<M: Model, G, E: Elbo> Objective for ElboObjective<'_, '_, M, G, E>
where
    G: for<'a> Model<Args<'a> = M::Args<'a>>,
{
    fn eval<S: Scalar>(&mut self, first: Option<usize>) -> Result<Real<S>> {
        let n = self.elbo.num_particles();
        let mut particles = Vec::with_capacity(n);
        for p in 0..n {
            let seed = self
                .seed
                .wrapping_add((p as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            particles.push(
                self.elbo.particle::<M, G, S>(
                    self.model, self.guide, self.args, self.store, first, seed,
                )?,
            );
        }
        let estimate = self.elbo.estimate(&particles, self.baselines);
        if !estimate.elbo.is_finite() || !estimate.surrogate.is_finite() {
            return Err(non_finite_error(
                self.step,
                "the loss",
                particles.iter().find_map(|(m, g)| first_non_finite(m, g)),
                -estimate.elbo,
            ));
        }
        self.next_baselines = Some(estimate.baselines);
        Ok(-estimate.surrogate)
    }
}

impl<M, G, O, E> Svi<M, G, O, E>
where
    M: Model,
    G: for<'a> Model<Args<'a> = M::Args<'a>>,
    O: Optimizer,
    E: Elbo,
{
    /// SVI of `guide` against `model` (conditioned on the data), with an empty parameter store.
    pub fn new(model: M, guide: G, optim: O, elbo: E) -> Self {
        Svi {
            model,
            guide,
            optim,
            elbo,
            store: ParamStore::new(),
            rng: SmallRng::seed_from_u64(0),
            step: 0,
            baselines: Baselines::default(),
            checked: false,
            skip_non_finite: false,
            skipped: 0,
            progress: true,
            grad_mode: GradMode::Auto,
        }
    }

    /// How gradients are computed (default [`GradMode::Auto`]: forward mode for a few
    /// parameters, reverse mode for many).
    pub fn grad_mode(mut self, mode: GradMode) -> Self {
        self.grad_mode = mode;
        self
    }

    /// Seed the random draws.
    pub fn seed(mut self, seed: u64) -> Self {
        self.rng = SmallRng::seed_from_u64(seed);
        self
    }

    /// Show a progress bar in [`run`](Svi::run) (default on; it is hidden anyway when
    /// standard error is not a terminal).
    pub fn progress(mut self, show: bool) -> Self {
        self.progress = show;
        self
    }

    /// Skip steps whose loss or gradient is not finite (and count them) instead of failing.
    pub fn skip_non_finite(mut self, skip: bool) -> Self {
        self.skip_non_finite = skip;
        self
    }

    /// Start from these parameters.
    pub fn with_params(mut self, store: ParamStore) -> Self {
        self.store = store;
        self
    }

    /// The parameters.
    pub fn params(&self) -> &ParamStore {
        &self.store
    }

    /// Take the parameters.
    pub fn into_params(self) -> ParamStore {
        self.store
    }

    /// The fitted guide and its parameters.
    pub fn into_parts(self) -> (G, ParamStore) {
        (self.guide, self.store)
    }

    /// The guide.
    pub fn guide(&self) -> &G {
        &self.guide
    }

    /// How many steps were skipped for a non-finite loss or gradient.
    pub fn skipped_steps(&self) -> usize {
        self.skipped
    }

    /// The number of steps taken.
    pub fn steps_taken(&self) -> usize {
        self.step
    }

    /// Run model and guide once with `f64`, initialise the parameters, and check that the
    /// guide fits the model.
    fn check(&mut self, args: &M::Args<'_>) -> Result<()> {
        self.optim.check()?;
        self.elbo.check()?;
        let seed = self.rng.next_u64();
        let (model_trace, guide_trace) = run_model_and_guide::<M, G, f64>(
            &self.model,
            &self.guide,
            args,
            &mut self.store,
            None,
            seed,
        )?;
        check_enumerated_sites(&model_trace, &guide_trace, self.elbo.enumerates())?;
        check_model_guide(&model_trace, &guide_trace)?;
        self.checked = true;
        Ok(())
    }

    /// Estimate the loss (−ELBO) and its gradient with respect to the parameters' unconstrained
    /// coordinates (in the layout of [`ParamStore::unconstrained_vec`]), without updating.
    pub fn loss_and_gradient(&mut self, args: &M::Args<'_>) -> Result<(f64, Vec<f64>)> {
        let (loss, grad, _) = self.estimate(args)?;
        Ok((loss, grad))
    }

    fn estimate(&mut self, args: &M::Args<'_>) -> Result<(f64, Vec<f64>, Option<Baselines>)> {
        if !self.checked {
            self.check(args)?;
        }
        let seed = self.rng.next_u64();
        let mut grad = vec![0.0; self.store.len()];
        let mut retries = 0;
        loop {
            let mut objective = ElboObjective {
                model: &self.model,
                guide: &self.guide,
                elbo: &self.elbo,
                args,
                store: &mut self.store,
                seed,
                baselines: &self.baselines,
                step: self.step,
                next_baselines: None,
            };
            let result = value_and_gradient(self.grad_mode, &mut objective, &mut grad);
            let next_baselines = objective.next_baselines;
            if self.store.len() != grad.len() {
                // A parameter first appeared in this evaluation (a branch the earlier runs did
                // not take); evaluate again with all of them. With the same seed, the next
                // evaluation takes the same branches: parameters that keep appearing have
                // names that change from run to run, and retrying would never end.
                if retries == MAX_NEW_PARAM_RETRIES {
                    let new: Vec<&str> = self
                        .store
                        .iter()
                        .filter(|e| e.offset() >= grad.len())
                        .map(|e| e.name())
                        .collect();
                    return Err(Error::Param {
                        site: new.first().map_or_else(String::new, |n| n.to_string()),
                        detail: format!(
                            "new parameters appeared in each of {} evaluations of step {} with one seed (this time: {}); \
                             a parameter's name must be the same in every run (build it from the arguments or a loop index, \
                             not from a counter, the clock or a random draw)",
                            retries + 1,
                            self.step,
                            new.join(", ")
                        ),
                    });
                }
                retries += 1;
                grad = vec![0.0; self.store.len()];
                continue;
            }
            let loss = result?;
            if let Some(i) = grad.iter().position(|g| !g.is_finite()) {
                let param = self
                    .store
                    .iter()
                    .find(|e| i >= e.offset() && i < e.offset() + e.len());
                return Err(Error::NonFiniteLoss {
                    step: self.step,
                    what: "the gradient",
                    value: grad[i],
                    culprit: param.map_or("its parameter is unknown".into(), |e| {
                        format!("the coordinate belongs to parameter `{}`", e.name())
                    }),
                });
            }
            return Ok((loss, grad, next_baselines));
        }
    }

    /// One step: estimate the loss (−ELBO) and its gradient, and update the parameters.
    /// Returns the loss (NaN for a step skipped under
    /// [`skip_non_finite`](Svi::skip_non_finite)).
    pub fn step(&mut self, args: &M::Args<'_>) -> Result<f64> {
        let estimate = self.estimate(args);
        self.step += 1;
        let (loss, grad, next_baselines) = match estimate {
            Ok(e) => e,
            Err(Error::NonFiniteLoss { .. }) if self.skip_non_finite => {
                self.skipped += 1;
                return Ok(f64::NAN);
            }
            Err(e) => return Err(e),
        };
        self.optim.step(self.store.unconstrained_mut(), &grad);
        if let Some(b) = next_baselines {
            self.baselines = b;
        }
        Ok(loss)
    }

    /// Run at most `steps` steps, calling each callback after every step; a callback may stop
    /// the run early (the report says at which step and why). `usize::MAX` steps run until a
    /// callback stops them.
    pub fn run_with_callbacks(
        &mut self,
        steps: usize,
        args: &M::Args<'_>,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<RunReport> {
        for callback in callbacks.iter() {
            callback.check()?;
        }
        let progress = Progress::new(steps, "SVI", self.progress);
        let mut losses = Vec::with_capacity(steps.min(MAX_RESERVED_STEPS));
        let mut stopped = None;
        for step in 0..steps {
            let loss = self.step(args)?;
            losses.push(loss);
            progress.tick(|| format!("loss {loss:.4}"));
            let info = StepInfo {
                step,
                loss,
                losses: &losses,
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
        Ok(RunReport { losses, stopped })
    }

    /// Run `steps` steps and return the losses.
    pub fn run(&mut self, steps: usize, args: &M::Args<'_>) -> Result<Vec<f64>> {
        let progress = Progress::new(steps, "SVI", self.progress);
        let mut losses = Vec::with_capacity(steps.min(MAX_RESERVED_STEPS));
        for _ in 0..steps {
            let loss = self.step(args)?;
            losses.push(loss);
            progress.tick(|| format!("loss {loss:.4}"));
        }
        progress.finish();
        Ok(losses)
    }
}
