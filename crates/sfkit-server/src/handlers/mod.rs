//! The handlers, by area.

pub(crate) mod actions;
pub(crate) mod connections;
pub(crate) mod oauth;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::errors::error;

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
