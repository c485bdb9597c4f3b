//! Implicit reparameterisation gradients (Figurnov, Mohamed & Mnih 2018) of `Gamma`, `Beta`
//! and `Dirichlet` draws, and SVI with a beta guide.
//!
//! Tolerances:
//! - `standard_gamma_grad_f64` against a 60-digit reference (the derivative of the regularised
//!   incomplete gamma function computed in multiple precision): 1e-12 relative.
//! - A draw's derivative against `−(∂F/∂θ)/p` with `∂F/∂θ` a central difference of statrs's
//!   gamma cdf (step `h = 1e-5·θ`): truncation `O(h²)` ≈ 1e-10 and round-off ≈ ε/h ≈ 1e-10
//!   relative to the cdf, so 1e-6 relative. In the upper tail the survival function is
//!   differenced instead of the cdf, so that `1 − F` does not cancel.
//! - Monte Carlo means of pathwise derivatives over 100k draws: within 5 standard errors (the
//!   sample standard deviation of the derivatives over √n), fixed seeds.
//! - Reverse mode against forward mode: the same partials in a different order, 1e-10 relative.

use smallx::dist::Distribution;
use smallx::infer::{Adam, AutoNormal, Svi, TraceElbo};
use smallx::prelude::*;
use smallx::scalar::{Recording, Rev, standard_gamma_grad_f64, trigamma_f64};
use smallx::{Dual64, DualSVec64, Scalar, Value, ValueKind};
use statrs::distribution::{ContinuousCDF, Gamma as StatrsGamma};

/// `(α, x, ∂x/∂α)` from a 60-digit computation of `−(∂P(α, x)/∂α) / p(x; α)`.
const REFERENCE: [(f64, f64, f64); 11] = [
    (0.001, 0.001, 6.339_511_118_616_954),
    (0.001, 30.0, 972.605_261_537_946_4),
    (0.05, 1.05, 12.992_738_625_354_079),
    (0.05, 1.06, 13.034_546_924_887_025),
    (2.5, 0.5, 0.426_842_498_185_250_07),
    (2.5, 4.0, 1.339_608_195_365_844_3),
    (500.0, 480.0, 0.980_054_490_196_161_9),
    (500.0, 540.0, 1.039_320_383_464_876_8),
    (10000.0, 9700.0, 0.984_864_122_454_737_5),
    (10000.0, 10001.0, 1.000_066_666_000_057),
    (10000.0, 10300.0, 1.014_869_124_175_548_5),
];

#[test]
fn the_standard_gamma_derivative_matches_a_multiple_precision_reference() {
    for (a, x, expected) in REFERENCE {
        let got = standard_gamma_grad_f64(a, x);
        assert!(
            ((got - expected) / expected).abs() < 1e-12,
            "α = {a}, x = {x}: {got} vs {expected}"
        );
    }
    assert_eq!(standard_gamma_grad_f64(0.5, 0.0), 0.0);
    assert!(standard_gamma_grad_f64(-1.0, 1.0).is_nan());
    assert!(standard_gamma_grad_f64(1.0, f64::NAN).is_nan());
}

/// `−(∂F/∂θ)/p` at `x` for `Gamma(shape, rate)`, with `∂F/∂θ` a central difference of statrs's
/// cdf (or of its survival function above the mean) in `θ = shape` (`which = 0`) or
/// `θ = rate` (`which = 1`).
fn implicit_derivative(shape: f64, rate: f64, x: f64, which: usize) -> f64 {
    use statrs::distribution::Continuous;
    let upper = x > shape / rate;
    let cdf = |s: f64, r: f64| {
        let d = StatrsGamma::new(s, r).unwrap();
        if upper { -d.sf(x) } else { d.cdf(x) }
    };
    let theta = [shape, rate][which];
    let h = 1e-5 * theta;
    let df = if which == 0 {
        (cdf(shape + h, rate) - cdf(shape - h, rate)) / (2.0 * h)
    } else {
        (cdf(shape, rate + h) - cdf(shape, rate - h)) / (2.0 * h)
    };
    -df / StatrsGamma::new(shape, rate).unwrap().pdf(x)
}

