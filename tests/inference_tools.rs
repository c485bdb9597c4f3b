//! The rest of the inference toolbox: full-rank and point-mass autoguides, MAP, MCMC
//! initialisation and thinning, predictive distributions, parallel importance sampling.

use smallx::infer::{
    Adam, AutoDelta, AutoMultivariateNormal, Importance, Init, Map, Metropolis, Predictive, Svi,
    TraceElbo,
};
use smallx::prelude::*;

/// Bayesian linear regression with known noise: the posterior of (intercept, slope) is a
/// correlated bivariate normal, known in closed form.
#[model]
fn regression(x: &[f64], y: &[f64]) {
    let intercept = sample!("intercept", Normal::new(0.0, 2.0));
    let slope = sample!("slope", Normal::new(0.0, 2.0));
    for i in 0..x.len() {
        observe!(
            format!("y_{i}"),
            Normal::new(intercept + slope * x[i], 0.5),
            y[i]
        );
    }
}

const X: [f64; 6] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
const Y: [f64; 6] = [2.1, 2.9, 4.2, 4.8, 6.1, 7.2];

/// Exact posterior mean and covariance: Σ = (XᵀX/σ² + I/τ²)⁻¹, μ = Σ Xᵀy/σ².
fn exact_posterior() -> ([f64; 2], [[f64; 2]; 2]) {
    let (s2, t2) = (0.25, 4.0);
    let n = X.len() as f64;
    let (sx, sxx): (f64, f64) = (X.iter().sum(), X.iter().map(|x| x * x).sum());
    let (sy, sxy): (f64, f64) = (Y.iter().sum(), X.iter().zip(&Y).map(|(x, y)| x * y).sum());
    let p = [[n / s2 + 1.0 / t2, sx / s2], [sx / s2, sxx / s2 + 1.0 / t2]];
    let det = p[0][0] * p[1][1] - p[0][1] * p[1][0];
    let cov = [
        [p[1][1] / det, -p[0][1] / det],
        [-p[1][0] / det, p[0][0] / det],
    ];
    let b = [sy / s2, sxy / s2];
    (
        [
            cov[0][0] * b[0] + cov[0][1] * b[1],
            cov[1][0] * b[0] + cov[1][1] * b[1],
        ],
        cov,
    )
}

#[test]
fn auto_multivariate_normal_recovers_a_correlated_posterior() {
    let (mean, cov) = exact_posterior();
    let args = (&X[..], &Y[..]);
    let guide = AutoMultivariateNormal::new(regression);
    let mut svi = Svi::new(
        regression,
        guide,
        Adam::new(0.03).lr_decay(0.999),
        TraceElbo::new().num_particles(8),
    )
    .seed(1)
    .progress(false);
    svi.run(5000, &args).unwrap();
    let (guide, params) = svi.into_parts();
    let median = guide.median(&params).unwrap();
    assert!((median.get("intercept").unwrap().as_f64().unwrap() - mean[0]).abs() < 0.02);
    assert!((median.get("slope").unwrap().as_f64().unwrap() - mean[1]).abs() < 0.01);
    // Covariance from the fitted Cholesky factor: L Lᵀ.
    let l = params
        .value("AutoMultivariateNormal.scale_tril")
        .unwrap()
        .real_values()
        .unwrap();
    let (l00, l10, l11) = (l[0], l[1], l[3]);
    let fitted = [[l00 * l00, l00 * l10], [l00 * l10, l10 * l10 + l11 * l11]];
    let correlation = |c: [[f64; 2]; 2]| c[0][1] / (c[0][0] * c[1][1]).sqrt();
    assert!(
        (correlation(fitted) - correlation(cov)).abs() < 0.05,
        "{fitted:?} vs {cov:?}"
    );
    for i in 0..2 {
        assert!(
            (fitted[i][i].sqrt() / cov[i][i].sqrt() - 1.0).abs() < 0.1,
            "sd {i}: {fitted:?} vs {cov:?}"
        );
    }
}

#[test]
fn auto_delta_and_map_find_the_posterior_mode() {
    let (mean, _) = exact_posterior();
    let args = (&X[..], &Y[..]);
    let map = Map::new(regression).run(&args).unwrap();
    assert!((map.point.get("intercept").unwrap().as_f64().unwrap() - mean[0]).abs() < 1e-4);
    assert!((map.point.get("slope").unwrap().as_f64().unwrap() - mean[1]).abs() < 1e-4);
    let guide = AutoDelta::new(regression);
    let mut svi = Svi::new(
        regression,
        guide,
        Adam::new(0.05).lr_decay(0.999),
        TraceElbo::new(),
    )
    .progress(false);
    svi.run(4000, &args).unwrap();
    let (guide, params) = svi.into_parts();
    let point = guide.point(&params).unwrap();
    assert!((point.get("slope").unwrap().as_f64().unwrap() - mean[1]).abs() < 1e-3);
}

