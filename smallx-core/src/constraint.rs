//! Constraints (the supports of distributions and the ranges of parameters) and the bijections
//! that map unconstrained real vectors onto them.
//!
//! A constrained quantity is stored and optimised as an unconstrained vector `u`; the
//! constrained value is `forward(u)`, and `ln |det ∂forward/∂u|` is returned with it so that
//! densities can be moved between the two spaces.
//!
//! ```
//! use smallx_core::{Constraint, Value, ValueKind, Real};
//! let c = Constraint::interval(0.0, 2.0);
//! let u = c.inverse(&Value::Real(Real(0.5))).unwrap();
//! let (x, _log_det) = c.forward::<f64>(&[Real(u[0])], ValueKind::Real).unwrap();
//! assert!((x.as_f64().unwrap() - 0.5).abs() < 1e-12);
//! ```

use crate::error::{Error, Result};
use crate::scalar::{Real, Scalar};
use crate::value::{Value, ValueKind};
use nalgebra::{DMatrix, DVector};
use std::fmt;

/// Where a value lives.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Constraint {
    /// The whole real line (elementwise for vectors).
    Real,
    /// `x > 0`, via `exp`.
    Positive,
    /// `x > a`, via `a + exp(u)`.
    GreaterThan(f64),
    /// `x < b`, via `b − exp(u)`.
    LessThan(f64),
    /// `a < x < b`, via `a + (b − a)·σ(u)`.
    Interval(f64, f64),
    /// Non-negative vectors summing to one, via stick breaking (`K − 1` unconstrained
    /// coordinates for `K` entries).
    Simplex,
    /// Lower-triangular matrices with a positive diagonal (Cholesky factors), via `exp` on the
    /// diagonal (`n(n + 1)/2` unconstrained coordinates).
    LowerCholesky,
    /// Cholesky factors of correlation matrices: lower triangular, positive diagonal, every
    /// row of unit length (NumPyro's `corr_cholesky`). Reached from `n(n − 1)/2` unconstrained
    /// coordinates by `tanh` onto partial correlations `zᵢⱼ ∈ (−1, 1)` (taken row by row, left
    /// to right), then stick breaking within each row: `Lᵢⱼ = zᵢⱼ·√(1 − Σₖ₍ⱼ Lᵢₖ²)`,
    /// `Lᵢᵢ = √(1 − Σₖ₍ᵢ Lᵢₖ²)` (NumPyro's `CorrCholeskyTransform`). Its log-Jacobian is with
    /// respect to the strictly lower entries, the coordinates the LKJ density is written in.
    CorrCholesky,
    /// `true` or `false`.
    Boolean,
    /// `0, 1, 2, …`.
    NonNegativeInteger,
    /// The integers `low..=high`.
    IntegerInterval(i64, i64),
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::Real => write!(f, "real"),
            Constraint::Positive => write!(f, "positive"),
            Constraint::GreaterThan(a) => write!(f, "greater_than({a})"),
            Constraint::LessThan(b) => write!(f, "less_than({b})"),
            Constraint::Interval(a, b) => write!(f, "interval({a}, {b})"),
            Constraint::Simplex => write!(f, "simplex"),
            Constraint::LowerCholesky => write!(f, "lower_cholesky"),
            Constraint::CorrCholesky => write!(f, "corr_cholesky"),
            Constraint::Boolean => write!(f, "boolean"),
            Constraint::NonNegativeInteger => write!(f, "nonnegative_integer"),
            Constraint::IntegerInterval(a, b) => write!(f, "integer_interval({a}, {b})"),
        }
    }
}

impl Constraint {
    /// The open interval `(low, high)`.
    pub fn interval(low: f64, high: f64) -> Self {
        Constraint::Interval(low, high)
    }
    /// The open unit interval `(0, 1)`.
    pub fn unit_interval() -> Self {
        Constraint::Interval(0.0, 1.0)
    }
    /// `x > a`.
    pub fn greater_than(a: f64) -> Self {
        Constraint::GreaterThan(a)
    }
    /// `x < b`.
    pub fn less_than(b: f64) -> Self {
        Constraint::LessThan(b)
    }

    /// True for the supports of discrete distributions, which have no bijection.
    pub fn is_discrete(&self) -> bool {
        matches!(
            self,
            Constraint::Boolean | Constraint::NonNegativeInteger | Constraint::IntegerInterval(..)
        )
    }

