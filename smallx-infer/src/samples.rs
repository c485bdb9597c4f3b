//! Posterior draws by site and chain, with their summary table.

use crate::diagnostics::{ess_bulk, rhat};
use smallx_core::{Data, Error, Result, Value, ValueKind};
use std::fmt;

/// The draws of one site: for each chain, `draws × dim` numbers, draw by draw.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteDraws {
    /// The site's name.
    pub name: String,
    /// The type and shape of one draw.
    pub kind: ValueKind,
    /// How many numbers one draw has.
    pub dim: usize,
    /// Whether the site is a `deterministic!` value (computed from the others, never
    /// substituted into a model run).
    pub deterministic: bool,
    chains: Vec<Vec<f64>>,
}

impl SiteDraws {
    /// The draws of element `j` (0 for a scalar site), one vector per chain; an element
    /// beyond the site's numbers per draw is an error naming the site.
    ///
    /// ```
    /// use smallx::infer::Samples;
    /// use smallx::Value;
    /// let mut s = Samples::new(1);
    /// s.push(0, &[("x", &Value::from(1.5))]).unwrap();
    /// let x = s.site("x").unwrap();
    /// assert_eq!(x.element(0).unwrap(), [[1.5]]);
    /// assert!(x.element(1).is_err());
    /// ```
    pub fn element(&self, j: usize) -> Result<Vec<Vec<f64>>> {
        self.check_index("element", j, self.dim)?;
        Ok(self.element_of(j))
    }
    /// Element `j < dim`, by chain.
    fn element_of(&self, j: usize) -> Vec<Vec<f64>> {
        self.chains
            .iter()
            .map(|c| c.iter().skip(j).step_by(self.dim.max(1)).copied().collect())
            .collect()
    }
    fn check_index(&self, what: &'static str, index: usize, len: usize) -> Result<()> {
        if index < len {
            Ok(())
        } else {
            Err(Error::IndexOutOfRange {
                site: self.name.clone(),
                what,
                index,
                len,
            })
        }
    }
    /// The number of draws of chain `c` (0 for a chain that does not exist).
    pub fn num_draws(&self, c: usize) -> usize {
        self.chains.get(c).map_or(0, |x| x.len() / self.dim.max(1))
    }
    /// Draw `i` of chain `c`; a chain or draw that does not exist is an error naming the site.
    pub fn draw(&self, c: usize, i: usize) -> Result<&[f64]> {
        self.check_index("chain", c, self.chains.len())?;
        self.check_index("draw", i, self.num_draws(c))?;
        Ok(&self.chains[c][i * self.dim..(i + 1) * self.dim])
    }
    /// Draw `i` of chain `c` as a site value.
    pub fn value(&self, c: usize, i: usize) -> Result<Value<f64>> {
        Ok(value_from_numbers(self.kind, self.draw(c, i)?))
    }
    /// The mean of each element over all chains.
    pub fn mean(&self) -> Vec<f64> {
        (0..self.dim)
            .map(|j| {
                let all: Vec<f64> = self.element_of(j).concat();
                all.iter().sum::<f64>() / all.len() as f64
            })
            .collect()
    }
    /// The name of element `j`: `mu[1]` for vectors, `L[1,0]` for matrices, `mu` for scalars.
    pub fn element_name(&self, j: usize) -> String {
        match self.kind {
            ValueKind::Matrix(r, _) => format!("{}[{},{}]", self.name, j % r, j / r),
            _ if self.dim > 1
                || matches!(
                    self.kind,
                    ValueKind::RealVec(_) | ValueKind::IntVec(_) | ValueKind::BoolVec(_)
                ) =>
            {
                format!("{}[{j}]", self.name)
            }
            _ => self.name.clone(),
        }
    }
}

/// The most draws (or samples, or particles) one run can keep: one `f64` each must fit in
/// memory.
pub(crate) const MAX_DRAWS: usize = isize::MAX as usize / std::mem::size_of::<f64>();

/// `Err` naming `option` of `algorithm` unless `n` is at least 1 and at most [`MAX_DRAWS`].
pub(crate) fn check_count(algorithm: &'static str, option: &'static str, n: usize) -> Result<()> {
    if n == 0 || n > MAX_DRAWS {
        return Err(Error::InvalidOption {
            algorithm,
            option,
            value: n.to_string(),
            expected: "at least 1, and few enough that one number per draw fits in memory",
        });
    }
    Ok(())
}

