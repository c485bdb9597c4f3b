//! Generalised linear model likelihoods: `y ~ D(η)`, `η = X β + b`, as one vectorised site.
//!
//! With dual numbers, a plain model computes every `ηᵢ` with all derivative directions:
//! `n·d·(1 + N)` operations. These sites instead compute `η` and the residuals `rᵢ = ∂ℓ/∂ηᵢ`
//! with `f64` only, pull the residuals back through the design matrix (`g = Xᵀ r`, a
//! matrix-vector product) and combine `g` with the directions carried by `β` and `b`: the
//! gradient costs two matrix-vector products whatever the number of directions (local reverse
//! mode inside one forward-mode site).

use super::{Distribution, IntoDist, check_positive};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, sigmoid_f64};
use crate::value::{Value, ValueKind};
use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::{Distribution as _, Open01, StandardNormal};
use std::sync::Arc;

/// A design matrix (one row per observation), shared cheaply between model runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Design(Arc<DMatrix<f64>>);

impl Design {
    /// Wrap a matrix.
    pub fn new(x: DMatrix<f64>) -> Self {
        Design(Arc::new(x))
    }
    /// The matrix.
    pub fn matrix(&self) -> &DMatrix<f64> {
        &self.0
    }
    /// The number of observations.
    pub fn nrows(&self) -> usize {
        self.0.nrows()
    }
    /// The number of predictors.
    pub fn ncols(&self) -> usize {
        self.0.ncols()
    }
}

impl From<DMatrix<f64>> for Design {
    fn from(x: DMatrix<f64>) -> Self {
        Design::new(x)
    }
}

/// `η = X β + b`, with its value computed once.
#[derive(Clone, Debug)]
pub struct LinearPredictor<S: Scalar> {
    x: Design,
    beta: DVector<Real<S>>,
    intercept: Real<S>,
    eta: DVector<f64>,
}

impl<S: Scalar> LinearPredictor<S> {
    /// `β` must have one entry per column of `X`.
    pub fn new(
        x: &Design,
        beta: &DVector<Real<S>>,
        intercept: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        if beta.len() != x.ncols() {
            return Err(DistError::Shape {
                what: "beta must have one entry per column of the design matrix",
                detail: format!("beta has {}, X has {} columns", beta.len(), x.ncols()),
            });
        }
        let intercept = intercept.into();
        let values = beta.map(|b| b.value());
        let eta = x.matrix() * values + DVector::from_element(x.nrows(), intercept.value());
        Ok(LinearPredictor {
            x: x.clone(),
            beta: beta.clone(),
            intercept,
            eta,
        })
    }

    /// The values of `η`.
    pub fn values(&self) -> &DVector<f64> {
        &self.eta
    }

    /// A number with value `value` whose derivatives are `Σᵢ rᵢ ∂ηᵢ` plus `extra`'s terms, for
    /// residuals `r = ∂ℓ/∂η`: one fused node with an edge per coefficient.
    fn pullback(
        &self,
        value: f64,
        r: &DVector<f64>,
        extra: impl IntoIterator<Item = (S, f64)>,
    ) -> Real<S> {
        let g = self.x.matrix().tr_mul(r);
        let terms = std::iter::once((self.intercept.0, r.sum()))
            .chain(self.beta.iter().zip(g.iter()).map(|(b, &gj)| (b.0, gj)))
            .chain(extra);
        Real(S::fused_terms(value, terms))
    }

    /// `η` with all its derivatives (for sampling).
    fn full(&self) -> DVector<Real<S>> {
        let x = self.x.matrix();
        DVector::from_fn(x.nrows(), |i, _| {
            (0..x.ncols()).fold(self.intercept, |acc, j| acc + self.beta[j] * x[(i, j)])
        })
    }
}

/// `yᵢ ~ Bernoulli(logits = ηᵢ)` for a linear predictor `η`: logistic regression's likelihood.
#[derive(Clone, Debug)]
pub struct BernoulliGlm<S: Scalar> {
    eta: LinearPredictor<S>,
}

impl<S: Scalar> BernoulliGlm<S> {
    /// Logistic regression of the rows of `x` with coefficients `beta` and `intercept`.
    pub fn new(
        x: &Design,
        beta: &DVector<Real<S>>,
        intercept: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        Ok(BernoulliGlm {
            eta: LinearPredictor::new(x, beta, intercept)?,
        })
    }
}

