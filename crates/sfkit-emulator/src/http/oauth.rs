//! OAuth 2.0: the token endpoint (password, client_credentials, refresh_token), revoke,
//! userinfo and the identity URL. Errors use OAuth's `{error, error_description}` shape.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use rusqlite::OptionalExtension;
use serde_json::json;

use super::{State, error_response, json_response, mint_access_token, new_token, run_blocking};
use crate::api_error::ApiError;
use crate::store::ADMIN_USERNAME;

use crate::{CLIENT_ID, CLIENT_SECRET, PASSWORD};

pub(super) fn routes() -> Router<State> {
    Router::new()
        .route(
            "/services/oauth2/authorize",
            get(authorize_page).post(authorize_submit),
        )
        .route("/services/oauth2/token", post(token))
        .route("/services/oauth2/revoke", post(revoke))
        .route("/services/oauth2/userinfo", get(userinfo))
        .route("/id/{org}/{user}", get(identity))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded_parse(body)
}

/// A URL query string or form body as a map.
pub(crate) fn form_map(body: &[u8]) -> HashMap<String, String> {
    form(body)
}

mod url {
    use std::collections::HashMap;

    /// `application/x-www-form-urlencoded` into a map (the last value of a repeated key wins).
    pub(super) fn form_urlencoded_parse(body: &[u8]) -> HashMap<String, String> {
        let text = String::from_utf8_lossy(body);
        text.split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k), decode(v))
            })
            .collect()
    }

    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = bytes
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(v) => {
                            out.push(v);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Client id and secret from the form or from HTTP Basic authentication.
fn client(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    if let Some((id, secret)) = basic.as_deref().and_then(|b| b.split_once(':')) {
        return (Some(id.to_owned()), Some(secret.to_owned()));
    }
    (
        params.get("client_id").cloned(),
        params.get("client_secret").cloned(),
    )
}

async fn token(AxState(state): AxState<State>, headers: HeaderMap, body: Bytes) -> Response {
    state
        .token_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let params = form(&body);
    let (client_id, client_secret) = client(&params, &headers);
    let grant = params.get("grant_type").cloned().unwrap_or_default();
    // The JWT bearer flow names its client inside the assertion (`iss`).
    if grant != JWT_GRANT {
        if client_id.as_deref() != Some(CLIENT_ID) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client_id",
                "client identifier invalid",
            );
        }
        if client_secret.as_deref().is_some_and(|s| s != CLIENT_SECRET) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client",
                "invalid client credentials",
            );
        }
    }
    let st = state.clone();
    let result = run_blocking(move || -> Result<Result<serde_json::Value, (String, String)>, ApiError> {
        let fail = |e: &str, d: &str| Ok(Err((e.to_owned(), d.to_owned())));
        let (user_id, refresh) = match grant.as_str() {
            "password" => {
                let username = params.get("username").cloned().unwrap_or_default();
                let password = params.get("password").cloned().unwrap_or_default();
                match st.store.user_id(&username)? {
                    Some(id) if password == PASSWORD => (id, false),
                    _ => return fail("invalid_grant", "authentication failure"),
                }
            }
            "client_credentials" => {
                if client_secret.is_none() {
                    return fail("invalid_client", "invalid client credentials");
                }
                match st.store.user_id(ADMIN_USERNAME)? {
                    Some(id) => (id, false),
                    None => return fail("invalid_grant", "authentication failure"),
                }
            }
            JWT_GRANT => {
                let assertion = params.get("assertion").cloned().unwrap_or_default();
                match jwt_user(&st, &assertion)? {
                    Ok(id) => (id, false),
                    Err((e, d)) => return fail(&e, &d),
                }
            }
            "authorization_code" => {
                let code = params.get("code").cloned().unwrap_or_default();
                let redirect = params.get("redirect_uri").cloned().unwrap_or_default();
                let verifier = params.get("code_verifier").cloned();
                match redeem_code(&st, &code, &redirect, verifier.as_deref())? {
                    Ok(id) => (id, true),
                    Err(description) => return fail("invalid_grant", &description),
                }
            }
            "refresh_token" => {
                let rt = params.get("refresh_token").cloned().unwrap_or_default();
                let conn = st.store.reader();
                let found: Option<String> = conn
                    .query_row("SELECT user_id FROM sessions WHERE token = ?1 AND kind = 'refresh'", [&rt], |r| r.get(0))
                    .optional()?;
                drop(conn);
                match found {
                    Some(id) => (id, false),
                    None => return fail("invalid_grant", "expired access/refresh token"),
                }
            }
            "" => return fail("unsupported_grant_type", "grant type not supported"),
            _ => return fail("unsupported_grant_type", "grant type not supported"),
        };
        let access = mint_access_token(&st, &user_id, CLIENT_ID)?;
        let issued_at = chrono::Utc::now().timestamp_millis().to_string();
        let mut body = json!({
            "access_token": access,
            "instance_url": st.base_url,
            "id": format!("{}/id/{}/{}", st.base_url, st.store.org_id(), user_id),
            "token_type": "Bearer",
            "issued_at": issued_at,
            "scope": "api refresh_token id full",
            "signature": base64::engine::general_purpose::STANDARD.encode(format!("{user_id}{issued_at}")),
        });
        if let (true, serde_json::Value::Object(m)) = (refresh, &mut body) {
            m.insert("refresh_token".into(), json!(new_refresh(&st, &user_id)?));
        }
        Ok(Ok(body))
    })
    .await;
    match result {
        Ok(Ok(body)) => json_response(StatusCode::OK, &body),
        Ok(Err((e, d))) => oauth_error(StatusCode::BAD_REQUEST, &e, &d),
        Err(e) => error_response(&e),
    }
}

