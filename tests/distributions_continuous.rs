//! The continuous families Weibull, Pareto, TruncatedNormal, ImproperUniform (and, further
//! down, LkjCholesky and VonMises): log-densities against statrs 0.19 where it has the family,
//! else against an independent closed form and a numerical integral of the density (to 1e-8);
//! the mean and variance of 100 000 draws; reparameterised draws' derivatives; constructor
//! errors with their messages; NUTS on models using them.
//!
//! Log densities agree to 1e-10 relative (absolute below magnitude 1). Moments agree within
//! 5 standard errors: `sd/√n` for the mean and `√((m₄ − s⁴)/n)` for the variance, with the
//! fourth central moment estimated from the same draws; seeds are fixed, so the tests are
//! deterministic, and a correct sampler fails one check with probability below 1e-6. MCMC
//! checks use 4 Monte Carlo standard errors (bulk ESS), as tests/nuts.rs does.

use smallx::DistError;
use smallx::dist::Distribution;
use smallx::infer::diagnostics::ess_bulk;
use smallx::infer::{Mcmc, Nuts, Samples};
use smallx::prelude::*;
use smallx::{DualSVec64, Scalar, ValueKind};
use statrs::distribution::{Continuous, ContinuousCDF};

const N: usize = 100_000;

fn close(ours: f64, reference: f64, tol: f64, what: &str) {
    assert!(
        (ours - reference).abs() <= tol * reference.abs().max(1.0),
        "{what}: smallx {ours} vs reference {reference}"
    );
}

fn check_log_prob<D: Distribution<f64, Value = Real<f64>>>(
    d: &D,
    points: &[f64],
    reference: impl Fn(f64) -> f64,
) {
    for &x in points {
        close(
            d.log_prob(&Real(x)).value(),
            reference(x),
            1e-10,
            &format!("{} log_prob at {x}", d.name()),
        );
    }
}

/// Composite Simpson's rule with `n` (even) panels.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        let x = a + i as f64 * h;
        s += if i % 2 == 1 { 4.0 } else { 2.0 } * f(x);
    }
    s * h / 3.0
}

fn density<D: Distribution<f64, Value = Real<f64>>>(d: &D) -> impl Fn(f64) -> f64 + '_ {
    move |x| d.log_prob(&Real(x)).value().exp()
}

fn check_moments(name: &str, draws: &[f64], mean: f64, var: f64) {
    let n = draws.len() as f64;
    let m = draws.iter().sum::<f64>() / n;
    let s2 = draws.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = draws.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
    let se_mean = (s2 / n).sqrt();
    let se_var = ((m4 - s2 * s2).max(0.0) / n).sqrt();
    assert!(
        (m - mean).abs() <= 5.0 * se_mean,
        "{name}: sample mean {m} vs {mean} (se {se_mean})"
    );
    assert!(
        (s2 - var).abs() <= 5.0 * se_var,
        "{name}: sample variance {s2} vs {var} (se {se_var})"
    );
}

fn draws<D: Distribution<f64, Value = Real<f64>>>(d: &D, seed: u64) -> Vec<f64> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..N).map(|_| d.sample(&mut rng).value()).collect()
}

fn check_sampler<D: Distribution<f64, Value = Real<f64>>>(d: &D, seed: u64) -> Vec<f64> {
    let mean = d.mean().unwrap().as_f64().unwrap();
    let var = d.variance().unwrap().as_f64().unwrap();
    let xs = draws(d, seed);
    check_moments(d.name(), &xs, mean, var);
    xs
}

