//! Model criticism from posterior draws: the pointwise log-likelihood, WAIC, PSIS-LOO and the
//! comparison of models by their expected log pointwise predictive density (elpd), with
//! ArviZ's conventions (`az.waic`, `az.loo`, `az.compare` on the log scale).
//!
//! ```
//! use smallx::prelude::*;
//! use smallx::infer::{Metropolis, criteria};
//!
//! #[model]
//! fn normal(y: &[f64]) {
//!     let mu = sample!("mu", Normal::new(0.0, 10.0));
//!     observe!("y", Normal::new(mu, 1.0).iid(y.len()), y);
//! }
//!
//! # fn main() -> smallx::Result<()> {
//! let y = [0.3, -0.2, 1.1, 0.4, 0.8];
//! let samples = Metropolis::new(normal).warmup(200).samples(200).chains(2).seed(1)
//!     .progress(false).run(&(&y[..],))?;
//! let ll = criteria::pointwise_log_likelihood(&normal, &(&y[..],), &samples)?;
//! assert_eq!(ll.names()[4], "y[4]");
//! let waic = criteria::waic(&ll)?;
//! let loo = criteria::loo(&ll)?;
//! assert!((waic.elpd - loo.elpd).abs() < 0.5);
//! # Ok(())
//! # }
//! ```
//!
//! **Pyro.** `TracePosterior.information_criterion(pointwise=False)` returns WAIC on the
//! deviance scale, `waic = −2·(lppd − p_waic)`, and `p_waic`, with the variance of the
//! log-likelihood taken with one degree of freedom (as the `loo` package does): that is
//! [`waic_with`]`(&ll, WaicVariance::Sample)` and its [`Waic::deviance`] and [`Waic::p`]
//! ([`information_criterion`] at posterior draws); `pointwise=True` is [`Waic::pointwise`]
//! (times −2). Here all observed sites of the model
//! count (Pyro refuses more than one), and ArviZ's convention ([`waic`]) is the default.

use crate::arviz;
use crate::psis::{log_sum_exp, psis};
use crate::samples::Samples;
use smallx_core::{Error, Model, Result, ValueKind};
use std::fmt;

mod slsqp;

fn bad(algorithm: &'static str, detail: impl Into<String>) -> Error {
    Error::Config {
        algorithm,
        detail: detail.into(),
    }
}

/// The log-likelihood of each observation at each posterior draw: chains × draws ×
/// observations, one observation per element of an observed site (`y[3]`), ArviZ's
/// `log_likelihood` group flattened over sites.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLik {
    chains: usize,
    draws: usize,
    names: Vec<String>,
    /// Observation by observation, all draws of chain 0, then of chain 1, ...
    values: Vec<f64>,
}

impl LogLik {
    /// From values in (chain, draw, observation) order (`values[(c·draws + i)·n + j]`), with
    /// one name per observation. An error when the numbers do not fit the shape, when a
    /// dimension is zero, or when a value is NaN or `+∞` (`−∞`, an impossible observation at
    /// a draw, is allowed).
    pub fn from_array(
        chains: usize,
        draws: usize,
        names: Vec<String>,
        values: &[f64],
    ) -> Result<Self> {
        let n = names.len();
        if chains == 0 || draws == 0 || n == 0 {
            return Err(bad(
                "LogLik",
                format!(
                    "need at least one chain, draw and observation, got {chains} × {draws} × {n}"
                ),
            ));
        }
        if values.len() != chains * draws * n {
            return Err(bad(
                "LogLik",
                format!(
                    "{} values do not fit {chains} chains × {draws} draws × {n} observations",
                    values.len()
                ),
            ));
        }
        if let Some(pos) = values
            .iter()
            .position(|v| v.is_nan() || *v == f64::INFINITY)
        {
            return Err(bad(
                "LogLik",
                format!(
                    "log-likelihood of `{}` at chain {}, draw {} is {}",
                    names[pos % n],
                    pos / n / draws,
                    (pos / n) % draws,
                    values[pos]
                ),
            ));
        }
        let s = chains * draws;
        let mut by_obs = vec![0.0; s * n];
        for (k, &v) in values.iter().enumerate() {
            by_obs[(k % n) * s + k / n] = v;
        }
        Ok(LogLik {
            chains,
            draws,
            names,
            values: by_obs,
        })
    }

