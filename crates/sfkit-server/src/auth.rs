//! The API-key check: every route but `/healthz` and the OpenAPI document needs a key.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::errors::error;
use crate::state::Shared;

/// Requires a valid API key (`Authorization: Bearer KEY`) and a free slot in its rate.
pub(crate) async fn authenticate(
    State(st): State<Shared>,
    mut req: Request,
    next: Next,
) -> Response {
    let key = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let Some(key) = key else {
        return unauthorized(
            "an API key is required: Authorization: Bearer KEY (`sfkit apikey create NAME`)",
        );
    };
    st.cache.follow_revocations(st.store.as_ref()).await;
    let epoch = st.cache.epoch();
    // A kept key is not put back: its time in the cache runs from the store's check, so even a
    // busy key is checked again every `cache_ttl`.
    let record = match st.cache.key(&key) {
        Some(r) => r,
        None => match st.store.verify_api_key(&key).await {
            Ok(Some(r)) => {
                st.cache.put_key(&key, &r, epoch);
                r
            }
            Ok(None) => return unauthorized("the API key is not valid (wrong, or revoked)"),
            Err(e) => {
                tracing::error!(error = %e, "checking an API key");
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "STORE_UNAVAILABLE",
                    "the server's store failed",
                );
            }
        },
    };
    if let Err(wait) = st.rate.take(&record.id) {
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "REQUEST_LIMIT_EXCEEDED",
            format!("this API key's request rate is used up; retry in {wait:.2} s"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("{}", wait.ceil().max(1.0))) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    req.extensions_mut().insert(record);
    next.run(req).await
}

pub(crate) fn unauthorized(message: &str) -> Response {
    let mut r = error(StatusCode::UNAUTHORIZED, "INVALID_AUTH_HEADER", message);
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}
