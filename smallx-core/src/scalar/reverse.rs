//! Reverse-mode differentiation: [`Rev`], a number that records how it was computed on a tape
//! owned by the thread, and [`Recording`], the guard that owns one recording and reads the
//! gradient back.
//!
//! A `Rev` is a value and the index of its node on the tape (or no node: a constant). Each
//! operation whose operands include a recorded number appends one node: the indices of its
//! parents and the local partial derivatives `∂node/∂parent`, evaluated when the node is made.
//! The gradient is one backward sweep over the nodes in reverse order, accumulating adjoints.
//! The cost of a gradient is therefore a small constant times the cost of the function,
//! whatever the number of inputs.
//!
//! A node may have any number of parents ([`Scalar::fused`](super::Scalar::fused)): a
//! distribution's log-density over many observations records one node with its partials with
//! respect to its parameters, computed in `f64`, instead of one node per arithmetic operation.
//!
//! Outside a [`Recording`] nothing is recorded and a `Rev` behaves like an `f64`; a panic or an
//! error inside a recording leaves nothing behind, because the guard truncates the tape when
//! it is dropped. The storage is kept per thread and reused, so a steady-state gradient does
//! not allocate.
//!
//! ```
//! use smallx_core::scalar::{Recording, Rev};
//! use smallx_core::Real;
//!
//! let rec = Recording::start();
//! let x = Real(Rev::variable(2.0, 0));
//! let y = Real(Rev::variable(3.0, 1));
//! let f = x * y + x.ln();
//! let mut grad = [0.0; 2];
//! rec.gradient(f.0, &mut grad);
//! assert_eq!(grad, [3.0 + 0.5, 2.0]);
//! ```

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

/// No node: the number is a constant. As a parent: no parent.
const NONE: u32 = u32::MAX;
/// A node whose parents are listed in the tape's edge list.
const FUSED: u32 = u32::MAX - 1;

/// A real number that records its computation for reverse-mode differentiation.
///
/// `Copy`: a value and the index of its node on the thread's tape. Create variables with
/// [`Rev::variable`] inside a [`Recording`]; read the gradient with [`Recording::gradient`].
#[derive(Clone, Copy)]
pub struct Rev {
    value: f64,
    node: u32,
}

impl Default for Rev {
    /// The constant 0 (a derived default would point at node 0, a variable).
    fn default() -> Self {
        Rev::constant(0.0)
    }
}

/// One operation: up to two parents with their partials inline (a variable has none, a unary
/// operation one, the other `NONE`); a fused node has `a == FUSED` and its edges in
/// `Tape::edges`, at the span numbered `b`. (Repeating a unary node's parent with partial 0
/// instead of `NONE`, to save the sweep a branch, was measured no faster.)
#[derive(Clone, Copy)]
struct Node {
    a: u32,
    b: u32,
    da: f64,
    db: f64,
}

/// The nodes recorded on one thread, in creation order (every parent before its children).
struct Tape {
    nodes: Vec<Node>,
    /// The edges of fused nodes: (parent, `∂node/∂parent`).
    edges: Vec<(u32, f64)>,
    /// Each fused node's edges: `edges[start..end]`.
    spans: Vec<(u32, u32)>,
    /// The variables: (direction, node).
    leaves: Vec<(usize, u32)>,
    /// Adjoints during a backward sweep.
    adjoints: Vec<f64>,
    /// Edges of fused nodes under construction, a stack: a fused node whose terms make
    /// fused nodes of their own pushes above them and takes its edges back when it closes.
    scratch: Vec<(u32, f64)>,
    /// How many recordings are open on this thread (they nest).
    open: u32,
}

impl Tape {
    const fn new() -> Self {
        Tape {
            nodes: Vec::new(),
            edges: Vec::new(),
            spans: Vec::new(),
            leaves: Vec::new(),
            adjoints: Vec::new(),
            scratch: Vec::new(),
            open: 0,
        }
    }

    #[inline(always)]
    fn push(&mut self, node: Node) -> u32 {
        let index = self.nodes.len();
        if index >= FUSED as usize {
            tape_full();
        }
        self.nodes.push(node);
        index as u32
    }

