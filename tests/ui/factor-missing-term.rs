use smallx::prelude::*;

#[model]
fn m() {
    factor!("penalty");
}

fn main() {}
