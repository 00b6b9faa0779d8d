//! The router, the API-key check, and the handlers.

use std::sync::Arc;
use std::time::Instant;

use crate::local_org::LocalOrg;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use sfkit_actions::{ActionError, Catalog, Ctx};
use sfkit_store::{ApiKey, Connection, Store};

use crate::connections::{Clients, KINDS, source};
use crate::errors::{error, status_of};
use crate::metrics::Metrics;
use crate::rate::RateLimiter;
use crate::{Error, ServerConfig};

pub(crate) struct AppState {
    /// Recently verified API keys and the connection names, kept `cache_ttl` (see
    /// [`ServerConfig::cache_ttl`]); changes made through this server clear them at once, keys
    /// revoked elsewhere clear them within `revocation_check`.
    pub(crate) cache: Cache,
    /// The server's own URL, for OAuth redirects (known once bound).
    url: std::sync::OnceLock<String>,
    /// OAuth connect flows waiting for their callback, by `state`.
    pending: std::sync::Mutex<std::collections::HashMap<String, Pending>>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) catalog: Catalog,
    clients: Clients,
    /// The local org, when it is one of the connections.
    local_org: Option<Arc<LocalOrg>>,
    /// The connection the process was started with (`sfkit serve --org NAME`), used when a
    /// call names none.
    default_connection: Option<(String, sfkit_client::Client)>,
    /// Tool results held back for an agent's `moreResults` calls.
    pub(crate) mcp_pages: crate::mcp::Pages,
    /// Seals the actions' paging cursors (a key of this process's own).
    cursors: sfkit_actions::Cursors,
    rate: RateLimiter,
    metrics: Metrics,
    timeout: std::time::Duration,
}

type Shared = Arc<AppState>;

#[derive(Default)]
pub(crate) struct Cache {
    ttl: std::time::Duration,
    /// By the key's text (this process already holds it; nothing is written anywhere).
    keys: std::sync::Mutex<std::collections::HashMap<String, (ApiKey, Instant)>>,
    /// Bumped whenever keys are forgotten, so that a check that began before cannot put back
    /// what was just forgotten.
    epoch: std::sync::atomic::AtomicU64,
    /// The store's revocation revision last seen, and when it was read.
    revision: tokio::sync::Mutex<(Option<u64>, Option<Instant>)>,
    /// How often the revision is read (while requests come).
    revision_every: std::time::Duration,
    connections: std::sync::Mutex<Option<(Vec<String>, Instant)>>,
}

