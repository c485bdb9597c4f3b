//! Vector-valued distributions, and the point mass.

use super::{
    Distribution, LN_SQRT_2PI, check_finite, check_positive,
    continuous::{BELOW_ONE, gamma_draw_ln, normalise_ln},
    neg_inf,
};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, standard_gamma_grad_f64};
use crate::value::{Value, ValueKind};
use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::{Distribution as _, StandardNormal};

/// The Dirichlet distribution on the probability simplex, with a vector of positive
/// `concentration`s as Pyro's and NumPyro's `Dirichlet(concentration)`.
///
/// Draws are reparameterised: `xᵢ = gᵢ / Σⱼ gⱼ` with `gᵢ ~ Gamma(αᵢ, 1)` carrying their
/// implicit reparameterisation gradients (see [`Gamma`](super::Gamma)), so
/// `∂xᵢ/∂αⱼ = (∂gⱼ/∂αⱼ)(δᵢⱼ − xᵢ) / Σₖ gₖ` and SVI takes the pathwise gradient for
/// Dirichlet guide sites.
#[derive(Clone, Debug)]
pub struct Dirichlet<S: Scalar = f64> {
    concentration: DVector<Real<S>>,
}

impl<S: Scalar> Dirichlet<S> {
    /// Every concentration positive; at least one entry.
    pub fn new(concentration: DVector<Real<S>>) -> Result<Self, DistError> {
        if concentration.is_empty() {
            return Err(DistError::Empty {
                param: "concentration",
            });
        }
        for &a in concentration.iter() {
            check_positive("concentration", a)?;
        }
        Ok(Dirichlet { concentration })
    }
    /// From plain `f64` concentrations.
    pub fn from_f64(concentration: &[f64]) -> Result<Self, DistError> {
        Self::new(DVector::from_iterator(
            concentration.len(),
            concentration.iter().map(|&a| Real::new(a)),
        ))
    }
    fn total(&self) -> Real<S> {
        self.concentration.iter().sum()
    }
}

impl<S: Scalar> Distribution<S> for Dirichlet<S> {
    type Value = DVector<Real<S>>;
    fn name(&self) -> &'static str {
        "Dirichlet"
    }
    fn sample(&self, rng: &mut dyn Rng) -> DVector<Real<S>> {
        let (g, ln_g): (Vec<f64>, Vec<f64>) = self
            .concentration
            .iter()
            .map(|a| gamma_draw_ln(rng, a.value()))
            .unzip();
        let total: f64 = g.iter().sum();
        if !(total.is_finite()
            && g.iter()
                .all(|&gi| gi >= f64::MIN_POSITIVE && gi / total <= BELOW_ONE))
        {
            // Tiny concentrations: a draw underflows, or a ratio rounds to 1. Normalise in
            // log space and keep every component inside (0, 1); such draws carry no
            // derivative.
            let (x, _) = normalise_ln(&ln_g);
            return DVector::from_iterator(x.len(), x.into_iter().map(Real::new));
        }
        if S::DIRECTIONS == 0 {
            return DVector::from_iterator(g.len(), g.iter().map(|&x| Real::new(x / total)));
        }
        // ∂gⱼ/∂αⱼ / Σg, shared by every component's partials.
        let dg: Vec<f64> = self
            .concentration
            .iter()
            .zip(&g)
            .map(|(a, &gj)| standard_gamma_grad_f64(a.value(), gj) / total)
            .collect();
        let inputs: Vec<S> = self.concentration.iter().map(|a| a.0).collect();
        let mut partials = vec![0.0; g.len()];
        DVector::from_iterator(
            g.len(),
            g.iter().enumerate().map(|(i, &gi)| {
                let xi = gi / total;
                for (j, p) in partials.iter_mut().enumerate() {
                    *p = dg[j] * (f64::from(u8::from(i == j)) - xi);
                }
                Real(S::fused(xi, &inputs, &partials))
            }),
        )
    }
    fn log_prob(&self, x: &DVector<Real<S>>) -> Real<S> {
        let sum: f64 = x.iter().map(|v| v.value()).sum();
        if x.len() != self.concentration.len()
            || x.iter().any(|&v| v <= 0.0)
            || (sum - 1.0).abs() > 1e-6
        {
            return neg_inf();
        }
        let mut lp = self.total().ln_gamma();
        for (&a, &xi) in self.concentration.iter().zip(x.iter()) {
            lp += (a - 1.0) * xi.ln() - a.ln_gamma();
        }
        lp
    }
    fn support(&self) -> Constraint {
        Constraint::Simplex
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::RealVec(self.concentration.len())
    }
    fn mean(&self) -> Option<Value<S>> {
        let t = self.total();
        Some(Value::RealVec(self.concentration.map(|a| a / t)))
    }
    fn variance(&self) -> Option<Value<S>> {
        let t = self.total();
        Some(Value::RealVec(
            self.concentration
                .map(|a| a * (t - a) / (t * t * (t + 1.0))),
        ))
    }
}

