//! The client against a local org started in-process over HTTPS: token sources, every handler
//! built so far, paging, single-flight refresh, retries under injected faults, the budget.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use sfkit_client::auth::{ClientCredentials, JwtBearer, RefreshToken, StaticToken};
use sfkit_client::{Budget, Error, ErrorCode, Method, QueryOptions, Record, RetryPolicy};
use sfkit_emulator::{
    ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, FaultSpec, OrgConfig, VIEWER_USERNAME,
};

use crate::common::{Local, WIDGETS, account};

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Account {
    id: String,
    name: String,
    industry: Option<String>,
}

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

/// A token that expires every 2 seconds during a slow 10,000-row read: the stream renews it
/// and delivers every row exactly once.
#[tokio::test]
async fn an_expiring_token_mid_stream_loses_nothing() {
    let l = Local::start_with(OrgConfig::default().token_ttl(Duration::from_secs(2))).await;
    let ids: HashSet<String> = l.seed("Account", 10_000, account).into_iter().collect();
    let c = l.client();
    let before = l.org.token_requests();
    let mut stream = Box::pin(c.query_with::<Account>(
        "SELECT Id, Name, Industry FROM Account",
        QueryOptions {
            batch_size: Some(500),
            ..QueryOptions::default()
        },
    ));
    let mut seen = HashSet::new();
    let mut count = 0;
    while let Some(a) = stream.next().await {
        let a = a.unwrap();
        count += 1;
        seen.insert(a.id);
        if count % 500 == 0 {
            // One page at a time, slowly: 20 pages over about 4 seconds.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert_eq!(count, 10_000);
    assert_eq!(seen, ids);
    let renewals = l.org.token_requests() - before;
    assert!(
        renewals >= 2,
        "the token expired and was renewed: {renewals}"
    );
}

/// 100 concurrent calls that all find the token expired make one token request.
#[tokio::test]
async fn renewal_is_single_flight() {
    let l = Local::start_with(OrgConfig::default().token_ttl(Duration::from_secs(1))).await;
    let c = l.client();
    c.limits().await.unwrap();
    assert_eq!(l.org.token_requests(), 1);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let calls = (0..100).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.limits().await.map(|l| l.len()) })
    });
    for r in futures_util::future::join_all(calls).await {
        assert!(r.unwrap().unwrap() > 0);
    }
    assert_eq!(l.org.token_requests(), 2, "one renewal for 100 callers");
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

