use smallx::prelude::*;

fn main() {
    let _x = sample!("x", Normal::new(0.0, 1.0));
}
