//! `Effect` and `handle`: how every handler wraps a model, the built-in ones and yours.

use super::Handler;
use crate::error::Result;
use crate::model::{Ctx, Model};
use crate::scalar::Scalar;

/// An effect: builds the [`Handler`] that one model run uses, for whatever scalar type the run
/// has (`f64` to simulate, dual numbers or `Rev` to differentiate), checks its options before
/// the run and may report after it. Every built-in handler is one:
/// [`Condition<M>`](super::Condition) is `Handled<M, WithData<Conditioning>>` and
/// [`Scale<M>`](super::Scale) is `Handled<M, Scaling>`; [`handle`] wraps a model with yours.
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
///     type Handler<'e, S: Scalar> = TemperHandler;
///     fn handler<S: Scalar>(&self) -> TemperHandler {
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
    /// The handler of one run with scalar type `S`; it may borrow the effect.
    type Handler<'e, S: Scalar>: Handler<S>
    where
        Self: 'e;
    /// Check the effect's options before a run: an error naming the option and what was
    /// expected. Nothing by default.
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// The handler for one run.
    fn handler<S: Scalar>(&self) -> Self::Handler<'_, S>;
    /// After a run that succeeded, with the handler it used: report what the run left undone
    /// (the data handlers name data that matched no site). Nothing by default.
    fn finish<S: Scalar>(&self, handler: Self::Handler<'_, S>) -> Result<()> {
        drop(handler);
        Ok(())
    }
}

/// A model wrapped in an [`Effect`]. See [`handle`].
#[derive(Clone, Debug)]
pub struct Handled<M, E> {
    model: M,
    effect: E,
}

/// Run `model` with the handler that `effect` builds pushed on the stack (innermost, so it
/// sees every site of `model` before the handlers wrapped around the result): the effect's
/// `check` first, its `finish` after a successful run.
pub fn handle<M, E>(model: M, effect: E) -> Handled<M, E> {
    Handled { model, effect }
}

impl<M: Model, E: Effect> Model for Handled<M, E> {
    type Args<'a> = M::Args<'a>;
    type Ret<S: Scalar> = M::Ret<S>;
    fn name(&self) -> &str {
        self.model.name()
    }
    fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, args: &Self::Args<'_>) -> Result<Self::Ret<S>> {
        self.effect.check()?;
        let mut handler = self.effect.handler::<S>();
        let ret = cx.with_handler(&mut handler, |cx| self.model.run(cx, args))?;
        self.effect.finish(handler)?;
        Ok(ret)
    }
}
