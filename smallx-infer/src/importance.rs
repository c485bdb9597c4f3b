//! Importance sampling.

use crate::elbo::run_model_and_guide;
use crate::marginal::EmpiricalMarginal;
use crate::progress::Progress;
use crate::seeds::derive;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use smallx_core::{Error, Model, ParamStore, Result, SiteKind, Trace, Value};

/// A model trace with its return value, and its log importance weight.
pub type WeightedTrace<R> = (Trace<f64, R>, f64);

/// Where importance samples come from.
pub trait Proposal<M: Model> {
    /// Scratch space for one chunk of proposals (made once per chunk, not per sample).
    type State;
    /// Fresh scratch space.
    fn state(&self) -> Self::State;
    /// One weighted trace of the model: the trace and `log p(x, z) − log q(z)`.
    fn propose(
        &self,
        state: &mut Self::State,
        model: &M,
        args: &M::Args<'_>,
        seed: u64,
    ) -> Result<WeightedTrace<M::Ret<f64>>>;
}

/// The model's prior as proposal: the weight of a run is its likelihood.
#[derive(Clone, Copy, Debug, Default)]
pub struct Prior;

impl<M: Model> Proposal<M> for Prior {
    type State = ();
    fn state(&self) {}
    fn propose(
        &self,
        _state: &mut (),
        model: &M,
        args: &M::Args<'_>,
        seed: u64,
    ) -> Result<WeightedTrace<M::Ret<f64>>> {
        let trace = smallx_core::get_trace(model, args, &mut SmallRng::seed_from_u64(seed))?;
        let log_weight = trace.log_likelihood().value();
        Ok((trace, log_weight))
    }
}

/// A guide (with its fitted parameters) as proposal.
pub struct GuideProposal<G> {
    guide: G,
    params: ParamStore,
}

impl<M: Model, G> Proposal<M> for GuideProposal<G>
where
    G: for<'a> Model<Args<'a> = M::Args<'a>>,
{
    /// A copy of the fitted parameters (the parameter handler may add missing ones).
    type State = ParamStore;
    fn state(&self) -> ParamStore {
        self.params.clone()
    }
    fn propose(
        &self,
        params: &mut ParamStore,
        model: &M,
        args: &M::Args<'_>,
        seed: u64,
    ) -> Result<WeightedTrace<M::Ret<f64>>> {
        let (model_trace, guide_trace) =
            run_model_and_guide::<M, G, f64>(model, &self.guide, args, params, None, seed)?;
        let log_weight = model_trace.log_joint().value() - guide_trace.log_joint().value();
        Ok((model_trace, log_weight))
    }
}

/// Importance sampling (Pyro's `Importance`): weighted samples of a model, from its prior or a
/// guide.
///
/// Each sample's trace is reduced as soon as it is drawn to its log weight, the values of its
/// latent and deterministic sites and its return value ([`ImportanceResult`]); unlike Pyro,
/// whole traces (with their observed data) are not kept, so memory does not grow with the
/// data times the number of samples.
///
/// ```
/// use smallx::prelude::*;
/// use smallx::infer::Importance;
///
/// #[model]
/// fn scale(guess: f64) -> Real {
///     let weight = sample!("weight", Normal::new(guess, 1.0));
///     sample!("measurement", Normal::new(weight, 0.75))
/// }
///
/// let conditioned = condition(scale, data! { "measurement" => 9.5 });
/// let result = Importance::new(conditioned).num_samples(20_000).seed(1).run(&(8.5,)).unwrap();
/// let weight = result.marginal("weight").unwrap();
/// assert!((weight.mean() - 9.14).abs() < 0.05);
/// assert!((result.log_normalizer() - (-1.46208)).abs() < 0.05);
/// ```
pub struct Importance<M, P = Prior> {
    model: M,
    proposal: P,
    num_samples: usize,
    seed: u64,
    progress: bool,
}

/// The number of chunks a run is split into; fixed, so results do not depend on the number
/// of threads.
const CHUNKS: u64 = 16;

impl<M: Model> Importance<M, Prior> {
    /// Importance sampling from the prior of `model` (conditioned on its data), 1000 samples.
    pub fn new(model: M) -> Self {
        Importance {
            model,
            proposal: Prior,
            num_samples: 1000,
            seed: 0,
            progress: true,
        }
    }
}

impl<M: Model, P: Proposal<M>> Importance<M, P> {
    /// Propose from `guide` with parameters `params` (copied) instead of the prior.
    pub fn guide<G>(self, guide: G, params: &ParamStore) -> Importance<M, GuideProposal<G>>
    where
        G: for<'a> Model<Args<'a> = M::Args<'a>>,
    {
        Importance {
            model: self.model,
            proposal: GuideProposal {
                guide,
                params: params.clone(),
            },
            num_samples: self.num_samples,
            seed: self.seed,
            progress: self.progress,
        }
    }

