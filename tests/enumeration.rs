//! Enumeration of discrete latent sites: `infer_discrete`, `compute_marginals`,
//! `enumerated_log_joint`, `TraceEnumElbo`, MCMC with enumerated sites, and the errors.
//!
//! References are brute force: the model conditioned on every combination of the discrete
//! values, its log-joint from a trace. Sample frequencies over 10,000 draws are compared within
//! 0.01 (at most 0.5/√10000 = 0.005 standard deviation per frequency, so 0.01 is at least 2 sd
//! and in practice 3-5 sd for these probabilities; fixed seeds make the tests deterministic).

use smallx::infer::enumerate::{
    compute_marginals, config_enumerate, enumerated_log_joint, infer_discrete,
};
use smallx::prelude::*;
use smallx::{Error, Value};

/// A chain of three discrete sites with an observation each.
#[model]
fn chain3(ys: &[f64]) {
    let a = sample!("a", Bernoulli::new(0.4), infer = enumerate);
    let pb = if a { [0.1, 0.3, 0.6] } else { [0.5, 0.25, 0.25] };
    let b = sample!("b", Categorical::from_probs(&pb), infer = enumerate);
    let pc = [0.2, 0.5, 0.8][b];
    let c = sample!("c", Bernoulli::new(pc), infer = enumerate);
    let locs = [if a { 1.0 } else { -1.0 }, b as f64, if c { 2.0 } else { 0.0 }];
    for (i, (&y, &m)) in ys.iter().zip(&locs).enumerate() {
        observe!(format!("y{i}"), Normal::new(m, 1.0), y);
    }
}

fn brute_chain3(ys: &[f64]) -> Vec<((bool, usize, bool), f64)> {
    let mut out = Vec::new();
    for a in [false, true] {
        for b in 0..3usize {
            for c in [false, true] {
                let data = data! { "a" => a, "b" => b as i64, "c" => c };
                let m = condition(chain3, data);
                let t = get_trace(&m, &(ys,), &mut SmallRng::seed_from_u64(0)).unwrap();
                out.push(((a, b, c), t.log_joint().value()));
            }
        }
    }
    out
}

fn normalise(lj: &[f64]) -> Vec<f64> {
    let m = lj.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = lj.iter().map(|l| (l - m).exp()).sum();
    lj.iter().map(|l| (l - m).exp() / z).collect()
}

const YS: [f64; 3] = [0.3, 1.2, 1.9];

#[test]
fn the_map_of_a_chain_of_three_sites_is_the_brute_force_maximum() {
    let brute = brute_chain3(&YS);
    let (best, max) = brute
        .iter()
        .cloned()
        .max_by(|x, y| x.1.total_cmp(&y.1))
        .unwrap();
    let t = infer_discrete(&chain3, &(&YS[..],), 0.0, &mut SmallRng::seed_from_u64(1)).unwrap();
    assert_eq!(t.value("a").unwrap(), &Value::Bool(best.0));
    assert_eq!(t.value("b").unwrap(), &Value::Int(best.1 as i64));
    assert_eq!(t.value("c").unwrap(), &Value::Bool(best.2));
    assert!((t.log_joint().value() - max).abs() < 1e-9);
}

#[test]
fn posterior_draws_of_a_chain_of_three_sites_have_the_brute_force_frequencies() {
    let brute = brute_chain3(&YS);
    let probs = normalise(&brute.iter().map(|b| b.1).collect::<Vec<_>>());
    let mut counts = vec![0usize; brute.len()];
    let mut rng = SmallRng::seed_from_u64(2);
    let n = 10_000;
    for _ in 0..n {
        let t = infer_discrete(&chain3, &(&YS[..],), 1.0, &mut rng).unwrap();
        let key = (
            t.value("a").unwrap() == &Value::Bool(true),
            match t.value("b").unwrap() {
                Value::Int(k) => *k as usize,
                other => panic!("{other:?}"),
            },
            t.value("c").unwrap() == &Value::Bool(true),
        );
        let i = brute.iter().position(|b| b.0 == key).unwrap();
        counts[i] += 1;
    }
    for (c, p) in counts.iter().zip(&probs) {
        let f = *c as f64 / n as f64;
        assert!((f - p).abs() < 0.01, "frequency {f} vs probability {p}");
    }
    // Marginals are exact.
    let m = compute_marginals(&chain3, &(&YS[..],), &mut rng).unwrap();
    let pa: f64 = brute
        .iter()
        .zip(&probs)
        .filter(|(b, _)| b.0.0)
        .map(|(_, p)| p)
        .sum();
    assert!((m.probs("a").unwrap()[1] - pa).abs() < 1e-12);
    let lz = enumerated_log_joint(&chain3, &(&YS[..],), &mut rng).unwrap();
    let m0 = brute.iter().map(|b| b.1).fold(f64::NEG_INFINITY, f64::max);
    let exact = m0 + brute.iter().map(|b| (b.1 - m0).exp()).sum::<f64>().ln();
    assert!((lz - exact).abs() < 1e-12);
}
