//! What enumeration costs: Pyro's Viterbi decoder (T = 1000 steps, K = 10 hidden states, a
//! `markov!` chain) decoded by `infer_discrete` at temperature 0, its forward-algorithm
//! log-likelihood (`enumerated_log_joint`), and where the time goes: the model runs that fill
//! the tables (K² = 100 runs of 2000 sites, plus two spot checks and a final traced run)
//! against the sum-product engine alone on the same chain, and a hand-written Viterbi.
//!
//! `cargo bench --bench enumeration`; prints a markdown table.

use smallx::infer::enumerate::engine::{FactorGraph, map_assignment};
use smallx::infer::enumerate::{enumerated_log_joint, infer_discrete};
use smallx::prelude::*;
use std::time::Instant;

const K: usize = 10;
const T: usize = 1000;

fn transition(from: usize) -> Vec<f64> {
    (0..K)
        .map(|j| 0.3 / K as f64 + if j == from { 0.7 } else { 0.0 })
        .collect()
}

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

fn log_normal(y: f64, m: f64) -> f64 {
    -0.5 * (y - m) * (y - m) - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

/// The chain as a factor graph built by hand (what the model runs produce).
fn chain_graph(data: &[f64]) -> FactorGraph<f64> {
    let mut g = FactorGraph::new();
    let vars: Vec<usize> = (0..T).map(|_| g.add_variable(K)).collect();
    let first: Vec<f64> = (0..K)
        .map(|j| transition(0)[j].ln() + log_normal(data[0], j as f64))
        .collect();
    g.add_factor(vec![vars[0]], first).unwrap();
    for t in 1..T {
        let mut table = Vec::with_capacity(K * K);
        for i in 0..K {
            for j in 0..K {
                table.push(transition(i)[j].ln() + log_normal(data[t], j as f64));
            }
        }
        g.add_factor(vec![vars[t - 1], vars[t]], table).unwrap();
    }
    g
}

fn hand_viterbi(data: &[f64]) -> Vec<usize> {
    let lt: Vec<Vec<f64>> = (0..K)
        .map(|i| transition(i).iter().map(|p| p.ln()).collect())
        .collect();
    let mut best: Vec<f64> = (0..K)
        .map(|j| lt[0][j] + log_normal(data[0], j as f64))
        .collect();
    let mut back = Vec::with_capacity(T);
    for &y in &data[1..] {
        let mut next = [0.0; K];
        let mut arg = [0usize; K];
        for j in 0..K {
            let (i, v) = (0..K)
                .map(|i| (i, best[i] + lt[i][j]))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            next[j] = v + log_normal(y, j as f64);
            arg[j] = i;
        }
        best = next.to_vec();
        back.push(arg);
    }
    let mut s = (0..K).max_by(|&a, &b| best[a].total_cmp(&best[b])).unwrap();
    let mut path = vec![s];
    for arg in back.iter().rev() {
        s = arg[s];
        path.push(s);
    }
    path.reverse();
    path
}

/// Median milliseconds of `reps` calls of `f`.
fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

fn main() {
    let mut rng = SmallRng::seed_from_u64(0);
    let zeros = vec![0.0; T];
    let states = get_trace(&viterbi_decoder, &(&zeros[..],), &mut rng)
        .unwrap()
        .ret()
        .clone();
    let noise = Normal::<f64>::new(0.0, 1.0).unwrap();
    let data: Vec<f64> = states[1..]
        .iter()
        .map(|&s| s as f64 + noise.sample(&mut rng).value())
        .collect();
    let decoded = infer_discrete(&viterbi_decoder, &(&data[..],), 0.0, &mut rng).unwrap();
    assert_eq!(decoded.ret()[1..], hand_viterbi(&data)[..]);

    let reps = 21;
    let viterbi = median_ms(reps, || {
        infer_discrete(&viterbi_decoder, &(&data[..],), 0.0, &mut rng).unwrap();
    });
    let forward = median_ms(reps, || {
        enumerated_log_joint(&viterbi_decoder, &(&data[..],), &mut rng).unwrap();
    });
    let one_run = median_ms(reps, || {
        get_trace(&viterbi_decoder, &(&data[..],), &mut rng).unwrap();
    });
    let graph = chain_graph(&data);
    let engine = median_ms(reps, || {
        map_assignment(&graph).unwrap();
    });
    let hand = median_ms(reps, || {
        hand_viterbi(&data);
    });
    println!("| T = {T}, K = {K} | median ms |");
    println!("|---|---:|");
    println!("| `infer_discrete`, temperature 0 (Viterbi) | {viterbi:.2} |");
    println!("| `enumerated_log_joint` (forward algorithm) | {forward:.2} |");
    println!("| one traced run of the model (for scale; 103 runs per decoding) | {one_run:.3} |");
    println!("| the engine's `map_assignment` on the same chain built by hand | {engine:.2} |");
    println!("| a hand-written Viterbi | {hand:.2} |");
}
