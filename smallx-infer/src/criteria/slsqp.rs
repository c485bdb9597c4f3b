//! Kraft's sequential least-squares quadratic programming (SLSQP), as SciPy's
//! `minimize(method="SLSQP")` runs it, for a smooth objective over a box cut by one linear
//! equality: `min f(x)` subject to `lower ≤ x ≤ upper` and `Σ x = total`.
//!
//! This is the problem `az.compare(method="stacking")` hands to SciPy, and the point is to stop
//! where SciPy stops, so everything that decides the iterates follows Kraft (1988, "A software
//! package for sequential quadratic programming", DFVLR-FB 88-28) as SciPy runs it:
//!
//! * the Hessian of the Lagrangian is approximated by `B = L·D·Lᵀ`, the identity at the start
//!   and after every reset, updated by Powell's damped BFGS formula (the curvature `sᵀy` is
//!   raised to `0.2·sᵀBs` when smaller) through two rank-one updates of the factors (Fletcher
//!   and Powell's composite-t method);
//! * each iteration's step solves the quadratic subproblem
//!   `min ½ sᵀBs + ∇fᵀs` subject to `Σ s = total − Σ x` and `lower − x ≤ s ≤ upper − x`.
//!   It is strictly convex, so its solution is unique: here a primal active-set method finds
//!   it (Kraft goes through a least-distance problem and non-negative least squares; the step
//!   is the same), and the multiplier `λ` of the equality is kept;
//! * the penalty `μ ← max(|λ|, (μ + |λ|)/2)` of the L1 merit function `f + μ·|Σ x − total|`,
//!   and the merit's directional derivative `∇fᵀs − μ·|Σ x − total|`; when that is not
//!   negative, the Hessian is reset (after five resets, a relaxed convergence test at 10·ftol
//!   decides between success and failure);
//! * the line search: `α = 1`, then `α ← max(h/(2(h − Δ)), 0.1)` while the merit's decrease
//!   `Δ` exceeds a tenth of the predicted `h` (which shrinks with `α`), at most ten times;
//! * the stopping tests: before the line search, `|∇fᵀs| + |λ|·|c| < ftol` and `|c| < ftol`
//!   (`c = Σ x − total`); after it, `(|f − f₀| < ftol or ‖s‖ < ftol)` and `|c| < ftol`; at most
//!   `max_iter` iterations. SciPy's defaults are `ftol = 1e-6`, `max_iter = 100`, and it clips
//!   the starting point to the box.
//!
//! Whatever the outcome, the returned `x` is the last iterate, as SciPy returns it.
//!
//! Two things differ from SciPy. Its subproblem solver (Lawson and Hanson's least-distance
//! problem through non-negative least squares) leaves rounding of ~1e-10 in the step where
//! the exact step puts a variable on its bound; an objective steep near the bound (as the
//! stacking objective is at a zero weight) can amplify that into iterates ~1e-7 apart, and
//! rarely a stopping test then falls differently. And Kraft's augmented subproblem for
//! inconsistent linearisations is not needed here (the box always contains points of the
//! hyperplane when the start does), so a subproblem without a feasible point is reported as
//! [`Status::Incompatible`] at once.

/// How SLSQP stopped, with SciPy's exit modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Mode 0: "Optimization terminated successfully".
    Converged,
    /// Mode 3: the quadratic subproblem's solver did not finish.
    SubproblemIterations,
    /// Mode 4: "Inequality constraints incompatible" (the box and the equality have no common
    /// point).
    Incompatible,
    /// Mode 8: "Positive directional derivative for linesearch".
    PositiveDirectionalDerivative,
    /// Mode 9: "Iteration limit reached".
    IterationLimit,
}

/// SLSQP's result: the last iterate, how it stopped and after how many iterations.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    pub x: Vec<f64>,
    // Kept for diagnosis and the module's tests: ArviZ uses `x` whatever the status.
    #[allow(dead_code)]
    pub status: Status,
    #[allow(dead_code)]
    pub iterations: usize,
}

/// SciPy's default tolerance on the objective (`ftol`).
const FTOL: f64 = 1e-6;
/// SciPy's default iteration limit (`maxiter`).
const MAX_ITER: usize = 100;