    /// The number of chains.
    pub fn num_chains(&self) -> usize {
        self.chains
    }
    /// The number of draws per chain.
    pub fn num_draws(&self) -> usize {
        self.draws
    }
    /// The number of draws over all chains (`S`).
    pub fn num_samples(&self) -> usize {
        self.chains * self.draws
    }
    /// The number of observations (`n`).
    pub fn num_observations(&self) -> usize {
        self.names.len()
    }
    /// The observations' names: `y` for a scalar site, `y[3]` for element 3 of a vector site.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The log-likelihood of observation `j` at every draw, chain after chain (`None` for an
    /// observation that does not exist).
    pub fn observation(&self, j: usize) -> Option<&[f64]> {
        (j < self.names.len()).then(|| self.column(j))
    }
    /// Observation `j < n`.
    fn column(&self, j: usize) -> &[f64] {
        let s = self.num_samples();
        &self.values[j * s..(j + 1) * s]
    }
    /// The log-likelihood of observation `j` at draw `i` of chain `c` (`None` when one of
    /// them does not exist).
    pub fn get(&self, c: usize, i: usize, j: usize) -> Option<f64> {
        if c >= self.chains || i >= self.draws {
            return None;
        }
        Some(self.observation(j)?[c * self.draws + i])
    }
}

/// The log-likelihood of every observed element of `model` (the conditioned model, as given
/// to the sampler) at every draw of `samples`: the model is re-run per draw with the draw's
/// latent values substituted, and each observed site contributes
/// `log_prob_pointwise` (times its plate scale), one column per element. The same numbers
/// as the `log_likelihood` group of [`arviz::InferenceData::with_model`].
pub fn pointwise_log_likelihood<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    samples: &Samples,
) -> Result<LogLik> {
    if samples.num_draws() == 0 {
        return Err(bad("pointwise_log_likelihood", "the samples have no draws"));
    }
    let per_site = arviz::pointwise_log_likelihood(model, args, samples)?;
    let observed = arviz::observed_data(model, args)?;
    let chains = per_site.num_chains();
    let draws = per_site.num_draws();
    let mut names = Vec::new();
    for site in per_site.sites() {
        let scalar = matches!(
            observed.get(&site.name).map(|v| v.kind()),
            Some(ValueKind::Real | ValueKind::Int | ValueKind::Bool)
        );
        if scalar && site.dim == 1 {
            names.push(site.name.clone());
        } else {
            names.extend((0..site.dim).map(|j| format!("{}[{j}]", site.name)));
        }
    }
    if names.is_empty() {
        return Err(bad(
            "pointwise_log_likelihood",
            "the model has no observed site (pass the conditioned model)",
        ));
    }
    let mut values = Vec::with_capacity(chains * draws * names.len());
    for c in 0..chains {
        for i in 0..draws {
            for site in per_site.sites() {
                values.extend_from_slice(site.draw(c, i)?);
            }
        }
    }
    LogLik::from_array(chains, draws, names, &values)
}

/// A warning attached to a criterion: the estimate may be unreliable at these observations.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    /// What was found, in words.
    pub message: String,
    /// The observations concerned, by name.
    pub observations: Vec<String>,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.message, self.observations.join(", "))
    }
}

/// Which variance of the log-likelihood over the draws WAIC's `p_waic` (and its standard
/// error) uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WaicVariance {
    /// Divide by `S` (ArviZ's `az.waic`, numpy's and xarray's default `ddof=0`).
    #[default]
    Population,
    /// Divide by `S − 1` (the `loo` package, Pyro's `waic` and `information_criterion`).
    Sample,
}

fn variance(x: &[f64], ddof: f64) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - ddof)
}

/// The widely applicable information criterion on the log scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Waic {
    /// `elpd_waic = Σᵢ (lppdᵢ − p_waic,ᵢ)`.
    pub elpd: f64,
    /// The effective number of parameters `p_waic = Σᵢ Var_s(log p(yᵢ | θˢ))`.
    pub p: f64,
    /// The standard error of `elpd`: `√(n · Var(elpd_waic,ᵢ))`.
    pub se: f64,
    /// `elpd_waic,ᵢ` per observation (ArviZ's `waic_i`).
    pub pointwise: Vec<f64>,
    /// `p_waic,ᵢ` per observation.
    pub p_pointwise: Vec<f64>,
    /// The observations' names.
    pub names: Vec<String>,
    /// The draws over all chains.
    pub num_samples: usize,
    /// Set when some `p_waic,ᵢ > 0.4`, where WAIC starts to fail (as ArviZ warns).
    pub warning: Option<Warning>,
}

