//! The key that seals what sfkit keeps secret on disk: saved logins (`secrets.bin`) and the
//! server's stored connection tokens. One key per data directory, found in this order:
//!
//! 1. `SFKIT_SECRET_KEY` (base64), for servers whose key comes from a secret manager;
//! 2. the key file `<data dir>/secret.key`, when one exists (mode 0600);
//! 3. the OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on
//!    Windows), entry service `sfkit`, account = the data directory's path. A marker file
//!    `secret.keyring` (holding no secret) records that the key lives there, so a later run that
//!    cannot reach the keyring fails clearly instead of sealing with a new key and orphaning
//!    what the old one sealed;
//! 4. otherwise a new key file, readable by the user only.
//!
//! `SFKIT_KEYRING=off` keeps new keys out of the keyring (headless servers, tests); a key already
//! there is still read from it. A new key also goes to a file, quietly, when no keyring answers
//! (no D-Bus session, no Secret Service).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;
use sfkit_store::Cipher;

const SERVICE: &str = "sfkit";
const KEY_FILE: &str = "secret.key";
const MARKER: &str = "secret.keyring";

/// Where the data directory's key was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Home {
    /// `SFKIT_SECRET_KEY`.
    Env,
    /// The OS keyring, under this account name.
    Keyring(String),
    /// A key file.
    File(PathBuf),
}

impl std::fmt::Display for Home {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Home::Env => f.write_str("SFKIT_SECRET_KEY"),
            Home::Keyring(account) => {
                write!(f, "the OS keyring (service {SERVICE}, account {account})")
            }
            Home::File(p) => write!(f, "the key file {}", p.display()),
        }
    }
}

/// Makes the data directory (and missing parents) for the user alone: it holds the key file,
/// sealed logins, the server's store and the local org's tokens.
pub(crate) fn create_data_dir(data_dir: &Path) -> anyhow::Result<()> {
    sfkit_store::private::create_dir(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))
}

/// Warns, once per process, about what in the data directory other users may read: the
/// directory, its key file, sealed logins and the local org (the server's store checks its own
/// files when it opens them).
pub(crate) fn check_data_dir(data_dir: &Path) {
    static CHECKED: std::sync::Once = std::sync::Once::new();
    CHECKED.call_once(|| {
        let mut paths = vec![
            data_dir.to_path_buf(),
            data_dir.join(KEY_FILE),
            data_dir.join("secrets.bin"),
            data_dir.join("profiles.json"),
        ];
        paths.extend(org_files(&data_dir.join("org")));
        sfkit_store::private::warn_exposed(paths.iter().map(PathBuf::as_path));
    });
}

/// The local org's directory and database files, which hold its users' live tokens.
pub(crate) fn org_files(org_dir: &Path) -> Vec<PathBuf> {
    let mut paths = vec![org_dir.to_path_buf()];
    paths.extend(sfkit_store::private::database_files(
        &org_dir.join("org.sqlite3"),
    ));
    paths
}

/// The data directory's sealing key, made on first use, and where it lives.
pub(crate) fn cipher(data_dir: &Path) -> anyhow::Result<(Cipher, Home)> {
    check_data_dir(data_dir);
    if let Ok(k) = std::env::var("SFKIT_SECRET_KEY") {
        let c = Cipher::from_base64(&k).context("SFKIT_SECRET_KEY is not a base64 32-byte key")?;
        return Ok((c, Home::Env));
    }
    let file = data_dir.join(KEY_FILE);
    match std::fs::read(&file) {
        Ok(bytes) => return from_file(&bytes, file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
    }
    create_data_dir(data_dir)?;
    let account = account(data_dir);
    let marker = data_dir.join(MARKER);
    if marker.exists() {
        // The key was put in the keyring before: it must come from there.
        let text = keyring_get(&account)
            .map_err(|e| anyhow::anyhow!(e))
            .and_then(|found| found.context("the keyring has no such entry"))
            .with_context(|| {
                format!(
                    "the key that seals sfkit's saved secrets is in {}, which cannot be read now; \
                     reach the keyring (a desktop session unlocks it), or delete {} and {} and log in again",
                    Home::Keyring(account.clone()),
                    marker.display(),
                    data_dir.join("secrets.bin").display()
                )
            })?;
        let c = Cipher::from_base64(&text).context("the keyring's sfkit key is not a key")?;
        return Ok((c, Home::Keyring(account)));
    }
    if keyring_wanted() {
        match keyring_adopt(&account) {
            Ok(text) => {
                if let Err(e) = write_new(&marker, account.as_bytes()) {
                    // Another sfkit process wrote it first; anything else is a real failure.
                    if !marker.exists() {
                        return Err(e);
                    }
                }
                let c =
                    Cipher::from_base64(&text).context("the keyring's sfkit key is not a key")?;
                return Ok((c, Home::Keyring(account)));
            }
            Err(why) => tracing::debug!("no OS keyring, the key goes in a file: {why}"),
        }
    }
    let key = base64::engine::general_purpose::STANDARD
        .decode(Cipher::generate()?)
        .context("a generated key")?;
    match write_new(&file, &key) {
        Ok(()) => from_file(&key, file),
        // Another sfkit process made it first: use theirs.
        Err(_) if file.exists() => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            from_file(&bytes, file)
        }
        Err(e) => Err(e),
    }
}

fn from_file(bytes: &[u8], file: PathBuf) -> anyhow::Result<(Cipher, Home)> {
    let c =
        Cipher::new(bytes).with_context(|| format!("{} is not a 32-byte key", file.display()))?;
    Ok((c, Home::File(file)))
}

fn keyring_wanted() -> bool {
    !matches!(
        std::env::var("SFKIT_KEYRING").as_deref().map(str::trim),
        Ok("off" | "0" | "false" | "no")
    )
}

/// The keyring account for a data directory: its absolute path, so two data directories never
/// share a key by accident.
fn account(data_dir: &Path) -> String {
    let abs = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    format!("data-key:{}", abs.display())
}

fn entry(account: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(SERVICE, account).map_err(|e| e.to_string())
}

/// The key stored for `account`, `None` when there is no entry; `Err` when no keyring answers.
fn keyring_get(account: &str) -> Result<Option<String>, String> {
    match entry(account)?.get_password() {
        Ok(text) => Ok(Some(text)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// The key for `account` from the keyring, stored there first when absent.
fn keyring_adopt(account: &str) -> Result<String, String> {
    if let Some(text) = keyring_get(account)? {
        return Ok(text);
    }
    let text = Cipher::generate().map_err(|e| e.to_string())?;
    entry(account)?
        .set_password(&text)
        .map_err(|e| e.to_string())?;
    // Read back: some keyrings accept a write they cannot keep (a locked collection, a mock).
    match keyring_get(account)? {
        Some(back) if back == text => Ok(text),
        _ => Err("the keyring did not keep the key".into()),
    }
}

/// Creates `path` (it must not exist) readable by the user only.
fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut f, bytes)?;
    f.sync_all()?;
    Ok(())
}
