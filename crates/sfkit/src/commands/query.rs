//! `sfkit query`: run a SOQL query and print every record (all pages), as a table, JSON or
//! CSV (see [`crate::output`]).

use std::io::Read as _;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use sfkit_client::QueryOptions;

use super::{Failure, print_text, with_connection};
use crate::connect;
use crate::output::{self, Format, Shape};

/// `sfkit query`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit query \"SELECT Id, Name FROM Account WHERE Industry = 'Energy'\"\n  sfkit query \"SELECT Id, Name, (SELECT LastName FROM Contacts) FROM Account\" --json\n  sfkit query \"SELECT Id, IsDeleted FROM Lead\" --all --format csv > leads.csv"
)]
pub(crate) struct QueryArgs {
    /// The SOQL query, or `-` to read it from standard input.
    soql: String,
    /// Include deleted and archived records (queryAll).
    #[arg(long)]
    all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Same as `--format json`.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(target: &connect::Target, args: QueryArgs) -> anyhow::Result<ExitCode> {
    let soql = if args.soql == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        args.soql.clone()
    };
    let format = if args.json { Format::Json } else { args.format };
    let json_out = format == Format::Json;
    let options = QueryOptions {
        all_rows: args.all,
        batch_size: None,
    };
    with_connection(target, json_out, |ctx| async move {
        if is_bare_count(&soql) {
            // `SELECT COUNT()` answers its count as totalSize, with no rows to print.
            let page = ctx.client.query_page(&soql, options).await?;
            return print_count(page.total_size, format);
        }
        // Each record stays the text it came as until it is printed.
        let stream = ctx.client.query_raw(&soql, options);
        output::stream::print_records(stream, format, &Shape::of_soql(&soql), false).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `SELECT COUNT() FROM ...` without GROUP BY: Salesforce's count-only form.
fn is_bare_count(soql: &str) -> bool {
    use sfkit_soql::{Expr, Function, SelectItem};
    let Ok(q) = sfkit_soql::parse_query(soql) else {
        return false;
    };
    q.group_by.is_none()
        && matches!(
            q.select.as_slice(),
            [SelectItem::Expr {
                expr: Expr::Call(call),
                alias: None,
            }] if call.function == Function::Count && call.args.is_empty()
        )
}

fn print_count(n: u64, format: Format) -> Result<ExitCode, Failure> {
    print_text(&match format {
        Format::Json => json!({ "count": n }).to_string(),
        Format::Csv => {
            let text =
                output::csv::text(&["count"], &[vec![n.to_string()]]).map_err(Failure::output)?;
            text.trim_end_matches('\n').to_owned()
        }
        Format::Table => output::table(
            &["count".to_owned()],
            &[vec![n.to_string()]],
            output::stdout_width(),
        ),
    })
}
