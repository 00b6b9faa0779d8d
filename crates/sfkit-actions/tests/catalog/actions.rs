//! Every action against a local org started in-process: success and failure, validation before
//! any call, hostile strings in filters, paging with cursors, conversions and closings.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;

use serde_json::{Value, json};
use sfkit_actions::{ActionError, Catalog, Ctx, Origin};
use sfkit_client::Client;
use sfkit_client::auth::Password;
use sfkit_emulator::{
    ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, Org, OrgConfig, OrgHandle, PASSWORD, VIEWER_USERNAME,
};

struct T {
    org: OrgHandle,
    catalog: Catalog,
    ctx: Ctx,
}

impl T {
    async fn start() -> Self {
        Self::start_with(OrgConfig::default()).await
    }

    async fn start_with(config: OrgConfig) -> Self {
        let org = Org::start(config).await.unwrap();
        let ctx = Self::ctx_for(&org, ADMIN_USERNAME);
        T {
            org,
            catalog: Catalog::new(),
            ctx,
        }
    }

    fn ctx_for(org: &OrgHandle, user: &str) -> Ctx {
        let client = Client::builder()
            .token_source(
                Password::new(CLIENT_ID, CLIENT_SECRET, user, PASSWORD).login_url(org.url()),
            )
            .build()
            .unwrap();
        Ctx {
            client,
            cursors: sfkit_actions::Cursors::ephemeral(user),
        }
    }

    async fn run(&self, name: &str, input: Value) -> Result<Value, ActionError> {
        self.catalog.run(&self.ctx, name, &input).await
    }

    async fn ok(&self, name: &str, input: Value) -> Value {
        match self.run(name, input.clone()).await {
            Ok(v) => v,
            Err(e) => panic!("{name} {input}: {e:?}"),
        }
    }

    async fn err(&self, name: &str, input: Value) -> ActionError {
        match self.run(name, input.clone()).await {
            Ok(v) => panic!("{name} {input} should fail, gave {v}"),
            Err(e) => e,
        }
    }

    fn api_requests(&self) -> u64 {
        self.org.api_requests()
    }

    /// Creates `n` records of `sobject`, `fields(i)` each, through sObject Collections.
    async fn create_n(&self, sobject: &str, n: usize, fields: impl Fn(usize) -> Value) {
        let records: Vec<sfkit_client::Record> = (0..n)
            .map(|i| match fields(i) {
                Value::Object(m) => m,
                other => panic!("a record is an object, not {other}"),
            })
            .collect();
        let made = self
            .ctx
            .client
            .create_many(sobject, &records, true)
            .await
            .unwrap();
        assert!(made.iter().all(|m| m.success));
    }
}

#[test]
fn every_spec_action_is_there_with_schemas() {
    let c = Catalog::new();
    for name in [
        "getAccount",
        "createAccount",
        "updateAccount",
        "deleteAccount",
        "listAccounts",
        "searchAccounts",
        "getContact",
        "createContact",
        "updateContact",
        "deleteContact",
        "getLead",
        "createLead",
        "updateLead",
        "deleteLead",
        "convertLead",
        "getOpportunity",
        "createOpportunity",
        "updateOpportunity",
        "closeOpportunity",
        "deleteOpportunity",
        "listOpportunities",
        "getTask",
        "createTask",
        "updateTask",
        "deleteTask",
        "query",
        "search",
        "getRecord",
        "createRecord",
        "updateRecord",
        "deleteRecord",
        "listContacts",
        "listLeads",
        "listTasks",
        "searchContacts",
        "searchLeads",
        "upsertRecord",
        "describeObject",
        "listObjects",
        "getLimits",
    ] {
        let a = c.get(name).unwrap_or_else(|| panic!("{name} is missing"));
        let input = a.input_schema();
        assert_eq!(input["type"], "object", "{name}");
        assert!(a.output_schema().is_object(), "{name}");
        assert!(!a.description().is_empty(), "{name}");
    }
    let lead = c.get("createLead").unwrap().input_schema();
    assert_eq!(lead["required"], json!(["lastName", "company"]));
    let opp = c.get("createOpportunity").unwrap().input_schema();
    assert_eq!(opp["required"], json!(["name", "stageName", "closeDate"]));
    assert_eq!(opp["properties"]["probability"]["maximum"], json!(100.0));
    assert_eq!(opp["properties"]["closeDate"]["format"], "date");
    let acct = c.get("createAccount").unwrap().input_schema();
    for p in [
        "name",
        "industry",
        "website",
        "phone",
        "billingStreet",
        "billingCity",
        "billingState",
        "billingPostalCode",
        "billingCountry",
        "type",
        "description",
        "annualRevenue",
        "numberOfEmployees",
    ] {
        assert!(acct["properties"].get(p).is_some(), "createAccount.{p}");
    }
    assert!(c.get("getAccount").unwrap().read_only());
    assert!(!c.get("createAccount").unwrap().read_only());
}

