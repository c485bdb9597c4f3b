//! Exact sum-product and max-product over named finite variables: the engine behind
//! enumeration of discrete latents.
//!
//! A [`FactorGraph`] holds variables with finite sizes and factors, each a table of
//! log-values over a few of the variables. The engine eliminates the variables one by one
//! (variable elimination, also called bucket elimination), with one code path for two
//! semirings:
//!
//! * (log-sum-exp, +) gives the log normaliser [`log_partition`] (in any [`Scalar`], so that
//!   gradients flow through every table entry), exact posterior draws
//!   ([`sample_assignment`], [`sample_assignments`]: forward filtering and backward
//!   sampling) and the posterior
//!   marginals ([`marginals`]);
//! * (max, +) gives the most probable assignment ([`map_assignment`], the Viterbi algorithm on
//!   a chain).
//!
//! Elimination keeps, for every variable it eliminates, the table it combined from the factors
//! that touch the variable (over the variable and the neighbours eliminated after it).
//! Walking these tables backwards, from the last eliminated variable to the first, gives the
//! maximising assignment (argmax given the variables already chosen) or a posterior draw
//! (draw in proportion to the exponentiated table given the variables already drawn).
//!
//! # Elimination order
//!
//! The order is greedy: at each step the variable whose elimination builds the smallest new
//! table (the product of the sizes of its current neighbours) goes first, ties going to the
//! most recently created variable. Neighbour sets and costs are updated incrementally with a
//! priority queue, so choosing the order costs `O((V + Σ_f |scope_f|²) log V)` plus the
//! fill-in edges the eliminations create (for a chain of `T` variables, `O(T log T)`, and
//! for a star `O(V log V)`); a chain of `T` variables of size `K` with pairwise factors is
//! then eliminated from one end in `O(T·K²)`. A variable's cost is tracked exactly up to
//! [`MAX_TABLE_ENTRIES`]; beyond it every cost counts as "too large", and choosing such a
//! variable is an [`EngineError::TooLarge`] error naming the variables the table would span,
//! reported before any table is built.
//!
//! A variable in no factor has a uniform table (log-value 0): it adds `ln size` to the log
//! normaliser, is drawn uniformly and is 0 in the most probable assignment.
//!
//! ```
//! use smallx_infer::enumerate::engine::{FactorGraph, log_partition, map_assignment, marginals};
//! use smallx::Real;
//!
//! // Two binary variables: a prior on `a` and a coupling that prefers a == b.
//! let mut g = FactorGraph::new();
//! let a = g.add_variable(2);
//! let b = g.add_variable(2);
//! g.add_factor(vec![a], vec![0.3f64.ln(), 0.7f64.ln()]).unwrap();
//! g.add_factor(vec![a, b], vec![0.9f64.ln(), 0.1f64.ln(), 0.2f64.ln(), 0.8f64.ln()]).unwrap();
//!
//! let (x, value) = map_assignment(&g).unwrap();
//! assert_eq!(x, vec![1, 1]);
//! assert!((value - (0.7f64 * 0.8).ln()).abs() < 1e-12);
//!
//! let p = marginals(&g).unwrap();
//! assert!((p[b][1] - (0.3 * 0.1 + 0.7 * 0.8)).abs() < 1e-12);
//!
//! // The same graph over `Real<f64>` (or a dual number, or `Rev`) gives log Z = ln 1.
//! let mut h = FactorGraph::new();
//! for _ in 0..2 {
//!     h.add_variable(2);
//! }
//! for f in g.factors() {
//!     h.add_factor(f.scope.clone(), f.table.iter().map(|&v| Real(v)).collect()).unwrap();
//! }
//! assert!(log_partition(&h).unwrap().value().abs() < 1e-12);
//! ```

use rand::{Rng, RngExt};
use smallx_core::Real;
use smallx_core::scalar::{Recording, Rev, Scalar};
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::fmt;
use std::marker::PhantomData;

/// Index of a variable in a [`FactorGraph`] (creation order, from 0).
pub type VarId = usize;

/// The largest table (number of entries) the engine builds while eliminating: `2²⁴`.
///
/// A graph whose elimination would need a larger table is a [`EngineError::TooLarge`] error.
pub const MAX_TABLE_ENTRIES: usize = 1 << 24;

/// A table of log-values over `scope`, a list of distinct variables.
///
/// Row-major: the last variable of the scope varies fastest, and `table.len()` is the product
/// of the sizes of the scope's variables. An empty scope is a constant (one entry).
#[derive(Clone, Debug, PartialEq)]
pub struct Factor<T> {
    /// The variables the table depends on.
    pub scope: Vec<VarId>,
    /// The log-values, one per assignment of the scope, row-major.
    pub table: Vec<T>,
}

/// Finite variables and factors over them; the unnormalised log-density of an assignment
/// `x` (one index per variable) is the sum over the factors of their entries at `x`.
///
/// Build it with [`add_variable`](FactorGraph::add_variable) and
/// [`add_factor`](FactorGraph::add_factor); query it with [`log_partition`],
/// [`map_assignment`], [`sample_assignment`] and [`marginals`].
#[derive(Clone, Debug, PartialEq)]
pub struct FactorGraph<T> {
    sizes: Vec<usize>,
    factors: Vec<Factor<T>>,
}

impl<T> Default for FactorGraph<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> FactorGraph<T> {
    /// An empty graph.
    pub fn new() -> Self {
        FactorGraph {
            sizes: Vec::new(),
            factors: Vec::new(),
        }
    }

    /// Add a variable taking the values `0..size` and return its id (ids count up from 0).
    ///
    /// `size` should be at least 1: a variable of size 0 has no value, so every query on the
    /// graph returns [`EngineError::ZeroMass`].
    pub fn add_variable(&mut self, size: usize) -> VarId {
        self.sizes.push(size);
        self.sizes.len() - 1
    }

