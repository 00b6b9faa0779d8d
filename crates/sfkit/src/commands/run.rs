//! `sfkit run`: run one action with parameters from `--input` and `--param`s, typed by the
//! action's schema and checked before connecting. Prints a table on a terminal, else JSON.

use std::borrow::Cow;
use std::io::Read as _;
use std::process::ExitCode;

use clap::Args;
use serde_json::{Map, Value};
use sfkit_actions::{ActionError, Catalog, Kind};

use super::{Failure, print_text, report, with_connection};
use crate::{connect, output};

/// `sfkit run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit run createLead -p lastName=Ng -p company=\"Acme Co\"\n  sfkit run listOpportunities -p isClosed=false -p orderBy=amount -p orderDirection=desc\n  sfkit run updateAccount --input '{\"id\": \"001...\", \"Custom_Field__c\": 5}'\n  sfkit run createRecord -p sobject=Invoice__c -p fields:='{\"Name\": \"INV-1\"}'\n  sfkit run listAccounts --input @params.json --json | jq '.records[].Name'"
)]
pub(crate) struct RunArgs {
    /// The action (see `sfkit actions`).
    name: String,
    /// All parameters as one JSON object: the JSON itself, `@FILE` to read it from a file, or
    /// `-` to read it from standard input. `--param`s are applied on top.
    #[arg(long, value_name = "JSON|@FILE|-")]
    input: Option<String>,
    /// Print JSON (the default when stdout is not a terminal; on a terminal the result is a
    /// table or key/value lines).
    #[arg(long)]
    json: bool,
    /// One parameter, `key=value` (typed by the action's schema) or `key:=JSON`; repeatable.
    #[arg(long = "param", short = 'p', value_name = "KEY=VALUE")]
    params: Vec<String>,
}

/// Reads `--input`: the JSON itself, `@FILE`, or `-` for standard input. A file that cannot
/// be read is a bad argument; standard input that cannot be read is a local failure.
fn input_text(arg: &str) -> Result<Cow<'_, str>, Failure> {
    if arg == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            Failure::local(
                "INVALID_ARGUMENT",
                format!("--input -: reading standard input: {e}"),
            )
        })?;
        Ok(Cow::Owned(text))
    } else if let Some(path) = arg.strip_prefix('@') {
        std::fs::read_to_string(path)
            .map(Cow::Owned)
            .map_err(|e| usage(format!("--input @{path}: {e}")).into())
    } else {
        Ok(Cow::Borrowed(arg))
    }
}

fn usage(message: String) -> ActionError {
    ActionError::invalid("INVALID_ARGUMENT", message, Vec::new())
}

/// Builds an action's input from `--input` and `--param`s, typing each value by the schema.
fn run_input(catalog: &Catalog, args: &RunArgs) -> Result<Value, Failure> {
    let mut input = match &args.input {
        Some(arg) => match serde_json::from_str::<Value>(&input_text(arg)?) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(usage("--input takes a JSON object".into()).into()),
            Err(e) => return Err(usage(format!("--input is not valid JSON: {e}")).into()),
        },
        None => Map::new(),
    };
    let action = catalog.get(&args.name);
    for p in &args.params {
        let (key, value) = if let Some((k, raw)) = p.split_once(":=") {
            let v = serde_json::from_str(raw)
                .map_err(|e| usage(format!("--param {k}:= takes JSON: {e}")))?;
            (k.to_owned(), v)
        } else if let Some((k, v)) = p.split_once('=') {
            let kind = action
                .and_then(|a| a.params().iter().find(|q| q.name == k))
                .map(|q| q.kind);
            let typed = match kind {
                Some(Kind::Number { .. } | Kind::Integer { .. } | Kind::Boolean) => {
                    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()))
                }
                Some(Kind::Fields) => serde_json::from_str(v)
                    .map_err(|e| usage(format!("--param {k} takes a JSON object: {e}")))?,
                _ => Value::String(v.to_owned()),
            };
            (k.to_owned(), typed)
        } else {
            return Err(usage(format!("--param takes key=value or key:=JSON, not {p:?}")).into());
        };
        input.insert(key, value);
    }
    Ok(Value::Object(input))
}

pub(crate) fn run(target: &connect::Target, args: RunArgs) -> anyhow::Result<ExitCode> {
    // A program reading the output gets JSON, errors included; a person gets a table.
    let width = output::stdout_width();
    let json_out = args.json || width.is_none();
    let catalog = Catalog::new();
    if catalog.get(&args.name).is_none() {
        let e = ActionError::invalid(
            "NOT_FOUND",
            format!(
                "no action named {:?}; `sfkit actions` lists them",
                args.name
            ),
            Vec::new(),
        );
        return Ok(report(e, json_out));
    }
    let input = match run_input(&catalog, &args) {
        Ok(i) => i,
        Err(e) => return Ok(report(e, json_out)),
    };
    // Parameters are checked before connecting, so a bad call costs nothing.
    if let Some(a) = catalog.get(&args.name)
        && let Err(e) = sfkit_actions::params::check(a.params(), &input, a.takes_api_fields())
    {
        return Ok(report(e, json_out));
    }
    with_connection(target, json_out, |ctx| async move {
        let out = catalog.run(&ctx, &args.name, &input).await?;
        let text = if json_out {
            serde_json::to_string_pretty(&out).unwrap_or_else(|_| out.to_string())
        } else {
            output::readable(&args.name, &out, width)
        };
        print_text(&text)
    })
}
