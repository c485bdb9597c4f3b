//! `intervene`: Pearl's do-operator (`pyro.do`; `do` is a Rust keyword).

use super::Handled;
use super::data_effect::{DataEffect, WithData};
use crate::data::Data;
use crate::error::Result;
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use crate::value::Value;

/// What `intervene` does to a site its data names: fixes the value and takes the site out of
/// the joint.
#[derive(Clone, Copy, Debug)]
pub struct Intervening;

impl DataEffect for Intervening {
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
pub type Intervene<M> = Handled<M, WithData<Intervening>>;

/// Intervene on `model` (the do-operator): each named sample site takes the given value,
/// everything downstream depends on that value, and the site contributes no log-probability
/// (writes `value` and `intervened`). Handlers further out that set values leave an
/// intervened site alone. Naming a site the model does not run is an error.
pub fn intervene<M>(model: M, data: impl Into<Data>) -> Intervene<M> {
    super::handle(model, WithData::new(Intervening, data.into()))
}
