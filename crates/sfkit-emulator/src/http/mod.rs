//! The HTTP face of the org: routing, sessions, limits and Salesforce-shaped answers.
//!
//! This module holds what every call shares: the org's state, the router and its middleware
//! (request size, path normalizing, error shapes), sessions from bearer tokens, the daily API
//! budget, and the helpers handlers answer with. Each API area is a module of its own: [`rest`]
//! (versions, describes, sObject rows, query, replication) with its [`query_locator`]s,
//! [`external_id`], [`composite`], [`bulk`], [`search`], [`soap`], [`oauth`], and [`faults`].

mod bulk;
mod composite;
mod external_id;
pub(crate) mod faults;
pub(crate) mod oauth;
mod query_locator;
pub(crate) mod rest;
mod search;
mod soap;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use rusqlite::OptionalExtension;
use serde_json::Value as Json;

use crate::api_error::ApiError;
use crate::store::{Actor, Store, VIEWER_USERNAME};

/// The newest API version served; every version from 20.0 up to it works.
pub const LATEST_VERSION: &str = "66.0";
const OLDEST_VERSION: u32 = 20;
const LATEST_MAJOR: u32 = 66;

/// Shared state of a running org.
pub(crate) struct OrgState {
    pub(crate) store: Arc<Store>,
    /// The base URL clients use (`http://127.0.0.1:PORT`).
    pub(crate) base_url: String,
    pub(crate) token_ttl: Duration,
    pub(crate) daily_limit: u64,
    pub(crate) api_used: AtomicU64,
    /// Requests to the token endpoint, for tests that check clients refresh single-flight.
    pub(crate) token_requests: AtomicU64,
    /// Open query locators, behind `nextRecordsUrl`.
    pub(crate) query_locators: query_locator::QueryLocators,
    pub(crate) viewer_id: Option<String>,
    pub(crate) faults: Arc<faults::Faults>,
    /// Access tokens already looked up: the hot path of every call skips SQLite.
    pub(crate) session_cache: Mutex<HashMap<String, (Actor, Option<i64>)>>,
    /// Serve `/_sfkit/faults`.
    pub(crate) admin: bool,
    /// Bulk API 2.0 jobs.
    pub(crate) bulk: bulk::Jobs,
    /// Requests from other processes than the one serving the org.
    pub(crate) activity: crate::shared::Activity,
}

pub(crate) type State = Arc<OrgState>;

/// Builds the router.
pub(crate) fn router(state: State) -> Router {
    let mut api = Router::new()
        .merge(rest::routes())
        .merge(external_id::routes())
        .merge(composite::routes())
        .merge(search::routes())
        .merge(soap::routes())
        .merge(bulk::routes())
        .layer(middleware::from_fn_with_state(state.clone(), faults::layer))
        .merge(oauth::routes());
    if state.admin {
        api = api.route(
            "/_sfkit/faults",
            axum::routing::get(faults::get_spec).put(faults::put_spec),
        );
    }
    let inner = api
        .fallback(|| async { error_response(&ApiError::not_found()) })
        .with_state(state.clone());
    Router::new()
        .fallback_service(inner)
        .layer(middleware::from_fn_with_state(state, crate::shared::track))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(salesforce_shaped))
        .layer(middleware::from_fn(normalize_path))
        .layer(middleware::from_fn(request_size))
}

/// Salesforce's cap on a request's URI and headers together, in bytes: past it the answer is
/// 414 when the URI alone is over, else 431 (help article 000386264, "Maximum number of rows
/// returned by SOQL queries over the REST API"). Long SOQL goes in a Composite request's body.
const MAX_URI_AND_HEADERS: usize = 16_384;

/// Refuses requests whose URI and headers are over Salesforce's cap. Salesforce's own answer is
/// its web server's HTML page ("Bad Message 414", jsforce issue 1134); the org answers in the
/// error-array shape every other error has, so clients read it the same way. The codes are
/// the org's own: Salesforce sends none.
async fn request_size(req: Request, next: Next) -> Response {
    let uri = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    let headers: usize = req
        .headers()
        .iter()
        // `name: value` and the line's CRLF.
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if uri > MAX_URI_AND_HEADERS {
        return error_response(&ApiError::new(
            414,
            "URI_TOO_LONG",
            format!(
                "URI Too Long: the request URI has {uri} bytes, at most {MAX_URI_AND_HEADERS} are accepted. Send long SOQL in the body of a Composite request."
            ),
        ));
    }
    if uri + headers > MAX_URI_AND_HEADERS {
        return error_response(&ApiError::new(
            431,
            "REQUEST_HEADER_FIELDS_TOO_LARGE",
            format!(
                "Request Header Fields Too Large: the URI and headers have {} bytes, at most {MAX_URI_AND_HEADERS} are accepted",
                uri + headers
            ),
        ));
    }
    next.run(req).await
}

