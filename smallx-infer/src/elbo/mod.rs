//! Evidence lower bounds: the loss SVI minimises, as a differentiable surrogate.
//!
//! One particle runs the guide under a trace (its reparameterised draws carry derivatives
//! with respect to the guide's parameters), then the model with the guide's values replayed.
//! `elbo = log p(x, z) − log q(z)`. Guide sites whose draws are not reparameterisable
//! (discrete sites, a mixture's draw, Student's t, ...) add the score-function term
//! `(elbo − b)·(log q(z) − ⊥log q(z))`, whose value is zero and whose gradient is
//! `(elbo − b)·∇ log q(z)` (REINFORCE with a baseline `b`, a running mean of past ELBOs).
//!
//! An [`Elbo`] turns the particles of one step into an estimate and a surrogate
//! ([`Elbo::estimate`]): [`TraceElbo`] and [`TraceMeanFieldElbo`] average the particles,
//! [`RenyiElbo`] combines their log weights into the Rényi bound (the IWAE bound at α = 0), and
//! [`TraceGraphElbo`] gives each non-reparameterised site's score term only the costs
//! downstream of it.

mod renyi;
mod traceenum;
mod tracegraph;

pub use renyi::RenyiElbo;
pub use traceenum::{SUMMED_SITE, TraceEnumElbo};
pub use tracegraph::TraceGraphElbo;

use crate::autoguide::{NormalScale, TransformedNormal};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use smallx_core::dist::{Iid, Normal};
use smallx_core::handler::{ReplayHandler, TraceHandler};
use smallx_core::{
    Constraint, Ctx, DynDistribution, Error, Model, ParamHandler, ParamStore, Real, Result, Root,
    Scalar, Trace, TraceSite, ValueKind,
};
use std::collections::HashMap;

/// The running baselines of the score-function terms, kept by [`Svi`](crate::Svi) from one
/// step to the next (an ELBO returns the next ones in its [`Estimate`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Baselines {
    /// The decaying average of past ELBO estimates ([`TraceElbo`]'s baseline); `None` before
    /// the first step.
    pub elbo: Option<f64>,
    /// Per-site decaying averages of downstream costs ([`TraceGraphElbo`]).
    pub sites: HashMap<String, f64>,
}

/// What an ELBO makes of the particles of one step.
pub struct Estimate<S: Scalar> {
    /// The estimate of the bound.
    pub elbo: f64,
    /// A differentiable surrogate: its value is `elbo`, its gradient the estimator of the
    /// bound's gradient.
    pub surrogate: Real<S>,
    /// The baselines for the next step (kept only when the step succeeds).
    pub baselines: Baselines,
}

/// An ELBO estimator.
pub trait Elbo {
    /// How many particles to run per step.
    fn num_particles(&self) -> usize;
    /// Check the options before the first step.
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// Whether this ELBO sums out the model's sites marked for enumeration
    /// ([`TraceEnumElbo`]); for the others such a site is an error naming it.
    fn enumerates(&self) -> bool {
        false
    }
    /// Run one particle: by default the guide, then the model with the guide's values
    /// replayed ([`run_model_and_guide`]).
    fn particle<M: Model, G, S: Scalar>(
        &self,
        model: &M,
        guide: &G,
        args: &M::Args<'_>,
        store: &mut ParamStore,
        first: Option<usize>,
        seed: u64,
    ) -> Result<TracePair<S, M::Ret<S>>>
    where
        G: for<'a> Model<Args<'a> = M::Args<'a>>,
        Self: Sized,
    {
        run_model_and_guide::<M, G, S>(model, guide, args, store, first, seed)
    }
    /// Combine the particles of one step (model and guide traces, as
    /// [`run_model_and_guide`] makes them) into the estimate and its surrogate. The default
    /// averages [`particle_elbo`] over the particles, with a decaying average (0.9) of past
    /// estimates as the baseline of the score-function terms.
    fn estimate<S: Scalar, R>(
        &self,
        particles: &[TracePair<S, R>],
        baselines: &Baselines,
    ) -> Estimate<S>
    where
        Self: Sized,
    {
        let b = baselines.elbo.unwrap_or(0.0);
        let mut total = Real::new(0.0);
        let mut plain = 0.0;
        for (model_trace, guide_trace) in particles {
            let (value, surrogate) = particle_elbo(self, model_trace, guide_trace, b);
            plain += value.value();
            total += surrogate;
        }
        let n = particles.len().max(1) as f64;
        let mean = plain / n;
        Estimate {
            elbo: mean,
            surrogate: total / n,
            baselines: Baselines {
                elbo: Some(baselines.elbo.map_or(mean, |b| 0.9 * b + 0.1 * mean)),
                sites: HashMap::new(),
            },
        }
    }
    /// `KL(q ‖ p)` between a guide site and the model site of the same name when this ELBO
    /// computes it in closed form; `None` to use the Monte Carlo estimate `log p − log q`.
    fn analytic_kl<S: Scalar>(
        &self,
        _model_site: &TraceSite<S>,
        _guide_site: &TraceSite<S>,
    ) -> Option<Real<S>> {
        None
    }
}

