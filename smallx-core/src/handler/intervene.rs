//! `intervene`: Pearl's do-operator (`pyro.do`; `do` is a Rust keyword).

use super::data_effect::{DataEffect, run_with_data, wrapper_model};
use crate::data::Data;
use crate::error::Result;
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use crate::value::Value;

struct InterveneEffect;

impl DataEffect for InterveneEffect {
    const NAME: &'static str = "intervene";
    fn applies(kind: SiteKind) -> bool {
        kind == SiteKind::Sample
    }
    fn apply<S: Scalar>(site: &mut Site<'_, S>, value: Value<S>) -> Result<()> {
        site.set_value(value)?;
        site.intervened = true;
        site.is_observed = false;
        Ok(())
    }
}

/// A model with some sites set by intervention. See [`intervene`].
#[derive(Clone, Debug)]
pub struct Intervene<M> {
    model: M,
    data: Data,
}

/// Intervene on `model` (the do-operator): each named sample site takes the given value,
/// everything downstream depends on that value, and the site contributes no log-probability
/// (writes `value` and `intervened`). Handlers further out that set values leave an
/// intervened site alone. Naming a site the model does not run is an error.
pub fn intervene<M>(model: M, data: impl Into<Data>) -> Intervene<M> {
    Intervene {
        model,
        data: data.into(),
    }
}

wrapper_model!(Intervene, |this, cx, args| run_with_data::<
    InterveneEffect,
    _,
    _,
>(
    &this.model,
    &this.data,
    cx,
    args
));
