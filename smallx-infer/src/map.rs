//! Maximum a posteriori estimation.

use crate::grad::GradMode;
use crate::init::{Init, init_to_median, write_values};
use crate::potential::Potential;
use crate::samples::value_from_numbers;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use smallx_core::{Data, Error, Model, Result};
use std::collections::VecDeque;

/// The result of [`Map::run`].
#[derive(Clone, Debug)]
pub struct MapResult {
    /// The estimate of each latent site, in constrained space.
    pub point: Data,
    /// The estimate in unconstrained coordinates.
    pub unconstrained: Vec<f64>,
    /// `log p(x, z)` at the estimate (the returned point, not the one before the last step).
    pub log_joint: f64,
    /// How many optimiser iterations were taken (each one line search).
    pub steps: usize,
    /// Whether the convergence criterion was met (always true unless
    /// [`allow_unconverged`](Map::allow_unconverged) was set: otherwise a run that does not
    /// converge is an error).
    pub converged: bool,
    /// The estimated distance to the mode at the estimate, in posterior standard deviations:
    /// the Newton decrement `√(gᵀ H⁻¹ g)` with L-BFGS's estimate of the inverse Hessian.
    pub decrement: f64,
    /// The Euclidean norm of the gradient of the log-joint (unconstrained) at the estimate.
    pub gradient_norm: f64,
}

/// MAP: maximise the log-joint over the continuous latent sites, optimising in unconstrained
/// space with gradients from the shared entry point (`find_MAP` of PyMC). No Jacobian term:
/// the estimate is the mode of the density in the sites' own space, as in PyMC and Pyro's
/// `AutoDelta`.
///
/// **Optimiser.** L-BFGS (Nocedal and Wright, *Numerical Optimization*, algorithm 7.5, with
/// 10 curvature pairs) with a line search for the strong Wolfe conditions (their algorithms
/// 3.5 and 3.6). It is chosen over Adam because it is scale-free: its steps come from the
/// curvature of the log-joint, so a regression on an unstandardised scale (an intercept of 77
/// with a posterior standard deviation of 2 beside a log-scale with one of 0.03) reaches its
/// mode in tens of iterations, where Adam's step size must be tuned to the scale and a
/// decaying step size caps how far it can move. Every step is checked against the log-joint
/// itself, so it never moves to a lower point; a trial point where the density cannot be
/// evaluated (a distribution parameter out of its range, a non-finite log-density) shortens
/// the step.
///
/// **Convergence.** The run stops when the Newton decrement `λ = √(gᵀ H⁻¹ g)` (`g` the
/// gradient, `H⁻¹` L-BFGS's estimate of the inverse Hessian of `−log p`) is at most
/// [`tolerance`](Map::tolerance) (default `1e-4`), once L-BFGS holds `min(dim, 10)`
/// curvature pairs (so that the estimate has seen every direction). `λ` is the distance to
/// the mode in the posterior's own standard deviations under the Laplace approximation, and
/// `λ²/2` the log-density still to gain, whatever the units of the sites. It also stops,
/// converged, when no higher point can be found and the gain still predicted (`λ²/2`) is
/// below the round-off of the log-joint (`1000·ε·max(1, |log p|)`), and when the gradient is
/// exactly zero.
///
/// **Not converging is an error.** When [`max_steps`](Map::max_steps) iterations pass, or
/// the line search finds no higher point, before the criterion is met, `run` returns
/// [`Error::NotConverged`] with the decrement, the gradient norm and the log-joint reached
/// (a log-joint without a mode, unbounded above, ends this way), so `Init::Map` never hands a
/// sampler a point that is not a mode. [`allow_unconverged`](Map::allow_unconverged) returns
/// the point instead, flagged by [`MapResult::converged`].
///
/// **Start.** The median of 15 prior draws, per unconstrained coordinate (NumPyro's
/// `init_to_median`); [`init_strategy`](Map::init_strategy) takes any other [`Init`], and
/// [`init`](Map::init) overrides named sites.
///
/// ```
/// use smallx::prelude::*;
/// use smallx::infer::Map;
///
/// #[model]
/// fn scale(guess: f64) -> Real {
///     let weight = sample!("weight", Normal::new(guess, 1.0));
///     sample!("measurement", Normal::new(weight, 0.75))
/// }
///
/// let map = Map::new(condition(scale, data! { "measurement" => 9.5 })).run(&(8.5,)).unwrap();
/// assert!(map.converged);
/// assert!((map.point.get("weight").unwrap().as_f64().unwrap() - 9.14).abs() < 1e-4);
/// ```
pub struct Map<M> {
    model: M,
    max_steps: usize,
    lr: f64,
    tolerance: f64,
    strategy: Init,
    init: Option<Data>,
    allow_unconverged: bool,
    grad_mode: GradMode,
}

