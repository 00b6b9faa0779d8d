//! `sfkit config`: get, set, unset and list sfkit's settings (the file is [`crate::config`]'s).

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::config::{KEYS, TARGET_ORG, get, known, load, path, save};

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
