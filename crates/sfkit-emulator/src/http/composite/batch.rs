//! Composite batch: up to 25 independent subrequests, each in a transaction of its own.

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value as Json, json};

use super::Sub;
use super::subrequest::dispatch;
use crate::api_error::ApiError;
use crate::http::{Session, State, blocking, json_response, parse_body, version};

pub(super) async fn batch(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let req = parse_body(&body)?;
        let halt = req.get("haltOnError").and_then(Json::as_bool).unwrap_or(false);
        let list = req.get("batchRequests").and_then(Json::as_array).ok_or_else(|| ApiError::bad_request("JSON_PARSER_ERROR", "batchRequests is required"))?;
        if list.is_empty() || list.len() > 25 {
            return Err(ApiError::bad_request("LIMIT_EXCEEDED", "A batch must have between 1 and 25 subrequests"));
        }
        let mut results = Vec::new();
        let mut has_errors = false;
        let mut halted = false;
        for item in list {
            if halted {
                results.push(json!({"statusCode": 412, "result": [{"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}]}));
                continue;
            }
            let method = item.get("method").and_then(Json::as_str).unwrap_or("GET").to_owned();
            let url = item.get("url").and_then(Json::as_str).unwrap_or_default();
            let url = if url.starts_with("/services/data/") { url.to_owned() } else { format!("/services/data/{}", url.trim_start_matches('/')) };
            let body = item.get("richInput").cloned();
            let sub = st
                .store
                .write_batch(|b| dispatch(&st, b, &s.actor, &method, &url, body.as_ref()))
                .unwrap_or_else(|e| Sub::error(&e));
            if !sub.ok() {
                has_errors = true;
                halted = halt;
            }
            results.push(json!({"statusCode": sub.status, "result": sub.body}));
        }
        Ok(json_response(StatusCode::OK, &json!({"hasErrors": has_errors, "results": results})))
    })
    .await
}
