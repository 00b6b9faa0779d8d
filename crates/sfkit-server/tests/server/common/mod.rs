//! A server on an ephemeral port with an in-memory store, configured per test.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use sfkit_server::{Server, ServerConfig, ServerHandle};
use sfkit_store::{Cipher, Scope, Store};

/// A temporary directory, removed on drop.
pub(crate) struct Dir(pub(crate) PathBuf);

impl Dir {
    pub(crate) fn new(what: &str) -> Self {
        Dir(std::env::temp_dir().join(format!(
            "sfkit-hardening-{what}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )))
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) struct Srv {
    pub(crate) handle: Option<ServerHandle>,
    pub(crate) store: Arc<dyn Store>,
    /// A key with no limits that may manage keys.
    pub(crate) admin: String,
    pub(crate) http: reqwest::Client,
    pub(crate) dir: Dir,
}

impl Srv {
    /// A server without the local org, the config changed by `tune`.
    pub(crate) async fn start(tune: impl FnOnce(&mut ServerConfig, &Dir)) -> Self {
        let store = sfkit_store::open(
            "sqlite::memory:",
            Cipher::from_base64(&Cipher::generate().unwrap()).unwrap(),
        )
        .await
        .unwrap();
        Self::start_on(store, tune).await
    }

    /// The same on a given store.
    pub(crate) async fn start_on(
        store: Arc<dyn Store>,
        tune: impl FnOnce(&mut ServerConfig, &Dir),
    ) -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let dir = Dir::new("srv");
        let (_, admin) = store.create_api_key("admin", Scope::admin()).await.unwrap();
        let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), Arc::clone(&store));
        config.body_limit = 64 * 1024;
        config.rate_per_key = 1000.0;
        tune(&mut config, &dir);
        let handle = Server::start(config).await.unwrap();
        Srv {
            handle: Some(handle),
            store,
            admin,
            http: reqwest::Client::new(),
            dir,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.as_ref().unwrap().url())
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.handle
            .as_ref()
            .unwrap()
            .url()
            .trim_start_matches("http://")
            .parse()
            .unwrap()
    }

    pub(crate) async fn stop(mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown().await;
        }
    }
}

/// The status, the headers and the body as JSON (a string when it is not JSON).
pub(crate) async fn answer(r: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// Asserts `body` is an error in the API's shape with `code`: `{"error": {code, message,
/// fields, retryable}}`, served as JSON.
#[track_caller]
pub(crate) fn assert_api_error(
    (status, headers, body): &(u16, reqwest::header::HeaderMap, Value),
    want_status: u16,
    code: &str,
) {
    assert_eq!(*status, want_status, "{body}");
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "served as JSON: {headers:?}"
    );
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["error"]["fields"].is_array(), "{body}");
    assert!(body["error"]["retryable"].is_boolean(), "{body}");
}
