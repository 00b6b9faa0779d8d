//! `sfkit completions`: a shell completion script, made by clap_complete from the same clap
//! definitions that parse the command line.

use std::process::ExitCode;

use clap::Args;

// `sfkit completions SHELL`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

/// Prints the script for `sfkit`, whose whole command line is `cli`.
pub(crate) fn run(mut cli: clap::Command, args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    clap_complete::generate(args.shell, &mut cli, "sfkit", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
