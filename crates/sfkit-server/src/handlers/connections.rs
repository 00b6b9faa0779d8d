//! Listing, saving and deleting connections.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sfkit_actions::ActionError;
use sfkit_store::{ApiKey, Connection};

use crate::connections::{KINDS, source};
use crate::errors::error;
use crate::handlers::actions::action_error;
use crate::handlers::json_body;
use crate::state::Shared;

pub(crate) async fn list_connections(
    State(st): State<Shared>,
    key: axum::Extension<ApiKey>,
) -> Response {
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

/// Keys limited to connections or to reading cannot manage connections.
#[allow(clippy::result_large_err)]
pub(crate) fn may_manage(key: &ApiKey) -> Result<(), Response> {
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
pub(crate) fn managing_input(
    key: &ApiKey,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, Response> {
    may_manage(key)?;
    json_body(body)
}

pub(crate) async fn create_connection(
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

pub(crate) async fn delete_connection(
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