    /// How many weighted traces to draw (at least 1; checked when the run starts).
    pub fn num_samples(mut self, n: usize) -> Self {
        self.num_samples = n;
        self
    }

    /// Seed the draws.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Show a progress bar (default on; hidden when standard error is not a terminal).
    pub fn progress(mut self, show: bool) -> Self {
        self.progress = show;
        self
    }

    fn chunk(&self, c: u64) -> std::ops::Range<usize> {
        let n = self.num_samples as u64;
        (n * c / CHUNKS) as usize..(n * (c + 1) / CHUNKS) as usize
    }

    /// The samples of chunk `c`, each reduced to what the result keeps as soon as it is
    /// drawn: its trace (with the observed data and the distributions) is dropped at once.
    fn run_chunk(
        &self,
        args: &M::Args<'_>,
        c: u64,
        progress: &Progress,
    ) -> Result<Vec<Kept<M::Ret<f64>>>> {
        let mut rng = SmallRng::seed_from_u64(derive(self.seed, c));
        let mut state = self.proposal.state();
        self.chunk(c)
            .map(|_| {
                let out = self
                    .proposal
                    .propose(&mut state, &self.model, args, rng.next_u64())
                    .and_then(|(trace, log_weight)| Kept::new(trace, log_weight));
                progress.tick(String::new);
                out
            })
            .collect()
    }

    /// Draw the weighted traces on this thread.
    pub fn run(&self, args: &M::Args<'_>) -> Result<ImportanceResult<M::Ret<f64>>> {
        crate::samples::check_count("Importance", "num_samples", self.num_samples)?;
        let progress = Progress::new(self.num_samples, "Importance", self.progress);
        let mut samples = Vec::with_capacity(self.num_samples);
        for c in 0..CHUNKS {
            samples.extend(self.run_chunk(args, c, &progress)?);
        }
        progress.finish();
        ImportanceResult::collect(samples)
    }

    /// Draw the weighted traces on all cores; the result equals [`run`](Importance::run)'s.
    pub fn run_parallel(&self, args: &M::Args<'_>) -> Result<ImportanceResult<M::Ret<f64>>>
    where
        M: Sync,
        P: Sync,
        for<'a> M::Args<'a>: Sync,
        M::Ret<f64>: Send,
    {
        crate::samples::check_count("Importance", "num_samples", self.num_samples)?;
        let progress = Progress::new(self.num_samples, "Importance", false);
        let chunks: Vec<Result<Vec<_>>> = (0..CHUNKS)
            .into_par_iter()
            .map(|c| self.run_chunk(args, c, &progress))
            .collect();
        let mut samples = Vec::with_capacity(self.num_samples);
        for chunk in chunks {
            samples.extend(chunk?);
        }
        ImportanceResult::collect(samples)
    }
}

/// What one importance sample keeps of its trace: the log weight, the values of its latent
/// and deterministic sites, and the return value. Observed data is never kept, so a model
/// with 10^7 observations costs a few numbers per sample.
struct Kept<R> {
    log_weight: f64,
    sites: Vec<(String, Value<f64>)>,
    ret: R,
}

impl<R> Kept<R> {
    fn new(trace: Trace<f64, R>, log_weight: f64) -> Result<Self> {
        crate::latent::require_full_data(&trace, "Importance")?;
        if log_weight.is_nan() {
            return Err(Error::NonFinite {
                site: "(importance weight)".into(),
                what: "a log-weight",
                value: log_weight,
            });
        }
        let (trace, ret) = trace.into_parts();
        let sites = trace
            .iter()
            .filter(|s| {
                (s.kind == SiteKind::Sample && !s.is_observed) || s.kind == SiteKind::Deterministic
            })
            .map(|s| (s.name.clone(), s.value.clone()))
            .collect();
        Ok(Kept {
            log_weight,
            sites,
            ret,
        })
    }
}

/// Weighted samples, summarised by site: the log weights, the values of the latent (and
/// deterministic) sites and the return values. The observed sites' data are not kept (they
/// are the same in every sample, and at millions of observations would not fit in memory a
/// thousand times over).
#[derive(Clone, Debug)]
pub struct ImportanceResult<R> {
    log_weights: Vec<f64>,
    sites: Vec<String>,
    values: Vec<Vec<Option<Value<f64>>>>,
    returns: Vec<R>,
}

impl<R> ImportanceResult<R> {
    fn collect(samples: Vec<Kept<R>>) -> Result<Self> {
        let n = samples.len();
        let mut result = ImportanceResult {
            log_weights: Vec::with_capacity(n),
            sites: Vec::new(),
            values: Vec::new(),
            returns: Vec::with_capacity(n),
        };
        for (i, sample) in samples.into_iter().enumerate() {
            result.log_weights.push(sample.log_weight);
            for (name, value) in sample.sites {
                let column = match result.sites.iter().position(|s| *s == name) {
                    Some(c) => c,
                    None => {
                        result.sites.push(name);
                        result.values.push(vec![None; n]);
                        result.sites.len() - 1
                    }
                };
                result.values[column][i] = Some(value);
            }
            result.returns.push(sample.ret);
        }
        Ok(result)
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.log_weights.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.log_weights.is_empty()
    }

