//! Export to ArviZ: an InferenceData JSON file that `arviz.from_json` loads, and a plain CSV
//! of draws.
//!
//! ```text
//! python -c "import arviz as az; print(az.summary(az.from_json('best.json')))"
//! ```

use crate::samples::Samples;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::{Map, Value as Json, json};
use smallx_core::{Data, Error, Model, Result, SiteKind, Value, substitute};
use std::path::Path;

/// The per-observation log-likelihood of every observed site at every draw: one vector-valued
/// site per observed site (element `k` is the log density of observation `k`), as WAIC and LOO
/// need. `model` is the conditioned model; the draws' latent values are substituted.
pub fn pointwise_log_likelihood<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    draws: &Samples,
) -> Result<Samples> {
    let mut out = Samples::new(draws.num_chains());
    let mut rng = SmallRng::seed_from_u64(0);
    for c in 0..draws.num_chains() {
        for i in 0..draws.num_draws() {
            let trace =
                smallx_core::get_trace(&substitute(model, draws.draw(c, i)?), args, &mut rng)?;
            let mut values = Vec::new();
            for site in trace.observed_sites() {
                let dist = site
                    .dist
                    .as_ref()
                    .ok_or_else(|| Error::MissingSite(site.name.clone()))?;
                let pointwise = dist.log_prob_pointwise_value(&site.value).ok_or_else(|| {
                    Error::WrongValue {
                        site: site.name.clone(),
                        dist: dist.name().to_string(),
                        expected: dist.value_kind(),
                        got: site.value.kind(),
                    }
                })?;
                values.push((
                    site.name.clone(),
                    Value::from(
                        pointwise
                            .iter()
                            .map(|x| x.value() * site.scale)
                            .collect::<Vec<f64>>(),
                    ),
                ));
            }
            let named: Vec<(&str, &Value<f64>)> =
                values.iter().map(|(n, v)| (n.as_str(), v)).collect();
            out.push(c, &named)?;
        }
    }
    Ok(out)
}

/// The observed values of a conditioned model's run, for the `observed_data` group.
pub fn observed_data<M: Model>(model: &M, args: &M::Args<'_>) -> Result<Data> {
    let trace = smallx_core::get_trace(model, args, &mut SmallRng::seed_from_u64(0))?;
    let mut data = Data::new();
    for site in trace
        .iter()
        .filter(|s| s.kind == SiteKind::Sample && s.is_observed)
    {
        data.insert(site.name.as_str(), site.value.clone());
    }
    Ok(data)
}

/// How numbers that JSON cannot hold (NaN, ±∞) are written.
#[derive(Clone, Copy, PartialEq)]
enum NonFinite {
    /// An error naming where the number is.
    Refuse,
    /// A placeholder string, replaced in the file's text by the bare token Python's `json`
    /// module (which `arviz.from_json` uses) reads: `NaN`, `Infinity`, `-Infinity`.
    Token,
}

/// The placeholder of a non-finite number under [`NonFinite::Token`].
fn token(x: f64) -> String {
    let name = if x.is_nan() {
        "NaN"
    } else if x > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    };
    format!("{TOKEN_MARK}{name}{TOKEN_MARK}")
}

/// Marks a placeholder; no site name or label holds it.
const TOKEN_MARK: &str = "\u{1}smallx-non-finite\u{1}";

/// The JSON of number `x`, found at `place` (called only for an error message).
fn number(x: f64, mode: NonFinite, place: &dyn Fn() -> (String, String)) -> Result<Json> {
    if x.is_finite() {
        return Ok(json!(x));
    }
    match mode {
        NonFinite::Token => Ok(Json::String(token(x))),
        NonFinite::Refuse => {
            let (site, at) = place();
            Err(Error::InvalidSite {
                site,
                detail: format!(
                    "{at} is {x}, which a JSON value cannot hold; `InferenceData::write` writes it \
                     as Python's json module (and so `arviz.from_json`) reads it, and `to_csv` writes it too"
                ),
            })
        }
    }
}

