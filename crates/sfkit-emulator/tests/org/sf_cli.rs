//! Requests the Salesforce CLI (`sf`) makes that other clients do not, answered as Salesforce
//! answers them. tests/compat/sf_cli_compat.sh runs the CLI itself against the org.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use common::{TestOrg, data};
use serde_json::{Value, json};

/// `sf org login access-token --instance-url https://host` keeps the URL with its trailing slash
/// and appends `/services/...`: every later request path starts with `//`.
#[tokio::test]
async fn doubled_slashes_in_the_path_are_one() {
    let t = TestOrg::start().await;
    let versions = t.get("//services/data").await.expect(200);
    assert!(versions.as_array().unwrap().len() > 40, "{versions}");

    let q = common::form(&[(
        "q",
        "SELECT Id, Name FROM User WHERE Username = 'admin@sfkit.local'",
    )]);
    let body = t
        .get(&format!("//services/data/v66.0/query?{q}"))
        .await
        .expect(200);
    assert_eq!(body["totalSize"], 1, "{body}");
    assert_eq!(body["records"][0]["Name"], "Local Admin");

    // Anywhere in the path, with a trailing slash too.
    let limits = t.get("/services//data/v66.0//limits/").await.expect(200);
    assert!(limits["DailyApiRequests"]["Max"].as_u64().unwrap() > 0);
    let id = t.create("Account", &json!({"Name": "Slashes"})).await;
    let rec = t
        .get(&format!("//services/data/v66.0/sobjects/Account/{id}"))
        .await
        .expect(200);
    assert_eq!(rec["Name"], "Slashes");

    // Unknown resources still answer NOT_FOUND, in Salesforce's shape.
    t.get("//services/data/v66.0/nope").await.expect_error(
        404,
        "NOT_FOUND",
        "The requested resource does not exist",
    );
    t.shutdown().await;
}

/// `GET /query?q=...&columns=true`: the query's columns, without its records.
async fn columns(t: &TestOrg, soql: &str) -> Value {
    let path = format!(
        "{}?{}&columns=true",
        data("/query"),
        common::form(&[("q", soql)])
    );
    t.get(&path).await.expect(200)
}

/// `columnName` of each entry, with join columns as `Parent.Child` paths.
fn names(cols: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for c in cols.as_array().unwrap() {
        let name = c["columnName"].as_str().unwrap().to_owned();
        let joins = c["joinColumns"].as_array().unwrap();
        if joins.is_empty() {
            out.push(name);
        } else {
            out.extend(
                names(&c["joinColumns"])
                    .into_iter()
                    .map(|n| format!("{name}.{n}")),
            );
        }
    }
    out
}

/// `sf data query` lays out its table and CSV from the query's column metadata.
#[tokio::test]
async fn query_columns_describe_the_selected_items() {
    let t = TestOrg::start().await;
    check_plain_field_columns(&t).await;
    check_parent_and_child_columns(&t).await;
    check_aggregate_columns(&t).await;
    check_count_and_fields_columns(&t).await;
    check_column_query_errors(&t).await;
    t.shutdown().await;
}

/// Plain fields, in Salesforce's casing whatever the query's.
async fn check_plain_field_columns(t: &TestOrg) {
    let body = columns(t, "select id, name, numberofemployees from account").await;
    assert_eq!(body["entityName"], "Account");
    assert_eq!(body["keyPrefix"], "001");
    assert_eq!(body["groupBy"], false);
    assert_eq!(body["idSelected"], true);
    let cols = &body["columnMetadata"];
    assert_eq!(names(cols), ["Id", "Name", "NumberOfEmployees"]);
    assert_eq!(
        cols[0],
        json!({
            "aggregate": false, "apexType": "Id", "booleanType": false, "columnName": "Id",
            "custom": false, "displayName": "Id", "foreignKeyName": null, "insertable": false,
            "joinColumns": [], "numberType": false, "textType": false, "updatable": false,
        })
    );
    assert_eq!(cols[1]["apexType"], "String");
    assert_eq!(cols[1]["textType"], true);
    assert_eq!(cols[1]["insertable"], true);
    assert_eq!(cols[1]["updatable"], true);
    assert_eq!(cols[2]["apexType"], "Integer");
    assert_eq!(cols[2]["numberType"], true);
    // No records are returned.
    assert!(body.get("records").is_none(), "{body}");
}

