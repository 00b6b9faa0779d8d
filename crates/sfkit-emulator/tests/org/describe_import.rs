//! Schemas from describe JSON saved from a real org: the `Whizbang` custom object captured in
//! restforce's fixtures (shared corpora) loads, takes records, and answers describe and SOQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use common::{TestOrg, data};
use serde_json::{Value, json};
use sfkit_emulator::OrgConfig;

fn whizbang_describe() -> String {
    let dir = std::env::var("SFKIT_CORPORA").map_or_else(
        |_| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora"),
        std::path::PathBuf::from,
    );
    let text = std::fs::read_to_string(dir.join("restforce-fixtures.jsonl"))
        .expect("the restforce fixtures");
    let line = text
        .lines()
        .find(|l| l.contains("\"sobject/sobject_describe_success_response\""))
        .expect("the describe fixture");
    let record: Value = serde_json::from_str(line).unwrap();
    record["response"].to_string()
}

#[tokio::test]
async fn a_real_describe_becomes_a_working_object() {
    let org =
        TestOrg::start_with(OrgConfig::default().schema(whizbang_describe(), "whizbang.json"))
            .await;
    let desc = org
        .get(&data("/sobjects/Whizbang/describe"))
        .await
        .expect(200);
    assert_eq!(desc["keyPrefix"], "a01");
    let names: Vec<&str> = desc["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Id") && names.contains(&"Name") && names.contains(&"OwnerId"),
        "{names:?}"
    );

    let created = org
        .post(
            &data("/sobjects/Whizbang"),
            &json!({"Name": "From a real describe"}),
        )
        .await
        .expect(201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("a01"), "{id}");
    let rows = org
        .get(&data("/query?q=SELECT+Id,+Name+FROM+Whizbang"))
        .await
        .expect(200);
    assert_eq!(rows["totalSize"], 1);
    assert_eq!(rows["records"][0]["Name"], "From a real describe");

    // A field the describe does not have is refused as Salesforce refuses it.
    org.post(
        &data("/sobjects/Whizbang"),
        &json!({"Name": "x", "Nope__c": 1}),
    )
    .await
    .expect_error(
        400,
        "INVALID_FIELD",
        "No such column 'Nope__c' on sobject of type Whizbang",
    );
    org.shutdown().await;
}

#[tokio::test]
async fn describe_global_json_is_refused_with_a_hint() {
    let result = sfkit_emulator::Org::start(
        OrgConfig::default().schema(r#"{"sobjects": []}"#, "global.json"),
    )
    .await;
    let err = result
        .expect_err("describeGlobal is not a schema")
        .to_string();
    assert!(err.contains("describeGlobal"), "{err}");
}
