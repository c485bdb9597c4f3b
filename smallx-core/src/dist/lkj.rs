//! The LKJ prior on correlation matrices, through their Cholesky factors.

use super::{Distribution, check_positive, continuous::gamma_draw, neg_inf};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, digamma_f64};
use crate::value::{Value, ValueKind};
use nalgebra::DMatrix;
use rand::Rng;
use rand_distr::{Distribution as _, StandardNormal};

/// The LKJ distribution (Lewandowski, Kurowicka and Joe 2009) over the lower Cholesky factor
/// `L` of a `dim × dim` correlation matrix `R = L Lᵀ`, with density proportional to
/// `det(R)^(η − 1)` in `R` (NumPyro's `LKJCholesky(dimension, concentration)`).
///
/// `η = 1` is uniform over correlation matrices; `η > 1` favours the identity, `η < 1`
/// strong correlations. Each off-diagonal correlation has the marginal
/// `2·Beta(η − 1 + d/2, η − 1 + d/2) − 1`, so mean 0 and variance `1/(2η + d − 1)`.
///
/// [`log_prob`](Distribution::log_prob) is a density over the strictly lower entries of `L`
/// (the coordinates of [`Constraint::CorrCholesky`]): `Σᵢ (d − i − 1 + 2(η − 1)) ln Lᵢᵢ` (rows
/// `i = 0..d` counted from zero) minus its log-normaliser. Draws use the onion construction:
/// row `i` is `√t·v` with `t ~ Beta(i/2, η + (d − 1 − i)/2)` and `v` uniform on the unit
/// sphere, and `Lᵢᵢ = √(1 − t)`; they are not reparameterised.
///
/// A covariance prior without a Wishart: scales times a correlation, the multivariate normal's
/// `scale_tril` being `diag(σ)·L`. In a model:
/// `let l: DMatrix<Real> = sample!("l_omega", LkjCholesky::new(3, 2.0));`, scales
/// `let sigma: DVector<Real> = sample!("sigma", HalfCauchy::new(2.5).iid(3));`, then
/// `MultivariateNormal::new(loc, DMatrix::from_diagonal(&sigma) * l)`. The same with plain
/// calls:
///
/// ```
/// use smallx_core::dist::{Distribution, LkjCholesky, MultivariateNormal};
/// use smallx_core::Real;
/// use nalgebra::{DMatrix, DVector};
/// use rand::{SeedableRng, rngs::SmallRng};
///
/// let lkj = LkjCholesky::<f64>::new(3, 2.0).unwrap();
/// let l = lkj.sample(&mut SmallRng::seed_from_u64(0));
/// assert!(lkj.log_prob(&l).value().is_finite());
/// let sigma = DVector::from_vec(vec![Real(1.0), Real(0.5), Real(2.0)]);
/// let scale_tril = DMatrix::from_diagonal(&sigma) * &l;
/// // The covariance diag(σ)·R·diag(σ) has the variances σ²: R has a unit diagonal.
/// let cov = &scale_tril * scale_tril.transpose();
/// assert!((cov[(2, 2)].value() - 4.0).abs() < 1e-12);
/// let mvn = MultivariateNormal::new(DVector::from_element(3, Real(0.0)), scale_tril).unwrap();
/// assert!(mvn.log_prob(&DVector::from_element(3, Real(0.1))).value().is_finite());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LkjCholesky<S: Scalar = f64> {
    dim: usize,
    concentration: Real<S>,
}

impl<S: Scalar> LkjCholesky<S> {
    /// `dim ≥ 2`, `concentration > 0` and finite.
    pub fn new(dim: usize, concentration: impl Into<Real<S>>) -> Result<Self, DistError> {
        if dim < 2 {
            return Err(DistError::OutOfRange {
                param: "dim",
                range: "2, 3, …",
                value: dim as f64,
            });
        }
        Ok(LkjCholesky {
            dim,
            concentration: check_positive("concentration", concentration.into())?,
        })
    }
    /// The dimension `d` of the correlation matrix.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// The concentration η.
    pub fn concentration(&self) -> Real<S> {
        self.concentration
    }
    /// `b_i = η + (d − 1 − i)/2`: row `i`'s squared length is `Beta(i/2, b_i)`.
    fn b(&self, eta: f64, i: usize) -> f64 {
        eta + 0.5 * (self.dim - 1 - i) as f64
    }
}

