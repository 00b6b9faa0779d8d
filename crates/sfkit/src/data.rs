//! The commands that work with an org: `actions`, `run`, `query`, `search`, `describe`,
//! `limits`. Output is a table for people, JSON (or CSV) for programs. Exit codes: 0 success,
//! 2 a usage or validation error, 3 an error Salesforce answered, 4 no connection or login.

use std::collections::BTreeSet;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use futures_util::TryStreamExt as _;
use serde_json::{Map, Value, json};
use sfkit_actions::{ActionError, Catalog, Ctx, Kind, Origin, strip_attributes};
use sfkit_client::{QueryOptions, Record};

use crate::connect;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns, for people.
    Table,
    /// JSON.
    Json,
    /// CSV with a header row (nested fields as `Parent.Field`).
    Csv,
}

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

/// `sfkit run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit run createLead -p lastName=Ng -p company=\"Acme Co\"\n  sfkit run listOpportunities -p isClosed=false -p orderBy=amount -p orderDirection=desc\n  sfkit run updateAccount --json '{\"id\": \"001...\", \"Custom_Field__c\": 5}'\n  sfkit run createRecord -p sobject=Invoice__c -p fields:='{\"Name\": \"INV-1\"}'"
)]
pub(crate) struct RunArgs {
    /// The action (see `sfkit actions`).
    name: String,
    /// All parameters as one JSON object.
    #[arg(long, value_name = "JSON")]
    json: Option<String>,
    /// One parameter, `key=value` (typed by the action's schema) or `key:=JSON`; repeatable.
    #[arg(long = "param", short = 'p', value_name = "KEY=VALUE")]
    params: Vec<String>,
}

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

/// `sfkit limits`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  sfkit limits\n  sfkit --org prod limits --json")]
pub(crate) struct LimitsArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}

/// The exit code for an action error.
fn code_for(e: &ActionError) -> u8 {
    match e.origin {
        Origin::Validation => 2,
        Origin::Salesforce => 3,
        _ => 4,
    }
}

/// Prints an error: JSON on stdout for programs, a sentence on stderr for people.
pub(crate) fn report(e: &ActionError, json_out: bool) -> ExitCode {
    if json_out {
        println!("{}", json!({"error": e}));
    } else {
        let fields = if e.fields.is_empty() {
            String::new()
        } else {
            format!(" (fields: {})", e.fields.join(", "))
        };
        eprintln!("sfkit: {}: {}{fields}", e.code, e.message);
    }
    exit(code_for(e))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Connects, runs `f`, closes the connection (stopping the local org cleanly).
pub(crate) fn with_connection<F, Fut>(
    target: &connect::Target,
    json_out: bool,
    f: F,
) -> anyhow::Result<ExitCode>
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<ExitCode, ActionError>>,
{
    runtime()?.block_on(async {
        let conn = match connect::connect(target).await {
            Ok(c) => c,
            Err(e) => {
                return Ok(report(&ActionError::connection(format!("{e:#}")), json_out));
            }
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
        Ok(result.unwrap_or_else(|e| report(&e, json_out)))
    })
}

pub(crate) fn actions(args: ActionsArgs) -> anyhow::Result<ExitCode> {
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
                print_table(&["ACTION", "KIND", "DESCRIPTION"], &rows);
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
                Ok(exit(2))
            }
        },
        other => {
            eprintln!(
                "sfkit: `sfkit actions` takes nothing or `describe NAME`, not {:?}",
                other.join(" ")
            );
            Ok(exit(2))
        }
    }
}

/// Builds an action's input from `--json` and `--param`s, typing each value by the schema.
fn run_input(catalog: &Catalog, args: &RunArgs) -> Result<Value, ActionError> {
    let usage = |m: String| ActionError::invalid("INVALID_ARGUMENT", m, Vec::new());
    let mut input = match &args.json {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(usage("--json takes a JSON object".into())),
            Err(e) => return Err(usage(format!("--json is not valid JSON: {e}"))),
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
            return Err(usage(format!(
                "--param takes key=value or key:=JSON, not {p:?}"
            )));
        };
        input.insert(key, value);
    }
    Ok(Value::Object(input))
}