impl Cache {
    fn keys(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (ApiKey, Instant)>> {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn key(&self, key: &str) -> Option<ApiKey> {
        self.keys()
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(k, _)| k.clone())
    }

    /// The epoch to hand [`Cache::put_key`] once the store has verified a key.
    fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Keeps a key the store verified, unless keys were forgotten since `epoch` (the check
    /// may predate a revocation).
    fn put_key(&self, key: &str, record: &ApiKey, epoch: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut keys = self.keys();
        if self.epoch() != epoch {
            return;
        }
        if keys.len() > 10_000 {
            keys.clear();
        }
        keys.insert(key.to_owned(), (record.clone(), Instant::now()));
    }

    /// Forgets the key with this id or name (revoked through this server).
    pub(crate) fn forget_key(&self, id_or_name: &str) {
        let mut keys = self.keys();
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        keys.retain(|_, (k, _)| k.id != id_or_name && k.name != id_or_name);
    }

    fn forget_keys(&self) {
        let mut keys = self.keys();
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        keys.clear();
    }

    /// Forgets every kept key when the store says a key was revoked since the last look (by
    /// another process: `sfkit apikey revoke`, another replica). The store is asked at most
    /// once per `revision_every`, by one request while the others wait: a busy server reads
    /// a number a few times a second instead of hashing every request's key.
    async fn follow_revocations(&self, store: &dyn Store) {
        if self.ttl.is_zero() {
            return;
        }
        let mut revision = self.revision.lock().await;
        if revision
            .1
            .is_some_and(|at| at.elapsed() < self.revision_every)
        {
            return;
        }
        match store.api_keys_revision().await {
            Ok(n) => {
                if revision.0 != Some(n) {
                    self.forget_keys();
                }
                *revision = (Some(n), Some(Instant::now()));
            }
            Err(e) => {
                // Unknown whether a key was revoked: trust none of those kept.
                tracing::warn!(error = %e, "reading the API keys' revision");
                self.forget_keys();
            }
        }
    }

    fn connections(&self) -> Option<Vec<String>> {
        self.connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(c, _)| c.clone())
    }

    fn put_connections(&self, names: Vec<String>) {
        if !self.ttl.is_zero() {
            *self
                .connections
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((names, Instant::now()));
        }
    }

    fn clear_connections(&self) {
        *self
            .connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

/// An OAuth connect flow between its start and its callback.
struct Pending {
    name: String,
    login_url: String,
    client_id: String,
    client_secret: Option<String>,
    flow: sfkit_client::auth::AuthorizationRequest,
    started: Instant,
}

/// How long a person has to finish logging in.
const FLOW_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// Starts servers.
#[derive(Debug)]
pub struct Server;

/// A running server.
pub struct ServerHandle {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    local: Option<Arc<LocalOrg>>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops accepting, lets requests in flight finish, then stops the local org.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        if let Some(org) = self.local.take() {
            org.close().await;
        }
    }
}

fn action_error(e: &ActionError) -> Response {
    (status_of(e), axum::Json(json!({ "error": e }))).into_response()
}

impl Server {
    /// The shared state, with the local org started when it is to be served.
    async fn state(config: &ServerConfig) -> Result<(Arc<AppState>, Option<Arc<LocalOrg>>), Error> {
        let store = Arc::clone(&config.store);
        let mut local = None;
        if let Some(dir) = &config.local_org_dir {
            let existing = store.list_connections().await?;
            let wanted = existing.iter().any(|c| c.kind == "local")
                || (existing.is_empty() && config.default_connection.is_none());
            if wanted {
                // Served from here, or by the process that already serves it.
                let org = config
                    .local_org
                    .clone()
                    .unwrap_or_else(|| LocalOrg::new(dir));
                let found = org.open().await?;
                // Its address changes with the process serving it: the row shows where it was
                // found; calls find it anew.
                store
                    .put_connection(
                        Connection::new("local", found.url, "local", json!({})),
                        json!({}),
                    )
                    .await?;
                local = Some(org);
            }
        }
        let state = Arc::new(AppState {
            cache: Cache {
                ttl: config.cache_ttl,
                revision_every: config.revocation_check,
                ..Cache::default()
            },
            url: std::sync::OnceLock::new(),
            pending: std::sync::Mutex::new(std::collections::HashMap::new()),
            store,
            catalog: Catalog::new(),
            clients: Clients::default(),
            local_org: local.clone(),
            default_connection: config.default_connection.clone(),
            mcp_pages: crate::mcp::Pages::default(),
            cursors: config
                .cursors
                .clone()
                .unwrap_or_else(|| sfkit_actions::Cursors::ephemeral("")),
            rate: RateLimiter::new(config.rate_per_key),
            metrics: Metrics::default(),
            timeout: config.request_timeout,
        });
        Ok((state, local))
    }

    /// Serves the catalog as MCP tools over this process's stdin and stdout (`sfkit mcp`),
    /// as the local user (no key), until the client leaves.
    pub async fn serve_mcp_stdio(config: ServerConfig) -> Result<(), Error> {
        use rmcp::ServiceExt as _;
        let (state, local) = Self::state(&config).await?;
        let mcp = crate::mcp::Mcp {
            state,
            local_key: Some(sfkit_store::ApiKey::local_user()),
        };
        let running = mcp
            .serve(rmcp::transport::io::stdio())
            .await
            .map_err(|e| Error::Mcp(e.to_string()))?;
        let _ = running.waiting().await;
        if let Some(org) = local {
            org.close().await;
        }
        Ok(())
    }

    /// Starts serving; with `local_org_dir` set and no connection saved, the local org too.
    pub async fn start(config: ServerConfig) -> Result<ServerHandle, Error> {
        let (state, local) = Self::state(&config).await?;
        let api = Router::new()
            .route("/metrics", get(metrics))
            .route("/v1/actions", get(list_actions))
            .route("/v1/actions/{name}", get(describe_action).post(run_action))
            .route(
                "/v1/connections",
                get(list_connections).post(create_connection),
            )
            .route(
                "/v1/connections/{name}",
                axum::routing::delete(delete_connection),
            )
            .route(
                "/v1/connections/{name}/authorize",
                axum::routing::post(start_connect),
            )
            .route(
                "/v1/apikeys",
                get(crate::api_keys::list).post(crate::api_keys::create),
            )
            .route(
                "/v1/apikeys/{name}",
                axum::routing::delete(crate::api_keys::revoke),
            )
            .route_layer(middleware::from_fn_with_state(
                Arc::clone(&state),
                authenticate,
            ));
        // MCP over streamable HTTP, behind the same key check; answers are plain JSON, and the
        // token ends its sessions when the server stops.
        let mcp_stop = tokio_util::sync::CancellationToken::new();
        let mcp_service = {
            let st = Arc::clone(&state);
            let mut mcp_config =
                rmcp::transport::streamable_http_server::StreamableHttpServerConfig::default()
                    .with_cancellation_token(mcp_stop.child_token());
            // MCP checks the Host header against DNS rebinding: loopback, and the public host.
            let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
            if let Some(host) = config
                .public_url
                .as_deref()
                .and_then(|u| u.split("://").nth(1))
                .and_then(|rest| rest.split('/').next())
                .filter(|h| !h.is_empty())
            {
                hosts.push(host.to_owned());
                if let Some((name, _port)) = host.rsplit_once(':') {
                    hosts.push(name.to_owned());
                }
            }
            mcp_config = mcp_config.with_allowed_hosts(hosts);
            mcp_config.json_response = true;
            mcp_config.legacy_session_mode = false;
            mcp_config.sse_keep_alive = None;
            rmcp::transport::streamable_http_server::StreamableHttpService::new(
                move || {
                    Ok(crate::mcp::Mcp {
                        state: Arc::clone(&st),
                        local_key: None,
                    })
                },
                Arc::new(rmcp::transport::streamable_http_server::session::local::LocalSessionManager::default()),
                mcp_config,
            )
        };
        // The key is checked first: nothing of an unknown caller's body is read.
        let mcp = Router::new()
            .nest_service("/mcp", mcp_service)
            .layer(middleware::from_fn_with_state(
                config.body_limit,
                crate::errors::mcp_errors,
            ))
            .layer(middleware::from_fn_with_state(
                Arc::clone(&state),
                authenticate,
            ));
        let app = Router::new()
            .route(
                "/healthz",
                get(|| async { axum::Json(json!({"status": "ok"})) }),
            )
            // The browser's legs of the OAuth connect flow: the unguessable `state` stands for
            // the API key, which a browser cannot send.
            .route("/v1/oauth/start/{state}", get(redirect_to_salesforce))
            .route("/v1/oauth/callback", get(oauth_callback))
            // The API's description is public: clients read it before they have a key.
            .route("/v1/openapi.json", get(openapi))
            .merge(api)
            .merge(mcp)
            .fallback(|| async { error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such endpoint") })
            .layer(DefaultBodyLimit::max(config.body_limit))
            .layer(middleware::from_fn_with_state(Arc::clone(&state), measure))
            .with_state(Arc::clone(&state));
        // Around the whole router, so that it sees answers as they leave (a 405 gets its Allow
        // header from the router, outside any layer on a route).
        let app = Router::new()
            .fallback_service(app)
            .layer(middleware::from_fn(crate::errors::api_errors));
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| Error::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.addr,
            source,
        })?;
        let _ = state.url.set(
            config
                .public_url
                .clone()
                .map(|u| u.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| format!("http://{addr}")),
        );
        let limits = crate::listener::Limits {
            max_connections: config.max_connections,
            header_read_timeout: config.header_read_timeout,
            body_read_timeout: config.body_read_timeout,
            idle_timeout: config.idle_timeout,
            send_timeout: config.send_timeout,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let stopping = tokio_util::sync::CancellationToken::new();
            let serving = crate::listener::serve(listener, app, limits, stopping.clone());
            // Told to stop (or the handle dropped): stop accepting, end MCP sessions, and let the
            // requests under way finish.
            let stop = async move {
                let _ = stopped.await;
                mcp_stop.cancel();
                stopping.cancel();
                std::future::pending::<()>().await;
            };
            tokio::select! {
                () = serving => {}
                () = stop => {}
            }
        });
        Ok(ServerHandle {
            url: format!("http://{addr}"),
            stop: Some(stop),
            task,
            local,
        })
    }
}

/// Counts every request by route and status, with its latency.
async fn measure(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().clone();
    let t = Instant::now();
    let r = next.run(req).await;
    let took = t.elapsed();
    st.metrics.record(&route, r.status().as_u16(), took);
    // The route, not the URI: a query string may carry user data; headers are never logged.
    tracing::info!(
        %method,
        route = %route,
        status = r.status().as_u16(),
        ms = took.as_secs_f64() * 1e3,
        "request"
    );
    r
}

/// Requires a valid API key (`Authorization: Bearer KEY`) and a free slot in its rate.
async fn authenticate(State(st): State<Shared>, mut req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let Some(key) = key else {
        return unauthorized(
            "an API key is required: Authorization: Bearer KEY (`sfkit apikey create NAME`)",
        );
    };
    st.cache.follow_revocations(st.store.as_ref()).await;
    let epoch = st.cache.epoch();
    // A kept key is not put back: its time in the cache runs from the store's check, so even a
    // busy key is checked again every `cache_ttl`.
    let record = match st.cache.key(&key) {
        Some(r) => r,
        None => match st.store.verify_api_key(&key).await {
            Ok(Some(r)) => {
                st.cache.put_key(&key, &r, epoch);
                r
            }
            Ok(None) => return unauthorized("the API key is not valid (wrong, or revoked)"),
            Err(e) => {
                tracing::error!(error = %e, "checking an API key");
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "STORE_UNAVAILABLE",
                    "the server's store failed",
                );
            }
        },
    };
    if let Err(wait) = st.rate.take(&record.id) {
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "REQUEST_LIMIT_EXCEEDED",
            format!("this API key's request rate is used up; retry in {wait:.2} s"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("{}", wait.ceil().max(1.0))) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    req.extensions_mut().insert(record);
    next.run(req).await
}

fn unauthorized(message: &str) -> Response {
    let mut r = error(StatusCode::UNAUTHORIZED, "INVALID_AUTH_HEADER", message);
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

async fn metrics(State(st): State<Shared>) -> Response {
    let body = st.metrics.render(&st.clients.usage());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn list_actions(State(st): State<Shared>) -> Response {
    let actions: Vec<Value> = st.catalog.actions().iter().map(|a| a.to_json()).collect();
    axum::Json(json!({ "actions": actions })).into_response()
}

async fn describe_action(State(st): State<Shared>, Path(name): Path<String>) -> Response {
    match st.catalog.get(&name) {
        Some(a) => axum::Json(a.to_json()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no action named {name:?}"),
        ),
    }
}

async fn openapi(State(st): State<Shared>) -> Response {
    axum::Json(crate::openapi::document(&st.catalog)).into_response()
}

/// The body as JSON, with Salesforce-shaped errors for what is too large or not JSON.
// The error is the handler's answer, made once per refused request: its size does not matter.
#[allow(clippy::result_large_err)]
pub(crate) fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, Response> {
    let bytes = body.map_err(|r| {
        if crate::listener::is_body_timeout(&r) {
            let mut answer = error(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "the request body did not arrive in time",
            );
            // The rest of the body may still come: the connection cannot serve another request.
            answer
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return answer;
        }
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "REQUEST_ENTITY_TOO_LARGE"
        } else {
            "JSON_PARSER_ERROR"
        };
        error(status, code, r.body_text())
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            format!("the body is not JSON: {e}"),
        )
    })
}

#[derive(serde::Deserialize)]
struct ConnectionQuery {
    connection: Option<String>,
}

async fn run_action(
    State(st): State<Shared>,
    Path(name): Path<String>,
    Query(q): Query<ConnectionQuery>,
    headers: HeaderMap,
    key: axum::Extension<ApiKey>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let input = match json_body(body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let chosen = headers
        .get("x-sfkit-connection")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(q.connection);
    match execute(&st, &key, &name, chosen, &input).await {
        Ok(out) => axum::Json(out).into_response(),
        Err(Refusal(status, e)) => (status, axum::Json(json!({ "error": e }))).into_response(),
    }
}

/// Why an action was not run or failed: the HTTP status and the error.
pub(crate) struct Refusal(pub(crate) StatusCode, pub(crate) ActionError);

fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Refusal {
    Refusal(status, ActionError::invalid(code, message, Vec::new()))
}

/// Runs an action for a key: its scope checked, the connection chosen (`connection`, else the
/// only one), the action run with the server's timeout. Shared by HTTP and MCP.
pub(crate) async fn execute(
    st: &AppState,
    key: &ApiKey,
    name: &str,
    connection: Option<String>,
    input: &Value,
) -> Result<Value, Refusal> {
    let Some(action) = st.catalog.get(name) else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no action named {name:?}; GET /v1/actions lists them"),
        ));
    };
    if key.scope.read_only && !action.read_only() {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "INSUFFICIENT_ACCESS",
            format!("this API key may only run read-only actions, and {name} writes"),
        ));
    }
    let connection = match (connection, &st.default_connection) {
        (Some(c), _) => c,
        (None, Some((name, _))) => name.clone(),
        (None, None) => match connection_names(st).await {
            Ok(names) if names.len() == 1 => names.into_iter().next().unwrap_or_default(),
            Ok(names) => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "CONNECTION_REQUIRED",
                    format!(
                        "choose a connection with the X-Sfkit-Connection header or ?connection= (saved: {})",
                        if names.is_empty() {
                            "none".into()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
            }
            Err(e) => {
                return Err(refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "STORE_UNAVAILABLE",
                    e.to_string(),
                ));
            }
        },
    };
    if !key.scope.allows_connection(&connection) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "INSUFFICIENT_ACCESS",
            format!("this API key may not use the connection {connection:?}"),
        ));
    }
    let found = match &st.default_connection {
        Some((name, client)) if *name == connection => Ok(Some(client.clone())),
        _ => {
            st.clients
                .get(st.store.as_ref(), &connection, st.local_org.as_ref())
                .await
        }
    };
    let client = match found {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("no connection named {connection:?}"),
            ));
        }
        Err(e) => return Err(refuse(StatusCode::BAD_GATEWAY, "CONNECTION_FAILED", e)),
    };
    // Cursors are bound to the key and the connection: another key, or this key on another
    // connection, cannot continue them.
    let ctx = Ctx {
        client,
        cursors: st
            .cursors
            .bound_to(format!("key {}\u{1f}connection {connection}", key.id)),
    };
    match tokio::time::timeout(st.timeout, st.catalog.run(&ctx, name, input)).await {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(e)) => Err(Refusal(status_of(&e), e)),
        Err(_) => Err(refuse(
            StatusCode::GATEWAY_TIMEOUT,
            "REQUEST_TIMEOUT",
            "the action took too long",
        )),
    }
}

