//! Every builder option set to a value outside its range: an error naming the option, the
//! value and the valid range, at the latest when the run starts; never a silent fallback.

use super::*;
use smallx::Error;
use smallx::infer::criteria::{LogLik, loo_with_reff, stacking_weights};
use smallx::infer::{
    Adam, AutoMultivariateNormal, AutoNormal, Callback, Control, Hmc, Importance, ImqKernel, Init,
    Map, Mcmc, Metropolis, Nuts, Predictive, RbfKernel, Sgd, StepInfo, Svgd, Svi, TraceElbo,
    TraceMeanFieldElbo, compare, waic,
};

fn svi_with<O: smallx::infer::Optimizer>(optim: O) -> smallx::Result<f64> {
    Svi::new(weigh, weigh_guide, optim, TraceElbo::new())
        .progress(false)
        .step(&(1.0,))
}

fn mcmc<K: smallx::infer::Kernel>(m: Mcmc<K>) -> smallx::Result<smallx::infer::Samples>
where
    for<'a> <K::Model as Model>::Args<'a>: Sync,
    K::Model: for<'a> Model<Args<'a> = (f64,)>,
{
    m.warmup(5).samples(5).progress(false).run(&(1.0,))
}

fn metropolis() -> Metropolis<impl for<'a> Model<Args<'a> = (f64,)> + Sync + Clone> {
    Metropolis::new(weigh).warmup(5).samples(5).progress(false)
}

// --- Svi, Adam, ClippedAdam (clip_norm, lr_decay), Sgd -------------------------------------

#[test]
fn adam_nan_learning_rate_names_the_option() {
    let msg = assert_err!(
        svi_with(Adam::new(f64::NAN)),
        Error::InvalidOption { .. },
        "Adam",
        "`lr`",
        "NaN"
    );
    assert!(
        !msg.contains("measurement") && !msg.contains("site"),
        "{msg}"
    );
}

#[test]
fn adam_zero_learning_rate() {
    assert_err!(
        svi_with(Adam::new(0.0)),
        Error::InvalidOption { .. },
        "`lr`",
        "0",
        "positive"
    );
}

#[test]
fn adam_negative_learning_rate() {
    assert_err!(
        svi_with(Adam::new(-0.01)),
        Error::InvalidOption { .. },
        "`lr`",
        "-0.01"
    );
}

#[test]
fn adam_infinite_learning_rate() {
    assert_err!(
        svi_with(Adam::new(f64::INFINITY)),
        Error::InvalidOption { .. },
        "`lr`",
        "inf"
    );
}

#[test]
fn clip_norm_negative_would_turn_descent_into_ascent() {
    assert_err!(
        svi_with(Adam::new(0.01).clip_norm(-1.0)),
        Error::InvalidOption { .. },
        "`clip_norm`",
        "-1",
        "positive"
    );
}

#[test]
fn clip_norm_zero() {
    assert_err!(
        svi_with(Adam::new(0.01).clip_norm(0.0)),
        Error::InvalidOption { .. },
        "`clip_norm`",
        "0"
    );
}

#[test]
fn clip_norm_nan() {
    assert_err!(
        svi_with(Adam::new(0.01).clip_norm(f64::NAN)),
        Error::InvalidOption { .. },
        "`clip_norm`",
        "NaN"
    );
}

#[test]
fn clip_norm_infinite_means_no_clipping() {
    assert!(
        svi_with(Adam::new(0.01).clip_norm(f64::INFINITY))
            .unwrap()
            .is_finite()
    );
}

#[test]
fn adam_beta1_above_one() {
    assert_err!(
        svi_with(Adam::new(0.01).betas(1.5, 0.999)),
        Error::InvalidOption { .. },
        "`beta1`",
        "1.5",
        "[0, 1)"
    );
}

#[test]
fn adam_beta2_negative() {
    assert_err!(
        svi_with(Adam::new(0.01).betas(0.9, -0.1)),
        Error::InvalidOption { .. },
        "`beta2`",
        "-0.1"
    );
}

