use smallx::prelude::*;

#[model]
fn helper() -> Real {
    sample!("h", Normal::new(0.0, 1.0))
}

#[model]
fn outer() -> Real {
    call!(helper)
}

fn main() {}
