use smallx::prelude::*;

#[model]
fn m() -> Real {
    sample!("measurement", Normal::new(0.0, 1.0), 9.5)
}

fn main() {}
