//! Weighted empirical distributions of one real quantity.

use rand::Rng;
use rand_distr::{Distribution as _, weighted::WeightedIndex};
use smallx_core::{Error, Result};

/// A weighted sample of one real quantity (Pyro's `EmpiricalMarginal`), from importance
/// sampling, or with equal weights from any list of draws.
#[derive(Clone, Debug)]
pub struct EmpiricalMarginal {
    values: Vec<f64>,
    weights: Vec<f64>,
}

impl EmpiricalMarginal {
    /// Values with normalised weights (which must be non-negative with a positive sum).
    pub fn new(values: Vec<f64>, weights: Vec<f64>) -> Result<Self> {
        let total: f64 = weights.iter().sum();
        if values.len() != weights.len() || values.is_empty() || total.is_nan() || total <= 0.0 {
            return Err(Error::Config {
                algorithm: "EmpiricalMarginal",
                detail: format!(
                    "needs as many weights as values, at least one, with a positive sum (got {} values, {} weights, sum {total})",
                    values.len(),
                    weights.len()
                ),
            });
        }
        Ok(EmpiricalMarginal {
            weights: weights.iter().map(|w| w / total).collect(),
            values,
        })
    }

    /// Equally weighted draws.
    pub fn from_draws(values: Vec<f64>) -> Result<Self> {
        let n = values.len();
        Self::new(values, vec![1.0; n])
    }

    /// The values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The normalised weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The weighted mean.
    pub fn mean(&self) -> f64 {
        self.values
            .iter()
            .zip(&self.weights)
            .map(|(v, w)| v * w)
            .sum()
    }

    /// The weighted variance.
    pub fn variance(&self) -> f64 {
        let m = self.mean();
        self.values
            .iter()
            .zip(&self.weights)
            .map(|(v, w)| w * (v - m).powi(2))
            .sum()
    }

    /// The weighted standard deviation.
    pub fn sd(&self) -> f64 {
        self.variance().sqrt()
    }

    /// The weighted `q`-quantile: the smallest value whose cumulative weight reaches `q`, for
    /// `q` in `[0, 1]` (otherwise an error naming the option).
    pub fn quantile(&self, q: f64) -> Result<f64> {
        if !(0.0..=1.0).contains(&q) {
            return Err(Error::InvalidOption {
                algorithm: "EmpiricalMarginal::quantile",
                option: "q",
                value: q.to_string(),
                expected: "a quantile level in [0, 1]",
            });
        }
        let mut order: Vec<usize> = (0..self.values.len()).collect();
        order.sort_by(|&a, &b| self.values[a].total_cmp(&self.values[b]));
        let mut cumulative = 0.0;
        for &i in &order {
            cumulative += self.weights[i];
            if cumulative >= q {
                return Ok(self.values[i]);
            }
        }
        Ok(self.values[order[order.len() - 1]])
    }

    /// `n` draws with replacement, in proportion to the weights.
    pub fn resample(&self, n: usize, rng: &mut dyn Rng) -> Vec<f64> {
        match WeightedIndex::new(&self.weights) {
            Ok(index) => (0..n).map(|_| self.values[index.sample(rng)]).collect(),
            Err(_) => Vec::new(),
        }
    }
}