fn new_refresh(state: &super::OrgState, user_id: &str) -> Result<String, ApiError> {
    let token = new_token(state.store.org_id()).replacen('!', "", 1);
    let now = chrono::Utc::now().timestamp_millis();
    state.store.writer().conn.execute(
        "INSERT INTO sessions (token, user_id, kind, client_id, expires_at, created_at) VALUES (?1, ?2, 'refresh', ?3, NULL, ?4)",
        rusqlite::params![token, user_id, CLIENT_ID, now],
    )?;
    Ok(token)
}

/// Issues a refresh token for a user (for flows that grant one).
pub(crate) fn issue_refresh(state: &super::OrgState, user_id: &str) -> Result<String, ApiError> {
    new_refresh(state, user_id)
}

async fn revoke(AxState(state): AxState<State>, body: Bytes) -> Response {
    let params = form(&body);
    let token = params.get("token").cloned().unwrap_or_default();
    let st = state.clone();
    let result = run_blocking(move || {
        super::forget_session(&st, &token);
        let n = st
            .store
            .writer()
            .conn
            .execute("DELETE FROM sessions WHERE token = ?1", [&token])?;
        Ok(n)
    })
    .await;
    match result {
        Ok(0) => oauth_error(StatusCode::BAD_REQUEST, "invalid_token", "invalid token"),
        Ok(_) => json_response(StatusCode::OK, &json!({})),
        Err(e) => error_response(&e),
    }
}

/// The user fields identity answers need.
struct UserRow {
    username: String,
    email: Option<String>,
    first: Option<String>,
    last: Option<String>,
    name: Option<String>,
}

fn user_json(state: &super::OrgState, user_id: &str) -> Result<Option<UserRow>, ApiError> {
    let conn = state.store.reader();
    let row: Option<UserRow> = conn
        .query_row(
            "SELECT \"Username\", \"Email\", \"FirstName\", \"LastName\", \"Name\" FROM \"o_user\" WHERE \"Id\" = ?1",
            [user_id],
            |r| {
                Ok(UserRow { username: r.get(0)?, email: r.get(1)?, first: r.get(2)?, last: r.get(3)?, name: r.get(4)? })
            },
        )
        .optional()?;
    Ok(row)
}

async fn userinfo(AxState(state): AxState<State>, session: super::Session) -> Response {
    let st = state.clone();
    let user_id = session.actor.user_id.clone();
    match run_blocking(move || user_json(&st, &user_id)).await {
        Ok(Some(u)) => {
            let id_url = format!(
                "{}/id/{}/{}",
                state.base_url,
                state.store.org_id(),
                session.actor.user_id
            );
            json_response(
                StatusCode::OK,
                &json!({
                    "sub": id_url,
                    "user_id": session.actor.user_id,
                    "organization_id": state.store.org_id(),
                    "preferred_username": u.username,
                    "nickname": u.username,
                    "name": u.name,
                    "email": u.email,
                    "email_verified": true,
                    "given_name": u.first,
                    "family_name": u.last,
                    "zoneinfo": "GMT",
                    "active": true,
                    "user_type": "STANDARD",
                    "language": "en_US",
                    "locale": "en_US",
                    "utcOffset": 0,
                    "urls": urls(&state.base_url, &session.actor.user_id),
                }),
            )
        }
        Ok(None) => error_response(&ApiError::not_found()),
        Err(e) => error_response(&e),
    }
}

