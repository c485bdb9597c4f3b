//! Euclidean Hamiltonian dynamics on the potential: the metric, points of phase space and the
//! leapfrog integrator, shared by [`super::Hmc`] and [`super::Nuts`].

use super::State;
use super::adapt::{Adapter, MassMatrix};
use crate::grad::GradMode;
use crate::potential::Potential;
use nalgebra::{DMatrix, DVector};
use rand::rngs::SmallRng;
use rand_distr::{Distribution as _, StandardNormal};
use smallx_core::{Error, Model, Result};

/// The inverse metric (the covariance the momenta are scaled by).
#[derive(Clone, Debug)]
pub(crate) enum Metric {
    /// Diagonal: `M⁻¹ = diag(inv)`.
    Diagonal(Vec<f64>),
    /// Dense: `M⁻¹ = Σ`, with the Cholesky factor `L` of `Σ` to draw momenta.
    Dense {
        sigma: DMatrix<f64>,
        chol: DMatrix<f64>,
    },
}

impl Metric {
    pub(crate) fn identity(d: usize, dense: bool) -> Self {
        if dense {
            Metric::Dense {
                sigma: DMatrix::identity(d, d),
                chol: DMatrix::identity(d, d),
            }
        } else {
            Metric::Diagonal(vec![1.0; d])
        }
    }

    /// `v = M⁻¹ p`.
    pub(crate) fn velocity(&self, p: &[f64], v: &mut [f64]) {
        match self {
            Metric::Diagonal(inv) => {
                for ((vi, pi), mi) in v.iter_mut().zip(p).zip(inv) {
                    *vi = pi * mi;
                }
            }
            Metric::Dense { sigma, .. } => {
                for (i, vi) in v.iter_mut().enumerate() {
                    *vi = (0..p.len()).map(|j| sigma[(i, j)] * p[j]).sum();
                }
            }
        }
    }

    /// `½ pᵀ M⁻¹ p`.
    pub(crate) fn kinetic(&self, p: &[f64]) -> f64 {
        match self {
            Metric::Diagonal(inv) => 0.5 * p.iter().zip(inv).map(|(x, m)| x * x * m).sum::<f64>(),
            Metric::Dense { sigma, .. } => {
                let d = p.len();
                0.5 * (0..d)
                    .map(|i| p[i] * (0..d).map(|j| sigma[(i, j)] * p[j]).sum::<f64>())
                    .sum::<f64>()
            }
        }
    }

    /// A momentum `p ~ N(0, M)`.
    pub(crate) fn sample_momentum(&self, p: &mut [f64], rng: &mut SmallRng) {
        match self {
            Metric::Diagonal(inv) => {
                for (pi, mi) in p.iter_mut().zip(inv) {
                    let z: f64 = StandardNormal.sample(&mut *rng);
                    *pi = z / mi.sqrt();
                }
            }
            Metric::Dense { chol, .. } => {
                // M = Σ⁻¹ = L⁻ᵀ L⁻¹, so p = L⁻ᵀ z: solve Lᵀ p = z.
                let z = DVector::from_fn(p.len(), |_, _| StandardNormal.sample(&mut *rng));
                // `chol` is a Cholesky factor (adapt.rs keeps only those), so the solve succeeds.
                let solved = chol
                    .tr_solve_lower_triangular(&z)
                    .unwrap_or_else(|| z.clone());
                p.copy_from_slice(solved.as_slice());
            }
        }
    }
}

/// A point of phase space with its log-density and gradient.
#[derive(Clone, Debug)]
pub(crate) struct Point {
    pub q: Vec<f64>,
    pub p: Vec<f64>,
    pub grad: Vec<f64>,
    pub lp: f64,
}

impl Point {
    pub(crate) fn new(q: Vec<f64>, grad: Vec<f64>, lp: f64) -> Self {
        let p = vec![0.0; q.len()];
        Point { q, p, grad, lp }
    }

    /// The Hamiltonian `−log p(q) + ½ pᵀ M⁻¹ p` (∞ where the density is not finite).
    pub(crate) fn hamiltonian(&self, metric: &Metric) -> f64 {
        let h = -self.lp + metric.kinetic(&self.p);
        if h.is_nan() { f64::INFINITY } else { h }
    }
}

