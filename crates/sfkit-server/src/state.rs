//! The state every handler shares: the store, caches, clients, and OAuth flows under way.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sfkit_actions::Catalog;
use sfkit_store::Store;

use crate::auth::Keys;
use crate::connections::Clients;
use crate::local_org::LocalOrg;
use crate::metrics::Metrics;

pub(crate) struct AppState {
    /// The API keys recently verified and each key's rate (see [`crate::auth`]).
    pub(crate) keys: Keys,
    /// The saved connections' names, kept `cache_ttl` (see [`crate::ServerConfig::cache_ttl`]);
    /// changes made through this server clear them at once.
    pub(crate) connection_names: ConnectionNames,
    /// The server's own URL, for OAuth redirects (known once bound).
    pub(crate) url: std::sync::OnceLock<String>,
    /// OAuth connect flows waiting for their callback, by `state`.
    pub(crate) pending: Mutex<HashMap<String, Pending>>,
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
    pub(crate) metrics: Metrics,
    pub(crate) timeout: Duration,
}

pub(crate) type Shared = Arc<AppState>;

/// The saved connections' names, briefly: most calls name no connection and take the only one.
pub(crate) struct ConnectionNames {
    ttl: Duration,
    names: Mutex<Option<(Vec<String>, Instant)>>,
}

impl ConnectionNames {
    pub(crate) fn new(ttl: Duration) -> Self {
        ConnectionNames {
            ttl,
            names: Mutex::new(None),
        }
    }

    pub(crate) fn get(&self) -> Option<Vec<String>> {
        self.names
            .lock()
            .as_ref()
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(c, _)| c.clone())
    }

    pub(crate) fn put(&self, names: Vec<String>) {
        if !self.ttl.is_zero() {
            *self.names.lock() = Some((names, Instant::now()));
        }
    }

    pub(crate) fn clear(&self) {
        *self.names.lock() = None;
    }
}

/// An OAuth connect flow between its start and its callback.
pub(crate) struct Pending {
    pub(crate) name: String,
    pub(crate) flow: sfkit_client::auth::AuthorizationRequest,
    pub(crate) started: Instant,
}

/// How long a person has to finish logging in.
pub(crate) const FLOW_TTL: Duration = Duration::from_secs(600);
