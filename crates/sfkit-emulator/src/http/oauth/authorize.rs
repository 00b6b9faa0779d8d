//! The web server flow: the login page, its form, and the authorization codes it issues.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rusqlite::OptionalExtension;

use super::{form, oauth_error};
use crate::api_error::ApiError;
use crate::http::{OrgState, State, error_response, new_token, run_blocking};
use crate::{CLIENT_ID, PASSWORD};

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

pub(super) async fn authorize_page(uri: axum::http::Uri) -> Response {
    let params = form(uri.query().unwrap_or_default().as_bytes());
    if let Some(e) = authorize_error(&params) {
        return e;
    }
    login_page(&params, None)
}

pub(super) async fn authorize_submit(AxState(state): AxState<State>, body: Bytes) -> Response {
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
pub(super) fn redeem_code(
    state: &OrgState,
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
