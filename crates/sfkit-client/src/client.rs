//! The client and its transport: one reqwest client, a limit on requests in flight, the daily
//! budget read from `Sforce-Limit-Info`, retries where they are safe, and one re-authentication
//! per call when Salesforce says the session is invalid.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use crate::auth::{Session, TokenSource};
use crate::error::{ApiError, Error, ErrorCode};
use crate::sobjects::SObjectDescribe;
use crate::tls;

/// The API version used unless the builder sets another.
pub const DEFAULT_API_VERSION: &str = "66.0";

/// A Salesforce client. Cheap to clone; clones share the session, limits and connections.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) session: Session,
    pub(crate) version: String,
    limiter: Semaphore,
    budget: Budget,
    usage: Usage,
    retry: RetryPolicy,
    describes: std::sync::Mutex<HashMap<String, Arc<SObjectDescribe>>>,
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

/// How failed calls are retried (only where safe; see [`Client`]).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 3).
    pub max_retries: u32,
    /// The first backoff (default 200 ms); doubled each time, with full jitter.
    pub base_delay: Duration,
    /// The longest backoff (default 5 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, attempt: u32) -> Duration {
        use rand::Rng as _;
        let cap = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_delay);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// Builds a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    instance_url: Option<String>,
    version: String,
    source: Option<Arc<dyn TokenSource>>,
    max_in_flight: usize,
    budget: Budget,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    trusted_pem: Vec<Vec<u8>>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            instance_url: None,
            version: DEFAULT_API_VERSION.into(),
            source: None,
            max_in_flight: 25,
            budget: Budget::default(),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            user_agent: format!("sfkit/{}", env!("CARGO_PKG_VERSION")),
            trusted_pem: Vec::new(),
        }
    }
}

impl ClientBuilder {
    /// The org's URL, used when the token source does not give one.
    pub fn instance_url(mut self, url: impl Into<String>) -> Self {
        self.instance_url = Some(url.into());
        self
    }

    /// The REST API version, e.g. `"66.0"` (default [`DEFAULT_API_VERSION`]).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into().trim_start_matches('v').to_owned();
        self
    }

    /// Where tokens come from.
    pub fn token_source(mut self, source: impl TokenSource + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Requests in flight at most (default 25, Salesforce's concurrent long-running cap).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Daily budget thresholds.
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// Retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The whole-request timeout (default 120 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Also trust the certificates in this PEM (besides the system's and `SSL_CERT_FILE`'s).
    pub fn trust_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.trusted_pem.push(pem.into());
        self
    }

    /// Builds the client; no request is made yet.
    pub fn build(self) -> Result<Client, Error> {
        let source = self
            .source
            .ok_or_else(|| Error::Config("a token source is required".into()))?;
        if !(0.0..=1.0).contains(&self.budget.warn_at)
            || !(0.0..=1.0).contains(&self.budget.stop_at)
        {
            return Err(Error::Config(
                "budget thresholds are fractions between 0 and 1".into(),
            ));
        }
        let ssl_cert_file = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
        let roots = tls::roots(ssl_cert_file.as_deref(), &self.trusted_pem)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls::config(roots)?)
            .user_agent(self.user_agent)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                session: Session::new(source, self.instance_url),
                version: self.version,
                limiter: Semaphore::new(self.max_in_flight),
                budget: self.budget,
                usage: Usage::default(),
                retry: self.retry,
                describes: std::sync::Mutex::new(HashMap::new()),
            }),
        })
    }
}

/// Where a request goes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// Path segments under `/services/data/vNN.N/` (each encoded).
    Data(Vec<String>),
    /// Path segments under the instance root, e.g. `services/oauth2/userinfo`.
    Root(Vec<String>),
    /// A path Salesforce handed out (`nextRecordsUrl`), already encoded.
    Raw(String),
}

/// A request, built once and sent as many times as retries need.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) target: Target,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<(Vec<u8>, &'static str)>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    /// Safe to send twice: sending it again cannot apply it twice.
    pub(crate) idempotent: bool,
    /// A SOAP call: its `SOAPAction` and envelope, whose [`SESSION_PLACEHOLDER`] is replaced by
    /// the session id on each attempt.
    pub(crate) soap: Option<(&'static str, String)>,
}

