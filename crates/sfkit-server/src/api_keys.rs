//! `/v1/apikeys`: list, make and revoke API keys through the server, for admin keys only
//! (see [`Scope::may_manage_keys`]). A key revoked here is forgotten by this server's cache
//! before the answer goes out; one revoked by another process (`sfkit apikey revoke`) is
//! noticed through the store's revision (see `Cache::follow_revocations`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sfkit_store::{ApiKey, Scope};

use crate::errors::error;
use crate::handlers::json_body;
use crate::state::AppState;

type Shared = std::sync::Arc<AppState>;

/// A key as the API shows it: never the key itself.
fn key_json(k: &ApiKey) -> Value {
    json!({
        "id": k.id,
        "name": k.name,
        "scope": {
            "connections": k.scope.connections,
            "readOnly": k.scope.read_only,
            "admin": k.scope.admin,
        },
        "createdAt": k.created_at,
        "revokedAt": k.revoked_at,
    })
}

#[allow(clippy::result_large_err)]
fn may_manage_keys(key: &ApiKey) -> Result<(), Response> {
    if key.scope.may_manage_keys() {
        return Ok(());
    }
    Err(error(
        StatusCode::FORBIDDEN,
        "INSUFFICIENT_ACCESS",
        "managing API keys needs an admin key (`sfkit apikey create NAME --admin`)",
    ))
}

fn store_failed(e: &sfkit_store::Error) -> Response {
    tracing::error!(error = %e, "managing API keys");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "STORE_UNAVAILABLE",
        "the server's store failed",
    )
}

/// `GET /v1/apikeys`: every key, revoked ones too.
pub(crate) async fn list(State(st): State<Shared>, key: axum::Extension<ApiKey>) -> Response {
    if let Err(r) = may_manage_keys(&key) {
        return r;
    }
    match st.store.list_api_keys().await {
        Ok(keys) => {
            let keys: Vec<Value> = keys.iter().map(key_json).collect();
            axum::Json(json!({ "apiKeys": keys })).into_response()
        }
        Err(e) => store_failed(&e),
    }
}

/// `POST /v1/apikeys` with `{name, connections?, readOnly?, admin?}`: makes a key and answers
/// it, this once.
pub(crate) async fn create(
    State(st): State<Shared>,
    key: axum::Extension<ApiKey>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = may_manage_keys(&key) {
        return r;
    }
    let input = match json_body(body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let name = input.get("name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            "an API key's name is 1 to 64 letters, digits, '.', '-' and '_'",
        );
    }
    let connections = match input.get("connections") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let names: Option<Vec<String>> = items
                .iter()
                .map(|c| c.as_str().map(str::to_owned))
                .collect();
            match names {
                Some(n) => n,
                None => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "INVALID_FIELD",
                        "connections is a list of connection names",
                    );
                }
            }
        }
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                "connections is a list of connection names",
            );
        }
    };
    let flag = |k: &str| input.get(k).and_then(Value::as_bool).unwrap_or(false);
    let (read_only, admin) = (flag("readOnly"), flag("admin"));
    let scope = if admin {
        if read_only || !connections.is_empty() {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                "an admin key has no other limits (no connections, not read-only)",
            );
        }
        Scope::admin()
    } else {
        Scope::new(connections, read_only)
    };
    match st.store.create_api_key(name, scope).await {
        Ok((record, text)) => {
            let mut body = key_json(&record);
            if let Value::Object(m) = &mut body {
                m.insert("key".into(), json!(text));
            }
            let mut r = (StatusCode::CREATED, axum::Json(body)).into_response();
            // The key is in this answer only: no cache along the way may keep it.
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(sfkit_store::Error::Exists { .. }) => error(
            StatusCode::CONFLICT,
            "DUPLICATE_VALUE",
            format!("an API key named {name:?} exists already"),
        ),
        Err(e) => store_failed(&e),
    }
}

/// `DELETE /v1/apikeys/{name}` (a name or an id): revokes the key; the next request made with
/// it is refused.
pub(crate) async fn revoke(
    State(st): State<Shared>,
    key: axum::Extension<ApiKey>,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = may_manage_keys(&key) {
        return r;
    }
    match st.store.revoke_api_key(&name).await {
        Ok(true) => {
            st.cache.forget_key(&name);
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no active API key named {name:?}"),
        ),
        Err(e) => store_failed(&e),
    }
}