/// The largest request body accepted (sObject Collections of 200 records with long text fit).
const MAX_BODY: usize = 50 * 1024 * 1024;

/// Answers the framework produces itself (a body over the limit, a wrong method) get
/// Salesforce's error-array shape too.
async fn salesforce_shaped(req: Request, next: Next) -> Response {
    let r = next.run(req).await;
    let shaped = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json")
                || v.starts_with("text/xml")
                || v.starts_with("text/html")
        });
    if shaped {
        return r;
    }
    match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => error_response(&ApiError::new(
            413,
            "REQUEST_ENTITY_TOO_LARGE",
            format!("The request body exceeds the maximum size of {MAX_BODY} bytes"),
        )),
        StatusCode::METHOD_NOT_ALLOWED => error_response(&ApiError::new(
            405,
            "METHOD_NOT_ALLOWED",
            "HTTP Method not allowed for this resource",
        )),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => error_response(&ApiError::new(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "Content type not supported",
        )),
        _ => r,
    }
}

/// Clients differ on trailing slashes (`/query/?q=` and `/query?q=`): accept both. The
/// Salesforce CLI keeps an instance URL with its trailing slash and appends `/services/...`, so
/// it asks for `//services/data/...`; Salesforce serves that as the single-slash path, and so
/// does the org.
async fn normalize_path(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if (path.len() > 1 && path.ends_with('/')) || path.contains("//") {
        let mut collapsed = String::with_capacity(path.len());
        for c in path.chars() {
            if !(c == '/' && collapsed.ends_with('/')) {
                collapsed.push(c);
            }
        }
        let trimmed = collapsed.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let pq = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        if let Ok(uri) = pq.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    next.run(req).await
}

/// A JSON answer with Salesforce's content type.
pub(crate) fn json_response(status: StatusCode, body: &Json) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    r
}

/// A JSON answer whose body is already JSON text (query answers are written straight from
/// SQLite's rows).
pub(crate) fn json_text_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    r
}

/// An error answer: status plus the error array.
pub(crate) fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(
        status,
        &serde_json::to_value(&e.items).unwrap_or(Json::Null),
    )
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) actor: Actor,
}

impl FromRequestParts<State> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let invalid = || {
            error_response(&ApiError::new(
                401,
                "INVALID_SESSION_ID",
                "Session expired or invalid",
            ))
        };
        let token = bearer(&parts.headers).ok_or_else(invalid)?;
        let found = match cached_session(state, &token) {
            Some(actor) => Some(actor),
            None => {
                let st = state.clone();
                run_blocking(move || lookup_session(&st, &token))
                    .await
                    .map_err(|e| error_response(&e))?
            }
        };
        let actor = found.ok_or_else(invalid)?;
        // Every authenticated call counts against the daily budget.
        let used = state.api_used.fetch_add(1, Ordering::Relaxed) + 1;
        if used > state.daily_limit {
            state.api_used.fetch_sub(1, Ordering::Relaxed);
            return Err(with_limit_info(
                error_response(&ApiError::new(
                    403,
                    "REQUEST_LIMIT_EXCEEDED",
                    "TotalRequests Limit exceeded.",
                )),
                state,
            ));
        }
        Ok(Session { actor })
    }
}

/// The token of an `Authorization: Bearer ...` or `Authorization: OAuth ...` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("Bearer") || scheme.eq_ignore_ascii_case("OAuth"))
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The caller of a token already seen, if it has not expired.
fn cached_session(state: &OrgState, token: &str) -> Option<Actor> {
    let cache = state.session_cache.lock();
    let (actor, expires) = cache.get(token)?;
    let live = expires.is_none_or(|e| e > chrono::Utc::now().timestamp_millis());
    live.then(|| actor.clone())
}

/// Forgets a token (revoked, or expired by a fault) so the cache cannot outlive it.
pub(crate) fn forget_session(state: &OrgState, token: &str) {
    state.session_cache.lock().remove(token);
}

