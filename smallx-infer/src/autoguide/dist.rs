//! The distributions autoguides put on latent sites: a normal in unconstrained space mapped
//! onto the site's support, and a point mass.

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::{Distribution as _, StandardNormal};
use smallx_core::dist::{Distribution, IntoDist};
use smallx_core::{Constraint, DistError, Real, Scalar, Value, ValueKind};

fn standard_normal(rng: &mut dyn Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// How the unconstrained normal is spread.
#[derive(Clone, Debug)]
pub enum NormalScale<S: Scalar> {
    /// Independent coordinates with these standard deviations.
    Diagonal(DVector<Real<S>>),
    /// A lower Cholesky factor of the covariance.
    Cholesky(DMatrix<Real<S>>),
}

/// `x = T(u)`, `u ~ N(loc, Σ)`, where `T` is the bijection of `support` onto values of `kind`.
/// `log_prob(x) = log N(T⁻¹(x)) − ln |det J_T(T⁻¹(x))|`.
#[derive(Clone, Debug)]
pub struct TransformedNormal<S: Scalar> {
    loc: DVector<Real<S>>,
    scale: NormalScale<S>,
    support: Constraint,
    kind: ValueKind,
}

impl<S: Scalar> TransformedNormal<S> {
    /// A normal over the unconstrained coordinates of a value of `kind` in `support`; `loc`
    /// must be finite and the scales (a Cholesky factor's diagonal) positive and finite.
    pub fn new(
        loc: DVector<Real<S>>,
        scale: NormalScale<S>,
        support: Constraint,
        kind: ValueKind,
    ) -> Result<Self, DistError> {
        let d = support
            .unconstrained_len(kind)
            .map_err(|e| DistError::Shape {
                what: "support",
                detail: e.to_string(),
            })?;
        let scale_len = match &scale {
            NormalScale::Diagonal(s) => s.len(),
            NormalScale::Cholesky(l) => l.nrows(),
        };
        if loc.len() != d || scale_len != d {
            return Err(DistError::Shape {
                what: "loc and scale must have one entry per unconstrained coordinate",
                detail: format!(
                    "{kind} in {support} has {d}, loc has {}, scale {scale_len}",
                    loc.len()
                ),
            });
        }
        if let Some(x) = loc.iter().map(|x| x.value()).find(|x| !x.is_finite()) {
            return Err(DistError::NotFinite {
                param: "loc",
                value: x,
            });
        }
        // Standard deviations (a Cholesky factor's diagonal) must be positive and finite; a
        // scale that underflowed to 0 would give NaN log-densities.
        let diagonal: Vec<f64> = match &scale {
            NormalScale::Diagonal(s) => s.iter().map(|x| x.value()).collect(),
            NormalScale::Cholesky(l) => (0..l.nrows()).map(|i| l[(i, i)].value()).collect(),
        };
        if let Some(&x) = diagonal.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
            return Err(DistError::NotPositive {
                param: "scale",
                value: x,
            });
        }
        Ok(TransformedNormal {
            loc,
            scale,
            support,
            kind,
        })
    }
    /// The unconstrained mean.
    pub fn loc(&self) -> &DVector<Real<S>> {
        &self.loc
    }
    /// The unconstrained spread.
    pub fn scale(&self) -> &NormalScale<S> {
        &self.scale
    }
    /// The standard deviation of each unconstrained coordinate.
    pub fn marginal_sd(&self) -> Vec<Real<S>> {
        match &self.scale {
            NormalScale::Diagonal(s) => s.iter().copied().collect(),
            NormalScale::Cholesky(l) => (0..l.nrows())
                .map(|i| {
                    (0..=i)
                        .map(|j| l[(i, j)] * l[(i, j)])
                        .sum::<Real<S>>()
                        .sqrt()
                })
                .collect(),
        }
    }
    fn unconstrained_log_prob(&self, u: &[Real<S>]) -> Real<S> {
        let d = u.len();
        let mut lp = Real::new(-0.918_938_533_204_672_8 * d as f64);
        match &self.scale {
            NormalScale::Diagonal(s) => {
                // One fused node over every coordinate: with zᵢ = (uᵢ − μᵢ)/σᵢ,
                // ∂/∂uᵢ = −zᵢ/σᵢ, ∂/∂μᵢ = zᵢ/σᵢ, ∂/∂σᵢ = (zᵢ² − 1)/σᵢ.
                let z = |i: usize| (u[i].value() - self.loc[i].value()) / s[i].value();
                let value = (0..d)
                    .map(|i| -0.5 * z(i) * z(i) - s[i].value().ln())
                    .sum::<f64>();
                let terms = (0..d).flat_map(|i| {
                    let (zi, inv) = (z(i), 1.0 / s[i].value());
                    [
                        (u[i].0, -zi * inv),
                        (self.loc[i].0, zi * inv),
                        (s[i].0, (zi * zi - 1.0) * inv),
                    ]
                });
                lp += Real(S::fused_terms(value, terms));
            }
            NormalScale::Cholesky(l) => {
                let mut z: Vec<Real<S>> = Vec::with_capacity(d);
                for i in 0..d {
                    let mut r = u[i] - self.loc[i];
                    for (j, &zj) in z.iter().enumerate() {
                        r -= l[(i, j)] * zj;
                    }
                    let zi = r / l[(i, i)];
                    lp -= 0.5 * zi * zi + l[(i, i)].ln();
                    z.push(zi);
                }
            }
        }
        lp
    }
}

