//! Discrete latent sites summed out exactly: enumeration.
//!
//! A latent site with a finite support (`Bernoulli`, `Categorical`, `Binomial`, ...) marked
//! `sample!(name, dist, infer = enumerate)`, or every such site of a model wrapped in
//! [`config_enumerate`], is not drawn by the enumerating algorithms but summed over:
//!
//! * [`TraceEnumElbo`](crate::TraceEnumElbo) trains a guide of the continuous sites against
//!   the model with its enumerated sites summed out (Pyro's `TraceEnum_ELBO`);
//! * [`infer_discrete`] gives the most probable values of the enumerated sites (temperature 0,
//!   Viterbi decoding for a chain) or an exact posterior draw (temperature 1, forward
//!   filtering and backward sampling), and [`compute_marginals`] their marginal
//!   probabilities;
//! * MCMC (NUTS, HMC, Metropolis) samples the continuous sites of the marginal density, and
//!   records a posterior draw of the enumerated sites at every kept draw.
//!
//! How the sums are computed: the model runs once per combination of values of groups of
//! enumerated sites that no site sees together (see `tables.rs`), each scored site's
//! log-probability becomes a table over the enumerated sites it sees, and a sum-product
//! engine eliminates the variables (`engine.rs`). What a site sees follows from where it sits:
//! plate entries are independent of each other, and `markov!` steps depend on the last
//! `history` steps only. The set of sites must not depend on enumerated values; that and
//! every other requirement is checked and reported as an error naming the site.
//!
//! ```
//! use smallx::prelude::*;
//! use smallx::infer::enumerate::{compute_marginals, infer_discrete};
//!
//! // Which of two coins, one fair and one biased, produced three heads?
//! #[model]
//! fn coins(flips: &[bool]) {
//!     let biased = sample!("biased", Bernoulli::new(0.5), infer = enumerate);
//!     let p = if biased { 0.9 } else { 0.5 };
//!     for (i, &f) in flips.iter().enumerate() {
//!         sample!(format!("flip_{i}"), Bernoulli::new(p), obs = f);
//!     }
//! }
//!
//! # fn main() -> smallx::Result<()> {
//! let mut rng = SmallRng::seed_from_u64(0);
//! let flips = [true, true, true];
//! let marginals = compute_marginals(&coins, &(&flips[..],), &mut rng)?;
//! let p = marginals.probs("biased").unwrap()[1];
//! let exact = 0.9f64.powi(3) / (0.9f64.powi(3) + 0.5f64.powi(3));
//! assert!((p - exact).abs() < 1e-12);
//! let map = infer_discrete(&coins, &(&flips[..],), 0.0, &mut rng)?;
//! assert_eq!(map.value("biased")?, &smallx::Value::Bool(true));
//! # Ok(())
//! # }
//! ```

mod config;
pub mod engine;
mod tables;

pub use config::{ConfigEnumerate, ConfigEnumerateHandler, Enumerating, config_enumerate};
pub use engine::{EngineError, MAX_TABLE_ENTRIES};
pub use tables::{MAX_RUNS, MAX_SUPPORT};

pub(crate) use tables::{EnumHandler, Layout};

use rand::rngs::SmallRng;
use rand::{Rng, RngExt, SeedableRng};
use smallx_core::handler::TraceHandler;
use smallx_core::{Ctx, Error, Model, Real, Result, Root, Scalar, Trace, Value};
use tables::{TableBuilder, Tables};

/// How many runs with random values check the tables of every enumeration.
const SPOT_CHECKS: usize = 2;