impl Waic {
    /// WAIC on the deviance scale, `−2·elpd` (Pyro's and the `loo` package's `waic`).
    pub fn deviance(&self) -> f64 {
        -2.0 * self.elpd
    }
}

/// WAIC with ArviZ's conventions (`az.waic(idata, pointwise=True)`, scale "log"): the
/// variance over all draws of all chains divided by `S`, and the standard error
/// `√(n · Var(elpd_waic,ᵢ))` with the variance divided by `n`.
pub fn waic(loglik: &LogLik) -> Result<Waic> {
    waic_with(loglik, WaicVariance::Population)
}

/// WAIC with the given variance convention (both the `p_waic` variance over draws and the
/// variance over observations of the standard error use it): [`WaicVariance::Sample`] gives
/// the `loo` package's and Pyro's numbers.
pub fn waic_with(loglik: &LogLik, convention: WaicVariance) -> Result<Waic> {
    let ddof = match convention {
        WaicVariance::Population => 0.0,
        WaicVariance::Sample => 1.0,
    };
    let s = loglik.num_samples();
    let n = loglik.num_observations();
    if convention == WaicVariance::Sample && (s < 2 || n < 2) {
        return Err(bad(
            "waic",
            format!("the sample variance needs two draws and two observations, got {s} and {n}"),
        ));
    }
    let mut pointwise = Vec::with_capacity(n);
    let mut p_pointwise = Vec::with_capacity(n);
    for j in 0..n {
        let x = loglik.column(j);
        let lppd = log_sum_exp(x) - (s as f64).ln();
        let var = variance(x, ddof);
        pointwise.push(lppd - var);
        p_pointwise.push(var);
    }
    let flagged: Vec<String> = p_pointwise
        .iter()
        .zip(loglik.names())
        .filter(|(p, _)| **p > 0.4)
        .map(|(_, name)| name.clone())
        .collect();
    let warning = (!flagged.is_empty()).then(|| Warning {
        message: "the posterior variance of the log predictive density exceeds 0.4 \
                  (WAIC may be unreliable; try loo)"
            .to_string(),
        observations: flagged,
    });
    Ok(Waic {
        elpd: pointwise.iter().sum(),
        p: p_pointwise.iter().sum(),
        se: (n as f64 * variance(&pointwise, ddof)).sqrt(),
        pointwise,
        p_pointwise,
        names: loglik.names().to_vec(),
        num_samples: s,
        warning,
    })
}

/// Pareto-smoothed importance-sampling leave-one-out cross-validation on the log scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Loo {
    /// `elpd_loo = Σᵢ log Σₛ wᵢˢ p(yᵢ | θˢ)` with the smoothed, normalised weights `wᵢ`.
    pub elpd: f64,
    /// The effective number of parameters `p_loo = lppd − elpd_loo`.
    pub p: f64,
    /// The standard error of `elpd`: `√(n · Var(elpd_loo,ᵢ))` (variance divided by `n`).
    pub se: f64,
    /// `elpd_loo,ᵢ` per observation (ArviZ's `loo_i`).
    pub pointwise: Vec<f64>,
    /// The Pareto shape `k̂ᵢ` per observation (ArviZ's `pareto_k`).
    pub k_hat: Vec<f64>,
    /// The threshold above which `k̂` is too large: `min(1 − 1/log₁₀ S, 0.7)`.
    pub good_k: f64,
    /// The observations' names.
    pub names: Vec<String>,
    /// The draws over all chains.
    pub num_samples: usize,
    /// Set when some `k̂ᵢ > good_k` (or a fit failed: `k̂ᵢ` NaN), naming those observations.
    pub warning: Option<Warning>,
}

/// PSIS-LOO as ArviZ's `az.loo(idata, pointwise=True, reff=1.0)` computes it: for each
/// observation, the importance log-weights `−log p(yᵢ | θˢ)` Pareto-smoothed with
/// [`psis`] (tail `M = ⌈min(S/5, 3√S)⌉`), normalised, and
/// `elpd_loo,ᵢ = log Σₛ exp(wᵢˢ + log p(yᵢ | θˢ))`.
pub fn loo(loglik: &LogLik) -> Result<Loo> {
    loo_with_reff(loglik, 1.0)
}

