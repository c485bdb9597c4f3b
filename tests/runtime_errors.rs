//! Every run-time mistake is an `Err` that names the site and what was expected.

use smallx::prelude::*;

#[model]
fn scale(guess: f64) -> Real {
    let weight = sample!("weight", Normal::new(guess, 1.0));
    sample!("measurement", Normal::new(weight, 0.75))
}

#[model]
fn repeated(n: usize) {
    for _ in 0..n {
        sample!("x", Normal::new(0.0, 1.0));
    }
}

#[model]
fn runtime_names(n: usize) {
    for i in 0..n {
        sample!(format!("z_{}", i % 2), Normal::new(0.0, 1.0));
    }
}

#[model]
fn coin() -> bool {
    sample!("flip", Bernoulli::new(0.3))
}

#[model]
fn bad_scale(s: f64) -> Real {
    sample!("x", Normal::new(0.0, s))
}

fn rng() -> SmallRng {
    SmallRng::seed_from_u64(7)
}

fn message<T>(r: Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_site_name_used_twice_in_one_run_is_an_error_naming_it() {
    assert!(get_trace(&repeated, &(1,), &mut rng()).is_ok());
    let msg = message(get_trace(&repeated, &(2,), &mut rng()));
    assert!(msg.contains("duplicate site name `x`"), "{msg}");
    let msg = message(get_trace(&runtime_names, &(3,), &mut rng()));
    assert!(msg.contains("duplicate site name `z_0`"), "{msg}");
    // Calling a model checks too.
    assert!(repeated.call_with(2, &mut rng()).is_err());
}

#[test]
fn conditioning_on_an_unknown_site_names_it_and_lists_the_known_ones() {
    let typo = condition(scale, data! { "mesurement" => 9.5 });
    let msg = message(get_trace(&typo, &(8.5,), &mut rng()));
    assert_eq!(
        msg,
        "condition: the model has no site named `mesurement`; its sites are: weight, measurement"
    );
    let msg = message(get_trace(
        &substitute(scale, data! { "wieght" => 9.0 }),
        &(8.5,),
        &mut rng(),
    ));
    assert!(
        msg.starts_with("substitute: the model has no site named `wieght`"),
        "{msg}"
    );
    let msg = message(get_trace(
        &intervene(scale, data! { "w" => 9.0 }),
        &(8.5,),
        &mut rng(),
    ));
    assert!(
        msg.starts_with("intervene: the model has no site named `w`"),
        "{msg}"
    );
}

#[test]
fn a_value_of_the_wrong_type_names_the_site_and_the_expectation() {
    let wrong = condition(scale, data! { "measurement" => vec![9.5, 9.6] });
    let msg = message(get_trace(&wrong, &(8.5,), &mut rng()));
    assert_eq!(
        msg,
        "site `measurement`: expected a real number for Normal, got a vector of 2 reals"
    );
    let msg = message(get_trace(
        &condition(coin, data! { "flip" => 2_i64 }),
        &(),
        &mut rng(),
    ));
    assert_eq!(
        msg,
        "site `flip`: expected a boolean for Bernoulli, got an integer"
    );
    let msg = message(get_trace(
        &condition(coin, data! { "flip" => 0.5 }),
        &(),
        &mut rng(),
    ));
    assert_eq!(
        msg,
        "site `flip`: expected a boolean for Bernoulli, got a real number"
    );
}

#[test]
fn lossless_conversions_are_accepted() {
    // JSON integers condition real sites; 0/1 condition boolean sites.
    let t = get_trace(
        &condition(scale, Data::from_json(r#"{"measurement": 9}"#).unwrap()),
        &(8.5,),
        &mut rng(),
    )
    .unwrap();
    assert_eq!(t.real("measurement").unwrap(), 9.0);
    let t = get_trace(&condition(coin, data! { "flip" => 1_i64 }), &(), &mut rng()).unwrap();
    assert_eq!(t.value("flip").unwrap(), &Value::Bool(true));
}

#[test]
fn an_invalid_distribution_parameter_names_the_site() {
    let msg = message(bad_scale.call_with(-1.0, &mut rng()));
    assert_eq!(
        msg,
        "site `x`: invalid Normal: scale must be positive, got -1"
    );
    let msg = message(bad_scale.call_with(f64::NAN, &mut rng()));
    assert!(
        msg.starts_with("site `x`: invalid Normal: scale must be positive"),
        "{msg}"
    );
}

#[test]
fn a_non_finite_log_probability_is_found_and_named() {
    // Observed data must be finite; with the check off, the trace records the -inf.
    let t = get_trace(
        &validate_data(
            condition(scale, data! { "measurement" => f64::INFINITY }),
            false,
        ),
        &(8.5,),
        &mut rng(),
    )
    .unwrap();
    let msg = message(t.check_finite());
    assert!(
        msg.starts_with("site `measurement`: the log-probability is not finite"),
        "{msg}"
    );
}

#[model]
fn subsampled(n: usize, m: usize) {
    plate!("data", n, subsample = m, |idx| {
        let _ = idx;
    });
}

#[test]
fn a_subsample_larger_than_its_plate_is_an_error() {
    let msg = message(subsampled.call_with(10, 20, &mut rng()));
    assert_eq!(
        msg,
        "plate `data`: subsample size 20 is larger than the plate size 10"
    );
}

#[model]
fn positive_param() -> Real {
    param!("b", 1.0, Constraint::Positive)
}

#[model]
fn real_param() -> Real {
    param!("b", 1.0)
}

#[model]
fn bad_init() -> Real {
    param!("b", -1.0, Constraint::Positive)
}

#[test]
fn parameter_mistakes_name_the_parameter() {
    let mut store = ParamStore::new();
    get_trace_with_params(&positive_param, &(), &mut rng(), &mut store).unwrap();
    let msg = message(get_trace_with_params(
        &bad_init,
        &(),
        &mut rng(),
        &mut ParamStore::new(),
    ));
    assert!(
        msg.starts_with(
            "param `b`: initial value -1: constraint positive: -1 is outside the constraint"
        ),
        "{msg}"
    );
    // The same name declared with another constraint conflicts with the stored entry.
    let msg = message(get_trace_with_params(
        &real_param,
        &(),
        &mut rng(),
        &mut store,
    ));
    assert!(
        msg.contains("param `b`: declared as a real number constrained to real"),
        "{msg}"
    );
}

#[model]
fn latent(n: usize) {
    sample!("x", Normal::new(0.0, 1.0));
    let _ = n;
}

#[test]
fn replaying_an_observed_site_into_a_latent_one_is_an_error() {
    let observed = get_trace(&condition(latent, data! { "x" => 1.0 }), &(0,), &mut rng()).unwrap();
    let msg = message(get_trace(&replay(latent, &observed), &(0,), &mut rng()));
    assert_eq!(
        msg,
        "replay: site `x` is observed in the trace being replayed, but latent in the model"
    );
}

#[test]
fn handler_options_are_validated() {
    let msg = message(get_trace(&smallx::scale(latent, -2.0), &(0,), &mut rng()));
    assert_eq!(msg, "scale: the factor must be positive and finite, got -2");
}

#[model]
fn many(n: usize, repeat: usize) {
    for i in 0..n {
        sample!(format!("z_{i}"), Normal::new(0.0, 1.0));
    }
    sample!(format!("z_{repeat}"), Normal::new(0.0, 1.0));
}

#[test]
fn duplicates_are_found_in_long_traces_too() {
    // Traces index their names once they pass 16 sites; both regimes find duplicates.
    for (n, repeat) in [(5, 3), (16, 15), (17, 0), (40, 39)] {
        let msg = message(get_trace(&many, &(n, repeat), &mut rng()));
        assert!(
            msg.contains(&format!("duplicate site name `z_{repeat}`")),
            "{n}: {msg}"
        );
    }
    let t = get_trace(&many, &(40, 40), &mut rng()).unwrap();
    assert_eq!(t.len(), 41);
    assert!(t.get("z_33").is_some() && t.get("z_41").is_none());
}
