use super::*;
use num_dual::{DualDVec64, DualSVec64};
use std::f64::consts::PI;

fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

fn check_derivative(name: &str, f: impl Fn(Real<Dual64>) -> Real<Dual64>, points: &[f64]) {
    for &x in points {
        let y = f(Real::variable(x, 0));
        let reference = fd(|t| f(Real::new(t)).value(), x);
        assert!(
            (y.derivative(0) - reference).abs() < 1e-6 * reference.abs().max(1.0),
            "{name}'({x}): dual {} vs finite difference {reference}",
            y.derivative(0)
        );
    }
}

#[test]
fn special_function_derivatives_match_finite_differences() {
    let pts = [-3.0, -0.7, 0.1, 0.9, 2.5, 8.0];
    let positive = [0.05, 0.7, 1.0, 3.3, 12.0, 40.0];
    check_derivative("erf", |x| x.erf(), &pts);
    check_derivative("erfc", |x| x.erfc(), &pts);
    check_derivative(
        "normal_log_cdf",
        |x| x.normal_log_cdf(),
        &[-45.0, -36.9, -37.1, -8.0, -1.0, 0.0, 3.0],
    );
    check_derivative("softplus", |x| x.softplus(), &[-40.0, -2.0, 0.0, 1.5, 40.0]);
    check_derivative(
        "log_sigmoid",
        |x| x.log_sigmoid(),
        &[-40.0, -2.0, 0.0, 1.5, 40.0],
    );
    check_derivative("sigmoid", |x| x.sigmoid(), &pts);
    check_derivative(
        "ln_bessel_i0",
        |x| x.ln_bessel_i0(),
        &[-3.0, 0.0, 1e-3, 0.9, 24.9, 25.1, 300.0, 1e4],
    );
    check_derivative("ln_gamma", |x| x.ln_gamma(), &positive);
    check_derivative("digamma", |x| x.digamma(), &positive);
    check_derivative("ln_beta", |x| x.ln_beta(Real::new(2.5) * x), &positive);
    check_derivative(
        "log_sum_exp",
        |x| log_sum_exp(&[x, 2.0 * x, Real::new(1.0)]),
        &pts,
    );
}

#[test]
fn trigamma_matches_known_values() {
    assert!((trigamma_f64(1.0) - PI * PI / 6.0).abs() < 1e-13);
    assert!((trigamma_f64(0.5) - PI * PI / 2.0).abs() < 1e-12);
    // ψ₁(x) − ψ₁(x + 1) = 1/x², on both sides of the recurrence threshold.
    for x in [0.3, 2.0, 5.5, 6.5, 30.0] {
        assert!((trigamma_f64(x) - trigamma_f64(x + 1.0) - 1.0 / (x * x)).abs() < 1e-12);
    }
    // Reflection: ψ₁(1 − x) + ψ₁(x) = π² / sin²(πx).
    let x: f64 = -0.4;
    assert!(
        (trigamma_f64(1.0 - x) + trigamma_f64(x) - PI * PI / (PI * x).sin().powi(2)).abs() < 1e-10
    );
}

#[test]
fn normal_log_cdf_is_accurate_in_both_tails() {
    // Φ(−40) ≈ 3.655893540915e-350 underflows; its log does not.
    assert!((normal_log_cdf_f64(-40.0) - (-804.608_442_013_754_2)).abs() < 1e-9);
    // Continuous across the switch to the asymptotic series.
    assert!((normal_log_cdf_f64(-37.0 + 1e-9) - normal_log_cdf_f64(-37.0 - 1e-9)).abs() < 1e-6);
    assert!((normal_log_cdf_f64(0.0) - 0.5f64.ln()).abs() < 1e-15);
    assert!(normal_log_cdf_f64(10.0).abs() < 1e-22);
}

#[test]
fn softplus_and_log_sigmoid_do_not_overflow() {
    assert_eq!(Real::<f64>::new(1000.0).softplus().value(), 1000.0);
    assert_eq!(Real::<f64>::new(-1000.0).log_sigmoid().value(), -1000.0);
    assert!(Real::<f64>::new(-1000.0).softplus().value() >= 0.0);
}

#[test]
fn mixed_arithmetic_with_f64_works_in_both_orders() {
    let x = Real(Dual64::variable(3.0, 0));
    let y = 2.0 * x + x * 2.0 + (1.0 - x) + (x - 1.0) + 6.0 / x + x / 6.0;
    // value: 6 + 6 − 2 + 2 + 2 + 0.5; derivative: 2 + 2 − 1 + 1 − 6/9 + 1/6.
    assert!((y.value() - 14.5).abs() < 1e-15);
    assert!((y.derivative(0) - (4.0 - 6.0 / 9.0 + 1.0 / 6.0)).abs() < 1e-15);
    let mut z = x;
    z += 1.0;
    z *= x;
    z -= 2.0;
    z /= 2.0;
    assert!((z.value() - 5.0).abs() < 1e-15 && (z.derivative(0) - 3.5).abs() < 1e-15);
    assert!(x > 2.0 && x < Real(Dual64::from_re(4.0)) && x == 3.0);
}

