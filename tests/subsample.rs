//! Subsampled plates: autoguides keep parameters for every item of the plate and use the
//! rows of each run's subsample (as Pyro's autoguides do), and the algorithms that need the
//! model's full target refuse a subsampled plate with an error naming it.

use smallx::infer::{
    Adam, AutoDelta, AutoMultivariateNormal, AutoNormal, Importance, Map, Mcmc, Metropolis, Nuts,
    Svi, TraceElbo,
};
use smallx::prelude::*;

const N: usize = 200;

/// Per-point latents: `z_i ~ N(mu, 1)`, `y_i ~ N(z_i, 0.5)`; the plate uses `m` of the `N`
/// points per run (all of them, unshuffled, when `m` is `None`).
#[model]
fn local_effects(y: &[f64], m: Option<usize>) {
    let mu = sample!("mu", Normal::new(0.0, 5.0));
    match m {
        Some(m) => plate!("points", y.len(), subsample = m, |idx| {
            let z = sample!("z", Normal::new(mu, 1.0).iid(idx.len()));
            let ys = idx.select(y);
            sample!(
                "y",
                Batch::new(z.iter().map(|&zi| Normal::new(zi, 0.5))),
                obs = ys
            );
        }),
        None => plate!("points", y.len(), |idx| {
            let z = sample!("z", Normal::new(mu, 1.0).iid(idx.len()));
            let ys = idx.select(y);
            sample!(
                "y",
                Batch::new(z.iter().map(|&zi| Normal::new(zi, 0.5))),
                obs = ys
            );
        }),
    }
}

fn data() -> Vec<f64> {
    (0..N)
        .map(|i| 1.0 + 2.0 * ((i as f64) * 0.37).sin())
        .collect()
}

/// The fitted `z` locations of AutoNormal (all `N` of them).
fn fitted_z(m: Option<usize>, steps: usize) -> Vec<f64> {
    let y = data();
    let guide = AutoNormal::new(local_effects);
    // The learning rate decays from 0.05 to 1e-4, so the final locations sit at the optimum
    // up to a small fraction of their posterior sd (0.45), whatever the subsample noise.
    let decay = (1e-4f64 / 0.05).powf(1.0 / steps as f64);
    let mut svi = Svi::new(
        local_effects,
        guide,
        Adam::new(0.05).lr_decay(decay),
        TraceElbo::new(),
    )
    .seed(3)
    .progress(false);
    svi.run(steps, &(&y[..], m)).unwrap();
    let median = svi.guide().median(svi.params()).unwrap();
    median.get("z").unwrap().real_values().unwrap()
}

#[test]
fn autonormal_on_a_subsampled_plate_fits_every_point_like_the_full_data() {
    let full = fitted_z(None, 4000);
    // Each point is in a quarter of the subsamples, so it gets a quarter of the updates.
    let sub = fitted_z(Some(50), 16_000);
    assert_eq!(
        sub.len(),
        N,
        "one location per point of the plate, not per subsample"
    );
    let worst = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    };
    assert!(worst(&full, &sub) < 0.05, "{}", worst(&full, &sub));
    // Mean-field normal VI on a Gaussian model finds the exact posterior means:
    // E[z_i | y] = (E[mu | y] + 4 y_i) / 5, with y_i ~ N(mu, 1.25) marginally.
    let y = data();
    let mu = (y.iter().sum::<f64>() / 1.25) / (1.0 / 25.0 + N as f64 / 1.25);
    let exact: Vec<f64> = y.iter().map(|yi| (mu + 4.0 * yi) / 5.0).collect();
    // Seed 3; the worst over the 200 points was 0.028 (full) and 0.034 (subsampled).
    assert!(worst(&full, &exact) < 0.05, "{}", worst(&full, &exact));
    assert!(worst(&sub, &exact) < 0.05, "{}", worst(&sub, &exact));
}

#[test]
fn autodelta_keeps_a_point_per_item_of_a_subsampled_plate() {
    let y = data();
    let guide = AutoDelta::new(local_effects);
    let mut svi = Svi::new(local_effects, guide, Adam::new(0.05), TraceElbo::new())
        .seed(1)
        .progress(false);
    svi.run(200, &(&y[..], Some(20))).unwrap();
    let point = svi.guide().point(svi.params()).unwrap();
    assert_eq!(point.get("z").unwrap().real_values().unwrap().len(), N);
}

#[test]
fn automultivariatenormal_refuses_a_subsampled_site_naming_it_and_the_plate() {
    let y = data();
    let guide = AutoMultivariateNormal::new(local_effects);
    let mut svi = Svi::new(local_effects, guide, Adam::new(0.05), TraceElbo::new()).progress(false);
    let err = svi.step(&(&y[..], Some(50))).unwrap_err().to_string();
    assert!(
        err.contains("`z`") && err.contains("subsampled plate `points`"),
        "{err}"
    );
}

/// Every algorithm that needs the model's full target says which plate is subsampled.
#[test]
fn full_target_algorithms_refuse_a_subsampled_plate_naming_it() {
    let y = data();
    let args = (&y[..], Some(50));
    let check = |err: smallx::Error, algorithm: &str| {
        let message = err.to_string();
        assert!(
            message.contains("plate `points`")
                && message.contains("subsampled")
                && message.contains(algorithm),
            "{message}"
        );
    };
    let metropolis = Metropolis::new(local_effects)
        .warmup(10)
        .samples(10)
        .progress(false)
        .run(&args);
    check(metropolis.unwrap_err(), "Metropolis");
    let nuts = Mcmc::new(Nuts::new(local_effects))
        .warmup(10)
        .samples(10)
        .progress(false)
        .run(&args);
    check(nuts.unwrap_err(), "NUTS");
    check(Map::new(local_effects).run(&args).unwrap_err(), "Map");
    let importance = Importance::new(local_effects).num_samples(10).run(&args);
    check(importance.unwrap_err(), "Importance");
    // Without the subsample every one of them runs.
    assert!(Map::new(local_effects).run(&(&y[..], None)).is_ok());
}

#[model]
fn empty_subsample(y: &[f64]) {
    plate!("points", y.len(), subsample = 0, |idx| {
        let ys = idx.select(y);
        sample!("y", Normal::new(0.0, 1.0).iid(ys.len()), obs = ys);
    });
}

#[test]
fn a_subsample_of_zero_items_is_an_error_naming_the_plate() {
    let y = data();
    let err = empty_subsample
        .call_with(&y, &mut SmallRng::seed_from_u64(0))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("plate `points`") && err.contains("subsample size 0"),
        "{err}"
    );
}
