//! The server's tests, one binary (one link), a module per concern, all on the real server:
//! the API and MCP (`api`); and its edges (issue 10): every error answer in one JSON shape,
//! connections that stall or pile up, API keys managed (and revoked at once) through the API,
//! and the modes of the files that hold secrets.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod api;
mod api_keys;
mod common;
mod connections;
mod errors;
mod file_modes;
