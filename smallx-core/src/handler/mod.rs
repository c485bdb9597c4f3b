//! Effect handlers and the stack protocol.
//!
//! A model run owns a stack of handlers, innermost (closest to the model) first. Each
//! `sample!`, `observe!`, `param!` and subsampled `plate!` builds a [`Site`] and applies the
//! stack to it, with the rules of Pyro's and NumPyro's `apply_stack`:
//!
//! 1. **Process**, innermost handler first, moving outward, until a handler sets
//!    `site.stop` or the outermost handler is reached.
//! 2. **Default**: if the site still has no value, fill it — draw from the distribution,
//!    take a parameter's initial value, or draw a plate's subsample indices
//!    ([`default_process`]).
//! 3. **Postprocess**, in reverse order (outermost reached handler first, moving inward),
//!    only on the handlers that processed the site.
//!
//! The stack is not global state: it is the value threaded through every model as its
//! hidden context ([`Ctx`](crate::Ctx)). Each handler is a [`Handler`]; wrapping one around
//! an outer stack gives a [`Layer`], which is itself a [`Stack`], so stacks are built on the
//! call stack without allocation. The [`Root`] at the bottom holds the random number
//! generator.
//!
//! The handlers, each described by the site fields it writes:
//!
//! | handler | writes |
//! |---|---|
//! | [`trace`](crate::trace()) | nothing; records every site it sees (postprocess) |
//! | [`condition`](crate::condition) | `value`, `is_observed = true` |
//! | [`substitute`](crate::substitute) | `value` |
//! | [`replay`](crate::replay) | `value`, from a recorded trace |
//! | [`intervene`](crate::intervene) (Pyro's `do`) | `value`, `intervened = true` |
//! | [`block`](crate::block) | `stop = true` |
//! | [`seed`](crate::seed) | the seed of the default draw |
//! | [`scale`](crate::scale) | `scale *= factor` |
//! | [`mask`] | `mask &= flag` |
//! | [`validate_data`] | `validate &= flag` |
//! | [`handle`] | whatever the user's [`Effect`] writes |
//!
//! To add a handler: implement [`Handler`] (only the hooks you need) and an [`Effect`] that
//! builds it for each run, then wrap models with [`handle`]. The built-in handlers are made
//! the same way (`Scale<M>` is `Handled<M, Scaling>`), so the files in this folder are
//! templates of a few dozen lines each; only [`trace`](crate::trace()), which hands its
//! record back, has a wrapper of its own.

mod block;
mod condition;
mod data_effect;
mod effect;
mod intervene;
mod log_joint;
mod replay;
mod scale;
mod seed;
mod substitute;
mod trace;
mod validate;

pub use block::{Block, BlockHandler, Blocking, block, block_all, block_except, block_names};
pub use condition::{Condition, Conditioning, DataHits, condition};
pub use data_effect::{DataEffect, DataHandler, WithData};
pub use effect::{Effect, Handled, handle};
pub use intervene::{Intervene, Intervening, intervene};
pub use log_joint::LogJointHandler;
pub use replay::{Replay, ReplayHandler, Replaying, replay};
pub use scale::{Mask, MaskHandler, Masking, Scale, ScaleHandler, Scaling, mask, scale};
pub use seed::{Seed, SeedHandler, Seeding, seed};
pub use substitute::{Substitute, Substituting, ValueHandler, substitute};
pub use trace::{TraceHandler, Traced, trace};
pub use validate::{ValidateData, ValidateHandler, Validating, validate_data};

use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use crate::value::Value;
use rand::{Rng, SeedableRng};

/// One effect handler. Both hooks default to doing nothing.
pub trait Handler<S: Scalar> {
    /// Called on the way out from the model, before the default action.
    fn process(&mut self, _site: &mut Site<'_, S>) -> Result<()> {
        Ok(())
    }
    /// Called on the way back, after the site has its value.
    fn postprocess(&mut self, _site: &Site<'_, S>) -> Result<()> {
        Ok(())
    }
    /// The seed for the default draw of a site that a handler inside this one hid from it
    /// (`block` stops the site before it reaches this handler). A handler that seeds draws
    /// returns one here, so that `seed(block(m), ..)` is reproducible; the default, `None`,
    /// leaves the question to the handlers further out.
    fn hidden_site_seed(&mut self) -> Option<u64> {
        None
    }
}

