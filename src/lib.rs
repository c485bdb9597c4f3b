//! # smallx
//!
//! Probabilistic programming in Rust, in the style of Pyro and NumPyro. A model is an
//! ordinary function marked `#[model]`; `sample!`, `observe!` and `param!` statements inside
//! it create named sites; effect handlers (`condition`, `intervene`, `substitute`, `replay`,
//! `block`, `seed`, `scale`, `mask`, `trace`) change what sites do without touching the
//! model; inference runs on traces, with gradients from forward-mode dual numbers.
//!
//! ```
//! use smallx::prelude::*;
//!
//! /// Pyro's "scale" model: an unreliable scale weighs an object.
//! #[model]
//! fn scale(guess: f64) -> Real {
//!     let weight = sample!("weight", Normal::new(guess, 1.0));
//!     sample!("measurement", Normal::new(weight, 0.75))
//! }
//!
//! # fn main() -> smallx::Result<()> {
//! let mut rng = SmallRng::seed_from_u64(0);
//! // Calling the model runs it.
//! let m: Real<f64> = scale.call_with(8.5, &mut rng)?;
//! // Conditioning is a handler; the conditioned model is a model too.
//! let conditioned = condition(scale, data! { "measurement" => 9.5 });
//! let trace = get_trace(&conditioned, &(8.5,), &mut rng)?;
//! assert_eq!(trace.real("measurement")?, 9.5);
//! assert!(trace.get("weight").unwrap().is_latent());
//! # let _ = m;
//! # Ok(())
//! # }
//! ```
//!
//! ## Writing models
//!
//! * `sample!(name, dist)` draws (or receives from a handler) a value and returns it.
//!   `sample!(name, dist, obs = value)` and `observe!(name, dist, value)` score observed data.
//! * `param!(name, init)` and `param!(name, init, constraint)` declare a learnable parameter,
//!   served from an explicit [`ParamStore`] when the runner has one.
//! * `factor!(name, log_term)` adds an arbitrary term to the log-joint.
//! * `plate!(name, size, |idx| { ... })` marks conditionally independent data;
//!   `plate!(name, size, subsample = m, |idx| { ... })` uses `m` random indices per run and
//!   scales log-densities inside by `size / m`.
//! * `sample!(name, dist, infer = enumerate)` marks a discrete latent site to be summed out
//!   over its finite support by the enumerating algorithms (`TraceEnumElbo`,
//!   `infer_discrete`, MCMC); `markov!(name, n, |t| { ... })` runs `n` steps whose enumerated
//!   sites depend only on the previous step's (`history = h` for `h` steps), so that a chain
//!   costs `n·K^(h+1)` instead of `K^n`.
//! * Names are strings: literals, or `String`s built at run time (`format!("z_{i}")`).
//! * `Real` is the body's number type: `f64` when simulating, a dual number when
//!   differentiating. Arithmetic with `f64` works in both orders (`2.0 * x`, `x - 1.0`).
//!   Arguments are plain Rust types (`f64`, `&[f64]`, `usize`, ...).
//!
//! Mistakes the macro can see are compile errors with a span on the offending tokens;
//! mistakes at run time are `Err`s that name the site.

pub use smallx_core::*;
pub use smallx_macros::model;

/// Inference algorithms (the `smallx-infer` crate).
pub use smallx_infer as infer;

/// Everything a model file usually needs.
pub mod prelude {
    pub use crate::{call, deterministic, factor, markov, model, observe, param, plate, sample};
    pub use smallx_core::dist::{
        Batch, Bernoulli, BernoulliGlm, Beta, BetaBinomial, Binomial, Categorical, Cauchy, Delta,
        Design, Dirichlet, Distribution, Exponential, Factor, Gamma, GammaPoisson, Geometric,
        HalfCauchy, HalfNormal, IidExt, ImproperUniform, Laplace, LkjCholesky, LogNormal, MaskExt,
        Mixture, Multinomial, MultivariateNormal, NegativeBinomial, Normal, NormalGlm,
        OrderedLogistic, Pareto, Poisson, StudentT, TruncatedNormal, Uniform, VonMises, Weibull,
        ZeroInflatedPoisson, flat,
    };
    pub use smallx_core::nalgebra::{DMatrix, DVector};
    /// `RngExt` holds `random()` and `random_range()` since rand 0.10: with the prelude
    /// alone, `rng.random::<f64>()` works.
    ///
    /// ```
    /// use smallx::prelude::*;
    /// let mut rng = SmallRng::seed_from_u64(1);
    /// let u: f64 = rng.random();
    /// let k = rng.random_range(0..10_usize);
    /// assert!((0.0..1.0).contains(&u) && k < 10);
    /// ```
    pub use smallx_core::rand::RngExt;
    pub use smallx_core::rand::rngs::SmallRng;
    pub use smallx_core::rand::{Rng, SeedableRng};
    pub use smallx_core::{
        Constraint, Data, Error, Model, ParamStore, Real, Result, Trace, Value, block, block_all,
        block_except, block_names, call_with, condition, data, get_trace, get_trace_with_params,
        intervene, mask, replay, scale, seed, substitute, trace, validate_data,
    };
}

