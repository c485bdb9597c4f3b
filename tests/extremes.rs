//! Hostile but valid inputs: draws from extreme parameters (tiny concentrations, tiny degrees
//! of freedom, huge rates), non-finite observed data, the reproducibility of `seed(block(m))`,
//! and what importance sampling keeps.
//!
//! Statistical checks use fixed seeds and tolerances of 5 Monte Carlo standard errors.

use smallx::dist::Distribution;
use smallx::infer::Importance;
use smallx::prelude::*;
use smallx::{DistError, Error};
use statrs::function::beta::{beta_reg, ln_beta};
use statrs::function::gamma::{digamma, gamma_lr, ln_gamma};

const N: usize = 100_000;

fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

/// `ψ'(x)`: the recurrence up to 10, then the asymptotic series.
fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = x * x;
    acc + 1.0 / x + 1.0 / (2.0 * x2) + 1.0 / (6.0 * x2 * x) - 1.0 / (30.0 * x2 * x2 * x)
        + 1.0 / (42.0 * x2 * x2 * x2 * x)
}

/// The fraction of `xs` satisfying `pred`, checked against probability `p` within 5 binomial
/// standard errors.
fn check_fraction(what: &str, xs: &[f64], pred: impl Fn(f64) -> bool, p: f64) {
    let n = xs.len() as f64;
    let got = xs.iter().filter(|&&x| pred(x)).count() as f64 / n;
    let se = (p * (1.0 - p) / n).sqrt().max(1.0 / n);
    assert!(
        (got - p).abs() < 5.0 * se,
        "{what}: fraction {got}, expected {p} (5 SE = {})",
        5.0 * se
    );
}

#[test]
fn gamma_with_a_small_shape_has_the_right_log_moments() {
    // a = 0.01: E[ln X] = ψ(a) − ln b, Var[ln X] = ψ'(a) (sd 100). Fewer than 0.1% of the
    // draws fall below the smallest normal f64 (and are clamped there), which moves the mean
    // by under 0.1, a third of a standard error.
    let (a, b) = (0.01, 2.0);
    let d = Gamma::new(a, b).unwrap();
    let mut r = rng(1);
    let ln_x: Vec<f64> = (0..N)
        .map(|_| Distribution::<f64>::sample(&d, &mut r).value().ln())
        .collect();
    assert!(ln_x.iter().all(|l| l.is_finite()));
    let mean = ln_x.iter().sum::<f64>() / N as f64;
    let se = (trigamma(a) / N as f64).sqrt();
    let expected = digamma(a) - b.ln();
    assert!(
        (mean - expected).abs() < 5.0 * se,
        "E[ln X] = {mean}, expected {expected} ± {}",
        5.0 * se
    );
}

#[test]
fn gamma_with_a_tiny_shape_draws_positive_numbers_with_the_right_distribution() {
    // Gamma(1e-3, 1): about half the draws lie below the smallest normal f64. Those are
    // clamped to it (the draw is in (0, ∞), and its log-density finite), the others follow
    // the distribution: the empirical cdf of ln X matches P(a, e^q) at points across the range.
    let a = 1e-3;
    let d = Gamma::new(a, 1.0).unwrap();
    let mut r = rng(2);
    let xs: Vec<f64> = (0..N)
        .map(|_| Distribution::<f64>::sample(&d, &mut r).value())
        .collect();
    assert!(xs.iter().all(|&x| x > 0.0 && x.is_finite()));
    assert!(xs.iter().all(|&x| {
        Distribution::<f64>::log_prob(&d, &Real(x))
            .value()
            .is_finite()
    }));
    check_fraction(
        "clamped",
        &xs,
        |x| x == f64::MIN_POSITIVE,
        gamma_lr(a, f64::MIN_POSITIVE),
    );
    for q in [-600.0, -300.0, -30.0, -1.0, 0.5] {
        check_fraction(
            &format!("ln X <= {q}"),
            &xs,
            |x| x.ln() <= q,
            gamma_lr(a, f64::exp(q)),
        );
    }
    // A tiny rate whose draws exceed f64::MAX is reported at the site, not returned as inf.
    #[model]
    fn wide() -> Real {
        sample!("g", Gamma::new(1.0, 1e-310))
    }
    let err = get_trace(&wide, &(), &mut rng(3)).unwrap_err();
    assert!(
        matches!(&err, Error::NonFinite { site, .. } if site == "g"),
        "{err}"
    );
}

/// The cdf of Beta(a, b) at `x`, from statrs's regularised incomplete beta function, or from
/// its first term `x^a (1 − x)^b / (a B(a, b))` when `x` is so small that the series is exact.
fn beta_cdf(a: f64, b: f64, x: f64) -> f64 {
    if x < 1e-30 {
        (a * x.ln() - a.ln() - ln_beta(a, b)).exp()
    } else {
        beta_reg(a, b, x)
    }
}

