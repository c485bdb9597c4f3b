//! `block`: hide sites from the handlers outside.

use super::Handler;
use super::data_effect::wrapper_model;
use crate::error::Result;
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use std::sync::Arc;

type HideFn = Arc<dyn Fn(&str, SiteKind) -> bool + Send + Sync>;

struct BlockHandler<'h> {
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

/// A model with some sites hidden. See [`block`].
#[derive(Clone)]
pub struct Block<M> {
    model: M,
    hide: HideFn,
}

/// Hide the sites for which `hide(name, kind)` is true from every handler outside this one
/// (writes `stop`). The sites still run and take default values.
pub fn block<M>(
    model: M,
    hide: impl Fn(&str, SiteKind) -> bool + Send + Sync + 'static,
) -> Block<M> {
    Block {
        model,
        hide: Arc::new(hide),
    }
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

wrapper_model!(Block, |this, cx, args| cx
    .with_handler(BlockHandler { hide: &this.hide }, |cx| this
        .model
        .run(cx, args)));
