//! Token sources that need more than the org: a Nango server (a small local one answering in
//! Nango's documented shape), Salesforce CLI logins, the web-server flow through the org's
//! login page, and trust through `SSL_CERT_FILE` (checked in a child process).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use sfkit_client::auth::{AuthorizationRequest, Nango, RefreshToken, SfCliLogin};
use sfkit_client::{Client, Error};
use sfkit_emulator::{ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, PASSWORD};

use crate::common::Local;

#[derive(Clone)]
struct FakeNango {
    org_url: String,
    tokens: Arc<std::sync::Mutex<Vec<String>>>,
    calls: Arc<AtomicUsize>,
    forced: Arc<AtomicUsize>,
}

const NANGO_SECRET: &str = "nango-secret-key";

async fn nango_connection(
    State(n): State<FakeNango>,
    Path(id): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> axum::response::Response {
    n.calls.fetch_add(1, Ordering::SeqCst);
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {NANGO_SECRET}"))
    {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"code": "unknown_account", "message": "bad secret key"}})),
        )
            .into_response();
    }
    if id != "conn-1" || q.get("provider_config_key").map(String::as_str) != Some("salesforce") {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(
                json!({"error": {"code": "unknown_connection", "message": "no such connection"}}),
            ),
        )
            .into_response();
    }
    let forced = q.get("force_refresh").map(String::as_str) == Some("true");
    if forced {
        n.forced.fetch_add(1, Ordering::SeqCst);
    }
    let token = {
        let tokens = n.tokens.lock().unwrap();
        let i = if forced { 1 } else { 0 };
        tokens[i.min(tokens.len() - 1)].clone()
    };
    axum::Json(json!({
        "id": 1,
        "connection_id": id,
        "provider_config_key": "salesforce",
        "provider": "salesforce",
        "connection_config": {"instance_url": n.org_url},
        "credentials": {
            "type": "OAUTH2",
            "access_token": token,
            "expires_at": "2099-01-01T00:00:00.000Z",
            "raw": {"access_token": token, "instance_url": n.org_url, "token_type": "Bearer"}
        }
    }))
    .into_response()
}

