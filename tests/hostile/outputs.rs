//! Samples and diagnostics: out-of-range indices, chains of unequal length, empty input.

use super::*;
use smallx::Error;
use smallx::infer::Samples;
use smallx::infer::diagnostics::{ess_basic, ess_bulk, rhat, rhat_basic, split_chains};

#[test]
fn element_of_a_scalar_site_beyond_zero_is_an_error_not_shifted_draws() {
    let s = samples(2, 10);
    assert_err!(
        s.site("x").unwrap().element(5),
        Error::IndexOutOfRange { .. },
        "`x`",
        "element 5",
        "1"
    );
}

#[test]
fn element_of_a_vector_site_in_range() {
    let s = samples(1, 3);
    assert_eq!(
        s.site("v").unwrap().element(1).unwrap(),
        vec![vec![0.0, -1.0, -2.0]]
    );
}

#[test]
fn element_of_a_vector_site_out_of_range() {
    let s = samples(1, 3);
    assert_err!(
        s.site("v").unwrap().element(2),
        Error::IndexOutOfRange { .. },
        "`v`",
        "element 2",
        "2"
    );
}

#[test]
fn draw_beyond_the_last_one() {
    let s = samples(2, 4);
    assert_err!(
        s.site("x").unwrap().draw(0, 4),
        Error::IndexOutOfRange { .. },
        "`x`",
        "draw 4",
        "4"
    );
}

#[test]
fn draw_of_a_chain_that_does_not_exist() {
    let s = samples(2, 4);
    assert_err!(
        s.site("x").unwrap().draw(2, 0),
        Error::IndexOutOfRange { .. },
        "`x`",
        "chain 2",
        "2"
    );
}

#[test]
fn value_of_a_draw_out_of_range() {
    let s = samples(1, 4);
    assert_err!(
        s.site("v").unwrap().value(0, 100),
        Error::IndexOutOfRange { .. },
        "draw 100"
    );
}

#[test]
fn samples_draw_out_of_range() {
    let s = samples(1, 4);
    assert_err!(s.draw(0, 9), Error::IndexOutOfRange { .. }, "draw 9");
    assert_err!(s.draw(3, 0), Error::IndexOutOfRange { .. }, "chain 3");
}

#[test]
fn samples_draw_in_range_is_the_data_of_that_draw() {
    let s = samples(2, 4);
    let d = s.draw(1, 2).unwrap();
    assert_eq!(d.get("x").unwrap().as_f64().unwrap(), 2.5);
}

#[test]
fn push_to_a_chain_that_does_not_exist() {
    let mut s = Samples::new(2);
    assert_err!(
        s.push(2, &[("x", &Value::from(1.0))]),
        Error::IndexOutOfRange { .. },
        "`x`",
        "chain 2",
        "2"
    );
}

#[test]
fn push_numbers_to_a_chain_that_does_not_exist() {
    let mut s = Samples::new(1);
    assert_err!(
        s.push_numbers(5, "x", smallx::ValueKind::Real, &[1.0]),
        Error::IndexOutOfRange { .. },
        "chain 5"
    );
}

#[test]
fn push_numbers_of_the_wrong_length_for_the_kind() {
    let mut s = Samples::new(1);
    assert!(
        s.push_numbers(0, "x", smallx::ValueKind::Real, &[1.0, 2.0])
            .is_err()
    );
}

#[test]
fn push_a_value_of_another_kind_to_a_known_site() {
    let mut s = Samples::new(1);
    s.push(0, &[("x", &Value::from(1.0))]).unwrap();
    assert_err!(
        s.push(0, &[("x", &Value::from(vec![1.0, 2.0]))]),
        Error::WrongValue { .. },
        "`x`"
    );
}

#[test]
fn stats_of_a_chain_that_does_not_exist_is_none() {
    let mut s = samples(1, 4);
    assert_eq!(s.stats().get(3), None);
    assert!(s.stats_mut(3).is_none());
}

#[test]
fn loglik_observation_out_of_range_is_none() {
    let ll = smallx::infer::LogLik::from_array(1, 2, vec!["y".into()], &[-1.0, -2.0]).unwrap();
    assert_eq!(ll.observation(0), Some(&[-1.0, -2.0][..]));
    assert_eq!(ll.observation(1), None);
    assert_eq!(ll.get(0, 1, 0), Some(-2.0));
    assert_eq!(ll.get(0, 2, 0), None);
    assert_eq!(ll.get(1, 0, 0), None);
}

#[test]
fn importance_marginal_element_out_of_range() {
    let result = smallx::infer::Importance::new(vector_model)
        .num_samples(20)
        .progress(false)
        .run(&(1.0,))
        .unwrap();
    assert!(result.marginal_element("mu", 2).is_ok());
    assert!(
        result
            .marginal_element("mu", 3)
            .is_err_and(|e| e.to_string().contains("`mu`"))
    );
    assert!(
        result
            .marginal("nope")
            .is_err_and(|e| e.to_string().contains("`nope`"))
    );
}

#[test]
fn svgd_samples_before_any_step() {
    let svgd = smallx::infer::Svgd::new(
        weigh,
        smallx::infer::RbfKernel::new(),
        smallx::infer::Adam::new(0.1),
    );
    assert!(
        svgd.samples(&(1.0,))
            .is_err_and(|e| e.to_string().contains("step"))
    );
}

#[test]
fn arviz_export_of_empty_samples() {
    let s = Samples::new(0);
    let doc = smallx::infer::arviz::InferenceData::new(&s)
        .to_json()
        .unwrap();
    assert_eq!(doc["posterior"], serde_json::json!({}));
    assert_eq!(smallx::infer::arviz::to_csv(&s), "chain,draw\n");
}

