//! The OAuth web flow that makes a connection: start, redirect to Salesforce, callback.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sfkit_client::WebFlowFailure;
use sfkit_client::auth::{AuthorizationRequest, LoginKind, Redirect};
use sfkit_store::Connection;

use crate::auth::Authed;
use crate::errors::Refusal;
use crate::handlers::check_connection_name;
use crate::handlers::connections::managing_input;
use crate::state::{FLOW_TTL, Pending, Shared};

/// `POST /v1/connections/{name}/authorize` with `{loginUrl, clientId, clientSecret?}`: starts
/// the OAuth web flow for a new connection; answers the URL to send the person to.
pub(crate) async fn start_connect(
    Authed(key): Authed,
    State(st): State<Shared>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, Refusal> {
    let input = managing_input(&key, body)?;
    let field = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(login_url), Some(client_id)) = (field("loginUrl"), field("clientId")) else {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            "the connect flow needs loginUrl and clientId (and clientSecret if the app requires it)",
        ));
    };
    check_connection_name(&name)?;
    let base = st.url.get().cloned().unwrap_or_default();
    let client_secret = field("clientSecret");
    let flow = AuthorizationRequest::for_refresh_token(
        login_url,
        client_id,
        client_secret,
        format!("{base}/v1/oauth/callback"),
    );
    let state = flow.state().to_owned();
    {
        let mut pending = st.pending.lock();
        pending.retain(|_, p| p.started.elapsed() < FLOW_TTL);
        pending.insert(
            state.clone(),
            Pending {
                name,
                flow,
                started: Instant::now(),
            },
        );
    }
    Ok(Json(json!({
        "authorizeUrl": format!("{base}/v1/oauth/start/{state}"),
        "expiresInSeconds": FLOW_TTL.as_secs(),
    })))
}

/// `GET /v1/oauth/start/{state}`: sends the browser to Salesforce's login page.
pub(crate) async fn redirect_to_salesforce(
    State(st): State<Shared>,
    Path(state): Path<String>,
) -> Result<Response, Refusal> {
    let url = st
        .pending
        .lock()
        .get(&state)
        .filter(|p| p.started.elapsed() < FLOW_TTL)
        .map(|p| p.flow.url());
    match url {
        Some(Ok(u)) => Ok((StatusCode::FOUND, [(header::LOCATION, u.to_string())]).into_response()),
        Some(Err(e)) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            e.to_string(),
        )),
        None => Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "this login link expired or was used; start again",
        )),
    }
}

/// `GET /v1/oauth/callback`: trades the code for tokens and saves the connection.
pub(crate) async fn oauth_callback(
    State(st): State<Shared>,
    Query(redirect): Query<Redirect>,
) -> Result<Response, Refusal> {
    let pending = redirect
        .state
        .as_ref()
        .and_then(|s| st.pending.lock().remove(s))
        .filter(|p| p.started.elapsed() < FLOW_TTL);
    let Some(p) = pending else {
        return Err(WebFlowFailure::UnknownState.into());
    };
    let http = sfkit_client::http_client().map_err(|e| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN_EXCEPTION",
            e.to_string(),
        )
    })?;
    let won = p.flow.finish(&http, &redirect).await?;
    let mut secrets = json!({"refreshToken": won.refresh_token.expose()});
    if let (Some(s), Value::Object(m)) = (&won.client_secret, &mut secrets) {
        m.insert("clientSecret".into(), json!(s.expose()));
    }
    let conn = Connection::new(
        p.name.clone(),
        won.instance_url.unwrap_or_else(|| won.login_url.clone()),
        LoginKind::RefreshToken.as_str(),
        json!({"clientId": won.client_id, "loginUrl": won.login_url}),
    );
    st.store.put_connection(conn, secrets).await?;
    st.clients.forget(&p.name);
    st.connection_names.clear();
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "Connected: sfkit saved the connection {:?}. You can close this tab.",
            p.name
        ),
    )
        .into_response())
}
