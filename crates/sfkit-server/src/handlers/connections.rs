//! Listing, saving and deleting connections.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use sfkit_client::auth::LoginKind;
use sfkit_store::{ApiKey, Connection};

use crate::auth::Authed;
use crate::connections::{KINDS, source};
use crate::errors::Refusal;
use crate::handlers::{check_connection_name, json_body};
use crate::state::Shared;

pub(crate) async fn list_connections(
    Authed(key): Authed,
    State(st): State<Shared>,
) -> Result<Json<Value>, Refusal> {
    let visible: Vec<Value> = st
        .store
        .list_connections()
        .await?
        .into_iter()
        .filter(|c| key.scope.allows_connection(&c.name))
        .map(|c| json!({"name": c.name, "instanceUrl": c.instance_url, "kind": c.kind, "settings": c.settings}))
        .collect();
    Ok(Json(json!({ "connections": visible })))
}

/// Keys limited to connections or to reading cannot manage connections.
pub(crate) fn may_manage(key: &ApiKey) -> Result<(), Refusal> {
    if key.scope.read_only || !key.scope.connections.is_empty() {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "INSUFFICIENT_ACCESS",
            "managing connections needs an API key without limits",
        ));
    }
    Ok(())
}

/// The JSON body of a request that manages connections, once the key may do so.
pub(crate) fn managing_input(
    key: &ApiKey,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, Refusal> {
    may_manage(key)?;
    json_body(body)
}

pub(crate) async fn create_connection(
    Authed(key): Authed,
    State(st): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), Refusal> {
    let input = managing_input(&key, body)?;
    let field = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(name), Some(kind)) = (field("name"), field("kind")) else {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            format!(
                "a connection needs name, kind (one of {}) and, but for nango, instanceUrl",
                KINDS.join(", ")
            ),
        ));
    };
    // Nango names the org with each token; every other kind must be told where it is.
    let instance_url = match field("instanceUrl") {
        Some(url) => url,
        None if kind == LoginKind::Nango.as_str() => String::new(),
        None => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "REQUIRED_FIELD_MISSING",
                format!(
                    "a {kind} connection needs instanceUrl (the org's URL, https://MyDomain.my.salesforce.com)"
                ),
            ));
        }
    };
    check_connection_name(&name)?;
    let settings = input.get("settings").cloned().unwrap_or_else(|| json!({}));
    let secrets = input.get("secrets").cloned().unwrap_or_else(|| json!({}));
    let mut conn = Connection::new(name.clone(), instance_url, kind, settings);
    // Check it logs in before keeping it.
    let client = source(&conn, &secrets)
        .and_then(|s| {
            let mut builder = sfkit_client::Client::builder().token_source(s);
            if !conn.instance_url.is_empty() {
                builder = builder.instance_url(conn.instance_url.clone());
            }
            builder.build().map_err(|e| e.to_string())
        })
        .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, "INVALID_FIELD", e))?;
    client.userinfo().await?;
    if conn.kind == LoginKind::Nango.as_str() {
        // Where Nango's tokens lead, whatever the request said.
        conn.instance_url = client.instance_url().await?;
    }
    st.store.put_connection(conn.clone(), secrets).await?;
    st.clients.forget(&name);
    st.connection_names.clear();
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": conn.name, "instanceUrl": conn.instance_url, "kind": conn.kind})),
    ))
}

pub(crate) async fn delete_connection(
    Authed(key): Authed,
    State(st): State<Shared>,
    Path(name): Path<String>,
) -> Result<StatusCode, Refusal> {
    may_manage(&key)?;
    if !st.store.delete_connection(&name).await? {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no connection named {name:?}"),
        ));
    }
    st.clients.forget(&name);
    st.connection_names.clear();
    Ok(StatusCode::NO_CONTENT)
}