/// The multivariate normal distribution, parameterised by its mean and the lower Cholesky
/// factor `L` of its covariance `Σ = L Lᵀ`.
#[derive(Clone, Debug)]
pub struct MultivariateNormal<S: Scalar = f64> {
    loc: DVector<Real<S>>,
    scale_tril: DMatrix<Real<S>>,
}

impl<S: Scalar> MultivariateNormal<S> {
    /// `scale_tril` square, lower triangular, with a positive diagonal, and as wide as `loc`.
    pub fn new(loc: DVector<Real<S>>, scale_tril: DMatrix<Real<S>>) -> Result<Self, DistError> {
        let d = loc.len();
        if d == 0 {
            return Err(DistError::Empty { param: "loc" });
        }
        if scale_tril.nrows() != d || scale_tril.ncols() != d {
            return Err(DistError::Shape {
                what: "scale_tril must be square and as wide as loc",
                detail: format!(
                    "loc has {d} entries, scale_tril is {}x{}",
                    scale_tril.nrows(),
                    scale_tril.ncols()
                ),
            });
        }
        for &m in loc.iter() {
            check_finite("loc", m)?;
        }
        for i in 0..d {
            let lii = scale_tril[(i, i)].value();
            if lii.is_nan() || lii <= 0.0 {
                return Err(DistError::NotPositiveDefinite(format!(
                    "scale_tril diagonal entry ({i}, {i}) must be positive, got {}",
                    scale_tril[(i, i)].value()
                )));
            }
            for j in i + 1..d {
                if scale_tril[(i, j)].value() != 0.0 {
                    return Err(DistError::NotPositiveDefinite(format!(
                        "scale_tril must be lower triangular, entry ({i}, {j}) is {}",
                        scale_tril[(i, j)].value()
                    )));
                }
            }
        }
        Ok(MultivariateNormal { loc, scale_tril })
    }

    /// From a covariance matrix, which must be symmetric positive definite.
    pub fn from_covariance(
        loc: DVector<Real<S>>,
        covariance: &DMatrix<Real<S>>,
    ) -> Result<Self, DistError> {
        let l = cholesky(covariance)?;
        Self::new(loc, l)
    }

    /// `N(0, I)` in `d` dimensions.
    pub fn standard(d: usize) -> Self {
        MultivariateNormal {
            loc: DVector::from_element(d, Real::new(0.0)),
            scale_tril: DMatrix::identity(d, d),
        }
    }

    /// The mean.
    pub fn loc(&self) -> &DVector<Real<S>> {
        &self.loc
    }

    /// The Cholesky factor of the covariance.
    pub fn scale_tril(&self) -> &DMatrix<Real<S>> {
        &self.scale_tril
    }
}

/// The lower Cholesky factor of a symmetric positive definite matrix, differentiable in its
/// entries.
pub fn cholesky<S: Scalar>(a: &DMatrix<Real<S>>) -> Result<DMatrix<Real<S>>, DistError> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(DistError::Shape {
            what: "covariance must be square",
            detail: format!("{}x{}", n, a.ncols()),
        });
    }
    let mut l = DMatrix::from_element(n, n, Real::new(0.0));
    for j in 0..n {
        for i in j + 1..n {
            if (a[(i, j)].value() - a[(j, i)].value()).abs()
                > 1e-9 * (1.0 + a[(i, j)].value().abs())
            {
                return Err(DistError::NotPositiveDefinite(format!(
                    "covariance is not symmetric at ({i}, {j})"
                )));
            }
        }
        let mut d = a[(j, j)];
        for k in 0..j {
            d -= l[(j, k)] * l[(j, k)];
        }
        if d.is_nan() || d.value() <= 0.0 {
            return Err(DistError::NotPositiveDefinite(format!(
                "covariance is not positive definite (pivot {j} is {})",
                d.value()
            )));
        }
        let djj = d.sqrt();
        l[(j, j)] = djj;
        for i in j + 1..n {
            let mut s = a[(i, j)];
            for k in 0..j {
                s -= l[(i, k)] * l[(j, k)];
            }
            l[(i, j)] = s / djj;
        }
    }
    Ok(l)
}

