//! The count and ordinal families: `log_prob` against statrs where it has the family (minding
//! its parameter and support conventions) and against an independent closed form where it
//! does not, pmfs summing to 1, moments of 100 000 draws, constructor errors, and one
//! posterior computed by NUTS against its conjugate closed form.
//!
//! Log densities agree to 1e-10 relative (absolute below magnitude 1); pmfs sum to 1 within
//! 1e-9 over a range whose tail beyond is below 1e-12. Moments agree within 5 standard
//! errors: `sd/√n` for the mean and `√((m₄ − s⁴)/n)` for the variance, with the fourth
//! central moment `m₄` estimated from the same draws. Seeds are fixed, so every test is
//! deterministic; at 5 standard errors a correct sampler fails a check with probability
//! below 1e-6.
//!
//! Derivatives of every family's log_prob with respect to every real parameter are checked in
//! tests/gradients.rs (forward mode against central differences) and tests/reverse_mode.rs
//! (reverse mode against forward mode and central differences).

use smallx::DistError;
use smallx::dist::Distribution;
use smallx::infer::diagnostics::ess_bulk;
use smallx::infer::{Mcmc, Nuts, Samples};
use smallx::prelude::*;
use smallx::scalar::sigmoid_f64;
use statrs::distribution::Discrete;

const N: usize = 100_000;

fn close(ours: f64, reference: f64, what: &str) {
    let tol = 1e-10 * reference.abs().max(1.0);
    assert!(
        (ours - reference).abs() <= tol,
        "{what}: smallx {ours} vs reference {reference}"
    );
}

/// Sample mean and variance against the analytic moments, within 5 standard errors.
fn check_moments(name: &str, draws: &[f64], mean: f64, var: f64) {
    let n = draws.len() as f64;
    let m = draws.iter().sum::<f64>() / n;
    let s2 = draws.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = draws.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
    let se_mean = (s2 / n).sqrt();
    let se_var = ((m4 - s2 * s2).max(0.0) / n).sqrt();
    assert!(
        (m - mean).abs() <= 5.0 * se_mean,
        "{name}: sample mean {m} vs {mean} (se {se_mean})"
    );
    assert!(
        (s2 - var).abs() <= 5.0 * se_var,
        "{name}: sample variance {s2} vs {var} (se {se_var})"
    );
}

fn moments_of<D: Distribution<f64>>(d: &D) -> (f64, f64) {
    (
        d.mean().unwrap().as_f64().unwrap(),
        d.variance().unwrap().as_f64().unwrap(),
    )
}

/// 100 000 draws of an integer-valued family against its mean and variance.
fn check_sampler<D: Distribution<f64>>(d: &D, seed: u64, to_f64: impl Fn(D::Value) -> f64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let xs: Vec<f64> = (0..N).map(|_| to_f64(d.sample(&mut rng))).collect();
    let (mean, var) = moments_of(d);
    check_moments(d.name(), &xs, mean, var);
}

/// `Σₖ P(k)` over `0..=max` is 1 within 1e-9, and the mean and variance of the pmf match
/// the family's own `mean` and `variance` (1e-8 relative): a check of the moment formulas
/// independent of sampling.
fn check_pmf<D: Distribution<f64, Value = i64>>(d: &D, max: i64) {
    let probs: Vec<f64> = (0..=max).map(|k| d.log_prob(&k).value().exp()).collect();
    let total: f64 = probs.iter().sum();
    assert!(
        (total - 1.0).abs() < 1e-9,
        "{}: pmf sums to {total}",
        d.name()
    );
    let m: f64 = probs.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
    let m2: f64 = probs
        .iter()
        .enumerate()
        .map(|(k, p)| (k * k) as f64 * p)
        .sum();
    let (mean, var) = moments_of(d);
    assert!(
        (m - mean).abs() < 1e-8 * mean.max(1.0),
        "{}: mean",
        d.name()
    );
    assert!(
        (m2 - m * m - var).abs() < 1e-8 * var.max(1.0),
        "{}: variance",
        d.name()
    );
    for k in [-1, -7, i64::MIN] {
        assert_eq!(
            d.log_prob(&k).value(),
            f64::NEG_INFINITY,
            "{} at {k}",
            d.name()
        );
    }
}

