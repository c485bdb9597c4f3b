//! `handle`: wrap a model in a handler written outside the crate.

use super::Handler;
use crate::error::Result;
use crate::model::{Ctx, Model};
use crate::scalar::Scalar;

/// A user-written effect: builds the [`Handler`] that one model run uses, for whatever scalar
/// type the run has (`f64` to simulate, dual numbers or `Rev` to differentiate). This is how
/// the built-in handlers are made; [`handle`] wraps a model with one.
///
/// ```
/// use smallx_core::dist::Normal;
/// use smallx_core::handler::{Effect, Handler, handle};
/// use smallx_core::{Ctx, Model, Real, Result, Scalar, Site, data, condition, get_trace};
/// use rand::SeedableRng;
///
/// /// Tempering: observed sites count `beta` times (a power posterior).
/// struct Temper(f64);
/// struct TemperHandler(f64);
/// impl<S: Scalar> Handler<S> for TemperHandler {
///     fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
///         if site.is_observed {
///             site.scale *= self.0;
///         }
///         Ok(())
///     }
/// }
/// impl Effect for Temper {
///     fn handler<S: Scalar>(&self) -> impl Handler<S> + '_ {
///         TemperHandler(self.0)
///     }
/// }
///
/// # struct Weigh;
/// # impl Model for Weigh {
/// #     type Args<'a> = ();
/// #     type Ret<S: Scalar> = ();
/// #     fn name(&self) -> &str { "weigh" }
/// #     fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, _: &()) -> Result<()> {
/// #         let w = cx.sample("weight", Normal::new(8.5, 1.0))?;
/// #         cx.observe("measurement", Normal::new(w, 0.75), 9.5)?;
/// #         Ok(())
/// #     }
/// # }
/// // `Weigh` is a model with a latent "weight" and an observed "measurement".
/// let tempered = handle(Weigh, Temper(0.5));
/// let mut rng = rand::rngs::SmallRng::seed_from_u64(0);
/// let trace = get_trace(&tempered, &(), &mut rng)?;
/// assert_eq!(trace.get("measurement").unwrap().scale, 0.5);
/// assert_eq!(trace.get("weight").unwrap().scale, 1.0);
/// # Ok::<(), smallx_core::Error>(())
/// ```
pub trait Effect {
    /// The handler for one run with scalar type `S`; it may borrow the effect (to report
    /// through a `Cell`, for example).
    fn handler<S: Scalar>(&self) -> impl Handler<S> + '_;
}

/// A model wrapped in a user-written [`Effect`]. See [`handle`].
#[derive(Clone, Debug)]
pub struct Handled<M, E> {
    model: M,
    effect: E,
}

/// Run `model` with the handler that `effect` builds pushed on the stack (innermost, so it
/// sees every site of `model` before the handlers wrapped around the result).
pub fn handle<M: Model, E: Effect>(model: M, effect: E) -> Handled<M, E> {
    Handled { model, effect }
}

impl<M: Model, E: Effect> Model for Handled<M, E> {
    type Args<'a> = M::Args<'a>;
    type Ret<S: Scalar> = M::Ret<S>;
    fn name(&self) -> &str {
        self.model.name()
    }
    fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, args: &Self::Args<'_>) -> Result<Self::Ret<S>> {
        cx.with_handler(self.effect.handler::<S>(), |cx| self.model.run(cx, args))
    }
}
