//! The potential every sampler and optimiser works on: a model with its arguments, seen as a
//! log-density over the unconstrained coordinates of its continuous latent sites.
//!
//! [`Potential`] is the one place that knows a model's latent space (found by one run), turns
//! coordinates into site values (adding the log-Jacobian of the bijections), differentiates
//! through the one gradient entry point ([`crate::grad`]), finds initial points
//! ([`crate::init`]), and records a point as constrained draws. `Map`, the MCMC kernels and
//! later samplers use it; nothing else re-derives latents.

use crate::grad::{GradMode, Objective, value_and_gradient};
use crate::init::{Init, MAX_INIT_ATTEMPTS, initial_point};
use crate::latent::{
    LatentSite, LatentSpace, lift_coordinates, log_density_and_culprit, log_density_unconstrained,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use smallx_core::{Constraint, Error, Model, Real, Result, Scalar, Trace, Value, ValueKind};

/// A model as a log-density over unconstrained coordinates (see the module docs).
pub struct Potential<'m, 'a, M: Model> {
    model: &'m M,
    args: &'m M::Args<'a>,
    space: LatentSpace,
    discrete: Vec<Value<f64>>,
    jacobian: bool,
    mode: GradMode,
    seed: u64,
    lifted: Vec<Real<f64>>,
}

/// One recorded column group: a site's name, kind and how many numbers a draw of it has.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The site.
    pub name: String,
    /// Its value's kind.
    pub kind: ValueKind,
    /// Numbers per draw.
    pub len: usize,
}

struct Negative<'p, 'm, 'a, M: Model> {
    potential: &'p Potential<'m, 'a, M>,
    u: &'p [f64],
}

impl<M: Model> Objective for Negative<'_, '_, '_, M> {
    fn eval<S: Scalar>(&mut self, first: Option<usize>) -> Result<Real<S>> {
        let p = self.potential;
        let u = lift_coordinates::<S>(self.u, first);
        let lp = log_density_unconstrained(
            p.model,
            p.args,
            &p.space,
            &u,
            &p.discrete,
            p.jacobian,
            &mut SmallRng::seed_from_u64(p.seed),
        )?;
        Ok(-lp)
    }
}

impl<'m, 'a, M: Model> Potential<'m, 'a, M> {
    /// Run `model` once (a prior draw, with `rng`) to find its latent sites; returns the
    /// potential (with the Jacobian, gradients in [`GradMode::Auto`]) and that run's trace.
    /// A prior draw at which a distribution cannot be built (a parameter out of its range) or
    /// whose value is not finite (a draw beyond the range of `f64`) is redrawn, up to
    /// [`MAX_INIT_ATTEMPTS`] times.
    pub fn discover(
        model: &'m M,
        args: &'m M::Args<'a>,
        rng: &mut dyn Rng,
    ) -> Result<(Self, Trace<f64>)> {
        let mut attempt = 0;
        let (space, trace) = loop {
            match LatentSpace::discover(model, args, &mut *rng) {
                Err(Error::InvalidDistribution { .. } | Error::NonFinite { .. })
                    if attempt + 1 < MAX_INIT_ATTEMPTS =>
                {
                    attempt += 1;
                }
                Err(Error::InvalidDistribution { site, .. }) => {
                    return Err(Error::InitFailed {
                        attempts: MAX_INIT_ATTEMPTS,
                        site,
                        what: "a distribution parameter (in a prior draw)",
                        value: f64::NAN,
                    });
                }
                Err(Error::NonFinite { site, value, .. }) => {
                    return Err(Error::InitFailed {
                        attempts: MAX_INIT_ATTEMPTS,
                        site,
                        what: "a draw (in a prior draw)",
                        value,
                    });
                }
                other => break other?,
            }
        };
        let discrete = space.discrete_values(&trace)?;
        let lifted = vec![Real(0.0); space.dim()];
        Ok((
            Potential {
                model,
                args,
                space,
                discrete,
                jacobian: true,
                mode: GradMode::Auto,
                seed: 0,
                lifted,
            },
            trace,
        ))
    }

    /// Include `ln |det J|` of the bijections (default on: the density of the unconstrained
    /// coordinates, what samplers need); off for the mode of the density in the sites' own
    /// space (MAP).
    pub fn jacobian(mut self, on: bool) -> Self {
        self.jacobian = on;
        self
    }

    /// How gradients are computed.
    pub fn grad_mode(mut self, mode: GradMode) -> Self {
        self.mode = mode;
        self
    }

