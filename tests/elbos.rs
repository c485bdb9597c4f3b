//! `RenyiElbo` (and the IWAE bound) and `TraceGraphElbo`.

use smallx::dist::Distribution;
use smallx::infer::{Adam, GradMode, RenyiElbo, Svi, TraceElbo, TraceGraphElbo};
use smallx::prelude::*;
use smallx::value::ValueKind;
use smallx::{DistError, Scalar};

const DATA: [f64; 3] = [-0.5, 2.0, 1.0];

/// z ~ N(0, 1), xᵢ ~ N(z, 1) for the observations of `DATA`.
#[model]
fn conjugate(_loc: f64, _scale: f64) -> Real {
    let z = sample!("z", Normal::new(0.0, 1.0));
    for (i, x) in DATA.iter().enumerate() {
        sample!(format!("x{i}"), Normal::new(z, 1.0), obs = *x);
    }
    z
}

/// A fixed normal guide N(loc, scale).
#[model]
fn fixed_guide(loc: f64, scale: f64) -> Real {
    sample!("z", Normal::new(loc, scale))
}

/// A learnable normal guide starting at N(loc, scale).
#[model]
fn normal_guide(loc: f64, scale: f64) -> Real {
    let m = param!("loc", loc);
    let s = param!("scale", scale, Constraint::Positive);
    sample!("z", Normal::new(m, s))
}

fn posterior() -> (f64, f64) {
    let n = DATA.len() as f64;
    (
        DATA.iter().sum::<f64>() / (n + 1.0),
        (1.0 / (n + 1.0)).sqrt(),
    )
}

/// log p(x): x ~ N(0, I + 11ᵀ), det = 1 + n, inverse I − 11ᵀ/(1 + n).
fn log_evidence() -> f64 {
    let n = DATA.len() as f64;
    let (sum, sum2) = (
        DATA.iter().sum::<f64>(),
        DATA.iter().map(|x| x * x).sum::<f64>(),
    );
    let quad = sum2 - sum * sum / (n + 1.0);
    -0.5 * n * (2.0 * std::f64::consts::PI).ln() - 0.5 * (n + 1.0).ln() - 0.5 * quad
}

/// The exact ELBO of the guide N(m, s).
fn exact_elbo(m: f64, s: f64) -> f64 {
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let prior = -0.5 * ln2pi - 0.5 * (m * m + s * s);
    let lik: f64 = DATA
        .iter()
        .map(|x| -0.5 * ln2pi - 0.5 * ((x - m) * (x - m) + s * s))
        .sum();
    let entropy = 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E * s * s).ln();
    prior + lik + entropy
}

fn mean_and_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[model]
fn no_latents(_unused: f64) -> Real {
    let m = param!("m", 0.3);
    let s = param!("s", 1.2, Constraint::Positive);
    sample!("x", Normal::new(m, s), obs = 0.8);
    sample!("y", Normal::new(m * 2.0, s), obs = -0.4)
}

#[model]
fn empty_guide(_unused: f64) {}

#[test]
fn renyi_without_latent_sites_is_the_elbo() {
    let mut plain = Svi::new(no_latents, empty_guide, Adam::new(0.1), TraceElbo::new())
        .seed(3)
        .progress(false);
    let (l0, g0) = plain.loss_and_gradient(&(0.0,)).unwrap();
    for alpha in [0.0, 0.5, -1.0, 2.0] {
        let renyi = RenyiElbo::new().alpha(alpha).num_particles(3);
        let mut svi = Svi::new(no_latents, empty_guide, Adam::new(0.1), renyi)
            .seed(3)
            .progress(false);
        let (l, g) = svi.loss_and_gradient(&(0.0,)).unwrap();
        assert!(
            (l - l0).abs() <= 1e-12 * l0.abs(),
            "alpha {alpha}: {l} vs {l0}"
        );
        assert_eq!(g.len(), g0.len());
        for (a, b) in g.iter().zip(&g0) {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "alpha {alpha}: {g:?} vs {g0:?}"
            );
        }
    }
}

