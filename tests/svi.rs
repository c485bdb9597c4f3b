//! SVI reaches the exact posterior of conjugate models.
//!
//! Tolerances: the issue asks for 0.02 on the posterior mean and sd. SVI's answer is
//! deterministic for a fixed seed; the learning rate decays so that the iterates settle
//! within that tolerance of the optimum, which for these guides is the exact posterior.
//! With these settings the worst error over seeds 0..20 was 0.013 (hand-written guide and
//! AutoNormal with TraceElbo) and 0.008 (AutoNormal with TraceMeanFieldElbo).

use smallx::infer::{Adam, AutoNormal, Svi, TraceElbo, TraceMeanFieldElbo};
use smallx::prelude::*;

#[model]
fn scale(guess: f64) -> Real {
    let weight = sample!("weight", Normal::new(guess, 1.0));
    sample!("measurement", Normal::new(weight, 0.75))
}

/// The parametrised guide of Pyro's inference tutorial, with softplus keeping the scale positive.
#[model]
fn scale_guide(guess: f64) -> Real {
    let a = param!("a", guess);
    let b = param!("b", 1.0);
    sample!("weight", Normal::new(a, b.softplus()))
}

const POST_MEAN: f64 = 9.14;
const POST_SD: f64 = 0.6;

fn conditioned() -> smallx::handler::Condition<scale> {
    condition(scale, data! { "measurement" => 9.5 })
}

fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}

#[test]
fn a_hand_written_guide_reaches_the_normal_normal_posterior() {
    let mut svi = Svi::new(
        conditioned(),
        scale_guide,
        Adam::new(0.05).lr_decay(0.9985),
        TraceElbo::new().num_particles(4),
    )
    .seed(1)
    .progress(false);
    svi.run(4000, &(8.5,)).unwrap();
    let a = svi.params().real("a").unwrap();
    let sd = softplus(svi.params().real("b").unwrap());
    assert!((a - POST_MEAN).abs() < 0.02, "a = {a}");
    assert!((sd - POST_SD).abs() < 0.02, "sd = {sd}");
}

#[test]
fn auto_normal_reaches_the_normal_normal_posterior() {
    let model = conditioned();
    let guide = AutoNormal::new(model.clone());
    let mut svi = Svi::new(
        model,
        guide,
        Adam::new(0.05).lr_decay(0.9985),
        TraceMeanFieldElbo::new().num_particles(4),
    )
    .seed(2)
    .progress(false);
    svi.run(4000, &(8.5,)).unwrap();
    let median = svi.guide().median(svi.params()).unwrap();
    let q84 = svi.guide().quantile(svi.params(), 0.841_344_746).unwrap();
    let mean = median.get("weight").unwrap().as_f64().unwrap();
    let sd = q84.get("weight").unwrap().as_f64().unwrap() - mean;
    assert!((mean - POST_MEAN).abs() < 0.02, "mean = {mean}");
    assert!((sd - POST_SD).abs() < 0.02, "sd = {sd}");
}

/// A two-component mixture with a Bernoulli membership: the guide's discrete site is trained
/// by the score-function estimator.
#[model]
fn membership(x: f64) {
    let z = sample!("z", Bernoulli::new(0.4));
    let loc = if z { 2.0 } else { -1.0 };
    observe!("x", Normal::new(loc, 1.5), x);
}

#[model]
fn membership_guide(x: f64) {
    let logit = param!("logit", 0.0 * x);
    sample!("z", Bernoulli::logits(logit));
}

#[test]
fn a_discrete_guide_site_reaches_the_exact_posterior_probability() {
    let x = 0.8;
    let lik = |m: f64| (-0.5 * ((x - m) / 1.5f64).powi(2)).exp();
    let exact = 0.4 * lik(2.0) / (0.4 * lik(2.0) + 0.6 * lik(-1.0));
    let mut svi = Svi::new(
        membership,
        membership_guide,
        Adam::new(0.05).lr_decay(0.999),
        TraceElbo::new().num_particles(8),
    )
    .seed(3)
    .progress(false);
    svi.run(3000, &(x,)).unwrap();
    let p = 1.0 / (1.0 + (-svi.params().real("logit").unwrap()).exp());
    assert!(
        (p - exact).abs() < 0.02,
        "q(z = true) = {p}, exact posterior {exact}"
    );
}

