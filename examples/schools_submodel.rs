//! Rubin's eight schools written as Pyro and NumPyro users compose models: a `school`
//! sub-model holds what happens in one school (its effect, non-centred, and its measured
//! result), and the population model calls it once per school with `call!`, prefixing each
//! school's sites with its name (NumPyro's `scope`). The sub-model receives the population's
//! latent `mu` and `tau` as arguments (`Real`), so it is a sub-model: it runs only inside
//! another model, on the caller's handlers.
//!
//! Run with `cargo run --release --example schools_submodel`.

use smallx::infer::{Mcmc, Nuts};
use smallx::prelude::*;

const NAMES: [&str; 8] = ["A", "B", "C", "D", "E", "F", "G", "H"];
const Y: [f64; 8] = [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0];
const SIGMA: [f64; 8] = [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0];

/// One school: its effect `theta = mu + tau · z` (non-centred) and its measured result.
#[model]
fn school(mu: Real, tau: Real, y: f64, sigma: f64) -> Real {
    let z = sample!("z", Normal::new(0.0, 1.0));
    let theta = deterministic!("theta", mu + tau * z);
    observe!("y", Normal::new(theta, sigma), y);
    theta
}

/// The population of schools, built from one sub-model call per school.
#[model]
fn schools(names: &[&str], y: &[f64], sigma: &[f64]) {
    let mu = sample!("mu", Normal::new(0.0, 5.0));
    let tau = sample!("tau", HalfCauchy::new(5.0));
    for ((name, &y), &sigma) in names.iter().zip(y).zip(sigma) {
        call!(school(mu, tau, y, sigma), prefix = name);
    }
}

fn main() -> smallx::Result<()> {
    let args = (&NAMES[..], &Y[..], &SIGMA[..]);
    let trace = get_trace(&schools, &args, &mut SmallRng::seed_from_u64(0))?;
    let names: Vec<&str> = trace.iter().map(|s| s.name.as_str()).collect();
    println!("sites of one run: {}", names.join(", "));

    let samples = Mcmc::new(Nuts::new(schools))
        .warmup(1000)
        .samples(1000)
        .chains(4)
        .seed(0)
        .progress(false)
        .run(&args)?;
    let summary = samples.summary();
    println!("\n{:>8} {:>8} {:>8} {:>8}", "site", "mean", "sd", "r_hat");
    for site in ["mu", "tau"]
        .into_iter()
        .map(String::from)
        .chain(NAMES.iter().map(|n| format!("{n}/theta")))
    {
        let row = summary.row(&site).expect("every site is summarised");
        println!(
            "{site:>8} {:>8.2} {:>8.2} {:>8.3}",
            row.mean, row.sd, row.r_hat
        );
    }
    println!(
        "\ndivergences: {} (the non-centred form keeps them rare)",
        samples.divergences()
    );
    let (mu, tau) = (summary.row("mu"), summary.row("tau"));
    let (mu, tau) = (
        mu.map_or(f64::NAN, |r| r.mean),
        tau.map_or(f64::NAN, |r| r.mean),
    );
    println!(
        "RESULT {{\"mu\": {mu:.3}, \"tau\": {tau:.3}, \"divergences\": {}, \"sites_per_run\": {}, \"reference\": {{\"mu\": 4.4, \"tau\": 3.6}}}}",
        samples.divergences(),
        names.len()
    );
    Ok(())
}