/// `Err` unless at least one particle is asked for.
pub(crate) fn check_particles(algorithm: &'static str, n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::InvalidOption {
            algorithm,
            option: "num_particles",
            value: "0".into(),
            expected: "at least 1",
        });
    }
    Ok(())
}

/// The Monte Carlo ELBO (`Trace_ELBO`).
#[derive(Clone, Copy, Debug)]
pub struct TraceElbo {
    particles: usize,
}

impl Default for TraceElbo {
    fn default() -> Self {
        TraceElbo { particles: 1 }
    }
}

impl TraceElbo {
    /// One particle.
    pub fn new() -> Self {
        Self::default()
    }
    /// Average `n` particles per step (at least 1; 0 is an error when the run starts).
    pub fn num_particles(mut self, n: usize) -> Self {
        self.particles = n;
        self
    }
}

impl Elbo for TraceElbo {
    fn num_particles(&self) -> usize {
        self.particles
    }
    fn check(&self) -> Result<()> {
        check_particles("TraceElbo", self.particles)
    }
}

/// The ELBO with the KL divergence between guide and prior computed analytically where the
/// pair has a closed form (`TraceMeanField_ELBO`): normal guide sites against normal priors,
/// including i.i.d. normals and `AutoNormal` sites on the real line. Other sites use the Monte
/// Carlo estimate.
#[derive(Clone, Copy, Debug)]
pub struct TraceMeanFieldElbo {
    particles: usize,
}

impl Default for TraceMeanFieldElbo {
    fn default() -> Self {
        TraceMeanFieldElbo { particles: 1 }
    }
}

impl TraceMeanFieldElbo {
    /// One particle.
    pub fn new() -> Self {
        Self::default()
    }
    /// Average `n` particles per step (at least 1; 0 is an error when the run starts).
    pub fn num_particles(mut self, n: usize) -> Self {
        self.particles = n;
        self
    }
}

impl Elbo for TraceMeanFieldElbo {
    fn num_particles(&self) -> usize {
        self.particles
    }
    fn check(&self) -> Result<()> {
        check_particles("TraceMeanFieldElbo", self.particles)
    }
    fn analytic_kl<S: Scalar>(
        &self,
        model_site: &TraceSite<S>,
        guide_site: &TraceSite<S>,
    ) -> Option<Real<S>> {
        let (q, p) = (
            normal_params(guide_site.dist.as_deref()?)?,
            normal_params(model_site.dist.as_deref()?)?,
        );
        let n = q.len();
        if p.len() != n && p.len() != 1 {
            return None;
        }
        Some(
            (0..n)
                .map(|i| {
                    let (mq, sq) = q[i];
                    let (mp, sp) = p[i.min(p.len() - 1)];
                    (sp / sq).ln() + (sq * sq + (mq - mp) * (mq - mp)) / (2.0 * sp * sp) - 0.5
                })
                .sum(),
        )
    }
}

/// The (mean, sd) pairs of a normal, an i.i.d. normal, or a real-line `TransformedNormal`
/// with a diagonal scale.
fn normal_params<S: Scalar>(d: &dyn DynDistribution<S>) -> Option<Vec<(Real<S>, Real<S>)>> {
    let any = d.as_any();
    if let Some(n) = any.downcast_ref::<Normal<S>>() {
        return Some(vec![(n.loc(), n.scale())]);
    }
    if let Some(iid) = any.downcast_ref::<Iid<Normal<S>>>() {
        return Some(vec![(iid.base().loc(), iid.base().scale()); iid.len()]);
    }
    if let Some(t) = any.downcast_ref::<TransformedNormal<S>>() {
        if t.support() != Constraint::Real || matches!(d.value_kind(), ValueKind::Matrix(..)) {
            return None;
        }
        if let NormalScale::Diagonal(s) = t.scale() {
            return Some(t.loc().iter().copied().zip(s.iter().copied()).collect());
        }
    }
    None
}

/// A model trace (with its return value) and a guide trace of one particle.
pub type TracePair<S, R> = (Trace<S, R>, Trace<S>);

/// Run the guide, then the model with the guide's values replayed, both with parameters
/// from `store` (lifted with derivative directions from `first`).
pub fn run_model_and_guide<M: Model, G, S: Scalar>(
    model: &M,
    guide: &G,
    args: &M::Args<'_>,
    store: &mut ParamStore,
    first: Option<usize>,
    seed: u64,
) -> Result<TracePair<S, M::Ret<S>>>
where
    G: for<'a> Model<Args<'a> = M::Args<'a>>,
{
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut root = Root::new(&mut rng);
    let mut cx = Ctx::new(&mut root);
    let params = match first {
        Some(k) => ParamHandler::differentiating(store, k),
        None => ParamHandler::new(store),
    };
    cx.with_handler(params, |cx| {
        let mut guide_trace = TraceHandler::new();
        cx.with_handler(&mut guide_trace, |cx| guide.run(cx, args))?;
        let guide_trace = guide_trace.into_trace();
        let mut model_trace = TraceHandler::new();
        let ret = cx.with_handler(&mut model_trace, |cx| {
            cx.with_handler(ReplayHandler::new(&guide_trace), |cx| model.run(cx, args))
        })?;
        Ok((model_trace.into_trace().with_return(ret), guide_trace))
    })
}