fn as_f64(k: i64) -> f64 {
    k as f64
}

#[test]
fn negative_binomial_by_probs_matches_statrs() {
    // statrs counts failures before r successes with success probability p; smallx (Pyro's
    // convention) counts successes before r failures, so statrs's p is 1 − probs.
    for (r, p) in [(3.0, 0.25), (0.7, 0.6), (12.5, 0.05)] {
        let d = NegativeBinomial::<f64>::new(r, p).unwrap();
        let reference = statrs::distribution::NegativeBinomial::new(r, 1.0 - p).unwrap();
        for k in 0..40 {
            close(
                d.log_prob(&k).value(),
                reference.ln_pmf(k as u64),
                &format!("NegativeBinomial({r}, {p}) at {k}"),
            );
        }
        check_pmf(&d, 400);
    }
    check_sampler(&NegativeBinomial::<f64>::new(3.0, 0.25).unwrap(), 1, as_f64);
    check_sampler(&NegativeBinomial::<f64>::new(0.7, 0.6).unwrap(), 2, as_f64);
    // probs = 0 is a point mass at 0.
    let d = NegativeBinomial::<f64>::new(2.0, 0.0).unwrap();
    assert_eq!(d.log_prob(&0).value(), 0.0);
    assert_eq!(d.log_prob(&1).value(), f64::NEG_INFINITY);
}

#[test]
fn negative_binomial_by_logits_and_by_mean_agree_with_probs() {
    for (r, logit) in [(3.0, -1.1), (0.7, 0.4), (12.5, 2.5)] {
        let p = sigmoid_f64(logit);
        let by_logits = NegativeBinomial::<f64>::from_logits(r, logit).unwrap();
        let by_probs = NegativeBinomial::<f64>::new(r, p).unwrap();
        let mean = r * p / (1.0 - p);
        let by_mean = NegativeBinomial::<f64>::from_mean(mean, r).unwrap();
        // NumPyro's NegativeBinomial2(mean, concentration) has p = mean / (mean + r).
        let reference = statrs::distribution::NegativeBinomial::new(r, r / (mean + r)).unwrap();
        for k in 0..40 {
            let lp = reference.ln_pmf(k as u64);
            close(by_logits.log_prob(&k).value(), lp, "from_logits");
            close(by_probs.log_prob(&k).value(), lp, "new");
            close(by_mean.log_prob(&k).value(), lp, "from_mean");
        }
        for d in [&by_logits, &by_mean] {
            let (m, v) = moments_of(d);
            close(m, mean, "mean");
            close(
                v,
                mean + mean * mean / r,
                "variance = mean + mean²/concentration",
            );
            close(d.probs().value(), p, "probs");
        }
        check_pmf(&by_logits, 2000);
        check_pmf(&by_mean, 2000);
    }
    check_sampler(
        &NegativeBinomial::<f64>::from_logits(3.0, -1.1).unwrap(),
        3,
        as_f64,
    );
    check_sampler(
        &NegativeBinomial::<f64>::from_mean(4.0, 2.0).unwrap(),
        4,
        as_f64,
    );
}

#[test]
fn gamma_poisson_is_a_negative_binomial() {
    // Γ(k + α)/(Γ(α) k!) βᵅ/(1 + β)^(k + α): statrs's NegativeBinomial(α, β/(1 + β)).
    for (a, b) in [(2.0, 0.5), (0.3, 3.0), (25.0, 4.0)] {
        let d = GammaPoisson::<f64>::new(a, b).unwrap();
        let reference = statrs::distribution::NegativeBinomial::new(a, b / (1.0 + b)).unwrap();
        for k in 0..40 {
            close(
                d.log_prob(&k).value(),
                reference.ln_pmf(k as u64),
                &format!("GammaPoisson({a}, {b}) at {k}"),
            );
        }
        check_pmf(&d, 400);
    }
    check_sampler(&GammaPoisson::<f64>::new(2.0, 0.5).unwrap(), 5, as_f64);
    check_sampler(&GammaPoisson::<f64>::new(0.3, 3.0).unwrap(), 6, as_f64);
}

