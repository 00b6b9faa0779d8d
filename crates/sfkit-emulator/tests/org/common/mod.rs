//! Shared helpers for the HTTP integration tests: start an org in-process on an ephemeral port,
//! hold an admin token, and send requests over real HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::header::HeaderMap;
use reqwest::{Client, ClientBuilder, Method};
use serde_json::{Map, Value, json};
use sfkit_emulator::store::{Actor, WriteOptions};
use sfkit_emulator::{ADMIN_USERNAME, Org, OrgConfig, OrgHandle};

/// The API version the tests speak.
pub(crate) const V: &str = "66.0";

/// A running org, an HTTP client and the admin's access token.
pub(crate) struct TestOrg {
    pub(crate) org: OrgHandle,
    pub(crate) http: Client,
    pub(crate) token: String,
}

/// An HTTP answer, read in full.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
}

impl Reply {
    /// The body as JSON (`null` when empty); panics on anything else.
    pub(crate) fn json(&self) -> Value {
        if self.text.is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text))
    }

    /// A header's value as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Panics (showing the body) unless the status is `status`; returns the JSON body.
    pub(crate) fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "expected HTTP {status}, got {}: {}",
            self.status, self.text
        );
        self.json()
    }

    /// Asserts a Salesforce error answer exactly: status, one entry, no `fields` key.
    pub(crate) fn expect_error(&self, status: u16, code: &str, message: &str) {
        let body = self.expect(status);
        assert_eq!(
            body,
            json!([{"message": message, "errorCode": code}]),
            "error body"
        );
        assert_eq!(
            keys(&body[0]),
            ["message", "errorCode"],
            "error entry keys: {body}"
        );
    }

    /// Asserts a Salesforce error answer exactly, `fields` included.
    pub(crate) fn expect_error_fields(
        &self,
        status: u16,
        code: &str,
        message: &str,
        fields: &[&str],
    ) {
        let body = self.expect(status);
        assert_eq!(
            body,
            json!([{"message": message, "errorCode": code, "fields": fields}]),
            "error body"
        );
    }

    /// Asserts the status and error code; returns the message.
    pub(crate) fn expect_code(&self, status: u16, code: &str) -> String {
        let body = self.expect(status);
        let items = body
            .as_array()
            .unwrap_or_else(|| panic!("not an array: {body}"));
        assert_eq!(items.len(), 1, "one error entry: {body}");
        assert_eq!(items[0]["errorCode"], code, "error code: {body}");
        items[0]["message"].as_str().unwrap().to_owned()
    }
}

/// The keys of a JSON object, in order.
pub(crate) fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

/// A JSON object from a `json!` literal.
pub(crate) fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// `/services/data/v66.0` + `rest`.
pub(crate) fn data(rest: &str) -> String {
    format!("/services/data/v{V}{rest}")
}

/// `/services/data/v{version}` + `rest`, for another API version.
pub(crate) fn data_v(version: &str, rest: &str) -> String {
    format!("/services/data/v{version}{rest}")
}

/// Makes aws-lc-rs rustls's process-wide crypto provider (reqwest's rustls backend is built
/// without one, so the project links a single provider); idempotent.
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// A reqwest client builder with the crypto provider installed.
pub(crate) fn client_builder() -> ClientBuilder {
    install_crypto_provider();
    Client::builder()
}

/// A directory under the system's temporary directory, removed (with its contents) on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory whose name starts with `sfkit-test-{tag}`.
    pub(crate) fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "sfkit-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("the temporary directory is created");
        TempDir(dir)
    }

    /// Its path.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `application/x-www-form-urlencoded` text.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://x/").unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or("").to_owned()
}

impl TestOrg {
    /// An org with the default configuration.
    pub(crate) async fn start() -> Self {
        Self::start_with(OrgConfig::default()).await
    }

    /// An org with `config` (the address is always an ephemeral local port).
    pub(crate) async fn start_with(config: OrgConfig) -> Self {
        let org = Org::start(config.addr(([127, 0, 0, 1], 0).into()))
            .await
            .expect("the org starts");
        let token = org.mint_token(ADMIN_USERNAME).expect("admin token");
        TestOrg {
            org,
            http: client_builder().build().expect("the HTTP client builds"),
            token,
        }
    }

    /// Stops the org (in-flight requests finish first).
    pub(crate) async fn shutdown(self) {
        self.org.shutdown().await;
    }

