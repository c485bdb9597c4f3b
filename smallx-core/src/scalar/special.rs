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
