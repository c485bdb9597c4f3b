//! `substitute`: give sample and param sites fixed values without observing them.

use super::Handled;
use super::data_effect::{DataEffect, DataHits, WithData};
use crate::data::Data;
use crate::error::Result;
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use crate::value::Value;

/// What `substitute` does to a site its data names: sets the value only.
#[derive(Clone, Copy, Debug)]
pub struct Substituting;

impl DataEffect for Substituting {
    const NAME: &'static str = "substitute";
    fn applies(kind: SiteKind) -> bool {
        matches!(kind, SiteKind::Sample | SiteKind::Param)
    }
    fn apply<S: Scalar>(site: &mut Site<'_, S>, value: Value<S>) -> Result<()> {
        site.set_value(value)
    }
}

/// A model whose named sites take given values. See [`substitute`].
pub type Substitute<M> = Handled<M, WithData<Substituting>>;

/// Substitute values into `model`: each named sample or param site takes the given value
/// (writes `value` only: a latent site stays latent and is scored at that value). Naming a
/// site the model does not run is an error.
pub fn substitute<M>(model: M, data: impl Into<Data>) -> Substitute<M> {
    super::handle(model, WithData::new(Substituting, data.into()))
}

/// Substitutes values of the run's own scalar type, keeping their derivatives: the handler
/// behind [`log_density`](crate::log_density) and gradient-based inference.
pub struct ValueHandler<'v, S: Scalar> {
    values: &'v [(&'v str, Value<S>)],
    hits: DataHits,
}

impl<'v, S: Scalar> ValueHandler<'v, S> {
    /// A handler substituting `values`.
    pub fn new(values: &'v [(&'v str, Value<S>)]) -> Self {
        ValueHandler {
            values,
            hits: DataHits::new(values.len()),
        }
    }

    /// An error naming the first value that matched no site.
    pub fn check_all_used(&self) -> Result<()> {
        self.hits.check("substitute", |i| self.values[i].0)
    }
}

impl<S: Scalar> super::Handler<S> for ValueHandler<'_, S> {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        if !Substituting::applies(site.kind) || site.intervened {
            return Ok(());
        }
        self.hits.see(site.name);
        if let Some(i) = self.values.iter().position(|(n, _)| *n == site.name) {
            self.hits.hit(i);
            site.set_value(self.values[i].1.clone())?;
        }
        Ok(())
    }
}