async fn list_connections(State(st): State<Shared>, key: axum::Extension<ApiKey>) -> Response {
    match st.store.list_connections().await {
        Ok(all) => {
            let visible: Vec<Value> = all
                .into_iter()
                .filter(|c| key.scope.allows_connection(&c.name))
                .map(|c| json!({"name": c.name, "instanceUrl": c.instance_url, "kind": c.kind, "settings": c.settings}))
                .collect();
            axum::Json(json!({ "connections": visible })).into_response()
        }
        Err(e) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "STORE_UNAVAILABLE",
            e.to_string(),
        ),
    }
}

/// The saved connections' names (briefly cached: most calls name none and take the only one).
async fn connection_names(st: &AppState) -> Result<Vec<String>, sfkit_store::Error> {
    if let Some(names) = st.cache.connections() {
        return Ok(names);
    }
    let names: Vec<String> = st
        .store
        .list_connections()
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    st.cache.put_connections(names.clone());
    Ok(names)
}

/// Keys limited to connections or to reading cannot manage connections.
#[allow(clippy::result_large_err)]
fn may_manage(key: &ApiKey) -> Result<(), Response> {
    if key.scope.read_only || !key.scope.connections.is_empty() {
        return Err(error(
            StatusCode::FORBIDDEN,
            "INSUFFICIENT_ACCESS",
            "managing connections needs an API key without limits",
        ));
    }
    Ok(())
}

