//! sfkit's server: the action catalog over HTTP for workflow platforms and agents.
//!
//! `POST /v1/actions/{name}` runs an action on a connection (chosen by the
//! `X-Sfkit-Connection` header or `?connection=`, else the only one); `GET /v1/actions` and
//! `GET /v1/openapi.json` describe the catalog from the same definitions the actions run;
//! `/v1/connections` lists, creates and deletes connections; `/v1/apikeys` lists, makes and
//! revokes API keys (admin keys only); `/healthz` and `/metrics` (Prometheus text) report.
//! Every request but `/healthz` needs an API key (`Authorization: Bearer KEY`), checked against
//! the store's hashes before anything is done; a key may be limited to some connections and to
//! read-only actions, and each key has a request rate. Every error is JSON in one shape
//! (`errors`). State lives in an `sfkit-store` [`Store`]: connections with their tokens sealed,
//! API keys hashed. With no connection saved, the local org in the data directory is served as
//! connection `local`. Connections are limited in number and timed out when idle or slow to
//! send a request (`listener`). Shutdown lets requests in flight finish.
//!
//! # Modules
//!
//! * `router`: the route table and its layers; starting and stopping the server.
//! * `state`: what every handler shares (store, clients, the connection names, OAuth flows
//!   under way).
//! * `auth`: who is calling: the `Authed` extractor, which owns the verified keys' cache, the
//!   revocation check and the per-key rate (`rate`); `require_key` puts it in front of `/mcp`.
//! * `handlers`: the routes by area: `actions` (the catalog, and `execute`, which MCP shares),
//!   `connections`, `oauth` (the web flow that makes a connection), `api_keys`. They return
//!   `Result<_, Refusal>` and use `?`.
//! * `errors`: `Refusal` (the status, the error in the API's one JSON shape, and `From` for the
//!   store's, the client's and the actions' errors), the status of each kind of failure, and
//!   the middleware that rewrites axum's and rmcp's plain-text answers into that shape.
//! * `mcp`: the catalog as MCP tools (stdio and streamable HTTP).
//! * `listener`: the accept loop and its timeouts; `metrics`; `openapi`.
//! * `connections`: how a stored connection logs in; [`local_org`]: the shared local org.

mod auth;
mod connections;
mod errors;
mod handlers;
mod listener;
pub mod local_org;
mod mcp;
mod metrics;
mod openapi;
mod rate;
mod router;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use sfkit_store::Store;

/// What the server needs.
#[derive(Debug)]
pub struct ServerConfig {
    /// Where to listen (`127.0.0.1:0` picks a port).
    pub addr: SocketAddr,
    /// The state.
    pub store: Arc<dyn Store>,
    /// Where the local org lives, served as connection `local` when no connection is saved;
    /// `None` serves no local org.
    pub local_org_dir: Option<PathBuf>,
    /// A connection of this process's own (not stored), used when a call names none: the org
    /// `sfkit serve --org NAME` or `sfkit mcp` was started with. Its name is the one calls use
    /// to name it.
    pub default_connection: Option<(String, sfkit_client::Client)>,
    /// The local org, when the caller has it open already (otherwise it is opened from
    /// `local_org_dir` when wanted).
    pub local_org: Option<Arc<local_org::LocalOrg>>,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Requests per second each API key may make (a burst of twice that is allowed).
    pub rate_per_key: f64,
    /// How long a request may take.
    pub request_timeout: Duration,
    /// The URL clients reach the server at, when not the bound address (behind a proxy or a DNS
    /// name): OAuth redirects point there, and MCP accepts its host (besides loopback).
    pub public_url: Option<String>,
    /// How long a verified API key and the list of connections are trusted before the store is
    /// asked again; zero turns the cache off. A key revoked through this server is forgotten at
    /// once, one revoked by another process within `revocation_check`.
    pub cache_ttl: Duration,
    /// How often the store is asked whether any key was revoked (a cheap read, made only while
    /// requests come); when one was, every kept key is checked again.
    pub revocation_check: Duration,
    /// The most TCP connections served at once. At the limit a new connection takes the place of
    /// the one that has waited longest without a request under way (a stalled or idle client);
    /// when every connection has a request under way, it waits for one to end. Keep it well
    /// below the process's open-file limit (`ulimit -n`).
    pub max_connections: usize,
    /// How long a client has to send a request's line and headers, from its first byte.
    pub header_read_timeout: Duration,
    /// How long a client has to send a request's body, from the end of its headers.
    pub body_read_timeout: Duration,
    /// How long a connection may stay open with no request under way (kept alive after an
    /// answer, or opened and left silent) before the server closes it.
    pub idle_timeout: Duration,
    /// How long an answer may wait for a client that stopped reading it before the server
    /// closes the connection.
    pub send_timeout: Duration,
    /// The key that seals the actions' paging cursors (each one bound to the API key and the
    /// connection it was handed to). `None`: a random key of this process, so cursors end with
    /// it; give servers that share a store the same key, so a cursor from one works on another.
    pub cursors: Option<sfkit_actions::Cursors>,
}

impl ServerConfig {
    /// Defaults: 1 MiB bodies, 50 requests/s per key, 120 s per request, 5 s of caching with a
    /// look for revocations every 250 ms; 512 connections, 10 s to send headers, 30 s to send a
    /// body, 30 s idle, 30 s for a client to take any of an answer.
    pub fn new(addr: SocketAddr, store: Arc<dyn Store>) -> Self {
        ServerConfig {
            addr,
            store,
            local_org_dir: None,
            default_connection: None,
            local_org: None,
            body_limit: 1 << 20,
            rate_per_key: 50.0,
            request_timeout: Duration::from_secs(120),
            cache_ttl: Duration::from_secs(5),
            revocation_check: Duration::from_millis(250),
            cursors: None,
            public_url: None,
            max_connections: 512,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            send_timeout: Duration::from_secs(30),
        }
    }
}

/// Everything that can stop the server from starting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Binding the address failed.
    #[error("listening on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The local org did not start.
    #[error("starting the local org: {0}")]
    LocalOrg(#[from] sfkit_emulator::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] sfkit_store::Error),
    /// The MCP session could not start.
    #[error("MCP: {0}")]
    Mcp(String),
}

pub use router::{Server, ServerHandle};
