//! Property tests for the printer and the parser over generated syntax trees.
//!
//! Strategies build random *valid* SOQL [`Query`] and SOSL [`Search`] trees: SELECT items
//! (fields and relationship paths with aliases, every function in every place the parser allows
//! it, with its legal nestings such as `FORMAT(MIN(convertCurrency(x)))` and
//! `HOUR_IN_DAY(convertTimezone(x))`, `DISTANCE(.., GEOLOCATION(..), 'mi')`, `COUNT()` alone,
//! child subqueries, TYPEOF, FIELDS), FROM with alias and alias notation, USING SCOPE, WHERE and
//! HAVING conditions (nested AND/OR/NOT, every predicate, semi-join subqueries, every value kind
//! with strings full of quotes, backslashes, control characters, unicode, `%` and `_`, LIKE
//! patterns mixing text and wildcards, FORMULA on the left of WHERE), every WITH clause,
//! GROUP BY (plain, ROLLUP, CUBE), ORDER BY, LIMIT, OFFSET, FOR and UPDATE; and FIND with terms,
//! phrases, adjacent words, AND / OR / AND NOT over text holding every SOSL reserved character
//! and the words and/or/not, in braces and in quotes, IN ... FIELDS, RETURNING object specs,
//! every search WITH clause, LIMIT and UPDATE. Names include contextual words (`OFFSET`,
//! `TYPEOF`, `FIELDS`, function and date literal names, ...), `Group`/`Order`, and reserved words
//! wherever the parser reads any identifier (after a dot, USING SCOPE, binds, ...). Each
//! round-trip property runs twice: without Apex binds (default options) and with them (`:name`
//! in every place a bind may stand).
//!
//! Properties:
//! * printing a generated tree and parsing the text gives back the same tree, and printing that
//!   tree again gives the same text;
//! * arbitrary strings, and strings spliced together from fragments of SOQL and SOSL, never panic
//!   the parsers; every error reads `Expected ... at line ...`; whatever parses round-trips;
//! * a path `FieldPath::parse` accepts prints back to itself and round-trips in SELECT, WHERE,
//!   GROUP BY and ORDER BY.

mod exprs;
mod names;
mod statements;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use proptest::test_runner::FailurePersistence;
use sfkit_soql::{
    CompareOp, Condition, Expr, FieldPath, Function, GroupBy, GroupByKind, OrderByItem,
    ParseOptions, Predicate, Query, Search, Value, parse_query_with, parse_search_with,
};

use names::any_ident;
use statements::{query, search};

/// The words the parser reserves (`RESERVED` in `src/parser/mod.rs`).
#[rustfmt::skip]
const RESERVED: &[&str] = &[
    "AND", "ASC", "DESC", "EXCLUDES", "FIRST", "FROM", "GROUP", "HAVING", "IN", "INCLUDES",
    "LAST", "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OR", "SELECT", "USING", "WHERE", "WITH",
    "ORDER", "FOR", "UPDATE", "TRUE", "FALSE", "ELSE", "END", "WHEN", "THEN", "RETURNING",
    "FIND", "AS",
];

/// Contextual words: keywords only next to particular tokens (`TYPEOF x WHEN`, `FIELDS(`,
/// `OFFSET 5`, `ROLLUP(`, `USING SCOPE`, `WITH DATA CATEGORY`, ...), ordinary names elsewhere,
/// so plain names include them (the exceptions are in `NEVER_PLAIN`).
#[rustfmt::skip]
const CONTEXTUAL: &[&str] = &[
    "OFFSET", "TYPEOF", "FIELDS", "SCOPE", "ROLLUP", "CUBE", "VIEW", "REFERENCE", "TRACKING",
    "VIEWSTAT", "DATA", "CATEGORY", "RecordVisibilityContext", "AT", "ABOVE", "BELOW",
    "ABOVE_OR_BELOW", "ALL", "STANDARD", "CUSTOM", "ListView", "DIVISION", "SNIPPET", "NETWORK",
    "PricebookId", "METADATA", "HIGHLIGHT", "SPELL_CORRECTION", "target_length", "NAME",
    "EMAIL", "PHONE", "SIDEBAR", "COUNT", "toLabel", "FORMAT", "GEOLOCATION", "FORMULA",
    "TODAY", "LAST_N_DAYS",
];

/// Words that are not plain names anywhere: `BY` (after an object named `Group` or `Order` it
/// would read as GROUP BY / ORDER BY) and the WITH keywords that a `WITH field = value` filter
/// cannot be named.
const NEVER_PLAIN: &[&str] = &["BY", "SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"];

/// Realistic names, so that failures read like real queries.
#[rustfmt::skip]
const NAMES: &[&str] = &[
    "Id", "Name", "Account", "Contact", "Contacts", "Owner", "What", "Who", "Amount",
    "CreatedDate", "CloseDate", "StageName", "Industry", "Location__c", "ns__Field__c",
    "Line_Items__r", "a", "x1", "mine", "Geography__c", "usa__c",
];

