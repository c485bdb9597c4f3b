//! Seed 002, Pyro's inference tutorial: the unreliable scale.
//!
//! Run with `cargo run --release --example scale`.

use smallx::prelude::*;
use smallx::{DualSVec64, log_density};

/// The prior over the weight encodes our uncertainty about a guess; the measurement
/// fluctuates around the true weight.
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

fn main() -> smallx::Result<()> {
    let guess = 8.5;
    let mut rng = SmallRng::seed_from_u64(0);

    // Calling a model runs it: the prior predictive of the measurement.
    let n = 10_000;
    let draws: Vec<f64> = (0..n)
        .map(|_| scale.call_with(&mut rng, guess).map(|m| m.value()))
        .collect::<Result<_>>()?;
    let mean = draws.iter().sum::<f64>() / n as f64;
    let sd = (draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    println!("prior predictive of the measurement: mean {mean:.3}, sd {sd:.3} (exact 8.5, 1.25)");

    // Conditioning is a handler; its result is a model again, so conditioning composes.
    let conditioned = condition(scale, data! { "measurement" => 9.5 });
    let trace = get_trace(&conditioned, &(guess,), &mut rng)?;
    println!("\na conditioned run:");
    for site in &trace {
        let role = if site.is_observed {
            "observed"
        } else {
            "latent"
        };
        println!(
            "  {:<12} {:>8.4}  {role:<8}  log p = {:.4}",
            site.name,
            site.value,
            site.log_prob.value()
        );
    }
    let one = condition(
        condition(scale2, data! { "weight" => 9.2 }),
        data! { "measurement" => 9.5 },
    );
    let two = condition(
        condition(scale2, data! { "measurement" => 9.5 }),
        data! { "weight" => 9.2 },
    );
    let three = condition(scale2, data! { "weight" => 9.2, "measurement" => 9.5 });
    let joints: Vec<f64> = [
        get_trace(&seed(&one, 1), &(guess,), &mut rng)?
            .log_joint()
            .value(),
        get_trace(&seed(&two, 1), &(guess,), &mut rng)?
            .log_joint()
            .value(),
        get_trace(&seed(&three, 1), &(guess,), &mut rng)?
            .log_joint()
            .value(),
    ]
    .to_vec();
    println!("\nthe three ways to condition scale2 agree: log-joints {joints:.6?}");

    // The do-operator: fixing the weight cuts it off from its prior.
    let intervened = intervene(scale, data! { "weight" => 20.0 });
    let t = get_trace(&intervened, &(guess,), &mut rng)?;
    println!(
        "\nintervene(weight = 20): measurement {:.3}, log-joint {:.4} (the weight's prior is not in it)",
        t.real("measurement")?,
        t.log_joint().value()
    );

    // The same model, run with dual numbers: the gradient of the log-joint in one pass.
    let w = 9.0;
    let values = [("weight", Value::Real(Real::<DualSVec64<1>>::variable(w, 0)))];
    let lp = log_density(&conditioned, &(guess,), &values, &mut rng)?;
    let exact = -(w - guess) + (9.5 - w) / 0.75f64.powi(2);
    println!(
        "\nd log p(weight, measurement = 9.5) / d weight at {w}: {:.6} (exact {exact:.6})",
        lp.derivative(0)
    );

    let posterior_mean = (guess * 0.75f64.powi(2) + 9.5) / (1.0 + 0.75f64.powi(2));
    println!(
        "RESULT {{\"prior_predictive_mean\": {mean:.4}, \"prior_predictive_sd\": {sd:.4}, \"exact_posterior_mean\": {posterior_mean:.4}, \"gradient\": {:.6}}}",
        lp.derivative(0)
    );
    Ok(())
}
