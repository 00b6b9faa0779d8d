//! Error tests: the exact text of the positioned errors (`Expected X, found Y at line L, column
//! C`) for a representative set of bad SOQL and SOSL, lines and columns counted in characters
//! across several lines and non-ASCII text; the nesting limit (deep parentheses, subqueries, NOT
//! and search groups must give an error, never a stack overflow); the statement length limit; and
//! hand-picked garbage that must never panic. Property-based fuzzing lives elsewhere.
// Test helpers outside #[test] functions report failures by panicking.
#![allow(clippy::panic)]

use sfkit_soql::{
    Error, FieldPath, ParseOptions, Query, parse_query, parse_query_with, parse_search,
    parse_search_with, parse_statement_with,
};

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

// ------------------------------------------------------------------------------------------------
// Exact messages
// ------------------------------------------------------------------------------------------------

#[test]
fn structure_errors() {
    assert_query_errors(&[
        (
            "SELECT Id WHERE Name = 'x'",
            "Expected FROM, found 'WHERE' at line 1, column 11",
        ),
        (
            "SELECT Id Account",
            "Expected FROM, found end of input at line 1, column 18",
        ),
        (
            "",
            "Expected SELECT, found end of input at line 1, column 1",
        ),
        (
            "   ",
            "Expected SELECT, found end of input at line 1, column 4",
        ),
        (
            "SELECT",
            "Expected a field, function, subquery or TYPEOF, found end of input at line 1, column 7",
        ),
        (
            "SELECT Id FROM",
            "Expected an object name, found end of input at line 1, column 15",
        ),
        (
            "SELECT Id FROM Account garbage more",
            "Expected the end of the query, found 'more' at line 1, column 32",
        ),
        (
            "SELECT Id FROM Account LIMIT 5 5",
            "Expected the end of the query, found '5' at line 1, column 32",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'x')",
            "Expected the end of the query, found ')' at line 1, column 40",
        ),
        (
            "SELECT Id FROM Account WHERE (Name = 'x'",
            "Expected ')' to close the condition, found end of input at line 1, column 41",
        ),
        (
            "SELECT Id FROM Account WHERE",
            "Expected a field or function to compare, found end of input at line 1, column 29",
        ),
        (
            "SELECT Id FROM Account WHERE Name",
            "Expected a comparison operator (=, !=, <, <=, >, >=, LIKE, IN, NOT IN, INCLUDES, EXCLUDES), found end of input at line 1, column 34",
        ),
        (
            "SELECT Id FROM Account WHERE Name =",
            "Expected a value (string, number, date, dateTime, date literal, NULL, TRUE or FALSE), found end of input at line 1, column 36",
        ),
        (
            "SELECT Id FROM Account ORDER BY Name NULLS",
            "Expected FIRST or LAST after NULLS, found end of input at line 1, column 43",
        ),
        (
            "SELECT Name AS n FROM Account",
            "Expected FROM, found 'AS' at line 1, column 13",
        ),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact OFFSET 1)",
            "Expected ')' (OFFSET is not allowed in a WHERE subquery), found 'OFFSET' at line 1, column 67",
        ),
    ]);
}

#[test]
fn lexical_errors() {
    assert_query_errors(&[
        (
            "SELECT Id FROM Account WHERE Name = 'abc",
            "Expected a closing quote for the string that starts here, found end of input at line 1, column 37",
        ),
        (
            r"SELECT Id FROM Account WHERE X = 'a\'",
            "Expected a closing quote for the string that starts here, found end of input at line 1, column 34",
        ),
        (
            "SELECT Id FROM Account WHERE Name = \"x\"",
            "Expected a single-quoted string (SOQL has no double quotes), found '\"' at line 1, column 37",
        ),
        (
            "SELECT Id FROM Account WHERE X = 1 # y",
            "Expected a SOQL token, found '#' at line 1, column 36",
        ),
        (
            "SELECT Id FROM Account WHERE X = 1 \u{1}",
            "Expected a SOQL token, found character U+0001 at line 1, column 36",
        ),
        (
            "SELECT Id FROM Account // comment",
            "Expected a SOQL token, found '/' at line 1, column 24",
        ),
    ]);
}

