//! The transport against a local org with injected faults: requests in flight capped, 503s and
//! row locks retried, a create never sent twice after a 502, the daily budget.

use std::time::Duration;

use futures_util::TryStreamExt;
use serde_json::json;
use sfkit_client::{Budget, Error, Record, RetryPolicy};
use sfkit_emulator::{ADMIN_USERNAME, FaultSpec, OrgConfig};

use crate::common::Local;

/// At most N requests in flight: with every answer delayed 150 ms, 9 calls through a limit of
/// 3 take at least three rounds.
#[tokio::test]
async fn requests_in_flight_are_capped() {
    let faults = FaultSpec::parse("latency=150ms@1").unwrap();
    let l = Local::start_with(OrgConfig::default().faults(faults)).await;
    let c = l
        .builder()
        .token_source(l.password(ADMIN_USERNAME))
        .max_in_flight(3)
        .build()
        .unwrap();
    c.limits().await.unwrap();
    let t = std::time::Instant::now();
    let calls = (0..9).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.limits().await.map(drop) })
    });
    for r in futures_util::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert!(
        t.elapsed() >= Duration::from_millis(450),
        "three rounds of three: {:?}",
        t.elapsed()
    );
}

/// 503s and row locks at a 30% rate each: every call still succeeds (without retries, 30
/// calls would almost surely meet a fault).
#[tokio::test]
async fn unavailable_and_locked_rows_are_retried() {
    let faults = FaultSpec::parse("503@0.3,lock@0.3").unwrap();
    let l = Local::start_with(OrgConfig::default().faults(faults)).await;
    // A write meets a fault about half the time: enough retries that all 30 calls succeed
    // (a call fails only after 16 faults in a row, about 1 in 50,000).
    let c = l
        .builder()
        .token_source(l.password(ADMIN_USERNAME))
        .retry(RetryPolicy {
            max_retries: 15,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .build()
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..15 {
        // A lock refuses the write before anything is written, so a create may be retried.
        let r = c
            .sobjects("Account")
            .create(&json!({"Name": format!("Retry {i}")}))
            .await
            .unwrap();
        ids.push(r.id);
    }
    for id in &ids {
        c.sobjects("Account")
            .update(id, &json!({"Industry": "Energy"}))
            .await
            .unwrap();
    }
    // Exactly one record each: no create was applied twice.
    let n: Vec<Record> = c
        .query("SELECT Id FROM Account WHERE Name LIKE 'Retry %'")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(n.len(), 15);
}

/// A 502 may come after the org applied a write: a create is sent once and the error returned;
/// a read is retried.
#[tokio::test]
async fn a_create_is_not_retried_after_a_bad_gateway() {
    let faults = FaultSpec::parse("502@1").unwrap();
    let l = Local::start_with(OrgConfig::default().faults(faults)).await;
    let c = l.client();
    let before = l.org.api_requests();
    let err = c
        .sobjects("Account")
        .create(&json!({"Name": "Once"}))
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Api(a) if a.status == 502), "{err:?}");
    assert_eq!(l.org.api_requests() - before, 1, "sent once");
    let before = l.org.api_requests();
    let err = c.sobjects("Account").describe_fresh().await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(
        l.org.api_requests() - before,
        9,
        "a read: first try and 8 retries"
    );
}

/// Past the stop threshold calls fail fast without reaching the org.
#[tokio::test]
async fn the_daily_budget_stops_calls_before_the_org_runs_out() {
    let l = Local::start_with(OrgConfig::default().daily_api_limit(20)).await;
    let c = l
        .builder()
        .token_source(l.password(ADMIN_USERNAME))
        .budget(Budget {
            warn_at: 0.25,
            stop_at: 0.5,
        })
        .build()
        .unwrap();
    let mut made = 0;
    let err = loop {
        match c.limits().await {
            Ok(_) => made += 1,
            Err(e) => break e,
        }
        assert!(made < 20, "the budget never stopped the calls");
    };
    let Error::BudgetExhausted { used, max, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*max, 20);
    assert!(*used >= 10 && *used < 20, "{used}");
    assert!(err.to_string().contains("stop threshold"), "{err}");
    assert_eq!(c.api_usage().map(|u| u.used), Some(*used));
}
