//! Macro misuse is a compile error with a span on the offending tokens. Each case in
//! `tests/ui/` is named after the mistake; its `.stderr` holds the expected message.
//! Regenerate after a deliberate change with `TRYBUILD=overwrite cargo test --test compiletest`.

#[test]
fn macro_misuse_is_a_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