#[test]
fn string_escape_errors() {
    assert_query_errors(&[
        (
            r"SELECT Id FROM Account WHERE Name = 'a\qb'",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX), found '\q' at line 1, column 39"#,
        ),
        // \% and \_ are LIKE-only.
        (
            r"SELECT Id FROM Account WHERE Name = 'a\%'",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX), found '\%' at line 1, column 39"#,
        ),
        (
            r"SELECT Id FROM Account WHERE Name IN ('ok', 'a\_b')",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX), found '\_' at line 1, column 47"#,
        ),
        (
            r"SELECT Id FROM Account WHERE X = 'a\u12'",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX), found '\u12' at line 1, column 36"#,
        ),
        // Inside LIKE the message lists \% and \_ too.
        (
            r"SELECT Id FROM Account WHERE Name LIKE '50\x'",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX \% \_), found '\x' at line 1, column 43"#,
        ),
    ]);
    // ...and there \% is fine.
    assert!(parse_query(r"SELECT Id FROM Account WHERE Name LIKE '50\%'").is_ok());
}

#[test]
fn literal_errors() {
    assert_query_errors(&[
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2020-13-01",
            "Expected a valid calendar date (YYYY-MM-DD), found '2020-13-01' at line 1, column 44",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2023-02-29",
            "Expected a valid calendar date (YYYY-MM-DD), found '2023-02-29' at line 1, column 44",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2020-01-01T00:00:00",
            "Expected a dateTime like 2024-01-31T23:59:59Z, found '2020-01-01T00:00:00' at line 1, column 44",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2020-01-01T00:00:00 AND X = 1",
            "Expected a dateTime like 2024-01-31T23:59:59Z, found '2020-01-01T00:00:00' at line 1, column 44",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2020-01-01T25:00:00Z",
            "Expected a valid dateTime (YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm)), found '2020-01-01T25:00:00Z' at line 1, column 44",
        ),
        (
            "SELECT Id FROM Account WHERE X = 01:00:00",
            "Expected a time like 13:30:00.000Z (with Z), found '01:00:00' at line 1, column 34",
        ),
        (
            "SELECT Id FROM Account LIMIT -1",
            "Expected a non-negative whole number, found '-' at line 1, column 30",
        ),
        (
            "SELECT Id FROM Account LIMIT 2.5",
            "Expected a non-negative whole number, found '2.5' at line 1, column 30",
        ),
        (
            "SELECT Id FROM Account WHERE CloseDate = LAST_N_DAYS",
            "Expected ':' and a count after LAST_N_DAYS, found end of input at line 1, column 53",
        ),
        (
            "SELECT Id FROM Account WHERE Id = :x",
            "Expected a literal value (Apex bind variables are not SOQL over the API), found ':' at line 1, column 35",
        ),
    ]);
}

#[test]
fn logic_errors() {
    assert_query_errors(&[
        (
            "SELECT Id FROM Account WHERE A = 1 AND B = 2 OR C = 3",
            "Expected AND or the end of the condition (AND and OR cannot be mixed without parentheses), found 'OR' at line 1, column 46",
        ),
        (
            "SELECT Id FROM Account WHERE A = 1 OR B = 2 AND C = 3",
            "Expected OR or the end of the condition (AND and OR cannot be mixed without parentheses), found 'AND' at line 1, column 45",
        ),
        (
            "SELECT Id FROM Account WHERE A = 1 AND NOT B = 2",
            "Expected a condition after AND (put NOT and its operand in parentheses: AND (NOT a)), found 'NOT' at line 1, column 40",
        ),
        (
            "SELECT Id FROM Account WHERE NOT A = 1 AND B = 2",
            "Expected parentheses around NOT and its operand before AND or OR, as in (NOT a) AND b, found 'AND' at line 1, column 40",
        ),
    ]);
}

