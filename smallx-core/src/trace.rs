//! Traces: the record of one model run.

use crate::constraint::Constraint;
use crate::dist::DynDistribution;
use crate::error::{Error, Result};
use crate::scalar::{Real, Scalar};
use crate::site::{PlateFrame, SiteKind};
use crate::value::Value;
use std::collections::HashMap;

/// One recorded site.
#[derive(Clone, Debug)]
pub struct TraceSite<S: Scalar = f64> {
    /// The site's name.
    pub name: String,
    /// Sample, param or plate.
    pub kind: SiteKind,
    /// The distribution (sample sites).
    pub dist: Option<Box<dyn DynDistribution<S>>>,
    /// The value.
    pub value: Value<S>,
    /// The unscaled log-probability of the value (0 for params and plates).
    pub log_prob: Real<S>,
    /// True when the value is observed data.
    pub is_observed: bool,
    /// True when `intervene` fixed the value.
    pub intervened: bool,
    /// The factor on the log-probability.
    pub scale: f64,
    /// False when the log-probability is masked out.
    pub mask: bool,
    /// The enclosing plates, outermost first.
    pub plates: Vec<PlateFrame>,
    /// The constraint of a param site.
    pub constraint: Option<Constraint>,
    /// Marked for enumeration: inference sums it out rather than sampling or guiding it.
    pub enumerate: bool,
}

impl<S: Scalar> TraceSite<S> {
    /// The site's contribution to the log-joint: `scale · log_prob` for sample sites that are
    /// not masked and not intervened; zero otherwise.
    pub fn weighted_log_prob(&self) -> Real<S> {
        if self.kind == SiteKind::Sample && self.mask && !self.intervened {
            self.log_prob * self.scale
        } else {
            Real::new(0.0)
        }
    }
    /// True for a sample site that is neither observed nor intervened.
    pub fn is_latent(&self) -> bool {
        self.kind == SiteKind::Sample && !self.is_observed && !self.intervened
    }
}

/// The sites of one run, in execution order, and the model's return value.
///
/// ```
/// use smallx_core::{Real, Trace, Value};
/// let t: Trace<f64> = Trace::new();
/// assert!(t.is_empty());
/// assert_eq!(t.log_joint().value(), 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct Trace<S: Scalar = f64, R = ()> {
    sites: Vec<TraceSite<S>>,
    /// Name → position, built once the trace has more than [`INDEXED_FROM`] sites; shorter
    /// traces are searched linearly, which is faster than hashing and allocates nothing.
    index: HashMap<String, usize>,
    ret: R,
}

/// The number of sites from which a trace keeps a hash index of names.
const INDEXED_FROM: usize = 16;

impl<S: Scalar> Default for Trace<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Scalar> Trace<S> {
    /// An empty trace.
    pub fn new() -> Self {
        Trace {
            sites: Vec::new(),
            index: HashMap::new(),
            ret: (),
        }
    }
}

