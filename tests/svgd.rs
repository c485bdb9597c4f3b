//! SVGD: Pyro's mean-and-variance tests, a conjugate posterior, the kernels against finite
//! differences and a hand-computed bandwidth, and the errors.
//!
//! SVGD is deterministic for a fixed seed (the initial particles are the only random draws),
//! so the tolerances below are not Monte Carlo error bars but the accuracy of the particle
//! approximation itself; the measured errors are noted next to each.

use rand::SeedableRng;
use rand::rngs::SmallRng;
use smallx::infer::svgd::{median_bandwidths, stein_force};
use smallx::infer::{
    Adam, GradMode, ImqKernel, RbfKernel, SteinKernel, SteinMode, Svgd, init_to_feasible,
};
use smallx::prelude::*;

#[model]
fn normal_2d() {
    sample!("z", Normal::new(0.0, 1.0).iid(2));
}

#[model]
fn log_normal() {
    sample!("z", LogNormal::new(-1.0, 0.7));
}

#[model]
fn beta() {
    sample!("z", Beta::new(0.3, 0.7));
}

/// The kernels whose bandwidth factor the test anneals.
trait Annealed: SteinKernel + Sized {
    fn set(&mut self, factor: f64);
}
impl Annealed for RbfKernel {
    fn set(&mut self, factor: f64) {
        self.set_bandwidth_factor(factor);
    }
}
impl Annealed for ImqKernel {
    fn set(&mut self, factor: f64) {
        self.set_bandwidth_factor(factor);
    }
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (
        m,
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

/// Pyro's `test_mean_variance`: 200 particles, Adam(0.05), one step, the particles scrambled
/// (`x ← 1.3 x + 0.7` in unconstrained space), then 301 steps with the bandwidth factor
/// annealed linearly from 1 to 5. Returns the mean and variance of each element of `z`.
fn pyro_run<M, K>(model: M, kernel: K, mode: SteinMode, seed: u64, settle: usize) -> Vec<(f64, f64)>
where
    M: for<'a> Model<Args<'a> = ()> + Sync,
    K: Annealed,
{
    let svgd = Svgd::new(model, kernel, Adam::new(0.05))
        .num_particles(200)
        .mode(mode)
        .seed(seed)
        .progress(false);
    let svgd = pyro_protocol(svgd, settle);
    let samples = svgd.samples(&()).unwrap();
    let z = samples.site("z").unwrap();
    (0..z.dim)
        .map(|j| mean_var(&z.element(j).unwrap().concat()))
        .collect()
}

/// The steps of Pyro's protocol on `svgd`, then `settle` more at the final bandwidth.
fn pyro_protocol<M, K>(mut svgd: Svgd<M, K, Adam>, settle: usize) -> Svgd<M, K, Adam>
where
    M: for<'a> Model<Args<'a> = ()> + Sync,
    K: Annealed,
{
    svgd.step(&()).unwrap();
    svgd.particles_mut()
        .iter_mut()
        .for_each(|x| *x = 1.3 * *x + 0.7);
    let steps = 301;
    for step in 0..steps {
        svgd.kernel_mut()
            .set(1.0 + (step as f64 / steps as f64) * (5.0 - 1.0));
        svgd.step(&()).unwrap();
    }
    for _ in 0..settle {
        svgd.step(&()).unwrap();
    }
    svgd
}

fn check(name: &str, got: &[(f64, f64)], mean: f64, var: f64, mean_tol: f64, var_tol: f64) {
    for &(m, v) in got {
        assert!(
            (m - mean).abs() < mean_tol && (v - var).abs() < var_tol,
            "{name}: mean {m:.4} (exact {mean:.4}), variance {v:.4} (exact {var:.4})"
        );
    }
}

fn targets() -> [(&'static str, f64, f64); 3] {
    let (mu, s): (f64, f64) = (-1.0, 0.7);
    let ln_mean = (mu + s * s / 2.0).exp();
    let ln_var = ((s * s).exp() - 1.0) * (2.0 * mu + s * s).exp();
    [
        ("normal", 0.0, 1.0),
        ("lognormal", ln_mean, ln_var),
        ("beta", 0.3, 0.3 * 0.7 / 2.0),
    ]
}

/// `lognormal_mean_tol` is Pyro's 0.01 except where noted at the call.
fn pyro_suite<K: Annealed + Clone>(
    kernel: K,
    mode: SteinMode,
    var_tol: f64,
    lognormal_mean_tol: f64,
) {
    let runs = [
        pyro_run(normal_2d, kernel.clone(), mode, 0, 0),
        pyro_run(log_normal, kernel.clone(), mode, 0, 0),
        pyro_run(beta, kernel, mode, 0, 0),
    ];
    for (got, (name, mean, var)) in runs.iter().zip(targets()) {
        let mean_tol = if name == "lognormal" {
            lognormal_mean_tol
        } else {
            0.01
        };
        check(name, got, mean, var, mean_tol, var_tol);
    }
}

// Pyro's tolerances: means within 0.01, variances within 0.02 (univariate) or 0.05
// (multivariate), at seed 0. One target misses: with the RBF kernel the log-normal's mean is
// 0.4496 (exact 0.4700, error 0.0204; variance 0.1212 against 0.1397) after the 302 steps.
// That is Adam with a constant learning rate still oscillating while the bandwidth is being
// annealed, not a bias of the particle approximation: 900 more steps at the final bandwidth
// settle the particles at mean 0.4691 and variance 0.1349.
//
// The steps are Pyro's (`pyro_particles_match`), so how often the protocol misses depends only
// on the 200 initial draws, and Pyro's own SVGD misses as often. Misses of Pyro's tolerances
// over seeds 0..19 (worst mean and variance errors), Pyro 1.9.2 with `pyro.set_rng_seed`
// in float32 (torch's default) and in float64 (what Pyro's test suite sets), smallx with
// `seed`:
//
//   configuration          Pyro float32            Pyro float64            smallx
//   normal, RBF, univ.     5/20 (0.0254, 0.0220)   2/20 (0.0087, 0.0223)   3/20 (0.0154, 0.0303)
//   normal, IMQ, univ.     1/20 (0.0097, 0.0281)   1/20 (0.0114, 0.0278)   2/20 (0.0112, 0.0321)
//   normal, RBF, multiv.   2/20 (0.0097, 0.0512)   0/20 (0.0078, 0.0489)   2/20 (0.0105, 0.0556)
//   normal, IMQ, multiv.   1/20 (0.0126, 0.0464)   1/20 (0.0109, 0.0472)   1/20 (0.0100, 0.0337)
//   log-normal, RBF        1/20 (0.0200, 0.0295)   0/20 (0.0062, 0.0100)   3/20 (0.0204, 0.0185)
//   log-normal, IMQ        0/20 (0.0030, 0.0079)   0/20 (0.0033, 0.0076)   0/20 (0.0032, 0.0078)
//   beta, RBF              0/20 (0.0011, 0.0008)   0/20 (0.0011, 0.0008)   0/20 (0.0008, 0.0005)
//   beta, IMQ              0/20 (0.0039, 0.0008)   0/20 (0.0039, 0.0008)   0/20 (0.0031, 0.0007)
//
// (the one-dimensional targets give the same particles in both modes). Over seeds 0..299 of
// the log-normal with the RBF kernel, Pyro in float64 misses 30 times (worst mean error
// 0.0276) and smallx 25 times (worst 0.0270): the mean error varies from seed to seed with a
// standard deviation of 0.0057 (Pyro) and 0.0048 (smallx), so Pyro's 0.01 is only about two
// of them. The log-normal RBF runs are therefore checked at 0.025 on the mean, about five;
// the seed is 0, not one chosen because it passes. Pyro's test with Pyro's tolerances
// everywhere, on initial particles Pyro drew (the fixtures' seed 0), is `pyro_particles_match`.
#[test]
fn pyro_mean_variance_rbf_univariate() {
    pyro_suite(RbfKernel::new(), SteinMode::Univariate, 0.02, 0.025);
}

#[test]
fn pyro_mean_variance_rbf_multivariate() {
    pyro_suite(RbfKernel::new(), SteinMode::Multivariate, 0.05, 0.025);
}

#[test]
fn pyro_mean_variance_imq_univariate() {
    pyro_suite(ImqKernel::new(), SteinMode::Univariate, 0.02, 0.01);
}

#[test]
fn pyro_mean_variance_imq_multivariate() {
    pyro_suite(ImqKernel::new(), SteinMode::Multivariate, 0.05, 0.01);
}

/// Reads a fixture written by `scripts/svgd_fixtures.py`: Pyro's initial particles and, per
/// configuration, its final particles (unconstrained, one row per particle).
fn pyro_fixture(name: &str) -> serde_json::Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/svgd")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn rows(value: &serde_json::Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
        .collect()
}

/// Runs Pyro's protocol from the fixture's initial particles and returns the largest absolute
/// difference from Pyro's final particles, and the mean and variance of each element of `z`.
fn pyro_difference<M, K>(
    model: M,
    kernel: K,
    mode: SteinMode,
    fixture: &serde_json::Value,
    config: &str,
) -> (f64, Vec<(f64, f64)>)
where
    M: for<'a> Model<Args<'a> = ()> + Sync,
    K: Annealed,
{
    let initial = rows(&fixture["initial"]);
    let expected = rows(&fixture["final"][config]);
    let svgd = Svgd::new(model, kernel, Adam::new(0.05))
        .num_particles(200)
        .mode(mode)
        .init_particles(initial)
        .progress(false);
    let svgd = pyro_protocol(svgd, 0);
    assert_eq!(svgd.particles().len(), expected.len());
    let diff = svgd
        .particles()
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let samples = svgd.samples(&()).unwrap();
    let z = samples.site("z").unwrap();
    let moments = (0..z.dim)
        .map(|j| mean_var(&z.element(j).unwrap().concat()))
        .collect();
    (diff, moments)
}

// Pyro's SVGD (float64) and smallx's, started from the same 200 particles (before the first
// step, so that Adam's state after it is part of the comparison), end the 302 steps of Pyro's
// protocol at the same particles up to rounding: the kernels, the median heuristic (lower
// median, ln(N + 1), pairs i < j), the force (divided by N, handed to Adam as −φ) and Adam
// (torch's defaults, bias-corrected) agree term for term. Measured largest absolute
// differences of the final unconstrained particles: 1.3e-14 (RBF) and 6.4e-15 (IMQ) for the
// log-normal; 6.2e-14, 2.6e-14, 7.0e-15 and 2.7e-14 for the 2-D normal (RBF univariate, RBF
// multivariate, IMQ univariate, IMQ multivariate); the bound is 1e-8. The Beta(0.3, 0.7)
// differs by 3.2e-9 (RBF) and 1.1e-8 (IMQ), bound 1e-7, and not from SVGD: torch's softplus
// is the identity past 20, so the gradient Pyro takes of the sigmoid's log-Jacobian at a
// particle with u < −20 (one reaches −22.4 after the scramble) is off by about e^u = 2e-10,
// which Adam's normalisation of that far particle's small force carries into its steps. With
// an exact softplus in that log-Jacobian, Pyro's particles agree with smallx's to 4.6e-14.
#[test]
fn pyro_particles_match() {
    let configs: [(&str, SteinMode); 4] = [
        ("rbf_univariate", SteinMode::Univariate),
        ("rbf_multivariate", SteinMode::Multivariate),
        ("imq_univariate", SteinMode::Univariate),
        ("imq_multivariate", SteinMode::Multivariate),
    ];
    for (file, target) in [
        ("lognormal.json", 0),
        ("normal_2d.json", 1),
        ("beta.json", 2),
    ] {
        let fixture = pyro_fixture(file);
        for (config, mode) in configs {
            let (diff, moments) = match (target, config.starts_with("rbf")) {
                (0, true) => pyro_difference(log_normal, RbfKernel::new(), mode, &fixture, config),
                (0, false) => pyro_difference(log_normal, ImqKernel::new(), mode, &fixture, config),
                (1, true) => pyro_difference(normal_2d, RbfKernel::new(), mode, &fixture, config),
                (1, false) => pyro_difference(normal_2d, ImqKernel::new(), mode, &fixture, config),
                (_, true) => pyro_difference(beta, RbfKernel::new(), mode, &fixture, config),
                (_, false) => pyro_difference(beta, ImqKernel::new(), mode, &fixture, config),
            };
            println!("{file} {config}: largest difference {diff:.3e}");
            let bound = if target == 2 { 1e-7 } else { 1e-8 };
            assert!(
                diff < bound,
                "{file} {config}: largest difference {diff:.3e}"
            );
            // Pyro's test itself, on Pyro's draws: from the fixture's initial particles (the
            // script's seed 0) every configuration meets Pyro's tolerances, means within 0.01
            // and variances within 0.02 (univariate) or 0.05 (multivariate).
            let (name, mean, var) = targets()[[1, 0, 2][target]];
            let var_tol = if mode == SteinMode::Multivariate {
                0.05
            } else {
                0.02
            };
            check(
                &format!("{name} {config}"),
                &moments,
                mean,
                var,
                0.01,
                var_tol,
            );
        }
    }
}

#[model]
fn counts(ys: &[i64]) {
    let rate = sample!("rate", Gamma::new(3.0, 1.0));
    observe!("ys", Poisson::new(rate).iid(ys.len()), ys);
}

// The exact posterior is Gamma(26, 11). At seed 1, 200 particles, 1000 steps: mean 2.5455
// (exact 2.5455), sd 0.4771 (exact 0.4810); the tolerance is the brief's 0.02.
#[test]
fn gamma_poisson_posterior() {
    let ys: Vec<i64> = vec![2, 4, 1, 3, 3, 0, 5, 2, 3, 2];
    let (n, total) = (ys.len() as f64, ys.iter().sum::<i64>() as f64);
    let (shape, rate) = (3.0 + total, 1.0 + n);
    let (mean, sd) = (shape / rate, shape.sqrt() / rate);
    let args = (&ys[..],);
    let mut svgd = Svgd::new(counts, RbfKernel::new(), Adam::new(0.05))
        .num_particles(200)
        .seed(1)
        .progress(false);
    svgd.run(1000, &args).unwrap();
    let samples = svgd.samples(&args).unwrap();
    let (m, v) = mean_var(&samples.values("rate").unwrap());
    println!(
        "gamma-Poisson: mean {m:.4} (exact {mean:.4}), sd {:.4} (exact {sd:.4})",
        v.sqrt()
    );
    assert!(
        (m - mean).abs() < 0.02 && (v.sqrt() - sd).abs() < 0.02,
        "mean {m:.4} (exact {mean:.4}), sd {:.4} (exact {sd:.4})",
        v.sqrt()
    );
    // The history: one entry per step, the force settles.
    let history = svgd.history();
    assert_eq!(history.len(), 1000);
    assert!(history[999].force_norm < history[0].force_norm);
    // Draws from the particles, with replacement, and the log-joint of every particle.
    let draws = svgd
        .draw(500, &args, &mut SmallRng::seed_from_u64(2))
        .unwrap();
    assert_eq!(draws.num_draws(), 500);
    assert_eq!(samples.stats()[0].log_joint.len(), 200);
    assert!(samples.stats()[0].log_joint.iter().all(|l| l.is_finite()));
}

fn central<F: Fn(&[f64]) -> f64>(f: F, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let eps = 1e-5 * x[i].abs().max(1.0);
            let (mut a, mut b) = (x.to_vec(), x.to_vec());
            a[i] += eps;
            b[i] -= eps;
            (f(&a) - f(&b)) / (2.0 * eps)
        })
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-8)
}

