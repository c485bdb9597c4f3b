//! The normal distribution truncated to an interval.

use super::{Distribution, LN_SQRT_2PI, check_finite, check_positive, neg_inf};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, normal_log_cdf_f64};
use crate::value::{Value, ValueKind};
use rand::Rng;
use rand_distr::{Distribution as _, Open01};

/// `ln(eᵃ − eᵇ)` for `a ≥ b`, without cancellation when `b` is far below `a`.
fn log_diff_exp(a: f64, b: f64) -> f64 {
    if b == f64::NEG_INFINITY {
        a
    } else {
        a + (-(b - a).exp()).ln_1p()
    }
}

/// `ln(eᵃ + eᵇ)`.
fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// `ln φ(z)` up to the constant `ln √(2π)`: `−z²/2`, and `−∞` at `±∞`.
fn half_square(z: f64) -> f64 {
    -0.5 * z * z
}

/// `ln (Φ(b) − Φ(a))` for standardised bounds `a < b` (either may be infinite), computed in the
/// lower tail (by the symmetry `Φ(b) − Φ(a) = Φ(−a) − Φ(−b)` when `a > 0`) so that mass far in
/// either tail keeps its relative precision.
fn log_mass(a: f64, b: f64) -> f64 {
    if a > 0.0 {
        log_diff_exp(normal_log_cdf_f64(-a), normal_log_cdf_f64(-b))
    } else {
        log_diff_exp(normal_log_cdf_f64(b), normal_log_cdf_f64(a))
    }
}

/// The standard normal quantile of `ln p` for `p ≤ 1/2`: Newton's method on `ln Φ(z) = ln p`,
/// which is accurate however small `p` is (far below the smallest `f64`).
fn normal_quantile_of_log(lp: f64) -> f64 {
    if lp == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    // A start from the tail asymptote ln Φ(z) ≈ −z²/2 − ln(−z√(2π)), or the median.
    let t = -2.0 * lp;
    let mut z = if lp < -2.0 {
        -(t - (2.0 * std::f64::consts::PI * t).ln()).max(0.0).sqrt()
    } else {
        0.0
    };
    for _ in 0..100 {
        let lc = normal_log_cdf_f64(z);
        // d ln Φ / dz = φ(z)/Φ(z).
        let slope = (half_square(z) - LN_SQRT_2PI - lc).exp();
        let step = (lc - lp) / slope;
        z -= step;
        if step.abs() <= 1e-15 * z.abs().max(1.0) {
            break;
        }
    }
    z
}

/// The normal distribution `N(loc, scale²)` truncated to `(low, high)`, NumPyro's
/// `TruncatedNormal(loc, scale, low=..., high=...)`. Either bound may be infinite (one-sided
/// truncation; both infinite is the normal itself).
///
/// The log-density `ln φ(z) − ln σ − ln(Φ(β) − Φ(α))` with `z = (x − loc)/scale` and the
/// standardised bounds `α, β` is computed with the normal log-cdf in the tail where the mass
/// lies, so truncation many standard deviations from the mean stays accurate. Draws invert the
/// cdf in the same tail, and are reparameterised: the derivative of a draw with respect to
/// every parameter (the bounds included) is that of the inverse cdf at a fixed uniform draw.
///
/// ```
/// use smallx_core::dist::{Distribution, TruncatedNormal};
/// use smallx_core::Real;
/// // The upper tail of a standard normal beyond 10 sd: its mass is about 7.6e-24, and the
/// // density at the bound is about 10.1, close to the exponential approximation's 10.
/// let d = TruncatedNormal::<f64>::new(0.0, 1.0, 10.0, f64::INFINITY).unwrap();
/// let lp = d.log_prob(&Real(10.0)).value();
/// assert!((lp.exp() - 10.098).abs() < 1e-3);
/// assert_eq!(d.log_prob(&Real(9.9)).value(), f64::NEG_INFINITY);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TruncatedNormal<S: Scalar = f64> {
    loc: Real<S>,
    scale: Real<S>,
    low: Real<S>,
    high: Real<S>,
}

