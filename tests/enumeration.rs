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
    let pb = if a {
        [0.1, 0.3, 0.6]
    } else {
        [0.5, 0.25, 0.25]
    };
    let b = sample!("b", Categorical::from_probs(&pb), infer = enumerate);
    let pc = [0.2, 0.5, 0.8][b];
    let c = sample!("c", Bernoulli::new(pc), infer = enumerate);
    let locs = [
        if a { 1.0 } else { -1.0 },
        b as f64,
        if c { 2.0 } else { 0.0 },
    ];
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

/// Pyro's Viterbi decoder example: a chain of `K`-valued states with normal emissions.
#[model]
fn viterbi_decoder(data: &[f64], hidden_dim: usize) -> Vec<usize> {
    let mut states = vec![0usize];
    markov!("steps", data.len(), |t| {
        let row = transition_row(hidden_dim, *states.last().unwrap());
        let s = sample!(
            format!("states_{t}"),
            Categorical::from_probs(&row),
            infer = enumerate
        );
        states.push(s);
        observe!(format!("obs_{t}"), Normal::new(s as f64, 1.0), data[t]);
    });
    states
}

fn transition_row(k: usize, from: usize) -> Vec<f64> {
    (0..k)
        .map(|j| 0.3 / k as f64 + if j == from { 0.7 } else { 0.0 })
        .collect()
}

