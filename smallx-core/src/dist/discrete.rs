//! Discrete distributions. Their draws carry no derivatives.

use super::{Distribution, check_finite, check_positive, check_probability, fused, neg_inf};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, log_sum_exp};
use crate::value::{Value, ValueKind};
use nalgebra::DVector;
use rand::Rng;
use rand_distr::{Distribution as _, Open01};

#[derive(Clone, Copy, Debug)]
enum BernoulliParam<S: Scalar> {
    Probs(Real<S>),
    Logits(Real<S>),
}

/// The Bernoulli distribution over `bool`, by probability or by log-odds.
#[derive(Clone, Copy, Debug)]
pub struct Bernoulli<S: Scalar = f64> {
    param: BernoulliParam<S>,
}

impl<S: Scalar> Bernoulli<S> {
    /// `P(true) = probs`, with `probs` in `[0, 1]`.
    pub fn new(probs: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(Bernoulli {
            param: BernoulliParam::Probs(check_probability("probs", probs.into())?),
        })
    }
    /// `P(true) = σ(logits)`, with `logits` finite.
    pub fn logits(logits: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(Bernoulli {
            param: BernoulliParam::Logits(check_finite("logits", logits.into())?),
        })
    }
    /// By log-odds, without validation.
    pub fn logits_unchecked(logits: impl Into<Real<S>>) -> Self {
        Bernoulli {
            param: BernoulliParam::Logits(logits.into()),
        }
    }
    /// `P(true)`.
    pub fn probs(&self) -> Real<S> {
        match self.param {
            BernoulliParam::Probs(p) => p,
            BernoulliParam::Logits(l) => l.sigmoid(),
        }
    }
}

impl<S: Scalar> Distribution<S> for Bernoulli<S> {
    type Value = bool;
    fn name(&self) -> &'static str {
        "Bernoulli"
    }
    fn sample(&self, rng: &mut dyn Rng) -> bool {
        let u: f64 = Open01.sample(rng);
        u < self.probs().value()
    }
    fn log_prob(&self, x: &bool) -> Real<S> {
        match (self.param, *x) {
            (BernoulliParam::Probs(p), true) => p.ln(),
            (BernoulliParam::Probs(p), false) => (-p).ln_1p(),
            (BernoulliParam::Logits(l), true) => l.log_sigmoid(),
            (BernoulliParam::Logits(l), false) => (-l).log_sigmoid(),
        }
    }
    fn support(&self) -> Constraint {
        Constraint::Boolean
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Bool
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::Real(self.probs()))
    }
    fn variance(&self) -> Option<Value<S>> {
        let p = self.probs();
        Some(Value::Real(p * (1.0 - p)))
    }
}

/// The binomial distribution: successes in `total_count` Bernoulli trials.
#[derive(Clone, Copy, Debug)]
pub struct Binomial<S: Scalar = f64> {
    total_count: u64,
    probs: Real<S>,
}

