//! Data dictionaries never silently change what the user gave: column selection, integers
//! usable as reals (exactly, or an error), RFC 4180 CSV, duplicate keys rejected everywhere,
//! unsigned integers checked, a description of what a file became, and the prelude's
//! `RngExt`.

use smallx::prelude::*;
use smallx::{Error, IntoValue, Value};

/// A straight line through covariates `x`, observed at `y`.
#[model]
fn line(x: &[f64]) {
    let a = sample!("a", Normal::new(0.0, 10.0));
    let b = sample!("b", Normal::new(0.0, 10.0));
    sample!(
        "y",
        Batch::new(x.iter().map(|&xi| Normal::new(a + b * xi, 1.0)))
    );
}

/// One count, observed as a `u64`.
#[model]
fn count(k: u64) {
    observe!("k", Poisson::new(3.0), k);
}

fn rng() -> SmallRng {
    SmallRng::seed_from_u64(7)
}

/// The message of an `Error::Data`, failing the test for any other outcome.
fn data_error<T: std::fmt::Debug>(r: smallx::Result<T>) -> String {
    match r {
        Err(e @ Error::Data(_)) => e.to_string(),
        other => panic!("expected Error::Data, got {other:?}"),
    }
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "`{p}` missing from: {msg}");
    }
}

// 1. Selecting and removing columns.

#[test]
fn select_conditions_on_some_columns_and_the_covariate_is_read_apart() {
    let data = Data::from_csv("x,y\n0.5,1\n1.5,2\n2.5,2\n").unwrap();
    // The whole file names a site the model does not have.
    let x = data.reals("x").unwrap();
    assert_eq!(x, [0.5, 1.5, 2.5]);
    let err = get_trace(&condition(line, data.clone()), &(&x[..],), &mut rng()).unwrap_err();
    assert!(
        matches!(err, Error::UnknownSite { ref name, .. } if name == "x"),
        "{err}"
    );
    // Selecting the observed column works, and the integer column conditions a real site.
    let observed = data.select(&["y"]).unwrap();
    assert_eq!(observed.names().collect::<Vec<_>>(), ["y"]);
    let t = get_trace(&condition(line, observed), &(&x[..],), &mut rng()).unwrap();
    let y = t.get("y").unwrap();
    assert!(y.is_observed);
    assert_eq!(y.value.real_values().unwrap(), [1.0, 2.0, 2.0]);
    // `without` and `remove` give the same dictionary.
    assert_eq!(data.without(&["x"]).unwrap(), data.select(&["y"]).unwrap());
    let mut d = data.clone();
    assert_eq!(
        d.remove("x"),
        Some(Value::RealVec(DVector::from_vec(vec![
            Real(0.5),
            Real(1.5),
            Real(2.5)
        ])))
    );
    assert_eq!(d, data.select(&["y"]).unwrap());
    assert_eq!(d.remove("x"), None);
}

#[test]
fn selection_order_and_unknown_names() {
    let data = smallx::data! { "a" => 1.0, "b" => 2.0, "c" => 3.0 };
    let s = data.select(&["c", "a"]).unwrap();
    assert_eq!(s.names().collect::<Vec<_>>(), ["c", "a"]);
    assert_eq!(s.position("a"), Some(1));
    let msg = data_error(data.select(&["a", "z"]));
    assert_mentions(&msg, &["select", "no entry `z`", "a, b, c"]);
    let msg = data_error(data.select(&["a", "a"]));
    assert_mentions(&msg, &["`a` is named twice"]);
    let msg = data_error(data.without(&["B"]));
    assert_mentions(&msg, &["without", "no entry `B`", "a, b, c"]);
    // Removing from the middle keeps the positions of the rest right.
    let mut d = data.clone();
    assert_eq!(d.remove("b"), Some(Value::Real(Real(2.0))));
    assert_eq!(d.position("c"), Some(1));
    assert_eq!(d.get("c"), Some(&Value::Real(Real(3.0))));
    assert_eq!(d.entry(1).0, "c");
    d.insert("b", 4.0);
    assert_eq!(d.names().collect::<Vec<_>>(), ["a", "c", "b"]);
}

// 2. Integers usable as reals, exactly.

