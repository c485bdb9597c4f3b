//! Convergence diagnostics (Vehtari, Gelman, Simpson, Carpenter and Bürkner, 2021):
//! rank-normalised split R-hat and bulk effective sample size.

/// Split each chain into its first and second halves (dropping the middle draw of an odd
/// chain).
pub fn split_chains(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    chains
        .iter()
        .flat_map(|c| {
            let half = c.len() / 2;
            [c[..half].to_vec(), c[c.len() - half..].to_vec()]
        })
        .collect()
}

/// Replace every draw by the normal score of its rank among all draws:
/// `Φ⁻¹((r − 3/8)/(S + 1/4))`, ties given their average rank.
pub fn rank_normalize(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let all: Vec<(f64, usize, usize)> = chains
        .iter()
        .enumerate()
        .flat_map(|(c, xs)| xs.iter().enumerate().map(move |(i, &x)| (x, c, i)))
        .collect();
    let s = all.len() as f64;
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by(|&a, &b| all[a].0.total_cmp(&all[b].0));
    let mut out: Vec<Vec<f64>> = chains.iter().map(|c| vec![0.0; c.len()]).collect();
    let mut k = 0;
    while k < order.len() {
        let mut end = k;
        while end + 1 < order.len() && all[order[end + 1]].0 == all[order[k]].0 {
            end += 1;
        }
        let rank = (k + end) as f64 / 2.0 + 1.0;
        let z = std::f64::consts::SQRT_2
            * statrs::function::erf::erf_inv(2.0 * (rank - 0.375) / (s + 0.25) - 1.0);
        for &o in &order[k..=end] {
            let (_, c, i) = all[o];
            out[c][i] = z;
        }
        k = end + 1;
    }
    out
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn variance(xs: &[f64]) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)
}

/// Whether `chains` is at least one chain, all of one length, of at least `min` draws: what
/// every diagnostic needs (they are NaN otherwise).
fn usable(chains: &[Vec<f64>], min: usize) -> bool {
    chains
        .first()
        .is_some_and(|c| c.len() >= min && chains.iter().all(|x| x.len() == c.len()))
}

/// The classic potential scale reduction of chains of equal length; NaN without chains, with
/// chains of unequal length, or with fewer than 2 draws per chain.
pub fn rhat_basic(chains: &[Vec<f64>]) -> f64 {
    if !usable(chains, 2) {
        return f64::NAN;
    }
    let n = chains[0].len() as f64;
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let w = mean(&chains.iter().map(|c| variance(c)).collect::<Vec<_>>());
    let b_over_n = variance(&means);
    ((n - 1.0) / n * w + b_over_n).sqrt() / w.sqrt()
}

/// Rank-normalised split R-hat: the larger of the bulk R-hat and the R-hat of the draws
/// folded around the median (which detects differences in scale). NaN without chains, with
/// chains of unequal length, or with fewer than 4 draws per chain.
pub fn rhat(chains: &[Vec<f64>]) -> f64 {
    if !usable(chains, 4) {
        return f64::NAN;
    }
    let split = split_chains(chains);
    let bulk = rhat_basic(&rank_normalize(&split));
    let mut pooled: Vec<f64> = split.iter().flatten().copied().collect();
    pooled.sort_by(f64::total_cmp);
    let median = pooled[pooled.len() / 2];
    let folded: Vec<Vec<f64>> = split
        .iter()
        .map(|c| c.iter().map(|x| (x - median).abs()).collect())
        .collect();
    bulk.max(rhat_basic(&rank_normalize(&folded)))
}

/// Bulk effective sample size: the ESS of the rank-normalised split chains. NaN without
/// chains, with chains of unequal length, or with fewer than 4 draws per chain.
pub fn ess_bulk(chains: &[Vec<f64>]) -> f64 {
    if !usable(chains, 4) {
        return f64::NAN;
    }
    ess_basic(&rank_normalize(&split_chains(chains)))
}

/// Effective sample size of chains of equal length, from their autocorrelations with
/// Geyer's initial monotone sequence. NaN without chains, with chains of unequal length, or
/// with fewer than 2 draws per chain.
pub fn ess_basic(chains: &[Vec<f64>]) -> f64 {
    if !usable(chains, 2) {
        return f64::NAN;
    }
    let m = chains.len() as f64;
    let n = chains[0].len();
    let nf = n as f64;
    let acov: Vec<Vec<f64>> = chains.iter().map(|c| autocovariance(c)).collect();
    let mean_acov = |t: usize| acov.iter().map(|a| a[t]).sum::<f64>() / m;
    let mean_var = mean_acov(0) * nf / (nf - 1.0);
    let mut var_plus = mean_var * (nf - 1.0) / nf;
    if chains.len() > 1 {
        var_plus += variance(&chains.iter().map(|c| mean(c)).collect::<Vec<_>>());
    }
    if var_plus.is_nan() || var_plus <= 0.0 {
        return f64::NAN;
    }
    let rho = |t: usize| 1.0 - (mean_var - mean_acov(t)) / var_plus;
    let mut rho_hat = vec![0.0; n];
    rho_hat[0] = 1.0;
    let mut even = 1.0;
    let mut odd = rho(1);
    rho_hat[1] = odd;
    let mut t = 1;
    while t + 3 < n && even + odd > 0.0 {
        even = rho(t + 1);
        odd = rho(t + 2);
        if even + odd >= 0.0 {
            rho_hat[t + 1] = even;
            rho_hat[t + 2] = odd;
        }
        t += 2;
    }
    let max_t = t.saturating_sub(2);
    if even > 0.0 && max_t + 1 < n {
        rho_hat[max_t + 1] = even;
    }
    // Geyer's initial monotone sequence.
    let mut t = 1;
    while t + 2 <= max_t {
        if rho_hat[t + 1] + rho_hat[t + 2] > rho_hat[t - 1] + rho_hat[t] {
            rho_hat[t + 1] = (rho_hat[t - 1] + rho_hat[t]) / 2.0;
            rho_hat[t + 2] = rho_hat[t + 1];
        }
        t += 2;
    }
    let total = m * nf;
    let mut tau = -1.0 + 2.0 * rho_hat[..=max_t].iter().sum::<f64>();
    if max_t + 1 < n {
        tau += rho_hat[max_t + 1];
    }
    total / tau.max(1.0 / total.log10())
}

