//! `validate_data`: turn the check of observed values on or off.

use super::{Effect, Handled, Handler, handle};
use crate::error::Result;
use crate::scalar::Scalar;
use crate::site::Site;

/// The effect of [`validate_data`]: whether observed values are checked.
#[derive(Clone, Copy, Debug)]
pub struct Validating {
    enabled: bool,
}

/// The handler of [`Validating`] for one run.
pub struct ValidateHandler(bool);

impl<S: Scalar> Handler<S> for ValidateHandler {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        site.validate &= self.0;
        Ok(())
    }
}

impl Effect for Validating {
    type Handler<'e, S: Scalar> = ValidateHandler;
    fn handler<S: Scalar>(&self) -> ValidateHandler {
        ValidateHandler(self.enabled)
    }
}

/// A model whose observed values are checked or not. See [`validate_data`].
pub type ValidateData<M> = Handled<M, Validating>;

/// Check observed values, or not (writes `validate`; Pyro's `validate_args` switch, for data).
///
/// By default every observed value, whether given in the model (`observe!`,
/// `sample!(.., obs = ..)`) or by [`condition`](crate::condition), is checked once the
/// handlers have run: a NaN or an infinity is an error naming the site and the index of the
/// first bad element, instead of a log-density that is silently NaN. The check reads each
/// observed number once per run; `validate_data(model, false)` skips it (for speed, once the
/// data is known to be clean). Turned off anywhere around a site, it stays off.
///
/// ```
/// use smallx_core::{get_trace, validate_data, Ctx, Model, Real, Result, Scalar, dist::Normal};
/// # use rand::SeedableRng;
/// struct Measure;
/// impl Model for Measure {
///     type Args<'a> = (f64,);
///     type Ret<S: Scalar> = Real<S>;
///     fn name(&self) -> &str { "measure" }
///     fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, args: &(f64,)) -> Result<Real<S>> {
///         cx.observe("y", Normal::new(0.0, 1.0), args.0)
///     }
/// }
/// let mut rng = rand::rngs::SmallRng::seed_from_u64(0);
/// let err = get_trace(&Measure, &(f64::NAN,), &mut rng).unwrap_err();
/// assert!(err.to_string().contains("site `y`"));
/// // Unchecked, the NaN goes through to the log-density.
/// let t = get_trace(&validate_data(Measure, false), &(f64::NAN,), &mut rng).unwrap();
/// assert!(t.log_joint().value().is_nan());
/// ```
pub fn validate_data<M>(model: M, enabled: bool) -> ValidateData<M> {
    handle(model, Validating { enabled })
}
