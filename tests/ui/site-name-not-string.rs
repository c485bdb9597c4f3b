use smallx::prelude::*;

#[model]
fn m() -> Real {
    sample!(1, Normal::new(0.0, 1.0))
}

fn main() {}
