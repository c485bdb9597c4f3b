//! The BEST model of the PyTorch MCMC blog post (Bayesian estimation supersedes the t-test): two groups, normal
//! likelihoods, a normal prior on the means and a uniform prior on the standard deviations.
//! MAP, then Metropolis from the MAP with burn-in and thinning, then the posterior of the
//! difference in means, then an ArviZ InferenceData file and a CSV of the draws.
//!
//! Run with `cargo run --release --example best`.

use smallx::infer::arviz::{InferenceData, write_csv};
use smallx::infer::{Init, Map, Metropolis};
use smallx::prelude::*;

#[model]
fn best(group1: &[f64], group2: &[f64]) {
    let mu = sample!("mu", Normal::new(0.0, 1.0).iid(2));
    let sigma = sample!("sigma", Uniform::new(0.0, 100.0).iid(2));
    observe!(
        "group1",
        Normal::new(mu[0], sigma[0]).iid(group1.len()),
        group1
    );
    observe!(
        "group2",
        Normal::new(mu[1], sigma[1]).iid(group2.len()),
        group2
    );
}

fn main() -> smallx::Result<()> {
    let data = Data::from_json_file_keys(
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/best.json"),
        &["group1", "group2"],
    )?;
    let group = |k: &str| {
        data.get(k)
            .and_then(|v| v.real_values())
            .unwrap_or_default()
    };
    let (g1, g2) = (group("group1"), group("group2"));
    let args = (&g1[..], &g2[..]);
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let sd = |x: &[f64]| {
        (x.iter().map(|v| (v - mean(x)).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
    };
    println!(
        "data means {:.4}, {:.4}; data sds {:.4}, {:.4}",
        mean(&g1),
        mean(&g2),
        sd(&g1),
        sd(&g2)
    );

    let map = Map::new(best).run(&args)?;
    println!(
        "MAP: mu = {:.4}, sigma = {:.4}",
        map.point.get("mu").unwrap(),
        map.point.get("sigma").unwrap()
    );

    // The blog post samples 10 000 iterations with burn = 5000 and thin = 5; here four chains of that.
    let samples = Metropolis::new(best)
        .init(Init::Map)
        .warmup(5000)
        .samples(2000)
        .thin(5)
        .chains(4)
        .seed(1)
        .run(&args)?;
    println!("\n{}", samples.summary());
    let accept: Vec<String> = samples
        .stats()
        .iter()
        .map(|s| format!("{:.2}", s.accept_rate))
        .collect();
    println!("acceptance by chain: {}", accept.join(", "));

    let mu = samples.site("mu")?;
    let (mu1, mu2) = (mu.element(0)?.concat(), mu.element(1)?.concat());
    let mut diff: Vec<f64> = mu2.iter().zip(&mu1).map(|(b, a)| b - a).collect();
    let p_less = diff.iter().filter(|&&d| d < 0.0).count() as f64 / diff.len() as f64;
    diff.sort_by(f64::total_cmp);
    let q = |p: f64| diff[((diff.len() - 1) as f64 * p).round() as usize];
    println!(
        "P(mu2 - mu1 < 0) = {p_less:.3}; 95% credible interval of mu2 - mu1: [{:.3}, {:.3}]",
        q(0.025),
        q(0.975)
    );

    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/examples/best");
    std::fs::create_dir_all(&out).map_err(|e| smallx::Error::Data(e.to_string()))?;
    InferenceData::new(&samples)
        .with_model(&best, &args)?
        .write(out.join("best_inference_data.json"))?;
    write_csv(&samples, out.join("best_draws.csv"))?;
    #[cfg(feature = "plot")]
    {
        use smallx::infer::plot::{forest_plot, posterior_plot, trace_plot};
        trace_plot(&samples, "mu", out.join("trace_mu.png"))?;
        trace_plot(&samples, "sigma", out.join("trace_sigma.png"))?;
        posterior_plot(&samples, "mu", out.join("posterior_mu.png"))?;
        forest_plot(&samples.summary(), out.join("forest.png"))?;
        println!(
            "wrote trace_mu.png, trace_sigma.png, posterior_mu.png and forest.png to {}",
            out.display()
        );
    }
    println!(
        "\nwrote {}/best_inference_data.json (open with arviz.from_json) and best_draws.csv",
        out.display()
    );

    let summary = samples.summary();
    let m = |n: &str| summary.row(n).map_or(f64::NAN, |r| r.mean);
    println!(
        "RESULT {{\"mu\": [{:.4}, {:.4}], \"sigma\": [{:.4}, {:.4}], \"p_mu2_lt_mu1\": {p_less:.4}, \"diff_ci95\": [{:.4}, {:.4}], \"max_rhat\": {:.4}}}",
        m("mu[0]"),
        m("mu[1]"),
        m("sigma[0]"),
        m("sigma[1]"),
        q(0.025),
        q(0.975),
        summary.rows.iter().map(|r| r.r_hat).fold(0.0, f64::max)
    );
    Ok(())
}
