//! Clause-by-clause tests of the SOQL and SOSL parser and canonical printer, through the public
//! API only.
//!
//! Each test parses a statement, checks the shape of the tree (not merely that it parsed) and the
//! canonical text `Display` prints, and round-trips it: `parse(print(parse(q))) == parse(q)`,
//! with the printer idempotent. The last part covers the escaping helpers and building queries
//! and searches from hostile user text: the printed statement must read back to the same tree
//! with the text intact, so no injection is possible.
// Test helpers outside #[test] functions report failures by panicking.
#![allow(clippy::panic, clippy::unwrap_used)]

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use sfkit_soql::escape;
use sfkit_soql::{
    CategorySelector, CompareOp, Condition, DataCategoryFilter, DateLiteral, Expr, FieldPath,
    FieldsGroup, FindClause, ForClause, FromClause, Function, FunctionCall, GroupByKind, InOperand,
    IncludesOp, LikeOperand, LikePart, LikePattern, NetworkFilter, NullsOrder, Number, OrderByItem,
    ParseOptions, Predicate, Query, RowCount, Search, SearchExpr, SearchGroup, SearchPart,
    SearchText, SearchWith, SelectItem, SortDirection, UpdateClause, Value, WithClause,
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

// ------------------------------------------------------------------------------------------------
// SELECT
// ------------------------------------------------------------------------------------------------

#[test]
fn select_fields_and_relationship_paths() {
    let q = canon(
        "select Id,Name ,  Account.Owner.Name, ns__Field__c,Parent__r.Child__r.Value__c from Contact",
        "SELECT Id, Name, Account.Owner.Name, ns__Field__c, Parent__r.Child__r.Value__c FROM Contact",
    );
    assert_eq!(
        q.select,
        vec![
            item(field("Id"), None),
            item(field("Name"), None),
            item(field("Account.Owner.Name"), None),
            item(field("ns__Field__c"), None),
            item(field("Parent__r.Child__r.Value__c"), None),
        ]
    );
    assert_eq!(
        q.from,
        FromClause {
            sobject: path("Contact"),
            alias: None,
            related: vec![],
        }
    );
    assert!(!q.is_aggregate());
    assert_eq!(q.where_clause, None);
    assert!(q.with.is_empty() && q.order_by.is_empty());
    assert_eq!(
        (q.limit, q.offset, q.for_clause, q.update),
        (None, None, None, None)
    );
}

#[test]
fn select_aliases() {
    let q = canon(
        "SELECT Name n, Account.Name acct, MAX(Amount) maxAmt FROM Opportunity GROUP BY Name, Account.Name",
        "SELECT Name n, Account.Name acct, MAX(Amount) maxAmt FROM Opportunity GROUP BY Name, Account.Name",
    );
    assert_eq!(
        q.select,
        vec![
            item(field("Name"), Some("n")),
            item(field("Account.Name"), Some("acct")),
            item(call(Function::Max, vec![field("Amount")]), Some("maxAmt")),
        ]
    );
}

#[test]
fn select_child_subqueries() {
    let q = canon(
        "SELECT Name, (SELECT LastName, Email FROM Contacts WHERE LastName != null ORDER BY LastName LIMIT 5), (select Id from Account.Opportunities) FROM Account",
        "SELECT Name, (SELECT LastName, Email FROM Contacts WHERE LastName != NULL ORDER BY LastName LIMIT 5), (SELECT Id FROM Account.Opportunities) FROM Account",
    );
    assert_eq!(q.select.len(), 3);
    let SelectItem::SubQuery { query: sub } = &q.select[1] else {
        panic!("expected a subquery, got {:?}", q.select[1]);
    };
    assert_eq!(sub.from.sobject, path("Contacts"));
    assert_eq!(
        sub.select,
        vec![item(field("LastName"), None), item(field("Email"), None)]
    );
    assert_eq!(
        sub.where_clause,
        Some(compare(field("LastName"), CompareOp::Ne, Value::Null))
    );
    assert_eq!(sub.limit, Some(RowCount::Literal(5)));
    let SelectItem::SubQuery { query: sub2 } = &q.select[2] else {
        panic!("expected a subquery, got {:?}", q.select[2]);
    };
    assert_eq!(sub2.from.sobject, path("Account.Opportunities"));
}

#[test]
fn select_nested_child_subqueries() {
    let q = canon(
        "SELECT Name, (SELECT LastName, (SELECT Subject FROM Tasks) FROM Contacts) FROM Account",
        "SELECT Name, (SELECT LastName, (SELECT Subject FROM Tasks) FROM Contacts) FROM Account",
    );
    let SelectItem::SubQuery { query: contacts } = &q.select[1] else {
        panic!("expected a subquery");
    };
    let SelectItem::SubQuery { query: tasks } = &contacts.select[1] else {
        panic!("expected a nested subquery");
    };
    assert_eq!(tasks.from.sobject, path("Tasks"));
}

#[test]
fn select_typeof() {
    let q = canon(
        "SELECT Id, typeof What when Account then Phone, NumberOfEmployees when Opportunity then Amount, Account.Name else Name, Email end FROM Event",
        "SELECT Id, TYPEOF What WHEN Account THEN Phone, NumberOfEmployees WHEN Opportunity THEN Amount, Account.Name ELSE Name, Email END FROM Event",
    );
    let SelectItem::TypeOf(t) = &q.select[1] else {
        panic!("expected TYPEOF, got {:?}", q.select[1]);
    };
    assert_eq!(t.relationship, "What");
    assert_eq!(t.whens.len(), 2);
    assert_eq!(t.whens[0].sobject, "Account");
    assert_eq!(
        t.whens[0].fields,
        vec![path("Phone"), path("NumberOfEmployees")]
    );
    assert_eq!(t.whens[1].sobject, "Opportunity");
    assert_eq!(
        t.whens[1].fields,
        vec![path("Amount"), path("Account.Name")]
    );
    assert_eq!(t.else_fields, Some(vec![path("Name"), path("Email")]));

    // Without ELSE.
    let q = canon(
        "SELECT TYPEOF Owner WHEN User THEN Username END FROM Case",
        "SELECT TYPEOF Owner WHEN User THEN Username END FROM Case",
    );
    let SelectItem::TypeOf(t) = &q.select[0] else {
        panic!("expected TYPEOF");
    };
    assert_eq!(t.else_fields, None);
    rejected("SELECT TYPEOF What WHEN Account THEN Phone FROM Event");
}

#[test]
fn select_fields_groups() {
    for (src, group) in [
        ("ALL", FieldsGroup::All),
        ("all", FieldsGroup::All),
        ("STANDARD", FieldsGroup::Standard),
        ("Standard", FieldsGroup::Standard),
        ("CUSTOM", FieldsGroup::Custom),
        ("custom", FieldsGroup::Custom),
    ] {
        let q = canon(
            &format!("SELECT fields({src}) FROM Account LIMIT 200"),
            &format!("SELECT FIELDS({group}) FROM Account LIMIT 200"),
        );
        assert_eq!(q.select, vec![SelectItem::Fields { group }]);
    }
    // Mixed with named fields and inside a subquery.
    let q = canon(
        "SELECT Id, FIELDS(STANDARD), (SELECT FIELDS(CUSTOM) FROM Contacts LIMIT 10) FROM Account LIMIT 1",
        "SELECT Id, FIELDS(STANDARD), (SELECT FIELDS(CUSTOM) FROM Contacts LIMIT 10) FROM Account LIMIT 1",
    );
    assert_eq!(
        q.select[1],
        SelectItem::Fields {
            group: FieldsGroup::Standard
        }
    );
    rejected("SELECT FIELDS(SOME) FROM Account");
}

#[test]
fn select_every_aggregate_with_aliases() {
    let q = canon(
        "SELECT count(Id) c, count_distinct(Name) cd, sum(Amount) s, avg(Amount) a, min(CloseDate) mn, max(CloseDate) mx, grouping(StageName) g, COUNT(Id) FROM Opportunity GROUP BY ROLLUP(StageName)",
        "SELECT COUNT(Id) c, COUNT_DISTINCT(Name) cd, SUM(Amount) s, AVG(Amount) a, MIN(CloseDate) mn, MAX(CloseDate) mx, GROUPING(StageName) g, COUNT(Id) FROM Opportunity GROUP BY ROLLUP(StageName)",
    );
    assert_eq!(
        q.select,
        vec![
            item(call(Function::Count, vec![field("Id")]), Some("c")),
            item(
                call(Function::CountDistinct, vec![field("Name")]),
                Some("cd")
            ),
            item(call(Function::Sum, vec![field("Amount")]), Some("s")),
            item(call(Function::Avg, vec![field("Amount")]), Some("a")),
            item(call(Function::Min, vec![field("CloseDate")]), Some("mn")),
            item(call(Function::Max, vec![field("CloseDate")]), Some("mx")),
            item(
                call(Function::Grouping, vec![field("StageName")]),
                Some("g")
            ),
            item(call(Function::Count, vec![field("Id")]), None),
        ]
    );
    assert!(q.is_aggregate());
    for f in [
        Function::Count,
        Function::CountDistinct,
        Function::Sum,
        Function::Avg,
        Function::Min,
        Function::Max,
        Function::Grouping,
    ] {
        assert!(f.is_aggregate(), "{f:?}");
    }
}

#[test]
fn select_count_star_alone() {
    let q = canon(
        "select count() from Contact where Name like 'a%'",
        "SELECT COUNT() FROM Contact WHERE Name LIKE 'a%'",
    );
    assert_eq!(q.select, vec![item(call(Function::Count, vec![]), None)]);
    assert!(q.is_aggregate());
    // COUNT() must be the only item.
    rejected("SELECT Id, COUNT() FROM Contact");
    rejected("SELECT COUNT(), Id FROM Contact");
    rejected("SELECT COUNT(), COUNT() FROM Contact");
    // COUNT(field) may be mixed, and grouped.
    query("SELECT Name, COUNT(Id) FROM Contact GROUP BY Name");
    query("SELECT COUNT(Id) FROM Contact GROUP BY Name");
}

#[test]
fn select_tolabel_format_convert_currency() {
    let q = canon(
        "SELECT TOLABEL(Status) st, format(Amount) amt, Format(Min(CloseDate)) mn, FORMAT(convertcurrency(Amount)) cc, CONVERTCURRENCY(Amount) conv FROM Opportunity",
        "SELECT toLabel(Status) st, FORMAT(Amount) amt, FORMAT(MIN(CloseDate)) mn, FORMAT(convertCurrency(Amount)) cc, convertCurrency(Amount) conv FROM Opportunity",
    );
    assert_eq!(
        q.select,
        vec![
            item(call(Function::ToLabel, vec![field("Status")]), Some("st")),
            item(call(Function::Format, vec![field("Amount")]), Some("amt")),
            item(
                call(
                    Function::Format,
                    vec![call(Function::Min, vec![field("CloseDate")])]
                ),
                Some("mn")
            ),
            item(
                call(
                    Function::Format,
                    vec![call(Function::ConvertCurrency, vec![field("Amount")])]
                ),
                Some("cc")
            ),
            item(
                call(Function::ConvertCurrency, vec![field("Amount")]),
                Some("conv")
            ),
        ]
    );
    // FORMAT(MIN(x)) is an aggregate, FORMAT(x) is not.
    assert!(
        q.select
            .iter()
            .any(|i| matches!(i, SelectItem::Expr { expr, .. } if expr.is_aggregate()))
    );
    assert!(!call(Function::Format, vec![field("Amount")]).is_aggregate());
    // toLabel in WHERE.
    let q = canon(
        "SELECT Id FROM Lead WHERE toLabel(Status) = 'Open'",
        "SELECT Id FROM Lead WHERE toLabel(Status) = 'Open'",
    );
    assert_eq!(
        q.where_clause,
        Some(compare(
            call(Function::ToLabel, vec![field("Status")]),
            CompareOp::Eq,
            Value::string("Open")
        ))
    );
    // FORMAT only in SELECT; toLabel does not nest in FORMAT.
    rejected("SELECT Id FROM Opportunity WHERE FORMAT(Amount) = '1'");
    rejected("SELECT FORMAT(toLabel(Status)) FROM Lead");
}

#[test]
fn convert_timezone_inside_date_functions() {
    let q = canon(
        "SELECT HOUR_IN_DAY(convertTimezone(CreatedDate)) h, SUM(Amount) FROM Opportunity WHERE CALENDAR_YEAR(CONVERTTIMEZONE(CreatedDate)) = 2024 GROUP BY HOUR_IN_DAY(convertTimezone(CreatedDate))",
        "SELECT HOUR_IN_DAY(convertTimezone(CreatedDate)) h, SUM(Amount) FROM Opportunity WHERE CALENDAR_YEAR(convertTimezone(CreatedDate)) = 2024 GROUP BY HOUR_IN_DAY(convertTimezone(CreatedDate))",
    );
    let tz = call(
        Function::HourInDay,
        vec![call(Function::ConvertTimezone, vec![field("CreatedDate")])],
    );
    assert_eq!(q.select[0], item(tz.clone(), Some("h")));
    assert_eq!(q.group_by.as_ref().unwrap().keys, vec![tz]);
    assert_eq!(
        q.where_clause,
        Some(compare(
            call(
                Function::CalendarYear,
                vec![call(Function::ConvertTimezone, vec![field("CreatedDate")])]
            ),
            CompareOp::Eq,
            num("2024")
        ))
    );
    // Not on its own, nor inside a non-date function.
    rejected("SELECT convertTimezone(CreatedDate) FROM Opportunity");
    rejected(
        "SELECT Id FROM Opportunity WHERE convertTimezone(CreatedDate) > 2024-01-01T00:00:00Z",
    );
    rejected("SELECT MAX(convertTimezone(CreatedDate)) FROM Opportunity");
}

#[test]
fn every_date_function() {
    let all = [
        ("CALENDAR_MONTH", Function::CalendarMonth),
        ("CALENDAR_QUARTER", Function::CalendarQuarter),
        ("CALENDAR_YEAR", Function::CalendarYear),
        ("DAY_IN_MONTH", Function::DayInMonth),
        ("DAY_IN_WEEK", Function::DayInWeek),
        ("DAY_IN_YEAR", Function::DayInYear),
        ("DAY_ONLY", Function::DayOnly),
        ("FISCAL_MONTH", Function::FiscalMonth),
        ("FISCAL_QUARTER", Function::FiscalQuarter),
        ("FISCAL_YEAR", Function::FiscalYear),
        ("HOUR_IN_DAY", Function::HourInDay),
        ("WEEK_IN_MONTH", Function::WeekInMonth),
        ("WEEK_IN_YEAR", Function::WeekInYear),
    ];
    for (name, function) in all {
        assert_eq!(Function::from_name(name), Some(function));
        assert_eq!(function.name(), name);
        let lower = name.to_ascii_lowercase();
        let q = canon(
            &format!(
                "SELECT {lower}(CreatedDate) v, COUNT(Id) FROM Opportunity WHERE {lower}(CloseDate) > 1 GROUP BY {lower}(CreatedDate) HAVING COUNT(Id) > 1 ORDER BY {lower}(CreatedDate)"
            ),
            &format!(
                "SELECT {name}(CreatedDate) v, COUNT(Id) FROM Opportunity WHERE {name}(CloseDate) > 1 GROUP BY {name}(CreatedDate) HAVING COUNT(Id) > 1 ORDER BY {name}(CreatedDate)"
            ),
        );
        let e = call(function, vec![field("CreatedDate")]);
        assert_eq!(q.select[0], item(e.clone(), Some("v")));
        assert_eq!(q.group_by.as_ref().unwrap().keys, vec![e.clone()]);
        assert_eq!(q.order_by[0].expr, e);
        assert_eq!(
            q.where_clause,
            Some(compare(
                call(function, vec![field("CloseDate")]),
                CompareOp::Gt,
                num("1")
            ))
        );
    }
}

#[test]
fn distance_and_geolocation() {
    let q = canon(
        "SELECT Name, DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') dist FROM Warehouse__c WHERE distance(Location__c, geolocation(37.775,-122.418), 'km') < 20 ORDER BY DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') DESC LIMIT 10",
        "SELECT Name, DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') dist FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'km') < 20 ORDER BY DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') DESC LIMIT 10",
    );
    let dist = |unit: &str| {
        call(
            Function::Distance,
            vec![
                field("Location__c"),
                call(
                    Function::Geolocation,
                    vec![lit(num("37.775")), lit(num("-122.418"))],
                ),
                lit(Value::string(unit)),
            ],
        )
    };
    assert_eq!(q.select[1], item(dist("mi"), Some("dist")));
    assert_eq!(
        q.where_clause,
        Some(compare(dist("km"), CompareOp::Lt, num("20")))
    );
    assert_eq!(
        q.order_by,
        vec![OrderByItem {
            expr: dist("mi"),
            direction: Some(SortDirection::Desc),
            nulls: None,
        }]
    );
    // Units are case-insensitive; others are rejected.
    query("SELECT Id FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(1, 2), 'KM') < 5");
    rejected("SELECT Id FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(1, 2), 'm') < 5");
    rejected("SELECT GEOLOCATION(1, 2) FROM Warehouse__c");
    rejected(
        "SELECT Id FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION('a', 2), 'mi') < 5",
    );
}

// ------------------------------------------------------------------------------------------------
// FROM and USING SCOPE
// ------------------------------------------------------------------------------------------------

#[test]
fn from_with_alias() {
    let q = canon(
        "SELECT a.Name FROM Account a WHERE a.Industry = 'Tech'",
        "SELECT a.Name FROM Account a WHERE a.Industry = 'Tech'",
    );
    assert_eq!(q.from.sobject, path("Account"));
    assert_eq!(q.from.alias.as_deref(), Some("a"));
    assert_eq!(q.select, vec![item(field("a.Name"), None)]);
}

#[test]
fn from_group_and_order_objects() {
    let q = canon(
        "SELECT Id, Name FROM Group WHERE Type = 'Queue'",
        "SELECT Id, Name FROM Group WHERE Type = 'Queue'",
    );
    assert_eq!(q.from.sobject, path("Group"));
    assert_eq!(q.from.alias, None);

    let q = canon(
        "SELECT Id FROM Order ORDER BY Id",
        "SELECT Id FROM Order ORDER BY Id",
    );
    assert_eq!(q.from.sobject, path("Order"));
    assert_eq!(q.from.alias, None);
    assert_eq!(q.order_by.len(), 1);
    assert_eq!(q.order_by[0].expr, field("Id"));

    let q = canon(
        "SELECT Id FROM Group GROUP BY Id",
        "SELECT Id FROM Group GROUP BY Id",
    );
    assert_eq!(q.from.sobject, path("Group"));
    assert!(q.group_by.is_some());
    // But ORDER BY / GROUP BY cannot stand where the object goes.
    rejected("SELECT Id FROM ORDER BY Id");
}

#[test]
fn from_alias_notation() {
    let q = canon(
        "SELECT c.FirstName, a.Name FROM Contact c, c.Account a WHERE a.Name = 'Acme'",
        "SELECT c.FirstName, a.Name FROM Contact c, c.Account a WHERE a.Name = 'Acme'",
    );
    assert_eq!(q.from.sobject, path("Contact"));
    assert_eq!(q.from.alias.as_deref(), Some("c"));
    assert_eq!(q.from.related.len(), 1);
    assert_eq!(q.from.related[0].path, path("c.Account"));
    assert_eq!(q.from.related[0].alias.as_deref(), Some("a"));
}

#[test]
fn using_scope() {
    for scope in [
        "delegated",
        "everything",
        "mine",
        "mine_and_my_groups",
        "my_territory",
        "my_team_territory",
        "team",
        "mru",
    ] {
        let q = canon(
            &format!("select Id from Account using scope {scope} where Name != null"),
            &format!("SELECT Id FROM Account USING SCOPE {scope} WHERE Name != NULL"),
        );
        assert_eq!(q.using_scope.as_deref(), Some(scope));
        assert!(q.where_clause.is_some());
    }
}

// ------------------------------------------------------------------------------------------------
// WHERE: operators
// ------------------------------------------------------------------------------------------------

#[test]
fn where_comparison_operators() {
    for (src, op, printed) in [
        ("=", CompareOp::Eq, "="),
        ("!=", CompareOp::Ne, "!="),
        ("<>", CompareOp::Ne, "!="),
        ("<", CompareOp::Lt, "<"),
        ("<=", CompareOp::Le, "<="),
        (">", CompareOp::Gt, ">"),
        (">=", CompareOp::Ge, ">="),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Opportunity WHERE Amount{src}100"),
            &format!("SELECT Id FROM Opportunity WHERE Amount {printed} 100"),
        );
        assert_eq!(
            q.where_clause,
            Some(compare(field("Amount"), op, num("100")))
        );
    }
}