/// Draw a value at a named site: `sample!("x", Normal::new(0.0, 1.0))`, or score an
/// observation with `sample!("y", dist, obs = value)`. Only valid directly inside a
/// `#[model]` function, which rewrites it.
#[macro_export]
macro_rules! sample {
    ($($t:tt)*) => {
        ::core::compile_error!(
            "sample! can only be used directly inside a #[model] function (not in nested functions)"
        )
    };
}

/// Score observed data at a named site: `observe!("y", Normal::new(mu, 1.0), 0.5)`. Only valid
/// directly inside a `#[model]` function.
#[macro_export]
macro_rules! observe {
    ($($t:tt)*) => {
        ::core::compile_error!("observe! can only be used directly inside a #[model] function (not in nested functions)")
    };
}

/// Declare a learnable parameter: `param!("a", 0.0)` or `param!("b", 1.0, Constraint::Positive)`.
/// Only valid directly inside a `#[model]` function.
#[macro_export]
macro_rules! param {
    ($($t:tt)*) => {
        ::core::compile_error!(
            "param! can only be used directly inside a #[model] function (not in nested functions)"
        )
    };
}

/// Mark conditionally independent data: `plate!("data", n, |idx| { ... })`, optionally with
/// `subsample = m`. Only valid directly inside a `#[model]` function.
#[macro_export]
macro_rules! plate {
    ($($t:tt)*) => {
        ::core::compile_error!(
            "plate! can only be used directly inside a #[model] function (not in nested functions)"
        )
    };
}

/// A chain whose steps depend only on the last `history` steps' enumerated sites (Pyro's
/// `pyro.markov`): `markov!("chain", n, |t| { ... })` or `markov!("chain", n, history = 2, |t|
/// { ... })`. Only valid directly inside a `#[model]` function.
#[macro_export]
macro_rules! markov {
    ($($t:tt)*) => {
        ::core::compile_error!(
            "markov! can only be used directly inside a #[model] function (not in nested functions)"
        )
    };
}

/// The code blocks of README.md, compiled and run as doctests so that the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Add a log-density term to the model: `factor!("penalty", -0.5 * x * x)` (Pyro's
/// `pyro.factor`). Only valid directly inside a `#[model]` function.
#[macro_export]
macro_rules! factor {
    ($($t:tt)*) => {
        ::core::compile_error!(
            "factor! can only be used directly inside a #[model] function (not in nested functions)"
        )
    };
}

/// Record a value computed from other sites: `deterministic!("mu", a + b * x)` (Pyro's and
/// NumPyro's `deterministic`). The site has no density; it appears in traces, `Samples`,
/// predictive draws and the ArviZ posterior, and is recomputed (never substituted) at every run.
/// Returns the value. Only valid directly inside a `#[model]` function.
#[macro_export]
macro_rules! deterministic {
    ($($t:tt)*) => {
        ::core::compile_error!(
            "deterministic! can only be used directly inside a #[model] function (not in nested functions)"
        )
    };
}

/// Run another model as part of this one: `call!(group(y))`, or `call!(group(y), prefix =
/// "school")` to name its sites `school/<name>` (NumPyro's `scope`). Its sites go through the
/// same handlers and plates as the caller's, and it returns the sub-model's value. Only valid
/// directly inside a `#[model]` function; outside a model, run a model with its `call` method.
#[macro_export]
macro_rules! call {
    ($($t:tt)*) => {
        ::core::compile_error!(
            "call! can only be used directly inside a #[model] function (not in nested functions); outside a model, use `my_model.call(..)`"
        )
    };
}
