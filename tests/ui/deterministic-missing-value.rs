use smallx::prelude::*;

#[model]
fn outer() {
    let x = sample!("x", Normal::new(0.0, 1.0));
    deterministic!("y");
    let _ = x;
}

fn main() {}
