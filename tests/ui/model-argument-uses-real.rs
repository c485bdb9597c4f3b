use smallx::prelude::*;

#[model]
fn m(loc: Real) -> Real {
    sample!("x", Normal::new(loc, 1.0))
}

fn main() {}
