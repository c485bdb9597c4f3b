//! Every distribution: `log_prob` against statrs (or the closed form where statrs has none),
//! and the mean and variance of 100 000 draws against the analytic moments.
//!
//! Log densities agree to 1e-10 relative (absolute below magnitude 1). Moments agree within
//! 5 standard errors: `sd/√n` for the mean and `√((m₄ − s⁴)/n)` for the variance, with the
//! fourth central moment `m₄` estimated from the same draws. Seeds are fixed, so the test is
//! deterministic; at 5 standard errors a correct sampler fails with probability below 1e-6
//! per check.

use smallx::dist::{Distribution, Iid};
use smallx::prelude::*;
use statrs::distribution::{Continuous, ContinuousCDF, Discrete};

const N: usize = 100_000;

fn close(ours: f64, reference: f64, what: &str) {
    let tol = 1e-10 * reference.abs().max(1.0);
    assert!(
        (ours - reference).abs() <= tol,
        "{what}: smallx {ours} vs reference {reference}"
    );
}

fn real(x: f64) -> Real<f64> {
    Real(x)
}

/// Compare `log_prob` with `reference` at each point.
fn check_log_prob<D: Distribution<f64, Value = Real<f64>>>(
    d: &D,
    points: &[f64],
    reference: impl Fn(f64) -> f64,
) {
    for &x in points {
        close(
            d.log_prob(&real(x)).value(),
            reference(x),
            &format!("{} log_prob at {x}", d.name()),
        );
    }
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

fn draws<D: Distribution<f64>>(d: &D, seed: u64, to_f64: impl Fn(D::Value) -> f64) -> Vec<f64> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..N).map(|_| to_f64(d.sample(&mut rng))).collect()
}

fn check_sampler<D: Distribution<f64, Value = Real<f64>>>(d: &D, seed: u64) {
    let (mean, var) = moments_of(d);
    check_moments(d.name(), &draws(d, seed, |x| x.value()), mean, var);
}

/// For distributions without moments: the empirical cdf at `points` within 5 binomial
/// standard errors.
fn check_cdf<D: Distribution<f64, Value = Real<f64>>>(
    d: &D,
    seed: u64,
    points: &[f64],
    cdf: impl Fn(f64) -> f64,
) {
    let xs = draws(d, seed, |x| x.value());
    for &p in points {
        let f = cdf(p);
        let emp = xs.iter().filter(|&&x| x <= p).count() as f64 / N as f64;
        let se = (f * (1.0 - f) / N as f64).sqrt();
        assert!(
            (emp - f).abs() <= 5.0 * se,
            "{}: empirical cdf at {p} is {emp}, expected {f}",
            d.name()
        );
    }
}

const SPREAD: [f64; 7] = [-3.5, -1.0, -0.1, 0.0, 0.4, 1.7, 6.0];
const POSITIVE: [f64; 6] = [1e-3, 0.1, 0.5, 1.0, 2.5, 12.0];
const UNIT: [f64; 5] = [1e-4, 0.1, 0.5, 0.77, 0.999];

#[test]
fn normal() {
    let d = Normal::new(1.5, 2.0).unwrap();
    let r = statrs::distribution::Normal::new(1.5, 2.0).unwrap();
    check_log_prob(&d, &SPREAD, |x| r.ln_pdf(x));
    check_sampler(&d, 1);
}

#[test]
fn half_normal() {
    let d = HalfNormal::new(1.7).unwrap();
    let r = statrs::distribution::Normal::new(0.0, 1.7).unwrap();
    check_log_prob(&d, &POSITIVE, |x| std::f64::consts::LN_2 + r.ln_pdf(x));
    assert_eq!(d.log_prob(&real(-0.1)).value(), f64::NEG_INFINITY);
    check_sampler(&d, 2);
}

#[test]
fn log_normal() {
    let d = LogNormal::new(0.3, 0.5).unwrap();
    let r = statrs::distribution::LogNormal::new(0.3, 0.5).unwrap();
    check_log_prob(&d, &POSITIVE, |x| r.ln_pdf(x));
    check_sampler(&d, 3);
}

#[test]
fn exponential() {
    let d = Exponential::new(2.5).unwrap();
    let r = statrs::distribution::Exp::new(2.5).unwrap();
    check_log_prob(&d, &POSITIVE, |x| r.ln_pdf(x));
    check_sampler(&d, 4);
}

