use smallx::prelude::*;

#[model]
fn m() -> Real {
    let a = sample!("weight", Normal::new(0.0, 1.0));
    let b = sample!("weight", Normal::new(a, 1.0));
    b
}

fn main() {}