#[test]
fn geometric_counts_failures_before_the_first_success() {
    // statrs's Geometric counts trials up to and including the first success (support 1, 2,
    // ...), so smallx's k is statrs's k + 1.
    for p in [0.25, 0.9, 0.02] {
        let d = Geometric::<f64>::new(p).unwrap();
        let reference = statrs::distribution::Geometric::new(p).unwrap();
        for k in 0..60 {
            close(
                d.log_prob(&k).value(),
                reference.ln_pmf(k as u64 + 1),
                &format!("Geometric({p}) at {k}"),
            );
        }
        check_pmf(&d, 2500);
    }
    let sure = Geometric::<f64>::new(1.0).unwrap();
    assert_eq!(sure.log_prob(&0).value(), 0.0);
    assert_eq!(sure.log_prob(&3).value(), f64::NEG_INFINITY);
    check_sampler(&Geometric::<f64>::new(0.25).unwrap(), 7, as_f64);
    check_sampler(&Geometric::<f64>::new(0.9).unwrap(), 8, as_f64);
}

#[test]
fn zero_inflated_poisson() {
    for (gate, rate) in [(0.3, 2.0), (0.0, 4.5), (0.95, 0.2)] {
        let d = ZeroInflatedPoisson::<f64>::new(gate, rate).unwrap();
        let poisson = statrs::distribution::Poisson::new(rate).unwrap();
        close(
            d.log_prob(&0).value(),
            (gate + (1.0 - gate) * poisson.pmf(0)).ln(),
            "ZeroInflatedPoisson at 0",
        );
        for k in 1..30 {
            close(
                d.log_prob(&k).value(),
                (1.0 - gate).ln() + poisson.ln_pmf(k as u64),
                &format!("ZeroInflatedPoisson({gate}, {rate}) at {k}"),
            );
        }
        check_pmf(&d, 100);
    }
    // A large rate: P(0) = gate + (1 − gate) e^(−rate) without underflow.
    let d = ZeroInflatedPoisson::<f64>::new(0.0, 800.0).unwrap();
    close(
        d.log_prob(&0).value(),
        -800.0,
        "ZeroInflatedPoisson(0, 800) at 0",
    );
    let d = ZeroInflatedPoisson::<f64>::new(1e-300, 800.0).unwrap();
    close(
        d.log_prob(&0).value(),
        (1e-300f64).ln(),
        "ZeroInflatedPoisson(1e-300, 800) at 0",
    );
    let all_zero = ZeroInflatedPoisson::<f64>::new(1.0, 3.0).unwrap();
    assert_eq!(all_zero.log_prob(&0).value(), 0.0);
    assert_eq!(all_zero.log_prob(&2).value(), f64::NEG_INFINITY);
    check_sampler(
        &ZeroInflatedPoisson::<f64>::new(0.3, 2.0).unwrap(),
        9,
        as_f64,
    );
    check_sampler(
        &ZeroInflatedPoisson::<f64>::new(0.8, 6.0).unwrap(),
        10,
        as_f64,
    );
}

/// The beta-binomial pmf by the ratio of consecutive terms, independent of ln Γ:
/// `P(0) = Πⱼ (β + j)/(α + β + j)` over `j < n`, and
/// `P(k + 1)/P(k) = (n − k)(k + α) / ((k + 1)(n − k − 1 + β))`.
fn beta_binomial_pmf(a: f64, b: f64, n: u64) -> Vec<f64> {
    let mut p0 = 1.0;
    for j in 0..n {
        p0 *= (b + j as f64) / (a + b + j as f64);
    }
    let mut out = vec![p0];
    for k in 0..n {
        let k = k as f64;
        let nf = n as f64;
        let last = *out.last().unwrap();
        out.push(last * (nf - k) * (k + a) / ((k + 1.0) * (nf - k - 1.0 + b)));
    }
    out
}

