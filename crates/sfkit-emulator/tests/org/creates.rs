//! Single-record creates from many clients at once, which the writer commits in groups: each
//! create is answered for itself, an invalid one fails alone with Salesforce's error, and every
//! committed record is readable, queryable and searchable.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{TestOrg, data, form};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_fail_alone_and_commit_the_rest() {
    let t = Arc::new(TestOrg::start().await);
    let path = data("/sobjects/Account");
    let tasks: Vec<_> = (0..12)
        .map(|c| {
            let (t, path) = (Arc::clone(&t), path.clone());
            tokio::spawn(async move {
                let mut out = Vec::new();
                for i in 0..8 {
                    // Every third create lacks its required Name.
                    let invalid = (c * 8 + i) % 3 == 0;
                    let body = if invalid {
                        json!({"Industry": "Energy"})
                    } else {
                        json!({"Name": format!("Groupcommit {c}-{i}"), "Industry": "Energy"})
                    };
                    out.push((invalid, t.post(&path, &body).await));
                }
                out
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    let mut failed = 0;
    for task in tasks {
        for (invalid, r) in task.await.unwrap() {
            if invalid {
                r.expect_error_fields(
                    400,
                    "REQUIRED_FIELD_MISSING",
                    "Required fields are missing: [Name]",
                    &["Name"],
                );
                failed += 1;
            } else {
                let body = r.expect(201);
                assert_eq!(body["success"], true, "{body}");
                assert_eq!(body["errors"], json!([]), "{body}");
                let id = body["id"].as_str().unwrap().to_owned();
                let location = r.header("Location").unwrap();
                assert_eq!(
                    location,
                    format!("/services/data/v{}/sobjects/Account/{id}", common::V)
                );
                assert!(ids.insert(id), "ids are distinct");
            }
        }
    }
    assert_eq!((ids.len(), failed), (64, 32));
    for id in &ids {
        let rec = t.get(&data(&format!("/sobjects/Account/{id}"))).await;
        assert!(
            rec.expect(200)["Name"]
                .as_str()
                .unwrap()
                .starts_with("Groupcommit ")
        );
    }
    let q = t
        .query_ok("SELECT Id FROM Account WHERE Name LIKE 'Groupcommit %'")
        .await;
    assert_eq!(q["totalSize"], 64);
    let found = t
        .get(&format!(
            "{}?{}",
            data("/search"),
            form(&[("q", "FIND {Groupcommit} RETURNING Account(Id)")])
        ))
        .await
        .expect(200);
    let found: BTreeSet<String> = found["searchRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(found, ids, "every committed create is searchable");
}
