//! Pyro's Viterbi decoder (the `infer_discrete` example of Pyro's inference API): a hidden
//! chain of 10 states that mostly stay put (transition `0.3/10 + 0.7·I`), each emitting a
//! normal observation around its index. The states are marked for enumeration and the loop is
//! a `markov!` chain, so decoding 1000 steps costs 100 model runs instead of 10^1000.
//! Decodes a simulated sequence at temperature 0 (Viterbi) and draws from the posterior at
//! temperature 1, and reports the accuracy against the true states.
//!
//! Run with `cargo run --release --example hmm_viterbi`.

use smallx::infer::enumerate::{enumerated_log_joint, infer_discrete};
use smallx::prelude::*;

const HIDDEN_DIM: usize = 10;
const STEPS: usize = 1000;

fn transition(from: usize) -> Vec<f64> {
    (0..HIDDEN_DIM)
        .map(|j| 0.3 / HIDDEN_DIM as f64 + if j == from { 0.7 } else { 0.0 })
        .collect()
}

/// The decoder: returns the states, starting from state 0 before the first step.
#[model]
fn viterbi_decoder(data: &[f64]) -> Vec<usize> {
    let mut states = vec![0usize];
    markov!("steps", data.len(), |t| {
        let previous = *states.last().unwrap();
        let s = sample!(
            format!("states_{t}"),
            Categorical::from_probs(&transition(previous)),
            infer = enumerate
        );
        states.push(s);
        observe!(format!("obs_{t}"), Normal::new(s as f64, 1.0), data[t]);
    });
    states
}

fn accuracy(decoded: &[usize], truth: &[usize]) -> f64 {
    decoded.iter().zip(truth).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64
}

fn main() -> smallx::Result<()> {
    // Simulate: run the model itself forward (its states are drawn when nothing enumerates).
    let mut rng = SmallRng::seed_from_u64(0);
    // The states do not depend on the observations, so any data of the right length will do.
    let no_data = vec![0.0; STEPS];
    let simulated = get_trace(&viterbi_decoder, &(&no_data[..],), &mut rng)?;
    let truth: Vec<usize> = simulated.ret()[1..].to_vec();
    let noise = Normal::<f64>::new(0.0, 1.0)?;
    let data: Vec<f64> = truth
        .iter()
        .map(|&s| s as f64 + noise.sample(&mut rng).value())
        .collect();

    let start = std::time::Instant::now();
    let map = infer_discrete(&viterbi_decoder, &(&data[..],), 0.0, &mut rng)?;
    let viterbi_ms = start.elapsed().as_secs_f64() * 1e3;
    let decoded = &map.ret()[1..];
    let draw = infer_discrete(&viterbi_decoder, &(&data[..],), 1.0, &mut rng)?;
    let sampled = &draw.ret()[1..];
    let log_likelihood = enumerated_log_joint(&viterbi_decoder, &(&data[..],), &mut rng)?;
    // For comparison: each step on its own, the state nearest to its observation.
    let nearest: Vec<usize> = data
        .iter()
        .map(|y| y.round().clamp(0.0, (HIDDEN_DIM - 1) as f64) as usize)
        .collect();

    println!("{STEPS} steps, {HIDDEN_DIM} hidden states");
    println!(
        "Viterbi decoding:           accuracy {:.3} ({viterbi_ms:.1} ms)",
        accuracy(decoded, &truth)
    );
    println!(
        "a posterior draw:           accuracy {:.3}",
        accuracy(sampled, &truth)
    );
    println!(
        "nearest state at each step: accuracy {:.3}",
        accuracy(&nearest, &truth)
    );
    println!("log p(data) by the forward algorithm: {log_likelihood:.3}");
    println!("log p(data, Viterbi path): {:.3}", map.log_joint().value());
    println!(
        "RESULT {{\"viterbi_accuracy\": {:.4}, \"sample_accuracy\": {:.4}, \"nearest_accuracy\": {:.4}, \"log_likelihood\": {log_likelihood:.4}, \"viterbi_log_joint\": {:.4}, \"viterbi_ms\": {viterbi_ms:.1}}}",
        accuracy(decoded, &truth),
        accuracy(sampled, &truth),
        accuracy(&nearest, &truth),
        map.log_joint().value()
    );
    Ok(())
}