const AGGREGATES: &[Function] = &[
    Function::Count,
    Function::CountDistinct,
    Function::Sum,
    Function::Avg,
    Function::Min,
    Function::Max,
    Function::Grouping,
];

const DATE_FUNCTIONS: &[Function] = &[
    Function::CalendarMonth,
    Function::CalendarQuarter,
    Function::CalendarYear,
    Function::DayInMonth,
    Function::DayInWeek,
    Function::DayInYear,
    Function::DayOnly,
    Function::FiscalMonth,
    Function::FiscalQuarter,
    Function::FiscalYear,
    Function::HourInDay,
    Function::WeekInMonth,
    Function::WeekInYear,
];

/// Characters that stress the escaping of SOQL strings, LIKE patterns and SOSL text.
const TRICKY_CHARS: &[char] = &[
    '\'', '"', '\\', '\n', '\r', '\t', '\u{8}', '\u{c}', '\0', '\u{7f}', '\u{85}', '\u{a0}',
    '\u{2028}', '%', '_', ' ', '{', '}', '[', ']', '(', ')', '*', '?', ':', '-', '+', '&', '|',
    '!', '^', '~', ';', ',', '.', '/', 'é', 'ß', '日', '😀', 'a', 'Z', '0',
];

/// Generation settings.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    /// Generate Apex bind variables (and parse with `apex_binds`).
    binds: bool,
}

/// Where an expression stands (mirrors the parser's rules for which function may appear).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Select,
    Where,
    Having,
    GroupBy,
    OrderBy,
}

/// Which kind of query is being generated (mirrors the parser's `QueryKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Top,
    Child,
    SemiJoin,
}

fn one_of<T: std::fmt::Debug + 'static>(alts: Vec<BoxedStrategy<T>>) -> BoxedStrategy<T> {
    Union::new(alts).boxed()
}

// ---------------------------------------------------------------------------------------------
// Properties

fn options(ctx: Ctx) -> ParseOptions {
    ParseOptions::default().apex_binds(ctx.binds)
}

fn check_query(q: &Query, opts: &ParseOptions) -> Result<(), TestCaseError> {
    let printed = q.to_string();
    let parsed = parse_query_with(&printed, opts)
        .map_err(|e| TestCaseError::fail(format!("{e}\n  printed: {printed}\n  tree: {q:?}")))?;
    prop_assert_eq!(&parsed, q, "printed: {}", printed);
    prop_assert_eq!(parsed.to_string(), printed);
    Ok(())
}

fn check_search(s: &Search, opts: &ParseOptions) -> Result<(), TestCaseError> {
    let printed = s.to_string();
    let parsed = parse_search_with(&printed, opts)
        .map_err(|e| TestCaseError::fail(format!("{e}\n  printed: {printed}\n  tree: {s:?}")))?;
    prop_assert_eq!(&parsed, s, "printed: {}", printed);
    prop_assert_eq!(parsed.to_string(), printed);
    Ok(())
}

/// Pieces of SOQL and SOSL to splice into near-miss statements.
#[rustfmt::skip]
const FRAGMENTS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "Id", "Name", "Account", "a.b", ",", "(", ")", "'x'", "'\\''",
    "'\\%'", "'%a_'", "'\\u00e9'", "'\\q'", "'", "=", "!=", "<>", "<", ">=", "AND", "OR", "NOT",
    "IN", "NOT IN", "LIKE", "INCLUDES", "EXCLUDES", "GROUP BY", "ROLLUP(", "CUBE(", "HAVING",
    "ORDER BY", "ASC", "DESC", "NULLS FIRST", "NULLS", "LIMIT", "OFFSET", "5", "-1.5", "+2",
    "2024-01-31", "2024-02-30", "2024-01-31T10:00:00Z", "2024-01-31T10:00:00+05:30",
    "10:00:00Z", "10:00:00", "TODAY", "LAST_N_DAYS:3", "LAST_N_DAYS", "USD5", "USD-5", "EUR5.5",
    "TRUE", "NULL", "TYPEOF", "What", "WHEN", "THEN", "ELSE", "END", "FIELDS(ALL)", "FIELDS(",
    "COUNT()", "COUNT(Id)", "SUM(", "FORMAT(", "toLabel(", "convertCurrency(",
    "convertTimezone(", "CALENDAR_YEAR(", "DISTANCE(", "GEOLOCATION(", "'mi'", "FORMULA(",
    "WITH", "SECURITY_ENFORCED", "DATA CATEGORY", "AT", "ABOVE", "RecordVisibilityContext",
    "USING SCOPE", "mine", "FOR", "VIEW", "UPDATE", "TRACKING", "FIND", "{", "}", "{a AND b}",
    "{\\}", "{\"x y\"}", "'a OR b'", "\"", "RETURNING", "IN ALL FIELDS", "SNIPPET",
    "target_length", "NETWORK", "DIVISION", "SPELL_CORRECTION", "HIGHLIGHT", "ListView", ":x",
    ":", ".", ";", "[", "]", "\\", "/*", "*/", "//", "\n", "é", "😀", "\u{0}", "AS", "Group",
    "Order.Id", "Not.x",
];

