//! Autoguides: guides built by inspecting the model's latent sites and their supports.
//!
//! Each is a model (so it is passed to `Svi` like a hand-written guide) whose parameters live
//! in the unconstrained space of the model's latent sites. They find the sites by running the
//! model once, the first time they run.

mod dist;

pub use dist::{NormalScale, PointMass, TransformedNormal};

use crate::init::{Init, MAX_INIT_ATTEMPTS, init_to_median, initial_point, write_values};
use crate::latent::{LatentSite, LatentSpace};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use smallx_core::{
    Constraint, Ctx, Data, Error, Model, ParamStore, Plate, PlateFrame, Real, Result, Scalar,
    Value, ValueKind, get_trace,
};
use std::sync::OnceLock;

/// `Err` naming the option unless the initial scale is positive and finite.
fn check_init_scale(algorithm: &'static str, scale: f64) -> Result<()> {
    if scale.is_finite() && scale > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidOption {
            algorithm,
            option: "init_scale",
            value: scale.to_string(),
            expected: "positive and finite",
        })
    }
}

/// Where an autoguide starts, in the unconstrained space. The strategies are those of
/// [`Init`], turned into a point by the same [`initial_point`].
#[derive(Clone, Debug)]
pub enum InitLoc {
    /// The median of `num_samples` prior draws, per unconstrained coordinate (NumPyro's
    /// `init_to_median`, the default of its autoguides, with its 15 draws): the run that
    /// discovers the latent sites (a generator seeded with 0) and `num_samples − 1` more (a
    /// generator seeded with 1), so the start is reproducible.
    Median {
        /// How many prior draws (at least 1).
        num_samples: usize,
    },
    /// Every unconstrained coordinate 0 (Pyro's `init_to_feasible`): the median of the
    /// bijection, e.g. 1 for a positive site, the midpoint of an interval.
    Feasible,
    /// One draw from the prior.
    PriorDraw,
    /// The given (constrained) values for the named sites, the prior median (15 draws) for
    /// the others.
    Values(Data),
}

impl Default for InitLoc {
    /// The median of 15 prior draws (NumPyro's default).
    fn default() -> Self {
        InitLoc::Median { num_samples: 15 }
    }
}

/// The model's latent space, the initial unconstrained point, and each site's parameter
/// names and initial constrained value: found on first use, so that runs format nothing.
///
/// A site inside a subsampled plate gets parameters for every item of the plate (its
/// `init_full` and `init_values` have the plate's full size); each run uses the rows of the
/// run's subsample, as Pyro's autoguides do.
struct Prototype {
    space: LatentSpace,
    init: Vec<f64>,
    /// Each site's initial unconstrained coordinates, full size for subsampled sites.
    init_full: Vec<Vec<f64>>,
    param_names: Vec<[String; 2]>,
    init_values: Vec<Value<f64>>,
    /// The sites grouped by the subsampled plate they sit in (`None`: no such plate), in
    /// the order of first appearance.
    groups: Vec<(Option<PlateFrame>, Vec<usize>)>,
}

impl Prototype {
    /// Site `k`'s parameter rows for this run: all of them, or the subsample's.
    fn rows<S: Scalar>(
        &self,
        k: usize,
        full: DVector<Real<S>>,
        plate: Option<&Plate>,
    ) -> DVector<Real<S>> {
        match (plate, &self.space.sites()[k].subsample) {
            (Some(p), Some(_)) => DVector::from_iterator(p.len(), p.indices().map(|i| full[i])),
            _ => full,
        }
    }
}

/// The shape of site `site`'s parameters: the plate's full size for a subsampled site.
fn full_kind(site: &LatentSite) -> ValueKind {
    match &site.subsample {
        Some(plate) => ValueKind::RealVec(plate.size),
        None => site.kind,
    }
}

struct Discovery {
    name: &'static str,
    naming: fn(&str) -> [String; 2],
    init: InitLoc,
    /// Whether the guide can follow a subsampled plate (full-size parameters indexed by the
    /// subsample); otherwise a subsampled latent site is an error naming it.
    subsampling: bool,
    cell: OnceLock<Prototype>,
}