    /// `log w = log p(x, z) − log q(z)` of each sample.
    pub fn log_weights(&self) -> &[f64] {
        &self.log_weights
    }

    fn max_log_weight(&self) -> f64 {
        self.log_weights
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The weights normalised to sum to one.
    pub fn normalized_weights(&self) -> Vec<f64> {
        let m = self.max_log_weight();
        let w: Vec<f64> = self.log_weights.iter().map(|lw| (lw - m).exp()).collect();
        let total: f64 = w.iter().sum();
        w.into_iter().map(|x| x / total).collect()
    }

    /// `log Ẑ = log (1/n Σ wᵢ)`, the estimate of the log marginal likelihood (log evidence).
    pub fn log_normalizer(&self) -> f64 {
        let m = self.max_log_weight();
        if !m.is_finite() {
            return m;
        }
        m + (self
            .log_weights
            .iter()
            .map(|lw| (lw - m).exp())
            .sum::<f64>()
            / self.len() as f64)
            .ln()
    }

    /// The Monte Carlo standard error of [`log_normalizer`](Self::log_normalizer), by the delta
    /// method: `√((mean(w²)/mean(w)² − 1)/n)`.
    pub fn log_normalizer_se(&self) -> f64 {
        let n = self.len() as f64;
        (((n / self.ess()) - 1.0) / n).max(0.0).sqrt()
    }

    /// Kish's effective sample size `(Σw)²/Σw²`.
    pub fn ess(&self) -> f64 {
        1.0 / self.normalized_weights().iter().map(|w| w * w).sum::<f64>()
    }

    /// The names of the latent sample sites and deterministic sites seen, in order (observed
    /// sites are not kept).
    pub fn sites(&self) -> &[String] {
        &self.sites
    }

    /// The weighted marginal of a real site.
    pub fn marginal(&self, site: &str) -> Result<EmpiricalMarginal> {
        self.marginal_of(site, |v| v.as_f64())
    }

    /// The weighted marginal of element `i` of a vector site.
    pub fn marginal_element(&self, site: &str, i: usize) -> Result<EmpiricalMarginal> {
        self.marginal_of(site, |v| v.real_values().and_then(|x| x.get(i).copied()))
    }

    fn marginal_of(
        &self,
        site: &str,
        get: impl Fn(&Value<f64>) -> Option<f64>,
    ) -> Result<EmpiricalMarginal> {
        let column =
            self.sites
                .iter()
                .position(|s| s == site)
                .ok_or_else(|| Error::UnknownSite {
                    handler: "ImportanceResult::marginal",
                    name: site.to_string(),
                    known: self.sites.join(", "),
                })?;
        let weights = self.normalized_weights();
        let (mut values, mut kept) = (Vec::new(), Vec::new());
        for (v, w) in self.values[column].iter().zip(weights) {
            if let Some(x) = v.as_ref().and_then(&get) {
                values.push(x);
                kept.push(w);
            } else if v.is_some() {
                return Err(Error::Unsupported {
                    algorithm: "ImportanceResult::marginal",
                    site: site.to_string(),
                    detail: format!(
                        "its values are {}, not real numbers (use marginal_element for vectors)",
                        v.as_ref()
                            .map_or("missing".into(), |v| v.kind().to_string())
                    ),
                });
            }
        }
        EmpiricalMarginal::new(values, kept)
    }

    /// The weighted marginal of a quantity computed from the return value.
    pub fn return_marginal(&self, f: impl Fn(&R) -> f64) -> Result<EmpiricalMarginal> {
        EmpiricalMarginal::new(
            self.returns.iter().map(f).collect(),
            self.normalized_weights(),
        )
    }

    /// The return values.
    pub fn returns(&self) -> &[R] {
        &self.returns
    }

    /// Indices of `n` samples drawn with replacement in proportion to the weights.
    pub fn resample_indices(&self, n: usize, rng: &mut dyn Rng) -> Vec<usize> {
        let idx: Vec<f64> = (0..self.len()).map(|i| i as f64).collect();
        EmpiricalMarginal::new(idx, self.normalized_weights())
            .map(|m| m.resample(n, rng).into_iter().map(|i| i as usize).collect())
            .unwrap_or_default()
    }

    /// The value of latent or deterministic `site` in sample `i` (`None` for an observed
    /// site: the data are not kept).
    pub fn value(&self, site: &str, i: usize) -> Option<&Value<f64>> {
        let c = self.sites.iter().position(|s| s == site)?;
        self.values[c].get(i)?.as_ref()
    }
}
