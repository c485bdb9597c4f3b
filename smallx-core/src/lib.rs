//! The smallx runtime: scalars, distributions, constraints, sites, traces, effect handlers,
//! the parameter store and data dictionaries.
//!
//! Most users reach this crate through the `smallx` facade and its `#[model]` attribute; the
//! documentation of the pieces is here. ARCHITECTURE.md at the repository root explains how
//! they fit together.

#![warn(missing_docs)]

pub mod constraint;
pub mod data;
pub mod dist;
pub mod error;
pub mod handler;
pub mod model;
pub mod params;
pub mod runtime;
pub mod scalar;
pub mod site;
pub mod trace;
pub mod value;

pub use constraint::Constraint;
pub use data::Data;
pub use dist::{DynDistribution, IidExt, IntoDist};
pub use error::{DistError, Error, Result};
pub use handler::{
    Effect, Handler, Root, Stack, block, block_all, block_except, block_names, condition, handle,
    intervene, mask, replay, scale, seed, substitute, trace, validate_data,
};
pub use model::{Ctx, Model, Plate};
pub use params::{ParamHandler, ParamInit, ParamStore};
pub use runtime::{
    call, call_with, get_trace, get_trace_with_params, log_density, run_on, trace_on,
};
pub use scalar::{Chain, Dual64, DualDVec64, DualSVec64, Real, Recording, Rev, Scalar};
pub use site::{MarkovFrame, PlateFrame, Site, SiteKind};
pub use trace::{Trace, TraceSite};
pub use value::{IntoObservation, IntoValue, SiteValue, Value, ValueKind};

// Re-exported so that generated code and users share one version.
pub use nalgebra;
pub use rand;
