//! Special functions on `f64` that num-dual and statrs do not provide, or provide without the
//! accuracy the derivatives need.

use std::f64::consts::PI;

/// The digamma function `ψ(x) = d/dx ln Γ(x)`.
pub fn digamma_f64(x: f64) -> f64 {
    statrs::function::gamma::digamma(x)
}

/// The trigamma function `ψ₁(x) = d²/dx² ln Γ(x)`.
///
/// Reflection for `x ≤ 0`, upward recurrence `ψ₁(x) = ψ₁(x + 1) + 1/x²` to `x ≥ 10`, then the
/// asymptotic series to the `B₁₂` term (truncation error below 1e-15).
pub fn trigamma_f64(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        if x == x.floor() {
            return f64::INFINITY;
        }
        let s = (PI * x).sin();
        return -trigamma_f64(1.0 - x) + PI * PI / (s * s);
    }
    let mut acc = 0.0;
    let mut x = x;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let r = 1.0 / x;
    let r2 = r * r;
    // 1/x + 1/(2x²) + Σ B_2k / x^(2k+1)
    let series = r
        + 0.5 * r2
        + r * r2
            * (1.0 / 6.0
                + r2 * (-1.0 / 30.0
                    + r2 * (1.0 / 42.0
                        + r2 * (-1.0 / 30.0 + r2 * (5.0 / 66.0 + r2 * (-691.0 / 2730.0))))));
    acc + series
}

/// `ln Φ(x)` for the standard normal cdf `Φ`, accurate far into the lower tail.
pub fn normal_log_cdf_f64(x: f64) -> f64 {
    if x > -37.0 {
        (0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)).ln()
    } else {
        // Φ(x) = φ(x)/(-x) · (1 - 1/x² + 3/x⁴ - 15/x⁶ + 105/x⁸ - …)
        let z = 1.0 / (x * x);
        let series = 1.0 - z * (1.0 - z * (3.0 - z * (15.0 - z * 105.0)));
        -0.5 * x * x - 0.5 * (2.0 * PI).ln() - (-x).ln() + series.ln()
    }
}

/// `(ln I₀(x), I₁(x)/I₀(x))` for `x ≥ 0`, with `I₀`, `I₁` the modified Bessel functions of the
/// first kind. Below 25 the power series `I₀ = Σ (x²/4)ᵏ/k!²`, `I₁ = x/2 · Σ (x²/4)ᵏ/(k!(k+1)!)`
/// (positive terms; `ln_1p` of the sum past the first term keeps `ln I₀ ≈ x²/4` accurate near
/// 0); from 25 the asymptotic expansion of `e⁻ˣ√(2πx)·Iᵥ(x)`, summed to its smallest term
/// (below e⁻⁵⁰ there). Both are accurate to a few ulps.
fn bessel_i0_parts(x: f64) -> (f64, f64) {
    if x < 25.0 {
        let q = 0.25 * x * x;
        let (mut t0, mut s0) = (1.0f64, 0.0f64);
        let (mut t1, mut s1) = (1.0f64, 1.0f64);
        for k in 1..200 {
            let k = k as f64;
            t0 *= q / (k * k);
            t1 *= q / (k * (k + 1.0));
            s0 += t0;
            s1 += t1;
            if t0 <= 1e-17 * (1.0 + s0) && t1 <= 1e-17 * s1 {
                break;
            }
        }
        (s0.ln_1p(), 0.5 * x * s1 / (1.0 + s0))
    } else {
        let y = 1.0 / (8.0 * x);
        let (mut a0, mut s0) = (1.0f64, 1.0f64);
        let (mut a1, mut s1) = (1.0f64, 1.0f64);
        for k in 1..100 {
            let m = ((2 * k - 1) * (2 * k - 1)) as f64;
            let n0 = a0 * m * y / k as f64;
            let n1 = a1 * (m - 4.0) * y / k as f64;
            if n0.abs() >= a0.abs() {
                break;
            }
            a0 = n0;
            a1 = n1;
            s0 += a0;
            s1 += a1;
            if a0.abs() <= 1e-17 * s0 && a1.abs() <= 1e-17 * s1.abs() {
                break;
            }
        }
        (x - 0.5 * (2.0 * PI * x).ln() + s0.ln(), s1 / s0)
    }
}

/// `ln I₀(x)`, the log of the modified Bessel function of the first kind of order 0 (even in
/// `x`), accurate to about 1e-15 relative for any `x` (no overflow: `I₀(1e4)` is `e⁹⁹⁹⁵`).
pub fn ln_bessel_i0_f64(x: f64) -> f64 {
    bessel_i0_parts(x.abs()).0
}

/// `I₁(x)/I₀(x)`, the derivative of [`ln_bessel_i0_f64`] (odd in `x`; the mean resultant
/// length of a von Mises distribution with concentration `x`).
pub fn bessel_i1_over_i0_f64(x: f64) -> f64 {
    let r = bessel_i0_parts(x.abs()).1;
    if x < 0.0 { -r } else { r }
}
