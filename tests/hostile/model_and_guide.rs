//! Models and guides that do not fit each other, repeated or unknown names, values of the
//! wrong type, initial values of the wrong length.

use super::*;
use smallx::Error;
use smallx::infer::{
    Adam, AutoDelta, AutoNormal, Init, InitLoc, Map, Mcmc, Metropolis, Nuts, Svi, TraceElbo,
};

fn svi_step<G>(guide: G) -> smallx::Result<f64>
where
    G: for<'a> Model<Args<'a> = (f64,)>,
{
    Svi::new(weigh, guide, Adam::new(0.01), TraceElbo::new())
        .progress(false)
        .step(&(1.0,))
}

#[model]
fn guide_missing_w(y: f64) {
    let _ = y;
}

#[model]
fn guide_with_extra_site(y: f64) {
    let _ = y;
    sample!("w", Normal::new(0.0, 1.0));
    sample!("extra", Normal::new(0.0, 1.0));
}

#[model]
fn guide_with_wrong_support(y: f64) {
    let _ = y;
    sample!("w", Gamma::new(2.0, 1.0));
}

#[model]
fn guide_sampling_the_observation(y: f64) {
    let _ = y;
    sample!("w", Normal::new(0.0, 1.0));
    sample!("y", Normal::new(0.0, 1.0));
}

#[model]
fn guide_with_vector_w(y: f64) {
    let _ = y;
    sample!("w", Normal::new(0.0, 1.0).iid(2));
}

static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A guide whose parameter name changes on every run.
#[model]
fn guide_with_changing_param_names(y: f64) {
    let _ = y;
    let k = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let a = param!(format!("a_{k}"), 0.0);
    sample!("w", Normal::new(a, 1.0));
}

#[model]
fn model_with_duplicate_names(y: f64) {
    // A name built at run time: the macro cannot see the repetition.
    let name = String::from("w");
    let a = sample!(name.clone(), Normal::new(0.0, 1.0));
    let b = sample!(name, Normal::new(0.0, 1.0));
    observe!("y", Normal::new(a + b, 1.0), y);
}

#[model]
fn param_declared_twice_with_other_shapes(y: f64) {
    let _ = y;
    let name = String::from("a");
    let a = param!(name.clone(), 0.0);
    let b = param!(name, vec![0.0, 1.0]);
    let _ = (a, b);
    sample!("w", Normal::new(0.0, 1.0));
}

#[test]
fn guide_missing_a_latent_site() {
    assert_err!(
        svi_step(guide_missing_w),
        Error::ModelGuideMismatch(_),
        "`w`",
        "not in the guide"
    );
}

#[test]
fn guide_with_a_site_the_model_lacks() {
    assert_err!(
        svi_step(guide_with_extra_site),
        Error::ModelGuideMismatch(_),
        "`extra`"
    );
}

#[test]
fn guide_with_another_support() {
    assert_err!(
        svi_step(guide_with_wrong_support),
        Error::ModelGuideMismatch(_),
        "`w`"
    );
}

#[test]
fn guide_sampling_an_observed_site() {
    assert_err!(
        svi_step(guide_sampling_the_observation),
        Error::ModelGuideMismatch(_),
        "`y`"
    );
}

#[test]
fn guide_with_another_shape() {
    assert!(matches!(
        svi_step(guide_with_vector_w),
        Err(Error::ModelGuideMismatch(_) | Error::WrongValue { .. })
    ));
}

#[test]
fn guide_whose_param_names_change_every_run_is_an_error_not_a_hang() {
    assert_err!(
        svi_step(guide_with_changing_param_names),
        Error::Param { .. },
        "a_",
        "every run"
    );
}

#[test]
fn model_with_a_duplicate_site_name() {
    let mut rng = SmallRng::seed_from_u64(0);
    assert_err!(
        get_trace(&model_with_duplicate_names, &(1.0,), &mut rng),
        Error::DuplicateSite(_),
        "`w`"
    );
}

#[test]
fn duplicate_site_names_stop_nuts() {
    assert_err!(
        Mcmc::new(Nuts::new(model_with_duplicate_names))
            .warmup(5)
            .samples(5)
            .progress(false)
            .run(&(1.0,)),
        Error::DuplicateSite(_),
        "`w`"
    );
}

