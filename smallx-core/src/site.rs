//! Sites: the message a `sample!`, `observe!`, `param!`, `deterministic!` or subsampled
//! `plate!` statement sends through the handler stack.

use crate::constraint::Constraint;
use crate::dist::DynDistribution;
use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::value::{Value, ValueKind};

/// What kind of statement made a site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteKind {
    /// `sample!` or `observe!`: a random choice.
    Sample,
    /// `param!`: a learnable parameter.
    Param,
    /// A subsampled `plate!`: its value is the vector of chosen indices.
    Plate,
    /// `deterministic!`: a value computed from other sites, recorded but never scored,
    /// conditioned or substituted.
    Deterministic,
}

/// A plate the site sits in: conditionally independent data of `size` items, of which
/// `subsample_size` are used in this run.
#[derive(Clone, Debug, PartialEq)]
pub struct PlateFrame {
    /// The plate's name.
    pub name: String,
    /// How many items the full data has.
    pub size: usize,
    /// How many are used in this run.
    pub subsample_size: usize,
    /// Which entry into a plate this is, counting every plate entered in the run: the sites
    /// of one entry share it, and two entries of the same plate (a plate entered once per
    /// item in a loop, Pyro's sequential `plate`) differ, which marks their sites as
    /// conditionally independent (see `TraceGraphElbo`).
    pub entry: usize,
}

impl PlateFrame {
    /// The factor that scales log-densities inside this plate: `size / subsample_size`.
    pub fn scale(&self) -> f64 {
        self.size as f64 / self.subsample_size as f64
    }
}

/// A step of a `markov!` loop the site sits in (Pyro's `pyro.markov`): sites at step `step`
/// may depend on enumerated sites of the same loop at most `history` steps earlier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkovFrame {
    /// The loop's name.
    pub name: String,
    /// How many earlier steps a step may depend on.
    pub history: usize,
    /// The current step, from 0.
    pub step: usize,
    /// Which `markov!` loop of the run this is (the same loop written twice, in two entries
    /// of a plate for example, gets two numbers).
    pub entry: usize,
}

/// The declaration of a parameter at a `param!` site.
#[derive(Clone, Copy)]
pub struct ParamSpec<'a> {
    /// Computes the initial (constrained) value; called only when the value is needed.
    pub init: &'a dyn Fn() -> Value<f64>,
    /// The range of the parameter.
    pub constraint: Constraint,
}

/// A site on its way through the handler stack.
///
/// Handlers read and write its fields; the meaning of each handler is which fields it writes
/// (see the [`handler`](crate::handler) module). Fields:
///
/// * `name`: the site's name, unique within one run.
/// * `kind`: sample, param or plate.
/// * `dist`: the distribution (sample sites only).
/// * `value`: `None` until a handler or the default action fills it.
/// * `is_observed`: the value is data, not a latent draw.
/// * `intervened`: the value was fixed by `intervene`; the site then contributes no
///   log-probability.
/// * `scale`: multiplies the site's log-probability (plates and `scale` set it).
/// * `mask`: when false the site contributes no log-probability.
/// * `stop`: when set, outer handlers do not see the site.
/// * `plates`: the plates the site is in, outermost first.
/// * `param`: the declaration at a param site.
/// * `plate_size`: `(size, subsample_size)` at a plate site.
/// * `validate`: check observed values (NaN and infinities are errors); `validate_data`
///   turns it off.
/// * `enumerate`: a latent site marked for enumeration (`infer = enumerate`, or
///   `config_enumerate`): enumeration handlers sum it out instead of drawing it.
/// * `markov`: the `markov!` steps the site is in, outermost first.
pub struct Site<'a, S: Scalar> {
    /// The site's name.
    pub name: &'a str,
    /// Sample, param or plate.
    pub kind: SiteKind,
    /// The distribution at a sample site.
    pub dist: Option<&'a dyn DynDistribution<S>>,
    /// The value, once known.
    pub value: Option<Value<S>>,
    /// True when the value is observed data.
    pub is_observed: bool,
    /// True when `intervene` fixed the value.
    pub intervened: bool,
    /// Multiplies the log-probability.
    pub scale: f64,
    /// False to drop the log-probability.
    pub mask: bool,
    /// Hide the site from outer handlers.
    pub stop: bool,
    /// Enclosing plates, outermost first.
    pub plates: &'a [PlateFrame],
    /// The declaration at a param site.
    pub param: Option<ParamSpec<'a>>,
    /// `(size, subsample_size)` at a plate site.
    pub plate_size: Option<(usize, usize)>,
    /// Check an observed value once the handlers ran (true unless
    /// [`validate_data`](crate::validate_data) turned it off).
    pub validate: bool,
    /// A seed for the default draw, set by the innermost `seed` handler.
    pub(crate) rng_seed: Option<u64>,
    /// Marked for enumeration (a latent site with a finite support).
    pub enumerate: bool,
    /// Enclosing `markov!` steps, outermost first.
    pub markov: &'a [MarkovFrame],
}

