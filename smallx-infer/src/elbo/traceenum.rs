//! The ELBO with the model's enumerated sites summed out exactly (Pyro's `TraceEnum_ELBO`).

use super::{Elbo, TracePair, run_model_and_guide};
use crate::enumerate::{factor_tables, log_sum};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use smallx_core::handler::ReplayHandler;
use smallx_core::{
    Ctx, Model, ParamHandler, ParamStore, Real, Result, Root, Scalar, SiteKind, Trace, TraceSite,
    Value,
};

/// The name of the site that carries the summed log-joint in a particle's model trace.
pub const SUMMED_SITE: &str = "(model with enumerated sites summed out)";

/// The ELBO of a model whose discrete latent sites are marked for enumeration
/// (`sample!(.., infer = enumerate)` or [`config_enumerate`](crate::enumerate::config_enumerate)):
/// `E_q[log Σ_z p(x, z, θ) − log q(θ)]`, with the guide covering the other latent sites θ and
/// the sum over the enumerated `z` computed exactly (see the
/// [`enumerate`](crate::enumerate) module), Pyro's `TraceEnum_ELBO` for enumerated model
/// sites. Guide sites are drawn (reparameterised, or with score-function gradients as in
/// [`TraceElbo`](crate::TraceElbo)); a guide site marked for enumeration, and a guide that
/// samples an enumerated model site, are errors.
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
///         let r = if structural { 1e-6 } else { rate };
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
        self.particles = n.max(1);
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
        let (layout, tables) = factor_tables::<S>(|handler| {
            let mut rng = SmallRng::seed_from_u64(seed ^ 0x5DEE_CE66_D1CE_4E5B);
            let mut root = Root::new(&mut rng);
            let mut cx = Ctx::new(&mut root);
            let params = match first {
                Some(k) => ParamHandler::differentiating(store, k),
                None => ParamHandler::new(store),
            };
            cx.with_handler(params, |cx| {
                cx.with_handler(ReplayHandler::new(&guide_trace), |cx| {
                    cx.with_handler(handler, |cx| model.run(cx, args))
                })
            })?;
            Ok(())
        })?;
        let summed = log_sum(&layout, tables)?;
        let (sites, ret) = model_trace.into_parts();
        let mut trace = Trace::new();
        for site in sites.iter() {
            let mut copy = site.clone();
            copy.mask = false;
            trace.push(copy)?;
        }
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