pub(crate) fn run(target: &connect::Target, args: RunArgs) -> anyhow::Result<ExitCode> {
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
        return Ok(report(&e, true));
    }
    let input = match run_input(&catalog, &args) {
        Ok(i) => i,
        Err(e) => return Ok(report(&e, true)),
    };
    // Parameters are checked before connecting, so a bad call costs nothing.
    if let Some(a) = catalog.get(&args.name)
        && let Err(e) = sfkit_actions::params::check(a.params(), &input, a.takes_api_fields())
    {
        return Ok(report(&e, true));
    }
    with_connection(target, true, |ctx| async move {
        let out = catalog.run(&ctx, &args.name, &input).await?;
        println!(
            "{}",
            serde_json::to_string_pretty(&out).unwrap_or_else(|_| out.to_string())
        );
        Ok(ExitCode::SUCCESS)
    })
}

pub(crate) fn query(target: &connect::Target, args: QueryArgs) -> anyhow::Result<ExitCode> {
    let soql = if args.soql == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
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
            print_count(page.total_size, format)?;
            return Ok(ExitCode::SUCCESS);
        }
        let stream = ctx.client.query_with::<Record>(&soql, options);
        print_records(stream, format, false).await
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

fn print_count(n: u64, format: Format) -> Result<(), ActionError> {
    match format {
        Format::Json => println!("{}", json!({ "count": n })),
        Format::Csv => println!("count\n{n}"),
        Format::Table => print_table(&["count"], &[vec![n.to_string()]]),
    }
    Ok(())
}

pub(crate) fn search(target: &connect::Target, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let format = if args.json { Format::Json } else { args.format };
    with_connection(target, format == Format::Json, |ctx| async move {
        let records = ctx.client.search(&args.sosl).await?;
        let records = records.into_iter().map(Ok);
        let stream = futures_util::stream::iter(records);
        // One search can return several objects: each record says which.
        print_records(stream, format, true).await
    })
}

