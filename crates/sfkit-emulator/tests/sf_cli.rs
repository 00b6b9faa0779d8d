//! Requests the Salesforce CLI (`sf`) makes that other clients do not, answered as Salesforce
//! answers them. tests/compat/sf_cli_compat.sh runs the CLI itself against the org.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::TestOrg;

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
    let id = t
        .create("Account", &serde_json::json!({"Name": "Slashes"}))
        .await;
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