fn urls(base: &str, user_id: &str) -> serde_json::Value {
    json!({
        "rest": format!("{base}/services/data/v{{version}}/"),
        "sobjects": format!("{base}/services/data/v{{version}}/sobjects/"),
        "search": format!("{base}/services/data/v{{version}}/search/"),
        "query": format!("{base}/services/data/v{{version}}/query/"),
        "profile": format!("{base}/{user_id}"),
        "custom_domain": base,
    })
}

async fn identity(
    AxState(state): AxState<State>,
    Path((org, user)): Path<(String, String)>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    // jsforce passes the token as `oauth_token`; others send the Authorization header.
    let token = super::bearer(&headers).or_else(|| {
        uri.query()
            .and_then(|q| form(q.as_bytes()).get("oauth_token").cloned())
    });
    let invalid = || error_response(&ApiError::new(403, "Bad_OAuth_Token", "Bad_OAuth_Token"));
    let Some(token) = token else { return invalid() };
    let st = state.clone();
    let session = run_blocking(move || super::lookup_session(&st, &token)).await;
    let Ok(Some(actor)) = session else {
        return invalid();
    };
    if actor.user_id != user || org != state.store.org_id() {
        return invalid();
    }
    let st = state.clone();
    let uid = user.clone();
    match run_blocking(move || user_json(&st, &uid)).await {
        Ok(Some(u)) => json_response(
            StatusCode::OK,
            &json!({
                "id": format!("{}/id/{}/{}", state.base_url, org, user),
                "asserted_user": true,
                "user_id": user,
                "organization_id": org,
                "username": u.username,
                "nick_name": u.username,
                "display_name": u.name,
                "email": u.email,
                "first_name": u.first,
                "last_name": u.last,
                "active": true,
                "user_type": "STANDARD",
                "language": "en_US",
                "locale": "en_US",
                "utcOffset": 0,
                "urls": urls(&state.base_url, &user),
            }),
        ),
        Ok(None) => error_response(&ApiError::not_found()),
        Err(e) => error_response(&e),
    }
}

/// The JWT bearer grant type.
const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The user a JWT bearer assertion logs in, or the OAuth error.
fn jwt_user(
    state: &super::OrgState,
    assertion: &str,
) -> Result<Result<String, (String, String)>, ApiError> {
    let grant_err = |d: &str| Ok(Err(("invalid_grant".to_owned(), d.to_owned())));
    let dir = state
        .store
        .path()
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let files = crate::jwt::load_or_create(&dir)
        .map_err(|e| ApiError::new(500, "UNKNOWN_EXCEPTION", e.to_string()))?;
    let claims = match crate::jwt::verify(&files, assertion) {
        Ok(c) => c,
        Err(d) => return grant_err(&d),
    };
    if claims.iss != CLIENT_ID {
        return Ok(Err((
            "invalid_client_id".into(),
            "client identifier invalid".into(),
        )));
    }
    let base = state.base_url.trim_end_matches('/');
    let audiences: Vec<String> = match &claims.aud {
        serde_json::Value::String(a) => vec![a.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let known = [
        "https://login.salesforce.com",
        "https://test.salesforce.com",
        base,
    ];
    if !audiences
        .iter()
        .any(|a| known.contains(&a.trim_end_matches('/')))
    {
        return grant_err("audience is invalid");
    }
    // `exp` in seconds; some clients send milliseconds, which is simply far in the future.
    let exp = claims.exp.as_f64().unwrap_or(0.0);
    if exp < chrono::Utc::now().timestamp() as f64 {
        return grant_err("expired authorization");
    }
    match state.store.user_id(&claims.sub)? {
        Some(id) => Ok(Ok(id)),
        None => grant_err("user hasn't approved this consumer"),
    }
}

/// Escapes text for HTML attribute values and content.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const FORWARDED: [&str; 6] = [
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
];

fn login_page(params: &HashMap<String, String>, error: Option<&str>) -> Response {
    let hidden: String = FORWARDED
        .iter()
        .filter_map(|k| {
            params
                .get(*k)
                .map(|v| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", html(v)))
        })
        .collect();
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", html(e)))
        .unwrap_or_default();
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>sfkit local org: log in</title></head><body>\
         <h1>sfkit local org</h1>{error}<form method=\"post\" action=\"/services/oauth2/authorize\">{hidden}\
         <label>Username <input name=\"username\" value=\"admin@sfkit.local\"></label>\
         <label>Password <input name=\"password\" type=\"password\"></label>\
         <button type=\"submit\">Log In</button></form></body></html>"
    );
    let mut r = (StatusCode::OK, page).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    r
}

fn authorize_error(params: &HashMap<String, String>) -> Option<Response> {
    if params.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_id",
            "client identifier invalid",
        ));
    }
    if params.get("response_type").is_some_and(|t| t != "code") {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "response type not supported",
        ));
    }
    if params.get("redirect_uri").is_none_or(String::is_empty) {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
        ));
    }
    None
}

