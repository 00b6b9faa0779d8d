//! The token endpoint (password, client_credentials, refresh_token, authorization_code and the
//! JWT bearer grant) and revoke.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use rusqlite::OptionalExtension;
use serde_json::{Value as Json, json};

use super::authorize::redeem_code;
use super::{client, form, oauth_error};
use crate::api_error::ApiError;
use crate::http::{
    OrgState, State, error_response, forget_session, json_response, mint_access_token, new_token,
    run_blocking,
};
use crate::store::ADMIN_USERNAME;
use crate::{CLIENT_ID, CLIENT_SECRET, PASSWORD};

pub(super) async fn token(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
    let result = run_blocking(move || -> Result<Result<Json, OAuthError>, ApiError> {
        let (user_id, refresh) = match granted_user(&st, &grant, &params, client_secret.as_deref())?
        {
            Ok(granted) => granted,
            Err(e) => return Ok(Err(e)),
        };
        token_body(&st, &user_id, refresh).map(Ok)
    })
    .await;
    match result {
        Ok(Ok(body)) => json_response(StatusCode::OK, &body),
        Ok(Err((e, d))) => oauth_error(StatusCode::BAD_REQUEST, &e, &d),
        Err(e) => error_response(&e),
    }
}

/// OAuth's `error` and `error_description`.
type OAuthError = (String, String);

/// The user a grant logs in, and whether it also gets a refresh token; or why not.
fn granted_user(
    st: &OrgState,
    grant: &str,
    params: &HashMap<String, String>,
    client_secret: Option<&str>,
) -> Result<Result<(String, bool), OAuthError>, ApiError> {
    let fail = |e: &str, d: &str| Ok(Err((e.to_owned(), d.to_owned())));
    let granted = match grant {
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
            match jwt_user(st, &assertion)? {
                Ok(id) => (id, false),
                Err((e, d)) => return fail(&e, &d),
            }
        }
        "authorization_code" => {
            let code = params.get("code").cloned().unwrap_or_default();
            let redirect = params.get("redirect_uri").cloned().unwrap_or_default();
            let verifier = params.get("code_verifier").cloned();
            match redeem_code(st, &code, &redirect, verifier.as_deref())? {
                Ok(id) => (id, true),
                Err(description) => return fail("invalid_grant", &description),
            }
        }
        "refresh_token" => {
            let rt = params.get("refresh_token").cloned().unwrap_or_default();
            let found: Option<String> = st
                .store
                .reader()
                .query_row(
                    "SELECT user_id FROM sessions WHERE token = ?1 AND kind = 'refresh'",
                    [&rt],
                    |r| r.get(0),
                )
                .optional()?;
            match found {
                Some(id) => (id, false),
                None => return fail("invalid_grant", "expired access/refresh token"),
            }
        }
        _ => return fail("unsupported_grant_type", "grant type not supported"),
    };
    Ok(Ok(granted))
}

/// The token answer: a new access token (and refresh token, when the grant gives one).
fn token_body(st: &OrgState, user_id: &str, refresh: bool) -> Result<Json, ApiError> {
    let access = mint_access_token(st, user_id, CLIENT_ID)?;
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
    if let (true, Json::Object(m)) = (refresh, &mut body) {
        m.insert("refresh_token".into(), json!(new_refresh(st, user_id)?));
    }
    Ok(body)
}

fn new_refresh(state: &OrgState, user_id: &str) -> Result<String, ApiError> {
    let token = new_token(state.store.org_id()).replacen('!', "", 1);
    let now = chrono::Utc::now().timestamp_millis();
    state.store.writer().conn.execute(
        "INSERT INTO sessions (token, user_id, kind, client_id, expires_at, created_at) VALUES (?1, ?2, 'refresh', ?3, NULL, ?4)",
        rusqlite::params![token, user_id, CLIENT_ID, now],
    )?;
    Ok(token)
}

/// Issues a refresh token for a user (for flows that grant one).
pub(crate) fn issue_refresh(state: &OrgState, user_id: &str) -> Result<String, ApiError> {
    new_refresh(state, user_id)
}

pub(super) async fn revoke(AxState(state): AxState<State>, body: Bytes) -> Response {
    let params = form(&body);
    let token = params.get("token").cloned().unwrap_or_default();
    let st = state.clone();
    let result = run_blocking(move || {
        forget_session(&st, &token);
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

/// The JWT bearer grant type.
const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The user a JWT bearer assertion logs in, or the OAuth error.
fn jwt_user(
    state: &OrgState,
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
