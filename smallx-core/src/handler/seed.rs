//! `seed`: make the draws of a model reproducible.

use super::Handler;
use super::data_effect::wrapper_model;
use crate::error::Result;
use crate::scalar::Scalar;
use crate::site::Site;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

struct SeedHandler {
    rng: SmallRng,
}

impl<S: Scalar> Handler<S> for SeedHandler {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        if site.rng_seed.is_none() {
            site.rng_seed = Some(self.rng.next_u64());
        }
        Ok(())
    }
}

/// A model with seeded draws. See [`seed`].
#[derive(Clone, Debug)]
pub struct Seed<M> {
    model: M,
    seed: u64,
}

/// Seed the draws of `model`: every run starts a generator from `seed`, and each site's
/// default draw uses a seed taken from it (the innermost `seed` wins), so two runs make the
/// same draws whatever generator the caller passes.
pub fn seed<M>(model: M, seed: u64) -> Seed<M> {
    Seed { model, seed }
}

wrapper_model!(Seed, |this, cx, args| cx.with_handler(
    SeedHandler {
        rng: SmallRng::seed_from_u64(this.seed)
    },
    |cx| this.model.run(cx, args)
));