    /// Does a single real number satisfy this (elementwise) constraint?
    pub fn contains(&self, x: f64) -> bool {
        match *self {
            Constraint::Real => x.is_finite(),
            Constraint::Positive => x > 0.0 && x.is_finite(),
            Constraint::GreaterThan(a) => x > a && x.is_finite(),
            Constraint::LessThan(b) => x < b && x.is_finite(),
            Constraint::Interval(a, b) => x > a && x < b,
            Constraint::Boolean => x == 0.0 || x == 1.0,
            Constraint::NonNegativeInteger => x >= 0.0 && x.fract() == 0.0,
            Constraint::IntegerInterval(a, b) => x >= a as f64 && x <= b as f64 && x.fract() == 0.0,
            Constraint::Simplex | Constraint::LowerCholesky | Constraint::CorrCholesky => false,
        }
    }

    fn error(&self, detail: impl Into<String>) -> Error {
        Error::Constraint {
            constraint: self.to_string(),
            detail: detail.into(),
        }
    }

    /// How many unconstrained coordinates a value of `kind` needs.
    pub fn unconstrained_len(&self, kind: ValueKind) -> Result<usize> {
        match (self, kind) {
            (c, _) if c.is_discrete() => Err(c.error("a discrete support has no bijection")),
            (Constraint::Simplex, ValueKind::RealVec(n)) if n >= 1 => Ok(n - 1),
            (Constraint::LowerCholesky, ValueKind::Matrix(r, c)) if r == c => Ok(r * (r + 1) / 2),
            (Constraint::CorrCholesky, ValueKind::Matrix(r, c)) if r == c && r >= 1 => {
                Ok(r * (r - 1) / 2)
            }
            (Constraint::Simplex | Constraint::LowerCholesky | Constraint::CorrCholesky, k) => {
                Err(self.error(format!("cannot hold {k}")))
            }
            (_, ValueKind::Real) => Ok(1),
            (_, ValueKind::RealVec(n)) => Ok(n),
            (_, ValueKind::Matrix(r, c)) => Ok(r * c),
            (_, k) => Err(self.error(format!("cannot hold {k}"))),
        }
    }

    /// Map the unconstrained coordinates `u` to a constrained value of `kind`, and return
    /// `ln |det J|` of the map.
    pub fn forward<S: Scalar>(
        &self,
        u: &[Real<S>],
        kind: ValueKind,
    ) -> Result<(Value<S>, Real<S>)> {
        let need = self.unconstrained_len(kind)?;
        if u.len() != need {
            return Err(self.error(format!(
                "{kind} needs {need} unconstrained coordinates, got {}",
                u.len()
            )));
        }
        match (self, kind) {
            (Constraint::Simplex, ValueKind::RealVec(n)) => Ok(stick_breaking(u, n)),
            (Constraint::LowerCholesky, ValueKind::Matrix(n, _)) => Ok(cholesky_forward(u, n)),
            (Constraint::CorrCholesky, ValueKind::Matrix(n, _)) => Ok(corr_cholesky_forward(u, n)),
            (_, ValueKind::Real) => {
                let (x, ladj) = self.forward_scalar(u[0]);
                Ok((Value::Real(x), ladj))
            }
            (_, ValueKind::RealVec(_)) => {
                let (xs, ladj) = self.forward_elementwise(u);
                Ok((Value::RealVec(DVector::from_vec(xs)), ladj))
            }
            (_, ValueKind::Matrix(r, c)) => {
                let (xs, ladj) = self.forward_elementwise(u);
                Ok((Value::Matrix(DMatrix::from_vec(r, c, xs)), ladj))
            }
            (_, k) => Err(self.error(format!("cannot hold {k}"))),
        }
    }

    /// The elementwise bijection of every coordinate, with the summed `ln |dx/du|`.
    fn forward_elementwise<S: Scalar>(&self, u: &[Real<S>]) -> (Vec<Real<S>>, Real<S>) {
        let mut ladj = Real::new(0.0);
        let xs = u
            .iter()
            .map(|&ui| {
                let (x, l) = self.forward_scalar(ui);
                ladj += l;
                x
            })
            .collect();
        (xs, ladj)
    }

    /// The elementwise bijection for one coordinate: `(x, ln |dx/du|)`.
    pub fn forward_scalar<S: Scalar>(&self, u: Real<S>) -> (Real<S>, Real<S>) {
        match *self {
            Constraint::Positive => (u.exp(), u),
            Constraint::GreaterThan(a) => (u.exp() + a, u),
            Constraint::LessThan(b) => (b - u.exp(), u),
            Constraint::Interval(a, b) => {
                let w = b - a;
                (
                    a + w * u.sigmoid(),
                    w.ln() + u.log_sigmoid() + (-u).log_sigmoid(),
                )
            }
            _ => (u, Real::new(0.0)),
        }
    }

