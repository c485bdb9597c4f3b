use smallx::prelude::*;

#[model]
fn m(n: usize) {
    plate!("data", n, subsample = 10, observe!("y", Normal::new(0.0, 1.0), 0.5));
}

fn main() {}
