use smallx::prelude::*;

#[model]
fn m(ys: &[f64]) {
    markov!("chain", ys.len(), |t, s| {
        observe!(format!("y_{t}"), Normal::new(0.0, 1.0), ys[t]);
    });
}

fn main() {}
