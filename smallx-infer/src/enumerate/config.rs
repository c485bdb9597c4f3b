//! `config_enumerate`: mark every discrete latent site of a model for enumeration.

use smallx_core::handler::{Effect, Handled, Handler, handle};
use smallx_core::{Result, Scalar, Site, SiteKind};

/// The effect of [`config_enumerate`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Enumerating;

/// The handler of [`Enumerating`]: sets `enumerate` on latent sample sites whose distribution
/// has a finite support.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConfigEnumerateHandler;

impl<S: Scalar> Handler<S> for ConfigEnumerateHandler {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        let finite = site.dist.is_some_and(|d| d.support_size().is_some());
        if site.kind == SiteKind::Sample && site.value.is_none() && !site.is_observed && finite {
            site.enumerate = true;
        }
        Ok(())
    }
}

impl Effect for Enumerating {
    type Handler<'e, S: Scalar> = ConfigEnumerateHandler;
    fn handler<S: Scalar>(&self) -> ConfigEnumerateHandler {
        ConfigEnumerateHandler
    }
}

/// A model whose discrete latent sites are all marked for enumeration. See
/// [`config_enumerate`].
pub type ConfigEnumerate<M> = Handled<M, Enumerating>;

/// Mark every latent site of `model` whose distribution has a finite support of booleans or
/// integers (`Bernoulli`, `Categorical`, `Binomial`, ...) for enumeration, as if each were
/// written `sample!(.., infer = enumerate)` (Pyro's `config_enumerate`). Sites with an
/// infinite support (`Poisson`) are left to be drawn; a finite support larger than
/// [`MAX_SUPPORT`](super::MAX_SUPPORT) is an error when enumerated.
///
/// ```
/// use smallx::prelude::*;
/// use smallx::infer::enumerate::{config_enumerate, enumerated_log_joint};
///
/// #[model]
/// fn gate(y: i64) {
///     let zero = sample!("zero", Bernoulli::new(0.3));
///     let rate = if zero { 1e-3 } else { 4.0 };
///     observe!("y", Poisson::new(rate), y);
/// }
///
/// # fn main() -> smallx::Result<()> {
/// let lp = enumerated_log_joint(&config_enumerate(gate), &(0,), &mut SmallRng::seed_from_u64(0))?;
/// let exact = (0.3 * (-1e-3f64).exp() + 0.7 * (-4.0f64).exp()).ln();
/// assert!((lp - exact).abs() < 1e-12);
/// # Ok(())
/// # }
/// ```
pub fn config_enumerate<M>(model: M) -> ConfigEnumerate<M> {
    handle(model, Enumerating)
}