#[test]
fn beta_binomial_against_its_product_form() {
    for (a, b, n) in [(2.0, 3.0, 10), (0.4, 0.7, 25), (1.0, 1.0, 4), (6.5, 0.9, 1)] {
        let d = BetaBinomial::<f64>::new(a, b, n).unwrap();
        for (k, p) in beta_binomial_pmf(a, b, n).into_iter().enumerate() {
            close(
                d.log_prob(&(k as i64)).value(),
                p.ln(),
                &format!("BetaBinomial({a}, {b}, {n}) at {k}"),
            );
        }
        check_pmf(&d, n as i64);
        assert_eq!(d.log_prob(&(n as i64 + 1)).value(), f64::NEG_INFINITY);
        assert_eq!(d.support(), Constraint::IntegerInterval(0, n as i64));
    }
    // α = β = 1: uniform over 0..=n.
    close(
        BetaBinomial::<f64>::new(1.0, 1.0, 9)
            .unwrap()
            .log_prob(&4)
            .value(),
        -(10.0f64.ln()),
        "uniform",
    );
    check_sampler(&BetaBinomial::<f64>::new(2.0, 3.0, 10).unwrap(), 11, as_f64);
    check_sampler(&BetaBinomial::<f64>::new(0.4, 0.7, 25).unwrap(), 12, as_f64);
}

#[test]
fn multinomial_matches_statrs_and_rejects_impossible_counts() {
    let probs = [0.2, 0.5, 0.3];
    let d = Multinomial::<f64>::from_probs(6, &probs).unwrap();
    let reference = statrs::distribution::Multinomial::new(probs.to_vec(), 6).unwrap();
    let mut total = 0.0;
    for a in 0..=6_i64 {
        for b in 0..=6 - a {
            let x = vec![a, b, 6 - a - b];
            let counts =
                smallx::nalgebra::DVector::from_vec(vec![a as u64, b as u64, (6 - a - b) as u64]);
            let lp = d.log_prob(&x).value();
            close(
                lp,
                reference.ln_pmf(&counts),
                &format!("Multinomial at {x:?}"),
            );
            total += lp.exp();
        }
    }
    assert!(
        (total - 1.0).abs() < 1e-9,
        "Multinomial pmf sums to {total}"
    );
    // Wrong length, negative counts and the wrong total are impossible, not panics.
    for x in [
        vec![],
        vec![3, 3],
        vec![1, 2, 3, 0],
        vec![7, -1, 0],
        vec![1, 1, 1],
        vec![i64::MAX, i64::MAX, 2],
    ] {
        assert_eq!(d.log_prob(&x).value(), f64::NEG_INFINITY, "{x:?}");
    }
    // A zero probability allows only zero counts in its category.
    let z = Multinomial::<f64>::from_probs(2, &[0.0, 1.0]).unwrap();
    assert_eq!(z.log_prob(&vec![0, 2]).value(), 0.0);
    assert_eq!(z.log_prob(&vec![1, 1]).value(), f64::NEG_INFINITY);
    assert_eq!(d.value_kind(), smallx::ValueKind::IntVec(3));

    // Moments of each component, and every draw sums to total_count.
    let d = Multinomial::<f64>::from_probs(20, &[0.1, 0.45, 0.05, 0.4]).unwrap();
    let mut rng = SmallRng::seed_from_u64(13);
    let xs: Vec<Vec<i64>> = (0..N).map(|_| d.sample(&mut rng)).collect();
    assert!(
        xs.iter()
            .all(|x| x.len() == 4 && x.iter().sum::<i64>() == 20 && x.iter().all(|&k| k >= 0))
    );
    let (Some(Value::RealVec(mean)), Some(Value::RealVec(var))) = (d.mean(), d.variance()) else {
        panic!("Multinomial moments are vectors");
    };
    for j in 0..4 {
        let column: Vec<f64> = xs.iter().map(|x| x[j] as f64).collect();
        check_moments(
            &format!("Multinomial[{j}]"),
            &column,
            mean[j].value(),
            var[j].value(),
        );
    }
}

