//! Error tests: the exact text of the positioned errors (`Expected X, found Y at line L, column
//! C`) for a representative set of bad SOQL and SOSL, lines and columns counted in characters
//! across several lines and non-ASCII text; the nesting limit (deep parentheses, subqueries, NOT
//! and search groups must give an error, never a stack overflow); the statement length limit; and
//! hand-picked garbage that must never panic. Property-based fuzzing lives elsewhere.
// Test helpers outside #[test] functions report failures by panicking.
#![allow(clippy::panic)]

mod garbage;
mod limits;
mod messages;

use sfkit_soql::{ParseOptions, parse_query_with, parse_search_with};

/// The error text for a query that must not parse.
fn query_error(src: &str) -> String {
    query_error_with(src, &ParseOptions::default())
}

fn query_error_with(src: &str, opts: &ParseOptions) -> String {
    match parse_query_with(src, opts) {
        Ok(q) => panic!("{src:?} should not parse, but gave {q}"),
        Err(e) => e.to_string(),
    }
}

fn search_error(src: &str) -> String {
    search_error_with(src, &ParseOptions::default())
}

fn search_error_with(src: &str, opts: &ParseOptions) -> String {
    match parse_search_with(src, opts) {
        Ok(s) => panic!("{src:?} should not parse, but gave {s}"),
        Err(e) => e.to_string(),
    }
}

/// Asserts the full error text of each `(query, message)` pair.
fn assert_query_errors(cases: &[(&str, &str)]) {
    for (src, expected) in cases {
        assert_eq!(&query_error(src), expected, "error for {src:?}");
    }
}

fn assert_search_errors(cases: &[(&str, &str)]) {
    for (src, expected) in cases {
        assert_eq!(&search_error(src), expected, "error for {src:?}");
    }
}

/// Options that let a statement of any length reach the parser, so the nesting limit is what
/// stops it.
fn unlimited_length() -> ParseOptions {
    ParseOptions::default().max_length(usize::MAX)
}