#[test]
fn function_errors() {
    assert_query_errors(&[
        (
            "SELECT Foo(Id) FROM Account",
            "Expected a SOQL function (COUNT, SUM, toLabel, CALENDAR_YEAR, DISTANCE, ...), found 'Foo' at line 1, column 8",
        ),
        (
            "SELECT Id FROM Opportunity WHERE COUNT(Id) > 1",
            "Expected a field or non-aggregate function (aggregates belong in HAVING), found 'COUNT' at line 1, column 34",
        ),
        (
            "SELECT GEOLOCATION(1, 2) FROM Account",
            "Expected DISTANCE(field, GEOLOCATION(lat, lon), 'mi'|'km'); GEOLOCATION stands only inside DISTANCE, found 'GEOLOCATION' at line 1, column 8",
        ),
        (
            "SELECT Id FROM Account WHERE DISTANCE(Loc__c, GEOLOCATION(1, 2), 'm') < 5",
            "Expected the unit 'mi' or 'km', found string 'm' at line 1, column 66",
        ),
        (
            "SELECT convertTimezone(CreatedDate) FROM Account",
            "Expected a date function around convertTimezone(), as in HOUR_IN_DAY(convertTimezone(CreatedDate)), found 'convertTimezone' at line 1, column 8",
        ),
        (
            "SELECT Id FROM Account WHERE FORMAT(Amount) = 1",
            "Expected FORMAT() only in a SELECT list, found 'FORMAT' at line 1, column 30",
        ),
        (
            "SELECT Name FROM Account GROUP BY Name HAVING FORMULA('a') > 1",
            "Expected FORMULA() only on the left of a WHERE condition, found 'FORMULA' at line 1, column 47",
        ),
        (
            "SELECT Id, COUNT() FROM Account",
            "Expected a field: COUNT() must be the only item in the SELECT list, found 'COUNT' at line 1, column 12",
        ),
        (
            "SELECT COUNT(), Id FROM Account",
            "Expected FROM: COUNT() must be the only item in the SELECT list, found 'Id' at line 1, column 17",
        ),
    ]);
}

#[test]
fn positions_across_lines() {
    assert_query_errors(&[
        // The error on line 3, after an AND/OR mix.
        (
            "SELECT Id, Name\nFROM Account\nWHERE Name = 'x' AND Name = 'y' OR Name = 'z'",
            "Expected AND or the end of the condition (AND and OR cannot be mixed without parentheses), found 'OR' at line 3, column 33",
        ),
        // Indented, with CRLF line ends.
        (
            "SELECT Id,\r\n  Name\r\n    FROM Account WHERE Name == 'x'",
            "Expected a value (string, number, date, dateTime, date literal, NULL, TRUE or FALSE), found '=' at line 3, column 30",
        ),
        // At the very end of the last line.
        (
            "SELECT Id,\n  Name\nFROM Account\nWHERE Name = 'x' AND",
            "Expected a field or function to compare, found end of input at line 4, column 21",
        ),
        // A tab is one column.
        (
            "SELECT Id\n\tFROM\tAccount\tLIMIT\tx",
            "Expected a non-negative whole number, found 'x' at line 2, column 21",
        ),
        // An unterminated string points at its opening quote, lines before it counted.
        (
            "SELECT Id\nFROM Account\nWHERE Name = 'multi\nline",
            "Expected a closing quote for the string that starts here, found end of input at line 3, column 14",
        ),
    ]);
}

#[test]
fn non_ascii_characters_count_as_one_column() {
    assert_query_errors(&[
        (
            "SELECT Id FROM Account WHERE Name = 'Zoë' AND City = 'Köln' ORDER Name",
            "Expected the end of the query, found 'ORDER' at line 1, column 61",
        ),
        (
            "SELECT Id FROM Account WHERE Name = '東京' LIMIT x",
            "Expected a non-negative whole number, found 'x' at line 1, column 48",
        ),
        (
            "SELECT Id FROM Account WHERE Name = '🚀🚀' OR",
            "Expected a field or function to compare, found end of input at line 1, column 44",
        ),
        (
            "SELECT Id\nFROM Account\nWHERE Name = 'ÅÄÖ' AND X = 'é\\q'",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX), found '\q' at line 3, column 30"#,
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'x' AND Ünïcödé = 1",
            "Expected a SOQL token, found 'Ü' at line 1, column 45",
        ),
    ]);
    // The byte offset stays a byte offset.
    let e: Error = parse_query("SELECT Id FROM Account WHERE Name = '東京' LIMIT x").unwrap_err();
    assert_eq!((e.line, e.column), (1, 48));
    assert_eq!(e.offset, 51);
    assert_eq!(e.expected, "a non-negative whole number");
    assert_eq!(e.found, "'x'");
}

