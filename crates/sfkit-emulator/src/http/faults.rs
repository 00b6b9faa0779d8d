//! Fault injection and the concurrent long-running request cap.
//!
//! Faults let client retry paths be tested against a server, not a stub. A spec is a comma list
//! of `kind[=value]@rate`, for example `latency=200ms@0.1,503@0.05,expire@0.01,lock@0.02`:
//! - `latency=DURATION@p`: wait before answering;
//! - `500@p`, `502@p`, `503@p`, `504@p`: answer with that status;
//! - `expire@p`: end the caller's session and answer 401 INVALID_SESSION_ID (a refresh is then
//!   really needed);
//! - `lock@p`: refuse a write with UNABLE_TO_LOCK_ROW, writing nothing.
//!
//! Faults apply to REST and SOAP calls, never to OAuth, so a client can always re-authenticate.
//! With the admin endpoint enabled, `GET`/`PUT /_sfkit/faults` reads and replaces the spec.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State as AxState};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;

use super::{State, bearer, error_response};
use crate::api_error::ApiError;

/// One injected fault.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Delay the answer.
    Latency(Duration),
    /// Answer with this 5xx status.
    Status(u16),
    /// End the session and answer 401.
    Expire,
    /// Refuse writes with UNABLE_TO_LOCK_ROW.
    Lock,
}

/// Faults with their rates (0.0 to 1.0).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    /// The faults, each drawn independently per request.
    pub faults: Vec<(Fault, f64)>,
}

impl FaultSpec {
    /// Parses `kind[=value]@rate,...`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut faults = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (what, rate) = part.split_once('@').unwrap_or((part, "1"));
            let rate: f64 = rate
                .trim()
                .parse()
                .map_err(|_| format!("{part:?}: the rate after @ must be a number from 0 to 1"))?;
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{part:?}: the rate after @ must be from 0 to 1"));
            }
            let (kind, value) = what.split_once('=').unwrap_or((what, ""));
            let fault = match kind.trim().to_ascii_lowercase().as_str() {
                "latency" => Fault::Latency(parse_duration(value).ok_or_else(|| {
                    format!("{part:?}: latency needs a duration, e.g. latency=200ms@0.1")
                })?),
                "500" | "502" | "503" | "504" => Fault::Status(kind.trim().parse().unwrap_or(503)),
                "expire" | "expired" => Fault::Expire,
                "lock" | "unable_to_lock_row" => Fault::Lock,
                other => {
                    return Err(format!(
                        "unknown fault {other:?} (latency, 500, 502, 503, 504, expire, lock)"
                    ));
                }
            };
            faults.push((fault, rate));
        }
        Ok(FaultSpec { faults })
    }
}

impl std::fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .faults
            .iter()
            .map(|(fault, rate)| match fault {
                Fault::Latency(d) => format!("latency={}ms@{rate}", d.as_millis()),
                Fault::Status(s) => format!("{s}@{rate}"),
                Fault::Expire => format!("expire@{rate}"),
                Fault::Lock => format!("lock@{rate}"),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

/// `250ms`, `2s`, `1m`.
fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n.checked_mul(60)?)),
        _ => None,
    }
}

/// Live fault and concurrency state.
#[derive(Debug)]
pub(crate) struct Faults {
    pub(crate) spec: Mutex<FaultSpec>,
    /// Start times of requests in flight, by request number.
    in_flight: Mutex<HashMap<u64, Instant>>,
    /// API requests seen (REST and SOAP), answered or not.
    pub(crate) next: AtomicU64,
    pub(crate) long_running: Duration,
    pub(crate) max_long_running: usize,
    rng: Mutex<u64>,
}

impl Faults {
    pub(crate) fn new(
        spec: FaultSpec,
        long_running: Duration,
        max_long_running: usize,
    ) -> Arc<Self> {
        Arc::new(Faults {
            spec: Mutex::new(spec),
            in_flight: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            long_running,
            max_long_running,
            rng: Mutex::new(0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id())),
        })
    }

    fn draw(&self) -> f64 {
        let mut s = self.rng.lock();
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Removes a request from the in-flight table when it ends, however it ends.
struct InFlight<'a> {
    faults: &'a Faults,
    id: u64,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.faults.in_flight.lock().remove(&self.id);
    }
}

/// The middleware around REST and SOAP routes.
pub(crate) async fn layer(AxState(state): AxState<State>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let api_call = (path.starts_with("/services/data/v") || path.starts_with("/services/Soap/"))
        && path.len() > "/services/data/v".len();
    if !api_call {
        return next.run(req).await;
    }
    let faults = &state.faults;
    let id = faults.next.fetch_add(1, Ordering::Relaxed);
    {
        let mut table = faults.in_flight.lock();
        let long = table
            .values()
            .filter(|t| t.elapsed() >= faults.long_running)
            .count();
        if long >= faults.max_long_running {
            return error_response(&ApiError::new(
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
            ));
        }
        table.insert(id, Instant::now());
    }
    let _guard = InFlight { faults, id };
    let spec = faults.spec.lock().clone();
    let write = matches!(
        *req.method(),
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    );
    for (fault, rate) in &spec.faults {
        if faults.draw() >= *rate {
            continue;
        }
        match fault {
            Fault::Latency(d) => tokio::time::sleep(*d).await,
            Fault::Status(code) => {
                let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                return error_response(&ApiError::new(
                    status.as_u16(),
                    "SERVER_UNAVAILABLE",
                    "Server temporarily unavailable (injected fault)",
                ));
            }
            Fault::Expire => {
                if let Some(token) = bearer(req.headers()) {
                    let st = state.clone();
                    let _ = super::run_blocking(move || {
                        super::forget_session(&st, &token);
                        st.store
                            .writer()
                            .conn
                            .execute("DELETE FROM sessions WHERE token = ?1", [token])?;
                        Ok(())
                    })
                    .await;
                }
                return error_response(&ApiError::new(
                    401,
                    "INVALID_SESSION_ID",
                    "Session expired or invalid",
                ));
            }
            Fault::Lock if write => {
                return error_response(&ApiError::bad_request(
                    "UNABLE_TO_LOCK_ROW",
                    "unable to obtain exclusive access to this record or 1 records",
                ));
            }
            Fault::Lock => {}
        }
    }
    next.run(req).await
}

/// `GET /_sfkit/faults`: the current spec.
pub(crate) async fn get_spec(AxState(state): AxState<State>) -> Response {
    let spec = state.faults.spec.lock().to_string();
    (StatusCode::OK, spec).into_response()
}

/// `PUT /_sfkit/faults` with a spec as the body (empty clears).
pub(crate) async fn put_spec(AxState(state): AxState<State>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    match FaultSpec::parse(&text) {
        Ok(spec) => {
            *state.faults.spec.lock() = spec;
            Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::empty())
                .unwrap_or_default()
        }
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print() {
        let s = FaultSpec::parse("latency=200ms@0.1, 503@0.05,expire@0.01,lock@1").unwrap();
        assert_eq!(s.faults.len(), 4);
        assert_eq!(
            s.faults[0],
            (Fault::Latency(Duration::from_millis(200)), 0.1)
        );
        assert_eq!(
            s.to_string(),
            "latency=200ms@0.1,503@0.05,expire@0.01,lock@1"
        );
        assert!(FaultSpec::parse("boom@0.1").is_err());
        assert!(FaultSpec::parse("503@2").is_err());
        assert!(FaultSpec::parse("latency@0.5").is_err());
        assert_eq!(FaultSpec::parse("").unwrap(), FaultSpec::default());
    }
}
