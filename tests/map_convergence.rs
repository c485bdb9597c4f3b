//! `Map` reaches the mode of a regression on an unstandardised scale from its default start
//! (the prior median), reports the log-joint at the point it returns, and says so when it
//! does not converge; autoguides start at the prior median.

use smallx::infer::{AutoDelta, AutoMultivariateNormal, AutoNormal, Init, Map, Metropolis};
use smallx::prelude::*;

use rand_distr::{Distribution as _, StandardNormal};

/// The rate of sigma's exponential prior.
const SIGMA_RATE: f64 = 0.05;
/// The standard deviation of the coefficients' normal priors.
const BETA_SD: f64 = 100.0;

/// A kidiq-like regression: `kid_score ~ Normal(beta0 + beta1·mom_hs, sigma)`.
#[model]
fn kidiq(mom_hs: &[f64], kid_score: &[f64]) {
    let beta0 = sample!("beta0", Normal::new(0.0, BETA_SD));
    let beta1 = sample!("beta1", Normal::new(0.0, BETA_SD));
    let sigma = sample!("sigma", Exponential::new(SIGMA_RATE));
    for i in 0..mom_hs.len() {
        observe!(
            format!("kid_score_{i}"),
            Normal::new(beta0 + beta1 * mom_hs[i], sigma),
            kid_score[i]
        );
    }
}

/// N = 434 children: mom_hs ~ Bernoulli(0.79), kid_score = 77.5 + 11.8·mom_hs + N(0, 19.9²).
fn simulate() -> (Vec<f64>, Vec<f64>) {
    let mut rng = SmallRng::seed_from_u64(2026);
    let mom_hs: Vec<f64> = (0..434)
        .map(|_| f64::from(u8::from(rng.random::<f64>() < 0.79)))
        .collect();
    let kid_score = mom_hs
        .iter()
        .map(|&h| {
            let noise: f64 = StandardNormal.sample(&mut rng);
            77.5 + 11.8 * h + 19.9 * noise
        })
        .collect();
    (mom_hs, kid_score)
}

/// `log p(beta0, beta1, sigma, kid_score)` written out (no Jacobian: the density in the
/// sites' own space, which `Map` maximises).
fn log_joint(x: &[f64], y: &[f64], b0: f64, b1: f64, sigma: f64) -> f64 {
    let ln_2pi = (2.0 * std::f64::consts::PI).ln();
    let normal = |v: f64, m: f64, s: f64| -0.5 * ((v - m) / s).powi(2) - s.ln() - 0.5 * ln_2pi;
    normal(b0, 0.0, BETA_SD) + normal(b1, 0.0, BETA_SD) + SIGMA_RATE.ln() - SIGMA_RATE * sigma
        + x.iter()
            .zip(y)
            .map(|(&xi, &yi)| normal(yi, b0 + b1 * xi, sigma))
            .sum::<f64>()
}

/// The mode, found independently of `Map`: coordinate ascent between the exact conditional
/// modes. Given sigma the coefficients solve the ridge normal equations
/// `(XᵀX/σ² + I/100²) β = Xᵀy/σ²` (least squares shrunk by the priors); given the
/// coefficients, sigma solves `∂/∂σ [−N ln σ − RSS/(2σ²) − λσ] = 0`, i.e. the cubic
/// `λσ³ + Nσ² − RSS = 0`, whose one positive root is found by bisection.
fn exact_mode(x: &[f64], y: &[f64]) -> [f64; 3] {
    let n = x.len() as f64;
    let (sx, sxx) = (x.iter().sum::<f64>(), x.iter().map(|v| v * v).sum::<f64>());
    let (sy, sxy) = (
        y.iter().sum::<f64>(),
        x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>(),
    );
    let mut sigma = 20.0;
    let (mut b0, mut b1) = (0.0, 0.0);
    for _ in 0..200 {
        let (s2, p) = (sigma * sigma, 1.0 / (BETA_SD * BETA_SD));
        let a = [[n / s2 + p, sx / s2], [sx / s2, sxx / s2 + p]];
        let (r0, r1) = (sy / s2, sxy / s2);
        let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
        b0 = (a[1][1] * r0 - a[0][1] * r1) / det;
        b1 = (a[0][0] * r1 - a[1][0] * r0) / det;
        let rss: f64 = x
            .iter()
            .zip(y)
            .map(|(&xi, &yi)| (yi - b0 - b1 * xi).powi(2))
            .sum();
        let cubic = |s: f64| SIGMA_RATE * s.powi(3) + n * s * s - rss;
        let (mut lo, mut hi) = (0.0, 1e3);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if cubic(mid) > 0.0 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        sigma = 0.5 * (lo + hi);
    }
    [b0, b1, sigma]
}

