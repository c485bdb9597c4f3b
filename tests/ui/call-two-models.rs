use smallx::prelude::*;

#[model]
fn helper(x: f64) -> Real {
    sample!("h", Normal::new(x, 1.0))
}

#[model]
fn outer() -> Real {
    call!(helper(1.0), helper(2.0))
}

fn main() {}
