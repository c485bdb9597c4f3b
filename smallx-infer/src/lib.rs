//! smallx inference: SVI with swappable guides and autoguides, SVGD, importance sampling,
//! MCMC (Metropolis, HMC, NUTS), MAP, predictive distributions and diagnostics. Every
//! algorithm runs models through the runtime's handlers; gradients come from one entry point,
//! forward-mode dual numbers or a reverse-mode tape.

#![warn(missing_docs)]

pub mod arviz;
pub mod autoguide;
pub mod callbacks;
pub mod criteria;
pub mod diagnostics;
pub mod elbo;
pub mod enumerate;
pub mod grad;
pub mod importance;
pub mod init;
pub mod latent;
pub mod map;
pub mod marginal;
pub mod mcmc;
pub mod metropolis;
pub mod optim;
#[cfg(feature = "plot")]
pub mod plot;
pub mod potential;
pub mod predictive;
mod progress;
pub mod psis;
pub mod samples;
pub mod seeds;
pub mod svgd;
pub mod svi;

pub use autoguide::{AutoDelta, AutoMultivariateNormal, AutoNormal, InitLoc};
pub use callbacks::{
    Callback, CheckParametersConvergence, Control, Diff, LossPlateau, RunReport, StepInfo, Tracker,
};
pub use criteria::{Comparison, LogLik, Loo, Waic, compare, loo, waic};
pub use elbo::{
    Baselines, Elbo, Estimate, RenyiElbo, TraceElbo, TraceEnumElbo, TraceGraphElbo,
    TraceMeanFieldElbo,
};
pub use grad::GradMode;
pub use importance::{GuideProposal, Importance, ImportanceResult, Prior, Proposal};
pub use init::{
    Init, init_to_feasible, init_to_median, init_to_sample, init_to_uniform, init_to_value,
};
pub use latent::{LatentSite, LatentSpace};
pub use map::{Map, MapResult};
pub use marginal::EmpiricalMarginal;
pub use mcmc::{DiscreteProposal, Hmc, Kernel, MassMatrix, Mcmc, MetropolisKernel, Nuts};
pub use metropolis::Metropolis;
pub use optim::{Adam, Optimizer, Sgd};
pub use potential::Potential;
pub use predictive::{Predictive, PredictiveResult};
pub use samples::{ChainStats, Samples, SiteDraws, Summary, SummaryRow};
pub use svgd::{ImqKernel, RbfKernel, SteinKernel, SteinMode, Svgd, SvgdStep};
pub use svi::Svi;
