//! `sfkit serve` and `sfkit apikey`: the server and its API keys. Settings come from flags, then
//! `SFKIT_*` environment variables, then a TOML config file, then defaults. The store is
//! `sqlite://<data dir>/server.db` unless told otherwise; its secrets are sealed with the key in
//! the data directory's key: `SFKIT_SECRET_KEY` (base64), the OS keyring, or a key file readable
//! by the user only (see `keys`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Deserialize;
use sfkit_server::{Server, ServerConfig};
use sfkit_store::{Scope, Store};

/// `sfkit serve`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit apikey create zapier    # prints the key once\n  sfkit serve --addr 127.0.0.1:8787\n  curl -H \"Authorization: Bearer $KEY\" -d '{\"lastName\":\"Ng\",\"company\":\"Acme\"}' http://127.0.0.1:8787/v1/actions/createLead"
)]
pub(crate) struct ServeArgs {
    /// Where to listen (127.0.0.1:0 picks a port) [env: SFKIT_ADDR; default 127.0.0.1:8787].
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// The store: sqlite://PATH [env: SFKIT_STORE; default sqlite://<data dir>/server.db].
    #[arg(long)]
    store: Option<String>,
    /// A TOML file with `addr`, `store`, `public_url`, `body_limit` (bytes), `rate_per_key`
    /// (requests/s), `max_connections`, and `header_read_timeout`, `body_read_timeout`,
    /// `idle_timeout`, `send_timeout` (durations such as "10s").
    #[arg(long)]
    config: Option<PathBuf>,
    /// The URL clients use when not the bound address (a proxy, a DNS name) [env:
    /// SFKIT_PUBLIC_URL]: OAuth redirects point there and MCP accepts its host.
    #[arg(long)]
    public_url: Option<String>,
}

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

#[derive(Debug, Default, Deserialize)]
struct FileSettings {
    addr: Option<SocketAddr>,
    store: Option<String>,
    public_url: Option<String>,
    body_limit: Option<usize>,
    rate_per_key: Option<f64>,
    max_connections: Option<usize>,
    header_read_timeout: Option<String>,
    body_read_timeout: Option<String>,
    idle_timeout: Option<String>,
    send_timeout: Option<String>,
}

/// A duration from the settings file, named in the error.
fn setting_duration(
    name: &str,
    value: Option<&str>,
) -> anyhow::Result<Option<std::time::Duration>> {
    value
        .map(|v| crate::emulator::parse_duration(v).map_err(|e| anyhow::anyhow!("{name}: {e}")))
        .transpose()
}

async fn open_store(data_dir: &Path, url: Option<String>) -> anyhow::Result<Arc<dyn Store>> {
    let url = url
        .or_else(|| std::env::var("SFKIT_STORE").ok())
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("server.db").display()));
    sfkit_store::open(&url, crate::keys::cipher(data_dir)?.0)
        .await
        .with_context(|| format!("opening the store {url}"))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

pub(crate) fn apikey(data_dir: &Path, args: ApiKeyArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
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
    })
}

/// The org the server's actions use when a call names no connection, chosen as every command
/// chooses (`--org`, the environment, `target-org`, the newest login), and the local org when
/// that is the choice. Nothing chosen: the server's own rule (the only saved connection, or the
/// local org when there is none).
async fn process_connection(
    target: &crate::connect::Target,
    config: &mut ServerConfig,
) -> anyhow::Result<()> {
    use crate::connect::{Choice, choose};
    let (choice, why) = choose(target)?;
    let client = match &choice {
        Choice::Local if why == crate::connect::NO_ORG => {
            eprintln!(
                "sfkit: calls that name no connection use the only saved one, or the local org in {} when none is saved",
                target.org_dir().display()
            );
            return Ok(());
        }
        Choice::Local => {
            let (org, client) = crate::connect::local(target, why).await?;
            config.local_org = Some(org);
            client
        }
        Choice::Login(name) => crate::connect::login(target, name, why)?.1,
        Choice::Env { url } => crate::connect::from_env(url)?,
    };
    let name = match choice {
        Choice::Local => crate::connect::LOCAL.to_owned(),
        Choice::Login(name) => name,
        Choice::Env { .. } => "env".to_owned(),
    };
    eprintln!("sfkit: calls that name no connection use {name:?}");
    config.default_connection = Some((name, client));
    Ok(())
}

pub(crate) fn serve(target: &crate::connect::Target, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let data_dir: &Path = &target.data_dir;
    let file: FileSettings = match &args.config {
        Some(p) => toml::from_str(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| format!("{} is not a valid settings file", p.display()))?,
        None => FileSettings::default(),
    };
    let env_addr = std::env::var("SFKIT_ADDR")
        .ok()
        .map(|a| {
            a.parse::<SocketAddr>()
                .context("SFKIT_ADDR is not an address")
        })
        .transpose()?;
    let addr = args
        .addr
        .or(env_addr)
        .or(file.addr)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8787)));
    runtime()?.block_on(async {
        let store = open_store(data_dir, args.store.or(file.store)).await?;
        let mut config = ServerConfig::new(addr, store);
        config.local_org_dir = Some(target.org_dir());
        config.cursors = Some(cursors(data_dir));
        process_connection(target, &mut config).await?;
        config.public_url = args
            .public_url
            .or_else(|| std::env::var("SFKIT_PUBLIC_URL").ok())
            .or(file.public_url);
        if let Some(b) = file.body_limit {
            config.body_limit = b;
        }
        if let Some(r) = file.rate_per_key {
            config.rate_per_key = r;
        }
        if let Some(n) = file.max_connections {
            config.max_connections = n;
        }
        for (name, value, into) in [
            (
                "header_read_timeout",
                &file.header_read_timeout,
                &mut config.header_read_timeout,
            ),
            (
                "body_read_timeout",
                &file.body_read_timeout,
                &mut config.body_read_timeout,
            ),
            ("idle_timeout", &file.idle_timeout, &mut config.idle_timeout),
            ("send_timeout", &file.send_timeout, &mut config.send_timeout),
        ] {
            if let Some(d) = setting_duration(name, value.as_deref())? {
                *into = d;
            }
        }
        let server = Server::start(config).await.context("starting the server")?;
        println!("sfkit server listening on {}", server.url());
        crate::emulator::shutdown_signal().await;
        println!("sfkit server stopping");
        server.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// `sfkit mcp`: the catalog as MCP tools over stdin and stdout, for an agent that starts sfkit
/// itself (the local user: no API key). Logs go to stderr; stdout is the protocol's.
pub(crate) fn mcp(target: &crate::connect::Target, args: McpArgs) -> anyhow::Result<ExitCode> {
    let data_dir: &Path = &target.data_dir;
    runtime()?.block_on(async {
        let store = open_store(data_dir, args.store).await?;
        let mut config = ServerConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), store);
        config.local_org_dir = Some(target.org_dir());
        config.cursors = Some(cursors(data_dir));
        process_connection(target, &mut config).await?;
        Server::serve_mcp_stdio(config)
            .await
            .context("serving MCP over stdio")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Cursors sealed with the data directory's cursor key, so they outlive a restart.
fn cursors(data_dir: &Path) -> sfkit_actions::Cursors {
    let dir = data_dir.to_path_buf();
    sfkit_actions::Cursors::new(Box::new(move || crate::connect::cursor_key(&dir)), "")
}