fn spliced() -> BoxedStrategy<String> {
    vec(
        (select(FRAGMENTS), select(&["", " ", "  ", "\n"][..])),
        0..24,
    )
    .prop_map(|parts| parts.into_iter().flat_map(|(a, b)| [a, b]).collect())
    .boxed()
}

fn check_error(src: &str, e: &sfkit_soql::Error) -> Result<(), TestCaseError> {
    let msg = e.to_string();
    prop_assert!(
        msg.starts_with("Expected ") && msg.contains(" at line "),
        "error for {:?} is not positioned: {}",
        src,
        msg
    );
    Ok(())
}

/// Parses `src` both ways with `opts`: errors must be well formed, successes must round-trip.
fn check_anything(src: &str, opts: &ParseOptions) -> Result<(), TestCaseError> {
    match parse_query_with(src, opts) {
        Ok(q) => check_query(&q, opts)?,
        Err(e) => check_error(src, &e)?,
    }
    match parse_search_with(src, opts) {
        Ok(s) => check_search(&s, opts)?,
        Err(e) => check_error(src, &e)?,
    }
    Ok(())
}

/// `cases` cases unless `PROPTEST_CASES` asks for another number (for longer local runs).
/// A path `FieldPath::parse` accepts must print back to itself and be safe wherever a path
/// stands: SELECT, WHERE (even `Not.x`), GROUP BY, ORDER BY.
fn check_field_path(src: &str) -> Result<(), TestCaseError> {
    let path = match FieldPath::parse(src) {
        Ok(path) => path,
        Err(e) => return check_error(src, &e),
    };
    let printed = path.to_string();
    prop_assert_eq!(FieldPath::parse(&printed).ok(), Some(path.clone()));
    let mut q = Query::select_from([printed.as_str()], "Account")
        .map_err(|e| TestCaseError::fail(format!("{e}: select_from refused {printed:?}")))?;
    q.where_clause = Some(Condition::predicate(Predicate::Compare {
        lhs: Expr::field(path.clone()),
        op: CompareOp::Eq,
        rhs: Value::Null,
    }));
    q.group_by = Some(GroupBy {
        kind: GroupByKind::Plain,
        keys: vec![Expr::field(path.clone())],
    });
    q.order_by = vec![OrderByItem {
        expr: Expr::field(path),
        direction: None,
        nulls: None,
    }];
    check_query(&q, &ParseOptions::default())
}

fn config(cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            base.cases
        } else {
            cases
        },
        // Failures print the tree and the text; no regression files are written into the tree.
        failure_persistence: None::<Box<dyn FailurePersistence>>,
        ..base
    }
}

const NO_BINDS: Ctx = Ctx { binds: false };
const BINDS: Ctx = Ctx { binds: true };

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn query_round_trips(q in query(NO_BINDS, Kind::Top, 2)) {
        check_query(&q, &options(NO_BINDS))?;
    }

    #[test]
    fn query_with_binds_round_trips(q in query(BINDS, Kind::Top, 2)) {
        check_query(&q, &options(BINDS))?;
    }

    #[test]
    fn search_round_trips(s in search(NO_BINDS)) {
        check_search(&s, &options(NO_BINDS))?;
    }

    #[test]
    fn search_with_binds_round_trips(s in search(BINDS)) {
        check_search(&s, &options(BINDS))?;
    }

    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        check_anything(&src, &ParseOptions::default())?;
        check_anything(&src, &ParseOptions::default().apex_binds(true).allow_comments(true))?;
    }

    #[test]
    fn checked_field_paths_are_safe(src in prop_oneof![
        3 => vec(any_ident(), 1..4).prop_map(|names| names.join(".")),
        1 => spliced(),
        1 => any::<String>(),
    ]) {
        check_field_path(&src)?;
    }

    #[test]
    fn spliced_fragments_never_panic(src in spliced()) {
        check_anything(&src, &ParseOptions::default())?;
        check_anything(&src, &ParseOptions::default().apex_binds(true).allow_comments(true))?;
    }
}

/// Shrunk cases the properties found, kept as plain tests.
#[test]
fn found_cases_round_trip() {
    for q in [
        // A TYPEOF field list read `Group` (a name, unless BY follows) only in first place.
        "SELECT TYPEOF What WHEN Account THEN Id, Group, Order.Name, From.x END FROM Event",
        // `Not.x` is a path, as `Select.x` is; NOT is the operator only when no dot follows.
        "SELECT Id FROM Account WHERE Not.x = 1",
        "SELECT Id FROM Account WHERE a = 1 AND Not.x = 2",
        "SELECT COUNT(Id) FROM Account GROUP BY Name HAVING Not.x = 1",
    ] {
        let parsed =
            parse_query_with(q, &ParseOptions::default()).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(parsed.to_string(), q);
    }
    let err = parse_query_with(
        "SELECT Id FROM Account WHERE a = 1 AND NOT b = 2",
        &ParseOptions::default(),
    )
    .expect_err("AND NOT without parentheses");
    assert!(
        err.to_string()
            .starts_with("Expected a condition after AND"),
        "{err}"
    );
}
