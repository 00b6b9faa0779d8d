//! `sfkit config`: settings that outlive a command, in a TOML file in the platform's config
//! directory (`$SFKIT_CONFIG` names another file):
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
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};

/// The keys sfkit knows, with what each means.
const KEYS: &[(&str, &str)] = &[(
    "target-org",
    "the org commands use when neither --org nor SF_INSTANCE_URL says one: a saved login's name, or local",
)];

/// The key naming the default org.
pub(crate) const TARGET_ORG: &str = "target-org";

/// `sfkit config`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit config set target-org prod\n  sfkit config get target-org\n  sfkit config unset target-org\n  sfkit config list --json"
)]
pub(crate) struct ConfigArgs {
    #[command(subcommand)]
    what: ConfigCommand,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a setting's value (exit code 1 when it is not set).
    Get {
        /// The key, e.g. target-org.
        key: String,
    },
    /// Set a setting.
    Set {
        /// The key, e.g. target-org.
        key: String,
        /// Its value.
        value: String,
    },
    /// Remove a setting.
    Unset {
        /// The key.
        key: String,
    },
    /// Every key, its value and what it means, and the file's path.
    List {
        /// As JSON: `{file, settings: [{key, value, description}]}`.
        #[arg(long)]
        json: bool,
    },
}

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

fn save(settings: &BTreeMap<String, String>) -> anyhow::Result<()> {
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

fn known(key: &str) -> Result<(), String> {
    if KEYS.iter().any(|(k, _)| *k == key) {
        return Ok(());
    }
    let names: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    Err(format!(
        "no setting named {key:?}; the settings are: {}",
        names.join(", ")
    ))
}

fn usage(message: &str) -> ExitCode {
    eprintln!("sfkit: {message}");
    ExitCode::from(2)
}

/// `sfkit config ...`.
pub(crate) fn run(data_dir: &std::path::Path, args: ConfigArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        ConfigCommand::Get { key } => {
            if let Err(e) = known(&key) {
                return Ok(usage(&e));
            }
            match get(&key)? {
                Some(v) => {
                    println!("{v}");
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("sfkit: {key} is not set ({})", path().display());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        ConfigCommand::Set { key, value } => {
            if let Err(e) = known(&key) {
                return Ok(usage(&e));
            }
            if key == TARGET_ORG && value != crate::connect::LOCAL {
                let (_, saved) = crate::profiles::Store::new(data_dir).list()?;
                if !saved.contains_key(&value) {
                    let mut names: Vec<&str> = saved.keys().map(String::as_str).collect();
                    names.push(crate::connect::LOCAL);
                    return Ok(usage(&format!(
                        "no saved login named {value:?}; target-org is one of: {}",
                        names.join(", ")
                    )));
                }
            }
            let mut all = load()?;
            all.insert(key.clone(), value.clone());
            save(&all)?;
            eprintln!("sfkit: {key} = {value} ({})", path().display());
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Unset { key } => {
            if let Err(e) = known(&key) {
                return Ok(usage(&e));
            }
            let mut all = load()?;
            if all.remove(&key).is_some() {
                save(&all)?;
                eprintln!("sfkit: {key} unset ({})", path().display());
            } else {
                eprintln!("sfkit: {key} was not set");
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::List { json } => {
            let all = load()?;
            if json {
                let settings: Vec<serde_json::Value> = KEYS
                    .iter()
                    .map(|(k, d)| serde_json::json!({"key": k, "value": all.get(*k), "description": d}))
                    .collect();
                let out = serde_json::json!({"file": path(), "settings": settings});
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("# {}", path().display());
                for (k, d) in KEYS {
                    match all.get(*k) {
                        Some(v) => println!("{k} = {v}"),
                        None => println!("{k} (not set)"),
                    }
                    println!("    {d}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
