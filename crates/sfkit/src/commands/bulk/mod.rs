//! `sfkit bulk load` and `sfkit bulk export`: Bulk API 2.0 from the command line.
//!
//! Memory stays flat whatever the file's size: a load is streamed from its file (standard input
//! is first spooled to a private temporary file, so it can be counted, split and resent like
//! any other), and result files and exports are written a row at a time as they arrive.
//!
//! A load prints a summary and every failed row (never hides one), and can write the three
//! result files. The result files cost API calls, so only those that can hold something are
//! asked for: the failures when the job counted some, the unprocessed rows when it processed
//! fewer than were sent, the successes when they are written out or an upsert's created count
//! needs them. The rest are known from the job's counts; a file with nothing to hold is written
//! with its header only.
//!
//! On a terminal, stderr shows progress (rows uploaded, the job's state and rows processed;
//! rows exported); piped, it carries only the summary.

mod progress;
mod report;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use sfkit_actions::ActionError;
use sfkit_client::{BulkOperation, CsvUpload};

use super::Failure;
use crate::connect;
use progress::Bar;
use report::{Report, write_error};

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
    super::report(e, json_out)
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
    let spool = if args.file.as_os_str() == "-" {
        match Spool::stdin() {
            Ok(s) => Some(s),
            Err(e) => {
                let e = Failure::local("INVALID_ARGUMENT", format!("reading standard input: {e}"));
                return Ok(super::report(e, args.json));
            }
        }
    } else {
        None
    };
    let path = spool
        .as_ref()
        .map_or(args.file.as_path(), |s| s.0.as_path());
    // Read and counted before connecting: a file that cannot load costs no API call.
    let upload = match CsvUpload::scan(path) {
        Ok(u) => u,
        Err(sfkit_client::Error::Config(m)) => return Ok(usage(args.json, m)),
        Err(e) => return Ok(usage(args.json, e.to_string())),
    };
    super::with_connection(target, args.json, |ctx| async move {
        let bar = Bar::new(upload.rows());
        let observer = bar.clone();
        let bulk = ctx
            .client
            .bulk()
            .on_progress(move |p| observer.load_progress(p));
        let outcome = bulk.load(&args.object, &operation, &upload).await;
        bar.clear();
        drop(spool);
        let done = outcome?;
        let report = Report {
            bulk: &bulk,
            load: &done,
            operation: &operation,
            dir: args.results.as_deref(),
            json: args.json,
        };
        if let Some(e) = done.failure() {
            // Whatever the org kept of a failed job is worth having, but its failure is the news.
            if let Some(dir) = report.dir
                && let Err(w) = report.write_all(dir).await
            {
                eprintln!("sfkit: the failed job's results could not be written: {w}");
            }
            return Err(e.into());
        }
        report.run().await
    })
}

/// Standard input copied to a private temporary file, removed when dropped.
struct Spool(PathBuf);

impl Spool {
    fn stdin() -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path =
            std::env::temp_dir().join(format!("sfkit-bulk-{}-{nanos}.csv", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let spool = Spool(path);
        let mut file = BufWriter::new(options.open(&spool.0)?);
        std::io::copy(&mut std::io::stdin().lock(), &mut file)?;
        file.flush()?;
        Ok(spool)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn export(target: &connect::Target, args: ExportArgs) -> anyhow::Result<ExitCode> {
    super::with_connection(target, false, |ctx| async move {
        let bulk = ctx.client.bulk();
        let mut rows = bulk.query_rows(&args.soql, args.all).await?;
        let sink: Box<dyn Write> = match &args.output {
            Some(p) => Box::new(File::create(p).map_err(|e| write_error(p, &e))?),
            None => Box::new(std::io::stdout().lock()),
        };
        let mut w = crate::output::csv::writer(BufWriter::with_capacity(64 * 1024, sink));
        let bar = Bar::counter();
        let written = async {
            if !rows.header().is_empty() {
                w.write_byte_record(rows.header())?;
            }
            while let Some(row) = rows.next().await? {
                w.write_byte_record(&row)?;
                if rows.count() % 1024 == 0 {
                    bar.set(rows.count());
                }
            }
            w.flush()?;
            Ok::<_, ExportError>(())
        }
        .await;
        bar.clear();
        match written {
            Ok(()) => {}
            // The reader went away (`| head`): what it wanted, it got.
            Err(ExportError::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                return Ok(ExitCode::SUCCESS);
            }
            Err(ExportError::Write(e)) => return Err(Failure::output(e)),
            Err(ExportError::Salesforce(e)) => return Err(e.into()),
        }
        let n = rows.count();
        eprintln!(
            "sfkit: {n} record{} exported",
            if n == 1 { "" } else { "s" }
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// Why an export stopped: the org, or the output.
enum ExportError {
    Salesforce(sfkit_client::Error),
    Write(std::io::Error),
}

impl From<sfkit_client::Error> for ExportError {
    fn from(e: sfkit_client::Error) -> Self {
        ExportError::Salesforce(e)
    }
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> Self {
        ExportError::Write(e)
    }
}

impl From<csv::Error> for ExportError {
    fn from(e: csv::Error) -> Self {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => ExportError::Write(io),
            other => ExportError::Write(std::io::Error::other(format!("{other:?}"))),
        }
    }
}
