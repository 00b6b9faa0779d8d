//! `sfkit logout`: forget a saved login, its sealed secrets with it.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use crate::profiles::Store;

/// `sfkit logout NAME`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  sfkit logout prod")]
pub(crate) struct LogoutArgs {
    /// The profile to forget.
    name: String,
}

pub(crate) fn run(data_dir: &Path, args: LogoutArgs) -> anyhow::Result<ExitCode> {
    if Store::new(data_dir).remove(&args.name)? {
        eprintln!("sfkit: forgot the login {:?}", args.name);
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("sfkit: no saved login named {:?}", args.name);
        Ok(ExitCode::from(2))
    }
}
