//! Maximum a posteriori estimation.

use crate::grad::GradMode;
use crate::init::write_values;
use crate::optim::{Adam, Optimizer};
use crate::potential::Potential;
use crate::samples::value_from_numbers;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use smallx_core::{Data, Error, Model, Result};

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
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::Config {
                algorithm: "Map",
                detail: format!(
                    "the learning rate must be positive and finite, got {}",
                    self.lr
                ),
            });
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(Error::Config {
                algorithm: "Map",
                detail: format!(
                    "the tolerance must be non-negative and finite, got {}",
                    self.tolerance
                ),
            });
        }
        let (potential, prior) =
            Potential::discover(&self.model, args, &mut SmallRng::seed_from_u64(0))?;
        crate::latent::require_full_data(&prior, "Map")?;
        let potential = potential.jacobian(false).grad_mode(self.grad_mode);
        potential.refuse_discrete(
            "Map",
            "MAP optimises continuous sites only; condition the discrete site or marginalise it out",
        )?;
        let mut u = vec![0.0; potential.dim()];
        if let Some(init) = &self.init {
            write_values(potential.space(), init, &mut u, "Map::init")?;
        }
        let mut grad = vec![0.0; potential.dim()];
        let mut adam = Adam::new(self.lr).lr_decay(0.9995);
        let mut steps = 0;
        let mut value = f64::NAN;
        while steps < self.max_steps {
            value = potential.log_density_and_gradient(&u, &mut grad)?;
            if grad.iter().all(|g| g.abs() < self.tolerance) {
                break;
            }
            // The optimiser minimises: hand it the negated gradient.
            grad.iter_mut().for_each(|g| *g = -*g);
            adam.step(&mut u, &grad);
            steps += 1;
        }
        if steps == self.max_steps {
            // The point returned is the one after the last step: its own log-density.
            value = potential.log_density_and_gradient(&u, &mut grad)?;
        }
        let mut numbers = Vec::new();
        potential.record(&u, &mut numbers)?;
        let mut point = Data::new();
        let mut at = 0;
        for (site, column) in potential.space().continuous().zip(potential.columns()) {
            let values = &numbers[at..at + column.len];
            at += column.len;
            point.insert(site.name.as_str(), value_from_numbers(column.kind, values));
        }
        Ok(MapResult {
            point,
            unconstrained: u,
            log_joint: value,
            steps,
        })
    }
}
