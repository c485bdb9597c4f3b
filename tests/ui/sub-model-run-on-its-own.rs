use smallx::prelude::*;

#[model]
fn group(mu: Real) -> Real {
    sample!("theta", Normal::new(mu, 1.0))
}

fn main() {
    let mut rng = SmallRng::seed_from_u64(0);
    let _ = get_trace(&group, &(1.0,), &mut rng);
}