    /// Add a factor: a table of log-values over `scope`, row-major (the last variable of the
    /// scope varies fastest).
    ///
    /// Errors with [`EngineError::BadFactor`] when a variable of the scope is unknown or
    /// repeated, or when the table's length is not the product of the scope's sizes. The
    /// entries themselves are checked by the queries: each must be finite or −∞ (an
    /// impossible assignment); NaN and +∞ are [`EngineError::BadFactor`] errors there.
    pub fn add_factor(&mut self, scope: Vec<VarId>, table: Vec<T>) -> Result<(), EngineError> {
        let index = self.factors.len();
        let mut expected: usize = 1;
        for (i, &v) in scope.iter().enumerate() {
            let Some(&size) = self.sizes.get(v) else {
                return Err(EngineError::BadFactor {
                    detail: format!(
                        "factor {index}: scope {scope:?} names variable {v}, but the graph \
                         has {} variables",
                        self.sizes.len()
                    ),
                });
            };
            if scope[..i].contains(&v) {
                return Err(EngineError::BadFactor {
                    detail: format!(
                        "factor {index}: scope {scope:?} names variable {v} twice; a scope \
                         lists distinct variables"
                    ),
                });
            }
            expected = expected
                .checked_mul(size)
                .ok_or_else(|| EngineError::BadFactor {
                    detail: format!(
                        "factor {index}: the table over scope {scope:?} would have more entries \
                     than memory can address"
                    ),
                })?;
        }
        if table.len() != expected {
            let sizes: Vec<usize> = scope.iter().map(|&v| self.sizes[v]).collect();
            return Err(EngineError::BadFactor {
                detail: format!(
                    "factor {index}: table has {} entries, expected {expected} (the product \
                     of the sizes {sizes:?} of scope {scope:?})",
                    table.len()
                ),
            });
        }
        self.factors.push(Factor { scope, table });
        Ok(())
    }

    /// The number of variables.
    pub fn num_variables(&self) -> usize {
        self.sizes.len()
    }

    /// The size of variable `v` (the number of values it takes).
    ///
    /// # Panics
    ///
    /// If `v` is not a variable of this graph (`v >= num_variables()`), like indexing a slice.
    pub fn size(&self, v: VarId) -> usize {
        self.sizes[v]
    }

    /// The sizes of all variables, by id.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The factors, in the order they were added.
    pub fn factors(&self) -> &[Factor<T>] {
        &self.factors
    }
}

/// Why the engine could not answer a query.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineError {
    /// A malformed factor: wrong table length, a repeated or unknown variable in its scope,
    /// or an entry that is NaN or +∞.
    BadFactor {
        /// Which factor and what is wrong with it.
        detail: String,
    },
    /// Eliminating the variables would build a table with more than `limit` entries.
    TooLarge {
        /// The number of entries the table would have (saturating at `u128::MAX`).
        entries: u128,
        /// The largest table the engine builds, [`MAX_TABLE_ENTRIES`].
        limit: usize,
        /// The variables the table would span.
        variables: Vec<VarId>,
    },
    /// Every assignment has log-value −∞ (the normaliser is zero), or a variable has size 0.
    ZeroMass,
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::BadFactor { detail } => write!(f, "bad factor: {detail}"),
            EngineError::TooLarge {
                entries,
                limit,
                variables,
            } => write!(
                f,
                "exact elimination would build a table of {entries} entries over variables \
                 {variables:?}, above the limit of {limit}"
            ),
            EngineError::ZeroMass => write!(
                f,
                "every assignment has log-value -inf (the normaliser is zero): there is \
                 nothing to sum, maximise or sample"
            ),
        }
    }
}

impl std::error::Error for EngineError {}

// ---------------------------------------------------------------------------------------------
// Semirings.

/// The two operations elimination needs, over log-values: `times` adds log-values (a product
/// of potentials), `plus` reduces a row (log-sum-exp for sums, max for maximisation).
trait Semiring {
    type E: Clone;
    /// The log-value 0 (a potential of 1): the table of a variable in no factor.
    fn one() -> Self::E;
    /// The sum of a non-empty list of log-values.
    fn times(terms: &[Self::E]) -> Self::E;
    /// The reduction of a non-empty row.
    fn plus(row: &[Self::E]) -> Self::E;
}

/// (log-sum-exp, +) over `Real<S>`.
struct SumProduct<S>(PhantomData<S>);

impl<S: Scalar> Semiring for SumProduct<S> {
    type E = Real<S>;

    fn one() -> Real<S> {
        Real::new(0.0)
    }

    fn times(terms: &[Real<S>]) -> Real<S> {
        match terms {
            [x] => *x,
            // One node in reverse mode, whatever the number of terms.
            _ => Real(S::sum_of(terms.iter().map(|x| x.0))),
        }
    }

    fn plus(row: &[Real<S>]) -> Real<S> {
        log_sum_exp_row(row)
    }
}

/// `ln Σ exp(xᵢ)`, shifted by the maximum, with −∞ entries allowed (an all −∞ row gives −∞).
///
/// Recorded as one fused node whose partials are the softmax weights `exp(xᵢ − result)`, so
/// that reverse mode stores one node with an edge per entry rather than a few nodes per entry.
fn log_sum_exp_row<S: Scalar>(row: &[Real<S>]) -> Real<S> {
    if let [x] = row {
        return *x;
    }
    if row.iter().any(|x| x.is_nan()) {
        return Real::new(f64::NAN);
    }
    let m = row
        .iter()
        .map(|x| x.value())
        .fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return Real::new(f64::NEG_INFINITY);
    }
    if m == f64::INFINITY {
        return Real::new(f64::INFINITY);
    }
    let s: f64 = row.iter().map(|x| (x.value() - m).exp()).sum();
    let value = m + s.ln();
    Real(S::fused_terms(
        value,
        row.iter().map(|x| (x.0, (x.value() - value).exp())),
    ))
}

/// (max, +) over `f64`.
struct MaxProduct;

impl Semiring for MaxProduct {
    type E = f64;

    fn one() -> f64 {
        0.0
    }

    fn times(terms: &[f64]) -> f64 {
        terms.iter().sum()
    }

    fn plus(row: &[f64]) -> f64 {
        row.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }
}

// ---------------------------------------------------------------------------------------------
// Elimination order.

