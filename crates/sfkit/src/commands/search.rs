//! `sfkit search`: run a SOSL search and print what it found, each record with its object.

use std::process::ExitCode;

use clap::Args;

use super::with_connection;
use crate::connect;
use crate::output::{self, Format, Shape};

/// `sfkit search`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit search \"FIND {Acme} RETURNING Account(Id, Name), Lead(Name, Company)\""
)]
pub(crate) struct SearchArgs {
    /// The SOSL search.
    sosl: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Same as `--format json`.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(target: &connect::Target, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let format = if args.json { Format::Json } else { args.format };
    with_connection(target, format == Format::Json, |ctx| async move {
        let records = ctx.client.search(&args.sosl).await?;
        // At most 2,000 records: turning each back into text costs nothing worth avoiding.
        let records = records
            .into_iter()
            .map(|r| serde_json::value::to_raw_value(&r));
        let stream = futures_util::stream::iter(records);
        // One search can return several objects: each record says which.
        output::stream::print_records(stream, format, &Shape::default(), true).await?;
        Ok(ExitCode::SUCCESS)
    })
}
