//! `sfkit describe`: an object's fields.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};
use sfkit_actions::Catalog;

use super::{headers, print_text, with_connection};
use crate::{connect, output};

/// `sfkit describe`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit describe Opportunity\n  sfkit describe Invoice__c --json"
)]
pub(crate) struct DescribeArgs {
    /// The object's API name.
    object: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(target: &connect::Target, args: DescribeArgs) -> anyhow::Result<ExitCode> {
    with_connection(target, args.json, |ctx| async move {
        let catalog = Catalog::new();
        let d = catalog
            .run(&ctx, "describeObject", &json!({"sobject": args.object}))
            .await?;
        if args.json {
            return print_text(&serde_json::to_string_pretty(&d).unwrap_or_default());
        }
        let rows: Vec<Vec<String>> = d
            .get("fields")
            .and_then(Value::as_array)
            .map(|fields| {
                fields
                    .iter()
                    .map(|f| {
                        let s = |k: &str| output::cell(f.get(k).unwrap_or(&Value::Null));
                        vec![
                            s("name"),
                            s("type"),
                            s("label"),
                            s("required"),
                            s("referenceTo"),
                        ]
                    })
                    .collect()
            })
            .unwrap_or_default();
        print_text(&output::table(
            &headers(&["FIELD", "TYPE", "LABEL", "REQUIRED", "REFERENCES"]),
            &rows,
            output::stdout_width(),
        ))
    })
}
