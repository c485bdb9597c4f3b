use smallx::prelude::*;

#[model]
fn helper(x: f64) -> Real {
    sample!("h", Normal::new(x, 1.0))
}

#[model]
fn outer() -> Real {
    let h = helper.call(2.0).unwrap();
    sample!("y", Normal::new(h, 1.0))
}

fn main() {}