#[test]
fn map_with_zero_steps_returns_the_start_and_its_density() {
    // Zero steps cannot converge: an error, unless an unconverged result is asked for.
    let err = smallx::infer::Map::new(weigh)
        .max_steps(0)
        .run(&(1.0,))
        .unwrap_err();
    assert!(matches!(err, smallx::Error::NotConverged { .. }), "{err}");
    let map = smallx::infer::Map::new(weigh)
        .max_steps(0)
        .init_strategy(smallx::infer::Init::Feasible)
        .allow_unconverged(true)
        .run(&(1.0,))
        .unwrap();
    assert!(!map.converged);
    assert_eq!(map.steps, 0);
    assert_eq!(map.point.get("w").unwrap().as_f64().unwrap(), 0.0);
    // log N(0 | 0, 1) + log N(1 | 0, 1)
    let expected = -(2.0 * std::f64::consts::PI).ln() - 0.5;
    assert!(
        (map.log_joint - expected).abs() < 1e-12,
        "{}",
        map.log_joint
    );
}

#[test]
fn samples_with_no_chains() {
    let s = Samples::new(0);
    assert_eq!(s.num_draws(), 0);
    assert!(s.summary().rows.is_empty());
}

#[test]
fn summary_of_a_site_with_no_draws_has_no_panic() {
    let mut s = Samples::new(2);
    s.push(0, &[("x", &Value::from(1.0))]).unwrap();
    s.push(0, &[("x", &Value::from(2.0))]).unwrap();
    // Chain 1 has no draws: the chains are unequal, and the diagnostics say so with NaN.
    let summary = s.summary();
    let row = summary.row("x").unwrap();
    assert!(row.r_hat.is_nan() && row.ess_bulk.is_nan(), "{row:?}");
    assert_eq!(row.mean, 1.5);
}

#[test]
fn summary_of_unequal_chains_gives_nan_diagnostics_not_a_panic() {
    let mut s = samples(2, 10);
    s.push(
        0,
        &[
            ("x", &Value::from(1.0)),
            ("v", &Value::from(vec![0.0, 0.0])),
        ],
    )
    .unwrap();
    let summary = s.summary();
    assert!(summary.row("x").unwrap().r_hat.is_nan());
    assert!(summary.row("v[1]").unwrap().ess_bulk.is_nan());
}

#[test]
fn values_of_a_vector_site_is_an_error_naming_it() {
    let s = samples(1, 4);
    assert_err!(
        s.values("v"),
        Error::InvalidSite { .. },
        "`v`",
        "element(j)"
    );
}

#[test]
fn values_of_an_unknown_site() {
    let s = samples(1, 4);
    assert_err!(
        s.values("nope"),
        Error::UnknownSite { .. },
        "`nope`",
        "x, v"
    );
}

#[test]
fn ess_basic_of_no_chains_is_nan() {
    assert!(ess_basic(&[]).is_nan());
}

#[test]
fn ess_basic_of_empty_chains_is_nan() {
    assert!(ess_basic(&[vec![], vec![]]).is_nan());
}

#[test]
fn rhat_basic_of_no_chains_is_nan() {
    assert!(rhat_basic(&[]).is_nan());
}

#[test]
fn rhat_basic_of_single_draw_chains_is_nan() {
    assert!(rhat_basic(&[vec![1.0], vec![2.0]]).is_nan());
}

#[test]
fn ess_basic_of_unequal_chains_is_nan() {
    assert!(ess_basic(&[vec![1.0, 2.0, 3.0, 4.0], vec![1.0, 2.0]]).is_nan());
}

#[test]
fn rhat_basic_of_unequal_chains_is_nan() {
    assert!(rhat_basic(&[vec![1.0, 2.0, 3.0, 4.0], vec![1.0, 2.0, 5.0]]).is_nan());
}

#[test]
fn rhat_and_ess_bulk_of_unequal_chains_are_nan() {
    let a: Vec<f64> = (0..20).map(f64::from).collect();
    let b: Vec<f64> = (0..13).map(f64::from).collect();
    assert!(rhat(&[a.clone(), b.clone()]).is_nan());
    assert!(ess_bulk(&[a, b]).is_nan());
}

#[test]
fn rhat_and_ess_of_empty_input_are_nan() {
    assert!(rhat(&[]).is_nan());
    assert!(ess_bulk(&[]).is_nan());
}

#[test]
fn split_chains_of_empty_input_is_empty() {
    assert!(split_chains(&[]).is_empty());
}

#[test]
fn thin_three_keeps_every_third_draw() {
    // The same seed with thin(1) and thin(3): the kept draws of thin(3) are iterations 3, 6, 9
    // ... of the same chain, which thin(1) keeps as draws 2, 5, 8, ...
    let run = |thin: usize, n: usize| {
        smallx::infer::Mcmc::new(smallx::infer::Nuts::new(weigh))
            .warmup(20)
            .samples(n)
            .thin(thin)
            .seed(7)
            .progress(false)
            .run(&(1.0,))
            .unwrap()
    };
    let all = run(1, 30).values("w").unwrap();
    let thinned = run(3, 10).values("w").unwrap();
    assert_eq!(thinned.len(), 10);
    let every_third: Vec<f64> = all.iter().skip(2).step_by(3).copied().collect();
    assert_eq!(thinned, every_third);
    assert_ne!(thinned, all[..10].to_vec());
}