impl<S: Scalar> Distribution<S> for BernoulliGlm<S> {
    type Value = Vec<bool>;
    fn name(&self) -> &'static str {
        "BernoulliGlm"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Vec<bool> {
        self.eta
            .values()
            .iter()
            .map(|&e| {
                let u: f64 = Open01.sample(&mut *rng);
                u < sigmoid_f64(e)
            })
            .collect::<Vec<bool>>()
    }
    fn log_prob(&self, y: &Vec<bool>) -> Real<S> {
        let eta = self.eta.values();
        if y.len() != eta.len() {
            return Real::new(f64::NEG_INFINITY);
        }
        let mut total = 0.0;
        let r = DVector::from_fn(eta.len(), |i, _| {
            // log σ(±η) = −softplus(∓η), from one exponential.
            let e = eta[i];
            let z = (-e.abs()).exp();
            let (s, log1p) = (
                if e >= 0.0 {
                    1.0 / (1.0 + z)
                } else {
                    z / (1.0 + z)
                },
                z.ln_1p(),
            );
            if y[i] {
                total += e.min(0.0) - log1p;
                1.0 - s
            } else {
                total += -e.max(0.0) - log1p;
                -s
            }
        });
        self.eta.pullback(total, &r, [])
    }
    fn log_prob_pointwise(&self, y: &Vec<bool>) -> Vec<Real<S>> {
        let eta = self.eta.full();
        eta.iter()
            .zip(y)
            .map(|(e, &yi)| {
                if yi {
                    e.log_sigmoid()
                } else {
                    (-*e).log_sigmoid()
                }
            })
            .collect()
    }
    fn support(&self) -> Constraint {
        Constraint::Boolean
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::BoolVec(self.eta.values().len())
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::RealVec(self.eta.full().map(|e| e.sigmoid())))
    }
    fn variance(&self) -> Option<Value<S>> {
        Some(Value::RealVec(self.eta.full().map(|e| {
            let p = e.sigmoid();
            p * (1.0 - p)
        })))
    }
}

/// `yᵢ ~ Normal(ηᵢ, scale)` for a linear predictor `η`: linear regression's likelihood.
#[derive(Clone, Debug)]
pub struct NormalGlm<S: Scalar> {
    eta: LinearPredictor<S>,
    scale: Real<S>,
}

impl<S: Scalar> NormalGlm<S> {
    /// Linear regression of the rows of `x` with coefficients `beta`, `intercept` and noise
    /// standard deviation `scale > 0`.
    pub fn new(
        x: &Design,
        beta: &DVector<Real<S>>,
        intercept: impl Into<Real<S>>,
        scale: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        Ok(NormalGlm {
            eta: LinearPredictor::new(x, beta, intercept)?,
            scale: check_positive("scale", scale.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for NormalGlm<S> {
    type Value = DVector<Real<S>>;
    fn name(&self) -> &'static str {
        "NormalGlm"
    }
    fn sample(&self, rng: &mut dyn Rng) -> DVector<Real<S>> {
        self.eta.full().map(|e| {
            let z: f64 = StandardNormal.sample(&mut *rng);
            e + self.scale * z
        })
    }
    fn log_prob(&self, y: &DVector<Real<S>>) -> Real<S> {
        let eta = self.eta.values();
        let n = eta.len();
        if y.len() != n {
            return Real::new(f64::NEG_INFINITY);
        }
        let s = self.scale.value();
        let residual = DVector::from_fn(n, |i, _| y[i].value() - eta[i]);
        let ss = residual.norm_squared();
        let nf = n as f64;
        let value = -0.5 * ss / (s * s) - s.ln() * nf - 0.918_938_533_204_672_8 * nf;
        // ∂/∂σ = ss/σ³ − n/σ; ∂/∂ηᵢ = rᵢ/σ²; ∂/∂yᵢ = −rᵢ/σ² (when y carries derivatives).
        let scale = (self.scale.0, ss / (s * s * s) - nf / s);
        let inv2 = 1.0 / (s * s);
        let ys = y
            .iter()
            .zip(residual.iter())
            .filter(|(yi, _)| !yi.is_constant())
            .map(|(yi, ri)| (yi.0, -ri * inv2));
        self.eta
            .pullback(value, &(&residual * inv2), std::iter::once(scale).chain(ys))
    }
    fn log_prob_pointwise(&self, y: &DVector<Real<S>>) -> Vec<Real<S>> {
        let eta = self.eta.full();
        eta.iter()
            .zip(y.iter())
            .map(|(e, yi)| {
                let z = (*yi - *e) / self.scale;
                -0.5 * z * z - self.scale.ln() - 0.918_938_533_204_672_8
            })
            .collect()
    }
    fn support(&self) -> Constraint {
        Constraint::Real
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::RealVec(self.eta.values().len())
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::RealVec(self.eta.full()))
    }
    fn variance(&self) -> Option<Value<S>> {
        Some(Value::RealVec(DVector::from_element(
            self.eta.values().len(),
            self.scale * self.scale,
        )))
    }
}

impl<S: Scalar> IntoDist<S> for BernoulliGlm<S> {
    type Dist = Self;
    fn into_dist(self) -> Result<Self, DistError> {
        Ok(self)
    }
}

impl<S: Scalar> IntoDist<S> for NormalGlm<S> {
    type Dist = Self;
    fn into_dist(self) -> Result<Self, DistError> {
        Ok(self)
    }
}
