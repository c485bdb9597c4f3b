//! Ordinal regression: ordered categories from a latent predictor and cutpoints.

use super::{Distribution, check_finite, fused, neg_inf};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, sigmoid_f64};
use crate::value::{Value, ValueKind};
use nalgebra::DVector;
use rand::Rng;
use rand_distr::{Distribution as _, Open01};

/// `ln σ(x)` on `f64`, without overflow.
fn log_sigmoid(x: f64) -> f64 {
    x.min(0.0) - (-x.abs()).exp().ln_1p()
}

/// NumPyro's `OrderedLogistic(predictor, cutpoints)`: a categorical distribution over
/// `0..=K` for `K` strictly increasing cutpoints, with
/// `P(y ≤ k) = σ(cutpoints[k] − predictor)` for `k < K`.
///
/// Values are `usize`, as [`Categorical`](super::Categorical)'s. The log-probabilities are
/// computed stably from differences of logistic functions, and are differentiable in the
/// predictor and in every cutpoint.
///
/// ```
/// use smallx_core::dist::{Distribution, OrderedLogistic};
/// use smallx_core::Real;
/// let cut = [Real::new(-1.0), Real::new(1.0)];
/// let d = OrderedLogistic::<f64>::new(0.0, &cut).unwrap();
/// let p: f64 = (0..3).map(|k| d.log_prob(&k).value().exp()).sum();
/// assert!((p - 1.0).abs() < 1e-12);
/// assert!(OrderedLogistic::<f64>::new(0.0, &[Real::new(1.0), Real::new(-1.0)]).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct OrderedLogistic<S: Scalar = f64> {
    predictor: Real<S>,
    cutpoints: DVector<Real<S>>,
}

impl<S: Scalar> OrderedLogistic<S> {
    /// `predictor` finite; `cutpoints` non-empty, finite and strictly increasing.
    pub fn new(predictor: impl Into<Real<S>>, cutpoints: &[Real<S>]) -> Result<Self, DistError> {
        let predictor = check_finite("predictor", predictor.into())?;
        if cutpoints.is_empty() {
            return Err(DistError::Empty { param: "cutpoints" });
        }
        for &c in cutpoints {
            check_finite("cutpoints", c)?;
        }
        for (i, w) in cutpoints.windows(2).enumerate() {
            if w[1].value() <= w[0].value() {
                return Err(DistError::NotIncreasing {
                    param: "cutpoints",
                    index: i + 1,
                    previous: w[0].value(),
                    value: w[1].value(),
                });
            }
        }
        Ok(OrderedLogistic {
            predictor,
            cutpoints: DVector::from_column_slice(cutpoints),
        })
    }
    /// From plain `f64` numbers.
    pub fn from_f64(predictor: f64, cutpoints: &[f64]) -> Result<Self, DistError> {
        Self::new(
            predictor,
            &cutpoints.iter().map(|&c| Real::new(c)).collect::<Vec<_>>(),
        )
    }
    /// The number of categories, `K + 1`.
    pub fn num_categories(&self) -> usize {
        self.cutpoints.len() + 1
    }
    /// `P(y > k)` for `k = 0..K`, as `σ(predictor − cutpoints[k])`.
    fn exceedances(&self) -> impl Iterator<Item = Real<S>> + '_ {
        self.cutpoints
            .iter()
            .map(|&c| (self.predictor - c).sigmoid())
    }
}

impl<S: Scalar> Distribution<S> for OrderedLogistic<S> {
    type Value = usize;
    fn name(&self) -> &'static str {
        "OrderedLogistic"
    }
    fn sample(&self, rng: &mut dyn Rng) -> usize {
        let u: f64 = Open01.sample(rng);
        let eta = self.predictor.value();
        self.cutpoints
            .iter()
            .position(|c| u <= sigmoid_f64(c.value() - eta))
            .unwrap_or(self.cutpoints.len())
    }
    fn log_prob(&self, x: &usize) -> Real<S> {
        let k = *x;
        let big_k = self.cutpoints.len();
        if k > big_k {
            return neg_inf();
        }
        let eta = self.predictor.value();
        if k == 0 {
            // ln σ(c₀ − η)
            let c = self.cutpoints[0];
            let z = c.value() - eta;
            let d = sigmoid_f64(-z);
            return fused(log_sigmoid(z), [(c, d), (self.predictor, -d)]);
        }
        if k == big_k {
            // ln(1 − σ(c_{K−1} − η)) = ln σ(η − c_{K−1})
            let c = self.cutpoints[big_k - 1];
            let z = eta - c.value();
            let d = sigmoid_f64(-z);
            return fused(log_sigmoid(z), [(self.predictor, d), (c, -d)]);
        }
        // ln(σ(b) − σ(a)) = ln σ(b) + ln σ(−a) + ln(1 − e^(a − b)) for b > a,
        // with b = c_k − η and a = c_{k−1} − η.
        let (lo, hi) = (self.cutpoints[k - 1], self.cutpoints[k]);
        let (a, b) = (lo.value() - eta, hi.value() - eta);
        let gap = b - a;
        let value = log_sigmoid(b) + log_sigmoid(-a) + (-(-gap).exp_m1()).ln();
        let r = 1.0 / gap.exp_m1();
        let db = sigmoid_f64(-b) + r;
        let da = -sigmoid_f64(a) - r;
        fused(value, [(hi, db), (lo, da), (self.predictor, -(da + db))])
    }
    fn support(&self) -> Constraint {
        Constraint::IntegerInterval(0, self.cutpoints.len() as i64)
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Int
    }
    fn mean(&self) -> Option<Value<S>> {
        // E[y] = Σₖ P(y > k)
        Some(Value::Real(self.exceedances().sum()))
    }
    fn variance(&self) -> Option<Value<S>> {
        // E[y²] = Σₖ (2k + 1) P(y > k)
        let (m, m2) = self
            .exceedances()
            .enumerate()
            .fold((Real::new(0.0), Real::new(0.0)), |(m, m2), (k, p)| {
                (m + p, m2 + p * (2 * k + 1) as f64)
            });
        Some(Value::Real(m2 - m * m))
    }
}