#[tokio::test]
async fn accounts_round_trip_and_validation_happens_before_any_call() {
    let t = T::start().await;
    let created = t
        .ok(
            "createAccount",
            json!({"name": "Acme", "industry": "Energy", "annualRevenue": "1500000", "numberOfEmployees": 40}),
        )
        .await;
    assert_eq!(created["success"], true);
    let id = created["id"].as_str().unwrap().to_owned();
    let got = t.ok("getAccount", json!({"id": id})).await;
    assert_eq!(got["Name"], "Acme");
    assert_eq!(got["AnnualRevenue"], 1_500_000.0);
    assert!(got.get("attributes").is_none(), "no attributes in outputs");
    let some = t
        .ok("getAccount", json!({"id": id, "fields": ["Name"]}))
        .await;
    assert_eq!(some["Name"], "Acme");
    assert!(some.get("Industry").is_none());

    t.ok(
        "updateAccount",
        json!({"id": id, "phone": "555-0100", "Description": "via API name"}),
    )
    .await;
    let got = t.ok("getAccount", json!({"id": id})).await;
    assert_eq!(got["Phone"], "555-0100");
    assert_eq!(got["Description"], "via API name");

    // Nothing reaches the org for any of these.
    let before = t.api_requests();
    let e = t.err("createAccount", json!({"industry": "Energy"})).await;
    assert_eq!(
        (e.code.as_str(), e.fields.clone()),
        ("REQUIRED_FIELD_MISSING", vec!["name".to_owned()])
    );
    assert_eq!(e.origin, Origin::Validation);
    let e = t
        .err("createAccount", json!({"name": "x", "nmae": "typo"}))
        .await;
    assert_eq!(e.code, "INVALID_FIELD");
    assert!(
        e.message.contains("nmae") && e.message.contains("billingCity"),
        "{}",
        e.message
    );
    let e = t
        .err(
            "createAccount",
            json!({"name": "x", "numberOfEmployees": 2.5}),
        )
        .await;
    assert_eq!(e.code, "INVALID_TYPE_ON_FIELD_IN_RECORD");
    let e = t
        .err("createAccount", json!({"name": "x", "annualRevenue": -1}))
        .await;
    assert_eq!(e.code, "NUMBER_OUTSIDE_VALID_RANGE");
    let e = t.err("getAccount", json!({"id": "not-an-id"})).await;
    assert_eq!(e.code, "MALFORMED_ID");
    let e = t.err("createAccount", json!(["not", "an", "object"])).await;
    assert_eq!(e.code, "JSON_PARSER_ERROR");
    let e = t.err("updateAccount", json!({"id": id})).await;
    assert_eq!(e.code, "REQUIRED_FIELD_MISSING");
    assert_eq!(t.api_requests(), before, "validation made no call");

    // An API-named field that does not exist is caught against describe, before the write.
    let e = t
        .err("createAccount", json!({"name": "x", "Nope__c": 1}))
        .await;
    assert_eq!(e.code, "INVALID_FIELD");
    assert_eq!(e.fields, ["Nope__c"]);

    t.ok("deleteAccount", json!({"id": id})).await;
    let e = t.err("getAccount", json!({"id": id})).await;
    assert_eq!(e.code, "ENTITY_IS_DELETED");
    assert_eq!(e.origin, Origin::Salesforce);
    let e = t
        .err("updateAccount", json!({"id": id, "name": "again"}))
        .await;
    assert_eq!(e.code, "ENTITY_IS_DELETED");
}

