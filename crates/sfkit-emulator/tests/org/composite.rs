//! Upsert and lookup by external id, and the composite family over real HTTP: composite (with
//! references and allOrNone both ways), composite batch, sObject tree, composite graph, and
//! sObject Collections (create, update, upsert, delete, retrieve), with the exact statuses and
//! bodies Salesforce answers, and queries checking what was (or was not) written.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use common::{TestOrg, data, data_v, keys};
use reqwest::Method;
use serde_json::{Value, json};
use sfkit_emulator::OrgConfig;

/// A custom object with a unique external id (`Sku__c`), a non-unique one (`Batch__c`) and a
/// plain text field (`Color__c`).
const WIDGETS: &str = r#"
[[object]]
name = "Widget__c"
label = "Widget"
prefix = "a0W"

[[object.fields]]
name = "Sku__c"
type = "string"
length = 40
external_id = true
unique = true

[[object.fields]]
name = "Batch__c"
type = "string"
length = 40
external_id = true

[[object.fields]]
name = "Color__c"
type = "string"
length = 40
"#;

async fn widgets_org() -> TestOrg {
    TestOrg::start_with(OrgConfig::default().schema(WIDGETS, "test.toml")).await
}

/// A TOML schema opens with `[[object]]`; it must not be taken for a describe JSON array.
#[test]
fn a_toml_schema_opening_with_a_table_array_loads_as_toml() {
    let mut schema = sfkit_emulator::schema::Schema::standard().unwrap();
    schema.add_any(WIDGETS, "test.toml").unwrap();
    let widget = schema.get("Widget__c").unwrap();
    assert!(widget.field("Sku__c").unwrap().external_id);
    assert!(widget.field("Sku__c").unwrap().unique);
    assert!(!widget.field("Batch__c").unwrap().unique);
}

fn upsert_path(v: &str, field: &str, value: &str) -> String {
    data_v(v, &format!("/sobjects/Widget__c/{field}/{value}"))
}

fn record_url(v: &str, ty: &str, id: &str) -> String {
    format!("/services/data/v{v}/sobjects/{ty}/{id}")
}

const V: &str = common::V;

/// The PROCESSING_HALTED body of the subrequests an allOrNone failure rolled back.
fn rolled_back_body() -> Value {
    json!([{
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in the same transaction failed."
    }])
}

