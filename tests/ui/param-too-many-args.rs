use smallx::prelude::*;

#[model]
fn guide() -> Real {
    param!("b", 1.0, Constraint::Positive, 0.5)
}

fn main() {}