/// A site value of `kind` from the numbers a draw of it is recorded as (booleans as 0/1,
/// matrices column by column).
pub fn value_from_numbers(kind: ValueKind, x: &[f64]) -> Value<f64> {
    match kind {
        ValueKind::Real => Value::from(x[0]),
        ValueKind::Int => Value::Int(x[0] as i64),
        ValueKind::Bool => Value::Bool(x[0] != 0.0),
        ValueKind::IntVec(_) => Value::IntVec(x.iter().map(|&v| v as i64).collect()),
        ValueKind::BoolVec(_) => Value::BoolVec(x.iter().map(|&v| v != 0.0).collect()),
        ValueKind::RealVec(_) => Value::from(x.to_vec()),
        ValueKind::Matrix(r, c) => {
            Value::from(smallx_core::nalgebra::DMatrix::from_column_slice(r, c, x))
        }
    }
}

/// Statistics of one chain: per kept draw, those the sampler has (empty otherwise), under the
/// names ArviZ gives them in `sample_stats`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChainStats {
    /// The fraction of accepted proposals after warm-up (Metropolis), or the mean acceptance
    /// probability (HMC, NUTS); NaN when not applicable.
    pub accept_rate: f64,
    /// `log p(x, z)` at each kept draw (ArviZ's `lp`).
    pub log_joint: Vec<f64>,
    /// Whether the proposal of each kept iteration was accepted (samplers that have one).
    pub accepted: Vec<bool>,
    /// Whether the trajectory diverged (`diverging`).
    pub diverging: Vec<bool>,
    /// The depth of the NUTS tree (`tree_depth`).
    pub tree_depth: Vec<u32>,
    /// Leapfrog steps taken (`n_steps`).
    pub n_steps: Vec<u32>,
    /// The step size (`step_size`).
    pub step_size: Vec<f64>,
    /// The mean Metropolis acceptance probability of the trajectory (`acceptance_rate`).
    pub acceptance: Vec<f64>,
    /// The Hamiltonian at the draw (`energy`).
    pub energy: Vec<f64>,
    /// Whether a proposal of each kept iteration was rejected because the model could not be
    /// evaluated there: a distribution parameter out of its range, or a NaN or `+∞`
    /// log-density (`invalid_proposal`; random-walk samplers).
    pub invalid: Vec<bool>,
}

impl ChainStats {
    /// The number of divergent transitions among the kept draws.
    pub fn divergences(&self) -> usize {
        self.diverging.iter().filter(|&&d| d).count()
    }
    /// The number of kept iterations whose proposal was rejected as invalid (see
    /// [`ChainStats::invalid`]).
    pub fn invalid_proposals(&self) -> usize {
        self.invalid.iter().filter(|&&d| d).count()
    }
}

/// Posterior draws of every latent site, by chain, and per-chain statistics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    sites: Vec<SiteDraws>,
    stats: Vec<ChainStats>,
}

impl Samples {
    /// An empty container for `chains` chains.
    pub fn new(chains: usize) -> Self {
        Samples {
            sites: Vec::new(),
            stats: vec![
                ChainStats {
                    accept_rate: f64::NAN,
                    ..ChainStats::default()
                };
                chains
            ],
        }
    }

    /// Append one draw of chain `c`: the value of each site.
    pub fn push(&mut self, c: usize, values: &[(&str, &Value<f64>)]) -> Result<()> {
        for (name, value) in values {
            let numbers: Vec<f64> = match value {
                Value::Bool(b) => vec![f64::from(u8::from(*b))],
                Value::Int(i) => vec![*i as f64],
                Value::IntVec(v) => v.iter().map(|&i| i as f64).collect(),
                Value::BoolVec(v) => v.iter().map(|&b| f64::from(u8::from(b))).collect(),
                other => other.real_values().unwrap_or_default(),
            };
            self.push_numbers(c, name, value.kind(), &numbers)?;
        }
        Ok(())
    }

