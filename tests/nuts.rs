//! NUTS and HMC reach exact posteriors, and user mistakes are errors that say what is wrong.
//!
//! Tolerance: 4 Monte Carlo standard errors. The MCSE of a mean is `sd/√ESS` (bulk ESS, exact
//! sd); the MCSE of an sd is `sd·√((κ − 1)/(4 ESS₂))` by the delta method, with `κ` the draws'
//! kurtosis `m₄/var²` and `ESS₂` the bulk ESS of the squared deviations. Scaling by the exact sd
//! matters: a sampler that wanders off has a huge spread of its own, which would otherwise
//! widen its tolerance (a wrong dense-metric momentum passed that way). A correct sampler fails
//! one check with probability about 6e-5; seeds are fixed, and the worst standardised error
//! over seeds 0..10 is quoted at each test.

use smallx::infer::diagnostics::ess_bulk;
use smallx::infer::{
    DiscreteProposal, Hmc, Init, MassMatrix, Mcmc, Metropolis, Nuts, Samples, init_to_value,
};
use smallx::prelude::*;

/// (mean error, sd error) in units of their Monte Carlo standard errors.
fn standardised_errors(samples: &Samples, site: &str, j: usize, mean: f64, sd: f64) -> (f64, f64) {
    let chains = samples.site(site).unwrap().element(j).unwrap();
    let all: Vec<f64> = chains.concat();
    let n = all.len() as f64;
    let m = all.iter().sum::<f64>() / n;
    let var = all.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = all.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
    let squares: Vec<Vec<f64>> = chains
        .iter()
        .map(|c| c.iter().map(|x| (x - m).powi(2)).collect())
        .collect();
    // Scaled by the exact sd, so that a chain that wandered off cannot excuse itself with
    // its own large spread; the kurtosis m₄/var² is scale-free.
    let kurtosis = m4 / (var * var);
    let mcse_mean = sd / ess_bulk(&chains).sqrt();
    let mcse_sd = sd * ((kurtosis - 1.0) / (4.0 * ess_bulk(&squares))).sqrt();
    ((m - mean) / mcse_mean, (var.sqrt() - sd) / mcse_sd)
}

fn assert_within_4_se(samples: &Samples, site: &str, j: usize, mean: f64, sd: f64) {
    let (em, es) = standardised_errors(samples, site, j, mean, sd);
    assert!(
        em.abs() < 4.0 && es.abs() < 4.0,
        "{site}[{j}]: mean off by {em:.2} SE, sd off by {es:.2} SE (exact {mean}, {sd})"
    );
}

#[model]
fn scale(guess: f64) -> Real {
    let weight = sample!("weight", Normal::new(guess, 1.0));
    sample!("measurement", Normal::new(weight, 0.75))
}

fn normal_normal() -> smallx::handler::Condition<scale> {
    condition(scale, data! { "measurement" => 9.5 })
}

/// Posterior N(9.14, 0.6²).
const SCALE_MEAN: f64 = 9.14;
const SCALE_SD: f64 = 0.6;

#[model]
fn counts(ys: &[i64]) {
    let rate = sample!("rate", Gamma::new(2.0, 0.5));
    for (i, &y) in ys.iter().enumerate() {
        observe!(format!("y{i}"), Poisson::new(rate), y);
    }
}

const COUNTS: [i64; 6] = [3, 7, 4, 6, 5, 2];

/// Gamma(2 + Σy, 0.5 + n): mean a/b, sd √a/b.
fn gamma_poisson_exact() -> (f64, f64) {
    let a = 2.0 + COUNTS.iter().sum::<i64>() as f64;
    let b = 0.5 + COUNTS.len() as f64;
    (a / b, a.sqrt() / b)
}

#[model]
fn correlated() {
    let cov = DMatrix::from_row_slice(2, 2, &[1.0, 2.7, 2.7, 9.0]);
    sample!(
        "x",
        MultivariateNormal::from_covariance(
            DVector::from_vec(vec![Real::new(1.0), Real::new(-2.0)]),
            &cov.map(Real::new)
        )
    );
}

#[model]
fn constrained() {
    sample!("s", LogNormal::new(0.5, 0.4));
    sample!("p", Beta::new(3.0, 5.0));
}

fn lognormal_exact() -> (f64, f64) {
    let (mu, s2) = (0.5f64, 0.16f64);
    let mean = (mu + s2 / 2.0).exp();
    (mean, (s2.exp_m1()).sqrt() * mean)
}