/// PSIS-LOO with relative efficiency `r_eff` (effective sample size over `S`, ArviZ's `reff`;
/// it lengthens the tail to `⌈min(S/5, 3√(S/r_eff))⌉`). ArviZ's `az.loo` by default uses the
/// posterior's effective sample size (`az.ess(method="mean")`, averaged over its variables)
/// over `S` when there are several chains, and 1 for one chain.
pub fn loo_with_reff(loglik: &LogLik, r_eff: f64) -> Result<Loo> {
    if !(r_eff.is_finite() && r_eff > 0.0) {
        return Err(bad(
            "loo",
            format!("r_eff must be positive and finite, got {r_eff}"),
        ));
    }
    let s = loglik.num_samples();
    let n = loglik.num_observations();
    let mut pointwise = Vec::with_capacity(n);
    let mut k_hat = Vec::with_capacity(n);
    let mut lppd = 0.0;
    for j in 0..n {
        let x = loglik.column(j);
        let neg: Vec<f64> = x.iter().map(|v| -v).collect();
        let smoothed = psis(&neg, r_eff);
        let terms: Vec<f64> = smoothed
            .log_weights
            .iter()
            .zip(x)
            .map(|(w, l)| w + l)
            .collect();
        pointwise.push(log_sum_exp(&terms));
        k_hat.push(smoothed.k_hat);
        lppd += log_sum_exp(x) - (s as f64).ln();
    }
    let good_k = (1.0 - 1.0 / (s as f64).log10()).min(0.7);
    let flagged: Vec<String> = k_hat
        .iter()
        .zip(loglik.names())
        .filter(|(k, _)| k.is_nan() || **k > good_k)
        .map(|(_, name)| name.clone())
        .collect();
    let warning = (!flagged.is_empty()).then(|| Warning {
        message: format!(
            "the estimated Pareto shape k̂ exceeds {good_k:.2}: importance sampling is \
             unreliable for these observations (influential points, or a non-robust model)"
        ),
        observations: flagged,
    });
    let elpd: f64 = pointwise.iter().sum();
    Ok(Loo {
        elpd,
        p: lppd - elpd,
        se: (n as f64 * variance(&pointwise, 0.0)).sqrt(),
        pointwise,
        k_hat,
        good_k,
        names: loglik.names().to_vec(),
        num_samples: s,
        warning,
    })
}

/// [`waic`] of a model at posterior draws: [`pointwise_log_likelihood`] then [`waic`]
/// (ArviZ's conventions; [`information_criterion`] gives Pyro's).
pub fn waic_of<M: Model>(model: &M, args: &M::Args<'_>, samples: &Samples) -> Result<Waic> {
    waic(&pointwise_log_likelihood(model, args, samples)?)
}

/// [`loo`] of a model at posterior draws: [`pointwise_log_likelihood`] then [`loo`].
pub fn loo_of<M: Model>(model: &M, args: &M::Args<'_>, samples: &Samples) -> Result<Loo> {
    loo(&pointwise_log_likelihood(model, args, samples)?)
}

/// Pyro's `TracePosterior.information_criterion()` at posterior draws: WAIC with the
/// variance over draws divided by `S − 1` ([`WaicVariance::Sample`]). Pyro's `ic["waic"]` is
/// [`Waic::deviance`], `ic["p_waic"]` is [`Waic::p`]; with `pointwise=True`, −2 times
/// [`Waic::pointwise`] and [`Waic::p_pointwise`]. Pyro accepts one observed site only; here
/// every observed element of the model counts.
pub fn information_criterion<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    samples: &Samples,
) -> Result<Waic> {
    waic_with(
        &pointwise_log_likelihood(model, args, samples)?,
        WaicVariance::Sample,
    )
}

/// What [`compare`] needs of a criterion: its estimate, effective number of parameters,
/// standard error, pointwise values and warning. Implemented by [`Waic`] and [`Loo`].
pub trait Elpd {
    /// `"waic"` or `"loo"`.
    const NAME: &'static str;
    /// The elpd estimate.
    fn elpd(&self) -> f64;
    /// The effective number of parameters.
    fn p(&self) -> f64;
    /// The standard error of the estimate.
    fn se(&self) -> f64;
    /// The elpd per observation.
    fn pointwise(&self) -> &[f64];
    /// Whether the estimate came with a warning.
    fn warned(&self) -> bool;
}

