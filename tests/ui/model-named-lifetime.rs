use smallx::prelude::*;

#[model]
fn m(ys: &'a [f64]) {
    observe!("y", Normal::new(0.0, 1.0).iid(ys.len()), ys);
}

fn main() {}
