//! `sfkit bulk load` and `sfkit bulk export`: Bulk API 2.0 from the command line. A load prints
//! a summary and every failed row (never hides one), and can write the three result files; an
//! export streams CSV a result page at a time, so memory stays flat however large the result.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use futures_util::TryStreamExt as _;
use serde_json::{Value, json};
use sfkit_actions::ActionError;
use sfkit_client::{BulkOperation, IngestResults, Record};

use crate::connect;

/// `sfkit bulk`.
#[derive(Debug, Args)]
pub(crate) struct BulkArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Load a CSV file (a header row of field API names) into an object.
    #[command(
        after_help = "Examples:\n  sfkit bulk load Account accounts.csv\n  sfkit bulk load Contact contacts.csv --operation upsert --external-id Ext_Id__c --results out/\n  sfkit bulk load Lead ids.csv --operation delete --json"
    )]
    Load(LoadArgs),
    /// Run a SOQL query through Bulk API 2.0 and write CSV.
    #[command(
        after_help = "Examples:\n  sfkit bulk export \"SELECT Id, Name FROM Account\" > accounts.csv\n  sfkit bulk export \"SELECT Id FROM Lead WHERE IsDeleted = true\" --all --output deleted.csv"
    )]
    Export(ExportArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Op {
    Insert,
    Update,
    Upsert,
    Delete,
    HardDelete,
}

#[derive(Debug, Args)]
struct LoadArgs {
    /// The object's API name.
    object: String,
    /// The CSV file, or `-` for standard input.
    file: PathBuf,
    /// What to do with each row (update and delete need an `Id` column).
    #[arg(long, value_enum, default_value = "insert")]
    operation: Op,
    /// The external id field an upsert matches on.
    #[arg(long, value_name = "FIELD")]
    external_id: Option<String>,
    /// Write `successful.csv`, `failed.csv` and `unprocessed.csv` into this directory.
    #[arg(long, value_name = "DIR")]
    results: Option<PathBuf>,
    /// Print the outcome as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The SOQL query (no subqueries or aggregates: Bulk API limits).
    soql: String,
    /// Include deleted and archived records (queryAll).
    #[arg(long)]
    all: bool,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(crate) fn run(target: &connect::Target, args: BulkArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        What::Load(a) => load(target, a),
        What::Export(a) => export(target, a),
    }
}

fn usage(json_out: bool, message: String) -> ExitCode {
    let e = ActionError::invalid("INVALID_ARGUMENT", message, Vec::new());
    crate::data::report(&e, json_out)
}

fn load(target: &connect::Target, args: LoadArgs) -> anyhow::Result<ExitCode> {
    let operation = match (args.operation, args.external_id.clone()) {
        (Op::Upsert, Some(f)) => BulkOperation::Upsert { external_id: f },
        (Op::Upsert, None) => {
            return Ok(usage(
                args.json,
                "--operation upsert needs --external-id FIELD".into(),
            ));
        }
        (_, Some(_)) => {
            return Ok(usage(
                args.json,
                "--external-id goes with --operation upsert only".into(),
            ));
        }
        (Op::Insert, None) => BulkOperation::Insert,
        (Op::Update, None) => BulkOperation::Update,
        (Op::Delete, None) => BulkOperation::Delete,
        (Op::HardDelete, None) => BulkOperation::HardDelete,
    };
    let csv = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        buf
    } else {
        match std::fs::read(&args.file) {
            Ok(b) => b,
            Err(e) => {
                return Ok(usage(
                    args.json,
                    format!("cannot read {}: {e}", args.file.display()),
                ));
            }
        }
    };
    crate::data::with_connection(target, args.json, |ctx| async move {
        let res = ctx
            .client
            .bulk()
            .ingest_csv(&args.object, operation, &csv)
            .await?;
        if let Some(dir) = &args.results {
            write_results(dir, &res).map_err(|e| {
                ActionError::invalid(
                    "INVALID_ARGUMENT",
                    format!("writing results to {}: {e}", dir.display()),
                    Vec::new(),
                )
            })?;
        }
        let created = res.successful.iter().filter(|s| s.created).count();
        let processed: u64 = res.jobs.iter().map(|j| j.number_records_processed).sum();
        if args.json {
            let failed: Vec<Value> = res
                .failed
                .iter()
                .map(|f| {
                    let errors: Vec<Value> = f
                        .errors
                        .iter()
                        .map(|e| json!({"errorCode": e.error_code, "message": e.message, "fields": e.fields}))
                        .collect();
                    json!({"id": f.id, "errors": errors, "row": f.row})
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "jobs": res.jobs.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
                    "processed": processed,
                    "successful": res.successful.len(),
                    "created": created,
                    "failed": failed,
                    "unprocessed": res.unprocessed.len(),
                }))
                .unwrap_or_default()
            );
        } else {
            eprintln!(
                "sfkit: {processed} rows processed in job {}: {} succeeded ({created} created), {} failed, {} unprocessed",
                res.jobs
                    .iter()
                    .map(|j| j.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                res.successful.len(),
                res.failed.len(),
                res.unprocessed.len()
            );
            for f in &res.failed {
                let why: Vec<String> = f
                    .errors
                    .iter()
                    .map(|e| {
                        if e.fields.is_empty() {
                            format!("{}: {}", e.error_code, e.message)
                        } else {
                            format!("{}: {} ({})", e.error_code, e.message, e.fields.join(", "))
                        }
                    })
                    .collect();
                eprintln!(
                    "  failed {}: {}",
                    f.id.clone().unwrap_or_else(|| row_label(&f.row)),
                    why.join("; ")
                );
            }
        }
        // Any refused row makes the load an error Salesforce answered.
        Ok(if res.failed.is_empty() && res.unprocessed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(3)
        })
    })
}