#[test]
fn where_like() {
    let q = canon(
        "SELECT Id FROM Account WHERE Name like 'Ac_me%Corp\\%\\_'",
        "SELECT Id FROM Account WHERE Name LIKE 'Ac_me%Corp\\%\\_'",
    );
    assert_eq!(
        where_pred(&q),
        &Predicate::Like {
            lhs: field("Name"),
            pattern: LikeOperand::Pattern(LikePattern::from_parts([
                LikePart::Text("Ac".into()),
                LikePart::OneChar,
                LikePart::Text("me".into()),
                LikePart::AnyChars,
                LikePart::Text("Corp%_".into()),
            ])),
        }
    );
    // LIKE takes a quoted pattern only.
    rejected("SELECT Id FROM Account WHERE Name LIKE 5");
}

#[test]
fn where_in_and_not_in_lists() {
    let q = canon(
        "SELECT Id FROM Account WHERE Industry IN ('Tech','Retail' , 'Energy')",
        "SELECT Id FROM Account WHERE Industry IN ('Tech', 'Retail', 'Energy')",
    );
    assert_eq!(
        where_pred(&q),
        &Predicate::In {
            lhs: field("Industry"),
            negated: false,
            rhs: InOperand::List(vec![
                Value::string("Tech"),
                Value::string("Retail"),
                Value::string("Energy")
            ]),
        }
    );
    let q = canon(
        "SELECT Id FROM Account WHERE NumberOfEmployees not in (1, 2.5, null)",
        "SELECT Id FROM Account WHERE NumberOfEmployees NOT IN (1, 2.5, NULL)",
    );
    assert_eq!(
        where_pred(&q),
        &Predicate::In {
            lhs: field("NumberOfEmployees"),
            negated: true,
            rhs: InOperand::List(vec![num("1"), num("2.5"), Value::Null]),
        }
    );
    rejected("SELECT Id FROM Account WHERE Industry IN 'Tech'");
    rejected("SELECT Id FROM Account WHERE Industry IN ()");
}