/// A vector of numbers of `what` in chain `c`, as JSON.
fn numbers(xs: &[f64], mode: NonFinite, site: &str, what: &str, c: usize) -> Result<Json> {
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            number(x, mode, &|| {
                (site.to_string(), format!("{what} of chain {c}, draw {i}"))
            })
        })
        .collect::<Result<Vec<_>>>()
        .map(Json::Array)
}

fn draws_array(samples: &Samples, mode: NonFinite) -> Result<Map<String, Json>> {
    let mut group = Map::new();
    for site in samples.sites() {
        let mut chains = Vec::with_capacity(samples.num_chains());
        for c in 0..samples.num_chains() {
            let mut draws = Vec::with_capacity(samples.num_draws());
            for i in 0..samples.num_draws() {
                let x = site.draw(c, i)?;
                let num = |k: usize| {
                    number(x[k], mode, &|| {
                        let element = if site.dim > 1 {
                            format!(" (element {k})")
                        } else {
                            String::new()
                        };
                        (
                            site.name.clone(),
                            format!("the draw at chain {c}, draw {i}{element}"),
                        )
                    })
                };
                draws.push(match site.kind {
                    smallx_core::ValueKind::Real
                    | smallx_core::ValueKind::Int
                    | smallx_core::ValueKind::Bool => num(0)?,
                    smallx_core::ValueKind::Matrix(r, cols) => Json::Array(
                        (0..r)
                            .map(|row| {
                                (0..cols)
                                    .map(|col| num(col * r + row))
                                    .collect::<Result<Vec<_>>>()
                                    .map(Json::Array)
                            })
                            .collect::<Result<Vec<_>>>()?,
                    ),
                    _ => Json::Array((0..x.len()).map(num).collect::<Result<Vec<_>>>()?),
                });
            }
            chains.push(Json::Array(draws));
        }
        group.insert(site.name.clone(), Json::Array(chains));
    }
    Ok(group)
}

/// An observed value as JSON (reals through [`number`]: never a silent `null`).
fn value_json(name: &str, v: &Value<f64>, mode: NonFinite) -> Result<Json> {
    let place = || (name.to_string(), "the observed value".to_string());
    Ok(match v {
        Value::Real(x) => number(x.0, mode, &place)?,
        Value::Int(i) => json!(i),
        Value::Bool(b) => json!(u8::from(*b)),
        Value::IntVec(xs) => json!(xs),
        Value::BoolVec(xs) => json!(xs.iter().map(|&b| u8::from(b)).collect::<Vec<_>>()),
        other => Json::Array(
            other
                .real_values()
                .unwrap_or_default()
                .into_iter()
                .map(|x| number(x, mode, &place))
                .collect::<Result<Vec<_>>>()?,
        ),
    })
}

/// An ArviZ InferenceData document.
pub struct InferenceData<'a> {
    posterior: &'a Samples,
    log_likelihood: Option<Samples>,
    observed: Option<Data>,
    posterior_predictive: Option<&'a Samples>,
    /// Site → the names of its dimensions after (chain, draw).
    dims: Vec<(String, Vec<String>)>,
    /// Dimension → its labels.
    coords: Vec<(String, Vec<String>)>,
}

impl<'a> InferenceData<'a> {
    /// The posterior draws (and their per-chain statistics as `sample_stats`).
    pub fn new(posterior: &'a Samples) -> Self {
        InferenceData {
            posterior,
            log_likelihood: None,
            observed: None,
            posterior_predictive: None,
            dims: Vec::new(),
            coords: Vec::new(),
        }
    }

    /// Add the `observed_data` and per-observation `log_likelihood` groups of `model` (the
    /// conditioned model) at the posterior draws.
    pub fn with_model<M: Model>(mut self, model: &M, args: &M::Args<'_>) -> Result<Self> {
        self.log_likelihood = Some(pointwise_log_likelihood(model, args, self.posterior)?);
        self.observed = Some(observed_data(model, args)?);
        Ok(self)
    }