    /// Append one draw of one site of chain `c`, given as its numbers (booleans as 0/1,
    /// matrices column by column).
    pub fn push_numbers(
        &mut self,
        c: usize,
        name: &str,
        kind: ValueKind,
        numbers: &[f64],
    ) -> Result<()> {
        if c >= self.stats.len() {
            return Err(Error::IndexOutOfRange {
                site: name.to_string(),
                what: "chain",
                index: c,
                len: self.stats.len(),
            });
        }
        let expected = match kind {
            ValueKind::Real | ValueKind::Int | ValueKind::Bool => 1,
            ValueKind::RealVec(n) | ValueKind::IntVec(n) | ValueKind::BoolVec(n) => n,
            ValueKind::Matrix(r, c) => r * c,
        };
        if numbers.len() != expected {
            return Err(Error::InvalidSite {
                site: name.to_string(),
                detail: format!(
                    "a draw of {kind} has {expected} numbers, but {} were given",
                    numbers.len()
                ),
            });
        }
        let position = match self.sites.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                let chains = vec![Vec::new(); self.stats.len()];
                self.sites.push(SiteDraws {
                    name: name.to_string(),
                    kind,
                    dim: numbers.len(),
                    deterministic: false,
                    chains,
                });
                self.sites.len() - 1
            }
        };
        let site = &mut self.sites[position];
        if site.kind != kind || site.dim != numbers.len() {
            return Err(Error::WrongValue {
                site: name.to_string(),
                dist: "Samples".into(),
                expected: site.kind,
                got: kind,
            });
        }
        site.chains[c].extend_from_slice(numbers);
        Ok(())
    }

    /// Mark the site `name` as a `deterministic!` value: [`Predictive`](crate::Predictive)
    /// recomputes it instead of substituting it. Unknown names are ignored.
    pub fn mark_deterministic(&mut self, name: &str) {
        if let Some(site) = self.sites.iter_mut().find(|s| s.name == name) {
            site.deterministic = true;
        }
    }

    /// The statistics of chain `c`, for the sampler to fill (`None` for a chain that does not
    /// exist).
    pub fn stats_mut(&mut self, c: usize) -> Option<&mut ChainStats> {
        self.stats.get_mut(c)
    }

    /// Per-chain statistics.
    pub fn stats(&self) -> &[ChainStats] {
        &self.stats
    }

    /// The number of chains.
    pub fn num_chains(&self) -> usize {
        self.stats.len()
    }

    /// The number of draws per chain: of the first site's first chain (samplers keep every
    /// chain equally long; see [`SiteDraws::num_draws`] for one chain).
    pub fn num_draws(&self) -> usize {
        self.sites.first().map_or(0, |s| s.num_draws(0))
    }

    /// All sites, in the order first seen.
    pub fn sites(&self) -> &[SiteDraws] {
        &self.sites
    }

    /// The draws of `name`.
    pub fn site(&self, name: &str) -> Result<&SiteDraws> {
        self.sites
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::UnknownSite {
                handler: "Samples",
                name: name.to_string(),
                known: self
                    .sites
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The draws of a scalar site (or a site with one number per draw), all chains
    /// concatenated. A site with more numbers per draw is an error (take its elements with [`SiteDraws::element`]).
    pub fn values(&self, name: &str) -> Result<Vec<f64>> {
        let site = self.site(name)?;
        if site.dim != 1 {
            return Err(Error::InvalidSite {
                site: name.to_string(),
                detail: format!(
                    "`values` takes a scalar site, but this one has {} numbers per draw ({}); \
                     use `site(\"{name}\")?.element(j)` for element j",
                    site.dim, site.kind
                ),
            });
        }
        Ok(site.element_of(0).concat())
    }

    /// Draw `i` of chain `c` of every site, as data for `substitute` or `condition`:
    /// every site but the deterministic ones, which a model computes itself.
    /// A chain or draw that does not exist is an error naming the first site without it.
    pub fn draw(&self, c: usize, i: usize) -> Result<Data> {
        let mut d = Data::new();
        for s in self.sites.iter().filter(|s| !s.deterministic) {
            d.insert(s.name.as_str(), s.value(c, i)?);
        }
        Ok(d)
    }

    /// One row per site element: mean, sd, quantiles, bulk ESS and split R-hat.
    pub fn summary(&self) -> Summary {
        let mut rows = Vec::new();
        for s in &self.sites {
            for j in 0..s.dim {
                let chains = s.element_of(j);
                let mut all = chains.concat();
                let n = all.len() as f64;
                let mean = all.iter().sum::<f64>() / n;
                let sd = (all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                all.sort_by(f64::total_cmp);
                // NaN for a site without draws.
                let q = |p: f64| {
                    let k = (p * (n - 1.0)).round() as usize;
                    all.get(k.min(all.len().saturating_sub(1)))
                        .copied()
                        .unwrap_or(f64::NAN)
                };
                rows.push(SummaryRow {
                    name: s.element_name(j),
                    mean,
                    sd,
                    q5: q(0.05),
                    q50: q(0.5),
                    q95: q(0.95),
                    ess_bulk: ess_bulk(&chains),
                    r_hat: rhat(&chains),
                });
            }
        }
        let mut warnings = Vec::new();
        for (c, s) in self.stats.iter().enumerate() {
            let (invalid, kept) = (s.invalid_proposals(), s.invalid.len());
            if kept > 0 && 2 * invalid > kept {
                warnings.push(format!(
                    "chain {c}: {invalid} of {kept} kept iterations proposed a point where the \
                     model cannot be evaluated (a distribution parameter out of range, or a NaN \
                     or +inf log-density); the draws are not to be trusted: check the model's \
                     parameters and priors"
                ));
            }
        }
        Summary {
            rows,
            divergences: self
                .stats
                .iter()
                .any(|s| !s.diverging.is_empty())
                .then(|| self.stats.iter().map(ChainStats::divergences).sum()),
            invalid_proposals: self
                .stats
                .iter()
                .any(|s| !s.invalid.is_empty())
                .then(|| self.invalid_proposals()),
            warnings,
        }
    }

    /// The number of divergent transitions over all chains (0 for samplers without them).
    pub fn divergences(&self) -> usize {
        self.stats.iter().map(ChainStats::divergences).sum()
    }

    /// The number of kept iterations, over all chains, whose proposal was rejected because the
    /// model could not be evaluated there (0 for samplers that do not report it).
    pub fn invalid_proposals(&self) -> usize {
        self.stats.iter().map(ChainStats::invalid_proposals).sum()
    }
}

/// One line of a [`Summary`].
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// Site and element, e.g. `mu[1]`.
    pub name: String,
    /// Posterior mean.
    pub mean: f64,
    /// Posterior standard deviation.
    pub sd: f64,
    /// 5% quantile.
    pub q5: f64,
    /// Median.
    pub q50: f64,
    /// 95% quantile.
    pub q95: f64,
    /// Bulk effective sample size.
    pub ess_bulk: f64,
    /// Rank-normalised split R-hat.
    pub r_hat: f64,
}

impl SummaryRow {
    /// The Monte Carlo standard error of the mean: `sd / √ESS`.
    pub fn mcse(&self) -> f64 {
        self.sd / self.ess_bulk.sqrt()
    }
}

/// A table of posterior summaries, printed aligned.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The rows.
    pub rows: Vec<SummaryRow>,
    /// Divergent transitions over all chains, for samplers that report them.
    pub divergences: Option<usize>,
    /// Kept iterations whose proposal was rejected as invalid, over all chains, for samplers
    /// that report them ([`ChainStats::invalid`]).
    pub invalid_proposals: Option<usize>,
    /// What makes the draws suspect: one line per chain in which more than half of the kept
    /// iterations proposed an invalid point (the chain then spends most of its time where the
    /// model cannot be evaluated).
    pub warnings: Vec<String>,
}

impl Summary {
    /// The row called `name` (`mu[1]`, `sigma`).
    pub fn row(&self, name: &str) -> Option<&SummaryRow> {
        self.rows.iter().find(|r| r.name == name)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .rows
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(
            f,
            "{:<width$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>7}",
            "", "mean", "sd", "5%", "50%", "95%", "ess_bulk", "r_hat"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<width$} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>9.0} {:>7.3}",
                r.name, r.mean, r.sd, r.q5, r.q50, r.q95, r.ess_bulk, r.r_hat
            )?;
        }
        if let Some(n) = self.divergences {
            writeln!(f, "divergences: {n}")?;
        }
        if let Some(n) = self.invalid_proposals.filter(|&n| n > 0) {
            writeln!(f, "invalid proposals (rejected): {n}")?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}
