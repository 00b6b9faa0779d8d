//! SOQL over real HTTP (`/query`, `/queryAll`, locators): result shapes (API casing, key order,
//! parent and child relationships), every WHERE operator with Salesforce's null and case rules,
//! date and dateTime literals, ordering, LIMIT/OFFSET, COUNT() and aggregates, FIELDS(),
//! deleted rows, errors, and paging through thousands of records.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use std::collections::HashSet;

use chrono::{Days, NaiveDate, Utc};
use common::{TestOrg, data, keys};
use reqwest::Method;
use serde_json::{Value, json};
use sfkit_emulator::{OrgConfig, VIEWER_USERNAME};

/// Four accounts and five contacts:
///
/// | Account  | Industry   | Employees | Contacts            |
/// |----------|------------|-----------|---------------------|
/// | Acme     | Technology | 100       | Alpha, Beta, Gamma  |
/// | Globex   | Banking    | 50        | Delta               |
/// | Initech  | (null)     | 10        |                     |
/// | Umbrella | Technology | (null)    |                     |
///
/// and the contact Orphan with no account.
struct Crm {
    acme: String,
    globex: String,
}

async fn seed_crm(t: &TestOrg) -> Crm {
    let acme = t
        .create(
            "Account",
            &json!({"Name": "Acme", "Industry": "Technology", "NumberOfEmployees": 100, "Rating": "Hot"}),
        )
        .await;
    let globex = t
        .create(
            "Account",
            &json!({"Name": "Globex", "Industry": "Banking", "NumberOfEmployees": 50}),
        )
        .await;
    t.create(
        "Account",
        &json!({"Name": "Initech", "NumberOfEmployees": 10, "Rating": "Cold"}),
    )
    .await;
    t.create(
        "Account",
        &json!({"Name": "Umbrella", "Industry": "Technology"}),
    )
    .await;
    for (first, last, account) in [
        ("Ann", "Alpha", Some(&acme)),
        ("Bob", "Beta", Some(&acme)),
        ("Cy", "Gamma", Some(&acme)),
        ("Dee", "Delta", Some(&globex)),
        ("Eve", "Orphan", None),
    ] {
        t.create(
            "Contact",
            &json!({"FirstName": first, "LastName": last, "AccountId": account}),
        )
        .await;
    }
    Crm { acme, globex }
}

fn url(ty: &str, id: &str) -> String {
    format!("/services/data/v66.0/sobjects/{ty}/{id}")
}

#[tokio::test]
async fn api_casing_and_key_order() {
    let t = TestOrg::start().await;
    let crm = seed_crm(&t).await;
    let r = t
        .query("select NAME, id, industry, numberofemployees from ACCOUNT where name = 'Acme'")
        .await;
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let body = r.expect(200);
    assert_eq!(keys(&body), ["totalSize", "done", "records"]);
    assert_eq!(body["totalSize"], 1);
    assert_eq!(body["done"], true);
    let rec = &body["records"][0];
    assert_eq!(
        keys(rec),
        ["attributes", "Name", "Id", "Industry", "NumberOfEmployees"]
    );
    assert_eq!(
        rec["attributes"],
        json!({"type": "Account", "url": url("Account", &crm.acme)})
    );
    assert_eq!(keys(&rec["attributes"]), ["type", "url"]);
    assert_eq!(rec["Id"], crm.acme);
    assert_eq!(rec["NumberOfEmployees"], 100);

    // The version in record URLs follows the request's; trailing slashes are fine.
    let path = format!(
        "/services/data/v50.0/query/?{}",
        common::form(&[("q", "SELECT Id FROM Account WHERE Name = 'Globex'")])
    );
    let body = t.get(&path).await.expect(200);
    assert_eq!(
        body["records"][0]["attributes"]["url"],
        format!("/services/data/v50.0/sobjects/Account/{}", crm.globex)
    );

    // An alias prefix is accepted and dropped.
    let recs = t
        .records("SELECT a.Name, a.Rating FROM Account a WHERE a.Name = 'Acme'")
        .await;
    assert_eq!(keys(&recs[0]), ["attributes", "Name", "Rating"]);
    // Empty results.
    let body = t
        .query_ok("SELECT Id FROM Account WHERE Name = 'Nobody'")
        .await;
    assert_eq!(body, json!({"totalSize": 0, "done": true, "records": []}));
}

#[tokio::test]
async fn parent_paths_nest_with_their_own_attributes() {
    let t = TestOrg::start().await;
    let crm = seed_crm(&t).await;
    let admin = t.admin_id();
    let recs = t
        .records(
            "SELECT lastname, account.name, Account.Owner.Username, Account.Industry FROM Contact ORDER BY LastName",
        )
        .await;
    let last: Vec<&str> = recs
        .iter()
        .map(|r| r["LastName"].as_str().unwrap())
        .collect();
    assert_eq!(last, ["Alpha", "Beta", "Delta", "Gamma", "Orphan"]);
    let alpha = &recs[0];
    assert_eq!(keys(alpha), ["attributes", "LastName", "Account"]);
    assert_eq!(
        keys(&alpha["Account"]),
        ["attributes", "Name", "Owner", "Industry"]
    );
    assert_eq!(
        alpha["Account"],
        json!({
            "attributes": {"type": "Account", "url": url("Account", &crm.acme)},
            "Name": "Acme",
            "Owner": {
                "attributes": {"type": "User", "url": url("User", &admin)},
                "Username": "admin@sfkit.local",
            },
            "Industry": "Technology",
        })
    );
    // An empty lookup is null, however deep the path.
    assert_eq!(recs[4]["Account"], Value::Null);
    assert_eq!(keys(&recs[4]), ["attributes", "LastName", "Account"]);

    // Parent fields filter and sort.
    assert_eq!(
        t.column(
            "SELECT LastName FROM Contact WHERE Account.Industry = 'technology' ORDER BY LastName DESC",
            "LastName"
        )
        .await,
        ["Gamma", "Beta", "Alpha"]
    );
    // Through an empty lookup, a parent field is null.
    assert_eq!(
        t.column(
            "SELECT LastName FROM Contact WHERE Account.Name = null",
            "LastName"
        )
        .await,
        ["Orphan"]
    );
    // A reference field itself comes back as the 18-character id.
    let recs = t
        .records("SELECT AccountId FROM Contact WHERE LastName = 'Delta'")
        .await;
    assert_eq!(recs[0]["AccountId"], crm.globex);
}