    fn truncate(&mut self, mark: Mark) {
        self.nodes.truncate(mark.nodes);
        self.edges.truncate(mark.edges);
        self.spans.truncate(mark.spans);
        self.leaves.truncate(mark.leaves);
        self.scratch.truncate(mark.scratch);
    }
}

thread_local! {
    /// This thread's tape, allocated on first use. A raw pointer in a `Cell` needs no
    /// destructor, so reaching it is a plain thread-local load (a `thread_local!` with a
    /// destructor checks its registration state on every access, which was measured at a
    /// fifth of a W7 step).
    static TAPE: Cell<*mut Tape> = const { Cell::new(std::ptr::null_mut()) };
    /// Frees the tape when the thread exits; touched only when the tape is allocated.
    static OWNER: TapeOwner = const { TapeOwner };
}

struct TapeOwner;

impl Drop for TapeOwner {
    fn drop(&mut self) {
        let tape = TAPE.with(|t| t.replace(std::ptr::null_mut()));
        if !tape.is_null() {
            // SAFETY: allocated by `allocate_tape` with `Box::into_raw`, freed once (the
            // pointer was swapped out above).
            drop(unsafe { Box::from_raw(tape) });
        }
    }
}

#[cold]
fn allocate_tape() -> *mut Tape {
    let tape = Box::into_raw(Box::new(Tape::new()));
    TAPE.with(|t| t.set(tape));
    // Register the owner so that the tape is freed at thread exit.
    OWNER.with(|_| {});
    tape
}

/// Run `f` on this thread's tape.
///
/// Safety of the mutable reference: every caller is a function of this module that does not
/// call back into user code or into another `with_tape` while it holds the reference, so it
/// is never aliased; the tape lives until the thread exits.
#[inline(always)]
fn with_tape<R>(f: impl FnOnce(&mut Tape) -> R) -> R {
    let mut tape = TAPE.with(Cell::get);
    if tape.is_null() {
        tape = allocate_tape();
    }
    f(unsafe { &mut *tape })
}

/// More nodes than a `u32` index can name (about 100 GB of tape): stop rather than compute a
/// wrong gradient.
#[cold]
#[inline(never)]
fn tape_full() -> ! {
    panic!(
        "smallx reverse mode: more than {} tape nodes in one gradient; use GradMode::Forward or split the model",
        FUSED
    )
}

#[derive(Clone, Copy, Debug)]
struct Mark {
    nodes: usize,
    edges: usize,
    spans: usize,
    leaves: usize,
    scratch: usize,
}

impl Rev {
    /// A constant: nothing is recorded for it.
    #[inline]
    pub fn constant(value: f64) -> Self {
        Rev { value, node: NONE }
    }

    /// An independent variable for gradient component `direction`. Inside a [`Recording`]
    /// it is recorded; outside one it is a constant.
    pub fn variable(value: f64, direction: usize) -> Self {
        with_tape(|t| {
            if t.open == 0 {
                return Rev::constant(value);
            }
            let node = t.push(Node {
                a: NONE,
                b: NONE,
                da: 0.0,
                db: 0.0,
            });
            t.leaves.push((direction, node));
            Rev { value, node }
        })
    }

    /// The value.
    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// True when the number depends on no variable.
    #[inline]
    pub fn is_constant(&self) -> bool {
        self.node == NONE
    }

    /// True when both numbers are the same recorded node, or both constants.
    #[inline]
    pub fn same_node(&self, other: &Rev) -> bool {
        self.node == other.node
    }

    /// A node with value `value` and one parent.
    #[inline(always)]
    pub(crate) fn unary(self, value: f64, partial: f64) -> Self {
        if self.node == NONE {
            return Rev::constant(value);
        }
        let node = with_tape(|t| {
            // A number kept from a recording that has ended records nothing.
            if t.open == 0 {
                return NONE;
            }
            t.push(Node {
                a: self.node,
                b: NONE,
                da: partial,
                db: 0.0,
            })
        });
        Rev { value, node }
    }

