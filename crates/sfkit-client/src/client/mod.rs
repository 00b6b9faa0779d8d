//! The client and its transport: one reqwest client, a limit on requests in flight, the daily
//! budget read from `Sforce-Limit-Info`, retries where they are safe, and re-authentication when
//! Salesforce says the session is invalid.
//!
//! - [`builder`]: [`ClientBuilder`], and the HTTP client with sfkit-client's TLS trust;
//! - [`request`]: what handlers send ([`Req`]) and get back ([`Answer`], [`Streamed`]);
//! - [`retry`]: [`RetryPolicy`] and the one table of what is tried again;
//! - [`send`]: the loop that sends a request under that policy;
//! - here: [`Client`] itself, the daily budget and the describe cache.

mod builder;
mod request;
mod retry;
mod send;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;
use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;

pub use builder::{ClientBuilder, http_client};
pub(crate) use request::{Req, SESSION_PLACEHOLDER, Streamed, Target, Upload, data};
pub use retry::RetryPolicy;

use crate::auth::Session;
use crate::error::Error;
use crate::sobjects::SObjectDescribe;

/// The API version used unless the builder sets another.
pub const DEFAULT_API_VERSION: &str = "66.0";

/// A Salesforce client. Cheap to clone; clones share the session, limits and connections.
///
/// Built from a [`TokenSource`](crate::TokenSource) with [`Client::builder`]; every call then
/// waits for a slot, checks the daily budget, authenticates (renewing a rejected token) and
/// retries where it is safe (see [`RetryPolicy`]).
///
/// ```no_run
/// # async fn run() -> Result<(), sfkit_client::Error> {
/// use sfkit_client::Client;
/// use sfkit_client::auth::ClientCredentials;
///
/// let source = ClientCredentials::new(
///     "https://example.my.salesforce.com",
///     "3MVG9...",
///     std::env::var("SF_CLIENT_SECRET").unwrap_or_default(),
/// );
/// let client = Client::builder().token_source(source).build()?;
/// let limits = client.limits().await?;
/// println!("{} limits, API {}", limits.len(), client.api_version());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) session: Session,
    pub(crate) version: String,
    /// Shared so a permit can outlive a borrow of the client (a streamed answer holds one).
    limiter: Arc<Semaphore>,
    budget: Budget,
    usage: Usage,
    retry: RetryPolicy,
    describes: Mutex<HashMap<String, Arc<SObjectDescribe>>>,
}

/// Daily API budget thresholds, as fractions of the org's allowance (from `Sforce-Limit-Info`).
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Log a warning once usage passes this (default 0.80).
    pub warn_at: f64,
    /// Refuse calls past this (default 0.95), keeping the org's last requests for others.
    pub stop_at: f64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            warn_at: 0.80,
            stop_at: 0.95,
        }
    }
}

/// The org's daily API usage, as last reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiUsage {
    /// Requests used in the last 24 hours.
    pub used: u64,
    /// The allowance.
    pub max: u64,
}

#[derive(Debug, Default)]
struct Usage {
    used: AtomicU64,
    max: AtomicU64,
    warned: AtomicBool,
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The API version in use.
    pub fn api_version(&self) -> &str {
        &self.inner.version
    }

    /// The org's daily API usage from the last `Sforce-Limit-Info` seen, if any.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        let max = self.inner.usage.max.load(Ordering::Relaxed);
        (max > 0).then(|| ApiUsage {
            used: self.inner.usage.used.load(Ordering::Relaxed),
            max,
        })
    }

    /// The HTTP client (same TLS trust), for token sources and tests. Without a client, the same
    /// comes from [`ClientBuilder::build_http`].
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The org's URL, getting a token first if there is none yet.
    pub async fn instance_url(&self) -> Result<String, Error> {
        Ok(self.inner.session.get(&self.inner.http).await?.instance_url)
    }

    pub(crate) fn cached_describe(&self, key: &str) -> Option<Arc<SObjectDescribe>> {
        self.inner.describes.lock().get(key).cloned()
    }

    pub(crate) fn cache_describe(&self, key: String, d: Arc<SObjectDescribe>) {
        self.inner.describes.lock().insert(key, d);
    }

    pub(super) fn check_budget(&self) -> Result<(), Error> {
        let u = &self.inner.usage;
        let (used, max) = (
            u.used.load(Ordering::Relaxed),
            u.max.load(Ordering::Relaxed),
        );
        if max == 0 {
            return Ok(());
        }
        let fraction = used as f64 / max as f64;
        if fraction >= self.inner.budget.stop_at {
            return Err(Error::BudgetExhausted {
                used,
                max,
                percent: fraction * 100.0,
                stop: self.inner.budget.stop_at * 100.0,
            });
        }
        Ok(())
    }

    /// Reads `Sforce-Limit-Info: api-usage=USED/MAX`.
    pub(super) fn note_usage(&self, headers: &HeaderMap) {
        let Some((used, max)) = headers
            .get("sforce-limit-info")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_limit_info)
        else {
            return;
        };
        let u = &self.inner.usage;
        u.used.store(used, Ordering::Relaxed);
        u.max.store(max, Ordering::Relaxed);
        let fraction = if max == 0 {
            0.0
        } else {
            used as f64 / max as f64
        };
        if fraction >= self.inner.budget.warn_at && !u.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                used,
                max,
                "the org has used {:.1}% of its daily API requests",
                fraction * 100.0
            );
        }
    }
}

/// `api-usage=18/15000` (possibly among other `key=value` parts).
fn parse_limit_info(v: &str) -> Option<(u64, u64)> {
    let usage = v
        .split(',')
        .find_map(|p| p.trim().strip_prefix("api-usage="))?;
    let (used, max) = usage.split_once('/')?;
    Some((used.trim().parse().ok()?, max.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_info() {
        assert_eq!(parse_limit_info("api-usage=18/15000"), Some((18, 15000)));
        assert_eq!(
            parse_limit_info("per-app-api-usage=1/10(appName=x), api-usage=5/100"),
            Some((5, 100))
        );
        assert_eq!(parse_limit_info("api-usage=x/100"), None);
    }
}
