//! The org as a long-lived local service: HTTPS with its own certificate authority (trusted,
//! untrusted, reused across restarts), the browser login (OAuth authorization code with PKCE),
//! data and sessions that outlive a restart on the same data directory, and the demo seed
//! (its contents, loaded once per directory, the same on every machine).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{Reply, TempDir, TestOrg, client_builder, data, form};
use reqwest::{Certificate, Client};
use serde_json::{Value, json};
use sfkit_emulator::{ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, Org, OrgConfig, PASSWORD};

// ---------------------------------------------------------------------------------------------
// HTTPS
// ---------------------------------------------------------------------------------------------

/// A client that trusts exactly the CA in `pem`.
fn trusting(pem: &[u8]) -> Client {
    client_builder()
        .add_root_certificate(Certificate::from_pem(pem).expect("the CA is PEM"))
        .build()
        .expect("the client builds")
}

fn port(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn https_with_the_orgs_own_ca() {
    let dir = TempDir::new("tls");
    let org = Org::start(OrgConfig::default().tls(true).data_dir(dir.path()))
        .await
        .expect("the org starts with TLS");
    let url = org.url().to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let ca_path = org.ca_pem().expect("a TLS org has a CA").to_path_buf();
    assert!(ca_path.starts_with(dir.path()), "{}", ca_path.display());
    let pem = std::fs::read(&ca_path).unwrap();
    assert!(
        String::from_utf8_lossy(&pem).starts_with("-----BEGIN CERTIFICATE-----"),
        "{}",
        String::from_utf8_lossy(&pem)
    );

    // A client that trusts the CA reaches the API, by IP address and by `localhost`.
    let client = trusting(&pem);
    let resp = client
        .get(format!("{url}/services/data"))
        .send()
        .await
        .expect("the TLS handshake succeeds");
    assert_eq!(resp.status(), 200);
    let versions: Value = resp.json().await.unwrap();
    assert!(
        versions
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["version"] == "66.0")
    );

    let token = org.mint_token(ADMIN_USERNAME).unwrap();
    let resp = client
        .get(format!("{url}{}", data("/limits")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body["DailyApiRequests"]["Max"].is_u64(), "{body}");

    let by_name = client_builder()
        .add_root_certificate(Certificate::from_pem(&pem).unwrap())
        .resolve(
            "localhost",
            std::net::SocketAddr::from(([127, 0, 0, 1], port(&url))),
        )
        .build()
        .unwrap();
    let resp = by_name
        .get(format!("https://localhost:{}/services/data", port(&url)))
        .send()
        .await
        .expect("the certificate names localhost too");
    assert_eq!(resp.status(), 200);

    // A client that trusts nothing, or another org's CA, is refused.
    let untrusting = client_builder().build().unwrap();
    let err = untrusting
        .get(format!("{url}/services/data"))
        .send()
        .await
        .expect_err("an untrusted certificate fails the handshake");
    assert!(err.is_connect(), "{err:?}");

    let other_dir = TempDir::new("tls-other");
    let other = Org::start(OrgConfig::default().tls(true).data_dir(other_dir.path()))
        .await
        .unwrap();
    let other_pem = std::fs::read(other.ca_pem().unwrap()).unwrap();
    assert_ne!(other_pem, pem, "every data directory gets its own CA");
    let err = trusting(&other_pem)
        .get(format!("{url}/services/data"))
        .send()
        .await
        .expect_err("another org's CA does not vouch for this one");
    assert!(err.is_connect(), "{err:?}");
    other.shutdown().await;

    // Plain HTTP on the TLS port is not served.
    let plain = client_builder().build().unwrap();
    let r = plain
        .get(format!("http://127.0.0.1:{}/services/data", port(&url)))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(r.is_err() || r.unwrap().status() != 200);

    org.shutdown().await;
}

#[tokio::test]
async fn the_certificate_is_reused_on_restart() {
    let dir = TempDir::new("tls-restart");
    let first = Org::start(OrgConfig::default().tls(true).data_dir(dir.path()))
        .await
        .unwrap();
    let tls_dir = first.ca_pem().unwrap().parent().unwrap().to_path_buf();
    let read_all = || {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&tls_dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = read_all();
    assert!(
        before.len() >= 3,
        "CA, certificate and key: {:?}",
        before.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let pem = std::fs::read(first.ca_pem().unwrap()).unwrap();
    first.shutdown().await;

    let second = Org::start(OrgConfig::default().tls(true).data_dir(dir.path()))
        .await
        .unwrap();
    assert_eq!(second.ca_pem().unwrap().parent().unwrap(), tls_dir);
    assert_eq!(read_all(), before, "the files are reused, not regenerated");
    // A client set up against the first start still trusts the second.
    let resp = trusting(&pem)
        .get(format!("{}/services/data", second.url()))
        .send()
        .await
        .expect("the old CA still vouches");
    assert_eq!(resp.status(), 200);
    second.shutdown().await;

    // Without TLS there is no CA.
    let plain = Org::start(OrgConfig::default()).await.unwrap();
    assert!(plain.ca_pem().is_none());
    assert!(plain.url().starts_with("http://"));
    plain.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// OAuth authorization code with PKCE
// ---------------------------------------------------------------------------------------------

const REDIRECT: &str = "http://localhost:1717/OauthRedirect";

/// base64url(SHA-256(verifier)), PKCE's S256 challenge.
fn challenge(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// A client that reports redirects instead of following them.
fn no_redirects() -> Client {
    client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn read(resp: reqwest::Response) -> Reply {
    Reply {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap(),
    }
}

/// Logs in on the authorize form; returns the answer (a redirect on success).
async fn submit_login(t: &TestOrg, pairs: &[(&str, &str)]) -> Reply {
    let resp = no_redirects()
        .post(t.url("/services/oauth2/authorize"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .await
        .unwrap();
    read(resp).await
}

/// The query parameters of a URL.
fn query_of(url: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Logs in as the admin with a PKCE challenge for `verifier`; returns the code.
async fn authorization_code(t: &TestOrg, verifier: &str, state: &str) -> String {
    let ch = challenge(verifier);
    let r = submit_login(
        t,
        &[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("state", state),
            ("code_challenge", &ch),
            ("username", ADMIN_USERNAME),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status, 302, "{}", r.text);
    let location = r.header("location").expect("a Location header").to_owned();
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    let params = query_of(&location);
    let keys: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["code", "state"], "{location}");
    assert_eq!(params[1].1, state);
    params[0].1.clone()
}

async fn exchange(t: &TestOrg, code: &str, redirect: &str, verifier: Option<&str>) -> Reply {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code),
        ("redirect_uri", redirect),
    ];
    if let Some(v) = verifier {
        pairs.push(("code_verifier", v));
    }
    t.token_request(&pairs).await
}

fn invalid_grant(r: &Reply) {
    assert_eq!(r.status, 400, "{}", r.text);
    let body = r.json();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(body["error_description"].is_string(), "{body}");
}

#[tokio::test]
async fn authorize_renders_a_login_form() {
    let t = TestOrg::start().await;
    let ch = challenge("a-verifier-of-some-length-0123456789");
    let query = form(&[
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("state", "s<t>&\"x\""),
        ("code_challenge", &ch),
    ]);
    let r = read(
        no_redirects()
            .get(t.url(&format!("/services/oauth2/authorize?{query}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.header("content-type").unwrap().starts_with("text/html"),
        "{:?}",
        r.headers
    );
    let page = &r.text;
    assert!(
        page.contains("<form method=\"post\" action=\"/services/oauth2/authorize\">"),
        "{page}"
    );
    assert!(page.contains("name=\"username\""), "{page}");
    assert!(page.contains("name=\"password\""), "{page}");
    for hidden in [
        format!("name=\"client_id\" value=\"{CLIENT_ID}\""),
        format!("name=\"redirect_uri\" value=\"{REDIRECT}\""),
        format!("name=\"code_challenge\" value=\"{ch}\""),
        // The state comes back escaped, never as markup.
        "name=\"state\" value=\"s&lt;t&gt;&amp;&quot;x&quot;\"".to_owned(),
    ] {
        assert!(page.contains(&hidden), "{hidden} in {page}");
    }
    assert!(!page.contains("<t>"), "{page}");

    // An unknown client, or no redirect_uri, gets no form.
    for bad in [
        form(&[
            ("response_type", "code"),
            ("client_id", "someone-else"),
            ("redirect_uri", REDIRECT),
        ]),
        form(&[("response_type", "code"), ("redirect_uri", REDIRECT)]),
    ] {
        let r = read(
            no_redirects()
                .get(t.url(&format!("/services/oauth2/authorize?{bad}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.json()["error"], "invalid_client_id");
    }
    let r = read(
        no_redirects()
            .get(t.url(&format!(
                "/services/oauth2/authorize?{}",
                form(&[("response_type", "code"), ("client_id", CLIENT_ID)])
            )))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(!r.text.contains("<form"), "{}", r.text);
}

#[tokio::test]
async fn authorization_code_with_pkce() {
    let t = TestOrg::start().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let code = authorization_code(&t, verifier, "state-123").await;

    let r = exchange(&t, &code, REDIRECT, Some(verifier)).await;
    let body = r.expect(200);
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["instance_url"], t.org.url());
    assert!(
        body["id"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/id/{}/{}", t.org.org_id(), t.admin_id())),
        "{body}"
    );
    assert!(access.contains('!'), "{access}");
    assert_ne!(access, refresh);

    // The access token works, and the refresh token mints more.
    t.get_as(&access, &data("/limits")).await.expect(200);
    let r = t
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", &refresh),
        ])
        .await;
    let again = r.expect(200);
    t.get_as(again["access_token"].as_str().unwrap(), &data("/limits"))
        .await
        .expect(200);

    // A code is good once.
    invalid_grant(&exchange(&t, &code, REDIRECT, Some(verifier)).await);
}

#[tokio::test]
async fn authorization_code_failures() {
    let t = TestOrg::start().await;
    let verifier = "the-right-verifier-with-enough-entropy-0123456789";

    // Bad credentials: the form again, with an error and no code.
    let r = submit_login(
        &t,
        &[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
            ("code_challenge", &challenge(verifier)),
            ("username", ADMIN_USERNAME),
            ("password", "wrong"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("location").is_none());
    assert!(r.text.contains("<form"), "{}", r.text);
    assert!(
        r.text.contains("check your username and password"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("code="), "{}", r.text);
    let r = submit_login(
        &t,
        &[
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("username", "nobody@sfkit.local"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("location").is_none());

    // A wrong verifier, and a missing one.
    let code = authorization_code(&t, verifier, "s").await;
    invalid_grant(&exchange(&t, &code, REDIRECT, Some("not-the-verifier")).await);
    let code = authorization_code(&t, verifier, "s").await;
    invalid_grant(&exchange(&t, &code, REDIRECT, None).await);

    // A redirect_uri other than the one the code was issued for.
    let code = authorization_code(&t, verifier, "s").await;
    invalid_grant(&exchange(&t, &code, "http://localhost:9999/elsewhere", Some(verifier)).await);

    // A code that was never issued.
    let r = exchange(&t, "no-such-code", REDIRECT, Some(verifier)).await;
    assert_eq!(
        r.expect(400),
        json!({"error": "invalid_grant", "error_description": "invalid authorization code"})
    );

    // A failed exchange burns the code: the right verifier does not revive it.
    let code = authorization_code(&t, verifier, "s").await;
    invalid_grant(&exchange(&t, &code, REDIRECT, Some("wrong")).await);
    invalid_grant(&exchange(&t, &code, REDIRECT, Some(verifier)).await);
}

// ---------------------------------------------------------------------------------------------
// Persistence
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn data_and_sessions_survive_a_restart() {
    let dir = TempDir::new("persist");

    // First start: a record and a long-lived token.
    let first = TestOrg::start_with(OrgConfig::default().data_dir(dir.path())).await;
    let org_id = first.org.org_id().to_owned();
    let long_token = first.token.clone();
    let id = first
        .create(
            "Account",
            &json!({"Name": "Persistent Co", "Industry": "Energy"}),
        )
        .await;
    let contact = first
        .create("Contact", &json!({"LastName": "Durable", "AccountId": id}))
        .await;
    first.shutdown().await;

    // Second start with a short token lifetime: a short-lived token.
    let ttl = Duration::from_secs(2);
    let second =
        TestOrg::start_with(OrgConfig::default().data_dir(dir.path()).token_ttl(ttl)).await;
    let minted = Instant::now();
    let short_token = second.token.clone();
    assert_eq!(second.org.org_id(), org_id, "the same org");
    second
        .get_as(&short_token, &data("/limits"))
        .await
        .expect(200);
    second
        .get_as(&long_token, &data("/limits"))
        .await
        .expect(200);
    second.shutdown().await;

    // Third start: everything is still there; the short token expires on schedule.
    let third = TestOrg::start_with(OrgConfig::default().data_dir(dir.path())).await;
    assert_eq!(third.org.org_id(), org_id);
    let r = third
        .get_as(
            &long_token,
            &format!(
                "{}?{}",
                data("/query"),
                form(&[(
                    "q",
                    "SELECT Id, Name, Industry, (SELECT LastName FROM Contacts) FROM Account"
                )])
            ),
        )
        .await;
    let body = r.expect(200);
    assert_eq!(body["totalSize"], 1, "{body}");
    let rec = &body["records"][0];
    assert_eq!(rec["Id"], id.as_str());
    assert_eq!(rec["Name"], "Persistent Co");
    assert_eq!(rec["Industry"], "Energy");
    assert_eq!(rec["Contacts"]["records"][0]["LastName"], "Durable");
    assert_eq!(
        third.read("Contact", &contact).await["AccountId"],
        id.as_str()
    );

    // New ids do not collide with the ones issued before the restart.
    let newer = third.create("Account", &json!({"Name": "Newer Co"})).await;
    assert_ne!(newer, id);
    assert_eq!(third.records("SELECT Id FROM Account").await.len(), 2);

    // The search index came along too.
    let r = third
        .get(&format!(
            "{}?{}",
            data("/search"),
            form(&[("q", "FIND {Persistent}")])
        ))
        .await;
    assert_eq!(r.expect(200)["searchRecords"][0]["Id"], id.as_str());

    if let Some(left) = ttl.checked_sub(minted.elapsed()) {
        tokio::time::sleep(left + Duration::from_millis(100)).await;
    }
    let r = third.get_as(&short_token, &data("/limits")).await;
    assert_eq!(
        r.expect(401),
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );
    third
        .get_as(&long_token, &data("/limits"))
        .await
        .expect(200);
    third.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// The demo seed
// ---------------------------------------------------------------------------------------------

async fn count(t: &TestOrg, object: &str) -> u64 {
    t.query_ok(&format!("SELECT COUNT() FROM {object}")).await["totalSize"]
        .as_u64()
        .unwrap()
}

async fn distinct(t: &TestOrg, soql: &str, field: &str) -> BTreeSet<String> {
    t.column(soql, field).await.into_iter().collect()
}

#[tokio::test]
async fn the_demo_seed_holds_a_realistic_org() {
    let t = TestOrg::start_with(OrgConfig::default().seed_demo(true)).await;
    assert_eq!(count(&t, "Account").await, 300);
    let contacts = count(&t, "Contact").await;
    assert!(contacts > 600, "{contacts} contacts");
    assert!(count(&t, "Task").await > 0);
    assert!(count(&t, "Case").await > 0);
    assert!(count(&t, "Opportunity").await >= 300);

    // Every account has two to four contacts.
    let per_account = t
        .records("SELECT AccountId, COUNT(Id) n FROM Contact GROUP BY AccountId")
        .await;
    assert_eq!(per_account.len(), 300);
    for row in &per_account {
        let n = row["n"].as_u64().unwrap();
        assert!((2..=4).contains(&n), "{row}");
    }

    // Leads in all four statuses, opportunities in every stage the org declares.
    assert_eq!(
        distinct(&t, "SELECT Status FROM Lead", "Status").await,
        distinct(&t, "SELECT ApiName FROM LeadStatus", "ApiName").await
    );
    assert_eq!(
        distinct(&t, "SELECT Status FROM Lead", "Status")
            .await
            .len(),
        4
    );
    let stages = distinct(&t, "SELECT StageName FROM Opportunity", "StageName").await;
    assert_eq!(
        stages,
        distinct(&t, "SELECT ApiName FROM OpportunityStage", "ApiName").await
    );
    assert!(
        stages.contains("Closed Won") && stages.contains("Prospecting"),
        "{stages:?}"
    );
    // Stage-derived fields follow the stage.
    for row in t
        .records("SELECT StageName, IsClosed, IsWon FROM Opportunity WHERE StageName = 'Closed Won' LIMIT 5")
        .await
    {
        assert_eq!(row["IsClosed"], true);
        assert_eq!(row["IsWon"], true);
    }

    // The sample is searchable.
    let r = t
        .get(&format!(
            "{}?{}",
            data("/search"),
            form(&[("q", "FIND {Globex} RETURNING Account(Name)")])
        ))
        .await;
    let hits = r.expect(200)["searchRecords"].as_array().unwrap().len();
    assert_eq!(hits, 15, "one Globex account per suffix");
}

#[tokio::test]
async fn the_demo_seed_is_deterministic_and_loaded_once() {
    let dir = TempDir::new("seed");
    let names = "SELECT Name FROM Account ORDER BY Name";
    let contacts = "SELECT Email FROM Contact ORDER BY Email";

    let a = TestOrg::start_with(OrgConfig::default().seed_demo(true).data_dir(dir.path())).await;
    let b = TestOrg::start_with(OrgConfig::default().seed_demo(true)).await;
    let a_names = a.column(names, "Name").await;
    assert_eq!(a_names.len(), 300);
    assert_eq!(a_names, b.column(names, "Name").await, "the same accounts");
    assert_eq!(
        a.column(contacts, "Email").await,
        b.column(contacts, "Email").await,
        "the same contacts"
    );
    let amounts = "SELECT Name, Amount, CloseDate FROM Opportunity ORDER BY Name, CloseDate";
    let deals = |rows: Vec<Value>| -> Vec<String> {
        rows.iter()
            .map(|r| format!("{} {} {}", r["Name"], r["Amount"], r["CloseDate"]))
            .collect()
    };
    assert_eq!(
        deals(a.records(amounts).await),
        deals(b.records(amounts).await)
    );
    let a_contacts = count(&a, "Contact").await;
    b.shutdown().await;
    a.shutdown().await;

    // Seeding again into the same directory adds nothing.
    let again =
        TestOrg::start_with(OrgConfig::default().seed_demo(true).data_dir(dir.path())).await;
    assert_eq!(count(&again, "Account").await, 300);
    assert_eq!(count(&again, "Contact").await, a_contacts);
    assert_eq!(again.column(names, "Name").await, a_names);
    again.shutdown().await;
}

/// One org, one process: a second org on the same data directory is refused with a clear
/// error, and the directory is free again once the first stops.
#[tokio::test]
async fn a_data_directory_serves_one_org_at_a_time() {
    let dir = TempDir::new("in-use");
    let first = Org::start(OrgConfig::default().data_dir(dir.path()))
        .await
        .unwrap();
    let err = Org::start(OrgConfig::default().data_dir(dir.path()))
        .await
        .expect_err("the directory is in use");
    assert!(
        matches!(err, sfkit_emulator::Error::InUse { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("in use by another sfkit process"),
        "{err}"
    );
    first.shutdown().await;
    let again = Org::start(OrgConfig::default().data_dir(dir.path())).await;
    assert!(again.is_ok(), "{:?}", again.err());
}
