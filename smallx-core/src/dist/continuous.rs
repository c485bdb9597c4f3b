//! Univariate continuous distributions.

use super::{Distribution, LN_SQRT_2PI, check_finite, check_positive, fused, neg_inf};
use crate::constraint::Constraint;
use crate::error::DistError;
use crate::scalar::{Real, Scalar, digamma_f64, standard_gamma_grad_f64};
use crate::value::{Value, ValueKind};
use rand::Rng;
use rand_distr::{Distribution as _, Exp1, Open01, StandardNormal};
use std::f64::consts::PI;

fn standard_normal(rng: &mut dyn Rng) -> f64 {
    StandardNormal.sample(rng)
}

fn open01(rng: &mut dyn Rng) -> f64 {
    Open01.sample(rng)
}

fn real<S: Scalar>(x: Real<S>) -> Option<Value<S>> {
    Some(Value::Real(x))
}

fn ln_gamma(x: f64) -> f64 {
    statrs::function::gamma::ln_gamma(x)
}

macro_rules! scalar_dist_common {
    () => {
        type Value = Real<S>;
        fn value_kind(&self) -> ValueKind {
            ValueKind::Real
        }
    };
}

/// The normal distribution `N(loc, scale²)`.
#[derive(Clone, Copy, Debug)]
pub struct Normal<S: Scalar = f64> {
    loc: Real<S>,
    scale: Real<S>,
}

impl<S: Scalar> Normal<S> {
    /// `loc` finite, `scale > 0`.
    pub fn new(loc: impl Into<Real<S>>, scale: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(Normal {
            loc: check_finite("loc", loc.into())?,
            scale: check_positive("scale", scale.into())?,
        })
    }
    /// Without validation.
    pub fn new_unchecked(loc: impl Into<Real<S>>, scale: impl Into<Real<S>>) -> Self {
        Normal {
            loc: loc.into(),
            scale: scale.into(),
        }
    }
    /// `N(0, 1)`.
    pub fn standard() -> Self {
        Self::new_unchecked(0.0, 1.0)
    }
    /// The location.
    pub fn loc(&self) -> Real<S> {
        self.loc
    }
    /// The standard deviation.
    pub fn scale(&self) -> Real<S> {
        self.scale
    }
}

