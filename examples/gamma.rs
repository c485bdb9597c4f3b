//! The gamma model of PyMC's variational inference introduction: 200 draws from Gamma(shape 2, scale 0.5); exponential priors on the
//! shape and rate. Mean-field ADVI (AutoNormal) stopped by a convergence callback, against NUTS
//! (the tutorial's `pm.sample()`) and a long Metropolis run.
//!
//! Run with `cargo run --release --example gamma`.

use rand_distr::Distribution as _;
use smallx::infer::{
    Adam, AutoNormal, CheckParametersConvergence, Diff, Mcmc, Metropolis, Nuts, Predictive, Svi,
    TraceElbo,
};
use smallx::prelude::*;

#[model]
fn gamma_model(y: &[f64]) {
    let alpha = sample!("alpha", Exponential::new(0.1));
    let beta = sample!("beta", Exponential::new(0.1));
    observe!("y", Gamma::new(alpha, beta).iid(y.len()), y);
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    (
        m,
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt(),
    )
}

fn main() -> smallx::Result<()> {
    let mut rng = SmallRng::seed_from_u64(0);
    let truth = rand_distr::Gamma::new(2.0, 0.5).map_err(|e| smallx::Error::Data(e.to_string()))?;
    let y: Vec<f64> = (0..200).map(|_| truth.sample(&mut rng)).collect();
    let args = (&y[..],);

    // ADVI: mean-field normal in unconstrained space, stopped when the parameters settle.
    let max_steps = 20_000;
    let mut svi = Svi::new(
        gamma_model,
        AutoNormal::new(gamma_model),
        Adam::new(0.05).lr_decay(0.9995),
        TraceElbo::new().num_particles(4),
    )
    .seed(1);
    let mut convergence = CheckParametersConvergence::new()
        .every(100)
        .tolerance(5e-3)
        .diff(Diff::Absolute);
    let report = svi.run_with_callbacks(max_steps, &args, &mut [&mut convergence])?;
    let stopped_at = report.stopped.as_ref().map_or(max_steps, |(step, _)| *step);
    #[cfg(feature = "plot")]
    let plots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/examples/gamma");
    #[cfg(feature = "plot")]
    {
        std::fs::create_dir_all(&plots).map_err(|e| smallx::Error::Data(e.to_string()))?;
        smallx::infer::plot::loss_curve(&report.losses, plots.join("loss.png"))?;
    }
    match &report.stopped {
        Some((step, reason)) => println!("ADVI stopped at step {step} of {max_steps}: {reason}"),
        None => println!("ADVI ran all {max_steps} steps"),
    }
    println!(
        "final loss {:.2}",
        report.losses.last().copied().unwrap_or(f64::NAN)
    );
    let (guide, params) = svi.into_parts();
    let draws = Predictive::new(gamma_model)
        .num_samples(4000)
        .seed(2)
        .from_guide(&args, &guide, &params)?;
    let (a_advi, b_advi) = (
        mean_sd(&draws.samples.values("alpha")?),
        mean_sd(&draws.samples.values("beta")?),
    );

    let mcmc = Metropolis::new(gamma_model)
        .warmup(5000)
        .samples(20_000)
        .chains(4)
        .seed(3)
        .run(&args)?;
    println!("\nMetropolis:\n{}", mcmc.summary());
    #[cfg(feature = "plot")]
    {
        use smallx::infer::plot::{posterior_plot, trace_plot};
        trace_plot(&mcmc, "alpha", plots.join("trace_alpha.png"))?;
        trace_plot(&mcmc, "beta", plots.join("trace_beta.png"))?;
        posterior_plot(&mcmc, "alpha", plots.join("posterior_alpha.png"))?;
        println!(
            "wrote loss.png, trace_alpha.png, trace_beta.png and posterior_alpha.png to {}",
            plots.display()
        );
    }
    let summary = mcmc.summary();
    let (a_mh, b_mh) = (summary.row("alpha").unwrap(), summary.row("beta").unwrap());
    let nuts = Mcmc::new(Nuts::new(gamma_model))
        .warmup(1000)
        .samples(2000)
        .chains(4)
        .seed(4)
        .run(&args)?;
    let nuts_summary = nuts.summary();
    println!("\nNUTS:\n{nuts_summary}");
    let (a_nuts, b_nuts) = (
        nuts_summary.row("alpha").unwrap(),
        nuts_summary.row("beta").unwrap(),
    );
    println!(
        "            {:>18} {:>18} {:>20}",
        "ADVI mean (sd)", "NUTS mean (sd)", "Metropolis mean (sd)"
    );
    println!(
        "alpha       {:>10.3} ({:.3}) {:>10.3} ({:.3}) {:>12.3} ({:.3})",
        a_advi.0, a_advi.1, a_nuts.mean, a_nuts.sd, a_mh.mean, a_mh.sd
    );
    println!(
        "beta        {:>10.3} ({:.3}) {:>10.3} ({:.3}) {:>12.3} ({:.3})",
        b_advi.0, b_advi.1, b_nuts.mean, b_nuts.sd, b_mh.mean, b_mh.sd
    );
    println!(
        "RESULT {{\"advi_alpha\": {:.4}, \"advi_beta\": {:.4}, \"nuts_alpha\": {:.4}, \"nuts_beta\": {:.4}, \"nuts_divergences\": {}, \"mh_alpha\": {:.4}, \"mh_beta\": {:.4}, \"mh_alpha_mcse\": {:.4}, \"mh_beta_mcse\": {:.4}, \"advi_stopped_at\": {stopped_at}, \"max_steps\": {max_steps}}}",
        a_advi.0,
        b_advi.0,
        a_nuts.mean,
        b_nuts.mean,
        nuts.divergences(),
        a_mh.mean,
        b_mh.mean,
        a_mh.mcse(),
        b_mh.mcse()
    );
    Ok(())
}
