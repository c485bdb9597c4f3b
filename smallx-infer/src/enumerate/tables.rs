//! Filling factor tables by running a model once per assignment of "colours".
//!
//! smallx has no tensors, so an enumerated site cannot take all its values in one run as
//! Pyro's do. Instead the model runs several times, each enumerated site receiving one value
//! per run, and every scored site's log-probability is recorded under the values of the
//! enumerated sites it can see. Which sites a site can see is fixed by where they sit:
//!
//! * an enumerated site outside any plate or `markov!` loop is seen by every later site;
//! * one inside an entry of a plate is seen by the later sites of the same entry;
//! * one at step `t` of a `markov!` loop with history `h` is seen by the sites of steps
//!   `t ..= t + h` of the same loop.
//!
//! Enumerated sites that no site sees together can share a *colour* (a dimension of the run
//! grid): the same site in every entry of a plate, and the sites of steps `t` and `t + h + 1`
//! of a chain. So a chain of `T` steps with `K` values needs `K^(h+1)` runs, not `K^T`, and a
//! plate of `N` items with a `K`-valued assignment each needs `K` runs. Every combination of
//! values a site can see occurs in at least one run, so every table is filled. When a
//! combination occurs in several runs, the recorded values must agree: a site that depends on
//! an enumerated value it cannot see (a value from another plate entry, or further back than
//! its `markov!` history) gives different values and is reported.

use super::engine::{FactorGraph, VarId};
use smallx_core::{Error, Real, Result, Scalar, Site, SiteKind};
use std::collections::HashMap;

/// The largest support an enumerated site may have.
pub const MAX_SUPPORT: u64 = 1024;
/// The largest number of model runs one enumeration may take.
pub const MAX_RUNS: usize = 1 << 20;

/// Where a site sits: its plate entries and its `markov!` steps `(entry, step, history)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Context {
    plates: Vec<usize>,
    markov: Vec<(usize, usize, usize)>,
}

impl Context {
    fn of<S: Scalar>(site: &Site<'_, S>) -> Self {
        Context {
            plates: site.plates.iter().map(|p| p.entry).collect(),
            markov: site
                .markov
                .iter()
                .map(|m| (m.entry, m.step, m.history))
                .collect(),
        }
    }

    /// Whether a site in `self` can see an enumerated site in `var`.
    fn sees(&self, var: &Context) -> bool {
        var.plates.iter().all(|e| self.plates.contains(e))
            && var.markov.iter().all(|&(entry, t, h)| {
                self.markov
                    .iter()
                    .any(|&(e, s, _)| e == entry && s >= t && s - t <= h)
            })
    }

    /// The frame every site that sees a variable in this context has (see `sees`), used to
    /// index variables: its last plate entry, else its last markov step, else the top.
    fn home(&self) -> Home {
        match (self.plates.last(), self.markov.last()) {
            (Some(&e), _) => Home::Plate(e),
            (None, Some(&(e, t, _))) => Home::Step(e, t),
            (None, None) => Home::Top,
        }
    }

    /// The homes whose variables a site in this context may see.
    fn visible_homes(&self) -> impl Iterator<Item = Home> + '_ {
        let plates = self.plates.iter().map(|&e| Home::Plate(e));
        let steps = self
            .markov
            .iter()
            .flat_map(|&(e, s, h)| (s.saturating_sub(h)..=s).map(move |t| Home::Step(e, t)));
        std::iter::once(Home::Top).chain(plates).chain(steps)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Home {
    Top,
    Plate(usize),
    Step(usize, usize),
}

/// The colour of an enumerated site: variables with the same key are never seen together.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ColourKey {
    plates: Vec<String>,
    markov: Vec<(String, usize)>,
    ordinal: usize,
}

/// An enumerated site.
#[derive(Clone, Debug)]
pub(crate) struct EnumVar {
    pub(crate) name: String,
    pub(crate) size: usize,
    colour: usize,
}

/// A site that contributes to the log-joint, with the enumerated sites it sees.
#[derive(Clone, Debug)]
struct Scored {
    name: String,
    /// Visible variables in creation order, with the stride of each in the table.
    scope: Vec<(VarId, usize)>,
    len: usize,
}

/// What one discovery run found: the enumerated sites, the scored sites and the colours.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layout {
    pub(crate) vars: Vec<EnumVar>,
    scored: Vec<Scored>,
    colours: Vec<usize>,
}

impl Layout {
    /// How many runs fill every table.
    pub(crate) fn runs(&self) -> usize {
        self.colours.iter().product()
    }

