//! sfkit's local Salesforce org.
//!
//! A server that real Salesforce clients cannot tell from Salesforce for what it covers: OAuth,
//! the REST API's sObject, query and limits resources, composite, Bulk API 2.0, SOSL and the two
//! SOAP calls clients still make, with data in SQLite.
//!
//! # Design
//!
//! * The schema is data: every sObject type is one SQLite table, one column per field, so a
//!   custom object from a user's file is served exactly as a standard one.
//! * The store runs SQLite off the async threads: one writer connection behind a mutex and the
//!   WAL journal, so readers never block the writer and a killed process loses no commit.
//! * SOQL is parsed by `sfkit-soql` and compiled to one SQLite statement per query (joins for
//!   parent paths, a batched statement per child subquery); nothing is evaluated row by row.
//! * The HTTP layer (axum) shapes every answer, error included, as Salesforce does.
//!
//! # Modules
//!
//! * [`schema`]: the sObject types, their fields and relationships; the standard ones ship as a
//!   TOML file, custom ones come from the user's files (or from an org's describe).
//! * [`store`]: the data in SQLite: opening and migrating the database, record writes with
//!   Salesforce's validation and derived fields (`dml`), lead conversion (`lead_convert`), value
//!   conversion (`values`), and the WAL checkpointer thread (`wal_checkpointer`).
//! * `soql` and `sosl`: queries and searches compiled to SQLite statements (the FTS5 index for
//!   SOSL).
//! * `http`: the routes and what every call shares (sessions, the API budget, error shapes);
//!   beneath it one module per API area: `rest` (versions, describes, sObject rows, query,
//!   replication), `query_locator` (what stands behind `nextRecordsUrl`), `external_id`,
//!   `composite`, `bulk` (Bulk API 2.0 jobs), `search`, `soap`, `oauth`, and `faults` (injected
//!   faults and the long-running request cap).
//! * [`api_error`]: Salesforce's error shape; [`ids`]: record ids, minted and checked.
//! * [`shared`]: one org, many processes (the address file, activity from other processes).
//! * [`tls`] and [`jwt`]: the org's certificate authority, and the JWT bearer flow's keys.
//! * `seed`: the deterministic demo data behind [`OrgConfig::seed_demo`].

#![recursion_limit = "256"]

pub mod api_error;
pub mod ids;
pub mod jwt;
pub mod schema;
mod seed;
pub mod shared;
mod soql;
mod sosl;
pub mod store;
pub mod tls;

/// Everything that can go wrong starting or running the org.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A schema file is invalid.
    #[error("schema: {0}")]
    Schema(String),
    /// SQLite failed.
    #[error("storage: {0}")]
    Storage(#[from] rusqlite::Error),
    /// Another process is serving the same data directory (one org, one process: two would
    /// each hand out ids from their own copy of the sequence).
    #[error(
        "the local org in {dir} is in use by another sfkit process{}; sfkit commands use it through its API, or stop that process first",
        served_at.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
    )]
    InUse {
        /// The data directory.
        dir: PathBuf,
        /// Which process serves it and where, when its address file says.
        served_at: Option<String>,
    },
    /// Reading or writing a file or socket failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

mod http;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

pub use http::LATEST_VERSION;
pub use http::faults::{Fault, FaultSpec};
pub use store::{ADMIN_USERNAME, VIEWER_USERNAME};

/// The local connected app's client id.
pub const CLIENT_ID: &str = "sfkit-local";
/// The local connected app's secret.
pub const CLIENT_SECRET: &str = "sfkit-local-secret";
/// The password of both local users.
pub const PASSWORD: &str = "sfkit-local";

/// How to start an org.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OrgConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Where data persist; `None` keeps nothing (a temporary directory removed on shutdown).
    pub data_dir: Option<PathBuf>,
    /// Access tokens expire after this long.
    pub token_ttl: Duration,
    /// The daily API request budget.
    pub daily_api_limit: u64,
    /// Extra schema files: (TOML text, name for errors).
    pub schemas: Vec<(String, String)>,
    /// Serve HTTPS with the org's own certificate authority.
    pub tls: bool,
    /// Load the demo sample on start (once per data directory).
    pub seed_demo: bool,
    /// Faults to inject into API calls.
    pub faults: http::faults::FaultSpec,
    /// Serve the admin endpoint `/_sfkit/faults` (off by default).
    pub admin: bool,
    /// A request running this long counts as long-running.
    pub long_running: Duration,
    /// At most this many long-running requests at once (Salesforce: 25; 5 on developer orgs).
    pub max_long_running: usize,
}

impl Default for OrgConfig {
    fn default() -> Self {
        OrgConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            token_ttl: Duration::from_secs(2 * 60 * 60),
            daily_api_limit: 1_000_000,
            schemas: Vec::new(),
            tls: false,
            seed_demo: false,
            faults: http::faults::FaultSpec::default(),
            admin: false,
            long_running: Duration::from_secs(20),
            max_long_running: 25,
        }
    }
}

