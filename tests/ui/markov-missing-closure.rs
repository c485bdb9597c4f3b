use smallx::prelude::*;

#[model]
fn m(ys: &[f64]) {
    markov!("chain", ys.len(), observe!("y", Normal::new(0.0, 1.0), ys[0]));
}

fn main() {}