    /// A node with value `value` and two parents.
    #[inline(always)]
    pub(crate) fn binary(self, other: Rev, value: f64, da: f64, db: f64) -> Self {
        match (self.node == NONE, other.node == NONE) {
            (true, true) => Rev::constant(value),
            (false, true) => self.unary(value, da),
            (true, false) => other.unary(value, db),
            (false, false) => {
                let node = with_tape(|t| {
                    if t.open == 0 {
                        return NONE;
                    }
                    t.push(Node {
                        a: self.node,
                        b: other.node,
                        da,
                        db,
                    })
                });
                Rev { value, node }
            }
        }
    }

    /// A node with value `value` and a parent per recorded input, with the partials given.
    pub(crate) fn fused(value: f64, inputs: &[Rev], partials: &[f64]) -> Self {
        match inputs.iter().filter(|x| x.node != NONE).count() {
            0 => return Rev::constant(value),
            1 | 2 => {
                // Small enough for an inline node.
                let mut recorded = inputs.iter().zip(partials).filter(|(x, _)| x.node != NONE);
                let (x, &dx) = recorded.next().unwrap_or((&inputs[0], &0.0));
                return match recorded.next() {
                    Some((y, &dy)) => x.binary(*y, value, dx, dy),
                    None => x.unary(value, dx),
                };
            }
            _ => {}
        }
        Rev::fused_terms(value, inputs.iter().copied().zip(partials.iter().copied()))
    }

    /// A node with value `value` and a parent per recorded term, the terms given by an
    /// iterator that may itself compute with `Rev`. The iterator runs outside any borrow of
    /// the tape; its terms are gathered in a local chunk and moved to the scratch stack a
    /// chunk at a time, above any fused node the iterator made and closed meanwhile, so the
    /// node's edges stay contiguous.
    pub(crate) fn fused_terms(value: f64, terms: impl IntoIterator<Item = (Rev, f64)>) -> Self {
        let mark = with_tape(|t| t.scratch.len());
        let mut chunk = Chunk::new();
        for (x, p) in terms {
            if x.node != NONE && chunk.push(x.node, p) {
                with_tape(|t| chunk.flush(t, mark));
            }
        }
        with_tape(|t| {
            chunk.flush(t, mark);
            close_scratch(t, mark, value)
        })
    }

    /// `Σ terms` as one node with an edge (partial 1) per recorded term.
    pub(crate) fn sum_of(terms: impl IntoIterator<Item = Rev>) -> Self {
        let mark = with_tape(|t| t.scratch.len());
        let mut chunk = Chunk::new();
        let mut value = 0.0;
        for x in terms {
            value += x.value;
            if x.node != NONE && chunk.push(x.node, 1.0) {
                with_tape(|t| chunk.flush(t, mark));
            }
        }
        with_tape(|t| {
            chunk.flush(t, mark);
            close_scratch(t, mark, value)
        })
    }

    /// The derivative of this number along `direction`, by a backward sweep over the tape
    /// (0 for a constant or outside a recording). This costs a whole sweep: use
    /// [`Recording::gradient`] to read every direction at once.
    pub fn partial(&self, direction: usize) -> f64 {
        if self.node == NONE {
            return 0.0;
        }
        with_tape(|t| {
            sweep(t, 0, self.node);
            let d = t
                .leaves
                .iter()
                .filter(|(dir, _)| *dir == direction)
                .map(|&(_, n)| t.adjoints[n as usize])
                .sum();
            t.adjoints.clear();
            d
        })
    }
}

/// Edges gathered on the stack before they move to the tape's scratch stack.
struct Chunk {
    edges: [(u32, f64); 64],
    len: usize,
}

impl Chunk {
    #[inline(always)]
    fn new() -> Self {
        Chunk {
            edges: [(NONE, 0.0); 64],
            len: 0,
        }
    }

