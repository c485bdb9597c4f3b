//! `scale` and `mask`: reweight or drop log-probabilities.

use super::Handler;
use super::data_effect::wrapper_model;
use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::site::Site;

struct ScaleHandler(f64);

impl<S: Scalar> Handler<S> for ScaleHandler {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        site.scale *= self.0;
        Ok(())
    }
}

/// A model with scaled log-probabilities. See [`scale`].
#[derive(Clone, Debug)]
pub struct Scale<M> {
    model: M,
    factor: f64,
}

/// Multiply the log-probability of every site by `factor`, which must be positive and finite
/// (writes `scale`).
pub fn scale<M>(model: M, factor: f64) -> Scale<M> {
    Scale { model, factor }
}

wrapper_model!(Scale, |this, cx, args| {
    if !(this.factor > 0.0 && this.factor.is_finite()) {
        return Err(Error::Handler {
            handler: "scale",
            detail: format!(
                "the factor must be positive and finite, got {}",
                this.factor
            ),
        });
    }
    cx.with_handler(ScaleHandler(this.factor), |cx| this.model.run(cx, args))
});

struct MaskHandler(bool);

impl<S: Scalar> Handler<S> for MaskHandler {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        site.mask &= self.0;
        Ok(())
    }
}

/// A model whose log-probabilities are kept or dropped. See [`mask`].
#[derive(Clone, Debug)]
pub struct Mask<M> {
    model: M,
    keep: bool,
}

/// Keep (`true`) or drop (`false`) the log-probability of every site (writes `mask`).
pub fn mask<M>(model: M, keep: bool) -> Mask<M> {
    Mask { model, keep }
}

wrapper_model!(Mask, |this, cx, args| cx
    .with_handler(MaskHandler(this.keep), |cx| this.model.run(cx, args)));
