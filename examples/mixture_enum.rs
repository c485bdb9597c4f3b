//! A Gaussian mixture with one discrete assignment per point, trained with `TraceEnumElbo`:
//! the assignments are marked for enumeration and summed out exactly in every step (Pyro's
//! Gaussian mixture model tutorial, with `config_enumerate` and `TraceEnum_ELBO`), while an
//! `AutoDelta` guide learns the weights, locations and scale (MAP). Then the posterior
//! probability of each point's assignment (`compute_marginals`) at the learned values.
//!
//! Run with `cargo run --release --example mixture_enum`.

use smallx::handler::substitute;
use smallx::infer::enumerate::compute_marginals;
use smallx::infer::{Adam, AutoDelta, InitLoc, Svi, TraceEnumElbo};
use smallx::prelude::*;

const K: usize = 2;

#[model]
fn gmm(data: &[f64]) {
    let weights = sample!("weights", Dirichlet::from_f64(&[0.5; K]));
    let scale = sample!("scale", LogNormal::new(0.0, 2.0));
    let mut locs: Vec<Real> = Vec::with_capacity(K);
    for k in 0..K {
        locs.push(sample!(format!("loc_{k}"), Normal::new(0.0, 10.0)));
    }
    for (i, &x) in data.iter().enumerate() {
        plate!("data", data.len(), |_| {
            let z = sample!(
                format!("assignment_{i}"),
                Categorical::new(weights.as_slice()),
                infer = enumerate
            );
            observe!(format!("obs_{i}"), Normal::new(locs[z], scale), x);
        });
    }
}

fn main() -> smallx::Result<()> {
    // The data of Pyro's tutorial; the locations start at two of the points, as there.
    let data = [0.0, 1.0, 10.0, 11.0, 12.0];
    let guide =
        AutoDelta::new(gmm).init_loc(InitLoc::Values(data! { "loc_0" => 0.0, "loc_1" => 12.0 }));
    let mut svi = Svi::new(gmm, guide, Adam::new(0.1), TraceEnumElbo::new())
        .seed(0)
        .progress(false);
    let report = svi.run(500, &(&data[..],))?;
    let point = svi.guide().point(svi.params())?;
    let real = |name: &str| point.get(name).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
    let (loc0, loc1, scale) = (real("loc_0"), real("loc_1"), real("scale"));
    let weights = point
        .get("weights")
        .and_then(|v| v.real_values())
        .unwrap_or_default();
    println!(
        "final loss {:.3}",
        report.last().copied().unwrap_or(f64::NAN)
    );
    println!("locs {loc0:.3} {loc1:.3}, scale {scale:.3}, weights {weights:.3?}");

    let fitted = substitute(gmm, point);
    let marginals = compute_marginals(&fitted, &(&data[..],), &mut SmallRng::seed_from_u64(1))?;
    let p_first: Vec<f64> = (0..data.len())
        .map(|i| {
            marginals
                .probs(&format!("assignment_{i}"))
                .map_or(f64::NAN, |p| p[0])
        })
        .collect();
    for (x, p) in data.iter().zip(&p_first) {
        println!("x = {x:5.1}: P(component 0) = {p:.4}");
    }
    println!(
        "RESULT {{\"locs\": [{loc0:.4}, {loc1:.4}], \"scale\": {scale:.4}, \"weights\": [{}], \"p_component0\": [{}]}}",
        weights
            .iter()
            .map(|w| format!("{w:.4}"))
            .collect::<Vec<_>>()
            .join(", "),
        p_first
            .iter()
            .map(|p| format!("{p:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
