//! TEMPORARY brute-force engine with the engine's API (replaced by the real engine at merge).
#![allow(missing_docs, dead_code)]
use rand::{Rng, RngExt};
use smallx_core::{Real, Scalar};

pub type VarId = usize;
pub struct Factor<T> {
    pub scope: Vec<VarId>,
    pub table: Vec<T>,
}
pub struct FactorGraph<T> {
    sizes: Vec<usize>,
    factors: Vec<Factor<T>>,
}
#[derive(Debug, Clone, PartialEq)]
pub enum EngineError {
    BadFactor { detail: String },
    TooLarge { entries: u128, limit: usize, variables: Vec<VarId> },
    ZeroMass,
}
impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
pub const MAX_TABLE_ENTRIES: usize = 1 << 24;
impl<T> Default for FactorGraph<T> {
    fn default() -> Self {
        FactorGraph { sizes: vec![], factors: vec![] }
    }
}
impl<T> FactorGraph<T> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add_variable(&mut self, size: usize) -> VarId {
        self.sizes.push(size);
        self.sizes.len() - 1
    }
    pub fn add_factor(&mut self, scope: Vec<VarId>, table: Vec<T>) -> Result<(), EngineError> {
        self.factors.push(Factor { scope, table });
        Ok(())
    }
    pub fn num_variables(&self) -> usize {
        self.sizes.len()
    }
    pub fn size(&self, v: VarId) -> usize {
        self.sizes[v]
    }
    fn assignments(&self) -> Vec<Vec<usize>> {
        let mut out = vec![vec![]];
        for &s in &self.sizes {
            out = out.into_iter().flat_map(|a| (0..s).map(move |k| { let mut b = a.clone(); b.push(k); b })).collect();
        }
        out
    }
    fn index(f: &Factor<T>, x: &[usize], sizes: &[usize]) -> usize {
        f.scope.iter().fold(0, |i, &v| i * sizes[v] + x[v])
    }
}
fn total<S: Scalar>(g: &FactorGraph<Real<S>>, x: &[usize]) -> Real<S> {
    g.factors.iter().map(|f| f.table[FactorGraph::index(f, x, &g.sizes)]).sum()
}
pub fn log_partition<S: Scalar>(g: &FactorGraph<Real<S>>) -> Result<Real<S>, EngineError> {
    let terms: Vec<Real<S>> = g.assignments().iter().map(|x| total(g, x)).collect();
    Ok(smallx_core::scalar::log_sum_exp(&terms))
}
fn total64(g: &FactorGraph<f64>, x: &[usize]) -> f64 {
    g.factors.iter().map(|f| f.table[FactorGraph::index(f, x, &g.sizes)]).sum()
}
pub fn map_assignment(g: &FactorGraph<f64>) -> Result<(Vec<usize>, f64), EngineError> {
    g.assignments().into_iter().map(|x| { let t = total64(g, &x); (x, t) })
        .max_by(|a, b| a.1.total_cmp(&b.1)).ok_or(EngineError::ZeroMass)
}
pub fn sample_assignment<R: Rng + ?Sized>(g: &FactorGraph<f64>, rng: &mut R) -> Result<Vec<usize>, EngineError> {
    let all = g.assignments();
    let w: Vec<f64> = all.iter().map(|x| total64(g, x)).collect();
    let m = w.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let p: Vec<f64> = w.iter().map(|v| (v - m).exp()).collect();
    let z: f64 = p.iter().sum();
    let mut u = rng.random::<f64>() * z;
    for (x, pi) in all.iter().zip(&p) { u -= pi; if u <= 0.0 { return Ok(x.clone()); } }
    Ok(all.last().unwrap().clone())
}
pub fn marginals(g: &FactorGraph<f64>) -> Result<Vec<Vec<f64>>, EngineError> {
    let all = g.assignments();
    let w: Vec<f64> = all.iter().map(|x| total64(g, x)).collect();
    let m = w.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = w.iter().map(|v| (v - m).exp()).sum();
    let mut out: Vec<Vec<f64>> = g.sizes.iter().map(|&s| vec![0.0; s]).collect();
    for (x, v) in all.iter().zip(&w) { for (i, &k) in x.iter().enumerate() { out[i][k] += (v - m).exp() / z; } }
    Ok(out)
}
