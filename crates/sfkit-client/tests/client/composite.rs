//! Composite, batch, tree, graph, sObject collections (chunked past 200 records, outcomes in
//! input order) and the SOAP lead conversion, against a local org.

use futures_util::TryStreamExt;
use serde_json::json;
use sfkit_client::{LeadConvert, Method, Record, Subrequest};
use sfkit_emulator::OrgConfig;

use crate::common::{Local, WIDGETS, record};

#[tokio::test]
async fn composite_with_references_and_all_or_none() {
    let l = Local::start().await;
    let c = l.client();
    let base = "/services/data/v66.0";
    let subs = [
        Subrequest::new(Method::POST, format!("{base}/sobjects/Account"), "acct")
            .body(json!({"Name": "Composite Co"})),
        Subrequest::new(Method::POST, format!("{base}/sobjects/Contact"), "ct")
            .body(json!({"LastName": "Ref", "AccountId": "@{acct.id}"})),
        Subrequest::new(
            Method::GET,
            format!("{base}/sobjects/Contact/@{{ct.id}}?fields=AccountId"),
            "read",
        ),
    ];
    let out = c.composite(&subs, true).await.unwrap();
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|s| s.is_success()), "{out:?}");
    let account_id = out[0].body["id"].as_str().unwrap();
    assert_eq!(out[2].body["AccountId"], account_id);

    // allOrNone: the second fails, so the first is rolled back.
    let subs = [
        Subrequest::new(Method::POST, format!("{base}/sobjects/Account"), "a")
            .body(json!({"Name": "Rolled Back"})),
        Subrequest::new(Method::POST, format!("{base}/sobjects/Contact"), "b")
            .body(json!({"FirstName": "No last name"})),
    ];
    let out = c.composite(&subs, true).await.unwrap();
    assert!(out.iter().all(|s| !s.is_success()));
    let left: Vec<Record> = c
        .query("SELECT Id FROM Account WHERE Name = 'Rolled Back'")
        .try_collect()
        .await
        .unwrap();
    assert!(left.is_empty(), "nothing kept");

    let batch = c
        .composite_batch(
            &[
                json!({"method": "GET", "url": "v66.0/limits"}),
                json!({"method": "GET", "url": "v66.0/sobjects/Nope__c/describe"}),
            ],
            false,
        )
        .await
        .unwrap();
    assert!(batch.has_errors);
    assert_eq!(batch.results[0].status_code, 200);
    assert_eq!(batch.results[1].status_code, 404);
}

#[tokio::test]
async fn tree_and_graph() {
    let l = Local::start().await;
    let c = l.client();
    let tree = c
        .tree(
            "Account",
            &[json!({
                "attributes": {"type": "Account", "referenceId": "ref1"},
                "Name": "Tree Top",
                "Contacts": {"records": [
                    {"attributes": {"type": "Contact", "referenceId": "ref2"}, "LastName": "Leaf"}
                ]}
            })],
        )
        .await
        .unwrap();
    assert!(!tree.has_errors);
    let refs: Vec<&str> = tree
        .results
        .iter()
        .map(|r| r.reference_id.as_str())
        .collect();
    assert_eq!(refs, ["ref1", "ref2"]);
    assert!(tree.results.iter().all(|r| r.id.is_some()));

    let graphs = c
        .graph(&[json!({
            "graphId": "g1",
            "compositeRequest": [
                {"method": "POST", "url": "/services/data/v66.0/sobjects/Account", "referenceId": "a", "body": {"Name": "Graph Co"}},
                {"method": "POST", "url": "/services/data/v66.0/sobjects/Contact", "referenceId": "b", "body": {"LastName": "G", "AccountId": "@{a.id}"}}
            ]
        })])
        .await
        .unwrap();
    assert_eq!(graphs.len(), 1);
    assert!(graphs[0].is_successful);
    assert_eq!(graphs[0].graph_response.composite_response.len(), 2);
}

