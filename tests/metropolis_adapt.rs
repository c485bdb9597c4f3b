//! Metropolis's windowed warm-up from starts far from the posterior, and rejected invalid
//! proposals counted per chain.
//!
//! The regression is shaped like posteriordb's earnings model (`earn ~ height`): 1192 people,
//! earnings on a scale of tens of thousands, so the posterior's scales differ by five orders of
//! magnitude between the log-noise and the intercept, and intercept and slope are correlated
//! at −0.998. Chains start from prior draws, about 10⁵ away in both coefficients.

use rand_distr::{Distribution as _, StandardNormal};
use smallx::infer::{Init, Metropolis};
use smallx::prelude::*;

/// `earn ~ Normal(beta[0] + beta[1] · height, sigma)` with weakly informative priors:
/// `beta ~ N(0, 10⁵)` each and `sigma ~ HalfNormal(10⁵)`, wide compared with the data's
/// scale (the truth is −61,000, 1,300 and 19,000) without being flat.
#[model]
fn earnings(design: &Design, earn: &[f64]) {
    let beta = sample!("beta", Normal::new(0.0, 1e5).iid(2));
    let sigma = sample!("sigma", HalfNormal::new(1e5));
    observe!("earn", NormalGlm::new(design, &beta, 0.0, sigma), earn);
}

/// 1192 heights from N(66.6, 3.8²) and earnings −61,000 + 1,300 · height + N(0, 19,000²),
/// with a fixed seed.
fn earnings_data() -> (Design, Vec<f64>) {
    let mut rng = SmallRng::seed_from_u64(2024);
    let n = 1192;
    let height: Vec<f64> = (0..n)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            66.6 + 3.8 * z
        })
        .collect();
    let earn = height
        .iter()
        .map(|h| {
            let noise: f64 = StandardNormal.sample(&mut rng);
            -61_000.0 + 1_300.0 * h + 19_000.0 * noise
        })
        .collect();
    let design = Design::new(DMatrix::from_fn(
        n,
        2,
        |i, j| {
            if j == 0 { 1.0 } else { height[i] }
        },
    ));
    (design, earn)
}

#[test]
fn windowed_warm_up_converges_from_prior_draws_on_the_earnings_regression() {
    let (design, earn) = earnings_data();
    let samples = Metropolis::new(earnings)
        .init(Init::Prior)
        .chains(4)
        .warmup(5000)
        .samples(5000)
        .seed(13)
        .progress(false)
        .run(&(&design, &earn[..]))
        .unwrap();
    let summary = samples.summary();
    for row in &summary.rows {
        assert!(
            row.r_hat < 1.01,
            "{}: R-hat {}\n{summary}",
            row.name,
            row.r_hat
        );
    }
    // The least-squares fit the posterior concentrates around (the priors are negligible at
    // this sample size): each mean within 5 Monte Carlo standard errors of it, once the MCSE
    // is floored at a thousandth of the posterior sd.
    let (intercept, slope) = least_squares(&design, &earn);
    for (name, value) in [("beta[0]", intercept), ("beta[1]", slope)] {
        let row = summary.row(name).unwrap();
        assert!(
            (row.mean - value).abs() < 5.0 * row.mcse().max(1e-3 * row.sd) + 0.05 * row.sd,
            "{name}: {} vs {value}\n{summary}",
            row.mean
        );
    }
    // The warm-up ends with a usable scale in every chain (the target is 0.234; the final
    // buffer's 50 iterations tune it roughly).
    for (c, stats) in samples.stats().iter().enumerate() {
        assert!(
            (0.05..0.5).contains(&stats.accept_rate),
            "chain {c}: acceptance {}",
            stats.accept_rate
        );
    }
    assert!(summary.warnings.is_empty(), "{summary}");
}

/// Ordinary least squares of `earn` on the design's two columns.
fn least_squares(design: &Design, earn: &[f64]) -> (f64, f64) {
    let x = design.matrix();
    let n = earn.len() as f64;
    let h: Vec<f64> = (0..earn.len()).map(|i| x[(i, 1)]).collect();
    let (mh, me) = (h.iter().sum::<f64>() / n, earn.iter().sum::<f64>() / n);
    let sxy: f64 = h.iter().zip(earn).map(|(a, b)| (a - mh) * (b - me)).sum();
    let sxx: f64 = h.iter().map(|a| (a - mh).powi(2)).sum();
    let slope = sxy / sxx;
    (me - slope * mh, slope)
}

