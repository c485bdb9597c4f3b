use smallx::prelude::*;

#[model]
fn m() -> Real {
    sample!("weight")
}

fn main() {}
