//! The parameter store: learnable parameters, kept unconstrained.
//!
//! There is no global store. Whoever runs a model with parameters (SVI, a prediction, a test)
//! owns a [`ParamStore`] and pushes a [`ParamHandler`] over it; a `param!` site with no such
//! handler takes its initial value.

use crate::constraint::Constraint;
use crate::error::{Error, Result};
use crate::handler::Handler;
use crate::scalar::{Real, Scalar};
use crate::site::{Site, SiteKind};
use crate::value::{IntoValue, SiteValue, Value, ValueKind};
use nalgebra::{DMatrix, DVector};
use std::collections::HashMap;

/// One parameter: its constraint, its shape, and where its unconstrained coordinates are.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamEntry {
    name: String,
    constraint: Constraint,
    kind: ValueKind,
    offset: usize,
    len: usize,
}

impl ParamEntry {
    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its constraint.
    pub fn constraint(&self) -> Constraint {
        self.constraint
    }
    /// Its shape.
    pub fn kind(&self) -> ValueKind {
        self.kind
    }
    /// Its position in the store's flat unconstrained vector.
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// How many unconstrained coordinates it has.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True for a parameter without coordinates.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The constrained value at unconstrained coordinates `u` (this entry's slice), lifting
    /// coordinate `offset + i` with `lift`, and `ln |det J|` of the transform. An error names
    /// the parameter when a coordinate is not finite or the value is not usable: not finite,
    /// or on the boundary of an open support because the bijection overflowed or underflowed
    /// (`exp(u)` is 0 below `u ≈ −745`), which would otherwise reach the model as NaN.
    fn constrained<S: Scalar>(
        &self,
        u: &[f64],
        lift: impl Fn(usize, f64) -> Real<S>,
    ) -> Result<(Value<S>, Real<S>)> {
        if let Some(k) = u.iter().position(|x| !x.is_finite()) {
            return Err(self.unusable(format!(
                "unconstrained coordinate {k} is {} (the optimiser diverged, or the store was \
                 set to it); lower the learning rate or reset the parameter",
                u[k]
            )));
        }
        // Small parameters (the common case) are lifted on the stack.
        let mut small = [Real::<S>::new(0.0); 8];
        let heap: Vec<Real<S>>;
        let lifted: &[Real<S>] = if u.len() <= small.len() {
            for (i, &x) in u.iter().enumerate() {
                small[i] = lift(self.offset + i, x);
            }
            &small[..u.len()]
        } else {
            heap = u
                .iter()
                .enumerate()
                .map(|(i, &x)| lift(self.offset + i, x))
                .collect();
            &heap
        };
        let (value, log_det) = self
            .constraint
            .forward(lifted, self.kind)
            .map_err(|e| self.unusable(e.to_string()))?;
        self.check_value(&value, u)?;
        Ok((value, log_det))
    }

    /// The constrained value must be finite, strictly inside an open support bounded by an
    /// exponential (positive, greater-than, less-than), and a Cholesky factor's diagonal
    /// positive.
    fn check_value<S: Scalar>(&self, value: &Value<S>, u: &[f64]) -> Result<()> {
        let elements: &[Real<S>] = match value {
            Value::Real(x) => std::slice::from_ref(x),
            Value::RealVec(v) => v.as_slice(),
            Value::Matrix(m) => m.as_slice(),
            _ => return Ok(()),
        };
        let strict = matches!(
            self.constraint,
            Constraint::Positive | Constraint::GreaterThan(_) | Constraint::LessThan(_)
        );
        let bad = elements.iter().position(|x| {
            let x = x.value();
            !x.is_finite() || (strict && !self.constraint.contains(x))
        });
        if let Some(i) = bad {
            let x = elements[i].value();
            let at = if u.len() == elements.len() {
                format!("unconstrained coordinate {}", u[i])
            } else {
                format!("unconstrained coordinates {u:?}")
            };
            return Err(self.unusable(format!(
                "element {i} is {x} at {at}, outside the support {} (the bijection overflowed \
                 or underflowed: the optimiser moved it too far); lower the learning rate, or \
                 reparameterise",
                self.constraint
            )));
        }
        if let (Constraint::LowerCholesky, Value::Matrix(m)) = (self.constraint, value)
            && let Some(i) = (0..m.nrows()).find(|&i| m[(i, i)].value() <= 0.0)
        {
            return Err(self.unusable(format!(
                "diagonal entry ({i}, {i}) of the Cholesky factor is {} (exp underflowed: \
                 the optimiser moved it too far); lower the learning rate",
                m[(i, i)].value()
            )));
        }
        Ok(())
    }