/// Run an enumeration: `run` runs the model once with the given handler innermost (below the
/// caller's own handlers). The first run discovers the layout and is also the run of the
/// all-first-values assignment.
pub(crate) fn factor_tables<S: Scalar>(
    mut run: impl FnMut(&mut EnumHandler<'_, S>) -> Result<()>,
) -> Result<(Layout, Tables<S>)> {
    let mut discovery = EnumHandler::<S>::discovering();
    run(&mut discovery)?;
    let first = std::mem::take(&mut discovery.log_probs);
    let layout = discovery.into_layout()?;
    let mut builder = TableBuilder::new(&layout);
    builder.record(0, &first)?;
    for r in 1..layout.runs() {
        let mut handler = EnumHandler::run(&layout, r);
        run(&mut handler)?;
        builder.record(r, &handler.log_probs)?;
    }
    // Spot checks: runs with values drawn at random, whose recorded log-probabilities must
    // agree with the tables. A site that depends on an enumerated value it does not see (from
    // further back than its `markov!` history, say) disagrees; the colour runs alone cannot
    // show it when that value always shares a colour with one the site sees.
    if !layout.vars.is_empty() {
        let mut rng = SmallRng::seed_from_u64(0x0E4E_3A7E);
        for _ in 0..SPOT_CHECKS {
            let assignment: Vec<usize> = layout
                .vars
                .iter()
                .map(|v| rng.random_range(0..v.size))
                .collect();
            let mut handler = EnumHandler::with_values(&layout, assignment.clone());
            run(&mut handler)?;
            builder.record_at(&assignment, &handler.log_probs)?;
        }
    }
    let tables = builder.finish()?;
    Ok((layout, tables))
}

/// `log Σ exp(log-joint)` over the enumerated values, from the tables of an enumeration.
pub(crate) fn log_sum<S: Scalar>(layout: &Layout, tables: Tables<S>) -> Result<Real<S>> {
    let constant = tables.constant;
    let sum = engine::log_partition(&tables.graph()).map_err(|e| engine_error(layout, e))?;
    Ok(constant + sum)
}

fn engine_error(layout: &Layout, e: EngineError) -> Error {
    let site = match &e {
        EngineError::TooLarge { variables, .. } => variables
            .first()
            .and_then(|&v| layout.vars.get(v))
            .map(|v| v.name.clone()),
        _ => None,
    };
    let site = site
        .or_else(|| layout.vars.first().map(|v| v.name.clone()))
        .unwrap_or_default();
    let detail = match e {
        EngineError::ZeroMass => "every combination of the enumerated values has probability \
                                  zero (or a NaN log-probability): the data is impossible \
                                  under the model"
            .to_string(),
        EngineError::TooLarge {
            entries,
            limit,
            variables,
        } => format!(
            "summing out the enumerated sites needs a table of {entries} entries (over {}), \
             more than the limit {limit}; mark fewer sites or use `markov!` for chains",
            variables
                .iter()
                .filter_map(|&v| layout.vars.get(v))
                .map(|v| format!("`{}`", v.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        EngineError::BadFactor { detail } => detail,
    };
    Error::Enumeration { site, detail }
}

/// Run `model` once on a fresh generator from `seed` with `handler` innermost.
fn run_seeded<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    seed: u64,
    handler: &mut EnumHandler<'_, f64>,
) -> Result<()> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut root = Root::new(&mut rng);
    let mut cx = Ctx::new(&mut root);
    cx.with_handler(handler, |cx| model.run(cx, args))?;
    Ok(())
}

/// Run `model` once with the enumerated sites at the value indices `indices`, traced.
fn trace_at<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    seed: u64,
    layout: &Layout,
    indices: Vec<usize>,
) -> Result<Trace<f64, M::Ret<f64>>> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut root = Root::new(&mut rng);
    let mut cx = Ctx::new(&mut root);
    let mut trace = TraceHandler::new();
    let mut handler = EnumHandler::with_values(layout, indices);
    let ret = cx.with_handler(&mut trace, |cx| {
        cx.with_handler(&mut handler, |cx| model.run(cx, args))
    })?;
    Ok(trace.into_trace().with_return(ret))
}

