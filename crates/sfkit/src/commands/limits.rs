//! `sfkit limits`: the org's limits (daily API requests and others).

use std::process::ExitCode;

use clap::Args;
use serde_json::{Map, Value, json};

use super::{headers, print_text, with_connection};
use crate::{connect, output};

/// `sfkit limits`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  sfkit limits\n  sfkit --org prod limits --json")]
pub(crate) struct LimitsArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(target: &connect::Target, args: LimitsArgs) -> anyhow::Result<ExitCode> {
    with_connection(target, args.json, |ctx| async move {
        let limits = ctx.client.limits().await?;
        if args.json {
            let m: Map<String, Value> = limits
                .iter()
                .map(|(k, l)| (k.clone(), json!({"max": l.max, "remaining": l.remaining})))
                .collect();
            return print_text(&serde_json::to_string_pretty(&m).unwrap_or_default());
        }
        let rows: Vec<Vec<String>> = limits
            .iter()
            .map(|(k, l)| vec![k.clone(), l.remaining.to_string(), l.max.to_string()])
            .collect();
        print_text(&output::table(
            &headers(&["LIMIT", "REMAINING", "MAX"]),
            &rows,
            output::stdout_width(),
        ))
    })
}
