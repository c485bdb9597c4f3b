//! Three conjugate models, each solved by SVI (AutoNormal), importance sampling and
//! Metropolis, against the closed-form posterior and evidence.
//!
//! Tolerances:
//! * SVI: posterior mean and sd within 0.02 (the guide family contains, or closely
//!   approximates, the posterior; the moments of the fitted guide come from 20 000 draws,
//!   whose own Monte Carlo error is below 0.002 here).
//! * Importance sampling: `log Ẑ` within 4 of its delta-method standard errors of the exact
//!   log evidence.
//! * Metropolis, 4 chains: mean within 4 MCSE (`sd/√ESS_bulk`), sd within 4 standard errors
//!   of the sd (`√((m₄ − s⁴)/(4 s² ESS))`), and split R-hat below 1.01.
//!
//! All seeds are fixed.

use smallx::infer::{Adam, AutoNormal, Importance, Metropolis, Predictive, Svi, TraceElbo};
use smallx::prelude::*;
use statrs::function::beta::ln_beta;
use statrs::function::gamma::ln_gamma;

struct Exact {
    site: &'static str,
    mean: f64,
    sd: f64,
    log_evidence: f64,
}

fn check_importance(result: &smallx::infer::ImportanceResult<impl Sized>, exact: &Exact) {
    let (log_z, se) = (result.log_normalizer(), result.log_normalizer_se());
    assert!(
        (log_z - exact.log_evidence).abs() < 4.0 * se,
        "log Z {log_z} vs exact {} (se {se})",
        exact.log_evidence
    );
    let m = result.marginal(exact.site).unwrap();
    assert!(
        (m.mean() - exact.mean).abs() < 0.02,
        "importance mean {} vs {}",
        m.mean(),
        exact.mean
    );
}

fn check_metropolis(samples: &smallx::infer::Samples, exact: &Exact) {
    let summary = samples.summary();
    let row = summary.row(exact.site).unwrap();
    assert!(row.r_hat < 1.01, "R-hat {}\n{summary}", row.r_hat);
    assert!(
        (row.mean - exact.mean).abs() < 4.0 * row.mcse(),
        "mean {} vs {} (mcse {})\n{summary}",
        row.mean,
        exact.mean,
        row.mcse()
    );
    let draws = samples.values(exact.site).unwrap();
    let n = draws.len() as f64;
    let m4 = draws.iter().map(|x| (x - row.mean).powi(4)).sum::<f64>() / n;
    let se_sd = ((m4 - row.sd.powi(4)) / (4.0 * row.sd * row.sd * row.ess_bulk)).sqrt();
    assert!(
        (row.sd - exact.sd).abs() < 4.0 * se_sd,
        "sd {} vs {} (se {se_sd})\n{summary}",
        row.sd,
        exact.sd
    );
    // One-dimensional posteriors: the warm-up aims at Metropolis's optimal 0.44 there.
    for stats in samples.stats() {
        assert!(
            stats.accept_rate > 0.1 && stats.accept_rate < 0.65,
            "acceptance {}",
            stats.accept_rate
        );
    }
}

fn check_guide_moments<M>(
    model: M,
    args: &M::Args<'_>,
    guide: &AutoNormal<M>,
    params: &ParamStore,
    exact: &Exact,
) where
    M: Model,
{
    let draws = Predictive::new(model)
        .num_samples(20_000)
        .seed(9)
        .from_guide(args, guide, params)
        .unwrap();
    let xs = draws.samples.values(exact.site).unwrap();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!(
        (mean - exact.mean).abs() < 0.02,
        "SVI mean {mean} vs {}",
        exact.mean
    );
    assert!((sd - exact.sd).abs() < 0.02, "SVI sd {sd} vs {}", exact.sd);
}

fn fit_auto_normal<M: Model + Clone>(
    model: M,
    args: &M::Args<'_>,
    seed: u64,
) -> (AutoNormal<M>, ParamStore) {
    let guide = AutoNormal::new(model.clone());
    let mut svi = Svi::new(
        model,
        guide,
        Adam::new(0.05).lr_decay(0.9985),
        TraceElbo::new().num_particles(8),
    )
    .seed(seed)
    .progress(false);
    svi.run(4000, args).unwrap();
    svi.into_parts()
}