/// The greedy elimination order (see the module documentation), or `TooLarge` when the
/// chosen variable's combined table (over it and its neighbours) exceeds `limit` entries.
fn elimination_order<'a>(
    sizes: &[usize],
    scopes: impl Iterator<Item = &'a [VarId]>,
    limit: usize,
) -> Result<Vec<VarId>, EngineError> {
    let n = sizes.len();
    let mut adj: Vec<BTreeSet<VarId>> = vec![BTreeSet::new(); n];
    for scope in scopes {
        for &a in scope {
            for &b in scope {
                if a != b {
                    adj[a].insert(b);
                }
            }
        }
    }
    // Costs are exact below `cap` and equal to `cap` at or above it. A product of at least
    // `cap_bits` sizes of 2 or more is at least `cap`.
    let cap = limit as u128 + 1;
    let cap_bits = (128 - (cap - 1).leading_zeros()) as usize;
    let big = |s: usize| s >= 2;
    let mut cost = vec![1u128; n];
    let mut nontrivial = vec![0usize; n];
    let exact = |adj: &BTreeSet<VarId>| -> u128 {
        adj.iter()
            .fold(1u128, |p, &u| p.saturating_mul(sizes[u] as u128).min(cap))
    };
    let mut heap = BinaryHeap::with_capacity(2 * n);
    for v in 0..n {
        cost[v] = exact(&adj[v]);
        nontrivial[v] = adj[v].iter().filter(|&&u| big(sizes[u])).count();
        heap.push((Reverse(cost[v]), v));
    }
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while let Some((Reverse(c), v)) = heap.pop() {
        if done[v] || c != cost[v] {
            continue;
        }
        let combined = c.saturating_mul(sizes[v] as u128);
        if combined > limit as u128 {
            let mut variables: Vec<VarId> = adj[v].iter().copied().collect();
            variables.push(v);
            variables.sort_unstable();
            let entries = variables
                .iter()
                .fold(1u128, |p, &u| p.saturating_mul(sizes[u] as u128));
            return Err(EngineError::TooLarge {
                entries,
                limit,
                variables,
            });
        }
        done[v] = true;
        order.push(v);
        let neighbours: Vec<VarId> = std::mem::take(&mut adj[v]).into_iter().collect();
        for &u in &neighbours {
            let before = cost[u];
            // Remove v from u's neighbours.
            adj[u].remove(&v);
            if big(sizes[v]) {
                nontrivial[u] -= 1;
                if cost[u] < cap {
                    cost[u] /= sizes[v] as u128;
                } else if nontrivial[u] < cap_bits {
                    cost[u] = exact(&adj[u]);
                }
            }
            // Connect u to v's other neighbours (fill-in).
            for &w in &neighbours {
                if w != u && adj[u].insert(w) && big(sizes[w]) {
                    nontrivial[u] += 1;
                    cost[u] = cost[u].saturating_mul(sizes[w] as u128).min(cap);
                }
            }
            if cost[u] != before {
                heap.push((Reverse(cost[u]), u));
            }
        }
    }
    Ok(order)
}

// ---------------------------------------------------------------------------------------------
// Elimination.

/// What elimination kept for one variable: the table combined from the factors that touched
/// it, over `scope` (its neighbours then the variable itself, last, so that the variable's
/// values are contiguous).
struct Record<E> {
    scope: Vec<VarId>,
    table: Vec<E>,
}

impl<E> Record<E> {
    /// The record's variable and its row of values given the values `x` already chosen for
    /// the rest of the scope (back-substitution after elimination).
    fn row(&self, sizes: &[usize], x: &[usize]) -> (VarId, &[E]) {
        let (&v, rest) = self
            .scope
            .split_last()
            .expect("a record's scope ends with its variable");
        let k = sizes[v];
        let start = index_of(sizes, rest, x) * k;
        (v, &self.table[start..start + k])
    }
}

/// Row-major strides of a table over `scope`.
fn strides(sizes: &[usize], scope: &[VarId]) -> Vec<usize> {
    let mut s = vec![1; scope.len()];
    for i in (0..scope.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * sizes[scope[i + 1]];
    }
    s
}

/// The row-major index of assignment `x` restricted to `scope`.
fn index_of(sizes: &[usize], scope: &[VarId], x: &[usize]) -> usize {
    scope.iter().fold(0, |i, &v| i * sizes[v] + x[v])
}

/// Eliminate every variable in `order` under semiring `M`: the reduction of the whole graph
/// (log Z, or the maximum log-value), and the record of each eliminated variable when
/// `keep` is set (in elimination order).
fn eliminate<M: Semiring>(
    sizes: &[usize],
    factors: Vec<Cow<'_, Factor<M::E>>>,
    order: &[VarId],
    keep: bool,
) -> (M::E, Vec<Record<M::E>>) {
    let mut scalars: Vec<M::E> = Vec::new();
    let mut live: Vec<Option<Cow<'_, Factor<M::E>>>> =
        Vec::with_capacity(factors.len() + order.len());
    let mut touching: Vec<Vec<usize>> = vec![Vec::new(); sizes.len()];
    for f in factors {
        if f.scope.is_empty() {
            scalars.push(f.table[0].clone());
            continue;
        }
        for &v in &f.scope {
            touching[v].push(live.len());
        }
        live.push(Some(f));
    }
    let mut records = Vec::with_capacity(if keep { order.len() } else { 0 });
    let mut terms: Vec<M::E> = Vec::new();
    for &v in order {
        let parts: Vec<Cow<'_, Factor<M::E>>> = std::mem::take(&mut touching[v])
            .into_iter()
            .filter_map(|i| live[i].take())
            .collect();
        // The combined scope: every other variable of the parts, sorted, then v.
        let mut scope: Vec<VarId> = parts
            .iter()
            .flat_map(|f| f.scope.iter().copied())
            .filter(|&u| u != v)
            .collect();
        scope.sort_unstable();
        scope.dedup();
        scope.push(v);
        let dims: Vec<usize> = scope.iter().map(|&u| sizes[u]).collect();
        let total: usize = dims.iter().product();
        // Each part's stride along each combined dimension (0 where it does not depend on it).
        let part_strides: Vec<Vec<usize>> = parts
            .iter()
            .map(|f| {
                let own = strides(sizes, &f.scope);
                scope
                    .iter()
                    .map(|u| f.scope.iter().position(|w| w == u).map_or(0, |p| own[p]))
                    .collect()
            })
            .collect();
        let mut table: Vec<M::E> = Vec::with_capacity(total);
        if parts.is_empty() {
            table.resize(total, M::one());
        } else {
            let mut idx = vec![0usize; parts.len()];
            let mut digit = vec![0usize; dims.len()];
            for _ in 0..total {
                terms.clear();
                terms.extend(parts.iter().zip(&idx).map(|(f, &i)| f.table[i].clone()));
                table.push(M::times(&terms));
                // Advance the odometer (last dimension fastest).
                for j in (0..dims.len()).rev() {
                    digit[j] += 1;
                    if digit[j] < dims[j] {
                        for (i, s) in idx.iter_mut().zip(&part_strides) {
                            *i += s[j];
                        }
                        break;
                    }
                    digit[j] = 0;
                    for (i, s) in idx.iter_mut().zip(&part_strides) {
                        *i -= (dims[j] - 1) * s[j];
                    }
                }
            }
        }
        let k = sizes[v];
        let reduced: Vec<M::E> = table.chunks(k).map(M::plus).collect();
        let rest = scope[..scope.len() - 1].to_vec();
        if rest.is_empty() {
            scalars.push(reduced[0].clone());
        } else {
            for &u in &rest {
                touching[u].push(live.len());
            }
            live.push(Some(Cow::Owned(Factor {
                scope: rest,
                table: reduced,
            })));
        }
        if keep {
            records.push(Record { scope, table });
        }
    }
    let result = if scalars.is_empty() {
        M::one()
    } else {
        M::times(&scalars)
    };
    (result, records)
}

