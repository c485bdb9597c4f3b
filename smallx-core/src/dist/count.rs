//! Count distributions: overdispersed and zero-inflated counts, and vectors of counts.
//!
//! Every family here scores a negative count as `−∞` and carries no derivatives in its draws.
//! Log-densities are computed in `f64` with their partial derivatives and recorded as one
//! fused node (see [`fused`]).

use super::discrete::{POISSON_MAX_DRAW_RATE, check_poisson_draw_rate};
use super::{Distribution, check_finite, check_positive, check_probability, fused, neg_inf};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, digamma_f64, sigmoid_f64};
use crate::value::{Value, ValueKind};
use nalgebra::DVector;
use rand::Rng;
use rand_distr::{Distribution as _, Open01};

fn ln_gamma(x: f64) -> f64 {
    statrs::function::gamma::ln_gamma(x)
}

/// A Poisson draw with mean `lambda ≥ 0`: 0 when `lambda` is 0 or NaN, `i64::MAX` beyond
/// rand_distr's largest mean (the families' `check_draw` makes that a chance below 1e-19).
fn poisson_draw(rng: &mut dyn Rng, lambda: f64) -> i64 {
    if lambda > 0.0 {
        rand_distr::Poisson::new(lambda).map_or(i64::MAX, |p| {
            let k = p.sample(rng);
            if k >= i64::MAX as f64 {
                i64::MAX
            } else {
                k as i64
            }
        })
    } else {
        0
    }
}

/// Whether draws of a Poisson whose rate is `scale · G`, `G ~ Gamma(shape, 1)`, fit in `i64`:
/// `G` exceeds `shape + 10·√shape + 45` with probability below 1e-19, so the rate stays below
/// 2^62 (where Poisson draws fit with certainty) unless the scale is astronomically large.
fn check_mixed_rate(shape: f64, scale: f64, mean: f64) -> Result<(), DistError> {
    if scale * (shape + 10.0 * shape.sqrt() + 45.0) <= POISSON_MAX_DRAW_RATE {
        Ok(())
    } else {
        Err(DistError::OutOfRange {
            param: "mean",
            range: "a mean whose draws fit in i64 (about 1e17 or less, by the shape)",
            value: mean,
        })
    }
}

/// A Gamma(shape, rate) draw; `shape` and `rate` positive.
fn gamma_draw(rng: &mut dyn Rng, shape: f64, rate: f64) -> f64 {
    super::continuous::gamma_draw(rng, shape) / rate
}

/// `ln Γ(k + r) − ln Γ(r) − ln Γ(k + 1)` (the log of the negative binomial coefficient
/// `C(k + r − 1, k)`) and its derivative with respect to `r`.
fn nb_coefficient(k: f64, r: f64) -> (f64, f64) {
    if k == 0.0 {
        // Exactly 0, so that a point mass at 0 has log-probability 0.
        return (0.0, 0.0);
    }
    (
        ln_gamma(k + r) - ln_gamma(r) - ln_gamma(k + 1.0),
        digamma_f64(k + r) - digamma_f64(r),
    )
}

fn check_unit_open_above<S: Scalar>(param: &'static str, x: Real<S>) -> Result<Real<S>, DistError> {
    let v = x.value();
    if (0.0..1.0).contains(&v) {
        Ok(x)
    } else {
        Err(DistError::OutOfRange {
            param,
            range: "[0, 1)",
            value: v,
        })
    }
}

#[derive(Clone, Copy, Debug)]
enum NbParam<S: Scalar> {
    Probs(Real<S>),
    Logits(Real<S>),
    Mean(Real<S>),
}

