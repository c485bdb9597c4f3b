use smallx::prelude::*;

#[model]
fn m<T: Into<f64>>(x: T) -> Real {
    sample!("x", Normal::new(x.into(), 1.0))
}

fn main() {}