/// The enumerated sites of `model` at their most probable values (`temperature` 0: the MAP
/// assignment, Viterbi decoding for a `markov!` chain) or at an exact draw from their
/// posterior (`temperature` 1: forward filtering, backward sampling), given the model's
/// other sites: observed sites as data, other latent sites drawn once from `rng` (wrap the
/// model in `substitute` or `condition` to fix them). Pyro's `infer_discrete`.
///
/// Returns the trace of a run with those values, so `trace.value(name)` reads them and
/// `trace.log_joint()` is the log-joint at them (at temperature 0 the maximum over all the
/// enumerated values).
///
/// Errors: a temperature other than 0 or 1; a model without enumerated sites; every error of
/// enumeration (see the [module](self) documentation), naming the site.
pub fn infer_discrete<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    temperature: f64,
    rng: &mut dyn Rng,
) -> Result<Trace<f64, M::Ret<f64>>> {
    if temperature != 0.0 && temperature != 1.0 {
        return Err(Error::Config {
            algorithm: "infer_discrete",
            detail: format!(
                "temperature must be 0 (the most probable values) or 1 (a posterior draw), \
                 got {temperature}"
            ),
        });
    }
    let seed = rng.next_u64();
    let (layout, tables) = factor_tables::<f64>(|h| run_seeded(model, args, seed, h))?;
    require_enumerated(&layout, "infer_discrete")?;
    let graph = tables.values();
    let indices = if temperature == 0.0 {
        engine::map_assignment(&graph)
            .map_err(|e| engine_error(&layout, e))?
            .0
    } else {
        engine::sample_assignment(&graph, rng).map_err(|e| engine_error(&layout, e))?
    };
    trace_at(model, args, seed, &layout, indices)
}

fn require_enumerated(layout: &Layout, algorithm: &'static str) -> Result<()> {
    if layout.vars.is_empty() {
        return Err(Error::Config {
            algorithm,
            detail: "the model has no site marked for enumeration: mark discrete latent \
                     sites with `infer = enumerate` or wrap the model in `config_enumerate`"
                .into(),
        });
    }
    Ok(())
}

/// The posterior marginal of every enumerated site, from [`compute_marginals`].
#[derive(Clone, Debug, PartialEq)]
pub struct Marginals {
    sites: Vec<SiteMarginal>,
}

/// The posterior marginal of one enumerated site: its support and the probability of each
/// value.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteMarginal {
    /// The site's name.
    pub name: String,
    /// The values of its support, in order.
    pub values: Vec<Value<f64>>,
    /// The posterior probability of each value.
    pub probs: Vec<f64>,
}

impl Marginals {
    /// Every enumerated site, in the order of the model.
    pub fn sites(&self) -> &[SiteMarginal] {
        &self.sites
    }
    /// The site called `name`.
    pub fn get(&self, name: &str) -> Option<&SiteMarginal> {
        self.sites.iter().find(|s| s.name == name)
    }
    /// The probabilities of the values of the site called `name`.
    pub fn probs(&self, name: &str) -> Option<&[f64]> {
        self.get(name).map(|s| s.probs.as_slice())
    }
}

/// The posterior marginal probabilities of the enumerated sites of `model` given its other
/// sites (observed sites as data, other latent sites drawn once from `rng`), computed exactly
/// (Pyro's `TraceEnum_ELBO.compute_marginals`).
pub fn compute_marginals<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    rng: &mut dyn Rng,
) -> Result<Marginals> {
    let seed = rng.next_u64();
    let (layout, tables) = factor_tables::<f64>(|h| run_seeded(model, args, seed, h))?;
    require_enumerated(&layout, "compute_marginals")?;
    let probs = engine::marginals(&tables.values()).map_err(|e| engine_error(&layout, e))?;
    let trace = trace_at(model, args, seed, &layout, vec![0; layout.vars.len()])?;
    let sites = layout
        .vars
        .iter()
        .zip(probs)
        .map(|(v, probs)| {
            let dist = trace.get(&v.name).and_then(|s| s.dist.as_ref());
            let values = (0..v.size as u64)
                .map(|k| {
                    dist.and_then(|d| d.support_value(k))
                        .unwrap_or(Value::Int(0))
                })
                .collect();
            SiteMarginal {
                name: v.name.clone(),
                values,
                probs,
            }
        })
        .collect();
    Ok(Marginals { sites })
}

/// `log Σ_z p(x, z)`: the log-joint of `model` with its enumerated sites summed out, its
/// other latent sites drawn once from `rng` (fix them with `substitute` or `condition`).
/// For a model whose only latent sites are enumerated, the log evidence.
pub fn enumerated_log_joint<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    rng: &mut dyn Rng,
) -> Result<f64> {
    let seed = rng.next_u64();
    let (layout, tables) = factor_tables::<f64>(|h| run_seeded(model, args, seed, h))?;
    Ok(log_sum(&layout, tables)?.value())
}
