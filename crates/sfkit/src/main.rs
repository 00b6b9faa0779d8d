//! `sfkit`: the command-line front of sfkit, a Salesforce CRM integration.
//!
//! The binary is thin: it parses arguments with clap and calls the library crates. Exit codes
//! mean something: 0 success, 1 a failure of the command itself (I/O), 2 a usage or validation
//! error (bad arguments, a statement that does not parse, parameters an action refuses), 3 an
//! error Salesforce answered, 4 no connection or login.
//!
//! This file defines the command line (the global flags and one variant per subcommand),
//! parses it, and hands each subcommand to its module. The modules:
//!
//! * [`commands`]: one file per subcommand, each holding its clap arguments and its `run`
//!   (`actions`, `run`, `query`, `search`, `describe`, `limits`, `bulk`, `login`, `logout`,
//!   `org`, `config`, `serve`, `apikey`, `mcp`, `emulator`, `soql`/`sosl`, `completions`);
//!   `commands/mod.rs` owns what they share: connecting for a command, and the failure type
//!   that picks the exit code above and reports an error as JSON or a sentence.
//! * [`output`]: how results look, and nothing else: tables and key/value lines for people,
//!   JSON and CSV (through the csv crate) for programs, records laid out as columns, query
//!   results streamed as they arrive, progress on a terminal.
//! * [`connect`]: which org a command talks to (`--org`, the environment, `target-org`, the
//!   newest login, the local org), and the connection to it.
//! * [`profiles`]: saved logins, their secrets sealed apart; [`keys`]: the key that seals them
//!   (an environment variable, the OS keyring, or a private key file).
//! * [`config`]: where sfkit keeps things: its data directory and its settings file.
//! * [`runtime`]: the one tokio runtime every async command runs on, and the shutdown signal.
// A command-line program talks on stdout and stderr by design.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod commands;
mod config;
mod connect;
mod keys;
mod output;
mod profiles;
mod runtime;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::{
    actions, apikey, bulk, completions, describe, emulator, limits, login, logout, mcp, org, query,
    run, search, serve, soql,
};

/// sfkit: work with Salesforce from the command line.
#[derive(Debug, Parser)]
#[command(name = "sfkit", version, about, long_about = None)]
struct Cli {
    /// sfkit's data directory (the local org, settings); default: the platform's data
    /// directory, or $SFKIT_DATA_DIR.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The org to use: a saved login's name (`sfkit org list`), or `local`. Default:
    /// SF_INSTANCE_URL with SF_ACCESS_TOKEN, else `sfkit config get target-org`, else the newest
    /// saved login, else the local org.
    #[arg(long, global = true, value_name = "NAME")]
    org: Option<String>,
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
    /// List the actions, or describe one (`sfkit actions describe createLead`).
    Actions(actions::ActionsArgs),
    /// Run an action: `sfkit run createLead -p lastName=Ng -p company=Acme` or
    /// `sfkit run getLead --input '{"id": "00Q..."}'`. Prints a table on a terminal, else JSON.
    Run(run::RunArgs),
    /// Run a SOQL query and print every record (all pages).
    Query(query::QueryArgs),
    /// Run a SOSL search.
    Search(search::SearchArgs),
    /// An object's fields.
    Describe(describe::DescribeArgs),
    /// The org's limits (daily API requests and others).
    Limits(limits::LimitsArgs),
    /// Bulk API 2.0: load a CSV file (`sfkit bulk load Account a.csv`) or export a query as CSV
    /// (`sfkit bulk export "SELECT Id, Name FROM Account"`).
    Bulk(bulk::BulkArgs),
    /// Log in to an org and save the login (web flow, JWT, client credentials, token, the
    /// Salesforce CLI's, or a Nango connection); `sfkit login list` shows the saved ones.
    Login(login::LoginArgs),
    /// Forget a saved login.
    Logout(logout::LogoutArgs),
    /// The orgs sfkit can use (`sfkit org list`) and the one a command would use
    /// (`sfkit org display`).
    Org(org::OrgArgs),
    /// sfkit's settings (`sfkit config set target-org prod`).
    Config(commands::config::ConfigArgs),
    /// Serve the actions over HTTP (API keys required; see `sfkit apikey`).
    Serve(serve::ServeArgs),
    /// Make, list and revoke the server's API keys.
    Apikey(apikey::ApiKeyArgs),
    /// Serve the actions as MCP tools over stdio (for an agent that starts sfkit itself).
    Mcp(mcp::McpArgs),
    /// Print a shell completion script: `sfkit completions bash > /etc/bash_completion.d/sfkit`.
    Completions(completions::CompletionsArgs),
}

fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.unwrap_or_else(config::data_dir)
}

fn target(dir: Option<PathBuf>, org: Option<String>) -> connect::Target {
    connect::Target {
        data_dir: data_dir(dir),
        org,
    }
}

/// Logs to stderr at the level `SFKIT_LOG` names (error, warn, info, debug, trace), else
/// `default`. What is logged never holds a secret: tokens and keys are not in any event.
fn init_logging(default: tracing::Level) {
    let level = std::env::var("SFKIT_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(default);
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .try_init();
}

/// A reader that stops early (`sfkit query ... | head -1`) closes the pipe: printing then fails
/// with a broken pipe, which `println!` turns into a panic. That is not sfkit failing: end quietly
/// with success, as ripgrep does. Any other failure to print (a full disk) is a local I/O
/// failure: said on stderr, exit 1, as the commands that write with `?` do. Every other panic is
/// reported as usual.
fn quiet_on_closed_stdout() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("failed printing to stdout") {
            if text.contains("Broken pipe") {
                std::process::exit(0);
            }
            let _ = writeln!(std::io::stderr(), "sfkit: OUTPUT_FAILED: {text}");
            std::process::exit(1);
        }
        report(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version land here too, and are not failures. Usage errors exit 2.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging(match cli.command {
        Command::Serve(_) | Command::Emulator(_) => tracing::Level::INFO,
        _ => tracing::Level::WARN,
    });
    let result = match cli.command {
        Command::Soql { action } => soql::run(soql::Language::Soql, action),
        Command::Sosl { action } => soql::run(soql::Language::Sosl, action),
        Command::Emulator(args) => emulator::run(&data_dir(cli.data_dir), args),
        Command::Actions(args) => actions::run(args),
        Command::Run(args) => run::run(&target(cli.data_dir, cli.org), args),
        Command::Query(args) => query::run(&target(cli.data_dir, cli.org), args),
        Command::Search(args) => search::run(&target(cli.data_dir, cli.org), args),
        Command::Describe(args) => describe::run(&target(cli.data_dir, cli.org), args),
        Command::Limits(args) => limits::run(&target(cli.data_dir, cli.org), args),
        Command::Bulk(args) => bulk::run(&target(cli.data_dir, cli.org), args),
        Command::Login(args) => login::run(&data_dir(cli.data_dir), args),
        Command::Logout(args) => logout::run(&data_dir(cli.data_dir), args),
        Command::Org(args) => org::run(&target(cli.data_dir, cli.org), args),
        Command::Config(args) => commands::config::run(&data_dir(cli.data_dir), args),
        Command::Serve(args) => serve::run(&target(cli.data_dir, cli.org), args),
        Command::Apikey(args) => apikey::run(&data_dir(cli.data_dir), args),
        Command::Mcp(args) => mcp::run(&target(cli.data_dir, cli.org), args),
        Command::Completions(args) => {
            completions::run(<Cli as clap::CommandFactory>::command(), args)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("sfkit: {err:#}");
            ExitCode::FAILURE
        }
    }
}