/// Minimise `f` (with gradient `grad`) over `{x : lower ≤ x ≤ upper, Σ x = total}` from `x0`
/// by SLSQP with SciPy's default options, tolerance 1e-6 and at most 100 iterations (see the
/// module's doc). The bounds must be finite with `lower ≤ upper`, and all slices of the same
/// length.
pub(crate) fn minimize(
    mut f: impl FnMut(&[f64]) -> f64,
    mut grad: impl FnMut(&[f64]) -> Vec<f64>,
    x0: &[f64],
    lower: &[f64],
    upper: &[f64],
    total: f64,
) -> Outcome {
    let (ftol, max_iter) = (FTOL, MAX_ITER);
    let n = x0.len();
    let tol = 10.0 * ftol;
    let mut x: Vec<f64> = (0..n).map(|i| x0[i].max(lower[i]).min(upper[i])).collect();
    let constraint = |x: &[f64]| x.iter().sum::<f64>() - total;
    let mut fx = f(&x);
    let mut g = grad(&x);
    let mut c = constraint(&x);
    let mut factors = Ldl::identity(n);
    let mut resets = 1;
    let mut iter = 0;
    let mut mu = 0.0;
    // The step, the start of the line search, its value and the Lagrangian's gradient there
    // (the last two only once a line search has run).
    let mut s: Vec<f64>;
    let mut f0: f64;
    let mut lagrangian_grad = vec![0.0; n];
    let finish = |x: Vec<f64>, status, iterations| Outcome {
        x,
        status,
        iterations,
    };
    loop {
        if iter >= max_iter {
            return finish(x, Status::IterationLimit, iter);
        }
        iter += 1;
        let lo: Vec<f64> = (0..n).map(|i| lower[i] - x[i]).collect();
        let hi: Vec<f64> = (0..n).map(|i| upper[i] - x[i]).collect();
        let (step, lambda) = match quadratic_step(&factors.dense(), &g, -c, &lo, &hi) {
            Ok(solution) => solution,
            Err(status) => return finish(x, status, iter),
        };
        s = step;
        // ∇f − λ·∇c, the Lagrangian's gradient at the start of the step.
        for i in 0..n {
            lagrangian_grad[i] = g[i] - lambda;
        }
        f0 = fx;
        let x_start = x.clone();
        let gs: f64 = g.iter().zip(&s).map(|(a, b)| a * b).sum();
        mu = f64::max(lambda.abs(), (mu + lambda.abs()) / 2.0);
        if gs.abs() + lambda.abs() * c.abs() < ftol && c.abs() < ftol && !fx.is_nan() {
            return finish(x, Status::Converged, iter);
        }
        let merit0 = fx + mu * c.abs();
        let mut slope = gs - mu * c.abs();
        if slope >= 0.0 {
            // Not a descent direction of the merit: start again from the identity.
            resets += 1;
            if resets > 5 {
                // The relaxed test, where |f − f₀| = 0 (no step was taken).
                let status = if c.abs() < tol && !fx.is_nan() {
                    Status::Converged
                } else {
                    Status::PositiveDirectionalDerivative
                };
                return finish(x, status, iter);
            }
            factors = Ldl::identity(n);
            continue;
        }
        // Line search on the L1 merit function.
        let mut alpha = 1.0;
        let mut line = 0;
        loop {
            line += 1;
            slope *= alpha;
            s.iter_mut().for_each(|v| *v *= alpha);
            for i in 0..n {
                x[i] = x_start[i] + s[i];
            }
            fx = f(&x);
            c = constraint(&x);
            let decrease = fx + mu * c.abs() - merit0;
            if decrease <= slope / 10.0 || line > 10 {
                break;
            }
            alpha = f64::max(slope / (2.0 * (slope - decrease)), 0.1);
        }
        if ((fx - f0).abs() < ftol || norm(&s) < ftol) && c.abs() < ftol && !fx.is_nan() {
            return finish(x, Status::Converged, iter);
        }
        g = grad(&x);
        // Damped BFGS update of B with the step s and the change y of the Lagrangian's gradient.
        let mut y: Vec<f64> = (0..n)
            .map(|i| (g[i] - lambda) - lagrangian_grad[i])
            .collect();
        let mut bs = factors.times(&s);
        let mut sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        let sbs: f64 = s.iter().zip(&bs).map(|(a, b)| a * b).sum();
        if sy < 0.2 * sbs {
            let theta = (sbs - 0.2 * sbs) / (sbs - sy);
            for i in 0..n {
                y[i] = theta * y[i] + (1.0 - theta) * bs[i];
            }
            sy = 0.2 * sbs;
        }
        if sy == 0.0 || sbs == 0.0 {
            resets += 1;
            if resets > 5 {
                let status =
                    if ((fx - f0).abs() < tol || norm(&s) < tol) && c.abs() < tol && !fx.is_nan() {
                        Status::Converged
                    } else {
                        Status::PositiveDirectionalDerivative
                    };
                return finish(x, status, iter);
            }
            factors = Ldl::identity(n);
            continue;
        }
        factors.rank_one(&mut y, 1.0 / sy);
        factors.rank_one(&mut bs, -1.0 / sbs);
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// `B = L·D·Lᵀ` with `L` unit lower triangular (row-major, `n × n`) and `D` diagonal.
struct Ldl {
    n: usize,
    l: Vec<f64>,
    d: Vec<f64>,
}

impl Ldl {
    fn identity(n: usize) -> Self {
        let mut l = vec![0.0; n * n];
        (0..n).for_each(|i| l[i * n + i] = 1.0);
        Ldl {
            n,
            l,
            d: vec![1.0; n],
        }
    }

    /// `B·v`, as `L·(D·(Lᵀ·v))`.
    // Index loops follow the triangular factor's layout.
    #[allow(clippy::needless_range_loop)]
    fn times(&self, v: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut w: Vec<f64> = (0..n)
            .map(|j| {
                let mut acc = v[j];
                for i in j + 1..n {
                    acc += self.l[i * n + j] * v[i];
                }
                acc * self.d[j]
            })
            .collect();
        for j in (0..n).rev() {
            let wj = w[j];
            if wj != 0.0 {
                for i in (j + 1..n).rev() {
                    w[i] += wj * self.l[i * n + j];
                }
            }
        }
        w
    }

    /// `B` as a dense row-major matrix.
    fn dense(&self) -> Vec<f64> {
        let n = self.n;
        let mut b = vec![0.0; n * n];
        for r in 0..n {
            for c in 0..n {
                b[r * n + c] = (0..=r.min(c))
                    .map(|k| self.l[r * n + k] * self.d[k] * self.l[c * n + k])
                    .sum();
            }
        }
        b
    }

    /// `B ← B + σ·z·zᵀ` on the factors (Fletcher and Powell 1974, "On the modification of
    /// LDLᵀ factorizations", composite-t method). A downdate (`σ < 0`) that would leave `B`
    /// indefinite is replaced by one that keeps it positive definite, as Kraft does. `z` is
    /// overwritten.
    #[allow(clippy::needless_range_loop)]
    fn rank_one(&mut self, z: &mut [f64], sigma: f64) {
        let n = self.n;
        if sigma == 0.0 || n == 0 {
            return;
        }
        let at = |r: usize, c: usize| r * n + c;
        let mut t = 1.0 / sigma;
        // For a downdate, the successive values of t, computed backwards.
        let mut w = vec![0.0; n];
        if sigma < 0.0 {
            w.copy_from_slice(z);
            for i in 0..n {
                let v = w[i];
                t += v * v / self.d[i];
                for j in i + 1..n {
                    w[j] -= v * self.l[at(j, i)];
                }
            }
            if t >= 0.0 {
                t = f64::EPSILON / sigma;
            }
            for j in (0..n).rev() {
                let u = w[j];
                w[j] = t;
                t -= u * u / self.d[j];
            }
        }
        for i in 0..n {
            let v = z[i];
            let delta = v / self.d[i];
            let tp = if sigma < 0.0 { w[i] } else { t + delta * v };
            let alpha = tp / t;
            self.d[i] *= alpha;
            if i == n - 1 {
                return;
            }
            let beta = delta / tp;
            if alpha <= 4.0 {
                for j in i + 1..n {
                    z[j] -= v * self.l[at(j, i)];
                    self.l[at(j, i)] += beta * z[j];
                }
            } else {
                let gamma = t / tp;
                for j in i + 1..n {
                    let u = self.l[at(j, i)];
                    self.l[at(j, i)] = gamma * u + beta * z[j];
                    z[j] -= v * u;
                }
            }
            t = tp;
        }
    }
}

/// Where a variable of the quadratic subproblem is held.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    Free,
    Lower,
    Upper,
}

/// The solution `s` of `min ½ sᵀBs + gᵀs` subject to `Σ s = r`, `lo ≤ s ≤ hi` (`B` dense
/// row-major, positive definite) and the multiplier `λ` of the equality
/// (`B·s + g = λ·1 + (bound multipliers)`), by a primal active-set method: from a feasible
/// point, minimise over the variables not held at a bound, stop at the first bound in the way
/// and hold it there, and release the bound whose multiplier is most negative when there is
/// none.
fn quadratic_step(
    b: &[f64],
    g: &[f64],
    r: f64,
    lo: &[f64],
    hi: &[f64],
) -> Result<(Vec<f64>, f64), Status> {
    let n = g.len();
    // A feasible start: 0 clipped to the box, then Σ s = r made up from the room left.
    let mut s: Vec<f64> = (0..n).map(|i| 0.0_f64.max(lo[i]).min(hi[i])).collect();
    let mut missing = r - s.iter().sum::<f64>();
    for i in 0..n {
        let room = if missing > 0.0 {
            (hi[i] - s[i]).min(missing)
        } else {
            (lo[i] - s[i]).max(missing)
        };
        s[i] += room;
        missing -= room;
    }
    let scale = 1.0 + r.abs() + (0..n).map(|i| hi[i] - lo[i]).fold(0.0, f64::max);
    if missing.abs() > 1e-12 * scale {
        return Err(Status::Incompatible);
    }
    let mut state: Vec<Bound> = (0..n)
        .map(|i| {
            if s[i] <= lo[i] {
                Bound::Lower
            } else if s[i] >= hi[i] {
                Bound::Upper
            } else {
                Bound::Free
            }
        })
        .collect();
    if n > 0 && !state.contains(&Bound::Free) {
        // The equality determines one variable from the others.
        if let Some(i) = (0..n).find(|&i| lo[i] < hi[i]) {
            state[i] = Bound::Free;
        }
    }
    for _ in 0..10 * (n + 10) {
        let free: Vec<usize> = (0..n).filter(|&i| state[i] == Bound::Free).collect();
        let (target, lambda) = if free.is_empty() {
            (Vec::new(), 0.0)
        } else {
            equality_minimiser(b, g, r, &s, &free).ok_or(Status::SubproblemIterations)?
        };
        // The first bound in the way from s to the target. A single free variable is
        // determined by the equality: it only moves by rounding, and is kept free (clipped).
        let mut fraction = 1.0;
        let mut blocking = None;
        for (k, &i) in free.iter().enumerate().filter(|_| free.len() > 1) {
            let step = target[k] - s[i];
            let ratio = if target[k] < lo[i] {
                (lo[i] - s[i]) / step
            } else if target[k] > hi[i] {
                (hi[i] - s[i]) / step
            } else {
                continue;
            };
            let ratio = ratio.clamp(0.0, 1.0);
            if ratio < fraction || blocking.is_none() {
                fraction = ratio;
                blocking = Some((k, i));
            }
        }
        if let Some((kj, j)) = blocking {
            for (k, &i) in free.iter().enumerate() {
                s[i] += fraction * (target[k] - s[i]);
            }
            if target[kj] < lo[j] {
                s[j] = lo[j];
                state[j] = Bound::Lower;
            } else {
                s[j] = hi[j];
                state[j] = Bound::Upper;
            }
            continue;
        }
        for (k, &i) in free.iter().enumerate() {
            s[i] = target[k].max(lo[i]).min(hi[i]);
        }
        // The multipliers of the held bounds, from B·s + g = λ·1 + μ_lower − μ_upper.
        let gradient: Vec<f64> = (0..n)
            .map(|i| g[i] + (0..n).map(|j| b[i * n + j] * s[j]).sum::<f64>())
            .collect();
        let size = gradient.iter().fold(lambda.abs(), |m, v| m.max(v.abs()));
        let mut release = None;
        let mut most_negative = -1e-13 * size;
        for i in 0..n {
            let multiplier = match state[i] {
                Bound::Free => continue,
                _ if lo[i] >= hi[i] => continue,
                Bound::Lower => gradient[i] - lambda,
                Bound::Upper => lambda - gradient[i],
            };
            if multiplier < most_negative {
                most_negative = multiplier;
                release = Some(i);
            }
        }
        match release {
            Some(i) => state[i] = Bound::Free,
            None => return Ok((s, lambda)),
        }
    }
    Err(Status::SubproblemIterations)
}

/// The minimiser of `½ sᵀBs + gᵀs` over the variables `free` (the others held at their values
/// in `s`) subject to `Σ s = r`, with the equality's multiplier: the solution of
/// `B_FF·s_F − λ·1 = −(g_F + B_FH·s_H)`, `Σ s_F = r − Σ s_H`. `None` when singular.
fn equality_minimiser(
    b: &[f64],
    g: &[f64],
    r: f64,
    s: &[f64],
    free: &[usize],
) -> Option<(Vec<f64>, f64)> {
    let n = g.len();
    let m = free.len();
    let size = m + 1;
    let width = size + 1;
    let mut a = vec![0.0; size * width];
    let held: Vec<usize> = (0..n).filter(|i| !free.contains(i)).collect();
    for (row, &i) in free.iter().enumerate() {
        for (col, &j) in free.iter().enumerate() {
            a[row * width + col] = b[i * n + j];
        }
        a[row * width + m] = -1.0;
        a[m * width + row] = 1.0;
        a[row * width + size] = -(g[i] + held.iter().map(|&j| b[i * n + j] * s[j]).sum::<f64>());
    }
    a[m * width + size] = r - held.iter().map(|&j| s[j]).sum::<f64>();
    // Gaussian elimination with partial pivoting.
    for col in 0..size {
        let pivot = (col..size).max_by(|&x, &y| {
            a[x * width + col]
                .abs()
                .total_cmp(&a[y * width + col].abs())
        })?;
        if a[pivot * width + col] == 0.0 {
            return None;
        }
        if pivot != col {
            for c in 0..width {
                a.swap(pivot * width + c, col * width + c);
            }
        }
        for row in col + 1..size {
            let factor = a[row * width + col] / a[col * width + col];
            if factor != 0.0 {
                for c in col..width {
                    a[row * width + c] -= factor * a[col * width + c];
                }
            }
        }
    }
    let mut solution = vec![0.0; size];
    for row in (0..size).rev() {
        let tail: f64 = (row + 1..size)
            .map(|c| a[row * width + c] * solution[c])
            .sum();
        solution[row] = (a[row * width + size] - tail) / a[row * width + row];
    }
    let lambda = solution.pop()?;
    (solution.iter().all(|v| v.is_finite()) && lambda.is_finite()).then_some((solution, lambda))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic stream of uniforms in [0, 1).
    fn uniforms(mut state: u64) -> impl FnMut() -> f64 {
        move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// A random positive definite `M·Mᵀ + I/10`.
    fn random_spd(n: usize, u: &mut impl FnMut() -> f64) -> Vec<f64> {
        let m: Vec<f64> = (0..n * n).map(|_| 2.0 * u() - 1.0).collect();
        let mut b = vec![0.0; n * n];
        for r in 0..n {
            for c in 0..n {
                b[r * n + c] = (0..n).map(|k| m[r * n + k] * m[c * n + k]).sum::<f64>()
                    + if r == c { 0.1 } else { 0.0 };
            }
        }
        b
    }

    /// The subproblem's solution satisfies its KKT conditions (which, the problem being
    /// strictly convex, make it the unique minimiser): feasible, `B·s + g − λ·1` zero on the
    /// free variables, non-negative at lower bounds and non-positive at upper ones.
    #[test]
    fn quadratic_step_satisfies_the_kkt_conditions() {
        let mut u = uniforms(7);
        for trial in 0..300 {
            let n = 1 + trial % 6;
            let b = random_spd(n, &mut u);
            let g: Vec<f64> = (0..n).map(|_| 10.0 * (2.0 * u() - 1.0)).collect();
            // The box of a step from a point of the simplex.
            let x: Vec<f64> = {
                let raw: Vec<f64> = (0..n).map(|_| if u() < 0.3 { 0.0 } else { u() }).collect();
                let total: f64 = raw.iter().sum();
                if total == 0.0 {
                    vec![1.0 / n as f64; n]
                } else {
                    raw.iter().map(|v| v / total).collect()
                }
            };
            let lo: Vec<f64> = x.iter().map(|v| -v).collect();
            let hi: Vec<f64> = x.iter().map(|v| 1.0 - v).collect();
            let r = 1.0 - x.iter().sum::<f64>();
            let (s, lambda) = quadratic_step(&b, &g, r, &lo, &hi).unwrap();
            assert!((s.iter().sum::<f64>() - r).abs() < 1e-12);
            for i in 0..n {
                assert!(s[i] >= lo[i] && s[i] <= hi[i], "{trial}: {s:?}");
                let grad = g[i] + (0..n).map(|j| b[i * n + j] * s[j]).sum::<f64>() - lambda;
                let scale = 1e-9 * (1.0 + lambda.abs());
                if s[i] == lo[i] {
                    assert!(grad >= -scale, "{trial}: {i} at its lower bound, {grad}");
                } else if s[i] == hi[i] {
                    assert!(grad <= scale, "{trial}: {i} at its upper bound, {grad}");
                } else {
                    assert!(grad.abs() <= scale, "{trial}: {i} free, {grad}");
                }
            }
        }
    }

    /// The factors' rank-one updates give the damped BFGS matrix `B + yyᵀ/sᵀy − BssᵀB/sᵀBs`.
    #[test]
    fn factor_updates_match_the_dense_bfgs_formula() {
        let mut u = uniforms(11);
        let n = 5;
        let mut factors = Ldl::identity(n);
        for _ in 0..20 {
            let b = factors.dense();
            let s: Vec<f64> = (0..n).map(|_| 2.0 * u() - 1.0).collect();
            // y with positive curvature sᵀy.
            let mut y: Vec<f64> = (0..n).map(|_| 2.0 * u() - 1.0).collect();
            let bs = factors.times(&s);
            let mut sy: f64 = s.iter().zip(&y).map(|(a, c)| a * c).sum();
            if sy < 0.0 {
                y.iter_mut().for_each(|v| *v = -*v);
                sy = -sy;
            }
            let sbs: f64 = s.iter().zip(&bs).map(|(a, c)| a * c).sum();
            let dense_bs: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| b[i * n + j] * s[j]).sum())
                .collect();
            for i in 0..n {
                assert!((bs[i] - dense_bs[i]).abs() < 1e-9 * (1.0 + dense_bs[i].abs()));
            }
            let want: Vec<f64> = (0..n * n)
                .map(|k| {
                    let (i, j) = (k / n, k % n);
                    b[k] + y[i] * y[j] / sy - bs[i] * bs[j] / sbs
                })
                .collect();
            factors.rank_one(&mut y.clone(), 1.0 / sy);
            factors.rank_one(&mut bs.clone(), -1.0 / sbs);
            let got = factors.dense();
            let size = want.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
            for k in 0..n * n {
                assert!(
                    (got[k] - want[k]).abs() < 1e-9 * size,
                    "{k}: {got:?} {want:?}"
                );
            }
            assert!(factors.d.iter().all(|d| *d > 0.0));
        }
    }

    /// A quadratic with the identity Hessian: the first step (from `B = I`) is exact, so the
    /// minimiser, the projection of `c` on the simplex, is found at the second iteration.
    #[test]
    fn minimize_projects_on_the_simplex() {
        let c = [0.8, 0.5, -0.2];
        let f = |x: &[f64]| 0.5 * x.iter().zip(&c).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
        let grad = |x: &[f64]| x.iter().zip(&c).map(|(a, b)| a - b).collect::<Vec<f64>>();
        let out = minimize(f, grad, &[1.0 / 3.0; 3], &[0.0; 3], &[1.0; 3], 1.0);
        assert_eq!(out.status, Status::Converged);
        assert_eq!(out.iterations, 2);
        for (got, want) in out.x.iter().zip([0.65, 0.35, 0.0]) {
            assert!((got - want).abs() < 1e-12, "{:?}", out.x);
        }
    }

    /// A box that cannot meet the equality: SciPy's mode 4, with the clipped start returned.
    #[test]
    fn incompatible_constraints_are_reported() {
        let out = minimize(
            |x: &[f64]| x[0] * x[0],
            |x: &[f64]| vec![2.0 * x[0], 0.0],
            &[0.5, 0.5],
            &[0.0, 0.0],
            &[0.25, 0.25],
            1.0,
        );
        assert_eq!(out.status, Status::Incompatible);
        assert_eq!(out.x, vec![0.25, 0.25]);
    }
}