/// The negative binomial distribution: the number of successes before `total_count`
/// failures, each trial a success with probability `probs`.
///
/// This is Pyro's and NumPyro's `NegativeBinomial(total_count, probs)`; `total_count` is any
/// positive real (the Gamma–Poisson mixture), and
/// `P(k) = Γ(k + r) / (Γ(r) k!) · pᵏ (1 − p)ʳ` with `r = total_count`, `p = probs`.
/// The mean is `r p / (1 − p)`.
///
/// Three parameterisations, all differentiable in every parameter:
/// [`new`](Self::new) by probability, [`from_logits`](Self::from_logits) by log-odds, and
/// [`from_mean`](Self::from_mean) by mean and concentration (NumPyro's `NegativeBinomial2`).
///
/// ```
/// use smallx_core::dist::{Distribution, NegativeBinomial};
/// let d = NegativeBinomial::<f64>::new(3.0, 0.25).unwrap();
/// // P(0) = (1 − p)^r
/// assert!((d.log_prob(&0).value() - 3.0 * 0.75f64.ln()).abs() < 1e-12);
/// assert_eq!(d.log_prob(&-1).value(), f64::NEG_INFINITY);
/// assert!(NegativeBinomial::<f64>::new(3.0, 1.0).is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct NegativeBinomial<S: Scalar = f64> {
    total_count: Real<S>,
    param: NbParam<S>,
}

impl<S: Scalar> NegativeBinomial<S> {
    /// `total_count > 0`, `probs` (the success probability) in `[0, 1)`.
    pub fn new(
        total_count: impl Into<Real<S>>,
        probs: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        Ok(NegativeBinomial {
            total_count: check_positive("total_count", total_count.into())?,
            param: NbParam::Probs(check_unit_open_above("probs", probs.into())?),
        })
    }
    /// By the log-odds of success, `probs = σ(logits)`: `total_count > 0`, `logits` finite.
    pub fn from_logits(
        total_count: impl Into<Real<S>>,
        logits: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        Ok(NegativeBinomial {
            total_count: check_positive("total_count", total_count.into())?,
            param: NbParam::Logits(check_finite("logits", logits.into())?),
        })
    }
    /// By mean and concentration, NumPyro's `NegativeBinomial2(mean, concentration)`: the
    /// variance is `mean + mean² / concentration`, and the distribution is
    /// `NegativeBinomial::new(concentration, mean / (mean + concentration))`. Both positive.
    ///
    /// ```
    /// use smallx_core::dist::{Distribution, NegativeBinomial};
    /// use smallx_core::Value;
    /// let d = NegativeBinomial::<f64>::from_mean(4.0, 2.0).unwrap();
    /// assert_eq!(d.mean(), Some(Value::Real(4.0.into())));
    /// assert_eq!(d.variance(), Some(Value::Real(12.0.into())));
    /// ```
    pub fn from_mean(
        mean: impl Into<Real<S>>,
        concentration: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        let mean = check_positive("mean", mean.into())?;
        Ok(NegativeBinomial {
            total_count: check_positive("concentration", concentration.into())?,
            param: NbParam::Mean(mean),
        })
    }
    /// The number of failures `r` (the concentration, in the mean parameterisation).
    pub fn total_count(&self) -> Real<S> {
        self.total_count
    }
    /// The success probability.
    pub fn probs(&self) -> Real<S> {
        match self.param {
            NbParam::Probs(p) => p,
            NbParam::Logits(l) => l.sigmoid(),
            NbParam::Mean(m) => m / (m + self.total_count),
        }
    }
    /// The odds of success `p / (1 − p)`, which the moments are written in.
    fn odds(&self) -> Real<S> {
        match self.param {
            NbParam::Probs(p) => p / (1.0 - p),
            NbParam::Logits(l) => l.exp(),
            NbParam::Mean(m) => m / self.total_count,
        }
    }
}

