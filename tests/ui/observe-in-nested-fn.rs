use smallx::prelude::*;

#[model]
fn outer() {
    fn helper() {
        observe!("y", Normal::new(0.0, 1.0), 0.5);
    }
    helper();
}

fn main() {}
