//! Where access tokens come from, and the session that holds the current one.
//!
//! A [`TokenSource`] knows how to get a token (a fixed one, a refresh token, JWT bearer, client
//! credentials, username-password, ...). The client's `Session` keeps the current token and
//! makes refresh single-flight: when many calls find the token rejected at once, the first asks
//! the source and the others wait for its answer, so Salesforce sees one token request. A
//! token answer without `instance_url` keeps the one the session had.

mod jwt;
mod login;
mod nango;
mod oauth;
mod sf_cli;

use std::fmt;
use std::sync::Arc;

use parking_lot::RwLock;

pub use jwt::JwtBearer;
pub use login::{JwtKey, Login, LoginKind};
pub use nango::{NANGO_CLOUD_URL, Nango};
pub use oauth::{
    AuthorizationRequest, ClientCredentials, DEFAULT_LOGIN_URL, Password, Redirect, RefreshToken,
    StaticToken, WebLogin,
};
pub use sf_cli::SfCliLogin;

use crate::error::Error;
use crate::secret::Secret;

/// A boxed future, as token sources return: `futures_util`'s own, under the name this module
/// has always given it.
pub use futures_util::future::BoxFuture;

/// An access token and where to use it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Token {
    /// The bearer token.
    pub access_token: Secret,
    /// The org's URL (`https://MyDomain.my.salesforce.com`), when the source knows it.
    pub instance_url: Option<String>,
    /// A refresh token, when the flow hands one out (authorization code, some password flows).
    pub refresh_token: Option<Secret>,
}

impl Token {
    /// A token for an instance.
    pub fn new(access_token: impl Into<Secret>, instance_url: Option<String>) -> Self {
        Token {
            access_token: access_token.into(),
            instance_url,
            refresh_token: None,
        }
    }
}

/// Why the session asks for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// There is none yet.
    Initial,
    /// Salesforce rejected the last one (`INVALID_SESSION_ID`).
    Rejected,
}

/// How many times one call renews a rejected token before giving up, unless the source says
/// otherwise: a renewed token can expire again before a slow call gets through (short session
/// timeouts, a long queue for a slot), so renewing while the source hands out tokens helps.
const RENEWALS_PER_CALL: u32 = 3;

/// Something that hands out access tokens.
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// Gets a token. `http` is the client's own HTTP client (same TLS trust).
    fn fetch<'a>(
        &'a self,
        http: &'a reqwest::Client,
        why: Fetch,
    ) -> BoxFuture<'a, Result<Token, Error>>;

    /// Whether the instance may move while the client lives. When it cannot be reached at all
    /// (the connection is refused, so nothing was sent), the client asks such a source again,
    /// as if the token had been rejected, before giving up. sfkit's local org moves: another
    /// process serves it when the one serving it ends.
    fn relocates(&self) -> bool {
        false
    }

    /// How many times one call may have a rejected token renewed (a [`Fetch::Rejected`]
    /// answer rejected in turn counts) before it fails with [`Error::Reconnect`]. Default 3.
    fn renewals_per_call(&self) -> u32 {
        RENEWALS_PER_CALL
    }
}

impl<T: TokenSource + ?Sized> TokenSource for Box<T> {
    fn fetch<'a>(
        &'a self,
        http: &'a reqwest::Client,
        why: Fetch,
    ) -> BoxFuture<'a, Result<Token, Error>> {
        (**self).fetch(http, why)
    }

    fn relocates(&self) -> bool {
        (**self).relocates()
    }

    fn renewals_per_call(&self) -> u32 {
        (**self).renewals_per_call()
    }
}

impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    fn fetch<'a>(
        &'a self,
        http: &'a reqwest::Client,
        why: Fetch,
    ) -> BoxFuture<'a, Result<Token, Error>> {
        (**self).fetch(http, why)
    }

    fn relocates(&self) -> bool {
        (**self).relocates()
    }

    fn renewals_per_call(&self) -> u32 {
        (**self).renewals_per_call()
    }
}

/// The current token, numbered so a caller can say which one it saw rejected.
#[derive(Clone)]
pub(crate) struct Current {
    pub(crate) token: Secret,
    pub(crate) instance_url: String,
    pub(crate) generation: u64,
}