impl<S: Scalar> TruncatedNormal<S> {
    /// `loc` finite, `scale > 0`, `low < high`, each bound a number or infinite (`−∞` for no
    /// lower bound, `+∞` for no upper bound). The interval must hold mass that `f64` can see
    /// in log space (any interval of positive width a few thousand sd from `loc` does).
    pub fn new(
        loc: impl Into<Real<S>>,
        scale: impl Into<Real<S>>,
        low: impl Into<Real<S>>,
        high: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        let loc = check_finite("loc", loc.into())?;
        let scale = check_positive("scale", scale.into())?;
        let (low, high) = (low.into(), high.into());
        if low.is_nan() {
            return Err(DistError::NotFinite {
                param: "low",
                value: low.value(),
            });
        }
        if high.is_nan() {
            return Err(DistError::NotFinite {
                param: "high",
                value: high.value(),
            });
        }
        let ordered = low.value() < high.value();
        if !ordered {
            return Err(DistError::EmptyInterval {
                low: low.value(),
                high: high.value(),
            });
        }
        let d = TruncatedNormal {
            loc,
            scale,
            low,
            high,
        };
        let (a, b) = d.bounds();
        if !log_mass(a, b).is_finite() {
            return Err(DistError::OutOfRange {
                param: "low, high",
                range: "an interval with mass representable in f64 log space",
                value: a,
            });
        }
        Ok(d)
    }
    /// The standardised bounds `((low − loc)/scale, (high − loc)/scale)`.
    fn bounds(&self) -> (f64, f64) {
        let (m, s) = (self.loc.value(), self.scale.value());
        ((self.low.value() - m) / s, (self.high.value() - m) / s)
    }
    /// `ln Z` as a function of the standardised bounds `α, β`, with its partials
    /// `∂ ln Z/∂α = −φ(α)/Z` and `∂ ln Z/∂β = φ(β)/Z` (zero at an infinite bound).
    fn log_z(&self) -> (f64, f64, f64, f64, f64) {
        let (a, b) = self.bounds();
        let lz = log_mass(a, b);
        let ga = if a.is_finite() {
            (half_square(a) - LN_SQRT_2PI - lz).exp()
        } else {
            0.0
        };
        let gb = if b.is_finite() {
            (half_square(b) - LN_SQRT_2PI - lz).exp()
        } else {
            0.0
        };
        (a, b, lz, ga, gb)
    }
    /// The location of the normal before truncation.
    pub fn loc(&self) -> Real<S> {
        self.loc
    }
    /// The scale of the normal before truncation.
    pub fn scale(&self) -> Real<S> {
        self.scale
    }
    /// The lower bound (possibly `−∞`).
    pub fn low(&self) -> Real<S> {
        self.low
    }
    /// The upper bound (possibly `+∞`).
    pub fn high(&self) -> Real<S> {
        self.high
    }
    /// `(φ(α) − φ(β))/Z` and `(αφ(α) − βφ(β))/Z` as scalars carrying derivatives, for the
    /// moments.
    fn moment_terms(&self) -> (Real<S>, Real<S>) {
        let (a, b, lz, ga, gb) = self.log_z();
        let (m, s) = (self.loc, self.scale);
        // ln Z as one node of the standardised bounds.
        let alpha = (self.low - m) / s;
        let beta = (self.high - m) / s;
        let mut ins = Vec::with_capacity(2);
        let mut parts = Vec::with_capacity(2);
        if a.is_finite() {
            ins.push(alpha.0);
            parts.push(-ga);
        }
        if b.is_finite() {
            ins.push(beta.0);
            parts.push(gb);
        }
        let log_z = Real(S::fused(lz, &ins, &parts));
        let phi_over_z = |t: Real<S>, finite: bool| -> (Real<S>, Real<S>) {
            if finite {
                let r = (-0.5 * t * t - LN_SQRT_2PI - log_z).exp();
                (r, t * r)
            } else {
                (Real::new(0.0), Real::new(0.0))
            }
        };
        let (pa, tpa) = phi_over_z(alpha, a.is_finite());
        let (pb, tpb) = phi_over_z(beta, b.is_finite());
        (pa - pb, tpa - tpb)
    }
}