#[test]
fn ordered_logistic_against_differences_of_logistic_functions() {
    let cut = [-1.5, 0.2, 0.9, 3.0];
    for eta in [-2.0, 0.0, 0.7, 4.0, -30.0, 30.0] {
        let d = OrderedLogistic::<f64>::from_f64(eta, &cut).unwrap();
        assert_eq!(d.num_categories(), 5);
        // P(y ≤ k) = σ(c_k − η), so P(y = k) is the difference of consecutive cdf values.
        let cdf = |k: usize| {
            if k < cut.len() {
                sigmoid_f64(cut[k] - eta)
            } else {
                1.0
            }
        };
        let mut total = 0.0;
        for k in 0..=cut.len() {
            let p = cdf(k) - if k == 0 { 0.0 } else { cdf(k - 1) };
            let lp = d.log_prob(&k).value();
            // The naive difference loses relative accuracy when both cdf values are near 1;
            // compare probabilities to 1e-12 absolute, and log-probabilities where p is not
            // tiny.
            assert!(
                (lp.exp() - p).abs() < 1e-12,
                "eta {eta}, k {k}: {} vs {p}",
                lp.exp()
            );
            if p > 1e-6 {
                close(lp, p.ln(), &format!("OrderedLogistic(η = {eta}) at {k}"));
            }
            total += lp.exp();
        }
        assert!((total - 1.0).abs() < 1e-12, "sums to {total}");
        assert_eq!(d.log_prob(&5).value(), f64::NEG_INFINITY);
        let m: f64 = (0..=4)
            .map(|k| k as f64 * d.log_prob(&k).value().exp())
            .sum();
        let m2: f64 = (0..=4)
            .map(|k| (k * k) as f64 * d.log_prob(&k).value().exp())
            .sum();
        let (mean, var) = moments_of(&d);
        assert!((mean - m).abs() < 1e-12 && (var - (m2 - m * m)).abs() < 1e-12);
    }
    // Far in the tail the middle categories stay finite and accurate (no cancellation):
    // with η = 40, P(y = 1) = σ(0.2 − 40) − σ(−1.5 − 40) ≈ e^(−39.8) − e^(−41.5).
    let far = OrderedLogistic::<f64>::from_f64(40.0, &cut).unwrap();
    let expected = ((-39.8f64).exp() - (-41.5f64).exp()).ln();
    assert!((far.log_prob(&1).value() - expected).abs() < 1e-9);
    // One cutpoint: a Bernoulli with P(y = 1) = σ(η − c).
    let one = OrderedLogistic::<f64>::from_f64(0.3, &[1.0]).unwrap();
    close(
        one.log_prob(&1).value(),
        sigmoid_f64(-0.7).ln(),
        "one cutpoint",
    );

    let d = OrderedLogistic::<f64>::from_f64(0.7, &cut).unwrap();
    check_sampler(&d, 14, |k| k as f64);
    assert_eq!(d.support(), Constraint::IntegerInterval(0, 4));
}

