//! Extreme but valid parameters: finite results, or a clear error.

use super::*;
use smallx::Error;
use smallx::infer::criteria::{LogLik, loo};
use smallx::infer::{Adam, Map, Svi, TraceElbo, waic};

fn lp<D: Distribution<f64, Value = Real<f64>>>(d: D, x: f64) -> f64 {
    d.log_prob(&Real::from(x)).value()
}

fn close(a: f64, b: f64, rel: f64) {
    assert!((a - b).abs() <= rel * b.abs().max(1.0), "{a} vs {b}");
}

#[test]
fn normal_with_a_tiny_scale_has_a_finite_density_at_its_mean() {
    // log N(0 | 0, 1e-300) = −ln(1e-300) − ½ ln(2π)
    close(
        lp(Normal::new(0.0, 1e-300).unwrap(), 0.0),
        300.0 * 10f64.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln(),
        1e-12,
    );
}

#[test]
fn normal_with_a_huge_scale() {
    close(
        lp(Normal::new(0.0, 1e300).unwrap(), 1.0),
        -300.0 * 10f64.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln(),
        1e-12,
    );
}

#[test]
fn normal_far_in_the_tail_is_finite() {
    let v = lp(Normal::new(0.0, 1.0).unwrap(), 1e150);
    assert!(v.is_finite() && v < -1e299, "{v}");
}

#[test]
fn normal_with_a_huge_loc() {
    close(
        lp(Normal::new(1e300, 1.0).unwrap(), 1e300),
        -0.5 * (2.0 * std::f64::consts::PI).ln(),
        1e-12,
    );
}

#[test]
fn gamma_with_a_tiny_concentration_is_finite_inside_the_support() {
    assert!(lp(Gamma::new(1e-3, 1.0).unwrap(), 0.5).is_finite());
}

#[test]
fn gamma_at_a_tiny_value() {
    assert!(lp(Gamma::new(2.0, 1.0).unwrap(), 1e-300).is_finite());
}

#[test]
fn beta_with_tiny_concentrations_is_finite_inside_the_support() {
    assert!(lp(Beta::new(1e-3, 1e-3).unwrap(), 0.5).is_finite());
}

#[test]
fn student_t_with_tiny_df_is_finite() {
    assert!(lp(StudentT::new(1e-3, 0.0, 1.0).unwrap(), 10.0).is_finite());
}

#[test]
fn exponential_with_a_huge_rate() {
    close(
        lp(Exponential::new(1e300).unwrap(), 0.0),
        300.0 * 10f64.ln(),
        1e-12,
    );
}

#[test]
fn poisson_with_a_large_rate_is_accurate_at_its_mean() {
    let v = Poisson::<f64>::new(1e6)
        .unwrap()
        .log_prob(&1_000_000)
        .value();
    // Stirling: log p(λ | λ) = −½ ln(2πλ) − 1/(12λ) + O(λ⁻²).
    close(
        v,
        -0.5 * (2.0 * std::f64::consts::PI * 1e6).ln() - 1.0 / 12e6,
        1e-9,
    );
}

#[test]
fn bernoulli_at_probability_zero_and_one() {
    assert_eq!(
        Bernoulli::<f64>::new(0.0).unwrap().log_prob(&false).value(),
        0.0
    );
    assert_eq!(
        Bernoulli::<f64>::new(1.0).unwrap().log_prob(&true).value(),
        0.0
    );
    assert_eq!(
        Bernoulli::<f64>::new(1.0).unwrap().log_prob(&false).value(),
        f64::NEG_INFINITY
    );
}

#[test]
fn binomial_with_a_huge_count() {
    let v = Binomial::<f64>::new(1 << 40, 0.5)
        .unwrap()
        .log_prob(&(1_i64 << 39))
        .value();
    assert!(v.is_finite() && v < 0.0, "{v}");
}

#[test]
fn uniform_on_a_tiny_interval() {
    close(
        lp(Uniform::new(0.0, 1e-300).unwrap(), 5e-301),
        300.0 * 10f64.ln(),
        1e-12,
    );
}

