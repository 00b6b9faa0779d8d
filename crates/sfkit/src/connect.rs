//! Which org a command talks to, in one order for every command (`sfkit mcp` and `sfkit serve`
//! included):
//!
//! 1. `--org NAME`: a saved login, or `local`;
//! 2. `SF_INSTANCE_URL` with `SF_ACCESS_TOKEN` (the names the Salesforce CLI uses);
//! 3. `target-org` in sfkit's settings (`sfkit config set target-org NAME`);
//! 4. the newest saved login (`sfkit login` makes one);
//! 5. the local org in sfkit's data directory.
//!
//! The local org is shared: when another sfkit process serves it, the command talks to that
//! process over the org's API; otherwise it serves the org itself for the command's length (see
//! `sfkit_server::local_org`). Every command says on stderr which org it uses.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use sfkit_client::Client;
use sfkit_client::auth::StaticToken;
use sfkit_server::local_org::LocalOrg;

/// The name of the local org wherever an org is named (`--org local`).
pub(crate) const LOCAL: &str = "local";

/// Where a command's org comes from.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// sfkit's data directory.
    pub(crate) data_dir: PathBuf,
    /// `--org NAME`.
    pub(crate) org: Option<String>,
}

impl Target {
    /// The local org's data directory.
    pub(crate) fn org_dir(&self) -> PathBuf {
        self.data_dir.join("org")
    }
}

/// Which org, once chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Choice {
    /// The local org.
    Local,
    /// A saved login, by name.
    Login(String),
    /// `SF_INSTANCE_URL` and `SF_ACCESS_TOKEN`.
    Env {
        /// The instance.
        url: String,
    },
}

/// What chose the org, for saying so.
pub(crate) type Why = &'static str;

/// Why the local org is used when nothing chose another.
pub(crate) const NO_ORG: Why = "no other org configured";

