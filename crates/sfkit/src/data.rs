//! The commands that work with an org: `actions`, `run`, `query`, `search`, `describe`,
//! `limits`. Output is a table for people, JSON (or CSV) for programs (see [`crate::output`]).
//! Exit codes: 0 success, 2 a usage or validation error, 3 an error Salesforce answered, 4 no
//! connection or login.

use std::borrow::Cow;
use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use futures_util::TryStreamExt as _;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use sfkit_actions::{ActionError, Catalog, Ctx, Kind, Origin};
use sfkit_client::QueryOptions;

use crate::connect;
use crate::output::{self, Flat, Shape};

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

/// Reads `--input`: the JSON itself, `@FILE`, or `-` for standard input.
fn input_text(arg: &str) -> Result<Cow<'_, str>, String> {
    if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("--input -: reading standard input: {e}"))?;
        Ok(Cow::Owned(text))
    } else if let Some(path) = arg.strip_prefix('@') {
        std::fs::read_to_string(path)
            .map(Cow::Owned)
            .map_err(|e| format!("--input @{path}: {e}"))
    } else {
        Ok(Cow::Borrowed(arg))
    }
}

/// Builds an action's input from `--input` and `--param`s, typing each value by the schema.
fn run_input(catalog: &Catalog, args: &RunArgs) -> Result<Value, ActionError> {
    let usage = |m: String| ActionError::invalid("INVALID_ARGUMENT", m, Vec::new());
    let mut input = match &args.input {
        Some(arg) => match serde_json::from_str::<Value>(&input_text(arg).map_err(usage)?) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(usage("--input takes a JSON object".into())),
            Err(e) => return Err(usage(format!("--input is not valid JSON: {e}"))),
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
        return Ok(report(&e, json_out));
    }
    let input = match run_input(&catalog, &args) {
        Ok(i) => i,
        Err(e) => return Ok(report(&e, json_out)),
    };
    // Parameters are checked before connecting, so a bad call costs nothing.
    if let Some(a) = catalog.get(&args.name)
        && let Err(e) = sfkit_actions::params::check(a.params(), &input, a.takes_api_fields())
    {
        return Ok(report(&e, json_out));
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

/// Prints `text` and a newline. A reader that went away (`| head`) is not an error.
fn print_text(text: &str) -> Result<ExitCode, ActionError> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(output_failed(e)),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn output_failed(e: impl std::fmt::Display) -> ActionError {
    ActionError::invalid("OUTPUT_FAILED", e.to_string(), Vec::new())
}

pub(crate) fn query(target: &connect::Target, args: QueryArgs) -> anyhow::Result<ExitCode> {
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
        print_records(stream, format, &Shape::of_soql(&soql), false).await
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

fn print_count(n: u64, format: Format) -> Result<ExitCode, ActionError> {
    print_text(&match format {
        Format::Json => json!({ "count": n }).to_string(),
        Format::Csv => format!("count\n{n}"),
        Format::Table => output::table(
            &["count".to_owned()],
            &[vec![n.to_string()]],
            output::stdout_width(),
        ),
    })
}

pub(crate) fn search(target: &connect::Target, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let format = if args.json { Format::Json } else { args.format };
    with_connection(target, format == Format::Json, |ctx| async move {
        let records = ctx.client.search(&args.sosl).await?;
        // At most 2,000 records: turning each back into text costs nothing worth avoiding.
        let records = records
            .into_iter()
            .map(|r| serde_json::value::to_raw_value(&r));
        let stream = futures_util::stream::iter(records);
        // One search can return several objects: each record says which.
        print_records(stream, format, &Shape::default(), true).await
    })
}

pub(crate) fn describe(target: &connect::Target, args: DescribeArgs) -> anyhow::Result<ExitCode> {
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

pub(crate) fn limits(target: &connect::Target, args: LimitsArgs) -> anyhow::Result<ExitCode> {
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

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| (*h).to_owned()).collect()
}

/// Prints a stream of records as they arrive: JSON and CSV a record at a time (constant
/// memory; JSON without decoding the records), a table once all are in (its columns need
/// every row). Past the first page, stderr shows the count and rate when it is a terminal.
///
/// With `with_type`, each record keeps `attributes.type` (its object), a column of its own in
/// CSV and tables; Salesforce's other attributes (URLs, nested ones) are noise here.
async fn print_records<S, R, E>(
    stream: S,
    format: Format,
    shape: &Shape,
    with_type: bool,
) -> Result<ExitCode, ActionError>
where
    S: futures_util::Stream<Item = Result<R, E>>,
    R: RecordText,
    PrintError: From<E>,
{
    let mut stream = std::pin::pin!(stream);
    let mut progress = output::Progress::new();
    // Large enough that a page of records is a few writes, not thousands.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut n = 0u64;
    let mut csv_columns: Option<Vec<String>> = None;
    let mut table: Vec<Flat> = Vec::new();
    let printed = async {
        while let Some(raw) = stream.try_next().await.map_err(PrintError::from)? {
            match format {
                Format::Json => {
                    // "[" waits for the first record, so an error before it leaves stdout clean.
                    out.write_all(if n == 0 { b"[\n  " } else { b",\n  " })?;
                    output::write_record(&mut out, raw.text(), with_type)?;
                }
                Format::Csv | Format::Table => {
                    let record: Map<String, Value> =
                        serde_json::from_str(raw.text()).map_err(output::PassError::Json)?;
                    let flat = Flat::of(&record, shape, with_type);
                    if format == Format::Table {
                        table.push(flat);
                    } else {
                        let columns = match &csv_columns {
                            Some(c) => c,
                            None => {
                                let c = flat.columns();
                                writeln!(out, "{}", csv_row(&c))?;
                                csv_columns.insert(c)
                            }
                        };
                        writeln!(out, "{}", csv_row(&flat.csv_cells(columns)))?;
                    }
                }
            }
            n += 1;
            progress.set(n);
        }
        match format {
            Format::Json => out.write_all(if n == 0 { b"[]\n" } else { b"\n]\n" })?,
            Format::Csv => {}
            Format::Table => {
                progress.clear();
                if !table.is_empty() {
                    let text = output::records_table(&table, output::stdout_width(), false);
                    writeln!(out, "{text}")?;
                }
            }
        }
        out.flush()?;
        Ok::<(), PrintError>(())
    };
    let result = printed.await;
    progress.clear();
    match result {
        Ok(()) => {}
        Err(PrintError::Pass(output::PassError::Io(e)))
            if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(PrintError::Pass(e)) => return Err(output_failed(e)),
        Err(PrintError::Query(e)) => return Err(e.into()),
    }
    if format == Format::Table {
        eprintln!("{n} record{}", if n == 1 { "" } else { "s" });
    }
    Ok(ExitCode::SUCCESS)
}

/// A record's JSON text, checked as JSON.
trait RecordText {
    fn text(&self) -> &str;
}

impl RecordText for sfkit_client::RawRecord {
    fn text(&self) -> &str {
        self.get()
    }
}

impl RecordText for Box<RawValue> {
    fn text(&self) -> &str {
        self.get()
    }
}

/// Why printing records stopped.
#[derive(Debug)]
enum PrintError {
    /// The query failed (Salesforce's answer, the connection).
    Query(sfkit_client::Error),
    /// A record could not be printed.
    Pass(output::PassError),
}

impl From<sfkit_client::Error> for PrintError {
    fn from(e: sfkit_client::Error) -> Self {
        PrintError::Query(e)
    }
}

impl From<serde_json::Error> for PrintError {
    fn from(e: serde_json::Error) -> Self {
        PrintError::Pass(output::PassError::Json(e))
    }
}

impl From<output::PassError> for PrintError {
    fn from(e: output::PassError) -> Self {
        PrintError::Pass(e)
    }
}

impl From<std::io::Error> for PrintError {
    fn from(e: std::io::Error) -> Self {
        PrintError::Pass(output::PassError::Io(e))
    }
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