async fn authorize_page(uri: axum::http::Uri) -> Response {
    let params = form(uri.query().unwrap_or_default().as_bytes());
    if let Some(e) = authorize_error(&params) {
        return e;
    }
    login_page(&params, None)
}

async fn authorize_submit(AxState(state): AxState<State>, body: Bytes) -> Response {
    let params = form(&body);
    if let Some(e) = authorize_error(&params) {
        return e;
    }
    let username = params.get("username").cloned().unwrap_or_default();
    let password = params.get("password").cloned().unwrap_or_default();
    let st = state.clone();
    let p = params.clone();
    let code = run_blocking(move || {
        let Some(user_id) = st.store.user_id(&username)?.filter(|_| password == PASSWORD) else {
            return Ok(None);
        };
        let code = new_token(st.store.org_id()).replacen('!', "", 1);
        let expires = chrono::Utc::now().timestamp_millis() + 10 * 60 * 1000;
        st.store.writer().conn.execute(
            "INSERT INTO oauth_codes (code, user_id, redirect_uri, challenge, method, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                code,
                user_id,
                p.get("redirect_uri").cloned().unwrap_or_default(),
                p.get("code_challenge"),
                p.get("code_challenge_method").cloned().unwrap_or_else(|| "S256".into()),
                expires
            ],
        )?;
        Ok(Some(code))
    })
    .await;
    match code {
        Ok(Some(code)) => {
            let redirect = params.get("redirect_uri").cloned().unwrap_or_default();
            let sep = if redirect.contains('?') { '&' } else { '?' };
            let mut target = format!("{redirect}{sep}code={}", encode(&code));
            if let Some(st) = params.get("state") {
                target.push_str(&format!("&state={}", encode(st)));
            }
            let mut r = StatusCode::FOUND.into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&target) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Ok(None) => login_page(&params, Some("Please check your username and password.")),
        Err(e) => error_response(&e),
    }
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A stored authorization code: user, redirect URI, PKCE challenge and method, expiry.
type CodeRow = (String, String, Option<String>, Option<String>, i64);

/// Redeems an authorization code (single use): the user id, or why not.
fn redeem_code(
    state: &super::OrgState,
    code: &str,
    redirect: &str,
    verifier: Option<&str>,
) -> Result<Result<String, String>, ApiError> {
    let w = state.store.writer();
    let row: Option<CodeRow> = w
        .conn
        .query_row(
            "SELECT user_id, redirect_uri, challenge, method, expires_at FROM oauth_codes WHERE code = ?1",
            [code],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    w.conn
        .execute("DELETE FROM oauth_codes WHERE code = ?1", [code])?;
    drop(w);
    let Some((user_id, stored_redirect, challenge, method, expires)) = row else {
        return Ok(Err("invalid authorization code".into()));
    };
    if expires < chrono::Utc::now().timestamp_millis() {
        return Ok(Err("expired authorization code".into()));
    }
    if stored_redirect != redirect {
        return Ok(Err("redirect_uri must match configuration".into()));
    }
    if let Some(challenge) = challenge {
        let Some(verifier) = verifier else {
            return Ok(Err("invalid code verifier".into()));
        };
        let expected = if method.as_deref() == Some("plain") {
            verifier.to_owned()
        } else {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
        };
        if expected != challenge {
            return Ok(Err("invalid code verifier".into()));
        }
    }
    Ok(Ok(user_id))
}
