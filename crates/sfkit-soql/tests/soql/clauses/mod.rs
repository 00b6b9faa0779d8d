//! Clause-by-clause tests of the SOQL and SOSL parser and canonical printer, through the public
//! API only.
//!
//! Each test parses a statement, checks the shape of the tree (not merely that it parsed) and the
//! canonical text `Display` prints, and round-trips it: `parse(print(parse(q))) == parse(q)`,
//! with the printer idempotent. One module per part of the statement; `building` covers the
//! escaping helpers and building queries and searches from hostile user text: the printed
//! statement must read back to the same tree with the text intact, so no injection is possible.
// Test helpers outside #[test] functions report failures by panicking.
#![allow(clippy::panic, clippy::unwrap_used)]

mod after_where;
mod building;
mod from_where;
mod logic;
mod select;
mod sosl;
mod values;

use sfkit_soql::{
    CompareOp, Condition, Expr, FieldPath, FindClause, Function, FunctionCall, Number,
    ParseOptions, Predicate, Query, Search, SearchExpr, SearchPart, SearchText, SelectItem, Value,
    parse_query, parse_query_with, parse_search, parse_search_with,
};

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

/// Parses `src`, asserts that printing and parsing again gives the same tree and that the printer
/// is idempotent, and returns the tree.
fn query_with(src: &str, opts: &ParseOptions) -> Query {
    let first =
        parse_query_with(src, opts).unwrap_or_else(|e| panic!("{src:?} did not parse: {e}"));
    let printed = first.to_string();
    let second = parse_query_with(&printed, opts)
        .unwrap_or_else(|e| panic!("the printed form {printed:?} of {src:?} did not parse: {e}"));
    assert_eq!(second, first, "round trip of {src:?} via {printed:?}");
    assert_eq!(second.to_string(), printed, "printer not idempotent");
    first
}

fn query(src: &str) -> Query {
    query_with(src, &ParseOptions::default())
}

/// Parses and round-trips `src` and asserts its canonical text.
fn canon(src: &str, expected: &str) -> Query {
    let q = query(src);
    assert_eq!(q.to_string(), expected, "canonical text of {src:?}");
    q
}

fn search_with(src: &str, opts: &ParseOptions) -> Search {
    let first =
        parse_search_with(src, opts).unwrap_or_else(|e| panic!("{src:?} did not parse: {e}"));
    let printed = first.to_string();
    let second = parse_search_with(&printed, opts)
        .unwrap_or_else(|e| panic!("the printed form {printed:?} of {src:?} did not parse: {e}"));
    assert_eq!(second, first, "round trip of {src:?} via {printed:?}");
    assert_eq!(second.to_string(), printed, "printer not idempotent");
    first
}

fn search_canon(src: &str, expected: &str) -> Search {
    let s = search_with(src, &ParseOptions::default());
    assert_eq!(s.to_string(), expected, "canonical text of {src:?}");
    s
}

fn rejected(src: &str) {
    if let Ok(q) = parse_query(src) {
        panic!("{src:?} should not parse, but gave {q}");
    }
}

fn search_rejected(src: &str) {
    if let Ok(s) = parse_search(src) {
        panic!("{src:?} should not parse, but gave {s}");
    }
}

fn path(p: &str) -> FieldPath {
    FieldPath::from_segments(p.split('.'))
}

fn field(p: &str) -> Expr {
    Expr::field(path(p))
}

fn call(function: Function, args: Vec<Expr>) -> Expr {
    Expr::Call(FunctionCall { function, args })
}

fn item(expr: Expr, alias: Option<&str>) -> SelectItem {
    SelectItem::Expr {
        expr,
        alias: alias.map(str::to_owned),
    }
}

fn num(s: &str) -> Value {
    Value::Number(Number::parse(s).unwrap())
}

fn lit(v: Value) -> Expr {
    Expr::literal(v)
}

fn compare(lhs: Expr, op: CompareOp, rhs: Value) -> Condition {
    Condition::predicate(Predicate::Compare { lhs, op, rhs })
}

/// The single predicate of a WHERE clause.
fn where_pred(q: &Query) -> &Predicate {
    match &q.where_clause {
        Some(Condition::Predicate(p)) => p,
        other => panic!("expected one predicate in WHERE, got {other:?}"),
    }
}

/// The value on the right of `WHERE x = value`.
fn where_value(q: &Query) -> &Value {
    match where_pred(q) {
        Predicate::Compare { rhs, .. } => rhs,
        other => panic!("expected a comparison, got {other:?}"),
    }
}

/// Parses `SELECT Id FROM Account WHERE X = <value>` and returns the value.
fn value_of(value_src: &str) -> Value {
    let q = query(&format!("SELECT Id FROM Account WHERE X = {value_src}"));
    where_value(&q).clone()
}

fn term(text: &str) -> SearchExpr {
    SearchExpr::Term(SearchText::literal(text))
}

fn text_of(parts: Vec<SearchPart>) -> SearchText {
    let mut t = SearchText::default();
    for p in parts {
        t.push(p);
    }
    t
}

/// The expression inside `FIND {...}`.
fn braces(s: &Search) -> &SearchExpr {
    match &s.find {
        FindClause::Braces(e) => e,
        other => panic!("expected FIND {{...}}, got {other:?}"),
    }
}