/// The biased autocovariance `(1/n) Σ (xᵢ − x̄)(xᵢ₊ₜ − x̄)` for every lag, by FFT.
pub fn autocovariance(xs: &[f64]) -> Vec<f64> {
    let n = xs.len();
    let m = mean(xs);
    let size = (2 * n).next_power_of_two();
    let mut re: Vec<f64> = xs
        .iter()
        .map(|x| x - m)
        .chain(std::iter::repeat(0.0))
        .take(size)
        .collect();
    let mut im = vec![0.0; size];
    fft(&mut re, &mut im, false);
    for k in 0..size {
        re[k] = re[k] * re[k] + im[k] * im[k];
        im[k] = 0.0;
    }
    fft(&mut re, &mut im, true);
    re.truncate(n);
    re.iter().map(|x| x / (size as f64 * n as f64)).collect()
}

/// In-place iterative radix-2 FFT (unnormalised in both directions).
fn fft(re: &mut [f64], im: &mut [f64], inverse: bool) {
    let n = re.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let angle = 2.0 * std::f64::consts::PI / len as f64 * if inverse { 1.0 } else { -1.0 };
        let (w_re, w_im) = (angle.cos(), angle.sin());
        for start in (0..n).step_by(len) {
            let (mut c_re, mut c_im) = (1.0, 0.0);
            for k in 0..len / 2 {
                let (a, b) = (start + k, start + k + len / 2);
                let (t_re, t_im) = (re[b] * c_re - im[b] * c_im, re[b] * c_im + im[b] * c_re);
                re[b] = re[a] - t_re;
                im[b] = im[a] - t_im;
                re[a] += t_re;
                im[a] += t_im;
                let next = c_re * w_re - c_im * w_im;
                c_im = c_re * w_im + c_im * w_re;
                c_re = next;
            }
        }
        len <<= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;
    use rand_distr::{Distribution, StandardNormal};

    fn ar1(phi: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut x = 0.0;
        (0..n)
            .map(|_| {
                let e: f64 = StandardNormal.sample(&mut rng);
                x = phi * x + e;
                x
            })
            .collect()
    }

    #[test]
    fn autocovariance_by_fft_matches_the_direct_sum() {
        let xs = ar1(0.5, 37, 1);
        let m = mean(&xs);
        let fast = autocovariance(&xs);
        for t in [0, 1, 5, 36] {
            let direct = (0..37 - t)
                .map(|i| (xs[i] - m) * (xs[i + t] - m))
                .sum::<f64>()
                / 37.0;
            assert!((fast[t] - direct).abs() < 1e-12, "lag {t}");
        }
    }

    #[test]
    fn ess_of_an_ar1_chain_matches_theory() {
        // For AR(1) with coefficient φ, ESS/N = (1 − φ)/(1 + φ).
        let chains: Vec<Vec<f64>> = (0..4).map(|c| ar1(0.8, 10_000, c)).collect();
        let ess = ess_bulk(&chains);
        let theory = 40_000.0 * 0.2 / 1.8;
        assert!(
            (ess / theory - 1.0).abs() < 0.15,
            "ess {ess}, theory {theory}"
        );
        let independent: Vec<Vec<f64>> = (0..4).map(|c| ar1(0.0, 5_000, 10 + c)).collect();
        assert!((ess_bulk(&independent) / 20_000.0 - 1.0).abs() < 0.1);
    }

    #[test]
    fn rhat_is_one_for_mixed_chains_and_large_for_stuck_ones() {
        let mixed: Vec<Vec<f64>> = (0..4).map(|c| ar1(0.5, 2_000, c)).collect();
        assert!(rhat(&mixed) < 1.01, "{}", rhat(&mixed));
        let mut stuck = mixed.clone();
        stuck[0].iter_mut().for_each(|x| *x += 3.0);
        assert!(rhat(&stuck) > 1.2, "{}", rhat(&stuck));
        let mut wide = mixed;
        wide[1].iter_mut().for_each(|x| *x *= 4.0);
        assert!(
            rhat(&wide) > 1.05,
            "the folded R-hat sees a chain with another scale: {}",
            rhat(&wide)
        );
    }
}
