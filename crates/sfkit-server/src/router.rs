//! The route table and its layers, and starting and stopping the server.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use sfkit_actions::Catalog;
use sfkit_client::auth::LoginKind;
use sfkit_store::Connection;

use crate::auth::{Keys, require_key};
use crate::connections::Clients;
use crate::errors::error;
use crate::handlers::actions::{describe_action, list_actions, metrics, openapi, run_action};
use crate::handlers::api_keys;
use crate::handlers::connections::{create_connection, delete_connection, list_connections};
use crate::handlers::oauth::{oauth_callback, redirect_to_salesforce, start_connect};
use crate::local_org::LocalOrg;
use crate::metrics::Metrics;
use crate::state::{AppState, ConnectionNames, Shared};
use crate::{Error, ServerConfig};

/// Starts servers.
#[derive(Debug)]
pub struct Server;

/// A running server.
pub struct ServerHandle {
    pub(crate) url: String,
    pub(crate) stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub(crate) task: tokio::task::JoinHandle<()>,
    pub(crate) local: Option<Arc<LocalOrg>>,
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

impl Server {
    /// The shared state, with the local org started when it is to be served.
    async fn state(config: &ServerConfig) -> Result<(Arc<AppState>, Option<Arc<LocalOrg>>), Error> {
        let store = Arc::clone(&config.store);
        let mut local = None;
        if let Some(dir) = &config.local_org_dir {
            let existing = store.list_connections().await?;
            let local_kind = LoginKind::Local.as_str();
            let wanted = existing.iter().any(|c| c.kind == local_kind)
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
                        Connection::new("local", found.url, local_kind, json!({})),
                        json!({}),
                    )
                    .await?;
                local = Some(org);
            }
        }
        let state = Arc::new(AppState {
            keys: Keys::new(
                config.cache_ttl,
                config.revocation_check,
                config.rate_per_key,
            ),
            connection_names: ConnectionNames::new(config.cache_ttl),
            url: std::sync::OnceLock::new(),
            pending: parking_lot::Mutex::new(std::collections::HashMap::new()),
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
        // The token ends MCP's sessions when the server stops.
        let mcp_stop = tokio_util::sync::CancellationToken::new();
        let app = routes(&config, &state, mcp_stop.child_token());
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

/// The whole route table with its layers.
fn routes(
    config: &ServerConfig,
    state: &Shared,
    mcp_stop: tokio_util::sync::CancellationToken,
) -> Router {
    // Every handler here takes the `Authed` extractor first: no key, no work.
    let api = Router::new()
        .route("/metrics", get(metrics))
        .route("/v1/actions", get(list_actions))
        .route("/v1/actions/{name}", get(describe_action).post(run_action))
        .route(
            "/v1/connections",
            get(list_connections).post(create_connection),
        )
        .route("/v1/connections/{name}", delete(delete_connection))
        .route("/v1/connections/{name}/authorize", post(start_connect))
        .route("/v1/apikeys", get(api_keys::list).post(api_keys::create))
        .route("/v1/apikeys/{name}", delete(api_keys::revoke));
    // MCP over streamable HTTP, behind the same key check, which runs first: nothing of an
    // unknown caller's body is read.
    let mcp = Router::new()
        .nest_service("/mcp", mcp_service(config, state, mcp_stop))
        .layer(middleware::from_fn_with_state(
            config.body_limit,
            crate::errors::mcp_errors,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(state),
            require_key,
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
        .layer(middleware::from_fn_with_state(Arc::clone(state), measure))
        .with_state(Arc::clone(state));
    // Around the whole router, so that it sees answers as they leave (a 405 gets its Allow
    // header from the router, outside any layer on a route).
    Router::new()
        .fallback_service(app)
        .layer(middleware::from_fn(crate::errors::api_errors))
}

/// The catalog as MCP tools over streamable HTTP: plain JSON answers, no SSE keep-alive, hosts
/// checked against DNS rebinding (loopback, and the public host).
fn mcp_service(
    config: &ServerConfig,
    state: &Shared,
    stop: tokio_util::sync::CancellationToken,
) -> StreamableHttpService<crate::mcp::Mcp, LocalSessionManager> {
    let mut mcp_config = StreamableHttpServerConfig::default().with_cancellation_token(stop);
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
    let st = Arc::clone(state);
    StreamableHttpService::new(
        move || {
            Ok(crate::mcp::Mcp {
                state: Arc::clone(&st),
                local_key: None,
            })
        },
        Arc::new(LocalSessionManager::default()),
        mcp_config,
    )
}

/// Counts every request by route and status, with its latency.
pub(crate) async fn measure(State(st): State<Shared>, req: Request, next: Next) -> Response {
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