    fn unusable(&self, detail: String) -> Error {
        Error::Param {
            site: self.name.clone(),
            detail,
        }
    }
}

/// Learnable parameters by name, stored unconstrained in one flat vector, in order of first use.
///
/// ```
/// use smallx_core::{Constraint, ParamStore, Value};
/// let mut store = ParamStore::new();
/// store.insert("b", Value::from(2.0), Constraint::Positive).unwrap();
/// assert!((store.unconstrained()[0] - 2.0f64.ln()).abs() < 1e-15);
/// assert_eq!(store.value("b"), Some(Value::from(2.0)));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamStore {
    entries: Vec<ParamEntry>,
    index: HashMap<String, usize>,
    values: Vec<f64>,
}

impl ParamStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a parameter with a constrained initial value; an existing entry with the same name
    /// must have the same shape and constraint, and is left unchanged.
    pub fn insert(
        &mut self,
        name: &str,
        init: Value<f64>,
        constraint: Constraint,
    ) -> Result<&ParamEntry> {
        let kind = init.kind();
        if let Some(&i) = self.index.get(name) {
            let e = &self.entries[i];
            if e.kind != kind || e.constraint != constraint {
                return Err(Error::Param {
                    site: name.to_string(),
                    detail: format!(
                        "declared as {kind} constrained to {constraint}, but the store holds {} constrained to {}",
                        e.kind, e.constraint
                    ),
                });
            }
            return Ok(e);
        }
        let unconstrained = constraint.inverse(&init).map_err(|e| Error::Param {
            site: name.to_string(),
            detail: format!("initial value {init}: {e}"),
        })?;
        let entry = ParamEntry {
            name: name.to_string(),
            constraint,
            kind,
            offset: self.values.len(),
            len: unconstrained.len(),
        };
        self.values.extend(unconstrained);
        self.index.insert(name.to_string(), self.entries.len());
        self.entries.push(entry);
        Ok(&self.entries[self.entries.len() - 1])
    }

    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<&ParamEntry> {
        self.index.get(name).map(|&i| &self.entries[i])
    }

    /// The unconstrained coordinates of `name`.
    pub fn unconstrained_of(&self, name: &str) -> Option<&[f64]> {
        self.get(name)
            .map(|e| &self.values[e.offset..e.offset + e.len])
    }

    /// The constrained value of `name` (`None` also when its coordinates are not finite or
    /// map outside its support; [`ParamHandler`] reports that as an error naming it).
    pub fn value(&self, name: &str) -> Option<Value<f64>> {
        self.get(name).and_then(|e| {
            e.constrained::<f64>(&self.values[e.offset..e.offset + e.len], |_, u| Real(u))
                .ok()
                .map(|(v, _)| v)
        })
    }

    /// The constrained value of a real parameter as `f64`.
    pub fn real(&self, name: &str) -> Option<f64> {
        self.value(name).and_then(|v| v.as_f64())
    }

    /// The entries in order of first use.
    pub fn iter(&self) -> impl Iterator<Item = &ParamEntry> {
        self.entries.iter()
    }

    /// The number of parameters.
    pub fn num_params(&self) -> usize {
        self.entries.len()
    }

    /// The total number of unconstrained coordinates.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All unconstrained coordinates, concatenated in order of first use.
    pub fn unconstrained(&self) -> &[f64] {
        &self.values
    }

    /// All unconstrained coordinates, for an optimiser to update in place.
    pub fn unconstrained_mut(&mut self) -> &mut [f64] {
        &mut self.values
    }

    /// A copy of all unconstrained coordinates.
    pub fn unconstrained_vec(&self) -> Vec<f64> {
        self.values.clone()
    }

    /// Overwrite all unconstrained coordinates (the layout of
    /// [`unconstrained`](ParamStore::unconstrained)); a non-finite coordinate is an error
    /// naming its parameter, and leaves the store unchanged.
    pub fn set_unconstrained(&mut self, flat: &[f64]) -> Result<()> {
        if flat.len() != self.values.len() {
            return Err(Error::Param {
                site: "(all)".into(),
                detail: format!(
                    "expected {} unconstrained coordinates, got {}",
                    self.values.len(),
                    flat.len()
                ),
            });
        }
        if let Some(i) = flat.iter().position(|x| !x.is_finite()) {
            let name = self
                .entries
                .iter()
                .find(|e| i >= e.offset && i < e.offset + e.len)
                .map_or("(all)", |e| e.name.as_str());
            return Err(Error::Param {
                site: name.to_string(),
                detail: format!(
                    "unconstrained coordinate {i} of the store would be {}, not finite",
                    flat[i]
                ),
            });
        }
        self.values.copy_from_slice(flat);
        Ok(())
    }
}

