use smallx::prelude::*;

#[model]
fn m() -> bool {
    sample!("coin", Bernoulli::new(0.5), infer = parallel)
}

fn main() {}
