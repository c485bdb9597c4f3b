//! Optimisers over a flat vector of unconstrained parameters. They minimise.
//!
//! Options are checked when a run starts ([`Optimizer::check`]): a learning rate that is not
//! positive and finite, a clipping norm that is not positive, betas or a momentum outside
//! `[0, 1)`, a decay factor outside `(0, 1]` are errors naming the option and its value.
//!
//! ```
//! use smallx::infer::{Adam, Optimizer};
//! let err = Adam::new(0.01).clip_norm(-1.0).check().unwrap_err().to_string();
//! assert_eq!(err, "Adam: option `clip_norm` must be positive (NaN is not), got -1");
//! ```

use smallx_core::{Error, Result};

/// One update rule.
pub trait Optimizer {
    /// Move `params` against `grad` (the gradient of the loss).
    fn step(&mut self, params: &mut [f64], grad: &[f64]);
    /// Check the options; the algorithms using the optimiser call it before their first step.
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

/// `Err` naming `option` of `algorithm` unless `ok`.
fn require(
    ok: bool,
    algorithm: &'static str,
    option: &'static str,
    value: f64,
    expected: &'static str,
) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidOption {
            algorithm,
            option,
            value: value.to_string(),
            expected,
        })
    }
}

/// A learning rate: positive and finite.
fn check_lr(algorithm: &'static str, lr: f64) -> Result<()> {
    require(
        lr.is_finite() && lr > 0.0,
        algorithm,
        "lr",
        lr,
        "positive and finite",
    )
}

/// A decay rate of a running average: in `[0, 1)`.
fn check_unit(algorithm: &'static str, option: &'static str, x: f64) -> Result<()> {
    require((0.0..1.0).contains(&x), algorithm, option, x, "in [0, 1)")
}

/// Stochastic gradient descent with optional momentum.
#[derive(Clone, Debug)]
pub struct Sgd {
    lr: f64,
    momentum: f64,
    velocity: Vec<f64>,
}

impl Sgd {
    /// Plain SGD with learning rate `lr` (positive and finite; checked when the run starts).
    pub fn new(lr: f64) -> Self {
        Sgd {
            lr,
            momentum: 0.0,
            velocity: Vec::new(),
        }
    }
    /// With momentum `beta` in `[0, 1)` (heavy ball: `v ← βv + g`, `θ ← θ − lr·v`).
    pub fn with_momentum(mut self, beta: f64) -> Self {
        self.momentum = beta;
        self
    }
}

impl Optimizer for Sgd {
    fn check(&self) -> Result<()> {
        check_lr("Sgd", self.lr)?;
        check_unit("Sgd", "momentum", self.momentum)
    }
    fn step(&mut self, params: &mut [f64], grad: &[f64]) {
        self.velocity.resize(params.len(), 0.0);
        for ((p, &g), v) in params.iter_mut().zip(grad).zip(&mut self.velocity) {
            *v = self.momentum * *v + g;
            *p -= self.lr * *v;
        }
    }
}

/// Adam (Kingma and Ba), with optional clipping of the gradient's L2 norm and a learning
/// rate that decays by a constant factor per step (Pyro's `ClippedAdam`, clipping the norm
/// rather than each element).
#[derive(Clone, Debug)]
pub struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    clip_norm: Option<f64>,
    lr_decay: f64,
    t: i32,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Adam {
    /// Adam with learning rate `lr` (positive and finite; checked when the run starts) and the usual `β = (0.9, 0.999)`, `ε = 1e-8`.
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            clip_norm: None,
            lr_decay: 1.0,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }
    /// Set `β₁` and `β₂`, each in `[0, 1)`.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
    /// Rescale any gradient whose L2 norm exceeds `max_norm` (positive; infinity clips
    /// nothing) down to that norm.
    pub fn clip_norm(mut self, max_norm: f64) -> Self {
        self.clip_norm = Some(max_norm);
        self
    }
    /// Multiply the learning rate by `factor`, in `(0, 1]`, after every step.
    pub fn lr_decay(mut self, factor: f64) -> Self {
        self.lr_decay = factor;
        self
    }
    /// The current learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }
}

impl Optimizer for Adam {
    fn check(&self) -> Result<()> {
        check_lr("Adam", self.lr)?;
        check_unit("Adam", "beta1", self.beta1)?;
        check_unit("Adam", "beta2", self.beta2)?;
        if let Some(max) = self.clip_norm {
            // An infinite norm clips nothing; a negative one would turn descent into ascent.
            require(max > 0.0, "Adam", "clip_norm", max, "positive (NaN is not)")?;
        }
        require(
            self.lr_decay > 0.0 && self.lr_decay <= 1.0,
            "Adam",
            "lr_decay",
            self.lr_decay,
            "in (0, 1]",
        )
    }
    fn step(&mut self, params: &mut [f64], grad: &[f64]) {
        self.m.resize(params.len(), 0.0);
        self.v.resize(params.len(), 0.0);
        self.t += 1;
        let clip = match self.clip_norm {
            Some(max) => {
                let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
                if norm > max { max / norm } else { 1.0 }
            }
            None => 1.0,
        };
        let c1 = 1.0 - self.beta1.powi(self.t);
        let c2 = 1.0 - self.beta2.powi(self.t);
        for i in 0..params.len() {
            let g = grad[i] * clip;
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * g;
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * g * g;
            params[i] -= self.lr * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + self.eps);
        }
        self.lr *= self.lr_decay;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimise(opt: &mut impl Optimizer, steps: usize) -> Vec<f64> {
        // f(x, y) = (x − 3)² + 10 (y + 1)²
        let mut p = vec![0.0, 0.0];
        for _ in 0..steps {
            let g = [2.0 * (p[0] - 3.0), 20.0 * (p[1] + 1.0)];
            opt.step(&mut p, &g);
        }
        p
    }

    #[test]
    fn each_optimiser_finds_the_minimum_of_a_quadratic() {
        for p in [
            minimise(&mut Sgd::new(0.04), 500),
            minimise(&mut Sgd::new(0.01).with_momentum(0.9), 500),
            minimise(&mut Adam::new(0.1), 2000),
            minimise(&mut Adam::new(0.1).clip_norm(1.0).lr_decay(0.999), 3000),
        ] {
            assert!(
                (p[0] - 3.0).abs() < 1e-3 && (p[1] + 1.0).abs() < 1e-3,
                "{p:?}"
            );
        }
    }

    #[test]
    fn clipping_rescales_large_gradients_to_the_clip_norm() {
        // A gradient of norm 50 under clip_norm(1) moves the parameters exactly as the same
        // gradient divided by 50 does without clipping; one already below the norm is untouched.
        let (mut clipped, mut plain) = (Adam::new(0.1).clip_norm(1.0), Adam::new(0.1));
        let (mut p, mut q) = (vec![0.0, 0.0], vec![0.0, 0.0]);
        for k in 1..=5 {
            let g = [30.0 * k as f64, -40.0 * k as f64];
            let norm = 50.0 * k as f64;
            clipped.step(&mut p, &g);
            plain.step(&mut q, &[g[0] / norm, g[1] / norm]);
        }
        assert!(
            p.iter().zip(&q).all(|(a, b)| (a - b).abs() < 1e-15),
            "{p:?} vs {q:?}"
        );
        let (mut small, mut reference) = (vec![1.0], vec![1.0]);
        Adam::new(0.1).clip_norm(1.0).step(&mut small, &[0.5]);
        Adam::new(0.1).step(&mut reference, &[0.5]);
        assert_eq!(small, reference);
    }
}
