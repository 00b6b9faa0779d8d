//! Fault injection and limits: injected row locks, 5xx and expired sessions; the admin endpoint
//! (off by default); the concurrent long-running request cap.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use std::time::Duration;

use common::{TestOrg, data};
use serde_json::json;
use sfkit_emulator::{FaultSpec, OrgConfig};

#[tokio::test]
async fn injected_faults_answer_as_salesforce_does() {
    let org =
        TestOrg::start_with(OrgConfig::default().faults(FaultSpec::parse("lock@1").unwrap())).await;
    org.post(&data("/sobjects/Account"), &json!({"Name": "Locked"}))
        .await
        .expect_error(
            400,
            "UNABLE_TO_LOCK_ROW",
            "unable to obtain exclusive access to this record or 1 records",
        );
    // Reads are not writes: a lock fault leaves them alone, and nothing was written.
    let q = org
        .get(&data("/query?q=SELECT+COUNT()+FROM+Account"))
        .await
        .expect(200);
    assert_eq!(q["totalSize"], 0);
    org.shutdown().await;

    let org =
        TestOrg::start_with(OrgConfig::default().faults(FaultSpec::parse("503@1").unwrap())).await;
    let r = org.get(&data("/limits")).await;
    assert_eq!(r.status, 503, "{}", r.text);
    // OAuth is never faulted, so a client can always re-authenticate.
    let t = org
        .token_request(&[
            ("grant_type", "password"),
            ("client_id", "sfkit-local"),
            ("username", "admin@sfkit.local"),
            ("password", "sfkit-local"),
        ])
        .await;
    assert_eq!(t.status, 200);
    org.shutdown().await;

    let org =
        TestOrg::start_with(OrgConfig::default().faults(FaultSpec::parse("expire@1").unwrap()))
            .await;
    org.get(&data("/limits")).await.expect_error(
        401,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
    );
    org.shutdown().await;
}

#[tokio::test]
async fn the_admin_endpoint_is_off_unless_asked_for() {
    let org = TestOrg::start().await;
    let r = org
        .http
        .put(org.url("/_sfkit/faults"))
        .body("503@1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    org.shutdown().await;

    let org = TestOrg::start_with(OrgConfig::default().admin(true)).await;
    let r = org
        .http
        .put(org.url("/_sfkit/faults"))
        .body("lock@1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let spec = org
        .http
        .get(org.url("/_sfkit/faults"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(spec, "lock@1");
    org.post(&data("/sobjects/Account"), &json!({"Name": "x"}))
        .await
        .expect_code(400, "UNABLE_TO_LOCK_ROW");
    let bad = org
        .http
        .put(org.url("/_sfkit/faults"))
        .body("meltdown@1")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let r = org
        .http
        .put(org.url("/_sfkit/faults"))
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    org.post(&data("/sobjects/Account"), &json!({"Name": "x"}))
        .await
        .expect(201);
    org.shutdown().await;
}

#[tokio::test]
async fn concurrent_long_running_requests_are_capped() {
    // Every call waits 1.5 s; after 200 ms a call counts as long-running; two at once at most.
    let config = OrgConfig::default()
        .faults(FaultSpec::parse("latency=1500ms@1").unwrap())
        .long_running(Duration::from_millis(200), 2);
    let org = std::sync::Arc::new(TestOrg::start_with(config).await);
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let org = std::sync::Arc::clone(&org);
            tokio::spawn(async move { org.get(&data("/limits")).await.status })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(600)).await;
    org.get(&data("/limits")).await.expect_error(
        403,
        "REQUEST_LIMIT_EXCEEDED",
        "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
    );
    for s in slow {
        assert_eq!(s.await.unwrap(), 200);
    }
}