impl<S: Scalar> Binomial<S> {
    /// `probs` in `[0, 1]`; `total_count` at most `i64::MAX` (the type of a count's value;
    /// a larger one is usually a negative number cast to `u64`).
    pub fn new(total_count: u64, probs: impl Into<Real<S>>) -> Result<Self, DistError> {
        if i64::try_from(total_count).is_err() {
            return Err(DistError::OutOfRange {
                param: "total_count",
                range: "[0, i64::MAX] (a negative count cast to u64 wraps above it)",
                value: total_count as f64,
            });
        }
        Ok(Binomial {
            total_count,
            probs: check_probability("probs", probs.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for Binomial<S> {
    type Value = i64;
    fn name(&self) -> &'static str {
        "Binomial"
    }
    fn sample(&self, rng: &mut dyn Rng) -> i64 {
        rand_distr::Binomial::new(self.total_count, self.probs.value())
            .map_or(0, |b| b.sample(rng) as i64)
    }
    fn log_prob(&self, x: &i64) -> Real<S> {
        let n = self.total_count as i64;
        let k = *x;
        if k < 0 || k > n {
            return neg_inf();
        }
        let (nf, kf) = (n as f64, k as f64);
        let log_choose = statrs::function::factorial::ln_binomial(n as u64, k as u64);
        let p = self.probs.value();
        let (success, dsuccess) = if k == 0 {
            (0.0, 0.0)
        } else {
            (kf * p.ln(), kf / p)
        };
        let (failure, dfailure) = if k == n {
            (0.0, 0.0)
        } else {
            ((nf - kf) * (-p).ln_1p(), -(nf - kf) / (1.0 - p))
        };
        fused(
            log_choose + success + failure,
            [(self.probs, dsuccess + dfailure)],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::IntegerInterval(0, self.total_count as i64)
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Int
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::Real(self.probs * self.total_count as f64))
    }
    fn variance(&self) -> Option<Value<S>> {
        let p = self.probs;
        Some(Value::Real(p * (1.0 - p) * self.total_count as f64))
    }
}

/// The categorical distribution over `0..K`, by probabilities or by logits.
#[derive(Clone, Debug)]
pub struct Categorical<S: Scalar = f64> {
    /// Normalised log-probabilities.
    log_probs: DVector<Real<S>>,
}

impl<S: Scalar> Categorical<S> {
    /// `probs` non-negative and summing to 1 (within 1e-6).
    pub fn new(probs: &[Real<S>]) -> Result<Self, DistError> {
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
        Ok(Categorical {
            log_probs: DVector::from_iterator(probs.len(), probs.iter().map(|p| p.ln())),
        })
    }
    /// `P(k) ∝ exp(logits[k])`, logits finite.
    pub fn logits(logits: &[Real<S>]) -> Result<Self, DistError> {
        if logits.is_empty() {
            return Err(DistError::Empty { param: "logits" });
        }
        for &l in logits {
            check_finite("logits", l)?;
        }
        let lse = log_sum_exp(logits);
        Ok(Categorical {
            log_probs: DVector::from_iterator(logits.len(), logits.iter().map(|&l| l - lse)),
        })
    }
    /// From plain `f64` probabilities.
    pub fn from_probs(probs: &[f64]) -> Result<Self, DistError> {
        Self::new(&probs.iter().map(|&p| Real::new(p)).collect::<Vec<_>>())
    }
    /// The number of categories.
    pub fn num_categories(&self) -> usize {
        self.log_probs.len()
    }
    /// The normalised log-probabilities.
    pub fn log_probs(&self) -> &DVector<Real<S>> {
        &self.log_probs
    }
}

impl<S: Scalar> Distribution<S> for Categorical<S> {
    type Value = usize;
    fn name(&self) -> &'static str {
        "Categorical"
    }
    fn sample(&self, rng: &mut dyn Rng) -> usize {
        let mut u: f64 = Open01.sample(rng);
        for (k, lp) in self.log_probs.iter().enumerate() {
            u -= lp.value().exp();
            if u <= 0.0 {
                return k;
            }
        }
        self.log_probs.len() - 1
    }
    fn log_prob(&self, x: &usize) -> Real<S> {
        self.log_probs.get(*x).copied().unwrap_or_else(neg_inf)
    }
    fn support(&self) -> Constraint {
        Constraint::IntegerInterval(0, self.log_probs.len() as i64 - 1)
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Int
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::Real(
            self.log_probs
                .iter()
                .enumerate()
                .map(|(k, lp)| lp.exp() * k as f64)
                .sum(),
        ))
    }
    fn variance(&self) -> Option<Value<S>> {
        let m: Real<S> = self
            .log_probs
            .iter()
            .enumerate()
            .map(|(k, lp)| lp.exp() * k as f64)
            .sum();
        let m2: Real<S> = self
            .log_probs
            .iter()
            .enumerate()
            .map(|(k, lp)| lp.exp() * (k * k) as f64)
            .sum();
        Some(Value::Real(m2 - m * m))
    }
}

/// The largest Poisson rate whose draws are sure to fit in `i64`.
pub(crate) const POISSON_MAX_DRAW_RATE: f64 = 4_611_686_018_427_387_904.0;

/// `Ok` when Poisson draws at `rate` fit in `i64`: they fall within a few √rate of the rate,
/// so below 2^62 they fit (2^63 − 1) with certainty; above, a draw could not be represented.
pub(crate) fn check_poisson_draw_rate(rate: f64) -> Result<(), DistError> {
    if rate <= POISSON_MAX_DRAW_RATE {
        Ok(())
    } else {
        Err(DistError::OutOfRange {
            param: "rate",
            range: "(0, 2^62] to draw from (counts are i64)",
            value: rate,
        })
    }
}

/// The Poisson distribution with `rate`.
#[derive(Clone, Copy, Debug)]
pub struct Poisson<S: Scalar = f64> {
    rate: Real<S>,
}

impl<S: Scalar> Poisson<S> {
    /// `rate > 0`.
    pub fn new(rate: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(Poisson {
            rate: check_positive("rate", rate.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for Poisson<S> {
    type Value = i64;
    fn name(&self) -> &'static str {
        "Poisson"
    }
    fn sample(&self, rng: &mut dyn Rng) -> i64 {
        // `check_draw` refuses rates whose counts would not fit in i64; below that bound
        // rand_distr's sampler is valid (its own limit is 1.8e19).
        rand_distr::Poisson::new(self.rate.value()).map_or(i64::MAX, |p| p.sample(rng) as i64)
    }
    fn check_draw(&self) -> Result<(), DistError> {
        check_poisson_draw_rate(self.rate.value())
    }
    fn log_prob(&self, x: &i64) -> Real<S> {
        if *x < 0 {
            return neg_inf();
        }
        let (k, r) = (*x as f64, self.rate.value());
        let value = k * r.ln() - r - statrs::function::gamma::ln_gamma(k + 1.0);
        fused(value, [(self.rate, k / r - 1.0)])
    }
    fn support(&self) -> Constraint {
        Constraint::NonNegativeInteger
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Int
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::Real(self.rate))
    }
    fn variance(&self) -> Option<Value<S>> {
        Some(Value::Real(self.rate))
    }
}