#[test]
fn renyi_alpha_one_is_refused() {
    let mut svi = Svi::new(
        conjugate,
        fixed_guide,
        Adam::new(0.1),
        RenyiElbo::new().alpha(1.0),
    )
    .progress(false);
    let err = svi.step(&(0.0, 1.0)).unwrap_err().to_string();
    assert!(err.contains("TraceElbo"), "{err}");
    let mut svi = Svi::new(
        conjugate,
        fixed_guide,
        Adam::new(0.1),
        RenyiElbo::new().alpha(f64::NAN),
    )
    .progress(false);
    assert!(svi.step(&(0.0, 1.0)).is_err());
}

/// The IWAE bound (α = 0) of a guide away from the posterior, averaged over repetitions: with
/// K = 1 it is the ELBO, and it rises towards log p(x) with K. Every comparison allows 5
/// standard errors of the Monte Carlo means. Measured (ELBO −6.324, log p(x) −5.294):
/// K = 1: −6.315 ± 0.025, K = 10: −5.336 ± 0.003, K = 100: −5.297 ± 0.002.
#[test]
fn iwae_bound_lies_between_the_elbo_and_the_evidence() {
    let (pm, ps) = posterior();
    let (m, s) = (pm + 0.6, ps * 1.6);
    let elbo = exact_elbo(m, s);
    let evidence = log_evidence();
    let mut means = Vec::new();
    for (k, reps) in [(1, 8000), (10, 8000), (100, 2000)] {
        let mut svi = Svi::new(
            conjugate,
            fixed_guide,
            Adam::new(0.1),
            RenyiElbo::new().alpha(0.0).num_particles(k),
        )
        .seed(11 + k as u64)
        .progress(false);
        let bounds: Vec<f64> = (0..reps)
            .map(|_| -svi.loss_and_gradient(&(m, s)).unwrap().0)
            .collect();
        let (mean, se) = mean_and_se(&bounds);
        assert!(
            mean > elbo - 5.0 * se,
            "K = {k}: {mean} ± {se} below the ELBO {elbo}"
        );
        assert!(
            mean < evidence + 5.0 * se,
            "K = {k}: {mean} ± {se} above log p(x) {evidence}"
        );
        eprintln!("K = {k}: {mean} ± {se} (ELBO {elbo}, log p(x) {evidence})");
        means.push((k, mean, se));
    }
    // K = 1 is the ELBO itself.
    let (_, m1, se1) = means[0];
    assert!(
        (m1 - elbo).abs() < 5.0 * se1,
        "K = 1: {m1} ± {se1}, ELBO {elbo}"
    );
    // The bound rises with K, and approaches log p(x).
    for w in means.windows(2) {
        let ((k0, a, sa), (k1, b, sb)) = (w[0], w[1]);
        assert!(
            b - a > 5.0 * (sa * sa + sb * sb).sqrt(),
            "K = {k1} ({b} ± {sb}) not above K = {k0} ({a} ± {sa})"
        );
    }
    let (_, m100, se100) = means[2];
    assert!(
        evidence - m100 < 0.1 * (evidence - elbo) + 5.0 * se100,
        "K = 100: {m100} ± {se100}, log p(x) {evidence}, ELBO {elbo}"
    );
}

