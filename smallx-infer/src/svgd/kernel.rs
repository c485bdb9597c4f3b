//! Kernels for SVGD: Pyro's `RBFSteinKernel` and `IMQSteinKernel`, with the median heuristic
//! for the bandwidth.

use smallx_core::{Error, Result};

/// A kernel for [`Svgd`](crate::Svgd) (Pyro's `SteinKernel`), named so as not to clash with the
/// MCMC [`Kernel`](crate::Kernel).
///
/// Like Pyro's kernels, it factorises over the unconstrained coordinates:
/// `k(x, y) = Π_d k_d(x_d − y_d)`, each factor with its own bandwidth `h_d`. SVGD's
/// "univariate" mode uses the factors one coordinate at a time, its "multivariate" mode their
/// product (see [`SteinMode`](crate::SteinMode)).
pub trait SteinKernel: Sync {
    /// The kernel's name, for messages.
    fn name(&self) -> &'static str;

    /// Check the kernel's options (called before every SVGD step).
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// The bandwidth of each of the `d` coordinates for `n` particles (`particles` holds them
    /// row after row, `n × d`).
    fn bandwidths(&self, particles: &[f64], n: usize, d: usize) -> Vec<f64>;

    /// One coordinate's factor: `(log k_d, ∂ log k_d / ∂x_d)` at the difference
    /// `delta = x_d − y_d` with bandwidth `h`.
    fn log_kernel_and_grad(&self, delta: f64, h: f64) -> (f64, f64);

    /// The kernel `k(x, y) = Π_d k_d(x_d − y_d)` with bandwidths `h`.
    fn value(&self, x: &[f64], y: &[f64], h: &[f64]) -> f64 {
        x.iter()
            .zip(y)
            .zip(h)
            .map(|((a, b), &h)| self.log_kernel_and_grad(a - b, h).0)
            .sum::<f64>()
            .exp()
    }

    /// The gradient `∇ₓ k(x, y)` with bandwidths `h`.
    fn gradient(&self, x: &[f64], y: &[f64], h: &[f64]) -> Vec<f64> {
        let k = self.value(x, y, h);
        x.iter()
            .zip(y)
            .zip(h)
            .map(|((a, b), &h)| k * self.log_kernel_and_grad(a - b, h).1)
            .collect()
    }
}

/// The median heuristic of Pyro's Stein kernels, coordinate by coordinate:
/// `h_d = factor · median_{i<j} (x_{i,d} − x_{j,d})² / ln(n + 1)`, the median over the
/// `n(n − 1)/2` pairs of distinct particles (the lower of the two middle values for an even
/// count, as `torch.median` takes it). A coordinate where that is not positive (at least half
/// of the pairs coincide) gets bandwidth 1.
pub fn median_bandwidths(particles: &[f64], n: usize, d: usize, factor: f64) -> Vec<f64> {
    let log_n = ((n + 1) as f64).ln();
    let mut sq = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    (0..d)
        .map(|k| {
            sq.clear();
            for i in 0..n {
                for j in i + 1..n {
                    let delta = particles[i * d + k] - particles[j * d + k];
                    sq.push(delta * delta);
                }
            }
            if sq.is_empty() {
                return 1.0;
            }
            let mid = (sq.len() - 1) / 2;
            let (_, median, _) = sq.select_nth_unstable_by(mid, f64::total_cmp);
            let h = factor * *median / log_n;
            if h.is_finite() && h > 0.0 { h } else { 1.0 }
        })
        .collect()
}

fn check_factor(kernel: &'static str, factor: f64) -> Result<()> {
    if factor.is_finite() && factor > 0.0 {
        Ok(())
    } else {
        Err(Error::Config {
            algorithm: "SVGD",
            detail: format!(
                "{kernel}: the bandwidth factor must be positive and finite, got {factor}"
            ),
        })
    }
}

/// The RBF (squared exponential) kernel `k(x, y) = exp(−Σ_d (x_d − y_d)² / h_d)` with the
/// median heuristic for `h` (Pyro's `RBFSteinKernel`; Liu and Wang 2016).
///
/// ```
/// use smallx::infer::{RbfKernel, SteinKernel};
///
/// let kernel = RbfKernel::new();
/// let k = kernel.value(&[1.0, 0.0], &[0.0, 0.0], &[2.0, 1.0]);
/// assert!((k - (-0.5f64).exp()).abs() < 1e-15);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RbfKernel {
    bandwidth_factor: f64,
}