fn kernel_gradients(kernel: &dyn SteinKernel) {
    let x = [0.3, -1.2, 2.0];
    let y = [-0.4, 0.5, 1.1];
    let h = [0.7, 1.9, 0.4];
    let numeric = central(|x| kernel.value(x, &y, &h), &x);
    let exact = kernel.gradient(&x, &y, &h);
    for (a, b) in exact.iter().zip(&numeric) {
        assert!(close(*a, *b, 1e-6), "{}: {a} vs {b}", kernel.name());
    }
    // Each factor's log-derivative against its own difference.
    for (&delta, &h) in [(0.7, 0.3), (-2.5, 1.7), (1e-3, 0.2)]
        .iter()
        .map(|p| (&p.0, &p.1))
    {
        let d = central(|t| kernel.log_kernel_and_grad(t[0], h).0, &[delta])[0];
        let g = kernel.log_kernel_and_grad(delta, h).1;
        assert!(close(g, d, 1e-6), "{}: {g} vs {d}", kernel.name());
    }
}

#[test]
fn kernel_values_and_gradients_match_finite_differences() {
    kernel_gradients(&RbfKernel::new());
    kernel_gradients(&ImqKernel::new());
    kernel_gradients(&ImqKernel::with(1.3, -0.8).unwrap());
    // The closed forms at one point.
    let (x, y, h) = ([1.0, 2.0], [0.0, 0.5], [2.0, 0.5]);
    let rbf = (-(1.0 / 2.0) - 2.25 / 0.5f64).exp();
    assert!(close(RbfKernel::new().value(&x, &y, &h), rbf, 1e-14));
    let imq = (0.5f64 + 0.5).powf(-0.5) * (0.5f64 + 4.5).powf(-0.5);
    assert!(close(ImqKernel::new().value(&x, &y, &h), imq, 1e-14));
}

