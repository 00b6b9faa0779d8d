//! SELECT: fields and relationship paths, aliases, child subqueries, TYPEOF, FIELDS(),
//! aggregates and the other functions.

use sfkit_soql::{
    CompareOp, FieldsGroup, FromClause, Function, OrderByItem, RowCount, SelectItem, SortDirection,
    Value,
};

use super::{call, canon, compare, field, item, lit, num, path, query, rejected};

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