/// SVI with the Rényi bound from a guide 5 posterior sds away reaches the exact posterior,
/// which maximises the bound for every α. Parameters are averaged over the last 1000 steps of a
/// decaying learning rate. α = 0.5: 3000 steps, tolerance 0.05 on mean and sd (worst error over
/// seeds 0..10: 0.015). α = 0 (IWAE): the bound is much flatter in the guide's parameters (its
/// gradient's signal-to-noise ratio falls with K, Rainforth et al. 2018), so 7000 steps with a
/// slower decay and tolerance 0.1 (worst error over seeds 0..6: 0.07).
#[test]
fn svi_with_renyi_reaches_the_posterior() {
    let (pm, ps) = posterior();
    for (alpha, decay, steps, tol) in [(0.5, 0.9985, 2000, 0.05), (0.0, 0.9995, 6000, 0.1)] {
        let mut svi = Svi::new(
            conjugate,
            normal_guide,
            Adam::new(0.05).lr_decay(decay),
            RenyiElbo::new().alpha(alpha).num_particles(10),
        )
        .seed(5)
        .progress(false);
        let args = (pm + 5.0 * ps, 1.0);
        svi.run(steps, &args).unwrap();
        let (mut m, mut s) = (0.0, 0.0);
        for _ in 0..1000 {
            svi.step(&args).unwrap();
            m += svi.params().real("loc").unwrap() / 1000.0;
            s += svi.params().real("scale").unwrap() / 1000.0;
        }
        assert!((m - pm).abs() < tol, "alpha {alpha}: mean {m}, exact {pm}");
        assert!((s - ps).abs() < tol, "alpha {alpha}: sd {s}, exact {ps}");
    }
}

/// For a fixed seed the draws are fixed and the Rényi bound is a smooth function of the
/// guide's parameters: its gradient is the central difference of the loss (1e-6 relative).
#[test]
fn renyi_gradient_matches_finite_differences() {
    for alpha in [0.0, 0.5, 2.0] {
        let elbo = RenyiElbo::new().alpha(alpha).num_particles(6);
        let args = (1.5, 0.7);
        let mut svi = Svi::new(conjugate, normal_guide, Adam::new(0.1), elbo)
            .seed(13)
            .progress(false);
        let (_, grad) = svi.loss_and_gradient(&args).unwrap();
        let store = svi.into_params();
        let h = 1e-5;
        for (j, g) in grad.iter().enumerate() {
            let loss_at = |delta: f64| {
                let mut moved = store.clone();
                moved.unconstrained_mut()[j] += delta;
                let mut svi = Svi::new(conjugate, normal_guide, Adam::new(0.1), elbo)
                    .with_params(moved)
                    .seed(13)
                    .progress(false);
                svi.loss_and_gradient(&args).unwrap().0
            };
            let fd = (loss_at(h) - loss_at(-h)) / (2.0 * h);
            assert!(
                (fd - g).abs() <= 1e-6 * g.abs().max(1.0),
                "alpha {alpha}, coordinate {j}: {g} vs {fd}"
            );
        }
    }
}

/// A normal whose draws are not reparameterised: the draw carries no derivatives, so its
/// parameters are learnt through the score function only.
#[derive(Clone, Copy, Debug)]
struct ScoreNormal<S: Scalar>(Normal<S>);

impl<S: Scalar> Distribution<S> for ScoreNormal<S> {
    type Value = Real<S>;
    fn name(&self) -> &'static str {
        "ScoreNormal"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        Real::new(self.0.sample(rng).value())
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        self.0.log_prob(x)
    }
    fn support(&self) -> Constraint {
        Constraint::Real
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Real
    }
    fn mean(&self) -> Option<smallx::value::Value<S>> {
        self.0.mean()
    }
    fn variance(&self) -> Option<smallx::value::Value<S>> {
        self.0.variance()
    }
}

#[model]
fn two_points() -> Real {
    let z = sample!("z", Normal::new(0.0, 1.0));
    sample!("x0", Normal::new(z, 1.0), obs = -0.5);
    sample!("x1", Normal::new(z, 1.0), obs = 2.0);
    z
}

#[model]
fn score_guide() -> Real {
    let loc = param!("loc", 0.3);
    let scale = param!("scale", 0.8);
    sample!(
        "z",
        Ok::<_, DistError>(ScoreNormal(Normal::new(loc, scale)?))
    )
}

