//! Callbacks for SVI runs (`callbacks=` of PyMC's variational inference introduction): stop on convergence, track
//! quantities per step, stop early from user code.

use smallx_core::{Error, ParamStore, Result};

/// What a callback sees after each step.
pub struct StepInfo<'a> {
    /// The step just taken (0-based).
    pub step: usize,
    /// Its loss.
    pub loss: f64,
    /// The losses so far.
    pub losses: &'a [f64],
    /// The parameters after the step.
    pub params: &'a ParamStore,
}

/// What a callback asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    /// Keep going.
    Continue,
    /// Stop now, for the given reason.
    Stop(String),
}

/// Called after every SVI step.
pub trait Callback {
    /// Check the callback's options before the first step (an error naming the option).
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// Inspect the step; return [`Control::Stop`] to end the run.
    fn after_step(&mut self, info: &StepInfo<'_>) -> Control;
}

impl<F: FnMut(&StepInfo<'_>) -> Control> Callback for F {
    fn after_step(&mut self, info: &StepInfo<'_>) -> Control {
        self(info)
    }
}

/// How parameter change is measured by [`CheckParametersConvergence`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Diff {
    /// `max |Δθ|`.
    Absolute,
    /// `max |Δθ| / |θ|`.
    Relative,
}

/// Stop when the unconstrained parameters change by less than `tolerance` (the largest
/// coordinate change, absolute or relative) between checks `every` steps apart (PyMC's
/// `CheckParametersConvergence`, defaults `every = 100`, `tolerance = 1e-3`, relative).
#[derive(Clone, Debug)]
pub struct CheckParametersConvergence {
    every: usize,
    tolerance: f64,
    diff: Diff,
    previous: Option<Vec<f64>>,
}

impl Default for CheckParametersConvergence {
    fn default() -> Self {
        CheckParametersConvergence {
            every: 100,
            tolerance: 1e-3,
            diff: Diff::Relative,
            previous: None,
        }
    }
}

impl CheckParametersConvergence {
    /// The defaults: every 100 steps, relative tolerance 1e-3.
    pub fn new() -> Self {
        Self::default()
    }
    /// Check every `k` steps (at least 1: 0 is an error when the run starts).
    pub fn every(mut self, k: usize) -> Self {
        self.every = k;
        self
    }
    /// The tolerance.
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tolerance = tol;
        self
    }
    /// Absolute or relative change.
    pub fn diff(mut self, diff: Diff) -> Self {
        self.diff = diff;
        self
    }
}

impl Callback for CheckParametersConvergence {
    fn check(&self) -> Result<()> {
        positive_steps("CheckParametersConvergence", "every", self.every)?;
        non_negative("CheckParametersConvergence", "tolerance", self.tolerance)
    }
    fn after_step(&mut self, info: &StepInfo<'_>) -> Control {
        if !(info.step + 1).is_multiple_of(self.every) {
            return Control::Continue;
        }
        let current = info.params.unconstrained_vec();
        let control = match &self.previous {
            Some(prev) if prev.len() == current.len() => {
                let change = current
                    .iter()
                    .zip(prev)
                    .map(|(c, p)| match self.diff {
                        Diff::Absolute => (c - p).abs(),
                        Diff::Relative => (c - p).abs() / c.abs().max(1e-12),
                    })
                    .fold(0.0, f64::max);
                if change < self.tolerance {
                    Control::Stop(format!(
                        "parameters converged at step {}: largest {} change {change:.2e} < {:.0e}",
                        info.step + 1,
                        if self.diff == Diff::Absolute {
                            "absolute"
                        } else {
                            "relative"
                        },
                        self.tolerance
                    ))
                } else {
                    Control::Continue
                }
            }
            _ => Control::Continue,
        };
        self.previous = Some(current);
        control
    }
}

/// Stop when the mean loss of the last `window` steps improves on the mean of the window
/// before it by less than `tolerance` (relative).
#[derive(Clone, Debug)]
pub struct LossPlateau {
    window: usize,
    tolerance: f64,
}

impl LossPlateau {
    /// Compare windows of `window` steps (at least 1) and stop below a relative improvement
    /// of `tolerance`; invalid values are an error when the run starts.
    pub fn new(window: usize, tolerance: f64) -> Self {
        LossPlateau { window, tolerance }
    }
}

/// `Err` naming the option unless `k` is at least 1.
fn positive_steps(algorithm: &'static str, option: &'static str, k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::InvalidOption {
            algorithm,
            option,
            value: "0".into(),
            expected: "a number of steps of at least 1",
        });
    }
    Ok(())
}

/// `Err` naming the option unless `x` is a number ≥ 0.
fn non_negative(algorithm: &'static str, option: &'static str, x: f64) -> Result<()> {
    if x.is_nan() || x < 0.0 {
        return Err(Error::InvalidOption {
            algorithm,
            option,
            value: x.to_string(),
            expected: "a number ≥ 0",
        });
    }
    Ok(())
}

impl Callback for LossPlateau {
    fn check(&self) -> Result<()> {
        positive_steps("LossPlateau", "window", self.window)?;
        non_negative("LossPlateau", "tolerance", self.tolerance)
    }
    fn after_step(&mut self, info: &StepInfo<'_>) -> Control {
        let n = info.losses.len();
        if n < 2 * self.window || !(info.step + 1).is_multiple_of(self.window) {
            return Control::Continue;
        }
        let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
        let (before, last) = (
            mean(&info.losses[n - 2 * self.window..n - self.window]),
            mean(&info.losses[n - self.window..]),
        );
        let improvement = (before - last) / before.abs().max(1e-12);
        if improvement < self.tolerance {
            Control::Stop(format!(
                "loss plateaued at step {}: relative improvement {improvement:.2e} < {:.0e}",
                info.step + 1,
                self.tolerance
            ))
        } else {
            Control::Continue
        }
    }
}

/// A function of a step that a [`Tracker`] records.
type TrackFn = Box<dyn FnMut(&StepInfo<'_>) -> f64>;

/// Record named quantities at every step (PyMC's `Tracker`).
pub struct Tracker {
    trackers: Vec<(String, TrackFn)>,
    values: Vec<Vec<f64>>,
}

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracker {
    /// A tracker with nothing to record.
    pub fn new() -> Self {
        Tracker {
            trackers: Vec::new(),
            values: Vec::new(),
        }
    }
    /// Record `f(step)` under `name` at every step.
    pub fn track(mut self, name: &str, f: impl FnMut(&StepInfo<'_>) -> f64 + 'static) -> Self {
        self.trackers.push((name.to_string(), Box::new(f)));
        self.values.push(Vec::new());
        self
    }
    /// The values recorded under `name`.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.trackers
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| self.values[i].as_slice())
    }
}

impl Callback for Tracker {
    fn after_step(&mut self, info: &StepInfo<'_>) -> Control {
        for ((_, f), values) in self.trackers.iter_mut().zip(&mut self.values) {
            values.push(f(info));
        }
        Control::Continue
    }
}

/// How a run with callbacks ended.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    /// The loss of every step taken.
    pub losses: Vec<f64>,
    /// The step count and the reason, when a callback stopped the run early.
    pub stopped: Option<(usize, String)>,
}