#[test]
fn median_bandwidth_by_hand() {
    // Four points in 2-D. Squared differences over the 6 pairs, sorted:
    // coordinate 0: 0.25, 0.25, 1, 1, 2.25, 4 → lower median 1;
    // coordinate 1: 1, 1, 4, 9, 16, 25 → lower median 4 (torch.median's, not the mean 6.5).
    let points = [0.0, 0.0, 0.5, 2.0, 1.5, 1.0, -0.5, 5.0];
    let ln5 = 5.0f64.ln();
    let h = median_bandwidths(&points, 4, 2, 1.0);
    assert!(
        close(h[0], 1.0 / ln5, 1e-15) && close(h[1], 4.0 / ln5, 1e-15),
        "{h:?}"
    );
    let h = RbfKernel::new()
        .bandwidth_factor(2.5)
        .bandwidths(&points, 4, 2);
    assert!(
        close(h[0], 2.5 / ln5, 1e-15) && close(h[1], 10.0 / ln5, 1e-15),
        "{h:?}"
    );
    let h = ImqKernel::new().bandwidths(&points, 4, 2);
    assert!(close(h[1], 4.0 / ln5, 1e-15));
    // A coordinate where every particle agrees falls back to bandwidth 1.
    assert_eq!(median_bandwidths(&[1.0, 1.0, 1.0], 3, 1, 1.0), vec![1.0]);
}

