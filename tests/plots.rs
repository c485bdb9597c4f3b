//! With the `plot` feature: the plots are non-empty images of the stated size.
#![cfg(feature = "plot")]

use smallx::infer::plot::{SIZE, forest_plot, loss_curve, posterior_plot, trace_plot};
use smallx::infer::{Adam, AutoNormal, Metropolis, Svi, TraceElbo};
use smallx::prelude::*;

#[model]
fn best(group1: &[f64], group2: &[f64]) {
    let mu = sample!("mu", Normal::new(0.0, 1.0).iid(2));
    let sigma = sample!("sigma", Uniform::new(0.0, 100.0).iid(2));
    observe!(
        "group1",
        Normal::new(mu[0], sigma[0]).iid(group1.len()),
        group1
    );
    observe!(
        "group2",
        Normal::new(mu[1], sigma[1]).iid(group2.len()),
        group2
    );
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn trace_posterior_loss_and_forest_plots_are_images_of_the_stated_size() {
    let dir = std::env::temp_dir().join(format!("smallx-plots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (g1, g2) = ([0.5, 1.2, 0.9, 1.4], [-0.1, 0.3, 0.0, 0.2]);
    let args = (&g1[..], &g2[..]);
    let samples = Metropolis::new(best)
        .warmup(300)
        .samples(300)
        .chains(2)
        .seed(1)
        .progress(false)
        .run(&args)
        .unwrap();
    let mut svi = Svi::new(
        best,
        AutoNormal::new(best),
        Adam::new(0.05),
        TraceElbo::new(),
    )
    .progress(false);
    let losses = svi.run(100, &args).unwrap();

    trace_plot(&samples, "mu", dir.join("trace.png")).unwrap();
    posterior_plot(&samples, "sigma", dir.join("posterior.png")).unwrap();
    loss_curve(&losses, dir.join("loss.png")).unwrap();
    forest_plot(&samples.summary(), dir.join("forest.png")).unwrap();
    for name in ["trace.png", "posterior.png", "loss.png", "forest.png"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert!(bytes.len() > 1000, "{name} is {} bytes", bytes.len());
        assert_eq!(png_size(&bytes), SIZE, "{name}");
    }
    trace_plot(&samples, "mu", dir.join("trace.svg")).unwrap();
    let svg = std::fs::read_to_string(dir.join("trace.svg")).unwrap();
    assert!(
        svg.starts_with("<svg")
            && svg.contains(&format!("width=\"{}\"", SIZE.0))
            && svg.contains("<polyline")
    );
    assert!(trace_plot(&samples, "nope", dir.join("x.png")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
