//! The catalog's routes: listing and describing actions, and running one (shared with MCP).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sfkit_actions::{ActionError, Ctx};
use sfkit_store::ApiKey;

use crate::errors::{error, status_of};
use crate::handlers::json_body;
use crate::state::{AppState, Shared};

pub(crate) fn action_error(e: &ActionError) -> Response {
    (status_of(e), axum::Json(json!({ "error": e }))).into_response()
}

pub(crate) async fn metrics(State(st): State<Shared>) -> Response {
    let body = st.metrics.render(&st.clients.usage());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

pub(crate) async fn list_actions(State(st): State<Shared>) -> Response {
    let actions: Vec<Value> = st.catalog.actions().iter().map(|a| a.to_json()).collect();
    axum::Json(json!({ "actions": actions })).into_response()
}

pub(crate) async fn describe_action(
    State(st): State<Shared>,
    Path(name): Path<String>,
) -> Response {
    match st.catalog.get(&name) {
        Some(a) => axum::Json(a.to_json()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no action named {name:?}"),
        ),
    }
}

pub(crate) async fn openapi(State(st): State<Shared>) -> Response {
    axum::Json(crate::openapi::document(&st.catalog)).into_response()
}

/// The body as JSON, with Salesforce-shaped errors for what is too large or not JSON.
// The error is the handler's answer, made once per refused request: its size does not matter.
#[derive(serde::Deserialize)]
pub(crate) struct ConnectionQuery {
    pub(crate) connection: Option<String>,
}

pub(crate) async fn run_action(
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

pub(crate) fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Refusal {
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

/// The saved connections' names (briefly cached: most calls name none and take the only one).
pub(crate) async fn connection_names(st: &AppState) -> Result<Vec<String>, sfkit_store::Error> {
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
