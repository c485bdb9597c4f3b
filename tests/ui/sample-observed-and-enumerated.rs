use smallx::prelude::*;

#[model]
fn m() -> bool {
    sample!("coin", Bernoulli::new(0.5), obs = true, infer = enumerate)
}

fn main() {}