    /// Add the `posterior_predictive` group: the sites of `predictive` (the samples of a
    /// [`PredictiveResult`](crate::PredictiveResult)) that are not in the posterior, i.e. the
    /// predicted observations (`az.plot_ppc` compares them with `observed_data`).
    pub fn with_posterior_predictive(mut self, predictive: &'a Samples) -> Self {
        self.posterior_predictive = Some(predictive);
        self
    }

    /// Name the dimensions of a vector or matrix site (after chain and draw), in every group
    /// that holds it: `.dims("y", &["obs_id"])`. Checked when the document is built.
    pub fn dims(mut self, site: &str, dims: &[&str]) -> Self {
        self.dims.retain(|(s, _)| s != site);
        self.dims.push((
            site.to_string(),
            dims.iter().map(|d| d.to_string()).collect(),
        ));
        self
    }

    /// Label the entries of a named dimension: `.coords("school", ["A", "B", "C"])`. Checked
    /// when the document is built.
    pub fn coords(mut self, dim: &str, labels: impl IntoIterator<Item = impl ToString>) -> Self {
        self.coords.retain(|(d, _)| d != dim);
        self.coords.push((
            dim.to_string(),
            labels.into_iter().map(|l| l.to_string()).collect(),
        ));
        self
    }

    /// The sites of the posterior predictive group.
    fn predictive_sites(&self) -> Option<Samples> {
        let predictive = self.posterior_predictive?;
        let mut out = Samples::new(predictive.num_chains());
        for site in predictive.sites() {
            if self.posterior.site(&site.name).is_err() {
                for c in 0..predictive.num_chains() {
                    for i in 0..predictive.num_draws() {
                        // Same kind and length for every draw: this cannot fail.
                        if let Ok(x) = site.draw(c, i) {
                            let _ = out.push_numbers(c, &site.name, site.kind, x);
                        }
                    }
                }
            }
        }
        Some(out)
    }

    /// The shape (after chain and draw) of `site` in whichever group holds it.
    fn site_shape(&self, site: &str, predictive: Option<&Samples>) -> Option<Vec<usize>> {
        let from_kind = |kind: smallx_core::ValueKind| match kind {
            smallx_core::ValueKind::Real
            | smallx_core::ValueKind::Int
            | smallx_core::ValueKind::Bool => vec![],
            smallx_core::ValueKind::RealVec(n)
            | smallx_core::ValueKind::IntVec(n)
            | smallx_core::ValueKind::BoolVec(n) => vec![n],
            smallx_core::ValueKind::Matrix(r, c) => vec![r, c],
        };
        let groups = [
            Some(self.posterior),
            predictive,
            self.log_likelihood.as_ref(),
        ];
        groups
            .into_iter()
            .flatten()
            .find_map(|g| g.site(site).ok().map(|s| from_kind(s.kind)))
            .or_else(|| {
                self.observed
                    .as_ref()
                    .and_then(|d| d.get(site))
                    .map(|v| from_kind(v.kind()))
            })
    }

