//! A handler that sums log-probabilities without recording a trace: the fast path for
//! evaluating a density many times (MCMC, MAP).

use super::Handler;
use crate::error::Result;
use crate::scalar::{Real, Scalar};
use crate::site::Site;

/// Accumulates `scale · log_prob` of every sample site that is not masked or intervened, in
/// postprocess. Remembers the first site whose contribution is not finite.
pub struct LogJointHandler<S: Scalar> {
    total: Real<S>,
    first_non_finite: Option<(String, f64)>,
}

impl<S: Scalar> Default for LogJointHandler<S> {
    fn default() -> Self {
        LogJointHandler {
            total: Real::new(0.0),
            first_non_finite: None,
        }
    }
}

impl<S: Scalar> LogJointHandler<S> {
    /// A handler with a zero total.
    pub fn new() -> Self {
        Self::default()
    }
    /// The sum so far.
    pub fn total(&self) -> Real<S> {
        self.total
    }
    /// The site whose contribution first went NaN or infinite, with that value.
    pub fn first_non_finite(&self) -> Option<(&str, f64)> {
        self.first_non_finite
            .as_ref()
            .map(|(n, v)| (n.as_str(), *v))
    }
}

impl<S: Scalar> Handler<S> for LogJointHandler<S> {
    fn postprocess(&mut self, site: &Site<'_, S>) -> Result<()> {
        let Some(lp) = site.weighted_log_prob()? else {
            return Ok(());
        };
        if !lp.is_finite() && self.first_non_finite.is_none() {
            self.first_non_finite = Some((site.name.to_string(), lp.value()));
        }
        self.total += lp;
        Ok(())
    }
}