fn site(point: &Data, name: &str) -> f64 {
    point.get(name).unwrap().as_f64().unwrap()
}

#[test]
fn the_exact_mode_is_a_stationary_point_of_the_written_out_log_joint() {
    // Guards the reference itself: central differences of the log-joint vanish there.
    let (x, y) = simulate();
    let m = exact_mode(&x, &y);
    for k in 0..3 {
        let h = 1e-4 * m[k].abs();
        let at = |delta: f64| {
            let mut p = m;
            p[k] += delta;
            log_joint(&x, &y, p[0], p[1], p[2])
        };
        let derivative = (at(h) - at(-h)) / (2.0 * h);
        assert!(derivative.abs() < 1e-6, "coordinate {k}: {derivative}");
    }
    // The simulated data look like kidiq.
    assert!(
        (m[0] - 77.5).abs() < 10.0 && (m[1] - 11.8).abs() < 10.0,
        "{m:?}"
    );
    assert!((m[2] - 19.9).abs() < 3.0, "{m:?}");
}

#[test]
fn map_reaches_the_mode_of_an_unstandardised_regression_from_the_prior_median() {
    let (x, y) = simulate();
    let mode = exact_mode(&x, &y);
    let model = kidiq;
    let map = Map::new(model).run(&(&x[..], &y[..])).unwrap();
    assert!(map.converged);
    for (name, exact) in ["beta0", "beta1", "sigma"].iter().zip(mode) {
        let got = site(&map.point, name);
        assert!(
            (got / exact - 1.0).abs() < 1e-3,
            "{name}: Map {got}, exact {exact} ({} steps)",
            map.steps
        );
    }
    // Far tighter than asked: the decrement criterion puts it within 1e-4 posterior sds.
    assert!(map.decrement <= 1e-4, "{}", map.decrement);
    // The log-joint reported is the one at the returned point.
    let at_point = log_joint(
        &x,
        &y,
        site(&map.point, "beta0"),
        site(&map.point, "beta1"),
        site(&map.point, "sigma"),
    );
    assert!((map.log_joint - at_point).abs() < 1e-9 * at_point.abs());
    assert!(map.log_joint >= log_joint(&x, &y, mode[0], mode[1], mode[2]) - 1e-6);
}

#[test]
fn map_from_the_old_start_and_from_a_far_start_converges_too() {
    let (x, y) = simulate();
    let mode = exact_mode(&x, &y);
    for map in [
        Map::new(kidiq).init_strategy(Init::Feasible),
        Map::new(kidiq).init(data! { "beta0" => -500.0, "beta1" => 300.0, "sigma" => 500.0 }),
    ] {
        let map = map.run(&(&x[..], &y[..])).unwrap();
        for (name, exact) in ["beta0", "beta1", "sigma"].iter().zip(mode) {
            let got = site(&map.point, name);
            assert!((got / exact - 1.0).abs() < 1e-3, "{name}: {got} vs {exact}");
        }
    }
}

#[test]
fn map_with_too_few_steps_says_it_did_not_converge() {
    let (x, y) = simulate();
    let err = Map::new(kidiq)
        .max_steps(3)
        .run(&(&x[..], &y[..]))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotConverged {
                algorithm: "Map",
                steps: 3,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    for needle in [
        "max_steps = 3",
        "posterior standard deviations",
        "gradient norm",
    ] {
        assert!(message.contains(needle), "{message}");
    }
}

#[test]
fn an_unconverged_result_when_allowed_is_flagged_and_reports_its_own_log_joint() {
    let (x, y) = simulate();
    let map = Map::new(kidiq)
        .max_steps(3)
        .allow_unconverged(true)
        .run(&(&x[..], &y[..]))
        .unwrap();
    assert!(!map.converged);
    assert_eq!(map.steps, 3);
    assert!(map.decrement > 1e-4);
    let at_point = log_joint(
        &x,
        &y,
        site(&map.point, "beta0"),
        site(&map.point, "beta1"),
        site(&map.point, "sigma"),
    );
    assert!(
        (map.log_joint - at_point).abs() < 1e-9 * at_point.abs(),
        "{} vs {at_point}",
        map.log_joint
    );
}

/// One observation with a free location and scale: the log-joint grows without bound as
/// the scale shrinks to 0 at `mu = y`, so there is no mode.
#[model]
fn no_mode(y: f64) {
    let mu = sample!("mu", Normal::new(0.0, 10.0));
    let sigma = sample!("sigma", Exponential::new(1.0));
    observe!("y", Normal::new(mu, sigma), y);
}

#[test]
fn map_and_init_map_on_a_log_joint_without_a_mode_are_errors() {
    let err = Map::new(no_mode).run(&(1.5,)).unwrap_err();
    assert!(matches!(err, Error::NotConverged { .. }), "{err:?}");
    let err = Metropolis::new(no_mode)
        .init(Init::Map)
        .warmup(10)
        .samples(10)
        .progress(false)
        .run(&(1.5,))
        .unwrap_err();
    assert!(matches!(err, Error::NotConverged { .. }), "{err:?}");
}

#[test]
fn map_refuses_its_own_estimate_as_a_start_and_bad_options() {
    let (x, y) = simulate();
    for (map, needle) in [
        (Map::new(kidiq).init_strategy(Init::Map), "Init::Map"),
        (Map::new(kidiq).lr(f64::NAN), "lr"),
        (Map::new(kidiq).tolerance(-1.0), "tolerance"),
    ] {
        let err = map.run(&(&x[..], &y[..])).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains(needle), "{err}");
    }
}

