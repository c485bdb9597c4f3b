//! Data dictionaries: site name → value, for `condition`, `substitute` and `intervene`.

use crate::error::{Error, Result};
use crate::scalar::Real;
use crate::value::{IntoValue, Value, exact_f64};
use nalgebra::{DMatrix, DVector};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// A map from site name to value, in insertion order.
///
/// Build it in code with [`data!`](crate::data!) or [`Data::with`], or read it from JSON or
/// CSV. Nothing is changed silently on the way in: integer columns stay integers (and are
/// usable wherever reals are expected, see [`Value::real_values`] and [`Data::reals`]),
/// duplicate names are errors, and integers that no site type holds exactly are errors
/// rather than rounded numbers. [`Data::describe`] (or `{}`) says what each entry became.
///
/// ```
/// use smallx_core::{data, Data, Value};
/// let d = data! { "measurement" => 9.5, "counts" => vec![1_i64, 2, 3] };
/// assert_eq!(d.get("measurement"), Some(&Value::from(9.5)));
/// let j = Data::from_json(r#"{"y": [28, 8, -3], "sigma": 15.0}"#).unwrap();
/// assert_eq!(j.get("y").unwrap().kind().to_string(), "a vector of 3 integers");
/// assert_eq!(j.reals("y").unwrap(), [28.0, 8.0, -3.0]);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Data {
    entries: Vec<(String, Value<f64>)>,
    index: HashMap<String, usize>,
    /// What the infallible builders (`insert`, `with`, `data!`) could not store, reported by
    /// [`Data::check`] and by every handler given this data.
    problems: Vec<String>,
}

/// Build a [`Data`] dictionary: `data! { "x" => 1.0, "y" => vec![1.0, 2.0] }`.
///
/// Values are anything [`IntoValue`] accepts. A key given twice is a mistake, never "the last
/// one wins": when every key is a string literal, a repeated key is a compile error
///
/// ```compile_fail
/// let d = smallx_core::data! { "y" => 1.0, "x" => 2.0, "y" => 3.0 };
/// ```
///
/// and when keys are computed (`format!("z_{i}")`, variables), the first value is kept and
/// the repetition is recorded in the `Data`: [`Data::check`] reports it, and so does every
/// handler (`condition`, `substitute`, `intervene`) given the data, before the model runs. An
/// unsigned or 128-bit integer that neither `i64` nor `f64` holds exactly (such as
/// `u64::MAX`) is recorded the same way, never stored rounded or wrapped.
///
/// ```
/// use smallx_core::data;
/// let name = String::from("y");
/// let d = data! { name.clone() => 1.0, "y" => 2.0 };
/// let err = d.check().unwrap_err().to_string();
/// assert!(err.contains("`y` is given twice"), "{err}");
/// assert!(data! { "n" => u64::MAX }.check().is_err());
/// ```
///
/// [`Data::insert`] and [`Data::with`] keep the replacing semantics of a map;
/// [`Data::try_insert`] is the checked form that returns the error at once.
#[macro_export]
macro_rules! data {
    ($($name:literal => $value:expr),+ $(,)?) => {{
        $crate::__data_distinct_keys!($($name),+);
        let mut d = $crate::Data::new();
        $(d.__insert_new($name, $value);)+
        d
    }};
    ($($name:expr => $value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut d = $crate::Data::new();
        $(d.__insert_new($name, $value);)*
        d
    }};
}

/// Compile-time check of `data!`: no string literal key appears twice.
#[doc(hidden)]
#[macro_export]
macro_rules! __data_distinct_keys {
    () => {};
    ($first:literal $(, $rest:literal)*) => {
        $(
            const _: () = if $crate::data::__same_key($first, $rest) {
                ::core::panic!(
                    "{}",
                    ::core::concat!("data!: the key ", ::core::stringify!($first), " is given twice")
                )
            };
        )*
        $crate::__data_distinct_keys!($($rest),*);
    };
}