/// Is `l` (to 1e-6) the Cholesky factor of a correlation matrix?
fn is_corr_cholesky<S: Scalar>(l: &DMatrix<Real<S>>) -> bool {
    let n = l.nrows();
    (0..n).all(|i| {
        let norm: f64 = (0..=i).map(|j| l[(i, j)].value().powi(2)).sum();
        l[(i, i)].value() > 0.0
            && (norm - 1.0).abs() <= 1e-6
            && (i + 1..n).all(|j| l[(i, j)].value() == 0.0)
    })
}

impl<S: Scalar> Distribution<S> for LkjCholesky<S> {
    type Value = DMatrix<Real<S>>;
    fn name(&self) -> &'static str {
        "LkjCholesky"
    }
    fn sample(&self, rng: &mut dyn Rng) -> DMatrix<Real<S>> {
        let d = self.dim;
        let eta = self.concentration.value();
        let mut l = DMatrix::from_element(d, d, Real::new(0.0));
        l[(0, 0)] = Real::new(1.0);
        for i in 1..d {
            // t = g1/(g1 + g2) ~ Beta(i/2, b_i), and 1 − t = g2/(g1 + g2) without cancellation.
            let g1 = gamma_draw(rng, 0.5 * i as f64);
            let g2 = gamma_draw(rng, self.b(eta, i));
            let t = g1 / (g1 + g2);
            let v: Vec<f64> = (0..i).map(|_| StandardNormal.sample(rng)).collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            for (j, vj) in v.iter().enumerate() {
                l[(i, j)] = Real::new(t.sqrt() * vj / norm);
            }
            l[(i, i)] = Real::new((g2 / (g1 + g2)).sqrt());
        }
        l
    }
    fn log_prob(&self, x: &DMatrix<Real<S>>) -> Real<S> {
        let d = self.dim;
        if x.nrows() != d || x.ncols() != d || !is_corr_cholesky(x) {
            return neg_inf();
        }
        let eta = self.concentration.value();
        // Rows are independent: row i (i ≥ 1) is a point w of the i-dimensional unit ball with
        // density ∝ (1 − |w|²)^(b_i − 1) = L_ii^(2(b_i − 1)), whose normaliser is
        // π^(i/2) Γ(b_i)/Γ(b_i + i/2).
        let mut value = 0.0;
        let mut deta = 0.0;
        let mut terms = Vec::with_capacity(d);
        for i in 1..d {
            let b = self.b(eta, i);
            let half = 0.5 * i as f64;
            let order = 2.0 * (b - 1.0);
            let lii = x[(i, i)].value();
            let ln_lii = lii.ln();
            let ln_gamma = statrs::function::gamma::ln_gamma;
            value += order * ln_lii - half * std::f64::consts::PI.ln() - ln_gamma(b)
                + ln_gamma(b + half);
            deta += 2.0 * ln_lii - digamma_f64(b) + digamma_f64(b + half);
            terms.push((x[(i, i)].0, order / lii));
        }
        terms.push((self.concentration.0, deta));
        Real(S::fused_terms(value, terms))
    }
    fn support(&self) -> Constraint {
        Constraint::CorrCholesky
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Matrix(self.dim, self.dim)
    }
    /// None: the mean of a Cholesky factor is not what users ask for (the mean correlation
    /// matrix is the identity).
    fn mean(&self) -> Option<Value<S>> {
        None
    }
    /// None, as for the mean.
    fn variance(&self) -> Option<Value<S>> {
        None
    }
}