#[test]
fn gamma() {
    for (shape, rate) in [(0.7, 2.0), (3.5, 0.5)] {
        let d = Gamma::new(shape, rate).unwrap();
        let r = statrs::distribution::Gamma::new(shape, rate).unwrap();
        check_log_prob(&d, &POSITIVE, |x| r.ln_pdf(x));
        check_sampler(&d, 5);
    }
}

#[test]
fn beta() {
    for (a, b) in [(0.5, 0.5), (2.0, 5.0)] {
        let d = Beta::new(a, b).unwrap();
        let r = statrs::distribution::Beta::new(a, b).unwrap();
        check_log_prob(&d, &UNIT, |x| r.ln_pdf(x));
        check_sampler(&d, 6);
    }
}

#[test]
fn uniform() {
    let d = Uniform::new(-1.0, 3.0).unwrap();
    let r = statrs::distribution::Uniform::new(-1.0, 3.0).unwrap();
    check_log_prob(&d, &[-0.99, 0.0, 1.0, 2.9], |x| r.ln_pdf(x));
    assert_eq!(d.log_prob(&real(3.5)).value(), f64::NEG_INFINITY);
    check_sampler(&d, 7);
}

#[test]
fn student_t() {
    let d = StudentT::new(10.0, 0.5, 2.0).unwrap();
    let r = statrs::distribution::StudentsT::new(0.5, 2.0, 10.0).unwrap();
    check_log_prob(&d, &SPREAD, |x| r.ln_pdf(x));
    check_sampler(&d, 8);
    let heavy = StudentT::new(1.5, 0.0, 1.0).unwrap();
    let r = statrs::distribution::StudentsT::new(0.0, 1.0, 1.5).unwrap();
    check_log_prob(&heavy, &SPREAD, |x| r.ln_pdf(x));
    assert!(heavy.variance().is_none());
    check_cdf(&heavy, 9, &[-2.0, 0.0, 0.7, 3.0], |x| r.cdf(x));
}

#[test]
fn cauchy() {
    let d = Cauchy::new(-1.0, 0.5).unwrap();
    let r = statrs::distribution::Cauchy::new(-1.0, 0.5).unwrap();
    check_log_prob(&d, &SPREAD, |x| r.ln_pdf(x));
    assert!(d.mean().is_none());
    check_cdf(&d, 10, &[-3.0, -1.2, -1.0, 0.0, 2.0], |x| r.cdf(x));
}

#[test]
fn half_cauchy() {
    let d = HalfCauchy::new(2.0).unwrap();
    let r = statrs::distribution::Cauchy::new(0.0, 2.0).unwrap();
    check_log_prob(&d, &POSITIVE, |x| std::f64::consts::LN_2 + r.ln_pdf(x));
    check_cdf(&d, 11, &[0.1, 1.0, 2.0, 10.0], |x| 2.0 * r.cdf(x) - 1.0);
}

#[test]
fn laplace() {
    let d = Laplace::new(0.5, 1.5).unwrap();
    let r = statrs::distribution::Laplace::new(0.5, 1.5).unwrap();
    check_log_prob(&d, &SPREAD, |x| r.ln_pdf(x));
    check_sampler(&d, 12);
}

#[test]
fn delta() {
    let d = Delta::new(2.5).unwrap();
    assert_eq!(d.log_prob(&real(2.5)).value(), 0.0);
    assert_eq!(d.log_prob(&real(2.4)).value(), f64::NEG_INFINITY);
    assert_eq!(d.sample(&mut SmallRng::seed_from_u64(0)).value(), 2.5);
    assert_eq!(moments_of(&d), (2.5, 0.0));
}

#[test]
fn bernoulli_by_probs_and_by_logits() {
    let p = 0.3;
    let r = statrs::distribution::Bernoulli::new(p).unwrap();
    let by_probs = Bernoulli::new(p).unwrap();
    let by_logits = Bernoulli::logits((p / (1.0 - p)).ln()).unwrap();
    for d in [by_probs, by_logits] {
        close(
            d.log_prob(&true).value(),
            r.ln_pmf(1),
            "Bernoulli log_prob(true)",
        );
        close(
            d.log_prob(&false).value(),
            r.ln_pmf(0),
            "Bernoulli log_prob(false)",
        );
        let (mean, var) = moments_of(&d);
        check_moments("Bernoulli", &draws(&d, 13, |b| b as u8 as f64), mean, var);
    }
}

