//! smallx inference: SVI with swappable guides and autoguides, importance sampling,
//! Metropolis, MAP, predictive distributions and diagnostics. Every algorithm runs models
//! through the runtime's handlers; gradients come from forward-mode dual numbers.

#![warn(missing_docs)]

pub mod autoguide;
pub mod elbo;
pub mod grad;
pub mod latent;
pub mod optim;
mod progress;
pub mod svi;

pub use autoguide::{AutoDelta, AutoMultivariateNormal, AutoNormal, InitLoc};
pub use elbo::{Elbo, TraceElbo, TraceMeanFieldElbo};
pub use latent::{LatentSite, LatentSpace};
pub use optim::{Adam, Optimizer, Sgd};
pub use svi::Svi;