impl<S: Scalar> Distribution<S> for TruncatedNormal<S> {
    type Value = Real<S>;
    fn value_kind(&self) -> ValueKind {
        ValueKind::Real
    }
    fn name(&self) -> &'static str {
        "TruncatedNormal"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        let u: f64 = Open01.sample(rng);
        let (a, b, lz, _, _) = self.log_z();
        // Work where the mass is: reflect an interval in the upper tail to the lower one,
        // drawing the reflected variable at the reflected uniform.
        let flip = a > 0.0;
        let (lo, hi, v) = if flip { (-b, -a, 1.0 - u) } else { (a, b, u) };
        // Φ(z) = Φ(lo) + v·Z. Below the median invert ln Φ; above it invert the upper tail,
        // 1 − Φ(z) = (1 − v)·Z + Φ(−hi), a sum of positive terms.
        let l_lo = normal_log_cdf_f64(lo);
        let lp = log_add_exp(l_lo, v.ln() + lz);
        let z = if lp < -std::f64::consts::LN_2 {
            normal_quantile_of_log(lp)
        } else {
            let lq = log_add_exp((1.0 - v).ln() + lz, normal_log_cdf_f64(-hi));
            -normal_quantile_of_log(lq)
        };
        let z = if flip { -z } else { z };
        // Keep rounding from leaving the interval.
        let z = z.clamp(a, b);
        // Implicit derivatives of F(z; α, β) = u: ∂z/∂α = (1 − u)φ(α)/φ(z),
        // ∂z/∂β = u φ(β)/φ(z).
        let dza = if a.is_finite() {
            (1.0 - u) * (half_square(a) - half_square(z)).exp()
        } else {
            0.0
        };
        let dzb = if b.is_finite() {
            u * (half_square(b) - half_square(z)).exp()
        } else {
            0.0
        };
        let (m, s) = (self.loc, self.scale);
        let mut ins = Vec::with_capacity(2);
        let mut parts = Vec::with_capacity(2);
        if a.is_finite() {
            ins.push(((self.low - m) / s).0);
            parts.push(dza);
        }
        if b.is_finite() {
            ins.push(((self.high - m) / s).0);
            parts.push(dzb);
        }
        let zs = Real(S::fused(z, &ins, &parts));
        m + s * zs
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        let xv = x.value();
        if !(xv >= self.low.value() && xv <= self.high.value() && xv.is_finite()) {
            return neg_inf();
        }
        let (a, b, lz, ga, gb) = self.log_z();
        let s = self.scale.value();
        let inv = 1.0 / s;
        let z = (xv - self.loc.value()) * inv;
        let value = half_square(z) - LN_SQRT_2PI - s.ln() - lz;
        // ∂/∂α = φ(α)/Z, ∂/∂β = −φ(β)/Z, then α = (low − μ)/σ, β = (high − μ)/σ.
        let ta = if a.is_finite() { ga * a } else { 0.0 };
        let tb = if b.is_finite() { gb * b } else { 0.0 };
        let mut ins = vec![x.0, self.loc.0, self.scale.0];
        let mut parts = vec![-z * inv, (z + gb - ga) * inv, (z * z - 1.0 + tb - ta) * inv];
        if a.is_finite() {
            ins.push(self.low.0);
            parts.push(ga * inv);
        }
        if b.is_finite() {
            ins.push(self.high.0);
            parts.push(-gb * inv);
        }
        Real(S::fused(value, &ins, &parts))
    }
    fn support(&self) -> Constraint {
        let (l, h) = (self.low.value(), self.high.value());
        match (l.is_finite(), h.is_finite()) {
            (true, true) => Constraint::Interval(l, h),
            (true, false) => Constraint::GreaterThan(l),
            (false, true) => Constraint::LessThan(h),
            (false, false) => Constraint::Real,
        }
    }
    fn has_rsample(&self) -> bool {
        true
    }
    /// `loc + scale·(φ(α) − φ(β))/Z`.
    fn mean(&self) -> Option<Value<S>> {
        let (d, _) = self.moment_terms();
        Some(Value::Real(self.loc + self.scale * d))
    }
    /// `scale²·(1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²)`. Far in a tail the terms
    /// nearly cancel (ten sd out, about four of the sixteen digits are lost).
    fn variance(&self) -> Option<Value<S>> {
        let (d, t) = self.moment_terms();
        Some(Value::Real(self.scale * self.scale * (1.0 + t - d * d)))
    }
}
