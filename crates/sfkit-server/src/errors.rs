//! Every error answer in one shape. Handlers answer `{"error": {code, message, fields,
//! retryable}}` themselves; what axum answers on its own (a wrong method, an extractor's
//! rejection) and what the MCP transport answers (plain text) is rewritten here, so a client
//! never has to parse anything else. On `/mcp` the shape is JSON-RPC's: an error response with
//! no id, as the streamable HTTP transport allows for input it cannot accept.

use std::pin::Pin;

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sfkit_actions::{ActionError, Origin};

/// The longest text kept from a plain-text error body (axum's rejections are a line).
const MAX_TEXT: usize = 1024;

/// The HTTP status for an action's error.
pub(crate) fn status_of(e: &ActionError) -> StatusCode {
    match e.origin {
        Origin::Validation => StatusCode::BAD_REQUEST,
        // Salesforce refusing the connection's user (INSUFFICIENT_ACCESS...) is a refusal like
        // any other of Salesforce's (422): 403 stays the answer for what the API key may not do,
        // so a caller can tell which of the two to fix.
        Origin::Salesforce => match e.code.as_str() {
            "NOT_FOUND" | "ENTITY_IS_DELETED" => StatusCode::NOT_FOUND,
            "REQUEST_LIMIT_EXCEEDED" => StatusCode::TOO_MANY_REQUESTS,
            "INVALID_SESSION_ID" => StatusCode::FAILED_DEPENDENCY,
            "UNEXPECTED_ANSWER" => StatusCode::BAD_GATEWAY,
            _ if e.retryable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        },
        Origin::Connection => match e.code.as_str() {
            // Salesforce (or Nango) could not be reached: a gateway's failure.
            "CONNECTION_FAILED" => StatusCode::BAD_GATEWAY,
            // The connection's session expired and could not be renewed (INVALID_SESSION_ID),
            // or its login was refused (an OAuth or Nango error). Salesforce did answer, so not
            // a 502; and not a 401, which says the API key is wrong. 424: the call depended on
            // the connection, and the connection failed; the body says to reconnect.
            _ => StatusCode::FAILED_DEPENDENCY,
        },
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// An error answer: `{"error": {code, message, fields, retryable}}`.
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    Refusal::new(status, code, message).into_response()
}

/// Why a request was not served: the HTTP status, the error in the API's shape, and any
/// headers the answer needs (`Retry-After`, `WWW-Authenticate`, `Connection: close`).
/// Handlers return `Result<_, Refusal>` and use `?`; MCP turns the same value into a tool error.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) error: ActionError,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Refusal {
    /// A refusal of sfkit's own (not Salesforce's): a code and a message.
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            error: ActionError::invalid(code, message, Vec::new()),
            headers: Vec::new(),
        }
    }

    /// The same answer with one more header.
    pub(crate) fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The store could not be read or written: 503, with the store's reason.
    pub(crate) fn store(e: &sfkit_store::Error) -> Self {
        Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "STORE_UNAVAILABLE",
            e.to_string(),
        )
    }
}

impl From<ActionError> for Refusal {
    fn from(error: ActionError) -> Self {
        Refusal {
            status: status_of(&error),
            error,
            headers: Vec::new(),
        }
    }
}

impl From<sfkit_client::Error> for Refusal {
    fn from(e: sfkit_client::Error) -> Self {
        match e {
            sfkit_client::Error::WebFlow(f) => f.into(),
            e => ActionError::from(e).into(),
        }
    }
}

/// The web flow's redirect is the browser's request: what is wrong with it is a 400.
impl From<sfkit_client::WebFlowFailure> for Refusal {
    fn from(f: sfkit_client::WebFlowFailure) -> Self {
        Refusal::new(StatusCode::BAD_REQUEST, f.code(), f.to_string())
    }
}

impl From<sfkit_store::Error> for Refusal {
    fn from(e: sfkit_store::Error) -> Self {
        Refusal::store(&e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(json!({ "error": self.error }))).into_response();
        for (name, value) in self.headers {
            r.headers_mut().insert(name, value);
        }
        r
    }
}

/// The API's code for an HTTP status, when nothing more precise is known.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "INVALID_AUTH_HEADER",
        StatusCode::FORBIDDEN => "INSUFFICIENT_ACCESS",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        StatusCode::NOT_ACCEPTABLE => "NOT_ACCEPTABLE",
        StatusCode::REQUEST_TIMEOUT => "REQUEST_TIMEOUT",
        StatusCode::CONFLICT => "CONFLICT",
        StatusCode::PAYLOAD_TOO_LARGE => "REQUEST_ENTITY_TOO_LARGE",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
        StatusCode::TOO_MANY_REQUESTS => "REQUEST_LIMIT_EXCEEDED",
        StatusCode::SERVICE_UNAVAILABLE => "SERVICE_UNAVAILABLE",
        StatusCode::GATEWAY_TIMEOUT => "REQUEST_TIMEOUT",
        s if s.is_server_error() => "UNKNOWN_EXCEPTION",
        _ => "BAD_REQUEST",
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            let essence = essence.trim();
            essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")
        })
}

