//! OAuth 2.0, with errors in OAuth's `{error, error_description}` shape: the token endpoint
//! and revoke ([`token`]), the web server flow's login page ([`authorize`]), and userinfo and
//! the identity URL ([`identity`]). Here: routes and what they share (form bodies, client
//! credentials, the error shape).

mod authorize;
mod identity;
mod token;

use std::collections::HashMap;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::json;

use super::{State, json_response};
use authorize::{authorize_page, authorize_submit};
use identity::{identity, userinfo};
pub(crate) use token::issue_refresh;
use token::{revoke, token};

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

pub(super) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

pub(super) fn form(body: &[u8]) -> HashMap<String, String> {
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
pub(super) fn client(
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