/// The ELBO of one particle and its differentiable surrogate (equal in value; the surrogate's
/// gradient includes the score-function terms).
pub fn particle_elbo<E: Elbo, S: Scalar, R>(
    elbo: &E,
    model_trace: &Trace<S, R>,
    guide_trace: &Trace<S>,
    baseline: f64,
) -> (Real<S>, Real<S>) {
    let mut value = model_trace.log_joint() - guide_trace.log_joint();
    for m in model_trace.latent_sites() {
        if let Some(g) = guide_trace.get(&m.name)
            && let Some(kl) = elbo.analytic_kl(m, g)
        {
            // Replace the Monte Carlo estimate log p(z) − log q(z) of this site by −KL(q ‖ p).
            value += g.weighted_log_prob() - m.weighted_log_prob() - kl * m.scale;
        }
    }
    let mut score: Option<Real<S>> = None;
    for g in guide_trace.latent_sites() {
        if g.dist.as_ref().is_some_and(|d| !d.has_rsample()) {
            let lq = g.weighted_log_prob();
            *score.get_or_insert(Real::new(0.0)) += lq - lq.value();
        }
    }
    match score {
        Some(score) if value.is_finite() => (value, value + (value.value() - baseline) * score),
        _ => (value, value),
    }
}

/// The first site of either trace whose weighted log-probability is not finite.
pub fn first_non_finite<S: Scalar, R>(
    model_trace: &Trace<S, R>,
    guide_trace: &Trace<S>,
) -> Option<(String, f64)> {
    model_trace
        .iter()
        .chain(guide_trace.iter())
        .find(|s| !s.weighted_log_prob().is_finite())
        .map(|s| (s.name.clone(), s.weighted_log_prob().value()))
}

/// Check that a guide fits its model: every latent site of the model is a latent site of the
/// guide with the same support, and the guide samples nothing the model lacks or observes.
pub fn check_model_guide<S: Scalar, R>(
    model_trace: &Trace<S, R>,
    guide_trace: &Trace<S>,
) -> Result<()> {
    let mismatch = |m: String| Err(Error::ModelGuideMismatch(m));
    for m in model_trace.latent_sites().filter(|m| !m.enumerate) {
        let Some(g) = guide_trace.get(&m.name) else {
            return mismatch(format!(
                "the model's latent site `{}` is not in the guide, so it would be drawn from its prior; add a `sample!(\"{}\", ...)` to the guide",
                m.name, m.name
            ));
        };
        let (ms, gs) = (
            m.dist.as_ref().map(|d| d.support()),
            g.dist.as_ref().map(|d| d.support()),
        );
        if ms != gs {
            return mismatch(format!(
                "site `{}` has support {} in the model but {} in the guide",
                m.name,
                ms.map_or("none".into(), |c| c.to_string()),
                gs.map_or("none".into(), |c| c.to_string())
            ));
        }
    }
    for g in guide_trace.latent_sites() {
        match model_trace.get(&g.name) {
            None => return mismatch(format!("the guide's site `{}` is not in the model", g.name)),
            Some(m) if m.is_observed => {
                return mismatch(format!(
                    "site `{}` is observed in the model but sampled by the guide",
                    g.name
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Check the sites marked for enumeration: only an ELBO that `enumerates` accepts them, and
/// the guide must not sample an enumerated model site.
pub fn check_enumerated_sites<S: Scalar, R>(
    model_trace: &Trace<S, R>,
    guide_trace: &Trace<S>,
    enumerates: bool,
) -> Result<()> {
    let mismatch = |m: String| Err(Error::ModelGuideMismatch(m));
    if !enumerates && let Some(g) = guide_trace.latent_sites().find(|g| g.enumerate) {
        return mismatch(format!(
            "the guide's site `{}` is marked for enumeration, but this ELBO draws every guide \
             site: use `TraceEnumElbo` to sum it out, or remove `infer = enumerate` (the site \
             is then drawn and trained with score-function gradients)",
            g.name
        ));
    }
    for m in model_trace.latent_sites().filter(|m| m.enumerate) {
        if !enumerates {
            return mismatch(format!(
                "the model's site `{}` is marked for enumeration, but this ELBO draws every site \
                 from the guide: use `TraceEnumElbo` to sum it out, or remove the mark and give \
                 the guide a `sample!(\"{}\", ...)`",
                m.name, m.name
            ));
        }
        if guide_trace.get(&m.name).is_some() {
            return mismatch(format!(
                "the model's site `{}` is enumerated (summed out), so the guide must not sample it",
                m.name
            ));
        }
    }
    Ok(())
}

pub(crate) fn non_finite_error(
    step: usize,
    what: &'static str,
    site: Option<(String, f64)>,
    value: f64,
) -> Error {
    let culprit = match site {
        Some((name, lp)) => format!("the first non-finite site is `{name}` (log-probability {lp})"),
        None => "no site has a non-finite log-probability".into(),
    };
    Error::NonFiniteLoss {
        step,
        what,
        value,
        culprit,
    }
}