/// Parent paths share one join column per relationship; a child subquery is an aggregate
/// column holding the subquery's columns.
async fn check_parent_and_child_columns(t: &TestOrg) {
    let body = columns(
        t,
        "SELECT Name, Owner.Name, Owner.Email, Parent.Owner.Name, (SELECT LastName, Account.Name FROM Contacts) FROM Account",
    )
    .await;
    assert_eq!(body["idSelected"], false);
    let cols = &body["columnMetadata"];
    assert_eq!(
        names(cols),
        [
            "Name",
            "Owner.Name",
            "Owner.Email",
            "Parent.Owner.Name",
            "Contacts.LastName",
            "Contacts.Account.Name"
        ]
    );
    assert_eq!(cols[1]["columnName"], "Owner");
    assert_eq!(cols[1]["foreignKeyName"], "OwnerId");
    assert_eq!(cols[1]["aggregate"], false);
    assert_eq!(cols[1]["apexType"], Value::Null);
    assert_eq!(cols[2]["foreignKeyName"], "ParentId");
    assert_eq!(cols[3]["columnName"], "Contacts");
    assert_eq!(cols[3]["aggregate"], true);
    assert_eq!(cols[3]["foreignKeyName"], Value::Null);
}

/// Aggregates: grouped fields under their names, functions under alias or exprN with the
/// call as the display name.
async fn check_aggregate_columns(t: &TestOrg) {
    let body = columns(
        t,
        "SELECT Industry, COUNT(Id), MAX(NumberOfEmployees) most, MIN(Name) FROM Account GROUP BY Industry",
    )
    .await;
    assert_eq!(body["groupBy"], true);
    let cols = &body["columnMetadata"];
    assert_eq!(names(cols), ["Industry", "expr0", "most", "expr1"]);
    assert_eq!(cols[0]["aggregate"], false);
    assert_eq!(cols[1]["aggregate"], true);
    assert_eq!(cols[1]["displayName"], "count(Id)");
    assert_eq!(cols[1]["numberType"], true);
    assert_eq!(cols[2]["displayName"], "max(NumberOfEmployees)");
    assert_eq!(cols[2]["numberType"], true);
    assert_eq!(cols[3]["numberType"], false);
    // The records carry the same keys.
    t.create(
        "Account",
        &json!({"Name": "Columns", "Industry": "Energy", "NumberOfEmployees": 5}),
    )
    .await;
    let recs = t
        .records(
            "SELECT Industry, COUNT(Id), MAX(NumberOfEmployees) most, MIN(Name) FROM Account GROUP BY Industry",
        )
        .await;
    assert_eq!(recs.len(), 1);
    for r in &recs {
        for k in ["Industry", "expr0", "most", "expr1"] {
            assert!(r.get(k).is_some(), "{k} in {r}");
        }
    }
}

/// COUNT() returns no records, and so no columns; FIELDS() expands to the object's fields.
async fn check_count_and_fields_columns(t: &TestOrg) {
    // COUNT() returns no records, and so no columns.
    let body = columns(t, "SELECT COUNT() FROM Contact").await;
    assert_eq!(body["columnMetadata"], json!([]));

    // FIELDS() expands to the object's fields.
    let body = columns(t, "SELECT FIELDS(STANDARD) FROM Contact LIMIT 1").await;
    assert_eq!(body["idSelected"], true);
    let all = names(&body["columnMetadata"]);
    assert!(
        all.iter().any(|n| n == "LastName") && all.iter().any(|n| n == "AccountId"),
        "{all:?}"
    );
}

/// Errors are the query's own.
async fn check_column_query_errors(t: &TestOrg) {
    let path = format!(
        "{}?{}&columns=true",
        data("/query"),
        common::form(&[("q", "SELECT Id, Bogus FROM Account")])
    );
    let msg = t.get(&path).await.expect_code(400, "INVALID_FIELD");
    assert!(
        msg.contains("No such column 'Bogus' on entity 'Account'"),
        "{msg}"
    );
    let path = format!(
        "{}?{}&columns=true",
        data("/query"),
        common::form(&[("q", "SELECT Id FROM Nope")])
    );
    t.get(&path).await.expect_code(400, "INVALID_TYPE");
}