// ---------------------------------------------------------------------------------------------
// Queries.

/// Check the entries (finite or −∞) and the sizes (at least 1) of a graph.
fn check<T>(g: &FactorGraph<T>, value: impl Fn(&T) -> f64) -> Result<(), EngineError> {
    for (i, f) in g.factors.iter().enumerate() {
        for (j, x) in f.table.iter().enumerate() {
            let x = value(x);
            if x.is_nan() || x == f64::INFINITY {
                return Err(EngineError::BadFactor {
                    detail: format!(
                        "factor {i} (scope {:?}): entry {j} is {x}; entries are log-values, \
                         finite or -inf",
                        f.scope
                    ),
                });
            }
        }
    }
    if g.sizes.contains(&0) {
        return Err(EngineError::ZeroMass);
    }
    Ok(())
}

/// The graph's factors, borrowed for elimination.
fn borrowed<T: Clone>(g: &FactorGraph<T>) -> Vec<Cow<'_, Factor<T>>> {
    g.factors.iter().map(Cow::Borrowed).collect()
}

fn order_of<T>(g: &FactorGraph<T>) -> Result<Vec<VarId>, EngineError> {
    elimination_order(
        &g.sizes,
        g.factors.iter().map(|f| f.scope.as_slice()),
        MAX_TABLE_ENTRIES,
    )
}

/// The log normaliser `ln Σₓ exp(Σ_f f(x))` over all assignments `x`.
///
/// Generic over smallx's scalar: with dual numbers or [`Rev`] the derivative with respect to
/// a table entry is the posterior probability of that entry's assignment of its scope.
/// Variables in no factor contribute `ln size`. Errors: [`EngineError::BadFactor`] for a NaN
/// or +∞ entry, [`EngineError::TooLarge`], and [`EngineError::ZeroMass`] when every
/// assignment has log-value −∞.
pub fn log_partition<S: Scalar>(g: &FactorGraph<Real<S>>) -> Result<Real<S>, EngineError> {
    check(g, |x| x.value())?;
    let order = order_of(g)?;
    let (z, _) = eliminate::<SumProduct<S>>(&g.sizes, borrowed(g), &order, false);
    if z.value() == f64::NEG_INFINITY || z.is_nan() {
        return Err(EngineError::ZeroMass);
    }
    Ok(z)
}

/// The most probable assignment (one index per variable, by id) and its log-value, the sum
/// of the factors' entries at it (the Viterbi path, on a chain).
///
/// Elimination in the (max, +) semiring, then backtracking: each variable, from the last
/// eliminated to the first, takes the value maximising its combined table given the variables
/// chosen already (the first maximiser on ties). Errors as [`log_partition`].
pub fn map_assignment(g: &FactorGraph<f64>) -> Result<(Vec<usize>, f64), EngineError> {
    check(g, |&x| x)?;
    let order = order_of(g)?;
    let (best, records) = eliminate::<MaxProduct>(&g.sizes, borrowed(g), &order, true);
    if best == f64::NEG_INFINITY || best.is_nan() {
        return Err(EngineError::ZeroMass);
    }
    let mut x = vec![0usize; g.sizes.len()];
    for r in records.iter().rev() {
        let (v, row) = r.row(&g.sizes, &x);
        let mut arg = 0;
        for (i, &y) in row.iter().enumerate() {
            if y > row[arg] {
                arg = i;
            }
        }
        x[v] = arg;
    }
    let value = log_value(g, &x);
    if value == f64::NEG_INFINITY || value.is_nan() {
        return Err(EngineError::ZeroMass);
    }
    Ok((x, value))
}

/// `Σ_f f(x)`, summed in the order the factors were added.
fn log_value(g: &FactorGraph<f64>, x: &[usize]) -> f64 {
    g.factors
        .iter()
        .map(|f| f.table[index_of(&g.sizes, &f.scope, x)])
        .sum()
}

/// One exact draw from the posterior `exp(Σ_f f(x)) / Z` (one index per variable, by id).
///
/// Forward filtering, backward sampling: elimination in the (log-sum-exp, +) semiring, then
/// each variable, from the last eliminated to the first, is drawn in proportion to its
/// exponentiated combined table given the variables drawn already. Errors as
/// [`log_partition`].
pub fn sample_assignment<R: Rng + ?Sized>(
    g: &FactorGraph<f64>,
    rng: &mut R,
) -> Result<Vec<usize>, EngineError> {
    let mut draws = sample_assignments(g, 1, rng)?;
    Ok(draws.pop().unwrap_or_default())
}

