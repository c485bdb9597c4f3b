//! The latent space of a model: its latent sites, their supports, and the layout of their
//! unconstrained coordinates; and the potential (negative log density) over that space.

use nalgebra::DVector;
use rand::{Rng, SeedableRng};
use smallx_core::handler::{Handler, LogJointHandler};
use smallx_core::{
    Constraint, Ctx, Error, Model, PlateFrame, Real, Result, Root, Scalar, Site, SiteKind, Trace,
    Value, ValueKind,
};
use std::collections::HashMap;

/// One latent site of a model.
#[derive(Clone, Debug, PartialEq)]
pub struct LatentSite {
    /// The site's name.
    pub name: String,
    /// The type and shape of its value.
    pub kind: ValueKind,
    /// Its support.
    pub support: Constraint,
    /// The position of its first unconstrained coordinate (continuous sites).
    pub offset: usize,
    /// How many unconstrained coordinates it has (0 for discrete sites).
    pub dim: usize,
    /// The subsampled plate the site sits in, if any (the innermost one): its value then
    /// holds the plate's subsample only, a different one at every run.
    pub subsample: Option<PlateFrame>,
}

impl LatentSite {
    /// True for a discrete site (no unconstrained coordinates).
    pub fn is_discrete(&self) -> bool {
        self.support.is_discrete()
    }
}

/// The latent sites of a model, found by running it once, in execution order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LatentSpace {
    sites: Vec<LatentSite>,
    index: HashMap<String, usize>,
    dim: usize,
    enumerated: Vec<String>,
}

impl LatentSpace {
    /// Run `model` once with `f64` and collect its latent sample sites (not observed, not
    /// intervened). Returns the space and the run's trace.
    pub fn discover<M: Model>(
        model: &M,
        args: &M::Args<'_>,
        rng: &mut dyn Rng,
    ) -> Result<(Self, Trace<f64>)> {
        let trace = smallx_core::get_trace(model, args, rng)?.into_parts().0;
        Ok((Self::from_trace(&trace)?, trace))
    }

    /// The latent space of a recorded run.
    pub fn from_trace<R>(trace: &Trace<f64, R>) -> Result<Self> {
        let mut space = LatentSpace::default();
        let subsampled: Vec<&str> = trace
            .iter()
            .filter(|s| s.kind == SiteKind::Plate)
            .map(|s| s.name.as_str())
            .collect();
        for s in trace.latent_sites() {
            if s.enumerate {
                space.enumerated.push(s.name.clone());
                continue;
            }
            let dist = s.dist.as_ref().ok_or_else(|| Error::InvalidSite {
                site: s.name.clone(),
                detail: "a latent site without a distribution".into(),
            })?;
            let support = dist.support();
            let kind = s.value.kind();
            let dim = if support.is_discrete() {
                0
            } else {
                support.unconstrained_len(kind)?
            };
            space.index.insert(s.name.clone(), space.sites.len());
            space.sites.push(LatentSite {
                name: s.name.clone(),
                kind,
                support,
                offset: space.dim,
                dim,
                subsample: s
                    .plates
                    .iter()
                    .rev()
                    .find(|p| subsampled.contains(&p.name.as_str()))
                    .cloned(),
            });
            space.dim += dim;
        }
        Ok(space)
    }

    /// The latent sites marked for enumeration, which are not part of the space: the
    /// log-density sums them out (see [`enumerate`](crate::enumerate)).
    pub fn enumerated(&self) -> &[String] {
        &self.enumerated
    }

    /// All latent sites (without the enumerated ones).
    pub fn sites(&self) -> &[LatentSite] {
        &self.sites
    }

    /// The continuous latent sites.
    pub fn continuous(&self) -> impl Iterator<Item = &LatentSite> {
        self.sites.iter().filter(|s| !s.is_discrete())
    }

    /// The discrete latent sites.
    pub fn discrete(&self) -> impl Iterator<Item = &LatentSite> {
        self.sites.iter().filter(|s| s.is_discrete())
    }

    /// The site called `name`.
    pub fn get(&self, name: &str) -> Option<&LatentSite> {
        self.index.get(name).map(|&i| &self.sites[i])
    }