#[test]
fn constructor_errors_name_the_parameter() {
    fn message<T: std::fmt::Debug>(r: Result<T, DistError>) -> String {
        r.unwrap_err().to_string()
    }
    let nan = f64::NAN;
    assert_eq!(
        message(NegativeBinomial::<f64>::new(0.0, 0.5)),
        "total_count must be positive, got 0"
    );
    assert_eq!(
        message(NegativeBinomial::<f64>::new(2.0, 1.0)),
        "probs must lie in [0, 1), got 1"
    );
    assert_eq!(
        message(NegativeBinomial::<f64>::new(2.0, -0.1)),
        "probs must lie in [0, 1), got -0.1"
    );
    assert_eq!(
        message(NegativeBinomial::<f64>::new(2.0, nan)),
        "probs must lie in [0, 1), got NaN"
    );
    assert_eq!(
        message(NegativeBinomial::<f64>::from_logits(-1.0, 0.5)),
        "total_count must be positive, got -1"
    );
    assert_eq!(
        message(NegativeBinomial::<f64>::from_logits(1.0, f64::INFINITY)),
        "logits must be finite, got inf"
    );
    assert_eq!(
        message(NegativeBinomial::<f64>::from_mean(0.0, 2.0)),
        "mean must be positive, got 0"
    );
    assert_eq!(
        message(NegativeBinomial::<f64>::from_mean(3.0, f64::INFINITY)),
        "concentration must be positive, got inf"
    );
    assert_eq!(
        message(GammaPoisson::<f64>::new(-2.0, 1.0)),
        "concentration must be positive, got -2"
    );
    assert_eq!(
        message(GammaPoisson::<f64>::new(2.0, 0.0)),
        "rate must be positive, got 0"
    );
    assert_eq!(
        message(Geometric::<f64>::new(0.0)),
        "probs must lie in (0, 1], got 0"
    );
    assert_eq!(
        message(Geometric::<f64>::new(1.5)),
        "probs must lie in (0, 1], got 1.5"
    );
    assert_eq!(
        message(ZeroInflatedPoisson::<f64>::new(1.2, 1.0)),
        "gate must lie in [0, 1], got 1.2"
    );
    assert_eq!(
        message(ZeroInflatedPoisson::<f64>::new(0.5, -3.0)),
        "rate must be positive, got -3"
    );
    assert_eq!(
        message(BetaBinomial::<f64>::new(0.0, 1.0, 5)),
        "concentration1 must be positive, got 0"
    );
    assert_eq!(
        message(BetaBinomial::<f64>::new(1.0, nan, 5)),
        "concentration0 must be positive, got NaN"
    );
    assert_eq!(
        message(Multinomial::<f64>::from_probs(3, &[])),
        "probs must not be empty"
    );
    assert_eq!(
        message(Multinomial::<f64>::from_probs(3, &[0.5, -0.5, 1.0])),
        "probs must lie in [0, 1], got -0.5"
    );
    assert_eq!(
        message(Multinomial::<f64>::from_probs(3, &[0.5, 0.6])),
        "probs must sum to 1, got a sum of 1.1"
    );
    assert_eq!(
        message(OrderedLogistic::<f64>::from_f64(0.0, &[-1.0, 0.5, 0.5])),
        "cutpoints must be strictly increasing, got cutpoints[2] = 0.5 after 0.5"
    );
    assert_eq!(
        message(OrderedLogistic::<f64>::from_f64(0.0, &[1.0, -1.0])),
        "cutpoints must be strictly increasing, got cutpoints[1] = -1 after 1"
    );
    assert_eq!(
        message(OrderedLogistic::<f64>::from_f64(0.0, &[])),
        "cutpoints must not be empty"
    );
    assert_eq!(
        message(OrderedLogistic::<f64>::from_f64(nan, &[0.0])),
        "predictor must be finite, got NaN"
    );
    assert_eq!(
        message(OrderedLogistic::<f64>::from_f64(0.0, &[0.0, f64::INFINITY])),
        "cutpoints must be finite, got inf"
    );
}

/// Inside a model an invalid parameter is an error naming the site, and the families are
/// observed with their value types (`i64`, a vector of `i64`, `usize`).
#[model]
fn every_family(gate: f64) {
    observe!("nb", NegativeBinomial::new(2.0, 0.3), 4_i64);
    observe!("gp", GammaPoisson::new(2.0, 0.5), 1_i64);
    observe!("geom", Geometric::new(0.4), 0_i64);
    observe!("zip", ZeroInflatedPoisson::new(gate, 1.0), 0_i64);
    observe!("bb", BetaBinomial::new(1.0, 2.0, 5), 2_i64);
    observe!(
        "mult",
        Multinomial::from_probs(3, &[0.5, 0.5]),
        vec![1_i64, 2]
    );
    let cut = [Real::new(-1.0), Real::new(1.0)];
    observe!("ord", OrderedLogistic::new(0.0, &cut), 2_usize);
}

