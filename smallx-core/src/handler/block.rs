//! `block`: hide sites from the handlers outside.

use super::{Effect, Handled, Handler, handle};
use crate::error::Result;
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use std::sync::Arc;

type HideFn = Arc<dyn Fn(&str, SiteKind) -> bool + Send + Sync>;

/// The handler of [`Blocking`] for one run.
pub struct BlockHandler<'h> {
    hide: &'h HideFn,
}

impl<S: Scalar> Handler<S> for BlockHandler<'_> {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        if (self.hide)(site.name, site.kind) {
            site.stop = true;
        }
        Ok(())
    }
}

/// The effect of [`block`]: hide the sites a predicate picks.
#[derive(Clone)]
pub struct Blocking {
    hide: HideFn,
}

impl std::fmt::Debug for Blocking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Blocking(..)")
    }
}

impl Effect for Blocking {
    type Handler<'e, S: Scalar> = BlockHandler<'e>;
    fn handler<S: Scalar>(&self) -> BlockHandler<'_> {
        BlockHandler { hide: &self.hide }
    }
}

/// A model with some sites hidden. See [`block`].
pub type Block<M> = Handled<M, Blocking>;

/// Hide the sites for which `hide(name, kind)` is true from every handler outside this one
/// (writes `stop`). The sites still run and take default values.
pub fn block<M>(
    model: M,
    hide: impl Fn(&str, SiteKind) -> bool + Send + Sync + 'static,
) -> Block<M> {
    handle(
        model,
        Blocking {
            hide: Arc::new(hide),
        },
    )
}

/// Hide every site.
pub fn block_all<M>(model: M) -> Block<M> {
    block(model, |_, _| true)
}

/// Hide the named sites.
pub fn block_names<M>(model: M, names: &[&str]) -> Block<M> {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    block(model, move |n, _| names.iter().any(|h| h == n))
}

/// Hide every site except the named ones (Pyro's `expose`).
pub fn block_except<M>(model: M, names: &[&str]) -> Block<M> {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    block(model, move |n, _| !names.iter().any(|h| h == n))
}