/// One leapfrog step of size `eps` (negative to go backward in time). A log-density that
/// cannot be evaluated there (not finite, or a parameter out of its range) makes the point's
/// density `−∞`, which the samplers treat as a divergence; other errors propagate.
pub(crate) fn leapfrog<M: Model>(
    potential: &Potential<'_, '_, M>,
    metric: &Metric,
    z: &mut Point,
    eps: f64,
    velocity: &mut [f64],
) -> Result<()> {
    for (p, g) in z.p.iter_mut().zip(&z.grad) {
        *p += 0.5 * eps * g;
    }
    metric.velocity(&z.p, velocity);
    for (q, v) in z.q.iter_mut().zip(velocity.iter()) {
        *q += eps * v;
    }
    match potential.log_density_and_gradient(&z.q, &mut z.grad) {
        Ok(lp) if lp.is_finite() && z.grad.iter().all(|g| g.is_finite()) => {
            z.lp = lp;
            for (p, g) in z.p.iter_mut().zip(&z.grad) {
                *p += 0.5 * eps * g;
            }
        }
        Ok(_) | Err(Error::NonFinite { .. }) | Err(Error::InvalidDistribution { .. }) => {
            z.lp = f64::NEG_INFINITY;
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

/// The options HMC and NUTS share.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    pub target_accept: f64,
    pub mass: MassMatrix,
    pub grad_mode: GradMode,
}

impl Default for Options {
    /// Target acceptance 0.8, a diagonal metric, gradients in [`GradMode::Auto`].
    fn default() -> Self {
        Options {
            target_accept: 0.8,
            mass: MassMatrix::Diagonal,
            grad_mode: GradMode::Auto,
        }
    }
}

impl Options {
    /// Check the options and the model: a target in (0, 1), no discrete site, at least one
    /// continuous one.
    pub(crate) fn check<M: Model>(
        &self,
        algorithm: &'static str,
        potential: &Potential<'_, '_, M>,
    ) -> Result<()> {
        if !(self.target_accept > 0.0 && self.target_accept < 1.0) {
            return Err(Error::Config {
                algorithm,
                detail: format!(
                    "target_accept must be in (0, 1), got {}",
                    self.target_accept
                ),
            });
        }
        potential.refuse_discrete(
            algorithm,
            "condition the site on data, or marginalise it out of the model (a mixture's assignments with `Mixture`)",
        )?;
        potential.refuse_empty(algorithm)
    }
}

/// The builder methods HMC and NUTS share, on a type with an `options: Options` field.
macro_rules! hamiltonian_builders {
    () => {
        /// The acceptance statistic the step size is adapted to (in (0, 1); default 0.8;
        /// raise it to 0.9–0.99 against divergences).
        pub fn target_accept(mut self, rate: f64) -> Self {
            self.options.target_accept = rate;
            self
        }
        /// The metric to adapt (default diagonal).
        pub fn mass_matrix(mut self, mass: $crate::mcmc::MassMatrix) -> Self {
            self.options.mass = mass;
            self
        }
        /// How gradients are computed (default [`GradMode::Auto`]).
        pub fn grad_mode(mut self, mode: $crate::grad::GradMode) -> Self {
            self.options.grad_mode = mode;
            self
        }
    };
}
pub(crate) use hamiltonian_builders;

/// A Hamiltonian chain: its warm-up adaptation and the current point.
pub struct HamiltonianChain {
    pub(crate) adapter: Adapter,
    pub(crate) warmup: usize,
    pub(crate) z: Point,
    pub(crate) velocity: Vec<f64>,
}

impl HamiltonianChain {
    /// Start at `state`, searching an initial step size (Stan's initialisation).
    pub(crate) fn start<M: Model>(
        potential: &Potential<'_, '_, M>,
        state: &State,
        warmup: usize,
        options: &Options,
        rng: &mut SmallRng,
    ) -> Result<Self> {
        let z = Point::new(state.u.clone(), state.grad.clone(), state.log_density);
        let adapter = Adapter::new(
            potential,
            &z,
            warmup,
            options.target_accept,
            options.mass,
            rng,
        )?;
        Ok(HamiltonianChain {
            adapter,
            warmup,
            velocity: vec![0.0; z.q.len()],
            z,
        })
    }

    /// After iteration `t` ended at `self.z` with acceptance statistic `accept`: adapt (during
    /// warm-up) and copy the point into `state`.
    pub(crate) fn finish<M: Model>(
        &mut self,
        potential: &Potential<'_, '_, M>,
        state: &mut State,
        accept: f64,
        t: usize,
        rng: &mut SmallRng,
    ) -> Result<()> {
        self.adapter
            .learn(potential, &self.z, accept, t, self.warmup, rng)?;
        state.u.copy_from_slice(&self.z.q);
        state.grad.copy_from_slice(&self.z.grad);
        state.log_density = self.z.lp;
        Ok(())
    }
}