impl OrgConfig {
    /// Listen on `addr`.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Keep data in `dir`.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Expire access tokens after `ttl`.
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Allow `n` API requests a day.
    pub fn daily_api_limit(mut self, n: u64) -> Self {
        self.daily_api_limit = n;
        self
    }

    /// Serve HTTPS (the CA to trust is [`OrgHandle::ca_pem`]).
    pub fn tls(mut self, yes: bool) -> Self {
        self.tls = yes;
        self
    }

    /// Load the demo sample (accounts, contacts, leads, opportunities, tasks, cases).
    pub fn seed_demo(mut self, yes: bool) -> Self {
        self.seed_demo = yes;
        self
    }

    /// Inject these faults into API calls.
    pub fn faults(mut self, spec: http::faults::FaultSpec) -> Self {
        self.faults = spec;
        self
    }

    /// Serve the admin endpoint that changes faults at run time.
    pub fn admin(mut self, yes: bool) -> Self {
        self.admin = yes;
        self
    }

    /// Cap concurrent long-running requests: `max` at once, counting those older than `after`.
    pub fn long_running(mut self, after: Duration, max: usize) -> Self {
        self.long_running = after;
        self.max_long_running = max;
        self
    }

    /// Add a schema file's text.
    pub fn schema(mut self, text: impl Into<String>, origin: impl Into<String>) -> Self {
        self.schemas.push((text.into(), origin.into()));
        self
    }
}

/// The local org.
#[derive(Debug)]
pub struct Org;

/// A running org.
pub struct OrgHandle {
    url: String,
    tls: Option<tls::TlsFiles>,
    state: Arc<http::OrgState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// The data directory whose address file names this process.
    address_dir: Option<PathBuf>,
}

impl std::fmt::Debug for OrgHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgHandle")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Org {
    /// Opens the data, binds the address and serves until the handle is shut down.
    pub async fn start(config: OrgConfig) -> Result<OrgHandle, Error> {
        let schema = Arc::new(org_schema(&config)?);
        let store = open_store(&config, schema).await?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| Error::Io {
                context: format!("binding {}", config.addr),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| Error::Io {
            context: "reading the bound address".into(),
            source,
        })?;
        let tls_files = match config.tls {
            true => {
                let dir = store
                    .path()
                    .parent()
                    .map(std::path::Path::to_path_buf)
                    .unwrap_or_default();
                Some(tls::load_or_create(&dir)?)
            }
            false => None,
        };
        let url = format!(
            "{}://{local}",
            if tls_files.is_some() { "https" } else { "http" }
        );
        let viewer_id = http::viewer_id(&store);
        let state = Arc::new(http::OrgState {
            store,
            base_url: url.clone(),
            token_ttl: config.token_ttl,
            daily_limit: config.daily_api_limit,
            api_used: AtomicU64::new(0),
            token_requests: AtomicU64::new(0),
            query_locators: Default::default(),
            viewer_id,
            faults: http::faults::Faults::new(
                config.faults.clone(),
                config.long_running,
                config.max_long_running,
            ),
            admin: config.admin,
            session_cache: Default::default(),
            bulk: Default::default(),
            activity: Default::default(),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = serve(
            listener,
            http::router(state.clone()),
            tls_files.as_ref(),
            rx,
        )?;
        // Other sfkit processes find the org here (see `shared`).
        let address_dir = match &config.data_dir {
            Some(dir) => {
                let running = shared::RunningOrg {
                    url: url.clone(),
                    pid: std::process::id(),
                    ca_pem: tls_files.as_ref().map(|t| t.ca_pem.clone()),
                };
                shared::write_address(dir, &running)?;
                Some(dir.clone())
            }
            None => None,
        };
        Ok(OrgHandle {
            url,
            tls: tls_files,
            state,
            shutdown: Some(tx),
            task: Some(task),
            address_dir,
        })
    }
}

/// The standard types plus the schema files: those given now, and those given before and kept
/// with the data (a file given again replaces its kept copy).
fn org_schema(config: &OrgConfig) -> Result<schema::Schema, Error> {
    let mut schema = schema::Schema::standard()?;
    let kept = match &config.data_dir {
        Some(dir) => shared::kept_schemas(dir)?,
        None => Vec::new(),
    };
    let given: std::collections::HashSet<String> = config
        .schemas
        .iter()
        .map(|(_, origin)| shared::kept_name(origin))
        .collect();
    for (text, origin) in &kept {
        if !given.contains(&shared::kept_name(origin)) {
            schema.add_any(text, origin)?;
        }
    }
    for (text, origin) in &config.schemas {
        schema.add_any(text, origin)?;
    }
    Ok(schema)
}

/// Opens the store off the async threads, keeps the schema files given, and seeds the demo
/// data when asked.
async fn open_store(
    config: &OrgConfig,
    schema: Arc<schema::Schema>,
) -> Result<Arc<store::Store>, Error> {
    let dir = config.data_dir.clone();
    let store = tokio::task::spawn_blocking(move || store::Store::open(dir.as_deref(), schema))
        .await
        .map_err(|e| Error::Io {
            context: "opening the store".into(),
            source: std::io::Error::other(e.to_string()),
        })?
        .map_err(|e| match e {
            Error::InUse { dir, .. } => {
                let served_at =
                    shared::read_address(&dir).map(|r| format!("process {} at {}", r.pid, r.url));
                Error::InUse { dir, served_at }
            }
            other => other,
        })?;
    let store = Arc::new(store);
    // Kept only now that this process holds the org: a refused start changes nothing.
    if let Some(dir) = &config.data_dir {
        shared::keep_schemas(dir, &config.schemas)?;
    }
    if config.seed_demo {
        let s = Arc::clone(&store);
        tokio::task::spawn_blocking(move || seed::demo(&s))
            .await
            .map_err(|e| Error::Io {
                context: "seeding".into(),
                source: std::io::Error::other(e.to_string()),
            })?
            .map_err(|e| Error::Schema(format!("seeding the demo data: {e}")))?;
    }
    Ok(store)
}

/// Serves `app` on `listener`, over TLS when there are files for it, until `stop` fires.
fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    tls_files: Option<&tls::TlsFiles>,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> Result<tokio::task::JoinHandle<()>, Error> {
    Ok(match tls_files {
        None => tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stop.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the org's server stopped");
            }
        }),
        Some(files) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(tls::server_config(files)?);
            tokio::spawn(serve_tls(listener, acceptor, app, stop))
        }
    })
}

