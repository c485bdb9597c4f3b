//! Memory at 10^7 observations: 16 group means, `y_i ~ Normal(mu[g_i], 1)` with
//! `g_i = i mod 16` and `mu ~ Normal(0, 10)` (16 latent coordinates), observed as one
//! vector site (a `Batch` of normals, one per observation).
//!
//! `cargo run --example memory_1e7 -- importance [n] [samples]` runs `Importance` from the
//! prior (1000 samples by default); `.. -- svi [n] [steps] [forward|reverse]` runs a few SVI
//! steps with `AutoNormal` (the default gradient mode, or a forced one). Measure the peak
//! memory with `/usr/bin/time -v` (its "Maximum resident set size"); BENCHMARKS.md records
//! the numbers.

use smallx::infer::{Adam, AutoNormal, GradMode, Importance, Svi, TraceElbo};
use smallx::prelude::*;
use std::time::Instant;

const GROUPS: usize = 16;

#[model]
fn groups(y: &[f64]) {
    let mu = sample!("mu", Normal::new(0.0, 10.0).iid(GROUPS));
    let likelihood = Batch::new((0..y.len()).map(|i| Normal::new(mu[i % GROUPS], 1.0)));
    observe!("y", likelihood, y);
}

fn main() -> smallx::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map_or("svi", String::as_str);
    let n: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let count: Option<usize> = args.get(2).and_then(|s| s.parse().ok());
    // Deterministic data: group j has mean j − 7.5, plus a fixed pseudo-random noise.
    let mut rng = SmallRng::seed_from_u64(0);
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            (i % GROUPS) as f64 - 7.5 + (u - 0.5) * 3.4
        })
        .collect();
    let start = Instant::now();
    match mode {
        "importance" => {
            let samples = count.unwrap_or(1000);
            let result = Importance::new(groups)
                .num_samples(samples)
                .seed(1)
                .progress(false)
                .run(&(&y[..],))?;
            println!(
                "importance: n = {n}, {samples} samples, log Z = {:.4e}, ESS {:.2}, {:.1} s",
                result.log_normalizer(),
                result.ess(),
                start.elapsed().as_secs_f64()
            );
        }
        "svi" => {
            let steps = count.unwrap_or(3);
            let grad_mode = match args.get(3).map(String::as_str) {
                Some("forward") => GradMode::Forward,
                Some("reverse") => GradMode::Reverse,
                _ => GradMode::Auto,
            };
            let mut svi = Svi::new(
                groups,
                AutoNormal::new(groups),
                Adam::new(0.01),
                TraceElbo::new(),
            )
            .grad_mode(grad_mode)
            .seed(1)
            .progress(false);
            let losses = svi.run(steps, &(&y[..],))?;
            println!(
                "svi ({grad_mode:?}): n = {n}, {steps} steps, last loss {:.6e}, {:.1} s",
                losses[losses.len() - 1],
                start.elapsed().as_secs_f64()
            );
        }
        other => {
            eprintln!("unknown mode {other:?}: use `importance` or `svi`");
            std::process::exit(2);
        }
    }
    Ok(())
}