impl Discovery {
    /// `naming` gives a site's parameter names (unused ones empty).
    fn new(name: &'static str, naming: fn(&str) -> [String; 2]) -> Self {
        Discovery {
            name,
            naming,
            init: InitLoc::default(),
            subsampling: true,
            cell: OnceLock::new(),
        }
    }

    fn get<M: Model>(&self, model: &M, args: &M::Args<'_>) -> Result<&Prototype> {
        if let Some(p) = self.cell.get() {
            return Ok(p);
        }
        let (space, trace) = LatentSpace::discover(model, args, &mut SmallRng::seed_from_u64(0))?;
        if let Some(d) = space.discrete().next() {
            return Err(Error::Unsupported {
                algorithm: self.name,
                site: d.name.clone(),
                detail: format!(
                    "a discrete latent site (support {}) cannot be approximated by a continuous autoguide; write a guide with a discrete site for it",
                    d.support
                ),
            });
        }
        // The same strategies, and the same policy for unknown names, as the samplers'.
        let strategy = match &self.init {
            InitLoc::Median { num_samples } => Init::Median {
                num_samples: *num_samples,
            },
            InitLoc::Feasible => Init::Feasible,
            InitLoc::PriorDraw => Init::Prior,
            InitLoc::Values(_) => init_to_median(),
        };
        // init_to_median's further draws; a draw at which a distribution cannot be built (a
        // parameter out of its range) is redrawn.
        let mut draws = SmallRng::seed_from_u64(1);
        let mut draw_prior = || {
            let mut attempt = 1;
            loop {
                match get_trace(model, args, &mut draws) {
                    Err(Error::InvalidDistribution { .. }) if attempt < MAX_INIT_ATTEMPTS => {
                        attempt += 1;
                    }
                    other => return other.map(|t| t.into_parts().0),
                }
            }
        };
        let mut init = initial_point(
            &space,
            &strategy,
            &trace,
            &mut draw_prior,
            &mut SmallRng::seed_from_u64(0),
        )
        .map_err(|e| match e {
            Error::Config { detail, .. } => Error::Config {
                algorithm: self.name,
                detail: format!("init_loc: {detail}"),
            },
            other => other,
        })?;
        if let InitLoc::Values(data) = &self.init {
            write_values(&space, data, &mut init, "InitLoc::Values")?;
        }
        let param_names = space
            .sites()
            .iter()
            .map(|s| (self.naming)(&s.name))
            .collect();
        let mut groups: Vec<(Option<PlateFrame>, Vec<usize>)> = Vec::new();
        let mut init_full = Vec::with_capacity(space.sites().len());
        for (k, site) in space.sites().iter().enumerate() {
            let own = &init[site.offset..site.offset + site.dim];
            init_full.push(match &site.subsample {
                None => own.to_vec(),
                Some(plate) => {
                    self.check_subsampled(site, plate)?;
                    // Every item starts where the discovered items start on average.
                    let mean = own.iter().sum::<f64>() / own.len().max(1) as f64;
                    vec![mean; plate.size]
                }
            });
            match groups.iter_mut().find(|(p, _)| *p == site.subsample) {
                Some((_, members)) => members.push(k),
                None => groups.push((site.subsample.clone(), vec![k])),
            }
        }
        let init_values = space
            .sites()
            .iter()
            .zip(&init_full)
            .map(|(s, u)| {
                let u: Vec<Real<f64>> = u.iter().map(|&x| Real(x)).collect();
                s.support.forward(&u, full_kind(s)).map(|(v, _)| v)
            })
            .collect::<Result<_>>()?;
        Ok(self.cell.get_or_init(|| Prototype {
            space,
            init,
            init_full,
            param_names,
            init_values,
            groups,
        }))
    }

    /// A site in a subsampled plate must hold one unconstrained coordinate per item of the
    /// subsample, through an elementwise bijection, for its rows to be indexed by the items.
    fn check_subsampled(&self, site: &LatentSite, plate: &PlateFrame) -> Result<()> {
        let unsupported = |detail: String| Error::Unsupported {
            algorithm: self.name,
            site: site.name.clone(),
            detail,
        };
        if !self.subsampling {
            return Err(unsupported(format!(
                "the site is in the subsampled plate `{}`, and this guide couples every \
                 coordinate, so it cannot follow a subsample; use AutoNormal or AutoDelta, or \
                 remove `subsample`",
                plate.name
            )));
        }
        let elementwise = !matches!(
            site.support,
            Constraint::Simplex | Constraint::LowerCholesky
        );
        if site.dim != plate.subsample_size || !elementwise {
            return Err(unsupported(format!(
                "a latent site in the subsampled plate `{}` needs one value per item of the \
                 subsample ({} reals, e.g. `Normal::new(..).iid(idx.len())`), got {}",
                plate.name, plate.subsample_size, site.kind
            )));
        }
        Ok(())
    }