    /// A view of this potential that computes gradients in `mode`.
    pub fn grad_mode_ref(&self, mode: GradMode) -> PotentialIn<'_, 'm, 'a, M> {
        PotentialIn {
            potential: self,
            mode,
        }
    }

    /// The seed of the generator every evaluation starts from (a model that draws inside its
    /// body, such as a subsampled plate, sees the same draws at every evaluation).
    pub fn eval_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The model.
    pub fn model(&self) -> &'m M {
        self.model
    }

    /// The latent space.
    pub fn space(&self) -> &LatentSpace {
        &self.space
    }

    /// The number of unconstrained coordinates.
    pub fn dim(&self) -> usize {
        self.space.dim()
    }

    /// The current values of the discrete latent sites (in the order of
    /// [`LatentSpace::discrete`]).
    pub fn discrete(&self) -> &[Value<f64>] {
        &self.discrete
    }

    /// Set the discrete latent sites' values.
    pub fn set_discrete(&mut self, values: Vec<Value<f64>>) {
        self.discrete = values;
    }

    /// An error naming the first discrete latent site, for algorithms that move continuous
    /// sites only.
    pub fn refuse_discrete(&self, algorithm: &'static str, advice: &str) -> Result<()> {
        match self.space.discrete().next() {
            Some(d) => Err(Error::Unsupported {
                algorithm,
                site: d.name.clone(),
                detail: format!(
                    "the site is discrete (support {}), and {algorithm} moves continuous sites only; {advice}",
                    d.support
                ),
            }),
            None => Ok(()),
        }
    }

    /// An error when the model has no continuous latent site (nothing for a gradient-based
    /// sampler to move).
    pub fn refuse_empty(&self, algorithm: &'static str) -> Result<()> {
        if self.dim() > 0 {
            return Ok(());
        }
        Err(Error::Config {
            algorithm,
            detail: "the model has no continuous latent site to sample (every site is observed or discrete); use Predictive for draws of a model without latents".into(),
        })
    }

    /// `log p(constrain(u))` (+ the log-Jacobian): `−∞` outside the support, an error naming
    /// the site when NaN or `+∞`.
    pub fn log_density(&mut self, u: &[f64]) -> Result<f64> {
        for (l, &x) in self.lifted.iter_mut().zip(u) {
            *l = Real(x);
        }
        log_density_unconstrained(
            self.model,
            self.args,
            &self.space,
            &self.lifted,
            &self.discrete,
            self.jacobian,
            &mut SmallRng::seed_from_u64(self.seed),
        )
        .map(|lp| lp.value())
    }

    /// The log-density and its gradient with respect to `u` (written into `grad`).
    pub fn log_density_and_gradient(&self, u: &[f64], grad: &mut [f64]) -> Result<f64> {
        self.grad_mode_ref(self.mode)
            .log_density_and_gradient(u, grad)
    }

    /// The first site whose log-probability is not finite at `u` (for messages).
    pub fn culprit(&self, u: &[f64]) -> Option<(String, f64)> {
        let lifted = lift_coordinates::<f64>(u, None);
        log_density_and_culprit(
            self.model,
            self.args,
            &self.space,
            &lifted,
            &self.discrete,
            self.jacobian,
            &mut SmallRng::seed_from_u64(self.seed),
        )
        .ok()
        .and_then(|(_, c)| c)
    }

    /// The site that owns unconstrained coordinate `i`.
    pub fn site_of(&self, i: usize) -> Option<&LatentSite> {
        self.space
            .continuous()
            .find(|s| i >= s.offset && i < s.offset + s.dim)
    }

    /// An initial point by `strategy` whose log-density (and gradient, when `gradient`) is
    /// finite: the first attempt uses `strategy` (with `prior`, the discovery run, for the
    /// strategies that start from a prior draw), later ones redraw it, or use
    /// `init_to_uniform(2)` when it is deterministic, up to [`MAX_INIT_ATTEMPTS`] attempts.
    /// Returns the point and its log-density.
    pub fn initial_point(
        &mut self,
        strategy: &Init,
        prior: &Trace<f64>,
        gradient: bool,
        rng: &mut dyn Rng,
    ) -> Result<(Vec<f64>, f64)> {
        let mut last = (String::from("(none)"), f64::NAN, "the log-density");
        let mut grad = vec![0.0; self.dim()];
        let (model, args) = (self.model, self.args);
        for attempt in 0..MAX_INIT_ATTEMPTS {
            let retry = Init::Uniform { radius: 2.0 };
            let this = if attempt == 0 || strategy.is_random() {
                strategy
            } else {
                &retry
            };
            // Strategies that start from a prior draw get a fresh one on a retry; a draw at
            // which a distribution cannot be built counts as a failed attempt.
            let fresh;
            let needs_prior = matches!(this, Init::Prior | Init::Values(_) | Init::Median { .. });
            let prior_now = if attempt == 0 || !needs_prior {
                prior
            } else {
                match smallx_core::get_trace(model, args, &mut *rng) {
                    Ok(t) => {
                        fresh = t.into_parts().0;
                        &fresh
                    }
                    Err(e) => {
                        last = failed_attempt(e)?;
                        continue;
                    }
                }
            };
            // init_to_median's extra prior draws come from their own stream, seeded from
            // `rng` only when that strategy is used.
            let mut median_rng = matches!(this, Init::Median { .. })
                .then(|| SmallRng::seed_from_u64(rng.next_u64()));
            let mut draw_prior = || match median_rng.as_mut() {
                Some(r) => smallx_core::get_trace(model, args, r).map(|t| t.into_parts().0),
                None => Err(Error::Config {
                    algorithm: "initialisation",
                    detail: "extra prior draws are only made for init_to_median".into(),
                }),
            };
            let u = initial_point(&self.space, this, prior_now, &mut draw_prior, &mut *rng)?;
            let lp = match self.log_density(&u) {
                Ok(lp) => lp,
                Err(e) => {
                    last = failed_attempt(e)?;
                    continue;
                }
            };
            if !lp.is_finite() {
                last = self
                    .culprit(&u)
                    .map_or(("(none)".into(), lp, "the log-density"), |(s, v)| {
                        (s, v, "the log-density")
                    });
                continue;
            }
            if gradient {
                if let Err(e) = self.log_density_and_gradient(&u, &mut grad) {
                    last = failed_attempt(e)?;
                    continue;
                }
                if let Some(i) = grad.iter().position(|g| !g.is_finite()) {
                    let site = self
                        .site_of(i)
                        .map_or("(unknown)".into(), |s| s.name.clone());
                    last = (site, grad[i], "the gradient of the log-density");
                    continue;
                }
            }
            return Ok((u, lp));
        }
        let (site, value, what) = last;
        Err(Error::InitFailed {
            attempts: MAX_INIT_ATTEMPTS,
            site,
            what,
            value,
        })
    }

    /// The columns [`record`](Potential::record) writes: continuous sites, then discrete ones.
    pub fn columns(&self) -> Vec<Column> {
        self.space
            .continuous()
            .chain(self.space.discrete())
            .map(|s| Column {
                name: s.name.clone(),
                kind: s.kind,
                len: numbers_in(s.kind),
            })
            .collect()
    }

    /// Append the point `u` (with the current discrete values) to `out` as constrained
    /// numbers, site after site (elementwise bijections coordinate by coordinate, without
    /// building site values); returns `ln |det J|` at `u`.
    pub fn record(&self, u: &[f64], out: &mut Vec<f64>) -> Result<f64> {
        let mut log_det = 0.0;
        for s in self.space.continuous() {
            let us = &u[s.offset..s.offset + s.dim];
            if matches!(
                s.support,
                Constraint::Simplex | Constraint::LowerCholesky | Constraint::CorrCholesky
            ) {
                let (v, l) = s
                    .support
                    .forward(&lift_coordinates::<f64>(us, None), s.kind)?;
                log_det += l.value();
                out.extend(v.real_values().unwrap_or_default());
            } else {
                for &x in us {
                    let (y, l) = s.support.forward_scalar(Real(x));
                    log_det += l.value();
                    out.push(y.value());
                }
            }
        }
        for v in &self.discrete {
            match v {
                Value::Bool(b) => out.push(f64::from(u8::from(*b))),
                Value::Int(i) => out.push(*i as f64),
                Value::BoolVec(bs) => out.extend(bs.iter().map(|&b| f64::from(u8::from(b)))),
                Value::IntVec(is) => out.extend(is.iter().map(|&i| i as f64)),
                other => out.extend(other.real_values().unwrap_or_default()),
            }
        }
        Ok(log_det)
    }
}