#[test]
fn a_gamma_draw_carries_the_implicit_derivative_of_its_cdf() {
    let mut rng = SmallRng::seed_from_u64(11);
    let mut checked = 0;
    for (shape, rate) in [
        (0.05, 1.0),
        (0.05, 3.0),
        (0.7, 2.0),
        (3.0, 0.5),
        (500.0, 2.0),
    ] {
        let d = Gamma::new(
            Real::<DualSVec64<2>>::variable(shape, 0),
            Real::variable(rate, 1),
        )
        .unwrap();
        assert!(d.has_rsample());
        for _ in 0..5 {
            let x = d.sample(&mut rng);
            let xv = x.value();
            // Draws so deep in the lower tail that the density underflows say nothing here.
            if xv <= 1e-200 {
                continue;
            }
            for which in 0..2 {
                let expected = implicit_derivative(shape, rate, xv, which);
                let got = x.derivative(which);
                assert!(
                    ((got - expected) / expected).abs() < 1e-6,
                    "Gamma({shape}, {rate}) at x = {xv}, parameter {which}: {got} vs {expected}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "only {checked} derivatives checked");
}

/// Mean and standard error of `f` over `n` draws.
fn mean_and_se(n: usize, mut f: impl FnMut() -> f64) -> (f64, f64) {
    let xs: Vec<f64> = (0..n).map(|_| f()).collect();
    let m = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    (m, (var / n as f64).sqrt())
}

fn assert_within_5_se(what: &str, (m, se): (f64, f64), expected: f64) {
    assert!(
        (m - expected).abs() <= 5.0 * se,
        "{what}: {m} vs {expected} (se {se})"
    );
}

const N: usize = 100_000;

#[test]
fn pathwise_derivatives_of_a_gamma_draw_average_to_the_derivative_of_the_mean() {
    // E[x] = α/β: ∂/∂α = 1/β, ∂/∂β = −α/β².
    for (seed, (a, b)) in [(1, (2.5, 1.5)), (2, (0.3, 2.0)), (3, (40.0, 0.5))] {
        let d = Gamma::new(Real::<DualSVec64<2>>::variable(a, 0), Real::variable(b, 1)).unwrap();
        let mut rng = SmallRng::seed_from_u64(seed);
        let draws: Vec<_> = (0..N).map(|_| d.sample(&mut rng)).collect();
        let mut it = draws.iter();
        let da = mean_and_se(N, || it.next().unwrap().derivative(0));
        assert_within_5_se(&format!("Gamma({a}, {b}) d/dα E[x]"), da, 1.0 / b);
        let mut it = draws.iter();
        let db = mean_and_se(N, || it.next().unwrap().derivative(1));
        assert_within_5_se(&format!("Gamma({a}, {b}) d/dβ E[x]"), db, -a / (b * b));
    }
}

#[test]
fn pathwise_derivatives_of_a_beta_draw_average_to_the_derivative_of_the_mean() {
    // E[x] = α/(α+β): ∂/∂α = β/(α+β)², ∂/∂β = −α/(α+β)².
    for (seed, (a, b)) in [(4, (2.0, 3.0)), (5, (0.4, 0.7)), (6, (16.0, 14.0))] {
        let d = Beta::new(Real::<DualSVec64<2>>::variable(a, 0), Real::variable(b, 1)).unwrap();
        assert!(d.has_rsample());
        let mut rng = SmallRng::seed_from_u64(seed);
        let draws: Vec<_> = (0..N).map(|_| d.sample(&mut rng)).collect();
        let s2 = (a + b) * (a + b);
        let mut it = draws.iter();
        let da = mean_and_se(N, || it.next().unwrap().derivative(0));
        assert_within_5_se(&format!("Beta({a}, {b}) d/dα E[x]"), da, b / s2);
        let mut it = draws.iter();
        let db = mean_and_se(N, || it.next().unwrap().derivative(1));
        assert_within_5_se(&format!("Beta({a}, {b}) d/dβ E[x]"), db, -a / s2);
    }
}

#[test]
fn pathwise_derivatives_of_a_dirichlet_draw_average_to_the_derivative_of_the_mean() {
    // E[xᵢ] = αᵢ/T with T = Σα: ∂E[x₀]/∂α₀ = (T − α₀)/T², ∂E[x₀]/∂αⱼ = −α₀/T² (j ≠ 0).
    let alpha = [2.0, 3.0, 0.5];
    let t: f64 = alpha.iter().sum();
    let conc = DVector::from_iterator(
        3,
        alpha
            .iter()
            .enumerate()
            .map(|(j, &a)| Real::<DualSVec64<3>>::variable(a, j)),
    );
    let d = Dirichlet::new(conc).unwrap();
    assert!(d.has_rsample());
    let mut rng = SmallRng::seed_from_u64(7);
    let draws: Vec<_> = (0..N).map(|_| d.sample(&mut rng)).collect();
    for (i, &ai) in alpha.iter().enumerate() {
        for j in 0..3 {
            let expected = if i == j {
                (t - ai) / (t * t)
            } else {
                -ai / (t * t)
            };
            let mut it = draws.iter();
            let got = mean_and_se(N, || it.next().unwrap()[i].derivative(j));
            assert_within_5_se(&format!("Dirichlet dE[x{i}]/dα{j}"), got, expected);
        }
    }
    // The components sum to one, so their derivatives sum to zero draw by draw.
    for x in draws.iter().take(100) {
        for j in 0..3 {
            let s: f64 = x.iter().map(|xi| xi.derivative(j)).sum();
            assert!(s.abs() < 1e-12, "Σᵢ ∂xᵢ/∂α{j} = {s}");
        }
    }
}

/// Draws of every reparameterised family as functions of three variables.
fn draws<S: Scalar>(v: [Real<S>; 3], seed: u64) -> Vec<Real<S>> {
    let [a, b, c] = v;
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out = vec![
        Gamma::new(a, b).unwrap().sample(&mut rng),
        Gamma::new(a * 100.0, c).unwrap().sample(&mut rng),
        Gamma::new(a * 0.05, b).unwrap().sample(&mut rng),
        Beta::new(a, b * c).unwrap().sample(&mut rng),
    ];
    let conc = DVector::from_vec(vec![a, b, c + a]);
    out.extend(
        Dirichlet::new(conc)
            .unwrap()
            .sample(&mut rng)
            .iter()
            .copied(),
    );
    out
}

#[test]
fn reverse_mode_draw_derivatives_equal_forward_mode() {
    for (seed, x) in [
        (1, [1.3, 0.8, 2.1]),
        (2, [0.4, 2.5, 0.9]),
        (3, [3.0, 1.1, 0.3]),
    ] {
        let fwd = draws::<DualSVec64<3>>(std::array::from_fn(|i| Real::variable(x[i], i)), seed);
        let plain = draws::<f64>(x.map(Real), seed);
        for k in 0..fwd.len() {
            let recording = Recording::start();
            let rev = draws::<Rev>(std::array::from_fn(|i| Real::variable(x[i], i)), seed);
            let mut grad = [0.0; 3];
            recording.gradient(rev[k].0, &mut grad);
            drop(recording);
            assert_eq!(rev[k].value(), plain[k].value());
            assert_eq!(fwd[k].value(), plain[k].value());
            for (i, g) in grad.iter().enumerate() {
                let f = fwd[k].derivative(i);
                assert!(
                    (g - f).abs() <= 1e-10 * f.abs().max(1e-300),
                    "draw {k}, seed {seed}, d/dv{i}: reverse {g} vs forward {f}"
                );
            }
        }
    }
    // A one-direction dual agrees with the wide one.
    let one = Gamma::new(Real::<Dual64>::variable(2.0, 0), 1.5)
        .unwrap()
        .sample(&mut SmallRng::seed_from_u64(9));
    let wide = Gamma::new(Real::<DualSVec64<2>>::variable(2.0, 0), 1.5)
        .unwrap()
        .sample(&mut SmallRng::seed_from_u64(9));
    assert_eq!(one.derivative(0), wide.derivative(0));
}

// Pyro's SVI tutorial: is a coin fair? A Beta(10, 10) prior on the fairness, 6 heads and 4
// tails, so the posterior is Beta(16, 14) with mean 16/30. Both guides below run Adam at
// lr 0.01 decaying by 0.999 a step, for 4000 steps, one particle: an AutoNormal guide
// (seed 21) and the beta guide of the tutorial, initialised at Beta(15, 15) (seed 23). Over
// seeds 20..26 the beta guide's mean ended within 0.004 of 16/30. From that initial point the
// score-function estimator (the old behaviour, `DetachedBeta` below) also gets there, because
// Adam's steps are normalised; what the pathwise gradient changes is its noise, measured in
// the last test: an eighth of the score function's standard deviation, the same mean.

#[model]
fn coin(flips: &[bool]) {
    let f = sample!("latent_fairness", Beta::new(10.0, 10.0));
    observe!("obs", Bernoulli::new(f).iid(flips.len()), flips);
}

#[model]
fn coin_guide(_flips: &[bool]) {
    let a = param!("alpha_q", 15.0, Constraint::Positive);
    let b = param!("beta_q", 15.0, Constraint::Positive);
    sample!("latent_fairness", Beta::new(a, b));
}

fn flips() -> Vec<bool> {
    (0..10).map(|i| i < 6).collect()
}

const POSTERIOR_MEAN: f64 = 16.0 / 30.0;
const LR: f64 = 0.01;
const STEPS: usize = 4000;
const DECAY: f64 = 0.999;

#[test]
fn an_auto_normal_guide_fits_the_coin_at_the_learning_rate_used_below() {
    // The reference for the learning rate: a normal guide on the logit of the fairness.
    let guide = AutoNormal::new(coin);
    let mut svi = Svi::new(coin, guide, Adam::new(LR).lr_decay(DECAY), TraceElbo::new())
        .seed(21)
        .progress(false);
    let flips = flips();
    svi.run(STEPS, &(&flips[..],)).unwrap();
    // The guide is sigmoid(N(loc, scale²)): read loc and scale off its median and 84% quantile,
    // then integrate the mean of the logit-normal numerically (midpoint rule over ±12 sd).
    let logit = |p: f64| (p / (1.0 - p)).ln();
    let at = |q: Option<f64>| {
        let values = match q {
            None => svi.guide().median(svi.params()),
            Some(q) => svi.guide().quantile(svi.params(), q),
        };
        values
            .unwrap()
            .get("latent_fairness")
            .unwrap()
            .as_f64()
            .unwrap()
    };
    let loc = logit(at(None));
    let scale = logit(at(Some(0.841_344_746_068_542_9))) - loc;
    let k = 20_000;
    let dz = 24.0 / k as f64;
    let m: f64 = (0..k)
        .map(|i| {
            let z = -12.0 + (i as f64 + 0.5) * dz;
            let phi = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            phi * dz / (1.0 + (-(loc + scale * z)).exp())
        })
        .sum();
    assert!((m - POSTERIOR_MEAN).abs() < 0.01, "mean {m}");
}

#[test]
fn a_beta_guide_fits_the_coin_posterior_with_pathwise_gradients() {
    let mut svi = Svi::new(
        coin,
        coin_guide,
        Adam::new(LR).lr_decay(DECAY),
        TraceElbo::new(),
    )
    .seed(23)
    .progress(false);
    let flips = flips();
    svi.run(STEPS, &(&flips[..],)).unwrap();
    let a = svi.params().real("alpha_q").unwrap();
    let b = svi.params().real("beta_q").unwrap();
    let m = a / (a + b);
    assert!(
        (m - POSTERIOR_MEAN).abs() < 0.01,
        "alpha_q = {a}, beta_q = {b}, mean {m}"
    );
}

/// The old behaviour, for comparison: a beta whose draws carry no derivatives, so that SVI
/// falls back to the score function.
#[derive(Clone)]
struct DetachedBeta<S: Scalar>(Beta<S>);

impl<S: Scalar> Distribution<S> for DetachedBeta<S> {
    type Value = Real<S>;
    fn name(&self) -> &'static str {
        "DetachedBeta"
    }
    fn sample(&self, rng: &mut dyn Rng) -> Real<S> {
        self.0.sample(rng).detach()
    }
    fn log_prob(&self, x: &Real<S>) -> Real<S> {
        self.0.log_prob(x)
    }
    fn support(&self) -> Constraint {
        self.0.support()
    }
    fn value_kind(&self) -> ValueKind {
        ValueKind::Real
    }
    fn mean(&self) -> Option<Value<S>> {
        self.0.mean()
    }
    fn variance(&self) -> Option<Value<S>> {
        self.0.variance()
    }
}

#[model]
fn coin_guide_score_function(_flips: &[bool]) {
    let a = param!("alpha_q", 15.0, Constraint::Positive);
    let b = param!("beta_q", 15.0, Constraint::Positive);
    sample!("latent_fairness", Beta::new(a, b).map(DetachedBeta));
}

#[test]
fn the_coin_elbo_gradient_is_pathwise_unbiased_and_far_less_noisy_than_the_score_function() {
    // The loss is KL(Beta(a, b) ‖ Beta(16, 14)) minus the log evidence; with u = ln a,
    // ∂KL/∂u = a((a − 16)ψ₁(a) + (30 − a − b)ψ₁(a + b)) and likewise for b.
    let (a, b) = (15.0, 15.0);
    let exact = [
        a * ((a - 16.0) * trigamma_f64(a) + (30.0 - a - b) * trigamma_f64(a + b)),
        b * ((b - 14.0) * trigamma_f64(b) + (30.0 - a - b) * trigamma_f64(a + b)),
    ];
    let flips = flips();
    let args = (&flips[..],);
    let n = 2000;
    let mut pathwise = Vec::new();
    let mut score = Vec::new();
    for seed in 0..n {
        let mut svi = Svi::new(coin, coin_guide, Adam::new(LR), TraceElbo::new())
            .seed(seed)
            .progress(false);
        pathwise.push(svi.loss_and_gradient(&args).unwrap().1);
        let mut svi = Svi::new(
            coin,
            coin_guide_score_function,
            Adam::new(LR),
            TraceElbo::new(),
        )
        .seed(seed)
        .progress(false);
        score.push(svi.loss_and_gradient(&args).unwrap().1);
    }
    for (k, &exact) in exact.iter().enumerate() {
        let mut it = pathwise.iter();
        let (pm, pse) = mean_and_se(n as usize, || it.next().unwrap()[k]);
        let mut it = score.iter();
        let (sm, sse) = mean_and_se(n as usize, || it.next().unwrap()[k]);
        assert_within_5_se(&format!("pathwise gradient {k}"), (pm, pse), exact);
        assert_within_5_se(&format!("score-function gradient {k}"), (sm, sse), exact);
        // Measured: standard deviations 2.9 against 23.6 (coordinate 0), 2.7 against 22.3.
        assert!(
            pse * 4.0 < sse,
            "coordinate {k}: pathwise sd {} vs score-function sd {}",
            pse * (n as f64).sqrt(),
            sse * (n as f64).sqrt()
        );
    }
}
