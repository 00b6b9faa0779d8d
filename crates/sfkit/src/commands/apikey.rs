//! `sfkit apikey`: make, list and revoke the server's API keys (kept in the server's store).

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use sfkit_store::Scope;

use super::serve::open_store;

/// `sfkit apikey`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  KEY=$(sfkit apikey create zapier)\n  sfkit apikey create agent --connection prod --read-only\n  sfkit apikey create ops --admin    # may manage keys through /v1/apikeys\n  sfkit apikey list\n  sfkit apikey revoke zapier"
)]
pub(crate) struct ApiKeyArgs {
    #[command(subcommand)]
    what: ApiKeyCommand,
    /// The store (as for `sfkit serve`).
    #[arg(long, global = true)]
    store: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ApiKeyCommand {
    /// Make a key and print it, alone, on stdout; it is shown this once (only a hash is kept).
    Create {
        /// Its name.
        name: String,
        /// Limit it to this connection (repeatable; default: all).
        #[arg(long = "connection")]
        connections: Vec<String>,
        /// Limit it to actions that change nothing.
        #[arg(long)]
        read_only: bool,
        /// Let it manage API keys through the server (`/v1/apikeys`); an admin key has no
        /// other limit.
        #[arg(long, conflicts_with_all = ["connections", "read_only"])]
        admin: bool,
    },
    /// The keys (never the keys themselves).
    List {
        /// As JSON: `[{id, name, state, connections, readOnly, admin, createdAt, revokedAt}]`.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by name or id.
    Revoke {
        /// The key's name or id.
        name: String,
    },
}

pub(crate) fn run(data_dir: &Path, args: ApiKeyArgs) -> anyhow::Result<ExitCode> {
    crate::runtime::block_on(async {
        let store = open_store(data_dir, args.store).await?;
        match args.what {
            ApiKeyCommand::Create {
                name,
                connections,
                read_only,
                admin,
            } => {
                let scope = if admin {
                    Scope::admin()
                } else {
                    Scope::new(connections, read_only)
                };
                let (_, key) = store.create_api_key(&name, scope).await?;
                println!("{key}");
                eprintln!("sfkit: API key {name:?} made; it is shown only now, keep it safe");
            }
            ApiKeyCommand::List { json: true } => {
                let all: Vec<serde_json::Value> = store
                    .list_api_keys()
                    .await?
                    .into_iter()
                    .map(|k| {
                        serde_json::json!({
                            "id": k.id,
                            "name": k.name,
                            "state": if k.revoked_at.is_some() { "revoked" } else { "active" },
                            "connections": k.scope.connections,
                            "readOnly": k.scope.read_only,
                            "admin": k.scope.admin,
                            "createdAt": k.created_at,
                            "revokedAt": k.revoked_at,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&all)?);
            }
            ApiKeyCommand::List { json: false } => {
                for k in store.list_api_keys().await? {
                    let state = if k.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    let scope = match (k.scope.connections.is_empty(), k.scope.read_only) {
                        (true, false) if k.scope.admin => "all connections, admin".to_owned(),
                        (true, false) => "all connections".to_owned(),
                        (true, true) => "all connections, read-only".to_owned(),
                        (false, ro) => format!(
                            "{}{}",
                            k.scope.connections.join(","),
                            if ro { ", read-only" } else { "" }
                        ),
                    };
                    println!("{}  {}  {state}  {scope}", k.id, k.name);
                }
            }
            ApiKeyCommand::Revoke { name } => {
                if !store.revoke_api_key(&name).await? {
                    eprintln!("sfkit: no active API key named {name:?}");
                    return Ok(ExitCode::from(2));
                }
                eprintln!("sfkit: API key {name:?} revoked");
            }
        }
        Ok(ExitCode::SUCCESS)
    })?
}