/// Valid only for `|s| < √3`: beyond, the scale of `y` is negative and building its
/// distribution fails.
#[model]
fn narrow_scale() {
    let s = sample!("s", Normal::new(0.0, 1.0));
    observe!("y", Normal::new(0.0, 3.0 - s * s), 3.0);
}

/// The same support through a NaN log-density: `ln(1 − s²)` is NaN for `|s| > 1`.
#[model]
fn nan_beyond_one() {
    let s = sample!("s", Normal::new(0.0, 1.0));
    factor!("barrier", (1.0 - s * s).ln());
}

#[test]
fn invalid_proposals_are_counted_rejections_and_a_warning_when_they_dominate() {
    let run = |warmup: usize, scale: f64| {
        Metropolis::new(narrow_scale)
            .init(Init::Values(data! { "s" => 0.0 }))
            .warmup(warmup)
            .samples(1000)
            .initial_scale(scale)
            .seed(4)
            .progress(false)
            .run(&())
            .unwrap()
    };
    // Adapted, some proposals still leave (−√3, √3): each is a rejection, counted.
    let adapted = run(500, 0.1);
    assert!(adapted.values("s").unwrap().iter().all(|s| s * s < 3.0));
    let stats = &adapted.stats()[0];
    assert_eq!(stats.invalid.len(), 1000);
    let invalid = stats.invalid_proposals();
    assert!(invalid > 0 && invalid < 500, "{invalid}");
    assert_eq!(adapted.invalid_proposals(), invalid);
    // An invalid proposal is never accepted.
    assert!(
        stats
            .invalid
            .iter()
            .zip(&stats.accepted)
            .all(|(&bad, &moved)| !(bad && moved))
    );
    let summary = adapted.summary();
    assert_eq!(summary.invalid_proposals, Some(invalid));
    assert!(summary.warnings.is_empty(), "{summary}");
    assert!(
        summary
            .to_string()
            .contains(&format!("invalid proposals (rejected): {invalid}")),
        "{summary}"
    );
    let json = smallx::infer::arviz::InferenceData::new(&adapted)
        .to_json()
        .unwrap();
    let exported = json["sample_stats"]["invalid_proposal"][0]
        .as_array()
        .unwrap();
    assert_eq!(
        exported
            .iter()
            .filter(|b| b.as_bool() == Some(true))
            .count(),
        invalid
    );

    // Without warm-up, proposals of scale 10 from 0 leave (−√3, √3) about 86% of the time:
    // the summary warns.
    let wild = run(0, 10.0);
    let invalid = wild.invalid_proposals();
    assert!(invalid > 800, "{invalid}");
    let summary = wild.summary();
    assert_eq!(summary.warnings.len(), 1, "{summary}");
    assert!(
        summary.warnings[0].starts_with(&format!("chain 0: {invalid} of 1000 kept iterations")),
        "{summary}"
    );
    assert!(
        summary.to_string().contains("warning: chain 0"),
        "{summary}"
    );

    // A NaN log-density is counted the same way.
    let samples = Metropolis::new(nan_beyond_one)
        .init(Init::Values(data! { "s" => 0.0 }))
        .warmup(0)
        .samples(1000)
        .initial_scale(10.0)
        .seed(4)
        .progress(false)
        .run(&())
        .unwrap();
    assert!(samples.values("s").unwrap().iter().all(|s| s.abs() < 1.0));
    assert!(samples.invalid_proposals() > 800);
}

#[test]
fn samplers_without_invalid_proposals_report_none() {
    let samples = smallx::infer::Mcmc::new(smallx::infer::Nuts::new(narrow_scale))
        .warmup(200)
        .samples(100)
        .seed(1)
        .progress(false)
        .run(&())
        .unwrap();
    assert!(samples.stats()[0].invalid.is_empty());
    assert_eq!(samples.summary().invalid_proposals, None);
}