/// `n` independent exact draws from the posterior, like [`sample_assignment`] but with one
/// elimination for all of them (each further draw costs one backward pass).
pub fn sample_assignments<R: Rng + ?Sized>(
    g: &FactorGraph<f64>,
    n: usize,
    rng: &mut R,
) -> Result<Vec<Vec<usize>>, EngineError> {
    check(g, |&x| x)?;
    let order = order_of(g)?;
    let factors = g
        .factors
        .iter()
        .map(|f| {
            Cow::Owned(Factor {
                scope: f.scope.clone(),
                table: f.table.iter().map(|&v| Real(v)).collect(),
            })
        })
        .collect();
    let (z, records) = eliminate::<SumProduct<f64>>(&g.sizes, factors, &order, true);
    if z.value() == f64::NEG_INFINITY || z.is_nan() {
        return Err(EngineError::ZeroMass);
    }
    let mut weights = Vec::new();
    let mut draws = Vec::with_capacity(n);
    for _ in 0..n {
        let mut x = vec![0usize; g.sizes.len()];
        for r in records.iter().rev() {
            let (v, row) = r.row(&g.sizes, &x);
            let m = row
                .iter()
                .map(|y| y.value())
                .fold(f64::NEG_INFINITY, f64::max);
            if !m.is_finite() {
                // Unreachable for a graph with mass: the variables drawn so far have positive
                // probability, so some value of this one does too.
                return Err(EngineError::ZeroMass);
            }
            weights.clear();
            weights.extend(row.iter().map(|y| (y.value() - m).exp()));
            let total: f64 = weights.iter().sum();
            let mut u = rng.random::<f64>() * total;
            // The last value of positive weight, in case rounding leaves u above every prefix.
            let mut pick = weights.iter().rposition(|&w| w > 0.0).unwrap_or(0);
            for (i, &w) in weights.iter().enumerate() {
                if w > 0.0 && u < w {
                    pick = i;
                    break;
                }
                u -= w;
            }
            x[v] = pick;
        }
        draws.push(x);
    }
    Ok(draws)
}

