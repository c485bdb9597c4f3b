use smallx::prelude::*;

#[model]
fn m(n: usize) -> Vec<Real> {
    (0..n).map(|i| sample!(format!("z_{i}"), Normal::new(0.0, 1.0))).collect()
}

fn main() {}