fn beta_exact() -> (f64, f64) {
    let (a, b) = (3.0, 5.0);
    let mean = a / (a + b);
    (mean, (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt())
}

fn nuts<M: Model + Sync>(model: M, seed: u64) -> Mcmc<Nuts<M>> {
    Mcmc::new(Nuts::new(model))
        .warmup(1000)
        .samples(2000)
        .chains(2)
        .seed(seed)
        .progress(false)
}

// Worst standardised error over seeds 0..10: 2.15 (mean), 1.63 (sd).
#[test]
fn nuts_reaches_the_normal_normal_posterior() {
    let samples = nuts(normal_normal(), 0).run(&(8.5,)).unwrap();
    assert_within_4_se(&samples, "weight", 0, SCALE_MEAN, SCALE_SD);
    assert_eq!(samples.divergences(), 0);
    let stats = &samples.stats()[0];
    assert_eq!(stats.tree_depth.len(), 2000);
    assert!(stats.step_size.iter().all(|&e| e == stats.step_size[0]));
    assert!(stats.accept_rate > 0.6, "{}", stats.accept_rate);
}

// Worst standardised error over seeds 0..10: 1.98 (mean), 2.18 (sd).
#[test]
fn nuts_reaches_the_gamma_poisson_posterior() {
    let samples = nuts(counts, 1).run(&(&COUNTS[..],)).unwrap();
    let (mean, sd) = gamma_poisson_exact();
    assert_within_4_se(&samples, "rate", 0, mean, sd);
}

// Worst standardised error over seeds 0..10, both metrics and both coordinates (40 checks):
// 3.42 (mean), 3.06 (sd).
#[test]
fn nuts_samples_a_correlated_normal_with_either_metric() {
    for mass in [MassMatrix::Diagonal, MassMatrix::Dense] {
        let samples = Mcmc::new(Nuts::new(correlated).mass_matrix(mass))
            .warmup(1000)
            .samples(2000)
            .chains(2)
            .seed(2)
            .progress(false)
            .run(&())
            .unwrap();
        assert_within_4_se(&samples, "x", 0, 1.0, 1.0);
        assert_within_4_se(&samples, "x", 1, -2.0, 3.0);
    }
}

// Worst standardised error over seeds 0..10: 2.15 (mean), 2.69 (sd).
#[test]
fn nuts_samples_positive_and_interval_sites_through_their_bijections() {
    let samples = nuts(constrained, 3).run(&()).unwrap();
    let (m, s) = lognormal_exact();
    assert_within_4_se(&samples, "s", 0, m, s);
    let (m, s) = beta_exact();
    assert_within_4_se(&samples, "p", 0, m, s);
}

// Worst standardised error over seeds 0..10: 2.20 (mean), 2.04 (sd).
#[test]
fn hmc_reaches_two_exact_posteriors() {
    let hmc = |seed| {
        Mcmc::new(Hmc::new(normal_normal()))
            .warmup(1000)
            .samples(2000)
            .chains(2)
            .seed(seed)
            .progress(false)
    };
    let samples = hmc(4).run(&(8.5,)).unwrap();
    assert_within_4_se(&samples, "weight", 0, SCALE_MEAN, SCALE_SD);
    let samples = Mcmc::new(Hmc::new(constrained))
        .warmup(1000)
        .samples(2000)
        .chains(2)
        .seed(5)
        .progress(false)
        .run(&())
        .unwrap();
    let (m, s) = beta_exact();
    assert_within_4_se(&samples, "p", 0, m, s);
    let (m, s) = lognormal_exact();
    assert_within_4_se(&samples, "s", 0, m, s);
}

#[test]
fn chains_are_reproducible_and_independent() {
    let run = |seed| {
        nuts(normal_normal(), seed)
            .samples(200)
            .run(&(8.5,))
            .unwrap()
    };
    let (a, b) = (run(7), run(7));
    assert_eq!(a, b);
    let draws = a.site("weight").unwrap().element(0).unwrap();
    assert_ne!(draws[0], draws[1]);
}

#[model]
fn coin_and_bias(flips: &[bool]) {
    let fair = sample!("fair", Bernoulli::new(0.5));
    let p: f64 = if fair { 0.5 } else { 0.8 };
    let noise = sample!("noise", Normal::new(0.0, 1.0));
    for (i, &f) in flips.iter().enumerate() {
        observe!(
            format!("flip{i}"),
            Bernoulli::logits(noise + (p / (1.0 - p)).ln()),
            f
        );
    }
}

#[test]
fn a_discrete_latent_site_in_nuts_is_an_error_naming_it() {
    let err = nuts(coin_and_bias, 0)
        .run(&(&[true, false, true][..],))
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("`fair`") && message.contains("NUTS"),
        "{message}"
    );
    assert!(message.contains("discrete"), "{message}");
    // Metropolis takes it with a proposal.
    Metropolis::new(coin_and_bias)
        .discrete_proposal("fair", DiscreteProposal::Uniform)
        .samples(10)
        .warmup(10)
        .progress(false)
        .run(&(&[true, false, true][..],))
        .unwrap();
}