/// The `id` of a successful create body.
fn id_of(body: &Value) -> String {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {body}"))
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Upsert and lookup by external id
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn upsert_creates_then_updates_by_external_id() {
    let t = widgets_org().await;

    let r = t
        .patch(
            &upsert_path(V, "Sku__c", "W-1"),
            &json!({"Name": "One", "Color__c": "red"}),
        )
        .await;
    let body = r.expect(201);
    let id = id_of(&body);
    assert!(id.starts_with("a0W") && id.len() == 18, "{id}");
    assert_eq!(
        body,
        json!({"id": id, "success": true, "errors": [], "created": true})
    );
    assert_eq!(keys(&body), ["id", "success", "errors", "created"]);

    // v46 and later: 200 with created false.
    let r = t
        .patch(
            &upsert_path(V, "Sku__c", "W-1"),
            &json!({"Color__c": "blue"}),
        )
        .await;
    assert_eq!(
        r.expect(200),
        json!({"id": id, "success": true, "errors": [], "created": false})
    );
    let r = t
        .patch(
            &upsert_path("46.0", "Sku__c", "W-1"),
            &json!({"Color__c": "green"}),
        )
        .await;
    assert_eq!(r.expect(200)["created"], false);

    // Before v46: 204 and no body.
    let r = t
        .patch(
            &upsert_path("45.0", "Sku__c", "W-1"),
            &json!({"Color__c": "black"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.text, "");

    // The key matches case-insensitively (and the field name too); the stored key is unchanged.
    let r = t
        .patch(
            &upsert_path(V, "sku__c", "w-1"),
            &json!({"Name": "Uno", "Color__c": "white"}),
        )
        .await;
    assert_eq!(r.expect(200)["id"], id.as_str());

    let rows = t
        .records("SELECT Id, Name, Sku__c, Color__c FROM Widget__c")
        .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["Id"], id.as_str());
    assert_eq!(rows[0]["Name"], "Uno");
    assert_eq!(rows[0]["Sku__c"], "W-1");
    assert_eq!(rows[0]["Color__c"], "white");

    // A second key creates a second record.
    let r = t
        .patch(&upsert_path(V, "Sku__c", "W-2"), &json!({"Name": "Two"}))
        .await;
    let second = id_of(&r.expect(201));
    assert_ne!(second, id);
    assert_eq!(
        t.column("SELECT Sku__c FROM Widget__c ORDER BY Sku__c", "Sku__c")
            .await,
        ["W-1", "W-2"]
    );
}

#[tokio::test]
async fn upsert_update_only_and_unknown_key_fields() {
    let t = widgets_org().await;

    // updateOnly=true with no match: 404, nothing written.
    let path = format!("{}?updateOnly=true", upsert_path(V, "Sku__c", "W-9"));
    t.patch(&path, &json!({"Name": "Nine"})).await.expect_error(
        404,
        "NOT_FOUND",
        "The requested resource does not exist",
    );

    // updateOnly=true with a match updates.
    t.patch(&upsert_path(V, "Sku__c", "W-1"), &json!({"Name": "One"}))
        .await
        .expect(201);
    let path = format!("{}?updateOnly=true", upsert_path(V, "Sku__c", "W-1"));
    let r = t.patch(&path, &json!({"Name": "Eins"})).await;
    assert_eq!(r.expect(200)["created"], false);

    // A field that does not exist, and one that is not an external id.
    for field in ["Nope__c", "Color__c"] {
        t.patch(&upsert_path(V, field, "x"), &json!({"Name": "X"}))
            .await
            .expect_error(
                404,
                "NOT_FOUND",
                &format!("Provided external ID field does not exist or is not accessible: {field}"),
            );
    }
    assert_eq!(
        t.column("SELECT Name FROM Widget__c", "Name").await,
        ["Eins"]
    );

    // Upsert on a standard object by a field that is not an external id.
    t.patch(
        &data("/sobjects/Account/Name/Acme"),
        &json!({"Industry": "Banking"}),
    )
    .await
    .expect_error(
        404,
        "NOT_FOUND",
        "Provided external ID field does not exist or is not accessible: Name",
    );
}

#[tokio::test]
async fn get_and_delete_by_external_id() {
    let t = widgets_org().await;
    let r = t
        .patch(
            &upsert_path(V, "Sku__c", "W-1"),
            &json!({"Name": "One", "Color__c": "red"}),
        )
        .await;
    let id = id_of(&r.expect(201));

    let rec = t.get(&upsert_path(V, "Sku__c", "w-1")).await.expect(200);
    assert_eq!(
        rec["attributes"],
        json!({"type": "Widget__c", "url": record_url(V, "Widget__c", &id)})
    );
    assert_eq!(rec["Id"], id.as_str());
    assert_eq!(rec["Name"], "One");
    assert_eq!(rec["Sku__c"], "W-1");
    assert_eq!(rec["Color__c"], "red");

    t.get(&upsert_path(V, "Sku__c", "W-404"))
        .await
        .expect_error(404, "NOT_FOUND", "The requested resource does not exist");

    let r = t.delete(&upsert_path(V, "Sku__c", "W-1")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.text, "");
    t.get(&upsert_path(V, "Sku__c", "W-1")).await.expect_error(
        404,
        "NOT_FOUND",
        "The requested resource does not exist",
    );
    t.delete(&upsert_path(V, "Sku__c", "W-1"))
        .await
        .expect_error(404, "NOT_FOUND", "The requested resource does not exist");
    assert!(t.records("SELECT Id FROM Widget__c").await.is_empty());
    assert_eq!(
        t.query_all("SELECT Id, IsDeleted FROM Widget__c")
            .await
            .expect(200)["records"][0]["IsDeleted"],
        true
    );
}

#[tokio::test]
async fn several_matches_answer_300_with_their_urls() {
    let t = widgets_org().await;
    let a = t
        .create(
            "Widget__c",
            &json!({"Name": "A", "Sku__c": "S-A", "Batch__c": "B1"}),
        )
        .await;
    let b = t
        .create(
            "Widget__c",
            &json!({"Name": "B", "Sku__c": "S-B", "Batch__c": "b1"}),
        )
        .await;
    t.create(
        "Widget__c",
        &json!({"Name": "C", "Sku__c": "S-C", "Batch__c": "B2"}),
    )
    .await;
    let urls = json!([
        record_url(V, "Widget__c", &a),
        record_url(V, "Widget__c", &b)
    ]);

    let r = t
        .patch(
            &upsert_path(V, "Batch__c", "B1"),
            &json!({"Color__c": "red"}),
        )
        .await;
    assert_eq!(r.expect(300), urls);
    let r = t.get(&upsert_path(V, "Batch__c", "B1")).await;
    assert_eq!(r.expect(300), urls);
    let r = t.delete(&upsert_path(V, "Batch__c", "B1")).await;
    assert_eq!(r.expect(300), urls, "DELETE lists the matches too");

    // Nothing was updated or deleted; a single match on the same field still works.
    assert_eq!(
        t.column(
            "SELECT Color__c FROM Widget__c WHERE Color__c != null",
            "Color__c"
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(t.records("SELECT Id FROM Widget__c").await.len(), 3);
    let r = t
        .patch(
            &upsert_path(V, "Batch__c", "B2"),
            &json!({"Color__c": "blue"}),
        )
        .await;
    assert_eq!(r.expect(200)["created"], false);
}

// ---------------------------------------------------------------------------------------------
// Composite
// ---------------------------------------------------------------------------------------------

fn sub(method: &str, url: &str, reference: &str, body: Option<Value>) -> Value {
    let mut s = json!({"method": method, "url": url, "referenceId": reference});
    if let Some(b) = body {
        s["body"] = b;
    }
    s
}

fn sobjects_url(ty: &str) -> String {
    data(&format!("/sobjects/{ty}"))
}

fn query_url(soql: &str) -> String {
    format!("{}?{}", data("/query/"), common::form(&[("q", soql)]))
}

#[tokio::test]
async fn composite_references_chain_subrequests() {
    let t = TestOrg::start().await;
    let req = json!({
        "allOrNone": true,
        "compositeRequest": [
            sub("POST", &sobjects_url("Account"), "refAccount", Some(json!({"Name": "Composite Co"}))),
            sub("POST", &sobjects_url("Contact"), "refContact",
                Some(json!({"LastName": "Chain", "AccountId": "@{refAccount.id}"}))),
            sub("GET", &query_url("SELECT Id, Account.Name FROM Contact WHERE LastName = 'Chain'"), "q", None),
            sub("PATCH", &data("/sobjects/Contact/@{q.records[0].Id}"), "u", Some(json!({"Title": "Linked"}))),
            sub("GET", &data("/sobjects/Contact/@{refContact.id}?fields=Title,AccountId"), "read", None),
        ]
    });
    let body = t.post(&data("/composite"), &req).await.expect(200);
    let items = body["compositeResponse"].as_array().unwrap();
    assert_eq!(items.len(), 5, "{body}");
    for item in items {
        assert_eq!(
            keys(item),
            ["body", "httpHeaders", "httpStatusCode", "referenceId"]
        );
    }

    let account = id_of(&items[0]["body"]);
    let contact = id_of(&items[1]["body"]);
    assert_eq!(
        items[0],
        json!({
            "body": {"id": account, "success": true, "errors": []},
            "httpHeaders": {"Location": record_url(V, "Account", &account)},
            "httpStatusCode": 201,
            "referenceId": "refAccount"
        })
    );
    assert_eq!(
        items[1]["httpHeaders"],
        json!({"Location": record_url(V, "Contact", &contact)})
    );
    assert_eq!(items[1]["httpStatusCode"], 201);

    assert_eq!(items[2]["httpStatusCode"], 200);
    assert_eq!(items[2]["httpHeaders"], json!({}));
    assert_eq!(items[2]["body"]["totalSize"], 1);
    assert_eq!(items[2]["body"]["done"], true);
    assert_eq!(items[2]["body"]["records"][0]["Id"], contact.as_str());
    assert_eq!(
        items[2]["body"]["records"][0]["Account"]["Name"],
        "Composite Co"
    );

    assert_eq!(
        items[3],
        json!({"body": null, "httpHeaders": {}, "httpStatusCode": 204, "referenceId": "u"})
    );
    assert_eq!(items[4]["httpStatusCode"], 200);
    assert_eq!(items[4]["body"]["Title"], "Linked");
    assert_eq!(items[4]["body"]["AccountId"], account.as_str());

    let c = t.read("Contact", &contact).await;
    assert_eq!(c["AccountId"], account.as_str());
    assert_eq!(c["Title"], "Linked");
}

#[tokio::test]
async fn composite_all_or_none_rolls_back_every_write() {
    let t = TestOrg::start().await;
    let req = json!({
        "allOrNone": true,
        "compositeRequest": [
            sub("POST", &sobjects_url("Account"), "acc", Some(json!({"Name": "Rolled Back"}))),
            sub("POST", &sobjects_url("Contact"), "good", Some(json!({"LastName": "Kept?", "AccountId": "@{acc.id}"}))),
            sub("POST", &sobjects_url("Contact"), "bad", Some(json!({"FirstName": "NoLast"}))),
            sub("POST", &sobjects_url("Account"), "after", Some(json!({"Name": "After"}))),
        ]
    });
    let body = t.post(&data("/composite"), &req).await.expect(200);
    let items = body["compositeResponse"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{body}");
    for (i, reference) in ["acc", "good", "after"].iter().enumerate() {
        let item = &items[if i < 2 { i } else { 3 }];
        assert_eq!(
            *item,
            json!({"body": rolled_back_body(), "httpHeaders": {}, "httpStatusCode": 400, "referenceId": reference}),
            "{body}"
        );
    }
    assert_eq!(
        items[2],
        json!({
            "body": [{"message": "Required fields are missing: [LastName]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]}],
            "httpHeaders": {},
            "httpStatusCode": 400,
            "referenceId": "bad"
        })
    );

    assert!(t.records("SELECT Id FROM Account").await.is_empty());
    assert!(t.records("SELECT Id FROM Contact").await.is_empty());

    // Two invalid records: each reports its own error, not just the first.
    let two_bad = json!([
        typed("Contact", json!({"FirstName": "NoLast"})),
        typed("Account", json!({"Name": "Valid"})),
        typed("Contact", json!({"FirstName": "AlsoNoLast"})),
    ]);
    let body = t
        .post(
            &data("/composite/sobjects"),
            &json!({"allOrNone": true, "records": two_bad}),
        )
        .await
        .expect(200);
    assert_eq!(
        body,
        json!([
            missing_last_name_item(),
            rolled_back_item(),
            missing_last_name_item()
        ])
    );
    assert!(t.records("SELECT Id FROM Account").await.is_empty());
    assert!(
        t.query_all("SELECT Id FROM Account").await.expect(200)["records"]
            .as_array()
            .unwrap()
            .is_empty(),
        "no trace in the recycle bin either"
    );
}

#[tokio::test]
async fn composite_without_all_or_none_commits_what_succeeds() {
    let t = TestOrg::start().await;
    let req = json!({
        "allOrNone": false,
        "compositeRequest": [
            sub("POST", &sobjects_url("Account"), "acc", Some(json!({"Name": "Kept One"}))),
            sub("POST", &sobjects_url("Contact"), "badContact", Some(json!({"FirstName": "NoLast"}))),
            sub("PATCH", &data("/sobjects/Contact/@{badContact.id}"), "dependent", Some(json!({"Title": "x"}))),
            sub("GET", &query_url("SELECT Id FROM Lead WHERE LastName = 'Nobody'"), "noLeads", None),
            sub("PATCH", &data("/sobjects/Lead/@{noLeads.records[0].Id}"), "emptyRef", Some(json!({"Title": "x"}))),
            sub("POST", &sobjects_url("Account"), "acc2", Some(json!({"Name": "Kept Two"}))),
        ]
    });
    let body = t.post(&data("/composite"), &req).await.expect(200);
    let items = body["compositeResponse"].as_array().unwrap();
    assert_eq!(items[0]["httpStatusCode"], 201);
    assert_eq!(items[1]["httpStatusCode"], 400);
    assert_eq!(items[1]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(
        items[2],
        json!({
            "body": [{"errorCode": "PROCESSING_HALTED", "message": "Invalid reference specified. No value for badContact.id found in badContact."}],
            "httpHeaders": {},
            "httpStatusCode": 400,
            "referenceId": "dependent"
        })
    );
    assert_eq!(items[3]["httpStatusCode"], 200);
    assert_eq!(items[3]["body"]["totalSize"], 0);
    assert_eq!(
        items[4]["body"],
        json!([{"errorCode": "PROCESSING_HALTED", "message": "Invalid reference specified. No value for noLeads.records[0].Id found in noLeads."}])
    );
    assert_eq!(items[4]["httpStatusCode"], 400);
    assert_eq!(items[5]["httpStatusCode"], 201);

    assert_eq!(
        t.column("SELECT Name FROM Account ORDER BY Name", "Name")
            .await,
        ["Kept One", "Kept Two"]
    );
    assert!(t.records("SELECT Id FROM Contact").await.is_empty());
}

#[tokio::test]
async fn queries_inside_composite_see_earlier_writes() {
    let t = TestOrg::start().await;
    t.create("Account", &json!({"Name": "Before"})).await;
    let req = json!({
        "allOrNone": true,
        "compositeRequest": [
            sub("GET", &query_url("SELECT COUNT() FROM Account"), "before", None),
            sub("POST", &sobjects_url("Account"), "a1", Some(json!({"Name": "Inside One"}))),
            sub("POST", &sobjects_url("Account"), "a2", Some(json!({"Name": "Inside Two"}))),
            sub("PATCH", &data("/sobjects/Account/@{a1.id}"), "rename", Some(json!({"Name": "Inside Renamed"}))),
            sub("GET", &query_url("SELECT Name FROM Account WHERE Name LIKE 'Inside%' ORDER BY Name"), "after", None),
            sub("DELETE", &data("/sobjects/Account/@{a2.id}"), "drop", None),
            sub("GET", &query_url("SELECT COUNT() FROM Account"), "count", None),
        ]
    });
    let body = t.post(&data("/composite"), &req).await.expect(200);
    let items = body["compositeResponse"].as_array().unwrap();
    assert_eq!(items[0]["body"]["totalSize"], 1, "{body}");
    let names: Vec<&str> = items[4]["body"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Inside Renamed", "Inside Two"]);
    assert_eq!(items[5]["httpStatusCode"], 204);
    assert_eq!(items[6]["body"]["totalSize"], 2);
    assert_eq!(
        t.column("SELECT Name FROM Account ORDER BY Name", "Name")
            .await,
        ["Before", "Inside Renamed"]
    );
}

#[tokio::test]
async fn composite_request_errors() {
    let t = TestOrg::start().await;
    let account = |i: usize| {
        sub(
            "POST",
            &sobjects_url("Account"),
            &format!("a{i}"),
            Some(json!({"Name": format!("A{i}")})),
        )
    };

    // 25 subrequests are allowed, 26 are not.
    let ok: Vec<Value> = (0..25).map(account).collect();
    let body = t
        .post(&data("/composite"), &json!({"compositeRequest": ok}))
        .await
        .expect(200);
    assert_eq!(body["compositeResponse"].as_array().unwrap().len(), 25);
    let too_many: Vec<Value> = (0..26).map(account).collect();
    let r = t
        .post(&data("/composite"), &json!({"compositeRequest": too_many}))
        .await;
    let message = r.expect_code(400, "LIMIT_EXCEEDED");
    assert!(message.contains("25"), "{message}");
    assert_eq!(t.records("SELECT Id FROM Account").await.len(), 25);

    // A referenceId must start with a letter or digit and hold only letters, digits and `_`.
    for bad in ["bad-ref", "_lead", "has space", ""] {
        let r = t
            .post(
                &data("/composite"),
                &json!({"compositeRequest": [sub("POST", &sobjects_url("Account"), bad, Some(json!({"Name": "X"})))]}),
            )
            .await;
        assert_eq!(r.status, 400, "{bad:?}: {}", r.text);
    }
    let r = t
        .post(
            &data("/composite"),
            &json!({"compositeRequest": [sub("POST", &sobjects_url("Account"), "bad-ref", Some(json!({"Name": "X"})))]}),
        )
        .await;
    let message = r.expect_code(400, "INVALID_INPUT");
    assert!(
        message.contains(
            "must start with a letter or a number, and it can contain only letters, numbers and underscores"
        ),
        "{message}"
    );
    // Duplicate referenceIds, and no subrequests at all.
    let r = t
        .post(
            &data("/composite"),
            &json!({"compositeRequest": [account(1), account(1)]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = t
        .post(&data("/composite"), &json!({"compositeRequest": []}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Nothing from the rejected requests was written.
    assert_eq!(t.records("SELECT Id FROM Account").await.len(), 25);
}

// ---------------------------------------------------------------------------------------------
// Composite batch
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn batch_runs_relative_subrequests() {
    let t = TestOrg::start().await;
    let id = t
        .create(
            "Account",
            &json!({"Name": "Batch Co", "BillingPostalCode": "94105"}),
        )
        .await;
    let req = json!({
        "haltOnError": false,
        "batchRequests": [
            {"method": "PATCH", "url": format!("v60.0/sobjects/account/{id}"), "richInput": {"Name": "NewName"}},
            {"method": "GET", "url": format!("v60.0/sobjects/account/{id}?fields=Name,BillingPostalCode")},
            {"method": "POST", "url": "v60.0/sobjects/Contact", "richInput": {"LastName": "Batched", "AccountId": id}},
            {"method": "GET", "url": "v60.0/query?q=SELECT+Name+FROM+Contact"},
        ]
    });
    let body = t.post(&data("/composite/batch"), &req).await.expect(200);
    assert_eq!(keys(&body), ["hasErrors", "results"]);
    assert_eq!(body["hasErrors"], false);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results[0], json!({"statusCode": 204, "result": null}));
    assert_eq!(
        results[1],
        json!({"statusCode": 200, "result": {
            "attributes": {"type": "Account", "url": record_url("60.0", "Account", &id)},
            "Name": "NewName", "BillingPostalCode": "94105", "Id": id
        }})
    );
    assert_eq!(results[2]["statusCode"], 201);
    assert_eq!(results[2]["result"]["success"], true);
    assert_eq!(results[3]["statusCode"], 200);
    assert_eq!(
        results[3]["result"]["records"][0]["Name"], "Batched",
        "{body}"
    );
}

#[tokio::test]
async fn batch_errors_and_halt_on_error() {
    let t = TestOrg::start().await;
    let bad = json!({"method": "POST", "url": "v60.0/sobjects/Contact", "richInput": {"FirstName": "NoLast"}});
    let good = |name: &str| json!({"method": "POST", "url": "v60.0/sobjects/Account", "richInput": {"Name": name}});

    // Without haltOnError every subrequest runs and commits on its own.
    let body = t
        .post(
            &data("/composite/batch"),
            &json!({"batchRequests": [good("First"), bad.clone(), good("Third")]}),
        )
        .await
        .expect(200);
    assert_eq!(body["hasErrors"], true);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results[0]["statusCode"], 201);
    assert_eq!(
        results[1],
        json!({"statusCode": 400, "result": [{"message": "Required fields are missing: [LastName]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]}]})
    );
    assert_eq!(results[2]["statusCode"], 201);
    assert_eq!(
        t.column("SELECT Name FROM Account ORDER BY Name", "Name")
            .await,
        ["First", "Third"]
    );

    // With haltOnError the ones after a failure answer 412; the ones before stay committed.
    let body = t
        .post(
            &data("/composite/batch"),
            &json!({"haltOnError": true, "batchRequests": [good("Fourth"), bad, good("Fifth"), good("Sixth")]}),
        )
        .await
        .expect(200);
    assert_eq!(body["hasErrors"], true);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["statusCode"], 201);
    assert_eq!(results[1]["statusCode"], 400);
    for r in &results[2..] {
        assert_eq!(
            *r,
            json!({"statusCode": 412, "result": [{"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}]})
        );
    }
    assert_eq!(
        t.column("SELECT Name FROM Account ORDER BY Name", "Name")
            .await,
        ["First", "Fourth", "Third"]
    );

    // More than 25 subrequests are refused before anything runs.
    let many: Vec<Value> = (0..26).map(|i| good(&format!("Many {i}"))).collect();
    let r = t
        .post(&data("/composite/batch"), &json!({"batchRequests": many}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(t.records("SELECT Id FROM Account").await.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// sObject Tree
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tree_inserts_parents_with_their_children() {
    let t = TestOrg::start().await;
    let req = json!({"records": [
        {
            "attributes": {"type": "Account", "referenceId": "ref1"},
            "name": "SampleAccount1", "phone": "1234567890",
            "Contacts": {"records": [
                {"attributes": {"type": "Contact", "referenceId": "ref2"}, "lastname": "Smith", "email": "sample@salesforce.com"},
                {"attributes": {"type": "Contact", "referenceId": "ref3"}, "lastname": "Evans"}
            ]}
        },
        {"attributes": {"type": "Account", "referenceId": "ref4"}, "name": "SampleAccount2"}
    ]});
    let r = t.post(&data("/composite/tree/Account"), &req).await;
    let body = r.expect(201);
    assert_eq!(keys(&body), ["hasErrors", "results"]);
    assert_eq!(body["hasErrors"], false);
    let results = body["results"].as_array().unwrap();
    let refs: Vec<&str> = results
        .iter()
        .map(|r| r["referenceId"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["ref1", "ref2", "ref3", "ref4"]);
    for r in results {
        assert_eq!(keys(r), ["referenceId", "id"]);
    }
    let id = |i: usize| results[i]["id"].as_str().unwrap().to_owned();
    assert!(id(0).starts_with("001") && id(1).starts_with("003"));

    let contacts = t
        .records(
            "SELECT Id, LastName, Email, AccountId, Account.Name FROM Contact ORDER BY LastName",
        )
        .await;
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0]["LastName"], "Evans");
    assert_eq!(contacts[0]["Id"], id(2).as_str());
    assert_eq!(contacts[1]["LastName"], "Smith");
    assert_eq!(contacts[1]["Email"], "sample@salesforce.com");
    for c in &contacts {
        assert_eq!(c["AccountId"], id(0).as_str());
        assert_eq!(c["Account"]["Name"], "SampleAccount1");
    }
    let acc = t.read("Account", &id(0)).await;
    assert_eq!(acc["Phone"], "1234567890");
    assert_eq!(
        t.column("SELECT Name FROM Account ORDER BY Name", "Name")
            .await,
        ["SampleAccount1", "SampleAccount2"]
    );
}

#[tokio::test]
async fn tree_failure_rolls_back_the_whole_request() {
    let t = TestOrg::start().await;
    let req = json!({"records": [
        {
            "attributes": {"type": "Account", "referenceId": "ref1"}, "Name": "Doomed",
            "Contacts": {"records": [
                {"attributes": {"type": "Contact", "referenceId": "ref2"}, "LastName": "Fine"},
                {"attributes": {"type": "Contact", "referenceId": "ref3"}, "LastName": "Smith", "Email": "123"}
            ]}
        },
        {"attributes": {"type": "Account", "referenceId": "ref4"}, "Name": "Never"}
    ]});
    let r = t.post(&data("/composite/tree/Account"), &req).await;
    assert_eq!(
        r.expect(400),
        json!({"hasErrors": true, "results": [{"referenceId": "ref3", "errors": [
            {"statusCode": "INVALID_EMAIL_ADDRESS", "message": "Email: invalid email address: 123", "fields": ["Email"]}
        ]}]})
    );
    assert!(t.records("SELECT Id FROM Account").await.is_empty());
    assert!(t.records("SELECT Id FROM Contact").await.is_empty());

    // A missing required field is reported the same way.
    let req = json!({"records": [
        {"attributes": {"type": "Account", "referenceId": "acc"}, "Name": "Doomed Too",
         "Contacts": {"records": [{"attributes": {"type": "Contact", "referenceId": "noName"}, "FirstName": "X"}]}}
    ]});
    let r = t.post(&data("/composite/tree/Account"), &req).await;
    assert_eq!(
        r.expect(400),
        json!({"hasErrors": true, "results": [{"referenceId": "noName", "errors": [
            {"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [LastName]", "fields": ["LastName"]}
        ]}]})
    );
    assert!(t.records("SELECT Id FROM Account").await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Composite graph
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn each_graph_is_all_or_nothing() {
    let t = TestOrg::start().await;
    let req = json!({"graphs": [
        {"graphId": "good", "compositeRequest": [
            sub("POST", "/services/data/v60.0/sobjects/Account/", "reference_id_account_1", Some(json!({"name": "Cloudy Consulting"}))),
            sub("POST", "/services/data/v60.0/sobjects/Contact/", "reference_id_contact_1",
                Some(json!({"FirstName": "Nellie", "LastName": "Cashman", "AccountId": "@{reference_id_account_1.id}"}))),
        ]},
        {"graphId": "bad", "compositeRequest": [
            sub("POST", "/services/data/v60.0/sobjects/Account/", "acc", Some(json!({"name": "Stormy Consulting"}))),
            sub("POST", "/services/data/v60.0/sobjects/Contact/", "con",
                Some(json!({"FirstName": "No", "AccountId": "@{acc.id}"}))),
        ]}
    ]});
    let body = t.post(&data("/composite/graph"), &req).await.expect(200);
    let graphs = body["graphs"].as_array().unwrap();
    assert_eq!(graphs.len(), 2);
    assert_eq!(
        keys(&graphs[0]),
        ["graphId", "isSuccessful", "graphResponse"]
    );
    assert_eq!(graphs[0]["graphId"], "good");
    assert_eq!(graphs[0]["isSuccessful"], true);
    let good = graphs[0]["graphResponse"]["compositeResponse"]
        .as_array()
        .unwrap();
    assert_eq!(good[0]["httpStatusCode"], 201);
    assert_eq!(good[0]["referenceId"], "reference_id_account_1");
    assert_eq!(good[1]["httpStatusCode"], 201);
    let account = id_of(&good[0]["body"]);

    assert_eq!(graphs[1]["graphId"], "bad");
    assert_eq!(graphs[1]["isSuccessful"], false);
    let bad = graphs[1]["graphResponse"]["compositeResponse"]
        .as_array()
        .unwrap();
    assert_eq!(
        bad[0],
        json!({"body": rolled_back_body(), "httpHeaders": {}, "httpStatusCode": 400, "referenceId": "acc"})
    );
    assert_eq!(bad[1]["httpStatusCode"], 400);
    assert_eq!(bad[1]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");

    assert_eq!(
        t.column("SELECT Name FROM Account", "Name").await,
        ["Cloudy Consulting"]
    );
    let contacts = t.records("SELECT LastName, AccountId FROM Contact").await;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["LastName"], "Cashman");
    assert_eq!(contacts[0]["AccountId"], account.as_str());
}

// ---------------------------------------------------------------------------------------------
// sObject Collections
// ---------------------------------------------------------------------------------------------

fn typed(ty: &str, fields: Value) -> Value {
    let mut v = fields;
    v["attributes"] = json!({"type": ty});
    v
}

fn rolled_back_item() -> Value {
    json!({"id": null, "success": false, "errors": [{
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
        "fields": []
    }]})
}

fn missing_last_name_item() -> Value {
    json!({"id": null, "success": false, "errors": [{
        "statusCode": "REQUIRED_FIELD_MISSING",
        "message": "Required fields are missing: [LastName]",
        "fields": ["LastName"]
    }]})
}

#[tokio::test]
async fn collections_create_mixed_types_up_to_200() {
    let t = TestOrg::start().await;
    let body = t
        .post(
            &data("/composite/sobjects"),
            &json!({"allOrNone": false, "records": [
                typed("Account", json!({"Name": "example.com"})),
                typed("Contact", json!({"LastName": "Johnson"})),
            ]}),
        )
        .await
        .expect(200);
    let items = body.as_array().unwrap();
    assert_eq!(items.len(), 2);
    for (item, prefix) in items.iter().zip(["001", "003"]) {
        assert_eq!(keys(item), ["id", "success", "errors"]);
        let id = id_of(item);
        assert!(id.starts_with(prefix), "{id}");
        assert_eq!(*item, json!({"id": id, "success": true, "errors": []}));
    }
    assert_eq!(
        t.read("Contact", &id_of(&items[1])).await["LastName"],
        "Johnson"
    );

    // 200 records are the most one request may hold.
    let records: Vec<Value> = (0..200)
        .map(|i| typed("Account", json!({"Name": format!("Bulk {i:03}")})))
        .collect();
    let body = t
        .post(&data("/composite/sobjects"), &json!({"records": records}))
        .await
        .expect(200);
    assert_eq!(body.as_array().unwrap().len(), 200);
    assert!(
        body.as_array()
            .unwrap()
            .iter()
            .all(|r| r["success"] == true)
    );
    let records: Vec<Value> = (0..201)
        .map(|i| typed("Account", json!({"Name": format!("Over {i:03}")})))
        .collect();
    let r = t
        .post(&data("/composite/sobjects"), &json!({"records": records}))
        .await;
    r.expect_code(400, "EXCEEDED_ID_LIMIT");
    assert_eq!(
        t.query_ok("SELECT COUNT() FROM Account").await["totalSize"],
        201
    );

    // Every record needs attributes.type, and none may carry an Id.
    let body = t
        .post(
            &data("/composite/sobjects"),
            &json!({"records": [{"Name": "Untyped"}, typed("Account", json!({"Name": "X", "Id": "001000000000000AAA"}))]}),
        )
        .await
        .expect(200);
    assert_eq!(body[0]["success"], false);
    assert_eq!(body[0]["errors"][0]["statusCode"], "INVALID_TYPE");
    assert_eq!(body[1]["success"], false);
    assert_eq!(body[1]["errors"][0]["statusCode"], "INVALID_FIELD");
}

#[tokio::test]
async fn collections_all_or_none() {
    let t = TestOrg::start().await;
    let records = json!([
        typed("Account", json!({"Name": "Valid One"})),
        typed("Contact", json!({"FirstName": "NoLast"})),
        typed("Account", json!({"Name": "Valid Two"})),
    ]);

    // allOrNone true: the invalid one reports its error, the valid ones are rolled back.
    let body = t
        .post(
            &data("/composite/sobjects"),
            &json!({"allOrNone": true, "records": records}),
        )
        .await
        .expect(200);
    assert_eq!(
        body,
        json!([
            rolled_back_item(),
            missing_last_name_item(),
            rolled_back_item()
        ])
    );
    for item in body.as_array().unwrap() {
        assert_eq!(keys(item), ["id", "success", "errors"]);
        assert!(item["errors"][0].get("errorCode").is_none(), "{item}");
    }
    assert!(t.records("SELECT Id FROM Account").await.is_empty());
    assert!(t.records("SELECT Id FROM Contact").await.is_empty());

    // allOrNone false: the valid ones commit.
    let body = t
        .post(
            &data("/composite/sobjects"),
            &json!({"allOrNone": false, "records": records}),
        )
        .await
        .expect(200);
    assert_eq!(body[0]["success"], true);
    assert_eq!(body[1], missing_last_name_item());
    assert_eq!(body[2]["success"], true);
    assert_eq!(
        t.column("SELECT Name FROM Account ORDER BY Name", "Name")
            .await,
        ["Valid One", "Valid Two"]
    );
}

#[tokio::test]
async fn collections_update() {
    let t = TestOrg::start().await;
    let a = t.create("Account", &json!({"Name": "A"})).await;
    let c = t.create("Contact", &json!({"LastName": "C"})).await;
    let body = t
        .patch(
            &data("/composite/sobjects"),
            &json!({"allOrNone": false, "records": [
                typed("Account", json!({"id": a, "Name": "A2"})),
                typed("Contact", json!({"Id": c, "Title": "CTO"})),
                typed("Contact", json!({"Id": c, "LastName": null})),
                typed("Account", json!({"Name": "No Id"})),
            ]}),
        )
        .await
        .expect(200);
    assert_eq!(body[0], json!({"id": a, "success": true, "errors": []}));
    assert_eq!(body[1], json!({"id": c, "success": true, "errors": []}));
    assert_eq!(body[2], missing_last_name_item());
    assert_eq!(body[3]["success"], false);
    assert_eq!(body[3]["id"], Value::Null);
    assert_eq!(body[3]["errors"][0]["statusCode"], "MISSING_ARGUMENT");
    assert_eq!(t.read("Account", &a).await["Name"], "A2");
    let contact = t.read("Contact", &c).await;
    assert_eq!(contact["Title"], "CTO");
    assert_eq!(contact["LastName"], "C");

    // allOrNone: one bad update undoes the good ones.
    let body = t
        .patch(
            &data("/composite/sobjects"),
            &json!({"allOrNone": true, "records": [
                typed("Account", json!({"id": a, "Name": "A3"})),
                typed("Contact", json!({"Id": c, "LastName": null})),
            ]}),
        )
        .await
        .expect(200);
    assert_eq!(body, json!([rolled_back_item(), missing_last_name_item()]));
    assert_eq!(t.read("Account", &a).await["Name"], "A2");
}

#[tokio::test]
async fn collections_upsert_reports_created() {
    let t = widgets_org().await;
    t.create("Widget__c", &json!({"Name": "Old", "Sku__c": "W-1"}))
        .await;
    let body = t
        .patch(
            &data("/composite/sobjects/Widget__c/Sku__c"),
            &json!({"allOrNone": false, "records": [
                typed("Widget__c", json!({"Sku__c": "w-1", "Name": "Updated"})),
                typed("Widget__c", json!({"Sku__c": "W-2", "Name": "New"})),
                typed("Widget__c", json!({"Sku__c": "W-3"})),
            ]}),
        )
        .await
        .expect(200);
    assert_eq!(body[0]["success"], true);
    assert_eq!(body[0]["created"], false);
    assert_eq!(keys(&body[0]), ["id", "success", "errors", "created"]);
    assert_eq!(body[1]["success"], true);
    assert_eq!(body[1]["created"], true);
    assert_eq!(body[2]["success"], false);
    assert_eq!(body[2]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING");
    let rows = t
        .records("SELECT Id, Sku__c, Name FROM Widget__c ORDER BY Sku__c")
        .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["Name"], "Updated");
    assert_eq!(rows[0]["Sku__c"], "W-1");
    assert_eq!(rows[0]["Id"], body[0]["id"]);
    assert_eq!(rows[1]["Name"], "New");
    assert_eq!(rows[1]["Id"], body[1]["id"]);

    // Upsert by a field that is not an external id is refused.
    let r = t
        .patch(
            &data("/composite/sobjects/Widget__c/Color__c"),
            &json!({"records": [typed("Widget__c", json!({"Color__c": "red", "Name": "R"}))]}),
        )
        .await;
    let body = r.expect(200);
    assert_eq!(body[0]["success"], false, "{body}");
    assert_eq!(body[0]["errors"][0]["statusCode"], "NOT_FOUND");
}

#[tokio::test]
async fn collections_delete() {
    let t = TestOrg::start().await;
    let a = t.create("Account", &json!({"Name": "A"})).await;
    let b = t.create("Account", &json!({"Name": "B"})).await;
    let c = t.create("Contact", &json!({"LastName": "C"})).await;

    // allOrNone=true with an id that is already gone: nothing is deleted.
    let gone = t.create("Account", &json!({"Name": "Gone"})).await;
    assert_eq!(
        t.delete(&data(&format!("/sobjects/Account/{gone}")))
            .await
            .status,
        204
    );
    let r = t
        .delete(&data(&format!(
            "/composite/sobjects?ids={a},{gone}&allOrNone=true"
        )))
        .await;
    let body = r.expect(200);
    assert_eq!(body[0], rolled_back_item());
    assert_eq!(body[1]["success"], false);
    assert_eq!(body[1]["errors"][0]["statusCode"], "ENTITY_IS_DELETED");
    assert_eq!(t.records("SELECT Id FROM Account").await.len(), 2);

    // allOrNone=false: each id on its own, mixed types allowed.
    let r = t
        .delete(&data(&format!(
            "/composite/sobjects?ids={a},{c},{gone}&allOrNone=false"
        )))
        .await;
    let body = r.expect(200);
    assert_eq!(body[0], json!({"id": a, "success": true, "errors": []}));
    assert_eq!(body[1], json!({"id": c, "success": true, "errors": []}));
    assert_eq!(body[2]["success"], false);
    assert_eq!(t.column("SELECT Id FROM Account", "Id").await, [b]);
    assert!(t.records("SELECT Id FROM Contact").await.is_empty());
}

#[tokio::test]
async fn collections_retrieve_by_get_and_post() {
    let t = widgets_org().await;
    let a = t
        .create(
            "Widget__c",
            &json!({"Name": "A", "Sku__c": "W-A", "Color__c": "red"}),
        )
        .await;
    let b = t
        .create("Widget__c", &json!({"Name": "B", "Sku__c": "W-B"}))
        .await;
    let missing = {
        let c = t.create("Widget__c", &json!({"Name": "C"})).await;
        t.delete(&data(&format!("/sobjects/Widget__c/{c}"))).await;
        c
    };
    let expected = json!([
        {"attributes": {"type": "Widget__c", "url": record_url(V, "Widget__c", &a)}, "Name": "A", "Color__c": "red", "Id": a},
        {"attributes": {"type": "Widget__c", "url": record_url(V, "Widget__c", &b)}, "Name": "B", "Color__c": null, "Id": b},
        null,
    ]);

    let path = format!(
        "{}?ids={a},{b},{missing}&fields=Name,Color__c",
        data("/composite/sobjects/Widget__c")
    );
    let body = t.get(&path).await.expect(200);
    assert_eq!(body, expected);

    let body = t
        .post(
            &data("/composite/sobjects/Widget__c"),
            &json!({"ids": [a, b, missing], "fields": ["Name", "Color__c"]}),
        )
        .await
        .expect(200);
    assert_eq!(body, expected);

    let r = t
        .send_json(
            Method::POST,
            &data("/composite/sobjects/Widget__c"),
            &json!({"ids": [a]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
}