    /// The value index of every variable in run `r` (mixed radix over the colours).
    fn assignment(&self, mut r: usize, out: &mut Vec<usize>) {
        let mut digits = Vec::with_capacity(self.colours.len());
        for &size in &self.colours {
            digits.push(r % size);
            r /= size;
        }
        out.clear();
        out.extend(self.vars.iter().map(|v| digits[v.colour].min(v.size - 1)));
    }
}

/// The handler of an enumeration run. In discovery it gives every enumerated site its first
/// value and records the layout; afterwards it gives the values of one run's assignment.
/// In both it records the weighted log-probability of every scored site in order.
pub(crate) struct EnumHandler<'l, S: Scalar> {
    layout: Option<&'l Layout>,
    discovery: Discovery,
    assignment: Vec<usize>,
    next_var: usize,
    pub(crate) log_probs: Vec<Real<S>>,
}

#[derive(Default)]
struct Discovery {
    layout: Layout,
    contexts: Vec<Context>,
    homes: HashMap<Home, Vec<VarId>>,
    colours: HashMap<ColourKey, usize>,
    /// How many enumerated sites each context has had so far.
    ordinals: HashMap<Context, usize>,
}

impl<S: Scalar> EnumHandler<'_, S> {
    /// A handler for the discovery run.
    pub(crate) fn discovering() -> Self {
        EnumHandler {
            layout: None,
            discovery: Discovery::default(),
            assignment: Vec::new(),
            next_var: 0,
            log_probs: Vec::new(),
        }
    }

    /// The layout found by a discovery run.
    pub(crate) fn into_layout(self) -> Result<Layout> {
        let layout = self.discovery.layout;
        let runs = layout
            .colours
            .iter()
            .try_fold(1usize, |acc, &k| acc.checked_mul(k));
        match runs {
            Some(r) if r <= MAX_RUNS => Ok(layout),
            _ => Err(Error::Enumeration {
                site: layout
                    .vars
                    .first()
                    .map_or_else(String::new, |v| v.name.clone()),
                detail: format!(
                    "the enumerated sites need {} model runs (the product of the supports of \
                     {} groups of sites that some site sees together), more than the limit \
                     {MAX_RUNS}; put independent sites in plate entries or chains in a \
                     `markov!` loop",
                    layout
                        .colours
                        .iter()
                        .map(|k| k.to_string())
                        .collect::<Vec<_>>()
                        .join(" × "),
                    layout.colours.len()
                ),
            }),
        }
    }
}

impl<'l, S: Scalar> EnumHandler<'l, S> {
    /// A handler for run `r` of `layout`.
    pub(crate) fn run(layout: &'l Layout, r: usize) -> Self {
        let mut assignment = Vec::new();
        layout.assignment(r, &mut assignment);
        EnumHandler {
            layout: Some(layout),
            discovery: Discovery::default(),
            assignment,
            next_var: 0,
            log_probs: Vec::with_capacity(layout.scored.len()),
        }
    }

    /// A handler that gives the enumerated sites the values `indices` (one per variable).
    pub(crate) fn with_values(layout: &'l Layout, indices: Vec<usize>) -> Self {
        EnumHandler {
            layout: Some(layout),
            discovery: Discovery::default(),
            assignment: indices,
            next_var: 0,
            log_probs: Vec::with_capacity(layout.scored.len()),
        }
    }
}

fn changed(site: &str, detail: String) -> Error {
    Error::Enumeration {
        site: site.to_string(),
        detail,
    }
}

