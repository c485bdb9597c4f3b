use smallx::prelude::*;

fn helper(ys: &[f64]) {
    markov!("chain", ys.len(), |t| {
        let _ = t;
    });
}

fn main() {
    helper(&[]);
}
