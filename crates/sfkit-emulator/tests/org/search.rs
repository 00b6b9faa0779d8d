//! SOSL over real HTTP: `/search?q=FIND {...}` with terms, wildcards, phrases, AND / OR /
//! AND NOT, `IN ... FIELDS`, RETURNING specs (fields, WHERE, ORDER BY, LIMIT, OFFSET), the
//! overall LIMIT, the answer's shape by API version, the index following writes and deletes,
//! Salesforce's errors, reserved characters, and `/parameterizedSearch` (GET and POST) with
//! inputs that must not be able to change the search they are part of.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use std::collections::BTreeSet;

use common::{Reply, TestOrg, data, data_v, form, keys};
use serde_json::{Value, json};
use sfkit_soql::escape::escape_sosl;

/// The records the searches run over.
struct Crm {
    acme_corp: String,
    acme_labs: String,
    acmeville: String,
    globex: String,
    initech: String,
    ada: String,
    grace: String,
    alan: String,
}

async fn seed(t: &TestOrg) -> Crm {
    let acme_corp = t
        .create(
            "Account",
            &json!({"Name": "Acme Corp", "Phone": "4155550100", "BillingCity": "Springfield"}),
        )
        .await;
    let acme_labs = t
        .create(
            "Account",
            &json!({"Name": "Acme Labs", "BillingCity": "Shelbyville"}),
        )
        .await;
    let acmeville = t
        .create(
            "Account",
            &json!({"Name": "Acmeville Foods", "BillingCity": "Capital City"}),
        )
        .await;
    let globex = t
        .create("Account", &json!({"Name": "Globex Industries"}))
        .await;
    let initech = t.create("Account", &json!({"Name": "Initech"})).await;
    let ada = t
        .create(
            "Contact",
            &json!({"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@acme.example",
                    "Phone": "2125550111", "AccountId": acme_corp}),
        )
        .await;
    let grace = t
        .create(
            "Contact",
            &json!({"FirstName": "Grace", "LastName": "Hopper", "Email": "grace@navy.example",
                    "Title": "Acme liaison"}),
        )
        .await;
    let alan = t
        .create(
            "Lead",
            &json!({"FirstName": "Alan", "LastName": "Turing", "Company": "Acme Research",
                    "Email": "alan@bletchley.example"}),
        )
        .await;
    Crm {
        acme_corp,
        acme_labs,
        acmeville,
        globex,
        initech,
        ada,
        grace,
        alan,
    }
}

/// `GET /search?q=` at `version`.
async fn search_v(t: &TestOrg, version: &str, sosl: &str) -> Reply {
    t.get(&format!(
        "{}?{}",
        data_v(version, "/search"),
        form(&[("q", sosl)])
    ))
    .await
}

async fn search(t: &TestOrg, sosl: &str) -> Reply {
    search_v(t, common::V, sosl).await
}

/// The `searchRecords` of a search that must succeed.
async fn hits(t: &TestOrg, sosl: &str) -> Vec<Value> {
    let r = search(t, sosl).await;
    let body = r.expect(200);
    assert_eq!(keys(&body), ["searchRecords"], "{sosl}: {body}");
    body["searchRecords"].as_array().unwrap().clone()
}

/// One field of every hit, in order.
async fn names(t: &TestOrg, sosl: &str, field: &str) -> Vec<String> {
    hits(t, sosl)
        .await
        .iter()
        .map(|r| r[field].as_str().unwrap_or("<null>").to_owned())
        .collect()
}