fn normal_lp(x: f64, m: f64) -> f64 {
    -0.5 * (x - m) * (x - m) - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

fn simulate_hmm(t: usize, k: usize, seed: u64) -> (Vec<usize>, Vec<f64>) {
    use rand::RngExt;
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut s = 0;
    let (mut states, mut data) = (Vec::new(), Vec::new());
    for _ in 0..t {
        let row = transition_row(k, s);
        let mut u: f64 = rng.random();
        s = row
            .iter()
            .position(|&p| {
                u -= p;
                u <= 0.0
            })
            .unwrap_or(k - 1);
        states.push(s);
        data.push(
            s as f64
                + Normal::<f64>::new(0.0, 1.0)
                    .unwrap()
                    .sample(&mut rng)
                    .value(),
        );
    }
    (states, data)
}

/// A hand-written Viterbi decoder and forward algorithm for the same chain (state 0 before the
/// first step).
fn hand_viterbi(data: &[f64], k: usize) -> (Vec<usize>, f64, f64) {
    let lt: Vec<Vec<f64>> = (0..k)
        .map(|i| transition_row(k, i).iter().map(|p| p.ln()).collect())
        .collect();
    let mut best: Vec<f64> = (0..k)
        .map(|j| lt[0][j] + normal_lp(data[0], j as f64))
        .collect();
    let mut fwd = best.clone();
    let mut back = Vec::new();
    for &y in &data[1..] {
        let mut next = vec![0.0; k];
        let mut arg = vec![0; k];
        let mut nf = vec![0.0; k];
        for j in 0..k {
            let (i, v) = (0..k)
                .map(|i| (i, best[i] + lt[i][j]))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            next[j] = v + normal_lp(y, j as f64);
            arg[j] = i;
            let terms: Vec<f64> = (0..k).map(|i| fwd[i] + lt[i][j]).collect();
            let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            nf[j] =
                m + terms.iter().map(|x| (x - m).exp()).sum::<f64>().ln() + normal_lp(y, j as f64);
        }
        best = next;
        fwd = nf;
        back.push(arg);
    }
    let (mut s, max) = best
        .iter()
        .cloned()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let mut path = vec![s];
    for arg in back.iter().rev() {
        s = arg[s];
        path.push(s);
    }
    path.reverse();
    let m = fwd.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let ll = m + fwd.iter().map(|x| (x - m).exp()).sum::<f64>().ln();
    (path, max, ll)
}

#[test]
fn viterbi_on_a_markov_chain_equals_a_hand_written_decoder() {
    let (k, t) = (10, 300);
    let (truth, data) = simulate_hmm(t, k, 7);
    let (path, max, ll) = hand_viterbi(&data, k);
    let mut rng = SmallRng::seed_from_u64(0);
    let trace = infer_discrete(&viterbi_decoder, &(&data[..], k), 0.0, &mut rng).unwrap();
    let decoded: Vec<usize> = trace.ret()[1..].to_vec();
    assert_eq!(decoded, path);
    assert!((trace.log_joint().value() - max).abs() < 1e-9 * max.abs());
    let lz = enumerated_log_joint(&viterbi_decoder, &(&data[..], k), &mut rng).unwrap();
    assert!((lz - ll).abs() < 1e-9 * ll.abs(), "{lz} vs {ll}");
    let accuracy = decoded.iter().zip(&truth).filter(|(a, b)| a == b).count() as f64 / t as f64;
    assert!(accuracy > 0.5, "{accuracy}");
}

/// A mixture of two normals with one enumerated assignment per point, in entries of a plate.
#[model]
fn mixture(ys: &[f64], locs: [f64; 2]) {
    let w = sample!("w", Beta::new(2.0, 2.0));
    for (i, &y) in ys.iter().enumerate() {
        plate!("points", ys.len(), |_| {
            let z = sample!(format!("z_{i}"), Bernoulli::new(w), infer = enumerate);
            observe!(format!("y_{i}"), Normal::new(locs[usize::from(z)], 1.0), y);
        });
    }
}

#[test]
fn a_plate_of_assignments_needs_one_run_per_value_and_sums_exactly() {
    let ys = [-1.2, 0.4, 2.3, 1.9, -0.3];
    let locs = [-1.0, 2.0];
    let w = 0.35;
    let m = smallx::handler::substitute(mixture, data! { "w" => w });
    let mut rng = SmallRng::seed_from_u64(0);
    let lz = enumerated_log_joint(&m, &(&ys[..], locs), &mut rng).unwrap();
    let beta = (6.0 * w * (1.0 - w)).ln();
    let exact: f64 = beta
        + ys.iter()
            .map(|&y| {
                ((1.0 - w) * normal_lp(y, locs[0]).exp() + w * normal_lp(y, locs[1]).exp()).ln()
            })
            .sum::<f64>();
    assert!((lz - exact).abs() < 1e-12, "{lz} vs {exact}");
    let marg = compute_marginals(&m, &(&ys[..], locs), &mut rng).unwrap();
    for (i, &y) in ys.iter().enumerate() {
        let a = w * normal_lp(y, locs[1]).exp();
        let p = a / (a + (1.0 - w) * normal_lp(y, locs[0]).exp());
        assert!((marg.probs(&format!("z_{i}")).unwrap()[1] - p).abs() < 1e-12);
    }
}

#[model]
fn continuous_marked() {
    sample!("x", Normal::new(0.0, 1.0), infer = enumerate);
}

#[model]
fn huge_support() {
    sample!("n", Binomial::new(100_000, 0.5), infer = enumerate);
}

#[model]
fn changing_sites() {
    let z = sample!("z", Bernoulli::new(0.5), infer = enumerate);
    if z {
        sample!("extra", Normal::new(0.0, 1.0), obs = 0.5);
    }
}

#[model]
fn short_history(ys: &[f64]) {
    let mut prev = vec![false];
    markov!("chain", ys.len(), |t| {
        // Depends on the state two steps back, with the default history of 1.
        let back2 = prev.len() >= 2 && prev[prev.len() - 2];
        let z = sample!(
            format!("z_{t}"),
            Bernoulli::new(if back2 { 0.9 } else { 0.2 }),
            infer = enumerate
        );
        prev.push(z);
        observe!(
            format!("y_{t}"),
            Normal::new(if z { 1.0 } else { 0.0 }, 1.0),
            ys[t]
        );
    });
}

fn enumeration_error<M: Model>(m: &M, args: &M::Args<'_>) -> String
where
    for<'a> M::Ret<f64>: std::fmt::Debug,
{
    let err = infer_discrete(m, args, 0.0, &mut SmallRng::seed_from_u64(0)).unwrap_err();
    assert!(matches!(err, Error::Enumeration { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn misuse_is_an_error_naming_the_site() {
    let msg = enumeration_error(&continuous_marked, &());
    assert!(
        msg.contains("`x`") && msg.contains("finite support"),
        "{msg}"
    );
    let msg = enumeration_error(&huge_support, &());
    assert!(
        msg.contains("`n`") && msg.contains("100001") && msg.contains("1024"),
        "{msg}"
    );
    let msg = enumeration_error(&changing_sites, &());
    assert!(
        msg.contains("must not depend on the values of enumerated sites"),
        "{msg}"
    );
    let ys = [0.1, 0.9, 1.2, -0.3, 0.8];
    let msg = enumeration_error(&short_history, &(&ys[..],));
    assert!(msg.contains("cannot see"), "{msg}");
    let err =
        infer_discrete(&chain3, &(&YS[..],), 0.5, &mut SmallRng::seed_from_u64(0)).unwrap_err();
    assert!(err.to_string().contains("temperature"), "{err}");
}

#[test]
fn config_enumerate_marks_every_finite_discrete_site() {
    #[model]
    fn unmarked(ys: &[f64]) {
        let a = sample!("a", Bernoulli::new(0.4));
        let b = sample!("b", Categorical::from_probs(&[0.2, 0.3, 0.5]));
        let n = sample!("n", Poisson::new(3.0));
        let m = if a { b as f64 } else { -(b as f64) };
        observe!("y", Normal::new(m, 1.0), ys[0]);
        let _ = n;
    }
    let marked = config_enumerate(unmarked);
    let mut rng = SmallRng::seed_from_u64(3);
    let marg = compute_marginals(&marked, &(&[0.7][..],), &mut rng).unwrap();
    let names: Vec<&str> = marg.sites().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
}

mod elbo {
    use super::normal_lp;
    use smallx::Error;
    use smallx::infer::enumerate::compute_marginals;
    use smallx::infer::{Adam, GradMode, Svi, TraceElbo, TraceEnumElbo};
    use smallx::prelude::*;

    #[model]
    fn coin(x: f64) {
        let p = param!("p", 0.3, Constraint::Interval(0.0, 1.0));
        let z = sample!("z", Bernoulli::new(p), infer = enumerate);
        observe!("x", Normal::new(if z { 1.0 } else { -1.0 }, 1.0), x);
    }

    #[model]
    fn nothing(_x: f64) {}

    #[test]
    fn the_enumerated_elbo_of_a_bernoulli_model_is_its_log_evidence() {
        for mode in [GradMode::Forward, GradMode::Reverse] {
            let x = 0.4;
            let mut svi = Svi::new(coin, nothing, Adam::new(0.01), TraceEnumElbo::new())
                .grad_mode(mode)
                .progress(false);
            let (loss, grad) = svi.loss_and_gradient(&(x,)).unwrap();
            let p: f64 = 0.3;
            let (n1, n0) = (normal_lp(x, 1.0).exp(), normal_lp(x, -1.0).exp());
            let z = p * n1 + (1.0 - p) * n0;
            assert!((loss + z.ln()).abs() < 1e-9, "{loss} vs {}", -z.ln());
            // d(−log Z)/du with p = σ(u): −(n1 − n0)/Z · p(1 − p).
            let expected = -(n1 - n0) / z * p * (1.0 - p);
            assert!((grad[0] - expected).abs() < 1e-9, "{grad:?} vs {expected}");
        }
    }

    /// Zero-inflated Poisson counts written with an enumerated gate per count...
    #[model]
    fn zip_enumerated(ys: &[i64]) {
        let gate = param!("gate", 0.3, Constraint::Interval(0.0, 1.0));
        let rate = sample!("rate", Gamma::new(2.0, 0.5));
        for (i, &y) in ys.iter().enumerate() {
            let structural = sample!(format!("zero_{i}"), Bernoulli::new(gate), infer = enumerate);
            let lp = if structural {
                Real::new(if y == 0 { 0.0 } else { f64::NEG_INFINITY })
            } else {
                (y as f64) * rate.ln() - rate - statrs::function::gamma::ln_gamma(y as f64 + 1.0)
            };
            factor!(format!("y_{i}"), lp);
        }
    }

    /// ... and with the closed-form mixture.
    #[model]
    fn zip_closed_form(ys: &[i64]) {
        let gate = param!("gate", 0.3, Constraint::Interval(0.0, 1.0));
        let rate = sample!("rate", Gamma::new(2.0, 0.5));
        for (i, &y) in ys.iter().enumerate() {
            observe!(format!("y_{i}"), ZeroInflatedPoisson::new(gate, rate), y);
        }
    }

    #[model]
    fn rate_guide(_ys: &[i64]) {
        let loc = param!("loc", 1.0);
        let scale = param!("scale", 0.3, Constraint::Positive);
        sample!("rate", LogNormal::new(loc, scale));
    }

    #[test]
    fn an_enumerated_gate_gives_the_closed_form_mixtures_loss_and_gradient() {
        let ys = [0, 3, 0, 5, 4, 0, 2, 6];
        for mode in [GradMode::Forward, GradMode::Reverse] {
            let run = |enumerated: bool| {
                let (loss, grad) = if enumerated {
                    Svi::new(
                        zip_enumerated,
                        rate_guide,
                        Adam::new(0.01),
                        TraceEnumElbo::new(),
                    )
                    .grad_mode(mode)
                    .seed(4)
                    .progress(false)
                    .loss_and_gradient(&(&ys[..],))
                    .unwrap()
                } else {
                    Svi::new(
                        zip_closed_form,
                        rate_guide,
                        Adam::new(0.01),
                        TraceElbo::new(),
                    )
                    .grad_mode(mode)
                    .seed(4)
                    .progress(false)
                    .loss_and_gradient(&(&ys[..],))
                    .unwrap()
                };
                (loss, grad)
            };
            let (l1, g1) = run(true);
            let (l2, g2) = run(false);
            assert!((l1 - l2).abs() < 1e-9 * l2.abs(), "{l1} vs {l2}");
            assert_eq!(g1.len(), g2.len());
            for (a, b) in g1.iter().zip(&g2) {
                assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()), "{g1:?} vs {g2:?}");
            }
        }
    }

    const LOCS: [f64; 3] = [-2.0, 0.0, 2.5];

    #[model]
    fn which_component(x: f64) {
        let z = sample!("z", Categorical::from_probs(&[0.2, 0.5, 0.3]));
        observe!("x", Normal::new(LOCS[z], 1.0), x);
    }

    #[model]
    fn marginal_guide(_x: f64, probs: &[f64]) {
        let q = param!("q", probs.to_vec(), Constraint::Simplex);
        sample!("z", Categorical::new(q.as_slice()), infer = enumerate);
    }

    #[test]
    fn a_guide_built_from_the_marginals_has_a_zero_gradient() {
        let x = 0.7;
        let marginals = compute_marginals(
            &smallx::infer::enumerate::config_enumerate(which_component),
            &(x,),
            &mut SmallRng::seed_from_u64(0),
        )
        .unwrap();
        // The guide takes the marginals as an argument; wrap the model to share arguments.
        #[model]
        fn model_with(x: f64, _probs: &[f64]) {
            call!(which_component(x));
        }
        let probs = marginals.probs("z").unwrap().to_vec();
        let mut svi = Svi::new(
            model_with,
            marginal_guide,
            Adam::new(0.01),
            TraceEnumElbo::new(),
        )
        .progress(false);
        let (loss, grad) = svi.loss_and_gradient(&(x, &probs[..])).unwrap();
        let evidence: f64 = [0.2, 0.5, 0.3]
            .iter()
            .zip(LOCS)
            .map(|(w, m)| w * normal_lp(x, m).exp())
            .sum();
        // At the exact posterior the ELBO is the log evidence and its gradient vanishes.
        assert!(
            (loss + evidence.ln()).abs() < 1e-9,
            "{loss} vs {}",
            -evidence.ln()
        );
        assert!(grad.iter().all(|g| g.abs() < 1e-9), "{grad:?}");
        // Away from it the gradient does not vanish.
        let other = [0.3, 0.3, 0.4];
        let mut svi = Svi::new(
            model_with,
            marginal_guide,
            Adam::new(0.01),
            TraceEnumElbo::new(),
        )
        .progress(false);
        let (_, grad) = svi.loss_and_gradient(&(x, &other[..])).unwrap();
        assert!(grad.iter().any(|g| g.abs() > 1e-3), "{grad:?}");
    }

    #[test]
    fn an_elbo_that_does_not_enumerate_refuses_enumerated_sites() {
        let err = Svi::new(coin, nothing, Adam::new(0.01), TraceElbo::new())
            .progress(false)
            .loss_and_gradient(&(0.4,))
            .unwrap_err();
        assert!(matches!(err, Error::ModelGuideMismatch(_)), "{err:?}");
        assert!(err.to_string().contains("`z`") && err.to_string().contains("TraceEnumElbo"));
    }
}

/// An enumerated site whose second observation is masked out (Pyro's `dist.mask(False)`).
#[model]
fn masked_observation(ys: &[f64], keep: &[bool]) {
    let z = sample!(
        "z",
        Categorical::from_probs(&[0.3, 0.4, 0.3]),
        infer = enumerate
    );
    for (i, &y) in ys.iter().enumerate() {
        observe!(format!("y{i}"), Normal::new(z as f64, 1.0).mask(keep[i]), y);
    }
}

#[test]
fn a_masked_observation_does_not_inform_the_enumerated_site() {
    let ys = [1.6, -3.0, 2.1];
    let keep = [true, false, true];
    let prior: [f64; 3] = [0.3, 0.4, 0.3];
    let lj: Vec<f64> = (0..3)
        .map(|k| {
            prior[k].ln()
                + ys.iter()
                    .zip(&keep)
                    .filter(|(_, keep)| **keep)
                    .map(|(&y, _)| normal_lp(y, k as f64))
                    .sum::<f64>()
        })
        .collect();
    let probs = normalise(&lj);
    let mut rng = SmallRng::seed_from_u64(5);
    let mut counts = [0usize; 3];
    for _ in 0..10_000 {
        let t = infer_discrete(&masked_observation, &(&ys[..], &keep[..]), 1.0, &mut rng).unwrap();
        match t.value("z").unwrap() {
            Value::Int(k) => counts[*k as usize] += 1,
            other => panic!("{other:?}"),
        }
    }
    for (c, p) in counts.iter().zip(&probs) {
        assert!(
            (*c as f64 / 1e4 - p).abs() < 0.01,
            "{counts:?} vs {probs:?}"
        );
    }
    let map = infer_discrete(&masked_observation, &(&ys[..], &keep[..]), 0.0, &mut rng).unwrap();
    let best = (0..3).max_by(|&a, &b| lj[a].total_cmp(&lj[b])).unwrap();
    assert_eq!(map.value("z").unwrap(), &Value::Int(best as i64));
    assert!((map.log_joint().value() - lj[best]).abs() < 1e-9);
}

#[test]
fn posterior_draws_in_a_plate_have_the_brute_force_frequencies() {
    let ys = [-1.2, 0.4, 2.3];
    let locs = [-1.0, 2.0];
    let w = 0.35;
    let m = smallx::handler::substitute(mixture, data! { "w" => w });
    // Brute force over the 8 joint assignments.
    let mut joint = Vec::new();
    for code in 0..8usize {
        let zs: Vec<bool> = (0..3).map(|i| code >> i & 1 == 1).collect();
        let lp: f64 = zs
            .iter()
            .zip(&ys)
            .map(|(&z, &y)| if z { w.ln() } else { (1.0 - w).ln() } + normal_lp(y, locs[usize::from(z)]))
            .sum();
        joint.push(lp);
    }
    let probs = normalise(&joint);
    let mut counts = vec![0usize; 8];
    let mut rng = SmallRng::seed_from_u64(6);
    for _ in 0..10_000 {
        let t = infer_discrete(&m, &(&ys[..], locs), 1.0, &mut rng).unwrap();
        let code: usize = (0..3)
            .map(|i| usize::from(t.value(&format!("z_{i}")).unwrap() == &Value::Bool(true)) << i)
            .sum();
        counts[code] += 1;
    }
    for (c, p) in counts.iter().zip(&probs) {
        assert!(
            (*c as f64 / 1e4 - p).abs() < 0.01,
            "{counts:?} vs {probs:?}"
        );
    }
    let map = infer_discrete(&m, &(&ys[..], locs), 0.0, &mut rng).unwrap();
    let best = (0..8)
        .max_by(|&a, &b| joint[a].total_cmp(&joint[b]))
        .unwrap();
    let beta = (6.0 * w * (1.0 - w)).ln();
    assert!((map.log_joint().value() - beta - joint[best]).abs() < 1e-9);
}

mod mcmc {
    use smallx::infer::diagnostics::ess_bulk;
    use smallx::infer::{Mcmc, Nuts};
    use smallx::prelude::*;

    /// Two clusters with per-point assignments summed out by enumeration...
    #[model]
    fn enumerated(xs: &[f64]) {
        let mu0 = sample!("mu0", Normal::new(-2.0, 1.0));
        let mu1 = sample!("mu1", Normal::new(2.0, 1.0));
        for (i, &x) in xs.iter().enumerate() {
            plate!("points", xs.len(), |_| {
                let z = sample!(format!("z_{i}"), Bernoulli::new(0.4), infer = enumerate);
                observe!(
                    format!("x_{i}"),
                    Normal::new(if z { mu1 } else { mu0 }, 1.0),
                    x
                );
            });
        }
    }

    /// ... and by hand, as a mixture.
    #[model]
    fn marginalised(xs: &[f64]) {
        let mu0 = sample!("mu0", Normal::new(-2.0, 1.0));
        let mu1 = sample!("mu1", Normal::new(2.0, 1.0));
        for (i, &x) in xs.iter().enumerate() {
            let comps = [Normal::new(mu0, 1.0), Normal::new(mu1, 1.0)];
            observe!(format!("x_{i}"), Mixture::new(&[0.6, 0.4], comps), x);
        }
    }

    fn data() -> Vec<f64> {
        let mut rng = SmallRng::seed_from_u64(9);
        let normal = Normal::<f64>::new(0.0, 1.0).unwrap();
        (0..40)
            .map(|i| normal.sample(&mut rng).value() + if i % 5 < 2 { 1.5 } else { -1.0 })
            .collect()
    }

    fn mean_and_mcse(samples: &smallx::infer::Samples, site: &str) -> (f64, f64) {
        let chains = samples.site(site).unwrap().element(0).unwrap();
        let all = chains.concat();
        let n = all.len() as f64;
        let m = all.iter().sum::<f64>() / n;
        let sd = (all.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt();
        (m, sd / ess_bulk(&chains).sqrt())
    }

    #[test]
    fn nuts_with_enumerated_assignments_agrees_with_the_hand_marginalised_model() {
        let xs = data();
        let e = Mcmc::new(Nuts::new(enumerated))
            .warmup(500)
            .samples(1000)
            .chains(2)
            .seed(0)
            .progress(false)
            .run(&(&xs[..],))
            .unwrap();
        let m = Mcmc::new(Nuts::new(marginalised))
            .warmup(500)
            .samples(1000)
            .chains(2)
            .seed(0)
            .progress(false)
            .run(&(&xs[..],))
            .unwrap();
        for site in ["mu0", "mu1"] {
            let (me, se) = mean_and_mcse(&e, site);
            let (mm, sm) = mean_and_mcse(&m, site);
            let tolerance = 4.0 * (se * se + sm * sm).sqrt();
            assert!(
                (me - mm).abs() < tolerance,
                "{site}: {me} vs {mm} (4 SE = {tolerance})"
            );
        }
        // The assignments are not dropped: a posterior draw of each is recorded per draw.
        let z0 = e.site("z_0").unwrap().element(0).unwrap().concat();
        assert_eq!(z0.len(), 2000);
        assert!(z0.iter().all(|&v| v == 0.0 || v == 1.0));
    }
}
