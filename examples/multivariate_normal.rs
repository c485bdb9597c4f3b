//! The original smallx's README: D = 3, y = 1, a standard multivariate normal prior
//! on mu and a multivariate normal likelihood. The exact posterior is N(y/2, I/2). Metropolis
//! and SVGD, as in that README.
//!
//! Run with `cargo run --release --example multivariate_normal`.

use smallx::infer::{Adam, Metropolis, RbfKernel, Svgd};
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

    // 200 particles from prior draws, moved by the Stein force with Adam.
    let mut svgd = Svgd::new(mvn, RbfKernel::new(), Adam::new(0.05))
        .num_particles(200)
        .seed(2);
    svgd.run(1000, &args)?;
    let particles = svgd.samples(&args)?;
    let mu = particles.site("mu")?;
    let svgd_means = mu.mean();
    let svgd_sds: Vec<f64> = (0..3)
        .map(|j| {
            let xs = mu.element(j).expect("j < 3").concat();
            let m = svgd_means[j];
            (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
        })
        .collect();
    let last = svgd.history().last().copied();
    println!(
        "SVGD (200 particles, 1000 steps): means {svgd_means:.3?}, sds {svgd_sds:.3?}; final Stein force {:.2e}",
        last.map_or(f64::NAN, |s| s.force_norm)
    );

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
        "RESULT {{\"mh_mean\": [{:.4}, {:.4}, {:.4}], \"mh_sd\": [{:.4}, {:.4}, {:.4}], \"svgd_mean\": [{:.4}, {:.4}, {:.4}], \"svgd_sd\": [{:.4}, {:.4}, {:.4}], \"exact_mean\": 0.5, \"exact_sd\": 0.7071}}",
        mh[0],
        mh[1],
        mh[2],
        mh_sd[0],
        mh_sd[1],
        mh_sd[2],
        svgd_means[0],
        svgd_means[1],
        svgd_means[2],
        svgd_sds[0],
        svgd_sds[1],
        svgd_sds[2]
    );
    Ok(())
}