/// The (type, Id) pairs of hits that carry only attributes and Id.
fn typed_ids(records: &[Value]) -> BTreeSet<(String, String)> {
    records
        .iter()
        .map(|r| {
            (
                r["attributes"]["type"].as_str().unwrap().to_owned(),
                r["Id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(ty: &str, id: &str) -> (String, String) {
    (ty.to_owned(), id.to_owned())
}

fn record_url(v: &str, ty: &str, id: &str) -> String {
    format!("/services/data/v{v}/sobjects/{ty}/{id}")
}

#[tokio::test]
async fn find_a_term_returning_fields() {
    let t = TestOrg::start().await;
    let c = seed(&t).await;
    let records = hits(&t, "FIND {Acme} RETURNING Account(Id, Name ORDER BY Name)").await;
    assert_eq!(
        Value::Array(records),
        json!([
            {"attributes": {"type": "Account", "url": record_url(common::V, "Account", &c.acme_corp)},
             "Id": c.acme_corp, "Name": "Acme Corp"},
            {"attributes": {"type": "Account", "url": record_url(common::V, "Account", &c.acme_labs)},
             "Id": c.acme_labs, "Name": "Acme Labs"},
        ])
    );
    // Case does not matter, and several types come back in one flat list.
    let records = hits(
        &t,
        "find {ACME} returning Contact(LastName ORDER BY LastName), Lead(Company)",
    )
    .await;
    assert_eq!(
        Value::Array(records),
        json!([
            {"attributes": {"type": "Contact", "url": record_url(common::V, "Contact", &c.grace)}, "LastName": "Hopper"},
            {"attributes": {"type": "Contact", "url": record_url(common::V, "Contact", &c.ada)}, "LastName": "Lovelace"},
            {"attributes": {"type": "Lead", "url": record_url(common::V, "Lead", &c.alan)}, "Company": "Acme Research"},
        ])
    );
    // No match: an empty list.
    assert!(hits(&t, "FIND {Umbrella}").await.is_empty());
}

#[tokio::test]
async fn without_returning_every_searchable_type_answers_ids() {
    let t = TestOrg::start().await;
    let c = seed(&t).await;
    let records = hits(&t, "FIND {Acme}").await;
    for r in &records {
        assert_eq!(keys(r), ["attributes", "Id"], "{r}");
    }
    assert_eq!(
        typed_ids(&records),
        BTreeSet::from([
            pair("Account", &c.acme_corp),
            pair("Account", &c.acme_labs),
            pair("Contact", &c.ada),
            pair("Contact", &c.grace),
            pair("Lead", &c.alan),
        ])
    );
}

#[tokio::test]
async fn wildcards_phrases_and_operators() {
    let t = TestOrg::start().await;
    seed(&t).await;
    let accounts = |find: &str| format!("FIND {{{find}}} RETURNING Account(Name ORDER BY Name)");

    assert_eq!(
        names(&t, &accounts("Acme*"), "Name").await,
        ["Acme Corp", "Acme Labs", "Acmeville Foods"]
    );
    assert_eq!(
        names(&t, &accounts("acmev*"), "Name").await,
        ["Acmeville Foods"]
    );
    assert_eq!(
        names(&t, &accounts("Acme"), "Name").await,
        ["Acme Corp", "Acme Labs"]
    );
    // A phrase matches its words in order, next to each other.
    assert_eq!(
        names(&t, &accounts("\"Acme Corp\""), "Name").await,
        ["Acme Corp"]
    );
    assert!(
        names(&t, &accounts("\"Corp Acme\""), "Name")
            .await
            .is_empty()
    );
    // Bare words all have to match.
    assert_eq!(
        names(&t, &accounts("Acme Labs"), "Name").await,
        ["Acme Labs"]
    );
    assert_eq!(
        names(&t, &accounts("Acme AND Labs"), "Name").await,
        ["Acme Labs"]
    );
    assert_eq!(
        names(&t, &accounts("Globex OR Initech"), "Name").await,
        ["Globex Industries", "Initech"]
    );
    assert_eq!(
        names(&t, &accounts("Acme AND NOT Labs"), "Name").await,
        ["Acme Corp"]
    );
    assert_eq!(
        names(&t, &accounts("(Acme OR Globex) AND NOT Labs"), "Name").await,
        ["Acme Corp", "Globex Industries"]
    );
}

#[tokio::test]
async fn in_name_email_and_phone_fields() {
    let t = TestOrg::start().await;
    let c = seed(&t).await;
    let people = "RETURNING Contact(LastName ORDER BY LastName), Lead(LastName)";

    // Ada matches by email, Grace by title, Alan by company: none by name.
    assert_eq!(
        names(
            &t,
            &format!("FIND {{Acme}} IN ALL FIELDS {people}"),
            "LastName"
        )
        .await,
        ["Hopper", "Lovelace", "Turing"]
    );
    assert!(
        hits(&t, &format!("FIND {{Acme}} IN NAME FIELDS {people}"))
            .await
            .is_empty()
    );
    assert_eq!(
        names(
            &t,
            &format!("FIND {{Acme}} IN EMAIL FIELDS {people}"),
            "LastName"
        )
        .await,
        ["Lovelace"]
    );
    assert_eq!(
        names(
            &t,
            &format!("FIND {{Grace}} IN NAME FIELDS {people}"),
            "LastName"
        )
        .await,
        ["Hopper"]
    );

    // Phone numbers, in phone fields only.
    let records = hits(
        &t,
        "FIND {4155550100} IN PHONE FIELDS RETURNING Account(Id)",
    )
    .await;
    assert_eq!(
        typed_ids(&records),
        BTreeSet::from([pair("Account", &c.acme_corp)])
    );
    assert!(
        hits(&t, "FIND {4155550100} IN NAME FIELDS RETURNING Account(Id)")
            .await
            .is_empty()
    );
    assert!(
        hits(&t, "FIND {Acme} IN PHONE FIELDS RETURNING Account(Id)")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn returning_where_order_limit_and_offset() {
    let t = TestOrg::start().await;
    let c = seed(&t).await;

    let records = hits(
        &t,
        "FIND {Acme*} RETURNING Account(Name, BillingCity WHERE BillingCity != null ORDER BY Name DESC LIMIT 1 OFFSET 1)",
    )
    .await;
    assert_eq!(
        Value::Array(records),
        json!([{"attributes": {"type": "Account", "url": record_url(common::V, "Account", &c.acme_labs)},
                "Name": "Acme Labs", "BillingCity": "Shelbyville"}])
    );
    assert_eq!(
        names(
            &t,
            "FIND {Acme*} RETURNING Account(Name WHERE BillingCity LIKE 'S%' ORDER BY BillingCity)",
            "Name"
        )
        .await,
        ["Acme Labs", "Acme Corp"]
    );
    assert_eq!(
        names(
            &t,
            "FIND {Acme*} RETURNING Account(Name ORDER BY Name LIMIT 2)",
            "Name"
        )
        .await,
        ["Acme Corp", "Acme Labs"]
    );
    // Parent fields work in RETURNING as in SOQL.
    assert_eq!(
        names(
            &t,
            "FIND {Lovelace} RETURNING Contact(Name, Account.Name)",
            "Name"
        )
        .await,
        ["Ada Lovelace"]
    );
    let records = hits(&t, "FIND {Lovelace} RETURNING Contact(Account.Name)").await;
    assert_eq!(records[0]["Account"]["Name"], "Acme Corp");

    // OFFSET is at most 2,000.
    assert!(
        hits(
            &t,
            "FIND {Acme} RETURNING Account(Name LIMIT 10 OFFSET 2000)"
        )
        .await
        .is_empty()
    );
    search(
        &t,
        "FIND {Acme} RETURNING Account(Name LIMIT 10 OFFSET 2001)",
    )
    .await
    .expect_error(
        400,
        "INVALID_SEARCH",
        "SOSL offset should be between 0 to 2000",
    );

    // The overall LIMIT caps the whole list.
    let all = hits(
        &t,
        "FIND {Acme} RETURNING Account(Name), Contact(LastName), Lead(LastName)",
    )
    .await;
    assert_eq!(all.len(), 5);
    let capped = hits(
        &t,
        "FIND {Acme} RETURNING Account(Name), Contact(LastName), Lead(LastName) LIMIT 3",
    )
    .await;
    assert_eq!(capped.len(), 3);
    assert_eq!(capped[..], all[..3]);
    let _ = (c.acmeville, c.globex, c.initech);
}

#[tokio::test]
async fn the_index_follows_updates_and_deletes() {
    let t = TestOrg::start().await;
    let c = seed(&t).await;

    // A deleted record is not found.
    let r = t
        .delete(&data(&format!("/sobjects/Account/{}", c.initech)))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(hits(&t, "FIND {Initech}").await.is_empty());

    // An updated record is found by its new text, not its old.
    let r = t
        .patch(
            &data(&format!("/sobjects/Account/{}", c.globex)),
            &json!({"Name": "Hooli Industries"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(hits(&t, "FIND {Globex}").await.is_empty());
    let records = hits(&t, "FIND {Hooli} RETURNING Account(Id, Name)").await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["Id"], c.globex.as_str());
    assert_eq!(records[0]["Name"], "Hooli Industries");
    // Unchanged words still match.
    assert_eq!(
        typed_ids(&hits(&t, "FIND {Industries}").await),
        BTreeSet::from([pair("Account", &c.globex)])
    );

    // A new record is found at once; a field cleared is no longer searched.
    let id = t
        .create("Account", &json!({"Name": "Vandelay Imports"}))
        .await;
    assert_eq!(
        typed_ids(&hits(&t, "FIND {Vandelay}").await),
        BTreeSet::from([pair("Account", &id)])
    );
    let r = t
        .patch(
            &data(&format!("/sobjects/Contact/{}", c.grace)),
            &json!({"Title": null}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        names(&t, "FIND {liaison} RETURNING Contact(LastName)", "LastName").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn search_errors() {
    let t = TestOrg::start().await;
    seed(&t).await;
    for short in ["FIND {a}", "FIND {a*}", "FIND {Acme OR b}"] {
        search(&t, short).await.expect_error(
            400,
            "INVALID_SEARCH",
            "search term must be longer than one character",
        );
    }
    for no_braces in ["FIND Acme", "FIND Acme RETURNING Account", "find 'Acme'"] {
        search(&t, no_braces).await.expect_error(
            400,
            "MALFORMED_SEARCH",
            "No search term found. The search term must be enclosed in braces.",
        );
    }
    // No q at all, or an empty one.
    for path in [data("/search"), format!("{}?q=", data("/search"))] {
        t.get(&path).await.expect_error(
            400,
            "MALFORMED_SEARCH",
            "No search term found. The search term must be enclosed in braces.",
        );
    }
    // Other syntax errors, and unknown types.
    search(&t, "FIND {Acme} RETURNING")
        .await
        .expect_code(400, "MALFORMED_SEARCH");
    let r = search(&t, "FIND {Acme} RETURNING Nope__c(Id)").await;
    assert_eq!(r.status, 400, "{}", r.text);
    // A bad field in RETURNING is SOQL's INVALID_FIELD.
    let r = search(&t, "FIND {Acme} RETURNING Account(Nope__c)").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()[0]["errorCode"], "INVALID_FIELD");
}

#[tokio::test]
async fn the_answer_shape_depends_on_the_version() {
    let t = TestOrg::start().await;
    let c = seed(&t).await;
    let sosl = "FIND {Initech} RETURNING Account(Name)";

    let old = search_v(&t, "35.0", sosl).await.expect(200);
    assert_eq!(
        old,
        json!([{"attributes": {"type": "Account", "url": record_url("35.0", "Account", &c.initech)}, "Name": "Initech"}])
    );
    let new = search_v(&t, "60.0", sosl).await.expect(200);
    assert_eq!(
        new,
        json!({"searchRecords": [{"attributes": {"type": "Account", "url": record_url("60.0", "Account", &c.initech)}, "Name": "Initech"}]})
    );
    assert_eq!(
        search_v(&t, "35.0", "FIND {Nothing}").await.expect(200),
        json!([])
    );
    assert_eq!(
        search_v(&t, "60.0", "FIND {Nothing}").await.expect(200),
        json!({"searchRecords": []})
    );
    // The trailing-slash form clients use works too.
    let r = t
        .get(&format!("{}/?{}", data("/search"), form(&[("q", sosl)])))
        .await;
    assert_eq!(r.expect(200)["searchRecords"][0]["Name"], "Initech");
}

#[tokio::test]
async fn reserved_characters_escaped_search_literally() {
    let t = TestOrg::start().await;
    seed(&t).await;
    let hostile = [
        "Smith+Jones [Partners]",
        "Curly {Brace} Holdings",
        "Rock'n Roll \"Live\": Encore!",
        "Back\\slash Trading",
        "Question? Mark*Star",
    ];
    let mut ids = Vec::new();
    for name in hostile {
        ids.push(t.create("Account", &json!({"Name": name})).await);
    }
    for (name, id) in hostile.iter().zip(&ids) {
        let sosl = format!("FIND {{{}}} RETURNING Account(Id, Name)", escape_sosl(name));
        let records = hits(&t, &sosl).await;
        assert_eq!(records.len(), 1, "{sosl}: {records:?}");
        assert_eq!(records[0]["Id"], id.as_str(), "{sosl}");
        assert_eq!(records[0]["Name"], *name, "{sosl}");
    }
    // Unescaped, a closing brace ends the search term early.
    let r = search(&t, "FIND {Curly {Brace} Holdings} RETURNING Account(Id)").await;
    assert_eq!(r.status, 400, "{}", r.text);
}

// ---------------------------------------------------------------------------------------------
// parameterizedSearch
// ---------------------------------------------------------------------------------------------

async fn parameterized_get(t: &TestOrg, pairs: &[(&str, &str)]) -> Reply {
    t.get(&format!("{}?{}", data("/parameterizedSearch"), form(pairs)))
        .await
}

#[tokio::test]
async fn parameterized_search_by_get() {
    let t = TestOrg::start().await;
    let c = seed(&t).await;

    let body = parameterized_get(
        &t,
        &[
            ("q", "Acme"),
            ("sobject", "Account"),
            ("Account.fields", "Id,Name"),
            ("Account.limit", "10"),
        ],
    )
    .await
    .expect(200);
    assert_eq!(keys(&body), ["searchRecords"]);
    let records = body["searchRecords"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{body}");
    for r in records {
        assert_eq!(keys(r), ["attributes", "Id", "Name"]);
    }
    assert_eq!(
        records
            .iter()
            .map(|r| r["Id"].as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([c.acme_corp.clone(), c.acme_labs.clone()])
    );

    let body = parameterized_get(
        &t,
        &[
            ("q", "Acme"),
            ("sobject", "Account"),
            ("Account.fields", "Name"),
            ("Account.limit", "1"),
        ],
    )
    .await
    .expect(200);
    assert_eq!(body["searchRecords"].as_array().unwrap().len(), 1);

    // `in` restricts the fields searched.
    let body = parameterized_get(
        &t,
        &[("q", "Acme"), ("sobject", "Contact"), ("in", "EMAIL")],
    )
    .await
    .expect(200);
    assert_eq!(
        typed_ids(body["searchRecords"].as_array().unwrap()),
        BTreeSet::from([pair("Contact", &c.ada)])
    );
    let body = parameterized_get(&t, &[("q", "Acme"), ("sobject", "Contact"), ("in", "NAME")])
        .await
        .expect(200);
    assert_eq!(body, json!({"searchRecords": []}));

    // Without sobject: Ids of every searchable type.
    let body = parameterized_get(&t, &[("q", "Lovelace")])
        .await
        .expect(200);
    assert_eq!(
        typed_ids(body["searchRecords"].as_array().unwrap()),
        BTreeSet::from([pair("Contact", &c.ada)])
    );

    // Several sobject parameters.
    let path = format!(
        "{}?q=Acme&sobject=Account&sobject=Lead",
        data("/parameterizedSearch")
    );
    let body = t.get(&path).await.expect(200);
    assert_eq!(
        typed_ids(body["searchRecords"].as_array().unwrap()),
        BTreeSet::from([
            pair("Account", &c.acme_corp),
            pair("Account", &c.acme_labs),
            pair("Lead", &c.alan),
        ])
    );

    // q is a search string, not SOSL: a brace in it cannot end the term and start clauses.
    let body = parameterized_get(&t, &[("q", "Acme} RETURNING User")])
        .await
        .expect(200);
    assert_eq!(body, json!({"searchRecords": []}));
    let r = parameterized_get(&t, &[("q", "Acme} RETURNING User(Username")]).await;
    assert!(!r.text.contains("\"User\""), "{}", r.text);
    r.expect_code(400, "MALFORMED_SEARCH");
    // A missing q, and an unknown `in`.
    let r = parameterized_get(&t, &[("sobject", "Account")]).await;
    r.expect_code(400, "MALFORMED_SEARCH");
    let r = parameterized_get(&t, &[("q", "Acme"), ("in", "EVERYWHERE")]).await;
    assert_eq!(r.status, 400, "{}", r.text);
}

#[tokio::test]
async fn parameterized_search_by_post() {
    let t = TestOrg::start().await;
    let c = seed(&t).await;
    let path = data("/parameterizedSearch");

    let body = t
        .post(
            &path,
            &json!({
                "q": "Acme",
                "fields": ["Id", "Name"],
                "sobjects": [
                    {"name": "Account", "where": "BillingCity = 'Springfield'", "limit": 10},
                    {"name": "Lead", "fields": ["Company"]}
                ],
                "overallLimit": 100,
                "in": "ALL"
            }),
        )
        .await
        .expect(200);
    assert_eq!(
        body,
        json!({"searchRecords": [
            {"attributes": {"type": "Account", "url": record_url(common::V, "Account", &c.acme_corp)},
             "Id": c.acme_corp, "Name": "Acme Corp"},
            {"attributes": {"type": "Lead", "url": record_url(common::V, "Lead", &c.alan)},
             "Company": "Acme Research"},
        ]})
    );

    // overallLimit caps the whole list; a limit caps one object.
    let body = t
        .post(
            &path,
            &json!({"q": "Acme", "sobjects": [{"name": "Account"}, {"name": "Contact"}, {"name": "Lead"}], "overallLimit": 2}),
        )
        .await
        .expect(200);
    assert_eq!(body["searchRecords"].as_array().unwrap().len(), 2);
    let body = t
        .post(
            &path,
            &json!({"q": "Acme", "sobjects": [{"name": "Contact", "fields": ["LastName"], "limit": 1}]}),
        )
        .await
        .expect(200);
    assert_eq!(body["searchRecords"].as_array().unwrap().len(), 1);

    // `in`.
    let body = t
        .post(
            &path,
            &json!({"q": "Acme", "in": "EMAIL", "sobjects": [{"name": "Contact", "fields": ["LastName"]}]}),
        )
        .await
        .expect(200);
    assert_eq!(body["searchRecords"][0]["LastName"], "Lovelace");
    assert_eq!(body["searchRecords"].as_array().unwrap().len(), 1);

    // A term with spaces and reserved characters is searched as text.
    let id = t
        .create("Account", &json!({"Name": "Smith+Jones {Partners}"}))
        .await;
    let body = t
        .post(
            &path,
            &json!({"q": "Smith+Jones {Partners}", "sobjects": [{"name": "Account", "fields": ["Id"]}]}),
        )
        .await
        .expect(200);
    assert_eq!(
        typed_ids(body["searchRecords"].as_array().unwrap()),
        BTreeSet::from([pair("Account", &id)])
    );
}

#[tokio::test]
async fn parameterized_inputs_cannot_rewrite_the_search() {
    let t = TestOrg::start().await;
    seed(&t).await;
    let path = data("/parameterizedSearch");

    // A `where` that tries to close its object spec and open another is rejected, not run.
    for hostile in [
        "Name = 'x') , Contact(Id",
        "Name = 'x') , Contact(Id WHERE Name != null",
        "Name != null LIMIT 1) , User(Username",
    ] {
        let r = t
            .post(
                &path,
                &json!({"q": "Acme", "sobjects": [{"name": "Account", "fields": ["Name"], "where": hostile}]}),
            )
            .await;
        assert_eq!(r.status, 400, "{hostile}: {}", r.text);
        assert!(
            r.json().is_array() && r.json()[0]["errorCode"].is_string(),
            "{hostile}: {}",
            r.text
        );
        let r = parameterized_get(
            &t,
            &[
                ("q", "Acme"),
                ("sobject", "Account"),
                ("Account.where", hostile),
            ],
        )
        .await;
        assert_eq!(r.status, 400, "{hostile}: {}", r.text);
    }

    // Field lists and object names that smuggle syntax are rejected too.
    let r = t
        .post(
            &path,
            &json!({"q": "Acme", "sobjects": [{"name": "Account", "fields": ["Name) , User(Username"]}]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = t
        .post(
            &path,
            &json!({"q": "Acme", "sobjects": [{"name": "Account(Id), User", "fields": ["Id"]}]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = t
        .post(
            &path,
            &json!({"q": "Acme", "in": "NAME FIELDS RETURNING User", "sobjects": [{"name": "Account"}]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    // A well-formed where still filters.
    let r = t
        .post(
            &path,
            &json!({"q": "Acme", "sobjects": [{"name": "Account", "fields": ["Name"], "where": "Name LIKE '%Labs'"}]}),
        )
        .await;
    assert_eq!(r.expect(200)["searchRecords"][0]["Name"], "Acme Labs");
}