#[test]
fn where_includes_and_excludes() {
    let q = canon(
        "SELECT Id FROM Contact WHERE Languages__c includes ('English;French', 'Japanese') AND Certifications__c excludes ('Oracle')",
        "SELECT Id FROM Contact WHERE Languages__c INCLUDES ('English;French', 'Japanese') AND Certifications__c EXCLUDES ('Oracle')",
    );
    let Some(Condition::And(items)) = &q.where_clause else {
        panic!("expected AND");
    };
    assert_eq!(
        items[0],
        Condition::predicate(Predicate::Includes {
            lhs: field("Languages__c"),
            op: IncludesOp::Includes,
            values: vec![Value::string("English;French"), Value::string("Japanese")],
        })
    );
    assert_eq!(
        items[1],
        Condition::predicate(Predicate::Includes {
            lhs: field("Certifications__c"),
            op: IncludesOp::Excludes,
            values: vec![Value::string("Oracle")],
        })
    );
    // Only strings.
    rejected("SELECT Id FROM Contact WHERE Languages__c INCLUDES (1)");
}

#[test]
fn where_semi_join_and_anti_join() {
    let q = canon(
        "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 'apple%') AND Id NOT IN (select AccountId from Opportunity where IsClosed = false)",
        "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 'apple%') AND Id NOT IN (SELECT AccountId FROM Opportunity WHERE IsClosed = FALSE)",
    );
    let Some(Condition::And(items)) = &q.where_clause else {
        panic!("expected AND");
    };
    let Condition::Predicate(p) = &items[0] else {
        panic!("expected a predicate");
    };
    let Predicate::In {
        lhs,
        negated: false,
        rhs: InOperand::SubQuery(sub),
    } = p.as_ref()
    else {
        panic!("expected a semi-join, got {p:?}");
    };
    assert_eq!(lhs, &field("Id"));
    assert_eq!(sub.select, vec![item(field("AccountId"), None)]);
    assert_eq!(sub.from.sobject, path("Contact"));
    let Condition::Predicate(p) = &items[1] else {
        panic!("expected a predicate");
    };
    let Predicate::In {
        negated: true,
        rhs: InOperand::SubQuery(sub),
        ..
    } = p.as_ref()
    else {
        panic!("expected an anti-join, got {p:?}");
    };
    assert_eq!(sub.from.sobject, path("Opportunity"));
    assert_eq!(
        sub.where_clause,
        Some(compare(
            field("IsClosed"),
            CompareOp::Eq,
            Value::Boolean(false)
        ))
    );
    // No OFFSET in a WHERE subquery.
    rejected("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact OFFSET 1)");
}

// ------------------------------------------------------------------------------------------------
// WHERE: values
// ------------------------------------------------------------------------------------------------

#[test]
fn string_escapes() {
    let v = value_of(r#"'a\nb\tc\'d\\e\u00e9f\rg\bh\fi\"j'"#);
    assert_eq!(v, Value::string("a\nb\tc'd\\eéf\rg\u{8}h\u{c}i\"j"));
    assert_eq!(v.to_string(), r#"'a\nb\tc\'d\\eéf\rg\bh\fi\"j'"#);
    // Upper-case escape letters mean the same.
    assert_eq!(
        value_of(r"'\N\T\R\B\F\U00E9'"),
        Value::string("\n\t\r\u{8}\u{c}é")
    );
    // Non-ASCII text passes through as is.
    assert_eq!(value_of("'Zoë 東京'"), Value::string("Zoë 東京"));
    // Control characters without a short escape print as \uXXXX.
    assert_eq!(Value::string("\u{1}").to_string(), r"'\u0001'");
    // \% and \_ only inside LIKE; any other backslash is an error.
    rejected(r"SELECT Id FROM Account WHERE Name = 'a\%'");
    rejected(r"SELECT Id FROM Account WHERE Name = 'a\_'");
    rejected(r"SELECT Id FROM Account WHERE Name = 'a\x'");
    rejected(r"SELECT Id FROM Account WHERE Name = 'a\u00g1'");
    rejected(r"SELECT Id FROM Account WHERE Name = 'a\u00'");
    // % and _ outside LIKE are plain characters.
    assert_eq!(value_of("'50%_off'"), Value::string("50%_off"));
}

#[test]
fn date_literals() {
    assert_eq!(
        value_of("2024-02-29"),
        Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
    );
    let q = canon(
        "SELECT Id FROM Opportunity WHERE CloseDate > 2010-11-05",
        "SELECT Id FROM Opportunity WHERE CloseDate > 2010-11-05",
    );
    assert!(matches!(where_value(&q), Value::Date(_)));
    rejected("SELECT Id FROM Opportunity WHERE CloseDate > 2023-02-29");
    rejected("SELECT Id FROM Opportunity WHERE CloseDate > '2023-02-01'x");
}

#[test]
fn datetime_literals() {
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    for (src, printed, local, offset) in [
        (
            "2010-11-01T19:45:04Z",
            "2010-11-01T19:45:04Z",
            ymd(2010, 11, 1).and_hms_opt(19, 45, 4).unwrap(),
            None,
        ),
        (
            "2010-11-01T19:45:04+05:30",
            "2010-11-01T19:45:04+05:30",
            ymd(2010, 11, 1).and_hms_opt(19, 45, 4).unwrap(),
            Some(330),
        ),
        (
            "2010-11-01T19:45:04-0800",
            "2010-11-01T19:45:04-08:00",
            ymd(2010, 11, 1).and_hms_opt(19, 45, 4).unwrap(),
            Some(-480),
        ),
        (
            "2010-11-01T19:45:04+00:00",
            "2010-11-01T19:45:04+00:00",
            ymd(2010, 11, 1).and_hms_opt(19, 45, 4).unwrap(),
            Some(0),
        ),
        (
            "2010-11-01T19:45:04.123Z",
            "2010-11-01T19:45:04.123Z",
            ymd(2010, 11, 1).and_hms_milli_opt(19, 45, 4, 123).unwrap(),
            None,
        ),
        (
            "2010-11-01T19:45:04.5Z",
            "2010-11-01T19:45:04.500Z",
            ymd(2010, 11, 1).and_hms_milli_opt(19, 45, 4, 500).unwrap(),
            None,
        ),
        (
            "2010-11-01T19:45:04.123456-03:00",
            "2010-11-01T19:45:04.123456-03:00",
            ymd(2010, 11, 1)
                .and_hms_micro_opt(19, 45, 4, 123_456)
                .unwrap(),
            Some(-180),
        ),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Account WHERE CreatedDate >= {src}"),
            &format!("SELECT Id FROM Account WHERE CreatedDate >= {printed}"),
        );
        let Value::DateTime(dt) = where_value(&q) else {
            panic!("{src}: expected a dateTime, got {:?}", where_value(&q));
        };
        assert_eq!(dt.local, local, "{src}");
        assert_eq!(dt.offset_minutes, offset, "{src}");
    }
    // The offset is applied for the UTC instant.
    let Value::DateTime(dt) = value_of("2010-11-01T19:45:04-0800") else {
        panic!("expected a dateTime");
    };
    assert_eq!(dt.to_utc(), ymd(2010, 11, 2).and_hms_opt(3, 45, 4).unwrap());
    rejected("SELECT Id FROM Account WHERE CreatedDate >= 2010-11-01T19:45:04");
    rejected("SELECT Id FROM Account WHERE CreatedDate >= 2010-11-01T25:45:04Z");
    rejected("SELECT Id FROM Account WHERE CreatedDate >= 2010-11-01T19:45:04+15:00");
}

#[test]
fn time_literals() {
    let q = canon(
        "SELECT Id FROM Shift__c WHERE Start__c = 01:00:00.000Z",
        "SELECT Id FROM Shift__c WHERE Start__c = 01:00:00Z",
    );
    assert_eq!(
        where_value(&q),
        &Value::Time(NaiveTime::from_hms_opt(1, 0, 0).unwrap())
    );
    let q = canon(
        "SELECT Id FROM Shift__c WHERE Start__c < 13:30:15.250Z",
        "SELECT Id FROM Shift__c WHERE Start__c < 13:30:15.250Z",
    );
    assert_eq!(
        where_value(&q),
        &Value::Time(NaiveTime::from_hms_milli_opt(13, 30, 15, 250).unwrap())
    );
    rejected("SELECT Id FROM Shift__c WHERE Start__c = 01:00:00");
}

#[test]
fn every_relative_date_literal() {
    assert_eq!(DateLiteral::NAMES.len(), 23 + 21);
    for &name in DateLiteral::NAMES {
        let (src, expected) = if DateLiteral::is_counted_name(name) {
            (
                format!("{}:7", name.to_ascii_lowercase()),
                DateLiteral::counted(name, 7).unwrap(),
            )
        } else {
            (name.to_ascii_lowercase(), DateLiteral::fixed(name).unwrap())
        };
        let printed = if expected.count().is_some() {
            format!("{name}:7")
        } else {
            name.to_owned()
        };
        let q = canon(
            &format!("SELECT Id FROM Opportunity WHERE CloseDate = {src}"),
            &format!("SELECT Id FROM Opportunity WHERE CloseDate = {printed}"),
        );
        assert_eq!(where_value(&q), &Value::DateLiteral(expected));
        assert_eq!(expected.name(), name);
        if DateLiteral::is_counted_name(name) {
            assert_eq!(expected.count(), Some(7));
            // A counted literal needs its count.
            rejected(&format!(
                "SELECT Id FROM Opportunity WHERE CloseDate = {name}"
            ));
        } else {
            assert_eq!(expected.count(), None);
        }
    }
    assert_eq!(
        value_of("LAST_N_DAYS:0"),
        Value::DateLiteral(DateLiteral::LastNDays(0))
    );
    assert_eq!(
        value_of("N_FISCAL_YEARS_AGO:365"),
        Value::DateLiteral(DateLiteral::NFiscalYearsAgo(365))
    );
    rejected("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS:-1");
    rejected("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS:1.5");
    rejected("SELECT Id FROM Opportunity WHERE CloseDate = NOT_A_LITERAL");
}

#[test]
fn currency_literals() {
    for (src, code, amount) in [
        ("USD5000", "USD", "5000"),
        ("USD5000.01", "USD", "5000.01"),
        ("USD-500", "USD", "-500"),
        ("JPY1000", "JPY", "1000"),
        ("eur12.5", "eur", "12.5"),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Opportunity WHERE Amount > {src}"),
            &format!("SELECT Id FROM Opportunity WHERE Amount > {src}"),
        );
        let Value::Currency(c) = where_value(&q) else {
            panic!(
                "{src}: expected a currency literal, got {:?}",
                where_value(&q)
            );
        };
        assert_eq!(c.iso_code, code);
        assert_eq!(c.amount.as_str(), amount);
    }
}