/// 450 records: three requests of at most 200; outcomes come back in the input order, and a
/// bad record fails alone without allOrNone.
#[tokio::test]
async fn collections_chunk_and_keep_input_order() {
    let l = Local::start().await;
    let c = l.client();
    let records: Vec<Record> = (0..450)
        .map(|i| {
            if i == 321 {
                record(json!({"Name": ""}))
            } else {
                record(json!({"Name": format!("Bulk {i:03}")}))
            }
        })
        .collect();
    let created = c.create_many("Account", &records, false).await.unwrap();
    assert_eq!(created.len(), 450);
    assert!(!created[321].success);
    assert_eq!(created[321].errors[0].status_code, "REQUIRED_FIELD_MISSING");
    let ids: Vec<String> = created
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 321)
        .map(|(_, o)| o.id.clone().unwrap())
        .collect();
    let read = c.retrieve_many("Account", &ids, &["Name"]).await.unwrap();
    let names: Vec<&str> = read
        .iter()
        .map(|r| r.as_ref().unwrap()["Name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..450)
        .filter(|i| *i != 321)
        .map(|i| format!("Bulk {i:03}"))
        .collect();
    assert_eq!(names, expected, "input order kept across chunks");

    let updates: Vec<Record> = ids
        .iter()
        .map(|id| record(json!({"Id": id, "Industry": "Energy"})))
        .collect();
    let updated = c.update_many("Account", &updates, true).await.unwrap();
    assert!(updated.iter().all(|o| o.success));

    let deleted = c.delete_many(&ids, true).await.unwrap();
    assert_eq!(deleted.len(), ids.len());
    assert!(deleted.iter().all(|o| o.success));
    let left: Vec<Record> = c
        .query("SELECT Id FROM Account WHERE Name LIKE 'Bulk %'")
        .try_collect()
        .await
        .unwrap();
    assert!(left.is_empty());

    // allOrNone within a request: one bad record, none of its request saved.
    let mixed = vec![
        record(json!({"Name": "Kept?"})),
        record(json!({"Name": ""})),
    ];
    let out = c.create_many("Account", &mixed, true).await.unwrap();
    assert!(out.iter().all(|o| !o.success));
}

/// Upsert by external id through sObject Collections: 350 records in two calls (the second
/// chunked past 200), new keys created, known ones updated in place, outcomes in input order, and
/// a record without its key failing alone.
#[tokio::test]
async fn upsert_many_creates_and_updates_by_external_id() {
    let l = Local::start_with(OrgConfig::default().schema(WIDGETS, "widgets.toml")).await;
    let c = l.client();
    let widget =
        |i: usize, name: &str| record(json!({"Sku__c": format!("SKU-{i:03}"), "Name": name}));
    let first: Vec<Record> = (0..150).map(|i| widget(i, "First")).collect();
    let made = c
        .upsert_many("Widget__c", "Sku__c", &first, false)
        .await
        .unwrap();
    assert_eq!(made.len(), 150);
    assert!(made.iter().all(|o| o.success && o.created == Some(true)));

    // 100 known keys, 250 new ones, and one record without a key in the middle.
    let mut second: Vec<Record> = (50..350).map(|i| widget(i, "Second")).collect();
    second.insert(120, record(json!({"Name": "No key"})));
    let out = c
        .upsert_many("Widget__c", "Sku__c", &second, false)
        .await
        .unwrap();
    assert_eq!(out.len(), 301);
    assert!(!out[120].success);
    assert!(!out[120].errors.is_empty());
    let saved: Vec<_> = out
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 120)
        .map(|(_, o)| o)
        .collect();
    assert!(saved.iter().all(|o| o.success));
    for (k, o) in (50..350).zip(&saved) {
        assert_eq!(o.created, Some(k >= 150), "SKU-{k:03}");
        if k < 150 {
            assert_eq!(o.id, made[k].id, "updated in place: SKU-{k:03}");
        }
    }
    let all: Vec<Record> = c
        .query("SELECT Sku__c, Name FROM Widget__c")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 350);
    let firsts = all.iter().filter(|r| r["Name"] == "First").count();
    assert_eq!(firsts, 50, "SKU-000..049 kept their name");
}

#[tokio::test]
async fn leads_convert_over_soap() {
    let l = Local::start().await;
    let c = l.client();
    let lead = c
        .sobjects("Lead")
        .create(&json!({"LastName": "Convertible", "Company": "Convert Corp"}))
        .await
        .unwrap();
    let status: Vec<Record> = c
        .query("SELECT MasterLabel FROM LeadStatus WHERE IsConverted = true LIMIT 1")
        .try_collect()
        .await
        .unwrap();
    let converted_status = status[0]["MasterLabel"].as_str().unwrap().to_owned();
    let results = c
        .soap()
        .convert_lead(&[
            LeadConvert {
                lead_id: lead.id.clone(),
                converted_status: Some(converted_status.clone()),
                opportunity_name: Some("From <SOAP> & co".into()),
                ..LeadConvert::default()
            },
            LeadConvert {
                lead_id: "00Q000000000000AAA".into(),
                converted_status: Some(converted_status),
                ..LeadConvert::default()
            },
        ])
        .await
        .unwrap();
    assert_eq!(results.len(), 2);
    let ok = &results[0];
    assert!(ok.success, "{ok:?}");
    assert_eq!(ok.lead_id, lead.id);
    let opp: Record = c
        .sobjects("Opportunity")
        .get(ok.opportunity_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(opp["Name"], "From <SOAP> & co", "escaped on the way in");
    let contact: Record = c
        .sobjects("Contact")
        .get(ok.contact_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(contact["AccountId"].as_str(), ok.account_id.as_deref());
    assert!(!results[1].success);
    assert!(!results[1].errors.is_empty());
}