impl<S: Scalar, R> Trace<S, R> {
    /// Append a site; a second site with the same name is an error.
    pub fn push(&mut self, site: TraceSite<S>) -> Result<()> {
        if self.contains(&site.name) {
            return Err(Error::DuplicateSite(site.name));
        }
        if self.sites.len() >= INDEXED_FROM {
            if self.index.is_empty() {
                self.index = self
                    .sites
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.name.clone(), i))
                    .collect();
            }
            self.index.insert(site.name.clone(), self.sites.len());
        }
        self.sites.push(site);
        Ok(())
    }

    fn position(&self, name: &str) -> Option<usize> {
        if self.sites.len() > INDEXED_FROM {
            self.index.get(name).copied()
        } else {
            self.sites.iter().position(|s| s.name == name)
        }
    }

    /// Attach the return value.
    pub fn with_return<R2>(self, ret: R2) -> Trace<S, R2> {
        Trace {
            sites: self.sites,
            index: self.index,
            ret,
        }
    }

    /// A copy of the sites without the return value.
    pub fn clone_sites(&self) -> Trace<S> {
        Trace {
            sites: self.sites.clone(),
            index: self.index.clone(),
            ret: (),
        }
    }

    /// The model's return value.
    pub fn ret(&self) -> &R {
        &self.ret
    }

    /// Split into the sites-only trace and the return value.
    pub fn into_parts(self) -> (Trace<S>, R) {
        (
            Trace {
                sites: self.sites,
                index: self.index,
                ret: (),
            },
            self.ret,
        )
    }

    /// The site called `name`.
    pub fn get(&self, name: &str) -> Option<&TraceSite<S>> {
        self.position(name).map(|i| &self.sites[i])
    }

    /// True when a site called `name` was recorded.
    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// The value at `name`, or an error naming the site.
    pub fn value(&self, name: &str) -> Result<&Value<S>> {
        self.get(name)
            .map(|s| &s.value)
            .ok_or_else(|| Error::MissingSite(name.to_string()))
    }

    /// The value of a real site as `f64`.
    pub fn real(&self, name: &str) -> Result<f64> {
        let v = self.value(name)?;
        v.as_f64().ok_or_else(|| Error::WrongValue {
            site: name.to_string(),
            dist: "Trace::real".into(),
            expected: crate::ValueKind::Real,
            got: v.kind(),
        })
    }

    /// All sites in execution order.
    pub fn sites(&self) -> &[TraceSite<S>] {
        &self.sites
    }

    /// Iterate over the sites in execution order.
    pub fn iter(&self) -> std::slice::Iter<'_, TraceSite<S>> {
        self.sites.iter()
    }

    /// The number of sites.
    pub fn len(&self) -> usize {
        self.sites.len()
    }

    /// True when no site was recorded.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// The site names in execution order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sites.iter().map(|s| s.name.as_str())
    }

    /// Latent sample sites (not observed, not intervened).
    pub fn latent_sites(&self) -> impl Iterator<Item = &TraceSite<S>> {
        self.sites.iter().filter(|s| s.is_latent())
    }

    /// Observed sample sites.
    pub fn observed_sites(&self) -> impl Iterator<Item = &TraceSite<S>> {
        self.sites
            .iter()
            .filter(|s| s.kind == SiteKind::Sample && s.is_observed)
    }

    /// Param sites.
    pub fn params(&self) -> impl Iterator<Item = &TraceSite<S>> {
        self.sites.iter().filter(|s| s.kind == SiteKind::Param)
    }

    /// `log p(all sample sites)`: the scaled log-probabilities of every sample site that is
    /// not masked or intervened.
    pub fn log_joint(&self) -> Real<S> {
        self.sites.iter().map(TraceSite::weighted_log_prob).sum()
    }

    /// The latent part of [`log_joint`](Trace::log_joint).
    pub fn log_prior(&self) -> Real<S> {
        self.latent_sites().map(TraceSite::weighted_log_prob).sum()
    }

    /// The observed part of [`log_joint`](Trace::log_joint).
    pub fn log_likelihood(&self) -> Real<S> {
        self.observed_sites()
            .map(TraceSite::weighted_log_prob)
            .sum()
    }

    /// An error naming the first sample site whose weighted log-probability is not finite.
    pub fn check_finite(&self) -> Result<()> {
        match self
            .sites
            .iter()
            .find(|s| !s.weighted_log_prob().is_finite())
        {
            Some(s) => Err(Error::NonFinite {
                site: s.name.clone(),
                what: "the log-probability",
                value: s.weighted_log_prob().value(),
            }),
            None => Ok(()),
        }
    }
}

impl<'a, S: Scalar, R> IntoIterator for &'a Trace<S, R> {
    type Item = &'a TraceSite<S>;
    type IntoIter = std::slice::Iter<'a, TraceSite<S>>;
    fn into_iter(self) -> Self::IntoIter {
        self.sites.iter()
    }
}