    /// The unconstrained coordinates of a constrained value (the inverse of
    /// [`forward`](Constraint::forward)).
    pub fn inverse(&self, value: &Value<f64>) -> Result<Vec<f64>> {
        let kind = value.kind();
        self.unconstrained_len(kind)?;
        let xs = value
            .real_values()
            .ok_or_else(|| self.error(format!("cannot hold {kind}")))?;
        match self {
            Constraint::Simplex => inverse_stick_breaking(&xs).map_err(|d| self.error(d)),
            Constraint::LowerCholesky => {
                let n = (xs.len() as f64).sqrt() as usize;
                cholesky_inverse(&xs, n).map_err(|d| self.error(d))
            }
            Constraint::CorrCholesky => {
                let n = (xs.len() as f64).sqrt() as usize;
                corr_cholesky_inverse(&xs, n).map_err(|d| self.error(d))
            }
            _ => xs
                .iter()
                .map(|&x| {
                    if self.contains(x) {
                        Ok(self.inverse_scalar(x))
                    } else {
                        Err(self.error(format!("{x} is outside the constraint")))
                    }
                })
                .collect(),
        }
    }

    /// The inverse bijection with scalar `S`, so that derivatives carried by `value` flow into
    /// the unconstrained coordinates. Values outside the constraint give NaN coordinates.
    pub fn inverse_generic<S: Scalar>(&self, value: &Value<S>) -> Result<Vec<Real<S>>> {
        let kind = value.kind();
        self.unconstrained_len(kind)?;
        match (self, value) {
            (Constraint::Simplex, Value::RealVec(x)) => {
                let k = x.len() - 1;
                let mut remaining = Real::new(1.0);
                Ok((0..k)
                    .map(|i| {
                        let z = x[i] / remaining;
                        remaining -= x[i];
                        (z / (1.0 - z)).ln() + ((k - i) as f64).ln()
                    })
                    .collect())
            }
            (Constraint::LowerCholesky, Value::Matrix(m)) => {
                let n = m.nrows();
                let mut u = Vec::with_capacity(n * (n + 1) / 2);
                for i in 0..n {
                    for j in 0..=i {
                        u.push(if i == j { m[(i, i)].ln() } else { m[(i, j)] });
                    }
                }
                Ok(u)
            }
            (Constraint::CorrCholesky, Value::Matrix(m)) => {
                let n = m.nrows();
                let mut u = Vec::with_capacity(n * n.saturating_sub(1) / 2);
                for i in 1..n {
                    // ln of the squared length left in the row.
                    let mut lrem = Real::new(0.0);
                    for j in 0..i {
                        let z = m[(i, j)] / (0.5 * lrem).exp();
                        u.push(0.5 * ((1.0 + z) / (1.0 - z)).ln());
                        lrem += (1.0 - z * z).ln();
                    }
                }
                Ok(u)
            }
            (_, Value::Real(x)) => Ok(vec![self.inverse_scalar_generic(*x)]),
            (_, Value::RealVec(v)) => {
                Ok(v.iter().map(|&x| self.inverse_scalar_generic(x)).collect())
            }
            (_, Value::Matrix(m)) => {
                Ok(m.iter().map(|&x| self.inverse_scalar_generic(x)).collect())
            }
            _ => Err(self.error(format!("cannot hold {kind}"))),
        }
    }

    fn inverse_scalar_generic<S: Scalar>(&self, x: Real<S>) -> Real<S> {
        match *self {
            Constraint::Positive => x.ln(),
            Constraint::GreaterThan(a) => (x - a).ln(),
            Constraint::LessThan(b) => (b - x).ln(),
            Constraint::Interval(a, b) => {
                let p = (x - a) / (b - a);
                (p / (1.0 - p)).ln()
            }
            _ => x,
        }
    }

    fn inverse_scalar(&self, x: f64) -> f64 {
        match *self {
            Constraint::Positive => x.ln(),
            Constraint::GreaterThan(a) => (x - a).ln(),
            Constraint::LessThan(b) => (b - x).ln(),
            Constraint::Interval(a, b) => {
                let p = (x - a) / (b - a);
                (p / (1.0 - p)).ln()
            }
            _ => x,
        }
    }
}