#[test]
fn svi_on_a_huge_observation_is_finite_or_names_the_site() {
    let mut svi = Svi::new(weigh, weigh_guide, Adam::new(0.01), TraceElbo::new()).progress(false);
    match svi.step(&(1e200,)) {
        Ok(loss) => assert!(loss.is_finite()),
        Err(e) => assert!(
            matches!(e, Error::NonFiniteLoss { .. }) && e.to_string().contains('`'),
            "{e}"
        ),
    }
}

#[test]
fn map_on_a_large_but_finite_observation() {
    let map = Map::new(weigh).run(&(50.0,)).unwrap();
    assert!(map.log_joint.is_finite());
    assert!(map.point.get("w").unwrap().as_f64().unwrap().is_finite());
}

#[test]
fn waic_of_a_constant_log_likelihood_has_no_penalty() {
    let ll = LogLik::from_array(2, 10, vec!["y".into()], &[-1.5; 20]).unwrap();
    let w = waic(&ll).unwrap();
    close(w.elpd, -1.5, 1e-12);
    close(w.p, 0.0, 1e-12);
}

#[test]
fn loo_with_a_minus_infinity_log_likelihood_is_finite_or_flagged() {
    let mut values = vec![-1.0; 40];
    values[7] = f64::NEG_INFINITY;
    let ll = LogLik::from_array(1, 40, vec!["y".into()], &values).unwrap();
    match loo(&ll) {
        // An observation impossible at one draw: the importance-sampling estimate is −∞,
        // and the result is flagged naming the observation.
        Ok(l) => assert!(
            l.elpd.is_finite() || l.warning.as_ref().is_some_and(|w| w.observations == ["y"]),
            "{l:?}"
        ),
        Err(e) => assert!(e.to_string().contains("`y`"), "{e}"),
    }
}

#[test]
fn diagnostics_of_constant_chains_are_nan_not_a_panic() {
    let chains = vec![vec![3.0; 50], vec![3.0; 50]];
    let ess = smallx::infer::diagnostics::ess_bulk(&chains);
    let r = smallx::infer::diagnostics::rhat(&chains);
    assert!(ess.is_nan() || ess.is_finite());
    assert!(r.is_nan() || r.is_finite());
}

#[test]
fn summary_of_draws_with_a_nan_does_not_panic() {
    let mut s = smallx::infer::Samples::new(1);
    for x in [1.0, f64::NAN, 2.0, 3.0, 4.0] {
        s.push(0, &[("x", &Value::from(x))]).unwrap();
    }
    let row = s.summary().row("x").unwrap().clone();
    assert!(row.mean.is_nan());
}

/// A count site whose draws could not be represented in `i64` is refused when drawn, naming
/// the site and the parameter; at sizes that fit, draws are near the mean.
#[test]
fn count_families_with_astronomical_means_refuse_to_draw_and_name_the_site() {
    #[model]
    fn counts(which: usize, size: f64) -> i64 {
        match which {
            0 => sample!("nb", NegativeBinomial::from_mean(size, 2.0)),
            1 => sample!("gp", GammaPoisson::new(1e-3, 1.0 / size)),
            2 => sample!("zip", ZeroInflatedPoisson::new(0.1, size)),
            3 => sample!("geo", Geometric::new(1.0 / size)),
            _ => sample!("masked", Poisson::new(size).mask(true)),
        }
    }
    let mut rng = SmallRng::seed_from_u64(3);
    for (which, site, param) in [
        (0, "nb", "mean"),
        (1, "gp", "mean"),
        (2, "zip", "rate"),
        (3, "geo", "probs"),
        (4, "masked", "rate"),
    ] {
        let err = get_trace(&counts, &(which, 1e20), &mut rng).unwrap_err();
        match &err {
            Error::InvalidDistribution {
                site: s,
                source: smallx::DistError::OutOfRange { param: p, .. },
                ..
            } => {
                assert_eq!(s, site);
                assert_eq!(p, &param, "{err}");
            }
            other => panic!("{site}: {other}"),
        }
        // 1e12 fits: a draw is a non-negative count below 2^62.
        let t = get_trace(&counts, &(which, 1e12), &mut rng).unwrap();
        match t.value(site).unwrap() {
            Value::Int(k) => assert!((0..1 << 62).contains(k), "{site}: {k}"),
            other => panic!("{other}"),
        }
    }
}