pub(crate) fn describe(target: &connect::Target, args: DescribeArgs) -> anyhow::Result<ExitCode> {
    with_connection(target, args.json, |ctx| async move {
        let catalog = Catalog::new();
        let d = catalog
            .run(&ctx, "describeObject", &json!({"sobject": args.object}))
            .await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
        } else {
            let rows: Vec<Vec<String>> = d
                .get("fields")
                .and_then(Value::as_array)
                .map(|fields| {
                    fields
                        .iter()
                        .map(|f| {
                            let s = |k: &str| cell(f.get(k).unwrap_or(&Value::Null));
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
            print_table(&["FIELD", "TYPE", "LABEL", "REQUIRED", "REFERENCES"], &rows);
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub(crate) fn limits(target: &connect::Target, args: LimitsArgs) -> anyhow::Result<ExitCode> {
    with_connection(target, args.json, |ctx| async move {
        let limits = ctx.client.limits().await?;
        if args.json {
            let m: Map<String, Value> = limits
                .iter()
                .map(|(k, l)| (k.clone(), json!({"max": l.max, "remaining": l.remaining})))
                .collect();
            println!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
        } else {
            let rows: Vec<Vec<String>> = limits
                .iter()
                .map(|(k, l)| vec![k.clone(), l.remaining.to_string(), l.max.to_string()])
                .collect();
            print_table(&["LIMIT", "REMAINING", "MAX"], &rows);
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// A value as a table or CSV cell.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

/// Flattens parent records into `Parent.Field` columns; child results become their count.
fn flatten(prefix: &str, record: &Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (k, v) in record {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(child) if child.contains_key("records") => {
                let n = child.get("totalSize").cloned().unwrap_or(Value::Null);
                out.push((key, n));
            }
            Value::Object(parent) => flatten(&key, parent, out),
            other => out.push((key, other.clone())),
        }
    }
}

/// Prints a stream of records, page by page: JSON and CSV as they come (constant memory), a
/// table once all are in. A progress count goes to stderr past 2,000 records on a terminal.
///
/// With `with_type`, each record keeps `attributes.type` (its object), a column of its own in
/// CSV and tables; Salesforce's other attributes (URLs, nested ones) are noise here.
async fn print_records<S>(
    stream: S,
    format: Format,
    with_type: bool,
) -> Result<ExitCode, ActionError>
where
    S: futures_util::Stream<Item = Result<Record, sfkit_client::Error>>,
{
    let mut stream = std::pin::pin!(stream);
    let progress = std::io::stderr().is_terminal();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut n = 0usize;
    let mut header: Option<Vec<String>> = None;
    let mut table: Vec<Vec<(String, Value)>> = Vec::new();
    let io = |e: std::io::Error| ActionError::invalid("OUTPUT_FAILED", e.to_string(), Vec::new());
    while let Some(mut record) = stream.try_next().await? {
        let kind = record
            .get("attributes")
            .and_then(|a| a.get("type"))
            .filter(|_| with_type)
            .cloned();
        let mut v = Value::Object(record);
        strip_attributes(&mut v);
        let Value::Object(fields) = v else { continue };
        record = match kind {
            Some(kind) => {
                let mut m = Map::new();
                m.insert("attributes".into(), json!({ "type": kind }));
                m.extend(fields);
                m
            }
            None => fields,
        };
        match format {
            Format::Json => {
                // "[" waits for the first record, so an error before it leaves stdout clean.
                let sep = if n == 0 { "[\n  " } else { ",\n  " };
                write!(out, "{sep}{}", Value::Object(record)).map_err(io)?;
            }
            Format::Csv => {
                let mut flat = Vec::new();
                flatten("", &record, &mut flat);
                let cols = header.get_or_insert_with(|| {
                    let names: Vec<String> = flat.iter().map(|(k, _)| k.clone()).collect();
                    let _ = writeln!(out, "{}", csv_row(&names));
                    names
                });
                let row: Vec<String> = cols
                    .iter()
                    .map(|c| {
                        flat.iter()
                            .find(|(k, _)| k == c)
                            .map(|(_, v)| cell(v))
                            .unwrap_or_default()
                    })
                    .collect();
                writeln!(out, "{}", csv_row(&row)).map_err(io)?;
            }
            Format::Table => {
                let mut flat = Vec::new();
                flatten("", &record, &mut flat);
                table.push(flat);
            }
        }
        n += 1;
        if progress && n.is_multiple_of(2000) {
            eprint!("\r{n} records...");
        }
    }
    if progress && n >= 2000 {
        eprintln!("\r{n} records.   ");
    }
    match format {
        Format::Json => writeln!(out, "{}]", if n == 0 { "[" } else { "\n" }).map_err(io)?,
        Format::Csv => {}
        Format::Table => {
            let mut cols: Vec<String> = Vec::new();
            let mut seen = BTreeSet::new();
            for row in &table {
                for (k, _) in row {
                    if seen.insert(k.clone()) {
                        cols.push(k.clone());
                    }
                }
            }
            let rows: Vec<Vec<String>> = table
                .iter()
                .map(|row| {
                    cols.iter()
                        .map(|c| {
                            row.iter()
                                .find(|(k, _)| k == c)
                                .map(|(_, v)| cell(v))
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .collect();
            let headers: Vec<&str> = cols.iter().map(String::as_str).collect();
            drop(out);
            print_table(&headers, &rows);
            eprintln!("{n} record{}", if n == 1 { "" } else { "s" });
            return Ok(ExitCode::SUCCESS);
        }
    }
    out.flush().map_err(io)?;
    Ok(ExitCode::SUCCESS)
}

fn csv_row(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Prints aligned columns (cells cut at 60 characters, newlines shown as spaces).
fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    let clean = |s: &str| -> String {
        let one_line: String = s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if one_line.chars().count() > 60 {
            format!("{}…", one_line.chars().take(59).collect::<String>())
        } else {
            one_line
        }
    };
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                format!("{c:<w$}")
            })
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(headers.iter().map(|h| (*h).to_owned()).collect());
    for r in rows {
        line(r);
    }
}
