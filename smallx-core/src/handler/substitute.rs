//! `substitute`: give sample and param sites fixed values without observing them.

use super::data_effect::{DataEffect, DataHits, run_with_data, wrapper_model};
use crate::data::Data;
use crate::error::Result;
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use crate::value::Value;

struct SubstituteEffect;

impl DataEffect for SubstituteEffect {
    const NAME: &'static str = "substitute";
    fn applies(kind: SiteKind) -> bool {
        matches!(kind, SiteKind::Sample | SiteKind::Param)
    }
    fn apply<S: Scalar>(site: &mut Site<'_, S>, value: Value<S>) -> Result<()> {
        site.set_value(value)
    }
}

/// A model whose named sites take given values. See [`substitute`].
#[derive(Clone, Debug)]
pub struct Substitute<M> {
    model: M,
    data: Data,
}

/// Substitute values into `model`: each named sample or param site takes the given value
/// (writes `value` only: a latent site stays latent and is scored at that value). Naming a
/// site the model does not run is an error.
pub fn substitute<M>(model: M, data: impl Into<Data>) -> Substitute<M> {
    Substitute {
        model,
        data: data.into(),
    }
}

wrapper_model!(Substitute, |this, cx, args| run_with_data::<
    SubstituteEffect,
    _,
    _,
>(
    &this.model,
    &this.data,
    cx,
    args
));

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
        if !SubstituteEffect::applies(site.kind) || site.intervened {
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
