//! The minibatch ADVI of PyMC's variational inference introduction: 40 000 × 100 data (generated here with a fixed seed as in the
//! tutorial: uniform values, scaled and shifted per column), a normal likelihood per column with
//! its own mean and sd, fitted by mean-field ADVI on 500 random rows per step with total-size
//! scaling, against full-batch ADVI.
//!
//! The likelihood of a column is written with its sufficient statistics
//! (`Σ log N(xᵢ; μ, σ) = −(S₂ − 2μS₁ + mμ²)/(2σ²) − m ln σ − m ln √(2π)`) through `factor!`,
//! so each step reads the minibatch once in `f64` instead of carrying 200 derivative directions
//! through 50 000 values. The subsampled plate scales the factor by 40 000 / 500. With 200
//! parameters a step still carries 4 passes of 64 derivative directions through the guide and
//! the priors, forward mode's (1 + P) factor; see BENCHMARKS.md.
//!
//! Run with `cargo run --release --example minibatch`.

use rand_distr::{Distribution as _, Open01};
use smallx::infer::{Adam, AutoNormal, Svi, TraceElbo};
use smallx::prelude::*;
use std::time::Instant;

/// `data` holds one observation per column (d × n), so that a sampled observation is
/// contiguous in memory.
#[model]
fn columns(data: &DMatrix<f64>, batch: usize) {
    let (d, n) = (data.nrows(), data.ncols());
    let mu = sample!("mu", Normal::new(0.0, 1e5).iid(d));
    let sd = sample!("sd", HalfNormal::new(1.0).iid(d));
    plate!("rows", n, subsample = batch, |rows| {
        let m = rows.len() as f64;
        let (mut s1, mut s2) = (vec![0.0; d], vec![0.0; d]);
        for i in rows.indices() {
            for (j, &x) in data.column(i).iter().enumerate() {
                s1[j] += x;
                s2[j] += x * x;
            }
        }
        let mut total = Real::new(0.0);
        for j in 0..d {
            let (mu_j, sd_j) = (mu[j], sd[j]);
            total += -0.5 * (s2[j] - 2.0 * mu_j * s1[j] + m * mu_j * mu_j) / (sd_j * sd_j)
                - m * sd_j.ln()
                - m * 0.918_938_533_204_672_8;
        }
        factor!("likelihood", total);
    });
}

struct Fit {
    us_per_step: f64,
    mean_err_mu: f64,
    mean_err_sd: f64,
    final_loss: f64,
}

fn fit(
    data: &DMatrix<f64>,
    batch: usize,
    steps: usize,
    truth: &(Vec<f64>, Vec<f64>),
) -> smallx::Result<Fit> {
    let args = (data, batch);
    let mut svi = Svi::new(
        columns,
        AutoNormal::new(columns),
        Adam::new(0.05).lr_decay(0.9997),
        TraceElbo::new(),
    )
    .seed(1);
    let start = Instant::now();
    let losses = svi.run(steps, &args)?;
    let us_per_step = start.elapsed().as_secs_f64() * 1e6 / steps as f64;
    let (guide, params) = svi.into_parts();
    let median = guide.median(&params)?;
    let get = |k: &str| {
        median
            .get(k)
            .and_then(|v| v.real_values())
            .unwrap_or_default()
    };
    let err = |est: &[f64], t: &[f64]| {
        est.iter().zip(t).map(|(a, b)| (a - b).abs()).sum::<f64>() / t.len() as f64
    };
    Ok(Fit {
        us_per_step,
        mean_err_mu: err(&get("mu"), &truth.0),
        mean_err_sd: err(&get("sd"), &truth.1),
        final_loss: losses[losses.len() - 1],
    })
}

fn main() -> smallx::Result<()> {
    let (n, d) = (40_000, 100);
    let mut rng = SmallRng::seed_from_u64(0);
    let scales: Vec<f64> = (0..d).map(|_| (1 + rng.next_u64() % 9) as f64).collect();
    let shifts: Vec<f64> = (0..d)
        .map(|_| {
            let u: f64 = Open01.sample(&mut rng);
            u * 10.0
        })
        .collect();
    let data = DMatrix::from_fn(d, n, |j, _| {
        let u: f64 = Open01.sample(&mut rng);
        u * scales[j] + shifts[j]
    });
    // The column means and sds: what the fitted means and sds should approach.
    let truth: (Vec<f64>, Vec<f64>) = (0..d)
        .map(|j| {
            let values = data.row(j);
            let m = values.mean();
            (
                m,
                (values.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt(),
            )
        })
        .unzip();

    // About the same wall time for each: many cheap minibatch steps against a few full ones.
    let mini = fit(&data, 500, 5_000, &truth)?;
    println!(
        "minibatch (500 rows per step, 5 000 steps): {:.0} µs per step; mean |mu − column mean| {:.4}, mean |sd − column sd| {:.4}; final loss {:.4e}",
        mini.us_per_step, mini.mean_err_mu, mini.mean_err_sd, mini.final_loss
    );
    let full = fit(&data, n, 200, &truth)?;
    println!(
        "full batch (40 000 rows per step, 200 steps): {:.0} µs per step; mean |mu − column mean| {:.4}, mean |sd − column sd| {:.4}; final loss {:.4e}",
        full.us_per_step, full.mean_err_mu, full.mean_err_sd, full.final_loss
    );
    println!(
        "a minibatch step is {:.0}× cheaper",
        full.us_per_step / mini.us_per_step
    );
    println!(
        "RESULT {{\"minibatch_us_per_step\": {:.1}, \"full_us_per_step\": {:.1}, \"minibatch_err_mu\": {:.4}, \"minibatch_err_sd\": {:.4}, \"full_err_mu\": {:.4}, \"full_err_sd\": {:.4}}}",
        mini.us_per_step,
        full.us_per_step,
        mini.mean_err_mu,
        mini.mean_err_sd,
        full.mean_err_mu,
        full.mean_err_sd
    );
    Ok(())
}
