//! Prior and posterior predictive distributions.

use crate::elbo::run_model_and_guide;
use crate::samples::Samples;
use crate::seeds::derive;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use smallx_core::{Model, ParamStore, Result, SiteKind, Trace, Value, substitute};

/// Draws of every sample and deterministic site, and the model's return values.
#[derive(Clone, Debug)]
pub struct PredictiveResult<R> {
    /// Every sample and deterministic site of every run: one chain per chain of the posterior
    /// draws for [`posterior`](Predictive::posterior), one chain otherwise.
    pub samples: Samples,
    /// The return value of every run.
    pub returns: Vec<R>,
}

/// Run a model forward many times: from its prior, with posterior draws substituted, or with
/// a fitted guide's draws replayed (Pyro's `Predictive`).
///
/// For predictions pass the model *without* conditioning on the observations, so that the
/// observed sites are drawn.
pub struct Predictive<M> {
    model: M,
    num_samples: usize,
    seed: u64,
}

impl<M: Model> Predictive<M> {
    /// 1000 runs of `model`.
    pub fn new(model: M) -> Self {
        Predictive {
            model,
            num_samples: 1000,
            seed: 0,
        }
    }
    /// How many runs for [`prior`](Self::prior) and [`from_guide`](Self::from_guide) (at
    /// least 1; checked when they start).
    pub fn num_samples(mut self, n: usize) -> Self {
        self.num_samples = n;
        self
    }
    /// The seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn collect(
        chains: usize,
        traces: impl Iterator<Item = (usize, Result<Trace<f64, M::Ret<f64>>>)>,
    ) -> Result<PredictiveResult<M::Ret<f64>>> {
        let mut samples = Samples::new(chains);
        let mut returns = Vec::new();
        for (chain, trace) in traces {
            let (trace, ret) = trace?.into_parts();
            let values: Vec<(&str, &Value<f64>)> = trace
                .iter()
                .filter(|s| matches!(s.kind, SiteKind::Sample | SiteKind::Deterministic))
                .map(|s| (s.name.as_str(), &s.value))
                .collect();
            samples.push(chain, &values)?;
            for site in trace.iter().filter(|s| s.kind == SiteKind::Deterministic) {
                samples.mark_deterministic(&site.name);
            }
            returns.push(ret);
        }
        Ok(PredictiveResult { samples, returns })
    }

    /// The prior predictive: `num_samples` plain runs.
    pub fn prior(&self, args: &M::Args<'_>) -> Result<PredictiveResult<M::Ret<f64>>> {
        crate::samples::check_count("Predictive", "num_samples", self.num_samples)?;
        let mut rng = SmallRng::seed_from_u64(self.seed);
        Self::collect(
            1,
            (0..self.num_samples).map(|_| (0, smallx_core::get_trace(&self.model, args, &mut rng))),
        )
    }

    /// The posterior predictive: one run per draw (every chain, every draw) with the draw's
    /// latent values substituted.
    pub fn posterior(
        &self,
        args: &M::Args<'_>,
        draws: &Samples,
    ) -> Result<PredictiveResult<M::Ret<f64>>> {
        let mut rng = SmallRng::seed_from_u64(self.seed);
        let runs =
            (0..draws.num_chains()).flat_map(|c| (0..draws.num_draws()).map(move |i| (c, i)));
        Self::collect(
            draws.num_chains(),
            runs.map(|(c, i)| {
                let latent = match draws.draw(c, i) {
                    Ok(d) => d,
                    Err(e) => return (c, Err(e)),
                };
                let run = smallx_core::get_trace(&substitute(&self.model, latent), args, &mut rng);
                (c, run)
            }),
        )
    }

    /// `num_samples` runs of `guide` (with parameters `params`), each replayed into the model:
    /// the guide's posterior approximation and its predictions.
    pub fn from_guide<G>(
        &self,
        args: &M::Args<'_>,
        guide: &G,
        params: &ParamStore,
    ) -> Result<PredictiveResult<M::Ret<f64>>>
    where
        G: for<'a> Model<Args<'a> = M::Args<'a>>,
    {
        crate::samples::check_count("Predictive", "num_samples", self.num_samples)?;
        let mut params = params.clone();
        Self::collect(
            1,
            (0..self.num_samples).map(|i| {
                (
                    0,
                    run_model_and_guide::<M, G, f64>(
                        &self.model,
                        guide,
                        args,
                        &mut params,
                        None,
                        derive(self.seed, i as u64),
                    )
                    .map(|(m, _)| m),
                )
            }),
        )
    }
}

/// Add `model`'s deterministic sites to `samples`, recomputed at every draw (a model run per
/// draw with the draw substituted), and its enumerated sites, drawn from their posterior
/// given each draw (`infer_discrete` at temperature 1); nothing when the model has neither.
pub(crate) fn add_deterministic<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    samples: &mut Samples,
    seed: u64,
) -> Result<()> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let (chains, draws) = (samples.num_chains(), samples.num_draws());
    // Every draw is read before any site is added (an added site has no draws yet).
    let latent: Vec<_> = (0..chains)
        .flat_map(|c| (0..draws).map(move |i| (c, i)))
        .map(|(c, i)| Ok((c, samples.draw(c, i)?)))
        .collect::<Result<_>>()?;
    for (c, latent) in latent {
        let given = substitute(model, latent);
        let mut trace = smallx_core::get_trace(&given, args, &mut rng)?
            .into_parts()
            .0;
        let enumerated = |s: &smallx_core::TraceSite| s.enumerate && s.is_latent();
        if trace.iter().any(enumerated) {
            // Summed out while sampling: draw them from their posterior given this draw.
            trace = crate::enumerate::infer_discrete(&given, args, 1.0, &mut rng)?
                .into_parts()
                .0;
        }
        let derived: Vec<(&str, &Value<f64>)> = trace
            .iter()
            .filter(|s| s.kind == SiteKind::Deterministic || enumerated(s))
            .map(|s| (s.name.as_str(), &s.value))
            .collect();
        // The set of sites does not depend on the draw: a first run without a deterministic
        // or enumerated site means the model has none.
        if derived.is_empty() {
            return Ok(());
        }
        samples.push(c, &derived)?;
        for s in trace.iter().filter(|s| s.kind == SiteKind::Deterministic) {
            samples.mark_deterministic(&s.name);
        }
    }
    Ok(())
}