#[test]
fn stein_force_matches_its_definition() {
    // φ(x_i) = (1/N) Σ_j [k(x_j, x_i) g_j + ∇_{x_j} k(x_j, x_i)] with the product kernel
    // (multivariate), and coordinate by coordinate with one-dimensional kernels (univariate).
    let x = [0.1, -0.3, 1.2, 0.4, -0.7, 0.9, 0.0, 2.0];
    let g = [0.5, -1.0, 0.2, 0.3, -0.4, 1.5, 0.8, -0.6];
    let (n, d) = (4, 2);
    let h = [0.6, 1.3];
    for kernel in [&RbfKernel::new() as &dyn SteinKernel, &ImqKernel::new()] {
        let mut force = vec![0.0; n * d];
        stein_force(kernel, SteinMode::Multivariate, &x, &g, &h, &mut force);
        for i in 0..n {
            let xi = &x[i * d..(i + 1) * d];
            for k in 0..d {
                let expected: f64 = (0..n)
                    .map(|j| {
                        let xj = &x[j * d..(j + 1) * d];
                        kernel.value(xj, xi, &h) * g[j * d + k] + kernel.gradient(xj, xi, &h)[k]
                    })
                    .sum::<f64>()
                    / n as f64;
                assert!(close(force[i * d + k], expected, 1e-12));
            }
        }
        stein_force(kernel, SteinMode::Univariate, &x, &g, &h, &mut force);
        for i in 0..n {
            for k in 0..d {
                let xi = [x[i * d + k]];
                let expected: f64 = (0..n)
                    .map(|j| {
                        let xj = [x[j * d + k]];
                        kernel.value(&xj, &xi, &h[k..=k]) * g[j * d + k]
                            + kernel.gradient(&xj, &xi, &h[k..=k])[0]
                    })
                    .sum::<f64>()
                    / n as f64;
                assert!(close(force[i * d + k], expected, 1e-12));
            }
        }
    }
}

