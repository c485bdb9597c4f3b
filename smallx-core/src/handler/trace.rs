//! `trace`: record every site that reaches this handler.

use super::Handler;
use crate::error::{Error, Result};
use crate::model::{Ctx, Model};
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use crate::trace::{Trace, TraceSite};
use std::any::Any;
use std::cell::RefCell;

/// Records sites into a [`Trace`] in postprocess; rejects duplicate names.
pub struct TraceHandler<S: Scalar> {
    trace: Trace<S>,
}

impl<S: Scalar> Default for TraceHandler<S> {
    fn default() -> Self {
        TraceHandler {
            trace: Trace::new(),
        }
    }
}

impl<S: Scalar> TraceHandler<S> {
    /// A handler with an empty trace.
    pub fn new() -> Self {
        Self::default()
    }
    /// The trace recorded so far.
    pub fn into_trace(self) -> Trace<S> {
        self.trace
    }
}

impl<S: Scalar> Handler<S> for TraceHandler<S> {
    fn postprocess(&mut self, site: &Site<'_, S>) -> Result<()> {
        let missing = || Error::InvalidSite {
            site: site.name.to_string(),
            detail: "no value to record".into(),
        };
        let value = site.value.clone().ok_or_else(missing)?;
        let log_prob = match (site.kind, site.dist) {
            (SiteKind::Sample, Some(d)) => {
                d.log_prob_value(&value).ok_or_else(|| Error::WrongValue {
                    site: site.name.to_string(),
                    dist: d.name().to_string(),
                    expected: d.value_kind(),
                    got: value.kind(),
                })?
            }
            _ => crate::Real::new(0.0),
        };
        self.trace.push(TraceSite {
            name: site.name.to_string(),
            kind: site.kind,
            dist: site.dist.map(|d| d.boxed()),
            value,
            log_prob,
            is_observed: site.is_observed,
            intervened: site.intervened,
            scale: site.scale,
            mask: site.mask,
            plates: site.plates.to_vec(),
            constraint: site.param.map(|p| p.constraint),
            enumerate: site.enumerate,
        })
    }
}

/// A model whose runs are recorded. See [`trace`].
pub struct Traced<M> {
    model: M,
    last: RefCell<Option<Box<dyn Any>>>,
}

/// Record the sites of `model` wherever it sits in a composition; the latest run's trace is
/// available from [`Traced::take_trace`]. To run a model and get its trace in one call, use
/// [`get_trace`](crate::get_trace).
pub fn trace<M: Model>(model: M) -> Traced<M> {
    Traced {
        model,
        last: RefCell::new(None),
    }
}

impl<M: Model> Traced<M> {
    /// The trace of the latest run with scalar `S`, if any (and forget it).
    pub fn take_trace<S: Scalar>(&self) -> Option<Trace<S>> {
        let last = self.last.borrow_mut().take()?;
        last.downcast::<Trace<S>>().ok().map(|b| *b)
    }
}

impl<M: Model> Model for Traced<M> {
    type Args<'a> = M::Args<'a>;
    type Ret<S: Scalar> = M::Ret<S>;
    fn name(&self) -> &str {
        self.model.name()
    }
    fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, args: &Self::Args<'_>) -> Result<Self::Ret<S>> {
        let mut handler = TraceHandler::new();
        let ret = cx.with_handler(&mut handler, |cx| self.model.run(cx, args))?;
        *self.last.borrow_mut() = Some(Box::new(handler.into_trace()));
        Ok(ret)
    }
}