    /// The absolute URL of `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.org.url())
    }

    /// The admin user's id.
    pub(crate) fn admin_id(&self) -> String {
        self.user_id(ADMIN_USERNAME)
    }

    /// A user's id.
    pub(crate) fn user_id(&self, username: &str) -> String {
        self.org.store().user_id(username).unwrap().unwrap()
    }

    /// Sends a request; `token` `None` sends no Authorization header.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<String>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("the request is answered");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("the body is read");
        Reply {
            status,
            headers,
            text,
        }
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// GET as the admin.
    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Some(&self.bearer()), None, &[])
            .await
    }

    /// GET with a given token.
    pub(crate) async fn get_as(&self, token: &str, path: &str) -> Reply {
        self.send(
            Method::GET,
            path,
            Some(&format!("Bearer {token}")),
            None,
            &[],
        )
        .await
    }

    /// POST JSON as the admin.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_raw(path, &body.to_string()).await
    }

    /// POST a raw body as the admin.
    pub(crate) async fn post_raw(&self, path: &str, body: &str) -> Reply {
        self.send(
            Method::POST,
            path,
            Some(&self.bearer()),
            Some(body.to_owned()),
            &[],
        )
        .await
    }

    /// PATCH JSON as the admin.
    pub(crate) async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(
            Method::PATCH,
            path,
            Some(&self.bearer()),
            Some(body.to_string()),
            &[],
        )
        .await
    }

    /// Any method with a JSON body as the admin.
    pub(crate) async fn send_json(&self, method: Method, path: &str, body: &Value) -> Reply {
        self.send(
            method,
            path,
            Some(&self.bearer()),
            Some(body.to_string()),
            &[],
        )
        .await
    }

    /// DELETE as the admin.
    pub(crate) async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, Some(&self.bearer()), None, &[])
            .await
    }

    /// POST a form to the token endpoint.
    pub(crate) async fn token_request(&self, pairs: &[(&str, &str)]) -> Reply {
        self.http_form("/services/oauth2/token", pairs, &[]).await
    }

    /// POST a form with no session.
    pub(crate) async fn http_form(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self
            .http
            .post(self.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(pairs));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("the request is answered");
        Reply {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.expect("the body is read"),
        }
    }

    /// `GET /query?q=` (or `/queryAll`) with extra headers.
    pub(crate) async fn query_with(
        &self,
        resource: &str,
        soql: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        let path = format!("{}?{}", data(resource), form(&[("q", soql)]));
        self.send(Method::GET, &path, Some(&self.bearer()), None, headers)
            .await
    }

    /// `GET /query?q=`.
    pub(crate) async fn query(&self, soql: &str) -> Reply {
        self.query_with("/query", soql, &[]).await
    }

    /// `GET /queryAll?q=`.
    pub(crate) async fn query_all(&self, soql: &str) -> Reply {
        self.query_with("/queryAll", soql, &[]).await
    }

    /// A query that must succeed: its whole body.
    pub(crate) async fn query_ok(&self, soql: &str) -> Value {
        let r = self.query(soql).await;
        assert_eq!(r.status, 200, "{soql}: {}", r.text);
        r.json()
    }

    /// The records of a query that must succeed and fit one page.
    pub(crate) async fn records(&self, soql: &str) -> Vec<Value> {
        let body = self.query_ok(soql).await;
        assert_eq!(body["done"], true, "{soql}: {body}");
        let records = body["records"].as_array().unwrap().clone();
        assert_eq!(body["totalSize"], records.len(), "{soql}: {body}");
        records
    }

    /// One string column of a query's records, in order (`null` shows as `<null>`).
    pub(crate) async fn column(&self, soql: &str, field: &str) -> Vec<String> {
        self.records(soql)
            .await
            .iter()
            .map(|r| match &r[field] {
                Value::String(s) => s.clone(),
                Value::Null => "<null>".to_owned(),
                other => other.to_string(),
            })
            .collect()
    }

    /// Creates a record over HTTP; returns its id.
    pub(crate) async fn create(&self, sobject: &str, fields: &Value) -> String {
        let r = self
            .post(&data(&format!("/sobjects/{sobject}")), fields)
            .await;
        let body = r.expect(201);
        body["id"].as_str().unwrap().to_owned()
    }

    /// Reads a record over HTTP (must succeed).
    pub(crate) async fn read(&self, sobject: &str, id: &str) -> Value {
        self.get(&data(&format!("/sobjects/{sobject}/{id}")))
            .await
            .expect(200)
    }

    /// Creates many records in one store transaction, off the async threads; returns their ids.
    pub(crate) async fn seed(&self, sobject: &str, records: Vec<Value>) -> Vec<String> {
        let store = self.org.store().clone();
        let actor = Actor {
            user_id: self.admin_id(),
            read_only: false,
        };
        let sobject = sobject.to_owned();
        tokio::task::spawn_blocking(move || {
            store.write_batch(|b| {
                records
                    .into_iter()
                    .map(|r| b.insert(&actor, &sobject, &obj(r), WriteOptions::default()))
                    .collect::<Result<Vec<_>, _>>()
            })
        })
        .await
        .unwrap()
        .expect("seeding succeeds")
    }
}
