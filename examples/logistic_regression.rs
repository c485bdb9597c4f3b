//! Bayesian logistic regression on data/logreg.json (N = 5000, D = 20): mean-field SVI
//! (AutoNormal with the analytic-KL ELBO), accuracy, and the coefficients against the truth
//! that generated the data.
//!
//! Run with `cargo run --release --example logistic_regression`.

use smallx::infer::{Adam, AutoNormal, Svi, TraceMeanFieldElbo};
use smallx::prelude::*;

#[model]
fn logistic(x: &Design, y: &[bool]) {
    let beta = sample!("beta", Normal::new(0.0, 1.0).iid(x.ncols()));
    let intercept = sample!("intercept", Normal::new(0.0, 1.0));
    observe!("y", BernoulliGlm::new(x, &beta, intercept), y);
}

fn main() -> smallx::Result<()> {
    let data = Data::from_json_file_keys(
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/logreg.json"),
        &["X", "y", "true_beta"],
    )?;
    let x = match data.get("X") {
        Some(Value::Matrix(m)) => m.map(|v| v.0),
        _ => return Err(smallx::Error::Data("X must be a matrix".into())),
    };
    let y: Vec<bool> = match data.get("y") {
        Some(Value::IntVec(v)) => v.iter().map(|&i| i == 1).collect(),
        _ => return Err(smallx::Error::Data("y must be 0/1".into())),
    };
    let true_beta = data
        .get("true_beta")
        .and_then(|v| v.real_values())
        .unwrap_or_default();
    let design = Design::new(x.clone());
    let args = (&design, &y[..]);

    let mut svi = Svi::new(
        logistic,
        AutoNormal::new(logistic),
        Adam::new(0.01),
        TraceMeanFieldElbo::new(),
    )
    .seed(0);
    let start = std::time::Instant::now();
    let losses = svi.run(3000, &args)?;
    let per_step = start.elapsed().as_secs_f64() * 1e6 / 3000.0;
    let (guide, params) = svi.into_parts();
    let median = guide.median(&params)?;
    let (lo, hi) = (
        guide.quantile(&params, 0.025)?,
        guide.quantile(&params, 0.975)?,
    );
    let beta = median
        .get("beta")
        .and_then(|v| v.real_values())
        .unwrap_or_default();
    let b0 = median
        .get("intercept")
        .and_then(|v| v.as_f64())
        .unwrap_or(f64::NAN);
    let (lo, hi) = (
        lo.get("beta")
            .and_then(|v| v.real_values())
            .unwrap_or_default(),
        hi.get("beta")
            .and_then(|v| v.real_values())
            .unwrap_or_default(),
    );

    let mut covered = 0;
    println!(
        "{:>6} {:>8} {:>20} {:>8}",
        "", "mean", "95% interval", "truth"
    );
    for j in 0..beta.len() {
        let inside = lo[j] <= true_beta[j] && true_beta[j] <= hi[j];
        covered += usize::from(inside);
        println!(
            "beta[{j:>2}] {:>8.3} [{:>8.3}, {:>8.3}] {:>8.3}{}",
            beta[j],
            lo[j],
            hi[j],
            true_beta[j],
            if inside { "" } else { "  (outside)" }
        );
    }
    let correct = (0..x.nrows())
        .filter(|&i| {
            let eta = b0 + (0..x.ncols()).map(|j| x[(i, j)] * beta[j]).sum::<f64>();
            (eta > 0.0) == y[i]
        })
        .count();
    let accuracy = correct as f64 / x.nrows() as f64;
    let max_err = beta
        .iter()
        .zip(&true_beta)
        .map(|(b, t)| (b - t).abs())
        .fold(0.0, f64::max);
    println!(
        "\naccuracy {accuracy:.4}; max |beta - truth| {max_err:.4}; {covered}/{} true coefficients inside their 95% interval; {per_step:.0} µs per SVI step; final loss {:.1}",
        beta.len(),
        losses[losses.len() - 1]
    );
    println!(
        "RESULT {{\"accuracy\": {accuracy:.4}, \"max_abs_err_beta\": {max_err:.4}, \"intercept\": {b0:.4}, \"covered\": {covered}, \"coefficients\": {}, \"us_per_step\": {per_step:.1}}}",
        beta.len()
    );
    Ok(())
}
