//! The shared machinery of the handlers that take a data dictionary (`condition`,
//! `substitute`, `intervene`): one [`Effect`], [`WithData`], that looks a site up by name,
//! applies what the handler does to it, and after the run reports any data name that matched
//! no site.

use super::{Effect, Handler};
use crate::data::Data;
use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use crate::value::Value;
use std::marker::PhantomData;

/// What a data handler does to a site that its data names: [`Conditioning`],
/// [`Substituting`](super::Substituting) or [`Intervening`](super::Intervening).
pub trait DataEffect: Clone + Copy + std::fmt::Debug + Send + Sync + 'static {
    /// The handler's name, for messages.
    const NAME: &'static str;
    /// Whether the effect applies to sites of this kind.
    fn applies(kind: SiteKind) -> bool;
    /// Write the data value into the site.
    fn apply<S: Scalar>(site: &mut Site<'_, S>, value: Value<S>) -> Result<()>;
}

/// The effect of a data handler: the data, and what to do with each named site. After the
/// run, a data name that matched no site is an error listing the sites seen.
#[derive(Clone, Debug)]
pub struct WithData<E> {
    data: Data,
    effect: PhantomData<E>,
}

impl<E: DataEffect> WithData<E> {
    pub(crate) fn new(_effect: E, data: Data) -> Self {
        WithData {
            data,
            effect: PhantomData,
        }
    }
    /// The data.
    pub fn data(&self) -> &Data {
        &self.data
    }
}

impl<E: DataEffect> Effect for WithData<E> {
    type Handler<'e, S: Scalar> = DataHandler<'e, E>;
    /// The problems the data recorded when it was built (a key given twice, an integer with
    /// no exact real value), before the model runs.
    fn check(&self) -> Result<()> {
        self.data.check()
    }
    fn handler<S: Scalar>(&self) -> DataHandler<'_, E> {
        DataHandler {
            data: &self.data,
            hits: DataHits::new(self.data.len()),
            effect: PhantomData,
        }
    }
    fn finish<S: Scalar>(&self, handler: DataHandler<'_, E>) -> Result<()> {
        handler.hits.check(E::NAME, |i| self.data.entry(i).0)
    }
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

/// The handler of a [`WithData`] effect for one run.
pub struct DataHandler<'d, E> {
    data: &'d Data,
    hits: DataHits,
    effect: PhantomData<E>,
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