#[test]
fn binomial() {
    let d = Binomial::new(20, 0.35).unwrap();
    let r = statrs::distribution::Binomial::new(0.35, 20).unwrap();
    for k in [0, 1, 7, 13, 20] {
        close(
            d.log_prob(&k).value(),
            r.ln_pmf(k as u64),
            &format!("Binomial log_prob at {k}"),
        );
    }
    assert_eq!(d.log_prob(&21).value(), f64::NEG_INFINITY);
    let (mean, var) = moments_of(&d);
    check_moments("Binomial", &draws(&d, 14, |k| k as f64), mean, var);
}

#[test]
fn categorical_by_probs_and_by_logits() {
    let probs = [0.1, 0.6, 0.3];
    let r = statrs::distribution::Categorical::new(&probs).unwrap();
    let by_probs = Categorical::from_probs(&probs).unwrap();
    let logits: Vec<Real<f64>> = probs.iter().map(|p| Real(p.ln() + 2.0)).collect();
    let by_logits = Categorical::logits(&logits).unwrap();
    for d in [by_probs, by_logits] {
        for k in 0..3 {
            close(
                d.log_prob(&k).value(),
                r.ln_pmf(k as u64),
                &format!("Categorical log_prob at {k}"),
            );
        }
        assert_eq!(d.log_prob(&3).value(), f64::NEG_INFINITY);
        let (mean, var) = moments_of(&d);
        check_moments("Categorical", &draws(&d, 15, |k| k as f64), mean, var);
    }
}

#[test]
fn poisson() {
    let d = Poisson::new(4.2).unwrap();
    let r = statrs::distribution::Poisson::new(4.2).unwrap();
    for k in [0, 1, 4, 9, 30] {
        close(
            d.log_prob(&k).value(),
            r.ln_pmf(k as u64),
            &format!("Poisson log_prob at {k}"),
        );
    }
    let (mean, var) = moments_of(&d);
    check_moments("Poisson", &draws(&d, 16, |k| k as f64), mean, var);
}

fn component(v: &Value<f64>, i: usize) -> f64 {
    v.real_values().unwrap()[i]
}

#[test]
fn dirichlet() {
    let alpha = [0.8, 2.0, 3.5];
    let d = Dirichlet::from_f64(&alpha).unwrap();
    let r = statrs::distribution::Dirichlet::new(alpha.to_vec()).unwrap();
    for x in [[0.2, 0.3, 0.5], [0.01, 0.01, 0.98], [0.6, 0.3, 0.1]] {
        let ours = d
            .log_prob(&DVector::from_iterator(3, x.iter().map(|&v| Real(v))))
            .value();
        close(
            ours,
            r.ln_pdf(&nalgebra::DVector::from_row_slice(&x)),
            "Dirichlet log_prob",
        );
    }
    let (mean, var) = (d.mean().unwrap(), d.variance().unwrap());
    for i in 0..3 {
        let xs = draws(&d, 17, |v| v[i].value());
        check_moments(
            &format!("Dirichlet[{i}]"),
            &xs,
            component(&mean, i),
            component(&var, i),
        );
    }
}

#[test]
fn multivariate_normal() {
    let cov = [2.0, 0.6, 0.2, 0.6, 1.0, -0.3, 0.2, -0.3, 0.5];
    let loc = [0.5, -1.0, 2.0];
    let to_real = |xs: &[f64]| DVector::from_iterator(xs.len(), xs.iter().map(|&v| Real(v)));
    let d = MultivariateNormal::from_covariance(
        to_real(&loc),
        &DMatrix::from_row_slice(3, 3, &cov).map(Real),
    )
    .unwrap();
    let r = statrs::distribution::MultivariateNormal::new(loc.to_vec(), cov.to_vec()).unwrap();
    for x in [[0.0, 0.0, 0.0], [1.5, -2.0, 2.5], [-3.0, 1.0, 0.0]] {
        close(
            d.log_prob(&to_real(&x)).value(),
            r.ln_pdf(&nalgebra::DVector::from_row_slice(&x)),
            "MVN log_prob",
        );
    }
    let (mean, var) = (d.mean().unwrap(), d.variance().unwrap());
    for i in 0..3 {
        assert!((component(&var, i) - cov[4 * i]).abs() < 1e-12);
        let xs = draws(&d, 18, |v| v[i].value());
        check_moments(
            &format!("MultivariateNormal[{i}]"),
            &xs,
            component(&mean, i),
            component(&var, i),
        );
    }
}