    /// Enter the subsampled plate of a group of sites in the guide, with the model's name and
    /// sizes, so that the guide draws the subsample and the model replays it.
    fn enter<S: Scalar>(cx: &mut Ctx<'_, S>, plate: &Option<PlateFrame>) -> Result<Option<Plate>> {
        plate
            .as_ref()
            .map(|p| cx.enter_plate(&p.name, p.size, Some(p.subsample_size)))
            .transpose()
    }

    fn known(&self) -> Result<&Prototype> {
        self.cell.get().ok_or_else(|| Error::Config {
            algorithm: self.name,
            detail: "the guide has not run yet, so it does not know the model's latent sites; fit it first".into(),
        })
    }
}

/// Each latent site's constrained value at the unconstrained coordinates `u(site)`.
fn constrained_sites(
    proto: &Prototype,
    u: impl Fn(&crate::latent::LatentSite) -> Result<Vec<f64>>,
) -> Result<Data> {
    let mut data = Data::new();
    for site in proto.space.sites() {
        let coords: Vec<Real<f64>> = u(site)?.into_iter().map(Real).collect();
        data.insert(
            site.name.as_str(),
            site.support.forward(&coords, full_kind(site))?.0,
        );
    }
    Ok(data)
}

fn vector_param(store: &ParamStore, name: &str) -> Result<Vec<f64>> {
    store
        .value(name)
        .and_then(|v| v.real_values())
        .ok_or_else(|| Error::Config {
            algorithm: "autoguide",
            detail: format!("no parameter `{name}` in the store"),
        })
}

/// A mean-field normal guide in unconstrained space (Pyro's and NumPyro's `AutoNormal`):
/// each latent site gets `T(u)`, `u ~ N(loc, diag(scale²))`, with `T` the bijection onto the
/// site's support. Parameters `AutoNormal.loc.<site>` and `AutoNormal.scale.<site>`.
pub struct AutoNormal<M> {
    model: M,
    init_scale: f64,
    discovery: Discovery,
}

impl<M: Model> AutoNormal<M> {
    /// A guide for `model` (pass the conditioned model), starting at the prior median
    /// ([`InitLoc::Median`], NumPyro's default) with scale 0.1.
    pub fn new(model: M) -> Self {
        AutoNormal {
            model,
            init_scale: 0.1,
            discovery: Discovery::new("AutoNormal", |site| {
                [
                    format!("AutoNormal.loc.{site}"),
                    format!("AutoNormal.scale.{site}"),
                ]
            }),
        }
    }
    /// The initial standard deviation of every unconstrained coordinate (default 0.1; it
    /// must be positive and finite, which the first run checks).
    pub fn init_scale(mut self, scale: f64) -> Self {
        self.init_scale = scale;
        self
    }
    /// Where to start.
    pub fn init_loc(mut self, init: InitLoc) -> Self {
        self.discovery.init = init;
        self
    }

    /// The posterior median of each latent site in constrained space: `T(loc)`.
    pub fn median(&self, store: &ParamStore) -> Result<Data> {
        self.quantile(store, 0.5)
    }

