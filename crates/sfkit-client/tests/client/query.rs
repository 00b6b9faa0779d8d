//! SOQL through the client against a local org: every page and child page streamed, queries too
//! long for a URL, and a record that does not fit named by its JSON path.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use sfkit_client::{Error, ErrorCode, QueryOptions, Record};

use crate::common::{Account, Local, account};

#[tokio::test]
async fn query_streams_every_page_and_child_pages() {
    let l = Local::start().await;
    let ids: HashSet<String> = l.seed("Account", 4_500, account).into_iter().collect();
    let c = l.client();

    let all: Vec<Account> = c
        .query("SELECT Id, Name, Industry FROM Account WHERE Name LIKE 'Acct %'")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 4_500);
    let seen: HashSet<String> = all.iter().map(|a| a.id.clone()).collect();
    assert_eq!(seen, ids, "every row exactly once");

    // Smaller pages: same rows.
    let n = c
        .query_with::<Record>(
            "SELECT Id FROM Account",
            QueryOptions {
                batch_size: Some(200),
                ..QueryOptions::default()
            },
        )
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    assert!(n >= 4_500, "{n}");

    // A parent with 700 contacts: the child relationship's own locator is followed.
    let parent = ids.iter().next().unwrap().clone();
    l.seed(
        "Contact",
        700,
        |i| json!({"LastName": format!("K{i:03}"), "AccountId": parent}),
    );
    let rows: Vec<Record> = c
        .query(&format!(
            "SELECT Id, (SELECT Id, LastName FROM Contacts ORDER BY LastName) FROM Account WHERE Id = '{parent}'"
        ))
        .try_collect()
        .await
        .unwrap();
    let kids = &rows[0]["Contacts"];
    assert_eq!(kids["totalSize"], 700);
    assert_eq!(kids["done"], true);
    assert!(kids.get("nextRecordsUrl").is_none());
    let names: Vec<&str> = kids["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["LastName"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..700).map(|i| format!("K{i:03}")).collect();
    assert_eq!(names, expected);
    // As text (query_raw): the same record, children completed.
    let raw: Vec<sfkit_client::RawRecord> = c
        .query_raw(
            &format!(
                "SELECT Id, (SELECT Id, LastName FROM Contacts ORDER BY LastName) FROM Account WHERE Id = '{parent}'"
            ),
            QueryOptions::default(),
        )
        .try_collect()
        .await
        .unwrap();
    let as_text: Record = serde_json::from_str(raw[0].get()).unwrap();
    assert_eq!(as_text, rows[0]);

    // queryAll sees deleted rows; a bad query is typed.
    let victim = ids.iter().nth(1).unwrap();
    c.sobjects("Account").delete(victim).await.unwrap();
    let deleted: Vec<Record> = c
        .query_all(&format!(
            "SELECT Id, IsDeleted FROM Account WHERE Id = '{victim}'"
        ))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(deleted[0]["IsDeleted"], true);
    let bad = c
        .query::<Record>("SELECT Nope FROM Account")
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some(&ErrorCode::InvalidField), "{bad}");
}

/// A query too long for a URL (Salesforce caps URI plus headers at 16,384 bytes) goes through
/// the Composite API and answers; one past Salesforce's 100,000 characters is refused before
/// anything is sent.
#[tokio::test]
async fn long_queries_travel_in_a_body_and_too_long_ones_are_refused() {
    let l = Local::start().await;
    let ids = l.seed("Account", 3000, account);
    let c = l.client();
    // About 60,000 characters: 2,500 quoted names in an IN list, 500 of them real.
    let names: Vec<String> = (0..2500)
        .map(|i| {
            if i % 5 == 0 {
                format!("'Acct {:05}'", i / 5)
            } else {
                format!("'No such account {i:07}'")
            }
        })
        .collect();
    let soql = format!(
        "SELECT Id, Name FROM Account WHERE Name IN ({}) ORDER BY Name",
        names.join(", ")
    );
    assert!(
        soql.len() > 50_000 && soql.len() < 100_000,
        "{}",
        soql.len()
    );
    let rows: Vec<Record> = c.query(&soql).try_collect().await.unwrap();
    assert_eq!(rows.len(), 500);
    let want: HashSet<&String> = ids.iter().take(500).collect();
    let got: HashSet<String> = rows
        .iter()
        .filter_map(|r| r.get("Id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    assert_eq!(got.len(), 500);
    assert!(got.iter().all(|id| want.contains(id)));
    let page = c.query_page(&soql, QueryOptions::default()).await.unwrap();
    assert_eq!(page.total_size, 500);

    let before = l.org.api_requests();
    let too_long = format!(
        "SELECT Id FROM Account WHERE Name = '{}'",
        "x".repeat(100_001)
    );
    let e = c
        .query::<Record>(&too_long)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::MalformedQuery), "{e}");
    assert!(e.to_string().contains("100000"), "names the limit: {e}");
    assert_eq!(l.org.api_requests(), before, "nothing was sent");
}

/// A record that does not fit the caller's type is named by its JSON path in the page.
#[tokio::test]
async fn a_record_that_does_not_fit_names_its_json_path() {
    #[derive(Debug, Deserialize)]
    struct Numbered {
        #[serde(rename = "Name")]
        _name: u32,
    }
    let l = Local::start().await;
    l.seed("Account", 3, account);
    let c = l.client();
    let err = c
        .query::<Numbered>("SELECT Name FROM Account ORDER BY Name")
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    let Error::Decode { context, message } = &err else {
        panic!("a decode error: {err:?}");
    };
    assert_eq!(context, "query");
    assert!(
        message.starts_with("at `records[0].Name`: invalid type: string \"Acct 00000\""),
        "{message}"
    );
    assert!(err.to_string().contains("records[0].Name"), "{err}");
}
