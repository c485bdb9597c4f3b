use smallx::prelude::*;

#[model]
fn m() {
    observe!("measurement", Normal::new(0.0, 1.0));
}

fn main() {}
