//! Models and the context their bodies run in.

use crate::constraint::Constraint;
use crate::dist::{Distribution, IntoDist};
use crate::error::{Error, Result};
use crate::handler::{Handler, Layer, Stack};
use crate::params::ParamInit;
use crate::scalar::Scalar;
use crate::site::{MarkovFrame, ParamSpec, PlateFrame, Site, SiteKind};
use crate::value::{IntoObservation, IntoValue, SiteValue, Value};
use std::borrow::Cow;

/// A generative model: a first-class value that can be run, wrapped in handlers and given to
/// inference.
///
/// `#[model]` implements this trait for a unit struct named after the annotated function, so
/// user code rarely implements it by hand. The body runs with any [`Scalar`]: `f64` to
/// simulate and evaluate, dual numbers to differentiate.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model",
    label = "expected a model: a function marked `#[model]` (whose arguments do not use `Real`), or a handler applied to one",
    note = "a `#[model]` function with `Real` arguments is a sub-model: call it inside another model with `call!(..)`"
)]
pub trait Model {
    /// The model's arguments as a tuple, e.g. `(f64,)`; references in it borrow for `'a`.
    type Args<'a>;
    /// What the model returns when run with scalar `S`.
    type Ret<S: Scalar>;
    /// The model's name, for messages.
    fn name(&self) -> &str;
    /// Run the body once against the handler stack in `cx`.
    fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, args: &Self::Args<'_>) -> Result<Self::Ret<S>>;
}

impl<M: Model + ?Sized> Model for &M {
    type Args<'a> = M::Args<'a>;
    type Ret<S: Scalar> = M::Ret<S>;
    fn name(&self) -> &str {
        (**self).name()
    }
    fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, args: &Self::Args<'_>) -> Result<Self::Ret<S>> {
        (**self).run(cx, args)
    }
}

/// The context of one model run: the handler stack and the plates entered so far.
///
/// Model bodies reach it through the statement macros; handlers and inference use
/// [`with_handler`](Ctx::with_handler) to extend the stack for a nested run.
pub struct Ctx<'s, S: Scalar> {
    stack: &'s mut dyn Stack<S>,
    plates: Vec<PlateFrame>,
    /// The name prefix of the sub-models being run (`"group/"`, `"a/b/"`), empty at the top.
    prefix: String,
    /// How many plates were entered so far in this run (gives each entry its number).
    plate_entries: usize,
    /// The `markov!` loops entered, outermost first.
    markov: Vec<MarkovFrame>,
    /// How many `markov!` loops were entered so far in this run.
    markov_entries: usize,
}

/// The indices of a plate in this run: all of `0..size`, or a subsample of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Plate {
    size: usize,
    subsample: Option<Vec<usize>>,
}

impl Plate {
    /// The number of items in the full data.
    pub fn size(&self) -> usize {
        self.size
    }
    /// The number of items used in this run.
    pub fn len(&self) -> usize {
        self.subsample.as_ref().map_or(self.size, Vec::len)
    }
    /// True when no item is used.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The `i`-th index used in this run.
    pub fn index(&self, i: usize) -> usize {
        self.subsample.as_ref().map_or(i, |s| s[i])
    }
    /// The indices used in this run, in order.
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).map(|i| self.index(i))
    }
    /// True when the plate uses a subsample.
    pub fn is_subsampled(&self) -> bool {
        self.subsample.is_some()
    }
    /// The elements of `data` at this run's indices.
    pub fn select<T: Clone>(&self, data: &[T]) -> Vec<T> {
        self.indices().map(|i| data[i].clone()).collect()
    }
}

impl<'s, S: Scalar> Ctx<'s, S> {
    /// A context over `stack`.
    pub fn new(stack: &'s mut dyn Stack<S>) -> Self {
        Ctx {
            stack,
            plates: Vec::new(),
            plate_entries: 0,
            prefix: String::new(),
            markov: Vec::new(),
            markov_entries: 0,
        }
    }