#[test]
fn families_run_inside_models() {
    let mut rng = SmallRng::seed_from_u64(0);
    let trace = get_trace(&every_family, &(0.5,), &mut rng).unwrap();
    let expected = NegativeBinomial::<f64>::new(2.0, 0.3)
        .unwrap()
        .log_prob(&4)
        .value()
        + GammaPoisson::<f64>::new(2.0, 0.5)
            .unwrap()
            .log_prob(&1)
            .value()
        + Geometric::<f64>::new(0.4).unwrap().log_prob(&0).value()
        + ZeroInflatedPoisson::<f64>::new(0.5, 1.0)
            .unwrap()
            .log_prob(&0)
            .value()
        + BetaBinomial::<f64>::new(1.0, 2.0, 5)
            .unwrap()
            .log_prob(&2)
            .value()
        + Multinomial::<f64>::from_probs(3, &[0.5, 0.5])
            .unwrap()
            .log_prob(&vec![1, 2])
            .value()
        + OrderedLogistic::<f64>::from_f64(0.0, &[-1.0, 1.0])
            .unwrap()
            .log_prob(&2)
            .value();
    close(trace.log_joint().value(), expected, "log joint");
    let err = get_trace(&every_family, &(1.5,), &mut rng).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("zip") && text.contains("gate must lie in [0, 1], got 1.5"),
        "{text}"
    );
}

// NUTS on a conjugate count model. With `total_count = r` known and `probs ~ Beta(a, b)`, the
// negative binomial likelihood `Πᵢ p^{yᵢ} (1 − p)^r` gives the posterior
// `Beta(a + Σy, b + n r)`. Tolerance: 4 Monte Carlo standard errors of the mean and of the sd,
// `sd/√ESS` and `sd·√((κ − 1)/(4 ESS₂))` (κ the kurtosis of the draws, ESS₂ the bulk ESS of
// the squared deviations), scaled by the exact sd; a correct sampler fails one check with
// probability about 6e-5, and the seed is fixed.

const NB_COUNTS: [i64; 12] = [0, 3, 1, 7, 2, 2, 0, 5, 1, 4, 9, 2];
const NB_R: f64 = 2.5;

#[model]
fn overdispersed(ys: &[i64]) {
    let p = sample!("p", Beta::new(2.0, 2.0));
    for (i, &y) in ys.iter().enumerate() {
        observe!(format!("y{i}"), NegativeBinomial::new(NB_R, p), y);
    }
}

fn standardised_errors(samples: &Samples, site: &str, mean: f64, sd: f64) -> (f64, f64) {
    let chains = samples.site(site).unwrap().element(0).unwrap();
    let all: Vec<f64> = chains.concat();
    let n = all.len() as f64;
    let m = all.iter().sum::<f64>() / n;
    let var = all.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = all.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
    let squares: Vec<Vec<f64>> = chains
        .iter()
        .map(|c| c.iter().map(|x| (x - m).powi(2)).collect())
        .collect();
    let kurtosis = m4 / (var * var);
    let mcse_mean = sd / ess_bulk(&chains).sqrt();
    let mcse_sd = sd * ((kurtosis - 1.0) / (4.0 * ess_bulk(&squares))).sqrt();
    ((m - mean) / mcse_mean, (var.sqrt() - sd) / mcse_sd)
}

// Worst standardised error over seeds 0..10: 1.75 (mean), 1.83 (sd); no divergences.
#[test]
fn nuts_recovers_the_conjugate_posterior_of_a_negative_binomial() {
    let samples = Mcmc::new(Nuts::new(overdispersed))
        .warmup(500)
        .samples(1000)
        .chains(2)
        .seed(3)
        .progress(false)
        .run(&(&NB_COUNTS[..],))
        .unwrap();
    let a = 2.0 + NB_COUNTS.iter().sum::<i64>() as f64;
    let b = 2.0 + NB_COUNTS.len() as f64 * NB_R;
    let mean = a / (a + b);
    let sd = (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt();
    let (em, es) = standardised_errors(&samples, "p", mean, sd);
    assert!(
        em.abs() < 4.0 && es.abs() < 4.0,
        "p: mean off by {em:.2} SE, sd off by {es:.2} SE (exact {mean}, {sd})"
    );
    assert_eq!(samples.divergences(), 0);
}