#[tokio::test]
async fn the_viewer_can_read_but_not_write() {
    let t = T::start().await;
    let id = t.ok("createContact", json!({"lastName": "Visible"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let viewer = T::ctx_for(&t.org, VIEWER_USERNAME);
    let c = Catalog::new();
    let got = c
        .run(&viewer, "getContact", &json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(got["LastName"], "Visible");
    let e = c
        .run(&viewer, "updateContact", &json!({"id": id, "title": "No"}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "INSUFFICIENT_ACCESS_OR_READONLY");
    assert!(!e.retryable);
}

#[tokio::test]
async fn leads_default_to_new_and_convert_with_and_without_an_opportunity() {
    let t = T::start().await;
    let lead = t
        .ok(
            "createLead",
            json!({"lastName": "Ng", "company": "Ng Co", "email": "ng@example.com"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(t.ok("getLead", json!({"id": lead})).await["Status"], "New");
    let e = t.err("createLead", json!({"lastName": "No company"})).await;
    assert_eq!(e.fields, ["company"]);

    let r = t.ok("convertLead", json!({"leadId": lead})).await;
    assert_eq!(r["success"], true);
    assert!(r["opportunityId"].is_string());
    let contact = t.ok("getContact", json!({"id": r["contactId"]})).await;
    assert_eq!(contact["AccountId"], r["accountId"]);
    let again = t.err("convertLead", json!({"leadId": lead})).await;
    assert_eq!(again.origin, Origin::Salesforce);
    // A user who may not convert leads is told what to change, like every other error.
    let fresh = t
        .ok(
            "createLead",
            json!({"lastName": "Denied", "company": "D Co"}),
        )
        .await["id"]
        .clone();
    let viewer = T::ctx_for(&t.org, VIEWER_USERNAME);
    let denied = t
        .catalog
        .run(&viewer, "convertLead", &json!({"leadId": fresh}))
        .await
        .unwrap_err();
    assert!(denied.code.starts_with("INSUFFICIENT_ACCESS"), "{denied:?}");
    assert!(
        denied.message.contains("profile and permission sets"),
        "carries its fix: {}",
        denied.message
    );

    let lead2 = t
        .ok(
            "createLead",
            json!({"lastName": "Two", "company": "Two Co"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .ok(
            "convertLead",
            json!({"leadId": lead2, "doNotCreateOpportunity": true}),
        )
        .await;
    assert_eq!(r["opportunityId"], Value::Null);
}

/// Stages renamed in the org: closeOpportunity finds them from OpportunityStage.
#[tokio::test]
async fn close_opportunity_uses_the_orgs_own_stages() {
    let t = T::start().await;
    rename_the_closed_stages(&t).await;
    check_closing_as_won_uses_the_renamed_stage(&t).await;
    let opp2 = check_closing_as_lost_records_the_reason_in_a_task(&t).await;
    check_a_reason_field_and_bad_input(&t, &opp2).await;
}

/// Rename the closed stages, as an admin might: "Signed" and "Walked Away".
async fn rename_the_closed_stages(t: &T) {
    let stages: Value = t
        .ok("query", json!({"query": "SELECT Id, ApiName, IsWon FROM OpportunityStage WHERE IsClosed = true"}))
        .await;
    for s in stages["records"].as_array().unwrap() {
        let name = if s["IsWon"] == true {
            "Signed"
        } else {
            "Walked Away"
        };
        t.ok(
            "updateRecord",
            json!({"sobject": "OpportunityStage", "id": s["Id"], "fields": {"ApiName": name, "MasterLabel": name}}),
        )
        .await;
    }
}

/// Closing as won goes to the org's won stage.
async fn check_closing_as_won_uses_the_renamed_stage(t: &T) {
    let opp = t
        .ok("createOpportunity", json!({"name": "Big deal", "stageName": "Prospecting", "closeDate": "2031-01-31", "amount": 5000}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let won = t
        .ok(
            "closeOpportunity",
            json!({"opportunityId": opp, "outcome": "won", "closeDate": "2030-06-30"}),
        )
        .await;
    assert_eq!(won["stageName"], "Signed");
    let got = t.ok("getOpportunity", json!({"id": opp})).await;
    assert_eq!(
        (got["IsClosed"].clone(), got["IsWon"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(got["CloseDate"], "2030-06-30");
}

/// Closing as lost goes to the org's lost stage; the reason is kept in a completed task. The
/// opportunity's id.
async fn check_closing_as_lost_records_the_reason_in_a_task(t: &T) -> String {
    let opp2 = t
        .ok(
            "createOpportunity",
            json!({"name": "Lost deal", "stageName": "Prospecting", "closeDate": "2031-01-31", "Description": "Two years of talks"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lost = t
        .ok(
            "closeOpportunity",
            json!({"opportunityId": opp2, "outcome": "LOST", "reason": "price"}),
        )
        .await;
    assert_eq!(lost["stageName"], "Walked Away");
    let got = t.ok("getOpportunity", json!({"id": opp2})).await;
    assert_eq!(
        (got["IsClosed"].clone(), got["IsWon"].clone()),
        (json!(true), json!(false))
    );
    // The reason is not written over the Description: with no reason field in the org, it is
    // a completed task in the opportunity's activity history.
    assert_eq!(got["Description"], "Two years of talks");
    let task_id = lost["reasonRecordedIn"]["taskId"].as_str().unwrap();
    let task = t.ok("getTask", json!({"id": task_id})).await;
    assert_eq!(
        (
            task["WhatId"].as_str(),
            task["Subject"].as_str(),
            task["Status"].as_str()
        ),
        (
            Some(opp2.as_str()),
            Some("Closed Lost: price"),
            Some("Completed")
        )
    );
    opp2
}

/// A field named for the reason takes it instead; one that does not exist is refused, nothing
/// saved; bad outcomes, dates and probabilities are refused.
async fn check_a_reason_field_and_bad_input(t: &T, opp2: &str) {
    let again = t
        .ok(
            "closeOpportunity",
            json!({"opportunityId": opp2, "outcome": "lost", "reason": "timing", "reasonField": "nextstep"}),
        )
        .await;
    assert_eq!(again["reasonRecordedIn"]["field"], "NextStep");
    let got = t.ok("getOpportunity", json!({"id": opp2})).await;
    assert_eq!(
        (got["NextStep"].as_str(), got["Description"].as_str()),
        (Some("timing"), Some("Two years of talks"))
    );
    let e = t
        .err(
            "closeOpportunity",
            json!({"opportunityId": opp2, "outcome": "lost", "reason": "x", "reasonField": "No_Such__c"}),
        )
        .await;
    assert_eq!(
        (e.code.as_str(), e.fields.clone()),
        ("INVALID_FIELD", vec!["reasonField".to_owned()])
    );
    let e = t
        .err(
            "closeOpportunity",
            json!({"opportunityId": opp2, "outcome": "maybe"}),
        )
        .await;
    assert_eq!(e.code, "INVALID_TYPE_ON_FIELD_IN_RECORD");
    let e = t
        .err(
            "createOpportunity",
            json!({"name": "x", "stageName": "Prospecting", "closeDate": "31/01/2031"}),
        )
        .await;
    assert_eq!(e.fields, ["closeDate"]);
    let e = t.err("createOpportunity", json!({"name": "x", "stageName": "Prospecting", "closeDate": "2031-01-31", "probability": 101})).await;
    assert_eq!(e.code, "NUMBER_OUTSIDE_VALID_RANGE");
}

/// Filter values are matched literally, whatever they hold, and never change the query.
#[tokio::test]
async fn hostile_strings_in_filters_match_literally() {
    let t = T::start().await;
    let hostile = [
        "O'Brien & Sons",
        "back\\slash",
        "100% real",
        "under_score",
        "quote\" and 'single'",
        "line\nbreak",
        "') OR Name != ('",
        "{braces} [brackets] ~*?",
        "semi; DROP",
    ];
    for name in hostile {
        t.ok("createAccount", json!({"name": name, "billingCity": name}))
            .await;
    }
    t.ok(
        "createAccount",
        json!({"name": "100 percent", "billingCity": "elsewhere"}),
    )
    .await;
    t.ok(
        "createAccount",
        json!({"name": "underXscore", "billingCity": "elsewhere"}),
    )
    .await;
    for name in hostile {
        let by_city = t.ok("listAccounts", json!({"city": name})).await;
        let names: Vec<&str> = by_city["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, [name], "city = {name:?}");
        let contains = t.ok("listAccounts", json!({"nameContains": name})).await;
        let names: Vec<&str> = contains["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, [name], "name contains {name:?}");
    }
    // `%` and `_` are not wildcards.
    let pct = t.ok("listAccounts", json!({"nameContains": "0%"})).await;
    assert_eq!(pct["records"].as_array().unwrap().len(), 1);
    let under = t.ok("listAccounts", json!({"nameContains": "r_s"})).await;
    assert_eq!(under["records"][0]["Name"], "under_score");
    assert_eq!(under["records"].as_array().unwrap().len(), 1);
    // A long string is just a string, up to Salesforce's 4,000 characters per string in a
    // WHERE clause; past it, the parameter is refused by name before anything is sent.
    let long = "x".repeat(3_998);
    let none = t.ok("listAccounts", json!({"nameContains": long})).await;
    assert_eq!(none["records"], json!([]));
    let before = t.api_requests();
    let e = t
        .err("listAccounts", json!({"nameContains": "x".repeat(5_000)}))
        .await;
    assert_eq!(e.code, "STRING_TOO_LONG");
    assert_eq!(e.fields, vec!["nameContains".to_owned()]);
    assert!(e.message.contains("4000"), "{}", e.message);
    assert_eq!(t.api_requests(), before, "nothing was sent");
    // Searches escape SOSL's reserved characters; short terms are refused.
    let found = t
        .ok("searchAccounts", json!({"query": "O'Brien & Sons"}))
        .await;
    assert!(
        found["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["Name"] == "O'Brien & Sons"),
        "{found}"
    );
    t.ok(
        "searchAccounts",
        json!({"query": "{braces} [brackets] ~*?"}),
    )
    .await;
    let e = t.err("searchAccounts", json!({"query": "x"})).await;
    assert_eq!(e.code, "INVALID_SEARCH");
}

/// Lists page with an opaque cursor: every record once, in order, whatever the page size.
#[tokio::test]
async fn lists_page_through_every_record_once() {
    let t = T::start().await;
    let n = 57;
    let mut expected = Vec::new();
    for i in 0..n {
        // Some share a revenue, some have none: ties and nulls must page correctly.
        let revenue = if i % 5 == 0 {
            Value::Null
        } else {
            json!((i % 7) * 1000)
        };
        let name = format!("Pager {i:02}");
        t.ok(
            "createAccount",
            json!({"name": name, "annualRevenue": revenue, "industry": "Paging"}),
        )
        .await;
        expected.push(name);
    }
    for (order, direction) in [
        ("name", "asc"),
        ("annualRevenue", "asc"),
        ("annualRevenue", "desc"),
        ("createdDate", "desc"),
        ("id", "desc"),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut input = json!({"industry": "Paging", "orderBy": order, "orderDirection": direction, "limit": 10});
            if let Some(c) = &cursor {
                input["cursor"] = json!(c);
            }
            let page = t.ok("listAccounts", input).await;
            pages += 1;
            // Every page reports how many match in all, not how many it holds.
            assert_eq!(page["totalSize"], n, "{order} {direction} page {pages}");
            for r in page["records"].as_array().unwrap() {
                seen.push(r["Name"].as_str().unwrap().to_owned());
            }
            match page["nextCursor"].as_str() {
                Some(c) => {
                    assert_eq!(page["done"], false);
                    cursor = Some(c.to_owned());
                }
                None => {
                    assert_eq!(page["done"], true);
                    break;
                }
            }
            assert!(pages < 20, "runaway paging");
        }
        assert_eq!(seen.len(), n, "{order} {direction}");
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), n, "{order} {direction}: no duplicates");
        if order == "name" {
            assert_eq!(seen, expected);
        }
    }
    // A list that fits one page needs no count; its total is still right.
    let one = t
        .ok(
            "listAccounts",
            json!({"industry": "Paging", "nameContains": "Pager 1"}),
        )
        .await;
    assert_eq!(one["totalSize"], 10);
    assert_eq!(one["records"].as_array().unwrap().len(), 10);
    let e = t.err("listAccounts", json!({"cursor": "garbage!"})).await;
    assert_eq!(e.code, "INVALID_CURSOR");
    let e = t.err("listAccounts", json!({"limit": 2001})).await;
    assert_eq!(e.code, "NUMBER_OUTSIDE_VALID_RANGE");
}

#[tokio::test]
async fn opportunities_filter_by_state_dates_and_amounts() {
    let t = T::start().await;
    let acct = t.ok("createAccount", json!({"name": "Pipeline Co"})).await["id"].clone();
    for (name, stage, close, amount) in [
        ("Small open", "Prospecting", "2030-01-10", 100),
        ("Big open", "Negotiation/Review", "2030-02-10", 90_000),
        ("Won one", "Closed Won", "2030-03-10", 5_000),
        ("Lost one", "Closed Lost", "2030-04-10", 7_000),
    ] {
        t.ok("createOpportunity", json!({"name": name, "stageName": stage, "closeDate": close, "amount": amount, "accountId": acct})).await;
    }
    let names = |v: Value| -> Vec<String> {
        v["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(
            t.ok(
                "listOpportunities",
                json!({"isClosed": false, "orderBy": "amount"})
            )
            .await
        ),
        ["Small open", "Big open"]
    );
    assert_eq!(
        names(t.ok("listOpportunities", json!({"isWon": true})).await),
        ["Won one"]
    );
    assert_eq!(
        names(
            t.ok(
                "listOpportunities",
                json!({"closeDateFrom": "2030-02-01", "closeDateTo": "2030-03-31"})
            )
            .await
        ),
        ["Big open", "Won one"]
    );
    assert_eq!(names(t.ok("listOpportunities", json!({"minAmount": 6000, "accountId": acct, "orderBy": "amount", "orderDirection": "desc"})).await), ["Big open", "Lost one"]);
}

const INVOICES: &str = r#"
[[object]]
name = "Invoice__c"
label = "Invoice"
prefix = "a07"

[[object.fields]]
name = "Number__c"
type = "string"
label = "Number"
length = 20
external_id = true
unique = true

[[object.fields]]
name = "Total__c"
type = "currency"
label = "Total"
"#;

#[tokio::test]
async fn custom_objects_through_the_generic_actions() {
    let t = T::start_with(OrgConfig::default().schema(INVOICES, "invoices.toml")).await;
    let id = t
        .ok("createRecord", json!({"sobject": "Invoice__c", "fields": {"Name": "INV-1", "Number__c": "N-1", "Total__c": 99.5}}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = t
        .ok("getRecord", json!({"sobject": "Invoice__c", "id": id}))
        .await;
    assert_eq!(got["Total__c"], 99.5);
    t.ok(
        "updateRecord",
        json!({"sobject": "Invoice__c", "id": id, "fields": {"Total__c": 100}}),
    )
    .await;
    let up = t
        .ok("upsertRecord", json!({"sobject": "Invoice__c", "externalIdField": "Number__c", "externalId": "N-1", "fields": {"Total__c": 120}}))
        .await;
    assert_eq!(
        (up["id"].as_str(), up["created"].clone()),
        (Some(id.as_str()), json!(false))
    );
    let dup = t
        .err(
            "createRecord",
            json!({"sobject": "Invoice__c", "fields": {"Name": "INV-2", "Number__c": "N-1"}}),
        )
        .await;
    assert_eq!(dup.code, "DUPLICATE_VALUE");
    let d = t
        .ok("describeObject", json!({"sobject": "Invoice__c"}))
        .await;
    assert!(
        d["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "Total__c")
    );
    let objects = t.ok("listObjects", json!({"customOnly": true})).await;
    assert_eq!(objects["objects"][0]["name"], "Invoice__c");
    let q = t
        .ok(
            "query",
            json!({"query": "SELECT Name, Total__c FROM Invoice__c"}),
        )
        .await;
    assert_eq!(q["records"][0]["Total__c"], 120.0);
    t.ok("deleteRecord", json!({"sobject": "Invoice__c", "id": id}))
        .await;
    let e = t
        .err("getRecord", json!({"sobject": "Invoice__c", "id": id}))
        .await;
    assert_eq!(e.code, "ENTITY_IS_DELETED");
    let e = t
        .err(
            "getRecord",
            json!({"sobject": "Invoice__c/../Account", "id": id}),
        )
        .await;
    assert_eq!(e.code, "INVALID_TYPE");
    let limits = t.ok("getLimits", json!({})).await;
    assert!(limits["DailyApiRequests"]["max"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn query_pages_with_a_cursor_and_tasks_work() {
    let t = T::start().await;
    let acct = t.ok("createAccount", json!({"name": "Tasked"})).await["id"].clone();
    let task = t
        .ok("createTask", json!({"subject": "Call back", "whatId": acct, "activityDate": "2030-05-01", "priority": "High"}))
        .await["id"]
        .clone();
    let listed = t.ok("listTasks", json!({"whatId": acct})).await;
    assert_eq!(listed["records"][0]["Subject"], "Call back");
    t.ok("updateTask", json!({"id": task, "status": "Completed"}))
        .await;
    assert_eq!(
        t.ok("getTask", json!({"id": task})).await["Status"],
        "Completed"
    );
    t.ok("deleteTask", json!({"id": task})).await;

    // 2,100 contacts: the query action hands out a cursor for the second page.
    t.create_n("Contact", 2100, |i| json!({"LastName": format!("Q{i:04}")}))
        .await;
    let first = t
        .ok("query", json!({"query": "SELECT Id FROM Contact"}))
        .await;
    assert_eq!(first["totalSize"], 2100);
    assert_eq!(first["done"], false);
    assert_eq!(first["records"].as_array().unwrap().len(), 2000);
    let second = t
        .ok("query", json!({"query": "", "cursor": first["nextCursor"]}))
        .await;
    assert_eq!(second["records"].as_array().unwrap().len(), 100);
    assert_eq!(second["done"], true);
    let bad = t
        .err("query", json!({"query": "SELECT Nope FROM Contact"}))
        .await;
    assert_eq!(bad.code, "INVALID_FIELD");
    let s = t
        .ok(
            "search",
            json!({"query": "FIND {Q0001} RETURNING Contact(LastName)"}),
        )
        .await;
    assert_eq!(s["records"][0]["LastName"], "Q0001");
}

/// Every action, generically: no parameters names every required one; an unknown parameter is
/// named with the valid ones; each parameter refuses a value of the wrong type. None of it
/// reaches the org.
#[tokio::test]
async fn every_action_validates_before_calling() {
    let t = T::start().await;
    let before = t.api_requests();
    for a in t.catalog.actions() {
        let required: Vec<String> = a
            .params()
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name.to_owned())
            .collect();
        if !required.is_empty() {
            let e = t.err(a.name(), json!({})).await;
            assert_eq!(e.code, "REQUIRED_FIELD_MISSING", "{}", a.name());
            assert_eq!(e.fields, required, "{}", a.name());
        }
        let e = t.err(a.name(), json!({"bogusParam": 1})).await;
        assert_eq!(e.code, "INVALID_FIELD", "{}", a.name());
        assert_eq!(e.fields, ["bogusParam"], "{}", a.name());
        for p in a.params() {
            // An object is the wrong type for every parameter but `fields`.
            if matches!(p.kind, sfkit_actions::Kind::Fields) {
                let e = t.err(a.name(), json!({ p.name: "not an object" })).await;
                assert_eq!(e.fields, [p.name], "{}.{}", a.name(), p.name);
                continue;
            }
            let e = t.err(a.name(), json!({ p.name: {"nested": true} })).await;
            assert!(e.fields == [p.name], "{}.{}: {e:?}", a.name(), p.name);
        }
    }
    assert_eq!(t.api_requests(), before, "validation made no call");
}

/// Every text filter of every list action takes hostile text literally: the query keeps its
/// shape (no error) and matches nothing it should not.
#[tokio::test]
async fn every_text_filter_takes_hostile_text() {
    let t = T::start().await;
    t.ok("createAccount", json!({"name": "Plain"})).await;
    t.ok("createContact", json!({"lastName": "Plain"})).await;
    t.ok(
        "createLead",
        json!({"lastName": "Plain", "company": "Plain"}),
    )
    .await;
    t.ok("createTask", json!({"subject": "Plain"})).await;
    let hostile = [
        "' OR Name != '",
        "\\' OR Id != null OR Name = \\'",
        "%",
        "_",
        "x\" AND y",
        "\n) OR (Name != null",
        "{!$User.Id}",
    ];
    for a in t
        .catalog
        .actions()
        .iter()
        .filter(|a| a.name().starts_with("list"))
    {
        for p in a
            .params()
            .iter()
            .filter(|p| matches!(p.kind, sfkit_actions::Kind::String))
        {
            if p.name == "cursor" {
                continue;
            }
            for h in hostile {
                let page = t.ok(a.name(), json!({ p.name: h })).await;
                assert_eq!(
                    page["records"],
                    json!([]),
                    "{}.{} = {h:?}",
                    a.name(),
                    p.name
                );
            }
        }
    }
}

/// Cases (beyond the spec's list, for support workflows on Case events): open, read with the
/// org's case number, update to closed, list by state, search, delete.
#[tokio::test]
async fn cases_open_close_and_list() {
    let t = T::start().await;
    let acct = t.ok("createAccount", json!({"name": "Support Co"})).await["id"].clone();
    let id = t
        .ok("createCase", json!({"subject": "Printer on fire", "origin": "Web", "priority": "High", "accountId": acct}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let case = t.ok("getCase", json!({"id": id})).await;
    assert!(
        case["CaseNumber"].as_str().is_some_and(|n| !n.is_empty()),
        "{case}"
    );
    assert_eq!(case["Status"], "New");
    t.ok(
        "createCase",
        json!({"subject": "Paper jam", "origin": "Phone"}),
    )
    .await;
    let open = t
        .ok(
            "listCases",
            json!({"isClosed": false, "orderBy": "caseNumber"}),
        )
        .await;
    assert_eq!(open["records"].as_array().unwrap().len(), 2);
    t.ok("updateCase", json!({"id": id, "status": "Closed"}))
        .await;
    let closed = t.ok("listCases", json!({"isClosed": true})).await;
    assert_eq!(closed["records"][0]["Subject"], "Printer on fire");
    assert_eq!(closed["records"][0]["IsClosed"], true);
    let by_account = t.ok("listCases", json!({"accountId": acct})).await;
    assert_eq!(by_account["records"].as_array().unwrap().len(), 1);
    let found = t.ok("searchCases", json!({"query": "Printer"})).await;
    assert_eq!(found["records"][0]["Id"], json!(id));
    let e = t.err("createCase", json!({"origin": "Web"})).await;
    assert_eq!(e.fields, ["subject"]);
    t.ok("deleteCase", json!({"id": id})).await;
    assert_eq!(
        t.err("getCase", json!({"id": id})).await.code,
        "ENTITY_IS_DELETED"
    );
}

/// Follows `nextCursor` from `first` with the cursor alone; every page's records.
async fn follow(t: &T, action: &str, first: Value) -> (Vec<Value>, Vec<Value>) {
    let mut pages = vec![first.clone()];
    let mut records: Vec<Value> = first["records"].as_array().unwrap().clone();
    let mut page = first;
    while let Some(c) = page["nextCursor"].as_str() {
        assert_eq!(page["done"], false);
        page = t.ok(action, json!({"cursor": c})).await;
        records.extend(page["records"].as_array().unwrap().iter().cloned());
        pages.push(page.clone());
        assert!(pages.len() < 200, "runaway paging");
    }
    assert_eq!(page["done"], true);
    (records, pages)
}

/// A cursor alone continues exactly its listing: the filters, the order and the page size of
/// the first page. Before, it forgot the filters (Retail accounts came back in a Banking list)
/// and the page size.
#[tokio::test]
async fn a_list_cursor_keeps_its_filters_order_and_page_size() {
    let t = T::start().await;
    t.create_n("Account", 90, |i| {
        let industry = if i % 3 == 0 { "Banking" } else { "Retail" };
        json!({"Name": format!("Keeper {i:03}"), "Industry": industry})
    })
    .await;
    let first = t
        .ok(
            "listAccounts",
            json!({"industry": "Banking", "limit": 10, "orderBy": "name", "orderDirection": "desc"}),
        )
        .await;
    assert_eq!(first["totalSize"], 30);
    let (all, pages) = follow(&t, "listAccounts", first.clone()).await;
    assert_eq!(pages.len(), 3, "pages of 10");
    for p in &pages {
        assert_eq!(p["totalSize"], 30);
        assert_eq!(p["records"].as_array().unwrap().len(), 10);
    }
    assert!(all.iter().all(|r| r["Industry"] == "Banking"), "{all:?}");
    let names: Vec<&str> = all.iter().map(|r| r["Name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(names, sorted, "still descending by name");
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), 30);

    // The same parameters beside the cursor are fine; other ones are refused, not ignored.
    let cursor = first["nextCursor"].as_str().unwrap();
    let again = t
        .ok(
            "listAccounts",
            json!({"industry": "Banking", "limit": 10, "orderBy": "name", "orderDirection": "desc", "cursor": cursor}),
        )
        .await;
    assert_eq!(again["records"], pages[1]["records"]);
    for other in [
        json!({"industry": "Retail"}),
        json!({"limit": 20}),
        json!({"orderBy": "name", "orderDirection": "asc"}),
        json!({"industry": "Banking", "nameContains": "Keeper"}),
    ] {
        let mut input = other.clone();
        input["cursor"] = json!(cursor);
        let e = t.err("listAccounts", input).await;
        assert_eq!(e.code, "INVALID_CURSOR", "{other}");
        assert!(e.fields.contains(&"cursor".to_owned()));
    }
    // Not a cursor of another list, nor of another caller.
    let e = t.err("listContacts", json!({"cursor": cursor})).await;
    assert_eq!(e.code, "INVALID_CURSOR");
    let viewer = T::ctx_for(&t.org, VIEWER_USERNAME);
    let e = t
        .catalog
        .run(&viewer, "listAccounts", &json!({"cursor": cursor}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "INVALID_CURSOR");
}

/// The query action's cursor is sealed: a hand-made one (the old format, pointing anywhere in
/// the org) is refused before anything is sent, and a real one only continues its own query.
#[tokio::test]
async fn query_cursors_cannot_be_forged_or_moved_to_another_query() {
    let t = T::start().await;
    t.create_n("Contact", 2100, |i| json!({"LastName": format!("Q{i:04}")}))
        .await;
    use base64::Engine as _;
    let before = t.api_requests();
    for url in [
        "/services/data/../../id/x/y",
        "/services/data/v66.0/sobjects/Contact",
        "/services/data/v66.0/query/01gxxxxxxxxxxxxAAA-2000",
    ] {
        let forged =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json!({"u": url}).to_string());
        let e = t
            .err(
                "query",
                json!({"query": "SELECT Id FROM Contact", "cursor": forged}),
            )
            .await;
        assert_eq!(e.code, "INVALID_CURSOR", "{url}");
    }
    assert_eq!(t.api_requests(), before, "nothing was sent");

    let first = t
        .ok("query", json!({"query": "SELECT Id FROM Contact"}))
        .await;
    let cursor = first["nextCursor"].as_str().unwrap();
    let e = t
        .err(
            "query",
            json!({"query": "SELECT Id, Email FROM Contact", "cursor": cursor}),
        )
        .await;
    assert_eq!(e.code, "INVALID_CURSOR");
    let second = t
        .ok(
            "query",
            json!({"query": "SELECT Id FROM Contact", "cursor": cursor}),
        )
        .await;
    assert_eq!(second["records"].as_array().unwrap().len(), 100);
    let viewer = T::ctx_for(&t.org, VIEWER_USERNAME);
    let e = t
        .catalog
        .run(
            &viewer,
            "query",
            &json!({"query": "SELECT Id FROM Contact", "cursor": cursor}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "INVALID_CURSOR");
}

/// A search cut by its page size says so (`done: false`) and pages on to every match once;
/// `search` keeps each record's type, since one search can return several objects.
#[tokio::test]
async fn searches_page_and_keep_record_types() {
    let t = T::start().await;
    t.create_n(
        "Account",
        60,
        |i| json!({"Name": format!("Findable {i:02}")}),
    )
    .await;
    t.ok("createContact", json!({"lastName": "Findable"})).await;
    let first = t
        .ok("searchAccounts", json!({"query": "Findable", "limit": 25}))
        .await;
    assert_eq!(first["done"], false, "{first}");
    assert_eq!(first["records"].as_array().unwrap().len(), 25);
    let (all, pages) = follow(&t, "searchAccounts", first).await;
    assert_eq!(pages.len(), 3);
    let names: HashSet<&str> = all.iter().map(|r| r["Name"].as_str().unwrap()).collect();
    assert_eq!((all.len(), names.len()), (60, 60));
    assert_eq!(pages[2]["totalSize"], 60);
    let e = t
        .err(
            "searchAccounts",
            json!({"query": "Other", "cursor": pages[0]["nextCursor"]}),
        )
        .await;
    assert_eq!(e.code, "INVALID_CURSOR");

    let mixed = t
        .ok(
            "search",
            json!({"query": "FIND {Findable} RETURNING Account(Name), Contact(LastName)"}),
        )
        .await;
    let types: HashSet<&str> = mixed["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["attributes"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, HashSet::from(["Account", "Contact"]));
}

/// Opportunities are deleted like every other entity (it was the one without its action).
#[tokio::test]
async fn opportunities_can_be_deleted() {
    let t = T::start().await;
    let id = t
        .ok(
            "createOpportunity",
            json!({"name": "Gone deal", "stageName": "Prospecting", "closeDate": "2031-01-31"}),
        )
        .await["id"]
        .clone();
    let done = t.ok("deleteOpportunity", json!({"id": id})).await;
    assert_eq!(done["success"], true);
    let e = t.err("getOpportunity", json!({"id": id})).await;
    assert!(
        e.code == "ENTITY_IS_DELETED" || e.code == "NOT_FOUND",
        "{e:?}"
    );
}

/// The spec writes fields by their Salesforce API names: `createLead {"LastName": "Ng",
/// "Company": "Acme"}` works like `lastName`/`company` (it was REQUIRED_FIELD_MISSING), with
/// the same type checks; giving both names of one field is refused.
#[tokio::test]
async fn parameters_take_api_names_too() {
    let t = T::start().await;
    let id = t
        .ok("createLead", json!({"LastName": "Ng", "Company": "Acme"}))
        .await["id"]
        .clone();
    let lead = t.ok("getLead", json!({"id": id})).await;
    assert_eq!(
        (lead["LastName"].as_str(), lead["Company"].as_str()),
        (Some("Ng"), Some("Acme"))
    );
    assert_eq!(lead["Status"], "New");
    t.ok("updateLead", json!({"id": id, "Company": "Acme Two"}))
        .await;
    assert_eq!(
        t.ok("getLead", json!({"id": id})).await["Company"],
        "Acme Two"
    );
    let e = t
        .err(
            "createAccount",
            json!({"Name": "Typed", "NumberOfEmployees": "many"}),
        )
        .await;
    assert_eq!(e.code, "INVALID_TYPE_ON_FIELD_IN_RECORD");
    let e = t
        .err(
            "createLead",
            json!({"lastName": "A", "LastName": "B", "company": "C"}),
        )
        .await;
    assert_eq!(e.code, "DUPLICATE_VALUE");
}

/// Lists return the fields asked for (with Id and the order's field, which paging needs), and
/// `all: true` returns every matching record in one answer, read 2,000 a request.
#[tokio::test]
async fn lists_take_fields_and_all() {
    let t = T::start().await;
    t.create_n("Account", 4500, |i| {
        let industry = if i % 3 == 0 { "Banking" } else { "Retail" };
        json!({"Name": format!("All {i:04}"), "Industry": industry, "Phone": "555"})
    })
    .await;
    let some = t
        .ok(
            "listAccounts",
            json!({"industry": "Banking", "fields": ["Phone"], "limit": 5}),
        )
        .await;
    let keys: Vec<&str> = some["records"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, vec!["Id", "Name", "Phone"], "{some}");
    // The cursor keeps the fields too.
    let next = t
        .ok("listAccounts", json!({"cursor": some["nextCursor"]}))
        .await;
    assert_eq!(next["records"][0].as_object().unwrap().len(), 3);

    let before = t.api_requests();
    let every = t
        .ok("listAccounts", json!({"industry": "Retail", "all": true}))
        .await;
    assert_eq!(every["totalSize"], 3000);
    assert_eq!(every["done"], true);
    assert!(every["nextCursor"].is_null());
    let ids: HashSet<&str> = every["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["Industry"], "Retail");
            r["Id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 3000);
    // Two pages of 2,000 and a count: a handful of requests, not one per 100 records.
    assert!(
        t.api_requests() - before <= 4,
        "{}",
        t.api_requests() - before
    );
    let e = t
        .err("listAccounts", json!({"all": true, "limit": 10}))
        .await;
    assert_eq!(e.code, "INVALID_INPUT");
    let e = t
        .err("listAccounts", json!({"fields": ["Name; DROP"]}))
        .await;
    assert_eq!(e.code, "INVALID_FIELD");
}

/// updateLead checks Status against the org's own picklist: a typo is refused with the values
/// that would do, and nothing is saved.
#[tokio::test]
async fn update_lead_checks_status_against_the_orgs_picklist() {
    let t = T::start().await;
    let id = t
        .ok("createLead", json!({"lastName": "Pick", "company": "List"}))
        .await["id"]
        .clone();
    let e = t
        .err("updateLead", json!({"id": id, "status": "Contacted-ish"}))
        .await;
    assert_eq!(e.code, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    assert_eq!(e.fields, vec!["status".to_owned()]);
    assert!(e.message.contains("Working - Contacted"), "{}", e.message);
    assert_eq!(
        t.ok("getLead", json!({"id": id})).await["Status"],
        "New",
        "unchanged"
    );
    t.ok(
        "updateLead",
        json!({"id": id, "status": "Working - Contacted"}),
    )
    .await;
    assert_eq!(
        t.ok("getLead", json!({"id": id})).await["Status"],
        "Working - Contacted"
    );
}
