//! sfkit-client's integration tests, one binary with a module per concern (one build, one link):
//! each starts a local org in-process over HTTPS (`common`) and talks to it through the client.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod auth;
mod bulk;
mod common;
mod composite;
mod query;
mod records;
mod sessions;
mod transport;