/// Holds the current token; renews it single-flight.
pub(crate) struct Session {
    source: Arc<dyn TokenSource>,
    fallback_instance_url: Option<String>,
    current: RwLock<Option<Current>>,
    renewing: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("source", &self.source)
            .field("fallback_instance_url", &self.fallback_instance_url)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(source: Arc<dyn TokenSource>, fallback_instance_url: Option<String>) -> Self {
        Session {
            source,
            fallback_instance_url,
            current: RwLock::new(None),
            renewing: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether the source's instance may move (see [`TokenSource::relocates`]).
    pub(crate) fn relocates(&self) -> bool {
        self.source.relocates()
    }

    fn read(&self) -> Option<Current> {
        self.current.read().clone()
    }

    /// See [`TokenSource::renewals_per_call`].
    pub(crate) fn renewals_per_call(&self) -> u32 {
        self.source.renewals_per_call()
    }

    /// The current token, getting one first if there is none.
    pub(crate) async fn get(&self, http: &reqwest::Client) -> Result<Current, Error> {
        match self.read() {
            Some(c) => Ok(c),
            None => self.renew(http, None).await,
        }
    }

    /// A token newer than `stale` (the generation the caller saw rejected; `None` when it saw
    /// none). Callers queue here; only the first asks the source.
    pub(crate) async fn renew(
        &self,
        http: &reqwest::Client,
        stale: Option<u64>,
    ) -> Result<Current, Error> {
        let _one_at_a_time = self.renewing.lock().await;
        let old = self.read();
        if let Some(c) = &old
            && Some(c.generation) != stale
        {
            return Ok(c.clone());
        }
        let why = if stale.is_some() {
            Fetch::Rejected
        } else {
            Fetch::Initial
        };
        let token = self
            .source
            .fetch(http, why)
            .await
            .map_err(|e| match (why, e) {
                (Fetch::Rejected, Error::Auth(a)) => Error::Reconnect {
                    cause: a.to_string(),
                },
                (_, e) => e,
            })?;
        let instance_url = token
            .instance_url
            .or_else(|| old.as_ref().map(|c| c.instance_url.clone()))
            .or_else(|| self.fallback_instance_url.clone())
            .ok_or_else(|| {
                Error::Config(format!(
                    "no instance URL: the token source ({:?}) gave none, and none was set on the builder",
                    self.source
                ))
            })?;
        let current = Current {
            token: token.access_token,
            instance_url: instance_url.trim_end_matches('/').to_owned(),
            generation: old.map_or(1, |c| c.generation + 1),
        };
        *self.current.write() = Some(current.clone());
        Ok(current)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Hands out `tok1`, `tok2`, ...; only the first answer names an instance.
    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
    }

    impl TokenSource for Counting {
        fn fetch<'a>(
            &'a self,
            _http: &'a reqwest::Client,
            _why: Fetch,
        ) -> BoxFuture<'a, Result<Token, Error>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                let instance = (n == 1).then(|| "https://first.example/".to_owned());
                Ok(Token::new(format!("tok{n}"), instance))
            })
        }
    }

    #[tokio::test]
    async fn renewal_keeps_the_instance_and_is_single_flight() {
        let source = Arc::new(Counting::default());
        let session = Session::new(source.clone(), None);
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(crate::tls::config(rustls::RootCertStore::empty()).unwrap())
            .build()
            .unwrap();
        let first = session.get(&http).await.unwrap();
        assert_eq!(first.token.expose(), "tok1");
        assert_eq!(first.instance_url, "https://first.example");
        // Many callers saw generation 1 rejected: one fetch between them.
        let renewals = futures_util::future::join_all(
            (0..50).map(|_| session.renew(&http, Some(first.generation))),
        )
        .await;
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
        for r in renewals {
            let r = r.unwrap();
            assert_eq!(r.token.expose(), "tok2");
            assert_eq!(r.instance_url, "https://first.example", "kept");
        }
        // Without any instance URL at all, the session says so.
        let lost = Session::new(Arc::new(Counting::default()), None);
        lost.get(&http).await.unwrap();
        let none = Session::new(
            Arc::new(StaticNoInstance),
            Some("https://fallback.example".into()),
        );
        assert_eq!(
            none.get(&http).await.unwrap().instance_url,
            "https://fallback.example"
        );
    }

    #[derive(Debug)]
    struct StaticNoInstance;

    impl TokenSource for StaticNoInstance {
        fn fetch<'a>(
            &'a self,
            _http: &'a reqwest::Client,
            _why: Fetch,
        ) -> BoxFuture<'a, Result<Token, Error>> {
            Box::pin(async { Ok(Token::new("t", None)) })
        }
    }
}