/// Accepts TLS connections until told to stop; connections already open finish on their own.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    app: axum::Router,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    let Ok(stream) = acceptor.accept(tcp).await else { return };
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                    if let Err(e) = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await {
                        tracing::debug!(error = %e, "TLS connection ended with an error");
                    }
                });
            }
        }
    }
}

impl OrgHandle {
    /// The PEM file of the certificate authority clients must trust, when serving HTTPS.
    pub fn ca_pem(&self) -> Option<&std::path::Path> {
        self.tls.as_ref().map(|t| t.ca_pem.as_path())
    }

    /// The JWT bearer flow's key (sign assertions with it) and certificate, made on first use.
    pub fn jwt_files(&self) -> Result<jwt::JwtFiles, Error> {
        let dir = self
            .state
            .store
            .path()
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        jwt::load_or_create(&dir)
    }

    /// The base URL, e.g. `http://127.0.0.1:8443`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many requests the token endpoint has had (any grant, answered or refused).
    pub fn token_requests(&self) -> u64 {
        self.state
            .token_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many REST and SOAP API requests have arrived (counted before any injected fault or
    /// limit answers them), for tests that check what a client sent.
    pub fn api_requests(&self) -> u64 {
        self.state
            .faults
            .next
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The Organization id.
    pub fn org_id(&self) -> &str {
        self.state.store.org_id()
    }

    /// The data store, for seeding and inspection.
    pub fn store(&self) -> &Arc<store::Store> {
        &self.state.store
    }

    /// An access token for a user (`admin@sfkit.local`, `viewer@sfkit.local`), for this
    /// process's own use: requests made with it are not another process's activity (see
    /// [`OrgHandle::release`]).
    pub fn mint_token(&self, username: &str) -> Result<String, api_error::ApiError> {
        let user_id = self.state.store.user_id(username)?.ok_or_else(|| {
            api_error::ApiError::new(400, "INVALID_LOGIN", format!("no such user: {username}"))
        })?;
        let token = http::mint_access_token(&self.state, &user_id, CLIENT_ID)?;
        self.state.activity.own(&token);
        Ok(token)
    }

    /// Stops serving once no other process has made a request for `quiet` (at once when none
    /// ever did), waiting at most `max`. A command that served the org only for itself uses
    /// this, so that another process that found the org through its address file is not cut
    /// off mid-call; that process finds the org anew (or serves it itself) on its next call.
    pub async fn release(mut self, quiet: Duration, max: Duration) {
        let until = tokio::time::Instant::now() + max;
        loop {
            match self.state.activity.since_foreign() {
                Some(since) if since < quiet && tokio::time::Instant::now() < until => {
                    tokio::time::sleep(quiet.saturating_sub(since).min(Duration::from_millis(100)))
                        .await;
                }
                _ => break,
            }
        }
        self.stop().await;
    }

    /// A refresh token for a user.
    pub fn mint_refresh_token(&self, username: &str) -> Result<String, api_error::ApiError> {
        let user_id = self.state.store.user_id(username)?.ok_or_else(|| {
            api_error::ApiError::new(400, "INVALID_LOGIN", format!("no such user: {username}"))
        })?;
        http::issue_refresh(&self.state, &user_id)
    }

    /// Stops serving, letting in-flight requests finish.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    async fn stop(&mut self) {
        // Said first, so that no process finds an org that is going away.
        if let Some(dir) = self.address_dir.take() {
            shared::remove_address(&dir);
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until the handle is shut down from elsewhere or the task ends.
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for OrgHandle {
    fn drop(&mut self) {
        if let Some(dir) = self.address_dir.take() {
            shared::remove_address(&dir);
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
