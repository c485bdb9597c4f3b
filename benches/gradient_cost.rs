//! What gradients cost, in forward and reverse mode.
//!
//! 1. For models with d = 1, 2, 4, 8, 16, 64, 256, 1024 continuous latent dimensions: the time of the
//!    log-joint and its full gradient divided by the time of the log-joint alone, in forward
//!    mode (bound about 1 + d) and in reverse mode (a constant), with the reverse tape's nodes
//!    and edges per evaluation.
//! 2. Where the time of a W7 SVI step goes in reverse mode (J = 100 and 400): the primal
//!    (model and guide with `f64`), recording the tape, the backward sweep, and the rest of the
//!    step (optimiser, parameter bookkeeping); tape nodes per observation and ns per node.
//! 3. The time per SVI step of W4 (logistic regression, 20 predictors, AutoNormal) as the number
//!    of observations grows from 1 000 to 100 000, with the likelihood as one `BernoulliGlm`.
//!
//! `cargo bench --bench gradient_cost`; prints three markdown tables (`-- cost`, `-- w7`,
//! `-- n` for one).

use rand_distr::{Distribution as _, StandardNormal};
use smallx::infer::Potential;
use smallx::infer::latent::{LatentSpace, lift_coordinates, log_density_unconstrained};
use smallx::infer::{Adam, AutoNormal, GradMode, Svi, TraceElbo};
use smallx::prelude::*;
use smallx::scalar::{Recording, Rev};
use std::time::Instant;

/// A hierarchical normal model with `d` latent means: mu ~ N(0, 1), z_k ~ N(mu, 1), y_k ~ N(z_k, 0.5).
#[model]
fn hierarchical(y: &[f64]) {
    let d = y.len();
    let z = sample!("z", Normal::new(0.0, 1.0).iid(d));
    observe!("y", Batch::new(z.iter().map(|&zk| Normal::new(zk, 0.5))), y);
}

#[model]
fn logreg(x: &Design, y: &[bool]) {
    let beta = sample!("beta", Normal::new(0.0, 1.0).iid(x.ncols()));
    let intercept = sample!("intercept", Normal::new(0.0, 1.0));
    observe!("y", BernoulliGlm::new(x, &beta, intercept), y);
}

