//! The fused GLM likelihood sites agree with the same likelihood written row by row: in
//! value, and in every derivative (they compute derivatives by a pullback instead of carrying
//! them through each row).

use smallx::prelude::*;
use smallx::{DualSVec64, log_density};

fn design() -> (DMatrix<f64>, Vec<bool>, Vec<f64>) {
    let x = DMatrix::from_fn(7, 3, |i, j| ((i * 3 + j) as f64 * 0.37).sin() * 2.0);
    let y_bool = (0..7).map(|i| i % 3 != 1).collect();
    let y_real = (0..7).map(|i| (i as f64 * 0.9).cos() * 3.0).collect();
    (x, y_bool, y_real)
}

#[model]
fn logistic_fused(x: &Design, y: &[bool]) {
    let beta = sample!("beta", Normal::new(0.0, 1.0).iid(x.ncols()));
    let b = sample!("b", Normal::new(0.0, 1.0));
    observe!("y", BernoulliGlm::new(x, &beta, b), y);
}

#[model]
fn logistic_rows(x: &DMatrix<f64>, y: &[bool]) {
    let beta = sample!("beta", Normal::new(0.0, 1.0).iid(x.ncols()));
    let b = sample!("b", Normal::new(0.0, 1.0));
    let logits = (0..x.nrows()).map(|i| (0..x.ncols()).fold(b, |acc, j| acc + beta[j] * x[(i, j)]));
    observe!("y", Batch::new(logits.map(Bernoulli::logits)), y);
}

#[model]
fn linear_fused(x: &Design, y: &[f64]) {
    let beta = sample!("beta", Normal::new(0.0, 1.0).iid(x.ncols()));
    let b = sample!("b", Normal::new(0.0, 1.0));
    let sigma = sample!("sigma", HalfNormal::new(1.0));
    observe!("y", NormalGlm::new(x, &beta, b, sigma), y);
}

#[model]
fn linear_rows(x: &DMatrix<f64>, y: &[f64]) {
    let beta = sample!("beta", Normal::new(0.0, 1.0).iid(x.ncols()));
    let b = sample!("b", Normal::new(0.0, 1.0));
    let sigma = sample!("sigma", HalfNormal::new(1.0));
    let means = (0..x.nrows()).map(|i| (0..x.ncols()).fold(b, |acc, j| acc + beta[j] * x[(i, j)]));
    observe!("y", Batch::new(means.map(|m| Normal::new(m, sigma))), y);
}

type D = DualSVec64<5>;

fn latents(with_sigma: bool) -> Vec<(&'static str, Value<D>)> {
    let beta = DVector::from_fn(3, |j, _| Real::<D>::variable([0.4, -1.1, 0.7][j], j));
    let mut v = vec![
        ("beta", Value::RealVec(beta)),
        ("b", Value::Real(Real::variable(0.2, 3))),
    ];
    if with_sigma {
        v.push(("sigma", Value::Real(Real::variable(0.8, 4))));
    }
    v
}

fn assert_same(a: Real<D>, b: Real<D>) {
    assert!(
        (a.value() - b.value()).abs() < 1e-10 * b.value().abs().max(1.0),
        "{a} vs {b}"
    );
    for k in 0..5 {
        assert!(
            (a.derivative(k) - b.derivative(k)).abs() < 1e-10 * b.derivative(k).abs().max(1.0),
            "direction {k}: {a} vs {b}"
        );
    }
}

#[test]
fn bernoulli_glm_matches_the_row_by_row_likelihood() {
    let (x, y, _) = design();
    let rng = &mut SmallRng::seed_from_u64(0);
    let fused = log_density(
        &logistic_fused,
        &(&Design::new(x.clone()), &y[..]),
        &latents(false),
        rng,
    )
    .unwrap();
    let rows = log_density(&logistic_rows, &(&x, &y[..]), &latents(false), rng).unwrap();
    assert_same(fused, rows);
}

#[test]
fn normal_glm_matches_the_row_by_row_likelihood() {
    let (x, _, y) = design();
    let rng = &mut SmallRng::seed_from_u64(0);
    let fused = log_density(
        &linear_fused,
        &(&Design::new(x.clone()), &y[..]),
        &latents(true),
        rng,
    )
    .unwrap();
    let rows = log_density(&linear_rows, &(&x, &y[..]), &latents(true), rng).unwrap();
    assert_same(fused, rows);
}

#[test]
fn a_glm_with_the_wrong_number_of_coefficients_names_the_site() {
    #[model]
    fn wrong(x: &Design, y: &[bool]) {
        let beta = sample!("beta", Normal::new(0.0, 1.0).iid(2));
        observe!("y", BernoulliGlm::new(x, &beta, 0.0), y);
    }
    let (x, y, _) = design();
    let err = wrong
        .call_with(&Design::new(x), &y, &mut SmallRng::seed_from_u64(0))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "site `y`: invalid BernoulliGlm: beta must have one entry per column of the design matrix: beta has 2, X has 3 columns"
    );
}