    /// The `q`-quantile of each latent site, elementwise: `T(loc + scale·Φ⁻¹(q))`, for `q` in
    /// `(0, 1)` (otherwise an error). Exact for elementwise bijections; simplex and Cholesky
    /// sites are refused.
    pub fn quantile(&self, store: &ParamStore, q: f64) -> Result<Data> {
        if !(q > 0.0 && q < 1.0) {
            return Err(Error::InvalidOption {
                algorithm: "AutoNormal::quantile",
                option: "q",
                value: q.to_string(),
                expected: "a quantile level in the open interval (0, 1)",
            });
        }
        let proto = self.discovery.known()?;
        let z = std::f64::consts::SQRT_2 * statrs::function::erf::erf_inv(2.0 * q - 1.0);
        constrained_sites(proto, |site| {
            if matches!(
                site.support,
                Constraint::Simplex | Constraint::LowerCholesky | Constraint::CorrCholesky
            ) && q != 0.5
            {
                return Err(Error::Unsupported {
                    algorithm: "AutoNormal::quantile",
                    site: site.name.clone(),
                    detail: "quantiles of a simplex or Cholesky site are not elementwise; draw from the guide instead".into(),
                });
            }
            let [loc_name, scale_name] = (self.discovery.naming)(&site.name);
            let loc = vector_param(store, &loc_name)?;
            let scale = vector_param(store, &scale_name)?;
            Ok(loc.iter().zip(&scale).map(|(m, s)| m + s * z).collect())
        })
    }
}

impl<M: Model> Model for AutoNormal<M> {
    type Args<'a> = M::Args<'a>;
    type Ret<S: Scalar> = ();
    fn name(&self) -> &str {
        "AutoNormal"
    }
    fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, args: &Self::Args<'_>) -> Result<()> {
        check_init_scale("AutoNormal", self.init_scale)?;
        let proto = self.discovery.get(&self.model, args)?;
        for (plate_frame, members) in &proto.groups {
            let plate = Discovery::enter(cx, plate_frame)?;
            for &k in members {
                let site = &proto.space.sites()[k];
                let [loc_name, scale_name] = &proto.param_names[k];
                let init = &proto.init_full[k];
                let loc: DVector<Real<S>> =
                    cx.param(loc_name, || init.clone(), Constraint::Real)?;
                let scale: DVector<Real<S>> = cx.param(
                    scale_name,
                    || vec![self.init_scale; init.len()],
                    Constraint::Positive,
                )?;
                let (loc, scale) = (
                    proto.rows(k, loc, plate.as_ref()),
                    proto.rows(k, scale, plate.as_ref()),
                );
                cx.sample(
                    &site.name,
                    TransformedNormal::new(
                        loc,
                        NormalScale::Diagonal(scale),
                        site.support,
                        site.kind,
                    ),
                )?;
            }
            if plate.is_some() {
                cx.exit_plate();
            }
        }
        Ok(())
    }
}

/// A full-rank normal guide in unconstrained space (`AutoMultivariateNormal`): all latent
/// coordinates jointly `N(loc, L Lᵀ)`, each site mapped onto its support. Each site is sampled
/// from its exact conditional given the sites before it (the blocks of `L`), so there is no
/// auxiliary site. Parameters `AutoMultivariateNormal.loc` and `.scale_tril`.
pub struct AutoMultivariateNormal<M> {
    model: M,
    init_scale: f64,
    discovery: Discovery,
}

impl<M: Model> AutoMultivariateNormal<M> {
    /// A guide for `model`, starting at the prior median ([`InitLoc::Median`]) with
    /// `L = 0.1·I`.
    pub fn new(model: M) -> Self {
        AutoMultivariateNormal {
            model,
            init_scale: 0.1,
            discovery: Discovery {
                subsampling: false,
                ..Discovery::new("AutoMultivariateNormal", |_| [String::new(), String::new()])
            },
        }
    }
    /// The initial scale of the diagonal of `L` (default 0.1; it must be positive and
    /// finite, which the first run checks).
    pub fn init_scale(mut self, scale: f64) -> Self {
        self.init_scale = scale;
        self
    }
    /// Where to start.
    pub fn init_loc(mut self, init: InitLoc) -> Self {
        self.discovery.init = init;
        self
    }
    /// The posterior median of each site: `T(loc)`.
    pub fn median(&self, store: &ParamStore) -> Result<Data> {
        let proto = self.discovery.known()?;
        let loc = vector_param(store, "AutoMultivariateNormal.loc")?;
        constrained_sites(proto, |site| {
            Ok(loc[site.offset..site.offset + site.dim].to_vec())
        })
    }
}