/// The initial value of a `param!`: `f64` gives a `Real<S>` parameter, a vector of `f64` a
/// `DVector<Real<S>>`, a matrix a `DMatrix<Real<S>>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the initial value of a parameter",
    label = "expected an f64, a Vec<f64>, a DVector<f64> or a DMatrix<f64>"
)]
pub trait ParamInit<S: Scalar>: IntoValue<f64> {
    /// The parameter's type inside the model.
    type Out: SiteValue<S>;
}

impl<S: Scalar> ParamInit<S> for f64 {
    type Out = Real<S>;
}

impl<S: Scalar> ParamInit<S> for Vec<f64> {
    type Out = DVector<Real<S>>;
}

impl<S: Scalar> ParamInit<S> for DVector<f64> {
    type Out = DVector<Real<S>>;
}

impl<S: Scalar> ParamInit<S> for DMatrix<f64> {
    type Out = DMatrix<Real<S>>;
}

impl<S: Scalar> ParamInit<S> for Value<f64> {
    type Out = Value<S>;
}

/// Serves `param!` sites from a [`ParamStore`], initialising missing entries.
///
/// With `first_direction = Some(k)`, unconstrained coordinate `i` of the store becomes a dual
/// variable along direction `i − k` when that lies in `0..S::DIRECTIONS`, so one run yields
/// the derivatives with respect to a chunk of the store's coordinates.
pub struct ParamHandler<'p> {
    store: &'p mut ParamStore,
    first_direction: Option<usize>,
}

impl<'p> ParamHandler<'p> {
    /// Constant parameters (no derivatives).
    pub fn new(store: &'p mut ParamStore) -> Self {
        ParamHandler {
            store,
            first_direction: None,
        }
    }
    /// Parameters whose coordinates `first..first + S::DIRECTIONS` are dual variables.
    pub fn differentiating(store: &'p mut ParamStore, first: usize) -> Self {
        ParamHandler {
            store,
            first_direction: Some(first),
        }
    }
}

impl<S: Scalar> Handler<S> for ParamHandler<'_> {
    fn process(&mut self, site: &mut Site<'_, S>) -> Result<()> {
        let (SiteKind::Param, None, Some(spec)) = (site.kind, &site.value, site.param) else {
            return Ok(());
        };
        if self
            .store
            .get(site.name)
            .is_none_or(|e| e.constraint != spec.constraint)
        {
            // A new parameter, or an error naming the conflict with the stored one.
            self.store
                .insert(site.name, (spec.init)(), spec.constraint)?;
        }
        let store = &*self.store;
        let entry = store.get(site.name).ok_or_else(|| Error::Param {
            site: site.name.to_string(),
            detail: "missing from the store after insertion".into(),
        })?;
        let first = self.first_direction;
        let u = &store.values[entry.offset..entry.offset + entry.len];
        let (value, _) = entry.constrained::<S>(u, |i, u| match first {
            Some(k) if i >= k => Real::variable(u, i - k),
            _ => Real::new(u),
        })?;
        site.value = Some(value);
        Ok(())
    }
}