#[model]
fn positive_scale_guide(guess: f64) -> Real {
    let a = param!("a", guess);
    let b = param!("b", 1.0, Constraint::Positive);
    sample!("weight", Normal::new(a, b))
}

/// Mean and standard error of `k` independent gradient estimates, coordinate by coordinate.
fn gradient_estimates(a: f64, b: f64, k: usize) -> Vec<(f64, f64)> {
    let mut store = ParamStore::new();
    store.insert("a", Value::from(a), Constraint::Real).unwrap();
    store
        .insert("b", Value::from(b), Constraint::Positive)
        .unwrap();
    let mut svi = Svi::new(
        conditioned(),
        positive_scale_guide,
        Adam::new(0.01),
        TraceElbo::new().num_particles(2000),
    )
    .with_params(store)
    .seed(4)
    .progress(false);
    let grads: Vec<Vec<f64>> = (0..k)
        .map(|_| svi.loss_and_gradient(&(8.5,)).unwrap().1)
        .collect();
    (0..2)
        .map(|i| {
            let mean = grads.iter().map(|g| g[i]).sum::<f64>() / k as f64;
            let var = grads.iter().map(|g| (g[i] - mean).powi(2)).sum::<f64>() / (k - 1) as f64;
            (mean, (var / k as f64).sqrt())
        })
        .collect()
}

#[test]
fn the_elbo_gradient_vanishes_at_the_analytic_optimum() {
    // 20 estimates of 2000 particles each; at the optimum each coordinate's mean is within
    // 4 standard errors of zero, and away from it the gradient is many standard errors away.
    for (i, (mean, se)) in gradient_estimates(POST_MEAN, POST_SD, 20)
        .into_iter()
        .enumerate()
    {
        assert!(
            mean.abs() < 4.0 * se,
            "coordinate {i}: mean gradient {mean}, standard error {se}"
        );
    }
    let off = gradient_estimates(POST_MEAN + 0.3, POST_SD * 1.3, 20);
    assert!(
        off.iter().all(|(mean, se)| mean.abs() > 10.0 * se),
        "{off:?}"
    );
}

#[test]
fn a_convergence_callback_stops_a_run_early_and_says_where() {
    use smallx::infer::{CheckParametersConvergence, Diff, Tracker};
    let mut svi = Svi::new(
        conditioned(),
        scale_guide,
        Adam::new(0.05).lr_decay(0.995),
        TraceElbo::new(),
    )
    .seed(5)
    .progress(false);
    let mut convergence = CheckParametersConvergence::new()
        .every(50)
        .tolerance(1e-3)
        .diff(Diff::Absolute);
    let mut tracker = Tracker::new().track("a", |info| info.params.real("a").unwrap_or(f64::NAN));
    let report = svi
        .run_with_callbacks(10_000, &(8.5,), &mut [&mut convergence, &mut tracker])
        .unwrap();
    let (step, reason) = report
        .stopped
        .expect("the run converges before 10 000 steps");
    assert!(step < 10_000 && step % 50 == 0, "{step}");
    assert!(
        reason.starts_with(&format!("parameters converged at step {step}")),
        "{reason}"
    );
    assert_eq!(report.losses.len(), step);
    assert_eq!(tracker.get("a").unwrap().len(), step);
    // A closure can stop the run too.
    let mut stop_at_7 = |info: &smallx::infer::StepInfo<'_>| {
        if info.step == 6 {
            smallx::infer::Control::Stop("user stop".into())
        } else {
            smallx::infer::Control::Continue
        }
    };
    let report = svi
        .run_with_callbacks(100, &(8.5,), &mut [&mut stop_at_7])
        .unwrap();
    assert_eq!(report.stopped, Some((7, "user stop".to_string())));
}
