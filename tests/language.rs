//! The modelling language beyond single sites: sub-models (`call!`, with NumPyro's `scope`
//! prefixes), optional observations (`obs = None`), derived values (`deterministic!`) and
//! user-written handlers (`handle`).
//!
//! The posterior checks use NUTS on a conjugate normal model and allow 4 Monte Carlo
//! standard errors (estimated from the bulk ESS and scaled by the exact sd); seeds are fixed.

use smallx::handler::{Effect, Handler, handle};
use smallx::infer::diagnostics::ess_bulk;
use smallx::infer::{Importance, Mcmc, Nuts, Predictive, Samples};
use smallx::prelude::*;
use smallx::{Scalar, Site, SiteKind};

/// A group: its mean drawn around `mu` (a latent of the caller), its observations around it.
#[model]
fn group(mu: Real, tau: f64, y: &[f64]) -> Real {
    let theta = sample!("theta", Normal::new(mu, tau));
    plate!("obs", y.len(), |_idx| {
        observe!("y", Normal::new(theta, 1.0).iid(y.len()), y);
    });
    theta
}

/// A hierarchical model built from the group sub-model, one call per group.
#[model]
fn hierarchy(groups: &[Vec<f64>]) -> Real {
    let mu = sample!("mu", Normal::new(0.0, 1.0));
    let mut total = Real::new(0.0);
    for (j, y) in groups.iter().enumerate() {
        total += call!(group(mu, 1.0, y), prefix = format!("g{j}"));
    }
    deterministic!("mean_theta", total / groups.len() as f64)
}

/// A model without `Real` arguments is a model and a sub-model at once.
#[model]
fn coin(flips: &[bool]) -> Real {
    let p = sample!("p", Beta::new(2.0, 2.0));
    for (i, &f) in flips.iter().enumerate() {
        observe!(format!("flip{i}"), Bernoulli::new(p), f);
    }
    p
}

#[model]
fn two_coins(a: &[bool], b: &[bool]) -> Real {
    let pa = call!(coin(a), prefix = "a");
    let pb = call!(coin(b), prefix = "b");
    deterministic!("difference", pa - pb)
}

#[model]
fn unprefixed(a: &[bool]) -> Real {
    call!(coin(a))
}

fn groups() -> Vec<Vec<f64>> {
    vec![vec![0.5, 1.5, 1.0], vec![-0.4, 0.1]]
}

#[test]
fn a_sub_models_sites_are_in_the_callers_trace_under_its_prefix() {
    let data = groups();
    let trace = get_trace(&hierarchy, &(&data[..],), &mut SmallRng::seed_from_u64(0)).unwrap();
    let names: Vec<&str> = trace.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["mu", "g0/theta", "g0/y", "g1/theta", "g1/y", "mean_theta"]
    );
    assert!(trace.get("g0/y").unwrap().is_observed);
    assert!(trace.get("g1/theta").unwrap().is_latent());
    // The plate inside the sub-model is prefixed too: both calls enter their own `gj/obs`.
    assert_eq!(trace.get("g1/y").unwrap().plates[0].name, "g1/obs");
    let mean = (trace.real("g0/theta").unwrap() + trace.real("g1/theta").unwrap()) / 2.0;
    assert_eq!(trace.real("mean_theta").unwrap(), mean);
}

#[test]
fn without_a_prefix_the_sub_models_sites_keep_their_names() {
    let flips = [true, false];
    let trace = get_trace(&unprefixed, &(&flips[..],), &mut SmallRng::seed_from_u64(0)).unwrap();
    let names: Vec<&str> = trace.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["p", "flip0", "flip1"]);
}