/// An error at a candidate initial point: the site and what was not finite when the point
/// is to be retried (a density that is not finite, a parameter out of its range); any other
/// error stops the search.
fn failed_attempt(e: Error) -> Result<(String, f64, &'static str)> {
    match e {
        Error::NonFinite { site, value, .. } => Ok((site, value, "the log-density")),
        Error::InvalidDistribution { site, .. } => Ok((site, f64::NAN, "a distribution parameter")),
        other => Err(other),
    }
}

/// A potential borrowed with another gradient mode ([`Potential::grad_mode_ref`]).
pub struct PotentialIn<'p, 'm, 'a, M: Model> {
    potential: &'p Potential<'m, 'a, M>,
    mode: GradMode,
}

impl<M: Model> PotentialIn<'_, '_, '_, M> {
    /// The log-density and its gradient with respect to `u` (written into `grad`).
    pub fn log_density_and_gradient(&self, u: &[f64], grad: &mut [f64]) -> Result<f64> {
        let mut objective = Negative {
            potential: self.potential,
            u,
        };
        let value = value_and_gradient(self.mode, &mut objective, grad)?;
        grad.iter_mut().for_each(|g| *g = -*g);
        Ok(-value)
    }
}

/// How many numbers a value of `kind` has.
pub(crate) fn numbers_in(kind: ValueKind) -> usize {
    match kind {
        ValueKind::Real | ValueKind::Int | ValueKind::Bool => 1,
        ValueKind::RealVec(n) | ValueKind::IntVec(n) | ValueKind::BoolVec(n) => n,
        ValueKind::Matrix(r, c) => r * c,
    }
}