    /// Check the named dimensions and coordinates against the sites' shapes.
    fn check_dims(&self, predictive: Option<&Samples>) -> Result<()> {
        let bad = |detail: String| Error::Config {
            algorithm: "InferenceData",
            detail,
        };
        let mut lengths: Vec<(&str, usize, &str)> = Vec::new();
        for (site, dims) in &self.dims {
            let shape = self
                .site_shape(site, predictive)
                .ok_or_else(|| bad(format!("dims: no site `{site}` in any group")))?;
            if shape.len() != dims.len() {
                return Err(bad(format!(
                    "dims: site `{site}` has {} dimension(s) after chain and draw (shape {shape:?}), \
                     but {} name(s) were given: {dims:?}",
                    shape.len(),
                    dims.len()
                )));
            }
            for (dim, &len) in dims.iter().zip(&shape) {
                if let Some(&(_, other, other_site)) = lengths.iter().find(|(d, ..)| d == dim)
                    && other != len
                {
                    return Err(bad(format!(
                        "dimension `{dim}` has length {len} at `{site}` but {other} at `{other_site}`"
                    )));
                }
                lengths.push((dim, len, site));
            }
        }
        for (dim, labels) in &self.coords {
            let Some(&(_, len, site)) = lengths.iter().find(|(d, ..)| d == dim) else {
                return Err(bad(format!(
                    "coords: dimension `{dim}` is not named by any `dims` entry"
                )));
            };
            if labels.len() != len {
                return Err(bad(format!(
                    "coords: dimension `{dim}` has {} labels but length {len} at `{site}`",
                    labels.len()
                )));
            }
        }
        Ok(())
    }

    /// The document as JSON in the layout of `InferenceData.to_json` (groups as keys, arrays
    /// with leading chain and draw dimensions); an error when named dimensions or coordinates
    /// do not fit the sites.
    ///
    /// A JSON value cannot hold NaN or an infinity: a draw or statistic that is one is an
    /// error naming the site, the chain and the draw ([`write`](Self::write) writes them).
    pub fn to_json(&self) -> Result<Json> {
        self.document(NonFinite::Refuse)
    }

    fn document(&self, mode: NonFinite) -> Result<Json> {
        let predictive = self.predictive_sites();
        self.check_dims(predictive.as_ref())?;
        let mut doc = Map::new();
        doc.insert(
            "posterior".into(),
            Json::Object(draws_array(self.posterior, mode)?),
        );
        let stats = self.posterior.stats();
        let mut sample_stats = Map::new();
        sample_stats.insert(
            "lp".into(),
            Json::Array(
                stats
                    .iter()
                    .enumerate()
                    .map(|(c, s)| numbers(&s.log_joint, mode, "lp", "the log-joint", c))
                    .collect::<Result<Vec<_>>>()?,
            ),
        );
        if stats
            .iter()
            .all(|s| s.accepted.len() == s.log_joint.len() && !s.accepted.is_empty())
        {
            sample_stats.insert(
                "accepted".into(),
                json!(stats.iter().map(|s| &s.accepted).collect::<Vec<_>>()),
            );
            sample_stats.insert(
                "diverging".into(),
                json!(
                    stats
                        .iter()
                        .map(|s| vec![false; s.accepted.len()])
                        .collect::<Vec<_>>()
                ),
            );
        }
        if stats
            .iter()
            .all(|s| s.invalid.len() == s.log_joint.len() && !s.invalid.is_empty())
        {
            sample_stats.insert(
                "invalid_proposal".into(),
                json!(stats.iter().map(|s| &s.invalid).collect::<Vec<_>>()),
            );
        }
        // Hamiltonian samplers' statistics, under ArviZ's names (`az.plot_energy` reads
        // `energy`, `az.summary` and `az.plot_trace` `diverging`).
        let full = |len: usize| len == stats[0].log_joint.len() && len > 0;
        if !stats.is_empty() && stats.iter().all(|s| full(s.diverging.len())) {
            let column = |f: &dyn Fn(&crate::samples::ChainStats) -> Json| {
                Json::Array(stats.iter().map(f).collect())
            };
            let reals = |name: &'static str, f: &dyn Fn(&crate::samples::ChainStats) -> &[f64]| {
                stats
                    .iter()
                    .enumerate()
                    .map(|(c, s)| numbers(f(s), mode, name, name, c))
                    .collect::<Result<Vec<_>>>()
                    .map(Json::Array)
            };
            sample_stats.insert("diverging".into(), column(&|s| json!(s.diverging)));
            sample_stats.insert("tree_depth".into(), column(&|s| json!(s.tree_depth)));
            sample_stats.insert("n_steps".into(), column(&|s| json!(s.n_steps)));
            sample_stats.insert("step_size".into(), reals("step_size", &|s| &s.step_size)?);
            sample_stats.insert(
                "acceptance_rate".into(),
                reals("acceptance_rate", &|s| &s.acceptance)?,
            );
            sample_stats.insert("energy".into(), reals("energy", &|s| &s.energy)?);
        }
        doc.insert("sample_stats".into(), Json::Object(sample_stats));
        if let Some(ll) = &self.log_likelihood {
            doc.insert(
                "log_likelihood".into(),
                Json::Object(draws_array(ll, mode)?),
            );
        }
        if let Some(obs) = &self.observed {
            doc.insert(
                "observed_data".into(),
                Json::Object(
                    obs.iter()
                        .map(|(n, v)| Ok((n.to_string(), value_json(n, v, mode)?)))
                        .collect::<Result<Map<_, _>>>()?,
                ),
            );
        }
        if let Some(predictive) = &predictive {
            doc.insert(
                "posterior_predictive".into(),
                Json::Object(draws_array(predictive, mode)?),
            );
        }
        if !self.dims.is_empty() {
            doc.insert(
                "dims".into(),
                Json::Object(
                    self.dims
                        .iter()
                        .map(|(s, d)| (s.clone(), json!(d)))
                        .collect(),
                ),
            );
        }
        if !self.coords.is_empty() {
            doc.insert(
                "coords".into(),
                Json::Object(
                    self.coords
                        .iter()
                        .map(|(d, l)| (d.clone(), json!(l)))
                        .collect(),
                ),
            );
        }
        doc.insert("attrs".into(), json!({ "inference_library": "smallx", "inference_library_version": env!("CARGO_PKG_VERSION") }));
        Ok(Json::Object(doc))
    }

    /// Write the JSON document to `path`. NaN and infinite numbers are written as the bare
    /// tokens `NaN`, `Infinity` and `-Infinity`, which Python's `json` module (and so
    /// `arviz.from_json`) reads as floats; strict JSON parsers refuse them.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut text = self.document(NonFinite::Token)?.to_string();
        if text.contains("smallx-non-finite") {
            for (x, bare) in [
                (f64::NAN, "NaN"),
                (f64::INFINITY, "Infinity"),
                (f64::NEG_INFINITY, "-Infinity"),
            ] {
                text = text.replace(&Json::String(token(x)).to_string(), bare);
            }
        }
        write(path.as_ref(), &text)
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| Error::Data(format!("cannot write {}: {e}", path.display())))
}