/// Pyro's test of `TraceGraph_ELBO` with a non-reparameterised normal guide: the gradient of
/// 50,000 particles against the analytic gradient of the ELBO,
/// ∂/∂m = Σx − 3m and ∂/∂s = −3s + 1/s, within 0.06 (Pyro's tolerance).
#[test]
fn tracegraph_gradient_of_a_non_reparameterised_guide() {
    let (m, s) = (0.3, 0.8);
    let exact = [-(-0.5 + 2.0 - 3.0 * m), -(-3.0 * s + 1.0 / s)];
    let mut svi = Svi::new(
        two_points,
        score_guide,
        Adam::new(0.1),
        TraceGraphElbo::new().num_particles(50_000),
    )
    .seed(0)
    .progress(false);
    let (loss, grad) = svi.loss_and_gradient(&()).unwrap();
    assert!(loss.is_finite());
    eprintln!("TraceGraphElbo gradient {grad:?}, exact {exact:?}");
    let loc = svi.params().get("loc").unwrap().offset();
    let scale = svi.params().get("scale").unwrap().offset();
    assert!(
        (grad[loc] - exact[0]).abs() < 0.06,
        "loc: {} vs {}",
        grad[loc],
        exact[0]
    );
    assert!(
        (grad[scale] - exact[1]).abs() < 0.06,
        "scale: {} vs {}",
        grad[scale],
        exact[1]
    );
}

/// Two Bernoulli latents, each with its own observation, in separate entries of the plate
/// `items` (a plate entered once per item: the items are conditionally independent).
#[model]
fn two_coins() {
    for (i, x) in [0.3, 1.7].iter().enumerate() {
        plate!("items", 2, |_| {
            let z = sample!(format!("z{i}"), Bernoulli::new(0.5));
            let mean = if z { 1.0 } else { -1.0 };
            sample!(format!("x{i}"), Normal::new(mean, 1.0), obs = *x);
        });
    }
}

#[model]
fn coin_guide() {
    for i in 0..2 {
        let p = param!(format!("p{i}"), 0.5, Constraint::Interval(0.0, 1.0));
        plate!("items", 2, |_| {
            sample!(format!("z{i}"), Bernoulli::new(p));
        });
    }
}

fn gradient_variance<E: smallx::infer::Elbo>(elbo: E) -> f64 {
    let mut svi = Svi::new(two_coins, coin_guide, Adam::new(0.1), elbo)
        .seed(21)
        .progress(false);
    let grads: Vec<Vec<f64>> = (0..4000)
        .map(|_| svi.loss_and_gradient(&()).unwrap().1)
        .collect();
    (0..grads[0].len())
        .map(|j| {
            let col: Vec<f64> = grads.iter().map(|g| g[j]).collect();
            let (_, se) = mean_and_se(&col);
            se * se * col.len() as f64
        })
        .sum()
}

/// The summed variance of the gradient's coordinates over 4000 single-particle estimates,
/// without baselines (`loss_and_gradient` does not step, so neither ELBO's baseline moves):
/// TraceElbo's score terms carry both items' costs, TraceGraphElbo's only their own item's.
/// Measured (seed 21): TraceElbo 14.80, TraceGraphElbo 2.59.
#[test]
fn tracegraph_lowers_the_variance_of_independent_discrete_sites() {
    let plain = gradient_variance(TraceElbo::new());
    let graph = gradient_variance(TraceGraphElbo::new().decaying_baseline(false));
    eprintln!("gradient variance: TraceElbo {plain}, TraceGraphElbo {graph}");
    assert!(
        graph < 0.8 * plain,
        "TraceGraphElbo {graph}, TraceElbo {plain}"
    );
}

/// The value of `TraceGraphElbo` is the ELBO: the same draws give `TraceElbo`'s loss.
#[test]
fn tracegraph_value_is_the_elbo() {
    let mut plain = Svi::new(
        two_coins,
        coin_guide,
        Adam::new(0.1),
        TraceElbo::new().num_particles(7),
    )
    .seed(4)
    .progress(false);
    let mut graph = Svi::new(
        two_coins,
        coin_guide,
        Adam::new(0.1),
        TraceGraphElbo::new().num_particles(7),
    )
    .seed(4)
    .progress(false);
    for _ in 0..5 {
        let (a, b) = (plain.step(&()).unwrap(), graph.step(&()).unwrap());
        if plain.steps_taken() == 1 {
            assert!((a - b).abs() <= 1e-12 * a.abs(), "{a} vs {b}");
        }
    }
}