// Autoguides start at the prior median.

/// Sites on the real line, the positive half-line and an interval, far from unconstrained 0.
#[model]
fn far(y: f64) {
    let loc = sample!("loc", Normal::new(50.0, 10.0));
    let scale = sample!("scale", LogNormal::new(3.0, 0.5));
    let _p = sample!("p", Beta::new(8.0, 2.0));
    observe!("y", Normal::new(loc, scale), y);
}

/// The unconstrained median of the prior draws the autoguides use: the discovery run (a
/// generator seeded with 0) and 14 more from a generator seeded with 1, per coordinate.
fn prior_median() -> [f64; 3] {
    let model = condition(far, data! { "y" => 55.0 });
    let args = (55.0,);
    let mut draws: Vec<[f64; 3]> = Vec::new();
    let unconstrained = |t: &Trace<f64>| {
        let v = |n: &str| t.value(n).unwrap().as_f64().unwrap();
        let p = v("p");
        [v("loc"), v("scale").ln(), (p / (1.0 - p)).ln()]
    };
    let first = get_trace(&model, &args, &mut SmallRng::seed_from_u64(0)).unwrap();
    draws.push(unconstrained(&first.into_parts().0));
    let mut rng = SmallRng::seed_from_u64(1);
    for _ in 1..15 {
        let t = get_trace(&model, &args, &mut rng).unwrap();
        draws.push(unconstrained(&t.into_parts().0));
    }
    std::array::from_fn(|k| {
        let mut column: Vec<f64> = draws.iter().map(|d| d[k]).collect();
        column.sort_by(f64::total_cmp);
        column[7]
    })
}

#[test]
fn autoguides_start_at_the_prior_median() {
    let median = prior_median();
    // Sanity: the median is near the prior's own (50, ln 20.1, logit 0.8 ≈ 1.4).
    assert!((median[0] - 50.0).abs() < 10.0 && (median[1] - 3.0).abs() < 0.5);
    let model = condition(far, data! { "y" => 55.0 });
    let args = (55.0,);
    let names = ["loc", "scale", "p"];

    // Running a guide once under a parameter store initialises its parameters.
    let init = |guide: &dyn Fn(&mut ParamStore) -> Result<()>| {
        let mut store = ParamStore::new();
        guide(&mut store).unwrap();
        store
    };
    let rng = SmallRng::seed_from_u64(5);
    let store = init(&|store| {
        get_trace_with_params(&AutoNormal::new(&model), &args, &mut rng.clone(), store).map(|_| ())
    });
    for (name, m) in names.iter().zip(median) {
        let loc = store
            .unconstrained_of(&format!("AutoNormal.loc.{name}"))
            .unwrap();
        assert!((loc[0] - m).abs() < 1e-12, "{name}: {} vs {m}", loc[0]);
    }
    let store = init(&|store| {
        let guide = AutoMultivariateNormal::new(&model);
        get_trace_with_params(&guide, &args, &mut rng.clone(), store).map(|_| ())
    });
    let loc = store
        .unconstrained_of("AutoMultivariateNormal.loc")
        .unwrap();
    for k in 0..3 {
        assert!((loc[k] - median[k]).abs() < 1e-12, "{loc:?} vs {median:?}");
    }
    let store = init(&|store| {
        get_trace_with_params(&AutoDelta::new(&model), &args, &mut rng.clone(), store).map(|_| ())
    });
    for (name, m) in names.iter().zip(median) {
        let u = store
            .unconstrained_of(&format!("AutoDelta.{name}"))
            .unwrap();
        assert!((u[0] - m).abs() < 1e-12, "{name}: {} vs {m}", u[0]);
    }
}