#[test]
fn numbers() {
    for (src, printed, integer) in [
        ("0", "0", true),
        ("42", "42", true),
        ("-100", "-100", true),
        ("-100.123", "-100.123", false),
        ("+5", "5", true),
        ("101.00", "101.00", false),
        (
            "123456789012345678901234567890",
            "123456789012345678901234567890",
            true,
        ),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Account WHERE X = {src}"),
            &format!("SELECT Id FROM Account WHERE X = {printed}"),
        );
        let Value::Number(n) = where_value(&q) else {
            panic!("{src}: expected a number");
        };
        assert_eq!(n.as_str(), printed);
        assert_eq!(n.is_integer(), integer, "{src}");
    }
    let Value::Number(n) = value_of("-100.5") else {
        panic!("expected a number")
    };
    assert!((n.to_f64() + 100.5).abs() < f64::EPSILON);
    rejected("SELECT Id FROM Account WHERE X = - 5");
    rejected("SELECT Id FROM Account WHERE X = 5.");
}

#[test]
fn null_true_false_any_case() {
    for (src, v) in [
        ("NULL", Value::Null),
        ("null", Value::Null),
        ("Null", Value::Null),
        ("TRUE", Value::Boolean(true)),
        ("true", Value::Boolean(true)),
        ("tRuE", Value::Boolean(true)),
        ("FALSE", Value::Boolean(false)),
        ("false", Value::Boolean(false)),
        ("False", Value::Boolean(false)),
    ] {
        let printed = v.to_string();
        let q = canon(
            &format!("SELECT Id FROM Account WHERE X != {src}"),
            &format!("SELECT Id FROM Account WHERE X != {printed}"),
        );
        assert_eq!(where_value(&q), &v);
    }
    assert_eq!(Value::Null.to_string(), "NULL");
    assert_eq!(Value::Boolean(true).to_string(), "TRUE");
    assert_eq!(Value::Boolean(false).to_string(), "FALSE");
}

// ------------------------------------------------------------------------------------------------
// WHERE: AND, OR, NOT
// ------------------------------------------------------------------------------------------------

fn a() -> Condition {
    compare(field("A"), CompareOp::Eq, num("1"))
}

fn b() -> Condition {
    compare(field("B"), CompareOp::Eq, num("2"))
}

fn c() -> Condition {
    compare(field("C"), CompareOp::Eq, num("3"))
}

const W: &str = "SELECT Id FROM Account WHERE ";

#[test]
fn and_or_chains() {
    let q = canon(
        &format!("{W}A = 1 and B = 2 AND C = 3"),
        &format!("{W}A = 1 AND B = 2 AND C = 3"),
    );
    assert_eq!(q.where_clause, Some(Condition::And(vec![a(), b(), c()])));
    let q = canon(
        &format!("{W}A = 1 or B = 2 OR C = 3"),
        &format!("{W}A = 1 OR B = 2 OR C = 3"),
    );
    assert_eq!(q.where_clause, Some(Condition::Or(vec![a(), b(), c()])));
}

#[test]
fn parentheses_group_mixed_operators() {
    let q = canon(
        &format!("{W}(A = 1 AND B = 2) OR C = 3"),
        &format!("{W}(A = 1 AND B = 2) OR C = 3"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::Or(vec![Condition::And(vec![a(), b()]), c()]))
    );
    let q = canon(
        &format!("{W}A = 1 AND (B = 2 OR C = 3)"),
        &format!("{W}A = 1 AND (B = 2 OR C = 3)"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::And(vec![a(), Condition::Or(vec![b(), c()])]))
    );
    // Redundant parentheses disappear from the tree and the canonical text.
    let q = canon(&format!("{W}((A = 1))"), &format!("{W}A = 1"));
    assert_eq!(q.where_clause, Some(a()));
    // A parenthesised group of the same operator stays a group.
    let q = canon(
        &format!("{W}(A = 1 AND B = 2) AND C = 3"),
        &format!("{W}(A = 1 AND B = 2) AND C = 3"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::And(vec![Condition::And(vec![a(), b()]), c()]))
    );
}

#[test]
fn mixing_and_or_without_parentheses_is_an_error() {
    rejected(&format!("{W}A = 1 AND B = 2 OR C = 3"));
    rejected(&format!("{W}A = 1 OR B = 2 AND C = 3"));
    rejected(&format!("{W}(A = 1 OR B = 2 AND C = 3)"));
}

#[test]
fn not_rules() {
    let q = canon(&format!("{W}not A = 1"), &format!("{W}NOT A = 1"));
    assert_eq!(q.where_clause, Some(Condition::Not(Box::new(a()))));
    let q = canon(
        &format!("{W}NOT (A = 1 OR B = 2)"),
        &format!("{W}NOT (A = 1 OR B = 2)"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::Not(Box::new(Condition::Or(vec![a(), b()]))))
    );
    // a AND (NOT b) is fine, and so is (NOT a) AND b.
    let q = canon(
        &format!("{W}A = 1 AND (NOT B = 2)"),
        &format!("{W}A = 1 AND (NOT B = 2)"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::And(vec![a(), Condition::Not(Box::new(b()))]))
    );
    let q = canon(
        &format!("{W}(NOT A = 1) OR B = 2"),
        &format!("{W}(NOT A = 1) OR B = 2"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::Or(vec![Condition::Not(Box::new(a())), b()]))
    );
    let q = canon(
        &format!("{W}NOT (NOT A = 1)"),
        &format!("{W}NOT (NOT A = 1)"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::Not(Box::new(Condition::Not(Box::new(a())))))
    );
    // a AND NOT b, NOT a AND b, NOT a OR b: errors.
    rejected(&format!("{W}A = 1 AND NOT B = 2"));
    rejected(&format!("{W}A = 1 OR NOT B = 2"));
    rejected(&format!("{W}A = 1 AND NOT (B = 2)"));
    rejected(&format!("{W}NOT A = 1 AND B = 2"));
    rejected(&format!("{W}NOT A = 1 OR B = 2"));
    rejected(&format!("{W}NOT NOT A = 1"));
}

// ------------------------------------------------------------------------------------------------
// WITH
// ------------------------------------------------------------------------------------------------

#[test]
fn with_security_and_modes() {
    for (src, clause) in [
        ("security_enforced", WithClause::SecurityEnforced),
        ("USER_MODE", WithClause::UserMode),
        ("System_Mode", WithClause::SystemMode),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Account WHERE Name != null with {src} ORDER BY Name"),
            &format!("SELECT Id FROM Account WHERE Name != NULL WITH {clause} ORDER BY Name"),
        );
        assert_eq!(q.with, vec![clause]);
        assert_eq!(q.order_by.len(), 1);
    }
}

#[test]
fn with_data_category() {
    for (src, selector) in [
        ("AT", CategorySelector::At),
        ("above", CategorySelector::Above),
        ("Below", CategorySelector::Below),
        ("ABOVE_OR_BELOW", CategorySelector::AboveOrBelow),
    ] {
        let q = canon(
            &format!(
                "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'Online' WITH DATA CATEGORY Geography__c {src} usa__c"
            ),
            &format!(
                "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'Online' WITH DATA CATEGORY Geography__c {selector} usa__c"
            ),
        );
        assert_eq!(
            q.with,
            vec![WithClause::DataCategory {
                filters: vec![DataCategoryFilter {
                    group: "Geography__c".into(),
                    selector,
                    categories: vec!["usa__c".into()],
                }]
            }]
        );
    }
    let q = canon(
        "SELECT Title FROM Question WHERE LastReplyDate > 2005-10-08T01:02:03Z WITH DATA CATEGORY Geography__c AT (usa__c,uk__c) AND Product__c ABOVE_OR_BELOW mobile_phones__c",
        "SELECT Title FROM Question WHERE LastReplyDate > 2005-10-08T01:02:03Z WITH DATA CATEGORY Geography__c AT (usa__c, uk__c) AND Product__c ABOVE_OR_BELOW mobile_phones__c",
    );
    assert_eq!(
        q.with,
        vec![WithClause::DataCategory {
            filters: vec![
                DataCategoryFilter {
                    group: "Geography__c".into(),
                    selector: CategorySelector::At,
                    categories: vec!["usa__c".into(), "uk__c".into()],
                },
                DataCategoryFilter {
                    group: "Product__c".into(),
                    selector: CategorySelector::AboveOrBelow,
                    categories: vec!["mobile_phones__c".into()],
                },
            ]
        }]
    );
    rejected("SELECT Title FROM Question WITH DATA CATEGORY Geography__c NEAR usa__c");
}