impl<S: Scalar> Distribution<S> for NegativeBinomial<S> {
    type Value = i64;
    fn name(&self) -> &'static str {
        "NegativeBinomial"
    }
    fn sample(&self, rng: &mut dyn Rng) -> i64 {
        // A Poisson with a Gamma(r, (1 − p)/p) rate, i.e. rate scale = odds.
        let odds = self.odds().value();
        if odds <= 0.0 {
            return 0;
        }
        let lambda = super::continuous::gamma_draw(rng, self.total_count.value()) * odds;
        poisson_draw(rng, lambda)
    }
    fn check_draw(&self) -> Result<(), DistError> {
        let (r, odds) = (self.total_count.value(), self.odds().value());
        check_mixed_rate(r, odds, r * odds)
    }
    fn log_prob(&self, x: &i64) -> Real<S> {
        if *x < 0 {
            return neg_inf();
        }
        let (k, r) = (*x as f64, self.total_count.value());
        let (coef, dcoef) = nb_coefficient(k, r);
        match self.param {
            NbParam::Probs(p) => {
                let pv = p.value();
                let (success, dsuccess) = if k == 0.0 {
                    (0.0, 0.0)
                } else if pv == 0.0 {
                    return neg_inf();
                } else {
                    (k * pv.ln(), k / pv)
                };
                let ln_fail = (-pv).ln_1p();
                fused(
                    coef + success + r * ln_fail,
                    [
                        (self.total_count, dcoef + ln_fail),
                        (p, dsuccess - r / (1.0 - pv)),
                    ],
                )
            }
            NbParam::Logits(l) => {
                let lv = l.value();
                // ln p = ln σ(l), ln(1 − p) = ln σ(−l).
                let ln_p = lv.min(0.0) - (-lv.abs()).exp().ln_1p();
                let ln_q = ln_p - lv;
                fused(
                    coef + k * ln_p + r * ln_q,
                    [
                        (self.total_count, dcoef + ln_q),
                        (l, k * sigmoid_f64(-lv) - r * sigmoid_f64(lv)),
                    ],
                )
            }
            NbParam::Mean(m) => {
                let mv = m.value();
                let ln_total = (mv + r).ln();
                // ln p = ln μ − ln(μ + r), ln(1 − p) = ln r − ln(μ + r).
                let success = if k == 0.0 {
                    0.0
                } else {
                    k * (mv.ln() - ln_total)
                };
                let ln_q = r.ln() - ln_total;
                fused(
                    coef + success + r * ln_q,
                    [
                        (self.total_count, dcoef + ln_q + (mv - k) / (mv + r)),
                        (m, k / mv - (k + r) / (mv + r)),
                    ],
                )
            }
        }
    }
    fn support(&self) -> Constraint {
        Constraint::NonNegativeInteger
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Int
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::Real(self.total_count * self.odds()))
    }
    fn variance(&self) -> Option<Value<S>> {
        let odds = self.odds();
        Some(Value::Real(self.total_count * odds * (odds + 1.0)))
    }
}

/// NumPyro's `GammaPoisson(concentration, rate)`: a Poisson count whose rate is drawn from
/// `Gamma(concentration, rate)`.
///
/// `P(k) = Γ(k + α) / (Γ(α) k!) · βᵅ / (1 + β)^(k + α)`, the negative binomial with
/// `total_count = α` and `probs = 1 / (1 + β)`; mean `α/β`, variance `α(1 + β)/β²`.
///
/// ```
/// use smallx_core::dist::{Distribution, GammaPoisson};
/// let d = GammaPoisson::<f64>::new(2.0, 0.5).unwrap();
/// // P(0) = (β / (1 + β))^α
/// assert!((d.log_prob(&0).value() - 2.0 * (0.5f64 / 1.5).ln()).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct GammaPoisson<S: Scalar = f64> {
    concentration: Real<S>,
    rate: Real<S>,
}

