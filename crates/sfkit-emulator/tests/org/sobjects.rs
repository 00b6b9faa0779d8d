//! The sObject resources over real HTTP: describeGlobal, basic info, describe, and record
//! create/read/update/delete with Salesforce's validation errors, derived and system fields,
//! id forms, and hostile strings that must round-trip unchanged.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use common::{TestOrg, data, keys};
use serde_json::{Value, json};
use sfkit_emulator::ids;

fn rec(ty: &str, id: &str) -> String {
    data(&format!("/sobjects/{ty}/{id}"))
}

fn create_path(ty: &str) -> String {
    data(&format!("/sobjects/{ty}"))
}

/// Salesforce's dateTime format: `2024-01-31T23:59:59.123+0000`.
fn assert_sf_datetime(v: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    assert_eq!(s.len(), 28, "{s}");
    assert!(s.ends_with("+0000"), "{s}");
    assert_eq!(&s[10..11], "T", "{s}");
    assert_eq!(&s[19..20], ".", "{s}");
    chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3f%z")
        .unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[tokio::test]
async fn describe_global_lists_the_standard_objects() {
    let t = TestOrg::start().await;
    for path in [data("/sobjects"), data("/sobjects/")] {
        let body = t.get(&path).await.expect(200);
        assert_eq!(body["encoding"], "UTF-8");
        assert_eq!(body["maxBatchSize"], 200);
        let objects = body["sobjects"].as_array().unwrap();
        let names: Vec<&str> = objects
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        for n in [
            "Account",
            "Contact",
            "Lead",
            "Opportunity",
            "Task",
            "Event",
            "Case",
            "User",
            "Organization",
            "Campaign",
        ] {
            assert!(names.contains(&n), "{n} in {names:?}");
        }
        let account = objects.iter().find(|o| o["name"] == "Account").unwrap();
        assert_eq!(account["keyPrefix"], "001");
        assert_eq!(account["label"], "Account");
        assert_eq!(account["labelPlural"], "Accounts");
        assert_eq!(account["createable"], true);
        assert_eq!(account["custom"], false);
        assert_eq!(account["queryable"], true);
        assert_eq!(
            account["urls"],
            json!({
                "sobject": "/services/data/v66.0/sobjects/Account",
                "describe": "/services/data/v66.0/sobjects/Account/describe",
                "rowTemplate": "/services/data/v66.0/sobjects/Account/{ID}",
            })
        );
        let org = objects
            .iter()
            .find(|o| o["name"] == "Organization")
            .unwrap();
        assert_eq!(org["keyPrefix"], "00D");
        assert_eq!(org["createable"], false);
        assert_eq!(org["deletable"], false);
    }
    // The version in the URLs follows the request.
    let body = t.get("/services/data/v42.0/sobjects").await.expect(200);
    let contact = body["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Contact")
        .unwrap()
        .clone();
    assert_eq!(
        contact["urls"]["sobject"],
        "/services/data/v42.0/sobjects/Contact"
    );
}

#[tokio::test]
async fn basic_info_and_describe() {
    let t = TestOrg::start().await;
    let body = t.get(&data("/sobjects/Account")).await.expect(200);
    assert_eq!(body["objectDescribe"]["name"], "Account");
    assert_eq!(body["objectDescribe"]["keyPrefix"], "001");
    assert_eq!(body["recentItems"], json!([]));
    // Type names are case-insensitive; answers use API casing.
    let body = t.get(&data("/sobjects/account/")).await.expect(200);
    assert_eq!(body["objectDescribe"]["name"], "Account");

    let d = t.get(&data("/sobjects/Account/describe")).await.expect(200);
    assert_eq!(d["name"], "Account");
    for k in [
        "fields",
        "childRelationships",
        "recordTypeInfos",
        "supportedScopes",
        "actionOverrides",
        "namedLayoutInfos",
    ] {
        assert!(d.get(k).is_some(), "{k}");
    }
    let fields = d["fields"].as_array().unwrap();
    let field = |n: &str| fields.iter().find(|f| f["name"] == n).unwrap().clone();
    let id = field("Id");
    assert_eq!(id["type"], "id");
    assert_eq!(id["soapType"], "tns:ID");
    assert_eq!(id["nillable"], false);
    assert_eq!(id["createable"], false);
    let name = field("Name");
    assert_eq!(name["type"], "string");
    assert_eq!(name["label"], "Account Name");
    assert_eq!(name["length"], 255);
    assert_eq!(name["nameField"], true);
    assert_eq!(name["soapType"], "xsd:string");
    let parent = field("ParentId");
    assert_eq!(parent["type"], "reference");
    assert_eq!(parent["referenceTo"], json!(["Account"]));
    assert_eq!(parent["relationshipName"], "Parent");
    let industry = field("Industry");
    assert_eq!(industry["type"], "picklist");
    assert!(industry["picklistValues"].as_array().unwrap().contains(&json!({
        "active": true, "defaultValue": false, "label": "Banking", "validFor": null, "value": "Banking"
    })));
    assert_eq!(field("CreatedDate")["type"], "datetime");
    assert_eq!(field("CreatedDate")["soapType"], "xsd:dateTime");
    assert_eq!(field("NumberOfEmployees")["type"], "int");
    assert_eq!(field("AnnualRevenue")["type"], "currency");
    assert_eq!(field("IsDeleted")["type"], "boolean");

    let kids = d["childRelationships"].as_array().unwrap();
    let contacts = kids
        .iter()
        .find(|c| c["relationshipName"] == "Contacts")
        .expect("Account has Contacts");
    assert_eq!(contacts["childSObject"], "Contact");
    assert_eq!(contacts["field"], "AccountId");
    assert!(
        kids.iter()
            .any(|c| c["relationshipName"] == "Opportunities" && c["childSObject"] == "Opportunity")
    );
    assert_eq!(
        d["recordTypeInfos"][0]["recordTypeId"],
        "012000000000000AAA"
    );
}

/// The fields a client must send on create, computed as clients compute them.
async fn required_on_create(t: &TestOrg, ty: &str) -> Vec<String> {
    let d = t
        .get(&data(&format!("/sobjects/{ty}/describe")))
        .await
        .expect(200);
    let mut names: Vec<String> = d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["createable"] == true && f["nillable"] == false && f["defaultedOnCreate"] == false
        })
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn describe_tells_clients_what_is_required_on_create() {
    let t = TestOrg::start().await;
    assert_eq!(required_on_create(&t, "Account").await, ["Name"]);
    assert_eq!(required_on_create(&t, "Contact").await, ["LastName"]);
    assert_eq!(
        required_on_create(&t, "Lead").await,
        ["Company", "LastName"]
    );
    assert_eq!(
        required_on_create(&t, "Opportunity").await,
        ["CloseDate", "Name", "StageName"]
    );
    // And what describe calls required is what a create demands.
    let r = t.post(&create_path("Opportunity"), &json!({})).await;
    r.expect_error_fields(
        400,
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [Name, StageName, CloseDate]",
        &["Name", "StageName", "CloseDate"],
    );
    let r = t
        .post(&create_path("Lead"), &json!({"LastName": "Only"}))
        .await;
    r.expect_error_fields(
        400,
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [Company]",
        &["Company"],
    );
}

