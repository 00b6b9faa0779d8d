//! One local org, many processes.
//!
//! The org's data directory is served by one process at a time (it holds `org.lock`, see the
//! store). That process writes where it listens into `org.addr` (JSON: `url`, `pid`, `caPem`),
//! so that every other sfkit process finds it and talks to it over its API instead of failing.
//! The lock, not the file, says whether anyone serves: the OS drops the lock with the process
//! however it ends, so an address file left by a killed process is stale exactly when the lock
//! is free, and the next process to take the lock overwrites it.
//!
//! A process that serves the org only for a command's length (an embedded `sfkit run`) must not
//! pull it from under another process that found it: [`Activity`] notes when a request last came
//! from anyone but the serving process itself, and [`crate::OrgHandle::release`] waits for a quiet
//! moment before stopping.
//!
//! Custom schema files given once are kept in `schema/` beside the database, so the objects they
//! declare exist for every later start, embedded or not.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::Error;

/// The address file's name, in the org's data directory.
pub const ADDRESS_FILE: &str = "org.addr";
/// The folder, in the org's data directory, that keeps the custom schema files.
pub const SCHEMA_DIR: &str = "schema";

/// Where a running org listens, as its address file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunningOrg {
    /// Its base URL.
    pub url: String,
    /// The process serving it.
    pub pid: u32,
    /// The certificate authority to trust, when it serves HTTPS.
    #[serde(default)]
    pub ca_pem: Option<PathBuf>,
}

/// Whether the org in `dir` is served by a process, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// No process holds it: whoever opens it next serves it.
    Free,
    /// A process holds it but has not said where it listens yet (it is starting).
    Starting,
    /// A process serves it here.
    Running(RunningOrg),
}

/// Looks for the process serving the org in `dir`, without disturbing it.
pub fn locate(dir: &Path) -> Located {
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join("org.lock"));
    let Ok(lock) = lock else {
        return Located::Free;
    };
    match lock.try_lock() {
        // Nobody holds it: any address file is a dead process's. Dropping `lock` unlocks.
        Ok(()) => Located::Free,
        Err(std::fs::TryLockError::WouldBlock) => match read_address(dir) {
            Some(r) => Located::Running(r),
            None => Located::Starting,
        },
        Err(std::fs::TryLockError::Error(_)) => Located::Free,
    }
}

/// The address file's contents, if it is there and whole.
pub fn read_address(dir: &Path) -> Option<RunningOrg> {
    let text = std::fs::read(dir.join(ADDRESS_FILE)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Writes the address file whole (a private name, then a rename), so a reader sees the old
/// file, no file, or the new one; never half of one.
pub(crate) fn write_address(dir: &Path, running: &RunningOrg) -> Result<(), Error> {
    let io = |context: String| move |source| Error::Io { context, source };
    let tmp = dir.join(format!("{ADDRESS_FILE}.{}.tmp", std::process::id()));
    let bytes = serde_json::to_vec(running).map_err(|e| Error::Io {
        context: "encoding the address file".into(),
        source: std::io::Error::other(e),
    })?;
    std::fs::write(&tmp, bytes).map_err(io(format!("writing {}", tmp.display())))?;
    std::fs::rename(&tmp, dir.join(ADDRESS_FILE))
        .map_err(io(format!("writing {}", dir.join(ADDRESS_FILE).display())))
}

/// Removes the address file if it is still this process's.
pub(crate) fn remove_address(dir: &Path) {
    if read_address(dir).is_some_and(|r| r.pid == std::process::id()) {
        let _ = std::fs::remove_file(dir.join(ADDRESS_FILE));
    }
}

/// The schema files kept in `dir`, in name order: (text, file name).
pub(crate) fn kept_schemas(dir: &Path) -> Result<Vec<(String, String)>, Error> {
    let folder = dir.join(SCHEMA_DIR);
    let entries = match std::fs::read_dir(&folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                context: format!("reading {}", folder.display()),
                source,
            });
        }
    };
    let mut names: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|source| Error::Io {
                context: format!("reading {}", p.display()),
                source,
            })?;
            Ok((text, p.display().to_string()))
        })
        .collect()
}

/// The name a schema file is kept under: its own file name, reduced to safe characters, so
/// giving the same file again replaces the kept copy.
pub(crate) fn kept_name(origin: &str) -> String {
    let base = Path::new(origin)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("schema");
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.toml", if clean.is_empty() { "schema" } else { &clean })
}

/// Keeps schema files in `dir` (whole files, replacing copies of the same name).
pub(crate) fn keep_schemas(dir: &Path, schemas: &[(String, String)]) -> Result<(), Error> {
    if schemas.is_empty() {
        return Ok(());
    }
    let folder = dir.join(SCHEMA_DIR);
    std::fs::create_dir_all(&folder).map_err(|source| Error::Io {
        context: format!("creating {}", folder.display()),
        source,
    })?;
    for (text, origin) in schemas {
        let path = folder.join(kept_name(origin));
        let tmp = folder.join(format!(".{}.tmp", std::process::id()));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| Error::Io {
                context: format!("keeping the schema file as {}", path.display()),
                source,
            })?;
    }
    Ok(())
}

/// Who has used the org lately: the serving process's own tokens, and when anyone else last
/// made a request.
pub(crate) struct Activity {
    started: Instant,
    own_tokens: Mutex<HashSet<String>>,
    /// Milliseconds after `started` of the last request from another process, plus one; zero
    /// when there has been none.
    last_foreign: AtomicU64,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            started: Instant::now(),
            own_tokens: Mutex::new(HashSet::new()),
            last_foreign: AtomicU64::new(0),
        }
    }
}

impl Activity {
    /// A token minted for the serving process itself.
    pub(crate) fn own(&self, token: &str) {
        self.own_tokens.lock().insert(token.to_owned());
    }

    fn note_foreign(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_foreign
            .store(ms.saturating_add(1), Ordering::Relaxed);
    }

    /// How long since another process last made a request (`None`: never).
    pub(crate) fn since_foreign(&self) -> Option<Duration> {
        match self.last_foreign.load(Ordering::Relaxed) {
            0 => None,
            at => Some(
                self.started
                    .elapsed()
                    .saturating_sub(Duration::from_millis(at.saturating_sub(1))),
            ),
        }
    }
}

/// Notes requests that do not carry one of the serving process's own tokens (a token request,
/// another process's session, SOAP with its session in the body).
pub(crate) async fn track(
    State(state): State<std::sync::Arc<crate::http::OrgState>>,
    req: Request,
    next: Next,
) -> Response {
    let own = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| state.activity.own_tokens.lock().contains(t.trim()));
    if !own {
        state.activity.note_foreign();
    }
    let response = next.run(req).await;
    if !own {
        // A long request counts until it ends, not only from when it began.
        state.activity.note_foreign();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_names_are_safe_and_stable() {
        assert_eq!(kept_name("/tmp/x/invoices.toml"), "invoices.toml");
        assert_eq!(kept_name("../../etc/pass wd.toml"), "pass_wd.toml");
        assert_eq!(kept_name(""), "schema.toml");
    }
}
