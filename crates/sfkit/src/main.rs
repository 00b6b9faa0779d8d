//! `sfkit`: the command-line front of sfkit, a Salesforce CRM integration.
//!
//! The binary is thin: it parses arguments with clap and calls the library crates. Exit codes
//! mean something: 0 success, 1 a failure of the command itself (I/O, bad arguments), 2 input
//! that does not parse (the positioned error goes to stderr).
// A command-line program talks on stdout and stderr by design.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod emulator;
mod soql;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// sfkit: work with Salesforce from the command line.
#[derive(Debug, Parser)]
#[command(name = "sfkit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Format, check and inspect SOQL queries.
    Soql {
        #[command(subcommand)]
        action: soql::Action,
    },
    /// Format, check and inspect SOSL searches.
    Sosl {
        #[command(subcommand)]
        action: soql::Action,
    },
    /// Run the local Salesforce org (OAuth, REST, SOQL) until Ctrl-C.
    Emulator(emulator::EmulatorArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version land here too, and are not failures. Usage errors exit 1,
            // keeping 2 for "the statement does not parse".
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Soql { action } => soql::run(soql::Language::Soql, action),
        Command::Sosl { action } => soql::run(soql::Language::Sosl, action),
        Command::Emulator(args) => emulator::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("sfkit: {err:#}");
            ExitCode::FAILURE
        }
    }
}