/// How many curvature pairs L-BFGS keeps.
const MEMORY: usize = 10;
/// The sufficient-decrease constant of the Wolfe conditions.
const C1: f64 = 1e-4;
/// The curvature constant of the strong Wolfe conditions (the usual one for quasi-Newton).
const C2: f64 = 0.9;
/// Trial points tried by one line search, bracketing and zooming together.
const MAX_TRIALS: usize = 60;

impl<M: Model> Map<M> {
    /// MAP for `model` (conditioned on its data): L-BFGS from the prior median, at most 1000
    /// iterations, converged when the estimated distance to the mode is below `1e-4`
    /// posterior standard deviations (see the type's docs).
    pub fn new(model: M) -> Self {
        Map {
            model,
            max_steps: 1000,
            lr: 1.0,
            tolerance: 1e-4,
            strategy: init_to_median(),
            init: None,
            allow_unconverged: false,
            grad_mode: GradMode::Auto,
        }
    }
    /// How gradients are computed (default [`GradMode::Auto`]).
    pub fn grad_mode(mut self, mode: GradMode) -> Self {
        self.grad_mode = mode;
        self
    }
    /// The iteration limit (default 1000); reaching it before converging is an error.
    pub fn max_steps(mut self, steps: usize) -> Self {
        self.max_steps = steps;
        self
    }
    /// The length, in unconstrained units, of the first trial step of the first line search
    /// (default 1). It is the only step size there is: later steps come from L-BFGS's
    /// curvature estimate, and every line search lengthens or shortens its trial step until
    /// the Wolfe conditions hold, so this rarely needs changing.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Converged when the estimated distance to the mode, in posterior standard deviations
    /// (the Newton decrement), is at most this (default `1e-4`).
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tolerance = tol;
        self
    }
    /// Where to start (default [`init_to_median`]); `Init::Map` is refused.
    pub fn init_strategy(mut self, strategy: Init) -> Self {
        self.strategy = strategy;
        self
    }
    /// Start the named sites at these (constrained) values, the others where the strategy
    /// puts them (by default the prior median). A name that is not a continuous latent site
    /// is an error naming it.
    pub fn init(mut self, values: Data) -> Self {
        self.init = Some(values);
        self
    }
    /// Return the last point, flagged by [`MapResult::converged`] `== false`, instead of
    /// [`Error::NotConverged`] when the run does not converge (default: the error).
    pub fn allow_unconverged(mut self, allow: bool) -> Self {
        self.allow_unconverged = allow;
        self
    }

    fn validate(&self) -> Result<()> {
        let config = |detail: String| {
            Err(Error::Config {
                algorithm: "Map",
                detail,
            })
        };
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return config(format!(
                "lr (the first trial step) must be positive and finite, got {}",
                self.lr
            ));
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return config(format!(
                "the tolerance must be non-negative and finite, got {}",
                self.tolerance
            ));
        }
        if self.strategy == Init::Map {
            return config(
                "init_strategy(Init::Map): Map cannot start from its own estimate; use \
                 init_to_median (the default) or another strategy"
                    .into(),
            );
        }
        self.strategy.validate()
    }

    /// Find the mode (an error when the run does not converge: see the type's docs).
    pub fn run(&self, args: &M::Args<'_>) -> Result<MapResult> {
        self.validate()?;
        let mut rng = SmallRng::seed_from_u64(0);
        let (potential, prior) = Potential::discover(&self.model, args, &mut rng)?;
        crate::latent::require_full_data(&prior, "Map")?;
        let mut potential = potential.jacobian(false).grad_mode(self.grad_mode);
        potential.refuse_discrete(
            "Map",
            "MAP optimises continuous sites only; condition the discrete site or marginalise it out",
        )?;
        let d = potential.dim();
        let (mut u, _) = potential.initial_point(&self.strategy, &prior, true, &mut rng)?;
        if let Some(init) = &self.init {
            write_values(potential.space(), init, &mut u, "Map::init")?;
        }
        // The start: a point where the log-joint and its gradient are finite.
        let mut grad = vec![0.0; d];
        let start = potential.log_density_and_gradient(&u, &mut grad);
        let lp = match start {
            Ok(lp) if lp.is_finite() && grad.iter().all(|g| g.is_finite()) => lp,
            Ok(lp) => {
                let (site, value, what) = match potential.culprit(&u) {
                    Some((site, value)) => (site, value, "the log-density at Map's start"),
                    None => match grad.iter().position(|g| !g.is_finite()) {
                        Some(i) => (
                            potential
                                .site_of(i)
                                .map_or("(unknown)".into(), |s| s.name.clone()),
                            grad[i],
                            "the gradient of the log-density at Map's start",
                        ),
                        None => ("(none)".into(), lp, "the log-density at Map's start"),
                    },
                };
                return Err(Error::NonFinite { site, what, value });
            }
            Err(e) => return Err(e),
        };
        // L-BFGS minimises F = −log p.
        let eval = |x: &[f64]| -> Evaluation {
            let mut g = vec![0.0; d];
            match potential.log_density_and_gradient(x, &mut g) {
                Ok(lp) if lp.is_finite() && g.iter().all(|v| v.is_finite()) => {
                    g.iter_mut().for_each(|v| *v = -*v);
                    Ok(Some((-lp, g)))
                }
                Ok(_) | Err(Error::NonFinite { .. } | Error::InvalidDistribution { .. }) => {
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        };
        let mut f = -lp;
        let mut g: Vec<f64> = grad.iter().map(|v| -v).collect();
        let mut memory: VecDeque<Pair> = VecDeque::with_capacity(MEMORY);
        let needed = d.min(MEMORY);
        let mut steps = 0;
        let mut stalled_once = false;
        let (converged, decrement, why) = loop {
            let hg = inverse_hessian_times(&memory, &g);
            let lambda2 = dot(&g, &hg).abs();
            let lambda = lambda2.sqrt();
            if g.iter().all(|&v| v == 0.0) || (memory.len() >= needed && lambda <= self.tolerance) {
                break (true, lambda, String::new());
            }
            if steps >= self.max_steps {
                break (
                    false,
                    lambda,
                    format!(
                        "the step limit (max_steps = {}) was reached",
                        self.max_steps
                    ),
                );
            }
            let mut p: Vec<f64> = hg.iter().map(|v| -v).collect();
            if dot(&g, &p) >= 0.0 {
                // Not a descent direction (round-off in the memory): steepest descent.
                memory.clear();
                p = g.iter().map(|v| -v).collect();
            }
            let alpha0 = if memory.is_empty() {
                self.lr / norm(&p)
            } else {
                1.0
            };
            match line_search(&eval, &u, f, &g, &p, alpha0)? {
                Some((alpha, f_new, g_new)) => {
                    stalled_once = false;
                    let s: Vec<f64> = p.iter().map(|v| alpha * v).collect();
                    let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
                    let sy = dot(&s, &y);
                    if sy > 1e-12 * norm(&s) * norm(&y) && sy.is_finite() {
                        if memory.len() == MEMORY {
                            memory.pop_front();
                        }
                        memory.push_back(Pair {
                            rho: 1.0 / sy,
                            s,
                            y,
                        });
                    }
                    u.iter_mut().zip(&p).for_each(|(x, v)| *x += alpha * v);
                    f = f_new;
                    g = g_new;
                    steps += 1;
                }
                None => {
                    // No higher point along this direction.
                    let round_off = 1e3 * f64::EPSILON * f.abs().max(1.0);
                    if lambda2 / 2.0 <= round_off && !memory.is_empty() {
                        break (true, lambda, String::new());
                    }
                    if !stalled_once && !memory.is_empty() {
                        // Forget the curvature estimate and try the gradient direction.
                        stalled_once = true;
                        memory.clear();
                        continue;
                    }
                    break (
                        false,
                        lambda,
                        "the line search found no point with a higher log-joint along the \
                         search direction (is the log-joint unbounded, or not smooth?)"
                            .into(),
                    );
                }
            }
        };
        let gradient_norm = norm(&g);
        if !converged && !self.allow_unconverged {
            return Err(Error::NotConverged {
                algorithm: "Map",
                steps,
                detail: format!(
                    "{why}; at the last point the log-joint is {}, the gradient norm {:.3e} and \
                     the estimated distance to the mode {:.3e} posterior standard deviations \
                     (the Newton decrement, from {} of the {needed} curvature pairs it needs; \
                     the tolerance is {:e}); raise max_steps, or start nearer the mode with \
                     Map::init",
                    -f,
                    gradient_norm,
                    decrement,
                    memory.len(),
                    self.tolerance
                ),
            });
        }
        let mut numbers = Vec::new();
        potential.record(&u, &mut numbers)?;
        let mut point = Data::new();
        let mut at = 0;
        for (site, column) in potential.space().continuous().zip(potential.columns()) {
            let values = &numbers[at..at + column.len];
            at += column.len;
            point.insert(site.name.as_str(), value_from_numbers(column.kind, values));
        }
        Ok(MapResult {
            point,
            unconstrained: u,
            log_joint: -f,
            steps,
            converged,
            decrement,
            gradient_norm,
        })
    }
}

/// One L-BFGS curvature pair: the step `s`, the change of gradient `y`, and `1/(sᵀy)`.
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// `H⁻¹ g` by L-BFGS's two-loop recursion, the initial matrix `γI` with `γ = sᵀy / yᵀy` of
/// the newest pair (the identity without pairs).
fn inverse_hessian_times(memory: &VecDeque<Pair>, g: &[f64]) -> Vec<f64> {
    let mut q = g.to_vec();
    let mut alphas = Vec::with_capacity(memory.len());
    for pair in memory.iter().rev() {
        let a = pair.rho * dot(&pair.s, &q);
        q.iter_mut().zip(&pair.y).for_each(|(x, y)| *x -= a * y);
        alphas.push(a);
    }
    let gamma = memory
        .back()
        .map_or(1.0, |p| 1.0 / (p.rho * dot(&p.y, &p.y)));
    q.iter_mut().for_each(|x| *x *= gamma);
    for (pair, a) in memory.iter().zip(alphas.iter().rev()) {
        let b = pair.rho * dot(&pair.y, &q);
        q.iter_mut()
            .zip(&pair.s)
            .for_each(|(x, s)| *x += (a - b) * s);
    }
    q
}

/// One point of a line search: the step length, `F` there and its gradient (`None`: the
/// density could not be evaluated there, treated as `F = +∞`).
type Trial = (f64, Option<(f64, Vec<f64>)>);

/// `F` and its gradient at a point, `None` where the density cannot be evaluated.
type Evaluation = Result<Option<(f64, Vec<f64>)>>;

/// A step length along `p` from `x` satisfying the strong Wolfe conditions for `F` (Nocedal
/// and Wright, algorithms 3.5 and 3.6, with safeguarded quadratic interpolation), or the best
/// point with sufficient decrease found in [`MAX_TRIALS`] trials; `None` when there is none.
fn line_search(
    eval: &dyn Fn(&[f64]) -> Evaluation,
    x: &[f64],
    f0: f64,
    g0: &[f64],
    p: &[f64],
    alpha0: f64,
) -> Result<Option<(f64, f64, Vec<f64>)>> {
    let d0 = dot(g0, p);
    let at = |alpha: f64| -> Result<Trial> {
        let point: Vec<f64> = x.iter().zip(p).map(|(a, b)| a + alpha * b).collect();
        Ok((alpha, eval(&point)?))
    };
    let armijo = |alpha: f64, f: f64| f <= f0 + C1 * alpha * d0;
    let curvature = |g: &[f64]| dot(g, p).abs() <= -C2 * d0;
    let mut trials = 0;
    // Bracketing: lengthen the step until it overshoots.
    let (mut lo, mut hi): ((f64, f64, f64, Vec<f64>), Trial);
    let mut prev = (0.0, f0, d0, g0.to_vec());
    let mut alpha = alpha0;
    loop {
        if trials == MAX_TRIALS || !alpha.is_finite() {
            return Ok((prev.0 > 0.0).then_some((prev.0, prev.1, prev.3)));
        }
        trials += 1;
        let trial = at(alpha)?;
        match &trial.1 {
            Some((f, g)) if armijo(alpha, *f) && (prev.0 == 0.0 || *f < prev.1) => {
                if curvature(g) {
                    return Ok(Some((alpha, *f, g.clone())));
                }
                let dd = dot(g, p);
                if dd >= 0.0 {
                    // The minimum along the line lies between the previous point and this one.
                    lo = (alpha, *f, dd, g.clone());
                    hi = (prev.0, Some((prev.1, prev.3.clone())));
                    break;
                }
                prev = (alpha, *f, dd, g.clone());
                alpha *= 4.0;
            }
            _ => {
                lo = prev.clone();
                hi = trial;
                break;
            }
        }
    }
    // Zoom: shrink the bracket [lo, hi] (lo the best point so far, with sufficient decrease).
    while trials < MAX_TRIALS {
        let (a_lo, f_lo, d_lo, _) = &lo;
        let a_hi = hi.0;
        let width = a_hi - a_lo;
        if width.abs() <= 1e-16 * a_lo.abs().max(a_hi.abs()) || width == 0.0 {
            break;
        }
        // The minimiser of the quadratic through F(lo), F'(lo) and F(hi), kept inside the
        // middle 80% of the bracket; a fifth of the way to hi when hi could not be evaluated.
        let guess = match &hi.1 {
            Some((f_hi, _)) => {
                let denom = 2.0 * (f_hi - f_lo - d_lo * width);
                if denom > 0.0 {
                    a_lo - d_lo * width * width / denom
                } else {
                    a_lo + 0.5 * width
                }
            }
            None => a_lo + 0.2 * width,
        };
        let (low, high) = (a_lo + 0.1 * width, a_lo + 0.9 * width);
        let (low, high) = if low < high { (low, high) } else { (high, low) };
        let alpha = if guess.is_finite() {
            guess.clamp(low, high)
        } else {
            a_lo + 0.5 * width
        };
        trials += 1;
        let trial = at(alpha)?;
        match trial.1 {
            Some((f, g)) if armijo(alpha, f) && f < *f_lo => {
                if curvature(&g) {
                    return Ok(Some((alpha, f, g)));
                }
                let dd = dot(&g, p);
                if dd * (a_hi - alpha) >= 0.0 {
                    hi = (lo.0, Some((lo.1, lo.3.clone())));
                }
                lo = (alpha, f, dd, g);
            }
            other => hi = (alpha, other),
        }
    }
    Ok((lo.0 > 0.0).then_some((lo.0, lo.1, lo.3)))
}