/// How many times one call renews a rejected token before giving up.
const MAX_RENEWALS: u32 = 3;

/// Where a SOAP envelope's session id goes.
pub(crate) const SESSION_PLACEHOLDER: &str = "{{sfkit-session-id}}";

impl Req {
    pub(crate) fn new(method: Method, target: Target) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::PATCH
        );
        Req {
            method,
            target,
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
            idempotent,
            soap: None,
        }
    }

    pub(crate) fn get(segments: &[&str]) -> Self {
        Self::new(Method::GET, data(segments))
    }

    pub(crate) fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    pub(crate) fn json(mut self, body: &impl serde::Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::Config(format!("request body is not JSON: {e}")))?;
        self.body = Some((bytes, "application/json"));
        Ok(self)
    }

    /// Marks a POST that only reads (a query, a search) or that Salesforce applies once
    /// (an upsert by external id) as safe to resend.
    pub(crate) fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    fn url(&self, instance: &str, version: &str) -> Result<Url, Error> {
        let mut url = Url::parse(instance)
            .map_err(|e| Error::Config(format!("instance URL {instance:?}: {e}")))?;
        match &self.target {
            Target::Raw(path) => {
                let (path, query) = path.split_once('?').unwrap_or((path, ""));
                url.set_path(path);
                url.set_query((!query.is_empty()).then_some(query));
            }
            Target::Data(segments) | Target::Root(segments) => {
                let mut path = url
                    .path_segments_mut()
                    .map_err(|()| Error::Config(format!("instance URL {instance:?}")))?;
                path.clear();
                if let Target::Data(_) = self.target {
                    path.extend(["services", "data", &format!("v{version}")]);
                }
                path.extend(segments);
            }
        }
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        Ok(url)
    }
}

/// Segments under `/services/data/vNN.N/`.
pub(crate) fn data(segments: &[&str]) -> Target {
    Target::Data(segments.iter().map(|s| (*s).to_owned()).collect())
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    /// `Sforce-Locator` (Bulk API 2.0 query results), when sent.
    pub(crate) locator: Option<String>,
}