impl Default for RbfKernel {
    fn default() -> Self {
        RbfKernel::new()
    }
}

impl RbfKernel {
    /// The kernel with bandwidth factor 1.
    pub fn new() -> Self {
        RbfKernel {
            bandwidth_factor: 1.0,
        }
    }
    /// Scale the median-heuristic bandwidth by `factor` (positive; Pyro's `bandwidth_factor`).
    pub fn bandwidth_factor(mut self, factor: f64) -> Self {
        self.bandwidth_factor = factor;
        self
    }
    /// Change the bandwidth factor between steps (Pyro's test anneals it).
    pub fn set_bandwidth_factor(&mut self, factor: f64) {
        self.bandwidth_factor = factor;
    }
}

impl SteinKernel for RbfKernel {
    fn name(&self) -> &'static str {
        "RbfKernel"
    }
    fn validate(&self) -> Result<()> {
        check_factor(self.name(), self.bandwidth_factor)
    }
    fn bandwidths(&self, particles: &[f64], n: usize, d: usize) -> Vec<f64> {
        median_bandwidths(particles, n, d, self.bandwidth_factor)
    }
    fn log_kernel_and_grad(&self, delta: f64, h: f64) -> (f64, f64) {
        (-delta * delta / h, -2.0 * delta / h)
    }
}

/// The inverse multiquadric kernel `k(x, y) = Π_d (α + (x_d − y_d)² / h_d)^β` with the median
/// heuristic for `h` (Pyro's `IMQSteinKernel`, defaults `α = 0.5`, `β = −0.5`; Chen et al.
/// 2018, "Stein Points"). Its heavier tails keep far particles interacting.
///
/// ```
/// use smallx::infer::{ImqKernel, SteinKernel};
///
/// let kernel = ImqKernel::new();
/// let k = kernel.value(&[1.0], &[0.0], &[2.0]);
/// assert!((k - 1.0).abs() < 1e-15); // (0.5 + 1/2)^(−1/2)
/// assert!(ImqKernel::with(0.5, 0.5).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ImqKernel {
    alpha: f64,
    beta: f64,
    bandwidth_factor: f64,
}

impl Default for ImqKernel {
    fn default() -> Self {
        ImqKernel::new()
    }
}

impl ImqKernel {
    /// `α = 0.5`, `β = −0.5`, bandwidth factor 1 (Pyro's defaults).
    pub fn new() -> Self {
        ImqKernel {
            alpha: 0.5,
            beta: -0.5,
            bandwidth_factor: 1.0,
        }
    }
    /// Given `α > 0` and `β < 0`; an error otherwise.
    pub fn with(alpha: f64, beta: f64) -> Result<Self> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(Error::Config {
                algorithm: "SVGD",
                detail: format!("ImqKernel: alpha must be positive and finite, got {alpha}"),
            });
        }
        if !(beta.is_finite() && beta < 0.0) {
            return Err(Error::Config {
                algorithm: "SVGD",
                detail: format!("ImqKernel: beta must be negative and finite, got {beta}"),
            });
        }
        Ok(ImqKernel {
            alpha,
            beta,
            bandwidth_factor: 1.0,
        })
    }
    /// Scale the median-heuristic bandwidth by `factor` (positive; Pyro's `bandwidth_factor`).
    pub fn bandwidth_factor(mut self, factor: f64) -> Self {
        self.bandwidth_factor = factor;
        self
    }
    /// Change the bandwidth factor between steps.
    pub fn set_bandwidth_factor(&mut self, factor: f64) {
        self.bandwidth_factor = factor;
    }
}

impl SteinKernel for ImqKernel {
    fn name(&self) -> &'static str {
        "ImqKernel"
    }
    fn validate(&self) -> Result<()> {
        check_factor(self.name(), self.bandwidth_factor)
    }
    fn bandwidths(&self, particles: &[f64], n: usize, d: usize) -> Vec<f64> {
        median_bandwidths(particles, n, d, self.bandwidth_factor)
    }
    fn log_kernel_and_grad(&self, delta: f64, h: f64) -> (f64, f64) {
        let base = self.alpha + delta * delta / h;
        (self.beta * base.ln(), 2.0 * self.beta * delta / (h * base))
    }
}