    /// Add an edge, merging it into the previous one when both have the same parent (a
    /// batch whose elements share a scale). True when the chunk is full.
    #[inline(always)]
    fn push(&mut self, node: u32, partial: f64) -> bool {
        if self.len > 0 && self.edges[self.len - 1].0 == node {
            self.edges[self.len - 1].1 += partial;
            return false;
        }
        self.edges[self.len] = (node, partial);
        self.len += 1;
        self.len == self.edges.len()
    }

    /// Move the edges to the scratch stack of the node whose edges start at `mark`.
    #[inline]
    fn flush(&mut self, t: &mut Tape, mark: usize) {
        let mut edges = &self.edges[..self.len];
        if let Some(&(node, partial)) = edges.first()
            && t.scratch.len() > mark
            && let Some(last) = t.scratch.last_mut()
            && last.0 == node
        {
            last.1 += partial;
            edges = &edges[1..];
        }
        t.scratch.extend_from_slice(edges);
        self.len = 0;
    }
}

/// Close a node whose edges are `t.scratch[mark..]` (a constant when there are none).
fn close_scratch(t: &mut Tape, mark: usize, value: f64) -> Rev {
    if t.open == 0 {
        t.scratch.truncate(mark);
        return Rev::constant(value);
    }
    let node = match t.scratch.len().saturating_sub(mark) {
        0 => return Rev::constant(value),
        1 => {
            let (a, da) = t.scratch[mark];
            Node {
                a,
                b: NONE,
                da,
                db: 0.0,
            }
        }
        2 => {
            let ((a, da), (b, db)) = (t.scratch[mark], t.scratch[mark + 1]);
            Node { a, b, da, db }
        }
        _ => {
            let start = t.edges.len() as u32;
            t.edges.extend_from_slice(&t.scratch[mark..]);
            let span = t.spans.len() as u32;
            t.spans.push((start, t.edges.len() as u32));
            Node {
                a: FUSED,
                b: span,
                da: 0.0,
                db: 0.0,
            }
        }
    };
    t.scratch.truncate(mark);
    Rev {
        value,
        node: t.push(node),
    }
}

/// Accumulate the adjoints of `output` into `t.adjoints`, sweeping the nodes from `output`
/// down to `first`. Parents recorded before `first` (by an enclosing recording) receive
/// adjoints that are never propagated further: to this sweep they are constants.
fn sweep(t: &mut Tape, first: usize, output: u32) {
    let n = t.nodes.len();
    let out = output as usize;
    // Adjoints below `first` may receive (unused) contributions, so they exist too.
    t.adjoints.clear();
    t.adjoints.resize(n, 0.0);
    if out >= n || out < first {
        return;
    }
    t.adjoints[out] = 1.0;
    let (nodes, edges, spans, adjoints) = (&t.nodes, &t.edges, &t.spans, &mut t.adjoints);
    for i in (first..=out).rev() {
        let adj = adjoints[i];
        if adj == 0.0 {
            continue;
        }
        let node = nodes[i];
        if node.a < FUSED {
            adjoints[node.a as usize] += node.da * adj;
            if node.b != NONE {
                adjoints[node.b as usize] += node.db * adj;
            }
        } else if node.a == FUSED {
            let (start, end) = spans[node.b as usize];
            for &(p, d) in &edges[start as usize..end as usize] {
                adjoints[p as usize] += d * adj;
            }
        }
    }
}

/// One reverse-mode recording on the current thread.
///
/// Creating it opens a recording: [`Rev`] variables made while it is alive are recorded,
/// and so is every operation on them. [`gradient`](Recording::gradient) reads the gradient
/// of a result. Dropping it (also when a panic unwinds through it) removes what it recorded,
/// keeping the storage for the next recording. Recordings nest: an inner one treats the
/// outer one's numbers as constants.
pub struct Recording {
    mark: Mark,
    /// Not `Send`: the recording belongs to the thread's tape.
    _thread: PhantomData<*const ()>,
}

