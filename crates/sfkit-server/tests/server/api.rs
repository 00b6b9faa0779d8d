//! The real server on an ephemeral port, serving the local org: API keys (missing, wrong,
//! revoked, scoped), actions, connections (Nango's through a stand-in for its API), sessions
//! that cannot be renewed, OpenAPI, metrics, bad bodies, the rate limit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};
use sfkit_server::{Server, ServerConfig, ServerHandle};
use sfkit_store::{Cipher, Scope, Store};

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct T {
    server: Option<ServerHandle>,
    store: Arc<dyn Store>,
    admin: String,
    http: reqwest::Client,
    _dir: Dir,
}

impl T {
    async fn start(rate: f64) -> Self {
        Self::start_with(rate, std::time::Duration::ZERO).await
    }

    async fn start_with(rate: f64, cache_ttl: std::time::Duration) -> Self {
        Self::start_full(rate, cache_ttl, None).await
    }

    async fn start_full(
        rate: f64,
        cache_ttl: std::time::Duration,
        public_url: Option<&str>,
    ) -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let dir = Dir(std::env::temp_dir().join(format!(
            "sfkit-server-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )));
        let store = sfkit_store::open(
            "sqlite::memory:",
            Cipher::from_base64(&Cipher::generate().unwrap()).unwrap(),
        )
        .await
        .unwrap();
        let (_, admin) = store
            .create_api_key("admin", Scope::default())
            .await
            .unwrap();
        let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), Arc::clone(&store));
        config.local_org_dir = Some(dir.0.join("org"));
        config.body_limit = 64 * 1024;
        config.rate_per_key = rate;
        // Most tests revoke keys straight in the store: no cache, so it shows at once.
        config.cache_ttl = cache_ttl;
        config.public_url = public_url.map(str::to_owned);
        let server = Server::start(config).await.unwrap();
        T {
            server: Some(server),
            store,
            admin,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.as_ref().unwrap().url())
    }

