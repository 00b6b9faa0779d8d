//! A request as the client's handlers build it ([`Req`]: method, target, query, body, and
//! whether sending it twice is safe), and the answers they get back ([`Answer`], [`Streamed`]).
//! A `Req` is built once and sent as many times as retries need.

use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use tokio::sync::OwnedSemaphorePermit;

use crate::error::Error;

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
    /// A body streamed rather than held (a Bulk API upload read from its file).
    pub(crate) upload: Option<Upload>,
}

/// A request body streamed from its source rather than held in memory. It is made anew for
/// each attempt (a file is reopened and read again), so retries stay possible.
#[derive(Clone)]
pub(crate) struct Upload {
    pub(crate) content_type: &'static str,
    /// The body's length in bytes when known, sent as `Content-Length` instead of chunking.
    pub(crate) length: Option<u64>,
    pub(crate) make: Arc<dyn Fn() -> Result<reqwest::Body, Error> + Send + Sync>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("content_type", &self.content_type)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

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
            upload: None,
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

    pub(super) fn url(&self, instance: &str, version: &str) -> Result<Url, Error> {
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
}

/// A successful answer whose body is still on the wire (`Client::send_streamed`).
#[derive(Debug)]
pub(crate) struct Streamed {
    pub(crate) response: reqwest::Response,
    /// `Sforce-Locator`, when sent.
    pub(crate) locator: Option<String>,
    /// Method and path, for errors while reading.
    pub(crate) context: String,
    /// Still a request in flight until its body is read.
    pub(super) _permit: OwnedSemaphorePermit,
}

impl Streamed {
    /// The next piece of the body; `None` at its end.
    pub(crate) async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, Error> {
        self.response
            .chunk()
            .await
            .map_err(|e| Error::transport(self.context.clone(), e))
    }
}

/// `Sforce-Locator` (Bulk API 2.0 query results), when sent.
pub(super) fn sforce_locator(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("sforce-locator")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl Answer {
    pub(crate) fn json<T: DeserializeOwned>(&self, context: &str) -> Result<T, Error> {
        crate::json::from_slice(&self.body).map_err(|e| Error::decode(context, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