impl<'a, S: Scalar> Site<'a, S> {
    pub(crate) fn new(name: &'a str, kind: SiteKind, plates: &'a [PlateFrame]) -> Self {
        Site {
            name,
            kind,
            dist: None,
            value: None,
            is_observed: false,
            intervened: false,
            scale: plates.iter().map(PlateFrame::scale).product(),
            mask: true,
            stop: false,
            plates,
            param: None,
            plate_size: None,
            validate: true,
            rng_seed: None,
            enumerate: false,
            markov: &[],
        }
    }

    /// What a value at this site must look like, and a description of the site for errors.
    pub fn expected_kind(&self) -> Option<(ValueKind, String)> {
        match (self.kind, self.dist, self.param) {
            (SiteKind::Sample, Some(d), _) => Some((d.value_kind(), d.name().to_string())),
            (SiteKind::Param, _, Some(p)) => Some((
                (p.init)().kind(),
                format!("a parameter constrained to {}", p.constraint),
            )),
            (SiteKind::Plate, ..) => self.plate_size.map(|(_, m)| {
                (
                    ValueKind::IntVec(m),
                    "a plate's subsample indices".to_string(),
                )
            }),
            _ => None,
        }
    }

    /// Check `value` against what the site expects (converting integers to reals and 0/1 to
    /// booleans where that loses nothing), and store it. An integer beyond ±2^53 that `f64`
    /// cannot hold exactly, given where reals are expected, is an error naming the site.
    pub fn set_value(&mut self, value: Value<S>) -> Result<()> {
        let checked = self.check_value(value)?;
        self.value = Some(checked);
        Ok(())
    }

    /// Check `value` against what the site expects, returning it (converted) or an error that
    /// names the site.
    pub fn check_value(&self, value: Value<S>) -> Result<Value<S>> {
        let Some((expected, what)) = self.expected_kind() else {
            return Ok(value);
        };
        let real_expected = match (expected, value.kind()) {
            (ValueKind::Real, ValueKind::Int) => true,
            (ValueKind::RealVec(n), ValueKind::IntVec(m)) => n == m,
            _ => false,
        };
        if let (true, Some(i)) = (real_expected, value.inexact_integer()) {
            return Err(Error::InvalidSite {
                site: self.name.to_string(),
                detail: format!(
                    "expected {expected} for {what}; the integer {i} given has no exact f64 \
                     value (integers beyond ±2^53 are not rounded silently)"
                ),
            });
        }
        value.coerce(expected).map_err(|v| Error::WrongValue {
            site: self.name.to_string(),
            dist: what,
            expected,
            got: v.kind(),
        })
    }

    /// The site's contribution to the log-joint, `scale · log_prob(value)`: `None` for a site
    /// that contributes nothing (not a sample site, masked, intervened, or without a value),
    /// an error naming the site when the value does not fit the distribution.
    pub fn weighted_log_prob(&self) -> Result<Option<crate::Real<S>>> {
        if self.kind != SiteKind::Sample || !self.mask || self.intervened {
            return Ok(None);
        }
        let (Some(dist), Some(value)) = (self.dist, &self.value) else {
            return Ok(None);
        };
        let lp = dist
            .log_prob_value(value)
            .ok_or_else(|| Error::WrongValue {
                site: self.name.to_string(),
                dist: dist.name().to_string(),
                expected: dist.value_kind(),
                got: value.kind(),
            })?;
        Ok(Some(lp * self.scale))
    }

    /// True for a sample site whose value is not data and not an intervention.
    pub fn is_latent(&self) -> bool {
        self.kind == SiteKind::Sample && !self.is_observed && !self.intervened
    }
}
