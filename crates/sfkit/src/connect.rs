//! Which org a command talks to, in this order: the saved login `--org NAME`;
//! `SF_INSTANCE_URL` with `SF_ACCESS_TOKEN` (the names the Salesforce CLI uses); the newest
//! saved login; else the embedded default: the local org in sfkit's data directory, started in
//! this process for the command's length, which says so on stderr.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sfkit_client::Client;
use sfkit_client::auth::StaticToken;
use sfkit_emulator::{ADMIN_USERNAME, Org, OrgConfig, OrgHandle};

/// Where a command's org comes from.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// sfkit's data directory.
    pub(crate) data_dir: PathBuf,
    /// `--org NAME`.
    pub(crate) org: Option<String>,
}

/// A connected client, and the local org behind it when it is the embedded default.
pub(crate) struct Connection {
    pub(crate) client: Client,
    /// Which org this is, for binding cursors to it (a cursor from one org is refused by
    /// another).
    pub(crate) identity: String,
    local: Option<OrgHandle>,
}

impl Connection {
    /// Stops the local org, if one was started, letting its writes finish.
    pub(crate) async fn close(self) {
        if let Some(org) = self.local {
            org.shutdown().await;
        }
    }
}

fn from_profile(
    saved: Option<(String, Box<dyn sfkit_client::TokenSource>)>,
) -> anyhow::Result<Connection> {
    let (instance_url, source) = saved.context("no saved login")?;
    // Which org a command talks to is never a guess: said on stderr, out of the output's way.
    eprintln!("sfkit: using the saved login for {instance_url}");
    let identity = format!("org {instance_url}");
    let client = Client::builder()
        .instance_url(instance_url)
        .token_source(source)
        .build()
        .context("setting up the Salesforce client")?;
    Ok(Connection {
        client,
        identity,
        local: None,
    })
}

/// Connects as `target` and the environment say, or to the embedded local org.
pub(crate) async fn connect(target: &Target) -> anyhow::Result<Connection> {
    let data_dir: &Path = &target.data_dir;
    crate::keys::check_data_dir(data_dir);
    let profiles = crate::profiles::Store::new(data_dir);
    if let Some(name) = &target.org {
        return from_profile(profiles.resolve(Some(name))?);
    }
    let url = std::env::var("SF_INSTANCE_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let token = std::env::var("SF_ACCESS_TOKEN")
        .ok()
        .filter(|s| !s.is_empty());
    if url.is_none()
        && token.is_none()
        && let Some(saved) = profiles.resolve(None)?
    {
        return from_profile(Some(saved));
    }
    match (url, token) {
        (Some(url), Some(token)) => {
            eprintln!("sfkit: using the org at {url} (SF_INSTANCE_URL, SF_ACCESS_TOKEN)");
            let identity = format!("org {url}");
            let client = Client::builder()
                .token_source(StaticToken::new(token, url))
                .build()
                .context("setting up the Salesforce client")?;
            Ok(Connection {
                client,
                identity,
                local: None,
            })
        }
        (Some(_), None) | (None, Some(_)) => anyhow::bail!(
            "SF_INSTANCE_URL and SF_ACCESS_TOKEN go together: set both, or neither to use the local org"
        ),
        (None, None) => {
            let dir = data_dir.join("org");
            let org = Org::start(
                OrgConfig::default()
                    .data_dir(&dir)
                    .addr(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
            )
            .await
            .with_context(|| format!("starting the local org in {}", dir.display()))?;
            eprintln!(
                "sfkit: no Salesforce connection configured (SF_INSTANCE_URL, SF_ACCESS_TOKEN); using the local org in {}",
                dir.display()
            );
            let token = org
                .mint_token(ADMIN_USERNAME)
                .map_err(|e| anyhow::anyhow!("logging in to the local org: {e}"))?;
            let client = Client::builder()
                .token_source(StaticToken::new(token, org.url()))
                .build()
                .context("setting up the Salesforce client")?;
            Ok(Connection {
                client,
                identity: format!("local org {}", dir.display()),
                local: Some(org),
            })
        }
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
