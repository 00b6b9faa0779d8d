//! Who a token belongs to: userinfo and the identity URL.

use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::OptionalExtension;
use serde_json::json;

use super::form;
use crate::api_error::ApiError;
use crate::http::{
    OrgState, Session, State, bearer, error_response, json_response, lookup_session, run_blocking,
};

/// The user fields identity answers need.
struct UserRow {
    username: String,
    email: Option<String>,
    first: Option<String>,
    last: Option<String>,
    name: Option<String>,
}

fn user_json(state: &OrgState, user_id: &str) -> Result<Option<UserRow>, ApiError> {
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

pub(super) async fn userinfo(AxState(state): AxState<State>, session: Session) -> Response {
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

pub(super) async fn identity(
    AxState(state): AxState<State>,
    Path((org, user)): Path<(String, String)>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    // jsforce passes the token as `oauth_token`; others send the Authorization header.
    let token = bearer(&headers).or_else(|| {
        uri.query()
            .and_then(|q| form(q.as_bytes()).get("oauth_token").cloned())
    });
    let invalid = || error_response(&ApiError::new(403, "Bad_OAuth_Token", "Bad_OAuth_Token"));
    let Some(token) = token else { return invalid() };
    let st = state.clone();
    let session = run_blocking(move || lookup_session(&st, &token)).await;
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
