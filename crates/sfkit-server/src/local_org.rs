//! The local org as a connection that every sfkit process shares.
//!
//! [`LocalOrg`] is a token source for the org in a data directory. When another process serves
//! that org (its address file names a live process, see `sfkit_emulator::shared`), it logs in to
//! it over its API, as any client would; when none does, it starts the org in this process
//! (embedded), and then this process serves it to the others until it ends. Its instance
//! relocates: when the process serving the org goes away, the client's next call finds the org
//! again (served by someone else, or by this process now), so a long-lived process (`sfkit mcp`,
//! `sfkit serve`) keeps working whichever process started first.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sfkit_client::Client;
use sfkit_client::auth::{BoxFuture, Fetch, Password, Token, TokenSource};
use sfkit_emulator::shared::{Located, locate};
use sfkit_emulator::{
    ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, Org, OrgConfig, OrgHandle, PASSWORD,
};

/// How long to wait for a process that holds the org to say where it listens, or to let go.
const FIND_TIMEOUT: Duration = Duration::from_secs(20);
/// A process that served the org for a command waits for this long a quiet from the others
/// before it stops serving it.
const RELEASE_QUIET: Duration = Duration::from_millis(750);
/// ... but no longer than this.
const RELEASE_MAX: Duration = Duration::from_secs(60);
/// How many times a login is tried, finding the org again after each failure.
const LOGIN_ATTEMPTS: u32 = 5;

/// Where the local org is, as last found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its base URL.
    pub url: String,
    /// Whether this process serves it.
    pub here: bool,
    /// The process that serves it.
    pub pid: u32,
}

enum Slot {
    Closed,
    Embedded(OrgHandle),
    Attached(String, u32),
}

/// The local org of a data directory, found or started on first use.
pub struct LocalOrg {
    dir: PathBuf,
    slot: tokio::sync::Mutex<Slot>,
}

impl std::fmt::Debug for LocalOrg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalOrg")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl LocalOrg {
    /// The org whose data live in `dir` (sfkit's data directory's `org/`).
    pub fn new(dir: impl Into<PathBuf>) -> Arc<Self> {
        Arc::new(LocalOrg {
            dir: dir.into(),
            slot: tokio::sync::Mutex::new(Slot::Closed),
        })
    }

    /// Its data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Finds the process serving the org, or serves it from this one.
    pub async fn open(&self) -> Result<Found, sfkit_emulator::Error> {
        let mut slot = self.slot.lock().await;
        if matches!(*slot, Slot::Closed) {
            *slot = find(&self.dir).await?;
        }
        Ok(found(&slot))
    }

    /// A client for the org, as its admin user. Trusts the org's own certificate authority when
    /// it has one, in case the process serving it serves HTTPS (`sfkit emulator --tls`).
    pub fn client(self: &Arc<Self>) -> Result<Client, sfkit_client::Error> {
        let mut builder = Client::builder().token_source(Arc::clone(self));
        if let Ok(pem) = std::fs::read(self.dir.join("tls").join("ca.pem")) {
            builder = builder.trust_pem(pem);
        }
        builder.build()
    }

    /// Stops serving the org if this process does, once the other processes using it have been
    /// quiet for a moment.
    pub async fn close(&self) {
        let slot = std::mem::replace(&mut *self.slot.lock().await, Slot::Closed);
        if let Slot::Embedded(org) = slot {
            org.release(RELEASE_QUIET, RELEASE_MAX).await;
        }
    }

    async fn token(&self, http: &reqwest::Client, why: Fetch) -> Result<Token, String> {
        let mut slot = self.slot.lock().await;
        // A rejected token, or an org that could not be reached: look again (the process that
        // served it may have ended). An org this process serves has not moved.
        if matches!(*slot, Slot::Closed)
            || (why == Fetch::Rejected && matches!(*slot, Slot::Attached(..)))
        {
            *slot = find(&self.dir).await.map_err(|e| e.to_string())?;
        }
        // Each failed login means the process serving the org ended between finding it and
        // logging in (it stops when no one has used it for a moment): find it again.
        for attempt in 0..LOGIN_ATTEMPTS {
            match &*slot {
                Slot::Embedded(org) => {
                    let token = org.mint_token(ADMIN_USERNAME).map_err(|e| {
                        let why = e.items.first().map(|i| i.message.as_str()).unwrap_or("");
                        format!("logging in to the local org: {why}")
                    })?;
                    return Ok(Token::new(token, Some(org.url().to_owned())));
                }
                Slot::Attached(url, _) => {
                    let login = Password::new(CLIENT_ID, CLIENT_SECRET, ADMIN_USERNAME, PASSWORD)
                        .login_url(url.clone());
                    match login.fetch(http, Fetch::Initial).await {
                        Ok(t) => return Ok(t),
                        Err(e) if attempt + 1 < LOGIN_ATTEMPTS => {
                            tracing::debug!(error = %e, "the local org moved; finding it again");
                            *slot = find(&self.dir).await.map_err(|e| e.to_string())?;
                        }
                        Err(e) => return Err(format!("logging in to the local org at {url}: {e}")),
                    }
                }
                Slot::Closed => break,
            }
        }
        Err(format!(
            "the local org in {} could not be reached",
            self.dir.display()
        ))
    }
}

fn found(slot: &Slot) -> Found {
    match slot {
        Slot::Embedded(org) => Found {
            url: org.url().to_owned(),
            here: true,
            pid: std::process::id(),
        },
        Slot::Attached(url, pid) => Found {
            url: url.clone(),
            here: false,
            pid: *pid,
        },
        Slot::Closed => Found {
            url: String::new(),
            here: false,
            pid: 0,
        },
    }
}

/// Whether something accepts connections at `url`'s host and port.
async fn answers(url: &str) -> bool {
    let Some(authority) = url
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
    else {
        return false;
    };
    matches!(
        tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(authority)
        )
        .await,
        Ok(Ok(_))
    )
}

/// Finds the process serving the org in `dir`, or starts serving it here.
async fn find(dir: &Path) -> Result<Slot, sfkit_emulator::Error> {
    let until = tokio::time::Instant::now() + FIND_TIMEOUT;
    let mut last = None;
    loop {
        match locate(dir) {
            Located::Running(r) => {
                if answers(&r.url).await {
                    return Ok(Slot::Attached(r.url, r.pid));
                }
                // It holds the org but does not answer: stopping, or hung.
                last = Some(format!("process {} at {} does not answer", r.pid, r.url));
            }
            Located::Starting => last = Some("another process is starting it".to_owned()),
            Located::Free => {
                let config = OrgConfig::default()
                    .data_dir(dir)
                    .addr(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
                match Org::start(config).await {
                    Ok(org) => return Ok(Slot::Embedded(org)),
                    // Someone else took it between the look and the start: look again.
                    Err(sfkit_emulator::Error::InUse { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if tokio::time::Instant::now() >= until {
            return Err(sfkit_emulator::Error::InUse {
                dir: dir.to_path_buf(),
                served_at: last,
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl TokenSource for LocalOrg {
    fn fetch<'a>(
        &'a self,
        http: &'a reqwest::Client,
        why: Fetch,
    ) -> BoxFuture<'a, Result<Token, sfkit_client::Error>> {
        Box::pin(async move {
            self.token(http, why)
                .await
                .map_err(sfkit_client::Error::Config)
        })
    }

    fn relocates(&self) -> bool {
        true
    }
}