/// Reverse mode agrees with forward mode (1e-10 relative) on the surrogates of both ELBOs.
#[test]
fn reverse_mode_matches_forward_mode() {
    fn both<M, G, E>(model: M, guide: G, elbo: E, args: &M::Args<'_>)
    where
        M: Model + Clone,
        G: for<'a> Model<Args<'a> = M::Args<'a>> + Clone,
        E: smallx::infer::Elbo + Clone,
    {
        let run = |mode| {
            let mut svi = Svi::new(model.clone(), guide.clone(), Adam::new(0.1), elbo.clone())
                .seed(9)
                .grad_mode(mode)
                .progress(false);
            svi.loss_and_gradient(args).unwrap()
        };
        let (lf, gf) = run(GradMode::Forward);
        let (lr, gr) = run(GradMode::Reverse);
        assert!((lf - lr).abs() <= 1e-10 * lf.abs().max(1.0), "{lf} vs {lr}");
        for (a, b) in gf.iter().zip(&gr) {
            assert!(
                (a - b).abs() <= 1e-10 * a.abs().max(1.0),
                "{gf:?} vs {gr:?}"
            );
        }
    }
    let args = (2.0, 0.7);
    both(
        conjugate,
        normal_guide,
        RenyiElbo::new().alpha(0.5).num_particles(5),
        &args,
    );
    both(
        conjugate,
        normal_guide,
        RenyiElbo::new().alpha(0.0).num_particles(5),
        &args,
    );
    both(
        two_points,
        score_guide,
        RenyiElbo::new().alpha(0.3).num_particles(5),
        &(),
    );
    both(
        two_points,
        score_guide,
        TraceGraphElbo::new().num_particles(20),
        &(),
    );
    both(
        two_coins,
        coin_guide,
        TraceGraphElbo::new().num_particles(20),
        &(),
    );
}

#[test]
fn tracegraph_options_are_checked() {
    for elbo in [
        TraceGraphElbo::new().baseline_beta(1.0),
        TraceGraphElbo::new().baseline_beta(-0.1),
        TraceGraphElbo::new().baseline_value("z0", f64::INFINITY),
    ] {
        let mut svi = Svi::new(two_coins, coin_guide, Adam::new(0.1), elbo).progress(false);
        let err = svi.step(&()).unwrap_err().to_string();
        assert!(err.contains("TraceGraphElbo"), "{err}");
    }
}

/// SVI with `TraceGraphElbo` (decaying baselines) learns the exact posterior of each coin:
/// P(zᵢ | xᵢ) = 1 / (1 + exp(−2xᵢ)). Tolerance 0.03, the average of the last 500 iterates.
#[test]
fn svi_with_tracegraph_reaches_the_coins_posterior() {
    let mut svi = Svi::new(
        two_coins,
        coin_guide,
        Adam::new(0.05).lr_decay(0.999),
        TraceGraphElbo::new().num_particles(4),
    )
    .seed(8)
    .progress(false);
    svi.run(1500, &()).unwrap();
    let mut p = [0.0; 2];
    for _ in 0..500 {
        svi.step(&()).unwrap();
        for (i, pi) in p.iter_mut().enumerate() {
            *pi += svi.params().real(&format!("p{i}")).unwrap() / 500.0;
        }
    }
    for (i, x) in [0.3f64, 1.7].iter().enumerate() {
        let exact = 1.0 / (1.0 + (-2.0 * x).exp());
        assert!(
            (p[i] - exact).abs() < 0.03,
            "p{i} = {}, exact {exact}",
            p[i]
        );
    }
}