impl<S: Scalar> Distribution<S> for MultivariateNormal<S> {
    type Value = DVector<Real<S>>;
    fn name(&self) -> &'static str {
        "MultivariateNormal"
    }
    fn sample(&self, rng: &mut dyn Rng) -> DVector<Real<S>> {
        let d = self.loc.len();
        let eps: Vec<f64> = (0..d).map(|_| StandardNormal.sample(rng)).collect();
        DVector::from_fn(d, |i, _| {
            let mut x = self.loc[i];
            for (j, &e) in eps.iter().enumerate().take(i + 1) {
                x += self.scale_tril[(i, j)] * e;
            }
            x
        })
    }
    fn log_prob(&self, x: &DVector<Real<S>>) -> Real<S> {
        let d = self.loc.len();
        if x.len() != d {
            return neg_inf();
        }
        // In f64: forward substitution L z = x − μ, back substitution Lᵀ w = z. Then
        // ∂/∂x = −w, ∂/∂μ = w, ∂/∂Lᵢⱼ = wᵢ zⱼ − δᵢⱼ / Lᵢᵢ (i ≥ j): one fused node.
        let l = |i: usize, j: usize| self.scale_tril[(i, j)].value();
        let mut z = vec![0.0; d];
        for i in 0..d {
            let r = (0..i).fold(x[i].value() - self.loc[i].value(), |r, j| {
                r - l(i, j) * z[j]
            });
            z[i] = r / l(i, i);
        }
        let mut w = vec![0.0; d];
        for i in (0..d).rev() {
            let r = (i + 1..d).fold(z[i], |r, j| r - l(j, i) * w[j]);
            w[i] = r / l(i, i);
        }
        let quad: f64 = z.iter().map(|v| v * v).sum();
        let log_det: f64 = (0..d).map(|i| l(i, i).ln()).sum();
        let value = -0.5 * quad - log_det - LN_SQRT_2PI * d as f64;
        let vectors = (0..d).flat_map(|i| [(x[i].0, -w[i]), (self.loc[i].0, w[i])]);
        let tril = (0..d).flat_map(|i| {
            let (w, z) = (&w, &z);
            (0..=i).map(move |j| {
                let diag = if i == j { 1.0 / l(i, i) } else { 0.0 };
                (self.scale_tril[(i, j)].0, w[i] * z[j] - diag)
            })
        });
        Real(S::fused_terms(value, vectors.chain(tril)))
    }
    fn support(&self) -> Constraint {
        Constraint::Real
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::RealVec(self.loc.len())
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::RealVec(self.loc.clone()))
    }
    fn variance(&self) -> Option<Value<S>> {
        let d = self.loc.len();
        Some(Value::RealVec(DVector::from_fn(d, |i, _| {
            (0..=i)
                .map(|j| self.scale_tril[(i, j)] * self.scale_tril[(i, j)])
                .sum()
        })))
    }
}

/// A point mass at a real value: `log_prob` is 0 there and `−∞` elsewhere. Its draw is the
/// value itself, derivatives included.
#[derive(Clone, Copy, Debug)]
pub struct Delta<S: Scalar = f64> {
    value: Real<S>,
}

impl<S: Scalar> Delta<S> {
    /// A point mass at a finite `value`.
    pub fn new(value: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(Delta {
            value: check_finite("value", value.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for Delta<S> {
    type Value = Real<S>;
    fn name(&self) -> &'static str {
        "Delta"
    }
    fn sample(&self, _rng: &mut dyn Rng) -> Real<S> {
        self.value
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        if x.value() == self.value.value() {
            Real::new(0.0)
        } else {
            neg_inf()
        }
    }
    fn support(&self) -> Constraint {
        Constraint::Real
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Real
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        Some(Value::Real(self.value))
    }
    fn variance(&self) -> Option<Value<S>> {
        Some(Value::Real(Real::new(0.0)))
    }
}

crate::impl_into_dist!(Delta);

/// A site that contributes a given log-density term (Pyro's and NumPyro's `factor`): its value
/// is always 0 and its `log_prob` is the factor, whatever the value.
#[derive(Clone, Copy, Debug)]
pub struct Factor<S: Scalar = f64> {
    log_factor: Real<S>,
}

impl<S: Scalar> Factor<S> {
    /// A term of `log_factor` in the log-joint.
    pub fn new(log_factor: impl Into<Real<S>>) -> Self {
        Factor {
            log_factor: log_factor.into(),
        }
    }
}

impl<S: Scalar> Distribution<S> for Factor<S> {
    type Value = Real<S>;
    fn name(&self) -> &'static str {
        "Factor"
    }
    fn sample(&self, _rng: &mut dyn Rng) -> Real<S> {
        Real::new(0.0)
    }
    fn log_prob(&self, _x: &Real<S>) -> Real<S> {
        self.log_factor
    }
    fn support(&self) -> Constraint {
        Constraint::Real
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Real
    }
    fn mean(&self) -> Option<Value<S>> {
        None
    }
    fn variance(&self) -> Option<Value<S>> {
        None
    }
}

crate::impl_into_dist!(Factor);
