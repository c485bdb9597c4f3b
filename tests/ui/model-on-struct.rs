use smallx::prelude::*;

#[model]
struct Scale {
    guess: f64,
}

fn main() {}
