//! The bad-input corpus: what a hostile but realistic user does through the public API, one
//! test per case, grouped by class. Every case asserts a clear error (its variant, and a
//! message naming the site or option, the value given and what was expected) or the correct
//! result: no panic, no hang, nothing silently wrong.

use smallx::prelude::*;

/// Assert that `$result` is an `Err` of variant `$pat` whose message contains each needle.
macro_rules! assert_err {
    ($result:expr, $pat:pat $(, $needle:expr)* $(,)?) => {{
        let error = match $result {
            Ok(_) => panic!("expected an error, got Ok"),
            Err(e) => e,
        };
        assert!(matches!(error, $pat), "wrong variant: {error:?}");
        let message = error.to_string();
        $(
            assert!(
                message.contains($needle),
                "the message {message:?} does not contain {:?}",
                $needle
            );
        )*
        message
    }};
}

#[path = "hostile/data.rs"]
mod data;
#[path = "hostile/distribution_parameters.rs"]
mod distribution_parameters;
#[path = "hostile/files.rs"]
mod files;
#[path = "hostile/model_and_guide.rs"]
mod model_and_guide;
#[path = "hostile/numerical_edges.rs"]
mod numerical_edges;
#[path = "hostile/options.rs"]
mod options;
#[path = "hostile/outputs.rs"]
mod outputs;

/// One latent weight `w ~ N(0, 1)` and one observation `y ~ N(w, 1)`.
#[model]
fn weigh(y: f64) {
    let w = sample!("w", Normal::new(0.0, 1.0));
    observe!("y", Normal::new(w, 1.0), y);
}

/// A mean-field guide for [`weigh`].
#[model]
fn weigh_guide(y: f64) {
    let _ = y;
    let a = param!("a", 0.0);
    let b = param!("b", 1.0, Constraint::Positive);
    sample!("w", Normal::new(a, b));
}

/// A vector latent `mu` of length 3 and a positive scale.
#[model]
fn vector_model(y: f64) {
    let mu = sample!("mu", Normal::new(0.0, 1.0).iid(3));
    let sigma = sample!("sigma", HalfNormal::new(1.0));
    observe!("y", Normal::new(mu[0] + mu[1] + mu[2], sigma), y);
}

/// Samples with `chains` chains of `draws` draws of a scalar site `x` (x = draw index)
/// and a vector site `v` of length 2.
fn samples(chains: usize, draws: usize) -> smallx::infer::Samples {
    let mut s = smallx::infer::Samples::new(chains);
    for c in 0..chains {
        for i in 0..draws {
            let x = Value::from(i as f64 + c as f64 * 0.5);
            let v = Value::from(vec![i as f64, -(i as f64)]);
            s.push(c, &[("x", &x), ("v", &v)]).unwrap();
        }
    }
    s
}
