//! The ELBO with the model's enumerated sites summed out exactly (Pyro's `TraceEnum_ELBO`).

use super::{Elbo, TracePair, run_model_and_guide};
use crate::enumerate::{EnumHandler, MAX_RUNS, factor_tables, log_sum};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use smallx_core::handler::{ReplayHandler, TraceHandler};
use smallx_core::{
    Ctx, Error, Model, ParamHandler, ParamStore, Real, Result, Root, Scalar, SiteKind, Trace,
    TraceSite, Value,
};

/// The name of the site that carries the summed log-joint in a particle's model trace.
pub const SUMMED_SITE: &str = "(model with enumerated sites summed out)";

/// The ELBO of a model whose discrete latent sites are marked for enumeration
/// (`sample!(.., infer = enumerate)` or [`config_enumerate`](crate::enumerate::config_enumerate)):
/// `E_q[log Σ_z p(x, z, θ) − log q(θ)]`, with the guide covering the other latent sites θ and
/// the sum over the enumerated `z` computed exactly (see the
/// [`enumerate`](crate::enumerate) module), Pyro's `TraceEnum_ELBO` for enumerated model
/// sites. Guide sites are drawn (reparameterised, or with score-function gradients as in
/// [`TraceElbo`](crate::TraceElbo)), except guide sites marked for enumeration outside plates,
/// whose values are summed exactly with their guide probabilities as weights (the expectation
/// over them is exact, and so is its gradient). A guide that samples an enumerated model site
/// is an error.
///
/// ```
/// use smallx::prelude::*;
/// use smallx::infer::{Adam, Svi, TraceEnumElbo};
///
/// // Zero-inflated counts: the gate of each count is summed out.
/// #[model]
/// fn zip(ys: &[i64]) {
///     let rate = sample!("rate", Gamma::new(2.0, 0.5));
///     for (i, &y) in ys.iter().enumerate() {
///         let structural = sample!(format!("zero_{i}"), Bernoulli::new(0.3), infer = enumerate);
///         let r = if structural { Real::new(1e-6) } else { rate };
///         observe!(format!("y_{i}"), Poisson::new(r), y);
///     }
/// }
///
/// #[model]
/// fn guide(_ys: &[i64]) {
///     let loc = param!("loc", 1.0);
///     let scale = param!("scale", 0.2, Constraint::Positive);
///     sample!("rate", LogNormal::new(loc, scale));
/// }
///
/// let ys = [0, 3, 0, 5, 4, 0, 2, 6];
/// let mut svi = Svi::new(zip, guide, Adam::new(0.05), TraceEnumElbo::new()).seed(0).progress(false);
/// svi.run(300, &(&ys[..],)).unwrap();
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TraceEnumElbo {
    particles: usize,
}

impl Default for TraceEnumElbo {
    fn default() -> Self {
        TraceEnumElbo { particles: 1 }
    }
}

impl TraceEnumElbo {
    /// One particle.
    pub fn new() -> Self {
        Self::default()
    }
    /// Average `n` particles per step.
    pub fn num_particles(mut self, n: usize) -> Self {
        self.particles = n;
        self
    }
}

impl Elbo for TraceEnumElbo {
    fn num_particles(&self) -> usize {
        self.particles
    }

    fn enumerates(&self) -> bool {
        true
    }

    fn check(&self) -> Result<()> {
        super::check_particles("TraceEnumElbo", self.particles)
    }

    /// The guide's trace, and a model trace whose log-joint is `log Σ_z p(x, z, θ)`: the
    /// model's own sites masked (kept for their values and return value) and one observed
    /// site, [`SUMMED_SITE`], carrying the sum.
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
    {
        let (model_trace, guide_trace) =
            run_model_and_guide::<M, G, S>(model, guide, args, store, first, seed)?;
        let enumerated_in_guide = guide_trace.latent_sites().any(|g| g.enumerate);
        let (summed, guide_trace) = if enumerated_in_guide {
            let summed = guide_enumerated(model, guide, args, store, first, seed, &guide_trace)?;
            (summed, masked(&guide_trace)?)
        } else {
            let summed = summed_log_joint(model, args, store, first, seed, &guide_trace)?;
            (summed, guide_trace)
        };
        let (sites, ret) = model_trace.into_parts();
        let mut trace = masked(&sites)?;
        trace.push(TraceSite {
            name: SUMMED_SITE.to_string(),
            kind: SiteKind::Sample,
            dist: None,
            value: Value::Real(Real::new(0.0)),
            log_prob: summed,
            is_observed: true,
            intervened: false,
            scale: 1.0,
            mask: true,
            plates: Vec::new(),
            constraint: None,
            enumerate: false,
        })?;
        Ok((trace.with_return(ret), guide_trace))
    }
}

