//! Pyro's inference tutorial, written with smallx: the `scale` model, `scale2`,
//! conditioning three ways, the inline `obs =` form, and `do` (here `intervene`).

use smallx::prelude::*;
use std::f64::consts::PI;

#[model]
fn scale(guess: f64) -> Real {
    let weight = sample!("weight", Normal::new(guess, 1.0));
    sample!("measurement", Normal::new(weight, 0.75))
}

#[model]
fn scale2(guess: f64) -> Real {
    let weight = sample!("weight", Normal::new(guess, 1.0));
    let tolerance = sample!("tolerance", Normal::new(0.0, 1.0)).abs();
    sample!("measurement", Normal::new(weight, tolerance))
}

#[model]
fn scale_obs(guess: f64) -> Real {
    let weight = sample!("weight", Normal::new(guess, 1.0));
    sample!("measurement", Normal::new(weight, 0.75), obs = 9.5)
}

fn normal_log_pdf(x: f64, mu: f64, sd: f64) -> f64 {
    -0.5 * ((x - mu) / sd).powi(2) - sd.ln() - 0.5 * (2.0 * PI).ln()
}

fn rng() -> SmallRng {
    SmallRng::seed_from_u64(2)
}

#[test]
fn calling_a_model_runs_it_and_returns_the_measurement() {
    let m = scale.call_with(8.5, &mut rng()).unwrap();
    assert!(m.value().is_finite());
    let t = get_trace(&scale, &(8.5,), &mut rng()).unwrap();
    assert_eq!(t.names().collect::<Vec<_>>(), ["weight", "measurement"]);
    assert_eq!(t.ret().value(), t.real("measurement").unwrap());
    let (w, m) = (t.real("weight").unwrap(), t.real("measurement").unwrap());
    let expected = normal_log_pdf(w, 8.5, 1.0) + normal_log_pdf(m, w, 0.75);
    assert!((t.log_joint().value() - expected).abs() < 1e-12);
}

#[test]
fn conditioning_makes_the_measurement_observed() {
    let conditioned = condition(scale, data! { "measurement" => 9.5 });
    let t = get_trace(&conditioned, &(8.5,), &mut rng()).unwrap();
    let site = t.get("measurement").unwrap();
    assert!(site.is_observed);
    assert_eq!(t.real("measurement").unwrap(), 9.5);
    assert!(t.get("weight").unwrap().is_latent());
    let w = t.real("weight").unwrap();
    assert!((t.log_likelihood().value() - normal_log_pdf(9.5, w, 0.75)).abs() < 1e-12);
    assert!((t.log_prior().value() - normal_log_pdf(w, 8.5, 1.0)).abs() < 1e-12);
}

#[test]
fn the_inline_obs_form_equals_condition() {
    let a = get_trace(&scale_obs, &(8.5,), &mut rng()).unwrap();
    let b = get_trace(
        &condition(scale, data! { "measurement" => 9.5 }),
        &(8.5,),
        &mut rng(),
    )
    .unwrap();
    assert_eq!(a.real("weight").unwrap(), b.real("weight").unwrap());
    assert_eq!(a.log_joint().value(), b.log_joint().value());
    assert!(a.get("measurement").unwrap().is_observed);
}

#[test]
fn deferred_conditioning_is_a_plain_closure() {
    let deferred = |measurement: f64| condition(scale, data! { "measurement" => measurement });
    let t = get_trace(&deferred(9.0), &(8.5,), &mut rng()).unwrap();
    assert_eq!(t.real("measurement").unwrap(), 9.0);
}

fn assert_same_trace<R>(a: &Trace<f64, R>, b: &Trace<f64, R>) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b.iter()) {
        assert_eq!(x.name, y.name);
        assert_eq!(x.value, y.value, "value of {}", x.name);
        assert_eq!(x.is_observed, y.is_observed, "observed flag of {}", x.name);
        assert_eq!(
            x.log_prob.value(),
            y.log_prob.value(),
            "log_prob of {}",
            x.name
        );
    }
    assert_eq!(a.log_joint().value(), b.log_joint().value());
}

#[test]
fn the_three_nested_condition_orderings_give_identical_traces() {
    let one = condition(
        condition(scale2, data! { "weight" => 9.2 }),
        data! { "measurement" => 9.5 },
    );
    let two = condition(
        condition(scale2, data! { "measurement" => 9.5 }),
        data! { "weight" => 9.2 },
    );
    let three = condition(scale2, data! { "weight" => 9.2, "measurement" => 9.5 });
    let t1 = get_trace(&one, &(8.5,), &mut rng()).unwrap();
    let t2 = get_trace(&two, &(8.5,), &mut rng()).unwrap();
    let t3 = get_trace(&three, &(8.5,), &mut rng()).unwrap();
    assert_same_trace(&t1, &t2);
    assert_same_trace(&t1, &t3);
    assert!(t1.get("weight").unwrap().is_observed && t1.get("measurement").unwrap().is_observed);
    let tol = t1.real("tolerance").unwrap();
    let expected = normal_log_pdf(9.2, 8.5, 1.0)
        + normal_log_pdf(tol, 0.0, 1.0)
        + normal_log_pdf(9.5, 9.2, tol.abs());
    assert!((t1.log_joint().value() - expected).abs() < 1e-12);
}

#[test]
fn intervening_on_weight_fixes_it_and_drops_its_log_probability() {
    let intervened = intervene(scale, data! { "weight" => 20.0 });
    let t = get_trace(&intervened, &(8.5,), &mut rng()).unwrap();
    let w = t.get("weight").unwrap();
    assert!(w.intervened && !w.is_observed && !w.is_latent());
    assert_eq!(t.real("weight").unwrap(), 20.0);
    // The measurement is drawn around the fixed value, far from the prior guess of 8.5 ...
    let m = t.real("measurement").unwrap();
    assert!(
        (m - 20.0).abs() < 5.0 * 0.75,
        "measurement {m} should be near 20"
    );
    // ... and the joint only contains the measurement's term.
    assert!((t.log_joint().value() - normal_log_pdf(m, 20.0, 0.75)).abs() < 1e-12);
    // Conditioning the measurement as well composes.
    let both = condition(
        intervene(scale, data! { "weight" => 20.0 }),
        data! { "measurement" => 19.0 },
    );
    let t = get_trace(&both, &(8.5,), &mut rng()).unwrap();
    assert!((t.log_joint().value() - normal_log_pdf(19.0, 20.0, 0.75)).abs() < 1e-12);
}

#[test]
fn the_measurements_mean_follows_the_intervention() {
    // Over many runs the measurement averages the intervened weight, not the guess.
    let intervened = intervene(scale, data! { "weight" => 20.0 });
    let mut r = rng();
    let n = 4000;
    let mean: f64 = (0..n)
        .map(|_| intervened_measurement(&intervened, &mut r))
        .sum::<f64>()
        / n as f64;
    // sd of the mean: 0.75 / sqrt(4000) ≈ 0.0119; allow 5 standard errors.
    assert!(
        (mean - 20.0).abs() < 5.0 * 0.75 / (n as f64).sqrt(),
        "mean {mean}"
    );
}

fn intervened_measurement(
    m: &impl Model<Args<'static> = (f64,), Ret<f64> = Real<f64>>,
    r: &mut SmallRng,
) -> f64 {
    call_with(m, &(8.5,), r).unwrap().value()
}
