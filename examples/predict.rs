//! Prediction with Pyro's `obs=None` idiom: one regression model observes `y` when data is
//! given and draws it when not. NUTS fits it to the data; the posterior predictive at new
//! inputs (with `y = None`) gives predictions; a `deterministic!` site records the regression
//! line `mu` at every draw. The ArviZ file has the posterior (with `mu`), the posterior
//! predictive at the observed inputs, the observed data and the log-likelihood, with named
//! dimensions and coordinates, so `az.summary` and `az.plot_ppc` work on it.
//!
//! Run with `cargo run --release --example predict`.

use smallx::infer::arviz::InferenceData;
use smallx::infer::{Mcmc, Nuts, Predictive};
use smallx::prelude::*;

/// `y ~ N(a + b x, sigma)`: observed when `y` is `Some`, predicted when it is `None`.
#[model]
fn regression(x: &[f64], y: Option<&[f64]>) {
    let a = sample!("a", Normal::new(0.0, 10.0));
    let b = sample!("b", Normal::new(0.0, 10.0));
    let sigma = sample!("sigma", HalfNormal::new(5.0));
    let mu: Vec<Real> = x.iter().map(|&xi| a + b * xi).collect();
    let mu = deterministic!("mu", mu);
    plate!("data", x.len(), |_idx| {
        sample!(
            "y",
            Batch::new(mu.iter().map(|&m| Normal::new(m, sigma))),
            obs = y
        );
    });
}

fn main() -> smallx::Result<()> {
    // Simulated data: y = 1 + 2 x + noise(sd 0.5).
    let mut rng = SmallRng::seed_from_u64(1);
    let noise = Normal::<f64>::new(0.0, 0.5)?;
    let x: Vec<f64> = (0..20).map(|i| i as f64 / 4.0).collect();
    let y: Vec<f64> = x
        .iter()
        .map(|&xi| 1.0 + 2.0 * xi + noise.sample(&mut rng).value())
        .collect();
    let fitted = (&x[..], Some(&y[..]));
    let samples = Mcmc::new(Nuts::new(regression))
        .warmup(500)
        .samples(500)
        .chains(2)
        .seed(0)
        .progress(false)
        .run(&fitted)?;
    let summary = samples.summary();
    let mean = |site: &str| summary.row(site).map_or(f64::NAN, |r| r.mean);
    for site in ["a", "b", "sigma"] {
        let row = summary.row(site).expect("summarised");
        println!("{site:>6}: mean {:.3}, sd {:.3}", row.mean, row.sd);
    }

    // Predictions at new inputs: `y` is drawn, `mu` is recomputed there.
    let x_new = [5.0, 6.0, 7.0];
    let predicted = Predictive::new(regression)
        .seed(1)
        .posterior(&(&x_new[..], None), &samples)?;
    let draws = predicted.samples.site("y")?;
    let line = predicted.samples.site("mu")?;
    let mut intervals = Vec::new();
    for (k, xk) in x_new.iter().enumerate() {
        let mut ys = draws.element(k)?.concat();
        ys.sort_by(f64::total_cmp);
        let q = |p: f64| ys[((ys.len() - 1) as f64 * p).round() as usize];
        let mu_mean = line.mean()[k];
        println!(
            "x = {xk}: mean of mu {mu_mean:.2} (true line {:.2}); y 90% interval [{:.2}, {:.2}]",
            1.0 + 2.0 * xk,
            q(0.05),
            q(0.95)
        );
        intervals.push(format!(
            "{{\"x\": {xk}, \"mu\": {mu_mean:.3}, \"y_90\": [{:.3}, {:.3}]}}",
            q(0.05),
            q(0.95)
        ));
    }

    // The ArviZ file: the posterior predictive at the observed inputs, for `az.plot_ppc`.
    let replicated = Predictive::new(regression)
        .seed(2)
        .posterior(&(&x[..], None), &samples)?;
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/examples/predict");
    std::fs::create_dir_all(&out).map_err(|e| smallx::Error::Data(e.to_string()))?;
    let path = out.join("predict_inference_data.json");
    InferenceData::new(&samples)
        .with_model(&regression, &fitted)?
        .with_posterior_predictive(&replicated.samples)
        .dims("y", &["obs_id"])
        .dims("mu", &["obs_id"])
        .coords("obs_id", 0..x.len())
        .write(&path)?;
    println!(
        "\nwrote {} (az.summary(az.from_json(..)); az.plot_ppc(..))",
        path.display()
    );
    println!(
        "RESULT {{\"a\": {:.3}, \"b\": {:.3}, \"sigma\": {:.3}, \"predictions\": [{}], \"truth\": {{\"a\": 1.0, \"b\": 2.0, \"sigma\": 0.5}}}}",
        mean("a"),
        mean("b"),
        mean("sigma"),
        intervals.join(", ")
    );
    Ok(())
}
