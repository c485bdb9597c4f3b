//! Running models: the entry points that build a stack, run a model once, and return its
//! value or its trace.

use crate::data::Data;
use crate::error::{Error, Result};
use crate::handler::{Root, Stack, TraceHandler};
use crate::model::{Ctx, Model};
use crate::params::{ParamHandler, ParamStore};
use crate::scalar::{Real, Scalar};
use crate::trace::Trace;
use rand::Rng;

/// Run `model` once on `stack` and return its value.
pub fn run_on<M: Model, S: Scalar>(
    model: &M,
    args: &M::Args<'_>,
    stack: &mut dyn Stack<S>,
) -> Result<M::Ret<S>> {
    model.run(&mut Ctx::new(stack), args)
}

/// Run `model` once on `stack` under a trace handler, and return the trace with the
/// model's return value.
pub fn trace_on<M: Model, S: Scalar>(
    model: &M,
    args: &M::Args<'_>,
    stack: &mut dyn Stack<S>,
) -> Result<Trace<S, M::Ret<S>>> {
    let mut cx = Ctx::new(stack);
    let mut handler = TraceHandler::new();
    let ret = cx.with_handler(&mut handler, |cx| model.run(cx, args))?;
    Ok(handler.into_trace().with_return(ret))
}

/// Run `model` once, drawing from `rng`, and return its trace (Pyro's
/// `trace(model).get_trace(*args)`). Duplicate site names are an error.
pub fn get_trace<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    rng: &mut dyn Rng,
) -> Result<Trace<f64, M::Ret<f64>>> {
    trace_on(model, args, &mut Root::new(rng))
}

/// Like [`get_trace`], with `param!` sites served from `params` (missing entries are
/// initialised there).
pub fn get_trace_with_params<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    rng: &mut dyn Rng,
    params: &mut ParamStore,
) -> Result<Trace<f64, M::Ret<f64>>> {
    let mut root = Root::new(rng);
    let mut cx = Ctx::new(&mut root);
    cx.with_handler(ParamHandler::new(params), |cx| {
        let mut handler = TraceHandler::new();
        let ret = cx.with_handler(&mut handler, |cx| model.run(cx, args))?;
        Ok(handler.into_trace().with_return(ret))
    })
}

/// Run `model` once with `f64` scalars, drawing from `rng`, and return its value. The run is
/// traced, so a duplicate site name is an error here too.
pub fn call_with<M: Model>(
    model: &M,
    args: &M::Args<'_>,
    rng: &mut dyn Rng,
) -> Result<M::Ret<f64>> {
    let (_, ret) = get_trace(model, args, rng)?.into_parts();
    Ok(ret)
}

/// Run `model` once with a generator seeded from the operating system.
pub fn call<M: Model>(model: &M, args: &M::Args<'_>) -> Result<M::Ret<f64>> {
    call_with(model, args, &mut rand::rng())
}

/// `log p(values)`: the log-joint of `model` with the sample sites named in `values`
/// substituted and the others drawn from `rng`, evaluated with scalar `S`.
///
/// Values of type `Value<S>` keep their derivatives, so with dual numbers this yields the
/// gradient of the log-joint with respect to the latent values and (through `param!`) nothing
/// else. Every latent site of the run must be named in `values`, or it is an error: the
/// density would otherwise depend on a random draw.
pub fn log_density<M: Model, S: Scalar>(
    model: &M,
    args: &M::Args<'_>,
    values: &[(&str, crate::Value<S>)],
    rng: &mut dyn Rng,
) -> Result<Real<S>> {
    let mut root = Root::new(rng);
    let mut cx = Ctx::new(&mut root);
    let mut handler = TraceHandler::new();
    let mut given = crate::handler::ValueHandler::new(values);
    cx.with_handler(&mut handler, |cx| {
        cx.with_handler(&mut given, |cx| model.run(cx, args))
    })?;
    given.check_all_used()?;
    let trace = handler.into_trace();
    if let Some(free) = trace
        .latent_sites()
        .find(|s| !values.iter().any(|(n, _)| *n == s.name))
    {
        return Err(Error::Handler {
            handler: "log_density",
            detail: format!(
                "latent site `{}` has no value; give every latent site a value",
                free.name
            ),
        });
    }
    Ok(trace.log_joint())
}

/// Conditioning data as a substitution table of constants with scalar `S`.
pub fn lift_data<S: Scalar>(data: &Data) -> Vec<(&str, crate::Value<S>)> {
    data.iter().map(|(n, v)| (n, v.lift())).collect()
}
