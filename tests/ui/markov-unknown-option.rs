use smallx::prelude::*;

#[model]
fn m(ys: &[f64]) {
    markov!("chain", ys.len(), window = 2, |t| {
        observe!(format!("y_{t}"), Normal::new(0.0, 1.0), ys[t]);
    });
}

fn main() {}
