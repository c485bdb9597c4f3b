use smallx::prelude::*;

fn main() {
    // A literal key given twice: one value would silently win.
    let _ = data! { "y" => 1.0, "x" => 2.0, "y" => 3.0 };
}