#[test]
fn param_declared_again_with_another_shape() {
    assert_err!(
        svi_step(param_declared_twice_with_other_shapes),
        Error::Param { .. } | Error::DuplicateSite(_),
        "`a`"
    );
}

#[test]
fn condition_on_an_unknown_name() {
    let mut rng = SmallRng::seed_from_u64(0);
    assert_err!(
        get_trace(&condition(weigh, data! { "ww" => 1.0 }), &(1.0,), &mut rng),
        Error::UnknownSite { .. },
        "`ww`",
        "w, y"
    );
}

#[test]
fn substitute_a_bool_for_a_real() {
    let mut rng = SmallRng::seed_from_u64(0);
    assert_err!(
        get_trace(&substitute(weigh, data! { "w" => true }), &(1.0,), &mut rng),
        Error::WrongValue { .. },
        "`w`",
        "a real number",
        "a boolean"
    );
}

#[test]
fn substitute_an_unknown_name() {
    let mut rng = SmallRng::seed_from_u64(0);
    assert_err!(
        get_trace(&substitute(weigh, data! { "z" => 1.0 }), &(1.0,), &mut rng),
        Error::UnknownSite { .. },
        "`z`"
    );
}

#[test]
fn init_values_of_the_wrong_length() {
    assert_err!(
        Mcmc::new(Nuts::new(vector_model))
            .init(Init::Values(data! { "mu" => vec![0.0, 1.0] }))
            .warmup(5)
            .samples(5)
            .progress(false)
            .run(&(1.0,)),
        Error::Config { .. } | Error::WrongValue { .. } | Error::Constraint { .. },
        "`mu`",
        "2",
        "3"
    );
}

#[test]
fn init_values_for_an_unknown_site() {
    assert_err!(
        Metropolis::new(weigh)
            .init(Init::Values(data! { "nope" => 1.0 }))
            .warmup(5)
            .samples(5)
            .progress(false)
            .run(&(1.0,)),
        Error::UnknownSite { .. },
        "`nope`",
        "w"
    );
}

#[test]
fn init_values_for_an_observed_site() {
    assert_err!(
        Metropolis::new(weigh)
            .init(Init::Values(data! { "y" => 1.0 }))
            .warmup(5)
            .samples(5)
            .progress(false)
            .run(&(1.0,)),
        Error::UnknownSite { .. },
        "`y`"
    );
}

#[test]
fn init_values_outside_the_support() {
    assert!(
        Mcmc::new(Nuts::new(vector_model))
            .init(Init::Values(data! { "sigma" => -1.0 }))
            .warmup(5)
            .samples(5)
            .progress(false)
            .run(&(1.0,))
            .is_err()
    );
}

#[test]
fn map_init_of_the_wrong_length() {
    assert_err!(
        Map::new(vector_model)
            .init(data! { "mu" => vec![0.0; 5] })
            .run(&(1.0,)),
        Error::Config { .. } | Error::WrongValue { .. } | Error::Constraint { .. },
        "`mu`"
    );
}

#[test]
fn map_init_of_an_unknown_site() {
    assert_err!(
        Map::new(weigh).init(data! { "nope" => 1.0 }).run(&(1.0,)),
        Error::UnknownSite { .. },
        "`nope`"
    );
}

#[test]
fn autoguide_init_loc_values_of_the_wrong_length() {
    let guide =
        AutoNormal::new(vector_model).init_loc(InitLoc::Values(data! { "mu" => vec![0.0; 2] }));
    let mut svi = Svi::new(vector_model, guide, Adam::new(0.01), TraceElbo::new()).progress(false);
    assert_err!(
        svi.step(&(1.0,)),
        Error::Config { .. } | Error::WrongValue { .. } | Error::Constraint { .. },
        "`mu`"
    );
}

#[test]
fn autoguide_init_loc_values_of_an_unknown_site() {
    let guide = AutoDelta::new(weigh).init_loc(InitLoc::Values(data! { "nope" => 0.0 }));
    let mut svi = Svi::new(weigh, guide, Adam::new(0.01), TraceElbo::new()).progress(false);
    assert_err!(svi.step(&(1.0,)), Error::UnknownSite { .. }, "`nope`");
}

