//! A distribution whose log-density is kept or dropped (Pyro's `Distribution.mask`).

use super::{Distribution, IntoDist};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar};
use crate::value::{Value, ValueKind};
use rand::Rng;

/// `base` with its log-density kept (`keep = true`) or replaced by zero (`keep = false`):
/// a site that is drawn, observed or enumerated as usual but adds nothing to the log-joint
/// when masked, Pyro's `dist.mask(False)`. Built with [`MaskExt::mask`].
///
/// ```
/// use smallx_core::dist::{Distribution, MaskExt, Normal};
/// use smallx_core::Real;
/// let d = Normal::<f64>::new(0.0, 1.0).mask(false).unwrap();
/// assert_eq!(d.log_prob(&Real::new(3.0)).value(), 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct Masked<D> {
    base: D,
    keep: bool,
}

impl<D> Masked<D> {
    /// The distribution underneath.
    pub fn base(&self) -> &D {
        &self.base
    }
    /// Whether the log-density is kept.
    pub fn keeps(&self) -> bool {
        self.keep
    }
}

/// `.mask(keep)` on a distribution or on a constructor's `Result`.
pub trait MaskExt<S: Scalar>: IntoDist<S> + Sized {
    /// Keep (`true`) or drop (`false`) the log-density of the site.
    fn mask(self, keep: bool) -> Result<Masked<Self::Dist>, DistError> {
        Ok(Masked {
            base: self.into_dist()?,
            keep,
        })
    }
}

impl<S: Scalar, T: IntoDist<S>> MaskExt<S> for T {}

impl<S: Scalar, D: Distribution<S>> Distribution<S> for Masked<D> {
    type Value = D::Value;
    fn name(&self) -> &'static str {
        self.base.name()
    }
    fn sample(&self, rng: &mut dyn Rng) -> Self::Value {
        self.base.sample(rng)
    }
    fn check_draw(&self) -> Result<(), DistError> {
        self.base.check_draw()
    }
    fn log_prob(&self, x: &Self::Value) -> Real<S> {
        if self.keep {
            self.base.log_prob(x)
        } else {
            Real::new(0.0)
        }
    }
    fn log_prob_pointwise(&self, x: &Self::Value) -> Vec<Real<S>> {
        let parts = self.base.log_prob_pointwise(x);
        if self.keep {
            parts
        } else {
            vec![Real::new(0.0); parts.len()]
        }
    }
    fn support(&self) -> Constraint {
        self.base.support()
    }
    fn value_kind(&self) -> ValueKind {
        self.base.value_kind()
    }
    fn has_rsample(&self) -> bool {
        self.base.has_rsample()
    }
    fn mean(&self) -> Option<Value<S>> {
        self.base.mean()
    }
    fn variance(&self) -> Option<Value<S>> {
        self.base.variance()
    }
}

impl<S: Scalar, D: Distribution<S>> IntoDist<S> for Masked<D> {
    type Dist = Self;
    fn into_dist(self) -> Result<Self, DistError> {
        Ok(self)
    }
}
