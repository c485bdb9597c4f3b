//! Pyro's inference tutorial, end to end: the prior marginal of the measurement by
//! importance sampling, conditioning three ways, the parametrised guide trained by SVI, the
//! trained guide as importance proposal with few samples, intervention, and a comparison with
//! the analytic posterior.
//!
//! Run with `cargo run --release --example scale`.

use smallx::infer::{Adam, Importance, Svi, TraceElbo};
use smallx::prelude::*;

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

/// The tutorial's parametrised guide: `Normal(a, |b|)`.
#[model]
fn scale_parametrized_guide(guess: f64) -> Real {
    let a = param!("a", guess);
    let b = param!("b", 1.0);
    sample!("weight", Normal::new(a, b.abs()))
}

fn main() -> smallx::Result<()> {
    let guess = 8.5;
    let measurement = 9.5;
    let (exact_mean, exact_sd) = (
        (guess * 0.75f64.powi(2) + measurement) / (1.0 + 0.75f64.powi(2)),
        0.6,
    );

    // The marginal of the measurement a priori: importance sampling of the unconditioned model
    // (every weight 1), summarised through the return value.
    let prior = Importance::new(scale)
        .num_samples(10_000)
        .seed(0)
        .run(&(guess,))?;
    let m = prior.return_marginal(|r| r.value())?;
    println!(
        "P(measurement | guess): mean {:.3}, sd {:.3} (exact 8.5, 1.25)",
        m.mean(),
        m.sd()
    );

    // Conditioning, three equivalent ways for scale2.
    let one = condition(
        condition(scale2, data! { "weight" => 9.2 }),
        data! { "measurement" => 9.5 },
    );
    let two = condition(
        condition(scale2, data! { "measurement" => 9.5 }),
        data! { "weight" => 9.2 },
    );
    let three = condition(scale2, data! { "weight" => 9.2, "measurement" => 9.5 });
    let mut rng = SmallRng::seed_from_u64(1);
    let joints = [
        get_trace(&seed(&one, 1), &(guess,), &mut rng)?
            .log_joint()
            .value(),
        get_trace(&seed(&two, 1), &(guess,), &mut rng)?
            .log_joint()
            .value(),
        get_trace(&seed(&three, 1), &(guess,), &mut rng)?
            .log_joint()
            .value(),
    ];
    println!("the three ways to condition scale2 agree: log-joints {joints:.6?}");

    // Importance sampling of the conditioned model, with the prior as proposal.
    let conditioned = condition(scale, data! { "measurement" => measurement });
    let posterior = Importance::new(conditioned.clone())
        .num_samples(100)
        .seed(2)
        .run(&(guess,))?;
    let w = posterior.marginal("weight")?;
    println!(
        "P(weight | measurement) by 100 prior samples: mean {:.3}, sd {:.3}, ESS {:.1}",
        w.mean(),
        w.sd(),
        posterior.ess()
    );

    // SVI with the tutorial's guide (Adam with a decaying rate instead of the tutorial's SGD).
    let elbo = TraceElbo::new().num_particles(4);
    let mut svi = Svi::new(
        conditioned.clone(),
        scale_parametrized_guide,
        Adam::new(0.05).lr_decay(0.9985),
        elbo,
    )
    .seed(3);
    let losses = svi.run(4000, &(guess,))?;
    let (guide, params) = svi.into_parts();
    let (a, b) = (
        params.real("a").unwrap_or(f64::NAN),
        params.real("b").unwrap_or(f64::NAN).abs(),
    );
    println!(
        "SVI: q(weight) = Normal({a:.3}, {b:.3}); exact posterior Normal({exact_mean:.3}, {exact_sd:.3}); final loss {:.3}",
        losses[losses.len() - 1]
    );

    // The trained guide as proposal: 10 samples suffice.
    let guided = Importance::new(conditioned.clone())
        .guide(guide, &params)
        .num_samples(10)
        .seed(4)
        .run(&(guess,))?;
    let gw = guided.marginal("weight")?;
    println!(
        "P(weight | measurement) by 10 guide samples: mean {:.3}, ESS {:.1} of 10; log evidence {:.3} (exact {:.3})",
        gw.mean(),
        guided.ess(),
        guided.log_normalizer(),
        -0.5 * ((measurement - guess) / 1.25f64).powi(2)
            - 1.25f64.ln()
            - 0.5 * (2.0 * std::f64::consts::PI).ln()
    );

    // The do-operator: fixing the weight cuts it off from its prior.
    let t = get_trace(
        &intervene(scale, data! { "weight" => 20.0 }),
        &(guess,),
        &mut rng,
    )?;
    println!(
        "intervene(weight = 20): measurement {:.3}",
        t.real("measurement")?
    );

    println!(
        "RESULT {{\"svi_mean\": {a:.4}, \"svi_sd\": {b:.4}, \"exact_mean\": {exact_mean:.4}, \"exact_sd\": {exact_sd:.4}, \"importance_mean\": {:.4}, \"guided_importance_mean\": {:.4}, \"guided_ess\": {:.2}, \"prior_predictive_mean\": {:.4}}}",
        w.mean(),
        gw.mean(),
        guided.ess(),
        m.mean()
    );
    Ok(())
}
