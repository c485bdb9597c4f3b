//! Data dictionaries: site name → value, for `condition`, `substitute` and `intervene`.

use crate::error::{Error, Result};
use crate::scalar::Real;
use crate::value::{IntoValue, Value};
use nalgebra::{DMatrix, DVector};
use std::collections::HashMap;
use std::path::Path;

/// A map from site name to value, in insertion order.
///
/// Build it in code with [`data!`](crate::data!) or [`Data::with`], or read it from JSON or
/// CSV.
///
/// ```
/// use smallx_core::{data, Data, Value};
/// let d = data! { "measurement" => 9.5, "counts" => vec![1_i64, 2, 3] };
/// assert_eq!(d.get("measurement"), Some(&Value::from(9.5)));
/// let j = Data::from_json(r#"{"y": [28, 8, -3], "sigma": 15.0}"#).unwrap();
/// assert_eq!(j.get("y").unwrap().kind().to_string(), "a vector of 3 integers");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Data {
    entries: Vec<(String, Value<f64>)>,
    index: HashMap<String, usize>,
}

/// Build a [`Data`] dictionary: `data! { "x" => 1.0, "y" => vec![1.0, 2.0] }`.
#[macro_export]
macro_rules! data {
    ($($name:expr => $value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut d = $crate::Data::new();
        $(d.insert($name, $value);)*
        d
    }};
}

impl Data {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set `name` to `value` (replacing an earlier value).
    pub fn insert(&mut self, name: impl Into<String>, value: impl IntoValue<f64>) -> &mut Self {
        let name = name.into();
        let value = value.into_value();
        match self.index.get(&name) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.index.insert(name.clone(), self.entries.len());
                self.entries.push((name, value));
            }
        }
        self
    }

    /// Builder form of [`insert`](Data::insert).
    pub fn with(mut self, name: impl Into<String>, value: impl IntoValue<f64>) -> Self {
        self.insert(name, value);
        self
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value<f64>> {
        self.position(name).map(|i| &self.entries[i].1)
    }

    /// The insertion position of `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The entry at an insertion position.
    pub fn entry(&self, i: usize) -> (&str, &Value<f64>) {
        let (n, v) = &self.entries[i];
        (n, v)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value<f64>)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The names in insertion order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// Read a JSON object whose every field is a number, a boolean, an array of numbers or
    /// booleans, or an array of equally long arrays of numbers (a matrix, by rows).
    pub fn from_json(text: &str) -> Result<Self> {
        Self::from_json_fields(text, None)
    }

    /// Like [`from_json`](Data::from_json), keeping only the named fields (all of which must
    /// be present); other fields may hold anything, descriptions for example.
    pub fn from_json_keys(text: &str, keys: &[&str]) -> Result<Self> {
        Self::from_json_fields(text, Some(keys))
    }

    /// Read the named fields of a JSON file; see [`from_json_keys`](Data::from_json_keys).
    pub fn from_json_file_keys(path: impl AsRef<Path>, keys: &[&str]) -> Result<Self> {
        Self::from_json_keys(&read(path.as_ref())?, keys)
    }

    /// Read a JSON file; see [`from_json`](Data::from_json).
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_json(&read(path.as_ref())?)
    }

    fn from_json_fields(text: &str, keys: Option<&[&str]>) -> Result<Self> {
        let parsed: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::Data(format!("invalid JSON: {e}")))?;
        let serde_json::Value::Object(map) = parsed else {
            return Err(Error::Data(
                "the JSON must be an object mapping site names to values".into(),
            ));
        };
        let mut data = Data::new();
        match keys {
            Some(keys) => {
                for &k in keys {
                    let v = map.get(k).ok_or_else(|| {
                        Error::Data(format!(
                            "no field `{k}` in the JSON; its fields are: {}",
                            map.keys().cloned().collect::<Vec<_>>().join(", ")
                        ))
                    })?;
                    data.insert(k, json_value(k, v)?);
                }
            }
            None => {
                for (k, v) in &map {
                    data.insert(k.as_str(), json_value(k, v)?);
                }
            }
        }
        Ok(data)
    }

    /// Read CSV text with a header row: each column becomes a vector named by its header
    /// (integers if every entry is an integer, else reals).
    pub fn from_csv(text: &str) -> Result<Self> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<&str> = lines
            .next()
            .ok_or_else(|| Error::Data("the CSV is empty".into()))?
            .split(',')
            .map(str::trim)
            .collect();
        let mut columns: Vec<Vec<&str>> = vec![Vec::new(); header.len()];
        for (row, line) in lines.enumerate() {
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            if cells.len() != header.len() {
                return Err(Error::Data(format!(
                    "CSV row {} has {} fields, the header has {}",
                    row + 2,
                    cells.len(),
                    header.len()
                )));
            }
            for (c, cell) in cells.into_iter().enumerate() {
                columns[c].push(cell);
            }
        }
        let mut data = Data::new();
        for (name, cells) in header.into_iter().zip(columns) {
            if let Ok(ints) = cells
                .iter()
                .map(|c| c.parse::<i64>())
                .collect::<std::result::Result<Vec<_>, _>>()
            {
                data.insert(name, ints);
                continue;
            }
            let reals = cells
                .iter()
                .map(|c| {
                    c.parse::<f64>()
                        .map_err(|_| Error::Data(format!("column `{name}`: `{c}` is not a number")))
                })
                .collect::<Result<Vec<f64>>>()?;
            data.insert(name, reals);
        }
        Ok(data)
    }

    /// Read a CSV file; see [`from_csv`](Data::from_csv).
    pub fn from_csv_file(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_csv(&read(path.as_ref())?)
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::Data(format!("cannot read {}: {e}", path.display())))
}