impl Recording {
    /// Open a recording on this thread.
    pub fn start() -> Self {
        let mark = with_tape(|t| {
            t.open += 1;
            Mark {
                nodes: t.nodes.len(),
                edges: t.edges.len(),
                spans: t.spans.len(),
                leaves: t.leaves.len(),
                scratch: t.scratch.len(),
            }
        });
        Recording {
            mark,
            _thread: PhantomData,
        }
    }

    /// The gradient of `output` with respect to the variables made in this recording:
    /// `grad[d]` receives the sum of the adjoints of the variables with direction `d`
    /// (0 for directions without a variable; variables with directions beyond `grad` are
    /// ignored).
    pub fn gradient(&self, output: Rev, grad: &mut [f64]) {
        grad.iter_mut().for_each(|g| *g = 0.0);
        if output.node == NONE || (output.node as usize) < self.mark.nodes {
            return;
        }
        with_tape(|t| {
            sweep(t, self.mark.nodes, output.node);
            for &(direction, node) in &t.leaves[self.mark.leaves..] {
                if let Some(g) = grad.get_mut(direction) {
                    *g += t.adjoints[node as usize];
                }
            }
            t.adjoints.clear();
        });
    }

    /// The number of nodes recorded so far in this recording.
    pub fn nodes(&self) -> usize {
        with_tape(|t| t.nodes.len().saturating_sub(self.mark.nodes))
    }

    /// The number of edges (parent links) recorded so far in this recording.
    pub fn edges(&self) -> usize {
        with_tape(|t| {
            t.nodes[self.mark.nodes..]
                .iter()
                .map(|n| match n.a {
                    NONE => 0,
                    FUSED => {
                        let (start, end) = t.spans[n.b as usize];
                        (end - start) as usize
                    }
                    _ if n.b == NONE => 1,
                    _ => 2,
                })
                .sum()
        })
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let mark = self.mark;
        with_tape(|t| {
            t.truncate(mark);
            t.open = t.open.saturating_sub(1);
        });
    }
}

impl fmt::Debug for Rev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.node == NONE {
            write!(f, "{:?}", self.value)
        } else {
            write!(f, "{:?} (node {})", self.value, self.node)
        }
    }
}

impl fmt::Display for Rev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