impl<S: Scalar> Distribution<S> for TransformedNormal<S> {
    type Value = Value<S>;
    fn name(&self) -> &'static str {
        "TransformedNormal"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Value<S> {
        let d = self.loc.len();
        let eps: Vec<f64> = (0..d).map(|_| standard_normal(rng)).collect();
        let u: Vec<Real<S>> = match &self.scale {
            NormalScale::Diagonal(s) => (0..d)
                .map(|i| {
                    let value = self.loc[i].value() + s[i].value() * eps[i];
                    Real(S::fused(value, &[self.loc[i].0, s[i].0], &[1.0, eps[i]]))
                })
                .collect(),
            NormalScale::Cholesky(l) => (0..d)
                .map(|i| self.loc[i] + (0..=i).map(|j| l[(i, j)] * eps[j]).sum::<Real<S>>())
                .collect(),
        };
        // The shape was validated by the constructor, so the bijection applies.
        self.support
            .forward(&u, self.kind)
            .map_or(Value::Real(Real::new(f64::NAN)), |(x, _)| x)
    }
    fn log_prob(&self, x: &Value<S>) -> Real<S> {
        let Ok(u) = self.support.inverse_generic(x) else {
            return Real::new(f64::NEG_INFINITY);
        };
        match self.support.forward(&u, self.kind) {
            Ok((_, log_det)) => self.unconstrained_log_prob(&u) - log_det,
            Err(_) => Real::new(f64::NEG_INFINITY),
        }
    }
    fn support(&self) -> Constraint {
        self.support
    }
    fn value_kind(&self) -> ValueKind {
        self.kind
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        (self.support == Constraint::Real && self.kind == ValueKind::Real)
            .then(|| Value::Real(self.loc[0]))
    }
    fn variance(&self) -> Option<Value<S>> {
        (self.support == Constraint::Real && self.kind == ValueKind::Real).then(|| {
            let sd = self.marginal_sd()[0];
            Value::Real(sd * sd)
        })
    }
}

impl<S: Scalar> IntoDist<S> for TransformedNormal<S> {
    type Dist = Self;
    fn into_dist(self) -> Result<Self, DistError> {
        Ok(self)
    }
}

/// A point mass at a value of any kind: `log_prob` is 0 there and `−∞` elsewhere.
#[derive(Clone, Debug)]
pub struct PointMass<S: Scalar> {
    value: Value<S>,
    support: Constraint,
}

impl<S: Scalar> PointMass<S> {
    /// A point mass at `value`, reported as living in `support`.
    pub fn new(value: Value<S>, support: Constraint) -> Self {
        PointMass { value, support }
    }
}

impl<S: Scalar> Distribution<S> for PointMass<S> {
    type Value = Value<S>;
    fn name(&self) -> &'static str {
        "PointMass"
    }
    fn sample(&self, _rng: &mut dyn Rng) -> Value<S> {
        self.value.clone()
    }
    fn log_prob(&self, x: &Value<S>) -> Real<S> {
        Real::new(if x.detach() == self.value.detach() {
            0.0
        } else {
            f64::NEG_INFINITY
        })
    }
    fn support(&self) -> Constraint {
        self.support
    }
    fn value_kind(&self) -> ValueKind {
        self.value.kind()
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(self.value.clone())
    }
    fn variance(&self) -> Option<Value<S>> {
        None
    }
}

impl<S: Scalar> IntoDist<S> for PointMass<S> {
    type Dist = Self;
    fn into_dist(self) -> Result<Self, DistError> {
        Ok(self)
    }
}
