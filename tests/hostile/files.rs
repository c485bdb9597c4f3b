//! Reading and writing files: data files, the ArviZ export and the CSV of draws.

use super::*;
use smallx::Error;
use smallx::infer::Samples;
use smallx::infer::arviz::{InferenceData, to_csv, write_csv};

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("smallx-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn with_nan() -> Samples {
    let mut s = Samples::new(1);
    for x in [1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        s.push(0, &[("x", &Value::from(x))]).unwrap();
    }
    s
}

#[test]
fn json_file_that_does_not_exist() {
    assert_err!(
        Data::from_json_file("/nonexistent/smallx/data.json"),
        Error::Data(_),
        "/nonexistent/smallx/data.json"
    );
}

#[test]
fn csv_file_that_does_not_exist() {
    assert_err!(
        Data::from_csv_file("/nonexistent/smallx/data.csv"),
        Error::Data(_),
        "/nonexistent/smallx/data.csv"
    );
}

#[test]
fn json_file_that_is_a_directory() {
    assert_err!(
        Data::from_json_file(std::env::temp_dir()),
        Error::Data(_),
        "cannot read"
    );
}

#[test]
fn json_file_that_is_not_utf8() {
    let path = scratch("latin1.json");
    std::fs::write(&path, b"{\"y\": 1, \"\xe9\": 2}").unwrap();
    assert_err!(Data::from_json_file(&path), Error::Data(_));
}

#[test]
fn arviz_write_into_a_missing_directory() {
    let s = samples(1, 4);
    assert_err!(
        InferenceData::new(&s).write("/nonexistent/smallx/out.json"),
        Error::Data(_),
        "/nonexistent/smallx/out.json"
    );
}

#[test]
fn arviz_write_onto_a_directory() {
    let s = samples(1, 4);
    assert_err!(
        InferenceData::new(&s).write(std::env::temp_dir()),
        Error::Data(_),
        "cannot write"
    );
}

#[test]
fn csv_write_into_a_missing_directory() {
    assert_err!(
        write_csv(&samples(1, 4), "/nonexistent/smallx/out.csv"),
        Error::Data(_),
        "/nonexistent/smallx/out.csv"
    );
}

#[test]
fn arviz_json_value_refuses_nan_draws_naming_the_site() {
    // A JSON value cannot hold NaN: building it is an error naming the site, the chain and
    // the draw, never a silent `null`.
    assert_err!(
        InferenceData::new(&with_nan()).to_json(),
        Error::InvalidSite { .. },
        "`x`",
        "chain 0",
        "draw 1",
        "NaN"
    );
}

#[test]
fn arviz_file_writes_nan_and_infinities_as_python_reads_them() {
    let path = scratch("nan.json");
    InferenceData::new(&with_nan()).write(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("null"), "{text}");
    assert!(text.contains("[[1.0,NaN,Infinity,-Infinity]]"), "{text}");
}

#[test]
fn arviz_dims_with_the_wrong_number_of_names() {
    let s = samples(1, 4);
    assert_err!(
        InferenceData::new(&s).dims("v", &["a", "b"]).to_json(),
        Error::Config { .. },
        "`v`",
        "2 name(s)"
    );
}

#[test]
fn arviz_dims_of_an_unknown_site() {
    let s = samples(1, 4);
    assert_err!(
        InferenceData::new(&s).dims("nope", &["a"]).to_json(),
        Error::Config { .. },
        "`nope`"
    );
}

#[test]
fn arviz_coords_with_the_wrong_number_of_labels() {
    let s = samples(1, 4);
    assert_err!(
        InferenceData::new(&s)
            .dims("v", &["k"])
            .coords("k", ["a", "b", "c"])
            .to_json(),
        Error::Config { .. },
        "`k`",
        "3 labels",
        "length 2"
    );
}

#[test]
fn arviz_coords_of_an_unnamed_dimension() {
    let s = samples(1, 4);
    assert_err!(
        InferenceData::new(&s).coords("k", ["a"]).to_json(),
        Error::Config { .. },
        "`k`"
    );
}

#[test]
fn csv_of_draws_quotes_a_site_name_with_a_comma() {
    let mut s = Samples::new(1);
    s.push(
        0,
        &[
            ("a,b", &Value::from(1.0)),
            ("say \"hi\"", &Value::from(2.0)),
        ],
    )
    .unwrap();
    let csv = to_csv(&s);
    assert_eq!(
        csv.lines().next().unwrap(),
        "chain,draw,\"a,b\",\"say \"\"hi\"\"\""
    );
    // And it reads back with the same names.
    let back = Data::from_csv(&csv).unwrap();
    assert_eq!(back.reals("a,b").unwrap(), [1.0]);
    assert_eq!(back.reals("say \"hi\"").unwrap(), [2.0]);
}

#[test]
fn csv_of_draws_writes_nan_as_nan() {
    let csv = to_csv(&with_nan());
    assert_eq!(csv, "chain,draw,x\n0,0,1\n0,1,NaN\n0,2,inf\n0,3,-inf\n");
}
