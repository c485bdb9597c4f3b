//! Improper flat priors.

use super::{Distribution, neg_inf};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar};
use crate::value::{Value, ValueKind};
use rand::Rng;
use rand_distr::{Distribution as _, Uniform};

/// The improper flat prior on a support (NumPyro's `ImproperUniform`): log-density 0 everywhere
/// on `support` and `−∞` outside it. It is not a probability distribution (its total mass is
/// infinite); use it as a prior only when the likelihood makes the posterior proper.
///
/// Supported supports are the elementwise continuous ones: `Constraint::Real`, `Positive`,
/// `GreaterThan`, `LessThan` and `Interval` (on an interval it is the uniform without its
/// normalising constant). A site
/// holds one real; for a vector use `.iid(n)` from [`IidExt`](super::IidExt).
///
/// **A draw is not a draw from a distribution.** [`sample`](Distribution::sample) returns a
/// uniform draw in `(−2, 2)` on the unconstrained scale pushed through the support's bijection
/// (what NumPyro's `init_to_uniform` does). It exists only so that inference can start (MCMC,
/// SVI and their initial points need some value); prior predictive draws
/// (`Predictive` without posterior samples) of a site with this prior mean nothing.
///
/// ```
/// use smallx_core::dist::{Distribution, ImproperUniform};
/// use smallx_core::{Constraint, Real};
/// let flat = ImproperUniform::<f64>::new(Constraint::Positive).unwrap();
/// assert_eq!(flat.log_prob(&Real(3.0)).value(), 0.0);
/// assert_eq!(flat.log_prob(&Real(-1.0)).value(), f64::NEG_INFINITY);
/// // Simplex values are vectors: not a support for one real.
/// assert!(ImproperUniform::<f64>::new(Constraint::Simplex).is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ImproperUniform<S: Scalar = f64> {
    support: Constraint,
    _scalar: std::marker::PhantomData<S>,
}

impl<S: Scalar> ImproperUniform<S> {
    /// `support` elementwise and continuous (`Real`, `Positive`, `GreaterThan(a)` and
    /// `LessThan(b)` with finite bounds, `Interval(a, b)` with finite `a < b`).
    pub fn new(support: Constraint) -> Result<Self, DistError> {
        let finite = |param: &'static str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(DistError::NotFinite { param, value: v })
            }
        };
        match support {
            Constraint::Real | Constraint::Positive => {}
            Constraint::GreaterThan(a) => finite("support lower bound", a)?,
            Constraint::LessThan(b) => finite("support upper bound", b)?,
            Constraint::Interval(a, b) => {
                finite("support lower bound", a)?;
                finite("support upper bound", b)?;
                if a >= b {
                    return Err(DistError::EmptyInterval { low: a, high: b });
                }
            }
            other => {
                return Err(DistError::Shape {
                    what: "ImproperUniform holds one real, so its support must be an elementwise continuous constraint (real, positive, greater_than, less_than, interval)",
                    detail: format!("got {other}"),
                });
            }
        }
        Ok(ImproperUniform {
            support,
            _scalar: std::marker::PhantomData,
        })
    }
}

/// The flat prior on the whole real line: `ImproperUniform` on `Constraint::Real`.
///
/// ```
/// use smallx_core::dist::{Distribution, flat};
/// use smallx_core::Real;
/// assert_eq!(flat::<f64>().log_prob(&Real(-1e6)).value(), 0.0);
/// ```
pub fn flat<S: Scalar>() -> ImproperUniform<S> {
    ImproperUniform {
        support: Constraint::Real,
        _scalar: std::marker::PhantomData,
    }
}

impl<S: Scalar> Distribution<S> for ImproperUniform<S> {
    type Value = Real<S>;
    fn value_kind(&self) -> ValueKind {
        ValueKind::Real
    }
    fn name(&self) -> &'static str {
        "ImproperUniform"
    }
    /// Not a draw from a distribution: see the type's documentation.
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        let u = Uniform::new(-2.0, 2.0).map_or(0.0, |d| d.sample(rng));
        self.support.forward_scalar(Real::<S>::new(u)).0
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        if self.support.contains(x.value()) {
            Real::new(0.0)
        } else {
            neg_inf()
        }
    }
    fn support(&self) -> Constraint {
        self.support
    }
    fn mean(&self) -> Option<Value<S>> {
        None
    }
    fn variance(&self) -> Option<Value<S>> {
        None
    }
}
