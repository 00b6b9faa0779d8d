//! Where sfkit keeps things: its data directory ([`data_dir`]), and its settings, which outlive
//! a command (`sfkit config`), in a TOML file in the platform's config directory
//! (`$SFKIT_CONFIG` names another file):
//!
//! * Linux and other Unixes: `$XDG_CONFIG_HOME/sfkit/config.toml`, else
//!   `~/.config/sfkit/config.toml`;
//! * macOS: `~/Library/Application Support/sfkit/config.toml`;
//! * Windows: `%APPDATA%\sfkit\config.toml`.
//!
//! The file is plain `key = "value"` lines; `sfkit config set` writes it whole (a private
//! name, then a rename), so a command reading it at the same moment sees the old file or the
//! new one. Keys:
//!
//! * `target-org`: the org commands use when neither `--org` nor `SF_INSTANCE_URL` says one: a
//!   saved login's name, or `local`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;

/// The keys sfkit knows, with what each means.
pub(crate) const KEYS: &[(&str, &str)] = &[(
    "target-org",
    "the org commands use when neither --org nor SF_INSTANCE_URL says one: a saved login's name, or local",
)];

/// The key naming the default org.
pub(crate) const TARGET_ORG: &str = "target-org";

/// The settings file's path.
pub(crate) fn path() -> PathBuf {
    if let Some(p) = std::env::var_os("SFKIT_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if cfg!(windows)
        && let Some(d) = std::env::var_os("APPDATA")
    {
        return PathBuf::from(d).join("sfkit").join("config.toml");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if cfg!(target_os = "macos")
        && let Some(h) = &home
    {
        return h.join("Library/Application Support/sfkit/config.toml");
    }
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("sfkit").join("config.toml");
    }
    match home {
        Some(h) => h.join(".config").join("sfkit").join("config.toml"),
        None => PathBuf::from(".sfkit-config.toml"),
    }
}

/// The settings in the file (none when there is no file).
pub(crate) fn load() -> anyhow::Result<BTreeMap<String, String>> {
    let file = path();
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
    };
    let table: BTreeMap<String, toml::Value> = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid sfkit settings file", file.display()))?;
    table
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => Ok((k, s)),
            other => anyhow::bail!(
                "{}: {k} must be a string, not {}",
                file.display(),
                other.type_str()
            ),
        })
        .collect()
}

/// One setting.
pub(crate) fn get(key: &str) -> anyhow::Result<Option<String>> {
    Ok(load()?.remove(key))
}

pub(crate) fn save(settings: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let file = path();
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut text = String::from("# sfkit's settings: `sfkit config list` explains each key.\n");
    for (k, v) in settings {
        // A JSON string is a valid TOML basic string (the same escapes).
        text.push_str(&format!("{k} = {}\n", serde_json::to_string(v)?));
    }
    let tmp = file.with_extension(format!("toml.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &file).with_context(|| format!("writing {}", file.display()))
}

/// Whether sfkit has a setting named `key`; if not, a sentence naming the ones it has.
pub(crate) fn known(key: &str) -> Result<(), String> {
    if KEYS.iter().any(|(k, _)| *k == key) {
        return Ok(());
    }
    let names: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    Err(format!(
        "no setting named {key:?}; the settings are: {}",
        names.join(", ")
    ))
}

/// sfkit's data directory: `$SFKIT_DATA_DIR`, else the platform's data directory:
/// `$XDG_DATA_HOME/sfkit` or `~/.local/share/sfkit` on Linux and other Unixes,
/// `~/Library/Application Support/sfkit` on macOS, `%APPDATA%\sfkit` on Windows.
pub(crate) fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SFKIT_DATA_DIR") {
        return PathBuf::from(d);
    }
    if cfg!(windows)
        && let Some(d) = std::env::var_os("APPDATA")
    {
        return PathBuf::from(d).join("sfkit");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if cfg!(target_os = "macos")
        && let Some(h) = &home
    {
        return h.join("Library/Application Support/sfkit");
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(d).join("sfkit");
    }
    match home {
        Some(h) => h.join(".local/share/sfkit"),
        None => PathBuf::from(".sfkit"),
    }
}