    /// `name` in the current scope: itself at the top, `prefix/name` inside a prefixed
    /// sub-model (NumPyro's `scope`). Allocates only inside a prefixed sub-model.
    fn scoped<'n>(&self, name: &'n str) -> Cow<'n, str> {
        if self.prefix.is_empty() {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(format!("{}{name}", self.prefix))
        }
    }

    /// Run `model` as part of this run, on the same handler stack and inside the same plates,
    /// so that its sites are traced, conditioned, replayed and inferred like the caller's own.
    /// With a `prefix`, its site and plate names become `prefix/name` (NumPyro's `scope`), so
    /// one sub-model can be called several times. What `call!` does for a model without
    /// `Real` arguments.
    pub fn call<M: Model + ?Sized>(
        &mut self,
        model: &M,
        args: &M::Args<'_>,
        prefix: Option<&str>,
    ) -> Result<M::Ret<S>> {
        self.scope(model.name(), prefix, |cx| model.run(cx, args))
    }

    /// Run `body` with site and plate names prefixed by `prefix/` when a prefix is given;
    /// `model` names what runs, for the error on an empty prefix or one ending in `/`.
    pub fn scope<R>(
        &mut self,
        model: &str,
        prefix: Option<&str>,
        body: impl FnOnce(&mut Self) -> Result<R>,
    ) -> Result<R> {
        let Some(prefix) = prefix else {
            return body(self);
        };
        if prefix.is_empty() || prefix.ends_with('/') {
            return Err(Error::InvalidSite {
                site: format!("{}{prefix}", self.prefix),
                detail: format!(
                    "the prefix of a call to `{model}` must be a non-empty name without a \
                     trailing `/`, got {prefix:?}"
                ),
            });
        }
        let outer = self.prefix.len();
        self.prefix.push_str(prefix);
        self.prefix.push('/');
        let out = body(self);
        self.prefix.truncate(outer);
        out
    }

    /// Run `f` with `handler` pushed on the stack (innermost).
    pub fn with_handler<H: Handler<S>, R>(
        &mut self,
        handler: H,
        f: impl FnOnce(&mut Ctx<'_, S>) -> Result<R>,
    ) -> Result<R> {
        let mut layer = Layer::new(handler, &mut *self.stack);
        let mut inner = Ctx {
            stack: &mut layer,
            plates: std::mem::take(&mut self.plates),
            prefix: std::mem::take(&mut self.prefix),
            plate_entries: self.plate_entries,
            markov: std::mem::take(&mut self.markov),
            markov_entries: self.markov_entries,
        };
        let out = f(&mut inner);
        self.plates = inner.plates;
        self.prefix = inner.prefix;
        self.plate_entries = inner.plate_entries;
        self.markov = inner.markov;
        self.markov_entries = inner.markov_entries;
        out
    }

    /// A `sample!` statement: draw (or receive from a handler) the value of a random choice.
    pub fn sample<D: IntoDist<S>>(
        &mut self,
        name: &str,
        dist: D,
    ) -> Result<<D::Dist as Distribution<S>>::Value> {
        self.sample_site(name, dist, None::<Value<S>>, false)
    }

    /// `sample!(name, dist, infer = enumerate)`: a latent site marked for enumeration. Under
    /// an enumerating algorithm (`TraceEnumElbo`, `infer_discrete`, MCMC) it is summed over
    /// its finite support; elsewhere it is drawn as usual.
    pub fn sample_enumerated<D: IntoDist<S>>(
        &mut self,
        name: &str,
        dist: D,
    ) -> Result<<D::Dist as Distribution<S>>::Value> {
        self.sample_site(name, dist, None::<Value<S>>, true)
    }

    /// An `observe!` statement: score `value` as observed data.
    pub fn observe<D: IntoDist<S>>(
        &mut self,
        name: &str,
        dist: D,
        value: impl IntoValue<S>,
    ) -> Result<<D::Dist as Distribution<S>>::Value> {
        self.sample_site(name, dist, Some(value), false)
    }

    /// `sample!` with `obs = value`: observed data when `value` is a value or `Some(value)`,
    /// a latent draw when it is `None` (Pyro's `obs=None` idiom, for models that predict when
    /// no data is given).
    pub fn sample_observed<D: IntoDist<S>>(
        &mut self,
        name: &str,
        dist: D,
        obs: impl IntoObservation<S>,
    ) -> Result<<D::Dist as Distribution<S>>::Value> {
        match obs.try_into_observation() {
            Ok(obs) => self.sample_site(name, dist, obs, false),
            Err(detail) => Err(Error::InvalidSite {
                site: self.scoped(name).to_string(),
                detail: format!("the observed value: {detail}"),
            }),
        }
    }

    /// A `deterministic!` statement: record `value` at a site called `name`, with no density.
    /// It appears in traces and in inference results (`Samples`, predictive draws, the ArviZ
    /// posterior) but is never scored, conditioned or substituted: it is recomputed at every
    /// run from the sites it depends on. Returns `value`.
    pub fn deterministic<V: IntoValue<S> + Clone>(&mut self, name: &str, value: V) -> Result<V> {
        let name = self.scoped(name);
        let mut site = Site::new(&name, SiteKind::Deterministic, &self.plates);
        site.value = Some(value.clone().into_value());
        self.stack.apply(&mut site)?;
        Ok(value)
    }

    fn sample_site<D: IntoDist<S>>(
        &mut self,
        name: &str,
        dist: D,
        obs: Option<impl IntoValue<S>>,
        enumerate: bool,
    ) -> Result<<D::Dist as Distribution<S>>::Value> {
        let name = &*self.scoped(name);
        let dist = dist
            .into_dist()
            .map_err(|source| Error::InvalidDistribution {
                site: name.to_string(),
                dist: short_type_name::<D::Dist>(),
                source,
            })?;
        let mut site = Site::new(name, SiteKind::Sample, &self.plates);
        site.dist = Some(&dist);
        site.markov = &self.markov;
        site.enumerate = enumerate && obs.is_none();
        if let Some(obs) = obs {
            let obs = obs.try_into_value().map_err(|detail| Error::InvalidSite {
                site: name.to_string(),
                detail: format!("the observed value: {detail}"),
            })?;
            site.set_value(obs)?;
            site.is_observed = true;
        }
        let value = apply_site(self.stack, &mut site)?;
        if site.is_observed && site.validate {
            check_observed_finite(name, &value)?;
        }
        let kind = value.kind();
        <D::Dist as Distribution<S>>::Value::from_value(value).ok_or_else(|| Error::WrongValue {
            site: name.to_string(),
            dist: dist.name().to_string(),
            expected: dist.value_kind(),
            got: kind,
        })
    }

    /// A `factor!` statement: add `log_factor` to the log-joint, as an observed site called
    /// `name` (so handlers see it, and plates scale it).
    pub fn factor(&mut self, name: &str, log_factor: impl Into<crate::Real<S>>) -> Result<()> {
        self.observe(name, crate::dist::Factor::new(log_factor), 0.0)
            .map(|_| ())
    }

    /// A `param!` statement: a learnable parameter, initialised by `init` the first time.
    pub fn param<I: ParamInit<S>>(
        &mut self,
        name: &str,
        init: impl Fn() -> I,
        constraint: Constraint,
    ) -> Result<I::Out> {
        let init = || init().into_value();
        let name = &*self.scoped(name);
        let mut site = Site::new(name, SiteKind::Param, &self.plates);
        site.param = Some(ParamSpec {
            init: &init,
            constraint,
        });
        let value = apply_site(self.stack, &mut site)?;
        let kind = value.kind();
        I::Out::from_value(value).ok_or_else(|| Error::WrongValue {
            site: name.to_string(),
            dist: format!("a parameter constrained to {constraint}"),
            expected: init().kind(),
            got: kind,
        })
    }

    /// Enter a `plate!` of `size` items, using `subsample_size` of them when given. Log
    /// densities of sites inside are scaled by `size / subsample_size`. A subsampled plate is
    /// itself a site (its value is the index vector), so guide and model can share indices.
    pub fn enter_plate(
        &mut self,
        name: &str,
        size: usize,
        subsample_size: Option<usize>,
    ) -> Result<Plate> {
        let name = &*self.scoped(name);
        let plate_error = |detail: String| Error::Plate {
            site: name.to_string(),
            detail,
        };
        if self.plates.iter().any(|p| p.name == name) {
            return Err(plate_error(
                "is already entered; nested plates need distinct names".into(),
            ));
        }
        let subsample = match subsample_size {
            None => None,
            Some(0) if size > 0 => {
                return Err(plate_error(format!(
                    "subsample size 0 would use none of the {size} items; give at least 1"
                )));
            }
            Some(m) if m > size => {
                return Err(plate_error(format!(
                    "subsample size {m} is larger than the plate size {size}"
                )));
            }
            Some(m) => {
                let mut site = Site::new(name, SiteKind::Plate, &self.plates);
                site.plate_size = Some((size, m));
                site.scale = 1.0;
                let value = apply_site(self.stack, &mut site)?;
                let indices = match value {
                    Value::IntVec(v)
                        if v.len() == m && v.iter().all(|&i| i >= 0 && (i as usize) < size) =>
                    {
                        v.into_iter().map(|i| i as usize).collect()
                    }
                    other => {
                        return Err(plate_error(format!(
                            "expected {m} subsample indices below {size}, got {other}"
                        )));
                    }
                };
                Some(indices)
            }
        };
        let plate = Plate { size, subsample };
        self.plates.push(PlateFrame {
            name: name.to_string(),
            size,
            subsample_size: plate.len().max(1),
            entry: self.plate_entries,
        });
        self.plate_entries += 1;
        Ok(plate)
    }

    /// Leave the innermost plate.
    pub fn exit_plate(&mut self) {
        self.plates.pop();
    }

    /// Enter a `markov!` loop called `name` whose steps may depend on enumerated sites at
    /// most `history` steps back (Pyro's `pyro.markov(history=...)`). Steps are set with
    /// [`markov_step`](Ctx::markov_step); leave with [`exit_markov`](Ctx::exit_markov).
    pub fn enter_markov(&mut self, name: &str, history: usize) -> Result<()> {
        let name = self.scoped(name).into_owned();
        if self.markov.iter().any(|m| m.name == name) {
            return Err(Error::InvalidSite {
                site: name,
                detail: "this markov! loop is already entered; nested markov! loops need \
                         distinct names"
                    .into(),
            });
        }
        self.markov.push(MarkovFrame {
            name,
            history,
            step: 0,
            entry: self.markov_entries,
        });
        self.markov_entries += 1;
        Ok(())
    }

    /// Set the step of the innermost `markov!` loop.
    pub fn markov_step(&mut self, step: usize) {
        if let Some(frame) = self.markov.last_mut() {
            frame.step = step;
        }
    }

    /// Leave the innermost `markov!` loop.
    pub fn exit_markov(&mut self) {
        self.markov.pop();
    }

    /// The plates entered, outermost first.
    pub fn plates(&self) -> &[PlateFrame] {
        &self.plates
    }
}

/// An observed value (given in the model or by `condition`) must be finite: NaN or an
/// infinity would make the log-density NaN or infinite without saying why.
fn check_observed_finite<S: Scalar>(site: &str, value: &Value<S>) -> Result<()> {
    let Some((i, x)) = value.first_non_finite() else {
        return Ok(());
    };
    let element = match value {
        Value::Real(_) => String::new(),
        _ => format!(" at index {i}"),
    };
    Err(Error::InvalidSite {
        site: site.to_string(),
        detail: format!(
            "the observed value is {x}{element}; observed and conditioned data must be \
             finite (wrap the model in `validate_data(model, false)` to skip this check)"
        ),
    })
}

/// Run the stack on a site and take its value.
fn apply_site<S: Scalar>(stack: &mut dyn Stack<S>, site: &mut Site<'_, S>) -> Result<Value<S>> {
    stack.apply(site)?;
    site.value.take().ok_or_else(|| Error::InvalidSite {
        site: site.name.to_string(),
        detail: "no value after the handlers ran".into(),
    })
}

/// A type's name without module path or generic arguments, for messages.
fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}