/// The JSON body of a request that manages connections, once the key may do so.
#[allow(clippy::result_large_err)]
fn managing_input(key: &ApiKey, body: Result<Bytes, BytesRejection>) -> Result<Value, Response> {
    may_manage(key)?;
    json_body(body)
}

async fn create_connection(
    State(st): State<Shared>,
    key: axum::Extension<ApiKey>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let input = match managing_input(&key, body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let field = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(name), Some(kind)) = (field("name"), field("kind")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            format!(
                "a connection needs name, kind (one of {}) and, but for nango, instanceUrl",
                KINDS.join(", ")
            ),
        );
    };
    // Nango names the org with each token; every other kind must be told where it is.
    let instance_url = match field("instanceUrl") {
        Some(url) => url,
        None if kind == "nango" => String::new(),
        None => {
            return error(
                StatusCode::BAD_REQUEST,
                "REQUIRED_FIELD_MISSING",
                format!(
                    "a {kind} connection needs instanceUrl (the org's URL, https://MyDomain.my.salesforce.com)"
                ),
            );
        }
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            "a connection name is letters, digits, - and _",
        );
    }
    let settings = input.get("settings").cloned().unwrap_or_else(|| json!({}));
    let secrets = input.get("secrets").cloned().unwrap_or_else(|| json!({}));
    let mut conn = Connection::new(name.clone(), instance_url, kind, settings);
    // Check it logs in before keeping it.
    let client = match source(&conn, &secrets).and_then(|s| {
        let mut builder = sfkit_client::Client::builder().token_source(s);
        if !conn.instance_url.is_empty() {
            builder = builder.instance_url(conn.instance_url.clone());
        }
        builder.build().map_err(|e| e.to_string())
    }) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, "INVALID_FIELD", e),
    };
    if let Err(e) = client.userinfo().await {
        return action_error(&ActionError::from(e));
    }
    if conn.kind == "nango" {
        // Where Nango's tokens lead, whatever the request said.
        match client.instance_url().await {
            Ok(url) => conn.instance_url = url,
            Err(e) => return action_error(&ActionError::from(e)),
        }
    }
    if let Err(e) = st.store.put_connection(conn.clone(), secrets).await {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "STORE_UNAVAILABLE",
            e.to_string(),
        );
    }
    st.clients.forget(&name);
    st.cache.clear_connections();
    (
        StatusCode::CREATED,
        axum::Json(json!({"name": conn.name, "instanceUrl": conn.instance_url, "kind": conn.kind})),
    )
        .into_response()
}

