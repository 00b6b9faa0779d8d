//! `/v1/apikeys`: list, make and revoke API keys through the server, for admin keys only
//! (see [`Scope::may_manage_keys`]). A key revoked here is forgotten by this server's cache
//! before the answer goes out; one revoked by another process (`sfkit apikey revoke`) is
//! noticed through the store's revision (see `auth::Keys`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sfkit_store::{ApiKey, Scope};

use crate::auth::Authed;
use crate::errors::Refusal;
use crate::handlers::json_body;
use crate::state::Shared;

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

fn may_manage_keys(key: &ApiKey) -> Result<(), Refusal> {
    if key.scope.may_manage_keys() {
        return Ok(());
    }
    Err(Refusal::new(
        StatusCode::FORBIDDEN,
        "INSUFFICIENT_ACCESS",
        "managing API keys needs an admin key (`sfkit apikey create NAME --admin`)",
    ))
}

/// The store failed: logged here, and not described to the caller (it holds the key hashes).
fn store_failed(e: sfkit_store::Error) -> Refusal {
    tracing::error!(error = %e, "managing API keys");
    Refusal::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "STORE_UNAVAILABLE",
        "the server's store failed",
    )
}

/// `GET /v1/apikeys`: every key, revoked ones too.
pub(crate) async fn list(
    Authed(key): Authed,
    State(st): State<Shared>,
) -> Result<Json<Value>, Refusal> {
    may_manage_keys(&key)?;
    let keys = st.store.list_api_keys().await.map_err(store_failed)?;
    let keys: Vec<Value> = keys.iter().map(key_json).collect();
    Ok(Json(json!({ "apiKeys": keys })))
}

fn invalid(message: &str) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, "INVALID_FIELD", message)
}

/// What a new key may do, from the request's `connections`, `readOnly` and `admin`.
fn requested_scope(input: &Value) -> Result<Scope, Refusal> {
    let connections = match input.get("connections") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|c| c.as_str().map(str::to_owned))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| invalid("connections is a list of connection names"))?,
        Some(_) => return Err(invalid("connections is a list of connection names")),
    };
    let flag = |k: &str| input.get(k).and_then(Value::as_bool).unwrap_or(false);
    let (read_only, admin) = (flag("readOnly"), flag("admin"));
    if !admin {
        return Ok(Scope::new(connections, read_only));
    }
    if read_only || !connections.is_empty() {
        return Err(invalid(
            "an admin key has no other limits (no connections, not read-only)",
        ));
    }
    Ok(Scope::admin())
}

/// `POST /v1/apikeys` with `{name, connections?, readOnly?, admin?}`: makes a key and answers
/// it, this once.
pub(crate) async fn create(
    Authed(key): Authed,
    State(st): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Refusal> {
    may_manage_keys(&key)?;
    let input = json_body(body)?;
    let name = input.get("name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid(
            "an API key's name is 1 to 64 letters, digits, '.', '-' and '_'",
        ));
    }
    let scope = requested_scope(&input)?;
    let (record, text) = match st.store.create_api_key(name, scope).await {
        Ok(made) => made,
        Err(sfkit_store::Error::Exists { .. }) => {
            return Err(Refusal::new(
                StatusCode::CONFLICT,
                "DUPLICATE_VALUE",
                format!("an API key named {name:?} exists already"),
            ));
        }
        Err(e) => return Err(store_failed(e)),
    };
    let mut body = key_json(&record);
    if let Value::Object(m) = &mut body {
        m.insert("key".into(), json!(text));
    }
    let mut r = (StatusCode::CREATED, Json(body)).into_response();
    // The key is in this answer only: no cache along the way may keep it.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// `DELETE /v1/apikeys/{name}` (a name or an id): revokes the key; the next request made with
/// it is refused.
pub(crate) async fn revoke(
    Authed(key): Authed,
    State(st): State<Shared>,
    Path(name): Path<String>,
) -> Result<StatusCode, Refusal> {
    may_manage_keys(&key)?;
    if !st.store.revoke_api_key(&name).await.map_err(store_failed)? {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no active API key named {name:?}"),
        ));
    }
    st.keys.forget(&name);
    Ok(StatusCode::NO_CONTENT)
}
