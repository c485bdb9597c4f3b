//! `replay`: take latent sample values from a recorded trace.

use super::{Effect, Handled, Handler, handle};
use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use crate::trace::Trace;
use crate::value::Value;
use std::any::Any;

/// Replays the sample values of a trace whose scalar type is `T`.
///
/// When `T` is the scalar of the run, values keep their derivatives (as the ELBO needs when it
/// replays a guide trace into the model); otherwise they enter as constants.
pub struct ReplayHandler<'t, T: Scalar, R> {
    trace: &'t Trace<T, R>,
}

impl<'t, T: Scalar, R> ReplayHandler<'t, T, R> {
    /// A handler replaying `trace`.
    pub fn new(trace: &'t Trace<T, R>) -> Self {
        ReplayHandler { trace }
    }
}

impl<S: Scalar, T: Scalar, R> Handler<S> for ReplayHandler<'_, T, R> {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        if matches!(site.kind, SiteKind::Param | SiteKind::Deterministic)
            || site.is_observed
            || site.intervened
        {
            return Ok(());
        }
        let Some(recorded) = self.trace.get(site.name) else {
            return Ok(());
        };
        if recorded.is_observed {
            return Err(Error::ReplayObserved(site.name.to_string()));
        }
        let value = match (&recorded.value as &dyn Any).downcast_ref::<Value<S>>() {
            Some(same_scalar) => same_scalar.clone(),
            None => recorded.value.detach().lift(),
        };
        site.set_value(value)
    }
}

/// The effect of [`replay`]: a recorded trace to take values from.
#[derive(Clone, Debug)]
pub struct Replaying {
    trace: Trace<f64>,
}

impl Effect for Replaying {
    type Handler<'e, S: Scalar> = ReplayHandler<'e, f64, ()>;
    fn handler<S: Scalar>(&self) -> ReplayHandler<'_, f64, ()> {
        ReplayHandler::new(&self.trace)
    }
}

/// A model that replays a trace. See [`replay`].
pub type Replay<M> = Handled<M, Replaying>;

/// Replay `trace` into `model`: every latent sample or plate site recorded in the trace takes
/// its recorded value (writes `value`); sites the trace lacks run as usual. A site that is
/// observed in the trace but latent in the model is an error.
pub fn replay<M, R>(model: M, trace: &Trace<f64, R>) -> Replay<M> {
    handle(
        model,
        Replaying {
            trace: trace.clone_sites(),
        },
    )
}
