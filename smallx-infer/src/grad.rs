//! Gradients: the one entry point every gradient-based algorithm uses, in forward or reverse
//! mode.
//!
//! An [`Objective`] is evaluated with a scalar type chosen here.
//!
//! * **Forward mode**: `DualSVec64<N>` carries `N` derivative directions, so a gradient of
//!   dimension `d` costs `⌈d/N⌉` evaluations of the objective, each with the same random draws
//!   (the objective reseeds its generator). `N` grows with `d` (1, 2, 4, 8, 16, then 64): one
//!   pass up to 64 coordinates. Every dual number stays on the stack, so an evaluation does not
//!   allocate per operation, and a small model pays no recording overhead.
//! * **Reverse mode**: [`Rev`] records the evaluation on the thread's tape, and one backward
//!   sweep gives every component: a small constant times one evaluation, whatever `d`.
//!
//! [`GradMode::Auto`] (the default of every algorithm) picks forward mode up to
//! [`FORWARD_MAX_DIM`] coordinates and reverse mode above (the measurements behind the
//! crossover are on that constant).

use smallx_core::scalar::{Recording, Rev};
use smallx_core::{DualSVec64, Real, Result, Scalar};

/// Something to differentiate: a function of the coordinates it was built over.
pub trait Objective {
    /// Evaluate with scalar `S`, coordinate `i` carrying direction `i − first` when that is
    /// in `0..S::DIRECTIONS`. Every call within one gradient must make the same random draws.
    fn eval<S: Scalar>(&mut self, first: Option<usize>) -> Result<Real<S>>;
}

/// How gradients are computed.
///
/// ```
/// use smallx::infer::{GradMode, Svi, Adam, TraceElbo, AutoNormal};
/// # use smallx::prelude::*;
/// # #[model]
/// # fn m() { let _ = sample!("x", Normal::new(0.0, 1.0)); }
/// let svi = Svi::new(m, AutoNormal::new(m), Adam::new(0.01), TraceElbo::new())
///     .grad_mode(GradMode::Reverse);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GradMode {
    /// Forward mode up to [`FORWARD_MAX_DIM`] coordinates, reverse mode above.
    #[default]
    Auto,
    /// Forward-mode dual numbers, in chunks of up to 64 directions.
    Forward,
    /// Reverse mode: one recorded evaluation and one backward sweep.
    Reverse,
}

/// The largest dimension [`GradMode::Auto`] differentiates in forward mode.
///
/// Measured with `cargo bench --bench gradient_cost` (BENCHMARKS.md): forward mode is faster
/// up to 4 coordinates (W1, 2 coordinates: 1.0 against 1.3 µs per SVI step), the two are
/// even at 8, and reverse mode is faster from 16 on (2.1× at 16, 20× at 64) and on W4
/// (42 coordinates with a fused likelihood: 110 against 132 µs per step).
pub const FORWARD_MAX_DIM: usize = 4;

impl GradMode {
    /// The mode used for a gradient of `dim` coordinates: `Forward` or `Reverse`.
    pub fn resolve(self, dim: usize) -> GradMode {
        match self {
            GradMode::Auto if dim <= FORWARD_MAX_DIM => GradMode::Forward,
            GradMode::Auto => GradMode::Reverse,
            mode => mode,
        }
    }
}

/// The value of `objective` and its gradient (written into `grad`, whose length is the
/// dimension), in the mode `mode` picks for that dimension.
pub fn value_and_gradient<O: Objective>(
    mode: GradMode,
    objective: &mut O,
    grad: &mut [f64],
) -> Result<f64> {
    if grad.is_empty() {
        return Ok(objective.eval::<f64>(None)?.value());
    }
    match mode.resolve(grad.len()) {
        GradMode::Reverse => reverse(objective, grad),
        _ => forward(objective, grad),
    }
}

fn reverse<O: Objective>(objective: &mut O, grad: &mut [f64]) -> Result<f64> {
    // The recording is dropped on every exit, an error or a panic included.
    let recording = Recording::start();
    let r = objective.eval::<Rev>(Some(0))?;
    recording.gradient(r.0, grad);
    Ok(r.value())
}

fn forward<O: Objective>(objective: &mut O, grad: &mut [f64]) -> Result<f64> {
    match grad.len() {
        1 => chunked::<1, O>(objective, grad),
        2 => chunked::<2, O>(objective, grad),
        3..=4 => chunked::<4, O>(objective, grad),
        5..=8 => chunked::<8, O>(objective, grad),
        9..=16 => chunked::<16, O>(objective, grad),
        _ => chunked::<64, O>(objective, grad),
    }
}

fn chunked<const N: usize, O: Objective>(objective: &mut O, grad: &mut [f64]) -> Result<f64> {
    let mut value = 0.0;
    for start in (0..grad.len()).step_by(N) {
        let r = objective.eval::<DualSVec64<N>>(Some(start))?;
        value = r.value();
        let end = (start + N).min(grad.len());
        for (j, g) in grad[start..end].iter_mut().enumerate() {
            *g = r.derivative(j);
        }
    }
    Ok(value)
}