#[test]
fn init_values_of_the_wrong_length_for_metropolis() {
    assert_err!(
        Metropolis::new(vector_model)
            .init(Init::Values(data! { "mu" => vec![0.0; 4] }))
            .warmup(5)
            .samples(5)
            .progress(false)
            .run(&(1.0,)),
        Error::Config { .. } | Error::WrongValue { .. } | Error::Constraint { .. },
        "`mu`",
        "4",
        "3"
    );
}

#[test]
fn init_values_with_a_matrix_for_a_vector_site() {
    let m = DMatrix::from_element(2, 2, 0.0);
    assert!(
        Map::new(vector_model)
            .init(data! { "mu" => m })
            .run(&(1.0,))
            .is_err_and(|e| e.to_string().contains("`mu`"))
    );
}

#[model]
fn coin_model(flips: &[bool]) {
    let p = sample!("p", Beta::new(2.0, 2.0));
    let k = sample!("k", Bernoulli::new(0.5));
    let _ = k;
    observe!("flips", Bernoulli::new(p).iid(flips.len()), flips);
}

#[test]
fn discrete_proposal_for_an_unknown_site() {
    let flips = [true, false];
    assert_err!(
        Metropolis::new(coin_model)
            .discrete_proposal("kk", smallx::infer::DiscreteProposal::Uniform)
            .discrete_proposal("k", smallx::infer::DiscreteProposal::Uniform)
            .warmup(5)
            .samples(5)
            .progress(false)
            .run(&(&flips[..],)),
        Error::UnknownSite { .. },
        "`kk`",
        "k"
    );
}

#[test]
fn discrete_proposal_for_a_continuous_site() {
    let flips = [true, false];
    assert_err!(
        Metropolis::new(coin_model)
            .discrete_proposal("k", smallx::infer::DiscreteProposal::Uniform)
            .discrete_proposal("p", smallx::infer::DiscreteProposal::Uniform)
            .warmup(5)
            .samples(5)
            .progress(false)
            .run(&(&flips[..],)),
        Error::UnknownSite { .. },
        "`p`"
    );
}

#[test]
fn nuts_refuses_a_discrete_latent_site() {
    let flips = [true, false];
    assert_err!(
        Mcmc::new(Nuts::new(coin_model))
            .warmup(5)
            .samples(5)
            .progress(false)
            .run(&(&flips[..],)),
        Error::Unsupported { .. },
        "`k`"
    );
}

#[model]
fn nothing_latent(y: f64) {
    observe!("y", Normal::new(0.0, 1.0), y);
}

#[test]
fn nuts_on_a_model_without_latent_sites() {
    assert!(
        Mcmc::new(Nuts::new(nothing_latent))
            .warmup(5)
            .samples(5)
            .progress(false)
            .run(&(1.0,))
            .is_err()
    );
}

#[test]
fn svi_with_a_stored_parameter_of_another_shape() {
    let mut store = ParamStore::new();
    store
        .insert("a", Value::from(vec![0.0, 1.0]), Constraint::Real)
        .unwrap();
    let mut svi = Svi::new(weigh, weigh_guide, Adam::new(0.01), TraceElbo::new())
        .with_params(store)
        .progress(false);
    assert_err!(
        svi.step(&(1.0,)),
        Error::WrongValue { .. } | Error::Param { .. },
        "`a`",
        "a real number",
        "a vector of 2 reals"
    );
}

#[test]
fn predictive_posterior_with_draws_of_another_model() {
    let mut other = smallx::infer::Samples::new(1);
    other.push(0, &[("zz", &Value::from(1.0))]).unwrap();
    assert_err!(
        smallx::infer::Predictive::new(weigh).posterior(&(1.0,), &other),
        Error::UnknownSite { .. },
        "`zz`"
    );
}

#[test]
fn waic_of_draws_of_another_model() {
    let mut other = smallx::infer::Samples::new(1);
    for x in [1.0, 2.0, 3.0, 4.0] {
        other.push(0, &[("zz", &Value::from(x))]).unwrap();
    }
    assert_err!(
        smallx::infer::criteria::waic_of(&weigh, &(1.0,), &other),
        Error::UnknownSite { .. },
        "`zz`"
    );
}
