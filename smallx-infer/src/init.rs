//! Where samplers and optimisers start: initialisation strategies with NumPyro's names and
//! meanings, turned into a point of the unconstrained latent space by [`initial_point`].
//!
//! One policy for every algorithm: a name given in `init_to_value` that is not a continuous
//! latent site of the model is an error naming it (and listing the sites); an initial point
//! whose log-density or gradient is not finite is redrawn, up to [`MAX_INIT_ATTEMPTS`] times
//! (random strategies redraw themselves, `init_to_value` keeps its values and redraws the other
//! sites, and the deterministic `init_to_feasible` and `Init::Map` fall back to
//! `init_to_uniform(2)`, where NumPyro would retry the same point), and the error after the
//! last attempt names the site whose log-density was not finite.

use crate::latent::LatentSpace;
use rand::Rng;
use rand_distr::{Distribution as _, Uniform};
use smallx_core::{Data, Error, Result, Trace};

/// How many initial points are tried before giving up.
pub const MAX_INIT_ATTEMPTS: usize = 100;

/// An initialisation strategy.
///
/// `Prior` and `Values` keep the names Metropolis has always used; the functions
/// [`init_to_sample`], [`init_to_value`], [`init_to_median`], [`init_to_uniform`] and
/// [`init_to_feasible`] give every strategy its NumPyro name.
#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    /// A draw from the prior (NumPyro's `init_to_sample`); each chain its own.
    Prior,
    /// The given constrained values for the named sites; the others from a prior draw (NumPyro's
    /// `init_to_value`, whose other sites fall back to `init_to_uniform` instead). Retries keep
    /// the values and redraw the others.
    Values(Data),
    /// The median of `num_samples` prior draws, per unconstrained coordinate (NumPyro's
    /// `init_to_median` takes it per constrained element: the same for elementwise bijections
    /// and an odd number of draws).
    Median {
        /// How many prior draws.
        num_samples: usize,
    },
    /// Uniform in `(−radius, radius)` in unconstrained space (NumPyro's `init_to_uniform`, the
    /// default of its NUTS and HMC).
    Uniform {
        /// The half-width of the box.
        radius: f64,
    },
    /// Every unconstrained coordinate 0 (NumPyro's `init_to_feasible`): the median of each
    /// bijection, e.g. 1 for a positive site, the midpoint of an interval.
    Feasible,
    /// The MAP estimate ([`crate::Map`] with its defaults), found once and shared by every
    /// chain; a MAP run that does not converge is an error ([`Error::NotConverged`]), not a
    /// start.
    Map,
}

impl Default for Init {
    /// `Init::Prior`.
    fn default() -> Self {
        Init::Prior
    }
}

/// A prior draw (NumPyro's `init_to_sample`).
pub fn init_to_sample() -> Init {
    Init::Prior
}

/// Given values for the named sites, prior draws for the others (NumPyro's `init_to_value`).
pub fn init_to_value(values: Data) -> Init {
    Init::Values(values)
}

/// The median of 15 prior draws (NumPyro's `init_to_median` default).
pub fn init_to_median() -> Init {
    Init::Median { num_samples: 15 }
}

/// Uniform in `(−radius, radius)` in unconstrained space (NumPyro's default radius is 2).
pub fn init_to_uniform(radius: f64) -> Init {
    Init::Uniform { radius }
}

/// Every unconstrained coordinate 0 (NumPyro's `init_to_feasible`).
pub fn init_to_feasible() -> Init {
    Init::Feasible
}

impl Init {
    /// Check the options: a radius must be positive and finite, a median needs draws.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Init::Uniform { radius } if !(radius.is_finite() && radius > 0.0) => {
                Err(Error::Config {
                    algorithm: "init_to_uniform",
                    detail: format!("the radius must be positive and finite, got {radius}"),
                })
            }
            Init::Median { num_samples: 0 } => Err(Error::Config {
                algorithm: "init_to_median",
                detail: "num_samples must be at least 1".into(),
            }),
            _ => Ok(()),
        }
    }

    /// Whether a retry draws a new point by itself (otherwise retries use `init_to_uniform`
    /// with radius 2).
    pub(crate) fn is_random(&self) -> bool {
        matches!(
            self,
            Init::Prior | Init::Values(_) | Init::Uniform { .. } | Init::Median { .. }
        )
    }
}

/// The unconstrained coordinates of `values` for the named continuous sites, written into `u`;
/// an error names any name that is not a continuous latent site.
pub fn write_values(
    space: &LatentSpace,
    values: &Data,
    u: &mut [f64],
    what: &'static str,
) -> Result<()> {
    values.check()?;
    for (name, value) in values.iter() {
        let site = space
            .get(name)
            .filter(|s| !s.is_discrete())
            .ok_or_else(|| Error::UnknownSite {
                handler: what,
                name: name.to_string(),
                known: space
                    .continuous()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        // Integers (a JSON `1`, a CSV column) stand for reals when f64 holds them exactly.
        if let Some(i) = value.inexact_integer() {
            return Err(Error::Config {
                algorithm: what,
                detail: format!(
                    "the value for `{name}` holds the integer {i}, which has no exact f64 value"
                ),
            });
        }
        let value = value.clone().coerce(site.kind).unwrap_or_else(|v| v);
        let coords = site.support.inverse(&value)?;
        if coords.len() != site.dim {
            return Err(Error::Config {
                algorithm: what,
                detail: format!(
                    "the value for `{name}` has {} unconstrained coordinates, the site {}",
                    coords.len(),
                    site.dim
                ),
            });
        }
        u[site.offset..site.offset + site.dim].copy_from_slice(&coords);
    }
    Ok(())
}

/// The initial unconstrained point of `strategy`. `prior` is a prior draw of the model (the
/// run that found the latent space); `draw_prior` draws more (for `init_to_median`).
/// `Init::Map` is resolved by the caller into `Init::Values`.
pub fn initial_point(
    space: &LatentSpace,
    strategy: &Init,
    prior: &Trace<f64>,
    draw_prior: &mut dyn FnMut() -> Result<Trace<f64>>,
    rng: &mut dyn Rng,
) -> Result<Vec<f64>> {
    strategy.validate()?;
    let d = space.dim();
    match strategy {
        Init::Prior | Init::Map => space.unconstrained(prior),
        Init::Values(values) => {
            let mut u = space.unconstrained(prior)?;
            write_values(space, values, &mut u, "init_to_value")?;
            Ok(u)
        }
        Init::Feasible => Ok(vec![0.0; d]),
        Init::Uniform { radius } => {
            let box_ = Uniform::new(-radius, *radius).map_err(|e| Error::Config {
                algorithm: "init_to_uniform",
                detail: e.to_string(),
            })?;
            Ok((0..d).map(|_| box_.sample(&mut *rng)).collect())
        }
        Init::Median { num_samples } => {
            let mut draws = vec![space.unconstrained(prior)?];
            for _ in 1..*num_samples {
                draws.push(space.unconstrained(&draw_prior()?)?);
            }
            Ok((0..d)
                .map(|i| {
                    let mut column: Vec<f64> = draws.iter().map(|u| u[i]).collect();
                    column.sort_by(f64::total_cmp);
                    column[column.len() / 2]
                })
                .collect())
        }
    }
}