impl<S: Scalar> Distribution<S> for Normal<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "Normal"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        self.loc + self.scale * standard_normal(rng)
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        // One fused node: the value and the partials ∂/∂x = −z/σ, ∂/∂μ = z/σ,
        // ∂/∂σ = (z² − 1)/σ, all in f64.
        let (m, s) = (self.loc.value(), self.scale.value());
        let inv = 1.0 / s;
        let z = (x.value() - m) * inv;
        let value = -0.5 * z * z - s.ln() - LN_SQRT_2PI;
        Real(S::fused(
            value,
            &[x.0, self.loc.0, self.scale.0],
            &[-z * inv, z * inv, (z * z - 1.0) * inv],
        ))
    }
    fn log_prob_many(&self, xs: &[Real<S>]) -> Real<S> {
        let (m, s) = (self.loc.value(), self.scale.value());
        let inv = 1.0 / s;
        let (mut sum_z, mut sum_z2) = (0.0, 0.0);
        for x in xs {
            let z = (x.value() - m) * inv;
            sum_z += z;
            sum_z2 += z * z;
        }
        let n = xs.len() as f64;
        let value = -0.5 * sum_z2 - (s.ln() + LN_SQRT_2PI) * n;
        let params = [
            (self.loc.0, sum_z * inv),
            (self.scale.0, (sum_z2 - n) * inv),
        ];
        if xs.iter().all(|x| x.is_constant()) {
            return Real(S::fused_terms(value, params));
        }
        // Latent draws: one more edge per draw, ∂/∂xᵢ = −zᵢ/σ.
        let draws = xs.iter().map(|x| (x.0, -(x.value() - m) * inv * inv));
        Real(S::fused_terms(value, params.into_iter().chain(draws)))
    }
    fn log_prob_batch(parts: &[Self], xs: &[Real<S>]) -> Real<S> {
        // The value first (ln σ once when every element has the same scale: the common
        // case, and a separate loop, because a compiler may evaluate a pure `ln` on both sides
        // of a branch), then one fused node with the partials of every element (edges to a
        // shared scale merge into one).
        let shared = parts.first().map(|d| d.scale.value());
        let value = match shared {
            Some(s) if parts.iter().all(|d| d.scale.value() == s) => {
                let inv = 1.0 / s;
                let squares: f64 = parts
                    .iter()
                    .zip(xs)
                    .map(|(d, x)| {
                        let z = (x.value() - d.loc.value()) * inv;
                        z * z
                    })
                    .sum();
                -0.5 * squares - (s.ln() + LN_SQRT_2PI) * parts.len() as f64
            }
            _ => parts
                .iter()
                .zip(xs)
                .map(|(d, x)| {
                    let s = d.scale.value();
                    let z = (x.value() - d.loc.value()) / s;
                    -0.5 * z * z - s.ln() - LN_SQRT_2PI
                })
                .sum(),
        };
        let partials = |d: &Self, x: &Real<S>| {
            let inv = 1.0 / d.scale.value();
            let z = (x.value() - d.loc.value()) * inv;
            (z * inv, (z * z - 1.0) * inv)
        };
        let observed = xs.iter().all(|x| x.is_constant());
        if let Some(first) = parts.first()
            && observed
            && parts
                .iter()
                .all(|d| d.scale.0.same_derivatives(&first.scale.0))
        {
            // Observed values and one scale (the usual likelihood): an edge per location and
            // one to the scale.
            let mut dscale_total = 0.0;
            let locs = parts.iter().zip(xs).map(|(d, x)| {
                let (dloc, dscale) = partials(d, x);
                dscale_total += dscale;
                (d.loc.0, dloc)
            });
            // The iterator is consumed before the scale's term is read.
            let locs: Real<S> = Real(S::fused_terms(value, locs));
            return Real(S::fused(
                value,
                &[locs.0, first.scale.0],
                &[1.0, dscale_total],
            ));
        }
        if observed {
            // Observed values: edges to the parameters only.
            let terms = parts.iter().zip(xs).flat_map(|(d, x)| {
                let (dloc, dscale) = partials(d, x);
                [(d.loc.0, dloc), (d.scale.0, dscale)]
            });
            return Real(S::fused_terms(value, terms));
        }
        let terms = parts.iter().zip(xs).flat_map(|(d, x)| {
            let (dloc, dscale) = partials(d, x);
            [(d.loc.0, dloc), (d.scale.0, dscale), (x.0, -dloc)]
        });
        Real(S::fused_terms(value, terms))
    }
    fn support(&self) -> Constraint {
        Constraint::Real
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        real(self.loc)
    }
    fn variance(&self) -> Option<Value<S>> {
        real(self.scale * self.scale)
    }
}

/// The half-normal distribution: `|X|` for `X ~ N(0, scale²)`.
#[derive(Clone, Copy, Debug)]
pub struct HalfNormal<S: Scalar = f64> {
    scale: Real<S>,
}