#[tokio::test]
async fn child_subqueries() {
    let t = TestOrg::start().await;
    seed_crm(&t).await;
    let recs = t
        .records(
            "SELECT Name, (SELECT LastName FROM Contacts WHERE LastName != 'Gamma' ORDER BY LastName DESC LIMIT 1) FROM Account ORDER BY Name",
        )
        .await;
    assert_eq!(recs.len(), 4);
    assert_eq!(keys(&recs[0]), ["attributes", "Name", "Contacts"]);
    let child = &recs[0]["Contacts"];
    assert_eq!(keys(child), ["totalSize", "done", "records"]);
    assert_eq!(child["totalSize"], 1);
    assert_eq!(child["done"], true);
    assert_eq!(child["records"][0]["LastName"], "Beta");
    assert_eq!(child["records"][0]["attributes"]["type"], "Contact");
    assert_eq!(keys(&child["records"][0]), ["attributes", "LastName"]);
    assert_eq!(recs[1]["Contacts"]["records"][0]["LastName"], "Delta");
    assert_eq!(recs[2]["Contacts"], Value::Null, "no children is null");
    assert_eq!(recs[3]["Contacts"], Value::Null);

    // All children, in the subquery's order, with parent fields of their own.
    let recs = t
        .records(
            "SELECT Name, (SELECT FirstName, LastName, Account.Name FROM Contacts ORDER BY FirstName DESC) FROM Account WHERE Name = 'Acme'",
        )
        .await;
    let kids = &recs[0]["Contacts"];
    assert_eq!(kids["totalSize"], 3);
    let first: Vec<&str> = kids["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["FirstName"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["Cy", "Bob", "Ann"]);
    assert_eq!(kids["records"][0]["Account"]["Name"], "Acme");

    // A child subquery whose filter leaves nothing is null too.
    let recs = t
        .records(
            "SELECT Name, (SELECT Id FROM Contacts WHERE LastName = 'Nobody') FROM Account WHERE Name = 'Acme'",
        )
        .await;
    assert_eq!(recs[0]["Contacts"], Value::Null);
}

#[tokio::test]
async fn comparison_operators_and_nulls() {
    let t = TestOrg::start().await;
    seed_crm(&t).await;
    let names = |cond: &str| {
        let soql = format!("SELECT Name FROM Account WHERE {cond} ORDER BY Name");
        let t = &t;
        async move { t.column(&soql, "Name").await }
    };
    assert_eq!(names("NumberOfEmployees = 100").await, ["Acme"]);
    assert_eq!(
        names("NumberOfEmployees != 100").await,
        ["Globex", "Initech", "Umbrella"],
        "!= includes nulls"
    );
    assert_eq!(
        names("NumberOfEmployees <> 100").await,
        ["Globex", "Initech", "Umbrella"]
    );
    assert_eq!(
        names("NumberOfEmployees < 100").await,
        ["Globex", "Initech"],
        "< never matches null"
    );
    assert_eq!(
        names("NumberOfEmployees <= 50").await,
        ["Globex", "Initech"]
    );
    assert_eq!(names("NumberOfEmployees > 10").await, ["Acme", "Globex"]);
    assert_eq!(names("NumberOfEmployees >= 50").await, ["Acme", "Globex"]);
    assert_eq!(names("NumberOfEmployees = null").await, ["Umbrella"]);
    assert_eq!(
        names("NumberOfEmployees != null").await,
        ["Acme", "Globex", "Initech"]
    );
    assert_eq!(names("NumberOfEmployees > 10.5").await, ["Acme", "Globex"]);
    // Case-insensitive string equality.
    assert_eq!(names("Name = 'ACME'").await, ["Acme"]);
    assert_eq!(
        names("Name != 'acme'").await,
        ["Globex", "Initech", "Umbrella"]
    );
    assert_eq!(names("Industry = 'TECHNOLOGY'").await, ["Acme", "Umbrella"]);
    assert_eq!(
        names("Industry != 'Technology'").await,
        ["Globex", "Initech"],
        "!= includes nulls"
    );
    assert_eq!(names("Name > 'globex'").await, ["Initech", "Umbrella"]);
    // IN and NOT IN.
    assert_eq!(
        names("Industry IN ('technology', 'Banking')").await,
        ["Acme", "Globex", "Umbrella"]
    );
    assert_eq!(
        names("Industry NOT IN ('Technology')").await,
        ["Globex", "Initech"],
        "NOT IN includes nulls"
    );
    assert_eq!(
        names("NumberOfEmployees IN (10, 100)").await,
        ["Acme", "Initech"]
    );
    assert_eq!(
        names("Industry IN ('Banking', null)").await,
        ["Globex", "Initech"]
    );
    // Booleans, AND, OR, NOT.
    assert_eq!(
        names("IsDeleted = false AND (Rating = 'Hot' OR Rating = 'Cold')").await,
        ["Acme", "Initech"]
    );
    assert_eq!(
        names("NOT (Industry = 'Technology')").await,
        ["Globex", "Initech"]
    );
    assert_eq!(
        names("(Industry = 'Technology' AND NumberOfEmployees > 0) OR Name = 'Initech'").await,
        ["Acme", "Initech"]
    );
}

#[tokio::test]
async fn like_patterns() {
    let t = TestOrg::start().await;
    seed_crm(&t).await;
    for name in ["100% Cotton", "100X Cotton", "snake_case", "snakeXcase"] {
        t.create("Account", &json!({"Name": name})).await;
    }
    let names = |pattern: &str| {
        let soql = format!("SELECT Name FROM Account WHERE Name LIKE '{pattern}' ORDER BY Name");
        let t = &t;
        async move { t.column(&soql, "Name").await }
    };
    assert_eq!(names("ac%").await, ["Acme"], "case-insensitive");
    assert_eq!(names("ACME").await, ["Acme"]);
    assert_eq!(names("cme").await, Vec::<String>::new(), "whole value");
    assert_eq!(names("%cme").await, ["Acme"]);
    assert_eq!(names("_lobex").await, ["Globex"]);
    assert_eq!(
        names("%e%").await,
        [
            "Acme",
            "Globex",
            "Initech",
            "snake_case",
            "snakeXcase",
            "Umbrella"
        ]
    );
    assert_eq!(names("100\\% %").await, ["100% Cotton"]);
    assert_eq!(names("100% Cotton").await, ["100% Cotton", "100X Cotton"]);
    assert_eq!(names("snake\\_case").await, ["snake_case"]);
    assert_eq!(names("snake_case").await, ["snake_case", "snakeXcase"]);
    // NOT LIKE by NOT, and LIKE on a parent path.
    assert_eq!(
        t.column(
            "SELECT Name FROM Account WHERE NOT (Name LIKE '%o%') ORDER BY Name",
            "Name"
        )
        .await,
        ["Acme", "Initech", "snake_case", "snakeXcase", "Umbrella"]
    );
    assert_eq!(
        t.column(
            "SELECT LastName FROM Contact WHERE Account.Name LIKE 'g%'",
            "LastName"
        )
        .await,
        ["Delta"]
    );
}

#[tokio::test]
async fn semi_joins_and_anti_joins() {
    let t = TestOrg::start().await;
    seed_crm(&t).await;
    let names = |cond: &str| {
        let soql = format!("SELECT Name FROM Account WHERE {cond} ORDER BY Name");
        let t = &t;
        async move { t.column(&soql, "Name").await }
    };
    assert_eq!(
        names("Id IN (SELECT AccountId FROM Contact)").await,
        ["Acme", "Globex"]
    );
    // The orphan contact's null AccountId must not make the anti-join match nothing.
    assert_eq!(
        names("Id NOT IN (SELECT AccountId FROM Contact)").await,
        ["Initech", "Umbrella"]
    );
    assert_eq!(
        names("Id IN (SELECT AccountId FROM Contact WHERE LastName = 'Delta')").await,
        ["Globex"]
    );
    assert_eq!(
        names("Industry = 'Technology' AND Id NOT IN (SELECT AccountId FROM Contact WHERE FirstName LIKE 'A%')").await,
        ["Umbrella"]
    );
    // Deleted children do not count.
    let delta = t
        .column("SELECT Id FROM Contact WHERE LastName = 'Delta'", "Id")
        .await
        .remove(0);
    assert_eq!(
        t.delete(&data(&format!("/sobjects/Contact/{delta}")))
            .await
            .status,
        204
    );
    assert_eq!(
        names("Id IN (SELECT AccountId FROM Contact)").await,
        ["Acme"]
    );
}

#[tokio::test]
async fn date_and_datetime_literals() {
    let t = TestOrg::start().await;
    check_date_literals(&t).await;
    check_datetimes_are_instants(&t).await;
}

/// Date fields against TODAY, the relative-day literals, and date literals.
async fn check_date_literals(t: &TestOrg) {
    let today = Utc::now().date_naive();
    let day = |n: i64| -> NaiveDate {
        if n >= 0 {
            today.checked_add_days(Days::new(n as u64)).unwrap()
        } else {
            today.checked_sub_days(Days::new(n.unsigned_abs())).unwrap()
        }
    };
    for (name, date) in [
        ("D0", day(0)),
        ("D-5", day(-5)),
        ("D-40", day(-40)),
        ("D+3", day(3)),
        ("D2020", NaiveDate::from_ymd_opt(2020, 1, 15).unwrap()),
    ] {
        t.create(
            "Opportunity",
            &json!({"Name": name, "StageName": "Prospecting", "CloseDate": date.to_string()}),
        )
        .await;
    }
    let names = |cond: &str| {
        let soql = format!("SELECT Name FROM Opportunity WHERE {cond} ORDER BY CloseDate");
        async move { t.column(&soql, "Name").await }
    };
    assert_eq!(names("CloseDate = TODAY").await, ["D0"]);
    assert_eq!(names("CloseDate = LAST_N_DAYS:7").await, ["D-5", "D0"]);
    assert_eq!(names("CloseDate < TODAY").await, ["D2020", "D-40", "D-5"]);
    assert_eq!(names("CloseDate > TODAY").await, ["D+3"]);
    assert_eq!(
        names("CloseDate <= TODAY").await,
        ["D2020", "D-40", "D-5", "D0"]
    );
    assert_eq!(
        names("CloseDate >= LAST_N_DAYS:7").await,
        ["D-5", "D0", "D+3"]
    );
    assert_eq!(
        names("CloseDate != TODAY").await,
        ["D2020", "D-40", "D-5", "D+3"]
    );
    assert_eq!(names("CloseDate = NEXT_N_DAYS:3").await, ["D+3"]);
    assert_eq!(names("CloseDate = N_DAYS_AGO:5").await, ["D-5"]);
    assert_eq!(names("CloseDate = 2020-01-15").await, ["D2020"]);
    assert_eq!(names("CloseDate < 2020-01-16").await, ["D2020"]);
    assert_eq!(
        names("CloseDate IN (2020-01-15, TODAY)").await,
        ["D2020", "D0"]
    );
    let recs = t
        .records("SELECT CloseDate FROM Opportunity WHERE Name = 'D2020'")
        .await;
    assert_eq!(recs[0]["CloseDate"], "2020-01-15");
}

/// dateTime values are instants: offsets are converted, answers are UTC.
async fn check_datetimes_are_instants(t: &TestOrg) {
    for (subject, at) in [
        ("E1", json!("2024-03-01T10:00:00.000+0000")),
        ("E2", json!("2024-03-01T12:00:00Z")),
        ("E3", json!("2024-03-02T00:00:00+02:00")),
        ("E4", Value::Null),
    ] {
        t.create(
            "Event",
            &json!({"Subject": subject, "ActivityDateTime": at}),
        )
        .await;
    }
    let events = |cond: &str| {
        let soql = format!("SELECT Subject FROM Event WHERE {cond} ORDER BY Subject");
        async move { t.column(&soql, "Subject").await }
    };
    assert_eq!(
        t.column(
            "SELECT ActivityDateTime FROM Event ORDER BY Subject",
            "ActivityDateTime"
        )
        .await,
        [
            "2024-03-01T10:00:00.000+0000",
            "2024-03-01T12:00:00.000+0000",
            "2024-03-01T22:00:00.000+0000",
            "<null>"
        ]
    );
    assert_eq!(
        events("ActivityDateTime = 2024-03-01T10:00:00Z").await,
        ["E1"]
    );
    assert_eq!(
        events("ActivityDateTime > 2024-03-01T11:00:00Z").await,
        ["E2", "E3"]
    );
    assert_eq!(
        events("ActivityDateTime < 2024-03-01T12:00:00+01:00").await,
        ["E1"]
    );
    assert_eq!(
        events("ActivityDateTime >= 2024-03-01T12:00:00.000Z").await,
        ["E2", "E3"]
    );
    assert_eq!(
        events("ActivityDateTime != 2024-03-01T10:00:00Z").await,
        ["E2", "E3", "E4"]
    );
    assert_eq!(
        events("CreatedDate = TODAY").await,
        ["E1", "E2", "E3", "E4"]
    );
    assert_eq!(
        events("CreatedDate = LAST_N_DAYS:1").await,
        ["E1", "E2", "E3", "E4"]
    );
    assert_eq!(
        events("CreatedDate > 2000-01-01T00:00:00Z").await,
        ["E1", "E2", "E3", "E4"]
    );
    assert_eq!(
        events("CreatedDate < 2000-01-01T00:00:00Z").await,
        Vec::<String>::new()
    );
    assert_eq!(
        events("CreatedDate = YESTERDAY").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn order_by_with_nulls_limit_and_offset() {
    let t = TestOrg::start().await;
    seed_crm(&t).await;
    let names = |rest: &str| {
        let soql = format!("SELECT Name FROM Account {rest}");
        let t = &t;
        async move { t.column(&soql, "Name").await }
    };
    assert_eq!(
        names("ORDER BY NumberOfEmployees").await,
        ["Umbrella", "Initech", "Globex", "Acme"],
        "nulls first by default"
    );
    assert_eq!(
        names("ORDER BY NumberOfEmployees ASC NULLS LAST").await,
        ["Initech", "Globex", "Acme", "Umbrella"]
    );
    assert_eq!(
        names("ORDER BY NumberOfEmployees DESC").await,
        ["Acme", "Globex", "Initech", "Umbrella"],
        "nulls last with DESC"
    );
    assert_eq!(
        names("ORDER BY NumberOfEmployees DESC NULLS FIRST").await,
        ["Umbrella", "Acme", "Globex", "Initech"]
    );
    assert_eq!(
        names("ORDER BY Industry ASC NULLS LAST, Name DESC").await,
        ["Globex", "Umbrella", "Acme", "Initech"]
    );
    assert_eq!(
        names("ORDER BY Industry DESC NULLS FIRST, Name").await,
        ["Initech", "Acme", "Umbrella", "Globex"]
    );
    // Sorting ignores case.
    t.create("Account", &json!({"Name": "apple"})).await;
    t.create("Account", &json!({"Name": "Banana"})).await;
    assert_eq!(
        names("ORDER BY Name LIMIT 4").await,
        ["Acme", "apple", "Banana", "Globex"]
    );
    // LIMIT and OFFSET.
    assert_eq!(names("ORDER BY Name LIMIT 2").await, ["Acme", "apple"]);
    assert_eq!(
        names("ORDER BY Name LIMIT 2 OFFSET 1").await,
        ["apple", "Banana"]
    );
    assert_eq!(names("ORDER BY Name OFFSET 5").await, ["Umbrella"]);
    assert_eq!(
        names("ORDER BY Name OFFSET 2000").await,
        Vec::<String>::new()
    );
    assert_eq!(names("ORDER BY Name LIMIT 0").await, Vec::<String>::new());
    let body = t.query_ok("SELECT Name FROM Account LIMIT 3").await;
    assert_eq!(body["totalSize"], 3);
    t.query("SELECT Name FROM Account ORDER BY Name OFFSET 2001")
        .await
        .expect_error(
            400,
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Maximum SOQL offset allowed is 2000, but was 2001",
        );
}

#[tokio::test]
async fn count_and_aggregates() {
    let t = TestOrg::start().await;
    seed_crm(&t).await;
    let body = t.query_ok("SELECT COUNT() FROM Account").await;
    assert_eq!(body, json!({"totalSize": 4, "done": true, "records": []}));
    assert_eq!(
        t.query_ok("SELECT count() FROM Account WHERE Industry = 'Technology'")
            .await,
        json!({"totalSize": 2, "done": true, "records": []})
    );
    assert_eq!(
        t.query_ok("SELECT COUNT() FROM Contact WHERE Account.Name = 'Acme'")
            .await["totalSize"],
        3
    );
    assert_eq!(
        t.query_ok("SELECT COUNT() FROM Account LIMIT 2").await["totalSize"],
        2
    );

    let recs = t
        .records(
            "SELECT Industry, COUNT(Id), SUM(NumberOfEmployees) total, MAX(Name) FROM Account GROUP BY Industry ORDER BY Industry NULLS FIRST",
        )
        .await;
    assert_eq!(
        Value::Array(recs.clone()),
        json!([
            {"attributes": {"type": "AggregateResult"}, "Industry": null, "expr0": 1, "total": 10.0, "expr1": "Initech"},
            {"attributes": {"type": "AggregateResult"}, "Industry": "Banking", "expr0": 1, "total": 50.0, "expr1": "Globex"},
            {"attributes": {"type": "AggregateResult"}, "Industry": "Technology", "expr0": 2, "total": 100.0, "expr1": "Umbrella"},
        ])
    );
    for r in &recs {
        assert_eq!(
            keys(r),
            ["attributes", "Industry", "expr0", "total", "expr1"]
        );
        assert_eq!(keys(&r["attributes"]), ["type"], "no url on aggregate rows");
    }

    let recs = t
        .records("SELECT Industry, COUNT(Id) c FROM Account GROUP BY Industry HAVING COUNT(Id) > 1")
        .await;
    assert_eq!(
        Value::Array(recs),
        json!([{"attributes": {"type": "AggregateResult"}, "Industry": "Technology", "c": 2}])
    );

    let recs = t
        .records(
            "SELECT COUNT(Id), MIN(NumberOfEmployees), MAX(NumberOfEmployees), AVG(NumberOfEmployees), COUNT_DISTINCT(Industry), MIN(Name) FROM Account",
        )
        .await;
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(
        keys(r),
        [
            "attributes",
            "expr0",
            "expr1",
            "expr2",
            "expr3",
            "expr4",
            "expr5"
        ]
    );
    assert_eq!(r["expr0"], 4);
    assert_eq!(r["expr1"], 10, "MIN keeps the field's type");
    assert_eq!(r["expr2"], 100);
    assert!((r["expr3"].as_f64().unwrap() - 160.0 / 3.0).abs() < 1e-9);
    assert_eq!(r["expr4"], 2, "COUNT_DISTINCT ignores nulls");
    assert_eq!(r["expr5"], "Acme");

    // Grouping by a parent field keys rows by the field's own name.
    let recs = t
        .records(
            "SELECT Account.Name, COUNT(Id) n FROM Contact GROUP BY Account.Name ORDER BY Account.Name NULLS LAST",
        )
        .await;
    let rows: Vec<(Value, Value)> = recs
        .iter()
        .map(|r| (r["Name"].clone(), r["n"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (json!("Acme"), json!(3)),
            (json!("Globex"), json!(1)),
            (Value::Null, json!(1))
        ]
    );
}

#[tokio::test]
async fn fields_functions() {
    let t = TestOrg::start().await;
    seed_crm(&t).await;
    let d = t.get(&data("/sobjects/Account/describe")).await.expect(200);
    let mut expected = vec!["attributes".to_owned()];
    expected.extend(
        d["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned()),
    );
    let recs = t
        .records("SELECT FIELDS(ALL) FROM Account ORDER BY Name LIMIT 200")
        .await;
    assert_eq!(recs.len(), 4);
    assert_eq!(keys(&recs[0]), expected);
    assert_eq!(recs[0]["Name"], "Acme");
    let recs = t.records("SELECT FIELDS(STANDARD) FROM Account").await;
    assert_eq!(keys(&recs[0]), expected);

    for q in [
        "SELECT FIELDS(ALL) FROM Account",
        "SELECT FIELDS(ALL) FROM Account LIMIT 201",
        "SELECT FIELDS(CUSTOM) FROM Account",
    ] {
        let msg = t.query(q).await.expect_code(400, "MALFORMED_QUERY");
        assert!(msg.contains("LIMIT"), "{q}: {msg}");
    }
}

#[tokio::test]
async fn query_all_includes_deleted_rows() {
    let t = TestOrg::start().await;
    let mut ids = Vec::new();
    for n in ["X1", "X2", "X3"] {
        ids.push(t.create("Account", &json!({"Name": n})).await);
    }
    assert_eq!(
        t.delete(&data(&format!("/sobjects/Account/{}", ids[1])))
            .await
            .status,
        204
    );
    assert_eq!(
        t.column("SELECT Name FROM Account ORDER BY Name", "Name")
            .await,
        ["X1", "X3"]
    );
    assert_eq!(
        t.column("SELECT Name FROM Account WHERE IsDeleted = true", "Name")
            .await,
        Vec::<String>::new()
    );
    let body = t
        .query_all("SELECT Name, IsDeleted FROM Account ORDER BY Name")
        .await
        .expect(200);
    assert_eq!(body["totalSize"], 3);
    let rows: Vec<(Value, Value)> = body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["Name"].clone(), r["IsDeleted"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (json!("X1"), json!(false)),
            (json!("X2"), json!(true)),
            (json!("X3"), json!(false))
        ]
    );
    let body = t
        .query_all("SELECT Id FROM Account WHERE IsDeleted = true")
        .await
        .expect(200);
    assert_eq!(body["records"][0]["Id"], ids[1]);
    assert_eq!(
        t.query_all("SELECT COUNT() FROM Account").await.expect(200)["totalSize"],
        3
    );
    assert_eq!(
        t.query_ok("SELECT COUNT() FROM Account").await["totalSize"],
        2
    );
    let r = t
        .send(
            Method::GET,
            &format!(
                "{}/?{}",
                data("/queryAll"),
                common::form(&[("q", "SELECT Id FROM Account")])
            ),
            Some(&format!("OAuth {}", t.token)),
            None,
            &[],
        )
        .await;
    assert_eq!(r.expect(200)["totalSize"], 3);
}

#[tokio::test]
async fn query_errors() {
    let t = TestOrg::start().await;
    seed_crm(&t).await;
    for q in [
        "SELECT Id FORM Account",
        "SELECT FROM Account",
        "SELECT Id FROM Account WHERE",
        "SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'",
        "SELECT Id FROM Account WHERE Name = 'unterminated",
        "SELECT Id FROM Account LIMIT -1",
    ] {
        let msg = t.query(q).await.expect_code(400, "MALFORMED_QUERY");
        assert!(msg.contains("ERROR at Row:1:Column:"), "{q}: {msg}");
    }
    t.query("SELECT Id, Foo FROM Account").await.expect_error(
        400,
        "INVALID_FIELD",
        &located("SELECT Id, Foo FROM Account", 12, "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."),
    );
    t.query("SELECT Id FROM Account WHERE Foo__c = 1")
        .await
        .expect_code(400, "INVALID_FIELD");
    t.query("SELECT Id FROM Account ORDER BY Foo")
        .await
        .expect_code(400, "INVALID_FIELD");
    t.query("SELECT Account.Foo FROM Contact").await.expect_error(
        400,
        "INVALID_FIELD",
        &located("SELECT Account.Foo FROM Contact", 16, "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."),
    );
    t.query("SELECT Nope.Name FROM Contact").await.expect_error(
        400,
        "INVALID_FIELD",
        &located("SELECT Nope.Name FROM Contact", 8, "Didn't understand relationship 'Nope' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."),
    );
    t.query("SELECT Id FROM Nope").await.expect_error(
        400,
        "INVALID_TYPE",
        &located("SELECT Id FROM Nope", 16, "sObject type 'Nope' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."),
    );
    t.query("SELECT Name, (SELECT Id FROM Nopes) FROM Account")
        .await
        .expect_error(
            400,
            "INVALID_TYPE",
            &located("SELECT Name, (SELECT Id FROM Nopes) FROM Account", 30, "Didn't understand relationship 'Nopes' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."),
        );
    t.query("SELECT Id FROM Account WHERE NumberOfEmployees = 'abc'")
        .await
        .expect_error(
            400,
            "INVALID_FIELD",
            &located("SELECT Id FROM Account WHERE NumberOfEmployees = 'abc'", 30, "value of filter criterion for field 'NumberOfEmployees' must be of type int and should not be enclosed in quotes"),
        );
    t.query("SELECT Id FROM Account WHERE Name = 5")
        .await
        .expect_error(
            400,
            "INVALID_FIELD",
            &located("SELECT Id FROM Account WHERE Name = 5", 30, "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes"),
        );
    t.query("SELECT Id FROM Account WHERE NumberOfEmployees LIKE '1%'")
        .await
        .expect_code(400, "INVALID_FIELD");
    // No query at all.
    for path in [data("/query"), format!("{}?q=", data("/query"))] {
        t.get(&path).await.expect_code(400, "MALFORMED_QUERY");
    }
}

/// A name error points at the name that failed, not at the first place its text appears (in a
/// string, an alias or another clause). Regression test: the caret was placed by searching the
/// query for the first whole-word occurrence of the quoted name.
#[tokio::test]
async fn name_errors_point_at_the_name_that_failed() {
    let t = TestOrg::start().await;
    let no_column = |name: &str, object: &str| {
        format!(
            "No such column '{name}' on entity '{object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
        )
    };
    for (q, col, code, message) in [
        (
            "SELECT Name FROM Account WHERE Name = 'Bogus__c' AND Bogus__c = 1",
            54,
            "INVALID_FIELD",
            no_column("Bogus__c", "Account"),
        ),
        (
            "SELECT Id, Name Foo FROM Account ORDER BY Foo",
            43,
            "INVALID_FIELD",
            no_column("Foo", "Account"),
        ),
        (
            "SELECT Nope__c.Id FROM Nope__c",
            24,
            "INVALID_TYPE",
            "sObject type 'Nope__c' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.".to_owned(),
        ),
        (
            "SELECT Name Nopes, (SELECT Id FROM Nopes) FROM Account",
            36,
            "INVALID_TYPE",
            "Didn't understand relationship 'Nopes' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.".to_owned(),
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'Bogus' AND FORMULA('AnnualRevenue - Bogus') > 0",
            74,
            "INVALID_FIELD",
            no_column("Bogus", "Account"),
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'NumberOfEmployees' AND NumberOfEmployees = 'abc'",
            61,
            "INVALID_FIELD",
            "value of filter criterion for field 'NumberOfEmployees' must be of type int and should not be enclosed in quotes".to_owned(),
        ),
    ] {
        t.query(q)
            .await
            .expect_error(400, code, &located(q, col, &message));
    }
    // On a later row: the caret goes under that row's text.
    t.query("SELECT Id\nFROM Account\nWHERE Name = 'Foo'\n  AND Foo = 1")
        .await
        .expect_error(
            400,
            "INVALID_FIELD",
            &format!(
                "\n  AND Foo = 1\n      ^\nERROR at Row:4:Column:7\n{}",
                no_column("Foo", "Account")
            ),
        );
}

const GADGETS: &str = r#"
[[object]]
name = "Gadget__c"
label = "Gadget"
prefix = "a01"

[[object.fields]]
name = "Colors__c"
type = "multipicklist"
label = "Colors"
values = ["Red", "Green", "Blue"]
"#;

#[tokio::test]
async fn includes_and_excludes_on_a_multipicklist() {
    let t = TestOrg::start_with(OrgConfig::default().schema(GADGETS, "gadgets.toml")).await;
    for (name, colors) in [
        ("G1", json!("Red;Green")),
        ("G2", json!("Blue")),
        ("G3", json!("Red")),
        ("G4", Value::Null),
    ] {
        t.create("Gadget__c", &json!({"Name": name, "Colors__c": colors}))
            .await;
    }
    let names = |cond: &str| {
        let soql = format!("SELECT Name FROM Gadget__c WHERE {cond} ORDER BY Name");
        let t = &t;
        async move { t.column(&soql, "Name").await }
    };
    assert_eq!(names("Colors__c INCLUDES ('Red')").await, ["G1", "G3"]);
    assert_eq!(names("Colors__c INCLUDES ('red')").await, ["G1", "G3"]);
    assert_eq!(names("Colors__c INCLUDES ('Red;Green')").await, ["G1"]);
    assert_eq!(names("Colors__c INCLUDES ('Green;Red')").await, ["G1"]);
    assert_eq!(
        names("Colors__c INCLUDES ('Blue', 'Green')").await,
        ["G1", "G2"]
    );
    assert_eq!(
        names("Colors__c EXCLUDES ('Red') AND Colors__c != null").await,
        ["G2"]
    );
    assert_eq!(
        names("Colors__c EXCLUDES ('Red', 'Blue') AND Colors__c != null").await,
        Vec::<String>::new()
    );
    assert_eq!(names("Colors__c = 'Red;Green'").await, ["G1"]);
    // `=` is a set match: order does not matter, and a subset is not equal.
    assert_eq!(names("Colors__c = 'Green;Red'").await, ["G1"]);
    assert_eq!(names("Colors__c = 'Red'").await, ["G3"]);
    assert_eq!(names("Colors__c != 'green;RED'").await, ["G2", "G3", "G4"]);
    let recs = t
        .records("SELECT colors__c FROM gadget__c WHERE Name = 'G1'")
        .await;
    assert_eq!(keys(&recs[0]), ["attributes", "Colors__c"]);
    assert_eq!(recs[0]["attributes"]["type"], "Gadget__c");
    assert_eq!(recs[0]["Colors__c"], "Red;Green");
    t.query("SELECT Name FROM Account WHERE Name INCLUDES ('x')")
        .await
        .expect_code(400, "INVALID_FIELD");
}

/// Follows `nextRecordsUrl` to the end; returns the ids and the number of pages.
async fn all_pages(t: &TestOrg, first: Value, batch: usize, total: usize) -> (Vec<String>, usize) {
    let mut page = first;
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        assert_eq!(page["totalSize"], total, "totalSize on page {pages}");
        let records = page["records"].as_array().unwrap();
        ids.extend(records.iter().map(|r| r["Id"].as_str().unwrap().to_owned()));
        if page["done"] == true {
            assert!(
                page.get("nextRecordsUrl").is_none(),
                "{}",
                page["nextRecordsUrl"]
            );
            assert_eq!(records.len(), total - batch * (pages - 1));
            break;
        }
        assert_eq!(records.len(), batch, "page {pages}");
        let next = page["nextRecordsUrl"].as_str().unwrap().to_owned();
        let prefix = "/services/data/v66.0/query/01g";
        assert!(next.starts_with(prefix), "{next}");
        assert!(next.ends_with(&format!("-{}", batch * pages)), "{next}");
        page = t.get(&next).await.expect(200);
        assert!(pages < 100, "runaway paging");
    }
    (ids, pages)
}

#[tokio::test]
async fn paging_through_thousands_of_records() {
    let t = TestOrg::start().await;
    const N: usize = 2_500;
    let seeded = t
        .seed(
            "Account",
            (0..N)
                .map(|i| json!({"Name": format!("Bulk {:04}", N - 1 - i)}))
                .collect(),
        )
        .await;
    assert_eq!(seeded.len(), N);
    let seeded_set: HashSet<String> = seeded.iter().cloned().collect();

    // The default batch of 2,000.
    let first = t
        .query_ok("SELECT Id, Name FROM Account ORDER BY Name")
        .await;
    assert_eq!(first["done"], false);
    // Salesforce's member order (its documentation's example).
    assert_eq!(
        keys(&first),
        ["totalSize", "done", "nextRecordsUrl", "records"]
    );
    let (ids, pages) = all_pages(&t, first.clone(), 2_000, N).await;
    assert_eq!(pages, 2);
    // The order holds across pages: seeded in reverse name order, so reversed ids.
    let mut expected = seeded.clone();
    expected.reverse();
    assert_eq!(ids, expected);

    // batchSize=500: five pages, no duplicates, nothing missing.
    let r = t
        .query_with(
            "/query",
            "SELECT Id FROM Account",
            &[("Sforce-Query-Options", "batchSize=500")],
        )
        .await;
    let (ids, pages) = all_pages(&t, r.expect(200), 500, N).await;
    assert_eq!(pages, 5);
    assert_eq!(ids.len(), N);
    let set: HashSet<String> = ids.into_iter().collect();
    assert_eq!(set, seeded_set);

    // Out-of-range sizes are clamped to 200..2000.
    let r = t
        .query_with(
            "/query",
            "SELECT Id FROM Account",
            &[("Sforce-Query-Options", "batchSize=100")],
        )
        .await;
    assert_eq!(r.expect(200)["records"].as_array().unwrap().len(), 200);
    let r = t
        .query_with(
            "/query",
            "SELECT Id FROM Account",
            &[("Sforce-Query-Options", "batchSize=5000")],
        )
        .await;
    assert_eq!(r.expect(200)["records"].as_array().unwrap().len(), 2_000);

    // A locator from /query works under /queryAll, and queryAll's own locator under /query.
    let next = first["nextRecordsUrl"].as_str().unwrap();
    let locator = next.rsplit('/').next().unwrap();
    let via_all = t
        .get(&data(&format!("/queryAll/{locator}")))
        .await
        .expect(200);
    assert_eq!(via_all["records"].as_array().unwrap().len(), 500);
    assert_eq!(via_all["done"], true);
    assert_eq!(via_all["records"][0]["Name"], "Bulk 2000");
    let all_first = t.query_all("SELECT Id FROM Account").await.expect(200);
    let (ids, _) = all_pages(&t, all_first, 2_000, N).await;
    assert_eq!(ids.into_iter().collect::<HashSet<_>>(), seeded_set);

    // LIMIT caps the total; pages follow it.
    let body = t
        .query_ok("SELECT Id FROM Account ORDER BY Name LIMIT 2100")
        .await;
    let (ids, pages) = all_pages(&t, body, 2_000, 2_100).await;
    assert_eq!((ids.len(), pages), (2_100, 2));

    // Bad locators.
    let invalid = |r: common::Reply| {
        r.expect_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
    };
    let (loc_id, _) = locator.rsplit_once('-').unwrap();
    invalid(t.get(&data("/query/01gS00000000001AAA-2000")).await);
    invalid(t.get(&data("/query/garbage")).await);
    invalid(t.get(&data(&format!("/query/{loc_id}-abc"))).await);
    invalid(t.get(&data(&format!("/query/{loc_id}-99999"))).await);
    invalid(t.get(&data(&format!("/queryAll/{loc_id}-1"))).await);
    // Locators belong to the user who opened them.
    let viewer = t.org.mint_token(VIEWER_USERNAME).unwrap();
    invalid(t.get_as(&viewer, next).await);
    // The owner can still read it.
    assert_eq!(t.get(next).await.expect(200)["done"], true);
}

/// A query error as Salesforce lays it out: the query, a caret under column `col`, the row and
/// column, then the message.
fn located(q: &str, col: usize, message: &str) -> String {
    format!(
        "\n{q}\n{}^\nERROR at Row:1:Column:{col}\n{message}",
        " ".repeat(col - 1)
    )
}

/// A parent with more children than one answer holds: the child result carries `done: false`
/// and its own locator, which pages like a query's; LIMIT in the subquery caps the total.
#[tokio::test]
async fn child_subqueries_page_through_their_own_locator() {
    let t = TestOrg::start().await;
    let big = t.create("Account", &json!({"Name": "Big"})).await;
    let small = t.create("Account", &json!({"Name": "Small"})).await;
    let contacts: Vec<Value> = (0..620)
        .map(|i| json!({"LastName": format!("C{i:04}"), "AccountId": big}))
        .chain([json!({"LastName": "Only", "AccountId": small})])
        .collect();
    let seeded = t.seed("Contact", contacts).await;
    let big_ids: Vec<String> = seeded[..620].to_vec();

    let page = t
        .query_ok(
            "SELECT Name, (SELECT Id, LastName FROM Contacts ORDER BY LastName) FROM Account ORDER BY Name",
        )
        .await;
    assert_eq!(page["done"], true, "the parents fit in one answer");
    let recs = page["records"].as_array().unwrap();
    let kids = &recs[0]["Contacts"];
    assert_eq!(
        keys(kids),
        ["totalSize", "done", "nextRecordsUrl", "records"]
    );
    assert_eq!(kids["totalSize"], 620);
    assert_eq!(kids["done"], false);
    let inline = kids["records"].as_array().unwrap();
    assert_eq!(inline.len(), 499);
    let next = kids["nextRecordsUrl"].as_str().unwrap();
    assert!(
        next.starts_with("/services/data/v66.0/query/01g") && next.ends_with("-499"),
        "{next}"
    );
    // The small parent's children are whole.
    assert_eq!(
        recs[1]["Contacts"],
        json!({"totalSize": 1, "done": true, "records": [recs[1]["Contacts"]["records"][0].clone()]})
    );

    let more = t.get(next).await.expect(200);
    assert_eq!(more["totalSize"], 620);
    assert_eq!(more["done"], true);
    assert!(more.get("nextRecordsUrl").is_none());
    let rest = more["records"].as_array().unwrap();
    assert_eq!(rest.len(), 121);
    assert_eq!(rest[0]["attributes"]["type"], "Contact");
    let names: Vec<&str> = inline
        .iter()
        .chain(rest)
        .map(|r| r["LastName"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..620).map(|i| format!("C{i:04}")).collect();
    assert_eq!(names, expected, "every child once, in the subquery's order");
    let ids: HashSet<&str> = inline
        .iter()
        .chain(rest)
        .map(|r| r["Id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, big_ids.iter().map(String::as_str).collect());

    // The same locator under /queryAll/, and a bad offset.
    let locator = next.rsplit('/').next().unwrap();
    let again = t
        .get(&data(&format!("/queryAll/{locator}")))
        .await
        .expect(200);
    assert_eq!(again["records"].as_array().unwrap().len(), 121);
    let (id, _) = locator.rsplit_once('-').unwrap();
    t.get(&data(&format!("/query/{id}-9999")))
        .await
        .expect_code(400, "INVALID_QUERY_LOCATOR");

    // LIMIT caps the total; a smaller child set has no locator.
    let limited = t
        .query_ok(&format!(
            "SELECT (SELECT Id FROM Contacts LIMIT 550) FROM Account WHERE Id = '{big}'"
        ))
        .await;
    let kids = &limited["records"][0]["Contacts"];
    assert_eq!(kids["totalSize"], 550);
    assert_eq!(kids["records"].as_array().unwrap().len(), 499);
    let more = t
        .get(kids["nextRecordsUrl"].as_str().unwrap())
        .await
        .expect(200);
    assert_eq!(more["records"].as_array().unwrap().len(), 51);
    assert_eq!(more["done"], true);
}

const STORES: &str = r#"
[[object]]
name = "Store__c"
label = "Store"
prefix = "a02"

[[object.fields]]
name = "Loc__Latitude__s"
type = "double"
label = "Location (Latitude)"

[[object.fields]]
name = "Loc__Longitude__s"
type = "double"
label = "Location (Longitude)"
"#;

/// DISTANCE over a custom geolocation field and over an address, in WHERE, ORDER BY and
/// SELECT; bad arguments are MALFORMED_QUERY or INVALID_FIELD.
#[tokio::test]
async fn distance_to_a_point_in_where_order_by_and_select() {
    let t = TestOrg::start_with(OrgConfig::default().schema(STORES, "stores.toml")).await;
    for (name, lat, lon) in [
        ("New York", json!(40.7128), json!(-74.0060)),
        ("Los Angeles", json!(34.0522), json!(-118.2437)),
        ("San Francisco", json!(37.7749), json!(-122.4194)),
        ("Nowhere", Value::Null, Value::Null),
    ] {
        t.create(
            "Store__c",
            &json!({"Name": name, "Loc__Latitude__s": lat, "Loc__Longitude__s": lon}),
        )
        .await;
        t.create(
            "Account",
            &json!({"Name": name, "BillingLatitude": lat, "BillingLongitude": lon}),
        )
        .await;
    }
    let sf = "GEOLOCATION(37.7749, -122.4194)";
    assert_eq!(
        t.column(
            &format!(
                "SELECT Name FROM Store__c WHERE DISTANCE(Loc__c, {sf}, 'km') < 600 ORDER BY Name"
            ),
            "Name"
        )
        .await,
        ["Los Angeles", "San Francisco"]
    );
    assert_eq!(
        t.column(
            &format!("SELECT Name FROM Account WHERE DISTANCE(BillingAddress, {sf}, 'mi') < 5000 ORDER BY DISTANCE(BillingAddress, {sf}, 'mi') DESC"),
            "Name"
        )
        .await,
        ["New York", "Los Angeles", "San Francisco"]
    );
    let recs = t
        .records(&format!(
            "SELECT Name, DISTANCE(Loc__c, {sf}, 'mi') FROM Store__c ORDER BY Name"
        ))
        .await;
    let miles: Vec<Option<f64>> = recs.iter().map(|r| r["expr0"].as_f64()).collect();
    // Great-circle figures: San Francisco to Los Angeles about 347 miles, to New York about 2,566.
    let near = |got: Option<f64>, want: f64| got.is_some_and(|g| (g - want).abs() < want * 0.01);
    assert!(near(miles[0], 347.4), "{miles:?}");
    assert!(near(miles[1], 2565.0), "{miles:?}");
    assert_eq!(miles[2], None, "no location, no distance");
    assert_eq!(miles[3], Some(0.0));

    for bad in [
        format!("SELECT Id FROM Store__c WHERE DISTANCE(Loc__c, {sf}, 'yards') < 1"),
        "SELECT Id FROM Store__c WHERE DISTANCE(Loc__c, GEOLOCATION(95, 0), 'km') < 1".into(),
    ] {
        t.query(&bad).await.expect_code(400, "MALFORMED_QUERY");
    }
    t.query(&format!(
        "SELECT Id FROM Store__c WHERE DISTANCE(Name, {sf}, 'km') < 1"
    ))
    .await
    .expect_code(400, "INVALID_FIELD");
}

/// FORMULA() arithmetic on number fields in WHERE; text that is not a formula of number
/// fields is an error, and nothing in it reaches the SQL as text.
#[tokio::test]
async fn formula_arithmetic_on_number_fields() {
    let t = TestOrg::start().await;
    for (name, revenue, employees) in [
        ("Lean", 5_000_000.0, 10),
        ("Big", 9_000_000.0, 1000),
        ("Empty", 1_000.0, 0),
    ] {
        t.create(
            "Account",
            &json!({"Name": name, "AnnualRevenue": revenue, "NumberOfEmployees": employees}),
        )
        .await;
    }
    let names = |cond: &str| {
        let soql = format!("SELECT Name FROM Account WHERE {cond} ORDER BY Name");
        let t = &t;
        async move { t.column(&soql, "Name").await }
    };
    assert_eq!(
        names("FORMULA('AnnualRevenue / NumberOfEmployees') > 100000").await,
        ["Lean"],
        "division by zero matches nothing"
    );
    assert_eq!(
        names("FORMULA('(AnnualRevenue - 1000) * 2') >= 0").await,
        ["Big", "Empty", "Lean"]
    );
    assert_eq!(
        names("FORMULA('--NumberOfEmployees') > 5").await,
        ["Big", "Lean"],
        "two minus signs are a double negation, not an SQL comment"
    );
    for bad in [
        "FORMULA('AnnualRevenue +') > 1",
        "FORMULA('AnnualRevenue; DROP TABLE x') > 1",
        "FORMULA('(AnnualRevenue') > 1",
    ] {
        t.query(&format!("SELECT Id FROM Account WHERE {bad}"))
            .await
            .expect_code(400, "MALFORMED_QUERY");
    }
    t.query("SELECT Id FROM Account WHERE FORMULA('Name + 1') > 1")
        .await
        .expect_code(400, "INVALID_FIELD");
}

/// Compiled queries are kept by their text: asking again sees the data as it is now, and the
/// same text through queryAll still includes deleted rows.
#[tokio::test]
async fn a_repeated_query_reads_current_data() {
    let t = TestOrg::start().await;
    let soql = "SELECT Name FROM Account WHERE Name LIKE 'Rep%' ORDER BY Name";
    assert!(t.column(soql, "Name").await.is_empty());
    let id = t.create("Account", &json!({"Name": "Rep One"})).await;
    t.create("Account", &json!({"Name": "Rep Two"})).await;
    assert_eq!(t.column(soql, "Name").await, ["Rep One", "Rep Two"]);
    t.delete(&data(&format!("/sobjects/Account/{id}")))
        .await
        .expect(204);
    assert_eq!(t.column(soql, "Name").await, ["Rep Two"]);
    let all = t.query_all(soql).await.expect(200);
    assert_eq!(all["totalSize"], 2);
    assert_eq!(t.column(soql, "Name").await, ["Rep Two"]);
}