fn named(name: &str) -> Choice {
    if name == LOCAL {
        Choice::Local
    } else {
        Choice::Login(name.to_owned())
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

/// Chooses the org, in the order above.
pub(crate) fn choose(target: &Target) -> anyhow::Result<(Choice, Why)> {
    if let Some(name) = &target.org {
        return Ok((named(name), "--org"));
    }
    match (env("SF_INSTANCE_URL"), env("SF_ACCESS_TOKEN")) {
        (Some(url), Some(_)) => {
            return Ok((Choice::Env { url }, "SF_INSTANCE_URL, SF_ACCESS_TOKEN"));
        }
        (Some(_), None) | (None, Some(_)) => anyhow::bail!(
            "SF_INSTANCE_URL and SF_ACCESS_TOKEN go together: set both, or neither to use the local org"
        ),
        (None, None) => {}
    }
    let (newest, saved) = crate::profiles::Store::new(&target.data_dir).list()?;
    if let Some(name) = crate::config::get(crate::config::TARGET_ORG)? {
        if name != LOCAL && !saved.contains_key(&name) {
            anyhow::bail!(
                "target-org in {} names {name:?}, which is not a saved login here: `sfkit config set target-org NAME` (see `sfkit org list`) or `sfkit config unset target-org`",
                crate::config::path().display()
            );
        }
        return Ok((named(&name), "target-org in sfkit's settings"));
    }
    if let Some(newest) = newest {
        return Ok((Choice::Login(newest), "the newest saved login"));
    }
    Ok((Choice::Local, NO_ORG))
}

/// A connected client, and the local org behind it when it is the local org.
pub(crate) struct Connection {
    pub(crate) client: Client,
    /// Which org this is, for binding cursors to it (a cursor from one org is refused by
    /// another).
    pub(crate) identity: String,
    local: Option<Arc<LocalOrg>>,
}

impl Connection {
    /// Lets go of the local org, if this command serves it, once other processes using it
    /// have had their answers.
    pub(crate) async fn close(self) {
        if let Some(org) = self.local {
            org.close().await;
        }
    }
}

/// The local org of `target`, found or served from here; says which on stderr.
pub(crate) async fn local(target: &Target, why: Why) -> anyhow::Result<(Arc<LocalOrg>, Client)> {
    let dir = target.org_dir();
    let org = LocalOrg::new(&dir);
    let found = org
        .open()
        .await
        .with_context(|| format!("opening the local org in {}", dir.display()))?;
    let client = org.client().context("setting up the Salesforce client")?;
    // Logging in now, not at the first call: a process serving the org for its own command
    // waits for others only once they have made a request.
    let url = client
        .instance_url()
        .await
        .with_context(|| format!("logging in to the local org in {}", dir.display()))?;
    let found = org.open().await.unwrap_or(found);
    let how = if found.here {
        format!("served by this process at {url}")
    } else {
        format!("served by process {} at {url}", found.pid)
    };
    eprintln!(
        "sfkit: using the local org in {} ({how}; {why})",
        dir.display()
    );
    Ok((org, client))
}

/// A saved login's client; says which on stderr.
pub(crate) fn login(target: &Target, name: &str, why: Why) -> anyhow::Result<(String, Client)> {
    let (instance_url, source) = crate::profiles::Store::new(&target.data_dir)
        .resolve(Some(name))?
        .context("no saved login")?;
    eprintln!("sfkit: using the saved login for {instance_url} ({name}; {why})");
    let client = Client::builder()
        .instance_url(instance_url.clone())
        .token_source(source)
        .build()
        .context("setting up the Salesforce client")?;
    Ok((instance_url, client))
}

/// The environment's org; says which on stderr.
pub(crate) fn from_env(url: &str) -> anyhow::Result<Client> {
    let token = env("SF_ACCESS_TOKEN").context("SF_ACCESS_TOKEN is not set")?;
    eprintln!("sfkit: using the org at {url} (SF_INSTANCE_URL, SF_ACCESS_TOKEN)");
    Client::builder()
        .token_source(StaticToken::new(token, url))
        .build()
        .context("setting up the Salesforce client")
}

/// Connects to the org `target` and the environment choose.
pub(crate) async fn connect(target: &Target) -> anyhow::Result<Connection> {
    crate::keys::check_data_dir(&target.data_dir);
    let (choice, why) = choose(target)?;
    match choice {
        Choice::Local => {
            let (org, client) = local(target, why).await?;
            Ok(Connection {
                client,
                identity: format!("local org {}", target.org_dir().display()),
                local: Some(org),
            })
        }
        Choice::Login(name) => {
            let (url, client) = login(target, &name, why)?;
            Ok(Connection {
                client,
                identity: format!("org {url}"),
                local: None,
            })
        }
        Choice::Env { url } => Ok(Connection {
            client: from_env(&url)?,
            identity: format!("org {url}"),
            local: None,
        }),
    }
}

/// The key that seals the CLI's paging cursors, so that `sfkit run listAccounts -p cursor=...`
/// in a later run continues the listing: `<data dir>/cursor.key`, 32 random bytes readable by
/// the user only, made on first use. It guards nothing but cursors.
pub(crate) fn cursor_key(data_dir: &Path) -> Result<[u8; 32], String> {
    use base64::Engine as _;
    use std::io::Write as _;
    let file = data_dir.join("cursor.key");
    let read = |bytes: Vec<u8>| -> Result<[u8; 32], String> {
        bytes
            .try_into()
            .map_err(|_| format!("{} is not a 32-byte key; delete it", file.display()))
    };
    match std::fs::read(&file) {
        Ok(bytes) => return read(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("reading {}: {e}", file.display())),
    }
    let key = sfkit_store::Cipher::generate()
        .ok()
        .and_then(|k| base64::engine::general_purpose::STANDARD.decode(k).ok())
        .ok_or_else(|| "no randomness for the cursor key".to_owned())
        .and_then(read)?;
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("creating {}: {e}", data_dir.display()))?;
    // Written whole under a private name, then linked into place: a run that starts at the
    // same moment reads either no key or the whole key, and the first link wins.
    let tmp = data_dir.join(format!("cursor.key.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&tmp)
        .and_then(|mut f| f.write_all(&key))
        .and_then(|()| std::fs::hard_link(&tmp, &file));
    let _ = std::fs::remove_file(&tmp);
    match written {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(&file)
            .map_err(|e| format!("reading {}: {e}", file.display()))
            .and_then(read),
        Err(e) => Err(format!("creating {}: {e}", file.display())),
    }
}