#[model]
fn one_normal() {
    sample!("x", Normal::new(0.0, 1.0));
}

#[model]
fn with_discrete(x: f64) {
    let z = sample!("z", Bernoulli::new(0.4));
    let mu = sample!("mu", Normal::new(0.0, 3.0));
    let loc = if z { mu } else { -mu };
    observe!("x", Normal::new(loc, 1.0), x);
}

#[model]
fn subsampled(y: &[f64]) {
    let mu = sample!("mu", Normal::new(0.0, 5.0));
    plate!("points", y.len(), subsample = 2, |idx| {
        let ys = idx.select(y);
        sample!("y", Normal::new(mu, 1.0).iid(ys.len()), obs = ys);
    });
}

fn message<T>(r: smallx::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn errors_name_their_cause() {
    let adam = || Adam::new(0.05);
    let msg = message(
        Svgd::new(one_normal, RbfKernel::new(), adam())
            .num_particles(0)
            .step(&()),
    );
    assert!(
        msg.starts_with("SVGD: num_particles must be at least 2 (got 0)"),
        "{msg}"
    );
    let msg = message(
        Svgd::new(one_normal, RbfKernel::new(), adam())
            .num_particles(1)
            .step(&()),
    );
    assert!(msg.contains("at least 2 (got 1)"), "{msg}");

    let msg = message(Svgd::new(with_discrete, RbfKernel::new(), adam()).step(&(1.0,)));
    assert!(
        msg.starts_with("SVGD: site `z`: the site is discrete"),
        "{msg}"
    );

    let y = [0.1, 0.5, -0.3, 0.9];
    let msg = message(Svgd::new(subsampled, RbfKernel::new(), adam()).step(&(&y[..],)));
    assert!(
        msg.contains("points") && msg.contains("SVGD needs the full data"),
        "{msg}"
    );

    let msg = message(
        Svgd::new(one_normal, RbfKernel::new(), adam())
            .init(init_to_feasible())
            .step(&()),
    );
    assert!(
        msg.contains("SVGD cannot separate identical particles"),
        "{msg}"
    );

    let msg =
        message(Svgd::new(one_normal, RbfKernel::new().bandwidth_factor(0.0), adam()).step(&()));
    assert!(msg.contains("bandwidth factor must be positive"), "{msg}");
    assert!(
        ImqKernel::with(0.0, -0.5)
            .unwrap_err()
            .to_string()
            .contains("alpha must be positive")
    );
    assert!(
        ImqKernel::with(0.5, 0.0)
            .unwrap_err()
            .to_string()
            .contains("beta must be negative")
    );

    let svgd = Svgd::new(one_normal, RbfKernel::new(), adam());
    let msg = message(svgd.samples(&()));
    assert!(msg.contains("take at least one step first"), "{msg}");

    // A particle where the log-density overflows: an error naming the site.
    let mut svgd = Svgd::new(one_normal, RbfKernel::new(), adam()).num_particles(10);
    svgd.step(&()).unwrap();
    svgd.particles_mut()[3] = 1e200;
    let msg = message(svgd.step(&()));
    assert!(
        msg.starts_with("site `x`: the log-density at a particle is not finite"),
        "{msg}"
    );
}

#[test]
fn init_particles_are_checked() {
    let svgd = |given: Vec<f64>| {
        Svgd::new(normal_2d, RbfKernel::new(), Adam::new(0.05))
            .num_particles(3)
            .init_particles(given)
            .progress(false)
    };
    // Three particles of two coordinates: six values, particle after particle.
    let given = vec![0.1, -0.2, 0.5, 0.3, -0.4, 0.9];
    let mut ok = svgd(given.clone());
    ok.step(&()).unwrap();
    assert_eq!(ok.particles().len(), 6);
    assert_eq!(ok.dim(), 2);
    let msg = message(svgd(given[..5].to_vec()).step(&()));
    assert!(
        msg.starts_with("SVGD: init_particles holds 5 values, expected 3 × 2 = 6"),
        "{msg}"
    );
    let msg = message(svgd(vec![0.0; 8]).step(&()));
    assert!(msg.contains("holds 8 values, expected 3 × 2 = 6"), "{msg}");
    let mut bad = given.clone();
    bad[3] = f64::NAN;
    let msg = message(svgd(bad).step(&()));
    assert!(
        msg.contains("coordinate 1 of particle 1 (site `z`) is NaN, not a finite number"),
        "{msg}"
    );
    let same = vec![0.1, 0.7, 0.5, 0.7, -0.4, 0.7];
    let msg = message(svgd(same).step(&()));
    assert!(
        msg.contains("the same value in coordinate 1 (site `z`)")
            && msg.contains("give the particles different values there"),
        "{msg}"
    );
}

#[test]
fn samples_work_with_summary_and_predictive() {
    let mut svgd = Svgd::new(normal_2d, RbfKernel::new(), Adam::new(0.05))
        .num_particles(50)
        .progress(false);
    let losses = svgd.run(20, &()).unwrap();
    assert_eq!(losses.len(), 20);
    let samples = svgd.samples(&()).unwrap();
    assert_eq!((samples.num_chains(), samples.num_draws()), (1, 50));
    assert!(samples.summary().row("z[1]").is_some());
    let predictive = smallx::infer::Predictive::new(normal_2d)
        .posterior(&(), &samples)
        .unwrap();
    assert_eq!(predictive.samples.num_draws(), 50);
}

#[model]
fn cusp() {
    let x = sample!("x", Normal::new(0.0, 1.0));
    factor!("cusp", -x.abs().sqrt());
}

#[test]
fn a_non_finite_gradient_names_the_site() {
    // √|x| has an infinite slope at 0: a particle put exactly there.
    let mut svgd = Svgd::new(cusp, RbfKernel::new(), Adam::new(0.05)).num_particles(5);
    svgd.step(&()).unwrap();
    svgd.particles_mut()[2] = 0.0;
    let msg = message(svgd.step(&()));
    assert!(
        msg.starts_with("site `x`: the gradient of the log-density at a particle is not finite"),
        "{msg}"
    );
}

#[test]
fn callbacks_see_the_particles_and_can_stop_the_run() {
    let mut svgd = Svgd::new(normal_2d, ImqKernel::new(), Adam::new(0.05))
        .num_particles(20)
        .progress(false);
    let mut seen = 0;
    let mut stop = |info: &smallx::infer::StepInfo<'_>| {
        seen = info
            .params
            .unconstrained_of(smallx::infer::svgd::PARTICLES)
            .unwrap()
            .len();
        if info.step == 4 {
            smallx::infer::Control::Stop("enough".into())
        } else {
            smallx::infer::Control::Continue
        }
    };
    let report = svgd.run_with_callbacks(100, &(), &mut [&mut stop]).unwrap();
    assert_eq!(report.losses.len(), 5);
    assert_eq!(report.stopped, Some((5, "enough".into())));
    assert_eq!(seen, 40);
    assert_eq!(svgd.history().len(), 5);
}