#[test]
fn long_tokens_are_shortened_in_messages() {
    let long = "x".repeat(100);
    assert_eq!(
        query_error(&format!(
            "SELECT Id FROM Account WHERE Name = '{long}' '{long}'"
        )),
        format!(
            "Expected the end of the query, found string '{}...' at line 1, column 140",
            "x".repeat(40)
        )
    );
}

#[test]
fn sosl_errors() {
    assert_search_errors(&[
        (
            "FIND Acme",
            "Expected a search query in braces, as in FIND {Acme}, found 'Acme' at line 1, column 6",
        ),
        (
            "find",
            "Expected a search query in braces, as in FIND {Acme}, found end of input at line 1, column 5",
        ),
        (
            "SELECT Id FROM Account",
            "Expected FIND, found 'SELECT' at line 1, column 1",
        ),
        (
            "FIND {Acme",
            "Expected '}' to close the search query that starts here, found end of input at line 1, column 6",
        ),
        (
            "FIND {Acme RETURNING Account(Id)",
            "Expected '}' to close the search query that starts here, found end of input at line 1, column 6",
        ),
        (
            r"FIND {Acme\}",
            "Expected '}' to close the search query that starts here, found end of input at line 1, column 6",
        ),
        (
            "FIND {(Acme}",
            "Expected ')' to close the group, found the end of the search at line 1, column 12",
        ),
        (
            "FIND {(Acme OR Corp} RETURNING Account",
            "Expected ')' to close the group, found the end of the search at line 1, column 20",
        ),
        (
            "FIND {Acme)}",
            "Expected AND, OR or the end of the search, found ')' at line 1, column 11",
        ),
        (
            "FIND {}",
            "Expected a search term, found the end of the search at line 1, column 7",
        ),
        (
            "FIND {   }",
            "Expected a search term, found the end of the search at line 1, column 10",
        ),
        (
            "FIND ''",
            "Expected a search term, found the end of the search at line 1, column 6",
        ),
        (
            "FIND {Acme AND}",
            "Expected a search term, found the end of the search at line 1, column 15",
        ),
        (
            "FIND {\"Acme}",
            "Expected '\"' to close the phrase that starts here, found the end of the search at line 1, column 7",
        ),
        (
            "FIND {NOT Acme}",
            "Expected a search term (quote \"and\", \"or\" and \"not\" to search for them), found 'NOT' at line 1, column 7",
        ),
        // Errors inside FIND '...' point at the opening quote.
        (
            "FIND '(Acme'",
            "Expected ')' to close the group, found the end of the search at line 1, column 6",
        ),
        (
            "FIND {Acme} IN FOO FIELDS",
            "Expected ALL, NAME, EMAIL, PHONE or SIDEBAR after IN, found 'FOO' at line 1, column 16",
        ),
        (
            "FIND {Acme} RETURNING",
            "Expected an object name after RETURNING, found end of input at line 1, column 22",
        ),
        (
            "FIND {Acme} WITH FOO",
            "Expected DIVISION, DATA CATEGORY, SNIPPET, NETWORK, PricebookId, METADATA, HIGHLIGHT, SPELL_CORRECTION, USER_MODE or SYSTEM_MODE after WITH, found 'FOO' at line 1, column 18",
        ),
        (
            "FIND {Acme} LIMIT -1",
            "Expected a non-negative whole number, found '-' at line 1, column 19",
        ),
        (
            "FIND {Acme}\nRETURNING Account(Id\n  WHERE Name = 'x' AND Id = '1' OR Id = '2')",
            "Expected AND or the end of the condition (AND and OR cannot be mixed without parentheses), found 'OR' at line 3, column 33",
        ),
    ]);
}

// ------------------------------------------------------------------------------------------------
// Nesting and length limits
// ------------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------------
// Garbage never panics
// ------------------------------------------------------------------------------------------------