    /// The number of unconstrained coordinates.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The unconstrained coordinates of the latent values in `trace`.
    pub fn unconstrained<R>(&self, trace: &Trace<f64, R>) -> Result<Vec<f64>> {
        let mut u = vec![0.0; self.dim];
        for s in self.continuous() {
            let v = trace.value(&s.name)?;
            u[s.offset..s.offset + s.dim].copy_from_slice(&s.support.inverse(v)?);
        }
        Ok(u)
    }

    /// The constrained value of each continuous site at `u`, and the total `ln |det J|`.
    pub fn constrain<S: Scalar>(&self, u: &[Real<S>]) -> Result<(Vec<Value<S>>, Real<S>)> {
        let mut ladj = Real::new(0.0);
        let mut values = Vec::with_capacity(self.sites.len());
        for s in self.continuous() {
            let (v, l) = s.support.forward(&u[s.offset..s.offset + s.dim], s.kind)?;
            ladj += l;
            values.push(v);
        }
        Ok((values, ladj))
    }

    /// The discrete values recorded in `trace`, in the order of [`discrete`](Self::discrete).
    pub fn discrete_values<R>(&self, trace: &Trace<f64, R>) -> Result<Vec<Value<f64>>> {
        self.discrete()
            .map(|s| trace.value(&s.name).cloned())
            .collect()
    }
}

/// An error naming the first subsampled plate of `trace`: `algorithm` needs the model's full
/// target, and with a subsample every run would see another density (only SVI, whose
/// gradients stay unbiased, subsamples).
pub fn require_full_data<R>(trace: &Trace<f64, R>, algorithm: &str) -> Result<()> {
    match trace.iter().find(|s| s.kind == SiteKind::Plate) {
        None => Ok(()),
        Some(plate) => {
            let used = match plate.value.kind() {
                ValueKind::IntVec(m) => m,
                _ => 0,
            };
            Err(Error::Plate {
                site: plate.name.clone(),
                detail: format!(
                    "is subsampled ({used} items per run), but {algorithm} needs the full data: \
                     every evaluation would see another target. Remove `subsample` to use \
                     {algorithm}; subsampling is for SVI"
                ),
            })
        }
    }
}

/// Fills latent sites from unconstrained coordinates (continuous) and given values (discrete).
struct Unconstrained<'a, S: Scalar> {
    space: &'a LatentSpace,
    u: &'a [Real<S>],
    discrete: &'a [Value<f64>],
    cursor: usize,
    log_det: Real<S>,
}

impl<S: Scalar> Handler<S> for Unconstrained<'_, S> {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        if site.kind != SiteKind::Sample || site.is_observed || site.intervened || site.enumerate {
            return Ok(());
        }
        // Sites usually come in the order of the first run: try the next one first.
        let sites = self.space.sites();
        let index = match sites.get(self.cursor) {
            Some(s) if s.name == site.name => self.cursor,
            _ => self.space.index.get(site.name).copied().ok_or_else(|| Error::Unsupported {
                algorithm: "potential",
                site: site.name.to_string(),
                detail: "this latent site did not appear in the model's first run; models whose latent sites change from run to run are not supported here".into(),
            })?,
        };
        self.cursor = index + 1;
        let s = &sites[index];
        if s.is_discrete() {
            let position = sites[..index].iter().filter(|t| t.is_discrete()).count();
            site.set_value(self.discrete[position].lift())?;
        } else {
            let (value, l) = s
                .support
                .forward(&self.u[s.offset..s.offset + s.dim], s.kind)?;
            self.log_det += l;
            site.set_value(value)?;
        }
        Ok(())
    }
}

/// `log p(constrain(u), discrete)` (+ `ln |det J|` when `jacobian`), without a trace.
///
/// Returns an error naming the site when the density is NaN or `+∞`; `−∞` (outside the
/// support) is a valid value that samplers reject.
pub fn log_density_unconstrained<M: Model, S: Scalar>(
    model: &M,
    args: &M::Args<'_>,
    space: &LatentSpace,
    u: &[Real<S>],
    discrete: &[Value<f64>],
    jacobian: bool,
    rng: &mut dyn Rng,
) -> Result<Real<S>> {
    let (total, culprit) = log_density_and_culprit(model, args, space, u, discrete, jacobian, rng)?;
    if total.is_nan() || total.value() == f64::INFINITY {
        let (site, value) = culprit.unwrap_or(("(none)".into(), total.value()));
        return Err(Error::NonFinite {
            site,
            what: "the log-density",
            value,
        });
    }
    Ok(total)
}