#[model]
fn regression(x: &[f64], y: &[f64]) {
    let a = sample!("a", Normal::new(0.0, 5.0));
    let b = sample!("b", Normal::new(0.0, 5.0));
    let s = sample!("s", HalfNormal::new(2.0));
    for (i, (&xi, &yi)) in x.iter().zip(y).enumerate() {
        observe!(&format!("y{i}"), Normal::new(a + b * xi, s), yi);
    }
}

#[test]
fn reverse_and_forward_gradients_move_the_particles_alike() {
    // The particles' gradients are evaluated in parallel threads; reverse mode records one tape
    // per thread. Both modes give the same particles up to rounding (1e-10 relative).
    let x = [0.0, 1.0, 2.0, 3.0, 4.0];
    let y = [0.9, 3.1, 4.8, 7.2, 9.1];
    let args = (&x[..], &y[..]);
    let run = |mode: GradMode| {
        let mut svgd = Svgd::new(regression, RbfKernel::new(), Adam::new(0.05))
            .num_particles(64)
            .grad_mode(mode)
            .progress(false);
        svgd.run(30, &args).unwrap();
        svgd.particles().to_vec()
    };
    let (fwd, rev) = (run(GradMode::Forward), run(GradMode::Reverse));
    for (a, b) in fwd.iter().zip(&rev) {
        assert!(close(*a, *b, 1e-10), "{a} vs {b}");
    }
}

#[test]
fn samples_export_to_arviz() {
    let mut svgd = Svgd::new(log_normal, RbfKernel::new(), Adam::new(0.05))
        .num_particles(30)
        .progress(false);
    svgd.run(10, &()).unwrap();
    let samples = svgd.samples(&()).unwrap();
    let json = smallx::infer::arviz::InferenceData::new(&samples)
        .to_json()
        .unwrap();
    assert_eq!(
        json["posterior"]["z"].as_array().map(|chains| chains.len()),
        Some(1),
        "{json}"
    );
    // Constrained values: the log-normal's particles are positive.
    assert!(samples.values("z").unwrap().iter().all(|&z| z > 0.0));
}
