//! Every error answer, whoever makes it (a handler, axum's router or extractors, the MCP
//! transport), comes as JSON: `{"error": {code, message, fields, retryable}}` on the API, a
//! JSON-RPC error with no id on `/mcp`.

use serde_json::{Value, json};

use crate::common::{Srv, answer, assert_api_error};

/// Regression: `PUT /v1/actions/createLead` answered 405 with an empty body.
#[tokio::test]
async fn a_wrong_method_is_a_json_error_naming_the_allowed_ones() {
    let s = Srv::start(|_, _| {}).await;
    let a = answer(
        s.http
            .put(s.url("/v1/actions/createLead"))
            .bearer_auth(&s.admin)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_api_error(&a, 405, "METHOD_NOT_ALLOWED");
    let allow = a.1.get("allow").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow:?}");
    let message = a.2["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("PUT") && message.contains("POST"),
        "{message}"
    );
    // The same without a key: the method is wrong whoever asks.
    let a = answer(s.http.delete(s.url("/v1/actions")).send().await.unwrap()).await;
    assert!(
        a.0 == 405 || a.0 == 401,
        "refused either way: {} {}",
        a.0,
        a.2
    );
    assert!(a.2["error"]["code"].is_string(), "{}", a.2);
    s.stop().await;
}

#[tokio::test]
async fn unknown_paths_and_bad_paths_or_queries_are_json_errors() {
    let s = Srv::start(|_, _| {}).await;
    let a = answer(s.http.get(s.url("/nope")).send().await.unwrap()).await;
    assert_api_error(&a, 404, "NOT_FOUND");
    // axum's own extractor rejections (plain text until now): a path segment that is not
    // UTF-8, a query string that does not fit.
    let a = answer(
        s.http
            .get(s.url("/v1/actions/%FF%FE"))
            .bearer_auth(&s.admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_api_error(&a, 400, "BAD_REQUEST");
    let a = answer(
        s.http
            .post(s.url("/v1/actions/getLimits?connection=a&connection=b"))
            .bearer_auth(&s.admin)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_api_error(&a, 400, "BAD_REQUEST");
    s.stop().await;
}

#[tokio::test]
async fn bodies_too_large_or_not_json_are_json_errors() {
    let s = Srv::start(|c, _| c.body_limit = 1024).await;
    let a = answer(
        s.http
            .post(s.url("/v1/actions/createLead"))
            .bearer_auth(&s.admin)
            .body("x".repeat(4096))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_api_error(&a, 413, "REQUEST_ENTITY_TOO_LARGE");
    let a = answer(
        s.http
            .post(s.url("/v1/connections"))
            .bearer_auth(&s.admin)
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_api_error(&a, 400, "JSON_PARSER_ERROR");
    let a = answer(s.http.get(s.url("/v1/actions")).send().await.unwrap()).await;
    assert_api_error(&a, 401, "INVALID_AUTH_HEADER");
    s.stop().await;
}

/// A POST to `/mcp` with the headers an MCP client sends, and this body.
async fn mcp_post(
    s: &Srv,
    content_type: &str,
    accept: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    answer(
        s.http
            .post(s.url("/mcp"))
            .bearer_auth(&s.admin)
            .header("Content-Type", content_type)
            .header("Accept", accept)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Asserts a JSON-RPC error response with no id (the transport could not read one).
#[track_caller]
fn assert_rpc_error(
    (status, headers, body): &(u16, reqwest::header::HeaderMap, Value),
    want_status: u16,
    code: i64,
) {
    assert_eq!(*status, want_status, "{body}");
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "served as JSON: {headers:?} {body}"
    );
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    assert_eq!(body["id"], Value::Null, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// Regression: a malformed body on `/mcp` was answered `415` in plain text.
#[tokio::test]
async fn mcp_answers_a_malformed_body_with_a_json_rpc_parse_error() {
    let s = Srv::start(|_, _| {}).await;
    let both = "application/json, text/event-stream";
    let a = mcp_post(
        &s,
        "application/json",
        both,
        "{\"jsonrpc\": \"2.0\", \"id\": 1,",
    )
    .await;
    assert_rpc_error(&a, 400, -32700);
    // JSON, but not a JSON-RPC message.
    let a = mcp_post(&s, "application/json", both, "{\"hello\": \"world\"}").await;
    assert_rpc_error(&a, 400, -32600);
    // The transport's own refusals: the wrong media type, an Accept without both types.
    let init = serde_json::to_string(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}}),
    )
    .unwrap();
    let a = mcp_post(&s, "text/plain", both, init.clone()).await;
    assert_rpc_error(&a, 415, -32000);
    let a = mcp_post(&s, "application/json", "text/html", init.clone()).await;
    assert_rpc_error(&a, 406, -32000);
    // Too large for the server's body limit.
    let big = format!(
        "{{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"ping\", \"params\": {{\"pad\": \"{}\"}}}}",
        "x".repeat(100_000)
    );
    let a = mcp_post(&s, "application/json", both, big).await;
    assert_rpc_error(&a, 413, -32000);
    // Without a key, the API's own 401.
    let a = answer(
        s.http
            .post(s.url("/mcp"))
            .header("Content-Type", "application/json")
            .header("Accept", both)
            .body(init)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_api_error(&a, 401, "INVALID_AUTH_HEADER");
    s.stop().await;
}