fn stick_breaking<S: Scalar>(u: &[Real<S>], n: usize) -> (Value<S>, Real<S>) {
    let mut x = DVector::from_element(n, Real::new(0.0));
    let mut remaining = Real::new(1.0);
    let mut ladj = Real::new(0.0);
    let k = u.len();
    for (i, &ui) in u.iter().enumerate() {
        // The offset makes u = 0 map to the uniform simplex point.
        let v = ui - ((k - i) as f64).ln();
        let z = v.sigmoid();
        x[i] = z * remaining;
        ladj += v.log_sigmoid() + (-v).log_sigmoid() + remaining.ln();
        remaining *= 1.0 - z;
    }
    x[n - 1] = remaining;
    (Value::RealVec(x), ladj)
}

fn inverse_stick_breaking(xs: &[f64]) -> std::result::Result<Vec<f64>, String> {
    let sum: f64 = xs.iter().sum();
    if xs.iter().any(|&x| x.is_nan() || x <= 0.0) || (sum - 1.0).abs() > 1e-9 {
        return Err(format!("{xs:?} is not a point inside the simplex"));
    }
    let k = xs.len() - 1;
    let mut remaining = 1.0;
    Ok(xs[..k]
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let z = (x / remaining).min(1.0 - 1e-16);
            remaining -= x;
            (z / (1.0 - z)).ln() + ((k - i) as f64).ln()
        })
        .collect())
}

fn cholesky_forward<S: Scalar>(u: &[Real<S>], n: usize) -> (Value<S>, Real<S>) {
    let mut m = DMatrix::from_element(n, n, Real::new(0.0));
    let mut ladj = Real::new(0.0);
    let mut k = 0;
    for i in 0..n {
        for j in 0..=i {
            m[(i, j)] = if i == j {
                ladj += u[k];
                u[k].exp()
            } else {
                u[k]
            };
            k += 1;
        }
    }
    (Value::Matrix(m), ladj)
}

fn cholesky_inverse(xs: &[f64], n: usize) -> std::result::Result<Vec<f64>, String> {
    let m = DMatrix::from_column_slice(n, n, xs);
    let mut u = Vec::with_capacity(n * (n + 1) / 2);
    for i in 0..n {
        for j in 0..n {
            let x = m[(i, j)];
            if j > i && x != 0.0 {
                return Err(format!("entry ({i}, {j}) above the diagonal is {x}, not 0"));
            }
            if j < i {
                u.push(x);
            } else if j == i {
                if x.is_nan() || x <= 0.0 {
                    return Err(format!("diagonal entry ({i}, {i}) is {x}, not positive"));
                }
                u.push(x.ln());
            }
        }
    }
    Ok(u)
}

/// `ln(1 − tanh²u) = ln 4 + 2u − 2·softplus(2u)`, without cancellation for large `|u|`.
fn ln_one_minus_tanh_sq<S: Scalar>(u: Real<S>) -> Real<S> {
    std::f64::consts::LN_2 * 2.0 + 2.0 * u - 2.0 * (2.0 * u).softplus()
}

fn corr_cholesky_forward<S: Scalar>(u: &[Real<S>], n: usize) -> (Value<S>, Real<S>) {
    let mut m = DMatrix::from_element(n, n, Real::new(0.0));
    let mut ladj = Real::new(0.0);
    let mut k = 0;
    if n > 0 {
        m[(0, 0)] = Real::new(1.0);
    }
    for i in 1..n {
        // ln of the squared length left in the row, 1 − Σₖ₍ⱼ Lᵢₖ², kept in log space so that
        // partial correlations near ±1 do not cancel.
        let mut lrem = Real::new(0.0);
        for _ in 0..i {
            let z = u[k].tanh();
            let l1z = ln_one_minus_tanh_sq(u[k]);
            // dLᵢⱼ/duᵢⱼ = (1 − z²)·√rem; the map is triangular within a row.
            ladj += l1z + 0.5 * lrem;
            m[(i, k - i * (i - 1) / 2)] = z * (0.5 * lrem).exp();
            lrem += l1z;
            k += 1;
        }
        m[(i, i)] = (0.5 * lrem).exp();
    }
    (Value::Matrix(m), ladj)
}