#[test]
fn beta_and_dirichlet_with_tiny_concentrations_draw_inside_the_unit_interval() {
    // Beta(1e-3, 1e-3) puts half its mass just above 0 and half just below 1, most of it
    // closer than f64 can tell: draws are normalised in log space and kept in (0, 1).
    let a = 1e-3;
    let beta = Beta::new(a, a).unwrap();
    let dirichlet = Dirichlet::from_f64(&[a, a]).unwrap();
    let mut r = rng(4);
    let xs: Vec<f64> = (0..N)
        .map(|_| Distribution::<f64>::sample(&beta, &mut r).value())
        .collect();
    let ys: Vec<DVector<Real>> = (0..N)
        .map(|_| Distribution::<f64>::sample(&dirichlet, &mut r))
        .collect();
    assert!(xs.iter().all(|&x| x > 0.0 && x < 1.0));
    assert!(xs.iter().all(|&x| {
        Distribution::<f64>::log_prob(&beta, &Real(x))
            .value()
            .is_finite()
    }));
    for y in &ys {
        assert!(y.iter().all(|v| v.value() > 0.0 && v.value() < 1.0), "{y}");
        assert!(
            Distribution::<f64>::log_prob(&dirichlet, y)
                .value()
                .is_finite(),
            "{y}"
        );
    }
    let y0: Vec<f64> = ys.iter().map(|y| y[0].value()).collect();
    for (what, draws) in [("Beta", &xs), ("Dirichlet", &y0)] {
        for x in [1e-200, 1e-50, 1e-5, 0.5] {
            check_fraction(
                &format!("{what}: X <= {x}"),
                draws,
                |v| v <= x,
                beta_cdf(a, a, x),
            );
        }
    }
}

#[model]
fn heavy(df: f64) -> Real {
    sample!("t", StudentT::new(df, 0.0, 1.0))
}

#[test]
fn student_t_with_a_tiny_df_draws_finite_values_or_says_the_draw_is_too_large() {
    // With df = 1e-3, |T| > f64::MAX with probability I_{ν/t²}(ν/2, 1/2) ≈ 0.49: such a draw
    // is an error naming the site; the others are finite with a finite log-density.
    let nu: f64 = 1e-3;
    let n = 20_000;
    let mut r = rng(5);
    let (mut too_large, mut negative, mut finite) = (0usize, 0usize, 0usize);
    for _ in 0..n {
        match get_trace(&heavy, &(nu,), &mut r) {
            Ok(t) => {
                let x = t.real("t").unwrap();
                assert!(x.is_finite());
                assert!(t.log_joint().value().is_finite(), "{x}");
                finite += 1;
                negative += usize::from(x < 0.0);
            }
            Err(Error::NonFinite { site, .. }) if site == "t" => too_large += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    // ln x of ν/(ν + t²) at t = f64::MAX; the first term of the series is exact here.
    let a = 0.5 * nu;
    let ln_x = nu.ln() - 2.0 * f64::MAX.ln();
    let p = (a * ln_x - a.ln() - ln_beta(a, 0.5)).exp();
    let fractions: Vec<f64> = std::iter::repeat_n(1.0, too_large)
        .chain(std::iter::repeat_n(0.0, n - too_large))
        .collect();
    check_fraction("|T| > f64::MAX", &fractions, |v| v == 1.0, p);
    let signs: Vec<f64> = std::iter::repeat_n(1.0, negative)
        .chain(std::iter::repeat_n(0.0, finite - negative))
        .collect();
    check_fraction("T < 0 among finite draws", &signs, |v| v == 1.0, 0.5);
}

#[test]
fn poisson_with_a_huge_rate_draws_near_it_or_refuses_naming_the_rate() {
    #[model]
    fn counts(rate: f64) -> i64 {
        sample!("k", Poisson::new(rate))
    }
    // 1e15: draws within a few √rate of the rate (sd 3.2e7); the mean of 2000 draws within
    // 5 SE.
    let rate = 1e15;
    let mut r = rng(6);
    let n = 2000;
    let mean = (0..n)
        .map(|_| {
            let t = get_trace(&counts, &(rate,), &mut r).unwrap();
            match t.value("k").unwrap() {
                Value::Int(k) => *k as f64,
                other => panic!("{other}"),
            }
        })
        .sum::<f64>()
        / n as f64;
    assert!(
        (mean - rate).abs() < 5.0 * (rate / n as f64).sqrt(),
        "{mean}"
    );
    // 1e20: counts beyond i64; an error naming the site and the parameter.
    let err = get_trace(&counts, &(1e20,), &mut r).unwrap_err();
    match &err {
        Error::InvalidDistribution {
            site,
            source: DistError::OutOfRange { param, .. },
            ..
        } => {
            assert_eq!(site, "k");
            assert_eq!(*param, "rate");
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("rate"), "{err}");
    // The log-density of an observed count at such a rate is still fine.
    let lp = Distribution::<f64>::log_prob(&Poisson::new(1e20).unwrap(), &100);
    assert!(lp.value().is_finite());
    let _ = ln_gamma(1.0);
}

#[model]
fn measured(y: &[f64]) {
    let mu = sample!("mu", Normal::new(0.0, 1.0));
    observe!("y", Normal::new(mu, 1.0).iid(y.len()), y);
}

#[model]
fn one(y: f64) {
    let mu = sample!("mu", Normal::new(0.0, 1.0));
    sample!("y", Normal::new(mu, 1.0), obs = y);
}

#[test]
fn non_finite_observed_data_is_an_error_naming_the_site_and_the_index() {
    let y = [0.5, 1.0, 2.0, f64::NAN, f64::INFINITY];
    let err = get_trace(&measured, &(&y[..],), &mut rng(0)).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, Error::InvalidSite { site, .. } if site == "y"),
        "{msg}"
    );
    assert!(msg.contains("NaN at index 3"), "{msg}");
    assert!(msg.contains("validate_data"), "{msg}");
    let err = get_trace(&one, &(f64::NEG_INFINITY,), &mut rng(0)).unwrap_err();
    assert!(err.to_string().contains("-inf"), "{err}");
    // Conditioned data is checked the same way.
    #[model]
    fn latent_y() -> Real {
        let mu = sample!("mu", Normal::new(0.0, 1.0));
        sample!("y", Normal::new(mu, 1.0))
    }
    let err = get_trace(
        &condition(latent_y, data! { "y" => f64::INFINITY }),
        &(),
        &mut rng(0),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidSite { site, .. } if site == "y"),
        "{err}"
    );
    // Inference reports it too, before anything else.
    let err = Importance::new(&measured)
        .num_samples(10)
        .progress(false)
        .run(&(&y[..],))
        .unwrap_err();
    assert!(err.to_string().contains("site `y`"), "{err}");
    // The switch turns the check off: the log-density is then NaN, as the data say.
    let t = get_trace(&validate_data(measured, false), &(&y[..],), &mut rng(0)).unwrap();
    assert!(t.log_joint().value().is_nan());
    // Finite data pass.
    assert!(get_trace(&measured, &(&y[..3],), &mut rng(0)).is_ok());
}

