//! Maximum a posteriori estimation.

use crate::grad::{GradMode, Objective, value_and_gradient};
use crate::latent::{LatentSpace, lift_coordinates, log_density_unconstrained};
use crate::optim::{Adam, Optimizer};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use smallx_core::{Data, Error, Model, Real, Result, Scalar, Value};

/// `−log p(constrain(u))` over the continuous latent coordinates, for optimisers.
pub(crate) struct NegativeLogDensity<'s, 'a, M: Model> {
    pub(crate) model: &'s M,
    pub(crate) args: &'s M::Args<'a>,
    pub(crate) space: &'s LatentSpace,
    pub(crate) u: &'s [f64],
    pub(crate) discrete: &'s [Value<f64>],
    pub(crate) jacobian: bool,
    pub(crate) seed: u64,
}

impl<M: Model> Objective for NegativeLogDensity<'_, '_, M> {
    fn eval<S: Scalar>(&mut self, first: Option<usize>) -> Result<Real<S>> {
        let u = lift_coordinates::<S>(self.u, first);
        let lp = log_density_unconstrained(
            self.model,
            self.args,
            self.space,
            &u,
            self.discrete,
            self.jacobian,
            &mut SmallRng::seed_from_u64(self.seed),
        )?;
        Ok(-lp)
    }
}

/// The result of [`Map::run`].
#[derive(Clone, Debug)]
pub struct MapResult {
    /// The estimate of each latent site, in constrained space.
    pub point: Data,
    /// The estimate in unconstrained coordinates.
    pub unconstrained: Vec<f64>,
    /// `log p(x, z)` at the estimate.
    pub log_joint: f64,
    /// How many optimiser steps were taken.
    pub steps: usize,
}

/// MAP: maximise the log-joint over the continuous latent sites, optimising in unconstrained
/// space with gradients from the shared entry point (`find_MAP` of the PyTorch MCMC blog post and PyMC). No Jacobian term: the
/// estimate is the mode of the density in the sites' own space, as in PyMC and Pyro's
/// `AutoDelta`.
///
/// ```
/// use smallx::prelude::*;
/// use smallx::infer::Map;
///
/// #[model]
/// fn scale(guess: f64) -> Real {
///     let weight = sample!("weight", Normal::new(guess, 1.0));
///     sample!("measurement", Normal::new(weight, 0.75))
/// }
///
/// let map = Map::new(condition(scale, data! { "measurement" => 9.5 })).run(&(8.5,)).unwrap();
/// assert!((map.point.get("weight").unwrap().as_f64().unwrap() - 9.14).abs() < 1e-4);
/// ```
pub struct Map<M> {
    model: M,
    max_steps: usize,
    lr: f64,
    tolerance: f64,
    init: Option<Data>,
    grad_mode: GradMode,
}

impl<M: Model> Map<M> {
    /// MAP for `model` (conditioned on its data): Adam with learning rate 0.05, at most 20 000
    /// steps, stopping when every gradient coordinate is below 1e-6.
    pub fn new(model: M) -> Self {
        Map {
            model,
            max_steps: 20_000,
            lr: 0.05,
            tolerance: 1e-6,
            init: None,
            grad_mode: GradMode::Auto,
        }
    }
    /// How gradients are computed (default [`GradMode::Auto`]).
    pub fn grad_mode(mut self, mode: GradMode) -> Self {
        self.grad_mode = mode;
        self
    }
    /// The step limit.
    pub fn max_steps(mut self, steps: usize) -> Self {
        self.max_steps = steps;
        self
    }
    /// Adam's learning rate.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Stop when every gradient coordinate is below this.
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tolerance = tol;
        self
    }
    /// Start from these values (the others from the feasible point, 0 unconstrained).
    pub fn init(mut self, values: Data) -> Self {
        self.init = Some(values);
        self
    }

    /// Find the mode.
    pub fn run(&self, args: &M::Args<'_>) -> Result<MapResult> {
        let (space, _) = LatentSpace::discover(&self.model, args, &mut SmallRng::seed_from_u64(0))?;
        if let Some(d) = space.discrete().next() {
            return Err(Error::Unsupported {
                algorithm: "Map",
                site: d.name.clone(),
                detail: "MAP optimises continuous sites only; condition the discrete site or marginalise it out".into(),
            });
        }
        let mut u = vec![0.0; space.dim()];
        if let Some(init) = &self.init {
            for (name, value) in init.iter() {
                if let Some(s) = space.get(name) {
                    u[s.offset..s.offset + s.dim].copy_from_slice(&s.support.inverse(value)?);
                }
            }
        }
        let mut grad = vec![0.0; space.dim()];
        let mut adam = Adam::new(self.lr).lr_decay(0.9995);
        let mut steps = 0;
        let mut value = f64::NAN;
        while steps < self.max_steps {
            let mut objective = NegativeLogDensity {
                model: &self.model,
                args,
                space: &space,
                u: &u,
                discrete: &[],
                jacobian: false,
                seed: 0,
            };
            value = value_and_gradient(self.grad_mode, &mut objective, &mut grad)?;
            if grad.iter().all(|g| g.abs() < self.tolerance) {
                break;
            }
            adam.step(&mut u, &grad);
            steps += 1;
        }
        let (values, _) = space.constrain::<f64>(&lift_coordinates(&u, None))?;
        let mut point = Data::new();
        for (site, v) in space.continuous().zip(values) {
            point.insert(site.name.as_str(), v);
        }
        Ok(MapResult {
            point,
            unconstrained: u,
            log_joint: -value,
            steps,
        })
    }
}