impl Elpd for Waic {
    const NAME: &'static str = "waic";
    fn elpd(&self) -> f64 {
        self.elpd
    }
    fn p(&self) -> f64 {
        self.p
    }
    fn se(&self) -> f64 {
        self.se
    }
    fn pointwise(&self) -> &[f64] {
        &self.pointwise
    }
    fn warned(&self) -> bool {
        self.warning.is_some()
    }
}

impl Elpd for Loo {
    const NAME: &'static str = "loo";
    fn elpd(&self) -> f64 {
        self.elpd
    }
    fn p(&self) -> f64 {
        self.p
    }
    fn se(&self) -> f64 {
        self.se
    }
    fn pointwise(&self) -> &[f64] {
        &self.pointwise
    }
    fn warned(&self) -> bool {
        self.warning.is_some()
    }
}

/// One model's line of a [`Comparison`].
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonRow {
    /// The name the model was given.
    pub name: String,
    /// 0 for the model with the highest elpd.
    pub rank: usize,
    /// Its elpd.
    pub elpd: f64,
    /// Its effective number of parameters.
    pub p: f64,
    /// The best model's elpd minus this one's (0 for the best).
    pub elpd_diff: f64,
    /// Its stacking weight.
    pub weight: f64,
    /// The standard error of its elpd.
    pub se: f64,
    /// The standard error of `elpd_diff`, `√(n · Var(bestᵢ − thisᵢ))` over the pointwise
    /// differences (0 for the best).
    pub dse: f64,
    /// Whether its criterion warned.
    pub warning: bool,
}

/// Models ranked by elpd, as `az.compare(..., method="stacking", scale="log")`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// `"waic"` or `"loo"`.
    pub criterion: &'static str,
    /// From the best model to the worst.
    pub rows: Vec<ComparisonRow>,
}

impl Comparison {
    /// The row of the model called `name`.
    pub fn row(&self, name: &str) -> Option<&ComparisonRow> {
        self.rows.iter().find(|r| r.name == name)
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .rows
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let (e, p) = (
            format!("elpd_{}", self.criterion),
            format!("p_{}", self.criterion),
        );
        writeln!(
            f,
            "{:<width$} {:>4} {:>10} {:>8} {:>9} {:>7} {:>8} {:>8} {:>7}",
            "", "rank", e, p, "elpd_diff", "weight", "se", "dse", "warning"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<width$} {:>4} {:>10.3} {:>8.3} {:>9.3} {:>7.3} {:>8.3} {:>8.3} {:>7}",
                r.name, r.rank, r.elpd, r.p, r.elpd_diff, r.weight, r.se, r.dse, r.warning
            )?;
        }
        Ok(())
    }
}

/// Compare models by a criterion computed on the same observations: ranks, elpd differences
/// from the best model with their paired standard errors, and stacking weights (Yao, Vehtari,
/// Simpson and Gelman 2018): the weights on the simplex maximising
/// `Σᵢ log Σₖ wₖ exp(elpdᵢ,ₖ)`, ArviZ's default `method="stacking"`, as ArviZ computes them
/// (by [`stacking_weights`], within about 1e-4 of the maximiser [`stacking_weights_exact`]).
/// An error when fewer than one model is given, names repeat, or the
/// numbers of observations differ.
pub fn compare<E: Elpd>(models: &[(&str, &E)]) -> Result<Comparison> {
    let Some(((_, first), _)) = models.split_first() else {
        return Err(bad("compare", "no models to compare"));
    };
    let n = first.pointwise().len();
    for (i, (name, m)) in models.iter().enumerate() {
        if models[..i].iter().any(|(other, _)| other == name) {
            return Err(bad("compare", format!("the name `{name}` is given twice")));
        }
        if m.pointwise().len() != n {
            return Err(bad(
                "compare",
                format!(
                    "`{name}` has {} observations but `{}` has {n}: models must be compared on \
                     the same observations",
                    m.pointwise().len(),
                    models[0].0
                ),
            ));
        }
    }
    let mut order: Vec<usize> = (0..models.len()).collect();
    // Stable: ties keep the order given.
    order.sort_by(|&a, &b| models[b].1.elpd().total_cmp(&models[a].1.elpd()));
    let sorted: Vec<&E> = order.iter().map(|&k| models[k].1).collect();
    let weights = stacking_weights(&sorted.iter().map(|m| m.pointwise()).collect::<Vec<_>>())?;
    let best = sorted[0].pointwise();
    let rows = order
        .iter()
        .enumerate()
        .map(|(rank, &k)| {
            let (name, m) = models[k];
            let diff: Vec<f64> = best.iter().zip(m.pointwise()).map(|(b, x)| b - x).collect();
            ComparisonRow {
                name: name.to_string(),
                rank,
                elpd: m.elpd(),
                p: m.p(),
                elpd_diff: diff.iter().sum(),
                weight: weights[rank],
                se: m.se(),
                dse: (n as f64 * variance(&diff, 0.0)).sqrt(),
                warning: m.warned(),
            }
        })
        .collect();
    Ok(Comparison {
        criterion: E::NAME,
        rows,
    })
}