#[test]
fn integer_values_are_reals_when_exact() {
    assert_eq!(Value::<f64>::Int(3).real_values(), Some(vec![3.0]));
    assert_eq!(
        Value::<f64>::IntVec(vec![-2, 0, 1 << 53]).real_values(),
        Some(vec![-2.0, 0.0, 9007199254740992.0])
    );
    // 2^53 + 1 is the first integer f64 cannot hold; 2^62 it can.
    assert_eq!(Value::<f64>::Int((1 << 53) + 1).real_values(), None);
    assert_eq!(
        Value::<f64>::Int(1 << 62).real_values(),
        Some(vec![2f64.powi(62)])
    );
    assert_eq!(Value::<f64>::Int(i64::MAX).real_values(), None);
    assert_eq!(
        Value::<f64>::Int(i64::MIN).real_values(),
        Some(vec![-(2f64.powi(63))])
    );
    assert_eq!(Value::<f64>::BoolVec(vec![true]).real_values(), None);
    // JSON integers too.
    let d = Data::from_json(r#"{"y": [1, 2, 3], "n": 4}"#).unwrap();
    assert_eq!(d.get("y"), Some(&Value::IntVec(vec![1, 2, 3])));
    assert_eq!(d.reals("y").unwrap(), [1.0, 2.0, 3.0]);
    assert_eq!(d.reals("n").unwrap(), [4.0]);
}

#[test]
fn an_integer_with_no_exact_real_is_an_error_naming_the_column() {
    let big = (1_i64 << 53) + 1;
    let d = smallx::data! { "y" => vec![1_i64, big, 2], "flag" => true };
    let msg = data_error(d.reals("y"));
    assert_mentions(&msg, &["`y`", "9007199254740993", "no exact f64 value"]);
    let msg = data_error(d.reals("flag"));
    assert_mentions(
        &msg,
        &["`flag`", "a boolean", "not numbers usable as reals"],
    );
    let msg = data_error(d.reals("nope"));
    assert_mentions(&msg, &["no entry `nope`", "y, flag"]);
    // At a real site: an error naming the site and the integer, not a rounded observation.
    let x = [0.0, 1.0, 2.0];
    let err = get_trace(
        &condition(line, d.select(&["y"]).unwrap()),
        &(&x[..],),
        &mut rng(),
    )
    .unwrap_err();
    match &err {
        Error::InvalidSite { site, detail } => {
            assert_eq!(site, "y");
            assert_mentions(
                detail,
                &["a vector of 3 reals", "9007199254740993", "no exact f64"],
            );
        }
        other => panic!("expected InvalidSite, got {other:?}"),
    }
    // Exact integers condition the site.
    let d = smallx::data! { "y" => vec![1_i64, 1 << 53, 2] };
    let t = get_trace(&condition(line, d), &(&x[..],), &mut rng()).unwrap();
    assert_eq!(
        t.value("y").unwrap().real_values().unwrap()[1],
        2f64.powi(53)
    );
}

#[test]
fn integers_beyond_exact_reals_in_files_are_errors() {
    // JSON: beyond i64, kept only when exact as a real.
    let d = Data::from_json(r#"{"n": 9223372036854775808, "m": 18446744073709551616}"#).unwrap();
    assert_eq!(d.get("n"), Some(&Value::Real(Real(2f64.powi(63)))));
    assert_eq!(d.get("m"), Some(&Value::Real(Real(2f64.powi(64)))));
    // 2^200 exactly, then 2^200 + 1.
    let two_200 = "1606938044258990275541962092341162602522202993782792835301376";
    let d = Data::from_json(&format!(r#"{{"n": {two_200}}}"#)).unwrap();
    assert_eq!(d.get("n"), Some(&Value::Real(Real(2f64.powi(200)))));
    let msg = data_error(Data::from_json(&format!(
        r#"{{"n": {}7}}"#,
        &two_200[..two_200.len() - 1]
    )));
    assert_mentions(&msg, &["`n`", "cannot hold it exactly"]);
    let msg = data_error(Data::from_json(r#"{"n": 18446744073709551615}"#));
    assert_mentions(
        &msg,
        &["`n`", "18446744073709551615", "cannot hold it exactly"],
    );
    let msg = data_error(Data::from_json(
        r#"{"ok": 1, "n": [1, 123456789012345678901234567890]}"#,
    ));
    assert_mentions(&msg, &["`n`", "123456789012345678901234567890"]);
    let msg = data_error(Data::from_json(r#"{"y": [0.5, 9007199254740993]}"#));
    assert_mentions(&msg, &["`y`", "9007199254740993", "among reals"]);
    let msg = data_error(Data::from_json(
        r#"{"m": [[0.5, 1], [2, 9007199254740993]]}"#,
    ));
    assert_mentions(&msg, &["`m`", "9007199254740993"]);
    // Strings holding digits are not numbers, and are skipped by from_json_keys.
    let d = Data::from_json_keys(r#"{"id": "99999999999999999999999", "y": 1}"#, &["y"]).unwrap();
    assert_eq!(d.len(), 1);
    // CSV: an integer among reals, and an integer beyond i64.
    let msg = data_error(Data::from_csv("a,y\n1,0.5\n2,9007199254740993\n"));
    assert_mentions(&msg, &["column `y`", "line 3", "9007199254740993"]);
    let msg = data_error(Data::from_csv("y\n1\n99999999999999999999\n"));
    assert_mentions(&msg, &["column `y`", "line 3", "99999999999999999999"]);
    let d = Data::from_csv("y\n1\n18446744073709551616\n").unwrap();
    assert_eq!(d.reals("y").unwrap(), [1.0, 2f64.powi(64)]);
}

// 3. CSV headers and fields.

#[test]
fn csv_follows_rfc_4180() {
    let text = "\u{feff}\"height, cm\",\"say \"\"hi\"\"\", plain \r\n\
                \"170.5\", 3 ,\"1\"\r\n\
                181,4,0\r\n\
                \r\n   \n";
    let d = Data::from_csv(text).unwrap();
    assert_eq!(
        d.names().collect::<Vec<_>>(),
        ["height, cm", "say \"hi\"", "plain"]
    );
    assert_eq!(d.reals("height, cm").unwrap(), [170.5, 181.0]);
    assert_eq!(d.get("say \"hi\""), Some(&Value::IntVec(vec![3, 4])));
    assert_eq!(d.get("plain"), Some(&Value::IntVec(vec![1, 0])));
    // A quoted field may span lines; errors then name the line the row starts on.
    let d = Data::from_csv("\"two\nlines\",y\n1,2\n3,x\n")
        .unwrap_err()
        .to_string();
    assert_mentions(&d, &["column `y`", "line 4", "`x` is not a number"]);
    // A header with no rows gives empty columns.
    let d = Data::from_csv("a,b\n").unwrap();
    assert_eq!(d.get("a"), Some(&Value::IntVec(vec![])));
}

#[test]
fn malformed_csv_is_an_error_naming_the_line_and_column() {
    let cases: &[(&str, &[&str])] = &[
        ("", &["the CSV is empty"]),
        ("\n\n", &["the CSV is empty"]),
        (
            "a,b\n1,2\n3\n",
            &["line 3 has 1 fields", "the header (line 1) has 2"],
        ),
        ("a,b\n1,2,3\n", &["line 2 has 3 fields"]),
        ("a,,c\n1,2,3\n", &["line 1", "column 2 has an empty header"]),
        ("a,\"\"\n1,2\n", &["column 2 has an empty header"]),
        (
            "y,x,\"y\"\n1,2,3\n",
            &["line 1", "the header `y` appears twice", "columns 1 and 3"],
        ),
        ("a,b\n1,2\n\n3,4\n", &["line 3 is blank"]),
        (
            "a\n1\n2.5\nabc\n",
            &["column `a`", "line 4", "`abc` is not a number"],
        ),
        ("a,b\n1,\n2,3\n", &["column `b`", "line 2", "empty"]),
        (
            "a\n1.5\nNaN\n",
            &["column `a`", "line 3", "not a finite number"],
        ),
        (
            "a\n1.5\ninf\n",
            &["column `a`", "line 3", "not a finite number"],
        ),
        ("a,b\n1,\"2\n", &["line 2", "column 2", "not closed"]),
        (
            "a,b\n1,\"2\"x\n",
            &["line 2", "column 2", "after the closing quote"],
        ),
        (
            "a,b\n1,2\"\n",
            &["line 2", "column 2", "quote inside an unquoted field"],
        ),
    ];
    for (text, parts) in cases {
        let msg = data_error(Data::from_csv(text));
        assert_mentions(&msg, parts);
    }
}

// 4. Duplicate keys.

#[test]
fn data_macro_rejects_repeated_computed_keys() {
    // Repeated literal keys are a compile error (see the `data!` doctest).
    let name = "y".to_string();
    let d = smallx::data! { name.clone() => 1.0, "x" => 0.0, format!("{name}") => 2.0 };
    // A literal key then computed ones: the runtime check still applies.
    let mixed = smallx::data! { "y" => 0.0, name.as_str() => 1.0 };
    assert_mentions(&data_error(mixed.check()), &["`y` is given twice"]);
    // The first value is kept, and the repetition is reported wherever the data is used.
    assert_eq!(d.get("y"), Some(&Value::Real(Real(1.0))));
    let msg = data_error(d.check());
    assert_mentions(&msg, &["data!", "`y` is given twice"]);
    let msg = data_error(d.select(&["y"]));
    assert_mentions(&msg, &["`y` is given twice"]);
    let x = [0.0];
    let msg = data_error(get_trace(
        &condition(line, d.clone()),
        &(&x[..],),
        &mut rng(),
    ));
    assert_mentions(&msg, &["`y` is given twice"]);
    let msg = data_error(get_trace(
        &substitute(line, d.clone()),
        &(&x[..],),
        &mut rng(),
    ));
    assert_mentions(&msg, &["`y` is given twice"]);
    let msg = data_error(get_trace(&intervene(line, d), &(&x[..],), &mut rng()));
    assert_mentions(&msg, &["`y` is given twice"]);
    // insert replaces, like a map; try_insert refuses.
    let mut d = Data::new();
    d.insert("a", 1.0).insert("a", 2.0);
    assert_eq!(d.get("a"), Some(&Value::Real(Real(2.0))));
    assert!(d.check().is_ok());
    let msg = data_error(d.try_insert("a", 3.0).map(|_| ()));
    assert_mentions(&msg, &["`a` is already present"]);
    assert_eq!(d.get("a"), Some(&Value::Real(Real(2.0))));
}

#[test]
fn json_rejects_duplicate_keys_and_keeps_the_file_order() {
    let msg = data_error(Data::from_json("{\"y\": 1,\n \"x\": 2,\n \"y\": 3}"));
    assert_mentions(&msg, &["key `y` appears twice", "lines 1 and 3"]);
    // Escapes do not hide a repetition.
    let msg = data_error(Data::from_json(r#"{"y": 1, "\u0079": 2}"#));
    assert_mentions(&msg, &["key `y` appears twice"]);
    // Also when the key is not selected, and also in from_json_keys.
    let msg = data_error(Data::from_json_keys(
        r#"{"y": 1, "note": "a", "note": "b"}"#,
        &["y"],
    ));
    assert_mentions(&msg, &["key `note` appears twice"]);
    // Repeated keys inside a nested object are not entries: only the top level is checked.
    let d = Data::from_json_keys(r#"{"meta": {"a": 1, "a": 2}, "y": [1.5]}"#, &["y"]).unwrap();
    assert_eq!(d.reals("y").unwrap(), [1.5]);
    let d = Data::from_json(r#"{"z": 1, "a": [true, false], "m": [[1, 2.5]], "e": []}"#).unwrap();
    assert_eq!(d.names().collect::<Vec<_>>(), ["z", "a", "m", "e"]);
    assert_eq!(d.get("a"), Some(&Value::BoolVec(vec![true, false])));
    assert_eq!(d.get("m").unwrap().kind().to_string(), "a 1x2 matrix");
    assert_eq!(
        d.get("e").unwrap().kind().to_string(),
        "a vector of 0 reals"
    );
}

// 5. Unsigned integers above i64::MAX.

#[test]
fn unsigned_integers_never_wrap() {
    let d = smallx::data! { "k" => u64::MAX, "n" => 5_usize, "h" => 1_u64 << 63 };
    assert_eq!(d.get("k"), None);
    assert_eq!(d.get("n"), Some(&Value::Int(5)));
    assert_eq!(d.get("h"), Some(&Value::Real(Real(2f64.powi(63)))));
    let msg = data_error(d.check());
    assert_mentions(
        &msg,
        &["`k`", "18446744073709551615", "beyond the range of i64"],
    );
    let mut d = Data::new();
    let msg = data_error(d.try_insert("k", usize::MAX).map(|_| ()));
    assert_mentions(&msg, &["`k`", &usize::MAX.to_string()]);
    let msg = data_error(d.try_insert("w", u128::MAX).map(|_| ()));
    assert_mentions(&msg, &["`w`", &u128::MAX.to_string()]);
    let msg = data_error(d.try_insert("v", i128::MIN + 1).map(|_| ()));
    assert_mentions(&msg, &["`v`"]);
    d.try_insert("u", 1_u128 << 100).unwrap();
    d.try_insert("i", -(1_i128 << 64)).unwrap();
    d.try_insert("s", 3_u8).unwrap();
    assert_eq!(d.get("u"), Some(&Value::Real(Real(2f64.powi(100)))));
    assert_eq!(d.get("i"), Some(&Value::Real(Real(-(2f64.powi(64))))));
    assert_eq!(d.get("s"), Some(&Value::Int(3)));
    // `into_value`, which cannot fail, gives NaN rather than a wrapped or rounded number.
    let v: Value<f64> = IntoValue::into_value(u64::MAX);
    assert!(v.as_f64().unwrap().is_nan());
    // Observing such a value is an error naming the site.
    let err = count.call_with(u64::MAX, &mut rng()).unwrap_err();
    match &err {
        Error::InvalidSite { site, detail } => {
            assert_eq!(site, "k");
            assert_mentions(detail, &["18446744073709551615"]);
        }
        other => panic!("expected InvalidSite, got {other:?}"),
    }
    count.call_with(4, &mut rng()).unwrap();
}

// 6. What a file became.

#[test]
fn describe_says_what_each_entry_became() {
    let y: String = (0..100).map(|i| format!("{}\n", i % 7)).collect();
    let d = Data::from_csv(&format!("y\n{y}")).unwrap();
    assert_eq!(
        d.describe(),
        "y: a vector of 100 integers (usable as reals)"
    );
    let d = Data::from_json(
        r#"{"n": 3, "flip": 1, "x": [0.5, 1], "ok": [true], "m": [[1, 2]], "b": [0, 1, 1], "big": [9007199254740993]}"#,
    )
    .unwrap();
    let expected = "n: an integer (usable as a real)\n\
                    flip: an integer (usable as a real, or as a boolean)\n\
                    x: a vector of 2 reals\n\
                    ok: a vector of 1 booleans\n\
                    m: a 1x2 matrix\n\
                    b: a vector of 3 integers (usable as reals, or as booleans)\n\
                    big: a vector of 1 integers (not usable as reals: 9007199254740993 has no exact f64 value)";
    assert_eq!(d.describe(), expected);
    assert_eq!(d.to_string(), expected);
    let name = "a";
    let d = smallx::data! { name => 1.0, name => 2.0 };
    assert_eq!(
        d.to_string(),
        "a: a real number\nproblem: data!: the key `a` is given twice"
    );
    assert_eq!(Data::new().to_string(), "(no entries)");
}

// 7. The prelude.

#[test]
fn the_prelude_brings_random_and_random_range() {
    let mut rng = SmallRng::seed_from_u64(3);
    let u = rng.random::<f64>();
    let k = rng.random_range(1..=6_u32);
    assert!((0.0..1.0).contains(&u));
    assert!((1..=6).contains(&k));
}

#[test]
fn integers_start_inference_where_reals_are_expected() {
    use smallx::infer::Map;
    let x = [0.0, 1.0];
    let model = condition(line, smallx::data! { "y" => vec![1_i64, 3] });
    // Integer initial values for real sites, exactly; nothing runs but the start.
    let map = Map::new(&model)
        .max_steps(0)
        .allow_unconverged(true)
        .init(Data::from_json(r#"{"a": 1, "b": 2}"#).unwrap())
        .run(&(&x[..],))
        .unwrap();
    assert_eq!(map.unconstrained, [1.0, 2.0]);
    let err = Map::new(&model)
        .max_steps(0)
        .init(smallx::data! { "a" => (1_i64 << 53) + 1 })
        .run(&(&x[..],))
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert_mentions(&err.to_string(), &["`a`", "9007199254740993"]);
    let name = "a";
    let err = Map::new(&model)
        .max_steps(0)
        .init(smallx::data! { name => 1.0, name => 2.0 })
        .run(&(&x[..],))
        .unwrap_err();
    assert_mentions(&data_error::<()>(Err(err)), &["`a` is given twice"]);
}
