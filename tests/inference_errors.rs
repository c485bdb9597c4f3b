//! Inference mistakes are errors that name the sites involved.

use smallx::infer::{Adam, DiscreteProposal, Metropolis, Svi, TraceElbo};
use smallx::prelude::*;

#[model]
fn coin(flips: &[bool]) {
    let p = sample!("p", Beta::new(2.0, 3.0));
    observe!("flips", Bernoulli::new(p).iid(flips.len()), flips);
}

#[model]
fn empty_guide(flips: &[bool]) {
    let _ = flips;
}

#[model]
fn guide_with_extra_site(flips: &[bool]) {
    let _ = flips;
    let a = param!("a", 2.0, Constraint::Positive);
    sample!("p", Beta::new(a, 2.0));
    sample!("q", Normal::new(0.0, 1.0));
}

#[model]
fn guide_with_wrong_support(flips: &[bool]) {
    let _ = flips;
    let m = param!("m", 0.3);
    sample!("p", Normal::new(m, 0.1));
}

#[model]
fn guide_sampling_the_data(flips: &[bool]) {
    let _ = flips;
    sample!("p", Beta::new(2.0, 2.0));
    sample!("flips", Bernoulli::new(0.5).iid(flips.len()));
}

fn svi_error<G>(guide: G) -> String
where
    G: for<'a> Model<Args<'a> = (&'a [bool],)>,
{
    let flips = [true, false, true];
    let mut svi = Svi::new(coin, guide, Adam::new(0.01), TraceElbo::new()).progress(false);
    svi.step(&(&flips[..],)).unwrap_err().to_string()
}

#[test]
fn a_guide_that_misses_a_latent_site_is_refused_before_the_first_step() {
    let msg = svi_error(empty_guide);
    assert!(
        msg.starts_with("model/guide mismatch: the model's latent site `p` is not in the guide"),
        "{msg}"
    );
}

#[test]
fn a_guide_site_the_model_lacks_is_refused() {
    assert_eq!(
        svi_error(guide_with_extra_site),
        "model/guide mismatch: the guide's site `q` is not in the model"
    );
}

#[test]
fn a_support_mismatch_is_refused() {
    assert_eq!(
        svi_error(guide_with_wrong_support),
        "model/guide mismatch: site `p` has support interval(0, 1) in the model but real in the guide"
    );
}

#[test]
fn a_guide_may_not_sample_observed_data() {
    assert_eq!(
        svi_error(guide_sampling_the_data),
        "model/guide mismatch: site `flips` is observed in the model but sampled by the guide"
    );
}

#[model]
fn waiting(times: &[f64]) {
    let rate = sample!("rate", Gamma::new(2.0, 1.0));
    observe!("times", Exponential::new(rate).iid(times.len()), times);
}

#[model]
fn waiting_guide(times: &[f64]) {
    let _ = times;
    let loc = param!("loc", 0.0);
    sample!("rate", LogNormal::new(loc, 0.5));
}

#[test]
fn a_non_finite_loss_names_the_step_and_the_site() {
    // A negative waiting time has probability zero under every rate.
    let times = [0.5, -1.0, 2.0];
    let mut svi =
        Svi::new(waiting, waiting_guide, Adam::new(0.01), TraceElbo::new()).progress(false);
    let msg = svi.step(&(&times[..],)).unwrap_err().to_string();
    assert_eq!(
        msg,
        "step 0: the loss is not finite (inf); the first non-finite site is `times` (log-probability -inf)"
    );
    // Or skip such steps and count them.
    let mut svi = Svi::new(waiting, waiting_guide, Adam::new(0.01), TraceElbo::new())
        .skip_non_finite(true)
        .progress(false);
    let losses = svi.run(3, &(&times[..],)).unwrap();
    assert!(losses.iter().all(|l| l.is_nan()));
    assert_eq!(svi.skipped_steps(), 3);
}

#[model]
fn mixture(x: f64) {
    let z = sample!("z", Bernoulli::new(0.4));
    let mu = sample!("mu", Normal::new(0.0, 3.0));
    let loc = if z { mu } else { -mu };
    observe!("x", Normal::new(loc, 1.0), x);
}

#[test]
fn metropolis_refuses_a_discrete_latent_without_a_proposal() {
    let msg = Metropolis::new(mixture)
        .progress(false)
        .run(&(1.5,))
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("Metropolis: site `z`: the site is discrete (support boolean)"),
        "{msg}"
    );
    assert!(
        msg.contains(".discrete_proposal(\"z\", DiscreteProposal::Uniform)"),
        "{msg}"
    );
    // With a proposal it runs, and the posterior of z follows the data's side.
    let samples = Metropolis::new(mixture)
        .discrete_proposal("z", DiscreteProposal::Uniform)
        .warmup(500)
        .samples(2000)
        .seed(1)
        .progress(false)
        .run(&(1.5,))
        .unwrap();
    assert_eq!(samples.values("z").unwrap().len(), 2000);
}
