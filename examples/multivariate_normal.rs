//! The original smallx's README: D = 3, y = 1, a standard multivariate normal prior
//! on mu and a multivariate normal likelihood. The exact posterior is N(y/2, I/2). Metropolis,
//! and SVI with a full-rank normal guide (SVGD is not implemented yet; AutoMultivariateNormal
//! stands in for it).
//!
//! Run with `cargo run --release --example multivariate_normal`.

use smallx::infer::{Adam, AutoMultivariateNormal, Metropolis, Predictive, Svi, TraceElbo};
use smallx::prelude::*;

#[model]
fn mvn(y: &[f64]) {
    let d = y.len();
    let mu = sample!("mu", MultivariateNormal::standard(d));
    observe!("y", MultivariateNormal::new(mu, DMatrix::identity(d, d)), y);
}

fn main() -> smallx::Result<()> {
    let y = [1.0; 3];
    let args = (&y[..],);
    let samples = Metropolis::new(mvn)
        .warmup(2000)
        .samples(10_000)
        .chains(4)
        .seed(1)
        .run(&args)?;
    println!(
        "Metropolis (exact posterior: mean 0.5, sd 0.7071 in each coordinate)\n{}",
        samples.summary()
    );

    println!("SVGD is not implemented yet; SVI with AutoMultivariateNormal instead.");
    let mut svi = Svi::new(
        mvn,
        AutoMultivariateNormal::new(mvn),
        Adam::new(0.05).lr_decay(0.9985),
        TraceElbo::new().num_particles(8),
    )
    .seed(2);
    svi.run(6000, &args)?;
    let (guide, params) = svi.into_parts();
    let draws = Predictive::new(mvn)
        .num_samples(10_000)
        .seed(3)
        .from_guide(&args, &guide, &params)?;
    let mu = draws.samples.site("mu")?;
    let svi_means = mu.mean();
    let svi_sds: Vec<f64> = (0..3)
        .map(|j| {
            let xs = mu.element(j).concat();
            let m = svi_means[j];
            (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
        })
        .collect();
    println!("SVI: means {svi_means:.3?}, sds {svi_sds:.3?}");

    let summary = samples.summary();
    let mh: Vec<f64> = (0..3)
        .map(|j| {
            summary
                .row(&format!("mu[{j}]"))
                .map_or(f64::NAN, |r| r.mean)
        })
        .collect();
    let mh_sd: Vec<f64> = (0..3)
        .map(|j| summary.row(&format!("mu[{j}]")).map_or(f64::NAN, |r| r.sd))
        .collect();
    println!(
        "RESULT {{\"mh_mean\": [{:.4}, {:.4}, {:.4}], \"mh_sd\": [{:.4}, {:.4}, {:.4}], \"svi_mean\": [{:.4}, {:.4}, {:.4}], \"svi_sd\": [{:.4}, {:.4}, {:.4}], \"exact_mean\": 0.5, \"exact_sd\": 0.7071}}",
        mh[0],
        mh[1],
        mh[2],
        mh_sd[0],
        mh_sd[1],
        mh_sd[2],
        svi_means[0],
        svi_means[1],
        svi_means[2],
        svi_sds[0],
        svi_sds[1],
        svi_sds[2]
    );
    Ok(())
}