impl PartialEq for Rev {
    /// Equal values (as for dual numbers' comparisons, derivatives are not compared).
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

use std::ops::{Add, Div, Mul, Neg, Sub};

impl Add for Rev {
    type Output = Rev;
    #[inline]
    fn add(self, rhs: Rev) -> Rev {
        self.binary(rhs, self.value + rhs.value, 1.0, 1.0)
    }
}
impl Sub for Rev {
    type Output = Rev;
    #[inline]
    fn sub(self, rhs: Rev) -> Rev {
        self.binary(rhs, self.value - rhs.value, 1.0, -1.0)
    }
}
impl Mul for Rev {
    type Output = Rev;
    #[inline]
    fn mul(self, rhs: Rev) -> Rev {
        self.binary(rhs, self.value * rhs.value, rhs.value, self.value)
    }
}
impl Div for Rev {
    type Output = Rev;
    #[inline]
    fn div(self, rhs: Rev) -> Rev {
        let inv = 1.0 / rhs.value;
        let q = self.value * inv;
        self.binary(rhs, q, inv, -q * inv)
    }
}
impl Neg for Rev {
    type Output = Rev;
    #[inline]
    fn neg(self) -> Rev {
        self.unary(-self.value, -1.0)
    }
}
impl Add<f64> for Rev {
    type Output = Rev;
    #[inline]
    fn add(self, rhs: f64) -> Rev {
        self.unary(self.value + rhs, 1.0)
    }
}
impl Sub<f64> for Rev {
    type Output = Rev;
    #[inline]
    fn sub(self, rhs: f64) -> Rev {
        self.unary(self.value - rhs, 1.0)
    }
}
impl Mul<f64> for Rev {
    type Output = Rev;
    #[inline]
    fn mul(self, rhs: f64) -> Rev {
        self.unary(self.value * rhs, rhs)
    }
}
impl Div<f64> for Rev {
    type Output = Rev;
    #[inline]
    fn div(self, rhs: f64) -> Rev {
        let inv = 1.0 / rhs;
        self.unary(self.value * inv, inv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_recording_nothing_is_recorded() {
        let x = Rev::variable(2.0, 0);
        assert!(x.is_constant());
        assert_eq!((x * x).value(), 4.0);
        // A number kept from an ended recording computes on, recording nothing.
        let kept = {
            let _rec = Recording::start();
            Rev::variable(3.0, 0)
        };
        assert!((kept * kept + crate::scalar::Scalar::ln(kept)).is_constant());
        with_tape(|t| assert!(t.nodes.is_empty()));
    }

    #[test]
    fn the_default_is_the_constant_zero() {
        let rec = Recording::start();
        let _x = Rev::variable(2.0, 0);
        let y = Rev::variable(5.0, 1);
        let acc = Rev::default() + y * 2.0;
        let mut g = [0.0; 2];
        rec.gradient(acc, &mut g);
        assert_eq!(g, [0.0, 2.0]);
    }

    #[test]
    fn recordings_nest_and_leave_nothing_behind() {
        let outer = Recording::start();
        let x = Rev::variable(3.0, 0);
        let y = x * x;
        {
            let inner = Recording::start();
            let z = Rev::variable(2.0, 0);
            // x is the outer recording's: a constant to the inner one.
            let w = z * y;
            let mut g = [0.0];
            inner.gradient(w, &mut g);
            assert_eq!(g, [9.0]);
        }
        let mut g = [0.0];
        outer.gradient(y, &mut g);
        assert_eq!(g, [6.0]);
        drop(outer);
        with_tape(|t| assert!(t.nodes.is_empty() && t.edges.is_empty() && t.open == 0));
    }

    #[test]
    fn a_fused_node_may_be_built_from_terms_that_record_nodes() {
        let rec = Recording::start();
        let a = Rev::variable(2.0, 0);
        let b = Rev::variable(3.0, 1);
        // Σ of (a·b, a·a via an inner fused sum, b): the inner nodes close before the outer.
        let inner = |x: Rev| Rev::sum_of([x * x, x]);
        let f = Rev::sum_of([a * b, inner(a), b]);
        assert_eq!(f.value(), 6.0 + 6.0 + 3.0);
        let mut g = [0.0; 2];
        rec.gradient(f, &mut g);
        assert_eq!(g, [3.0 + 2.0 * 2.0 + 1.0, 2.0 + 1.0]);
        let h = Rev::fused_terms(1.0, [(a * a, 0.5), (Rev::constant(1.0), 9.0), (b, -1.0)]);
        rec.gradient(h, &mut g);
        assert_eq!(g, [0.5 * 4.0, -1.0]);
        with_tape(|t| assert!(t.scratch.is_empty()));
    }

    #[test]
    fn a_panic_inside_a_recording_leaves_the_tape_empty() {
        let result = std::panic::catch_unwind(|| {
            let _rec = Recording::start();
            let x = Rev::variable(1.0, 0);
            let _ = x + x;
            panic!("inside a model");
        });
        assert!(result.is_err());
        with_tape(|t| assert!(t.nodes.is_empty() && t.leaves.is_empty() && t.open == 0));
    }

    #[test]
    fn a_variable_used_twice_in_one_direction_sums_its_adjoints() {
        let rec = Recording::start();
        let a = Rev::variable(2.0, 1);
        let b = Rev::variable(2.0, 1);
        let mut g = [0.0; 3];
        rec.gradient(a * b, &mut g);
        assert_eq!(g, [0.0, 4.0, 0.0]);
        assert_eq!((a * b).partial(1), 4.0);
    }

    #[test]
    fn fused_nodes_skip_constant_inputs() {
        let rec = Recording::start();
        let a = Rev::variable(1.0, 0);
        let f = Rev::fused(5.0, &[Rev::constant(2.0), a, a], &[7.0, 2.0, 3.0]);
        assert_eq!(rec.edges(), 2);
        let mut g = [0.0];
        rec.gradient(f, &mut g);
        assert_eq!(g, [5.0]);
    }
}
