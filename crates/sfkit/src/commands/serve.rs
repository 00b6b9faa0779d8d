//! `sfkit serve`: the actions over HTTP. Settings come from flags, then `SFKIT_*` environment
//! variables, then a TOML config file, then defaults. The store is
//! `sqlite://<data dir>/server.db` unless told otherwise; its secrets are sealed with the key in
//! the data directory's key: `SFKIT_SECRET_KEY` (base64), the OS keyring, or a key file readable
//! by the user only (see `keys`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use serde::Deserialize;
use sfkit_server::{Server, ServerConfig};
use sfkit_store::Store;

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
        .map(|v| super::emulator::parse_duration(v).map_err(|e| anyhow::anyhow!("{name}: {e}")))
        .transpose()
}

pub(super) async fn open_store(
    data_dir: &Path,
    url: Option<String>,
) -> anyhow::Result<Arc<dyn Store>> {
    let url = url
        .or_else(|| std::env::var("SFKIT_STORE").ok())
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("server.db").display()));
    sfkit_store::open(&url, crate::keys::cipher(data_dir)?.0)
        .await
        .with_context(|| format!("opening the store {url}"))
}

/// The org the server's actions use when a call names no connection, chosen as every command
/// chooses (`--org`, the environment, `target-org`, the newest login), and the local org when
/// that is the choice. Nothing chosen: the server's own rule (the only saved connection, or the
/// local org when there is none).
pub(super) async fn process_connection(
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

pub(crate) fn run(target: &crate::connect::Target, args: ServeArgs) -> anyhow::Result<ExitCode> {
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
    crate::runtime::block_on(async {
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
        crate::runtime::shutdown_signal().await;
        println!("sfkit server stopping");
        server.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })?
}

/// Cursors sealed with the data directory's cursor key, so they outlive a restart.
pub(super) fn cursors(data_dir: &Path) -> sfkit_actions::Cursors {
    let dir = data_dir.to_path_buf();
    sfkit_actions::Cursors::new(Box::new(move || crate::connect::cursor_key(&dir)), "")
}
