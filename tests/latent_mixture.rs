//! `Mixture` over weights that are model quantities (NumPyro's `MixtureSameFamily` with
//! Dirichlet weights).
//!
//! Tolerances: log-densities against statrs's normal density summed by hand, 1e-12 relative;
//! forward mode against central differences (step 1e-5: truncation and round-off about 1e-10),
//! 1e-6 relative; reverse against forward mode, 1e-10 relative; NUTS against the exact
//! posterior (a one-dimensional integral done numerically), 4 Monte Carlo standard errors of
//! the mean (sd/√ESS, bulk ESS, exact sd).

use smallx::dist::{Distribution, Mixture};
use smallx::infer::diagnostics::ess_bulk;
use smallx::infer::{Mcmc, Nuts};
use smallx::prelude::*;
use smallx::scalar::{Recording, Rev};
use smallx::{DistError, DualSVec64, Scalar};
use statrs::distribution::{Continuous, Normal as StatrsNormal};

const LOCS: [f64; 3] = [-1.0, 0.5, 2.0];
const SCALES: [f64; 3] = [0.7, 1.0, 0.4];

fn normals<S: Scalar>() -> [Normal<S>; 3] {
    std::array::from_fn(|k| Normal::new(LOCS[k], SCALES[k]).unwrap())
}

fn hand_sum(w: &[f64], x: f64) -> f64 {
    (0..3)
        .map(|k| w[k] * StatrsNormal::new(LOCS[k], SCALES[k]).unwrap().pdf(x))
        .sum::<f64>()
        .ln()
}

fn close(got: f64, expected: f64, what: &str) {
    assert!(
        (got - expected).abs() <= 1e-12 * expected.abs().max(1.0),
        "{what}: {got} vs {expected}"
    );
}

#[test]
fn the_log_density_is_the_weighted_sum_whatever_form_the_weights_take() {
    let w = [0.2, 0.5, 0.3];
    let reals = w.map(Real::<f64>::new);
    let dvec = DVector::from_vec(reals.to_vec());
    for x in [-2.0, -0.4, 0.5, 1.9, 4.0] {
        let expected = hand_sum(&w, x);
        let x = Real::new(x);
        let forms = [
            Mixture::new(&w, normals()).unwrap().log_prob(&x),
            Mixture::new(&w[..], normals()).unwrap().log_prob(&x),
            Mixture::new(&w.to_vec(), normals()).unwrap().log_prob(&x),
            Mixture::new(&reals, normals()).unwrap().log_prob(&x),
            Mixture::new(&reals[..], normals()).unwrap().log_prob(&x),
            Mixture::new(&reals.to_vec(), normals())
                .unwrap()
                .log_prob(&x),
            Mixture::new(&dvec, normals()).unwrap().log_prob(&x),
            Mixture::new(dvec.clone(), normals()).unwrap().log_prob(&x),
        ];
        for (i, lp) in forms.iter().enumerate() {
            close(lp.value(), expected, &format!("form {i} at {}", x.value()));
        }
    }
    // A zero weight drops its component, and leaves the derivatives finite.
    let w = [
        Real::<DualSVec64<1>>::variable(0.0, 0),
        Real::new(0.4),
        Real::new(0.6),
    ];
    let lp = Mixture::new(&w, normals())
        .unwrap()
        .log_prob(&Real::new(0.3));
    close(lp.value(), hand_sum(&[0.0, 0.4, 0.6], 0.3), "zero weight");
    assert!(lp.derivative(0).is_finite());
}

#[test]
fn invalid_weights_are_errors() {
    let bad = |w: &[f64]| Mixture::new(w, normals::<f64>()).unwrap_err();
    assert!(matches!(
        bad(&[f64::NAN, 0.5, 0.5]),
        DistError::NotFinite { .. }
    ));
    assert!(matches!(
        bad(&[f64::INFINITY, 0.5, 0.5]),
        DistError::NotFinite { .. }
    ));
    assert!(matches!(
        bad(&[-0.1, 0.6, 0.5]),
        DistError::OutOfRange { .. }
    ));
    assert!(matches!(
        bad(&[0.2, 0.2, 0.2]),
        DistError::NotNormalized { .. }
    ));
    assert!(matches!(bad(&[0.5, 0.5]), DistError::Shape { .. }));
    // Within 1e-6 of 1 is accepted.
    assert!(Mixture::new(&[0.2, 0.5, 0.3 + 5e-7], normals::<f64>()).is_ok());
}

/// The mixture's log-density at `x = 0.3 + t` with weights `(0.2 + a, 0.5 − a/2 + b, 0.3 −
/// a/2 − b)` (summing to 1 for every `a, b`) and the first component's location `c`.
fn log_density<S: Scalar>(v: [Real<S>; 4]) -> Real<S> {
    let [a, b, c, t] = v;
    let w = DVector::from_vec(vec![0.2 + a, 0.5 - a * 0.5 + b, 0.3 - a * 0.5 - b]);
    let comps = [
        Normal::new(c, SCALES[0]),
        Normal::new(LOCS[1], SCALES[1]),
        Normal::new(LOCS[2], SCALES[2]),
    ];
    Mixture::new(&w, comps).unwrap().log_prob(&(0.3 + t))
}

