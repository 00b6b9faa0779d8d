//! [`ClientBuilder`]: the token source and the transport's settings, and the HTTP client with
//! sfkit-client's TLS trust, timeouts and `User-Agent`, built in one place for [`Client`] and for
//! callers that need it bare ([`ClientBuilder::build_http`], [`http_client`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Semaphore;

use super::{Budget, Client, DEFAULT_API_VERSION, Inner, RetryPolicy, Usage};
use crate::auth::{Session, TokenSource};
use crate::error::Error;
use crate::tls;

/// Builds a [`Client`]: where tokens come from, and the transport's settings.
///
/// ```no_run
/// # fn run() -> Result<(), sfkit_client::Error> {
/// use sfkit_client::Client;
/// use sfkit_client::auth::RefreshToken;
///
/// let refresh = std::env::var("SF_REFRESH_TOKEN").unwrap_or_default();
/// let client = Client::builder()
///     .token_source(
///         RefreshToken::new("3MVG9...", refresh).login_url("https://login.salesforce.com"),
///     )
///     .max_in_flight(10)
///     .build()?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
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
            .clone()
            .ok_or_else(|| Error::Config("a token source is required".into()))?;
        if !(0.0..=1.0).contains(&self.budget.warn_at)
            || !(0.0..=1.0).contains(&self.budget.stop_at)
        {
            return Err(Error::Config(
                "budget thresholds are fractions between 0 and 1".into(),
            ));
        }
        let http = self.build_http()?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                session: Session::new(source, self.instance_url),
                version: self.version,
                limiter: Arc::new(Semaphore::new(self.max_in_flight)),
                budget: self.budget,
                usage: Usage::default(),
                retry: self.retry,
                describes: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The bare HTTP client that [`Self::build`] would give its [`Client`]: the same TLS trust
    /// (the system's roots, `SSL_CERT_FILE`'s, [`Self::trust_pem`]'s), timeouts and
    /// `User-Agent`, and nothing else: no token, no limits, no retries. For the requests made
    /// before there is a token source, such as trading the web-server flow's code
    /// ([`crate::auth::AuthorizationRequest::exchange`]). A token source is not needed.
    ///
    /// ```no_run
    /// # async fn run(code: &str) -> Result<(), sfkit_client::Error> {
    /// use sfkit_client::auth::AuthorizationRequest;
    ///
    /// let flow = AuthorizationRequest::new(
    ///     "https://login.salesforce.com",
    ///     "3MVG9...",
    ///     "http://localhost:1717/callback",
    /// );
    /// let http = sfkit_client::Client::builder().build_http()?;
    /// let token = flow.exchange(&http, code).await?;
    /// # let _ = token;
    /// # Ok(())
    /// # }
    /// ```
    pub fn build_http(&self) -> Result<reqwest::Client, Error> {
        let ssl_cert_file = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
        let roots = tls::roots(ssl_cert_file.as_deref(), &self.trusted_pem)?;
        reqwest::Client::builder()
            .use_preconfigured_tls(tls::config(roots)?)
            .user_agent(self.user_agent.as_str())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))
    }
}

/// The bare HTTP client a [`Client`] with default settings uses (same TLS trust, timeouts and
/// `User-Agent`), for requests that need no session: `Client::builder().build_http()`. See
/// [`ClientBuilder::build_http`].
pub fn http_client() -> Result<reqwest::Client, Error> {
    ClientBuilder::default().build_http()
}
