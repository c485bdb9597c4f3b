//! The two-component normal mixture of PyMC's variational inference introduction: weights [0.2, 0.8], means [−0.3, 0.5], sds 0.1.
//! Expectations of x² and sin(x) from Metropolis draws (several chains), from NUTS (the
//! tutorial's `pm.sample()`), from mean-field ADVI and from SVGD, against their exact values.
//! ADVI settles on one component; SVGD's particles cover both.
//!
//! Run with `cargo run --release --example mixture`.

use smallx::infer::{
    Adam, AutoNormal, Mcmc, Metropolis, Nuts, Predictive, RbfKernel, Svgd, Svi, TraceElbo,
    init_to_uniform,
};
use smallx::prelude::*;

const W: [f64; 2] = [0.2, 0.8];
const MU: [f64; 2] = [-0.3, 0.5];
const SD: [f64; 2] = [0.1, 0.1];

#[model]
fn mixture() -> Real {
    sample!(
        "x",
        Mixture::new(&W, [Normal::new(MU[0], SD[0]), Normal::new(MU[1], SD[1])])
    )
}

fn expectations(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    (
        xs.iter().map(|x| x * x).sum::<f64>() / n,
        xs.iter().map(|x| x.sin()).sum::<f64>() / n,
    )
}

fn main() -> smallx::Result<()> {
    let exact_x2: f64 = (0..2).map(|k| W[k] * (MU[k] * MU[k] + SD[k] * SD[k])).sum();
    let exact_sin: f64 = (0..2)
        .map(|k| W[k] * MU[k].sin() * (-SD[k] * SD[k] / 2.0).exp())
        .sum();

    let samples = Metropolis::new(mixture)
        .warmup(5000)
        .samples(25_000)
        .chains(4)
        .seed(1)
        .run(&())?;
    println!("{}", samples.summary());
    let xs = samples.values("x")?;
    let (x2, sin) = expectations(&xs);
    let left = xs.iter().filter(|&&x| x < 0.1).count() as f64 / xs.len() as f64;
    // Monte Carlo error of the expectations, with the ESS of the draws of x.
    let ess = samples.summary().row("x").map_or(f64::NAN, |r| r.ess_bulk);
    let se = |f: &dyn Fn(f64) -> f64| {
        let v: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|y| (y - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0) / ess).sqrt()
    };
    let (se_x2, se_sin) = (se(&|x| x * x), se(&|x: f64| x.sin()));
    println!(
        "Metropolis: E[x²] = {x2:.4} ± {se_x2:.4}, E[sin x] = {sin:.4} ± {se_sin:.4}; share of draws in the left component {left:.3} (exact 0.2)"
    );
    println!("exact:      E[x²] = {exact_x2:.4}, E[sin x] = {exact_sin:.4}");

    // NUTS moves within a mode easily and between the modes (eight sds apart) rarely: each
    // chain's share of draws in the left component shows how often it crossed.
    let nuts = Mcmc::new(Nuts::new(mixture))
        .warmup(1000)
        .samples(5000)
        .chains(4)
        .seed(4)
        .run(&())?;
    let nuts_xs = nuts.values("x")?;
    let (nuts_x2, nuts_sin) = expectations(&nuts_xs);
    let shares: Vec<String> = nuts
        .site("x")?
        .element(0)?
        .iter()
        .map(|c| {
            format!(
                "{:.2}",
                c.iter().filter(|&&x| x < 0.1).count() as f64 / c.len() as f64
            )
        })
        .collect();
    println!(
        "NUTS:       E[x²] = {nuts_x2:.4}, E[sin x] = {nuts_sin:.4}; share of draws in the left component per chain [{}], divergences {}",
        shares.join(", "),
        nuts.divergences()
    );

    // Mean-field ADVI is unimodal: it settles on one component, as in PyMC's introduction.
    let mut svi = Svi::new(
        mixture,
        AutoNormal::new(mixture),
        Adam::new(0.02),
        TraceElbo::new().num_particles(4),
    )
    .seed(2);
    svi.run(3000, &())?;
    let (guide, params) = svi.into_parts();
    let draws = Predictive::new(mixture)
        .num_samples(10_000)
        .seed(3)
        .from_guide(&(), &guide, &params)?;
    let advi_xs = draws.samples.values("x")?;
    let (advi_x2, advi_sin) = expectations(&advi_xs);
    let advi_left = advi_xs.iter().filter(|&&x| x < 0.1).count() as f64 / advi_xs.len() as f64;
    println!(
        "ADVI:       E[x²] = {advi_x2:.4}, E[sin x] = {advi_sin:.4}; share in the left component {advi_left:.3} (one mode only)"
    );

    // SVGD: 200 particles spread uniformly on (−2, 2), so that no prior draw gives the answer
    // away; the kernel's repulsion keeps them from collapsing onto one mode. With the median
    // heuristic's bandwidth the two modes (eight sds apart) barely interact: each keeps the
    // particles that started in its basin. A wider kernel (bandwidth factor 20) couples them,
    // and the particles move towards the modes' weights.
    let mut svgd_runs = Vec::new();
    for factor in [1.0, 20.0] {
        let mut svgd = Svgd::new(
            mixture,
            RbfKernel::new().bandwidth_factor(factor),
            Adam::new(0.02),
        )
        .num_particles(200)
        .init(init_to_uniform(2.0))
        .seed(5);
        svgd.run(2000, &())?;
        let svgd_xs = svgd.samples(&())?.values("x")?;
        let (svgd_x2, svgd_sin) = expectations(&svgd_xs);
        let left = svgd_xs.iter().filter(|&&x| x < 0.1).count() as f64 / svgd_xs.len() as f64;
        println!(
            "SVGD (bandwidth factor {factor}): E[x²] = {svgd_x2:.4}, E[sin x] = {svgd_sin:.4}; share of particles in the left component {left:.3} (exact 0.2), right {:.3} (exact 0.8)",
            1.0 - left
        );
        svgd_runs.push((svgd_x2, svgd_sin, left));
    }
    let [
        (svgd_x2, svgd_sin, svgd_left),
        (wide_x2, wide_sin, wide_left),
    ] = [svgd_runs[0], svgd_runs[1]];

    println!(
        "RESULT {{\"mh_x2\": {x2:.4}, \"mh_x2_se\": {se_x2:.4}, \"mh_sin\": {sin:.4}, \"mh_sin_se\": {se_sin:.4}, \"exact_x2\": {exact_x2:.4}, \"exact_sin\": {exact_sin:.4}, \"nuts_x2\": {nuts_x2:.4}, \"nuts_sin\": {nuts_sin:.4}, \"advi_x2\": {advi_x2:.4}, \"advi_sin\": {advi_sin:.4}, \"advi_left_share\": {advi_left:.3}, \"svgd_x2\": {svgd_x2:.4}, \"svgd_sin\": {svgd_sin:.4}, \"svgd_left_share\": {svgd_left:.3}, \"svgd_wide_x2\": {wide_x2:.4}, \"svgd_wide_sin\": {wide_sin:.4}, \"svgd_wide_left_share\": {wide_left:.3}, \"exact_left_share\": 0.2}}"
    );
    Ok(())
}
