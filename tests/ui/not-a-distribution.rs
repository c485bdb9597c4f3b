use smallx::prelude::*;

#[model]
fn m() -> Real {
    sample!("x", 3.0)
}

fn main() {}
