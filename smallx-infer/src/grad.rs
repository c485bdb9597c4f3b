//! Gradients by forward-mode dual numbers.
//!
//! An [`Objective`] is evaluated with a scalar type chosen here: `DualSVec64<N>` carries `N`
//! derivative directions, so a gradient of dimension `d` costs `⌈d/N⌉` evaluations of the
//! objective, each with the same random draws (the objective reseeds its generator). `N`
//! grows with `d` (1, 2, 4, 8, 16, then 64): one pass up to 64 coordinates, which matters when
//! a model's cost is dominated by work done once per pass (a vectorised likelihood's
//! matrix-vector products), and every dual number stays on the stack, so an evaluation does
//! not allocate per arithmetic operation.

use smallx_core::{DualSVec64, Real, Result, Scalar};

/// Something to differentiate: a function of the coordinates it was built over.
pub trait Objective {
    /// Evaluate with scalar `S`, coordinate `i` carrying direction `i − first` when that is
    /// in `0..S::DIRECTIONS`. Every call within one gradient must make the same random draws.
    fn eval<S: Scalar>(&mut self, first: Option<usize>) -> Result<Real<S>>;
}

/// The value of `objective` and its gradient (written into `grad`, whose length is the
/// dimension).
pub fn value_and_gradient<O: Objective>(objective: &mut O, grad: &mut [f64]) -> Result<f64> {
    match grad.len() {
        0 => Ok(objective.eval::<f64>(None)?.value()),
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