/// The stacking weights of models given by their pointwise elpd (one slice per model, each
/// of the same length `n`), as `az.compare` computes them: SLSQP from equal weights, which
/// stops within about 1e-4 of the exact maximiser (see [`stacking_weights_exact`]) of
/// `Σᵢ log Σₖ wₖ exp(elpdᵢ,ₖ)` over the simplex.
///
/// ArviZ minimises `−Σᵢ log Σₖ wₖ exp(elpdᵢ,ₖ)` with its analytic gradient by SciPy's SLSQP
/// with default options (tolerance 1e-6 on the objective, at most 100 iterations) over all
/// `k` weights, bounded by `[0, 1]` and constrained to sum to 1, starting from `1/k` each;
/// this runs the same algorithm (Kraft's, as SciPy runs it) on the same problem, so the
/// weights agree with ArviZ's far more closely than the tolerance: to 1e-8 in almost all
/// problems, and otherwise about as closely as SciPy agrees with itself when its inputs are
/// perturbed at the level of rounding (its steps put weights of ~1e-10 where the exact ones
/// put 0, and where a stopping test is on its edge its result depends on that; up to 1.5e-4
/// apart was seen once in 2000 random problems). The models are taken in
/// the order given (`compare` passes them from the highest elpd down, as ArviZ does). Like
/// ArviZ, the weights are those of SLSQP's last iterate even when it stops without
/// converging (iteration limit, a non-descent direction after five resets of its Hessian):
/// they then still lie in `[0, 1]` and sum to 1 to rounding, but may be farther from the
/// maximiser. A row of the pointwise elpd whose largest value is beyond ±700 (where ArviZ's
/// `exp` would underflow or overflow) is shifted by that value, which moves the objective by
/// a constant and leaves its gradient unchanged.
///
/// ```
/// use smallx::infer::criteria::{stacking_weights, stacking_weights_exact};
///
/// let a = [-1.0, -2.0, -0.5, -3.0];
/// let b = [-1.5, -0.8, -1.2, -1.0];
/// let arviz = stacking_weights(&[&a, &b])?;
/// let exact = stacking_weights_exact(&[&a, &b])?;
/// assert!((arviz[0] + arviz[1] - 1.0).abs() < 1e-12);
/// assert!((arviz[0] - exact[0]).abs() < 1e-3);
/// # Ok::<(), smallx::Error>(())
/// ```
pub fn stacking_weights(pointwise: &[&[f64]]) -> Result<Vec<f64>> {
    check_stacking_input(pointwise)?;
    let k = pointwise.len();
    let n = pointwise[0].len();
    // e[i][m] = exp(elpd_im), as ArviZ computes it, unless the row is out of exp's range.
    let e: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let max = (0..k)
                .map(|m| pointwise[m][i])
                .fold(f64::NEG_INFINITY, f64::max);
            let shift = if max.abs() > 700.0 { max } else { 0.0 };
            (0..k).map(|m| (pointwise[m][i] - shift).exp()).collect()
        })
        .collect();
    let objective = |w: &[f64]| -> f64 {
        -e.iter()
            .map(|row| row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>().ln())
            .sum::<f64>()
    };
    let gradient = |w: &[f64]| -> Vec<f64> {
        let mut g = vec![0.0; k];
        for row in &e {
            let d: f64 = row.iter().zip(w).map(|(a, b)| a * b).sum();
            g.iter_mut().zip(row).for_each(|(gm, a)| *gm += a / d);
        }
        g.iter_mut().for_each(|gm| *gm = -*gm);
        g
    };
    let outcome = slsqp::minimize(
        objective,
        gradient,
        &vec![1.0 / k as f64; k],
        &vec![0.0; k],
        &vec![1.0; k],
        1.0,
    );
    // Whatever the status, ArviZ takes the last iterate.
    Ok(outcome.x)
}