impl<M: Model> Model for AutoMultivariateNormal<M> {
    type Args<'a> = M::Args<'a>;
    type Ret<S: Scalar> = ();
    fn name(&self) -> &str {
        "AutoMultivariateNormal"
    }
    fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, args: &Self::Args<'_>) -> Result<()> {
        check_init_scale("AutoMultivariateNormal", self.init_scale)?;
        let proto = self.discovery.get(&self.model, args)?;
        let d = proto.space.dim();
        let loc: DVector<Real<S>> = cx.param(
            "AutoMultivariateNormal.loc",
            || proto.init.clone(),
            Constraint::Real,
        )?;
        let tril: DMatrix<Real<S>> = cx.param(
            "AutoMultivariateNormal.scale_tril",
            || DMatrix::<f64>::identity(d, d) * self.init_scale,
            Constraint::LowerCholesky,
        )?;
        let mut eps: Vec<Real<S>> = Vec::with_capacity(d);
        for site in proto.space.sites() {
            let (o, k) = (site.offset, site.dim);
            let cond_loc = DVector::from_fn(k, |i, _| {
                loc[o + i] + (0..o).map(|j| tril[(o + i, j)] * eps[j]).sum::<Real<S>>()
            });
            let block = tril.view((o, o), (k, k)).into_owned();
            let dist = TransformedNormal::new(
                cond_loc.clone(),
                NormalScale::Cholesky(block.clone()),
                site.support,
                site.kind,
            );
            let value: Value<S> = cx.sample(&site.name, dist)?;
            // Recover this site's standard normal draws, which later sites condition on.
            let u = site.support.inverse_generic(&value)?;
            for i in 0..k {
                let r = (0..i).fold(u[i] - cond_loc[i], |r, j| r - block[(i, j)] * eps[o + j]);
                eps.push(r / block[(i, i)]);
            }
        }
        Ok(())
    }
}

/// A point-mass guide (`AutoDelta`): fitting it by SVI maximises the log-joint over the latent
/// values, which is MAP estimation. Parameters `AutoDelta.<site>`, each constrained to its
/// site's support.
pub struct AutoDelta<M> {
    model: M,
    discovery: Discovery,
}

impl<M: Model> AutoDelta<M> {
    /// A guide for `model`, starting at the prior median ([`InitLoc::Median`]).
    pub fn new(model: M) -> Self {
        AutoDelta {
            model,
            discovery: Discovery::new("AutoDelta", |site| {
                [format!("AutoDelta.{site}"), String::new()]
            }),
        }
    }
    /// Where to start.
    pub fn init_loc(mut self, init: InitLoc) -> Self {
        self.discovery.init = init;
        self
    }
    /// The point estimate of each latent site.
    pub fn point(&self, store: &ParamStore) -> Result<Data> {
        let proto = self.discovery.known()?;
        let mut data = Data::new();
        for (site, [name, _]) in proto.space.sites().iter().zip(&proto.param_names) {
            let v = store.value(name).ok_or_else(|| Error::Config {
                algorithm: "AutoDelta",
                detail: format!("no parameter `{name}` in the store"),
            })?;
            data.insert(site.name.as_str(), v);
        }
        Ok(data)
    }
}

impl<M: Model> Model for AutoDelta<M> {
    type Args<'a> = M::Args<'a>;
    type Ret<S: Scalar> = ();
    fn name(&self) -> &str {
        "AutoDelta"
    }
    fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, args: &Self::Args<'_>) -> Result<()> {
        let proto = self.discovery.get(&self.model, args)?;
        for (plate_frame, members) in &proto.groups {
            let plate = Discovery::enter(cx, plate_frame)?;
            for &k in members {
                let site = &proto.space.sites()[k];
                let [name, _] = &proto.param_names[k];
                let init = &proto.init_values[k];
                let value: Value<S> = cx.param(name, || init.clone(), site.support)?;
                let value = match (value, plate.as_ref()) {
                    (Value::RealVec(full), Some(p)) if site.subsample.is_some() => {
                        let rows = proto.rows(k, full, Some(p));
                        match site.kind {
                            ValueKind::Real => Value::Real(rows[0]),
                            _ => Value::RealVec(rows),
                        }
                    }
                    (value, _) => value,
                };
                cx.sample(&site.name, PointMass::new(value, site.support))?;
            }
            if plate.is_some() {
                cx.exit_plate();
            }
        }
        Ok(())
    }
}