#[test]
fn with_filter_and_record_visibility() {
    let q = canon(
        "SELECT Id FROM UserProfileFeed WITH UserId='005D0000001AamR' ORDER BY CreatedDate DESC, Id DESC LIMIT 20",
        "SELECT Id FROM UserProfileFeed WITH UserId = '005D0000001AamR' ORDER BY CreatedDate DESC, Id DESC LIMIT 20",
    );
    assert_eq!(
        q.with,
        vec![WithClause::Filter {
            field: "UserId".into(),
            value: Value::string("005D0000001AamR"),
        }]
    );
    let q = canon(
        "SELECT Id FROM Account WITH RecordVisibilityContext (maxDescriptorPerRecord=100, supportsDomains=true)",
        "SELECT Id FROM Account WITH RecordVisibilityContext (maxDescriptorPerRecord=100, supportsDomains=TRUE)",
    );
    let [WithClause::RecordVisibilityContext { params }] = q.with.as_slice() else {
        panic!("expected RecordVisibilityContext, got {:?}", q.with);
    };
    assert_eq!(params.len(), 2);
    assert_eq!(params[0].name, "maxDescriptorPerRecord");
    assert_eq!(params[0].value, num("100"));
    assert_eq!(params[1].value, Value::Boolean(true));
    rejected("SELECT Id FROM Account WITH NONSENSE");
}

// ------------------------------------------------------------------------------------------------
// GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET, FOR, UPDATE
// ------------------------------------------------------------------------------------------------

#[test]
fn group_by_plain_rollup_cube_and_having() {
    let q = canon(
        "SELECT LeadSource, Rating, COUNT(Name) cnt FROM Lead GROUP BY LeadSource, Rating HAVING COUNT(Name) > 100 and SUM(Amount) < 5",
        "SELECT LeadSource, Rating, COUNT(Name) cnt FROM Lead GROUP BY LeadSource, Rating HAVING COUNT(Name) > 100 AND SUM(Amount) < 5",
    );
    let g = q.group_by.as_ref().unwrap();
    assert_eq!(g.kind, GroupByKind::Plain);
    assert_eq!(g.keys, vec![field("LeadSource"), field("Rating")]);
    assert_eq!(
        q.having,
        Some(Condition::And(vec![
            compare(
                call(Function::Count, vec![field("Name")]),
                CompareOp::Gt,
                num("100")
            ),
            compare(
                call(Function::Sum, vec![field("Amount")]),
                CompareOp::Lt,
                num("5")
            ),
        ]))
    );

    for (src, kind) in [("rollup", GroupByKind::Rollup), ("CUBE", GroupByKind::Cube)] {
        let upper = src.to_ascii_uppercase();
        let q = canon(
            &format!(
                "SELECT Type, BillingCountry, GROUPING(Type) grpType, COUNT(Id) FROM Account GROUP BY {src}(Type, BillingCountry) HAVING GROUPING(Type) = 0"
            ),
            &format!(
                "SELECT Type, BillingCountry, GROUPING(Type) grpType, COUNT(Id) FROM Account GROUP BY {upper}(Type, BillingCountry) HAVING GROUPING(Type) = 0"
            ),
        );
        let g = q.group_by.as_ref().unwrap();
        assert_eq!(g.kind, kind);
        assert_eq!(g.keys, vec![field("Type"), field("BillingCountry")]);
        assert!(q.having.is_some());
    }
    // Aggregates cannot be group keys; HAVING needs GROUP BY.
    rejected("SELECT COUNT(Id) FROM Account GROUP BY COUNT(Id)");
    rejected("SELECT Name FROM Account HAVING COUNT(Id) > 1");
}

#[test]
fn order_by_directions_nulls_and_keys() {
    let q = canon(
        "SELECT Id FROM Account ORDER BY Name asc nulls first, CreatedDate DESC NULLS LAST, Owner.Name, Rating nulls last, Type desc",
        "SELECT Id FROM Account ORDER BY Name ASC NULLS FIRST, CreatedDate DESC NULLS LAST, Owner.Name, Rating NULLS LAST, Type DESC",
    );
    assert_eq!(
        q.order_by,
        vec![
            OrderByItem {
                expr: field("Name"),
                direction: Some(SortDirection::Asc),
                nulls: Some(NullsOrder::First),
            },
            OrderByItem {
                expr: field("CreatedDate"),
                direction: Some(SortDirection::Desc),
                nulls: Some(NullsOrder::Last),
            },
            OrderByItem {
                expr: field("Owner.Name"),
                direction: None,
                nulls: None,
            },
            OrderByItem {
                expr: field("Rating"),
                direction: None,
                nulls: Some(NullsOrder::Last),
            },
            OrderByItem {
                expr: field("Type"),
                direction: Some(SortDirection::Desc),
                nulls: None,
            },
        ]
    );
    // Aggregates in ORDER BY of a grouped query.
    let q = canon(
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name ORDER BY COUNT(Id) DESC",
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name ORDER BY COUNT(Id) DESC",
    );
    assert_eq!(q.order_by[0].expr, call(Function::Count, vec![field("Id")]));
    rejected("SELECT Id FROM Account ORDER BY Name NULLS");
    rejected("SELECT Id FROM Account ORDER BY");
}

#[test]
fn limit_and_offset() {
    let q = canon(
        "SELECT Id FROM Account ORDER BY Name limit 10 offset 20",
        "SELECT Id FROM Account ORDER BY Name LIMIT 10 OFFSET 20",
    );
    assert_eq!(q.limit, Some(RowCount::Literal(10)));
    assert_eq!(q.offset, Some(RowCount::Literal(20)));
    let q = canon(
        "SELECT Id FROM Account LIMIT 0",
        "SELECT Id FROM Account LIMIT 0",
    );
    assert_eq!(q.limit, Some(RowCount::Literal(0)));
    let q = canon(
        "SELECT Id FROM Account OFFSET 5",
        "SELECT Id FROM Account OFFSET 5",
    );
    assert_eq!((q.limit, q.offset), (None, Some(RowCount::Literal(5))));
    // The parser keeps any non-negative count; the 2,000 cap is the executor's.
    let q = query("SELECT Id FROM Account OFFSET 2001");
    assert_eq!(q.offset, Some(RowCount::Literal(2001)));
    rejected("SELECT Id FROM Account LIMIT 1.5");
    rejected("SELECT Id FROM Account LIMIT ten");
    rejected("SELECT Id FROM Account OFFSET 1 LIMIT 1");
}

#[test]
fn offset_is_an_alias_unless_a_number_follows() {
    let q = canon(
        "SELECT Name Offset FROM Account OFFSET 5",
        "SELECT Name Offset FROM Account OFFSET 5",
    );
    assert_eq!(q.select, vec![item(field("Name"), Some("Offset"))]);
    assert_eq!(q.offset, Some(RowCount::Literal(5)));
    let q = canon(
        "SELECT offset.Name FROM Account offset",
        "SELECT offset.Name FROM Account offset",
    );
    assert_eq!(q.from.alias.as_deref(), Some("offset"));
    assert_eq!(q.offset, None);
}

#[test]
fn for_view_reference_update() {
    for (src, clause) in [
        ("for view", ForClause::View),
        ("FOR REFERENCE", ForClause::Reference),
        ("For Update", ForClause::Update),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Account LIMIT 1 {src}"),
            &format!("SELECT Id FROM Account LIMIT 1 {clause}"),
        );
        assert_eq!(q.for_clause, Some(clause));
        assert_eq!(q.update, None);
    }
    rejected("SELECT Id FROM Account FOR SHARE");
}

#[test]
fn update_tracking_and_viewstat() {
    for (src, clause) in [
        ("update tracking", UpdateClause::Tracking),
        ("UPDATE VIEWSTAT", UpdateClause::Viewstat),
    ] {
        let q = canon(
            &format!(
                "SELECT Title FROM FAQ__kav WHERE Keyword__c = 'Apex' and Language = 'en_US' and KnowledgeArticleVersion = 'ka230000000PCiy' {src}"
            ),
            &format!(
                "SELECT Title FROM FAQ__kav WHERE Keyword__c = 'Apex' AND Language = 'en_US' AND KnowledgeArticleVersion = 'ka230000000PCiy' {clause}"
            ),
        );
        assert_eq!(q.update, Some(clause));
        assert_eq!(q.for_clause, None);
    }
    let q = canon(
        "SELECT Title FROM FAQ__kav FOR VIEW UPDATE VIEWSTAT",
        "SELECT Title FROM FAQ__kav FOR VIEW UPDATE VIEWSTAT",
    );
    assert_eq!(q.for_clause, Some(ForClause::View));
    assert_eq!(q.update, Some(UpdateClause::Viewstat));
    rejected("SELECT Title FROM FAQ__kav UPDATE STATS");
}

#[test]
fn every_clause_in_order() {
    let q = canon(
        "SELECT Name, COUNT(Id) n FROM Account a USING SCOPE mine WHERE Name != null WITH SECURITY_ENFORCED GROUP BY Name HAVING COUNT(Id) > 1 ORDER BY Name DESC NULLS LAST LIMIT 10 OFFSET 5 FOR VIEW",
        "SELECT Name, COUNT(Id) n FROM Account a USING SCOPE mine WHERE Name != NULL WITH SECURITY_ENFORCED GROUP BY Name HAVING COUNT(Id) > 1 ORDER BY Name DESC NULLS LAST LIMIT 10 OFFSET 5 FOR VIEW",
    );
    assert_eq!(q.using_scope.as_deref(), Some("mine"));
    assert_eq!(q.with, vec![WithClause::SecurityEnforced]);
    assert!(q.group_by.is_some() && q.having.is_some());
    assert_eq!(q.limit, Some(RowCount::Literal(10)));
    assert_eq!(q.offset, Some(RowCount::Literal(5)));
    assert_eq!(q.for_clause, Some(ForClause::View));
    // Clauses out of order are errors.
    rejected("SELECT Id FROM Account LIMIT 5 WHERE Name = 'x'");
    rejected("SELECT Id FROM Account ORDER BY Name WHERE Name = 'x'");
    rejected("SELECT Id FROM Account WITH SECURITY_ENFORCED USING SCOPE mine");
}