/// A reparameterised draw's derivative with respect to each of `params` (forward mode, the same
/// seed) against central differences of the `f64` draw: 1e-6 relative.
fn check_rsample<const P: usize>(
    name: &str,
    params: [f64; P],
    draw: impl Fn(&[Real<DualSVec64<P>>; P], &mut SmallRng) -> Real<DualSVec64<P>>,
    draw_f64: impl Fn(&[Real<f64>; P], &mut SmallRng) -> Real<f64>,
) {
    let h = 1e-6;
    for seed in 0..20 {
        let vars: [Real<DualSVec64<P>>; P] = std::array::from_fn(|i| Real::variable(params[i], i));
        let x = draw(&vars, &mut SmallRng::seed_from_u64(seed));
        let plain = draw_f64(&params.map(Real), &mut SmallRng::seed_from_u64(seed));
        close(x.value(), plain.value(), 1e-14, &format!("{name} draw"));
        for i in 0..P {
            let (mut up, mut down) = (params, params);
            up[i] += h;
            down[i] -= h;
            let fd = (draw_f64(&up.map(Real), &mut SmallRng::seed_from_u64(seed)).value()
                - draw_f64(&down.map(Real), &mut SmallRng::seed_from_u64(seed)).value())
                / (2.0 * h);
            close(
                x.derivative(i),
                fd,
                1e-6,
                &format!("{name} draw (seed {seed}) d/dparam{i}"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Weibull

#[test]
fn weibull_log_density_matches_statrs() {
    for (scale, k) in [(2.0, 1.5), (0.7, 0.6), (3.0, 5.0), (1.0, 1.0)] {
        let d = Weibull::new(scale, k).unwrap();
        let r = statrs::distribution::Weibull::new(k, scale).unwrap();
        check_log_prob(&d, &[1e-3, 0.1, 0.5, 1.0, 2.5, 7.0], |x| r.ln_pdf(x));
        assert_eq!(d.log_prob(&Real(-0.5)).value(), f64::NEG_INFINITY);
        assert_eq!(d.log_prob(&Real(0.0)).value(), f64::NEG_INFINITY);
        assert_eq!(d.support(), Constraint::Positive);
        assert!(d.has_rsample());
    }
}

#[test]
fn weibull_moments_match_statrs_and_100k_draws() {
    for (seed, (scale, k)) in [(2.0, 1.5), (0.7, 0.6), (3.0, 5.0)].into_iter().enumerate() {
        let d = Weibull::new(scale, k).unwrap();
        let r = statrs::distribution::Weibull::new(k, scale).unwrap();
        use statrs::statistics::Distribution as _;
        close(
            d.mean().unwrap().as_f64().unwrap(),
            r.mean().unwrap(),
            1e-12,
            "Weibull mean",
        );
        close(
            d.variance().unwrap().as_f64().unwrap(),
            r.variance().unwrap(),
            1e-10,
            "Weibull variance",
        );
        check_sampler(&d, 100 + seed as u64);
    }
}

#[test]
fn weibull_draws_are_reparameterised() {
    check_rsample(
        "Weibull",
        [2.0, 1.5],
        |p, rng| Weibull::new(p[0], p[1]).unwrap().sample(rng),
        |p, rng| Weibull::new(p[0], p[1]).unwrap().sample(rng),
    );
}

// ---------------------------------------------------------------------------------------
// Pareto

#[test]
fn pareto_log_density_matches_statrs() {
    for (scale, alpha) in [(1.5, 3.0), (0.2, 0.8), (4.0, 12.0)] {
        let d = Pareto::new(scale, alpha).unwrap();
        let r = statrs::distribution::Pareto::new(scale, alpha).unwrap();
        let points: Vec<f64> = [1.0, 1.001, 1.5, 3.0, 40.0]
            .iter()
            .map(|t| t * scale)
            .collect();
        check_log_prob(&d, &points, |x| r.ln_pdf(x));
        assert_eq!(d.log_prob(&Real(0.999 * scale)).value(), f64::NEG_INFINITY);
        assert_eq!(d.support(), Constraint::GreaterThan(scale));
    }
}

#[test]
fn pareto_moments_match_statrs_and_100k_draws() {
    // α = 9: the fourth moment (which the variance's standard error needs) is finite.
    let d = Pareto::new(1.5, 9.0).unwrap();
    let r = statrs::distribution::Pareto::new(1.5, 9.0).unwrap();
    use statrs::statistics::Distribution as _;
    close(
        d.mean().unwrap().as_f64().unwrap(),
        r.mean().unwrap(),
        1e-12,
        "Pareto mean",
    );
    close(
        d.variance().unwrap().as_f64().unwrap(),
        r.variance().unwrap(),
        1e-12,
        "Pareto variance",
    );
    let xs = check_sampler(&d, 7);
    assert!(xs.iter().all(|&x| x >= 1.5));
    // No mean for α ≤ 1, no variance for α ≤ 2.
    assert!(Pareto::<f64>::new(1.0, 1.0).unwrap().mean().is_none());
    assert!(Pareto::<f64>::new(1.0, 2.0).unwrap().variance().is_none());
    assert!(Pareto::<f64>::new(1.0, 2.0).unwrap().mean().is_some());
}

#[test]
fn pareto_draws_are_reparameterised() {
    check_rsample(
        "Pareto",
        [1.5, 3.0],
        |p, rng| Pareto::new(p[0], p[1]).unwrap().sample(rng),
        |p, rng| Pareto::new(p[0], p[1]).unwrap().sample(rng),
    );
}

// ---------------------------------------------------------------------------------------
// TruncatedNormal

/// ln Φ(−10) = ln 7.619853024160526e-24, from the tables of the normal tail.
const LN_PHI_MINUS_10: f64 = -53.231_285_150_512_47;

#[test]
fn truncated_normal_log_density_matches_the_closed_form() {
    let inf = f64::INFINITY;
    for (loc, scale, low, high) in [
        (0.0, 1.0, -1.0, 2.0),
        (1.0, 2.0, -inf, 0.5),
        (-0.5, 0.7, 0.0, inf),
        (2.0, 1.5, -inf, inf),
        (0.3, 0.2, 0.25, 0.3),
    ] {
        let d = TruncatedNormal::new(loc, scale, low, high).unwrap();
        let r = statrs::distribution::Normal::new(loc, scale).unwrap();
        let mass = r.cdf(high) - r.cdf(low);
        let lo = if low.is_finite() {
            low
        } else {
            loc - 10.0 * scale
        };
        let hi = if high.is_finite() {
            high
        } else {
            loc + 10.0 * scale
        };
        let points: Vec<f64> = (0..=6)
            .map(|i| (lo + (hi - lo) * i as f64 / 6.0).min(hi))
            .collect();
        check_log_prob(&d, &points, |x| r.ln_pdf(x) - mass.ln());
        if low.is_finite() {
            assert_eq!(d.log_prob(&Real(low - 1e-9)).value(), f64::NEG_INFINITY);
        }
        if high.is_finite() {
            assert_eq!(d.log_prob(&Real(high + 1e-9)).value(), f64::NEG_INFINITY);
        }
        // The density integrates to 1 (beyond 12 sd the mass is below 1e-32).
        let lo = if low.is_finite() {
            low
        } else {
            loc - 12.0 * scale
        };
        let hi = if high.is_finite() {
            high
        } else {
            loc + 12.0 * scale
        };
        let total = simpson(density(&d), lo, hi, 20_000);
        close(
            total,
            1.0,
            1e-8,
            &format!("∫ TruncatedNormal{:?}", (loc, scale, low, high)),
        );
    }
}

#[test]
fn truncated_normal_is_stable_ten_sd_into_either_tail() {
    let inf = f64::INFINITY;
    // Upper tail: x ≥ μ + 10σ, with μ = 1, σ = 2. The density at x is φ(z)/(σ Φ(−10)).
    let d = TruncatedNormal::new(1.0, 2.0, 21.0, inf).unwrap();
    for x in [21.0, 21.05, 21.5, 23.0] {
        let z = (x - 1.0) / 2.0;
        let reference =
            -0.5 * z * z - 0.5 * (2.0 * std::f64::consts::PI).ln() - 2f64.ln() - LN_PHI_MINUS_10;
        close(d.log_prob(&Real(x)).value(), reference, 1e-10, "upper tail");
    }
    // The mass is 1 to 1e-8 (it sits within a few tenths of σ of the bound).
    close(
        simpson(density(&d), 21.0, 31.0, 100_000),
        1.0,
        1e-8,
        "∫ upper tail",
    );
    // The mirror image.
    let m = TruncatedNormal::new(-1.0, 2.0, -inf, -21.0).unwrap();
    for x in [-21.0, -21.5, -23.0] {
        close(
            m.log_prob(&Real(x)).value(),
            d.log_prob(&Real(-x)).value(),
            1e-12,
            "lower tail mirrors upper tail",
        );
    }
    // A two-sided interval in the tail: (10σ, 11σ).
    let two = TruncatedNormal::new(0.0, 1.0, 10.0, 11.0).unwrap();
    close(
        simpson(density(&two), 10.0, 11.0, 100_000),
        1.0,
        1e-8,
        "∫ (10, 11)",
    );
    // Draws stay inside and have the right moments.
    for (seed, dist) in [d, m, two].iter().enumerate() {
        let xs = check_sampler(dist, 30 + seed as u64);
        let (lo, hi) = (dist.low().value(), dist.high().value());
        assert!(xs.iter().all(|&x| x >= lo && x <= hi));
    }
    // The moments of the upper tail, against numerical integration.
    let mean = simpson(|x| x * density(&d)(x), 21.0, 31.0, 100_000);
    close(d.mean().unwrap().as_f64().unwrap(), mean, 1e-8, "tail mean");
    let var = simpson(|x| (x - mean).powi(2) * density(&d)(x), 21.0, 31.0, 100_000);
    // The closed form 1 + αλ − λ² (λ = φ(α)/Z ≈ 10.1) cancels about four digits here.
    close(
        d.variance().unwrap().as_f64().unwrap(),
        var,
        1e-5,
        "tail variance",
    );
}

#[test]
fn truncated_normal_moments_match_100k_draws() {
    let inf = f64::INFINITY;
    for (seed, (loc, scale, low, high)) in [
        (0.0, 1.0, -1.0, 2.0),
        (1.0, 2.0, -inf, 0.5),
        (-0.5, 0.7, 0.0, inf),
        (0.3, 0.2, 0.25, 0.3),
        (0.0, 1.0, -inf, inf),
    ]
    .into_iter()
    .enumerate()
    {
        let d = TruncatedNormal::new(loc, scale, low, high).unwrap();
        // The analytic moments against numerical integration.
        let lo = if low.is_finite() {
            low
        } else {
            loc - 12.0 * scale
        };
        let hi = if high.is_finite() {
            high
        } else {
            loc + 12.0 * scale
        };
        let mean = simpson(|x| x * density(&d)(x), lo, hi, 20_000);
        let var = simpson(|x| (x - mean).powi(2) * density(&d)(x), lo, hi, 20_000);
        close(d.mean().unwrap().as_f64().unwrap(), mean, 1e-8, "mean");
        close(
            d.variance().unwrap().as_f64().unwrap(),
            var,
            1e-8,
            "variance",
        );
        let xs = check_sampler(&d, 40 + seed as u64);
        assert!(xs.iter().all(|&x| x >= low && x <= high));
    }
}

#[test]
fn truncated_normal_draws_are_reparameterised_in_every_parameter() {
    for (name, bounds) in [
        ("two-sided", [-0.5, 1.2]),
        ("upper tail", [8.0, 9.0]),
        ("lower tail", [-9.0, -8.5]),
    ] {
        check_rsample(
            name,
            [0.3, 1.1, bounds[0], bounds[1]],
            |p, rng| {
                TruncatedNormal::new(p[0], p[1], p[2], p[3])
                    .unwrap()
                    .sample(rng)
            },
            |p, rng| {
                TruncatedNormal::new(p[0], p[1], p[2], p[3])
                    .unwrap()
                    .sample(rng)
            },
        );
    }
    let inf = f64::INFINITY;
    check_rsample(
        "one-sided",
        [0.3, 1.1, -0.4],
        |p, rng| {
            TruncatedNormal::new(p[0], p[1], p[2], inf)
                .unwrap()
                .sample(rng)
        },
        |p, rng| {
            TruncatedNormal::new(p[0], p[1], p[2], inf)
                .unwrap()
                .sample(rng)
        },
    );
}

// ---------------------------------------------------------------------------------------
// ImproperUniform

#[test]
fn improper_uniform_is_flat_on_its_support() {
    let cases = [
        (
            Constraint::Real,
            vec![-1e6, 0.0, 3.0],
            vec![f64::INFINITY, f64::NAN],
        ),
        (Constraint::Positive, vec![1e-9, 5.0], vec![0.0, -1.0]),
        (Constraint::GreaterThan(2.0), vec![2.5], vec![1.0, 2.0]),
        (Constraint::LessThan(-1.0), vec![-3.0], vec![0.0]),
        (Constraint::Interval(0.0, 1.0), vec![0.5], vec![1.5]),
    ];
    for (c, inside, outside) in cases {
        let d = ImproperUniform::<f64>::new(c).unwrap();
        assert_eq!(d.support(), c);
        assert!(d.mean().is_none() && d.variance().is_none() && !d.has_rsample());
        for x in inside {
            assert_eq!(d.log_prob(&Real(x)).value(), 0.0, "{c} at {x}");
        }
        for x in outside {
            assert_eq!(
                d.log_prob(&Real(x)).value(),
                f64::NEG_INFINITY,
                "{c} at {x}"
            );
        }
        // "Draws" are inside the support: T(u) for u uniform in (−2, 2).
        let mut rng = SmallRng::seed_from_u64(1);
        for _ in 0..1000 {
            let x = d.sample(&mut rng).value();
            assert!(c.contains(x), "{c}: {x}");
            let u = c.inverse(&Value::Real(Real(x))).unwrap()[0];
            assert!(u.abs() < 2.0 + 1e-9, "{c}: {x} came from {u}");
        }
    }
    assert_eq!(flat::<f64>().support(), Constraint::Real);
}

#[model]
fn flat_mean(ys: &[f64]) {
    let mu = sample!("mu", ImproperUniform::new(Constraint::Real));
    for (i, &y) in ys.iter().enumerate() {
        observe!(format!("y{i}"), Normal::new(mu, 1.0), y);
    }
}

/// (mean error, sd error) in units of their Monte Carlo standard errors, as in tests/nuts.rs.
fn standardised_errors(samples: &Samples, site: &str, j: usize, mean: f64, sd: f64) -> (f64, f64) {
    let chains = samples.site(site).unwrap().element(j).unwrap();
    let all: Vec<f64> = chains.concat();
    let n = all.len() as f64;
    let m = all.iter().sum::<f64>() / n;
    let var = all.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = all.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
    let squares: Vec<Vec<f64>> = chains
        .iter()
        .map(|c| c.iter().map(|x| (x - m).powi(2)).collect())
        .collect();
    let kurtosis = m4 / (var * var);
    let mcse_mean = sd / ess_bulk(&chains).sqrt();
    let mcse_sd = sd * ((kurtosis - 1.0) / (4.0 * ess_bulk(&squares))).sqrt();
    ((m - mean) / mcse_mean, (var.sqrt() - sd) / mcse_sd)
}

fn assert_within_4_se(samples: &Samples, site: &str, j: usize, mean: f64, sd: f64) {
    let (em, es) = standardised_errors(samples, site, j, mean, sd);
    assert!(
        em.abs() < 4.0 && es.abs() < 4.0,
        "{site}[{j}]: mean off by {em:.2} SE, sd off by {es:.2} SE (exact {mean}, {sd})"
    );
}

#[test]
fn nuts_with_a_flat_prior_reaches_the_likelihood_shaped_posterior() {
    // 20 points; with a flat prior on μ the posterior is N(ȳ, 1/20).
    let mut rng = SmallRng::seed_from_u64(11);
    let ys: Vec<f64> = (0..20)
        .map(|_| 1.3 + Normal::<f64>::standard().sample(&mut rng).value())
        .collect();
    let ybar = ys.iter().sum::<f64>() / 20.0;
    let samples = Mcmc::new(Nuts::new(flat_mean))
        .warmup(1000)
        .samples(2000)
        .chains(2)
        .seed(5)
        .progress(false)
        .run(&(&ys[..],))
        .unwrap();
    assert_within_4_se(&samples, "mu", 0, ybar, (1.0f64 / 20.0).sqrt());
}

// ---------------------------------------------------------------------------------------
// Constructor errors

#[test]
fn invalid_parameters_are_errors_with_messages() {
    let msg = |e: DistError| e.to_string();
    assert_eq!(
        msg(Weibull::<f64>::new(0.0, 1.0).unwrap_err()),
        "scale must be positive, got 0"
    );
    assert_eq!(
        msg(Weibull::<f64>::new(1.0, -2.0).unwrap_err()),
        "concentration must be positive, got -2"
    );
    assert_eq!(
        msg(Weibull::<f64>::new(f64::INFINITY, 1.0).unwrap_err()),
        "scale must be positive, got inf"
    );
    assert_eq!(
        msg(Pareto::<f64>::new(-1.0, 1.0).unwrap_err()),
        "scale must be positive, got -1"
    );
    assert_eq!(
        msg(Pareto::<f64>::new(1.0, f64::NAN).unwrap_err()),
        "alpha must be positive, got NaN"
    );
    let inf = f64::INFINITY;
    assert_eq!(
        msg(TruncatedNormal::<f64>::new(f64::NAN, 1.0, 0.0, 1.0).unwrap_err()),
        "loc must be finite, got NaN"
    );
    assert_eq!(
        msg(TruncatedNormal::<f64>::new(0.0, 0.0, 0.0, 1.0).unwrap_err()),
        "scale must be positive, got 0"
    );
    assert_eq!(
        msg(TruncatedNormal::<f64>::new(0.0, 1.0, f64::NAN, 1.0).unwrap_err()),
        "low must be finite, got NaN"
    );
    assert_eq!(
        msg(TruncatedNormal::<f64>::new(0.0, 1.0, 0.0, f64::NAN).unwrap_err()),
        "high must be finite, got NaN"
    );
    assert_eq!(
        msg(TruncatedNormal::<f64>::new(0.0, 1.0, 1.0, 1.0).unwrap_err()),
        "low must be below high, got low = 1, high = 1"
    );
    assert_eq!(
        msg(TruncatedNormal::<f64>::new(0.0, 1.0, inf, inf).unwrap_err()),
        "low must be below high, got low = inf, high = inf"
    );
    assert!(
        msg(TruncatedNormal::<f64>::new(0.0, 1.0, 1e300, inf).unwrap_err())
            .starts_with("low, high must lie in an interval with mass representable")
    );
    assert_eq!(
        msg(ImproperUniform::<f64>::new(Constraint::Simplex).unwrap_err()),
        "ImproperUniform holds one real, so its support must be an elementwise continuous constraint (real, positive, greater_than, less_than, interval): got simplex"
    );
    assert_eq!(
        msg(ImproperUniform::<f64>::new(Constraint::Boolean).unwrap_err()),
        "ImproperUniform holds one real, so its support must be an elementwise continuous constraint (real, positive, greater_than, less_than, interval): got boolean"
    );
    assert_eq!(
        msg(ImproperUniform::<f64>::new(Constraint::Interval(1.0, 0.0)).unwrap_err()),
        "low must be below high, got low = 1, high = 0"
    );
    assert_eq!(
        msg(ImproperUniform::<f64>::new(Constraint::GreaterThan(f64::NAN)).unwrap_err()),
        "support lower bound must be finite, got NaN"
    );
}

/// An invalid parameter inside a model is an error naming the site.
#[model]
fn bad_weibull() {
    sample!("w", Weibull::new(1.0, -1.0));
}

#[test]
fn an_invalid_parameter_in_a_model_names_the_site() {
    let err = get_trace(&bad_weibull, &(), &mut SmallRng::seed_from_u64(0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "site `w`: invalid Weibull: concentration must be positive, got -1"
    );
}

/// The generic scalar path: `Scalar` is used by the gradient lists in tests/gradients.rs and
/// tests/reverse_mode.rs; this only checks that an `f64` and a dual evaluation agree.
#[test]
fn every_family_evaluates_the_same_value_with_every_scalar() {
    fn lp<S: Scalar>(t: Real<S>) -> Real<S> {
        Weibull::new(t + 1.0, 2.0)
            .unwrap()
            .log_prob(&Real::new(0.8))
            + Pareto::new(t, 3.0).unwrap().log_prob(&Real::new(2.0))
            + TruncatedNormal::new(t, 1.0, 0.0, 2.0)
                .unwrap()
                .log_prob(&Real::new(0.5))
    }
    let v = lp::<f64>(Real(0.4)).value();
    let d = lp::<DualSVec64<1>>(Real::variable(0.4, 0)).value();
    assert_eq!(v, d);
}

// ---------------------------------------------------------------------------------------
// LkjCholesky

fn corr_factor(u: &[f64], d: usize) -> DMatrix<Real<f64>> {
    let (v, _) = Constraint::CorrCholesky
        .forward::<f64>(
            &u.iter().map(|&x| Real(x)).collect::<Vec<_>>(),
            ValueKind::Matrix(d, d),
        )
        .unwrap();
    match v {
        Value::Matrix(m) => m,
        other => panic!("{other:?}"),
    }
}

#[test]
fn lkj_in_two_dimensions_is_a_scaled_beta_on_the_correlation() {
    // For d = 2, L = [[1, 0], [r, √(1 − r²)]] and the one coordinate is L₁₀ = r itself
    // (Jacobian 1), so the density is that of r: (r + 1)/2 ~ Beta(η, η), p(r) = ½ p_Beta.
    for eta in [0.4, 1.0, 2.0, 7.5] {
        let d = LkjCholesky::new(2, eta).unwrap();
        let beta = statrs::distribution::Beta::new(eta, eta).unwrap();
        for r in [-0.99, -0.5, 0.0, 0.3, 0.9] {
            let l =
                DMatrix::from_row_slice(2, 2, &[1.0, 0.0, r, (1.0f64 - r * r).sqrt()]).map(Real);
            close(
                d.log_prob(&l).value(),
                beta.ln_pdf((r + 1.0) / 2.0) - std::f64::consts::LN_2,
                1e-10,
                &format!("LKJ(2, {eta}) at r = {r}"),
            );
        }
    }
}

#[test]
fn lkj_in_three_dimensions_integrates_to_one() {
    // The density factorises over rows: p(L) = f₁(row 1)·f₂(row 2). With row 2 fixed at w₀,
    // ∫ p dr₁ = I₁·f₂(w₀); with row 1 fixed at r₀, ∫ p dw = f₁(r₀)·I₂; so
    // ∫ p = (∫ p dr₁)(∫ p dw)/p(r₀, w₀). Row 2 is integrated over the unit disk in polar
    // coordinates (Simpson in the radius, the trapezoid rule in the angle, exact for a
    // periodic integrand).
    for eta in [1.0, 2.0, 3.5] {
        let d = LkjCholesky::new(3, eta).unwrap();
        let at = |r1: f64, w: [f64; 2]| {
            let rem = 1.0 - w[0] * w[0] - w[1] * w[1];
            let l = DMatrix::from_row_slice(
                3,
                3,
                &[
                    1.0,
                    0.0,
                    0.0,
                    r1,
                    (1.0 - r1 * r1).sqrt(),
                    0.0,
                    w[0],
                    w[1],
                    rem.max(0.0).sqrt(),
                ],
            )
            .map(Real);
            d.log_prob(&l).value().exp()
        };
        let (r0, w0) = (0.2, [0.1, -0.3]);
        // The substitutions r = sin θ and ρ = sin φ make the integrands smooth at the
        // boundary, where they behave like powers of √(1 − r²).
        let half_pi = std::f64::consts::FRAC_PI_2;
        let row1 = simpson(|th| at(th.sin(), w0) * th.cos(), -half_pi, half_pi, 4000);
        let angles = 256;
        let row2 = simpson(
            |phi| {
                let rho = f64::sin(phi);
                phi.cos()
                    * (0..angles)
                        .map(|k| {
                            let th = 2.0 * std::f64::consts::PI * k as f64 / angles as f64;
                            at(r0, [rho * th.cos(), rho * th.sin()])
                        })
                        .sum::<f64>()
                    * rho
                    * 2.0
                    * std::f64::consts::PI
                    / angles as f64
            },
            0.0,
            half_pi,
            4000,
        );
        close(
            row1 * row2 / at(r0, w0),
            1.0,
            1e-8,
            &format!("∫ LKJ(3, {eta})"),
        );
    }
}

#[test]
fn lkj_draws_have_the_correlation_moments() {
    // Off-diagonal correlations: mean 0, variance 1/(2η + d − 1); 100k draws, 5 SE.
    for (seed, (dim, eta)) in [(3, 2.0), (4, 0.7), (4, 3.0), (2, 1.0)]
        .into_iter()
        .enumerate()
    {
        let d = LkjCholesky::<f64>::new(dim, eta).unwrap();
        let mut rng = SmallRng::seed_from_u64(60 + seed as u64);
        let mut corr: Vec<Vec<f64>> = vec![Vec::with_capacity(N); dim * (dim - 1) / 2];
        for _ in 0..N {
            let l = d.sample(&mut rng).map(|x| x.value());
            assert!(
                Constraint::CorrCholesky
                    .inverse(&Value::Matrix(l.map(Real)))
                    .is_ok()
            );
            let r = &l * l.transpose();
            let mut k = 0;
            for i in 1..dim {
                for j in 0..i {
                    corr[k].push(r[(i, j)]);
                    k += 1;
                }
            }
        }
        let var = 1.0 / (2.0 * eta + dim as f64 - 1.0);
        for (k, xs) in corr.iter().enumerate() {
            check_moments(&format!("LKJ({dim}, {eta}) correlation {k}"), xs, 0.0, var);
        }
    }
}

#[test]
fn lkj_log_density_is_minus_infinity_off_its_support() {
    let d = LkjCholesky::<f64>::new(3, 2.0).unwrap();
    let l = corr_factor(&[0.3, -0.2, 0.5], 3);
    assert!(d.log_prob(&l).value().is_finite());
    let mut long_row = l.clone();
    long_row[(2, 2)] = Real(2.0);
    assert_eq!(d.log_prob(&long_row).value(), f64::NEG_INFINITY);
    let mut upper = l.clone();
    upper[(0, 1)] = Real(0.1);
    assert_eq!(d.log_prob(&upper).value(), f64::NEG_INFINITY);
    assert_eq!(
        d.log_prob(&corr_factor(&[0.1], 2)).value(),
        f64::NEG_INFINITY
    );
    assert_eq!(d.support(), Constraint::CorrCholesky);
    assert_eq!(d.value_kind(), ValueKind::Matrix(3, 3));
}

#[test]
fn lkj_constructor_errors() {
    assert_eq!(
        LkjCholesky::<f64>::new(1, 2.0).unwrap_err().to_string(),
        "dim must lie in 2, 3, …, got 1"
    );
    assert_eq!(
        LkjCholesky::<f64>::new(3, 0.0).unwrap_err().to_string(),
        "concentration must be positive, got 0"
    );
}

#[model]
fn lkj_prior() {
    sample!("l", LkjCholesky::new(3, 2.0));
}

#[model]
fn lkj_covariance(ys: &[[f64; 3]]) {
    let sigma: DVector<Real> = sample!("sigma", HalfNormal::new(2.0).iid(3));
    let l: DMatrix<Real> = sample!("l", LkjCholesky::new(3, 2.0));
    let scale_tril = DMatrix::from_diagonal(&sigma) * l;
    for (i, y) in ys.iter().enumerate() {
        observe!(
            format!("y{i}"),
            MultivariateNormal::new(DVector::from_element(3, Real::new(0.0)), scale_tril.clone()),
            DVector::from_row_slice(y)
        );
    }
}

#[test]
fn nuts_on_an_lkj_prior_reproduces_its_correlation_variance() {
    // d = 3, η = 2: every correlation has mean 0 and sd √(1/6). L is recorded column by
    // column, so elements 1 and 2 are L₁₀ = R₁₀ and L₂₀ = R₂₀.
    let samples = Mcmc::new(Nuts::new(lkj_prior))
        .warmup(1000)
        .samples(2000)
        .chains(2)
        .seed(8)
        .progress(false)
        .run(&())
        .unwrap();
    let sd = (1.0f64 / 6.0).sqrt();
    assert_within_4_se(&samples, "l", 1, 0.0, sd);
    assert_within_4_se(&samples, "l", 2, 0.0, sd);
    // A covariance model built on it runs and keeps its draws on the support.
    let ys = [[0.3, 0.5, -0.1], [1.2, 0.9, 0.4], [-0.7, -0.2, -0.5]];
    let samples = Mcmc::new(Nuts::new(lkj_covariance))
        .warmup(200)
        .samples(100)
        .chains(1)
        .seed(9)
        .progress(false)
        .run(&(&ys[..],))
        .unwrap();
    let l = samples.site("l").unwrap();
    for i in 0..100 {
        assert!(
            Constraint::CorrCholesky
                .inverse(&l.value(0, i).unwrap())
                .is_ok()
        );
    }
}

// ---------------------------------------------------------------------------------------
// VonMises

#[test]
fn von_mises_density_integrates_to_one_and_matches_the_closed_form() {
    use std::f64::consts::PI;
    for (loc, kappa) in [
        (0.5, 2.0),
        (-2.0, 0.1),
        (3.0, 40.0),
        (0.0, 1e-3),
        (1.0, 5000.0),
    ] {
        let d = VonMises::new(loc, kappa).unwrap();
        // ∫ over a period by the trapezoid rule, exact for periodic analytic integrands up to
        // e^(−N²/2κ) (N = 20 000 points).
        let n = 20_000;
        let total: f64 = (0..n)
            .map(|j| density(&d)(-PI + 2.0 * PI * j as f64 / n as f64))
            .sum::<f64>()
            * 2.0
            * PI
            / n as f64;
        close(total, 1.0, 1e-8, &format!("∫ VonMises({loc}, {kappa})"));
        // Periodic in x.
        close(
            d.log_prob(&Real(0.3 + 2.0 * PI)).value(),
            d.log_prob(&Real(0.3)).value(),
            1e-10,
            "periodic",
        );
        // The ratio of densities is exp(κ(cos(x − μ) − cos(y − μ))), whatever the normaliser.
        let (x, y) = (loc + 0.2, loc - 1.1);
        close(
            d.log_prob(&Real(x)).value() - d.log_prob(&Real(y)).value(),
            kappa * ((x - loc).cos() - (y - loc).cos()),
            1e-10,
            "density ratio",
        );
    }
}

#[test]
fn von_mises_draws_have_the_circular_moments() {
    // E cos(x − μ) = I₁(κ)/I₀(κ) = 1 − circular variance and E sin(x − μ) = 0, with their
    // variances, over 100k draws within 5 SE.
    use std::f64::consts::PI;
    for (seed, (loc, kappa)) in [
        (0.5, 2.0),
        (-2.5, 0.3),
        (3.0, 40.0),
        (0.0, 1e-7),
        (1.0, 2e4),
    ]
    .into_iter()
    .enumerate()
    {
        let d = VonMises::new(loc, kappa).unwrap();
        let xs = draws(&d, 80 + seed as u64);
        assert!(xs.iter().all(|&x| (-PI..PI).contains(&x)));
        let circ_var = d.variance().unwrap().as_f64().unwrap();
        let r = 1.0 - circ_var;
        let cos: Vec<f64> = xs.iter().map(|x| (x - loc).cos()).collect();
        let sin: Vec<f64> = xs.iter().map(|x| (x - loc).sin()).collect();
        // With E cos 2θ = I₂/I₀ = 1 − 2r/κ: Var cos = (1 + E cos 2θ)/2 − r² = 1 − r/κ − r²,
        // Var sin = (1 − E cos 2θ)/2 = r/κ (→ 1/2 as κ → 0).
        let var_cos = 1.0 - r / kappa - r * r;
        let var_sin = r / kappa;
        check_moments(&format!("cos, VonMises({loc}, {kappa})"), &cos, r, var_cos);
        check_moments(
            &format!("sin, VonMises({loc}, {kappa})"),
            &sin,
            0.0,
            var_sin,
        );
    }
}

#[test]
fn von_mises_constructor_errors() {
    assert_eq!(
        VonMises::<f64>::new(f64::INFINITY, 1.0)
            .unwrap_err()
            .to_string(),
        "loc must be finite, got inf"
    );
    assert_eq!(
        VonMises::<f64>::new(0.0, 0.0).unwrap_err().to_string(),
        "concentration must be positive, got 0"
    );
    assert_eq!(
        VonMises::<f64>::new(0.0, 1.0).unwrap().support(),
        Constraint::Interval(-std::f64::consts::PI, std::f64::consts::PI)
    );
}

#[test]
fn von_mises_circular_variance_has_its_derivative() {
    let var = |k: Real<DualSVec64<1>>| match VonMises::new(0.0, k).unwrap().variance().unwrap() {
        Value::Real(v) => v,
        other => panic!("{other:?}"),
    };
    for k in [1e-5, 0.3, 2.0, 24.0, 26.0, 500.0] {
        let h = 1e-6 * f64::max(k, 1e-3);
        let fd = (var(Real::new(k + h)).value() - var(Real::new(k - h)).value()) / (2.0 * h);
        close(
            var(Real::variable(k, 0)).derivative(0),
            fd,
            1e-6,
            &format!("d/dκ at {k}"),
        );
    }
}
