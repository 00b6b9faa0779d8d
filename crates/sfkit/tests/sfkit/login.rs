//! `sfkit login` against a local org served by `sfkit emulator` in another process: the web
//! flow through the org's login page and the command's own callback, JWT, an access token, a
//! Nango connection (a stand-in for Nango's API handing out the org's tokens); saved logins
//! chosen by `--org` or as the default; secrets never stored in plain text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};

use crate::common::{Dir, Emulator};
use serde_json::Value;

fn sfkit(data: &Path, args: &[&str]) -> Output {
    crate::common::sfkit_command()
        .args(args)
        .env("SFKIT_DATA_DIR", data)
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .env_remove("SFKIT_CLIENT_SECRET")
        .env_remove("NANGO_SECRET_KEY")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout {} stderr {}",
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

fn runtime() -> tokio::runtime::Runtime {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn password_token(url: &str) -> String {
    runtime().block_on(async {
        let v: Value = reqwest::Client::new()
            .post(format!("{url}/services/oauth2/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=password&client_id=sfkit-local&client_secret=sfkit-local-secret&username=admin%40sfkit.local&password=sfkit-local")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    })
}

#[test]
fn token_and_jwt_logins_are_saved_and_chosen() {
    let org = Emulator::start();
    let data = Dir::new("data");
    let token = password_token(&org.url);
    let o = crate::common::sfkit_command()
        .args([
            "login",
            "token",
            "--instance-url",
            &org.url,
            "--name",
            "bytoken",
        ])
        .env("SFKIT_DATA_DIR", &data.0)
        .env("SF_ACCESS_TOKEN", &token)
        .output()
        .unwrap();
    ok(&o);
    assert!(
        text(&o.stderr).contains("logged in to"),
        "{}",
        text(&o.stderr)
    );
    assert!(!text(&o.stderr).contains(&token));
    check_secrets_are_sealed_and_private(&data.0, &token);

    // JWT with the org's key; it becomes the default.
    let o = sfkit(
        &data.0,
        &[
            "login",
            "jwt",
            "--login-url",
            &org.url,
            "--client-id",
            "sfkit-local",
            "--username",
            "viewer@sfkit.local",
            "--key-file",
            org.jwt_key.to_str().unwrap(),
            "--name",
            "byjwt",
        ],
    );
    ok(&o);
    check_the_newest_login_is_the_default(&data.0);
    check_org_picks_a_login_over_the_default(&data.0);

    ok(&sfkit(&data.0, &["logout", "byjwt"]));
    let list = ok(&sfkit(&data.0, &["login", "list"]));
    assert!(!list.contains("byjwt"), "{list}");
    assert_eq!(sfkit(&data.0, &["logout", "byjwt"]).status.code(), Some(2));
}

/// Secrets are encrypted; the key is the user's alone.
fn check_secrets_are_sealed_and_private(data: &Path, token: &str) {
    let sealed = std::fs::read(data.join("secrets.bin")).unwrap();
    assert!(
        !sealed.windows(token.len()).any(|w| w == token.as_bytes()),
        "no plain token on disk"
    );
    let listing = std::fs::read_to_string(data.join("profiles.json")).unwrap();
    assert!(!listing.contains(token));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for f in ["secret.key", "secrets.bin"] {
            let mode = std::fs::metadata(data.join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{f} is private: {mode:o}");
        }
    }
}

/// The newest login (by JWT) is the default, in the listing and its JSON.
fn check_the_newest_login_is_the_default(data: &Path) {
    let list = ok(&sfkit(data, &["login", "list"]));
    assert!(list.contains("* byjwt"), "{list}");
    assert!(list.contains("  bytoken"), "{list}");
    let list: Value =
        serde_json::from_str(&ok(&sfkit(data, &["login", "list", "--json"]))).unwrap();
    let by = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(by("byjwt")["default"], true);
    assert_eq!(by("bytoken")["default"], false);
    assert!(by("bytoken")["instanceUrl"].is_string());
}

/// The default (the viewer) may read but not write; --org picks the admin; an unknown name is
/// refused.
fn check_org_picks_a_login_over_the_default(data: &Path) {
    let denied = sfkit(data, &["run", "createAccount", "-p", "name=No"]);
    assert_eq!(denied.status.code(), Some(3), "{}", text(&denied.stdout));
    assert!(text(&denied.stdout).contains("INSUFFICIENT_ACCESS"));
    let chosen = sfkit(
        data,
        &["--org", "bytoken", "run", "createAccount", "-p", "name=Yes"],
    );
    assert!(
        text(&chosen.stderr).contains("using the saved login for"),
        "says which org: {}",
        text(&chosen.stderr)
    );
    let made: Value = serde_json::from_str(&ok(&chosen)).unwrap();
    assert_eq!(made["success"], true);
    let nope = sfkit(data, &["--org", "nosuch", "limits"]);
    assert_eq!(nope.status.code(), Some(4));
    assert!(
        text(&nope.stderr).contains("no saved login named"),
        "{}",
        text(&nope.stderr)
    );
}

/// The web flow: the command prints the authorize URL, the "browser" logs in on the org's page
/// and is sent to the command's callback, and the login is saved with its refresh token.
#[test]
fn the_web_flow_saves_a_renewable_login() {
    let org = Emulator::start();
    let data = Dir::new("web");
    let mut login = crate::common::sfkit_command()
        .args([
            "login",
            "web",
            "--login-url",
            &org.url,
            "--client-id",
            "sfkit-local",
            "--port",
            "0",
            "--name",
            "web",
        ])
        .env("SFKIT_DATA_DIR", &data.0)
        .env("SFKIT_CLIENT_SECRET", "sfkit-local-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(login.stderr.take().unwrap());
    let mut authorize = String::new();
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 {
        if line.trim().starts_with("http") {
            authorize = line.trim().to_owned();
            break;
        }
        line.clear();
    }
    assert!(
        authorize.contains("/services/oauth2/authorize?"),
        "{authorize}"
    );
    runtime().block_on(async {
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let url = reqwest::Url::parse(&authorize).unwrap();
        let mut form: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        form.push(("username".into(), "admin@sfkit.local".into()));
        form.push(("password".into(), "sfkit-local".into()));
        let r = browser
            .post(format!("{}/services/oauth2/authorize", org.url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        let callback = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(callback.starts_with("http://localhost:"), "{callback}");
        let page = browser.get(&callback).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Logged in"));
    });
    let status = login.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("saved as \"web\""), "{rest}");
    // The saved login is the default now: no flags, no environment.
    let limits: Value = serde_json::from_str(&ok(&sfkit(&data.0, &["limits", "--json"]))).unwrap();
    assert!(limits["DailyApiRequests"]["max"].as_i64().unwrap() > 0);
}

const NANGO_SECRET: &str = "nango-test-secret-key";

/// What the stand-in Nango does on `force_refresh=true`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnRefresh {
    /// Gets a new token from the org, as Nango does with the connection's refresh token.
    Renew,
    /// Hands out the same token again: a connection whose refresh no longer works.
    Broken,
}

struct NangoState {
    org_url: String,
    token: std::sync::Mutex<String>,
    on_refresh: std::sync::Mutex<OnRefresh>,
    forced: std::sync::atomic::AtomicUsize,
}

/// Nango's `GET /connection/{id}?provider_config_key=..&force_refresh=..` for one Salesforce
/// connection (`salesforce` / `acme`), answering in Nango's documented shape.
async fn nango_connection(
    axum::extract::State(n): axum::extract::State<std::sync::Arc<NangoState>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let refuse = |status: u16, code: &str| {
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            axum::Json(serde_json::json!({"error": {"code": code, "message": code}})),
        )
            .into_response()
    };
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(format!("Bearer {NANGO_SECRET}").as_str())
    {
        return refuse(401, "unknown_account");
    }
    if id != "acme" || q.get("provider_config_key").map(String::as_str) != Some("salesforce") {
        return refuse(404, "unknown_connection");
    }
    if q.get("force_refresh").map(String::as_str) == Some("true") {
        n.forced.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if *n.on_refresh.lock().unwrap() == OnRefresh::Renew {
            let fresh = password_token_async(&n.org_url).await;
            *n.token.lock().unwrap() = fresh;
        }
    }
    let token = n.token.lock().unwrap().clone();
    axum::Json(serde_json::json!({
        "id": 7,
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

async fn password_token_async(url: &str) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{url}/services/oauth2/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=password&client_id=sfkit-local&client_secret=sfkit-local-secret&username=admin%40sfkit.local&password=sfkit-local")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

/// The stand-in Nango, served from its own runtime while the test runs `sfkit`.
struct FakeNango {
    url: String,
    state: std::sync::Arc<NangoState>,
    runtime: tokio::runtime::Runtime,
}

impl FakeNango {
    fn start(org_url: &str) -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let state = std::sync::Arc::new(NangoState {
            org_url: org_url.to_owned(),
            token: std::sync::Mutex::new(runtime.block_on(password_token_async(org_url))),
            on_refresh: std::sync::Mutex::new(OnRefresh::Renew),
            forced: std::sync::atomic::AtomicUsize::new(0),
        });
        let app = axum::Router::new()
            .route("/connection/{id}", axum::routing::get(nango_connection))
            .with_state(std::sync::Arc::clone(&state));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await });
        FakeNango {
            url,
            state,
            runtime,
        }
    }

    fn forced(&self) -> usize {
        self.state.forced.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Revokes the token Nango hands out now, as Salesforce does when a session ends.
    fn revoke_current(&self) {
        let token = self.state.token.lock().unwrap().clone();
        let org = self.state.org_url.clone();
        let status = self.runtime.block_on(async move {
            reqwest::Client::new()
                .post(format!("{org}/services/oauth2/revoke"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(format!("token={token}"))
                .send()
                .await
                .unwrap()
                .status()
        });
        assert_eq!(status, 200);
    }
}

fn login_nango(data: &Path, nango: &FakeNango, secret: Option<&str>, name: &str) -> Output {
    let mut c = crate::common::sfkit_command();
    c.args([
        "login",
        "nango",
        "--host",
        &nango.url,
        "--integration-id",
        "salesforce",
        "--connection-id",
        "acme",
        "--name",
        name,
    ])
    .env("SFKIT_DATA_DIR", data)
    .env_remove("NANGO_SECRET_KEY");
    if let Some(s) = secret {
        c.env("NANGO_SECRET_KEY", s);
    }
    c.output().unwrap()
}

/// `sfkit login nango` saves a login whose token Nango hands out: the commands that follow use
/// it with no key in the environment; a revoked session costs one forced refresh; a connection
/// Nango can no longer refresh ends in INVALID_SESSION_ID and the spec's fix, after one forced
/// refresh.
#[test]
fn a_nango_login_renews_through_nango_once_then_asks_to_reconnect() {
    let org = Emulator::start();
    let nango = FakeNango::start(&org.url);
    let data = Dir::new("nango");

    // The secret key comes from the environment only.
    let o = login_nango(&data.0, &nango, None, "vianango");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("NANGO_SECRET_KEY"),
        "{}",
        text(&o.stderr)
    );
    // A wrong key: Nango's refusal, explained, the key nowhere.
    let o = login_nango(&data.0, &nango, Some("wrong-nango-key"), "vianango");
    assert_ne!(o.status.code(), Some(0));
    let said = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(said.contains("Nango refused the login"), "{said}");
    assert!(said.contains("check the Nango secret key"), "{said}");
    assert!(!said.contains("wrong-nango-key"), "{said}");

    let o = login_nango(&data.0, &nango, Some(NANGO_SECRET), "vianango");
    ok(&o);
    let said = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(said.contains("logged in to"), "{said}");
    assert!(!said.contains(NANGO_SECRET), "{said}");
    let sealed = std::fs::read(data.0.join("secrets.bin")).unwrap();
    assert!(
        !sealed
            .windows(NANGO_SECRET.len())
            .any(|w| w == NANGO_SECRET.as_bytes()),
        "no plain key on disk"
    );
    let listing = std::fs::read_to_string(data.0.join("profiles.json")).unwrap();
    assert!(!listing.contains(NANGO_SECRET), "{listing}");
    assert!(listing.contains("acme"), "{listing}");

    let list: Value =
        serde_json::from_str(&ok(&sfkit(&data.0, &["login", "list", "--json"]))).unwrap();
    assert_eq!(list[0]["name"], "vianango", "{list}");
    assert_eq!(list[0]["kind"], "nango", "{list}");
    assert_eq!(list[0]["instanceUrl"], org.url.as_str(), "{list}");
    assert_eq!(list[0]["username"], "admin@sfkit.local", "{list}");

    // The saved login works with no key in the environment (the helper removes it).
    let listed: Value = serde_json::from_str(&ok(&sfkit(
        &data.0,
        &["--org", "vianango", "run", "listAccounts"],
    )))
    .unwrap();
    assert!(listed["records"].is_array(), "{listed}");
    assert_eq!(nango.forced(), 0);

    // The session ends: one forced refresh, and the command succeeds.
    nango.revoke_current();
    let made: Value = serde_json::from_str(&ok(&sfkit(
        &data.0,
        &[
            "--org",
            "vianango",
            "run",
            "createAccount",
            "-p",
            "name=Via Nango",
        ],
    )))
    .unwrap();
    assert_eq!(made["success"], true, "{made}");
    assert_eq!(nango.forced(), 1);

    // Nango can no longer refresh: exactly one more forced refresh, then the fix.
    *nango.state.on_refresh.lock().unwrap() = OnRefresh::Broken;
    nango.revoke_current();
    let o = sfkit(&data.0, &["--org", "vianango", "run", "listAccounts"]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "no usable login: {}",
        text(&o.stdout)
    );
    let e: Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    assert_eq!(e["error"]["code"], "INVALID_SESSION_ID", "{e}");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("could not be renewed"), "{message}");
    assert!(message.contains("reconnect"), "{message}");
    assert_eq!(nango.forced(), 2, "one forced refresh per command");
    assert!(!format!("{}{}", text(&o.stdout), text(&o.stderr)).contains(NANGO_SECRET));
}