#[test]
fn sub_model_sites_are_conditioned_and_replayed_like_the_callers() {
    let data = groups();
    let args = (&data[..],);
    let conditioned = condition(hierarchy, data! { "g1/theta" => 0.25 });
    let trace = get_trace(&conditioned, &args, &mut SmallRng::seed_from_u64(1)).unwrap();
    assert_eq!(trace.real("g1/theta").unwrap(), 0.25);
    assert!(trace.get("g1/theta").unwrap().is_observed);

    let first = get_trace(&hierarchy, &args, &mut SmallRng::seed_from_u64(2)).unwrap();
    let replayed = get_trace(
        &replay(hierarchy, &first),
        &args,
        &mut SmallRng::seed_from_u64(99),
    )
    .unwrap();
    for name in ["mu", "g0/theta", "g1/theta", "mean_theta"] {
        assert_eq!(
            replayed.real(name).unwrap(),
            first.real(name).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn sub_model_draws_follow_the_seed() {
    let data = groups();
    let args = (&data[..],);
    let run = |seed_value: u64, rng_seed: u64| {
        get_trace(
            &seed(hierarchy, seed_value),
            &args,
            &mut SmallRng::seed_from_u64(rng_seed),
        )
        .unwrap()
        .real("g1/theta")
        .unwrap()
    };
    assert_eq!(run(7, 0), run(7, 1));
    assert_ne!(run(7, 0), run(8, 0));
}

#[test]
fn an_empty_prefix_built_at_run_time_is_an_error_naming_the_model() {
    #[model]
    fn empty_prefix(flips: &[bool]) -> Real {
        let prefix = String::new();
        call!(coin(flips), prefix = prefix)
    }
    let flips = [true];
    let err = get_trace(
        &empty_prefix,
        &(&flips[..],),
        &mut SmallRng::seed_from_u64(0),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`coin`") && err.contains("non-empty"), "{err}");
}

/// Normal-normal: `mu ~ N(0, 1)`; for each group `theta_j ~ N(mu, 1)` and `y_ij ~ N(theta_j, 1)`.
/// The posterior of `mu` is normal; integrating `theta_j` out, `ȳ_j ~ N(mu, 1 + 1/n_j)`, so the
/// precision is `1 + Σ_j 1/(1 + 1/n_j)` and the mean is the precision-weighted `Σ ȳ_j/(1 + 1/n_j)`.
#[test]
fn nuts_infers_a_model_built_from_sub_models() {
    let data = groups();
    let (mut precision, mut weighted) = (1.0, 0.0);
    for y in &data {
        let n = y.len() as f64;
        let ybar = y.iter().sum::<f64>() / n;
        precision += 1.0 / (1.0 + 1.0 / n);
        weighted += ybar / (1.0 + 1.0 / n);
    }
    let (mean, sd) = (weighted / precision, precision.powf(-0.5));
    let samples = Mcmc::new(Nuts::new(hierarchy))
        .warmup(1000)
        .samples(2000)
        .chains(2)
        .seed(4)
        .progress(false)
        .run(&(&data[..],))
        .unwrap();
    let chains = samples.site("mu").unwrap().element(0).unwrap();
    let all = chains.concat();
    let m = all.iter().sum::<f64>() / all.len() as f64;
    let mcse = sd / ess_bulk(&chains).sqrt();
    assert!(
        (m - mean).abs() < 4.0 * mcse,
        "mu: {m} vs {mean} (mcse {mcse})"
    );
    // The deterministic site is recorded at every draw, recomputed from that draw.
    let thetas = [
        samples.values("g0/theta").unwrap(),
        samples.values("g1/theta").unwrap(),
    ];
    let means = samples.values("mean_theta").unwrap();
    assert_eq!(means.len(), all.len());
    for (k, m) in means.iter().enumerate() {
        assert!((m - (thetas[0][k] + thetas[1][k]) / 2.0).abs() < 1e-12);
    }
}

/// Pyro's "observed when data is given, latent otherwise".
#[model]
fn regression(x: &[f64], y: Option<&[f64]>) {
    let a = sample!("a", Normal::new(0.0, 10.0));
    let b = sample!("b", Normal::new(0.0, 10.0));
    let mean: Vec<Real> = x.iter().map(|&xi| a + b * xi).collect();
    deterministic!("mean", mean.clone());
    plate!("data", x.len(), |_idx| {
        sample!(
            "y",
            Batch::new(mean.iter().map(|&m| Normal::new(m, 1.0))),
            obs = y
        );
    });
}

#[test]
fn obs_some_is_observed_and_obs_none_is_latent() {
    let x = [0.0, 1.0, 2.0];
    let y = [0.1, 0.9, 2.2];
    let mut rng = SmallRng::seed_from_u64(0);
    let with_data = get_trace(&regression, &(&x[..], Some(&y[..])), &mut rng).unwrap();
    let site = with_data.get("y").unwrap();
    assert!(site.is_observed);
    assert_eq!(site.value.real_values().unwrap(), y);
    let without = get_trace(&regression, &(&x[..], None), &mut rng).unwrap();
    assert!(without.get("y").unwrap().is_latent());
    // The same holds for a scalar site and an owned value.
    #[model]
    fn single(y: Option<f64>) -> Real {
        sample!("y", Normal::new(0.0, 1.0), obs = y)
    }
    let observed = get_trace(&single, &(Some(0.5),), &mut rng).unwrap();
    assert!(observed.get("y").unwrap().is_observed);
    assert_eq!(observed.real("y").unwrap(), 0.5);
    assert!(
        get_trace(&single, &(None,), &mut rng)
            .unwrap()
            .get("y")
            .unwrap()
            .is_latent()
    );
}

#[test]
fn a_deterministic_site_has_no_density_and_is_never_an_observation() {
    let x = [0.0, 1.0];
    let y = [0.3, 0.7];
    let trace = get_trace(
        &regression,
        &(&x[..], Some(&y[..])),
        &mut SmallRng::seed_from_u64(0),
    )
    .unwrap();
    let mean = trace.get("mean").unwrap();
    assert_eq!(mean.kind, SiteKind::Deterministic);
    assert!(!mean.is_observed && !mean.is_latent());
    assert_eq!(mean.weighted_log_prob().value(), 0.0);
    let (a, b) = (trace.real("a").unwrap(), trace.real("b").unwrap());
    assert_eq!(mean.value.real_values().unwrap(), [a, a + b]);
    let sample_sites: f64 = ["a", "b", "y"]
        .iter()
        .map(|n| trace.get(n).unwrap().weighted_log_prob().value())
        .sum();
    assert_eq!(trace.log_joint().value(), sample_sites);
    assert!(trace.observed_sites().all(|s| s.name != "mean"));
}

#[test]
fn giving_a_deterministic_site_a_value_is_an_error_naming_it() {
    let x = [0.0, 1.0];
    let conditioned = condition(regression, data! { "mean" => [1.0, 2.0] });
    let err = get_trace(
        &conditioned,
        &(&x[..], None),
        &mut SmallRng::seed_from_u64(0),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`mean` is a deterministic site"), "{err}");
    let substituted = substitute(regression, data! { "mean" => [1.0, 2.0] });
    let err = get_trace(
        &substituted,
        &(&x[..], None),
        &mut SmallRng::seed_from_u64(0),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("substitute") && err.contains("`mean`"),
        "{err}"
    );
}

#[test]
fn predictive_recomputes_deterministic_sites_and_returns_them() {
    let x = [0.0, 1.0, 2.0];
    let y = [0.1, 0.9, 2.2];
    let posterior = Mcmc::new(Nuts::new(regression))
        .warmup(300)
        .samples(200)
        .chains(2)
        .seed(1)
        .progress(false)
        .run(&(&x[..], Some(&y[..])))
        .unwrap();
    // The posterior has the deterministic site, recomputed at each draw.
    check_means(&posterior, &x);
    // Predictions at new inputs: `mean` is recomputed there, not copied from the posterior.
    let x_new = [3.0, 4.0, 5.0];
    let predicted = Predictive::new(regression)
        .seed(2)
        .posterior(&(&x_new[..], None), &posterior)
        .unwrap();
    assert_eq!(predicted.samples.num_chains(), 2);
    assert_eq!(predicted.samples.num_draws(), 200);
    check_means(&predicted.samples, &x_new);
    let draws = predicted.samples.site("y").unwrap();
    assert_eq!(draws.dim, 3);
}

/// Every draw's `mean` equals `a + b x` at that draw's `a` and `b`.
fn check_means(samples: &Samples, x: &[f64]) {
    let a = samples.values("a").unwrap();
    let b = samples.values("b").unwrap();
    let mean = samples.site("mean").unwrap();
    assert_eq!(mean.dim, x.len());
    for (k, xk) in x.iter().enumerate() {
        let column = mean.element(k).unwrap().concat();
        for i in 0..a.len() {
            assert!((column[i] - (a[i] + b[i] * xk)).abs() < 1e-12);
        }
    }
}

#[test]
fn importance_keeps_deterministic_sites() {
    let flips_a = [true, true, false];
    let flips_b = [false, false];
    let result = Importance::new(two_coins)
        .num_samples(50)
        .seed(0)
        .run(&(&flips_a[..], &flips_b[..]))
        .unwrap();
    let real = |site: &str, i: usize| result.value(site, i).unwrap().as_f64().unwrap();
    for i in 0..50 {
        assert!((real("difference", i) - (real("a/p", i) - real("b/p", i))).abs() < 1e-12);
    }
}

/// Tempering as a user-written handler: observed sites count `beta` times.
struct Temper(f64);
struct TemperHandler(f64);

impl<S: Scalar> Handler<S> for TemperHandler {
    fn process(&mut self, site: &mut Site<'_, S>) -> smallx::Result<()> {
        if site.is_observed {
            site.scale *= self.0;
        }
        Ok(())
    }
}

impl Effect for Temper {
    type Handler<'e, S: Scalar> = TemperHandler;
    fn check(&self) -> smallx::Result<()> {
        if self.0 > 0.0 && self.0 <= 1.0 {
            return Ok(());
        }
        Err(smallx::Error::Handler {
            handler: "temper",
            detail: format!("beta must lie in (0, 1], got {}", self.0),
        })
    }
    fn handler<S: Scalar>(&self) -> TemperHandler {
        TemperHandler(self.0)
    }
}

/// Counts the observed sites of a run; a run without one is an error (a `finish` report).
struct RequireData;
struct CountObserved(usize);

impl<S: Scalar> Handler<S> for CountObserved {
    fn process(&mut self, site: &mut Site<'_, S>) -> smallx::Result<()> {
        self.0 += usize::from(site.is_observed);
        Ok(())
    }
}

impl Effect for RequireData {
    type Handler<'e, S: Scalar> = CountObserved;
    fn handler<S: Scalar>(&self) -> CountObserved {
        CountObserved(0)
    }
    fn finish<S: Scalar>(&self, handler: CountObserved) -> smallx::Result<()> {
        if handler.0 > 0 {
            return Ok(());
        }
        Err(smallx::Error::Handler {
            handler: "require_data",
            detail: "the run observed nothing".into(),
        })
    }
}

#[test]
fn a_user_effect_checks_its_options_before_the_run_and_reports_after_it() {
    let flips = [true, false, true];
    let mut rng = SmallRng::seed_from_u64(0);
    let err = get_trace(&handle(coin, Temper(1.5)), &(&flips[..],), &mut rng).unwrap_err();
    assert!(
        err.to_string().contains("beta must lie in (0, 1], got 1.5"),
        "{err}"
    );
    assert!(get_trace(&handle(coin, RequireData), &(&flips[..],), &mut rng).is_ok());
    let err = get_trace(&handle(coin, RequireData), &(&[][..],), &mut rng).unwrap_err();
    assert!(
        err.to_string().contains("the run observed nothing"),
        "{err}"
    );
}

#[test]
fn a_user_written_handler_wraps_a_model_and_composes_with_the_built_in_ones() {
    let flips = [true, false, true];
    let args = (&flips[..],);
    let tempered = condition(handle(coin, Temper(0.5)), data! { "p" => 0.25 });
    let trace = get_trace(&tempered, &args, &mut SmallRng::seed_from_u64(0)).unwrap();
    let plain = get_trace(
        &condition(coin, data! { "p" => 0.25 }),
        &args,
        &mut SmallRng::seed_from_u64(0),
    )
    .unwrap();
    let likelihood = |t: &Trace<f64, Real<f64>>| -> f64 {
        (0..3)
            .map(|i| {
                t.get(&format!("flip{i}"))
                    .unwrap()
                    .weighted_log_prob()
                    .value()
            })
            .sum()
    };
    assert!((likelihood(&trace) - 0.5 * likelihood(&plain)).abs() < 1e-12);
    assert_eq!(
        trace.get("p").unwrap().weighted_log_prob().value(),
        plain.get("p").unwrap().weighted_log_prob().value()
    );
}