#[test]
fn gradients_in_the_weights_match_central_differences_and_reverse_mode() {
    let h = 1e-5;
    for p in [
        [0.0, 0.0, -1.0, 0.0],
        [0.1, -0.2, 0.3, 1.2],
        [-0.15, 0.1, -2.0, -1.5],
    ] {
        let fwd = log_density::<DualSVec64<4>>(std::array::from_fn(|i| Real::variable(p[i], i)));
        let recording = Recording::start();
        let rev = log_density::<Rev>(std::array::from_fn(|i| Real::variable(p[i], i)));
        let mut grad = [0.0; 4];
        recording.gradient(rev.0, &mut grad);
        drop(recording);
        for i in 0..4 {
            let at = |d: f64| {
                let mut q = p;
                q[i] += d;
                log_density::<f64>(q.map(Real)).value()
            };
            let cd = (at(h) - at(-h)) / (2.0 * h);
            let f = fwd.derivative(i);
            assert!(
                (f - cd).abs() <= 1e-6 * cd.abs().max(1.0),
                "at {p:?}, d/dv{i}: forward {f} vs central difference {cd}"
            );
            assert!(
                (grad[i] - f).abs() <= 1e-10 * f.abs().max(1.0),
                "at {p:?}, d/dv{i}: reverse {} vs forward {f}",
                grad[i]
            );
        }
    }
}

const MU: [f64; 2] = [-2.0, 2.0];

#[model]
fn two_groups(xs: &[f64]) {
    let w = sample!("w", Dirichlet::from_f64(&[1.0, 1.0]));
    let comps = MU.map(|m| Normal::new(m, 1.0));
    observe!("xs", Mixture::new(&w, comps).iid(xs.len()), xs);
}

fn data() -> Vec<f64> {
    let mut rng = SmallRng::seed_from_u64(5);
    let normal =
        |rng: &mut SmallRng, m: f64| Normal::<f64>::new(m, 1.0).unwrap().sample(rng).value();
    let mut xs: Vec<f64> = (0..12).map(|_| normal(&mut rng, MU[0])).collect();
    xs.extend((0..28).map(|_| normal(&mut rng, MU[1])));
    xs
}

/// The posterior mean and sd of `w₀` under its uniform prior: `∏ᵢ (w₀ p₀(xᵢ) + (1 − w₀)
/// p₁(xᵢ))` integrated by the midpoint rule on 100 000 cells (the density is smooth and
/// vanishes at both ends, so the rule's error is far below the Monte Carlo error).
fn exact_posterior(xs: &[f64]) -> (f64, f64) {
    let p: Vec<[f64; 2]> = xs
        .iter()
        .map(|&x| MU.map(|m| StatrsNormal::new(m, 1.0).unwrap().pdf(x)))
        .collect();
    let k = 100_000;
    let grid: Vec<(f64, f64)> = (0..k)
        .map(|i| {
            let w = (i as f64 + 0.5) / k as f64;
            let lp: f64 = p.iter().map(|[a, b]| (w * a + (1.0 - w) * b).ln()).sum();
            (w, lp)
        })
        .collect();
    let max = grid.iter().map(|g| g.1).fold(f64::NEG_INFINITY, f64::max);
    let (mut z, mut m1, mut m2) = (0.0, 0.0, 0.0);
    for &(w, lp) in &grid {
        let d = (lp - max).exp();
        z += d;
        m1 += d * w;
        m2 += d * w * w;
    }
    let mean = m1 / z;
    (mean, (m2 / z - mean * mean).sqrt())
}

// Worst standardised error of the mean over seeds 0..10: 0.87 (bulk ESS 630 to 860 of 2000).
#[test]
fn nuts_recovers_dirichlet_weights_of_a_two_component_mixture() {
    let xs = data();
    let (mean, sd) = exact_posterior(&xs);
    let samples = Mcmc::new(Nuts::new(two_groups))
        .warmup(500)
        .samples(1000)
        .chains(2)
        .seed(0)
        .progress(false)
        .run(&(&xs[..],))
        .unwrap();
    let chains = samples.site("w").unwrap().element(0).unwrap();
    let all = chains.concat();
    let m = all.iter().sum::<f64>() / all.len() as f64;
    let mcse = sd / ess_bulk(&chains).sqrt();
    assert!(
        (m - mean).abs() < 4.0 * mcse,
        "posterior mean of w₀: {m} vs {mean} (mcse {mcse}, {} SE)",
        (m - mean) / mcse
    );
    assert_eq!(samples.divergences(), 0);
}