impl<S: Scalar> smallx_core::handler::Handler<S> for EnumHandler<'_, S> {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        if !(site.kind == SiteKind::Sample
            && site.enumerate
            && site.value.is_none()
            && !site.is_observed)
        {
            return Ok(());
        }
        let Some(dist) = site.dist else {
            return Ok(());
        };
        let size = match dist.support_size() {
            Some(n) if n <= MAX_SUPPORT => n as usize,
            Some(n) => {
                return Err(changed(
                    site.name,
                    format!(
                        "its {} distribution has {n} values, more than the limit {MAX_SUPPORT} \
                         of an enumerated site; draw it instead (remove `infer = enumerate`)",
                        dist.name()
                    ),
                ));
            }
            None => {
                return Err(changed(
                    site.name,
                    format!(
                        "only a site with a finite support of booleans or integers can be \
                         enumerated, and its {} distribution has support {}",
                        dist.name(),
                        dist.support()
                    ),
                ));
            }
        };
        let var = self.next_var;
        self.next_var += 1;
        let index = match self.layout {
            None => {
                self.discover_var(site, size);
                0
            }
            Some(layout) => {
                let Some(expected) = layout.vars.get(var) else {
                    return Err(changed(
                        site.name,
                        "this enumerated site did not occur in the first run: the set of \
                         sites must not depend on the values of enumerated sites"
                            .into(),
                    ));
                };
                if expected.name != site.name || expected.size != size {
                    return Err(changed(
                        site.name,
                        format!(
                            "the first run had the enumerated site `{}` ({} values) here: the \
                             set of sites and their supports must not depend on the values of \
                             enumerated sites",
                            expected.name, expected.size
                        ),
                    ));
                }
                self.assignment[var]
            }
        };
        site.value = dist.support_value(index as u64);
        Ok(())
    }

    fn postprocess(&mut self, site: &Site<'_, S>) -> Result<()> {
        let Some(lp) = site.weighted_log_prob()? else {
            return Ok(());
        };
        match self.layout {
            None => self.discover_scored(site),
            Some(layout) => {
                let i = self.log_probs.len();
                if layout.scored.get(i).is_none_or(|s| s.name != site.name) {
                    return Err(changed(
                        site.name,
                        format!(
                            "the first run had {} here: the set of sites must not depend on \
                             the values of enumerated sites",
                            layout
                                .scored
                                .get(i)
                                .map_or("no more sites".to_string(), |s| format!(
                                    "site `{}`",
                                    s.name
                                ))
                        ),
                    ));
                }
            }
        }
        self.log_probs.push(lp);
        Ok(())
    }
}

impl<S: Scalar> EnumHandler<'_, S> {
    fn discover_var(&mut self, site: &Site<'_, S>, size: usize) {
        let d = &mut self.discovery;
        let context = Context::of(site);
        let count = d.ordinals.entry(context.clone()).or_insert(0);
        let ordinal = *count;
        *count += 1;
        let key = ColourKey {
            plates: site.plates.iter().map(|p| p.name.clone()).collect(),
            markov: site
                .markov
                .iter()
                .map(|m| (m.name.clone(), m.step % (m.history + 1)))
                .collect(),
            ordinal,
        };
        let next = d.colours.len();
        let colour = *d.colours.entry(key).or_insert(next);
        if colour == d.layout.colours.len() {
            d.layout.colours.push(size);
        } else {
            d.layout.colours[colour] = d.layout.colours[colour].max(size);
        }
        let id = d.layout.vars.len();
        d.homes.entry(context.home()).or_default().push(id);
        d.contexts.push(context);
        d.layout.vars.push(EnumVar {
            name: site.name.to_string(),
            size,
            colour,
        });
    }

    fn discover_scored(&mut self, site: &Site<'_, S>) {
        let d = &mut self.discovery;
        let context = Context::of(site);
        let mut scope: Vec<VarId> = context
            .visible_homes()
            .filter_map(|h| d.homes.get(&h))
            .flatten()
            .copied()
            .filter(|&v| context.sees(&d.contexts[v]))
            .collect();
        scope.sort_unstable();
        scope.dedup();
        let mut stride = 1;
        let mut with_strides: Vec<(VarId, usize)> = scope
            .iter()
            .rev()
            .map(|&v| {
                let s = stride;
                stride *= d.layout.vars[v].size;
                (v, s)
            })
            .collect();
        with_strides.reverse();
        d.layout.scored.push(Scored {
            name: site.name.to_string(),
            scope: with_strides,
            len: stride,
        });
    }
}

/// The factor tables of one enumeration: every scored site's log-probability as a table over
/// the enumerated sites it sees, plus the sum of those that see none.
pub(crate) struct Tables<S: Scalar> {
    pub(crate) constant: Real<S>,
    sizes: Vec<usize>,
    factors: Vec<(Vec<VarId>, Vec<Real<S>>)>,
}

impl<S: Scalar> Tables<S> {
    /// The factor graph of the tables, for the engine.
    pub(crate) fn graph(self) -> FactorGraph<Real<S>> {
        self.graph_of(|x| x)
    }

    /// The factor graph with the tables' values only.
    pub(crate) fn values(self) -> FactorGraph<f64> {
        self.graph_of(|x| x.value())
    }

    fn graph_of<T>(self, f: impl Fn(Real<S>) -> T) -> FactorGraph<T> {
        let mut graph = FactorGraph::new();
        for &size in &self.sizes {
            graph.add_variable(size);
        }
        for (scope, table) in self.factors {
            // The scopes and table lengths come from the layout, so the engine accepts them.
            let _ = graph.add_factor(scope, table.into_iter().map(&f).collect());
        }
        graph
    }
}