/// A copy of `trace` with every site masked (kept for its value, adding nothing).
fn masked<S: Scalar, R>(trace: &Trace<S, R>) -> Result<Trace<S>> {
    let mut out = Trace::new();
    for site in trace.iter() {
        let mut copy = site.clone();
        copy.mask = false;
        out.push(copy)?;
    }
    Ok(out)
}

/// `log Σ_z p(x, z, θ)` with the guide's values `θ` replayed: the model runs once per colour
/// combination of its enumerated sites, each run from the same generator state.
fn summed_log_joint<M: Model, S: Scalar>(
    model: &M,
    args: &M::Args<'_>,
    store: &mut ParamStore,
    first: Option<usize>,
    seed: u64,
    guide_trace: &Trace<S>,
) -> Result<Real<S>> {
    let (layout, tables) = factor_tables::<S>(|handler| {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x5DEE_CE66_D1CE_4E5B);
        let mut root = Root::new(&mut rng);
        let mut cx = Ctx::new(&mut root);
        let params = match first {
            Some(k) => ParamHandler::differentiating(store, k),
            None => ParamHandler::new(store),
        };
        cx.with_handler(params, |cx| {
            cx.with_handler(ReplayHandler::new(guide_trace), |cx| {
                cx.with_handler(handler, |cx| model.run(cx, args))
            })
        })?;
        Ok(())
    })?;
    log_sum(&layout, tables)
}

/// The ELBO with the guide's enumerated sites summed exactly: `Σ_a q(a) · (log Σ_z p(x, z, θ_a,
/// a) − log q(a, θ_a))` over every combination `a` of their values, `θ_a` the guide's other
/// draws given `a`. The weights `q(a)` carry derivatives, so the gradient is exact in `a`.
fn guide_enumerated<M: Model, G, S: Scalar>(
    model: &M,
    guide: &G,
    args: &M::Args<'_>,
    store: &mut ParamStore,
    first: Option<usize>,
    seed: u64,
    first_trace: &Trace<S>,
) -> Result<Real<S>>
where
    G: for<'a> Model<Args<'a> = M::Args<'a>>,
{
    let mismatch = |m: String| Err(Error::ModelGuideMismatch(m));
    for g in first_trace.latent_sites() {
        if g.enumerate && !g.plates.is_empty() {
            return mismatch(format!(
                "the guide's enumerated site `{}` is inside the plate `{}`: guide sites are \
                 enumerated only outside plates (enumerate it in the model instead)",
                g.name, g.plates[0].name
            ));
        }
        if !g.enumerate && g.dist.as_ref().is_some_and(|d| !d.has_rsample()) {
            return mismatch(format!(
                "the guide has enumerated sites and the non-reparameterised site `{}`: \
                 TraceEnumElbo does not combine the two; enumerate `{}` too, or give it a \
                 reparameterised distribution",
                g.name, g.name
            ));
        }
    }
    let run_guide =
        |store: &mut ParamStore, handler: &mut EnumHandler<'_, S>| -> Result<Trace<S>> {
            let mut rng = SmallRng::seed_from_u64(seed);
            let mut root = Root::new(&mut rng);
            let mut cx = Ctx::new(&mut root);
            let params = match first {
                Some(k) => ParamHandler::differentiating(store, k),
                None => ParamHandler::new(store),
            };
            let mut trace = TraceHandler::new();
            cx.with_handler(params, |cx| {
                cx.with_handler(&mut trace, |cx| {
                    cx.with_handler(handler, |cx| guide.run(cx, args))
                })
            })?;
            Ok(trace.into_trace())
        };
    let mut discovery = EnumHandler::<S>::discovering();
    run_guide(store, &mut discovery)?;
    let layout = discovery.into_layout()?;
    let sizes: Vec<usize> = layout.vars.iter().map(|v| v.size).collect();
    let combinations = sizes
        .iter()
        .try_fold(1usize, |acc, &k| acc.checked_mul(k))
        .filter(|&n| n <= MAX_RUNS)
        .ok_or_else(|| Error::Enumeration {
            site: layout.vars[0].name.clone(),
            detail: format!(
                "the guide's enumerated sites have {} combinations of values, more than the \
                 limit {MAX_RUNS}",
                sizes
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(" × ")
            ),
        })?;
    let mut total = Real::new(0.0);
    for mut r in 0..combinations {
        let indices: Vec<usize> = sizes
            .iter()
            .map(|&k| {
                let i = r % k;
                r /= k;
                i
            })
            .collect();
        let mut handler = EnumHandler::with_values(&layout, indices);
        let guide_trace = run_guide(store, &mut handler)?;
        let log_q_a: Real<S> = guide_trace
            .latent_sites()
            .filter(|g| g.enumerate)
            .map(|g| g.weighted_log_prob())
            .sum();
        let weight = log_q_a.exp();
        if weight.value() == 0.0 {
            continue;
        }
        let summed = summed_log_joint(model, args, store, first, seed, &guide_trace)?;
        total += weight * (summed - guide_trace.log_joint());
    }
    Ok(total)
}