#[model]
fn scale(guess: f64) -> Real {
    let weight = sample!("weight", Normal::new(guess, 1.0));
    sample!("measurement", Normal::new(weight, 0.75))
}

#[test]
fn normal_normal() {
    let exact = Exact {
        site: "weight",
        mean: 9.14,
        sd: 0.6,
        log_evidence: -0.5 * ((9.5f64 - 8.5) / 1.25).powi(2)
            - 1.25f64.ln()
            - 0.5 * (2.0 * std::f64::consts::PI).ln(),
    };
    let model = condition(scale, data! { "measurement" => 9.5 });
    let args = (8.5,);
    check_importance(
        &Importance::new(model.clone())
            .num_samples(50_000)
            .seed(1)
            .progress(false)
            .run(&args)
            .unwrap(),
        &exact,
    );
    check_metropolis(
        &Metropolis::new(model.clone())
            .warmup(2000)
            .samples(5000)
            .chains(4)
            .seed(2)
            .progress(false)
            .run(&args)
            .unwrap(),
        &exact,
    );
    let (guide, params) = fit_auto_normal(model.clone(), &args, 3);
    check_guide_moments(model, &args, &guide, &params, &exact);
}

#[model]
fn coin(flips: &[bool]) {
    let p = sample!("p", Beta::new(2.0, 3.0));
    observe!("flips", Bernoulli::new(p).iid(flips.len()), flips);
}

#[test]
fn beta_bernoulli() {
    let flips: Vec<bool> = (0..20).map(|i| i % 3 == 0).collect();
    let (n, k) = (20.0, flips.iter().filter(|&&f| f).count() as f64);
    let (a, b) = (2.0 + k, 3.0 + n - k);
    let exact = Exact {
        site: "p",
        mean: a / (a + b),
        sd: (a * b / ((a + b).powi(2) * (a + b + 1.0))).sqrt(),
        log_evidence: ln_beta(a, b) - ln_beta(2.0, 3.0),
    };
    let args = (&flips[..],);
    check_importance(
        &Importance::new(coin)
            .num_samples(50_000)
            .seed(4)
            .progress(false)
            .run(&args)
            .unwrap(),
        &exact,
    );
    check_metropolis(
        &Metropolis::new(coin)
            .warmup(2000)
            .samples(5000)
            .chains(4)
            .seed(5)
            .progress(false)
            .run(&args)
            .unwrap(),
        &exact,
    );
    let (guide, params) = fit_auto_normal(coin, &args, 6);
    check_guide_moments(coin, &args, &guide, &params, &exact);
}

#[model]
fn counts(ys: &[i64]) {
    let rate = sample!("rate", Gamma::new(3.0, 1.0));
    observe!("ys", Poisson::new(rate).iid(ys.len()), ys);
}

#[test]
fn gamma_poisson() {
    let ys: Vec<i64> = vec![2, 4, 1, 3, 3, 0, 5, 2, 3, 2];
    let (n, total) = (ys.len() as f64, ys.iter().sum::<i64>() as f64);
    let (shape, rate) = (3.0 + total, 1.0 + n);
    let log_evidence = 3.0 * 1.0f64.ln() - ln_gamma(3.0) + ln_gamma(shape)
        - shape * rate.ln()
        - ys.iter().map(|&y| ln_gamma(y as f64 + 1.0)).sum::<f64>();
    let exact = Exact {
        site: "rate",
        mean: shape / rate,
        sd: shape.sqrt() / rate,
        log_evidence,
    };
    let args = (&ys[..],);
    check_importance(
        &Importance::new(counts)
            .num_samples(50_000)
            .seed(7)
            .progress(false)
            .run(&args)
            .unwrap(),
        &exact,
    );
    check_metropolis(
        &Metropolis::new(counts)
            .warmup(2000)
            .samples(5000)
            .chains(4)
            .seed(8)
            .progress(false)
            .run(&args)
            .unwrap(),
        &exact,
    );
    let (guide, params) = fit_auto_normal(counts, &args, 9);
    check_guide_moments(counts, &args, &guide, &params, &exact);
}