/// Collects the runs of one enumeration into tables.
pub(crate) struct TableBuilder<'l, S: Scalar> {
    layout: &'l Layout,
    tables: Vec<Vec<Real<S>>>,
    filled: Vec<Vec<bool>>,
    constant: Option<Real<S>>,
}

impl<'l, S: Scalar> TableBuilder<'l, S> {
    pub(crate) fn new(layout: &'l Layout) -> Self {
        TableBuilder {
            layout,
            tables: layout
                .scored
                .iter()
                .map(|s| vec![Real::new(0.0); s.len])
                .collect(),
            filled: layout.scored.iter().map(|s| vec![false; s.len]).collect(),
            constant: None,
        }
    }

    /// Record the log-probabilities of run `r` (as the handler of that run recorded them).
    pub(crate) fn record(&mut self, r: usize, log_probs: &[Real<S>]) -> Result<()> {
        let mut assignment = Vec::new();
        self.layout.assignment(r, &mut assignment);
        self.record_at(&assignment, log_probs)
    }

    /// Record the log-probabilities of a run with the value indices `assignment` (one per
    /// variable): entries not seen yet are stored, entries seen before must agree.
    pub(crate) fn record_at(&mut self, assignment: &[usize], log_probs: &[Real<S>]) -> Result<()> {
        let layout = self.layout;
        if log_probs.len() != layout.scored.len() {
            let site = layout
                .scored
                .get(log_probs.len())
                .map_or_else(|| "(end of the model)".to_string(), |s| s.name.clone());
            return Err(changed(
                &site,
                format!(
                    "a run with other values of the enumerated sites scored {} sites where the \
                     first run scored {}: the set of sites must not depend on the values of \
                     enumerated sites",
                    log_probs.len(),
                    layout.scored.len()
                ),
            ));
        }
        let mut constant = Real::new(0.0);
        for (j, (site, &lp)) in layout.scored.iter().zip(log_probs).enumerate() {
            if lp.is_nan() || lp.value() == f64::INFINITY {
                return Err(changed(
                    &site.name,
                    format!(
                        "its log-probability is {} at the values {} of the enumerated sites",
                        lp.value(),
                        describe(layout, assignment)
                    ),
                ));
            }
            if site.scope.is_empty() {
                constant += lp;
            }
            let index: usize = site.scope.iter().map(|&(v, s)| assignment[v] * s).sum();
            if self.filled[j][index] {
                let old = self.tables[j][index].value();
                let new = lp.value();
                let same = old == new || (old - new).abs() <= 1e-9 * (1.0 + old.abs());
                if !same {
                    return Err(unseen_dependency(layout, j));
                }
            } else {
                self.tables[j][index] = lp;
                self.filled[j][index] = true;
            }
        }
        // Sites that see no enumerated site were checked equal across runs above.
        self.constant.get_or_insert(constant);
        Ok(())
    }

    /// The factor graph, once every run is recorded.
    pub(crate) fn finish(self) -> Result<Tables<S>> {
        let mut factors = Vec::new();
        for ((site, table), filled) in self.layout.scored.iter().zip(self.tables).zip(self.filled) {
            if site.scope.is_empty() {
                continue;
            }
            if filled.iter().any(|f| !f) {
                return Err(changed(
                    &site.name,
                    "not every combination of the enumerated values it sees occurred; this is \
                     a bug in smallx's enumeration, please report it"
                        .into(),
                ));
            }
            factors.push((site.scope.iter().map(|&(v, _)| v).collect(), table));
        }
        Ok(Tables {
            constant: self.constant.unwrap_or(Real::new(0.0)),
            sizes: self.layout.vars.iter().map(|v| v.size).collect(),
            factors,
        })
    }
}

fn describe(layout: &Layout, assignment: &[usize]) -> String {
    let parts: Vec<String> = layout
        .vars
        .iter()
        .zip(assignment)
        .take(8)
        .map(|(v, i)| format!("{} = #{i}", v.name))
        .collect();
    let more = if layout.vars.len() > 8 { ", ..." } else { "" };
    format!("({}{more})", parts.join(", "))
}

fn unseen_dependency(layout: &Layout, j: usize) -> Error {
    let site = &layout.scored[j];
    let sees = if site.scope.is_empty() {
        "no enumerated site".to_string()
    } else {
        site.scope
            .iter()
            .map(|&(v, _)| format!("`{}`", layout.vars[v].name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    changed(
        &site.name,
        format!(
            "its log-probability depends on an enumerated site it cannot see (it sees {sees}): \
             a value from another entry of a plate, or from further back than its `markov!` \
             history; raise the history (`markov!(name, n, history = h, ..)`) or move the \
             site"
        ),
    )
}