// Parameters and autoguide scales that cannot be used are errors naming them, not NaN.

#[model]
fn with_scale() {
    let s = param!("noise", 1.0, Constraint::Positive);
    sample!("z", Normal::new(0.0, s));
}

fn assert_param_error(err: Error, name: &str, needle: &str) {
    match &err {
        Error::Param { site, .. } => assert_eq!(site, name, "{err}"),
        other => panic!("expected Error::Param naming `{name}`, got {other:?}"),
    }
    assert!(err.to_string().contains(needle), "{err}");
}

#[test]
fn a_parameter_whose_bijection_underflows_or_is_nan_is_an_error_naming_it() {
    let mut store = ParamStore::new();
    let mut rng = SmallRng::seed_from_u64(0);
    get_trace_with_params(&with_scale, &(), &mut rng, &mut store).unwrap();
    // exp(−800) is 0: on the boundary of the positive half-line.
    store.unconstrained_mut()[0] = -800.0;
    let err = get_trace_with_params(&with_scale, &(), &mut rng, &mut store).unwrap_err();
    assert_param_error(err, "noise", "outside the support");
    store.unconstrained_mut()[0] = f64::NAN;
    let err = get_trace_with_params(&with_scale, &(), &mut rng, &mut store).unwrap_err();
    assert_param_error(err, "noise", "NaN");
    // Setting a non-finite coordinate is refused up front, and leaves the store unchanged.
    store.unconstrained_mut()[0] = 0.0;
    let err = store.set_unconstrained(&[f64::INFINITY]).unwrap_err();
    assert_param_error(err, "noise", "inf");
    assert_eq!(store.unconstrained(), [0.0]);
}

#[test]
fn an_autoguide_scale_that_underflows_is_an_error_naming_the_parameter() {
    let model = condition(far, data! { "y" => 55.0 });
    let args = (55.0,);
    let guide = AutoNormal::new(&model);
    let mut store = ParamStore::new();
    let mut rng = SmallRng::seed_from_u64(0);
    get_trace_with_params(&guide, &args, &mut rng, &mut store).unwrap();
    let offset = store.get("AutoNormal.scale.loc").unwrap().offset();
    store.unconstrained_mut()[offset] = -800.0;
    let err = get_trace_with_params(&guide, &args, &mut rng, &mut store).unwrap_err();
    assert_param_error(err, "AutoNormal.scale.loc", "outside the support");

    let guide = AutoMultivariateNormal::new(&model);
    let mut store = ParamStore::new();
    get_trace_with_params(&guide, &args, &mut rng, &mut store).unwrap();
    // The first unconstrained coordinate of L is the log of its first diagonal entry.
    let offset = store
        .get("AutoMultivariateNormal.scale_tril")
        .unwrap()
        .offset();
    store.unconstrained_mut()[offset] = -800.0;
    let err = get_trace_with_params(&guide, &args, &mut rng, &mut store).unwrap_err();
    assert_param_error(err, "AutoMultivariateNormal.scale_tril", "diagonal");
}

#[test]
fn autoguide_options_out_of_range_are_errors_naming_them() {
    let model = condition(far, data! { "y" => 55.0 });
    let args = (55.0,);
    let mut rng = SmallRng::seed_from_u64(0);
    for scale in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let mut store = ParamStore::new();
        let guide = AutoNormal::new(&model).init_scale(scale);
        let err = get_trace_with_params(&guide, &args, &mut rng, &mut store).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidOption {
                    algorithm: "AutoNormal",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("init_scale"), "{err}");
        let guide = AutoMultivariateNormal::new(&model).init_scale(scale);
        let err = get_trace_with_params(&guide, &args, &mut rng, &mut store).unwrap_err();
        assert!(err.to_string().contains("init_scale"), "{err}");
    }
    let guide = AutoNormal::new(&model);
    let mut store = ParamStore::new();
    get_trace_with_params(&guide, &args, &mut rng, &mut store).unwrap();
    for q in [0.0, 1.0, 1.5, -0.2, f64::NAN] {
        let err = guide.quantile(&store, q).unwrap_err();
        assert!(err.to_string().contains("(0, 1)"), "{err}");
    }
    let median = guide.quantile(&store, 0.5).unwrap();
    assert!(median.get("loc").unwrap().as_f64().unwrap().is_finite());
}