/// The draws as CSV: a header `chain,draw,mu[0],mu[1],sigma,...`, then one row per draw.
///
/// A name holding a comma, a double quote or a line break is quoted as RFC 4180 says (`"a,b"`,
/// quotes doubled), so [`Data::from_csv`] and other CSV readers read it back; NaN and the
/// infinities are written as `NaN`, `inf` and `-inf`.
pub fn to_csv(samples: &Samples) -> String {
    let mut header = vec!["chain".to_string(), "draw".to_string()];
    for site in samples.sites() {
        header.extend((0..site.dim).map(|j| csv_field(&site.element_name(j))));
    }
    let mut out = header.join(",");
    out.push('\n');
    for c in 0..samples.num_chains() {
        for i in 0..samples.num_draws() {
            let mut row = vec![c.to_string(), i.to_string()];
            for site in samples.sites() {
                // Draws past the end of a shorter chain are left empty.
                match site.draw(c, i) {
                    Ok(x) => row.extend(x.iter().map(|x| x.to_string())),
                    Err(_) => row.extend((0..site.dim).map(|_| String::new())),
                }
            }
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

/// A CSV field: quoted (with inner quotes doubled) when it holds a comma, a quote or a line
/// break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Write [`to_csv`] to `path`.
pub fn write_csv(samples: &Samples, path: impl AsRef<Path>) -> Result<()> {
    write(path.as_ref(), &to_csv(samples))
}
