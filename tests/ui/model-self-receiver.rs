use smallx::prelude::*;

struct Scale;

impl Scale {
    #[model]
    fn run(&self) -> Real {
        sample!("x", Normal::new(0.0, 1.0))
    }
}

fn main() {}