/// An error response's plain text, cut short: it becomes a message.
async fn text_of(body: Body) -> String {
    match axum::body::to_bytes(body, MAX_TEXT * 4).await {
        Ok(b) => {
            let text = String::from_utf8_lossy(&b);
            let text = text.trim();
            match text.char_indices().nth(MAX_TEXT) {
                Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or_default()),
                None => text.to_owned(),
            }
        }
        Err(_) => String::new(),
    }
}

/// The response's headers without those that described the body it replaces.
fn keep_headers(from: &HeaderMap, into: &mut Response) {
    for (name, value) in from {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            into.headers_mut().append(name.clone(), value.clone());
        }
    }
}

/// Rewrites an error answer that is not JSON (axum's 405, its extractors' rejections) into the
/// API's shape, keeping its status and headers (`Allow`, `Retry-After`, ...).
pub(crate) async fn api_errors(req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let r = next.run(req).await;
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(r.headers()) {
        return r;
    }
    let (parts, body) = r.into_parts();
    let text = text_of(body).await;
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = parts
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        format!("{method} is not allowed on {path}; allowed: {allowed}")
    } else if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_owned()
    } else {
        text
    };
    let mut out = error(status, code_of(status), message);
    keep_headers(&parts.headers, &mut out);
    out
}

/// JSON-RPC's code for a transport error that is neither a parse error nor an invalid
/// request (the reference SDK's choice: the start of the server-error range).
const RPC_TRANSPORT_ERROR: i64 = -32000;
const RPC_PARSE_ERROR: i64 = -32700;
const RPC_INVALID_REQUEST: i64 = -32600;

/// A JSON-RPC error response with no id (none could be read).
fn rpc_error(status: StatusCode, code: i64, message: impl Into<String>) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": Value::Null, "error": {"code": code, "message": message.into()}});
    (status, axum::Json(body)).into_response()
}

fn is_json_post(req: &Request) -> bool {
    req.method() == Method::POST && is_json(req.headers())
}

/// Why a body could not be read.
enum Unread {
    TooLarge,
    TimedOut,
    Failed(String),
}

/// The whole body, up to `limit` bytes.
async fn read_body(headers: &HeaderMap, mut body: Body, limit: usize) -> Result<Bytes, Unread> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(Unread::TooLarge);
    }
    let mut buf = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| {
            if crate::listener::is_body_timeout(&e) {
                Unread::TimedOut
            } else {
                Unread::Failed(e.to_string())
            }
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(Unread::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// In front of the MCP transport: reads the body itself so that one that is too large, late or
/// not JSON-RPC gets the JSON-RPC error the protocol wants (rmcp answers those in plain text,
/// a malformed body with 415), and rewrites rmcp's other plain-text refusals (wrong media type,
/// Accept, method, unknown session, Host) as JSON-RPC errors with their status.
pub(crate) async fn mcp_errors(
    axum::extract::State(limit): axum::extract::State<usize>,
    req: Request,
    next: Next,
) -> Response {
    let req = if is_json_post(&req) {
        let (parts, body) = req.into_parts();
        let bytes = match read_body(&parts.headers, body, limit).await {
            Ok(b) => b,
            Err(Unread::TooLarge) => {
                return rpc_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    RPC_TRANSPORT_ERROR,
                    format!("the body is larger than the server's limit of {limit} bytes"),
                );
            }
            Err(Unread::TimedOut) => {
                let mut r = rpc_error(
                    StatusCode::REQUEST_TIMEOUT,
                    RPC_TRANSPORT_ERROR,
                    "the body did not arrive in time",
                );
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                return r;
            }
            Err(Unread::Failed(why)) => {
                return rpc_error(
                    StatusCode::BAD_REQUEST,
                    RPC_TRANSPORT_ERROR,
                    format!("the body could not be read: {why}"),
                );
            }
        };
        if let Err(e) = serde_json::from_slice::<rmcp::model::ClientJsonRpcMessage>(&bytes) {
            // Only a refused body pays for the second parse that tells the two errors apart.
            return match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                Err(e) => rpc_error(
                    StatusCode::BAD_REQUEST,
                    RPC_PARSE_ERROR,
                    format!("Parse error: the body is not JSON: {e}"),
                ),
                Ok(_) => rpc_error(
                    StatusCode::BAD_REQUEST,
                    RPC_INVALID_REQUEST,
                    format!("Invalid Request: the body is not one JSON-RPC message: {e}"),
                ),
            };
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    let r = next.run(req).await;
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(r.headers()) {
        return r;
    }
    let (parts, body) = r.into_parts();
    let mut text = text_of(body).await;
    if text.is_empty() {
        text = status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_owned();
    }
    let mut out = rpc_error(status, RPC_TRANSPORT_ERROR, text);
    keep_headers(&parts.headers, &mut out);
    out
}