fn check_stacking_input(pointwise: &[&[f64]]) -> Result<()> {
    let k = pointwise.len();
    if k == 0 {
        return Err(bad("stacking", "no models"));
    }
    let n = pointwise[0].len();
    if n == 0 || pointwise.iter().any(|p| p.len() != n) {
        return Err(bad(
            "stacking",
            "every model needs the same, non-zero number of observations",
        ));
    }
    if pointwise.iter().any(|p| p.iter().any(|v| !v.is_finite())) {
        return Err(bad("stacking", "a pointwise elpd is not finite"));
    }
    Ok(())
}

/// The exact stacking weights of models given by their pointwise elpd (one slice per model,
/// each of the same length `n`): the maximiser over the simplex of
/// `Σᵢ log Σₖ wₖ exp(elpdᵢ,ₖ)`.
///
/// Found by Newton steps on the face of the simplex the optimum lies on (a model leaves it
/// when its weight reaches 0 and joins it when the gradient favours it), with a backtracking
/// line search and a Frank–Wolfe step when Newton's makes no progress, until the duality gap
/// of the concave objective is below `1e-12·n` (or below `1e-9·n` where rounding stops all
/// progress); an error if that takes more than 10 000 steps.
pub fn stacking_weights_exact(pointwise: &[&[f64]]) -> Result<Vec<f64>> {
    check_stacking_input(pointwise)?;
    let k = pointwise.len();
    let n = pointwise[0].len();
    // p[i][m] = exp(elpd_im − max_m elpd_im): each row scaled, which moves the objective by a
    // constant.
    let p: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let max = (0..k)
                .map(|m| pointwise[m][i])
                .fold(f64::NEG_INFINITY, f64::max);
            (0..k).map(|m| (pointwise[m][i] - max).exp()).collect()
        })
        .collect();
    let objective = |w: &[f64]| -> f64 {
        p.iter()
            .map(|row| row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>().ln())
            .sum()
    };
    let mut w = vec![1.0 / k as f64; k];
    let nf = n as f64;
    const MAX_ITER: usize = 10_000;
    for _ in 0..MAX_ITER {
        // Gradient g and Hessian h = −Σᵢ pᵢpᵢᵀ/dᵢ² of f(w) = Σᵢ ln dᵢ, dᵢ = pᵢ·w.
        let mut g = vec![0.0; k];
        let mut h = vec![0.0; k * k];
        for row in &p {
            let d: f64 = row.iter().zip(&w).map(|(a, b)| a * b).sum();
            for a in 0..k {
                g[a] += row[a] / d;
                for b in 0..k {
                    h[a * k + b] -= row[a] * row[b] / (d * d);
                }
            }
        }
        // g·w = n, so the Frank–Wolfe duality gap of the concave objective (a bound on how far
        // its value is from the maximum) is max g − n.
        let (best, g_max) =
            g.iter()
                .copied()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |acc, (a, v)| if v > acc.1 { (a, v) } else { acc },
                );
        if g_max - nf <= 1e-12 * nf {
            return Ok(w);
        }
        let f0 = objective(&w);
        // Newton on the face of the simplex: the models with weight, and those the gradient
        // would give weight to.
        let mut free: Vec<usize> = (0..k).filter(|&a| w[a] > 0.0 || g[a] > nf).collect();
        let mut newton = newton_on_face(&g, &h, k, &free);
        // A model without weight whose Newton component is negative stays out of the face.
        while let Some(delta) = &newton {
            let leaving: Vec<usize> = free
                .iter()
                .copied()
                .filter(|&a| w[a] == 0.0 && delta[a] < 0.0)
                .collect();
            if leaving.is_empty() {
                break;
            }
            free.retain(|a| !leaving.contains(a));
            newton = newton_on_face(&g, &h, k, &free);
        }
        let step = newton.and_then(|delta| {
            let slope: f64 = delta.iter().zip(&g).map(|(d, gi)| d * gi).sum();
            if slope.is_nan() || slope <= 0.0 {
                return None;
            }
            let mut alpha: f64 = 1.0;
            let mut hits = None;
            for a in 0..k {
                if delta[a] < 0.0 && w[a] / -delta[a] < alpha {
                    alpha = w[a] / -delta[a];
                    hits = Some(a);
                }
            }
            for _ in 0..60 {
                let mut trial: Vec<f64> = w
                    .iter()
                    .zip(&delta)
                    .map(|(x, d)| (x + alpha * d).max(0.0))
                    .collect();
                if let Some(a) = hits {
                    trial[a] = 0.0;
                }
                let total: f64 = trial.iter().sum();
                trial.iter_mut().for_each(|x| *x /= total);
                if objective(&trial) >= f0 + 1e-4 * alpha * slope && alpha > 0.0 {
                    return Some(trial);
                }
                alpha /= 2.0;
                hits = None;
            }
            None
        });
        w = match step {
            Some(next) => next,
            None => {
                // A Frank–Wolfe step towards the best vertex, with a backtracking search: it
                // always gains while the gap is positive.
                let mut gamma: f64 = 1.0;
                let mut next = None;
                for _ in 0..200 {
                    let mut trial: Vec<f64> = w.iter().map(|x| (1.0 - gamma) * x).collect();
                    trial[best] += gamma;
                    if objective(&trial) > f0 {
                        next = Some(trial);
                        break;
                    }
                    gamma /= 2.0;
                }
                match next {
                    Some(next) => next,
                    // No step gains in floating point: the optimum to rounding, if the gap
                    // says so.
                    None if g_max - nf <= 1e-9 * nf => return Ok(w),
                    None => break,
                }
            }
        };
    }
    Err(bad(
        "stacking",
        format!("the weights did not converge in {MAX_ITER} steps or stopped improving"),
    ))
}

