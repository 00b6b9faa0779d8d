//! Records through the REST API against a local org: by id and by external id, basic info and
//! the replication windows, describe, search, limits, versions and raw requests.

use std::sync::Arc;

use serde_json::{Value, json};
use sfkit_client::{Error, ErrorCode, Method, Record};
use sfkit_emulator::OrgConfig;

use crate::common::{Account, Local, WIDGETS};

#[tokio::test]
async fn records_by_id_create_update_delete() {
    let l = Local::start().await;
    let c = l.client();
    let accounts = c.sobjects("Account");
    let saved = accounts
        .create(&json!({"Name": "Acme", "Industry": "Energy"}))
        .await
        .unwrap();
    assert!(saved.success);
    assert!(saved.id.starts_with("001"), "{}", saved.id);

    let as_map: Record = accounts.get(&saved.id).await.unwrap();
    assert_eq!(as_map["Name"], "Acme");
    assert_eq!(as_map["attributes"]["type"], "Account");
    let typed: Account = accounts
        .get_fields(&saved.id, &["Id", "Name", "Industry"])
        .await
        .unwrap();
    assert_eq!(
        typed,
        Account {
            id: saved.id.clone(),
            name: "Acme".into(),
            industry: Some("Energy".into())
        }
    );

    accounts
        .update(&saved.id, &json!({"Industry": "Banking"}))
        .await
        .unwrap();
    let after: Account = accounts.get(&saved.id).await.unwrap();
    assert_eq!(after.industry.as_deref(), Some("Banking"));

    accounts.delete(&saved.id).await.unwrap();
    let gone = accounts.get::<Record>(&saved.id).await.unwrap_err();
    assert_eq!(gone.code(), Some(&ErrorCode::EntityIsDeleted), "{gone}");
    let again = accounts.delete(&saved.id).await.unwrap_err();
    assert_eq!(again.code(), Some(&ErrorCode::EntityIsDeleted), "{again}");
    assert!(again.to_string().contains("recycle bin"), "{again}");

    // Salesforce's validation comes back typed, with the fields and a remedy.
    let missing = c
        .sobjects("Contact")
        .create(&json!({"FirstName": "No"}))
        .await
        .unwrap_err();
    let Error::Api(api) = &missing else {
        panic!("{missing:?}")
    };
    assert_eq!(api.status, 400);
    assert_eq!(api.code, ErrorCode::RequiredFieldMissing);
    assert_eq!(api.fields(), ["LastName"]);
    assert!(!missing.is_retryable());
}

/// Basic info and the replication calls (getDeleted, getUpdated) over a window.
#[tokio::test]
async fn basic_info_and_replication_windows() {
    let l = Local::start().await;
    let c = l.client();
    let start = iso_instant(-60);
    let a = c
        .sobjects("Account")
        .create(&json!({"Name": "Rep A"}))
        .await
        .unwrap();
    let b = c
        .sobjects("Account")
        .create(&json!({"Name": "Rep B"}))
        .await
        .unwrap();
    c.sobjects("Account").delete(&b.id).await.unwrap();
    let end = iso_instant(60);
    let updated = c.sobjects("Account").updated(&start, &end).await.unwrap();
    assert!(updated.ids.contains(&a.id), "{updated:?}");
    let deleted = c.sobjects("Account").deleted(&start, &end).await.unwrap();
    assert_eq!(
        deleted
            .deleted_records
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>(),
        [b.id.as_str()]
    );
    let info = c.sobjects("Account").basic_info().await.unwrap();
    assert_eq!(info["objectDescribe"]["name"], "Account");
    let bad = c
        .sobjects("Account")
        .updated("yesterday", &end)
        .await
        .unwrap_err();
    assert_eq!(
        bad.code(),
        Some(&ErrorCode::InvalidReplicationDate),
        "{bad}"
    );
}

/// An ISO 8601 UTC instant `offset_secs` from now.
fn iso_instant(offset_secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(offset_secs))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[tokio::test]
async fn upsert_and_lookup_by_external_id() {
    let l = Local::start_with(OrgConfig::default().schema(WIDGETS, "widgets.toml")).await;
    let c = l.client();
    let w = c.sobjects("Widget__c");
    let first = w
        .upsert("Sku__c", "A-1 ?&", &json!({"Name": "Sprocket"}))
        .await
        .unwrap();
    assert!(first.created);
    let second = w
        .upsert("Sku__c", "A-1 ?&", &json!({"Name": "Sprocket v2"}))
        .await
        .unwrap();
    assert!(!second.created);
    assert_eq!(second.id, first.id);
    let got: Record = w.get_by_external_id("Sku__c", "A-1 ?&").await.unwrap();
    assert_eq!(got["Name"], "Sprocket v2");
    assert_eq!(
        got["Sku__c"], "A-1 ?&",
        "the value travels encoded in the path"
    );

    let d = w.describe().await.unwrap();
    assert_eq!(d.name, "Widget__c");
    assert!(d.custom);
    let sku = d.field("sku__c").unwrap();
    assert!(sku.external_id);
    assert_eq!(sku.length, 20);
    let again = w.describe().await.unwrap();
    assert!(Arc::ptr_eq(&d, &again), "describe is cached");
}

#[tokio::test]
async fn search_limits_versions_and_raw_requests() {
    let l = Local::start().await;
    let c = l.client();
    c.sobjects("Account")
        .create(&json!({"Name": "Searchable Quokka"}))
        .await
        .unwrap();
    let hits = c
        .search("FIND {Quokka} IN NAME FIELDS RETURNING Account(Id, Name)")
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["Name"], "Searchable Quokka");
    let hits = c
        .parameterized_search(
            &json!({"q": "Quokka", "sobjects": [{"name": "Account"}], "fields": ["Name"]}),
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);

    let limits = c.limits().await.unwrap();
    let daily = limits["DailyApiRequests"];
    assert!(daily.max > 0 && daily.remaining <= daily.max);
    let versions = c.versions().await.unwrap();
    assert!(versions.iter().any(|v| v.version == "66.0"));

    let raw = c
        .request(
            Method::GET,
            "/services/data/v66.0/sobjects/Account/describe",
            None,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(raw["name"], "Account");
    let created = c
        .request(
            Method::POST,
            "/services/data/v66.0/sobjects/Account",
            Some(&json!({"Name": "Raw"})),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created["success"], true);
    let none = c
        .request(
            Method::PATCH,
            &format!(
                "/services/data/v66.0/sobjects/Account/{}",
                created["id"].as_str().unwrap()
            ),
            Some(&json!({"Name": "Raw 2"})),
        )
        .await
        .unwrap();
    assert_eq!(none, None::<Value>);
    assert!(c.request(Method::GET, "services/data", None).await.is_err());
}
