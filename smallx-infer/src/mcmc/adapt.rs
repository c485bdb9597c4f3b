//! Warm-up adaptation of Hamiltonian kernels, as Stan does it: the step size by Nesterov dual
//! averaging toward a target acceptance statistic, and the metric (mass matrix) from the
//! variance (or covariance) of the draws in doubling windows between an initial and a final
//! buffer, each new metric followed by a fresh step-size search.

use super::hamiltonian::{Metric, Point, leapfrog};
use crate::potential::Potential;
use nalgebra::DMatrix;
use rand::rngs::SmallRng;
use smallx_core::{Error, Model, Result};

/// The metric a Hamiltonian kernel adapts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MassMatrix {
    /// A diagonal metric from the variances of the warm-up draws (Stan's `diag_e`, the default
    /// of Stan, NumPyro and PyMC).
    #[default]
    Diagonal,
    /// A dense metric from their covariance (Stan's `dense_e`, NumPyro's `dense_mass=True`):
    /// better for correlated posteriors, `O(d²)` per leapfrog step.
    Dense,
}

/// Stan's dual-averaging constants.
const GAMMA: f64 = 0.05;
const T0: f64 = 10.0;
const KAPPA: f64 = 0.75;

/// Nesterov dual averaging of `log ε`.
#[derive(Clone, Debug)]
pub(crate) struct DualAveraging {
    target: f64,
    mu: f64,
    counter: f64,
    s_bar: f64,
    x_bar: f64,
}

impl DualAveraging {
    pub(crate) fn new(target: f64, eps: f64) -> Self {
        DualAveraging {
            target,
            mu: (10.0 * eps).ln(),
            counter: 0.0,
            s_bar: 0.0,
            x_bar: 0.0,
        }
    }
    pub(crate) fn restart(&mut self, eps: f64) {
        *self = DualAveraging::new(self.target, eps);
    }
    /// The next step size after an iteration with acceptance statistic `accept`.
    pub(crate) fn learn(&mut self, accept: f64) -> f64 {
        self.counter += 1.0;
        let accept = if accept.is_nan() {
            0.0
        } else {
            accept.min(1.0)
        };
        let eta = 1.0 / (self.counter + T0);
        self.s_bar = (1.0 - eta) * self.s_bar + eta * (self.target - accept);
        let x = self.mu - self.s_bar * self.counter.sqrt() / GAMMA;
        let x_eta = self.counter.powf(-KAPPA);
        self.x_bar = (1.0 - x_eta) * self.x_bar + x_eta * x;
        x.exp()
    }
    /// The step size for sampling: the average iterate.
    fn final_step_size(&self) -> f64 {
        self.x_bar.exp()
    }
}

/// Stan's warm-up windows: an initial buffer (75), doubling windows from 25, a final buffer
/// (50); with fewer than 150 warm-up iterations, 15% / 75% / 10%; below 20, no metric
/// adaptation.
#[derive(Clone, Debug)]
pub(crate) struct Windows {
    warmup: usize,
    init_buffer: usize,
    term_buffer: usize,
    window_size: usize,
    next_window: usize,
    pub(crate) counter: usize,
    enabled: bool,
}

impl Windows {
    pub(crate) fn new(warmup: usize) -> Self {
        let (mut init_buffer, mut term_buffer, mut base) = (75, 50, 25);
        let enabled = warmup >= 20;
        if enabled && init_buffer + base + term_buffer > warmup {
            init_buffer = (0.15 * warmup as f64) as usize;
            term_buffer = (0.1 * warmup as f64) as usize;
            base = warmup - (init_buffer + term_buffer);
        }
        Windows {
            warmup,
            init_buffer,
            term_buffer,
            window_size: base,
            next_window: init_buffer + base - 1,
            counter: 0,
            enabled,
        }
    }
    /// Whether the schedule adapts anything (20 warm-up iterations or more).
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }
    pub(crate) fn in_window(&self) -> bool {
        self.enabled
            && self.counter >= self.init_buffer
            && self.counter < self.warmup - self.term_buffer
            && self.counter != self.warmup
    }
    pub(crate) fn window_ends(&self) -> bool {
        self.enabled && self.counter == self.next_window && self.counter != self.warmup
    }
    pub(crate) fn next(&mut self) {
        let last = self.warmup - self.term_buffer - 1;
        if self.next_window == last {
            return;
        }
        self.window_size *= 2;
        self.next_window = self.counter + self.window_size;
        if self.next_window != last && self.next_window + 2 * self.window_size > last {
            self.next_window = last;
        }
    }
}

/// Welford's running mean and (co)variance of the draws in a window.
#[derive(Clone, Debug)]
pub(crate) struct Estimator {
    n: f64,
    mean: Vec<f64>,
    m2: DMatrix<f64>,
    dense: bool,
}

