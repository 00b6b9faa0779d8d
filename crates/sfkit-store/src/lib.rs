//! sfkit's state, behind one [`Store`] trait: Salesforce connections (their tokens encrypted at
//! rest), API keys (only a hash kept), and what triggers need (events deduplicated by id, an
//! outbox delivered at least once, replay checkpoints).
//!
//! The trait is async and object-safe (methods return boxed futures), so the server holds an
//! `Arc<dyn Store>` chosen at start from the URL scheme: [`open`] takes `sqlite://PATH` (the
//! embedded default; rusqlite on blocking threads, WAL) and will take `postgres://...` as a
//! second implementation of the same trait. Schema changes are numbered migrations applied in
//! order at open and recorded in `schema_migrations`, so every backend has the same history.
//! Secrets are sealed by a [`Cipher`] (AES-256-GCM) before they reach any backend: a database
//! dump holds no usable token. The SQLite file is its owner's alone all the same (0600 in a 0700
//! directory when made; a warning names it when found looser): see [`private`].
//!
//! # Modules
//!
//! * this file: the [`Store`] trait, its records ([`Connection`], [`ApiKey`], [`Scope`]) and
//!   [`Error`]; [`open`] chooses the backend.
//! * `sqlite`: [`SqliteStore`], the embedded backend and its migrations.
//! * `cipher`: [`Cipher`], sealing secrets with AES-256-GCM, bound to their purpose.
//! * [`private`]: files and directories only their owner can read.

mod cipher;
pub mod private;
mod sqlite;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use cipher::Cipher;
pub use sqlite::SqliteStore;

/// A boxed future, as store methods return (futures' own, the same one sfkit-client's token
/// sources return).
pub use futures_util::future::BoxFuture;

/// Everything that can go wrong with the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database failed.
    #[error("store database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A URL this build cannot open.
    #[error("store URL {0:?}: use sqlite://PATH (postgres:// is not available in this build yet)")]
    UnsupportedUrl(String),
    /// A secret could not be sealed or opened (a wrong or replaced key).
    #[error("secrets: {0}")]
    Secret(String),
    /// A name already in use.
    #[error("{kind} {name:?} already exists")]
    Exists {
        /// What.
        kind: &'static str,
        /// Which.
        name: String,
    },
    /// Stored data that does not read back.
    #[error("stored data: {0}")]
    Corrupt(String),
    /// A blocking task failed.
    #[error("store task: {0}")]
    Task(String),
}

/// A Salesforce connection as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Connection {
    /// Its name (`local`, `prod`, ...).
    pub name: String,
    /// The org's URL.
    pub instance_url: String,
    /// How it logs in (`refresh_token`, `jwt`, `client_credentials`, `token`, `local`).
    pub kind: String,
    /// Settings that are not secret (client id, login URL, username, ...).
    pub settings: serde_json::Value,
    /// When it was saved (Unix milliseconds).
    pub created_at: i64,
}

impl Connection {
    /// A connection to save.
    pub fn new(
        name: impl Into<String>,
        instance_url: impl Into<String>,
        kind: impl Into<String>,
        settings: serde_json::Value,
    ) -> Self {
        Connection {
            name: name.into(),
            instance_url: instance_url.into(),
            kind: kind.into(),
            settings,
            created_at: 0,
        }
    }
}

/// What an API key may do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Scope {
    /// Only these connections (empty: all).
    pub connections: Vec<String>,
    /// Only actions that change nothing.
    pub read_only: bool,
    /// May manage API keys (make, list, revoke). Apart from the other limits: a key handed to a
    /// workflow platform needs every connection but must not be able to mint keys that outlive
    /// its own revocation. Keys stored before this existed read as `false`.
    #[serde(default)]
    pub admin: bool,
}

impl Scope {
    /// A scope.
    pub fn new(connections: Vec<String>, read_only: bool) -> Self {
        Scope {
            connections,
            read_only,
            admin: false,
        }
    }

    /// No limits, and the right to manage API keys.
    pub fn admin() -> Self {
        Scope {
            connections: Vec::new(),
            read_only: false,
            admin: true,
        }
    }

    /// True when the key may use `connection`.
    pub fn allows_connection(&self, connection: &str) -> bool {
        self.connections.is_empty() || self.connections.iter().any(|c| c == connection)
    }

    /// True when the key may manage API keys: an admin key with no other limit (a limited key
    /// could otherwise make itself an unlimited one).
    pub fn may_manage_keys(&self) -> bool {
        self.admin && self.connections.is_empty() && !self.read_only
    }
}

/// An API key as stored (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApiKey {
    /// Its id (public; also the key's prefix).
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it may do.
    pub scope: Scope,
    /// When it was made (Unix milliseconds).
    pub created_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

