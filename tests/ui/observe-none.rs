use smallx::prelude::*;

#[model]
fn outer() {
    observe!("y", Normal::new(0.0, 1.0), None::<f64>);
}

fn main() {}