impl<S: Scalar> HalfNormal<S> {
    /// `scale > 0`.
    pub fn new(scale: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(HalfNormal {
            scale: check_positive("scale", scale.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for HalfNormal<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "HalfNormal"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        self.scale * standard_normal(rng).abs()
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        if *x < 0.0 {
            return neg_inf();
        }
        let sc = self.scale.value();
        let z = x.value() / sc;
        let value = -0.5 * z * z - sc.ln() - LN_SQRT_2PI + std::f64::consts::LN_2;
        fused(value, [(*x, -z / sc), (self.scale, (z * z - 1.0) / sc)])
    }
    fn support(&self) -> Constraint {
        Constraint::Positive
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        real(self.scale * (2.0 / PI).sqrt())
    }
    fn variance(&self) -> Option<Value<S>> {
        real(self.scale * self.scale * (1.0 - 2.0 / PI))
    }
}

/// The log-normal distribution: `exp(X)` for `X ~ N(loc, scale²)`.
#[derive(Clone, Copy, Debug)]
pub struct LogNormal<S: Scalar = f64> {
    loc: Real<S>,
    scale: Real<S>,
}

impl<S: Scalar> LogNormal<S> {
    /// `loc` finite, `scale > 0`.
    pub fn new(loc: impl Into<Real<S>>, scale: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(LogNormal {
            loc: check_finite("loc", loc.into())?,
            scale: check_positive("scale", scale.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for LogNormal<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "LogNormal"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        (self.loc + self.scale * standard_normal(rng)).exp()
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        if *x <= 0.0 {
            return neg_inf();
        }
        let (xv, sc) = (x.value(), self.scale.value());
        let lx = xv.ln();
        let z = (lx - self.loc.value()) / sc;
        let value = -0.5 * z * z - sc.ln() - LN_SQRT_2PI - lx;
        fused(
            value,
            [
                (*x, (-z / sc - 1.0) / xv),
                (self.loc, z / sc),
                (self.scale, (z * z - 1.0) / sc),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::Positive
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        real((self.loc + 0.5 * self.scale * self.scale).exp())
    }
    fn variance(&self) -> Option<Value<S>> {
        let s2 = self.scale * self.scale;
        real(s2.exp_m1() * (2.0 * self.loc + s2).exp())
    }
}

/// The exponential distribution with `rate` (mean `1/rate`).
#[derive(Clone, Copy, Debug)]
pub struct Exponential<S: Scalar = f64> {
    rate: Real<S>,
}

impl<S: Scalar> Exponential<S> {
    /// `rate > 0`.
    pub fn new(rate: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(Exponential {
            rate: check_positive("rate", rate.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for Exponential<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "Exponential"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        let e: f64 = Exp1.sample(rng);
        e / self.rate
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        if *x < 0.0 {
            return neg_inf();
        }
        let (xv, r) = (x.value(), self.rate.value());
        fused(r.ln() - r * xv, [(*x, -r), (self.rate, 1.0 / r - xv)])
    }
    fn support(&self) -> Constraint {
        Constraint::Positive
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        real(self.rate.recip())
    }
    fn variance(&self) -> Option<Value<S>> {
        real((self.rate * self.rate).recip())
    }
}

/// The gamma distribution with `concentration` (shape) and `rate` (mean `shape/rate`), as
/// Pyro's and NumPyro's `Gamma(concentration, rate)`.
///
/// Draws are reparameterised: `x = g / rate` with `g ~ Gamma(concentration, 1)`, and `g`
/// carries the implicit reparameterisation gradient `∂g/∂α = −(∂P(α, g)/∂α) / p(g; α)`
/// (Figurnov, Mohamed & Mnih 2018; see
/// [`standard_gamma_grad_f64`](crate::scalar::standard_gamma_grad_f64)), so SVI takes the
/// pathwise gradient for gamma guide sites.
///
/// ```
/// use smallx_core::dist::{Distribution, Gamma};
/// use smallx_core::{Dual64, Real};
/// use smallx_core::rand::SeedableRng;
/// // Differentiate a draw with respect to the rate: x = g/β, so ∂x/∂β = −x/β.
/// let rate = Real::<Dual64>::variable(2.0, 0);
/// let d = Gamma::new(3.0, rate).unwrap();
/// let x = d.sample(&mut smallx_core::rand::rngs::SmallRng::seed_from_u64(0));
/// assert!((x.derivative(0) + x.value() / 2.0).abs() < 1e-12);
/// assert!(Distribution::<Dual64>::has_rsample(&d));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Gamma<S: Scalar = f64> {
    concentration: Real<S>,
    rate: Real<S>,
}

impl<S: Scalar> Gamma<S> {
    /// `concentration > 0`, `rate > 0`.
    pub fn new(
        concentration: impl Into<Real<S>>,
        rate: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        Ok(Gamma {
            concentration: check_positive("concentration", concentration.into())?,
            rate: check_positive("rate", rate.into())?,
        })
    }
}

pub(crate) fn gamma_draw(rng: &mut dyn Rng, shape: f64) -> f64 {
    gamma_draw_ln(rng, shape).0
}

/// A standard gamma draw `g ~ Gamma(shape, 1)` and its logarithm, from the same random
/// numbers as rand_distr's sampler. For `shape < 1` the draw is `G · U^(1/shape)` with
/// `G ~ Gamma(shape + 1, 1)` and `U` uniform (Marsaglia and Tsang's boost); `ln g` is
/// `ln G + ln U / shape`, exact even when `g` itself underflows to 0, as it does for about
/// half the draws of `Gamma(1e-3, 1)`.
pub(crate) fn gamma_draw_ln(rng: &mut dyn Rng, shape: f64) -> (f64, f64) {
    // `shape` is validated positive and finite, so the constructions succeed.
    if shape < 1.0 && shape + 1.0 > 1.0 {
        let u: f64 = Open01.sample(rng);
        let large = rand_distr::Gamma::new(shape + 1.0, 1.0).map_or(f64::NAN, |g| g.sample(rng));
        let g = large * u.powf(1.0 / shape);
        (g, large.ln() + u.ln() / shape)
    } else {
        let g = rand_distr::Gamma::new(shape, 1.0).map_or(f64::NAN, |g| g.sample(rng));
        (g, g.ln())
    }
}

/// The largest `f64` below 1: the top of the open unit interval in `f64`.
pub(crate) const BELOW_ONE: f64 = 1.0 - f64::EPSILON / 2.0;

/// `exp(ln_x)` kept inside `(0, ∞)`: a value below the smallest normal `f64` becomes that
/// number (as Pyro's and NumPyro's gamma and Dirichlet samplers clamp to the smallest
/// positive normal number), a value above `f64::MAX` stays infinite (not representable: the
/// site reports it). The flag says whether the value was clamped.
pub(crate) fn exp_positive(ln_x: f64) -> (f64, bool) {
    let x = ln_x.exp();
    if x < f64::MIN_POSITIVE {
        (f64::MIN_POSITIVE, true)
    } else {
        (x, false)
    }
}

/// Probabilities `gᵢ / Σ gⱼ` of independent gamma draws given by their logarithms, normalised
/// in log space and kept inside the open unit interval (`[f64::MIN_POSITIVE, 1 − ε/2]`), so
/// that tiny concentrations (whose draws underflow) still give a point of the simplex's
/// interior. Returns the probabilities and whether any was clamped.
pub(crate) fn normalise_ln(ln_g: &[f64]) -> (Vec<f64>, bool) {
    let m = ln_g.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lse = m + ln_g.iter().map(|l| (l - m).exp()).sum::<f64>().ln();
    let mut clamped = false;
    let x = ln_g
        .iter()
        .map(|l| {
            let (p, c) = exp_positive(l - lse);
            clamped |= c || p > BELOW_ONE;
            p.min(BELOW_ONE)
        })
        .collect();
    (x, clamped)
}

/// `∂g/∂α` of a standard gamma draw `g`, for a scalar that carries derivatives (plain `f64`
/// draws skip the computation).
pub(crate) fn gamma_draw_grad<S: Scalar>(alpha: f64, g: f64) -> f64 {
    if S::DIRECTIONS == 0 {
        0.0
    } else {
        standard_gamma_grad_f64(alpha, g)
    }
}

impl<S: Scalar> Distribution<S> for Gamma<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "Gamma"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        let (a, b) = (self.concentration.value(), self.rate.value());
        let (g, ln_g) = gamma_draw_ln(rng, a);
        let x = g / b;
        if x >= f64::MIN_POSITIVE && x.is_finite() {
            return fused(
                x,
                [
                    (self.concentration, gamma_draw_grad::<S>(a, g) / b),
                    (self.rate, -x / b),
                ],
            );
        }
        // Below the smallest normal f64 (tiny concentrations) or beyond f64::MAX (a tiny
        // rate): the draw in log space, clamped at the bottom (with no derivative: the clamp
        // is flat there) and infinite at the top, which the site reports as not representable.
        let (x, clamped) = exp_positive(ln_g - b.ln());
        if clamped {
            Real::new(x)
        } else {
            fused(x, [(self.rate, -x / b)])
        }
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        if *x <= 0.0 {
            return neg_inf();
        }
        let (xv, a, b) = (x.value(), self.concentration.value(), self.rate.value());
        let (lx, lb) = (xv.ln(), b.ln());
        let value = a * lb - ln_gamma(a) + (a - 1.0) * lx - b * xv;
        fused(
            value,
            [
                (*x, (a - 1.0) / xv - b),
                (self.concentration, lb - digamma_f64(a) + lx),
                (self.rate, a / b - xv),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::Positive
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        real(self.concentration / self.rate)
    }
    fn variance(&self) -> Option<Value<S>> {
        real(self.concentration / (self.rate * self.rate))
    }
}

/// The beta distribution on `(0, 1)` with concentrations `alpha` and `beta` (Pyro's
/// `Beta(concentration1, concentration0)`).
///
/// Draws are reparameterised: `x = g₁ / (g₁ + g₂)` with `gᵢ` standard gamma draws carrying
/// their implicit reparameterisation gradients (see [`Gamma`]), so SVI takes the pathwise
/// gradient for beta guide sites.
#[derive(Clone, Copy, Debug)]
pub struct Beta<S: Scalar = f64> {
    alpha: Real<S>,
    beta: Real<S>,
}

impl<S: Scalar> Beta<S> {
    /// `alpha > 0`, `beta > 0`.
    pub fn new(alpha: impl Into<Real<S>>, beta: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(Beta {
            alpha: check_positive("alpha", alpha.into())?,
            beta: check_positive("beta", beta.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for Beta<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "Beta"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        let (a, b) = (self.alpha.value(), self.beta.value());
        let (x, ln_x) = gamma_draw_ln(rng, a);
        let (y, ln_y) = gamma_draw_ln(rng, b);
        let s = x + y;
        let p = x / s;
        if !(x >= f64::MIN_POSITIVE && y >= f64::MIN_POSITIVE && p <= BELOW_ONE && s.is_finite()) {
            // Tiny concentrations: a draw underflows, or the ratio rounds to 1. Normalise in
            // log space and keep the result inside (0, 1); such draws carry no derivative.
            let (p, _) = normalise_ln(&[ln_x, ln_y]);
            return Real::new(p[0]);
        }
        // ∂/∂x x/(x+y) = y/s², ∂/∂y = −x/s².
        fused(
            x / s,
            [
                (self.alpha, gamma_draw_grad::<S>(a, x) * y / (s * s)),
                (self.beta, -gamma_draw_grad::<S>(b, y) * x / (s * s)),
            ],
        )
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        if *x <= 0.0 || *x >= 1.0 {
            return neg_inf();
        }
        let (xv, a, b) = (x.value(), self.alpha.value(), self.beta.value());
        let (lx, l1x) = (xv.ln(), (-xv).ln_1p());
        // statrs's ln B(a, b) avoids the cancellation of three ln Γ for large a and b.
        let value = (a - 1.0) * lx + (b - 1.0) * l1x - statrs::function::beta::ln_beta(a, b);
        let dsum = digamma_f64(a + b);
        fused(
            value,
            [
                (*x, (a - 1.0) / xv - (b - 1.0) / (1.0 - xv)),
                (self.alpha, lx - digamma_f64(a) + dsum),
                (self.beta, l1x - digamma_f64(b) + dsum),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::unit_interval()
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        real(self.alpha / (self.alpha + self.beta))
    }
    fn variance(&self) -> Option<Value<S>> {
        let s = self.alpha + self.beta;
        real(self.alpha * self.beta / (s * s * (s + 1.0)))
    }
}

/// The continuous uniform distribution on `[low, high)`.
#[derive(Clone, Copy, Debug)]
pub struct Uniform<S: Scalar = f64> {
    low: Real<S>,
    high: Real<S>,
}

impl<S: Scalar> Uniform<S> {
    /// Finite `low < high`.
    pub fn new(low: impl Into<Real<S>>, high: impl Into<Real<S>>) -> Result<Self, DistError> {
        let low = check_finite("low", low.into())?;
        let high = check_finite("high", high.into())?;
        if low.value() < high.value() {
            Ok(Uniform { low, high })
        } else {
            Err(DistError::EmptyInterval {
                low: low.value(),
                high: high.value(),
            })
        }
    }
}

impl<S: Scalar> Distribution<S> for Uniform<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "Uniform"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        self.low + (self.high - self.low) * open01(rng)
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        if *x < self.low || *x >= self.high {
            return neg_inf();
        }
        -(self.high - self.low).ln()
    }
    fn support(&self) -> Constraint {
        Constraint::Interval(self.low.value(), self.high.value())
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        real(0.5 * (self.low + self.high))
    }
    fn variance(&self) -> Option<Value<S>> {
        let w = self.high - self.low;
        real(w * w / 12.0)
    }
}

/// Student's t distribution with `df` degrees of freedom, location and scale.
///
/// Draws are reparameterised in `loc` and `scale` but not in `df`, so
/// [`has_rsample`](Distribution::has_rsample) is false.
#[derive(Clone, Copy, Debug)]
pub struct StudentT<S: Scalar = f64> {
    df: Real<S>,
    loc: Real<S>,
    scale: Real<S>,
}

impl<S: Scalar> StudentT<S> {
    /// `df > 0`, `loc` finite, `scale > 0`.
    pub fn new(
        df: impl Into<Real<S>>,
        loc: impl Into<Real<S>>,
        scale: impl Into<Real<S>>,
    ) -> Result<Self, DistError> {
        Ok(StudentT {
            df: check_positive("df", df.into())?,
            loc: check_finite("loc", loc.into())?,
            scale: check_positive("scale", scale.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for StudentT<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "StudentT"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        let nu = self.df.value();
        let z = standard_normal(rng);
        let (g, ln_g) = gamma_draw_ln(rng, 0.5 * nu);
        let t = z / (2.0 * g / nu).sqrt();
        if t.is_finite() && g > 0.0 {
            return self.loc + self.scale * t;
        }
        // A chi-square draw that underflows (tiny df): `t = z / √(2g/ν)` in log space. Its
        // magnitude may exceed f64::MAX (for df = 1e-3, about half the draws do): then it is
        // infinite, and the site reports the draw as not representable.
        let ln_t = z.abs().ln() - 0.5 * (std::f64::consts::LN_2 + ln_g - nu.ln());
        let t = z.signum() * ln_t.exp();
        self.loc + self.scale * t
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        let (nu, sc) = (self.df.value(), self.scale.value());
        let z = (x.value() - self.loc.value()) / sc;
        let half = 0.5 * (nu + 1.0);
        let t = z * z / nu;
        // ln(1 + z²/ν), and t/(1 + t), also where z²/ν overflows (a tiny df's far tail).
        let (ln1p_t, t_frac) = if t.is_finite() {
            (t.ln_1p(), t / (1.0 + t))
        } else {
            (
                2.0 * (x.value() - self.loc.value()).abs().ln() - 2.0 * sc.ln() - nu.ln(),
                1.0,
            )
        };
        let value =
            ln_gamma(half) - ln_gamma(0.5 * nu) - 0.5 * (nu * PI).ln() - sc.ln() - half * ln1p_t;
        // ∂/∂z, then the chain rule through z = (x − μ)/σ.
        let dz = -half * 2.0 * z / (nu * (1.0 + t));
        let dnu = 0.5 * digamma_f64(half) - 0.5 * digamma_f64(0.5 * nu) - 0.5 / nu - 0.5 * ln1p_t
            + half * t_frac / nu;
        fused(
            value,
            [
                (*x, dz / sc),
                (self.loc, -dz / sc),
                (self.scale, -1.0 / sc - dz * z / sc),
                (self.df, dnu),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::Real
    }
    fn mean(&self) -> Option<Value<S>> {
        (self.df > 1.0).then_some(Value::Real(self.loc))
    }
    fn variance(&self) -> Option<Value<S>> {
        (self.df > 2.0).then(|| Value::Real(self.scale * self.scale * self.df / (self.df - 2.0)))
    }
}

/// The Cauchy distribution.
#[derive(Clone, Copy, Debug)]
pub struct Cauchy<S: Scalar = f64> {
    loc: Real<S>,
    scale: Real<S>,
}

impl<S: Scalar> Cauchy<S> {
    /// `loc` finite, `scale > 0`.
    pub fn new(loc: impl Into<Real<S>>, scale: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(Cauchy {
            loc: check_finite("loc", loc.into())?,
            scale: check_positive("scale", scale.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for Cauchy<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "Cauchy"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        self.loc + self.scale * (PI * (open01(rng) - 0.5)).tan()
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        let sc = self.scale.value();
        let z = (x.value() - self.loc.value()) / sc;
        let value = -PI.ln() - sc.ln() - (z * z).ln_1p();
        let dz = -2.0 * z / (1.0 + z * z);
        fused(
            value,
            [
                (*x, dz / sc),
                (self.loc, -dz / sc),
                (self.scale, -1.0 / sc - dz * z / sc),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::Real
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        None
    }
    fn variance(&self) -> Option<Value<S>> {
        None
    }
}

/// The half-Cauchy distribution: `|X|` for `X ~ Cauchy(0, scale)`.
#[derive(Clone, Copy, Debug)]
pub struct HalfCauchy<S: Scalar = f64> {
    scale: Real<S>,
}

impl<S: Scalar> HalfCauchy<S> {
    /// `scale > 0`.
    pub fn new(scale: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(HalfCauchy {
            scale: check_positive("scale", scale.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for HalfCauchy<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "HalfCauchy"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        self.scale * (0.5 * PI * open01(rng)).tan()
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        if *x < 0.0 {
            return neg_inf();
        }
        let sc = self.scale.value();
        let z = x.value() / sc;
        let value = std::f64::consts::LN_2 - PI.ln() - sc.ln() - (z * z).ln_1p();
        let dz = -2.0 * z / (1.0 + z * z);
        fused(
            value,
            [(*x, dz / sc), (self.scale, -1.0 / sc - dz * z / sc)],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::Positive
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        None
    }
    fn variance(&self) -> Option<Value<S>> {
        None
    }
}

/// The Laplace (double exponential) distribution.
#[derive(Clone, Copy, Debug)]
pub struct Laplace<S: Scalar = f64> {
    loc: Real<S>,
    scale: Real<S>,
}

impl<S: Scalar> Laplace<S> {
    /// `loc` finite, `scale > 0`.
    pub fn new(loc: impl Into<Real<S>>, scale: impl Into<Real<S>>) -> Result<Self, DistError> {
        Ok(Laplace {
            loc: check_finite("loc", loc.into())?,
            scale: check_positive("scale", scale.into())?,
        })
    }
}

impl<S: Scalar> Distribution<S> for Laplace<S> {
    scalar_dist_common!();
    fn name(&self) -> &'static str {
        "Laplace"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        let u = open01(rng) - 0.5;
        self.loc - self.scale * (u.signum() * (1.0 - 2.0 * u.abs()).ln())
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        let sc = self.scale.value();
        let r = x.value() - self.loc.value();
        let sign = if r > 0.0 {
            1.0
        } else if r < 0.0 {
            -1.0
        } else {
            0.0
        };
        let value = -(2.0 * sc).ln() - r.abs() / sc;
        fused(
            value,
            [
                (*x, -sign / sc),
                (self.loc, sign / sc),
                (self.scale, -1.0 / sc + r.abs() / (sc * sc)),
            ],
        )
    }
    fn support(&self) -> Constraint {
        Constraint::Real
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn mean(&self) -> Option<Value<S>> {
        real(self.loc)
    }
    fn variance(&self) -> Option<Value<S>> {
        real(2.0 * self.scale * self.scale)
    }
}