impl Answer {
    pub(crate) fn json<T: DeserializeOwned>(&self, context: &str) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::decode(context, e))
    }
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

    /// The HTTP client (same TLS trust), for token sources and tests.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The org's URL, getting a token first if there is none yet.
    pub async fn instance_url(&self) -> Result<String, Error> {
        Ok(self.inner.session.get(&self.inner.http).await?.instance_url)
    }

    /// Sends a request: waits for a slot, checks the budget, authenticates, retries where safe,
    /// re-authenticates on `INVALID_SESSION_ID` (up to [`MAX_RENEWALS`] times).
    pub(crate) async fn send(&self, req: &Req) -> Result<Answer, Error> {
        let inner = &self.inner;
        let mut attempt = 0u32;
        let mut renewals = 0u32;
        loop {
            self.check_budget()?;
            let permit = inner
                .limiter
                .acquire()
                .await
                .map_err(|_| Error::Config("the client is shutting down".into()))?;
            let session = inner.session.get(&inner.http).await?;
            let url = req.url(&session.instance_url, &inner.version)?;
            let context = format!("{} {}", req.method, url.path());
            let mut rb = inner
                .http
                .request(req.method.clone(), url)
                .bearer_auth(session.token.expose());
            for (k, v) in &req.headers {
                rb = rb.header(k.clone(), v.clone());
            }
            if let Some((body, content_type)) = &req.body {
                rb = rb
                    .header(reqwest::header::CONTENT_TYPE, *content_type)
                    .body(body.clone());
            }
            if let Some((action, envelope)) = &req.soap {
                // Session ids are `[A-Za-z0-9!._-]`; nothing to escape, but never trust that.
                let id = session
                    .token
                    .expose()
                    .replace('&', "&amp;")
                    .replace('<', "&lt;");
                rb = rb
                    .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=UTF-8")
                    .header("SOAPAction", *action)
                    .body(envelope.replace(SESSION_PLACEHOLDER, &id));
            }
            let sent = rb.send().await;
            let r = match sent {
                Ok(r) => r,
                Err(e) => {
                    drop(permit);
                    // Not connected: nothing reached the server, so any request may go again.
                    let safe =
                        e.is_connect() || (req.idempotent && (e.is_timeout() || e.is_request()));
                    if safe && attempt < inner.retry.max_retries {
                        tokio::time::sleep(inner.retry.delay(attempt)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(Error::transport(context, e));
                }
            };
            self.note_usage(r.headers());
            let locator = r
                .headers()
                .get("sforce-locator")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let status = r.status();
            let body = match r.bytes().await {
                // Takes the buffer over when it is the only owner (no copy of a big page).
                Ok(b) => Vec::from(b),
                Err(e) => {
                    drop(permit);
                    if req.idempotent && attempt < inner.retry.max_retries {
                        tokio::time::sleep(inner.retry.delay(attempt)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(Error::transport(context, e));
                }
            };
            drop(permit);
            if status.is_success() || status == StatusCode::MULTIPLE_CHOICES {
                return Ok(Answer {
                    status: status.as_u16(),
                    body,
                    locator,
                });
            }
            let err = match crate::soap::fault(&body) {
                Some(fault) => ApiError::new(status.as_u16(), vec![fault]),
                None => ApiError::from_body(status.as_u16(), &body),
            };
            if status == StatusCode::UNAUTHORIZED || err.code == ErrorCode::InvalidSessionId {
                // A renewed token can expire again before a slow call gets through (short
                // session timeouts, a long queue for a slot): renew again while the source
                // hands out tokens, a few times, then say that the connection needs repair.
                if renewals >= MAX_RENEWALS {
                    return Err(Error::Reconnect {
                        cause: format!(
                            "{renewals} renewed sessions in a row were rejected too: {err}"
                        ),
                    });
                }
                renewals += 1;
                inner
                    .session
                    .renew(&inner.http, Some(session.generation))
                    .await?;
                continue;
            }
            let retry = match status.as_u16() {
                503 => true,
                502 | 504 => req.idempotent,
                _ => err.code == ErrorCode::UnableToLockRow,
            };
            if retry && attempt < inner.retry.max_retries {
                tracing::debug!(status = status.as_u16(), code = %err.code, attempt, "retrying");
                tokio::time::sleep(inner.retry.delay(attempt)).await;
                attempt += 1;
                continue;
            }
            return Err(Error::Api(err));
        }
    }

    /// Sends and decodes a JSON answer.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        req: &Req,
        context: &str,
    ) -> Result<T, Error> {
        self.send(req).await?.json(context)
    }

    pub(crate) fn cached_describe(&self, key: &str) -> Option<Arc<SObjectDescribe>> {
        self.inner
            .describes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    pub(crate) fn cache_describe(&self, key: String, d: Arc<SObjectDescribe>) {
        self.inner
            .describes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, d);
    }

    fn check_budget(&self) -> Result<(), Error> {
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
    fn note_usage(&self, headers: &HeaderMap) {
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

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 0..20 {
            assert!(p.delay(attempt) <= p.max_delay);
        }
    }

    #[test]
    fn urls_encode_segments() {
        let r = Req::get(&["sobjects", "Account", "Ext__c", "a/b c?"]);
        let url = r.url("https://example.my.salesforce.com/", "66.0").unwrap();
        assert_eq!(
            url.as_str(),
            "https://example.my.salesforce.com/services/data/v66.0/sobjects/Account/Ext__c/a%2Fb%20c%3F"
        );
        let raw = Req::new(
            Method::GET,
            Target::Raw("/services/data/v66.0/query/01gXX-2000".into()),
        );
        let url = raw.url("https://x.example", "66.0").unwrap();
        assert_eq!(
            url.as_str(),
            "https://x.example/services/data/v66.0/query/01gXX-2000"
        );
    }
}