#[test]
fn adam_beta2_one() {
    assert_err!(
        svi_with(Adam::new(0.01).betas(0.9, 1.0)),
        Error::InvalidOption { .. },
        "`beta2`",
        "1"
    );
}

#[test]
fn adam_lr_decay_zero() {
    assert_err!(
        svi_with(Adam::new(0.01).lr_decay(0.0)),
        Error::InvalidOption { .. },
        "`lr_decay`",
        "0",
        "(0, 1]"
    );
}

#[test]
fn adam_lr_decay_nan() {
    assert_err!(
        svi_with(Adam::new(0.01).lr_decay(f64::NAN)),
        Error::InvalidOption { .. },
        "`lr_decay`",
        "NaN"
    );
}

#[test]
fn adam_lr_decay_above_one_would_grow_without_bound() {
    assert_err!(
        svi_with(Adam::new(0.01).lr_decay(1.5)),
        Error::InvalidOption { .. },
        "`lr_decay`",
        "1.5"
    );
}

#[test]
fn sgd_nan_learning_rate() {
    assert_err!(
        svi_with(Sgd::new(f64::NAN)),
        Error::InvalidOption { .. },
        "Sgd",
        "`lr`",
        "NaN"
    );
}

#[test]
fn sgd_negative_learning_rate() {
    assert_err!(
        svi_with(Sgd::new(-1.0)),
        Error::InvalidOption { .. },
        "Sgd",
        "`lr`",
        "-1"
    );
}

#[test]
fn sgd_momentum_one() {
    assert_err!(
        svi_with(Sgd::new(0.01).with_momentum(1.0)),
        Error::InvalidOption { .. },
        "`momentum`",
        "1",
        "[0, 1)"
    );
}

#[test]
fn sgd_momentum_negative() {
    assert_err!(
        svi_with(Sgd::new(0.01).with_momentum(-0.5)),
        Error::InvalidOption { .. },
        "`momentum`",
        "-0.5"
    );
}

#[test]
fn trace_elbo_zero_particles() {
    let mut svi = Svi::new(
        weigh,
        weigh_guide,
        Adam::new(0.01),
        TraceElbo::new().num_particles(0),
    )
    .progress(false);
    assert_err!(
        svi.step(&(1.0,)),
        Error::InvalidOption { .. },
        "`num_particles`",
        "0",
        "at least 1"
    );
}

#[test]
fn trace_mean_field_elbo_zero_particles() {
    let mut svi = Svi::new(
        weigh,
        weigh_guide,
        Adam::new(0.01),
        TraceMeanFieldElbo::new().num_particles(0),
    )
    .progress(false);
    assert_err!(
        svi.step(&(1.0,)),
        Error::InvalidOption { .. },
        "`num_particles`",
        "0"
    );
}