/// Inputs chosen to poke at the lexer's byte arithmetic, escapes and literal scanners.
const NASTY: &[&str] = &[
    "",
    "\0",
    "'",
    "\\",
    "{",
    "}",
    "(",
    ")",
    ":",
    "-",
    "--1",
    ".",
    "..",
    "\u{feff}SELECT Id FROM Account",
    "SELECT Id FROM Account\u{0}",
    "SELECT '",
    "SELECT Id FROM Account WHERE Name = '\\",
    "SELECT Id FROM Account WHERE Name = '\\u",
    "SELECT Id FROM Account WHERE Name = '\\u00",
    "SELECT Id FROM Account WHERE Name = '\\uD800'",
    "SELECT Id FROM Account WHERE Name = '\\é'",
    "SELECT Id FROM Account WHERE Name = '\\u00é1'",
    "SELECT Id FROM Account WHERE Name = '\\u12é'",
    "SELECT Id FROM Account WHERE Name LIKE '\\",
    "SELECT Id FROM Account WHERE Name LIKE '%\\%\\_\\",
    "SELECT Id FROM Account WHERE X = 2020-01-01T",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00+",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00+1",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00+99:99",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00.Z",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00.9999999999999Z",
    "SELECT Id FROM Account WHERE X = 9999-99-99",
    "SELECT Id FROM Account WHERE X = 0000-00-00",
    "SELECT Id FROM Account WHERE X = 99:99:99Z",
    "SELECT Id FROM Account WHERE X = 12:00:0",
    "SELECT Id FROM Account WHERE X = 2020-01-01é",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00é",
    "SELECT Id FROM Account WHERE X = USD",
    "SELECT Id FROM Account WHERE X = USD.",
    "SELECT Id FROM Account WHERE X = USD-",
    "SELECT Id FROM Account WHERE X = USD5000.",
    "SELECT Id FROM Account WHERE X = USD5000.x",
    "SELECT Id FROM Account WHERE X = LAST_N_DAYS:",
    "SELECT Id FROM Account WHERE X = LAST_N_DAYS:99999999999999999999",
    "SELECT Id FROM Account LIMIT 99999999999999999999999999",
    "SELECT Id FROM Account WHERE X = -",
    "SELECT Id FROM Account WHERE X = +",
    "SELECT Id FROM Account WHERE X = :",
    "SELECT Id FROM Account WHERE X = :.",
    "SELECT Id FROM Account WHERE X IN :",
    "SELECT Id FROM Account WHERE DISTANCE(",
    "SELECT Id FROM Account WHERE DISTANCE(L, GEOLOCATION(",
    "SELECT Id FROM Account WHERE DISTANCE(L, :x, 'mi') < 1",
    "SELECT TYPEOF",
    "SELECT TYPEOF What WHEN",
    "SELECT TYPEOF What WHEN A THEN",
    "SELECT FIELDS(",
    "SELECT COUNT(",
    "SELECT (SELECT",
    "SELECT Id FROM Account WITH DATA CATEGORY",
    "SELECT Id FROM Account WITH DATA CATEGORY G AT (",
    "SELECT Id FROM Account WITH RecordVisibilityContext (",
    "SELECT Id FROM Account GROUP BY ROLLUP(",
    "SELECT Id FROM Account /* never closed",
    "SELECT Id FROM Account /",
    "FIND",
    "FIND {",
    "FIND {\\",
    "FIND {\\é}",
    "FIND '\\é'",
    "FIND {\"\\",
    "FIND {\"",
    "FIND {*}",
    "FIND {?}",
    "FIND {()}",
    "FIND {) (}",
    "FIND {a AND NOT}",
    "FIND {a} RETURNING A(",
    "FIND {a} RETURNING A(Id USING ListView",
    "FIND {a} WITH SNIPPET (",
    "FIND {a} WITH SNIPPET (target_length = :x)",
    "FIND {a} WITH NETWORK IN (",
    "FIND :",
    "FIND '",
    "FIND '{'",
    "🚀",
    "SELECT 🚀 FROM 🚀",
    "SELECT Id FROM Account WHERE Name = '\u{202e}evil'",
    "SELECT Id\u{2028}FROM Account",
    "SELECT Id\u{a0}FROM Account",
    "SELECT Id FROM Account WHERE Name = 'a'\r",
    "\r\n\r\n\t",
    "ＳＥＬＥＣＴ Id FROM Account",
    "SELECT Id FROM Account WHERE 名前 = 'x'",
];