#[tokio::test]
async fn every_token_source_logs_in() {
    let l = Local::start().await;
    let url = l.url();
    // Refresh token.
    let refresh = l.org.mint_refresh_token(ADMIN_USERNAME).unwrap();
    let c = l
        .builder()
        .token_source(
            RefreshToken::new(CLIENT_ID, refresh)
                .client_secret(CLIENT_SECRET)
                .login_url(&url),
        )
        .build()
        .unwrap();
    assert_eq!(
        c.userinfo().await.unwrap()["preferred_username"],
        ADMIN_USERNAME
    );
    // Client credentials.
    let c = l
        .builder()
        .token_source(ClientCredentials::new(&url, CLIENT_ID, CLIENT_SECRET))
        .build()
        .unwrap();
    assert!(!c.limits().await.unwrap().is_empty());
    // JWT bearer with the org's key.
    let key = l.org.jwt_files().unwrap().key_pem;
    let jwt = JwtBearer::from_key_file(CLIENT_ID, VIEWER_USERNAME, &key)
        .unwrap()
        .login_url(&url);
    assert!(!format!("{jwt:?}").contains("PRIVATE"));
    let c = l.builder().token_source(jwt).build().unwrap();
    assert_eq!(
        c.userinfo().await.unwrap()["preferred_username"],
        VIEWER_USERNAME
    );
    let denied = c
        .sobjects("Account")
        .create(&json!({"Name": "x"}))
        .await
        .unwrap_err();
    assert_eq!(
        denied.code(),
        Some(&ErrorCode::InsufficientAccessOrReadonly),
        "{denied}"
    );
    // A static token, then its rejection.
    let token = l.org.mint_token(ADMIN_USERNAME).unwrap();
    let c = l
        .builder()
        .token_source(StaticToken::new(token.clone(), &url))
        .build()
        .unwrap();
    assert!(!c.describe_global().await.unwrap().sobjects.is_empty());
    let revoke = c
        .http()
        .post(format!("{url}/services/oauth2/revoke"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let err = c.limits().await.unwrap_err();
    assert!(matches!(err, Error::Reconnect { .. }), "{err:?}");
    assert!(err.to_string().contains("reconnect"), "{err}");
    // Wrong password: the OAuth error, explained.
    let bad = l
        .builder()
        .token_source(
            sfkit_client::auth::Password::new(CLIENT_ID, CLIENT_SECRET, ADMIN_USERNAME, "wrong")
                .login_url(&url),
        )
        .build()
        .unwrap();
    let err = bad.limits().await.unwrap_err();
    let Error::Auth(auth) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(auth.error, "invalid_grant");
    assert!(!err.to_string().contains("wrong"));
}

/// A revoked refresh token: the next renewal fails with a clear reconnect error.
#[tokio::test]
async fn a_revoked_refresh_token_asks_to_reconnect() {
    let l = Local::start_with(OrgConfig::default().token_ttl(Duration::from_secs(1))).await;
    let url = l.url();
    let refresh = l.org.mint_refresh_token(ADMIN_USERNAME).unwrap();
    let c = l
        .builder()
        .token_source(
            RefreshToken::new(CLIENT_ID, refresh.clone())
                .client_secret(CLIENT_SECRET)
                .login_url(&url),
        )
        .build()
        .unwrap();
    c.limits().await.unwrap();
    let r = c
        .http()
        .post(format!("{url}/services/oauth2/revoke"))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let err = c.limits().await.unwrap_err();
    let Error::Reconnect { cause } = &err else {
        panic!("{err:?}")
    };
    assert!(cause.contains("invalid_grant"), "{cause}");
    assert!(
        !err.to_string().contains(&refresh),
        "no secret in the message"
    );
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

#[tokio::test]
async fn no_secret_in_debug_output() {
    let l = Local::start().await;
    let c = l.client();
    c.limits().await.unwrap();
    let shown = format!("{c:?}");
    // The local password equals the client id, so look for the field itself.
    assert!(shown.contains("password: Secret(***)"), "{shown}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    assert!(!shown.contains("00D"), "no access token: {shown}");
}

/// Hands out tokens from a list, one per fetch; the last one again once the list runs out.
#[derive(Debug)]
struct Sequence {
    url: String,
    tokens: std::sync::Mutex<Vec<String>>,
    fetches: std::sync::atomic::AtomicUsize,
}

impl sfkit_client::auth::TokenSource for Sequence {
    fn fetch<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        _why: sfkit_client::auth::Fetch,
    ) -> sfkit_client::auth::BoxFuture<'a, Result<sfkit_client::auth::Token, Error>> {
        Box::pin(async move {
            self.fetches
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut tokens = self.tokens.lock().unwrap();
            let token = if tokens.len() > 1 {
                tokens.remove(0)
            } else {
                tokens[0].clone()
            };
            Ok(sfkit_client::auth::Token::new(
                token,
                Some(self.url.clone()),
            ))
        })
    }
}

/// A token that is already dead when renewed (it expired again within the same call): the
/// client keeps renewing while the source hands out new tokens, and the caller sees the answer,
/// not `INVALID_SESSION_ID`.
#[tokio::test]
async fn a_token_that_expires_twice_in_one_call_is_renewed_again() {
    let l = Local::start().await;
    let good = l.org.mint_token(sfkit_emulator::ADMIN_USERNAME).unwrap();
    let source = Arc::new(Sequence {
        url: l.url(),
        tokens: std::sync::Mutex::new(vec![
            "00Dexpired!first".into(),
            "00Dexpired!second".into(),
            good,
        ]),
        fetches: std::sync::atomic::AtomicUsize::new(0),
    });
    let c = l
        .builder()
        .token_source(Arc::clone(&source))
        .build()
        .unwrap();
    let limits = c.limits().await.unwrap();
    assert!(!limits.is_empty());
    assert_eq!(source.fetches.load(std::sync::atomic::Ordering::SeqCst), 3);

    // A source that only ever hands out dead tokens: the renewals stop, with an error that
    // says to reconnect (bounded, not a loop).
    let dead = Arc::new(Sequence {
        url: l.url(),
        tokens: std::sync::Mutex::new(vec!["00Dexpired!always".into()]),
        fetches: std::sync::atomic::AtomicUsize::new(0),
    });
    let c = l.builder().token_source(Arc::clone(&dead)).build().unwrap();
    let e = c.limits().await.unwrap_err();
    assert!(matches!(e, Error::Reconnect { .. }), "{e:?}");
    let n = dead.fetches.load(std::sync::atomic::Ordering::SeqCst);
    assert!((2..=6).contains(&n), "bounded renewals: {n}");
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