#[tokio::test]
async fn unknown_types_are_not_found() {
    let t = TestOrg::start().await;
    let nf = |r: common::Reply| {
        r.expect_error(404, "NOT_FOUND", "The requested resource does not exist");
    };
    nf(t.get(&data("/sobjects/Nope")).await);
    nf(t.get(&data("/sobjects/Nope/describe")).await);
    nf(t.get(&data("/sobjects/Nope/001S00000000001")).await);
    nf(t.post(&create_path("Nope"), &json!({"Name": "x"})).await);
    nf(
        t.patch(&rec("Nope", "001S00000000001"), &json!({"Name": "x"}))
            .await,
    );
    nf(t.delete(&rec("Nope", "001S00000000001")).await);
}

#[tokio::test]
async fn create_read_update_delete() {
    let t = TestOrg::start().await;
    let r = t
        .post(
            &create_path("Account"),
            &json!({
                "Name": "Acme",
                "Industry": "Technology",
                "NumberOfEmployees": 250,
                "AnnualRevenue": 1500000.5,
                "Website": "https://acme.example",
            }),
        )
        .await;
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let body = r.expect(201);
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(body, json!({"id": id, "success": true, "errors": []}));
    assert_eq!(keys(&body), ["id", "success", "errors"]);
    assert_eq!(id.len(), 18);
    assert!(id.starts_with("001"));
    assert_eq!(ids::normalize(&id).as_deref(), Some(id.as_str()));
    assert_eq!(
        r.header("location"),
        Some(format!("/services/data/v66.0/sobjects/Account/{id}").as_str())
    );
    let got = check_read_gives_every_field(&t, &id).await;
    check_fields_parameter_picks_fields(&t, &id).await;
    check_update_sets_and_clears_fields(&t, &id, &got).await;
    check_delete_leaves_the_record_gone(&t, &id).await;
}

