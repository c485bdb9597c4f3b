//! The shared machinery of the handlers that take a data dictionary (`condition`,
//! `substitute`, `intervene`): look a site up by name, apply the handler's effect, and after
//! the run report any data name that matched no site.

use super::Handler;
use crate::data::Data;
use crate::error::{Error, Result};
use crate::model::{Ctx, Model};
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use crate::value::Value;

/// What a data handler does to a site that its data names.
pub(crate) trait DataEffect {
    /// The handler's name, for messages.
    const NAME: &'static str;
    /// Whether the effect applies to sites of this kind.
    fn applies(kind: SiteKind) -> bool;
    /// Write the data value into the site.
    fn apply<S: Scalar>(site: &mut Site<'_, S>, value: Value<S>) -> Result<()>;
}

/// Which data entries matched a site, and which sites were seen (for the error message).
pub struct DataHits {
    hit: Vec<bool>,
    /// The names of the sites seen, comma separated: one growing buffer, not a string per site.
    seen: String,
}

impl DataHits {
    pub(crate) fn new(n: usize) -> Self {
        DataHits {
            hit: vec![false; n],
            seen: String::new(),
        }
    }

    pub(crate) fn see(&mut self, name: &str) {
        if !self.seen.is_empty() {
            self.seen.push_str(", ");
        }
        self.seen.push_str(name);
    }

    /// An error naming the first data entry that matched no site, listing the sites seen.
    pub(crate) fn hit(&mut self, i: usize) {
        self.hit[i] = true;
    }

    /// An error naming the first entry (its name given by `name_of`) that matched no site.
    pub(crate) fn check<'n>(
        &self,
        handler: &'static str,
        name_of: impl Fn(usize) -> &'n str,
    ) -> Result<()> {
        match self.hit.iter().position(|h| !h) {
            None => Ok(()),
            Some(i) => Err(Error::UnknownSite {
                handler,
                name: name_of(i).to_string(),
                known: if self.seen.is_empty() {
                    "(none)".into()
                } else {
                    self.seen.clone()
                },
            }),
        }
    }
}

pub(crate) struct DataHandler<'d, E> {
    data: &'d Data,
    hits: DataHits,
    effect: std::marker::PhantomData<E>,
}

impl<S: Scalar, E: DataEffect> Handler<S> for DataHandler<'_, E> {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        if site.kind == SiteKind::Deterministic && self.data.position(site.name).is_some() {
            return Err(Error::Handler {
                handler: E::NAME,
                detail: format!(
                    "`{}` is a deterministic site: the model computes its value from other \
                     sites, so it cannot be given one; give values to the sites it depends on",
                    site.name
                ),
            });
        }
        if !E::applies(site.kind) {
            return Ok(());
        }
        self.hits.see(site.name);
        if let Some(i) = self.data.position(site.name) {
            self.hits.hit(i);
            if !site.intervened {
                E::apply(site, self.data.entry(i).1.lift())?;
            }
        }
        Ok(())
    }
}

/// Run `model` with the data handler of effect `E` pushed, then check that every data entry
/// matched a site.
pub(crate) fn run_with_data<E: DataEffect, M: Model, S: Scalar>(
    model: &M,
    data: &Data,
    cx: &mut Ctx<'_, S>,
    args: &M::Args<'_>,
) -> Result<M::Ret<S>> {
    data.check()?;
    let mut handler = DataHandler::<E> {
        data,
        hits: DataHits::new(data.len()),
        effect: std::marker::PhantomData,
    };
    let ret = cx.with_handler(&mut handler, |cx| model.run(cx, args))?;
    handler.hits.check(E::NAME, |i| data.entry(i).0)?;
    Ok(ret)
}

/// Implements [`Model`] for a handler wrapper `$ty<M>` with a `model` field, running `$run`.
macro_rules! wrapper_model {
    ($ty:ident, |$this:ident, $cx:ident, $args:ident| $run:expr) => {
        impl<M: $crate::model::Model> $crate::model::Model for $ty<M> {
            type Args<'a> = M::Args<'a>;
            type Ret<S: $crate::scalar::Scalar> = M::Ret<S>;
            fn name(&self) -> &str {
                self.model.name()
            }
            fn run<S: $crate::scalar::Scalar>(
                &self,
                $cx: &mut $crate::model::Ctx<'_, S>,
                $args: &Self::Args<'_>,
            ) -> $crate::error::Result<Self::Ret<S>> {
                let $this = self;
                $run
            }
        }
    };
}
pub(crate) use wrapper_model;