impl Estimator {
    pub(crate) fn new(d: usize, dense: bool) -> Self {
        Estimator {
            n: 0.0,
            mean: vec![0.0; d],
            m2: if dense {
                DMatrix::zeros(d, d)
            } else {
                DMatrix::zeros(d, 1)
            },
            dense,
        }
    }
    pub(crate) fn add(&mut self, q: &[f64]) {
        self.n += 1.0;
        let delta: Vec<f64> = q.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
        for (m, dl) in self.mean.iter_mut().zip(&delta) {
            *m += dl / self.n;
        }
        for (i, (x, m)) in q.iter().zip(&self.mean).enumerate() {
            let after_i = x - m;
            if self.dense {
                for (j, dj) in delta.iter().enumerate() {
                    self.m2[(i, j)] += dj * after_i;
                }
            } else {
                self.m2[(i, 0)] += delta[i] * after_i;
            }
        }
    }
    /// The regularised estimate Stan uses: `n/(n+5)·S + 10⁻³·5/(n+5)·I`; `None` when it is not
    /// finite or, dense, not positive definite.
    pub(crate) fn metric(&self) -> Option<Metric> {
        let d = self.mean.len();
        let n = self.n;
        let shrink = n / (n + 5.0);
        let ridge = 1e-3 * 5.0 / (n + 5.0);
        if self.dense {
            let sigma = DMatrix::from_fn(d, d, |i, j| {
                shrink * self.m2[(i, j)] / (n - 1.0) + if i == j { ridge } else { 0.0 }
            });
            if sigma.iter().any(|x| !x.is_finite()) {
                return None;
            }
            let chol = sigma.clone().cholesky()?.l();
            Some(Metric::Dense { sigma, chol })
        } else {
            let inv: Vec<f64> = (0..d)
                .map(|i| shrink * self.m2[(i, 0)] / (n - 1.0) + ridge)
                .collect();
            inv.iter()
                .all(|x| x.is_finite() && *x > 0.0)
                .then_some(Metric::Diagonal(inv))
        }
    }
}

/// Everything a Hamiltonian kernel adapts during warm-up.
#[derive(Clone, Debug)]
pub(crate) struct Adapter {
    pub metric: Metric,
    pub step_size: f64,
    dual: DualAveraging,
    windows: Windows,
    estimator: Estimator,
    dense: bool,
}

impl Adapter {
    /// Start with the identity metric and step size 1, then search a reasonable step size
    /// from `z` (Stan's initialisation).
    pub(crate) fn new<M: Model>(
        potential: &Potential<'_, '_, M>,
        z: &Point,
        warmup: usize,
        target: f64,
        mass: MassMatrix,
        rng: &mut SmallRng,
    ) -> Result<Self> {
        let d = z.q.len();
        let dense = mass == MassMatrix::Dense;
        let mut adapter = Adapter {
            metric: Metric::identity(d, dense),
            step_size: 1.0,
            dual: DualAveraging::new(target, 1.0),
            windows: Windows::new(warmup),
            estimator: Estimator::new(d, dense),
            dense,
        };
        if warmup > 0 {
            // As Stan: μ = log(10 · 1) for the first stage, set before the step-size search.
            adapter.step_size = find_step_size(potential, &adapter.metric, z, 1.0, rng)?;
        }
        Ok(adapter)
    }

    /// Learn from warm-up iteration `t` (of `warmup`), which ended at `z` with acceptance
    /// statistic `accept`.
    pub(crate) fn learn<M: Model>(
        &mut self,
        potential: &Potential<'_, '_, M>,
        z: &Point,
        accept: f64,
        t: usize,
        warmup: usize,
        rng: &mut SmallRng,
    ) -> Result<()> {
        if t >= warmup {
            return Ok(());
        }
        self.step_size = self.dual.learn(accept);
        if self.windows.in_window() {
            self.estimator.add(&z.q);
        }
        if self.windows.window_ends() {
            self.windows.next();
            // A window whose estimate is not usable (non-finite, or a covariance without a
            // Cholesky factor) keeps the previous metric.
            if let Some(metric) = self.estimator.metric() {
                self.metric = metric;
            }
            self.estimator = Estimator::new(z.q.len(), self.dense);
            self.step_size = find_step_size(potential, &self.metric, z, self.step_size, rng)?;
            self.dual.restart(self.step_size);
        }
        self.windows.counter += 1;
        if t + 1 == warmup {
            self.step_size = self.dual.final_step_size();
        }
        Ok(())
    }
}

/// Stan's step-size search: from `eps`, double (or halve) until one leapfrog step from `z`
/// with a fresh momentum crosses an acceptance of 0.8.
pub(crate) fn find_step_size<M: Model>(
    potential: &Potential<'_, '_, M>,
    metric: &Metric,
    z: &Point,
    eps: f64,
    rng: &mut SmallRng,
) -> Result<f64> {
    let mut eps = eps;
    let mut velocity = vec![0.0; z.q.len()];
    let threshold = 0.8f64.ln();
    let mut trial = |eps: f64, rng: &mut SmallRng| -> Result<f64> {
        let mut w = z.clone();
        metric.sample_momentum(&mut w.p, rng);
        let h0 = w.hamiltonian(metric);
        leapfrog(potential, metric, &mut w, eps, &mut velocity)?;
        Ok(h0 - w.hamiltonian(metric))
    };
    let direction = if trial(eps, rng)? > threshold {
        1.0
    } else {
        -1.0
    };
    for _ in 0..200 {
        let delta = trial(eps, rng)?;
        // A NaN energy change counts as crossing in either direction.
        let above = delta > threshold;
        let below = delta < threshold;
        if (direction > 0.0 && !above) || (direction < 0.0 && !below) {
            return Ok(eps);
        }
        eps *= if direction > 0.0 { 2.0 } else { 0.5 };
        if eps > 1e7 {
            return Err(Error::Config {
                algorithm: "step-size search",
                detail: "the step size grew beyond 1e7 with the acceptance still high: the posterior is improper (flat in some direction); check the model's priors".into(),
            });
        }
        if eps < 1e-300 {
            return Err(Error::Config {
                algorithm: "step-size search",
                detail: "the step size shrank to 0 without an acceptable leapfrog step: the log-density or its gradient is not finite around the current point".into(),
            });
        }
    }
    Ok(eps)
}