#[model]
fn impossible() {
    let x = sample!("x", Normal::new(0.0, 1.0));
    // 2 is outside Uniform(0, 1) wherever x is.
    observe!("y", Uniform::new(x - 10.0, x - 9.5), 2.0 * x.abs() + 100.0);
}

#[test]
fn a_density_that_is_never_finite_is_an_error_after_the_retries() {
    let err = nuts(impossible, 0).run(&()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("100 attempts") && message.contains("`y`"),
        "{message}"
    );
}

#[test]
fn an_unknown_name_in_init_to_value_is_an_error_naming_it() {
    let err = nuts(normal_normal(), 0)
        .init(init_to_value(data! { "wieght" => 9.0 }))
        .run(&(8.5,))
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("wieght") && message.contains("weight"),
        "{message}"
    );
    // The observed site is not a latent one either.
    let err = nuts(normal_normal(), 0)
        .init(Init::Values(data! { "measurement" => 9.0 }))
        .run(&(8.5,))
        .unwrap_err();
    assert!(err.to_string().contains("measurement"), "{err}");
    // A known name starts the chain there.
    let samples = nuts(normal_normal(), 0)
        .init(init_to_value(data! { "weight" => 9.0 }))
        .run(&(8.5,))
        .unwrap();
    assert_within_4_se(&samples, "weight", 0, SCALE_MEAN, SCALE_SD);
}

#[test]
fn zero_draws_chains_or_thinning_are_errors() {
    for (mcmc, word) in [
        (nuts(normal_normal(), 0).samples(0), "samples"),
        (nuts(normal_normal(), 0).chains(0), "chains"),
        (nuts(normal_normal(), 0).thin(0), "thin"),
    ] {
        let err = mcmc.run(&(8.5,)).unwrap_err();
        assert!(err.to_string().contains(word), "{err}");
    }
    let err = Mcmc::new(Nuts::new(normal_normal()).target_accept(1.5))
        .progress(false)
        .run(&(8.5,))
        .unwrap_err();
    assert!(err.to_string().contains("target_accept"), "{err}");
}

#[model]
fn only_observed() {
    observe!("y", Normal::new(0.0, 1.0), 0.3);
}

#[test]
fn a_model_without_continuous_latents_is_refused_by_gradient_samplers() {
    let err = nuts(only_observed, 0).run(&()).unwrap_err();
    assert!(
        err.to_string().contains("no continuous latent site"),
        "{err}"
    );
    let err = Mcmc::new(Hmc::new(only_observed))
        .progress(false)
        .run(&())
        .unwrap_err();
    assert!(
        err.to_string().contains("no continuous latent site"),
        "{err}"
    );
}

/// The scale of `y` is finite only for `s` below 1; elsewhere building the distribution fails.
#[model]
fn bounded_scale() {
    let s = sample!("s", Uniform::new(0.0, 3.0));
    observe!("y", Normal::new(0.0, 1.0 - s), 0.1);
}

#[test]
fn a_parameter_out_of_range_is_a_rejection_or_a_retry_not_an_abort() {
    // Metropolis proposals past s = 1 are rejected moves.
    let samples = Metropolis::new(bounded_scale)
        .warmup(300)
        .samples(300)
        .seed(1)
        .progress(false)
        .init(init_to_value(data! { "s" => 0.5 }))
        .run(&())
        .unwrap();
    assert!(samples.values("s").unwrap().iter().all(|&s| s < 1.0));
    // NUTS's initial points past s = 1 are retried; its leapfrog steps there are divergences.
    let samples = nuts(bounded_scale, 2).samples(300).run(&()).unwrap();
    assert!(samples.values("s").unwrap().iter().all(|&s| s < 1.0));
    // init_to_value keeps the given value on every retry (s = 2 is never valid, so it fails
    // after the retries instead of wandering off to a uniform point).
    let err = nuts(bounded_scale, 0)
        .init(init_to_value(data! { "s" => 2.0 }))
        .run(&())
        .unwrap_err();
    assert!(err.to_string().contains("100 attempts"), "{err}");
}

#[test]
fn hmc_reports_the_energy_of_the_point_it_keeps() {
    let samples = Mcmc::new(Hmc::new(normal_normal()))
        .warmup(200)
        .samples(500)
        .seed(6)
        .progress(false)
        .run(&(8.5,))
        .unwrap();
    let stats = &samples.stats()[0];
    // The Hamiltonian is −log p plus a kinetic energy ≥ 0, and it includes the Jacobian-free
    // log-density of the unconstrained point (the site is on the real line here).
    for (energy, lp) in stats.energy.iter().zip(&stats.log_joint) {
        assert!(*energy >= -lp - 1e-9, "energy {energy} below −lp {}", -lp);
    }
}