impl<S: Scalar> GammaPoisson<S> {
    /// `concentration > 0`, `rate > 0` (of the Gamma-distributed Poisson rate).
    pub fn new(
        concentration: impl Into<Real<S>>,
        rate: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        Ok(GammaPoisson {
            concentration: check_positive("concentration", concentration.into())?,
            rate: check_positive("rate", rate.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for GammaPoisson<S> {
    type Value = i64;
    fn name(&self) -> &'static str {
        "GammaPoisson"
    }
    fn sample(&self, rng: &mut dyn Rng) -> i64 {
        let lambda = gamma_draw(rng, self.concentration.value(), self.rate.value());
        poisson_draw(rng, lambda)
    }
    fn check_draw(&self) -> Result<(), DistError> {
        let (a, b) = (self.concentration.value(), self.rate.value());
        check_mixed_rate(a, 1.0 / b, a / b)
    }
    fn log_prob(&self, x: &i64) -> Real<S> {
        if *x < 0 {
            return neg_inf();
        }
        let (k, a, b) = (*x as f64, self.concentration.value(), self.rate.value());
        let (coef, dcoef) = nb_coefficient(k, a);
        let (ln_b, ln_1b) = (b.ln(), b.ln_1p());
        fused(
            coef + a * ln_b - (k + a) * ln_1b,
            [
                (self.concentration, dcoef + ln_b - ln_1b),
                (self.rate, a / b - (k + a) / (1.0 + b)),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::NonNegativeInteger
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Int
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::Real(self.concentration / self.rate))
    }
    fn variance(&self) -> Option<Value<S>> {
        let b = self.rate;
        Some(Value::Real(self.concentration * (b + 1.0) / (b * b)))
    }
}

/// The geometric distribution: the number of failures before the first success, support
/// `0, 1, 2, …`, as in Pyro and NumPyro. `P(k) = p (1 − p)ᵏ`, mean `(1 − p)/p`.
///
/// ```
/// use smallx_core::dist::{Distribution, Geometric};
/// let d = Geometric::<f64>::new(0.25).unwrap();
/// assert!((d.log_prob(&2).value() - (0.25f64 * 0.75 * 0.75).ln()).abs() < 1e-12);
/// assert!(Geometric::<f64>::new(0.0).is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Geometric<S: Scalar = f64> {
    probs: Real<S>,
}

impl<S: Scalar> Geometric<S> {
    /// The success probability `probs` in `(0, 1]`.
    pub fn new(probs: impl Into<Real<S>>) -> Result<Self, DistError> {
        let probs = probs.into();
        let v = probs.value();
        if v > 0.0 && v <= 1.0 {
            Ok(Geometric { probs })
        } else {
            Err(DistError::OutOfRange {
                param: "probs",
                range: "(0, 1]",
                value: v,
            })
        }
    }
}

impl<S: Scalar> Distribution<S> for Geometric<S> {
    type Value = i64;
    fn name(&self) -> &'static str {
        "Geometric"
    }
    fn sample(&self, rng: &mut dyn Rng) -> i64 {
        rand_distr::Geometric::new(self.probs.value())
            .map_or(0, |g| g.sample(rng).min(i64::MAX as u64) as i64)
    }
    fn check_draw(&self) -> Result<(), DistError> {
        // The number of failures exceeds 2^62 with probability (1 − p)^(2^62) ≈ e^(−p·2^62),
        // below 1e-19 for p ≥ 1e-17.
        if self.probs.value() >= 1e-17 {
            Ok(())
        } else {
            Err(DistError::OutOfRange {
                param: "probs",
                range: "[1e-17, 1] to draw from (counts are i64)",
                value: self.probs.value(),
            })
        }
    }
    fn log_prob(&self, x: &i64) -> Real<S> {
        if *x < 0 {
            return neg_inf();
        }
        let (k, p) = (*x as f64, self.probs.value());
        let (failures, dfailures) = if k == 0.0 {
            (0.0, 0.0)
        } else if p == 1.0 {
            return neg_inf();
        } else {
            (k * (-p).ln_1p(), -k / (1.0 - p))
        };
        fused(p.ln() + failures, [(self.probs, 1.0 / p + dfailures)])
    }
    fn support(&self) -> Constraint {
        Constraint::NonNegativeInteger
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Int
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::Real((1.0 - self.probs) / self.probs))
    }
    fn variance(&self) -> Option<Value<S>> {
        let p = self.probs;
        Some(Value::Real((1.0 - p) / (p * p)))
    }
}

/// NumPyro's `ZeroInflatedPoisson(gate, rate)`: with probability `gate` a structural zero,
/// otherwise a `Poisson(rate)` count.
///
/// `P(0) = gate + (1 − gate) e^(−rate)`, `P(k) = (1 − gate) Poisson(k; rate)` for `k > 0`;
/// mean `(1 − gate) rate`, variance `(1 − gate) rate (1 + gate · rate)`.
///
/// ```
/// use smallx_core::dist::{Distribution, ZeroInflatedPoisson};
/// let d = ZeroInflatedPoisson::<f64>::new(0.3, 2.0).unwrap();
/// assert!((d.log_prob(&0).value() - (0.3 + 0.7 * (-2.0f64).exp()).ln()).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ZeroInflatedPoisson<S: Scalar = f64> {
    gate: Real<S>,
    rate: Real<S>,
}

impl<S: Scalar> ZeroInflatedPoisson<S> {
    /// `gate` in `[0, 1]`, `rate > 0`.
    pub fn new(gate: impl Into<Real<S>>, rate: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(ZeroInflatedPoisson {
            gate: check_probability("gate", gate.into())?,
            rate: check_positive("rate", rate.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for ZeroInflatedPoisson<S> {
    type Value = i64;
    fn name(&self) -> &'static str {
        "ZeroInflatedPoisson"
    }
    fn sample(&self, rng: &mut dyn Rng) -> i64 {
        let u: f64 = Open01.sample(rng);
        if u < self.gate.value() {
            0
        } else {
            poisson_draw(rng, self.rate.value())
        }
    }
    fn check_draw(&self) -> Result<(), DistError> {
        check_poisson_draw_rate(self.rate.value())
    }
    fn log_prob(&self, x: &i64) -> Real<S> {
        if *x < 0 {
            return neg_inf();
        }
        let (k, g, r) = (*x as f64, self.gate.value(), self.rate.value());
        if k == 0.0 {
            // ln q with q = g + (1 − g) e^(−r), as a log-sum-exp of ln g and ln(1 − g) − r so
            // that a large rate does not underflow; ∂/∂g = (1 − e^(−r))/q and
            // ∂/∂r = −(1 − g) e^(−r)/q.
            let (a, b) = (g.ln(), (-g).ln_1p() - r);
            let m = a.max(b);
            let ln_q = m + ((a - m).exp() + (b - m).exp()).ln();
            return fused(
                ln_q,
                [
                    (self.gate, -(-r).exp_m1() * (-ln_q).exp()),
                    (self.rate, -(b - ln_q).exp()),
                ],
            );
        }
        if g == 1.0 {
            return neg_inf();
        }
        let value = (-g).ln_1p() + k * r.ln() - r - ln_gamma(k + 1.0);
        fused(
            value,
            [(self.gate, -1.0 / (1.0 - g)), (self.rate, k / r - 1.0)],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::NonNegativeInteger
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Int
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::Real((1.0 - self.gate) * self.rate))
    }
    fn variance(&self) -> Option<Value<S>> {
        let (g, r) = (self.gate, self.rate);
        Some(Value::Real((1.0 - g) * r * (1.0 + g * r)))
    }
}

/// The beta-binomial distribution: a `Binomial(total_count, p)` count with
/// `p ~ Beta(concentration1, concentration0)`, in Pyro's argument order.
///
/// `P(k) = C(n, k) B(k + α, n − k + β) / B(α, β)` with `α = concentration1`,
/// `β = concentration0`; mean `n α / (α + β)`.
///
/// ```
/// use smallx_core::dist::{BetaBinomial, Distribution};
/// // With α = β = 1 every count in 0..=n is equally likely.
/// let d = BetaBinomial::<f64>::new(1.0, 1.0, 4).unwrap();
/// assert!((d.log_prob(&3).value() + 5.0f64.ln()).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BetaBinomial<S: Scalar = f64> {
    concentration1: Real<S>,
    concentration0: Real<S>,
    total_count: u64,
}

impl<S: Scalar> BetaBinomial<S> {
    /// `concentration1 > 0`, `concentration0 > 0`.
    pub fn new(
        concentration1: impl Into<Real<S>>,
        concentration0: impl Into<Real<S>>,
        total_count: u64,
    ) -> Result<Self, DistError> {
        Ok(BetaBinomial {
            concentration1: check_positive("concentration1", concentration1.into())?,
            concentration0: check_positive("concentration0", concentration0.into())?,
            total_count,
        })
    }
}

impl<S: Scalar> Distribution<S> for BetaBinomial<S> {
    type Value = i64;
    fn name(&self) -> &'static str {
        "BetaBinomial"
    }
    fn sample(&self, rng: &mut dyn Rng) -> i64 {
        let (a, b) = (self.concentration1.value(), self.concentration0.value());
        // p = X / (X + Y) with X ~ Gamma(α), Y ~ Gamma(β): valid for every positive α, β.
        let (x, ln_x) = super::continuous::gamma_draw_ln(rng, a);
        let (y, ln_y) = super::continuous::gamma_draw_ln(rng, b);
        let p = if x > 0.0 && y > 0.0 && (x + y).is_finite() {
            x / (x + y)
        } else {
            // Tiny concentrations: a draw underflowed; the ratio in log space.
            super::continuous::normalise_ln(&[ln_x, ln_y]).0[0]
        };
        rand_distr::Binomial::new(self.total_count, p.clamp(0.0, 1.0))
            .map_or(0, |d| d.sample(rng) as i64)
    }
    fn log_prob(&self, x: &i64) -> Real<S> {
        let n = self.total_count as i64;
        if *x < 0 || *x > n {
            return neg_inf();
        }
        let (nf, k) = (n as f64, *x as f64);
        let (a, b) = (self.concentration1.value(), self.concentration0.value());
        let log_choose = statrs::function::factorial::ln_binomial(n as u64, *x as u64);
        let value = log_choose + ln_gamma(k + a) + ln_gamma(nf - k + b)
            - ln_gamma(nf + a + b)
            - ln_gamma(a)
            - ln_gamma(b)
            + ln_gamma(a + b);
        let common = digamma_f64(a + b) - digamma_f64(nf + a + b);
        fused(
            value,
            [
                (
                    self.concentration1,
                    digamma_f64(k + a) - digamma_f64(a) + common,
                ),
                (
                    self.concentration0,
                    digamma_f64(nf - k + b) - digamma_f64(b) + common,
                ),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::IntegerInterval(0, self.total_count as i64)
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Int
    }
    fn mean(&self) -> Option<Value<S>> {
        let (a, b) = (self.concentration1, self.concentration0);
        Some(Value::Real(a / (a + b) * self.total_count as f64))
    }
    fn variance(&self) -> Option<Value<S>> {
        let (a, b) = (self.concentration1, self.concentration0);
        let n = self.total_count as f64;
        let t = a + b;
        Some(Value::Real(a * b * (t + n) * n / (t * t * (t + 1.0))))
    }
}

/// The multinomial distribution: the counts of each of `K` categories in `total_count`
/// independent draws with probabilities `probs`, as Pyro's and NumPyro's
/// `Multinomial(total_count, probs)`.
///
/// A value is a `Vec<i64>` of `K` counts. Its log-probability is `−∞` (never a panic) when
/// it has the wrong length, a negative count, or counts that do not sum to `total_count`.
/// The support is given elementwise, as `integer_interval(0, total_count)`.
///
/// ```
/// use smallx_core::dist::{Distribution, Multinomial};
/// let d = Multinomial::<f64>::from_probs(3, &[0.5, 0.25, 0.25]).unwrap();
/// // 3! / (1! 1! 1!) · 0.5 · 0.25 · 0.25
/// assert!((d.log_prob(&vec![1, 1, 1]).value() - (6.0f64 * 0.5 * 0.25 * 0.25).ln()).abs() < 1e-12);
/// assert_eq!(d.log_prob(&vec![1, 1]).value(), f64::NEG_INFINITY);
/// assert_eq!(d.log_prob(&vec![2, 1, 1]).value(), f64::NEG_INFINITY);
/// ```
#[derive(Clone, Debug)]
pub struct Multinomial<S: Scalar = f64> {
    total_count: u64,
    probs: DVector<Real<S>>,
}

impl<S: Scalar> Multinomial<S> {
    /// `probs` non-empty, each in `[0, 1]`, summing to 1 (within 1e-6).
    pub fn new(total_count: u64, probs: &[Real<S>]) -> Result<Self, DistError> {
        if probs.is_empty() {
            return Err(DistError::Empty { param: "probs" });
        }
        for &p in probs {
            check_probability("probs", p)?;
        }
        let sum: f64 = probs.iter().map(|p| p.value()).sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(DistError::NotNormalized { sum });
        }
        Ok(Multinomial {
            total_count,
            probs: DVector::from_column_slice(probs),
        })
    }
    /// From plain `f64` probabilities.
    pub fn from_probs(total_count: u64, probs: &[f64]) -> Result<Self, DistError> {
        Self::new(
            total_count,
            &probs.iter().map(|&p| Real::new(p)).collect::<Vec<_>>(),
        )
    }
    /// The number of categories `K`.
    pub fn num_categories(&self) -> usize {
        self.probs.len()
    }
}

impl<S: Scalar> Distribution<S> for Multinomial<S> {
    type Value = Vec<i64>;
    fn name(&self) -> &'static str {
        "Multinomial"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Vec<i64> {
        // Sequential conditional binomials: count i given the counts before it.
        let k = self.probs.len();
        let mut counts = vec![0_i64; k];
        let mut remaining = self.total_count;
        let mut mass = 1.0;
        for (i, p) in self.probs.iter().enumerate() {
            if remaining == 0 {
                break;
            }
            if i + 1 == k {
                counts[i] = remaining as i64;
                break;
            }
            let q = if mass > 0.0 {
                (p.value() / mass).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let draw = rand_distr::Binomial::new(remaining, q).map_or(0, |b| b.sample(rng));
            counts[i] = draw as i64;
            remaining -= draw;
            mass -= p.value();
        }
        counts
    }
    fn log_prob(&self, x: &Vec<i64>) -> Real<S> {
        if x.len() != self.probs.len()
            || x.iter().any(|&k| k < 0)
            || x.iter().map(|&k| k as i128).sum::<i128>() != self.total_count as i128
        {
            return neg_inf();
        }
        let mut value = ln_gamma(self.total_count as f64 + 1.0);
        for (&k, p) in x.iter().zip(self.probs.iter()) {
            if k > 0 {
                let (kf, pv) = (k as f64, p.value());
                if pv == 0.0 {
                    return neg_inf();
                }
                value += kf * pv.ln() - ln_gamma(kf + 1.0);
            }
        }
        Real(S::fused_terms(
            value,
            x.iter()
                .zip(self.probs.iter())
                .filter(|(k, _)| **k > 0)
                .map(|(&k, p)| (p.0, k as f64 / p.value())),
        ))
    }
    fn support(&self) -> Constraint {
        Constraint::IntegerInterval(0, self.total_count as i64)
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::IntVec(self.probs.len())
    }
    fn mean(&self) -> Option<Value<S>> {
        let n = self.total_count as f64;
        Some(Value::RealVec(self.probs.map(|p| p * n)))
    }
    fn variance(&self) -> Option<Value<S>> {
        let n = self.total_count as f64;
        Some(Value::RealVec(self.probs.map(|p| p * (1.0 - p) * n)))
    }
}