/// A handler stack: applies the protocol to a site.
pub trait Stack<S: Scalar> {
    /// Process the site through this stack (steps 1–3 of the protocol).
    fn apply(&mut self, site: &mut Site<'_, S>) -> Result<()>;
    /// The random number generator at the bottom of the stack.
    fn rng(&mut self) -> &mut dyn Rng;
    /// The seed the handlers of this stack give a site hidden from them, if any: the first
    /// [`Handler::hidden_site_seed`] that answers, innermost first. `None` by default.
    fn hidden_site_seed(&mut self) -> Option<u64> {
        None
    }
}

/// A handler on top of an outer stack.
pub struct Layer<'o, H, S: Scalar> {
    handler: H,
    outer: &'o mut dyn Stack<S>,
}

impl<'o, H: Handler<S>, S: Scalar> Layer<'o, H, S> {
    /// Put `handler` on top of `outer`.
    pub fn new(handler: H, outer: &'o mut dyn Stack<S>) -> Self {
        Layer { handler, outer }
    }
    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }
    /// Take the handler back.
    pub fn into_handler(self) -> H {
        self.handler
    }
}

impl<H: Handler<S>, S: Scalar> Stack<S> for Layer<'_, H, S> {
    fn apply(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        self.handler.process(site)?;
        if site.stop {
            // Hidden from the handlers outside, but not from their seeding: a `seed` further
            // out still decides this site's draw (else `seed(block(m))` would draw from the
            // root generator).
            if site.rng_seed.is_none() && site.value.is_none() {
                site.rng_seed = self.outer.hidden_site_seed();
            }
            default_process(site, self.outer.rng())?;
        } else {
            self.outer.apply(site)?;
        }
        self.handler.postprocess(site)
    }
    fn rng(&mut self) -> &mut dyn Rng {
        self.outer.rng()
    }
    fn hidden_site_seed(&mut self) -> Option<u64> {
        self.handler
            .hidden_site_seed()
            .or_else(|| self.outer.hidden_site_seed())
    }
}

impl<S: Scalar, H: Handler<S> + ?Sized> Handler<S> for &mut H {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        (**self).process(site)
    }
    fn postprocess(&mut self, site: &Site<'_, S>) -> Result<()> {
        (**self).postprocess(site)
    }
    fn hidden_site_seed(&mut self) -> Option<u64> {
        (**self).hidden_site_seed()
    }
}

/// The bottom of every stack: applies the default action with its random number generator.
pub struct Root<'r> {
    rng: &'r mut dyn Rng,
}

impl<'r> Root<'r> {
    /// A stack with no handlers, drawing from `rng`.
    pub fn new(rng: &'r mut dyn Rng) -> Self {
        Root { rng }
    }
}

impl<S: Scalar> Stack<S> for Root<'_> {
    fn apply(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        default_process(site, &mut *self.rng)
    }
    fn rng(&mut self) -> &mut dyn Rng {
        &mut *self.rng
    }
}

/// Step 2 of the protocol: give a site without a value its default value.
///
/// A sample site draws from its distribution (with the generator of the innermost `seed`
/// handler if there is one, else `rng`); a param site takes its initial value; a plate site
/// draws its subsample indices without replacement.
pub fn default_process<S: Scalar>(site: &mut Site<'_, S>, rng: &mut dyn Rng) -> Result<()> {
    if site.value.is_some() {
        return Ok(());
    }
    let mut seeded;
    let rng: &mut dyn Rng = match site.rng_seed {
        Some(seed) => {
            seeded = rand::rngs::SmallRng::seed_from_u64(seed);
            &mut seeded
        }
        None => rng,
    };
    site.value = Some(match site.kind {
        SiteKind::Sample => match site.dist {
            Some(d) => {
                d.check_draw()
                    .map_err(|source| Error::InvalidDistribution {
                        site: site.name.to_string(),
                        dist: d.name(),
                        source,
                    })?;
                let value = d.sample_value(rng);
                if let Some((_, x)) = value.first_non_finite() {
                    return Err(Error::NonFinite {
                        site: site.name.to_string(),
                        what: "a draw (its distribution's parameters are so extreme that the \
                               value is beyond the range of f64)",
                        value: x,
                    });
                }
                value
            }
            None => return Err(internal(site, "sample site without a distribution")),
        },
        SiteKind::Param => match site.param {
            Some(p) => (p.init)().lift(),
            None => return Err(internal(site, "param site without a declaration")),
        },
        SiteKind::Plate => match site.plate_size {
            Some((size, m)) => Value::IntVec(
                rand::seq::index::sample(rng, size, m)
                    .into_iter()
                    .map(|i| i as i64)
                    .collect(),
            ),
            None => return Err(internal(site, "plate site without a size")),
        },
        SiteKind::Deterministic => {
            return Err(internal(site, "deterministic site without a value"));
        }
    });
    Ok(())
}

fn internal<S: Scalar>(site: &Site<'_, S>, detail: &str) -> Error {
    Error::InvalidSite {
        site: site.name.to_string(),
        detail: detail.to_string(),
    }
}
