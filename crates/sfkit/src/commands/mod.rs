//! One file per subcommand, each with its clap arguments and its `run` function; `main.rs`
//! only parses and dispatches. What several commands share is here: connecting to the org
//! ([`with_connection`]), and how a failure is reported and which exit code it ends with
//! ([`Failure`], [`report`]).

pub(crate) mod actions;
pub(crate) mod apikey;
pub(crate) mod bulk;
pub(crate) mod completions;
pub(crate) mod config;
pub(crate) mod describe;
pub(crate) mod emulator;
pub(crate) mod limits;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod mcp;
pub(crate) mod org;
pub(crate) mod query;
pub(crate) mod run;
pub(crate) mod search;
pub(crate) mod serve;
pub(crate) mod soql;

use std::io::Write as _;
use std::process::ExitCode;

use serde_json::json;
use sfkit_actions::{ActionError, Ctx, Origin};

use crate::connect;
use crate::output::json::PassError;
use crate::output::stream::PrintError;

/// Why a command that works with an org failed, which decides its exit code (the table in
/// `main.rs`). Both kinds are said the same way: Salesforce's error shape.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The action's own error: parameters refused before any call (2), an error Salesforce
    /// answered (3), no connection or login (4).
    Action(ActionError),
    /// Reading or writing here failed: standard input or output, a result file (1).
    Local(ActionError),
}

impl Failure {
    /// A local I/O failure, with the error code the output shows.
    pub(crate) fn local(code: &str, message: impl Into<String>) -> Self {
        Failure::Local(ActionError::invalid(code, message, Vec::new()))
    }

    /// Writing the output failed.
    pub(crate) fn output(e: impl std::fmt::Display) -> Self {
        Self::local("OUTPUT_FAILED", e.to_string())
    }

    fn error(&self) -> &ActionError {
        match self {
            Failure::Action(e) | Failure::Local(e) => e,
        }
    }

    fn exit_code(&self) -> u8 {
        match self {
            Failure::Local(_) => 1,
            Failure::Action(e) => match e.origin {
                Origin::Validation => 2,
                Origin::Salesforce => 3,
                _ => 4,
            },
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error().fmt(f)
    }
}

impl From<ActionError> for Failure {
    fn from(e: ActionError) -> Self {
        Failure::Action(e)
    }
}

impl From<sfkit_client::Error> for Failure {
    fn from(e: sfkit_client::Error) -> Self {
        Failure::Action(e.into())
    }
}

impl From<PrintError> for Failure {
    fn from(e: PrintError) -> Self {
        match e {
            PrintError::Query(e) => e.into(),
            PrintError::Pass(e @ PassError::Io(_)) => Failure::output(e),
            // A record that is not JSON came from the answer: Salesforce's side.
            PrintError::Pass(e) => Failure::Action(ActionError::unexpected(e.to_string())),
        }
    }
}

/// Prints a failure: JSON on stdout for programs, a sentence on stderr for people; returns its
/// exit code.
pub(crate) fn report(failure: impl Into<Failure>, json_out: bool) -> ExitCode {
    let failure = failure.into();
    let e = failure.error();
    if json_out {
        println!("{}", json!({ "error": e }));
    } else {
        let fields = if e.fields.is_empty() {
            String::new()
        } else {
            format!(" (fields: {})", e.fields.join(", "))
        };
        eprintln!("sfkit: {}: {}{fields}", e.code, e.message);
    }
    ExitCode::from(failure.exit_code())
}

/// Connects, runs `f`, closes the connection (stopping the local org cleanly).
pub(crate) fn with_connection<F, Fut>(
    target: &connect::Target,
    json_out: bool,
    f: F,
) -> anyhow::Result<ExitCode>
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<ExitCode, Failure>>,
{
    crate::runtime::block_on(async {
        let conn = match connect::connect(target).await {
            Ok(c) => c,
            Err(e) => return report(ActionError::connection(format!("{e:#}")), json_out),
        };
        let data_dir = target.data_dir.clone();
        let ctx = Ctx {
            client: conn.client.clone(),
            cursors: sfkit_actions::Cursors::new(
                Box::new(move || connect::cursor_key(&data_dir)),
                conn.identity.clone(),
            ),
        };
        let result = f(ctx).await;
        conn.close().await;
        result.unwrap_or_else(|e| report(e, json_out))
    })
}

/// Prints `text` and a newline. A reader that went away (`| head`) is not an error.
pub(crate) fn print_text(text: &str) -> Result<ExitCode, Failure> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::output(e)),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Column headers from literals.
pub(crate) fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| (*h).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_fault_has_one_exit_code() {
        let refused = ActionError::invalid("REQUIRED_FIELD_MISSING", "no company", Vec::new());
        assert_eq!(Failure::from(refused).exit_code(), 2);
        assert_eq!(
            Failure::from(ActionError::connection("refused")).exit_code(),
            4
        );
        // An answer sfkit cannot use is Salesforce's fault whoever notices it: an action, the
        // client, or the CLI printing records. All three are 3.
        let noticed_by_an_action = ActionError::unexpected("done: false, no next page");
        assert_eq!(Failure::from(noticed_by_an_action).exit_code(), 3);
        let noticed_by_the_client: ActionError = sfkit_client::Error::Decode {
            context: "query".into(),
            message: "at `records[0].Name`: invalid type".into(),
        }
        .into();
        assert_eq!(noticed_by_the_client.code, "UNEXPECTED_ANSWER");
        assert_eq!(Failure::from(noticed_by_the_client).exit_code(), 3);
        // Writing here failed: the command's own failure, whatever code the output shows.
        assert_eq!(Failure::output("No space left on device").exit_code(), 1);
        assert_eq!(
            Failure::local("INVALID_ARGUMENT", "reading standard input").exit_code(),
            1
        );
    }
}
