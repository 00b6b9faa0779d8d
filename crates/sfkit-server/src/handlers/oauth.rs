//! The OAuth web flow that makes a connection: start, redirect to Salesforce, callback.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sfkit_actions::ActionError;
use sfkit_store::{ApiKey, Connection};

use crate::errors::error;
use crate::handlers::actions::action_error;
use crate::handlers::connections::managing_input;
use crate::state::{FLOW_TTL, Pending, Shared};

/// `POST /v1/connections/{name}/authorize` with `{loginUrl, clientId, clientSecret?}`: starts
/// the OAuth web flow for a new connection; answers the URL to send the person to.
pub(crate) async fn start_connect(
    State(st): State<Shared>,
    key: axum::Extension<ApiKey>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let input = match managing_input(&key, body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let field = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(login_url), Some(client_id)) = (field("loginUrl"), field("clientId")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            "the connect flow needs loginUrl and clientId (and clientSecret if the app requires it)",
        );
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            "a connection name is letters, digits, - and _",
        );
    }
    let base = st.url.get().cloned().unwrap_or_default();
    let client_secret = field("clientSecret");
    let mut flow = sfkit_client::auth::AuthorizationRequest::new(
        login_url.clone(),
        client_id.clone(),
        format!("{base}/v1/oauth/callback"),
    )
    .scope("api refresh_token");
    if let Some(s) = &client_secret {
        flow = flow.client_secret(s.clone());
    }
    let state = flow.state().to_owned();
    {
        let mut pending = st
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.retain(|_, p| p.started.elapsed() < FLOW_TTL);
        pending.insert(
            state.clone(),
            Pending {
                name,
                login_url,
                client_id,
                client_secret,
                flow,
                started: Instant::now(),
            },
        );
    }
    axum::Json(json!({
        "authorizeUrl": format!("{base}/v1/oauth/start/{state}"),
        "expiresInSeconds": FLOW_TTL.as_secs(),
    }))
    .into_response()
}

/// `GET /v1/oauth/start/{state}`: sends the browser to Salesforce's login page.
pub(crate) async fn redirect_to_salesforce(
    State(st): State<Shared>,
    Path(state): Path<String>,
) -> Response {
    let url = {
        let pending = st
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending
            .get(&state)
            .filter(|p| p.started.elapsed() < FLOW_TTL)
            .map(|p| p.flow.url())
    };
    match url {
        Some(Ok(u)) => (StatusCode::FOUND, [(header::LOCATION, u.to_string())]).into_response(),
        Some(Err(e)) => error(StatusCode::BAD_REQUEST, "INVALID_FIELD", e.to_string()),
        None => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "this login link expired or was used; start again",
        ),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct Callback {
    pub(crate) code: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) error_description: Option<String>,
}

/// `GET /v1/oauth/callback`: trades the code for tokens and saves the connection.
pub(crate) async fn oauth_callback(
    State(st): State<Shared>,
    Query(cb): Query<Callback>,
) -> Response {
    let Some(p) = cb.state.as_ref().and_then(|s| {
        st.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(s)
    }) else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_STATE",
            "unknown or used login; start again",
        );
    };
    if let Some(e) = cb.error {
        return error(
            StatusCode::BAD_REQUEST,
            "OAUTH_DENIED",
            format!(
                "Salesforce refused the login: {e} {}",
                cb.error_description.unwrap_or_default()
            ),
        );
    }
    let Some(code) = cb.code else {
        return error(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            "the callback has no code",
        );
    };
    let http = match sfkit_client::Client::builder()
        .token_source(sfkit_client::auth::StaticToken::new(
            "unused",
            p.login_url.clone(),
        ))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "UNKNOWN_EXCEPTION",
                e.to_string(),
            );
        }
    };
    let token = match p.flow.exchange(http.http(), &code).await {
        Ok(t) => t,
        Err(e) => return action_error(&ActionError::from(e)),
    };
    let Some(refresh) = token.refresh_token else {
        return error(
            StatusCode::BAD_REQUEST,
            "NO_REFRESH_TOKEN",
            "Salesforce gave no refresh token: add the refresh_token scope to the connected app",
        );
    };
    let instance = token.instance_url.unwrap_or_else(|| p.login_url.clone());
    let mut secrets = json!({"refreshToken": refresh.expose()});
    if let (Some(s), Value::Object(m)) = (&p.client_secret, &mut secrets) {
        m.insert("clientSecret".into(), json!(s));
    }
    let conn = Connection::new(
        p.name.clone(),
        instance,
        "refresh_token",
        json!({"clientId": p.client_id, "loginUrl": p.login_url}),
    );
    if let Err(e) = st.store.put_connection(conn, secrets).await {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "STORE_UNAVAILABLE",
            e.to_string(),
        );
    }
    st.clients.forget(&p.name);
    st.cache.clear_connections();
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "Connected: sfkit saved the connection {:?}. You can close this tab.",
            p.name
        ),
    )
        .into_response()
}