#[test]
fn vector_duals_carry_one_direction_per_variable() {
    let a = Real(DualSVec64::<2>::variable(1.5, 0));
    let b = Real(DualSVec64::<2>::variable(-0.5, 1));
    let f = a.ln_gamma() * b.erf();
    let (ga, gb) = (f.derivative(0), f.derivative(1));
    assert!((ga - digamma_f64(1.5) * statrs::function::erf::erf(-0.5)).abs() < 1e-12);
    let derf = 2.0 / PI.sqrt() * (-0.25f64).exp();
    assert!((gb - statrs::function::gamma::ln_gamma(1.5) * derf).abs() < 1e-12);
    // Out-of-range directions are constants.
    assert_eq!(DualSVec64::<2>::variable(1.0, 5).partial(0), 0.0);
}

#[test]
fn the_special_functions_also_work_on_heap_backed_duals() {
    let x = DualDVec64::from_re(2.0).derivative(3, 1);
    let y = x.ln_gamma();
    let eps = y.eps.unwrap_generic(nalgebra::Dyn(3), nalgebra::U1);
    assert_eq!(eps[0], 0.0);
    assert!((eps[1] - digamma_f64(2.0)).abs() < 1e-15);
}

/// `(ln I₀(x), I₁(x)/I₀(x))` from the integrals `I₀(x) = (1/2π)∫ e^(x cos t) dt` and
/// `I₁(x) = (1/2π)∫ e^(x cos t) cos t dt` over a period, by the trapezoid rule (exact up to
/// `I_N(x)/I₀(x) ≈ e^(−N²/2x)`, far below 1e-16 with N = 4096 for x ≤ 1e4), scaled by `e⁻ˣ`.
fn bessel_by_quadrature(x: f64) -> (f64, f64) {
    let n = 4096;
    let (mut s0, mut s1) = (0.0, 0.0);
    for j in 0..n {
        let c = (2.0 * PI * j as f64 / n as f64).cos();
        let w = (x * (c - 1.0)).exp();
        s0 += w;
        s1 += w * c;
    }
    (x + (s0 / n as f64).ln(), s1 / s0)
}

#[test]
fn ln_bessel_i0_is_accurate_from_zero_to_ten_thousand() {
    // Near 0, the Taylor series ln I₀(x) = x²/4 − x⁴/64 + x⁶/576 − …
    for x in [1e-8, 1e-3, 1e-2] {
        let x2: f64 = x * x;
        let taylor = x2 / 4.0 - x2 * x2 / 64.0 + x2 * x2 * x2 / 576.0;
        let r = ln_bessel_i0_f64(x);
        assert!(
            (r - taylor).abs() <= 1e-14 * taylor,
            "ln I0({x}) = {r} vs {taylor}"
        );
        // I₁/I₀ = x/2 − x³/16 + …
        let ratio = bessel_i1_over_i0_f64(x);
        let series = x / 2.0 - x * x2 / 16.0 + x * x2 * x2 / 96.0;
        assert!((ratio - series).abs() <= 1e-14 * series, "I1/I0({x})");
    }
    assert_eq!(ln_bessel_i0_f64(0.0), 0.0);
    assert_eq!(bessel_i1_over_i0_f64(0.0), 0.0);
    for x in [
        0.5, 1.0, 2.0, 7.5, 15.0, 24.999, 25.0, 25.001, 40.0, 100.0, 800.0, 3000.0, 1e4,
    ] {
        let (l, r) = bessel_by_quadrature(x);
        let ours = ln_bessel_i0_f64(x);
        assert!(
            (ours - l).abs() <= 1e-14 * l.abs(),
            "ln I0({x}): {ours} vs quadrature {l}"
        );
        let ratio = bessel_i1_over_i0_f64(x);
        assert!(
            (ratio - r).abs() <= 1e-14 * r,
            "I1/I0({x}): {ratio} vs quadrature {r}"
        );
        // Even and odd.
        assert_eq!(ln_bessel_i0_f64(-x), ours);
        assert_eq!(bessel_i1_over_i0_f64(-x), -ratio);
    }
    // Known values: I₀(1) = 1.2660658777520082, I₁(1) = 0.5651591039924851.
    assert!((ln_bessel_i0_f64(1.0) - 1.266_065_877_752_008_2f64.ln()).abs() < 1e-15);
    assert!(
        (bessel_i1_over_i0_f64(1.0) - 0.565_159_103_992_485_1 / 1.266_065_877_752_008_2).abs()
            < 1e-15
    );
}