/// The Newton direction of `g`, `h` (gradient and Hessian, `k × k` row-major) restricted to
/// the coordinates `free` and to directions whose components sum to 0: the solution of
/// `[−h_FF + μI, 1; 1ᵀ, 0] [Δ; λ] = [g_F; 0]`, with a tiny `μ` for models that coincide.
/// `None` when the system is singular.
fn newton_on_face(g: &[f64], h: &[f64], k: usize, free: &[usize]) -> Option<Vec<f64>> {
    let m = free.len();
    if m < 2 {
        return None;
    }
    let size = m + 1;
    let scale = free.iter().map(|&a| -h[a * k + a]).fold(0.0, f64::max);
    let mu = 1e-12 * scale;
    let mut a = vec![0.0; size * (size + 1)];
    let at = |r: usize, c: usize| r * (size + 1) + c;
    for (r, &fr) in free.iter().enumerate() {
        for (c, &fc) in free.iter().enumerate() {
            a[at(r, c)] = -h[fr * k + fc] + if r == c { mu } else { 0.0 };
        }
        a[at(r, m)] = 1.0;
        a[at(m, r)] = 1.0;
        a[at(r, size)] = g[fr];
    }
    // Gaussian elimination with partial pivoting on the augmented matrix.
    for col in 0..size {
        let pivot =
            (col..size).max_by(|&x, &y| a[at(x, col)].abs().total_cmp(&a[at(y, col)].abs()))?;
        if a[at(pivot, col)].abs() < 1e-300 {
            return None;
        }
        if pivot != col {
            for c in 0..=size {
                a.swap(at(pivot, c), at(col, c));
            }
        }
        for r in col + 1..size {
            let factor = a[at(r, col)] / a[at(col, col)];
            if factor != 0.0 {
                for c in col..=size {
                    a[at(r, c)] -= factor * a[at(col, c)];
                }
            }
        }
    }
    let mut x = vec![0.0; size];
    for r in (0..size).rev() {
        let tail: f64 = (r + 1..size).map(|c| a[at(r, c)] * x[c]).sum();
        x[r] = (a[at(r, size)] - tail) / a[at(r, r)];
    }
    let mut delta = vec![0.0; k];
    for (r, &fr) in free.iter().enumerate() {
        delta[fr] = x[r];
    }
    delta.iter().all(|d| d.is_finite()).then_some(delta)
}