    async fn call(
        &self,
        key: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rb = self.http.request(method, self.url(path));
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// The local org's URL, as the `local` connection records it.
    async fn local_org_url(&self) -> String {
        let (_, conns) = self
            .call(
                Some(&self.admin),
                reqwest::Method::GET,
                "/v1/connections",
                None,
            )
            .await;
        conns["connections"][0]["instanceUrl"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn action(&self, key: &str, name: &str, input: Value) -> (u16, Value) {
        self.call(
            Some(key),
            reqwest::Method::POST,
            &format!("/v1/actions/{name}"),
            Some(input),
        )
        .await
    }
}

#[tokio::test]
async fn api_keys_guard_everything_but_health_and_the_api_description() {
    let t = T::start(100.0).await;
    let (s, body) = t.call(None, reqwest::Method::GET, "/healthz", None).await;
    assert_eq!((s, body["status"].as_str()), (200, Some("ok")));
    // The OpenAPI document is public, and describes every route the server answers.
    let (s, doc) = t
        .call(None, reqwest::Method::GET, "/v1/openapi.json", None)
        .await;
    assert_eq!(s, 200);
    for path in [
        "/v1/actions",
        "/v1/actions/{name}",
        "/v1/connections",
        "/v1/connections/{name}",
        "/v1/connections/{name}/authorize",
        "/v1/apikeys",
        "/v1/apikeys/{name}",
        "/v1/oauth/start/{state}",
        "/v1/oauth/callback",
        "/mcp",
        "/healthz",
        "/metrics",
        "/v1/openapi.json",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
    let create = &doc["paths"]["/v1/actions/createLead"]["post"];
    for status in ["400", "404", "422", "424", "502"] {
        assert!(create["responses"][status].is_object(), "{status}");
    }
    assert!(
        create["responses"]["424"]["description"]
            .as_str()
            .unwrap()
            .contains("INVALID_SESSION_ID")
    );
    let connection = &doc["paths"]["/v1/connections"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["properties"];
    assert!(
        connection["kind"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("nango"))
    );
    let kinds = connection["kind"]["description"].as_str().unwrap();
    assert!(
        kinds.contains("nango: settings {integrationId, connectionId, host?}"),
        "{kinds}"
    );
    assert!(
        create["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "connection" && p["in"] == "query")
    );
    for path in ["/v1/actions", "/v1/connections", "/metrics"] {
        let (s, body) = t.call(None, reqwest::Method::GET, path, None).await;
        assert_eq!(s, 401, "{path}");
        assert_eq!(body["error"]["code"], "INVALID_AUTH_HEADER");
        let (s, _) = t
            .call(Some("sfk_wrong_key"), reqwest::Method::GET, path, None)
            .await;
        assert_eq!(s, 401, "{path}");
    }
    // Nothing is done without a key.
    let (s, _) = t
        .call(
            None,
            reqwest::Method::POST,
            "/v1/actions/createLead",
            Some(json!({"lastName": "X", "company": "Y"})),
        )
        .await;
    assert_eq!(s, 401);
    let (_, q) = t
        .action(&t.admin, "query", json!({"query": "SELECT Id FROM Lead"}))
        .await;
    assert_eq!(q["totalSize"], 0);

    let (_, key) = t
        .store
        .create_api_key("temp", Scope::default())
        .await
        .unwrap();
    assert_eq!(
        t.call(Some(&key), reqwest::Method::GET, "/v1/actions", None)
            .await
            .0,
        200
    );
    t.store.revoke_api_key("temp").await.unwrap();
    assert_eq!(
        t.call(Some(&key), reqwest::Method::GET, "/v1/actions", None)
            .await
            .0,
        401
    );
    t.server.unwrap().shutdown().await;
}

#[tokio::test]
async fn actions_run_on_the_local_org() {
    let t = T::start(100.0).await;
    let (s, created) = t
        .action(
            &t.admin,
            "createLead",
            json!({"lastName": "Ng", "company": "Acme"}),
        )
        .await;
    assert_eq!(s, 200, "{created}");
    let id = created["id"].as_str().unwrap();
    let (s, lead) = t.action(&t.admin, "getLead", json!({"id": id})).await;
    assert_eq!(s, 200);
    assert_eq!(lead["Company"], "Acme");
    // The connection named explicitly, by header and by query.
    let r = t
        .http
        .post(t.url("/v1/actions/getLead"))
        .bearer_auth(&t.admin)
        .header("X-Sfkit-Connection", "local")
        .json(&json!({"id": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (s, e) = t
        .call(
            Some(&t.admin),
            reqwest::Method::POST,
            "/v1/actions/getLead?connection=nope",
            Some(json!({"id": id})),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("NOT_FOUND")));
    // Errors keep Salesforce's shape and code.
    let (s, e) = t
        .action(&t.admin, "createLead", json!({"lastName": "Ng"}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["code"], "REQUIRED_FIELD_MISSING");
    assert_eq!(e["error"]["fields"], json!(["company"]));
    assert_eq!(e["error"]["retryable"], false);
    let (s, e) = t
        .action(&t.admin, "query", json!({"query": "SELECT Nope FROM Lead"}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("INVALID_FIELD"))
    );
    let (s, _) = t.action(&t.admin, "noSuchAction", json!({})).await;
    assert_eq!(s, 404);
    // Bodies: not JSON, too large.
    let r = t
        .http
        .post(t.url("/v1/actions/createLead"))
        .bearer_auth(&t.admin)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "JSON_PARSER_ERROR");
    let big = json!({"lastName": "x".repeat(100_000), "company": "Y"});
    let (s, e) = t.action(&t.admin, "createLead", big).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (413, Some("REQUEST_ENTITY_TOO_LARGE"))
    );
    t.server.unwrap().shutdown().await;
}

#[tokio::test]
async fn scoped_keys_are_held_to_their_scope() {
    let t = T::start(100.0).await;
    let (_, reader) = t
        .store
        .create_api_key("reader", Scope::new(vec![], true))
        .await
        .unwrap();
    let (_, elsewhere) = t
        .store
        .create_api_key("prod-only", Scope::new(vec!["prod".into()], false))
        .await
        .unwrap();
    let (s, e) = t
        .action(
            &reader,
            "createLead",
            json!({"lastName": "No", "company": "No"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("INSUFFICIENT_ACCESS"))
    );
    assert_eq!(t.action(&reader, "getLimits", json!({})).await.0, 200);
    let (s, _) = t.action(&elsewhere, "getLimits", json!({})).await;
    assert_eq!(s, 403);
    let (_, conns) = t
        .call(
            Some(&elsewhere),
            reqwest::Method::GET,
            "/v1/connections",
            None,
        )
        .await;
    assert_eq!(
        conns["connections"],
        json!([]),
        "only the connections it may use"
    );
    let (s, _) = t
        .call(
            Some(&reader),
            reqwest::Method::DELETE,
            "/v1/connections/local",
            None,
        )
        .await;
    assert_eq!(s, 403);
    // Nothing was written by the refused calls.
    let (_, q) = t
        .action(&t.admin, "query", json!({"query": "SELECT Id FROM Lead"}))
        .await;
    assert_eq!(q["totalSize"], 0);
    t.server.unwrap().shutdown().await;
}

#[tokio::test]
async fn connections_catalog_openapi_metrics() {
    let t = T::start(100.0).await;
    let (_, conns) = t
        .call(
            Some(&t.admin),
            reqwest::Method::GET,
            "/v1/connections",
            None,
        )
        .await;
    let local = conns["connections"][0].clone();
    assert_eq!(local["name"], "local");
    let org = local["instanceUrl"].as_str().unwrap().to_owned();
    check_token_connections_to_the_local_org(&t, &org).await;
    check_catalog_and_openapi(&t).await;
    check_metrics(&t).await;
    t.server.unwrap().shutdown().await;
}

/// A token connection to the same org: checked by logging in, then saved, used and deleted.
async fn check_token_connections_to_the_local_org(t: &T, org: &str) {
    let token = json!({"access_token": local_token(t, org, "viewer@sfkit.local").await});
    let (s, _) = t
        .call(
            Some(&t.admin),
            reqwest::Method::POST,
            "/v1/connections",
            Some(json!({"name": "viewer", "instanceUrl": org, "kind": "token", "secrets": {"accessToken": token["access_token"]}})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, e) = t
        .call(
            Some(&t.admin),
            reqwest::Method::POST,
            "/v1/connections",
            Some(json!({"name": "bad", "instanceUrl": org, "kind": "token", "secrets": {"accessToken": "00Dbad!token"}})),
        )
        .await;
    // Salesforce answered (the token is refused): the connection failed, not a gateway.
    assert_eq!(s, 424, "{e}");
    assert_eq!(e["error"]["code"], "INVALID_SESSION_ID", "{e}");
    assert!(!e.to_string().contains("00Dbad"), "no token in the answer");
    // Two connections now: one must be chosen; the viewer may not write.
    let (s, e) = t.action(&t.admin, "getLimits", json!({})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("CONNECTION_REQUIRED"))
    );
    let r = t
        .http
        .post(t.url("/v1/actions/createAccount"))
        .bearer_auth(&t.admin)
        .header("X-Sfkit-Connection", "viewer")
        .json(&json!({"name": "No"}))
        .send()
        .await
        .unwrap();
    // Salesforce refused the connection's user: not the API key's 403.
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "INSUFFICIENT_ACCESS_OR_READONLY");
    let (s, _) = t
        .call(
            Some(&t.admin),
            reqwest::Method::DELETE,
            "/v1/connections/viewer",
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = t
        .call(
            Some(&t.admin),
            reqwest::Method::DELETE,
            "/v1/connections/viewer",
            None,
        )
        .await;
    assert_eq!(s, 404);
}

/// The action catalog, one action's schema, and the OpenAPI document.
async fn check_catalog_and_openapi(t: &T) {
    let (_, catalog) = t
        .call(Some(&t.admin), reqwest::Method::GET, "/v1/actions", None)
        .await;
    assert!(catalog["actions"].as_array().unwrap().len() >= 39);
    let (_, one) = t
        .call(
            Some(&t.admin),
            reqwest::Method::GET,
            "/v1/actions/createLead",
            None,
        )
        .await;
    assert_eq!(
        one["inputSchema"]["required"],
        json!(["lastName", "company"])
    );
    let (_, doc) = t
        .call(
            Some(&t.admin),
            reqwest::Method::GET,
            "/v1/openapi.json",
            None,
        )
        .await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["paths"]["/v1/actions/createLead"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["required"],
        json!(["lastName", "company"])
    );
}

/// The Prometheus metrics count requests, their durations and the org's API usage.
async fn check_metrics(t: &T) {
    t.action(&t.admin, "getLimits", json!({})).await; // one connection again
    let (_, m) = t
        .call(Some(&t.admin), reqwest::Method::GET, "/metrics", None)
        .await;
    let m = m.as_str().unwrap().to_owned();
    assert!(
        m.contains("sfkit_requests_total{route=\"/v1/actions/{name}\",status=\"200\"}"),
        "{m}"
    );
    assert!(m.contains("sfkit_request_duration_seconds_bucket"), "{m}");
    assert!(
        m.contains("sfkit_salesforce_api_requests_used{connection=\"local\"}"),
        "{m}"
    );
}

#[tokio::test]
async fn each_key_has_a_rate() {
    let t = T::start(1.0).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            t.call(Some(&t.admin), reqwest::Method::GET, "/v1/actions", None)
                .await
                .0,
        );
    }
    assert_eq!(&statuses[..2], [200, 200], "a burst of twice the rate");
    assert!(statuses[2..].contains(&429), "{statuses:?}");
    let r = t
        .http
        .get(t.url("/v1/actions"))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    t.server.unwrap().shutdown().await;
}

/// The OAuth connect flow end to end: the server's authorize link sends the browser to the org's
/// login page, the login comes back to the server's callback, and the new connection works.
#[tokio::test]
async fn the_oauth_connect_flow_saves_a_connection() {
    let t = T::start(100.0).await;
    let org = t.local_org_url().await;
    let (s, started) = t
        .call(
            Some(&t.admin),
            reqwest::Method::POST,
            "/v1/connections/sales/authorize",
            Some(json!({"loginUrl": org, "clientId": "sfkit-local", "clientSecret": "sfkit-local-secret"})),
        )
        .await;
    assert_eq!(s, 200, "{started}");
    let link = started["authorizeUrl"].as_str().unwrap();
    assert!(link.starts_with(t.server.as_ref().unwrap().url()), "{link}");

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let to_sf = browser.get(link).send().await.unwrap();
    assert_eq!(to_sf.status(), 302);
    let authorize = reqwest::Url::parse(to_sf.headers()["location"].to_str().unwrap()).unwrap();
    assert!(
        authorize
            .as_str()
            .starts_with(&format!("{org}/services/oauth2/authorize?")),
        "{authorize}"
    );
    assert_eq!(
        browser
            .get(authorize.clone())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let mut form: Vec<(String, String)> = authorize
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("username".into(), "admin@sfkit.local".into()));
    form.push(("password".into(), "sfkit-local".into()));
    let back = browser
        .post(format!("{org}/services/oauth2/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 302);
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.contains("/v1/oauth/callback?"), "{callback}");
    let done = browser.get(&callback).send().await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Connected"));
    // Used once only.
    assert_eq!(browser.get(&callback).send().await.unwrap().status(), 400);

    let (_, conns) = t
        .call(
            Some(&t.admin),
            reqwest::Method::GET,
            "/v1/connections",
            None,
        )
        .await;
    let sales = conns["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "sales")
        .cloned()
        .unwrap();
    assert_eq!(sales["kind"], "refresh_token");
    assert!(
        !sales.to_string().contains("refreshToken"),
        "no secret listed: {sales}"
    );
    let r = t
        .http
        .post(t.url("/v1/actions/getLimits"))
        .bearer_auth(&t.admin)
        .header("X-Sfkit-Connection", "sales")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    t.server.unwrap().shutdown().await;
}

/// With the cache on, a change made through the server shows at once.
#[tokio::test]
async fn cached_connections_follow_changes_made_here() {
    let t = T::start_with(100.0, std::time::Duration::from_secs(60)).await;
    assert_eq!(t.action(&t.admin, "getLimits", json!({})).await.0, 200);
    let org = t.local_org_url().await;
    let token = json!({"access_token": local_token(&t, &org, "admin@sfkit.local").await});
    let (s, _) = t
        .call(
            Some(&t.admin),
            reqwest::Method::POST,
            "/v1/connections",
            Some(json!({"name": "second", "instanceUrl": org, "kind": "token", "secrets": {"accessToken": token["access_token"]}})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, e) = t.action(&t.admin, "getLimits", json!({})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("CONNECTION_REQUIRED"))
    );
    assert_eq!(
        t.call(
            Some(&t.admin),
            reqwest::Method::DELETE,
            "/v1/connections/second",
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(t.action(&t.admin, "getLimits", json!({})).await.0, 200);
    t.server.unwrap().shutdown().await;
}

/// An access token for a local user (password grant).
async fn local_token(t: &T, org: &str, user: &str) -> String {
    let v: Value = t
        .http
        .post(format!("{org}/services/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "sfkit-local"),
            ("client_secret", "sfkit-local-secret"),
            ("username", user),
            ("password", "sfkit-local"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

/// MCP's `initialize` request, as a client named `client` sends it.
fn initialize(client: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": client, "version": "1"}}})
}

/// A `tools/call` request.
fn tool_call(id: u64, name: &str, args: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": args}})
}

/// One JSON-RPC message to `/mcp`; the answer is JSON or one server-sent event.
async fn mcp(
    t: &T,
    key: Option<&str>,
    session: Option<&str>,
    msg: Value,
) -> (u16, Option<String>, Value) {
    let mut rb = t
        .http
        .post(t.url("/mcp"))
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .json(&msg);
    if let Some(k) = key {
        rb = rb.bearer_auth(k);
    }
    if let Some(s) = session {
        rb = rb.header("Mcp-Session-Id", s);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let session = r
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| {
        text.lines()
            .rev()
            .filter_map(|l| l.strip_prefix("data:"))
            .find_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .unwrap_or(Value::String(text.clone()))
    });
    (status, session, body)
}

/// MCP over streamable HTTP: the key is required; tools list the catalog; createLead and query
/// run; errors are tool errors with Salesforce's code.
#[tokio::test]
async fn mcp_tools_over_http() {
    let t = T::start(100.0).await;
    let init = initialize("sfkit-test");
    let (s, _, _) = mcp(&t, None, None, init.clone()).await;
    assert_eq!(s, 401, "no key, no MCP");
    let (s, session, hello) = mcp(&t, Some(&t.admin), None, init).await;
    assert_eq!(s, 200, "{hello}");
    assert_eq!(hello["result"]["serverInfo"]["name"], "sfkit", "{hello}");
    let session = session.as_deref();
    mcp(
        &t,
        Some(&t.admin),
        session,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    check_mcp_tools_list_the_catalog(&t, session).await;
    check_mcp_tool_calls_and_errors(&t, session).await;
    check_mcp_read_only_key(&t).await;
    t.server.unwrap().shutdown().await;
}

/// tools/list offers the whole catalog, with each action's input schema.
async fn check_mcp_tools_list_the_catalog(t: &T, session: Option<&str>) {
    let (_, _, tools) = mcp(
        t,
        Some(&t.admin),
        session,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    .await;
    let tools = tools["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{tools}"))
        .clone();
    assert!(tools.len() >= 40, "{}", tools.len());
    let create = tools.iter().find(|t| t["name"] == "createLead").unwrap();
    assert_eq!(
        create["inputSchema"]["required"],
        json!(["lastName", "company"])
    );
}

/// createLead and query run; a failed call is a tool error with Salesforce's code.
async fn check_mcp_tool_calls_and_errors(t: &T, session: Option<&str>) {
    let (_, _, made) = mcp(
        t,
        Some(&t.admin),
        session,
        tool_call(
            3,
            "createLead",
            json!({"lastName": "Agent", "company": "Bots Inc"}),
        ),
    )
    .await;
    let result = &made["result"];
    assert_ne!(result["isError"], true, "{made}");
    let out: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(out["success"], true);
    let (_, _, q) = mcp(
        t,
        Some(&t.admin),
        session,
        tool_call(
            4,
            "query",
            json!({"query": "SELECT Name, Company FROM Lead"}),
        ),
    )
    .await;
    let out: Value =
        serde_json::from_str(q["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(out["records"][0]["Company"], "Bots Inc");
    let (_, _, bad) = mcp(
        t,
        Some(&t.admin),
        session,
        tool_call(5, "createLead", json!({"lastName": "No company"})),
    )
    .await;
    assert_eq!(bad["result"]["isError"], true, "{bad}");
    let err: Value =
        serde_json::from_str(bad["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(err["error"]["code"], "REQUIRED_FIELD_MISSING");
}

/// A read-only key's writes are tool errors too, and it is offered only the tools it may call.
async fn check_mcp_read_only_key(t: &T) {
    let (_, reader) = t
        .store
        .create_api_key("mcp-reader", Scope::new(vec![], true))
        .await
        .unwrap();
    let (_, s2, _) = mcp(t, Some(&reader), None, initialize("r")).await;
    let (_, _, denied) = mcp(
        t,
        Some(&reader),
        s2.as_deref(),
        tool_call(6, "createLead", json!({"lastName": "X", "company": "Y"})),
    )
    .await;
    assert_eq!(denied["result"]["isError"], true, "{denied}");
    // And it is offered only the tools it may call.
    let (_, _, listed) = mcp(
        t,
        Some(&reader),
        s2.as_deref(),
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}}),
    )
    .await;
    let tools = listed["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"query") && names.contains(&"getLead"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"createLead") && !names.contains(&"deleteAccount"),
        "{names:?}"
    );
    assert!(
        tools
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"] == true),
        "{listed}"
    );
}

/// Results larger than an agent should take at once come in parts. Each answer has one
/// `nextCursor`; following it (back to the tool, or through moreResults) reads every record
/// once, across the query's own pages. Before, only the first part carried `nextCursor` and
/// the parts' `moreResults` stopped at the end of the first page: rows were lost either way.
/// A continuation token works only for the key that received it.
#[tokio::test]
async fn mcp_results_come_in_parts_that_chain_to_every_record() {
    let t = T::start(1000.0).await;
    let org = t.local_org_url().await;
    let client = sfkit_client::Client::builder()
        .token_source(
            sfkit_client::auth::Password::new(
                "sfkit-local",
                "sfkit-local-secret",
                "admin@sfkit.local",
                "sfkit-local",
            )
            .login_url(org),
        )
        .build()
        .unwrap();
    let records: Vec<sfkit_client::Record> = (0..4500)
        .map(|i| {
            json!({"LastName": format!("Many {i:04}"), "Company": "x".repeat(40)})
                .as_object()
                .unwrap()
                .clone()
        })
        .collect();
    let made = client.create_many("Lead", &records, true).await.unwrap();
    assert!(made.iter().all(|m| m.success));
    let (_, other) = t
        .store
        .create_api_key("other", Scope::default())
        .await
        .unwrap();
    let init = initialize("c");
    let (_, session, _) = mcp(&t, Some(&t.admin), None, init).await;
    let session = session.as_deref();
    let (_, other_session, _) = mcp(&t, Some(&other), None, initialize("o")).await;
    let query = json!({"query": "SELECT Id, LastName, Company FROM Lead"});
    for via_more in [false, true] {
        let mut id = 10;
        let (_, _, first) = mcp(
            &t,
            Some(&t.admin),
            session,
            tool_call(id, "query", query.clone()),
        )
        .await;
        let mut text = first["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut seen = std::collections::HashSet::new();
        let mut parts = 0;
        loop {
            assert!(text.len() <= 32 * 1024, "{}", text.len());
            let page: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(page["totalSize"], 4500);
            assert!(page.get("moreResults").is_none(), "one way on");
            for r in page["records"].as_array().unwrap() {
                assert!(
                    seen.insert(r["Id"].as_str().unwrap().to_owned()),
                    "twice: {r}"
                );
            }
            parts += 1;
            let Some(c) = page["nextCursor"].as_str() else {
                assert_eq!(page["done"], true);
                break;
            };
            assert_eq!(page["done"], false);
            if parts == 2 {
                // Another key cannot continue it.
                let (_, _, denied) = mcp(
                    &t,
                    Some(&other),
                    other_session.as_deref(),
                    tool_call(id, "moreResults", json!({"cursor": c})),
                )
                .await;
                assert_eq!(denied["result"]["isError"], true, "{denied}");
            }
            id += 1;
            let call = if via_more && c.starts_with("mcp-") {
                tool_call(id, "moreResults", json!({"cursor": c}))
            } else {
                let mut input = query.clone();
                input["cursor"] = json!(c);
                tool_call(id, "query", input)
            };
            let (_, _, more) = mcp(&t, Some(&t.admin), session, call).await;
            assert_ne!(more["result"]["isError"], true, "{more}");
            text = more["result"]["content"][0]["text"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(parts < 200, "runaway paging");
        }
        assert_eq!(seen.len(), 4500, "via moreResults: {via_more}");
        assert!(parts > 6, "{parts} parts");
    }
    t.server.unwrap().shutdown().await;
}

/// Shutdown lets a request in flight finish: a slow org (every answer delayed) behind a
/// connection, a call started, the server stopped meanwhile, the call answered in full.
#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish() {
    let t = T::start(100.0).await;
    let slow = sfkit_emulator::Org::start(
        sfkit_emulator::OrgConfig::default()
            .faults(sfkit_emulator::FaultSpec::parse("latency=400ms@1").unwrap()),
    )
    .await
    .unwrap();
    let token = slow.mint_token("admin@sfkit.local").unwrap();
    let (s, _) = t
        .call(
            Some(&t.admin),
            reqwest::Method::POST,
            "/v1/connections",
            Some(json!({"name": "slow", "instanceUrl": slow.url(), "kind": "token", "secrets": {"accessToken": token}})),
        )
        .await;
    assert_eq!(s, 201);
    let call = {
        let (http, url, key) = (
            t.http.clone(),
            t.url("/v1/actions/createAccount"),
            t.admin.clone(),
        );
        tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(key)
                .header("X-Sfkit-Connection", "slow")
                .json(&json!({"name": "In flight"}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let started = std::time::Instant::now();
    t.server.unwrap().shutdown().await;
    let (status, body) = call.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(100),
        "shutdown waited for it"
    );
    slow.shutdown().await;
}

/// Behind a DNS name: OAuth links use the public URL, and MCP accepts its host but no other.
#[tokio::test]
async fn a_public_url_for_links_and_mcp_hosts() {
    let t = T::start_full(
        100.0,
        std::time::Duration::ZERO,
        Some("https://sfkit.example.com/"),
    )
    .await;
    let (_, started) = t
        .call(
            Some(&t.admin),
            reqwest::Method::POST,
            "/v1/connections/x/authorize",
            Some(json!({"loginUrl": "https://login.salesforce.com", "clientId": "id"})),
        )
        .await;
    assert!(
        started["authorizeUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://sfkit.example.com/v1/oauth/start/"),
        "{started}"
    );
    let init = initialize("h");
    for (host, ok) in [("sfkit.example.com", true), ("evil.example.net", false)] {
        let r = t
            .http
            .post(t.url("/mcp"))
            .bearer_auth(&t.admin)
            .header("Host", host)
            .header("Accept", "application/json, text/event-stream")
            .json(&init)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().is_success(), ok, "{host}: {}", r.status());
    }
    t.server.unwrap().shutdown().await;
}

/// Over HTTP, a cursor is a capability of the key that received it: another key gets
/// `400 INVALID_CURSOR`, and so does a hand-made query cursor aimed elsewhere in the org
/// (before, `/services/data/../../id/x/y` was fetched with the connection's token).
#[tokio::test]
async fn http_cursors_are_bound_to_their_key_and_cannot_be_forged() {
    let t = T::start(1000.0).await;
    for i in 0..25 {
        let (s, _) = t
            .action(
                &t.admin,
                "createAccount",
                json!({"name": format!("Bound {i:02}"), "industry": "Banking"}),
            )
            .await;
        assert_eq!(s, 200);
    }
    let (_, other) = t
        .store
        .create_api_key("other", Scope::default())
        .await
        .unwrap();
    let (s, first) = t
        .action(
            &t.admin,
            "listAccounts",
            json!({"industry": "Banking", "limit": 10}),
        )
        .await;
    assert_eq!(s, 200, "{first}");
    let cursor = first["nextCursor"].as_str().unwrap();
    let (s, stolen) = t
        .action(&other, "listAccounts", json!({"cursor": cursor}))
        .await;
    assert_eq!(
        (s, stolen["error"]["code"].as_str()),
        (400, Some("INVALID_CURSOR")),
        "{stolen}"
    );
    let (s, second) = t
        .action(&t.admin, "listAccounts", json!({"cursor": cursor}))
        .await;
    assert_eq!(s, 200, "{second}");
    assert_eq!(second["records"].as_array().unwrap().len(), 10);
    assert_eq!(second["totalSize"], 25);

    use base64::Engine as _;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"u": "/services/data/../../id/x/y"}).to_string());
    let (s, refused) = t
        .action(
            &t.admin,
            "query",
            json!({"query": "SELECT Id FROM Account", "cursor": forged}),
        )
        .await;
    assert_eq!(
        (s, refused["error"]["code"].as_str()),
        (400, Some("INVALID_CURSOR")),
        "{refused}"
    );
    t.server.unwrap().shutdown().await;
}

/// Long filter values and long queries: before, past about 10,000 characters the request URL
/// could not be built and the caller read `502 CONNECTION_FAILED` ("Salesforce is down"). A
/// long query now goes through the Composite API; a value past Salesforce's limit is refused
/// by name.
#[tokio::test]
async fn long_values_and_queries_get_an_answer_not_a_502() {
    let t = T::start(1000.0).await;
    let (s, _) = t
        .action(&t.admin, "createAccount", json!({"name": "Needle"}))
        .await;
    assert_eq!(s, 200);
    let names: Vec<String> = (0..3000).map(|i| format!("'Hay {i:06}'")).collect();
    let soql = format!(
        "SELECT Id, Name FROM Account WHERE Name IN ('Needle', {})",
        names.join(", ")
    );
    assert!(soql.len() > 30_000);
    let (s, found) = t.action(&t.admin, "query", json!({"query": soql})).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["records"][0]["Name"], "Needle");
    let (s, e) = t
        .action(
            &t.admin,
            "listAccounts",
            json!({"nameContains": "x".repeat(12_000)}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("STRING_TOO_LONG")),
        "{e}"
    );
    t.server.unwrap().shutdown().await;
}

/// MCP's handshake; the session id to send with the next messages.
async fn mcp_session(t: &T, key: &str) -> Option<String> {
    let (s, session, hello) = mcp(t, Some(key), None, initialize("sfkit-test")).await;
    assert_eq!(s, 200, "{hello}");
    mcp(
        t,
        Some(key),
        session.as_deref(),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    session
}

/// A tool's error, as MCP carries it.
async fn tool_error(t: &T, session: Option<&str>, name: &str, args: Value) -> Value {
    let (_, _, answer) = mcp(t, Some(&t.admin), session, tool_call(9, name, args)).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    serde_json::from_str(answer["result"]["content"][0]["text"].as_str().unwrap()).unwrap()
}

async fn revoke(t: &T, org: &str, token: &str) {
    let r = t
        .http
        .post(format!("{org}/services/oauth2/revoke"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A session that expired and cannot be renewed is neither the API key's 401 nor a gateway's
/// 502 (Salesforce did answer): 424, with INVALID_SESSION_ID and the spec's fix, over HTTP and
/// as an MCP tool error alike.
#[tokio::test]
async fn an_unrenewable_session_is_a_424_that_says_to_reconnect() {
    let t = T::start(100.0).await;
    let org = t.local_org_url().await;
    let token = local_token(&t, &org, "admin@sfkit.local").await;
    let (s, _) = t
        .call(
            Some(&t.admin),
            reqwest::Method::POST,
            "/v1/connections",
            Some(json!({"name": "fixed", "instanceUrl": org, "kind": "token", "secrets": {"accessToken": token}})),
        )
        .await;
    assert_eq!(s, 201);
    let run = |name: &'static str| {
        t.http
            .post(t.url(&format!("/v1/actions/{name}?connection=fixed")))
            .bearer_auth(&t.admin)
            .json(&json!({}))
            .send()
    };
    assert_eq!(run("listAccounts").await.unwrap().status(), 200);
    revoke(&t, &org, &token).await;
    let r = run("listAccounts").await.unwrap();
    assert_eq!(r.status(), 424);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "INVALID_SESSION_ID", "{e}");
    assert_eq!(e["error"]["retryable"], false, "{e}");
    let message = e["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("could not be renewed"), "{message}");
    assert!(message.contains("reconnect"), "{message}");
    assert!(!e.to_string().contains(&token), "no token in the answer");
    // The API key's own refusal stays a 401, told apart by status and code.
    let r = t
        .http
        .post(t.url("/v1/actions/listAccounts?connection=fixed"))
        .bearer_auth("sfk_wrong")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let session = mcp_session(&t, &t.admin).await;
    let err = tool_error(
        &t,
        session.as_deref(),
        "listAccounts",
        json!({"connection": "fixed"}),
    )
    .await;
    assert_eq!(err["error"]["code"], "INVALID_SESSION_ID", "{err}");
    assert_eq!(err["error"]["message"], message.as_str(), "the same fix");
    t.server.unwrap().shutdown().await;
}

const NANGO_SECRET: &str = "nango-server-secret";

/// A stand-in for Nango's API: one Salesforce connection (`salesforce` / `acme`) whose tokens
/// come from the local org. On `force_refresh=true` it gets a new one, unless `broken`.
#[derive(Clone)]
struct FakeNango {
    org: String,
    token: Arc<std::sync::Mutex<String>>,
    broken: Arc<std::sync::atomic::AtomicBool>,
    forced: Arc<std::sync::atomic::AtomicUsize>,
}

impl FakeNango {
    async fn start(t: &T, org: &str) -> (Self, String) {
        let fake = FakeNango {
            org: org.to_owned(),
            token: Arc::new(std::sync::Mutex::new(
                local_token(t, org, "admin@sfkit.local").await,
            )),
            broken: Arc::default(),
            forced: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/connection/{id}", axum::routing::get(Self::connection))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (fake, url)
    }

    fn current(&self) -> String {
        self.token.lock().unwrap().clone()
    }

    fn forced(&self) -> usize {
        self.forced.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn connection(
        axum::extract::State(n): axum::extract::State<FakeNango>,
        axum::extract::Path(id): axum::extract::Path<String>,
        axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
        headers: axum::http::HeaderMap,
    ) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        let refuse = |status: axum::http::StatusCode, code: &str| {
            (
                status,
                axum::Json(json!({"error": {"code": code, "message": code}})),
            )
                .into_response()
        };
        if headers.get("authorization").and_then(|v| v.to_str().ok())
            != Some(format!("Bearer {NANGO_SECRET}").as_str())
        {
            return refuse(axum::http::StatusCode::UNAUTHORIZED, "unknown_account");
        }
        if id != "acme" || q.get("provider_config_key").map(String::as_str) != Some("salesforce") {
            return refuse(axum::http::StatusCode::NOT_FOUND, "unknown_connection");
        }
        if q.get("force_refresh").map(String::as_str) == Some("true") {
            n.forced.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if !n.broken.load(std::sync::atomic::Ordering::SeqCst) {
                let v: Value = reqwest::Client::new()
                    .post(format!("{}/services/oauth2/token", n.org))
                    .form(&[
                        ("grant_type", "password"),
                        ("client_id", "sfkit-local"),
                        ("client_secret", "sfkit-local-secret"),
                        ("username", "admin@sfkit.local"),
                        ("password", "sfkit-local"),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                *n.token.lock().unwrap() = v["access_token"].as_str().unwrap().to_owned();
            }
        }
        let token = n.current();
        axum::Json(json!({
            "id": 3, "connection_id": id, "provider_config_key": "salesforce",
            "provider": "salesforce",
            "connection_config": {"instance_url": n.org},
            "credentials": {"type": "OAUTH2", "access_token": token,
                            "raw": {"access_token": token, "instance_url": n.org}}
        }))
        .into_response()
    }
}

/// A `nango` connection: refused with a clear error while it lacks what it takes or Nango
/// refuses it; saved without an instanceUrl (Nango names the org); used by the actions; one
/// forced refresh when the session ends; 424 and the fix when Nango can no longer refresh.
#[tokio::test]
async fn a_nango_connection_gets_its_tokens_from_nango() {
    let t = T::start(100.0).await;
    let org = t.local_org_url().await;
    let (nango, nango_url) = FakeNango::start(&t, &org).await;
    let settings =
        json!({"host": nango_url, "integrationId": "salesforce", "connectionId": "acme"});
    check_nango_connections_lacking_what_they_take(&t, &settings, &nango_url).await;
    check_nango_refuses_a_wrong_key(&t, &settings).await;
    check_nango_connection_is_saved(&t, &settings, &org).await;
    check_actions_run_through_nango(&t, &nango).await;
    check_nango_refreshes_once_then_fails_with_the_fix(&t, &nango, &org).await;
    t.server.unwrap().shutdown().await;
}

/// POSTs `body` to /v1/connections with the admin key.
async fn create_connection(t: &T, body: Value) -> (u16, Value) {
    t.call(
        Some(&t.admin),
        reqwest::Method::POST,
        "/v1/connections",
        Some(body),
    )
    .await
}

/// Runs the action `name` on the `nango` connection: its status and body.
async fn run_on_nango(t: &T, name: &'static str, input: Value) -> (u16, Value) {
    let r = t
        .http
        .post(t.url(&format!("/v1/actions/{name}")))
        .bearer_auth(&t.admin)
        .header("X-Sfkit-Connection", "nango")
        .json(&input)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json::<Value>().await.unwrap())
}

/// Refused with a clear error while it lacks what it takes (or has no instanceUrl for another
/// kind).
async fn check_nango_connections_lacking_what_they_take(t: &T, settings: &Value, nango_url: &str) {
    let create = |body: Value| create_connection(t, body);
    let (s, e) = create(json!({"name": "nango", "kind": "nango", "settings": settings})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("INVALID_FIELD")),
        "{e}"
    );
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("secrets.secretKey"), "{message}");
    assert!(
        message.contains("integrationId, connectionId"),
        "what it takes: {message}"
    );
    let (s, e) = create(
        json!({"name": "nango", "kind": "nango", "settings": {"host": nango_url},
                                "secrets": {"secretKey": NANGO_SECRET}}),
    )
    .await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("settings.integrationId"),
        "{e}"
    );
    let (s, e) = create(json!({"name": "nango", "kind": "nango",
        "settings": {"host": "nango.example", "integrationId": "salesforce", "connectionId": "acme"},
        "secrets": {"secretKey": NANGO_SECRET}}))
    .await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not an http(s) URL"),
        "{e}"
    );
    let (s, e) =
        create(json!({"name": "nango", "kind": "token", "secrets": {"accessToken": "x"}})).await;
    assert_eq!(s, 400, "other kinds still need instanceUrl: {e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("instanceUrl"),
        "{e}"
    );
}

/// Nango refuses a wrong key: the connection failed (424), the key is not echoed.
async fn check_nango_refuses_a_wrong_key(t: &T, settings: &Value) {
    let create = |body: Value| create_connection(t, body);
    let (s, e) = create(
        json!({"name": "nango", "kind": "nango", "settings": settings,
                                "secrets": {"secretKey": "wrong-nango-key"}}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (424, Some("UNKNOWN_ACCOUNT")),
        "{e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("Nango"),
        "{e}"
    );
    assert!(!e.to_string().contains("wrong-nango-key"), "{e}");
}

/// Saved without an instanceUrl (Nango names the org); the secret is never shown again.
async fn check_nango_connection_is_saved(t: &T, settings: &Value, org: &str) {
    let create = |body: Value| create_connection(t, body);
    let (s, made) = create(
        json!({"name": "nango", "kind": "nango", "settings": settings,
                                   "secrets": {"secretKey": NANGO_SECRET}}),
    )
    .await;
    assert_eq!(s, 201, "{made}");
    assert_eq!(made["instanceUrl"], org, "Nango named the org");
    let (_, listed) = t
        .call(
            Some(&t.admin),
            reqwest::Method::GET,
            "/v1/connections",
            None,
        )
        .await;
    let saved = listed["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "nango")
        .cloned()
        .unwrap();
    assert_eq!(saved["kind"], "nango");
    assert_eq!(saved["settings"]["connectionId"], "acme");
    assert!(
        !listed.to_string().contains(NANGO_SECRET),
        "never shown again"
    );
}

/// The actions run on the connection, with no forced refresh.
async fn check_actions_run_through_nango(t: &T, nango: &FakeNango) {
    let run = |name: &'static str, input: Value| run_on_nango(t, name, input);
    let (s, out) = run("createAccount", json!({"name": "Through Nango"})).await;
    assert_eq!((s, out["success"].as_bool()), (200, Some(true)), "{out}");
    let (s, out) = run("listAccounts", json!({})).await;
    assert_eq!(s, 200, "{out}");
    assert!(
        out["records"].to_string().contains("Through Nango"),
        "{out}"
    );
    assert_eq!(nango.forced(), 0);
}

/// One forced refresh when the session ends; 424 and the fix when Nango can no longer refresh.
async fn check_nango_refreshes_once_then_fails_with_the_fix(t: &T, nango: &FakeNango, org: &str) {
    let run = |name: &'static str, input: Value| run_on_nango(t, name, input);
    // The session ends: one forced refresh, and the action answers.
    revoke(t, org, &nango.current()).await;
    let (s, out) = run("listAccounts", json!({})).await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(nango.forced(), 1);

    // Nango can no longer refresh: one more forced refresh, then 424 and the fix.
    nango
        .broken
        .store(true, std::sync::atomic::Ordering::SeqCst);
    revoke(t, org, &nango.current()).await;
    let (s, e) = run("listAccounts", json!({})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (424, Some("INVALID_SESSION_ID")),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reconnect"),
        "{e}"
    );
    assert_eq!(nango.forced(), 2, "one forced refresh per call");
}