async fn delete_connection(
    State(st): State<Shared>,
    key: axum::Extension<ApiKey>,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = may_manage(&key) {
        return r;
    }
    match st.store.delete_connection(&name).await {
        Ok(true) => {
            st.clients.forget(&name);
            st.cache.clear_connections();
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no connection named {name:?}"),
        ),
        Err(e) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "STORE_UNAVAILABLE",
            e.to_string(),
        ),
    }
}

/// `POST /v1/connections/{name}/authorize` with `{loginUrl, clientId, clientSecret?}`: starts
/// the OAuth web flow for a new connection; answers the URL to send the person to.
async fn start_connect(
    State(st): State<Shared>,
    key: axum::Extension<ApiKey>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let input = match managing_input(&key, body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let field = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(login_url), Some(client_id)) = (field("loginUrl"), field("clientId")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            "the connect flow needs loginUrl and clientId (and clientSecret if the app requires it)",
        );
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            "a connection name is letters, digits, - and _",
        );
    }
    let base = st.url.get().cloned().unwrap_or_default();
    let client_secret = field("clientSecret");
    let mut flow = sfkit_client::auth::AuthorizationRequest::new(
        login_url.clone(),
        client_id.clone(),
        format!("{base}/v1/oauth/callback"),
    )
    .scope("api refresh_token");
    if let Some(s) = &client_secret {
        flow = flow.client_secret(s.clone());
    }
    let state = flow.state().to_owned();
    {
        let mut pending = st
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.retain(|_, p| p.started.elapsed() < FLOW_TTL);
        pending.insert(
            state.clone(),
            Pending {
                name,
                login_url,
                client_id,
                client_secret,
                flow,
                started: Instant::now(),
            },
        );
    }
    axum::Json(json!({
        "authorizeUrl": format!("{base}/v1/oauth/start/{state}"),
        "expiresInSeconds": FLOW_TTL.as_secs(),
    }))
    .into_response()
}

