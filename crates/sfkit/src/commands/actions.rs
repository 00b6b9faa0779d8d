//! `sfkit actions`: the catalog's actions, or one action's description and schemas.

use std::process::ExitCode;

use clap::Args;
use serde_json::Value;
use sfkit_actions::Catalog;

use super::headers;
use crate::output;

/// `sfkit actions`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit actions\n  sfkit actions --json\n  sfkit actions describe createOpportunity"
)]
pub(crate) struct ActionsArgs {
    /// `describe NAME`: one action's description and schemas.
    #[arg(value_names = ["describe", "NAME"], num_args = 0..=2)]
    what: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: ActionsArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::new();
    match args.what.as_slice() {
        [] => {
            if args.json {
                let all: Vec<Value> = catalog.actions().iter().map(|a| a.to_json()).collect();
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                let rows: Vec<Vec<String>> = catalog
                    .actions()
                    .iter()
                    .map(|a| {
                        vec![
                            a.name().to_owned(),
                            if a.read_only() { "read" } else { "write" }.to_owned(),
                            a.description().to_owned(),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    output::table(
                        &headers(&["ACTION", "KIND", "DESCRIPTION"]),
                        &rows,
                        output::stdout_width()
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        [verb, name] if verb == "describe" => match catalog.get(name) {
            Some(a) => {
                println!("{}", serde_json::to_string_pretty(&a.to_json())?);
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!("sfkit: no action named {name:?}; `sfkit actions` lists them");
                Ok(ExitCode::from(2))
            }
        },
        other => {
            eprintln!(
                "sfkit: `sfkit actions` takes nothing or `describe NAME`, not {:?}",
                other.join(" ")
            );
            Ok(ExitCode::from(2))
        }
    }
}