#[test]
fn keywords_are_case_insensitive_names_keep_their_case() {
    let q = canon(
        "sElEcT iD, aCcOuNt.NaMe FrOm CoNtAcT wHeRe LaStNaMe LiKe 'a%' AnD cReAtEdDaTe = lAsT_n_DaYs:3 OrDeR bY lAsTnAmE dEsC nUlLs LaSt LiMiT 5 oFfSeT 1",
        "SELECT iD, aCcOuNt.NaMe FROM CoNtAcT WHERE LaStNaMe LIKE 'a%' AND cReAtEdDaTe = LAST_N_DAYS:3 ORDER BY lAsTnAmE DESC NULLS LAST LIMIT 5 OFFSET 1",
    );
    assert_eq!(q.from.sobject, path("CoNtAcT"));
    assert_eq!(q.order_by[0].direction, Some(SortDirection::Desc));
    // Same tree as the conventional spelling, but for the names' case.
    let upper = query(
        "SELECT iD, aCcOuNt.NaMe FROM CoNtAcT WHERE LaStNaMe LIKE 'a%' AND cReAtEdDaTe = LAST_N_DAYS:3 ORDER BY lAsTnAmE DESC NULLS LAST LIMIT 5 OFFSET 1",
    );
    assert_eq!(q, upper);
    // Whitespace of every kind separates tokens.
    let spaced = query(
        "SELECT\tiD,\r\n aCcOuNt.NaMe\nFROM CoNtAcT WHERE LaStNaMe LIKE 'a%' AND cReAtEdDaTe = LAST_N_DAYS:3 ORDER BY lAsTnAmE DESC NULLS LAST LIMIT 5 OFFSET 1\n",
    );
    assert_eq!(spaced, upper);
}

#[test]
fn reserved_words_are_not_aliases() {
    // `AS` does not exist in SOQL.
    rejected("SELECT Name AS n FROM Account");
    rejected("SELECT Name FROM Account AS a");
    // A reserved word cannot be a field.
    rejected("SELECT Select FROM Account");
    rejected("SELECT Id FROM Account WHERE Limit = 1");
}

#[test]
fn formula_in_where_but_not_having_or_select() {
    let q = canon(
        "SELECT Id FROM Opportunity WHERE formula('Amount - ExpectedRevenue') > 100",
        "SELECT Id FROM Opportunity WHERE FORMULA('Amount - ExpectedRevenue') > 100",
    );
    assert_eq!(
        q.where_clause,
        Some(compare(
            call(
                Function::Formula,
                vec![lit(Value::string("Amount - ExpectedRevenue"))]
            ),
            CompareOp::Gt,
            num("100")
        ))
    );
    rejected(
        "SELECT Name, COUNT(Id) FROM Opportunity GROUP BY Name HAVING FORMULA('Amount - ExpectedRevenue') > 100",
    );
    rejected("SELECT FORMULA('Amount - ExpectedRevenue') FROM Opportunity");
    rejected("SELECT Id FROM Opportunity WHERE FORMULA(Amount) > 100");
}

#[test]
fn aggregates_not_in_where() {
    rejected("SELECT Id FROM Opportunity WHERE COUNT(Id) > 1");
    rejected("SELECT Id FROM Opportunity WHERE SUM(Amount) > 1");
    rejected("SELECT Id FROM Opportunity WHERE Unknown(Amount) > 1");
}

#[test]
fn apex_binds_only_when_enabled() {
    let src = "SELECT Id FROM Account WHERE Id IN :accountIds AND Name = :acct.Name AND Name LIKE :pattern LIMIT :n OFFSET :skip";
    rejected(src);
    rejected("SELECT Id FROM Account WHERE Name = :name");
    rejected("SELECT Id FROM Account LIMIT :n");
    let opts = ParseOptions::default().apex_binds(true);
    let q = query_with(src, &opts);
    assert_eq!(
        q.to_string(),
        "SELECT Id FROM Account WHERE Id IN :accountIds AND Name = :acct.Name AND Name LIKE :pattern LIMIT :n OFFSET :skip"
    );
    let Some(Condition::And(items)) = &q.where_clause else {
        panic!("expected AND");
    };
    let bind = |p: &str| sfkit_soql::BindVariable {
        path: p.split('.').map(str::to_owned).collect(),
    };
    assert_eq!(
        items[0],
        Condition::predicate(Predicate::In {
            lhs: field("Id"),
            negated: false,
            rhs: InOperand::Bind(bind("accountIds")),
        })
    );
    assert_eq!(
        items[1],
        compare(field("Name"), CompareOp::Eq, Value::Bind(bind("acct.Name")))
    );
    assert_eq!(
        items[2],
        Condition::predicate(Predicate::Like {
            lhs: field("Name"),
            pattern: LikeOperand::Bind(bind("pattern")),
        })
    );
    assert_eq!(q.limit, Some(RowCount::Bind(bind("n"))));
    assert_eq!(q.offset, Some(RowCount::Bind(bind("skip"))));
    // SOSL too.
    search_rejected("FIND :term RETURNING Account");
    let s = search_with("FIND :term RETURNING Account", &opts);
    assert_eq!(s.find, FindClause::Bind(bind("term")));
    assert_eq!(s.to_string(), "FIND :term RETURNING Account");
}

#[test]
fn comments_only_when_enabled() {
    let src = "SELECT Id, // the id\n Name /* the name */ FROM Account /* multi\nline */ WHERE Name = '/* not a comment */' // end";
    rejected(src);
    rejected("SELECT Id FROM Account // trailing");
    let opts = ParseOptions::default().allow_comments(true);
    let q = query_with(src, &opts);
    assert_eq!(
        q,
        query("SELECT Id, Name FROM Account WHERE Name = '/* not a comment */'")
    );
    assert_eq!(
        q.to_string(),
        "SELECT Id, Name FROM Account WHERE Name = '/* not a comment */'"
    );
    assert!(parse_query_with("SELECT Id FROM Account /* open", &opts).is_err());
}

#[test]
fn parse_options_builders() {
    let d = ParseOptions::default();
    assert!(!d.apex_binds && !d.allow_comments);
    assert_eq!(d.recursion_limit, sfkit_soql::DEFAULT_RECURSION_LIMIT);
    assert_eq!(d.max_length, sfkit_soql::MAX_QUERY_LENGTH);
    let o = ParseOptions::default()
        .apex_binds(true)
        .allow_comments(true)
        .recursion_limit(3)
        .max_length(10);
    assert!(o.apex_binds && o.allow_comments);
    assert_eq!((o.recursion_limit, o.max_length), (3, 10));
    // The limits take effect.
    assert!(parse_query_with("SELECT Id FROM Account", &o).is_err());
    let shallow = ParseOptions::default().recursion_limit(2);
    assert!(parse_query_with("SELECT Id FROM Account WHERE (A = 1)", &shallow).is_ok());
    assert!(parse_query_with("SELECT Id FROM Account WHERE ((((A = 1))))", &shallow).is_err());
}

// ------------------------------------------------------------------------------------------------
// SOSL
// ------------------------------------------------------------------------------------------------

#[test]
fn sosl_find_braces_and_quotes() {
    let s = search_canon("find {Acme}", "FIND {Acme}");
    assert_eq!(s.find, FindClause::Braces(term("Acme")));
    assert_eq!(s.in_fields, None);
    assert!(s.returning.is_empty() && s.with.is_empty());
    assert_eq!((s.limit, s.update), (None, None));

    let s = search_canon("FIND 'Acme*'", "FIND 'Acme*'");
    assert_eq!(
        s.find,
        FindClause::Quotes(SearchExpr::Term(text_of(vec![
            SearchPart::Text("Acme".into()),
            SearchPart::AnyChars,
        ])))
    );
    // Inside quotes, SOQL string escapes apply first.
    let s = search_canon(
        r#"FIND '\"Joe Smith\" OR O\\\'Brien'"#,
        r#"FIND '\"Joe Smith\" OR O\\\'Brien'"#,
    );
    assert_eq!(
        s.find,
        FindClause::Quotes(SearchExpr::Or(vec![
            SearchExpr::Phrase(SearchText::literal("Joe Smith")),
            term("O'Brien"),
        ]))
    );
}

#[test]
fn sosl_search_operators() {
    let s = search_canon("FIND {Acme and Corp}", "FIND {Acme AND Corp}");
    assert_eq!(
        braces(&s),
        &SearchExpr::And(vec![term("Acme"), term("Corp")])
    );
    let s = search_canon("FIND {Acme or Corp OR Inc}", "FIND {Acme OR Corp OR Inc}");
    assert_eq!(
        braces(&s),
        &SearchExpr::Or(vec![term("Acme"), term("Corp"), term("Inc")])
    );
    let s = search_canon("FIND {Acme and not Corp}", "FIND {Acme AND NOT Corp}");
    assert_eq!(
        braces(&s),
        &SearchExpr::And(vec![term("Acme"), SearchExpr::Not(Box::new(term("Corp")))])
    );
    let s = search_canon(
        "FIND {(Acme OR Corp) AND Inc}",
        "FIND {(Acme OR Corp) AND Inc}",
    );
    assert_eq!(
        braces(&s),
        &SearchExpr::And(vec![
            SearchExpr::Or(vec![term("Acme"), term("Corp")]),
            term("Inc")
        ])
    );
    // AND binds tighter than OR; the printer makes that explicit.
    let s = search_canon("FIND {a1 OR b1 AND c1}", "FIND {a1 OR (b1 AND c1)}");
    assert_eq!(
        braces(&s),
        &SearchExpr::Or(vec![
            term("a1"),
            SearchExpr::And(vec![term("b1"), term("c1")])
        ])
    );
    let s = search_canon(
        "FIND {Acme AND NOT (Corp OR Inc)}",
        "FIND {Acme AND NOT (Corp OR Inc)}",
    );
    assert_eq!(
        braces(&s),
        &SearchExpr::And(vec![
            term("Acme"),
            SearchExpr::Not(Box::new(SearchExpr::Or(vec![term("Corp"), term("Inc")])))
        ])
    );
    search_rejected("FIND {NOT Acme}");
    search_rejected("FIND {Acme AND}");
    search_rejected("FIND {OR Acme}");
}