/// Bytes from a fixed linear congruential generator, for reproducible junk.
fn junk(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect()
}

/// Every way of parsing `src`; none may panic, and any error must be positioned inside it.
fn parse_every_way(src: &str) {
    for opts in [
        ParseOptions::default(),
        ParseOptions::default()
            .apex_binds(true)
            .allow_comments(true),
    ] {
        for result in [
            parse_query_with(src, &opts).map(|q| q.to_string()),
            parse_search_with(src, &opts).map(|s| s.to_string()),
            parse_statement_with(src, &opts).map(|s| s.to_string()),
        ] {
            match result {
                Ok(printed) => {
                    // Whatever parses must print something that parses again.
                    assert!(
                        parse_statement_with(&printed, &opts).is_ok(),
                        "{src:?} printed as {printed:?}, which does not parse"
                    );
                }
                Err(e) => {
                    assert!(e.line >= 1 && e.column >= 1, "{src:?}: {e}");
                    assert!(e.offset <= src.len(), "{src:?}: {e}");
                    assert!(e.to_string().starts_with("Expected "), "{src:?}: {e}");
                }
            }
        }
    }
    let _ = FieldPath::parse(src);
    let _ = Query::select_from([src], src);
}

#[test]
fn nasty_strings_never_panic() {
    for src in NASTY {
        parse_every_way(src);
    }
}

#[test]
fn every_prefix_of_real_statements_never_panics() {
    let statements = [
        "SELECT Id, Name, (SELECT LastName FROM Contacts WHERE Email LIKE '%@x.com'), TYPEOF What WHEN Account THEN Phone ELSE Name END, FORMAT(MIN(CloseDate)) mn FROM Account a USING SCOPE mine WHERE (Name = 'O\\'Brien' OR Name IN ('a', 'b')) AND CreatedDate > 2020-01-01T00:00:00.123+05:30 AND Amount > USD-5.5 AND CloseDate = LAST_N_DAYS:30 AND Id NOT IN (SELECT AccountId FROM Case) WITH SECURITY_ENFORCED GROUP BY ROLLUP(Name) HAVING COUNT(Id) > 1 ORDER BY Name DESC NULLS LAST LIMIT 10 OFFSET 5 FOR VIEW",
        "SELECT Id FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') < 20 AND Start__c = 01:00:00.000Z AND Name = '\\u00e9\\n'",
        "FIND {C\\+\\+ AND (\"Joe Smith\" OR Acm*) AND NOT Jo?n} IN NAME FIELDS RETURNING Account(Id, Name WHERE Industry = 'Tech' USING ListView = Recent ORDER BY Name LIMIT 10 OFFSET 5), Contact WITH SNIPPET (target_length = 120) WITH NETWORK IN ('a', 'b') LIMIT 50 UPDATE TRACKING",
        "FIND 'Zoë \\'東京\\' 🚀' RETURNING Account",
    ];
    for statement in statements {
        // The whole statement is valid.
        assert!(
            parse_statement_with(statement, &ParseOptions::default()).is_ok(),
            "{statement}"
        );
        for (i, _) in statement.char_indices() {
            parse_every_way(&statement[..i]);
            parse_every_way(&statement[i..]);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    for seed in 0..500 {
        let bytes = junk(seed, (seed as usize % 97) + 1);
        let text = String::from_utf8_lossy(&bytes);
        parse_every_way(&text);
        // Junk behind a valid prefix reaches deeper into the parser.
        parse_every_way(&format!("SELECT Id FROM Account WHERE Name = {text}"));
        parse_every_way(&format!("FIND {{{text}}}"));
    }
}

#[test]
fn count_with_no_field_takes_no_group_by() {
    assert_query_errors(&[(
        "SELECT COUNT() FROM Account GROUP BY Name",
        "Expected no GROUP BY after COUNT() (count per group with COUNT(field)), found 'GROUP' at line 1, column 29",
    )]);
    assert!(sfkit_soql::parse_query("SELECT Name, COUNT(Id) FROM Account GROUP BY Name").is_ok());
}
