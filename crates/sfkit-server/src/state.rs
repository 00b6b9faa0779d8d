//! The state every handler shares: the store, caches, clients, and OAuth flows under way.

use std::sync::Arc;
use std::time::Instant;

use crate::local_org::LocalOrg;
use sfkit_actions::Catalog;
use sfkit_store::{ApiKey, Store};

use crate::connections::Clients;
use crate::metrics::Metrics;
use crate::rate::RateLimiter;

pub(crate) struct AppState {
    /// Recently verified API keys and the connection names, kept `cache_ttl` (see
    /// [`ServerConfig::cache_ttl`]); changes made through this server clear them at once, keys
    /// revoked elsewhere clear them within `revocation_check`.
    pub(crate) cache: Cache,
    /// The server's own URL, for OAuth redirects (known once bound).
    pub(crate) url: std::sync::OnceLock<String>,
    /// OAuth connect flows waiting for their callback, by `state`.
    pub(crate) pending: std::sync::Mutex<std::collections::HashMap<String, Pending>>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) catalog: Catalog,
    pub(crate) clients: Clients,
    /// The local org, when it is one of the connections.
    pub(crate) local_org: Option<Arc<LocalOrg>>,
    /// The connection the process was started with (`sfkit serve --org NAME`), used when a
    /// call names none.
    pub(crate) default_connection: Option<(String, sfkit_client::Client)>,
    /// Tool results held back for an agent's `moreResults` calls.
    pub(crate) mcp_pages: crate::mcp::Pages,
    /// Seals the actions' paging cursors (a key of this process's own).
    pub(crate) cursors: sfkit_actions::Cursors,
    pub(crate) rate: RateLimiter,
    pub(crate) metrics: Metrics,
    pub(crate) timeout: std::time::Duration,
}

pub(crate) type Shared = Arc<AppState>;

#[derive(Default)]
pub(crate) struct Cache {
    pub(crate) ttl: std::time::Duration,
    /// By the key's text (this process already holds it; nothing is written anywhere).
    pub(crate) keys: std::sync::Mutex<std::collections::HashMap<String, (ApiKey, Instant)>>,
    /// Bumped whenever keys are forgotten, so that a check that began before cannot put back
    /// what was just forgotten.
    pub(crate) epoch: std::sync::atomic::AtomicU64,
    /// The store's revocation revision last seen, and when it was read.
    pub(crate) revision: tokio::sync::Mutex<(Option<u64>, Option<Instant>)>,
    /// How often the revision is read (while requests come).
    pub(crate) revision_every: std::time::Duration,
    pub(crate) connections: std::sync::Mutex<Option<(Vec<String>, Instant)>>,
}

impl Cache {
    pub(crate) fn keys(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (ApiKey, Instant)>> {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn key(&self, key: &str) -> Option<ApiKey> {
        self.keys()
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(k, _)| k.clone())
    }

    /// The epoch to hand [`Cache::put_key`] once the store has verified a key.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Keeps a key the store verified, unless keys were forgotten since `epoch` (the check
    /// may predate a revocation).
    pub(crate) fn put_key(&self, key: &str, record: &ApiKey, epoch: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut keys = self.keys();
        if self.epoch() != epoch {
            return;
        }
        if keys.len() > 10_000 {
            keys.clear();
        }
        keys.insert(key.to_owned(), (record.clone(), Instant::now()));
    }

    /// Forgets the key with this id or name (revoked through this server).
    pub(crate) fn forget_key(&self, id_or_name: &str) {
        let mut keys = self.keys();
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        keys.retain(|_, (k, _)| k.id != id_or_name && k.name != id_or_name);
    }

    pub(crate) fn forget_keys(&self) {
        let mut keys = self.keys();
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        keys.clear();
    }

    /// Forgets every kept key when the store says a key was revoked since the last look (by
    /// another process: `sfkit apikey revoke`, another replica). The store is asked at most
    /// once per `revision_every`, by one request while the others wait: a busy server reads
    /// a number a few times a second instead of hashing every request's key.
    pub(crate) async fn follow_revocations(&self, store: &dyn Store) {
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
                    self.forget_keys();
                }
                *revision = (Some(n), Some(Instant::now()));
            }
            Err(e) => {
                // Unknown whether a key was revoked: trust none of those kept.
                tracing::warn!(error = %e, "reading the API keys' revision");
                self.forget_keys();
            }
        }
    }

    pub(crate) fn connections(&self) -> Option<Vec<String>> {
        self.connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(c, _)| c.clone())
    }

    pub(crate) fn put_connections(&self, names: Vec<String>) {
        if !self.ttl.is_zero() {
            *self
                .connections
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((names, Instant::now()));
        }
    }

    pub(crate) fn clear_connections(&self) {
        *self
            .connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

/// An OAuth connect flow between its start and its callback.
pub(crate) struct Pending {
    pub(crate) name: String,
    pub(crate) login_url: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<String>,
    pub(crate) flow: sfkit_client::auth::AuthorizationRequest,
    pub(crate) started: Instant,
}

/// How long a person has to finish logging in.
pub(crate) const FLOW_TTL: std::time::Duration = std::time::Duration::from_secs(600);