/// A failed insert has no id: show the row's first non-empty cells instead.
fn row_label(row: &Record) -> String {
    let cells: Vec<String> = row
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| format!("{k}={s}")))
        .take(2)
        .collect();
    format!("row [{}]", cells.join(", "))
}

fn write_results(dir: &std::path::Path, res: &IngestResults) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let rows = |extra: &[(&str, String)], row: &Record| -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        out.extend(row.iter().map(|(k, v)| (k.clone(), text(v))));
        out
    };
    let successful: Vec<Vec<(String, String)>> = res
        .successful
        .iter()
        .map(|s| {
            rows(
                &[
                    ("sf__Id", s.id.clone()),
                    ("sf__Created", s.created.to_string()),
                ],
                &s.row,
            )
        })
        .collect();
    let failed: Vec<Vec<(String, String)>> = res
        .failed
        .iter()
        .map(|f| {
            let error = f
                .errors
                .iter()
                .map(|e| format!("{}:{}:{} --", e.error_code, e.message, e.fields.join(",")))
                .collect::<Vec<_>>()
                .join(" ");
            rows(
                &[
                    ("sf__Id", f.id.clone().unwrap_or_default()),
                    ("sf__Error", error),
                ],
                &f.row,
            )
        })
        .collect();
    let unprocessed: Vec<Vec<(String, String)>> =
        res.unprocessed.iter().map(|r| rows(&[], r)).collect();
    for (name, table) in [
        ("successful.csv", successful),
        ("failed.csv", failed),
        ("unprocessed.csv", unprocessed),
    ] {
        let mut w = csv::Writer::from_path(dir.join(name))?;
        if let Some(first) = table.first() {
            w.write_record(first.iter().map(|(k, _)| k))?;
        }
        for row in &table {
            w.write_record(row.iter().map(|(_, v)| v))?;
        }
        w.flush()?;
    }
    Ok(())
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn export(target: &connect::Target, args: ExportArgs) -> anyhow::Result<ExitCode> {
    crate::data::with_connection(target, false, |ctx| async move {
        let bulk = ctx.client.bulk();
        let mut stream = Box::pin(if args.all {
            futures_util::future::Either::Left(bulk.query_all(&args.soql))
        } else {
            futures_util::future::Either::Right(bulk.query(&args.soql))
        });
        let io = |e: std::io::Error| ActionError::connection(format!("writing the CSV: {e}"));
        let sink: Box<dyn std::io::Write> = match &args.output {
            Some(p) => Box::new(std::fs::File::create(p).map_err(io)?),
            None => Box::new(std::io::stdout().lock()),
        };
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(sink));
        let fail = |e: csv::Error| ActionError::connection(format!("writing the CSV: {e}"));
        let mut n = 0u64;
        while let Some(rec) = stream.try_next().await? {
            if n == 0 {
                w.write_record(rec.keys()).map_err(fail)?;
            }
            w.write_record(rec.values().map(text)).map_err(fail)?;
            n += 1;
        }
        w.flush().map_err(io)?;
        drop(w);
        std::io::stderr().flush().ok();
        eprintln!(
            "sfkit: {n} record{} exported",
            if n == 1 { "" } else { "s" }
        );
        Ok(ExitCode::SUCCESS)
    })
}