/// The posterior marginals: `result[v][k]` is the probability that variable `v` takes the
/// value `k`.
///
/// Computed with one elimination and one reverse-mode sweep: a zero "indicator" factor
/// `θ_v` is added on every variable, `ln Z` is computed with [`Rev`], and
/// `∂ ln Z / ∂θ_v(k) = P(x_v = k)`. Errors as [`log_partition`].
pub fn marginals(g: &FactorGraph<f64>) -> Result<Vec<Vec<f64>>, EngineError> {
    check(g, |&x| x)?;
    let recording = Recording::start();
    let mut h: FactorGraph<Real<Rev>> = FactorGraph {
        sizes: g.sizes.clone(),
        factors: Vec::with_capacity(g.factors.len() + g.sizes.len()),
    };
    for f in &g.factors {
        h.factors.push(Factor {
            scope: f.scope.clone(),
            table: f.table.iter().map(|&v| Real::new(v)).collect(),
        });
    }
    let mut offset = 0;
    for (v, &k) in g.sizes.iter().enumerate() {
        h.factors.push(Factor {
            scope: vec![v],
            table: (0..k).map(|i| Real::variable(0.0, offset + i)).collect(),
        });
        offset += k;
    }
    let z = log_partition(&h)?;
    let mut grad = vec![0.0; offset];
    recording.gradient(z.0, &mut grad);
    let mut out = Vec::with_capacity(g.sizes.len());
    let mut rest = grad.as_slice();
    for &k in &g.sizes {
        let (head, tail) = rest.split_at(k);
        out.push(head.to_vec());
        rest = tail;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;
    use smallx_core::scalar::DualSVec64;

    const NEG_INF: f64 = f64::NEG_INFINITY;

    /// A random graph: 3 to 6 variables of sizes 1 to 4, 2 to 6 factors over 0 to 3 distinct
    /// variables, entries uniform in (−2, 2) and −∞ with probability 0.15.
    fn random_graph(rng: &mut SmallRng) -> FactorGraph<f64> {
        let mut g = FactorGraph::new();
        let n = rng.random_range(3..=6);
        for _ in 0..n {
            g.add_variable(rng.random_range(1..=4));
        }
        let m = rng.random_range(2..=6);
        for _ in 0..m {
            let arity = rng.random_range(0..=3usize);
            let mut scope: Vec<VarId> = Vec::new();
            while scope.len() < arity {
                let v = rng.random_range(0..n);
                if !scope.contains(&v) {
                    scope.push(v);
                }
            }
            let len: usize = scope.iter().map(|&v| g.size(v)).product();
            let table = (0..len)
                .map(|_| {
                    if rng.random::<f64>() < 0.15 {
                        NEG_INF
                    } else {
                        rng.random_range(-2.0..2.0)
                    }
                })
                .collect();
            g.add_factor(scope, table).unwrap();
        }
        g
    }

    /// Every assignment (row-major over the variables) with its log-value.
    fn brute_force(g: &FactorGraph<f64>) -> Vec<(Vec<usize>, f64)> {
        let all: Vec<VarId> = (0..g.num_variables()).collect();
        let total: usize = g.sizes().iter().product();
        (0..total)
            .map(|mut i| {
                let mut x = vec![0; all.len()];
                for v in all.iter().rev() {
                    x[*v] = i % g.size(*v);
                    i /= g.size(*v);
                }
                let lp = log_value(g, &x);
                (x, lp)
            })
            .collect()
    }

    fn brute_log_z(joint: &[(Vec<usize>, f64)]) -> f64 {
        let m = joint.iter().map(|j| j.1).fold(NEG_INF, f64::max);
        if m == NEG_INF {
            return NEG_INF;
        }
        m + joint.iter().map(|j| (j.1 - m).exp()).sum::<f64>().ln()
    }

    /// P(scope of factor f takes its `entry`-th assignment), by brute force.
    fn entry_marginal(
        g: &FactorGraph<f64>,
        joint: &[(Vec<usize>, f64)],
        f: usize,
        entry: usize,
    ) -> f64 {
        let lz = brute_log_z(joint);
        let scope = &g.factors()[f].scope;
        joint
            .iter()
            .filter(|(x, _)| index_of(g.sizes(), scope, x) == entry)
            .map(|(_, lp)| (lp - lz).exp())
            .sum()
    }

    fn lift<S: Scalar>(
        g: &FactorGraph<f64>,
        seed: impl Fn(usize, f64) -> Real<S>,
    ) -> FactorGraph<Real<S>> {
        let mut h = FactorGraph::new();
        for &k in g.sizes() {
            h.add_variable(k);
        }
        let mut n = 0;
        for f in g.factors() {
            let table = f
                .table
                .iter()
                .map(|&v| {
                    n += 1;
                    seed(n - 1, v)
                })
                .collect();
            h.add_factor(f.scope.clone(), table).unwrap();
        }
        h
    }

    fn graphs() -> Vec<FactorGraph<f64>> {
        let mut rng = SmallRng::seed_from_u64(11);
        (0..200).map(|_| random_graph(&mut rng)).collect()
    }

    #[test]
    fn log_partition_matches_brute_force() {
        let mut zero = 0;
        for g in graphs() {
            let joint = brute_force(&g);
            let want = brute_log_z(&joint);
            let got = log_partition(&lift(&g, |_, v| Real(v)));
            if want == NEG_INF {
                assert_eq!(got, Err(EngineError::ZeroMass));
                zero += 1;
                continue;
            }
            let got = got.unwrap().value();
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        // The −∞ entries make some graphs massless, most not.
        assert!((1..100).contains(&zero), "{zero} massless graphs");
    }

    #[test]
    fn map_matches_brute_force() {
        for g in graphs() {
            let joint = brute_force(&g);
            let best = joint.iter().map(|j| j.1).fold(NEG_INF, f64::max);
            let got = map_assignment(&g);
            if best == NEG_INF {
                assert_eq!(got, Err(EngineError::ZeroMass));
                continue;
            }
            let (x, value) = got.unwrap();
            let (want, _) = joint.iter().find(|j| j.1 == best).unwrap();
            assert_eq!(&x, want);
            assert!((value - best).abs() < 1e-12);
            assert_eq!(value, log_value(&g, &x));
        }
    }

    #[test]
    fn marginals_match_brute_force() {
        for g in graphs() {
            let joint = brute_force(&g);
            let lz = brute_log_z(&joint);
            let got = marginals(&g);
            if lz == NEG_INF {
                assert_eq!(got, Err(EngineError::ZeroMass));
                continue;
            }
            let got = got.unwrap();
            for (v, row) in got.iter().enumerate() {
                assert_eq!(row.len(), g.size(v));
                for (k, &p) in row.iter().enumerate() {
                    let want: f64 = joint
                        .iter()
                        .filter(|(x, _)| x[v] == k)
                        .map(|(_, lp)| (lp - lz).exp())
                        .sum();
                    assert!((p - want).abs() < 1e-12, "{p} vs {want}");
                }
            }
        }
    }

    /// Frequencies of each assignment over 20,000 draws against the brute-force posterior,
    /// within 5 standard errors of a binomial count (plus one count for discreteness);
    /// impossible assignments are never drawn.
    #[test]
    fn samples_match_brute_force() {
        const N: usize = 20_000;
        let mut rng = SmallRng::seed_from_u64(5);
        let mut tested = 0;
        for (i, g) in graphs().into_iter().take(40).enumerate() {
            let joint = brute_force(&g);
            let lz = brute_log_z(&joint);
            if lz == NEG_INF || joint.len() > 256 {
                continue;
            }
            tested += 1;
            let mut counts = vec![0usize; joint.len()];
            let all: Vec<VarId> = (0..g.num_variables()).collect();
            // One draw per elimination, or all draws from one elimination.
            let draws: Vec<Vec<usize>> = if i % 2 == 0 {
                (0..N)
                    .map(|_| sample_assignment(&g, &mut rng).unwrap())
                    .collect()
            } else {
                sample_assignments(&g, N, &mut rng).unwrap()
            };
            assert_eq!(draws.len(), N);
            for x in &draws {
                counts[index_of(g.sizes(), &all, x)] += 1;
            }
            for ((_, lp), &c) in joint.iter().zip(&counts) {
                let p = (lp - lz).exp();
                let se = (N as f64 * p * (1.0 - p)).sqrt();
                assert!(
                    (c as f64 - N as f64 * p).abs() <= 5.0 * se + 1.0,
                    "count {c} for probability {p}"
                );
                if p == 0.0 {
                    assert_eq!(c, 0);
                }
            }
        }
        assert!(tested >= 10, "{tested}");
    }

    /// ln Z in `Rev` and in `DualSVec64` equals the `f64` value, and its derivative with
    /// respect to each table entry is the posterior probability of that entry's assignment;
    /// central finite differences of the `f64` value agree to 1e-6.
    #[test]
    fn gradients_are_entry_marginals() {
        for g in graphs().into_iter().take(60) {
            let joint = brute_force(&g);
            if brute_log_z(&joint) == NEG_INF {
                continue;
            }
            let plain = log_partition(&lift(&g, |_, v| Real(v))).unwrap().value();
            let entries: Vec<(usize, usize)> = g
                .factors()
                .iter()
                .enumerate()
                .flat_map(|(f, fac)| (0..fac.table.len()).map(move |e| (f, e)))
                .collect();
            let want: Vec<f64> = entries
                .iter()
                .map(|&(f, e)| entry_marginal(&g, &joint, f, e))
                .collect();

            // Reverse mode.
            let rec = Recording::start();
            let h = lift(&g, |i, v| Real(Rev::variable(v, i)));
            let z = log_partition(&h).unwrap();
            assert!((z.value() - plain).abs() < 1e-14);
            let mut grad = vec![0.0; entries.len()];
            rec.gradient(z.0, &mut grad);
            drop(rec);
            for (gr, w) in grad.iter().zip(&want) {
                assert!((gr - w).abs() < 1e-12, "{gr} vs {w}");
            }

            // Forward mode, 4 directions at a time.
            for start in (0..entries.len()).step_by(4) {
                let h = lift(&g, |i, v| {
                    if (start..start + 4).contains(&i) {
                        Real(DualSVec64::<4>::variable(v, i - start))
                    } else {
                        Real::new(v)
                    }
                });
                let z = log_partition(&h).unwrap();
                assert!((z.value() - plain).abs() < 1e-14);
                for (i, w) in want.iter().enumerate().skip(start).take(4) {
                    let d = z.derivative(i - start);
                    assert!((d - w).abs() < 1e-12, "{d} vs {w}");
                }
            }

            // Finite differences on the finite entries.
            let h = 1e-5;
            for (i, &(f, e)) in entries.iter().enumerate() {
                if g.factors()[f].table[e] == NEG_INF {
                    assert_eq!(want[i], 0.0);
                    continue;
                }
                let bumped = |d: f64| {
                    let mut g2 = g.clone();
                    g2.factors[f].table[e] += d;
                    log_partition(&lift(&g2, |_, v| Real(v))).unwrap().value()
                };
                let fd = (bumped(h) - bumped(-h)) / (2.0 * h);
                assert!((fd - want[i]).abs() < 1e-6, "{fd} vs {}", want[i]);
            }
        }
    }

    type Hmm = (FactorGraph<f64>, Vec<f64>, Vec<Vec<f64>>, Vec<Vec<f64>>);

    /// A hidden Markov model as a factor graph (with its initial log-weights, transition
    /// rows and emission log-values): an initial factor, transitions and emissions.
    fn hmm(t_len: usize, k: usize, seed: u64) -> Hmm {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut g = FactorGraph::new();
        let init: Vec<f64> = (0..k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let trans: Vec<f64> = (0..k * k).map(|_| rng.random_range(-2.0..1.0)).collect();
        let emit: Vec<Vec<f64>> = (0..t_len)
            .map(|_| (0..k).map(|_| rng.random_range(-3.0..0.0)).collect())
            .collect();
        let xs: Vec<VarId> = (0..t_len).map(|_| g.add_variable(k)).collect();
        g.add_factor(vec![xs[0]], init.clone()).unwrap();
        for t in 1..t_len {
            g.add_factor(vec![xs[t - 1], xs[t]], trans.clone()).unwrap();
        }
        for t in 0..t_len {
            g.add_factor(vec![xs[t]], emit[t].clone()).unwrap();
        }
        let trans_rows = trans.chunks(k).map(|r| r.to_vec()).collect();
        (g, init, trans_rows, emit)
    }

    /// A hand-written Viterbi: the best path and its log-value.
    fn viterbi(init: &[f64], trans: &[Vec<f64>], emit: &[Vec<f64>]) -> (Vec<usize>, f64) {
        let k = init.len();
        let mut delta: Vec<f64> = (0..k).map(|j| init[j] + emit[0][j]).collect();
        let mut back: Vec<Vec<usize>> = Vec::new();
        for e in &emit[1..] {
            let mut next = vec![0.0; k];
            let mut arg = vec![0; k];
            for j in 0..k {
                let (bi, bv) = (0..k)
                    .map(|i| (i, delta[i] + trans[i][j]))
                    .fold((0, NEG_INF), |a, b| if b.1 > a.1 { b } else { a });
                next[j] = bv + e[j];
                arg[j] = bi;
            }
            delta = next;
            back.push(arg);
        }
        let (mut last, best) = delta
            .iter()
            .copied()
            .enumerate()
            .fold((0, NEG_INF), |a, b| if b.1 > a.1 { b } else { a });
        let mut path = vec![last];
        for arg in back.iter().rev() {
            last = arg[last];
            path.push(last);
        }
        path.reverse();
        (path, best)
    }

    /// A hand-written forward algorithm: the log-likelihood.
    fn forward(init: &[f64], trans: &[Vec<f64>], emit: &[Vec<f64>]) -> f64 {
        let k = init.len();
        let lse = |xs: &[f64]| {
            let m = xs.iter().copied().fold(NEG_INF, f64::max);
            m + xs.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
        };
        let mut alpha: Vec<f64> = (0..k).map(|j| init[j] + emit[0][j]).collect();
        for e in &emit[1..] {
            alpha = (0..k)
                .map(|j| {
                    let terms: Vec<f64> = (0..k).map(|i| alpha[i] + trans[i][j]).collect();
                    lse(&terms) + e[j]
                })
                .collect();
        }
        lse(&alpha)
    }

    /// Posterior marginals of a chain (T = 50, K = 4) against a hand-written
    /// forward-backward pass.
    #[test]
    fn chain_marginals_match_forward_backward() {
        let (g, init, trans, emit) = hmm(50, 4, 8);
        let k = init.len();
        let lse = |xs: &[f64]| {
            let m = xs.iter().copied().fold(NEG_INF, f64::max);
            m + xs.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
        };
        let mut alpha = vec![(0..k).map(|j| init[j] + emit[0][j]).collect::<Vec<f64>>()];
        for e in &emit[1..] {
            let prev = alpha.last().unwrap().clone();
            let next = (0..k)
                .map(|j| lse(&(0..k).map(|i| prev[i] + trans[i][j]).collect::<Vec<_>>()) + e[j])
                .collect();
            alpha.push(next);
        }
        let mut beta = vec![vec![0.0; k]; emit.len()];
        for t in (0..emit.len() - 1).rev() {
            beta[t] = (0..k)
                .map(|i| {
                    let terms: Vec<f64> = (0..k)
                        .map(|j| trans[i][j] + emit[t + 1][j] + beta[t + 1][j])
                        .collect();
                    lse(&terms)
                })
                .collect();
        }
        let lz = lse(alpha.last().unwrap());
        let p = marginals(&g).unwrap();
        for t in 0..emit.len() {
            for j in 0..k {
                let want = (alpha[t][j] + beta[t][j] - lz).exp();
                assert!((p[t][j] - want).abs() < 1e-12, "{} vs {want}", p[t][j]);
            }
        }
    }

    #[test]
    fn viterbi_chain() {
        let (g, init, trans, emit) = hmm(50, 4, 3);
        let (path, best) = viterbi(&init, &trans, &emit);
        let (x, value) = map_assignment(&g).unwrap();
        assert_eq!(x, path);
        assert!((value - best).abs() < 1e-10, "{value} vs {best}");
    }

    /// T = 1000, K = 10: the forward log-likelihood and the Viterbi path of a hand-written
    /// implementation (the greedy order eliminates the chain from one end, O(T·K²)).
    #[test]
    fn long_chain() {
        let (g, init, trans, emit) = hmm(1000, 10, 4);
        let want = forward(&init, &trans, &emit);
        let got = log_partition(&lift(&g, |_, v| Real(v))).unwrap().value();
        assert!((got - want).abs() < 1e-9 * want.abs(), "{got} vs {want}");
        let (path, best) = viterbi(&init, &trans, &emit);
        let (x, value) = map_assignment(&g).unwrap();
        assert_eq!(x, path);
        assert!((value - best).abs() < 1e-9 * best.abs());
        let p = marginals(&g).unwrap();
        for row in &p {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }

    /// The order of a chain goes from the most recent end; a long chain and a wide star are
    /// ordered quickly (the cost updates are incremental).
    #[test]
    fn elimination_order_is_greedy_and_fast() {
        let sizes = vec![3; 5];
        let scopes: Vec<Vec<VarId>> = (1..5).map(|t| vec![t - 1, t]).collect();
        let order = elimination_order(&sizes, scopes.iter().map(|s| s.as_slice()), 1000).unwrap();
        assert_eq!(order, vec![4, 3, 2, 1, 0]);

        let n = 100_000;
        let sizes = vec![10; n];
        let scopes: Vec<Vec<VarId>> = (1..n).map(|t| vec![t - 1, t]).collect();
        let order = elimination_order(
            &sizes,
            scopes.iter().map(|s| s.as_slice()),
            MAX_TABLE_ENTRIES,
        )
        .unwrap();
        assert_eq!(order.len(), n);

        // A star: the centre has 20,000 binary neighbours; the leaves go first.
        let n = 20_001;
        let sizes = vec![2; n];
        let scopes: Vec<Vec<VarId>> = (1..n).map(|t| vec![0, t]).collect();
        let order = elimination_order(
            &sizes,
            scopes.iter().map(|s| s.as_slice()),
            MAX_TABLE_ENTRIES,
        )
        .unwrap();
        assert_eq!(order.len(), n);
        assert_eq!(*order.last().unwrap(), 0);
    }

    #[test]
    fn variables_in_no_factor_are_uniform() {
        let mut g = FactorGraph::new();
        let a = g.add_variable(3);
        let b = g.add_variable(5);
        g.add_factor(vec![a], vec![0.0, 1.0, NEG_INF]).unwrap();
        let z = log_partition(&lift(&g, |_, v| Real(v))).unwrap().value();
        assert!((z - ((1.0 + 1f64.exp()).ln() + 5f64.ln())).abs() < 1e-12);
        let p = marginals(&g).unwrap();
        assert!(p[b].iter().all(|&q| (q - 0.2).abs() < 1e-12));
        assert_eq!(p[a][2], 0.0);
        assert_eq!(map_assignment(&g).unwrap().0, vec![1, 0]);
        // No variables at all: the constant factors.
        let mut c = FactorGraph::new();
        c.add_factor(vec![], vec![-1.5]).unwrap();
        assert_eq!(map_assignment(&c).unwrap(), (vec![], -1.5));
        assert_eq!(marginals(&c).unwrap(), Vec::<Vec<f64>>::new());
        let empty = FactorGraph::<Real<f64>>::new();
        assert_eq!(log_partition(&empty).unwrap().value(), 0.0);
    }

    #[test]
    fn bad_factors() {
        let mut g = FactorGraph::<f64>::new();
        let a = g.add_variable(2);
        let b = g.add_variable(3);
        let bad = |e: Result<(), EngineError>, needle: &str| match e {
            Err(EngineError::BadFactor { detail }) => {
                assert!(detail.contains(needle), "{detail}")
            }
            other => panic!("{other:?}"),
        };
        bad(g.add_factor(vec![a, b], vec![0.0; 5]), "expected 6");
        bad(g.add_factor(vec![a, a], vec![0.0; 4]), "twice");
        bad(g.add_factor(vec![a, 7], vec![0.0; 2]), "variable 7");
        bad(g.add_factor(vec![], vec![]), "expected 1");
        assert!(g.factors().is_empty());
        g.add_factor(vec![b], vec![0.0, f64::NAN, 1.0]).unwrap();
        let e = map_assignment(&g).unwrap_err();
        assert!(e.to_string().contains("entry 1 is NaN"), "{e}");
        let mut g = FactorGraph::<f64>::new();
        let a = g.add_variable(2);
        g.add_factor(vec![a], vec![0.0, f64::INFINITY]).unwrap();
        assert!(matches!(marginals(&g), Err(EngineError::BadFactor { .. })));
        assert!(matches!(
            sample_assignment(&g, &mut SmallRng::seed_from_u64(0)),
            Err(EngineError::BadFactor { .. })
        ));
    }

    #[test]
    fn too_large() {
        // A triangle of three variables of size 300: any elimination builds 300³ entries.
        let mut g = FactorGraph::<f64>::new();
        let v: Vec<VarId> = (0..3).map(|_| g.add_variable(300)).collect();
        for (a, b) in [(0, 1), (1, 2), (0, 2)] {
            g.add_factor(vec![v[a], v[b]], vec![0.0; 90_000]).unwrap();
        }
        let e = map_assignment(&g).unwrap_err();
        assert_eq!(
            e,
            EngineError::TooLarge {
                entries: 27_000_000,
                limit: MAX_TABLE_ENTRIES,
                variables: vec![0, 1, 2]
            }
        );
        assert!(e.to_string().contains("27000000"), "{e}");
        assert!(matches!(marginals(&g), Err(EngineError::TooLarge { .. })));
        // Costs saturate at the limit and stay comparable: 30 binary variables all coupled.
        let sizes = vec![2; 30];
        let scopes: Vec<Vec<VarId>> = (0..30)
            .flat_map(|a| (a + 1..30).map(move |b| vec![a, b]))
            .collect();
        let e = elimination_order(&sizes, scopes.iter().map(|s| s.as_slice()), 1 << 20);
        match e {
            Err(EngineError::TooLarge {
                entries, variables, ..
            }) => {
                assert_eq!(entries, 1 << 30);
                assert_eq!(variables.len(), 30);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zero_mass() {
        let mut g = FactorGraph::<f64>::new();
        let a = g.add_variable(2);
        let b = g.add_variable(2);
        g.add_factor(vec![a], vec![NEG_INF, 0.0]).unwrap();
        g.add_factor(vec![a, b], vec![0.0, 0.0, NEG_INF, NEG_INF])
            .unwrap();
        assert_eq!(map_assignment(&g), Err(EngineError::ZeroMass));
        assert_eq!(marginals(&g), Err(EngineError::ZeroMass));
        assert_eq!(
            sample_assignment(&g, &mut SmallRng::seed_from_u64(0)),
            Err(EngineError::ZeroMass)
        );
        let h = lift(&g, |_, v| Real(v));
        assert_eq!(log_partition(&h), Err(EngineError::ZeroMass));
        // A variable of size 0 has no value.
        let mut g = FactorGraph::<f64>::new();
        g.add_variable(0);
        assert_eq!(marginals(&g), Err(EngineError::ZeroMass));
    }
}
