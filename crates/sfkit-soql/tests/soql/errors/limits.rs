//! The nesting limit (deep parentheses, subqueries, NOT, search groups and function calls give an
//! error, never a stack overflow) and the statement length limit.

use sfkit_soql::{ParseOptions, parse_query, parse_query_with, parse_search};

use super::{query_error, query_error_with, search_error, search_error_with, unlimited_length};

const NESTING: &str = "at most 64 levels of nesting";

#[test]
fn deep_parentheses_hit_the_nesting_limit() {
    let opts = unlimited_length();
    let src = format!("SELECT Id FROM Account WHERE {}", "(".repeat(100_000));
    assert_eq!(
        query_error_with(&src, &opts),
        "Expected at most 64 levels of nesting, found '(' nested at 65 at line 1, column 95"
    );
    // With the default options the same statement is simply too long.
    assert!(query_error(&src).starts_with("Expected a statement of at most 100000 characters"));

    // Up to the limit parses; one more does not.
    let nested = |n: usize| {
        format!(
            "SELECT Id FROM Account WHERE {}A = 1{}",
            "(".repeat(n),
            ")".repeat(n)
        )
    };
    let q = parse_query(&nested(64)).unwrap();
    assert_eq!(q.to_string(), "SELECT Id FROM Account WHERE A = 1");
    assert!(query_error(&nested(65)).contains(NESTING));
    // A lower limit is honoured with its own number.
    let shallow = ParseOptions::default().recursion_limit(3);
    assert!(parse_query_with(&nested(3), &shallow).is_ok());
    assert!(query_error_with(&nested(4), &shallow).contains("at most 3 levels of nesting"));
}

#[test]
fn deep_subqueries_hit_the_nesting_limit() {
    let opts = unlimited_length();
    // Child subqueries in the SELECT list.
    let src = format!("{}Id FROM Account", "SELECT Id, (".repeat(10_000));
    let e = query_error_with(&src, &opts);
    assert!(e.contains(NESTING), "{e}");
    assert!(e.contains("found 'SELECT' nested at 65"), "{e}");
    // Semi-joins.
    let src = format!(
        "SELECT Id FROM Account WHERE {}",
        "Id IN (SELECT Id FROM Account WHERE ".repeat(10_000)
    );
    let e = query_error_with(&src, &opts);
    assert!(e.contains(NESTING), "{e}");
    // Closed, well-formed nesting just past the limit is still refused...
    let closed = |n: usize| {
        format!(
            "SELECT Id{} FROM Account",
            ", (SELECT Id".repeat(n) + &" FROM Contacts)".repeat(n)
        )
    };
    assert!(query_error(&closed(65)).contains(NESTING));
    // ...and up to it parses and round-trips without exhausting the stack.
    let q = parse_query(&closed(60)).unwrap();
    assert_eq!(parse_query(&q.to_string()).unwrap(), q);
}

#[test]
fn deep_not_hits_the_nesting_limit() {
    let src = format!(
        "SELECT Id FROM Account WHERE {}A = 1",
        "NOT (".repeat(10_000)
    );
    let e = query_error_with(&src, &unlimited_length());
    assert!(e.contains(NESTING), "{e}");
    assert!(e.contains("found 'NOT' nested at 65"), "{e}");
    // A bare chain of NOTs is an error of its own, without recursion.
    let src = format!(
        "SELECT Id FROM Account WHERE {}A = 1",
        "NOT ".repeat(10_000)
    );
    assert!(parse_query_with(&src, &unlimited_length()).is_err());
}

#[test]
fn deep_search_groups_hit_the_nesting_limit() {
    let opts = unlimited_length();
    for src in [
        format!("FIND {{{}Acme}}", "(".repeat(100_000)),
        format!("FIND {{{}}}", "(".repeat(100_000)),
        format!("FIND '{}'", "(".repeat(100_000)),
        format!(
            "FIND {{{}Acme{}}}",
            "Acme AND (".repeat(10_000),
            ")".repeat(10_000)
        ),
    ] {
        let e = search_error_with(&src, &opts);
        assert!(e.contains(NESTING), "{}", &e[..e.len().min(200)]);
    }
    let nested = |n: usize| format!("FIND {{{}Acme{}}}", "(".repeat(n), ")".repeat(n));
    assert_eq!(
        parse_search(&nested(64)).unwrap().to_string(),
        "FIND {Acme}"
    );
    assert!(search_error(&nested(65)).contains(NESTING));
}

#[test]
fn deep_function_nesting_is_refused() {
    // Functions nest only in the documented ways, so deep nesting fails on the first misfit.
    let src = format!("SELECT {}Id FROM Account", "FORMAT(".repeat(10_000));
    assert_eq!(
        query_error_with(&src, &unlimited_length()),
        "Expected a field as FORMAT's argument, found 'FORMAT' at line 1, column 15"
    );
    let src = format!("SELECT {}Id FROM Account", "CALENDAR_YEAR(".repeat(10_000));
    assert_eq!(
        query_error_with(&src, &unlimited_length()),
        "Expected a field as CALENDAR_YEAR's argument, found 'CALENDAR_YEAR' at line 1, column 22"
    );
}

#[test]
fn statements_over_100000_characters_are_rejected() {
    let pad = |len: usize| {
        let head = "SELECT Id FROM Account";
        format!("{head}{}", " ".repeat(len - head.len()))
    };
    assert!(parse_query(&pad(100_000)).is_ok());
    assert_eq!(
        query_error(&pad(100_001)),
        "Expected a statement of at most 100000 characters, found 100001 characters at line 1, column 100001"
    );
    // A long IN list.
    let long = format!(
        "SELECT Id FROM Account WHERE Name IN ({}'x')",
        "'x', ".repeat(20_000)
    );
    assert_eq!(long.len(), 100_042);
    assert_eq!(
        query_error(&long),
        "Expected a statement of at most 100000 characters, found 100042 characters at line 1, column 100001"
    );
    // Non-ASCII text is measured in characters, as Salesforce documents the limit: 60,038
    // characters (120,038 bytes) is fine, 100,038 characters is not.
    let wide = |n: usize| format!("SELECT Id FROM Account WHERE Name = '{}'", "é".repeat(n));
    assert!(parse_query(&wide(60_000)).is_ok());
    let e = query_error(&wide(100_000));
    assert_eq!(
        e,
        "Expected a statement of at most 100000 characters, found 100038 characters at line 1, column 100001"
    );
    // SOSL as well.
    let search = format!("FIND {{{}}}", "ab ".repeat(40_000));
    assert!(search_error(&search).starts_with("Expected a statement of at most 100000 characters"));
    // The limit is configurable.
    let tight = ParseOptions::default().max_length(10);
    assert_eq!(
        query_error_with("SELECT Id FROM Account", &tight),
        "Expected a statement of at most 10 characters, found 22 characters at line 1, column 11"
    );
}
