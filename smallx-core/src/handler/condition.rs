//! `condition`: fix sample sites to observed data.

use super::Handled;
use super::data_effect::{DataEffect, WithData};
use crate::data::Data;
use crate::error::Result;
use crate::scalar::Scalar;
use crate::site::{Site, SiteKind};
use crate::value::Value;

pub use super::data_effect::DataHits;

/// What `condition` does to a site its data names: sets the value and marks it observed.
#[derive(Clone, Copy, Debug)]
pub struct Conditioning;

impl DataEffect for Conditioning {
    const NAME: &'static str = "condition";
    fn applies(kind: SiteKind) -> bool {
        kind == SiteKind::Sample
    }
    fn apply<S: Scalar>(site: &mut Site<'_, S>, value: Value<S>) -> Result<()> {
        site.set_value(value)?;
        site.is_observed = true;
        Ok(())
    }
}

/// A model whose named sample sites are observed. See [`condition`].
pub type Condition<M> = Handled<M, WithData<Conditioning>>;

/// Condition `model` on `data`: each named sample site takes the given value and becomes
/// observed (writes `value` and `is_observed`). Naming a site the model does not run, or
/// giving a value of the wrong type, is an error naming the site.
///
/// ```
/// use smallx_core::{condition, data, get_trace, Ctx, Model, Real, Result, Scalar, dist::Normal};
/// # struct Scale;
/// # impl Model for Scale {
/// #     type Args<'a> = (f64,);
/// #     type Ret<S: Scalar> = Real<S>;
/// #     fn name(&self) -> &str { "scale" }
/// #     fn run<S: Scalar>(&self, cx: &mut Ctx<'_, S>, args: &(f64,)) -> Result<Real<S>> {
/// #         let w = cx.sample("weight", Normal::new(args.0, 1.0))?;
/// #         cx.sample("measurement", Normal::new(w, 0.75))
/// #     }
/// # }
/// let conditioned = condition(Scale, data! { "measurement" => 9.5 });
/// let mut rng = rand::rngs::SmallRng::seed_from_u64(0);
/// # use rand::SeedableRng;
/// let t = get_trace(&conditioned, &(8.5,), &mut rng).unwrap();
/// assert!(t.get("measurement").unwrap().is_observed);
/// assert_eq!(t.real("measurement").unwrap(), 9.5);
/// assert!(get_trace(&condition(Scale, data! { "mesurement" => 9.5 }), &(8.5,), &mut rng).is_err());
/// ```
pub fn condition<M>(model: M, data: impl Into<Data>) -> Condition<M> {
    super::handle(model, WithData::new(Conditioning, data.into()))
}
