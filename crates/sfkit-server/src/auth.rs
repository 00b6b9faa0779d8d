//! Who is calling: the API key (`Authorization: Bearer KEY`) checked against the store's hashes,
//! the keys recently verified, and each key's request rate. Handlers take [`Authed`], an
//! extractor that does all three before anything else of the request is read; `/mcp`, a nested
//! service that extractors do not reach, gets the same check from [`require_key`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use sfkit_store::{ApiKey, Store};

use crate::errors::Refusal;
use crate::rate::RateLimiter;
use crate::state::{AppState, Shared};

/// The caller's API key, verified and within its rate.
pub(crate) struct Authed(pub(crate) ApiKey);

impl FromRequestParts<Shared> for Authed {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, Refusal> {
        // Checked once per request, whoever asks first.
        if let Some(key) = parts.extensions.get::<ApiKey>() {
            return Ok(Authed(key.clone()));
        }
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty());
        let Some(presented) = presented else {
            return Err(unauthorized(
                "an API key is required: Authorization: Bearer KEY (`sfkit apikey create NAME`)",
            ));
        };
        let key = st.keys.check(st, presented).await?;
        parts.extensions.insert(key.clone());
        Ok(Authed(key))
    }
}

/// The check of [`Authed`] in front of a service (MCP over HTTP): the key is left in the
/// request's extensions for the service to read, and nothing of an unknown caller's body is read.
pub(crate) async fn require_key(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    if let Err(refused) = Authed::from_request_parts(&mut parts, &st).await {
        return refused.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn unauthorized(message: &str) -> Refusal {
    Refusal::new(StatusCode::UNAUTHORIZED, "INVALID_AUTH_HEADER", message)
        .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
}

/// The keys this server verified recently, and each key's rate.
pub(crate) struct Keys {
    /// How long a verified key is trusted without asking the store again (zero: never kept).
    ttl: Duration,
    /// By the key's text (this process already holds it; nothing is written anywhere).
    verified: Mutex<HashMap<String, (ApiKey, Instant)>>,
    /// Bumped whenever keys are forgotten, so that a check that began before cannot put back
    /// what was just forgotten.
    epoch: AtomicU64,
    /// The store's revocation revision last seen, and when it was read.
    revision: tokio::sync::Mutex<(Option<u64>, Option<Instant>)>,
    /// How often the revision is read (while requests come).
    revision_every: Duration,
    rate: RateLimiter,
}

impl Keys {
    pub(crate) fn new(ttl: Duration, revision_every: Duration, rate_per_key: f64) -> Self {
        Keys {
            ttl,
            verified: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(0),
            revision: tokio::sync::Mutex::new((None, None)),
            revision_every,
            rate: RateLimiter::new(rate_per_key),
        }
    }

    /// The key's record when it is valid and has a request left in its rate.
    async fn check(&self, st: &AppState, presented: &str) -> Result<ApiKey, Refusal> {
        self.follow_revocations(st.store.as_ref()).await;
        let epoch = self.epoch.load(Ordering::Acquire);
        // A kept key is not put back: its time in the cache runs from the store's check, so
        // even a busy key is checked again every `ttl`.
        let record = match self.kept(presented) {
            Some(r) => r,
            None => match st.store.verify_api_key(presented).await {
                Ok(Some(r)) => {
                    self.keep(presented, &r, epoch);
                    r
                }
                Ok(None) => {
                    return Err(unauthorized("the API key is not valid (wrong, or revoked)"));
                }
                Err(e) => {
                    tracing::error!(error = %e, "checking an API key");
                    return Err(Refusal::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "STORE_UNAVAILABLE",
                        "the server's store failed",
                    ));
                }
            },
        };
        if let Err(wait) = self.rate.take(&record.id) {
            let mut refused = Refusal::new(
                StatusCode::TOO_MANY_REQUESTS,
                "REQUEST_LIMIT_EXCEEDED",
                format!("this API key's request rate is used up; retry in {wait:.2} s"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("{}", wait.ceil().max(1.0))) {
                refused = refused.with_header(header::RETRY_AFTER, v);
            }
            return Err(refused);
        }
        Ok(record)
    }

    fn kept(&self, presented: &str) -> Option<ApiKey> {
        self.verified
            .lock()
            .get(presented)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(k, _)| k.clone())
    }

    /// Keeps a key the store verified, unless keys were forgotten since `epoch` (the check
    /// may predate a revocation).
    fn keep(&self, presented: &str, record: &ApiKey, epoch: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut verified = self.verified.lock();
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if verified.len() > 10_000 {
            verified.clear();
        }
        verified.insert(presented.to_owned(), (record.clone(), Instant::now()));
    }

    /// Forgets the key with this id or name (revoked through this server).
    pub(crate) fn forget(&self, id_or_name: &str) {
        let mut verified = self.verified.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        verified.retain(|_, (k, _)| k.id != id_or_name && k.name != id_or_name);
    }

    fn forget_all(&self) {
        let mut verified = self.verified.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        verified.clear();
    }

    /// Forgets every kept key when the store says a key was revoked since the last look (by
    /// another process: `sfkit apikey revoke`, another replica). The store is asked at most
    /// once per `revision_every`, by one request while the others wait: a busy server reads
    /// a number a few times a second instead of hashing every request's key.
    async fn follow_revocations(&self, store: &dyn Store) {
        if self.ttl.is_zero() {
            return;
        }
        let mut revision = self.revision.lock().await;
        if revision
            .1
            .is_some_and(|at| at.elapsed() < self.revision_every)
        {
            return;
        }
        match store.api_keys_revision().await {
            Ok(n) => {
                if revision.0 != Some(n) {
                    self.forget_all();
                }
                *revision = (Some(n), Some(Instant::now()));
            }
            Err(e) => {
                // Unknown whether a key was revoked: trust none of those kept.
                tracing::warn!(error = %e, "reading the API keys' revision");
                self.forget_all();
            }
        }
    }
}