#[test]
fn sosl_adjacent_words_phrases_wildcards() {
    let s = search_canon("FIND {Joe   Smith}", "FIND {Joe Smith}");
    assert_eq!(
        braces(&s),
        &SearchExpr::Adjacent(vec![term("Joe"), term("Smith")])
    );
    let s = search_canon(r#"FIND {"Joe Smith"}"#, r#"FIND {"Joe Smith"}"#);
    assert_eq!(
        braces(&s),
        &SearchExpr::Phrase(SearchText::literal("Joe Smith"))
    );
    let s = search_canon(
        r#"FIND {Acme "Joe Smith" AND Corp}"#,
        r#"FIND {(Acme "Joe Smith") AND Corp}"#,
    );
    assert_eq!(
        braces(&s),
        &SearchExpr::And(vec![
            SearchExpr::Adjacent(vec![
                term("Acme"),
                SearchExpr::Phrase(SearchText::literal("Joe Smith"))
            ]),
            term("Corp")
        ])
    );
    let s = search_canon("FIND {Acm* Jo?n}", "FIND {Acm* Jo?n}");
    assert_eq!(
        braces(&s),
        &SearchExpr::Adjacent(vec![
            SearchExpr::Term(text_of(vec![
                SearchPart::Text("Acm".into()),
                SearchPart::AnyChars
            ])),
            SearchExpr::Term(text_of(vec![
                SearchPart::Text("Jo".into()),
                SearchPart::OneChar,
                SearchPart::Text("n".into()),
            ])),
        ])
    );
    // Quoted operator words are searched literally.
    let s = search_canon(r#"FIND {"and" OR "or"}"#, r#"FIND {"and" OR "or"}"#);
    assert_eq!(
        braces(&s),
        &SearchExpr::Or(vec![
            SearchExpr::Phrase(SearchText::literal("and")),
            SearchExpr::Phrase(SearchText::literal("or")),
        ])
    );
}

#[test]
fn sosl_escaped_reserved_characters() {
    let s = search_canon(
        r"FIND {C\+\+ \(beta\) 1\-800 a\*b \and}",
        r"FIND {C\+\+ \(beta\) 1\-800 a\*b \and}",
    );
    assert_eq!(
        braces(&s),
        &SearchExpr::Adjacent(vec![
            term("C++"),
            term("(beta)"),
            term("1-800"),
            term("a*b"),
            term("and"),
        ])
    );
    // An escaped brace does not close the search.
    let s = search_canon(r"FIND {a\}b} IN NAME FIELDS", r"FIND {a\}b} IN NAME FIELDS");
    assert_eq!(braces(&s), &term("a}b"));
    // An escaped space keeps one term.
    let s = search_canon(r"FIND {Joe\ Smith}", r"FIND {Joe\ Smith}");
    assert_eq!(braces(&s), &term("Joe Smith"));
}

#[test]
fn sosl_in_fields() {
    for (src, group) in [
        ("all", SearchGroup::All),
        ("NAME", SearchGroup::Name),
        ("Email", SearchGroup::Email),
        ("PHONE", SearchGroup::Phone),
        ("sidebar", SearchGroup::Sidebar),
    ] {
        let s = search_canon(
            &format!("FIND {{Acme}} in {src} fields RETURNING Account"),
            &format!("FIND {{Acme}} IN {group} FIELDS RETURNING Account"),
        );
        assert_eq!(s.in_fields, Some(group));
    }
    search_rejected("FIND {Acme} IN ADDRESS FIELDS");
    search_rejected("FIND {Acme} IN NAME");
}

#[test]
fn sosl_returning() {
    let s = search_canon(
        "FIND {Acme} RETURNING Account(Id, Name n, toLabel(Industry) WHERE Industry = 'Tech' and AnnualRevenue > USD100 USING ListView = Recent ORDER BY Name DESC NULLS LAST, Id LIMIT 10 OFFSET 5), Contact, Lead(Email) LIMIT 50",
        "FIND {Acme} RETURNING Account(Id, Name n, toLabel(Industry) WHERE Industry = 'Tech' AND AnnualRevenue > USD100 USING ListView = Recent ORDER BY Name DESC NULLS LAST, Id LIMIT 10 OFFSET 5), Contact, Lead(Email) LIMIT 50",
    );
    assert_eq!(s.returning.len(), 3);
    let acct = &s.returning[0];
    assert_eq!(acct.sobject, "Account");
    assert_eq!(
        acct.fields,
        vec![
            item(field("Id"), None),
            item(field("Name"), Some("n")),
            item(call(Function::ToLabel, vec![field("Industry")]), None),
        ]
    );
    assert!(matches!(&acct.where_clause, Some(Condition::And(v)) if v.len() == 2));
    assert_eq!(acct.list_view.as_deref(), Some("Recent"));
    assert_eq!(acct.order_by.len(), 2);
    assert_eq!(acct.order_by[0].direction, Some(SortDirection::Desc));
    assert_eq!(acct.order_by[0].nulls, Some(NullsOrder::Last));
    assert_eq!(acct.limit, Some(RowCount::Literal(10)));
    assert_eq!(acct.offset, Some(RowCount::Literal(5)));
    let contact = &s.returning[1];
    assert_eq!(contact.sobject, "Contact");
    assert!(contact.fields.is_empty() && contact.where_clause.is_none());
    assert_eq!(s.returning[2].fields, vec![item(field("Email"), None)]);
    assert_eq!(s.limit, Some(RowCount::Literal(50)));
    // A field list may not be empty; subqueries do not belong there.
    search_rejected("FIND {Acme} RETURNING Account()");
    search_rejected("FIND {Acme} RETURNING Account((SELECT Id FROM Contacts))");
    search_rejected("FIND {Acme} RETURNING Account(Id OFFSET 5 LIMIT 1)");
}

#[test]
fn sosl_every_with_clause() {
    let cases: Vec<(&str, &str, SearchWith)> = vec![
        (
            "WITH DIVISION='Global'",
            "WITH DIVISION = 'Global'",
            SearchWith::Division(Value::string("Global")),
        ),
        (
            "WITH DATA CATEGORY Geography__c ABOVE usa__c AND Product__c AT (a__c, b__c)",
            "WITH DATA CATEGORY Geography__c ABOVE usa__c AND Product__c AT (a__c, b__c)",
            SearchWith::DataCategory(vec![
                DataCategoryFilter {
                    group: "Geography__c".into(),
                    selector: CategorySelector::Above,
                    categories: vec!["usa__c".into()],
                },
                DataCategoryFilter {
                    group: "Product__c".into(),
                    selector: CategorySelector::At,
                    categories: vec!["a__c".into(), "b__c".into()],
                },
            ]),
        ),
        ("WITH SNIPPET", "WITH SNIPPET", SearchWith::Snippet(None)),
        (
            "with snippet(target_length=120)",
            "WITH SNIPPET (target_length = 120)",
            SearchWith::Snippet(Some(120)),
        ),
        (
            "WITH NETWORK = '0DBxx0000000001'",
            "WITH NETWORK = '0DBxx0000000001'",
            SearchWith::Network(NetworkFilter::Eq(Value::string("0DBxx0000000001"))),
        ),
        (
            "WITH NETWORK IN ('0DBxx0000000001','0DBxx0000000002')",
            "WITH NETWORK IN ('0DBxx0000000001', '0DBxx0000000002')",
            SearchWith::Network(NetworkFilter::In(vec![
                Value::string("0DBxx0000000001"),
                Value::string("0DBxx0000000002"),
            ])),
        ),
        (
            "WITH PricebookId = '01sxx0000002VJ0'",
            "WITH PricebookId = '01sxx0000002VJ0'",
            SearchWith::PricebookId(Value::string("01sxx0000002VJ0")),
        ),
        (
            "WITH METADATA = 'LABELS'",
            "WITH METADATA = 'LABELS'",
            SearchWith::Metadata(Value::string("LABELS")),
        ),
        ("WITH HIGHLIGHT", "WITH HIGHLIGHT", SearchWith::Highlight),
        (
            "WITH SPELL_CORRECTION = false",
            "WITH SPELL_CORRECTION = FALSE",
            SearchWith::SpellCorrection(false),
        ),
        (
            "WITH SPELL_CORRECTION = TRUE",
            "WITH SPELL_CORRECTION = TRUE",
            SearchWith::SpellCorrection(true),
        ),
        (
            "WITH SECURITY_ENFORCED",
            "WITH SECURITY_ENFORCED",
            SearchWith::SecurityEnforced,
        ),
        ("with user_mode", "WITH USER_MODE", SearchWith::UserMode),
        (
            "WITH SYSTEM_MODE",
            "WITH SYSTEM_MODE",
            SearchWith::SystemMode,
        ),
    ];
    for (src, printed, expected) in cases {
        let s = search_canon(
            &format!("FIND {{Acme}} RETURNING Account(Name) {src} LIMIT 10"),
            &format!("FIND {{Acme}} RETURNING Account(Name) {printed} LIMIT 10"),
        );
        assert_eq!(s.with, vec![expected], "{src}");
        assert_eq!(s.limit, Some(RowCount::Literal(10)));
    }
    // Several WITH clauses keep their order.
    let s = search_canon(
        "FIND {Acme} WITH HIGHLIGHT WITH SNIPPET WITH SPELL_CORRECTION = true",
        "FIND {Acme} WITH HIGHLIGHT WITH SNIPPET WITH SPELL_CORRECTION = TRUE",
    );
    assert_eq!(
        s.with,
        vec![
            SearchWith::Highlight,
            SearchWith::Snippet(None),
            SearchWith::SpellCorrection(true)
        ]
    );
    search_rejected("FIND {Acme} WITH SPELL_CORRECTION = 'yes'");
    search_rejected("FIND {Acme} WITH SNIPPET (length = 5)");
    search_rejected("FIND {Acme} WITH COLOR = 'red'");
}

#[test]
fn sosl_limit_and_update() {
    for (src, clause) in [
        ("update tracking", UpdateClause::Tracking),
        ("UPDATE VIEWSTAT", UpdateClause::Viewstat),
    ] {
        let s = search_canon(
            &format!("FIND {{Acme}} RETURNING FAQ__kav(Id) LIMIT 5 {src}"),
            &format!("FIND {{Acme}} RETURNING FAQ__kav(Id) LIMIT 5 {clause}"),
        );
        assert_eq!(s.update, Some(clause));
        assert_eq!(s.limit, Some(RowCount::Literal(5)));
    }
    search_rejected("FIND {Acme} LIMIT -1");
    search_rejected("FIND {Acme} LIMIT 5 RETURNING Account");
}

#[test]
fn sosl_every_clause_together() {
    let s = search_canon(
        "find {Acme* AND NOT \"Acme Labs\"} in name fields returning Account(Id, Name WHERE Industry = 'Tech' ORDER BY Name LIMIT 10), Contact(Id, Email) with snippet limit 50 update tracking",
        "FIND {Acme* AND NOT \"Acme Labs\"} IN NAME FIELDS RETURNING Account(Id, Name WHERE Industry = 'Tech' ORDER BY Name LIMIT 10), Contact(Id, Email) WITH SNIPPET LIMIT 50 UPDATE TRACKING",
    );
    assert_eq!(s.in_fields, Some(SearchGroup::Name));
    assert_eq!(s.returning.len(), 2);
    assert_eq!(s.with, vec![SearchWith::Snippet(None)]);
    assert_eq!(s.limit, Some(RowCount::Literal(50)));
    assert_eq!(s.update, Some(UpdateClause::Tracking));
}

// ------------------------------------------------------------------------------------------------
// Escaping helpers and building statements from user text
// ------------------------------------------------------------------------------------------------

/// Text a user might type to break out of a literal.
const HOSTILE: &[&str] = &[
    "O'Brien",
    "x' OR Name != '",
    "\\' OR Id != null OR Name = '",
    "back\\slash\\",
    "trailing backslash \\",
    "line\nbreak\r\nand\ttab",
    "quote \" double",
    "50%_off",
    "} RETURNING User(Password) {",
    "'; DELETE --",
    "\u{0}\u{1}\u{7f}\u{8}\u{c}",
    "Zoë 東京 🚀",
    "",
    "\\u0027",
    "%",
    "\\%\\_",
];

#[test]
fn escape_helpers() {
    assert_eq!(escape::quote("O'Brien"), r"'O\'Brien'");
    assert_eq!(escape::quote(""), "''");
    assert_eq!(
        escape::escape("a'b\\c\nd\re\tf\"g\u{8}\u{c}\u{1}%_"),
        r#"a\'b\\c\nd\re\tf\"g\b\f\u0001%_"#
    );
    assert_eq!(escape::escape_like("50%_off"), r"50\%\_off");
    assert_eq!(escape::escape_like("it's 100%"), r"it\'s 100\%");
    assert_eq!(escape::escape_sosl("C++ (beta)"), r"C\+\+ \(beta\)");
    assert_eq!(
        escape::escape_sosl(r#"?&|!{}[]()^~*:\"'+-"#),
        r#"\?\&\|\!\{\}\[\]\(\)\^\~\*\:\\\"\'\+\-"#
    );
    assert_eq!(escape::escape_sosl("plain words"), "plain words");
    assert_eq!(
        escape::format_date(NaiveDate::from_ymd_opt(2024, 1, 31).unwrap()),
        "2024-01-31"
    );
    assert_eq!(
        escape::format_date(NaiveDate::from_ymd_opt(987, 3, 4).unwrap()),
        "0987-03-04"
    );
    let t = Utc.with_ymd_and_hms(2024, 1, 31, 23, 59, 59).unwrap();
    assert_eq!(escape::format_datetime(t), "2024-01-31T23:59:59Z");
    let t = t + chrono::TimeDelta::milliseconds(250);
    assert_eq!(escape::format_datetime(t), "2024-01-31T23:59:59.250Z");
}

#[test]
fn escape_helper_output_parses_back() {
    for &h in HOSTILE {
        // quote()
        let q = query(&format!(
            "SELECT Id FROM Account WHERE Name = {}",
            escape::quote(h)
        ));
        assert_eq!(where_value(&q), &Value::string(h), "quote({h:?})");
        // escape() between quotes
        let q = query(&format!(
            "SELECT Id FROM Account WHERE Name = '{}'",
            escape::escape(h)
        ));
        assert_eq!(where_value(&q), &Value::string(h), "escape({h:?})");
        // escape_like() inside a contains pattern
        let q = query(&format!(
            "SELECT Id FROM Account WHERE Name LIKE '%{}%'",
            escape::escape_like(h)
        ));
        assert_eq!(
            where_pred(&q),
            &Predicate::Like {
                lhs: field("Name"),
                pattern: LikeOperand::Pattern(LikePattern::contains(h)),
            },
            "escape_like({h:?})"
        );
    }
    // escape_sosl() on text without spaces gives one literal term.
    for h in [
        "C++",
        "a{b}c",
        "x}RETURNING",
        "(a)",
        "\\",
        "\"q\"",
        "a:b?c*",
        "!^~[]",
    ] {
        let s = search_with(
            &format!("FIND {{{}}}", escape::escape_sosl(h)),
            &ParseOptions::default(),
        );
        assert_eq!(braces(&s), &term(h), "escape_sosl({h:?})");
    }
    // format_date / format_datetime give literals that read back as the same instant.
    let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    assert_eq!(value_of(&escape::format_date(d)), Value::Date(d));
    let t =
        Utc.with_ymd_and_hms(2024, 2, 29, 8, 30, 0).unwrap() + chrono::TimeDelta::milliseconds(7);
    let Value::DateTime(dt) = value_of(&escape::format_datetime(t)) else {
        panic!("expected a dateTime");
    };
    assert_eq!(dt.to_utc(), t.naive_utc());
    assert_eq!(dt.offset_minutes, None);
}

#[test]
fn like_pattern_builders() {
    let text = "50%_off 'now'";
    for (pattern, printed, parts) in [
        (
            LikePattern::contains(text),
            r"'%50\%\_off \'now\'%'",
            vec![
                LikePart::AnyChars,
                LikePart::Text(text.into()),
                LikePart::AnyChars,
            ],
        ),
        (
            LikePattern::starts_with(text),
            r"'50\%\_off \'now\'%'",
            vec![LikePart::Text(text.into()), LikePart::AnyChars],
        ),
        (
            LikePattern::ends_with(text),
            r"'%50\%\_off \'now\''",
            vec![LikePart::AnyChars, LikePart::Text(text.into())],
        ),
        (
            LikePattern::exact(text),
            r"'50\%\_off \'now\''",
            vec![LikePart::Text(text.into())],
        ),
    ] {
        assert_eq!(pattern.parts(), parts.as_slice());
        assert_eq!(pattern.to_string(), printed);
        let mut q = Query::select_from(["Id"], "Account").unwrap();
        q.where_clause = Some(Condition::predicate(Predicate::Like {
            lhs: field("Name"),
            pattern: LikeOperand::Pattern(pattern.clone()),
        }));
        let printed_query = q.to_string();
        assert_eq!(
            printed_query,
            format!("SELECT Id FROM Account WHERE Name LIKE {printed}")
        );
        let back = query(&printed_query);
        assert_eq!(back, q, "LIKE pattern {printed}");
    }
    // Empty text parts vanish, adjacent ones merge.
    assert_eq!(
        LikePattern::from_parts([
            LikePart::Text(String::new()),
            LikePart::Text("a".into()),
            LikePart::Text("b".into()),
            LikePart::OneChar,
        ])
        .parts(),
        &[LikePart::Text("ab".into()), LikePart::OneChar]
    );
    assert_eq!(
        LikePattern::contains(""),
        LikePattern::from_parts([LikePart::AnyChars, LikePart::AnyChars])
    );
}

#[test]
fn built_query_with_hostile_values_cannot_be_injected() {
    for &h in HOSTILE {
        let mut q = Query::select_from(["Id", "Name", "Account.Name"], "Contact").unwrap();
        q.where_clause = Some(Condition::And(vec![
            compare(field("Name"), CompareOp::Eq, Value::string(h)),
            Condition::predicate(Predicate::In {
                lhs: field("Email"),
                negated: true,
                rhs: InOperand::List(vec![Value::string(h), Value::string("x")]),
            }),
        ]));
        q.limit = Some(RowCount::Literal(1));
        let printed = q.to_string();
        let back = parse_query(&printed)
            .unwrap_or_else(|e| panic!("{h:?} printed as {printed:?} does not parse: {e}"));
        assert_eq!(back, q, "{h:?} printed as {printed:?}");
        // The structure is intact: exactly two predicates and the LIMIT.
        let Some(Condition::And(items)) = &back.where_clause else {
            panic!("{printed:?}: WHERE lost its shape");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0],
            compare(field("Name"), CompareOp::Eq, Value::string(h))
        );
        assert_eq!(back.limit, Some(RowCount::Literal(1)));
        assert_eq!(back.to_string(), printed);
    }
}

#[test]
fn select_from_refuses_names_that_are_not_names() {
    for (fields, sobject) in [
        (vec!["Name) FROM User --"], "Account"),
        (vec!["Id"], "Account WHERE Name != null"),
        (vec!["Id, Password__c"], "Account"),
        (vec!["Select"], "Account"),
        (vec!["Name'"], "Account"),
        (vec![""], "Account"),
        (vec!["Id"], ""),
        (vec!["Id"], "Account.Owner"),
        (vec!["Account..Name"], "Contact"),
    ] {
        assert!(
            Query::select_from(&fields, sobject).is_err(),
            "{fields:?} FROM {sobject:?} should be refused"
        );
    }
    assert_eq!(
        FieldPath::parse("Account.Owner.Name").unwrap(),
        path("Account.Owner.Name")
    );
    assert!(FieldPath::parse("Name FROM User").is_err());
    assert!(FieldPath::parse("Name\\").is_err());
    // Surrounding whitespace is not part of the name.
    assert_eq!(FieldPath::parse(" Name\n").unwrap(), path("Name"));
}

#[test]
fn select_from_builds_paths() {
    let q = Query::select_from(["Id", "Account.Owner.Name"], "Contact").unwrap();
    assert_eq!(q.to_string(), "SELECT Id, Account.Owner.Name FROM Contact");
    assert_eq!(
        q.select,
        vec![
            item(field("Id"), None),
            item(field("Account.Owner.Name"), None)
        ]
    );
    assert_eq!(q, query("SELECT Id, Account.Owner.Name FROM Contact"));
}

#[test]
fn search_phrase_from_hostile_text() {
    for &h in HOSTILE {
        if h.is_empty() {
            continue;
        }
        // FIND {"..."}
        let mut s = Search::find(SearchExpr::phrase(h));
        s.returning.push(sfkit_soql::ReturningObject::new(
            "Account",
            vec![item(field("Id"), None)],
        ));
        s.limit = Some(RowCount::Literal(5));
        let printed = s.to_string();
        let back = parse_search(&printed)
            .unwrap_or_else(|e| panic!("{h:?} printed as {printed:?} does not parse: {e}"));
        assert_eq!(back, s, "{h:?} printed as {printed:?}");
        assert_eq!(back.returning.len(), 1);
        assert_eq!(back.to_string(), printed);

        // FIND '"..."' (the Apex form escapes twice).
        let mut s2 = s.clone();
        s2.find = FindClause::Quotes(SearchExpr::phrase(h));
        let printed = s2.to_string();
        let back = parse_search(&printed)
            .unwrap_or_else(|e| panic!("{h:?} printed as {printed:?} does not parse: {e}"));
        assert_eq!(back, s2, "{h:?} printed as {printed:?}");

        // A term built from the same text reads back as one term.
        let t = Search::find(SearchExpr::Term(SearchText::literal(h)));
        let printed = t.to_string();
        let back = parse_search(&printed)
            .unwrap_or_else(|e| panic!("{h:?} printed as {printed:?} does not parse: {e}"));
        assert_eq!(back, t, "{h:?} printed as {printed:?}");
    }
    // The printed phrase escapes every reserved character.
    assert_eq!(
        Search::find(SearchExpr::phrase("C++ \"beta\" {x}")).to_string(),
        r#"FIND {"C\+\+ \"beta\" \{x\}"}"#
    );
    // Terms that spell an operator stay terms.
    for word in ["and", "OR", "Not"] {
        let t = Search::find(SearchExpr::Term(SearchText::literal(word)));
        let back = parse_search(&t.to_string()).unwrap();
        assert_eq!(back, t, "{word}");
    }
}
