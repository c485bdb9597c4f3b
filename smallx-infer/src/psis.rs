//! Pareto-smoothed importance sampling (Vehtari, Simpson, Gelman, Yao and Gabry, "Pareto
//! smoothed importance sampling"): the largest raw importance weights are replaced by the
//! expected order statistics of a generalised Pareto distribution fitted to them, and the
//! fitted shape `k̂` says how far the weights can be trusted.
//!
//! The steps and constants are those of ArviZ's `psislw` and of the `loo` package, so that the
//! numbers agree with theirs to rounding: a tail of `M = ⌈min(S/5, 3·√(S/r_eff))⌉` draws, the
//! empirical-Bayes fit of Zhang and Stephens (2009) with its weakly informative prior on `k`,
//! the tail replaced by the fitted quantiles at `(t − ½)/M`, truncation at the largest raw
//! weight.

/// The smoothed log-weights of one set of draws and the fitted Pareto shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Smoothed {
    /// Smoothed, truncated and normalised log-weights (their exponentials sum to 1), in the
    /// order of the input.
    pub log_weights: Vec<f64>,
    /// The shape `k̂` of the generalised Pareto distribution fitted to the tail: `∞` when the
    /// tail has 4 draws or fewer (no fit, no smoothing).
    pub k_hat: f64,
}

/// `ln Σ exp(xᵢ)`, stable for large and `-∞` entries.
pub(crate) fn log_sum_exp(x: &[f64]) -> f64 {
    let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + x.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// Pareto-smooth the importance log-weights `log_weights` (for leave-one-out: minus the
/// log-likelihood of one observation at each draw) with relative efficiency `r_eff` (1 for
/// independent draws). The weights are normalised.
///
/// ```
/// use smallx_infer::psis::psis;
/// let lw: Vec<f64> = (1..=100).map(|i| (i as f64).ln()).collect();
/// let s = psis(&lw, 1.0);
/// assert!(s.k_hat.is_finite());
/// let total: f64 = s.log_weights.iter().map(|w| w.exp()).sum();
/// assert!((total - 1.0).abs() < 1e-12);
/// ```
pub fn psis(log_weights: &[f64], r_eff: f64) -> Smoothed {
    let n = log_weights.len();
    let mut x = log_weights.to_vec();
    if n == 0 {
        return Smoothed {
            log_weights: x,
            k_hat: f64::INFINITY,
        };
    }
    let max_x = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for v in &mut x {
        *v -= max_x;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let tail_len = (n as f64 / 5.0).min(3.0 * (n as f64 / r_eff).sqrt()).ceil() as usize;
    // The draw just below the tail; the smallest positive normal number bounds it from below,
    // as in ArviZ.
    let cutoff_pos = n.saturating_sub(tail_len + 1);
    let cutoff = x[order[cutoff_pos]].max(f64::MIN_POSITIVE.ln());
    let exp_cutoff = cutoff.exp();
    let mut tail: Vec<usize> = (0..n).filter(|&i| x[i] > cutoff).collect();
    let mut k = f64::INFINITY;
    if tail.len() > 4 {
        tail.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        let excess: Vec<f64> = tail.iter().map(|&i| x[i].exp() - exp_cutoff).collect();
        let (k_fit, sigma) = gpd_fit(&excess);
        k = k_fit;
        if k.is_finite() {
            let m = tail.len() as f64;
            for (t, &i) in tail.iter().enumerate() {
                let p = (t as f64 + 0.5) / m;
                x[i] = (gpd_quantile(p, k, sigma) + exp_cutoff).ln();
            }
            for v in &mut x {
                if *v > 0.0 {
                    *v = 0.0;
                }
            }
        }
    }
    let total = log_sum_exp(&x);
    for v in &mut x {
        *v -= total;
    }
    Smoothed {
        log_weights: x,
        k_hat: k,
    }
}

/// The empirical-Bayes estimate of the generalised Pareto shape and scale of Zhang and
/// Stephens (2009), for `sorted` positive exceedances in increasing order, with the weakly
/// informative prior that pulls `k` towards ½ with weight 10 (as the `loo` package and ArviZ
/// do). Returns `(k, σ)`.
pub fn gpd_fit(sorted: &[f64]) -> (f64, f64) {
    const PRIOR_BS: f64 = 3.0;
    const PRIOR_K: f64 = 10.0;
    let n = sorted.len();
    let nf = n as f64;
    let m_est = 30 + (nf.sqrt() as usize);
    let quartile = sorted[((nf / 4.0 + 0.5) as usize).saturating_sub(1)];
    let largest = sorted[n - 1];
    let mut b: Vec<f64> = (1..=m_est)
        .map(|j| {
            (1.0 - (m_est as f64 / (j as f64 - 0.5)).sqrt()) / (PRIOR_BS * quartile) + 1.0 / largest
        })
        .collect();
    let k_of = |b: f64| sorted.iter().map(|x| (-b * x).ln_1p()).sum::<f64>() / nf;
    let len_scale: Vec<f64> = b
        .iter()
        .map(|&bj| {
            let kj = k_of(bj);
            nf * ((-(bj / kj)).ln() - kj - 1.0)
        })
        .collect();
    let mut w: Vec<f64> = len_scale
        .iter()
        .map(|&li| 1.0 / len_scale.iter().map(|&lj| (lj - li).exp()).sum::<f64>())
        .collect();
    // Drop negligible weights, then normalise.
    let keep: Vec<bool> = w.iter().map(|&wi| wi >= 10.0 * f64::EPSILON).collect();
    if keep.iter().any(|&k| !k) {
        let mut j = 0;
        w.retain(|_| {
            j += 1;
            keep[j - 1]
        });
        let mut j = 0;
        b.retain(|_| {
            j += 1;
            keep[j - 1]
        });
    }
    let total: f64 = w.iter().sum();
    let b_post: f64 = b.iter().zip(&w).map(|(bj, wj)| bj * wj / total).sum();
    let k_post = k_of(b_post);
    let sigma = -k_post / b_post;
    let k_post = (nf * k_post + PRIOR_K * 0.5) / (nf + PRIOR_K);
    (k_post, sigma)
}

/// The quantile at `p` in (0, 1) of the generalised Pareto distribution with shape `k` and
/// scale `σ` (location 0); NaN when `σ ≤ 0`.
pub fn gpd_quantile(p: f64, k: f64, sigma: f64) -> f64 {
    if sigma <= 0.0 {
        return f64::NAN;
    }
    if k.abs() < f64::EPSILON {
        -sigma * (-p).ln_1p()
    } else {
        sigma * (-k * (-p).ln_1p()).exp_m1() / k
    }
}
