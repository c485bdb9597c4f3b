//! smallx inference: SVI with swappable guides and autoguides, importance sampling,
//! Metropolis, MAP, predictive distributions and diagnostics. Every algorithm runs models
//! through the runtime's handlers; gradients come from forward-mode dual numbers.

#![warn(missing_docs)]

pub mod arviz;
pub mod autoguide;
pub mod callbacks;
pub mod diagnostics;
pub mod elbo;
pub mod grad;
pub mod importance;
pub mod latent;
pub mod map;
pub mod marginal;
pub mod metropolis;
pub mod optim;
#[cfg(feature = "plot")]
pub mod plot;
pub mod predictive;
mod progress;
pub mod samples;
pub mod seeds;
pub mod svi;

pub use autoguide::{AutoDelta, AutoMultivariateNormal, AutoNormal, InitLoc};
pub use callbacks::{
    Callback, CheckParametersConvergence, Control, Diff, LossPlateau, RunReport, StepInfo, Tracker,
};
pub use elbo::{Elbo, TraceElbo, TraceMeanFieldElbo};
pub use grad::GradMode;
pub use importance::{GuideProposal, Importance, ImportanceResult, Prior, Proposal};
pub use latent::{LatentSite, LatentSpace};
pub use map::{Map, MapResult};
pub use marginal::EmpiricalMarginal;
pub use metropolis::{DiscreteProposal, Init, Metropolis};
pub use optim::{Adam, Optimizer, Sgd};
pub use predictive::{Predictive, PredictiveResult};
pub use samples::{ChainStats, Samples, SiteDraws, Summary, SummaryRow};
pub use svi::Svi;