/// Median seconds per call of `f` over `reps` batches of `calls`.
fn per_call(calls: usize, reps: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            start.elapsed().as_secs_f64() / calls as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

fn gradient_cost() {
    println!(
        "| latent dimensions d | log-joint µs | forward: + gradient µs | forward ratio | bound 1 + d | reverse: + gradient µs | reverse ratio | tape nodes | tape edges |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for d in [1usize, 2, 4, 8, 16, 64, 256, 1024] {
        let y: Vec<f64> = (0..d).map(|k| (k as f64 * 0.7).sin()).collect();
        let args = (&y[..],);
        let mut rng = SmallRng::seed_from_u64(0);
        let (space, _) = LatentSpace::discover(&hierarchical, &args, &mut rng).expect("model runs");
        let u: Vec<f64> = (0..d).map(|k| (k as f64 * 0.3).cos()).collect();
        let lifted = lift_coordinates::<f64>(&u, None);
        let calls = (20_000 / d).max(20);
        let plain = per_call(calls, 7, || {
            log_density_unconstrained(&hierarchical, &args, &space, &lifted, &[], true, &mut rng)
                .expect("density");
        });
        let mut grad = vec![0.0; d];
        let (potential, _) =
            Potential::discover(&hierarchical, &args, &mut rng).expect("model runs");
        let mut time_mode = |mode: GradMode, calls: usize| {
            let potential = potential.grad_mode_ref(mode);
            per_call(calls, 7, || {
                potential
                    .log_density_and_gradient(&u, &mut grad)
                    .expect("gradient");
            })
        };
        let forward = time_mode(GradMode::Forward, (calls / 8).max(5));
        let reverse = time_mode(GradMode::Reverse, calls);
        let (nodes, edges) = {
            let recording = Recording::start();
            let x = lift_coordinates::<Rev>(&u, Some(0));
            log_density_unconstrained(&hierarchical, &args, &space, &x, &[], true, &mut rng)
                .expect("density");
            (recording.nodes(), recording.edges())
        };
        println!(
            "| {d} | {:.3} | {:.3} | {:.1} | {} | {:.3} | {:.2} | {nodes} | {edges} |",
            plain * 1e6,
            forward * 1e6,
            forward / plain,
            1 + d,
            reverse * 1e6,
            reverse / plain,
        );
    }
}

/// W7's model, as in the workloads bench.
#[model]
fn hier(j: usize, group: &[usize], x: &[f64], y: &[f64]) {
    let mu_a = sample!("mu_a", Normal::new(0.0, 5.0));
    let sigma_a = sample!("sigma_a", HalfNormal::new(2.5));
    let beta = sample!("beta", Normal::new(0.0, 5.0));
    let sigma = sample!("sigma", HalfNormal::new(2.5));
    let z = sample!("z", Normal::new(0.0, 1.0).iid(j));
    let alpha: Vec<Real> = z.iter().map(|&zj| mu_a + sigma_a * zj).collect();
    let means = group
        .iter()
        .zip(x)
        .map(|(&g, &xi)| Normal::new(alpha[g] + beta * xi, sigma));
    observe!("y", Batch::new(means), y);
}

fn w7_breakdown() {
    use smallx::infer::elbo::{particle_elbo, run_model_and_guide};
    println!();
    println!(
        "| W7, J | observations | SVI step µs | primal (f64) µs | recording µs | sweep µs | rest µs | tape nodes | nodes per observation | ns per node (record + sweep) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for j in [100usize, 400] {
        let path = format!("{}/data/hier{j}.json", env!("CARGO_MANIFEST_DIR"));
        let data = Data::from_json_keys(
            &std::fs::read_to_string(path).expect("data"),
            &["group", "x", "y"],
        )
        .expect("data parses");
        let group: Vec<usize> = match data.get("group") {
            Some(Value::IntVec(v)) => v.iter().map(|&g| g as usize).collect(),
            _ => panic!("group is an integer vector"),
        };
        let reals = |k: &str| data.get(k).and_then(|v| v.real_values()).expect("reals");
        let (x, y) = (reals("x"), reals("y"));
        let args = (j, &group[..], &x[..], &y[..]);
        let guide = AutoNormal::new(hier);
        let mut svi = Svi::new(
            hier,
            AutoNormal::new(hier),
            Adam::new(0.01),
            TraceElbo::new(),
        )
        .progress(false)
        .grad_mode(GradMode::Reverse);
        svi.run(20, &args).expect("W7 runs");
        let step = per_call(200, 7, || {
            svi.step(&args).expect("W7 runs");
        });
        let mut store = svi.params().clone();
        let primal = per_call(200, 7, || {
            let (m, g) =
                run_model_and_guide::<_, _, f64>(&hier, &guide, &args, &mut store, None, 7)
                    .expect("runs");
            particle_elbo(&TraceElbo::new(), &m, &g, 0.0);
        });
        let mut nodes = 0;
        let record = per_call(200, 7, || {
            let recording = Recording::start();
            let (m, g) =
                run_model_and_guide::<_, _, Rev>(&hier, &guide, &args, &mut store, Some(0), 7)
                    .expect("runs");
            particle_elbo(&TraceElbo::new(), &m, &g, 0.0);
            nodes = recording.nodes();
        });
        let mut grad = vec![0.0; store.len()];
        let with_sweep = per_call(200, 7, || {
            let recording = Recording::start();
            let (m, g) =
                run_model_and_guide::<_, _, Rev>(&hier, &guide, &args, &mut store, Some(0), 7)
                    .expect("runs");
            let (_, surrogate) = particle_elbo(&TraceElbo::new(), &m, &g, 0.0);
            recording.gradient(surrogate.0, &mut grad);
        });
        let sweep = with_sweep - record;
        let n_obs = y.len();
        println!(
            "| {j} | {n_obs} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {nodes} | {:.2} | {:.2} |",
            step * 1e6,
            primal * 1e6,
            (record - primal) * 1e6,
            sweep * 1e6,
            (step - with_sweep) * 1e6,
            nodes as f64 / n_obs as f64,
            (with_sweep - primal) * 1e9 / nodes as f64,
        );
    }
}

fn n_scaling() {
    println!();
    println!("| observations N | µs per SVI step | µs per step per 1000 observations |");
    println!("|---:|---:|---:|");
    let mut rng = SmallRng::seed_from_u64(1);
    let beta: Vec<f64> = (0..20).map(|_| StandardNormal.sample(&mut rng)).collect();
    for n in [1_000usize, 3_000, 10_000, 30_000, 100_000] {
        let x = DMatrix::<f64>::from_fn(n, 20, |_, _| StandardNormal.sample(&mut rng));
        let y: Vec<bool> = (0..n)
            .map(|i| {
                let eta: f64 = (0..20).map(|j| x[(i, j)] * beta[j]).sum();
                let u: f64 = rand_distr::Open01.sample(&mut rng);
                u < 1.0 / (1.0 + (-eta).exp())
            })
            .collect();
        let design = Design::new(x);
        let args = (&design, &y[..]);
        let mut svi = Svi::new(
            logreg,
            AutoNormal::new(logreg),
            Adam::new(0.01),
            TraceElbo::new(),
        )
        .progress(false);
        svi.run(5, &args).expect("W4 runs");
        let steps = (200_000 / n).clamp(20, 200);
        let t = per_call(1, 5, || {
            svi.run(steps, &args).expect("W4 runs");
        }) / steps as f64;
        println!(
            "| {n} | {:.1} | {:.2} |",
            t * 1e6,
            t * 1e6 / (n as f64 / 1000.0)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |w: &str| args.is_empty() || args.iter().any(|a| a == w);
    for (name, run) in [
        ("cost", gradient_cost as fn()),
        ("w7", w7_breakdown),
        ("n", n_scaling),
    ] {
        if wanted(name) {
            run();
        }
    }
}