/// Read: every field, nulls included, in describe order after the attributes.
async fn check_read_gives_every_field(t: &TestOrg, id: &str) -> Value {
    let d = t.get(&data("/sobjects/Account/describe")).await.expect(200);
    let described: Vec<String> = d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    let got = t.read("Account", id).await;
    let mut expected_keys = vec!["attributes".to_owned()];
    expected_keys.extend(described);
    assert_eq!(keys(&got), expected_keys);
    assert_eq!(
        got["attributes"],
        json!({"type": "Account", "url": format!("/services/data/v66.0/sobjects/Account/{id}")})
    );
    assert_eq!(got["Id"], id);
    assert_eq!(got["Name"], "Acme");
    assert_eq!(got["Industry"], "Technology");
    assert_eq!(got["NumberOfEmployees"], 250);
    assert_eq!(got["AnnualRevenue"], 1500000.5);
    assert_eq!(got["Website"], "https://acme.example");
    assert_eq!(got["Phone"], Value::Null);
    assert_eq!(got["IsDeleted"], false);
    got
}

/// `?fields=` picks fields (any casing, reported in API casing), and the Id follows them.
async fn check_fields_parameter_picks_fields(t: &TestOrg, id: &str) {
    let picked = t
        .get(&format!(
            "{}?fields=name,Industry,NUMBEROFEMPLOYEES",
            rec("Account", id)
        ))
        .await
        .expect(200);
    assert_eq!(
        keys(&picked),
        ["attributes", "Name", "Industry", "NumberOfEmployees", "Id"]
    );
    let r = t
        .get(&format!("{}?fields=Name,Foo", rec("Account", id)))
        .await;
    r.expect_error(
        400,
        "INVALID_FIELD",
        "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
    );
}