#[test]
fn metropolis_starts_from_map_or_given_values_and_thins() {
    let args = (&X[..], &Y[..]);
    let from_map = Metropolis::new(regression)
        .init(Init::Map)
        .warmup(200)
        .samples(300)
        .thin(3)
        .seed(1)
        .progress(false)
        .run(&args)
        .unwrap();
    assert_eq!(from_map.num_draws(), 300);
    assert_eq!(from_map.stats()[0].log_joint.len(), 300);
    let given = Metropolis::new(regression)
        .init(Init::Values(data! { "intercept" => 1.0, "slope" => 1.0 }))
        .warmup(0)
        .samples(1)
        .seed(2)
        .progress(false)
        .run(&args)
        .unwrap();
    // With no warm-up, the first draw is the start or one step from it.
    assert!((given.values("slope").unwrap()[0] - 1.0).abs() < 0.5);
}

#[model]
fn scale(guess: f64) -> Real {
    let weight = sample!("weight", Normal::new(guess, 1.0));
    sample!("measurement", Normal::new(weight, 0.75))
}

#[test]
fn posterior_predictive_draws_new_measurements_around_the_posterior() {
    let conditioned = condition(scale, data! { "measurement" => 9.5 });
    let posterior = Metropolis::new(conditioned)
        .warmup(1000)
        .samples(4000)
        .seed(3)
        .progress(false)
        .run(&(8.5,))
        .unwrap();
    let predictive = Predictive::new(scale)
        .seed(4)
        .posterior(&(8.5,), &posterior)
        .unwrap();
    let m = predictive.samples.values("measurement").unwrap();
    let n = m.len() as f64;
    let mean = m.iter().sum::<f64>() / n;
    let var = m.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    // Posterior predictive: N(9.14, 0.6² + 0.75²) = N(9.14, 0.9225). The MCMC draws are
    // correlated, so allow a generous 0.1 on the mean and 15% on the variance.
    assert!((mean - 9.14).abs() < 0.1, "{mean}");
    assert!((var / 0.9225 - 1.0).abs() < 0.15, "{var}");
    assert_eq!(predictive.returns.len(), 4000);
    let prior = Predictive::new(scale)
        .num_samples(4000)
        .seed(5)
        .prior(&(8.5,))
        .unwrap();
    let w = prior.samples.values("weight").unwrap();
    assert!((w.iter().sum::<f64>() / 4000.0 - 8.5).abs() < 5.0 / 4000f64.sqrt());
}

#[test]
fn parallel_importance_sampling_equals_the_sequential_run() {
    let conditioned = condition(scale, data! { "measurement" => 9.5 });
    let importance = Importance::new(conditioned)
        .num_samples(5000)
        .seed(6)
        .progress(false);
    let a = importance.run(&(8.5,)).unwrap();
    let b = importance.run_parallel(&(8.5,)).unwrap();
    assert_eq!(a.log_weights(), b.log_weights());
    assert_eq!(a.log_normalizer(), b.log_normalizer());
    let m = a.marginal("weight").unwrap();
    let draws = m.resample(1000, &mut SmallRng::seed_from_u64(0));
    assert!((draws.iter().sum::<f64>() / 1000.0 - 9.14).abs() < 0.1);
    assert!((m.quantile(0.5).unwrap() - 9.14).abs() < 0.05);
    assert!(matches!(
        m.quantile(1.5),
        Err(smallx::Error::InvalidOption { .. })
    ));
}

#[test]
fn the_summary_prints_an_aligned_table() {
    let args = (&X[..], &Y[..]);
    let samples = Metropolis::new(regression)
        .warmup(500)
        .samples(500)
        .chains(2)
        .seed(7)
        .progress(false)
        .run(&args)
        .unwrap();
    let table = samples.summary().to_string();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].contains("mean") && lines[0].contains("ess_bulk") && lines[0].contains("r_hat")
    );
    assert!(lines[1].starts_with("intercept") && lines[2].starts_with("slope"));
    assert_eq!(lines[1].len(), lines[2].len());
}

#[test]
fn the_warm_up_steers_the_acceptance_rate_toward_its_target() {
    let args = (&X[..], &Y[..]);
    for target in [0.234, 0.44] {
        let samples = Metropolis::new(regression)
            .warmup(3000)
            .samples(3000)
            .seed(8)
            .target_accept(target)
            .progress(false)
            .run(&args)
            .unwrap();
        let rate = samples.stats()[0].accept_rate;
        assert!(
            (rate - target).abs() < 0.08,
            "target {target}: acceptance {rate}"
        );
    }
}
