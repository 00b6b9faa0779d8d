//! The handlers, by area: `actions` (the catalog, and `execute`, which MCP shares),
//! `connections`, `oauth` (the web flow that makes a connection) and `api_keys`. Each takes the
//! caller's [`Authed`](crate::auth::Authed) key first where the route needs one, and returns
//! `Result<_, Refusal>`: every refusal is an answer in the API's one error shape.

pub(crate) mod actions;
pub(crate) mod api_keys;
pub(crate) mod connections;
pub(crate) mod oauth;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use crate::errors::Refusal;

/// The body as JSON, with Salesforce-shaped errors for what is too large or not JSON.
pub(crate) fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, Refusal> {
    let bytes = body.map_err(|r| {
        if crate::listener::is_body_timeout(&r) {
            // The rest of the body may still come: the connection cannot serve another request.
            return Refusal::new(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "the request body did not arrive in time",
            )
            .with_header(header::CONNECTION, HeaderValue::from_static("close"));
        }
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "REQUEST_ENTITY_TOO_LARGE"
        } else {
            "JSON_PARSER_ERROR"
        };
        Refusal::new(status, code, r.body_text())
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            format!("the body is not JSON: {e}"),
        )
    })
}

/// A connection's name: letters, digits, `-` and `_` (it appears in URLs and headers).
pub(crate) fn check_connection_name(name: &str) -> Result<(), Refusal> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            "a connection name is letters, digits, - and _",
        ));
    }
    Ok(())
}