/// Every ELBO refuses zero particles before the first step, naming itself and the option
/// (none clamps it to one).
#[test]
fn every_elbo_refuses_zero_particles() {
    fn step<E: smallx::infer::Elbo>(elbo: E) -> smallx::Result<f64> {
        Svi::new(weigh, weigh_guide, Adam::new(0.01), elbo)
            .progress(false)
            .step(&(1.0,))
    }
    for (name, result) in [
        (
            "RenyiElbo",
            step(smallx::infer::RenyiElbo::new().num_particles(0)),
        ),
        (
            "TraceGraphElbo",
            step(smallx::infer::TraceGraphElbo::new().num_particles(0)),
        ),
        (
            "TraceEnumElbo",
            step(smallx::infer::TraceEnumElbo::new().num_particles(0)),
        ),
    ] {
        match result {
            Err(e @ Error::InvalidOption { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(name) && msg.contains("`num_particles`"),
                    "{msg}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

struct StopAfter(usize);
impl Callback for StopAfter {
    fn after_step(&mut self, info: &StepInfo<'_>) -> Control {
        if info.step + 1 >= self.0 {
            Control::Stop(format!("stopped after {} steps", self.0))
        } else {
            Control::Continue
        }
    }
}

#[test]
fn svi_run_until_a_callback_stops_it_with_usize_max_steps() {
    let mut svi = Svi::new(weigh, weigh_guide, Adam::new(0.01), TraceElbo::new()).progress(false);
    let report = svi
        .run_with_callbacks(usize::MAX, &(1.0,), &mut [&mut StopAfter(3)])
        .unwrap();
    assert_eq!(report.losses.len(), 3);
    assert_eq!(report.stopped.unwrap().0, 3);
}

#[test]
fn svi_run_zero_steps_is_empty() {
    let mut svi = Svi::new(weigh, weigh_guide, Adam::new(0.01), TraceElbo::new()).progress(false);
    assert!(svi.run(0, &(1.0,)).unwrap().is_empty());
    assert_eq!(svi.steps_taken(), 0);
}

// --- Map --------------------------------------------------------------------------------

#[test]
fn map_nan_learning_rate_names_the_option() {
    let msg = assert_err!(
        Map::new(weigh).lr(f64::NAN).run(&(1.0,)),
        Error::Config {
            algorithm: "Map",
            ..
        } | Error::InvalidOption { .. },
        "lr",
        "NaN"
    );
    assert!(!msg.contains("site"), "{msg}");
}

#[test]
fn map_zero_learning_rate() {
    assert_err!(
        Map::new(weigh).lr(0.0).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "lr",
        "0"
    );
}

#[test]
fn map_nan_tolerance() {
    assert_err!(
        Map::new(weigh).tolerance(f64::NAN).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "tolerance",
        "NaN"
    );
}

#[test]
fn map_negative_tolerance() {
    assert_err!(
        Map::new(weigh).tolerance(-1.0).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "tolerance",
        "-1"
    );
}

// --- Metropolis ---------------------------------------------------------------------------

#[test]
fn metropolis_initial_scale_zero() {
    assert_err!(
        metropolis().initial_scale(0.0).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "initial_scale",
        "0"
    );
}

#[test]
fn metropolis_initial_scale_nan_names_the_option() {
    let msg = assert_err!(
        metropolis().initial_scale(f64::NAN).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "initial_scale",
        "NaN"
    );
    assert!(!msg.contains("site"), "{msg}");
}

#[test]
fn metropolis_initial_scale_negative() {
    assert_err!(
        metropolis().initial_scale(-1.0).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "initial_scale",
        "-1"
    );
}

#[test]
fn metropolis_target_accept_above_one() {
    assert_err!(
        metropolis().target_accept(1.5).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "target_accept",
        "1.5"
    );
}

#[test]
fn metropolis_target_accept_zero() {
    assert_err!(
        metropolis().target_accept(0.0).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "target_accept",
        "0"
    );
}

#[test]
fn metropolis_target_accept_nan() {
    assert_err!(
        metropolis().target_accept(f64::NAN).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "target_accept",
        "NaN"
    );
}

#[test]
fn metropolis_zero_chains() {
    assert_err!(
        metropolis().chains(0).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "chains",
        "0",
        "at least 1"
    );
}

#[test]
fn metropolis_zero_thin() {
    assert_err!(
        metropolis().thin(0).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "thin",
        "at least 1"
    );
}

#[test]
fn metropolis_zero_samples() {
    assert_err!(
        metropolis().samples(0).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "samples",
        "at least 1"
    );
}

#[test]
fn metropolis_usize_max_samples() {
    assert_err!(
        metropolis().samples(usize::MAX).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "samples",
        "18446744073709551615"
    );
}

#[test]
fn metropolis_usize_max_warmup() {
    assert_err!(
        metropolis().warmup(usize::MAX).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "warmup",
        "18446744073709551615"
    );
}

#[test]
fn metropolis_usize_max_thin() {
    assert_err!(
        metropolis().thin(usize::MAX).run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "thin",
        "18446744073709551615"
    );
}

// --- NUTS, HMC, the Mcmc driver, Init -----------------------------------------------------

#[test]
fn nuts_target_accept_above_one() {
    assert_err!(
        mcmc(Mcmc::new(Nuts::new(weigh).target_accept(1.5))),
        Error::Config { .. } | Error::InvalidOption { .. },
        "target_accept",
        "1.5",
        "(0, 1)"
    );
}

#[test]
fn nuts_target_accept_zero() {
    assert_err!(
        mcmc(Mcmc::new(Nuts::new(weigh).target_accept(0.0))),
        Error::Config { .. } | Error::InvalidOption { .. },
        "target_accept",
        "0"
    );
}

#[test]
fn nuts_target_accept_nan() {
    assert_err!(
        mcmc(Mcmc::new(Nuts::new(weigh).target_accept(f64::NAN))),
        Error::Config { .. } | Error::InvalidOption { .. },
        "target_accept",
        "NaN"
    );
}

#[test]
fn hmc_target_accept_one() {
    assert_err!(
        mcmc(Mcmc::new(Hmc::new(weigh).target_accept(1.0))),
        Error::Config { .. } | Error::InvalidOption { .. },
        "target_accept",
        "1"
    );
}

#[test]
fn nuts_max_tree_depth_zero() {
    assert_err!(
        mcmc(Mcmc::new(Nuts::new(weigh).max_tree_depth(0))),
        Error::Config { .. } | Error::InvalidOption { .. },
        "max_tree_depth",
        "0"
    );
}

#[test]
fn nuts_max_tree_depth_too_deep() {
    assert_err!(
        mcmc(Mcmc::new(Nuts::new(weigh).max_tree_depth(64))),
        Error::Config { .. } | Error::InvalidOption { .. },
        "max_tree_depth",
        "64"
    );
}

#[test]
fn hmc_trajectory_length_zero() {
    assert_err!(
        mcmc(Mcmc::new(Hmc::new(weigh).trajectory_length(0.0))),
        Error::Config { .. } | Error::InvalidOption { .. },
        "trajectory_length",
        "0"
    );
}

#[test]
fn hmc_trajectory_length_nan() {
    assert_err!(
        mcmc(Mcmc::new(Hmc::new(weigh).trajectory_length(f64::NAN))),
        Error::Config { .. } | Error::InvalidOption { .. },
        "trajectory_length",
        "NaN"
    );
}

#[test]
fn nuts_zero_chains() {
    assert_err!(
        mcmc(Mcmc::new(Nuts::new(weigh)).chains(0)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "chains"
    );
}

#[test]
fn nuts_usize_max_samples_without_warmup_is_refused_not_run_forever() {
    assert_err!(
        Mcmc::new(Nuts::new(weigh))
            .warmup(0)
            .samples(usize::MAX)
            .progress(false)
            .run(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "samples",
        "18446744073709551615"
    );
}

#[test]
fn init_uniform_negative_radius() {
    assert_err!(
        mcmc(Mcmc::new(Nuts::new(weigh)).init(Init::Uniform { radius: -1.0 })),
        Error::Config { .. } | Error::InvalidOption { .. },
        "radius",
        "-1"
    );
}

#[test]
fn init_uniform_nan_radius() {
    assert_err!(
        mcmc(Mcmc::new(Nuts::new(weigh)).init(Init::Uniform { radius: f64::NAN })),
        Error::Config { .. } | Error::InvalidOption { .. },
        "radius",
        "NaN"
    );
}

#[test]
fn init_median_zero_samples() {
    assert_err!(
        mcmc(Mcmc::new(Nuts::new(weigh)).init(Init::Median { num_samples: 0 })),
        Error::Config { .. } | Error::InvalidOption { .. },
        "num_samples"
    );
}

// --- Importance, Predictive --------------------------------------------------------------

#[test]
fn importance_zero_samples() {
    assert_err!(
        Importance::new(weigh).num_samples(0).run(&(1.0,)),
        Error::InvalidOption { .. },
        "`num_samples`",
        "0",
        "at least 1"
    );
}

#[test]
fn importance_usize_max_samples() {
    assert_err!(
        Importance::new(weigh).num_samples(usize::MAX).run(&(1.0,)),
        Error::InvalidOption { .. },
        "`num_samples`",
        "18446744073709551615"
    );
}

#[test]
fn importance_parallel_zero_samples() {
    assert_err!(
        Importance::new(weigh).num_samples(0).run_parallel(&(1.0,)),
        Error::InvalidOption { .. },
        "`num_samples`",
        "0"
    );
}

#[test]
fn predictive_zero_samples() {
    assert_err!(
        Predictive::new(weigh).num_samples(0).prior(&(1.0,)),
        Error::InvalidOption { .. },
        "`num_samples`",
        "0"
    );
}

#[test]
fn predictive_usize_max_samples() {
    assert_err!(
        Predictive::new(weigh)
            .num_samples(usize::MAX)
            .prior(&(1.0,)),
        Error::InvalidOption { .. },
        "`num_samples`",
        "18446744073709551615"
    );
}

#[test]
fn predictive_from_guide_zero_samples() {
    assert_err!(
        Predictive::new(weigh)
            .num_samples(0)
            .from_guide(&(1.0,), &weigh_guide, &ParamStore::new()),
        Error::InvalidOption { .. },
        "`num_samples`"
    );
}

// --- SVGD ---------------------------------------------------------------------------------

fn svgd_step<K: smallx::infer::SteinKernel>(svgd: Svgd<weigh, K, Adam>) -> smallx::Result<f64> {
    let mut svgd = svgd.progress(false);
    svgd.step(&(1.0,))
}

#[test]
fn svgd_zero_particles() {
    assert_err!(
        svgd_step(Svgd::new(weigh, RbfKernel::new(), Adam::new(0.1)).num_particles(0)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "num_particles",
        "0"
    );
}

#[test]
fn svgd_one_particle() {
    assert_err!(
        svgd_step(Svgd::new(weigh, RbfKernel::new(), Adam::new(0.1)).num_particles(1)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "num_particles",
        "1"
    );
}

#[test]
fn svgd_usize_max_particles() {
    assert_err!(
        svgd_step(Svgd::new(weigh, RbfKernel::new(), Adam::new(0.1)).num_particles(usize::MAX)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "num_particles",
        "18446744073709551615"
    );
}

#[test]
fn svgd_nan_learning_rate_names_the_option() {
    assert_err!(
        svgd_step(Svgd::new(weigh, RbfKernel::new(), Adam::new(f64::NAN)).num_particles(4)),
        Error::InvalidOption { .. },
        "`lr`",
        "NaN"
    );
}

#[test]
fn svgd_rbf_bandwidth_factor_zero() {
    assert_err!(
        svgd_step(
            Svgd::new(
                weigh,
                RbfKernel::new().bandwidth_factor(0.0),
                Adam::new(0.1)
            )
            .num_particles(4)
        ),
        Error::Config { .. } | Error::InvalidOption { .. },
        "bandwidth",
        "0"
    );
}

#[test]
fn svgd_rbf_bandwidth_factor_nan() {
    assert_err!(
        svgd_step(
            Svgd::new(
                weigh,
                RbfKernel::new().bandwidth_factor(f64::NAN),
                Adam::new(0.1)
            )
            .num_particles(4)
        ),
        Error::Config { .. } | Error::InvalidOption { .. },
        "bandwidth",
        "NaN"
    );
}

#[test]
fn svgd_imq_alpha_zero() {
    assert_err!(
        ImqKernel::with(0.0, -0.5),
        Error::Config { .. } | Error::InvalidOption { .. },
        "alpha",
        "0"
    );
}

#[test]
fn svgd_imq_beta_positive() {
    assert_err!(
        ImqKernel::with(1.0, 0.5),
        Error::Config { .. } | Error::InvalidOption { .. },
        "beta",
        "0.5"
    );
}

#[test]
fn svgd_feasible_init_puts_every_particle_at_one_point() {
    assert_err!(
        svgd_step(
            Svgd::new(weigh, RbfKernel::new(), Adam::new(0.1))
                .num_particles(4)
                .init(Init::Feasible)
        ),
        Error::Config { .. },
        "same point"
    );
}

// --- autoguides ----------------------------------------------------------------------------

fn autonormal_step(guide: AutoNormal<weigh>) -> smallx::Result<f64> {
    Svi::new(weigh, guide, Adam::new(0.01), TraceElbo::new())
        .progress(false)
        .step(&(1.0,))
}

#[test]
fn autonormal_init_scale_zero() {
    assert_err!(
        autonormal_step(AutoNormal::new(weigh).init_scale(0.0)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "init_scale",
        "0"
    );
}

#[test]
fn autonormal_init_scale_nan_names_the_option() {
    let msg = assert_err!(
        autonormal_step(AutoNormal::new(weigh).init_scale(f64::NAN)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "init_scale",
        "NaN"
    );
    assert!(!msg.contains("site `"), "{msg}");
}

#[test]
fn autonormal_init_scale_negative() {
    assert_err!(
        autonormal_step(AutoNormal::new(weigh).init_scale(-1.0)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "init_scale",
        "-1"
    );
}

#[test]
fn automultivariatenormal_init_scale_zero() {
    let mut svi = Svi::new(
        weigh,
        AutoMultivariateNormal::new(weigh).init_scale(0.0),
        Adam::new(0.01),
        TraceElbo::new(),
    )
    .progress(false);
    assert_err!(
        svi.step(&(1.0,)),
        Error::Config { .. } | Error::InvalidOption { .. },
        "init_scale",
        "0"
    );
}

fn fitted_autonormal() -> (AutoNormal<weigh>, ParamStore) {
    let mut svi = Svi::new(
        weigh,
        AutoNormal::new(weigh),
        Adam::new(0.01),
        TraceElbo::new(),
    )
    .progress(false);
    svi.run(2, &(1.0,)).unwrap();
    svi.into_parts()
}

#[test]
fn autonormal_quantile_above_one() {
    let (guide, store) = fitted_autonormal();
    assert_err!(
        guide.quantile(&store, 1.5),
        Error::Config { .. } | Error::InvalidOption { .. },
        "quantile",
        "1.5",
        "(0, 1)"
    );
}

#[test]
fn autonormal_quantile_negative() {
    let (guide, store) = fitted_autonormal();
    assert_err!(
        guide.quantile(&store, -0.1),
        Error::Config { .. } | Error::InvalidOption { .. },
        "quantile",
        "-0.1"
    );
}

#[test]
fn autonormal_quantile_nan() {
    let (guide, store) = fitted_autonormal();
    assert_err!(
        guide.quantile(&store, f64::NAN),
        Error::Config { .. } | Error::InvalidOption { .. },
        "quantile",
        "NaN"
    );
}

#[test]
fn autonormal_median_is_the_half_quantile() {
    let (guide, store) = fitted_autonormal();
    assert_eq!(
        guide.median(&store).unwrap().get("w"),
        guide.quantile(&store, 0.5).unwrap().get("w")
    );
}

// --- waic, loo, compare --------------------------------------------------------------------

fn loglik() -> LogLik {
    let values: Vec<f64> = (0..40).map(|k| -1.0 - 0.01 * (k % 7) as f64).collect();
    LogLik::from_array(1, 20, vec!["y[0]".into(), "y[1]".into()], &values).unwrap()
}

#[test]
fn loglik_zero_chains() {
    assert_err!(
        LogLik::from_array(0, 10, vec!["y".into()], &[]),
        Error::Config { .. } | Error::InvalidOption { .. },
        "0"
    );
}

#[test]
fn loglik_wrong_number_of_values() {
    assert_err!(
        LogLik::from_array(1, 10, vec!["y".into()], &[0.0; 9]),
        Error::Config { .. } | Error::InvalidOption { .. },
        "9 values"
    );
}

#[test]
fn loglik_nan_value_names_the_observation() {
    let mut values = vec![-1.0; 10];
    values[3] = f64::NAN;
    assert_err!(
        LogLik::from_array(1, 10, vec!["y".into()], &values),
        Error::Config { .. } | Error::InvalidOption { .. },
        "`y`",
        "draw 3",
        "NaN"
    );
}

#[test]
fn loo_relative_efficiency_zero() {
    assert_err!(
        loo_with_reff(&loglik(), 0.0),
        Error::Config { .. } | Error::InvalidOption { .. },
        "r_eff",
        "0"
    );
}

#[test]
fn loo_relative_efficiency_nan() {
    assert_err!(
        loo_with_reff(&loglik(), f64::NAN),
        Error::Config { .. } | Error::InvalidOption { .. },
        "r_eff",
        "NaN"
    );
}

#[test]
fn compare_no_models() {
    let none: [(&str, &smallx::infer::Waic); 0] = [];
    assert_err!(
        compare(&none),
        Error::Config { .. } | Error::InvalidOption { .. },
        "no models"
    );
}

#[test]
fn compare_name_given_twice() {
    let w = waic(&loglik()).unwrap();
    assert_err!(
        compare(&[("a", &w), ("a", &w)]),
        Error::Config { .. } | Error::InvalidOption { .. },
        "`a`",
        "twice"
    );
}

#[test]
fn compare_different_observations() {
    let w = waic(&loglik()).unwrap();
    let other = waic(&LogLik::from_array(1, 20, vec!["y".into()], &[-1.0; 20]).unwrap()).unwrap();
    assert!(matches!(
        compare(&[("a", &w), ("b", &other)]),
        Err(Error::Config { .. } | Error::InvalidOption { .. })
    ));
}

#[test]
fn stacking_no_models() {
    assert_err!(
        stacking_weights(&[]),
        Error::Config { .. } | Error::InvalidOption { .. },
        "no models"
    );
}

#[test]
fn svgd_run_until_a_callback_stops_it_with_usize_max_steps() {
    let mut svgd = Svgd::new(weigh, RbfKernel::new(), Adam::new(0.1))
        .num_particles(4)
        .progress(false);
    let report = svgd
        .run_with_callbacks(usize::MAX, &(1.0,), &mut [&mut StopAfter(2)])
        .unwrap();
    assert_eq!(report.losses.len(), 2);
}

#[test]
fn init_map_starts_the_chain_at_the_mode() {
    // With a proposal scale of 1e-12 and no warm-up, the one kept draw sits at the start: the
    // mode of p(w | y = 1), w = 0.5, not a prior draw.
    let samples = metropolis()
        .warmup(0)
        .samples(1)
        .initial_scale(1e-12)
        .init(Init::Map)
        .run(&(1.0,))
        .unwrap();
    let w = samples.values("w").unwrap()[0];
    assert!((w - 0.5).abs() < 1e-4, "{w}");
}

#[test]
fn loss_plateau_with_a_zero_window() {
    let mut plateau = smallx::infer::LossPlateau::new(0, 1e-3);
    let mut svi = Svi::new(weigh, weigh_guide, Adam::new(0.01), TraceElbo::new()).progress(false);
    let err = svi
        .run_with_callbacks(10, &(1.0,), &mut [&mut plateau])
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidOption {
                option: "window",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn parameter_convergence_checked_every_zero_steps() {
    let mut check = smallx::infer::CheckParametersConvergence::new().every(0);
    let mut svi = Svi::new(weigh, weigh_guide, Adam::new(0.01), TraceElbo::new()).progress(false);
    let err = svi
        .run_with_callbacks(10, &(1.0,), &mut [&mut check])
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidOption {
                option: "every",
                ..
            }
        ),
        "{err}"
    );
}
