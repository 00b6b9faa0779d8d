//! The catalog's routes: listing and describing actions, and running one (shared with MCP).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sfkit_actions::Ctx;
use sfkit_store::ApiKey;

use crate::auth::Authed;
use crate::errors::Refusal;
use crate::handlers::json_body;
use crate::state::{AppState, Shared};

pub(crate) async fn metrics(_key: Authed, State(st): State<Shared>) -> Response {
    let body = st.metrics.render(&st.clients.usage());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

pub(crate) async fn list_actions(_key: Authed, State(st): State<Shared>) -> Json<Value> {
    let actions: Vec<Value> = st.catalog.actions().iter().map(|a| a.to_json()).collect();
    Json(json!({ "actions": actions }))
}

pub(crate) async fn describe_action(
    _key: Authed,
    State(st): State<Shared>,
    Path(name): Path<String>,
) -> Result<Json<Value>, Refusal> {
    match st.catalog.get(&name) {
        Some(a) => Ok(Json(a.to_json())),
        None => Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no action named {name:?}"),
        )),
    }
}

pub(crate) async fn openapi(State(st): State<Shared>) -> Json<Value> {
    Json(crate::openapi::document(&st.catalog))
}

#[derive(serde::Deserialize)]
pub(crate) struct ConnectionQuery {
    pub(crate) connection: Option<String>,
}

pub(crate) async fn run_action(
    Authed(key): Authed,
    State(st): State<Shared>,
    Path(name): Path<String>,
    Query(q): Query<ConnectionQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, Refusal> {
    let input = json_body(body)?;
    let chosen = headers
        .get("x-sfkit-connection")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(q.connection);
    Ok(Json(execute(&st, &key, &name, chosen, &input).await?))
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
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no action named {name:?}; GET /v1/actions lists them"),
        ));
    };
    if key.scope.read_only && !action.read_only() {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "INSUFFICIENT_ACCESS",
            format!("this API key may only run read-only actions, and {name} writes"),
        ));
    }
    let connection = choose_connection(st, connection).await?;
    if !key.scope.allows_connection(&connection) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "INSUFFICIENT_ACCESS",
            format!("this API key may not use the connection {connection:?}"),
        ));
    }
    let client = match &st.default_connection {
        Some((name, client)) if *name == connection => Some(client.clone()),
        _ => st
            .clients
            .get(st.store.as_ref(), &connection, st.local_org.as_ref())
            .await
            .map_err(|e| Refusal::new(StatusCode::BAD_GATEWAY, "CONNECTION_FAILED", e))?,
    };
    let Some(client) = client else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no connection named {connection:?}"),
        ));
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
        Ok(done) => Ok(done?),
        Err(_) => Err(Refusal::new(
            StatusCode::GATEWAY_TIMEOUT,
            "REQUEST_TIMEOUT",
            "the action took too long",
        )),
    }
}

/// The connection a call runs on: the one it names, else the process's own, else the only
/// one saved.
async fn choose_connection(st: &AppState, named: Option<String>) -> Result<String, Refusal> {
    if let Some(c) = named {
        return Ok(c);
    }
    if let Some((name, _)) = &st.default_connection {
        return Ok(name.clone());
    }
    let names = connection_names(st).await.map_err(|e| Refusal::store(&e))?;
    match <[String; 1]>::try_from(names) {
        Ok([only]) => Ok(only),
        Err(names) => Err(Refusal::new(
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
        )),
    }
}

/// The saved connections' names (briefly cached: most calls name none and take the only one).
pub(crate) async fn connection_names(st: &AppState) -> Result<Vec<String>, sfkit_store::Error> {
    if let Some(names) = st.connection_names.get() {
        return Ok(names);
    }
    let names: Vec<String> = st
        .store
        .list_connections()
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    st.connection_names.put(names.clone());
    Ok(names)
}
