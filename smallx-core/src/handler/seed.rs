//! `seed`: make the draws of a model reproducible.

use super::{Effect, Handled, Handler, handle};
use crate::error::Result;
use crate::scalar::Scalar;
use crate::site::Site;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The effect of [`seed`]: a generator started from a seed at every run.
#[derive(Clone, Copy, Debug)]
pub struct Seeding {
    seed: u64,
}

/// The handler of [`Seeding`] for one run: gives each site the seed of its default draw.
pub struct SeedHandler {
    rng: SmallRng,
}

impl<S: Scalar> Handler<S> for SeedHandler {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        if site.rng_seed.is_none() {
            site.rng_seed = Some(self.rng.next_u64());
        }
        Ok(())
    }
    fn hidden_site_seed(&mut self) -> Option<u64> {
        Some(self.rng.next_u64())
    }
}

impl Effect for Seeding {
    type Handler<'e, S: Scalar> = SeedHandler;
    fn handler<S: Scalar>(&self) -> SeedHandler {
        SeedHandler {
            rng: SmallRng::seed_from_u64(self.seed),
        }
    }
}

/// A model with seeded draws. See [`seed`].
pub type Seed<M> = Handled<M, Seeding>;

/// Seed the draws of `model`: every run starts a generator from `seed`, and each site's
/// default draw uses a seed taken from it (the innermost `seed` wins), so two runs make the
/// same draws whatever generator the caller passes. Sites that a `block` inside hides from
/// the other handlers are seeded too.
pub fn seed<M>(model: M, seed: u64) -> Seed<M> {
    handle(model, Seeding { seed })
}