fn lookup_session(state: &OrgState, token: &str) -> Result<Option<Actor>, ApiError> {
    let conn = state.store.reader();
    let row: Option<(String, Option<i64>)> = conn
        .prepare_cached(
            "SELECT user_id, expires_at FROM sessions WHERE token = ?1 AND kind = 'access'",
        )?
        .query_row([token], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((user_id, expires)) = row else {
        return Ok(None);
    };
    if expires.is_some_and(|e| e <= chrono::Utc::now().timestamp_millis()) {
        return Ok(None);
    }
    let read_only = state.viewer_id.as_deref() == Some(user_id.as_str());
    let actor = Actor { user_id, read_only };
    let mut cache = state.session_cache.lock();
    if cache.len() >= 10_000 {
        cache.clear();
    }
    cache.insert(token.to_owned(), (actor.clone(), expires));
    Ok(Some(actor))
}

/// Runs a handler's SQLite work on a blocking thread (with its own handle on the state) and
/// shapes the answer as [`answer`] does.
pub(crate) async fn blocking(
    state: &State,
    f: impl FnOnce(State) -> Result<Response, ApiError> + Send + 'static,
) -> Response {
    let st = state.clone();
    let r = run_blocking(move || f(st)).await;
    answer(state, r)
}

/// A handler's result as the answer: errors in Salesforce's shape, `Sforce-Limit-Info` on
/// everything.
pub(crate) fn answer(state: &OrgState, r: Result<Response, ApiError>) -> Response {
    with_limit_info(r.unwrap_or_else(|e| error_response(&e)), state)
}

/// Adds `Sforce-Limit-Info` to an answer.
pub(crate) fn with_limit_info(mut r: Response, state: &OrgState) -> Response {
    let used = state.api_used.load(Ordering::Relaxed);
    if let Ok(v) = HeaderValue::from_str(&format!("api-usage={used}/{}", state.daily_limit)) {
        r.headers_mut().insert("Sforce-Limit-Info", v);
    }
    r
}

/// Runs SQLite work on a blocking thread.
pub(crate) async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| {
        Err(ApiError::new(
            500,
            "UNKNOWN_EXCEPTION",
            "An unexpected error occurred.",
        ))
    })
}

/// `vNN.N` from a path segment, checked against the versions served.
pub(crate) fn version(segment: &str) -> Result<String, ApiError> {
    let v = segment.strip_prefix('v').ok_or_else(ApiError::not_found)?;
    let (major, minor) = v.split_once('.').ok_or_else(ApiError::not_found)?;
    let major: u32 = major.parse().map_err(|_| ApiError::not_found())?;
    if minor != "0" || !(OLDEST_VERSION..=LATEST_MAJOR).contains(&major) {
        return Err(ApiError::not_found());
    }
    Ok(format!("{major}.0"))
}

/// Mints an access token for a user, valid for the org's TTL.
pub(crate) fn mint_access_token(
    state: &OrgState,
    user_id: &str,
    client_id: &str,
) -> Result<String, ApiError> {
    let token = new_token(state.store.org_id());
    let now = chrono::Utc::now().timestamp_millis();
    let ttl = i64::try_from(state.token_ttl.as_millis()).unwrap_or(i64::MAX);
    let w = state.store.writer();
    w.conn.execute(
        "INSERT INTO sessions (token, user_id, kind, client_id, expires_at, created_at) VALUES (?1, ?2, 'access', ?3, ?4, ?5)",
        rusqlite::params![token, user_id, client_id, now.saturating_add(ttl), now],
    )?;
    Ok(token)
}

/// `00D...!` followed by random URL-safe characters: the shape clients (and the Salesforce CLI's
/// redaction) recognise.
pub(crate) fn new_token(org_id: &str) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    let mut rng = rand::rng();
    let tail: String = (0..96)
        .map(|_| {
            char::from(
                CHARS
                    .get(rng.random_range(0..CHARS.len()))
                    .copied()
                    .unwrap_or(b'A'),
            )
        })
        .collect();
    format!("{}!{tail}", crate::ids::short(org_id))
}

/// The viewer user's id, to mark its sessions read-only.
pub(crate) fn viewer_id(store: &Store) -> Option<String> {
    store.user_id(VIEWER_USERNAME).ok().flatten()
}

/// A response to a request whose body is not JSON.
pub(crate) fn parse_body(body: &[u8]) -> Result<Json, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "JSON_PARSER_ERROR",
            "The HTTP entity body is required, but this request has no entity body.",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            "JSON_PARSER_ERROR",
            format!("{e} at [line:{}, column:{}]", e.line(), e.column()),
        )
    })
}

/// Empty 204.
pub(crate) fn no_content() -> Response {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::empty())
        .unwrap_or_default()
}

pub(crate) use oauth::issue_refresh;
