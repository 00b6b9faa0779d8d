//! `sfkit soql ...` and `sfkit sosl ...`: format a statement canonically, or print its syntax
//! tree.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use sfkit_soql::{ParseOptions, Statement};

/// Which language the command reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    Soql,
    Sosl,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Action {
    /// Print the statement in canonical form (exit status 2 if it does not parse).
    #[command(
        after_help = "Examples:\n  sfkit soql fmt \"select id from account where name like 'A%'\"\n  echo 'FIND {acme}' | sfkit sosl fmt -"
    )]
    Fmt(Input),
    /// Print the statement's syntax tree (exit status 2 if it does not parse).
    #[command(
        after_help = "Examples:\n  sfkit soql parse --json \"SELECT Id FROM Account LIMIT 5\""
    )]
    Parse {
        #[command(flatten)]
        input: Input,
        /// Print the tree as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct Input {
    /// The statement, or `-` to read it from standard input.
    statement: String,
    /// Accept Apex bind variables (`:name`), which the API itself rejects.
    #[arg(long)]
    apex: bool,
    /// Accept `//` and `/* */` comments, which the API itself rejects.
    #[arg(long)]
    comments: bool,
}

pub(crate) fn run(language: Language, action: Action) -> anyhow::Result<ExitCode> {
    let (input, json) = match &action {
        Action::Fmt(input) => (input, None),
        Action::Parse { input, json } => (input, Some(*json)),
    };
    let text = if input.statement == "-" {
        let mut buf = String::new();
        std::io::stdin()
            .read_to_string(&mut buf)
            .context("reading the statement from standard input")?;
        buf
    } else {
        input.statement.clone()
    };
    let opts = ParseOptions::default()
        .apex_binds(input.apex)
        .allow_comments(input.comments);
    let parsed = match language {
        Language::Soql => sfkit_soql::parse_query_with(&text, &opts).map(Statement::Query),
        Language::Sosl => sfkit_soql::parse_search_with(&text, &opts).map(Statement::Search),
    };
    let statement = match parsed {
        Ok(s) => s,
        Err(err) => {
            eprintln!("{err}");
            eprint!("{}", caret(&text, &err));
            return Ok(ExitCode::from(2));
        }
    };
    let mut out = std::io::stdout().lock();
    match json {
        None => writeln!(out, "{statement}")?,
        Some(true) => {
            let ast = match &statement {
                Statement::Query(q) => serde_json::to_string_pretty(q),
                Statement::Search(s) => serde_json::to_string_pretty(s),
            }?;
            writeln!(out, "{ast}")?;
        }
        Some(false) => writeln!(out, "{statement:#?}")?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The offending line with a caret under the error's column, for people reading a terminal.
fn caret(text: &str, err: &sfkit_soql::Error) -> String {
    let line_no = usize::try_from(err.line).unwrap_or(1).max(1);
    let Some(line) = text.lines().nth(line_no - 1) else {
        return String::new();
    };
    let column = usize::try_from(err.column).unwrap_or(1).max(1);
    let pad: String = line
        .chars()
        .take(column - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("  {line}\n  {pad}^\n")
}