/// Whether two keys are equal, in a `const` context (for `data!`).
#[doc(hidden)]
pub const fn __same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Data {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set `name` to `value`, replacing an earlier value of `name` (like a map; use
    /// [`try_insert`](Data::try_insert) to refuse that).
    ///
    /// A value with no exact representation (an unsigned or 128-bit integer beyond `i64`
    /// that `f64` cannot hold exactly, see [`IntoValue::try_into_value`]) is not stored: the
    /// problem is recorded, and [`check`](Data::check) and every handler given this data
    /// report it.
    pub fn insert(&mut self, name: impl Into<String>, value: impl IntoValue<f64>) -> &mut Self {
        let name = name.into();
        match value.try_into_value() {
            Ok(value) => self.put(name, value),
            Err(detail) => self.problems.push(format!("`{name}`: {detail}")),
        }
        self
    }

    /// Set `name` to `value`, or say why not: `name` is already present, or the value has no
    /// exact representation.
    ///
    /// ```
    /// use smallx_core::Data;
    /// let mut d = Data::new();
    /// d.try_insert("y", 1.0).unwrap();
    /// assert!(d.try_insert("y", 2.0).is_err());
    /// assert!(d.try_insert("n", u64::MAX).is_err());
    /// assert!(d.try_insert("n", 1_u64 << 63).is_ok()); // 2^63 is an exact f64
    /// ```
    pub fn try_insert(
        &mut self,
        name: impl Into<String>,
        value: impl IntoValue<f64>,
    ) -> Result<&mut Self> {
        let name = name.into();
        if self.index.contains_key(&name) {
            return Err(Error::Data(format!(
                "`{name}` is already present (Data::insert replaces a value)"
            )));
        }
        let value = value
            .try_into_value()
            .map_err(|detail| Error::Data(format!("`{name}`: {detail}")))?;
        self.put(name, value);
        Ok(self)
    }

    /// Insertion for `data!`: a repeated name keeps the first value and records the problem.
    #[doc(hidden)]
    pub fn __insert_new(&mut self, name: impl Into<String>, value: impl IntoValue<f64>) {
        let name = name.into();
        if self.index.contains_key(&name) {
            self.problems
                .push(format!("data!: the key `{name}` is given twice"));
        } else {
            self.insert(name, value);
        }
    }

    fn put(&mut self, name: String, value: Value<f64>) {
        match self.index.get(&name) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.index.insert(name.clone(), self.entries.len());
                self.entries.push((name, value));
            }
        }
    }

    /// Builder form of [`insert`](Data::insert).
    pub fn with(mut self, name: impl Into<String>, value: impl IntoValue<f64>) -> Self {
        self.insert(name, value);
        self
    }

    /// `Ok` unless building this dictionary recorded a problem (a key given twice to
    /// [`data!`](crate::data!), an integer with no exact value); the error lists them.
    /// Handlers given the data call it before running the model.
    pub fn check(&self) -> Result<()> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Data(self.problems.join("; ")))
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value<f64>> {
        self.position(name).map(|i| &self.entries[i].1)
    }

    /// The numbers of `name` as reals: a real, a vector of reals, a matrix (column-major), or
    /// integers (converted exactly). An error names the entry when it is missing, holds
    /// booleans, or holds an integer beyond ±2^53 that `f64` cannot represent exactly.
    ///
    /// ```
    /// use smallx_core::Data;
    /// let d = Data::from_csv("y,x\n1,0.5\n2,1.5\n").unwrap();
    /// assert_eq!(d.reals("y").unwrap(), [1.0, 2.0]); // an integer column, as reals
    /// assert!(d.reals("z").unwrap_err().to_string().contains("y, x"));
    /// ```
    pub fn reals(&self, name: &str) -> Result<Vec<f64>> {
        let value = self.get(name).ok_or_else(|| self.unknown("reals", name))?;
        if let Some(i) = value.inexact_integer() {
            return Err(Error::Data(format!(
                "`{name}`: the integer {i} has no exact f64 value (beyond ±2^53), so `{name}` \
                 cannot be used as reals"
            )));
        }
        value.real_values().ok_or_else(|| {
            Error::Data(format!(
                "`{name}` is {}, not numbers usable as reals",
                value.kind()
            ))
        })
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

    /// A dictionary of the named entries only, in the order given. Use it to condition on
    /// some columns of a file that also holds covariates:
    ///
    /// ```
    /// use smallx_core::Data;
    /// let data = Data::from_csv("x,y\n0.5,1\n1.5,0\n").unwrap();
    /// let observed = data.select(&["y"]).unwrap(); // for condition(model, observed)
    /// assert_eq!(observed.names().collect::<Vec<_>>(), ["y"]);
    /// let x = data.reals("x").unwrap(); // the covariate, for the model's arguments
    /// assert_eq!(x, [0.5, 1.5]);
    /// let err = data.select(&["y", "z"]).unwrap_err().to_string();
    /// assert!(err.contains("no entry `z`") && err.contains("x, y"), "{err}");
    /// ```
    ///
    /// An unknown name, or a name given twice, is an error (listing the known names), as is
    /// a problem recorded while building this dictionary (see [`check`](Data::check)).
    pub fn select(&self, names: &[&str]) -> Result<Data> {
        self.check()?;
        let mut out = Data::new();
        for &name in names {
            let value = self.get(name).ok_or_else(|| self.unknown("select", name))?;
            if out.index.contains_key(name) {
                return Err(Error::Data(format!("select: `{name}` is named twice")));
            }
            out.put(name.to_string(), value.clone());
        }
        Ok(out)
    }

    /// A dictionary without the named entries (the others keep their order). An unknown
    /// name is an error listing the known ones, so that a misspelt covariate is not silently
    /// kept; so is a problem recorded while building this dictionary.
    ///
    /// ```
    /// use smallx_core::Data;
    /// let data = Data::from_csv("x,y\n0.5,1\n1.5,0\n").unwrap();
    /// assert_eq!(data.without(&["x"]).unwrap().names().collect::<Vec<_>>(), ["y"]);
    /// assert!(data.without(&["X"]).is_err());
    /// ```
    pub fn without(&self, names: &[&str]) -> Result<Data> {
        self.check()?;
        if let Some(name) = names.iter().find(|n| !self.index.contains_key(**n)) {
            return Err(self.unknown("without", name));
        }
        let mut out = Data::new();
        for (name, value) in self.iter().filter(|(n, _)| !names.contains(n)) {
            out.put(name.to_string(), value.clone());
        }
        Ok(out)
    }

    /// Take the entry `name` out (the others keep their order), returning its value, or
    /// `None` when there is no such entry.
    pub fn remove(&mut self, name: &str) -> Option<Value<f64>> {
        let i = self.index.remove(name)?;
        let (_, value) = self.entries.remove(i);
        for (n, _) in &self.entries[i..] {
            if let Some(j) = self.index.get_mut(n) {
                *j -= 1;
            }
        }
        Some(value)
    }

    fn unknown(&self, what: &str, name: &str) -> Error {
        let known = if self.is_empty() {
            "(none)".to_string()
        } else {
            self.names().collect::<Vec<_>>().join(", ")
        };
        Error::Data(format!(
            "{what}: no entry `{name}`; the entries are: {known}"
        ))
    }

    /// One line per entry saying what it holds, as [`ValueKind`] says it, and what else it is
    /// usable as (integers as reals, 0/1 integers as booleans), then any recorded problem:
    ///
    /// ```
    /// use smallx_core::Data;
    /// let d = Data::from_csv("y,x\n1,0.5\n0,1.5\n").unwrap();
    /// assert_eq!(
    ///     d.describe(),
    ///     "y: a vector of 2 integers (usable as reals, or as booleans)\nx: a vector of 2 reals"
    /// );
    /// ```
    ///
    /// `Display` (`{d}`) prints the same text.
    pub fn describe(&self) -> String {
        let mut lines: Vec<String> = self
            .iter()
            .map(|(name, value)| {
                let usable = match value {
                    Value::Int(_) | Value::IntVec(_) => match value.inexact_integer() {
                        Some(i) => format!(" (not usable as reals: {i} has no exact f64 value)"),
                        None => {
                            let plural = matches!(value, Value::IntVec(_));
                            let binary = match value {
                                Value::Int(i) => *i == 0 || *i == 1,
                                Value::IntVec(v) => {
                                    !v.is_empty() && v.iter().all(|&i| i == 0 || i == 1)
                                }
                                _ => false,
                            };
                            format!(
                                " (usable as {}{})",
                                if plural { "reals" } else { "a real" },
                                match (binary, plural) {
                                    (false, _) => "",
                                    (true, true) => ", or as booleans",
                                    (true, false) => ", or as a boolean",
                                }
                            )
                        }
                    },
                    _ => String::new(),
                };
                format!("{name}: {}{usable}", value.kind())
            })
            .collect();
        if self.is_empty() {
            lines.push("(no entries)".into());
        }
        lines.extend(self.problems.iter().map(|p| format!("problem: {p}")));
        lines.join("\n")
    }

    /// Read a JSON object whose every field is a number, a boolean, an array of numbers or
    /// booleans, or an array of equally long arrays of numbers (a matrix, by rows). Entries
    /// keep the order of the file.
    ///
    /// Integers stay integers (usable as reals wherever a real is expected); an integer
    /// beyond `i64` becomes a real only when `f64` holds it exactly, and is otherwise an
    /// error, as is an integer among reals that `f64` cannot hold exactly. A key that appears
    /// twice is an error (JSON parsers commonly keep the last one silently).
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
        // serde_json keeps the last of repeated keys and sorts the rest: read the top-level
        // keys (with the text of their values) from the text itself.
        let fields = json::top_level_fields(text)?;
        for (i, (k, at, _)) in fields.iter().enumerate() {
            if let Some((_, first, _)) = fields[..i].iter().find(|(k2, _, _)| k2 == k) {
                return Err(Error::Data(format!(
                    "the JSON key `{k}` appears twice (lines {} and {}); keys must be distinct",
                    json::line_of(text, *first),
                    json::line_of(text, *at)
                )));
            }
        }
        let mut data = Data::new();
        let mut add = |k: &str, raw: &str| -> Result<()> {
            let v = &map[k];
            json::check_integer_literals(k, raw)?;
            data.put(k.to_string(), json_value(k, v)?);
            Ok(())
        };
        match keys {
            Some(keys) => {
                for &k in keys {
                    let Some((_, _, raw)) = fields.iter().find(|(k2, _, _)| k2 == k) else {
                        return Err(Error::Data(format!(
                            "no field `{k}` in the JSON; its fields are: {}",
                            fields
                                .iter()
                                .map(|(k, _, _)| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    };
                    add(k, raw)?;
                }
            }
            None => {
                for (k, _, raw) in &fields {
                    add(k, raw)?;
                }
            }
        }
        Ok(data)
    }

    /// Read CSV text with a header row: each column becomes a vector named by its header,
    /// of integers if every field is an integer (usable as reals wherever a real is
    /// expected), else of reals.
    ///
    /// The text follows RFC 4180: a field in double quotes may hold commas, line breaks and
    /// doubled quotes (`""` for `"`), and a quoted header loses its quotes. Unquoted fields
    /// are trimmed of surrounding spaces. A UTF-8 byte-order mark at the start is dropped, and
    /// blank lines at the end are ignored. Errors name the line (and column): a blank line
    /// before the end, a row with more or fewer fields than the header, an empty or repeated
    /// header, an empty field (missing values are not supported), a field that is not a
    /// finite number, an integer beyond `i64`, and an integer in a column of reals that
    /// `f64` cannot hold exactly.
    ///
    /// ```
    /// use smallx_core::Data;
    /// let d = Data::from_csv("\u{feff}\"height, cm\",\"n\"\n170.5,3\n\"181\",4\n\n").unwrap();
    /// assert_eq!(d.reals("height, cm").unwrap(), [170.5, 181.0]);
    /// assert_eq!(d.describe(), "height, cm: a vector of 2 reals\nn: a vector of 2 integers (usable as reals)");
    /// let err = Data::from_csv("y\n1\nabc\n").unwrap_err().to_string();
    /// assert!(err.contains("column `y`, line 3"), "{err}");
    /// ```
    pub fn from_csv(text: &str) -> Result<Self> {
        let mut records = csv::records(text)?.into_iter();
        let header = records
            .next()
            .ok_or_else(|| Error::Data("the CSV is empty".into()))?;
        let names: Vec<String> = header.fields.into_iter().collect();
        for (c, name) in names.iter().enumerate() {
            if name.is_empty() {
                return Err(Error::Data(format!(
                    "CSV line {}: column {} has an empty header",
                    header.line,
                    c + 1
                )));
            }
            if let Some(first) = names[..c].iter().position(|n| n == name) {
                return Err(Error::Data(format!(
                    "CSV line {}: the header `{name}` appears twice (columns {} and {})",
                    header.line,
                    first + 1,
                    c + 1
                )));
            }
        }
        let mut columns: Vec<Vec<(String, usize)>> = vec![Vec::new(); names.len()];
        for record in records {
            if record.fields.len() != names.len() {
                return Err(Error::Data(format!(
                    "CSV line {} has {} fields, the header (line {}) has {}",
                    record.line,
                    record.fields.len(),
                    header.line,
                    names.len()
                )));
            }
            for (c, field) in record.fields.into_iter().enumerate() {
                columns[c].push((field, record.line));
            }
        }
        let mut data = Data::new();
        for (name, cells) in names.into_iter().zip(columns) {
            let value = csv::column(&name, &cells)?;
            data.put(name, value);
        }
        Ok(data)
    }

    /// Read a CSV file; see [`from_csv`](Data::from_csv).
    pub fn from_csv_file(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_csv(&read(path.as_ref())?)
    }
}

impl fmt::Display for Data {
    /// The text of [`Data::describe`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::Data(format!("cannot read {}: {e}", path.display())))
}

/// Whether `text` is written as an integer: an optional sign and digits.
fn integer_shaped(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The `f64` an integer written in decimal (`integer_shaped`) denotes, when `f64` holds it
/// exactly.
fn exact_decimal_integer(text: &str) -> Option<f64> {
    let x: f64 = text.parse().ok()?;
    let digits = text.trim_start_matches(['+', '-']).trim_start_matches('0');
    if digits.is_empty() {
        return Some(0.0);
    }
    (x.is_finite() && integral_digits(x.abs()) == digits).then_some(x)
}

/// The decimal digits of a non-negative integral `f64`, in full.
fn integral_digits(x: f64) -> String {
    if x < 2f64.powi(64) {
        return (x as u64).to_string();
    }
    // x = m 2^e with a 53-bit m and e > 0: double m e times in base 10^9.
    let bits = x.to_bits();
    let m = (bits & ((1 << 52) - 1)) | (1 << 52);
    let e = ((bits >> 52) & 0x7ff) as i32 - 1075;
    const BASE: u64 = 1_000_000_000;
    let mut limbs = vec![m % BASE, (m / BASE) % BASE, m / (BASE * BASE)];
    for _ in 0..e {
        let mut carry = 0;
        for limb in &mut limbs {
            let v = *limb * 2 + carry;
            *limb = v % BASE;
            carry = v / BASE;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut out = limbs.last().map_or(String::new(), u64::to_string);
    for limb in limbs.iter().rev().skip(1) {
        out.push_str(&format!("{limb:09}"));
    }
    out
}

/// Parsing CSV text (RFC 4180) and typing its columns.
mod csv {
    use super::{exact_decimal_integer, integer_shaped};
    use crate::error::{Error, Result};
    use crate::scalar::Real;
    use crate::value::{Value, exact_f64};
    use nalgebra::DVector;

    /// One row: the line it starts on (1-based) and its fields.
    pub(super) struct Record {
        pub line: usize,
        pub fields: Vec<String>,
    }

    /// The records of `text`, with trailing blank lines dropped; an error for a blank line
    /// before the end or a malformed quoted field.
    pub(super) fn records(text: &str) -> Result<Vec<Record>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut out: Vec<(Record, bool)> = Vec::new(); // (record, blank)
        let mut chars = text.chars().peekable();
        let mut line = 1;
        while chars.peek().is_some() {
            let start = line;
            let mut fields = Vec::new();
            let mut blank = true;
            loop {
                // One field: skip leading spaces, then quoted or unquoted.
                while matches!(chars.peek(), Some(' ' | '\t')) {
                    chars.next();
                }
                let mut field = String::new();
                if chars.peek() == Some(&'"') {
                    blank = false;
                    chars.next();
                    loop {
                        match chars.next() {
                            None => {
                                return Err(Error::Data(format!(
                                    "CSV line {start}, column {}: a quoted field is not closed",
                                    fields.len() + 1
                                )));
                            }
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                field.push('"');
                            }
                            Some('"') => break,
                            Some(c) => {
                                if c == '\n' {
                                    line += 1;
                                }
                                field.push(c);
                            }
                        }
                    }
                    while matches!(chars.peek(), Some(' ' | '\t')) {
                        chars.next();
                    }
                    if !matches!(chars.peek(), None | Some(',' | '\n' | '\r')) {
                        return Err(Error::Data(format!(
                            "CSV line {line}, column {}: text after the closing quote of a \
                             quoted field (a quote inside a quoted field is written \"\")",
                            fields.len() + 1
                        )));
                    }
                } else {
                    while let Some(&c) = chars.peek() {
                        if matches!(c, ',' | '\n' | '\r') {
                            break;
                        }
                        if c == '"' {
                            return Err(Error::Data(format!(
                                "CSV line {line}, column {}: a quote inside an unquoted field \
                                 (quote the whole field, writing the quote as \"\")",
                                fields.len() + 1
                            )));
                        }
                        field.push(c);
                        chars.next();
                    }
                    let trimmed = field.trim_end();
                    if !trimmed.is_empty() {
                        blank = false;
                    }
                    field.truncate(trimmed.len());
                }
                fields.push(field);
                match chars.next() {
                    Some(',') => blank = false,
                    Some('\r') => {
                        if chars.peek() == Some(&'\n') {
                            chars.next();
                        }
                        line += 1;
                        break;
                    }
                    Some('\n') => {
                        line += 1;
                        break;
                    }
                    _ => break,
                }
            }
            out.push((
                Record {
                    line: start,
                    fields,
                },
                blank,
            ));
        }
        while out.last().is_some_and(|(_, blank)| *blank) {
            out.pop();
        }
        if let Some((r, _)) = out.iter().find(|(_, blank)| *blank) {
            return Err(Error::Data(format!(
                "CSV line {} is blank; only blank lines at the end are ignored (a missing value \
                 is not supported: remove the line)",
                r.line
            )));
        }
        Ok(out.into_iter().map(|(r, _)| r).collect())
    }

    /// The vector a column becomes: integers if every field is an `i64`, else reals.
    pub(super) fn column(name: &str, cells: &[(String, usize)]) -> Result<Value<f64>> {
        if let Ok(ints) = cells
            .iter()
            .map(|(c, _)| c.parse::<i64>())
            .collect::<std::result::Result<Vec<_>, _>>()
        {
            return Ok(Value::IntVec(ints));
        }
        let bad = |line: usize, what: String| {
            Error::Data(format!("CSV column `{name}`, line {line}: {what}"))
        };
        let mut reals = Vec::with_capacity(cells.len());
        for (cell, line) in cells {
            let line = *line;
            let x = if cell.is_empty() {
                return Err(bad(
                    line,
                    "the field is empty (missing values are not supported)".into(),
                ));
            } else if integer_shaped(cell) {
                match cell.parse::<i64>() {
                    Ok(i) => exact_f64(i),
                    Err(_) => exact_decimal_integer(cell),
                }
                .ok_or_else(|| {
                    bad(
                        line,
                        format!(
                            "the integer {cell} is beyond ±2^53 in a column of reals, and f64 \
                             cannot hold it exactly"
                        ),
                    )
                })?
            } else {
                let x: f64 = cell
                    .parse()
                    .map_err(|_| bad(line, format!("`{cell}` is not a number")))?;
                if !x.is_finite() {
                    return Err(bad(line, format!("`{cell}` is not a finite number")));
                }
                x
            };
            reals.push(Real(x));
        }
        Ok(Value::RealVec(DVector::from_vec(reals)))
    }
}

/// Reading the top level of a JSON object from its text (the parse itself is serde_json's).
mod json {
    use super::{exact_decimal_integer, integer_shaped};
    use crate::error::{Error, Result};

    /// The line (1-based) of byte offset `at`.
    pub(super) fn line_of(text: &str, at: usize) -> usize {
        text[..at].bytes().filter(|&b| b == b'\n').count() + 1
    }

    /// The end (exclusive) of the JSON string starting at `start` (a `"`).
    fn string_end(bytes: &[u8], start: usize) -> usize {
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        bytes.len()
    }

    /// The top-level fields of a JSON object, in order: the key, the byte offset of the key,
    /// and the text of the value. `text` must be valid JSON whose top level is an object.
    pub(super) fn top_level_fields(text: &str) -> Result<Vec<(String, usize, &str)>> {
        let bytes = text.as_bytes();
        let mut fields = Vec::new();
        let mut i = text
            .find('{')
            .ok_or_else(|| Error::Data("the JSON must be an object".into()))?
            + 1;
        let skip_ws = |mut i: usize| {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            i
        };
        loop {
            i = skip_ws(i);
            if i >= bytes.len() || bytes[i] == b'}' {
                break;
            }
            if bytes[i] == b',' {
                i += 1;
                continue;
            }
            // A key, a colon, a value up to the next comma or brace at this depth.
            let key_start = i;
            let key_end = string_end(bytes, i);
            let key: String = serde_json::from_str(&text[key_start..key_end])
                .map_err(|e| Error::Data(format!("invalid JSON key: {e}")))?;
            i = skip_ws(key_end) + 1; // past ':'
            let value_start = skip_ws(i);
            let mut depth = 0usize;
            i = value_start;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i = string_end(bytes, i);
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' if depth > 0 => depth -= 1,
                    b',' | b'}' if depth == 0 => break,
                    _ => {}
                }
                i += 1;
            }
            fields.push((key, key_start, text[value_start..i].trim_end()));
        }
        Ok(fields)
    }

    /// An error for an integer literal in `raw` (outside strings) beyond `i64` that `f64`
    /// cannot hold exactly: serde_json would hand it over rounded.
    pub(super) fn check_integer_literals(key: &str, raw: &str) -> Result<()> {
        let bytes = raw.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'"' {
                i = string_end(bytes, i);
                continue;
            }
            if bytes[i] == b'-' || bytes[i].is_ascii_digit() {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let token = &raw[start..i];
                if integer_shaped(token)
                    && token.parse::<i64>().is_err()
                    && exact_decimal_integer(token).is_none()
                {
                    return Err(Error::Data(format!(
                        "field `{key}`: the integer {token} is beyond the range of i64 (a site's \
                         integer type), and f64 cannot hold it exactly either"
                    )));
                }
                continue;
            }
            i += 1;
        }
        Ok(())
    }
}

/// A JSON number as a site value's number: an integer if it is an `i64`, else a real when
/// exact (for integers) or as written (for numbers with a fraction or exponent).
fn json_number(key: &str, n: &serde_json::Number) -> Result<Value<f64>> {
    if let Some(i) = n.as_i64() {
        return Ok(Value::Int(i));
    }
    if let Some(u) = n.as_u64() {
        return IntoValue::<f64>::try_into_value(u)
            .map_err(|detail| Error::Data(format!("field `{key}`: {detail}")));
    }
    n.as_f64()
        .map(|x| Value::Real(Real(x)))
        .ok_or_else(|| Error::Data(format!("field `{key}`: number out of range")))
}

/// A JSON number where a real is expected (in an array of reals or a matrix): exact.
fn json_real(key: &str, n: &serde_json::Number) -> Result<f64> {
    match json_number(key, n)? {
        Value::Int(i) => exact_f64(i).ok_or_else(|| {
            Error::Data(format!(
                "field `{key}`: the integer {i} is beyond ±2^53 among reals, and f64 cannot \
                 hold it exactly"
            ))
        }),
        Value::Real(x) => Ok(x.0),
        _ => unreachable!("json_number gives integers or reals"),
    }
}

fn json_value(key: &str, v: &serde_json::Value) -> Result<Value<f64>> {
    use serde_json::Value as J;
    let bad = |what: &str| Error::Data(format!("field `{key}`: {what}"));
    let real = |x: &J| match x {
        J::Number(n) => json_real(key, n),
        _ => Err(bad(
            "a matrix needs rows of equal length holding only numbers",
        )),
    };
    Ok(match v {
        J::Number(n) => json_number(key, n)?,
        J::Bool(b) => Value::Bool(*b),
        J::Array(items) if items.iter().all(|x| x.is_boolean()) && !items.is_empty() => {
            Value::BoolVec(items.iter().filter_map(J::as_bool).collect())
        }
        J::Array(items) if items.iter().all(|x| x.is_i64()) && !items.is_empty() => {
            Value::IntVec(items.iter().filter_map(J::as_i64).collect())
        }
        J::Array(items) if items.iter().all(J::is_number) => Value::RealVec(DVector::from_vec(
            items
                .iter()
                .map(|x| real(x).map(Real))
                .collect::<Result<Vec<_>>>()?,
        )),
        J::Array(rows) if rows.iter().all(J::is_array) => {
            let rows: Vec<&Vec<J>> = rows.iter().filter_map(J::as_array).collect();
            let ncols = rows[0].len();
            if rows.iter().any(|r| r.len() != ncols) {
                return Err(bad(
                    "a matrix needs rows of equal length holding only numbers",
                ));
            }
            let mut m = DMatrix::zeros(rows.len(), ncols);
            for (i, row) in rows.iter().enumerate() {
                for (j, x) in row.iter().enumerate() {
                    m[(i, j)] = Real(real(x)?);
                }
            }
            Value::Matrix(m)
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
