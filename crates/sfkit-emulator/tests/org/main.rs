//! The local org's integration tests, in one binary (one link on a small machine) with a module
//! per concern. `common` starts an org in the test process and talks to it over real HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

mod big_data;
mod bulk;
mod composite;
mod creates;
mod derived;
mod describe_import;
mod faults;
mod oauth;
mod query;
mod schema;
mod search;
mod sf_cli;
mod sobjects;
mod tls;