/// `GET /v1/oauth/start/{state}`: sends the browser to Salesforce's login page.
async fn redirect_to_salesforce(State(st): State<Shared>, Path(state): Path<String>) -> Response {
    let url = {
        let pending = st
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending
            .get(&state)
            .filter(|p| p.started.elapsed() < FLOW_TTL)
            .map(|p| p.flow.url())
    };
    match url {
        Some(Ok(u)) => (StatusCode::FOUND, [(header::LOCATION, u.to_string())]).into_response(),
        Some(Err(e)) => error(StatusCode::BAD_REQUEST, "INVALID_FIELD", e.to_string()),
        None => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "this login link expired or was used; start again",
        ),
    }
}

#[derive(serde::Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /v1/oauth/callback`: trades the code for tokens and saves the connection.
async fn oauth_callback(State(st): State<Shared>, Query(cb): Query<Callback>) -> Response {
    let Some(p) = cb.state.as_ref().and_then(|s| {
        st.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(s)
    }) else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_STATE",
            "unknown or used login; start again",
        );
    };
    if let Some(e) = cb.error {
        return error(
            StatusCode::BAD_REQUEST,
            "OAUTH_DENIED",
            format!(
                "Salesforce refused the login: {e} {}",
                cb.error_description.unwrap_or_default()
            ),
        );
    }
    let Some(code) = cb.code else {
        return error(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            "the callback has no code",
        );
    };
    let http = match sfkit_client::Client::builder()
        .token_source(sfkit_client::auth::StaticToken::new(
            "unused",
            p.login_url.clone(),
        ))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "UNKNOWN_EXCEPTION",
                e.to_string(),
            );
        }
    };
    let token = match p.flow.exchange(http.http(), &code).await {
        Ok(t) => t,
        Err(e) => return action_error(&ActionError::from(e)),
    };
    let Some(refresh) = token.refresh_token else {
        return error(
            StatusCode::BAD_REQUEST,
            "NO_REFRESH_TOKEN",
            "Salesforce gave no refresh token: add the refresh_token scope to the connected app",
        );
    };
    let instance = token.instance_url.unwrap_or_else(|| p.login_url.clone());
    let mut secrets = json!({"refreshToken": refresh.expose()});
    if let (Some(s), Value::Object(m)) = (&p.client_secret, &mut secrets) {
        m.insert("clientSecret".into(), json!(s));
    }
    let conn = Connection::new(
        p.name.clone(),
        instance,
        "refresh_token",
        json!({"clientId": p.client_id, "loginUrl": p.login_url}),
    );
    if let Err(e) = st.store.put_connection(conn, secrets).await {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "STORE_UNAVAILABLE",
            e.to_string(),
        );
    }
    st.clients.forget(&p.name);
    st.cache.clear_connections();
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "Connected: sfkit saved the connection {:?}. You can close this tab.",
            p.name
        ),
    )
        .into_response()
}
