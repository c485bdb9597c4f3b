use smallx::prelude::*;

#[model(guide = my_guide)]
fn m() -> Real {
    sample!("x", Normal::new(0.0, 1.0))
}

fn main() {}