impl ApiKey {
    /// A key record with no limits that is not stored anywhere: for the local user of a
    /// process (`sfkit mcp` over stdio), who needs no key.
    pub fn local_user() -> Self {
        ApiKey {
            id: "local".into(),
            name: "local user".into(),
            scope: Scope::default(),
            created_at: 0,
            revoked_at: None,
        }
    }
}

/// A change event, in the normalized shape both trigger sources produce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// A unique id (the notification id or the replay id): events are stored once.
    pub id: String,
    /// The connection it came through.
    pub connection: String,
    /// `outbound_message` or `cdc`.
    pub source: String,
    /// The object.
    pub object: String,
    /// `created`, `updated`, `deleted` or `undeleted`.
    pub change: String,
    /// The event itself.
    pub payload: serde_json::Value,
}

impl Event {
    /// An event.
    pub fn new(
        id: impl Into<String>,
        connection: impl Into<String>,
        source: impl Into<String>,
        object: impl Into<String>,
        change: impl Into<String>,
        payload: serde_json::Value,
    ) -> Self {
        Event {
            id: id.into(),
            connection: connection.into(),
            source: source.into(),
            object: object.into(),
            change: change.into(),
            payload,
        }
    }
}

/// An outbox item claimed for delivery.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delivery {
    /// The item's id.
    pub id: i64,
    /// The event.
    pub event_id: String,
    /// Where it goes.
    pub target: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// sfkit's state. Object-safe: hold it as `Arc<dyn Store>`.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Saves a connection with its secrets (sealed before they are written).
    fn put_connection<'a>(
        &'a self,
        conn: Connection,
        secrets: serde_json::Value,
    ) -> BoxFuture<'a, Result<(), Error>>;
    /// A connection and its secrets (opened).
    fn get_connection<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<(Connection, serde_json::Value)>, Error>>;
    /// Every connection (no secrets).
    fn list_connections(&self) -> BoxFuture<'_, Result<Vec<Connection>, Error>>;
    /// Forgets a connection; false if there was none.
    fn delete_connection<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool, Error>>;

    /// Makes an API key; returns its record and the key, which is not kept (only its hash).
    fn create_api_key<'a>(
        &'a self,
        name: &'a str,
        scope: Scope,
    ) -> BoxFuture<'a, Result<(ApiKey, String), Error>>;
    /// The key's record if the key is valid and not revoked.
    fn verify_api_key<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<ApiKey>, Error>>;
    /// Every key's record.
    fn list_api_keys(&self) -> BoxFuture<'_, Result<Vec<ApiKey>, Error>>;
    /// Revokes a key by id or name; false if there was none.
    fn revoke_api_key<'a>(&'a self, id_or_name: &'a str) -> BoxFuture<'a, Result<bool, Error>>;
    /// A number that changes whenever a key is revoked, by this process or another sharing the
    /// store: cheap to read, so a server can trust the keys it verified until it changes.
    fn api_keys_revision(&self) -> BoxFuture<'_, Result<u64, Error>>;

    /// Stores an event and queues it for each target, in one transaction; false (and nothing
    /// queued) if an event with its id was stored before.
    fn put_event<'a>(
        &'a self,
        event: Event,
        targets: &'a [String],
    ) -> BoxFuture<'a, Result<bool, Error>>;
    /// Claims up to `limit` due outbox items for `lease_ms` milliseconds.
    fn claim_deliveries(
        &self,
        limit: usize,
        lease_ms: i64,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, Error>>;
    /// Marks an item delivered.
    fn complete_delivery(&self, id: i64) -> BoxFuture<'_, Result<(), Error>>;
    /// Records a failed attempt: retried after `retry_in_ms`, or dead after `max_attempts`.
    fn fail_delivery<'a>(
        &'a self,
        id: i64,
        error: &'a str,
        retry_in_ms: i64,
        max_attempts: u32,
    ) -> BoxFuture<'a, Result<(), Error>>;
    /// An event by id.
    fn get_event<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Event>, Error>>;

    /// Saves a subscription's replay checkpoint.
    fn save_checkpoint<'a>(
        &'a self,
        subscription: &'a str,
        replay_id: &'a str,
    ) -> BoxFuture<'a, Result<(), Error>>;
    /// A subscription's replay checkpoint.
    fn load_checkpoint<'a>(
        &'a self,
        subscription: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, Error>>;
}

/// Opens the store a URL names (`sqlite://PATH`, `sqlite::memory:`), sealing secrets with
/// `cipher`, and applies pending migrations.
pub async fn open(url: &str, cipher: Cipher) -> Result<Arc<dyn Store>, Error> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        return Ok(Arc::new(
            SqliteStore::open(Some(path.into()), cipher).await?,
        ));
    }
    if url == "sqlite::memory:" {
        return Ok(Arc::new(SqliteStore::open(None, cipher).await?));
    }
    Err(Error::UnsupportedUrl(url.to_owned()))
}
