use smallx::prelude::*;

#[model]
fn outer(xs: &[f64]) {
    let mu = sample!("mu", Normal::new(0.0, 1.0));
    let _ys: Vec<Real> = xs.iter().map(|&x| deterministic!("y", mu + x)).collect();
}

fn main() {}
