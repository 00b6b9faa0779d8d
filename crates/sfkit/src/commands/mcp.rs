//! `sfkit mcp`: the actions as MCP tools over stdio, for an agent that starts sfkit itself.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use sfkit_server::{Server, ServerConfig};

use super::serve::{cursors, open_store, process_connection};

/// `sfkit mcp`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples (an MCP client's server command):\n  sfkit mcp\n  sfkit --data-dir ~/work/sfkit mcp --store sqlite:///srv/sfkit/server.db"
)]
pub(crate) struct McpArgs {
    /// The store (as for `sfkit serve`).
    #[arg(long)]
    store: Option<String>,
}

/// `sfkit mcp`: the catalog as MCP tools over stdin and stdout, for an agent that starts sfkit
/// itself (the local user: no API key). Logs go to stderr; stdout is the protocol's.
pub(crate) fn run(target: &crate::connect::Target, args: McpArgs) -> anyhow::Result<ExitCode> {
    let data_dir: &Path = &target.data_dir;
    crate::runtime::block_on(async {
        let store = open_store(data_dir, args.store).await?;
        let mut config = ServerConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), store);
        config.local_org_dir = Some(target.org_dir());
        config.cursors = Some(cursors(data_dir));
        process_connection(target, &mut config).await?;
        Server::serve_mcp_stdio(config)
            .await
            .context("serving MCP over stdio")?;
        Ok(ExitCode::SUCCESS)
    })?
}