/// The client takes its token and instance URL from Nango; when the org rejects the token it
/// asks Nango again with `force_refresh=true`, once.
#[tokio::test]
async fn a_nango_connection_supplies_and_renews_the_token() {
    let l = Local::start().await;
    let first = l.org.mint_token(ADMIN_USERNAME).unwrap();
    let second = l.org.mint_token(ADMIN_USERNAME).unwrap();
    let fake = FakeNango {
        org_url: l.url(),
        tokens: Arc::new(std::sync::Mutex::new(vec![first.clone(), second])),
        calls: Arc::new(AtomicUsize::new(0)),
        forced: Arc::new(AtomicUsize::new(0)),
    };
    let app = axum::Router::new()
        .route("/connection/{id}", get(nango_connection))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nango_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let c = l
        .builder()
        .token_source(Nango::new(NANGO_SECRET, "salesforce", "conn-1").base_url(&nango_url))
        .build()
        .unwrap();
    assert!(!c.limits().await.unwrap().is_empty());
    assert_eq!(c.instance_url().await.unwrap(), l.url());
    assert_eq!(fake.calls.load(Ordering::SeqCst), 1);

    // The org stops accepting the first token: one forced refresh, and the call succeeds.
    let r = c
        .http()
        .post(format!("{}/services/oauth2/revoke", l.url()))
        .form(&[("token", first.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!c.limits().await.unwrap().is_empty());
    assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    assert_eq!(fake.forced.load(Ordering::SeqCst), 1);

    // A wrong secret key: Nango's error, explained, without the key.
    let bad = l
        .builder()
        .token_source(Nango::new("wrong-key", "salesforce", "conn-1").base_url(&nango_url))
        .build()
        .unwrap();
    let err = bad.limits().await.unwrap_err();
    let Error::Auth(a) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(a.error, "unknown_account");
    let text = err.to_string();
    assert!(text.starts_with("Nango refused the login"), "{text}");
    assert!(text.contains("bad secret key"), "{text}");
    assert!(text.contains("check the Nango secret key"), "{text}");
    assert!(!format!("{err} {err:?}").contains("wrong-key"));
    let unknown = l
        .builder()
        .token_source(Nango::new(NANGO_SECRET, "salesforce", "conn-2").base_url(&nango_url))
        .build()
        .unwrap();
    let err = unknown.limits().await.unwrap_err().to_string();
    assert!(
        err.contains("check the integration id and the connection id"),
        "{err}"
    );
}

/// A Nango whose connection is broken keeps handing out a token Salesforce rejects: the call
/// asks for a forced refresh once, then fails with the spec's fix for INVALID_SESSION_ID
/// (reconnect) instead of asking again.
#[tokio::test]
async fn a_nango_token_rejected_after_a_forced_refresh_asks_to_reconnect() {
    let l = Local::start().await;
    let dead = l.org.mint_token(ADMIN_USERNAME).unwrap();
    let fake = FakeNango {
        org_url: l.url(),
        tokens: Arc::new(std::sync::Mutex::new(vec![dead.clone()])),
        calls: Arc::new(AtomicUsize::new(0)),
        forced: Arc::new(AtomicUsize::new(0)),
    };
    let app = axum::Router::new()
        .route("/connection/{id}", get(nango_connection))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nango_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let c = l
        .builder()
        .token_source(Nango::new(NANGO_SECRET, "salesforce", "conn-1").base_url(&nango_url))
        .build()
        .unwrap();
    let r = c
        .http()
        .post(format!("{}/services/oauth2/revoke", l.url()))
        .form(&[("token", dead.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let err = c.limits().await.unwrap_err();
    let Error::Reconnect { cause } = &err else {
        panic!("{err:?}")
    };
    assert!(cause.contains("INVALID_SESSION_ID"), "{cause}");
    assert!(err.to_string().contains("reconnect"), "{err}");
    assert_eq!(fake.forced.load(Ordering::SeqCst), 1, "one forced refresh");
    assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    assert!(!format!("{err:?}").contains(&dead) && !format!("{err:?}").contains(NANGO_SECRET));
}

/// An SFDX auth URL (what `sf org display --verbose` shows) logs in through its refresh token.
#[tokio::test]
async fn a_salesforce_cli_login_works() {
    let l = Local::start().await;
    let refresh = l.org.mint_refresh_token(ADMIN_USERNAME).unwrap();
    let auth_url = format!("force://{CLIENT_ID}:{CLIENT_SECRET}:{refresh}@{}", l.url());
    let display = json!({"status": 0, "result": {
        "id": l.org.org_id(), "accessToken": "stale", "instanceUrl": l.url(),
        "username": ADMIN_USERNAME, "sfdxAuthUrl": auth_url, "connectedStatus": "Connected"
    }});
    let login = SfCliLogin::from_org_display_json(&display.to_string()).unwrap();
    assert!(matches!(login, SfCliLogin::Refresh(_)));
    let c = l.builder().token_source(login).build().unwrap();
    assert_eq!(
        c.userinfo().await.unwrap()["preferred_username"],
        ADMIN_USERNAME
    );
    // Only an access token: used as is.
    let token = l.org.mint_token(ADMIN_USERNAME).unwrap();
    let display = json!({"status": 0, "result": {"accessToken": token, "instanceUrl": l.url()}});
    let c = l
        .builder()
        .token_source(SfCliLogin::from_org_display_json(&display.to_string()).unwrap())
        .build()
        .unwrap();
    assert!(!c.limits().await.unwrap().is_empty());
}

/// The web-server flow: the authorize URL opens the org's login page, the person signs in, the
/// redirect carries the code and our state, and the exchange gives a refresh token that logs
/// in.
#[tokio::test]
async fn the_web_server_flow_with_pkce() {
    let l = Local::start().await;
    let redirect = "http://127.0.0.1:9/callback";
    let flow = AuthorizationRequest::new(l.url(), CLIENT_ID, redirect)
        .client_secret(CLIENT_SECRET)
        .scope("api refresh_token");
    let url = flow.url().unwrap();
    // The test's own "browser" uses rustls with the process-wide aws-lc-rs provider.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let browser = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&l.ca).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"password\""));
    // The person submits the form: the page's hidden fields are the URL's parameters.
    let mut form: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("username".into(), ADMIN_USERNAME.into()));
    form.push(("password".into(), PASSWORD.into()));
    let r = browser
        .post(format!("{}/services/oauth2/authorize", l.url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = reqwest::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let params: std::collections::HashMap<String, String> = location
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(params["state"], flow.state());
    // No session yet: the bare HTTP client with the client's trust trades the code.
    let http = Client::builder()
        .trust_pem(l.ca.clone())
        .build_http()
        .unwrap();
    let token = flow.exchange(&http, &params["code"]).await.unwrap();
    assert_eq!(token.instance_url.as_deref(), Some(l.url().as_str()));
    let refresh = token.refresh_token.expect("a refresh token");
    let c = l
        .builder()
        .token_source(
            RefreshToken::new(CLIENT_ID, refresh.expose())
                .client_secret(CLIENT_SECRET)
                .login_url(l.url()),
        )
        .build()
        .unwrap();
    assert_eq!(
        c.userinfo().await.unwrap()["preferred_username"],
        ADMIN_USERNAME
    );
    // A code is good once.
    let again = flow.exchange(c.http(), &params["code"]).await.unwrap_err();
    assert!(
        matches!(&again, Error::Auth(a) if a.error == "invalid_grant"),
        "{again:?}"
    );
}

/// Run as a child process by `ssl_cert_file_is_trusted`: calls the org named in the
/// environment with a client that was told nothing about its certificate.
#[tokio::test]
async fn child_calls_the_org_with_default_trust() {
    let (Ok(url), Ok(token)) = (
        std::env::var("SFKIT_CHILD_ORG_URL"),
        std::env::var("SFKIT_CHILD_TOKEN"),
    ) else {
        return; // Not the child: nothing to do.
    };
    let c = Client::builder()
        .token_source(sfkit_client::auth::StaticToken::new(token, url))
        .build()
        .unwrap();
    c.limits().await.unwrap();
}

#[tokio::test]
async fn ssl_cert_file_is_trusted() {
    let l = Local::start().await;
    let token = l.org.mint_token(ADMIN_USERNAME).unwrap();
    let ca = l.org.ca_pem().unwrap().to_owned();
    let url = l.url();
    let child = move |with_ca: bool| {
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "auth::child_calls_the_org_with_default_trust",
            "--nocapture",
        ])
        .env("SFKIT_CHILD_ORG_URL", &url)
        .env("SFKIT_CHILD_TOKEN", &token)
        .env_remove("SSL_CERT_FILE");
        if with_ca {
            cmd.env("SSL_CERT_FILE", &ca);
        }
        cmd
    };
    let (with, without) = tokio::task::spawn_blocking(move || {
        (
            child(true).output().unwrap(),
            child(false).output().unwrap(),
        )
    })
    .await
    .unwrap();
    assert!(
        with.status.success(),
        "trusted through SSL_CERT_FILE: {}",
        String::from_utf8_lossy(&with.stdout)
    );
    assert!(
        !without.status.success(),
        "without it the org's certificate is unknown"
    );
}