/// Update: 204 with no body; nulls clear fields.
async fn check_update_sets_and_clears_fields(t: &TestOrg, id: &str, got: &Value) {
    let r = t
        .patch(
            &rec("Account", id),
            &json!({"Industry": "Banking", "Website": null, "Phone": "555-0100"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.text, "");
    let got2 = t.read("Account", id).await;
    assert_eq!(got2["Industry"], "Banking");
    assert_eq!(got2["Website"], Value::Null);
    assert_eq!(got2["Phone"], "555-0100");
    assert_eq!(got2["Name"], "Acme");
    assert_eq!(got2["CreatedDate"], got["CreatedDate"]);
    assert!(
        assert_sf_datetime(&got2["LastModifiedDate"]) >= assert_sf_datetime(&got["CreatedDate"])
    );
}

/// Delete: 204, then the record is gone for read, update and delete.
async fn check_delete_leaves_the_record_gone(t: &TestOrg, id: &str) {
    let r = t.delete(&rec("Account", id)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.text, "");
    let deleted = |r: common::Reply| {
        r.expect_error_fields(404, "ENTITY_IS_DELETED", "entity is deleted", &[]);
    };
    deleted(t.get(&rec("Account", id)).await);
    deleted(t.patch(&rec("Account", id), &json!({"Name": "Back"})).await);
    deleted(t.delete(&rec("Account", id)).await);
}

#[tokio::test]
async fn ids_in_urls() {
    let t = TestOrg::start().await;
    let id = t.create("Account", &json!({"Name": "Fifteen"})).await;
    let contact = t.create("Contact", &json!({"LastName": "Other"})).await;
    // The 15-character form works everywhere; answers use 18 characters.
    let got = t.read("Account", &id[..15]).await;
    assert_eq!(got["Id"], id);
    assert_eq!(
        got["attributes"]["url"],
        format!("/services/data/v66.0/sobjects/Account/{id}")
    );
    // The checksum is case-insensitive.
    let mixed = format!("{}{}", &id[..15], id[15..].to_ascii_lowercase());
    assert_eq!(t.read("Account", &mixed).await["Id"], id);
    let r = t
        .patch(&rec("Account", &id[..15]), &json!({"Name": "Fifteen 2"}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(t.read("Account", &id).await["Name"], "Fifteen 2");

    // An id of another type.
    for (method, r) in [
        ("GET", t.get(&rec("Account", &contact)).await),
        (
            "PATCH",
            t.patch(&rec("Account", &contact), &json!({"Name": "x"}))
                .await,
        ),
        ("DELETE", t.delete(&rec("Account", &contact)).await),
    ] {
        let body = r.expect(400);
        assert_eq!(
            body,
            json!([{
                "message": format!("Account ID: id value of incorrect type: {contact}"),
                "errorCode": "MALFORMED_ID",
                "fields": ["Id"],
            }]),
            "{method}"
        );
    }
    let r = t.get(&rec("Contact", &id[..15])).await;
    r.expect_error_fields(
        400,
        "MALFORMED_ID",
        &format!("Contact ID: id value of incorrect type: {}", &id[..15]),
        &["Id"],
    );

    // Not shaped like an id: treated as an external-id field name.
    for junk in ["junk", "23foo", "001S0000000000", "001S00000000001XYZ1"] {
        let r = t.get(&rec("Account", junk)).await;
        r.expect_error(
            404,
            "NOT_FOUND",
            &format!("Provided external ID field does not exist or is not accessible: {junk}"),
        );
    }
    // Shaped like an Account id but no such record.
    let missing = ids::mint("001", 999_999);
    for r in [
        t.get(&rec("Account", &missing)).await,
        t.patch(&rec("Account", &missing), &json!({"Name": "x"}))
            .await,
        t.delete(&rec("Account", &missing)).await,
    ] {
        r.expect_error(404, "NOT_FOUND", "The requested resource does not exist");
    }
}

#[tokio::test]
async fn field_errors_on_create_and_update() {
    let t = TestOrg::start().await;
    let acct = t.create("Account", &json!({"Name": "Base"})).await;
    check_required_and_unknown_fields(&t, &acct).await;
    check_read_only_fields(&t).await;
    check_bodies_that_are_not_json_objects(&t, &acct).await;
    check_values_of_the_wrong_json_type(&t).await;

    // Nothing failed left a trace.
    assert_eq!(
        t.query_ok("SELECT COUNT() FROM Account").await["totalSize"],
        2
    );
    assert_eq!(t.read("Account", &acct).await["Name"], "Base");
}

/// POSTs `body` to the Account create resource.
async fn post_account(t: &TestOrg, body: Value) -> common::Reply {
    t.post(&create_path("Account"), &body).await
}

/// Missing required fields, unknown fields and a given Id are refused; `attributes` is ignored.
async fn check_required_and_unknown_fields(t: &TestOrg, acct: &str) {
    let post = |body: Value| post_account(t, body);
    post(json!({})).await.expect_error_fields(
        400,
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [Name]",
        &["Name"],
    );
    post(json!({"Name": null})).await.expect_error_fields(
        400,
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [Name]",
        &["Name"],
    );
    t.patch(&rec("Account", acct), &json!({"Name": null}))
        .await
        .expect_error_fields(
            400,
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Name]",
            &["Name"],
        );

    post(json!({"Name": "x", "Foo": 1})).await.expect_error(
        400,
        "INVALID_FIELD",
        "No such column 'Foo' on sobject of type Account",
    );
    t.patch(&rec("Account", acct), &json!({"Foo": 1}))
        .await
        .expect_error(
            400,
            "INVALID_FIELD",
            "No such column 'Foo' on sobject of type Account",
        );
    post(json!({"Name": "x", "Id": acct})).await.expect_error(
        400,
        "INVALID_FIELD",
        "The Id field should not be specified in the sobject data.",
    );
    // `attributes` is allowed and ignored.
    let id = t
        .create(
            "Account",
            &json!({"attributes": {"type": "Account"}, "name": "lower-case key"}),
        )
        .await;
    assert_eq!(t.read("Account", &id).await["Name"], "lower-case key");
}

/// System and derived fields cannot be written on create or update.
async fn check_read_only_fields(t: &TestOrg) {
    let post = |body: Value| post_account(t, body);
    post(json!({"Name": "x", "CreatedDate": "2020-01-01T00:00:00.000+0000"}))
        .await
        .expect_error_fields(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "Unable to create/update fields: CreatedDate. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
            &["CreatedDate"],
        );
    post(json!({"Name": "x", "LastActivityDate": "2020-01-01", "IsDeleted": true}))
        .await
        .expect_error_fields(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "Unable to create/update fields: LastActivityDate, IsDeleted. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
            &["LastActivityDate", "IsDeleted"],
        );
    let opp = t
        .create(
            "Opportunity",
            &json!({"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2030-01-01"}),
        )
        .await;
    t.patch(&rec("Opportunity", &opp), &json!({"IsWon": true}))
        .await
        .expect_error_fields(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "Unable to create/update fields: IsWon. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
            &["IsWon"],
        );
}

/// Bodies that are not a JSON object.
async fn check_bodies_that_are_not_json_objects(t: &TestOrg, acct: &str) {
    let msg = t
        .post_raw(&create_path("Account"), r#"{"Name": "#)
        .await
        .expect_code(400, "JSON_PARSER_ERROR");
    assert!(msg.contains("at [line:1, column:"), "{msg}");
    let msg = t
        .post_raw(&create_path("Account"), r#"{"Name" "x"}"#)
        .await
        .expect_code(400, "JSON_PARSER_ERROR");
    assert!(msg.contains("at [line:1, column:"), "{msg}");
    for empty in ["", "  \n"] {
        t.post_raw(&create_path("Account"), empty)
            .await
            .expect_error(
                400,
                "JSON_PARSER_ERROR",
                "The HTTP entity body is required, but this request has no entity body.",
            );
    }
    for not_object in ["[]", "\"Acme\"", "42", "null"] {
        t.post_raw(&create_path("Account"), not_object)
            .await
            .expect_code(400, "JSON_PARSER_ERROR");
    }
    t.send(
        reqwest::Method::PATCH,
        &rec("Account", acct),
        Some(&format!("Bearer {}", t.token)),
        Some(String::new()),
        &[],
    )
    .await
    .expect_error(
        400,
        "JSON_PARSER_ERROR",
        "The HTTP entity body is required, but this request has no entity body.",
    );
}

/// Values of the wrong JSON type are refused; numbers and booleans as strings are accepted.
async fn check_values_of_the_wrong_json_type(t: &TestOrg) {
    let post = |body: Value| post_account(t, body);
    let opp_body = |extra: Value| {
        let mut b = json!({"Name": "Typed", "StageName": "Prospecting", "CloseDate": "2030-01-01"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    for (extra, message) in [
        (
            json!({"Amount": "abc"}),
            "Cannot deserialize instance of currency from VALUE_STRING value abc or request may be missing a required field",
        ),
        (
            json!({"CloseDate": 5}),
            "Cannot deserialize instance of date from VALUE_NUMBER value 5 or request may be missing a required field",
        ),
        (
            json!({"CloseDate": "31/12/2030"}),
            "Cannot deserialize instance of date from VALUE_STRING value 31/12/2030 or request may be missing a required field",
        ),
        (
            json!({"IsPrivate": "yes"}),
            "Cannot deserialize instance of boolean from VALUE_STRING value yes or request may be missing a required field",
        ),
        (
            json!({"Amount": [1]}),
            "Cannot deserialize instance of currency from START_ARRAY value [1] or request may be missing a required field",
        ),
        (
            json!({"Name": {"a": 1}}),
            "Cannot deserialize instance of string from START_OBJECT value {\"a\":1} or request may be missing a required field",
        ),
    ] {
        t.post(&create_path("Opportunity"), &opp_body(extra.clone()))
            .await
            .expect_error(400, "JSON_PARSER_ERROR", message);
    }
    post(json!({"Name": "x", "NumberOfEmployees": 1.5}))
        .await
        .expect_error(
            400,
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of int from VALUE_NUMBER value 1.5 or request may be missing a required field",
        );
    // Numbers as strings, and booleans as strings, are accepted as Salesforce does.
    let id = t
        .create(
            "Opportunity",
            &opp_body(json!({"Amount": "12.5", "IsPrivate": "true"})),
        )
        .await;
    let got = t.read("Opportunity", &id).await;
    assert_eq!(got["Amount"], 12.5);
    assert_eq!(got["IsPrivate"], true);
}

#[tokio::test]
async fn value_checks() {
    let t = TestOrg::start().await;
    // STRING_TOO_LONG quotes the label; length counts characters, not bytes.
    let long = "x".repeat(81);
    t.post(
        &create_path("Account"),
        &json!({"Name": "Long", "Site": long}),
    )
    .await
    .expect_error_fields(
        400,
        "STRING_TOO_LONG",
        &format!("Account Site: data value too large: {long} (max length=80)"),
        &["Site"],
    );
    let wide = "é".repeat(80);
    let id = t
        .create("Account", &json!({"Name": "Wide", "Site": wide}))
        .await;
    assert_eq!(t.read("Account", &id).await["Site"], wide);
    t.patch(&rec("Account", &id), &json!({"Site": format!("{wide}é")}))
        .await
        .expect_error_fields(
            400,
            "STRING_TOO_LONG",
            &format!("Account Site: data value too large: {wide}é (max length=80)"),
            &["Site"],
        );

    // Email addresses.
    for bad in [
        "not-an-email",
        "a@b",
        "two words@example.com",
        "@example.com",
    ] {
        t.post(
            &create_path("Contact"),
            &json!({"LastName": "Mail", "Email": bad}),
        )
        .await
        .expect_error_fields(
            400,
            "INVALID_EMAIL_ADDRESS",
            &format!("Email: invalid email address: {bad}"),
            &["Email"],
        );
    }
    t.create(
        "Contact",
        &json!({"LastName": "Mail", "Email": "first.last+tag@example.co.uk"}),
    )
    .await;

    // Reference fields.
    let acct = t.create("Account", &json!({"Name": "Parent"})).await;
    let other = t.create("Contact", &json!({"LastName": "Other"})).await;
    let contact = |account: &str| json!({"LastName": "Ref", "AccountId": account});
    t.post(&create_path("Contact"), &contact("xyz"))
        .await
        .expect_error_fields(
            400,
            "MALFORMED_ID",
            "Account ID: id value of incorrect type: xyz",
            &["AccountId"],
        );
    t.post(&create_path("Contact"), &contact(&other))
        .await
        .expect_error_fields(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            &format!("Account ID: id value of incorrect type: {other}"),
            &["AccountId"],
        );
    let missing = ids::mint("001", 999_999);
    t.post(&create_path("Contact"), &contact(&missing))
        .await
        .expect_error_fields(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            &["AccountId"],
        );
    // A 15-character reference is stored as 18.
    let c = t.create("Contact", &contact(&acct[..15])).await;
    assert_eq!(t.read("Contact", &c).await["AccountId"], acct);
    // A deleted parent is no longer a valid reference.
    let gone = t.create("Account", &json!({"Name": "Gone"})).await;
    assert_eq!(t.delete(&rec("Account", &gone)).await.status, 204);
    t.patch(&rec("Contact", &c), &json!({"AccountId": gone}))
        .await
        .expect_error_fields(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            &["AccountId"],
        );
    // The failed update left the old value.
    assert_eq!(t.read("Contact", &c).await["AccountId"], acct);
}

#[tokio::test]
async fn unique_fields_reject_duplicates() {
    let t = TestOrg::start().await;
    let admin = t.admin_id();
    let profile = t
        .column(
            "SELECT Id FROM Profile WHERE Name = 'System Administrator'",
            "Id",
        )
        .await
        .remove(0);
    let user = |username: &str, nickname: &str| {
        json!({
            "Username": username, "LastName": "Dup", "Email": "dup@example.com", "Alias": "dup",
            "CommunityNickname": nickname, "ProfileId": profile, "TimeZoneSidKey": "GMT",
            "LocaleSidKey": "en_US", "LanguageLocaleKey": "en_US", "EmailEncodingKey": "UTF-8",
        })
    };
    for username in ["admin@sfkit.local", "ADMIN@SFKIT.LOCAL"] {
        t.post(&create_path("User"), &user(username, "dup1"))
            .await
            .expect_error_fields(
                400,
                "DUPLICATE_VALUE",
                &format!(
                    "duplicate value found: Username duplicates value on record with id: {}",
                    &admin[..15]
                ),
                &["Username"],
            );
    }
    let id = t
        .create("User", &user("new.user@sfkit.local", "dup1"))
        .await;
    assert!(id.starts_with("005"));
    assert_eq!(t.read("User", &id).await["Name"], "Dup");
    // Updating another user onto a taken username fails too; keeping one's own does not.
    t.patch(
        &rec("User", &id),
        &json!({"Username": "viewer@sfkit.local"}),
    )
    .await
    .expect_code(400, "DUPLICATE_VALUE");
    let r = t
        .patch(
            &rec("User", &id),
            &json!({"Username": "new.user@sfkit.local"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
}

#[tokio::test]
async fn derived_and_system_fields() {
    let t = TestOrg::start().await;
    let admin = t.admin_id();
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    check_contact_system_fields_and_name(&t, &admin, before).await;
    check_lead_name_and_status(&t).await;
    check_opportunity_state_from_stage(&t).await;
    check_task_defaults_and_closed_flag(&t, &admin).await;
    check_case_numbers_and_closed_flag(&t).await;
}

/// Contact: the audit fields, and the derived full name that cannot be written.
async fn check_contact_system_fields_and_name(
    t: &TestOrg,
    admin: &str,
    before: chrono::DateTime<chrono::Utc>,
) {
    let c = t
        .create(
            "Contact",
            &json!({"FirstName": "Ada", "LastName": "Lovelace"}),
        )
        .await;
    let got = t.read("Contact", &c).await;
    assert_eq!(got["Name"], "Ada Lovelace");
    for f in ["CreatedById", "LastModifiedById", "OwnerId"] {
        assert_eq!(got[f], admin, "{f}");
    }
    let created = assert_sf_datetime(&got["CreatedDate"]);
    assert!(
        created >= before && created <= chrono::Utc::now(),
        "{created}"
    );
    assert_eq!(got["LastModifiedDate"], got["CreatedDate"]);
    assert_eq!(got["SystemModstamp"], got["CreatedDate"]);
    assert_eq!(got["IsDeleted"], false);
    assert_eq!(got["DoNotCall"], false);
    t.patch(&rec("Contact", &c), &json!({"FirstName": null}))
        .await
        .expect(204);
    assert_eq!(t.read("Contact", &c).await["Name"], "Lovelace");
    t.post(
        &create_path("Contact"),
        &json!({"LastName": "x", "Name": "Not Allowed"}),
    )
    .await
    .expect_error_fields(
        400,
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "Unable to create/update fields: Name. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
        &["Name"],
    );
}

/// Lead: full name, the default status.
async fn check_lead_name_and_status(t: &TestOrg) {
    let lead = t
        .create(
            "Lead",
            &json!({"FirstName": "Grace", "LastName": "Hopper", "Company": "Navy"}),
        )
        .await;
    let got = t.read("Lead", &lead).await;
    assert_eq!(got["Name"], "Grace Hopper");
    assert_eq!(got["Status"], "Open - Not Contacted");
    assert_eq!(got["IsConverted"], false);
}

/// Opportunity: state from the stage.
async fn check_opportunity_state_from_stage(t: &TestOrg) {
    let won = t
        .create(
            "Opportunity",
            &json!({"Name": "Won", "StageName": "Closed Won", "CloseDate": "2030-06-30", "Amount": 1000}),
        )
        .await;
    let got = t.read("Opportunity", &won).await;
    assert_eq!(got["IsClosed"], true);
    assert_eq!(got["IsWon"], true);
    assert_eq!(got["Probability"], 100.0);
    assert_eq!(got["ForecastCategoryName"], "Closed");
    assert_eq!(got["ForecastCategory"], "Closed");
    assert_eq!(got["ExpectedRevenue"], 1000.0);
    assert_eq!(got["CloseDate"], "2030-06-30");
    assert_eq!(got["Amount"], 1000.0);

    let open = t
        .create(
            "Opportunity",
            &json!({"Name": "Open", "StageName": "Prospecting", "CloseDate": "2030-06-30", "Amount": 1000}),
        )
        .await;
    let got = t.read("Opportunity", &open).await;
    assert_eq!(got["IsClosed"], false);
    assert_eq!(got["IsWon"], false);
    assert_eq!(got["Probability"], 10.0);
    assert_eq!(got["ForecastCategoryName"], "Pipeline");
    assert_eq!(got["ForecastCategory"], "Pipeline");
    assert_eq!(got["ExpectedRevenue"], 100.0);
    // Closing it as lost.
    t.patch(
        &rec("Opportunity", &open),
        &json!({"StageName": "Closed Lost"}),
    )
    .await
    .expect(204);
    let got = t.read("Opportunity", &open).await;
    assert_eq!(got["IsClosed"], true);
    assert_eq!(got["IsWon"], false);
    assert_eq!(got["ForecastCategoryName"], "Omitted");
    assert_eq!(got["ForecastCategory"], "Omitted");
    // The stage's default probability follows the new stage (reference §9).
    assert_eq!(got["Probability"], 0.0);
    assert_eq!(got["ExpectedRevenue"], 0.0);
    // An explicit probability wins over the stage's default.
    let custom = t
        .create(
            "Opportunity",
            &json!({"Name": "Custom", "StageName": "Prospecting", "CloseDate": "2030-06-30", "Probability": 35}),
        )
        .await;
    assert_eq!(t.read("Opportunity", &custom).await["Probability"], 35.0);
}

/// Task: defaults and the closed flag.
async fn check_task_defaults_and_closed_flag(t: &TestOrg, admin: &str) {
    let task = t.create("Task", &json!({"Subject": "Call"})).await;
    let got = t.read("Task", &task).await;
    assert_eq!(got["Status"], "Not Started");
    assert_eq!(got["Priority"], "Normal");
    assert_eq!(got["IsClosed"], false);
    assert_eq!(got["OwnerId"], admin);
    t.patch(&rec("Task", &task), &json!({"Status": "Completed"}))
        .await
        .expect(204);
    assert_eq!(t.read("Task", &task).await["IsClosed"], true);
}

/// Case: auto-numbered, one after the other.
async fn check_case_numbers_and_closed_flag(t: &TestOrg) {
    let case1 = t.create("Case", &json!({"Subject": "One"})).await;
    let case2 = t.create("Case", &json!({"Subject": "Two"})).await;
    let n1 = t.read("Case", &case1).await;
    let n2 = t.read("Case", &case2).await;
    let num = |v: &Value| {
        let s = v["CaseNumber"].as_str().unwrap().to_owned();
        assert_eq!(s.len(), 8, "{s}");
        assert!(s.bytes().all(|b| b.is_ascii_digit()), "{s}");
        s.parse::<u64>().unwrap()
    };
    assert_eq!(num(&n2), num(&n1) + 1);
    assert_eq!(n1["Status"], "New");
    assert_eq!(n1["IsClosed"], false);
    t.post(
        &create_path("Case"),
        &json!({"Subject": "x", "CaseNumber": "123"}),
    )
    .await
    .expect_code(400, "INVALID_FIELD_FOR_INSERT_UPDATE");
    t.patch(&rec("Case", &case1), &json!({"Status": "Closed"}))
        .await
        .expect(204);
    let closed = t.read("Case", &case1).await;
    assert_eq!(closed["IsClosed"], true);
    assert_eq!(closed["CaseNumber"], n1["CaseNumber"]);
}

const HOSTILE: &[&str] = &[
    "O'Brien",
    "back\\slash",
    "trailing backslash\\",
    "\\'",
    "\"double quoted\"",
    "It's 100% _true_",
    "'; DROP TABLE o_account; --",
    "' OR '1'='1",
    "Robert'); DELETE FROM o_contact WHERE ('1' = '1",
    "Ünïcödé 日本語 🚀 ẞ",
    "line\nbreak\ttab\rreturn",
    "%",
    "_",
    "a\\%b\\_c",
    "{!$User.Id} ${x} `cmd`",
    "<script>alert(1)</script> &amp;",
];

#[tokio::test]
async fn hostile_strings_round_trip() {
    let t = TestOrg::start().await;
    let mut ids = Vec::new();
    for s in HOSTILE {
        let id = t
            .create(
                "Account",
                &json!({"Name": s, "Description": format!("{s}\n{s}")}),
            )
            .await;
        let got = t.read("Account", &id).await;
        assert_eq!(got["Name"], *s);
        assert_eq!(got["Description"], format!("{s}\n{s}"));
        ids.push(id);
    }
    for (s, id) in HOSTILE.iter().zip(&ids) {
        let soql = format!(
            "SELECT Id, Name, Description FROM Account WHERE Name = {}",
            sfkit_soql::escape::quote(s)
        );
        let records = t.records(&soql).await;
        assert_eq!(records.len(), 1, "{soql}: {records:?}");
        assert_eq!(records[0]["Id"], *id);
        assert_eq!(records[0]["Name"], *s);
        // As a LIKE pattern, escaped, it matches itself only.
        let soql = format!(
            "SELECT Id FROM Account WHERE Name LIKE '{}'",
            sfkit_soql::escape::escape_like(s)
        );
        let records = t.records(&soql).await;
        assert_eq!(records.len(), 1, "{soql}: {records:?}");
        assert_eq!(records[0]["Id"], *id);
    }
    // Updates round-trip too; the table is intact.
    t.patch(&rec("Account", &ids[0]), &json!({"Name": HOSTILE[6]}))
        .await
        .expect(204);
    assert_eq!(t.read("Account", &ids[0]).await["Name"], HOSTILE[6]);
    assert_eq!(
        t.query_ok("SELECT COUNT() FROM Account").await["totalSize"],
        HOSTILE.len()
    );
}