#[model]
fn two_draws() -> (Real, Real) {
    let a = sample!("a", Normal::new(0.0, 1.0));
    let b = sample!("b", Normal::new(a, 1.0));
    (a, b)
}

#[test]
fn seed_reaches_sites_that_a_block_hides() {
    let model = seed(block_all(two_draws), 7);
    let run = |caller: u64| {
        let t = get_trace(&model, &(), &mut rng(caller)).unwrap();
        let (a, b) = *t.ret();
        (a.value(), b.value())
    };
    let first = run(1);
    assert_eq!(first, run(2));
    assert_eq!(first, run(1));
    // Another seed gives other draws; a partial block is seeded too.
    let other = get_trace(&seed(block_all(two_draws), 8), &(), &mut rng(1)).unwrap();
    assert_ne!(other.ret().0.value(), first.0);
    let partial = seed(block_names(two_draws, &["b"]), 7);
    let t1 = get_trace(&partial, &(), &mut rng(1)).unwrap();
    let t2 = get_trace(&partial, &(), &mut rng(2)).unwrap();
    assert_eq!(t1.ret().1.value(), t2.ret().1.value());
    assert_eq!(t1.real("a").unwrap(), t2.real("a").unwrap());
    assert!(!t1.contains("b"));
}

#[test]
fn importance_keeps_latent_values_and_weights_not_the_observed_data() {
    let y: Vec<f64> = (0..50).map(|i| 1.0 + 0.01 * i as f64).collect();
    let result = Importance::new(&measured)
        .num_samples(200)
        .seed(3)
        .progress(false)
        .run(&(&y[..],))
        .unwrap();
    assert_eq!(result.sites(), ["mu"]);
    assert!(result.value("mu", 0).is_some());
    assert!(result.value("y", 0).is_none());
    assert_eq!(result.len(), 200);
    let m = result.marginal("mu").unwrap();
    assert!(m.mean().is_finite());
    assert!(result.marginal("y").is_err());
}

#[test]
fn beta_binomial_with_tiny_concentrations_puts_its_mass_at_both_ends() {
    // BetaBinomial(1e-3, 1e-3, 10): the success probability is a Beta(1e-3, 1e-3) draw, so
    // counts are 0 or 10 about half the time each; the frequencies match the pmf within 5 SE.
    let d = BetaBinomial::new(1e-3, 1e-3, 10).unwrap();
    let mut r = rng(7);
    let ks: Vec<f64> = (0..N)
        .map(|_| Distribution::<f64>::sample(&d, &mut r) as f64)
        .collect();
    for k in [0, 10] {
        let p = Distribution::<f64>::log_prob(&d, &k).value().exp();
        check_fraction(&format!("k = {k}"), &ks, |x| x == k as f64, p);
    }
}

#[test]
fn a_prior_draw_beyond_f64_is_redrawn_when_inference_discovers_the_model() {
    // About half the draws of StudentT(1e-3) are beyond f64::MAX; discovery redraws them (as
    // it redraws a parameter out of range) instead of stopping.
    for seed in 0..20 {
        let found = smallx::infer::Potential::discover(&heavy, &(1e-3,), &mut rng(seed));
        assert!(found.is_ok(), "seed {seed}: {:?}", found.err());
    }
}