fn json_value(key: &str, v: &serde_json::Value) -> Result<Value<f64>> {
    use serde_json::Value as J;
    let bad = |what: &str| Error::Data(format!("field `{key}`: {what}"));
    Ok(match v {
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Real(Real(n.as_f64().ok_or_else(|| bad("number out of range"))?)),
        },
        J::Bool(b) => Value::Bool(*b),
        J::Array(items) if items.iter().all(|x| x.is_boolean()) && !items.is_empty() => {
            Value::BoolVec(items.iter().filter_map(J::as_bool).collect())
        }
        J::Array(items) if items.iter().all(|x| x.is_i64()) && !items.is_empty() => {
            Value::IntVec(items.iter().filter_map(J::as_i64).collect())
        }
        J::Array(items) if items.iter().all(J::is_number) => Value::RealVec(
            DVector::from_iterator(items.len(), items.iter().filter_map(J::as_f64).map(Real)),
        ),
        J::Array(rows) if rows.iter().all(J::is_array) => {
            let rows: Vec<&Vec<J>> = rows.iter().filter_map(J::as_array).collect();
            let ncols = rows[0].len();
            if rows
                .iter()
                .any(|r| r.len() != ncols || !r.iter().all(J::is_number))
            {
                return Err(bad(
                    "a matrix needs rows of equal length holding only numbers",
                ));
            }
            Value::Matrix(DMatrix::from_fn(rows.len(), ncols, |i, j| {
                Real(rows[i][j].as_f64().unwrap_or(f64::NAN))
            }))
        }
        J::Array(_) => {
            return Err(bad(
                "an array must hold only numbers, only booleans, or only rows of numbers",
            ));
        }
        J::String(_) => {
            return Err(bad(
                "a string is not a site value (use Data::from_json_keys to skip it)",
            ));
        }
        J::Null => return Err(bad("null is not a site value")),
        J::Object(_) => return Err(bad("a nested object is not a site value")),
    })
}

macro_rules! value_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<f64> {
            fn from(x: $t) -> Self {
                x.into_value()
            }
        }
    )*};
}

value_from!(
    f64,
    i64,
    bool,
    Vec<f64>,
    Vec<i64>,
    Vec<bool>,
    DVector<f64>,
    DMatrix<f64>
);
