//! Data given through `data!`, `Data`, JSON and CSV.

use super::*;
use smallx::Error;

#[test]
fn data_macro_runtime_key_given_twice_is_reported_by_the_handler() {
    let name = String::from("y");
    let d = data! { name.clone() => 1.0, name => 2.0 };
    assert_err!(d.check(), Error::Data(_), "`y`", "twice");
    let mut rng = SmallRng::seed_from_u64(0);
    assert_err!(
        get_trace(&condition(weigh, d), &(0.0,), &mut rng),
        Error::Data(_),
        "`y`",
        "twice"
    );
}

#[test]
fn data_macro_u64_max_is_not_stored_as_minus_one() {
    let d = data! { "k" => u64::MAX };
    assert!(d.get("k").is_none());
    assert_err!(d.check(), Error::Data(_), "`k`", "18446744073709551615");
}

#[test]
fn data_macro_u64_that_f64_holds_exactly_is_kept() {
    let d = data! { "k" => 1_u64 << 63 };
    assert!(d.check().is_ok());
    assert!(d.get("k").is_some());
}

#[test]
fn try_insert_refuses_a_repeated_name() {
    let mut d = Data::new();
    d.try_insert("y", 1.0).unwrap();
    assert_err!(
        d.try_insert("y", 2.0),
        Error::Data(_),
        "`y`",
        "already present"
    );
}

#[test]
fn try_insert_refuses_an_inexact_integer() {
    assert_err!(Data::new().try_insert("n", u64::MAX), Error::Data(_), "`n`");
}

#[test]
fn json_key_given_twice() {
    assert_err!(
        Data::from_json("{\"y\": 1,\n \"y\": 2}"),
        Error::Data(_),
        "`y`",
        "twice"
    );
}

#[test]
fn json_not_an_object() {
    assert_err!(Data::from_json("[1, 2, 3]"), Error::Data(_), "object");
}

#[test]
fn json_syntax_error() {
    assert_err!(
        Data::from_json("{\"y\": [1, 2"),
        Error::Data(_),
        "invalid JSON"
    );
}

#[test]
fn json_string_value() {
    assert_err!(Data::from_json("{\"y\": \"seven\"}"), Error::Data(_), "y");
}

#[test]
fn json_ragged_matrix() {
    assert_err!(
        Data::from_json("{\"x\": [[1, 2], [3]]}"),
        Error::Data(_),
        "x"
    );
}

#[test]
fn json_integer_beyond_f64_precision() {
    assert_err!(
        Data::from_json("{\"n\": 18446744073709551615}"),
        Error::Data(_),
        "n"
    );
}

#[test]
fn json_missing_requested_key() {
    assert_err!(
        Data::from_json_keys("{\"a\": 1}", &["b"]),
        Error::Data(_),
        "`b`",
        "a"
    );
}

#[test]
fn csv_empty() {
    assert_err!(Data::from_csv(""), Error::Data(_), "empty");
}

#[test]
fn csv_header_given_twice() {
    assert_err!(Data::from_csv("y,y\n1,2\n"), Error::Data(_), "`y`", "twice");
}

#[test]
fn csv_byte_order_mark_is_not_part_of_the_first_name() {
    let d = Data::from_csv("\u{feff}y,x\n1,2\n").unwrap();
    assert!(d.get("y").is_some(), "{}", d.describe());
}

#[test]
fn csv_ragged_row() {
    assert_err!(
        Data::from_csv("a,b\n1,2\n3\n"),
        Error::Data(_),
        "line 3",
        "1 fields"
    );
}

#[test]
fn csv_non_numeric_field() {
    assert_err!(
        Data::from_csv("y\n1\nabc\n"),
        Error::Data(_),
        "`y`",
        "line 3"
    );
}

#[test]
fn csv_empty_field() {
    assert_err!(Data::from_csv("a,b\n1,\n"), Error::Data(_), "line 2");
}

#[test]
fn csv_empty_header() {
    assert_err!(Data::from_csv("a,\n1,2\n"), Error::Data(_), "empty header");
}

#[test]
fn csv_quoted_header_with_comma_is_one_column() {
    let d = Data::from_csv("\"a,b\",c\n1,2\n").unwrap();
    assert_eq!(d.reals("a,b").unwrap(), [1.0]);
}

#[test]
fn csv_nan_field_is_refused() {
    assert_err!(Data::from_csv("y\nNaN\n"), Error::Data(_), "`y`");
}

#[test]
fn conditioning_a_real_site_with_a_vector_is_a_wrong_value() {
    let mut rng = SmallRng::seed_from_u64(0);
    assert_err!(
        get_trace(
            &condition(weigh, data! { "w" => vec![1.0, 2.0] }),
            &(0.0,),
            &mut rng
        ),
        Error::WrongValue { .. },
        "`w`",
        "Normal"
    );
}