fn corr_cholesky_inverse(xs: &[f64], n: usize) -> std::result::Result<Vec<f64>, String> {
    let m = DMatrix::from_column_slice(n, n, xs);
    let mut u = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            if m[(i, j)] != 0.0 {
                return Err(format!(
                    "entry ({i}, {j}) above the diagonal is {}, not 0",
                    m[(i, j)]
                ));
            }
        }
        let norm: f64 = (0..=i).map(|j| m[(i, j)] * m[(i, j)]).sum();
        let unit_row = m[(i, i)] > 0.0 && (norm - 1.0).abs() <= 1e-6;
        if !unit_row {
            return Err(format!(
                "row {i} must have a positive diagonal entry and unit length, got diagonal {} and squared length {norm}",
                m[(i, i)]
            ));
        }
        let mut rem = 1.0;
        for j in 0..i {
            let z = (m[(i, j)] / f64::sqrt(rem)).clamp(-1.0 + 1e-16, 1.0 - 1e-16);
            u.push(z.atanh());
            rem *= 1.0 - z * z;
        }
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Dual64;

    fn round_trip(c: Constraint, v: Value<f64>) {
        let u = c.inverse(&v).unwrap();
        let (back, _) = c
            .forward::<f64>(&u.iter().map(|&x| Real(x)).collect::<Vec<_>>(), v.kind())
            .unwrap();
        let (a, b) = (v.real_values().unwrap(), back.real_values().unwrap());
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-12, "{c}: {a:?} came back as {b:?}");
        }
    }

    #[test]
    fn bijections_round_trip() {
        round_trip(Constraint::Real, Value::Real(Real(-2.0)));
        round_trip(Constraint::Positive, Value::Real(Real(0.3)));
        round_trip(Constraint::greater_than(-1.0), Value::Real(Real(4.0)));
        round_trip(Constraint::less_than(2.0), Value::Real(Real(-3.0)));
        round_trip(Constraint::interval(-1.0, 3.0), Value::Real(Real(2.5)));
        round_trip(
            Constraint::unit_interval(),
            Value::RealVec(DVector::from_vec(vec![Real(0.1), Real(0.9)])),
        );
        round_trip(
            Constraint::Simplex,
            Value::RealVec(DVector::from_vec(vec![Real(0.2), Real(0.5), Real(0.3)])),
        );
        let l = DMatrix::from_row_slice(2, 2, &[1.5, 0.0, -0.4, 0.7]).map(Real);
        round_trip(Constraint::LowerCholesky, Value::Matrix(l));
    }

    #[test]
    fn the_log_jacobian_of_scalar_bijections_matches_finite_differences() {
        for c in [
            Constraint::Positive,
            Constraint::greater_than(1.0),
            Constraint::less_than(0.0),
            Constraint::interval(-2.0, 5.0),
        ] {
            for u in [-2.0, 0.3, 1.7] {
                let (_, ladj) = c.forward_scalar(Real::<f64>::new(u));
                let (x, _) = c.forward_scalar(Real(Dual64::new(u, 1.0)));
                assert!(
                    (ladj.value() - x.derivative(0).abs().ln()).abs() < 1e-12,
                    "{c} at {u}"
                );
            }
        }
    }

    #[test]
    fn the_simplex_log_jacobian_matches_a_numerical_determinant() {
        // The stick-breaking map sends R² to the first two coordinates of the simplex, which
        // determine the third; the Jacobian of those two is a 2x2 matrix.
        let u = [0.4, -0.9];
        let f = |u: [f64; 2]| {
            let (x, _) = Constraint::Simplex
                .forward::<f64>(&[Real(u[0]), Real(u[1])], ValueKind::RealVec(3))
                .unwrap();
            let v = x.real_values().unwrap();
            [v[0], v[1]]
        };
        let h = 1e-6;
        let mut j = [[0.0; 2]; 2];
        for k in 0..2 {
            let (mut up, mut down) = (u, u);
            up[k] += h;
            down[k] -= h;
            let (a, b) = (f(up), f(down));
            for i in 0..2 {
                j[i][k] = (a[i] - b[i]) / (2.0 * h);
            }
        }
        let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
        let (_, ladj) = Constraint::Simplex
            .forward::<f64>(&[Real(u[0]), Real(u[1])], ValueKind::RealVec(3))
            .unwrap();
        assert!((ladj.value() - det.abs().ln()).abs() < 1e-7);
        // u = 0 maps to the centre of the simplex.
        let (x, _) = Constraint::Simplex
            .forward::<f64>(&[Real(0.0), Real(0.0)], ValueKind::RealVec(3))
            .unwrap();
        assert!(
            x.real_values()
                .unwrap()
                .iter()
                .all(|&p| (p - 1.0 / 3.0).abs() < 1e-15)
        );
    }

    fn corr_cholesky_of(u: &[f64], n: usize) -> DMatrix<f64> {
        let (x, _) = Constraint::CorrCholesky
            .forward::<f64>(
                &u.iter().map(|&x| Real(x)).collect::<Vec<_>>(),
                ValueKind::Matrix(n, n),
            )
            .unwrap();
        match x {
            Value::Matrix(m) => m.map(|x| x.value()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn corr_cholesky_gives_correlation_factors_and_round_trips() {
        let u = [0.4, -1.3, 0.8, 2.5, -0.2, 0.05];
        let l = corr_cholesky_of(&u, 4);
        for i in 0..4 {
            let norm: f64 = (0..4).map(|j| l[(i, j)] * l[(i, j)]).sum();
            assert!(
                (norm - 1.0).abs() < 1e-14,
                "row {i} has squared length {norm}"
            );
            assert!(l[(i, i)] > 0.0);
            for j in i + 1..4 {
                assert_eq!(l[(i, j)], 0.0);
            }
        }
        let back = Constraint::CorrCholesky
            .inverse(&Value::Matrix(l.map(Real)))
            .unwrap();
        for (a, b) in u.iter().zip(&back) {
            assert!((a - b).abs() < 1e-12, "{u:?} came back as {back:?}");
        }
        let generic = Constraint::CorrCholesky
            .inverse_generic(&Value::Matrix(l.map(Real)))
            .unwrap();
        for (a, b) in u.iter().zip(&generic) {
            assert!(
                (a - b.value()).abs() < 1e-12,
                "{u:?} came back as {generic:?}"
            );
        }
        // u = 0 is the identity; the 1x1 factor is [1] with no coordinates.
        assert_eq!(corr_cholesky_of(&[0.0; 3], 3), DMatrix::identity(3, 3));
        assert_eq!(corr_cholesky_of(&[], 1), DMatrix::identity(1, 1));
        // Not a correlation factor: a row that is not of unit length.
        let bad = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.5, 0.5]).map(Real);
        assert!(
            Constraint::CorrCholesky
                .inverse(&Value::Matrix(bad))
                .is_err()
        );
        // Far out (|u| = 30, tanh within 1e-26 of ±1) the log-Jacobian stays finite.
        let (_, ladj) = Constraint::CorrCholesky
            .forward::<f64>(
                &[Real(30.0), Real(-30.0), Real(30.0)],
                ValueKind::Matrix(3, 3),
            )
            .unwrap();
        assert!(ladj.value().is_finite());
    }

    #[test]
    fn the_corr_cholesky_log_jacobian_matches_a_numerical_determinant() {
        // The map from the six coordinates to the six strictly lower entries of a 4x4 factor.
        for u in [
            [0.4, -1.3, 0.8, 2.5, -0.2, 0.05],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [-0.9, 0.3, 1.7, -0.6, 1.1, -2.0],
        ] {
            let lower = |u: &[f64; 6]| {
                let l = corr_cholesky_of(u, 4);
                let mut v = Vec::new();
                for i in 1..4 {
                    for j in 0..i {
                        v.push(l[(i, j)]);
                    }
                }
                v
            };
            let h = 1e-6;
            let mut jac = DMatrix::<f64>::zeros(6, 6);
            for k in 0..6 {
                let (mut up, mut down) = (u, u);
                up[k] += h;
                down[k] -= h;
                let (a, b) = (lower(&up), lower(&down));
                for i in 0..6 {
                    jac[(i, k)] = (a[i] - b[i]) / (2.0 * h);
                }
            }
            let (_, ladj) = Constraint::CorrCholesky
                .forward::<f64>(&u.map(Real), ValueKind::Matrix(4, 4))
                .unwrap();
            let reference = jac.determinant().abs().ln();
            assert!(
                (ladj.value() - reference).abs() < 1e-7,
                "at {u:?}: {} vs {reference}",
                ladj.value()
            );
        }
    }

    #[test]
    fn values_outside_a_constraint_are_rejected() {
        assert!(
            Constraint::Positive
                .inverse(&Value::Real(Real(-1.0)))
                .is_err()
        );
        assert!(
            Constraint::Simplex
                .inverse(&Value::RealVec(DVector::from_vec(vec![
                    Real(0.5),
                    Real(0.6)
                ])))
                .is_err()
        );
        assert!(
            Constraint::Boolean
                .unconstrained_len(ValueKind::Bool)
                .is_err()
        );
    }
}