#[test]
fn iid_and_batch_sum_their_parts() {
    let base = Normal::new(1.0, 2.0).unwrap();
    let iid = Iid::new(base, 3);
    let x = DVector::from_vec(vec![Real(0.5), Real(-1.0), Real(4.0)]);
    let sum: f64 = x.iter().map(|v| base.log_prob(v).value()).sum();
    close(iid.log_prob(&x).value(), sum, "Iid log_prob");
    let batch = Batch::new([0.0, 1.0, 2.0].map(|m| Normal::new(m, 1.0))).unwrap();
    let r = statrs::distribution::Normal::new(0.0, 1.0).unwrap();
    let expected: f64 = [0.5 - 0.0, -1.0 - 1.0, 4.0 - 2.0]
        .iter()
        .map(|&z| r.ln_pdf(z))
        .sum();
    close(batch.log_prob(&x).value(), expected, "Batch log_prob");
    let xs = draws(&iid, 19, |v| v[2].value());
    check_moments("Iid[2]", &xs, 1.0, 4.0);
    let flips = Bernoulli::new(0.25).iid(5).unwrap();
    let xs = draws(&flips, 20, |v| v[4] as u8 as f64);
    check_moments("Iid<Bernoulli>[4]", &xs, 0.25, 0.1875);
}

#[test]
fn invalid_parameters_are_errors_not_nan() {
    use smallx::DistError;
    assert_eq!(
        Normal::<f64>::new(0.0, 0.0).unwrap_err(),
        DistError::NotPositive {
            param: "scale",
            value: 0.0
        }
    );
    assert!(Normal::<f64>::new(f64::NAN, 1.0).is_err());
    assert!(Gamma::<f64>::new(-1.0, 1.0).is_err());
    assert!(Beta::<f64>::new(1.0, f64::INFINITY).is_err());
    assert!(Uniform::<f64>::new(2.0, 1.0).is_err());
    assert!(Bernoulli::<f64>::new(1.5).is_err());
    assert!(Binomial::<f64>::new(3, -0.1).is_err());
    assert_eq!(
        Categorical::<f64>::from_probs(&[0.5, 0.6]).unwrap_err(),
        DistError::NotNormalized { sum: 1.1 }
    );
    assert!(Poisson::<f64>::new(0.0).is_err());
    assert!(Dirichlet::<f64>::from_f64(&[1.0, -1.0]).is_err());
    let not_pd = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]).map(Real);
    let err = MultivariateNormal::from_covariance(DVector::from_element(2, Real(0.0)), &not_pd)
        .unwrap_err();
    assert!(err.to_string().contains("not positive definite"), "{err}");
    let upper = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, 1.0]).map(Real);
    assert!(MultivariateNormal::new(DVector::from_element(2, Real(0.0)), upper).is_err());
}

#[test]
fn mixture() {
    let w = [0.2, 0.8];
    let d = Mixture::new(&w, [Normal::new(-0.3, 0.1), Normal::new(0.5, 0.1)]).unwrap();
    let (a, b) = (
        statrs::distribution::Normal::new(-0.3, 0.1).unwrap(),
        statrs::distribution::Normal::new(0.5, 0.1).unwrap(),
    );
    check_log_prob(&d, &[-0.5, -0.3, 0.1, 0.5, 0.9], |x| {
        (0.2 * a.pdf(x) + 0.8 * b.pdf(x)).ln()
    });
    let (mean, var) = moments_of(&d);
    assert!((mean - (0.2 * -0.3 + 0.8 * 0.5)).abs() < 1e-12);
    check_moments("Mixture", &draws(&d, 21, |x| x.value()), mean, var);
    assert!(
        Mixture::new(
            &[0.5, 0.6],
            [Normal::<f64>::new(0.0, 1.0), Normal::new(1.0, 1.0)]
        )
        .is_err()
    );
}
