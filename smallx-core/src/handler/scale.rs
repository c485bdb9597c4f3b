//! `scale` and `mask`: reweight or drop log-probabilities.

use super::{Effect, Handled, Handler, handle};
use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::site::Site;

/// The effect of [`scale`]: multiply every site's log-probability by a factor.
#[derive(Clone, Copy, Debug)]
pub struct Scaling {
    factor: f64,
}

/// The handler of [`Scaling`] for one run.
pub struct ScaleHandler(f64);

impl<S: Scalar> Handler<S> for ScaleHandler {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        site.scale *= self.0;
        Ok(())
    }
}

impl Effect for Scaling {
    type Handler<'e, S: Scalar> = ScaleHandler;
    fn check(&self) -> Result<()> {
        if self.factor > 0.0 && self.factor.is_finite() {
            return Ok(());
        }
        Err(Error::Handler {
            handler: "scale",
            detail: format!(
                "the factor must be positive and finite, got {}",
                self.factor
            ),
        })
    }
    fn handler<S: Scalar>(&self) -> ScaleHandler {
        ScaleHandler(self.factor)
    }
}

/// A model with scaled log-probabilities. See [`scale`].
pub type Scale<M> = Handled<M, Scaling>;

/// Multiply the log-probability of every site by `factor`, which must be positive and finite
/// (writes `scale`).
pub fn scale<M>(model: M, factor: f64) -> Scale<M> {
    handle(model, Scaling { factor })
}

/// The effect of [`mask`]: keep or drop every site's log-probability.
#[derive(Clone, Copy, Debug)]
pub struct Masking {
    keep: bool,
}

/// The handler of [`Masking`] for one run.
pub struct MaskHandler(bool);

impl<S: Scalar> Handler<S> for MaskHandler {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        site.mask &= self.0;
        Ok(())
    }
}

impl Effect for Masking {
    type Handler<'e, S: Scalar> = MaskHandler;
    fn handler<S: Scalar>(&self) -> MaskHandler {
        MaskHandler(self.keep)
    }
}

/// A model whose log-probabilities are kept or dropped. See [`mask`].
pub type Mask<M> = Handled<M, Masking>;

/// Keep (`true`) or drop (`false`) the log-probability of every site (writes `mask`).
pub fn mask<M>(model: M, keep: bool) -> Mask<M> {
    handle(model, Masking { keep })
}