/// The first site whose weighted log-probability was not finite, and that value.
pub type Culprit = Option<(String, f64)>;

/// The log-density as [`log_density_unconstrained`] computes it, whatever its value, and the
/// first site whose weighted log-probability was not finite (for messages).
pub fn log_density_and_culprit<M: Model, S: Scalar>(
    model: &M,
    args: &M::Args<'_>,
    space: &LatentSpace,
    u: &[Real<S>],
    discrete: &[Value<f64>],
    jacobian: bool,
    rng: &mut dyn Rng,
) -> Result<(Real<S>, Culprit)> {
    if !space.enumerated.is_empty() {
        return summed_log_density(model, args, space, u, discrete, jacobian, rng);
    }
    let mut root = Root::new(rng);
    let mut cx = Ctx::new(&mut root);
    let mut joint = LogJointHandler::new();
    let mut fill = Unconstrained {
        space,
        u,
        discrete,
        cursor: 0,
        log_det: Real::new(0.0),
    };
    cx.with_handler(&mut joint, |cx| {
        cx.with_handler(&mut fill, |cx| model.run(cx, args))
    })?;
    let total = if jacobian {
        joint.total() + fill.log_det
    } else {
        joint.total()
    };
    let culprit = joint
        .first_non_finite()
        .map(|(site, value)| (site.to_string(), value));
    Ok((total, culprit))
}

/// [`log_density_and_culprit`] for a model with enumerated sites: the log-density with them
/// summed out, the model running once per combination of colours (see
/// [`enumerate`](crate::enumerate)), each run from the same generator state.
fn summed_log_density<M: Model, S: Scalar>(
    model: &M,
    args: &M::Args<'_>,
    space: &LatentSpace,
    u: &[Real<S>],
    discrete: &[Value<f64>],
    jacobian: bool,
    rng: &mut dyn Rng,
) -> Result<(Real<S>, Culprit)> {
    let seed = rng.next_u64();
    let mut log_det = None;
    let (layout, tables) = crate::enumerate::factor_tables::<S>(|handler| {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
        let mut root = Root::new(&mut rng);
        let mut cx = Ctx::new(&mut root);
        let mut fill = Unconstrained {
            space,
            u,
            discrete,
            cursor: 0,
            log_det: Real::new(0.0),
        };
        cx.with_handler(&mut fill, |cx| {
            cx.with_handler(handler, |cx| model.run(cx, args))
        })?;
        log_det.get_or_insert(fill.log_det);
        Ok(())
    })?;
    let summed = crate::enumerate::log_sum(&layout, tables)?;
    let total = match (jacobian, log_det) {
        (true, Some(l)) => summed + l,
        _ => summed,
    };
    let culprit = (!total.is_finite()).then(|| {
        (
            format!(
                "(the sum over the enumerated sites {})",
                space.enumerated.join(", ")
            ),
            total.value(),
        )
    });
    Ok((total, culprit))
}

/// The unconstrained coordinates as constants of scalar `S`, with directions seeded for the
/// coordinates `first..first + S::DIRECTIONS`.
pub fn lift_coordinates<S: Scalar>(u: &[f64], first: Option<usize>) -> Vec<Real<S>> {
    u.iter()
        .enumerate()
        .map(|(i, &x)| match first {
            Some(k) if i >= k => Real::variable(x, i - k),
            _ => Real::new(x),
        })
        .collect()
}

/// The values of the latent sites at `u`, as `f64` vectors per site, in site order.
pub fn constrained_values(space: &LatentSpace, u: &[f64]) -> Result<Vec<DVector<f64>>> {
    let (values, _) = space.constrain::<f64>(&lift_coordinates(u, None))?;
    Ok(values
        .iter()
        .map(|v| DVector::from_vec(v.real_values().unwrap_or_default()))
        .collect())
}
