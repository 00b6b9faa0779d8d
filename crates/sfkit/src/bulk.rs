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

use std::fs::File;
use std::io::{BufWriter, IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use sfkit_actions::ActionError;
use sfkit_client::{
    Bulk, BulkFailure, BulkOperation, ByteRecord, CsvUpload, Load, LoadProgress, ResultKind,
};

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
    let spool = if args.file.as_os_str() == "-" {
        match Spool::stdin() {
            Ok(s) => Some(s),
            Err(e) => return Ok(usage(args.json, format!("reading standard input: {e}"))),
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
    crate::data::with_connection(target, args.json, |ctx| async move {
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

/// Reads a finished load's result files and says how it went.
struct Report<'a> {
    bulk: &'a Bulk,
    load: &'a Load,
    operation: &'a BulkOperation,
    dir: Option<&'a Path>,
    json: bool,
}

/// What the result files held.
#[derive(Default)]
struct Counts {
    created: u64,
    unprocessed: u64,
}

impl Report<'_> {
    async fn run(&self) -> Result<ExitCode, ActionError> {
        let load = self.load;
        if let Some(dir) = self.dir {
            std::fs::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
        }
        let mut counts = Counts::default();
        let need_successes =
            self.dir.is_some() || matches!(self.operation, BulkOperation::Upsert { .. });
        counts.created = if need_successes {
            self.copy(
                ResultKind::Successful,
                "successful.csv",
                &["sf__Id", "sf__Created"],
            )
            .await?
            .created
        } else if matches!(self.operation, BulkOperation::Insert) {
            load.successful()
        } else {
            0
        };
        counts.unprocessed = self
            .copy(ResultKind::Unprocessed, "unprocessed.csv", &[])
            .await?
            .unprocessed;
        let ids: Vec<&str> = load.jobs.iter().map(|j| j.info.id.as_str()).collect();
        let mut out = std::io::stdout().lock();
        if self.json {
            let head = json!({
                "jobs": ids,
                "processed": load.processed(),
                "successful": load.successful(),
                "created": counts.created,
                "unprocessed": counts.unprocessed,
            });
            // Failures are written as they arrive: the object is closed by hand after them.
            let head = head.to_string();
            let open = head.strip_suffix('}').unwrap_or(&head);
            write!(out, "{open},\"failed\":[").map_err(stdout_error)?;
        } else {
            eprintln!(
                "sfkit: {} rows processed in job {}: {} succeeded ({} created), {} failed, {} unprocessed",
                load.processed(),
                ids.join(", "),
                load.successful(),
                counts.created,
                load.failed(),
                counts.unprocessed
            );
        }
        let mut first = true;
        self.each_failure(|f| {
            if self.json {
                let errors: Vec<Value> = f
                    .errors
                    .iter()
                    .map(|e| json!({"errorCode": e.error_code, "message": e.message, "fields": e.fields}))
                    .collect();
                let entry = json!({"id": f.id, "errors": errors, "row": f.row});
                let sep = if std::mem::take(&mut first) { "" } else { "," };
                write!(out, "{sep}{entry}").map_err(stdout_error)
            } else {
                eprintln!("  failed {}: {}", f.id.clone().unwrap_or_else(|| row_label(f)), why(f));
                Ok(())
            }
        })
        .await?;
        if self.json {
            writeln!(out, "]}}").map_err(stdout_error)?;
        }
        // Any refused row makes the load an error Salesforce answered.
        Ok(if load.failed() == 0 && counts.unprocessed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(3)
        })
    }

    /// Every result file, as far as the org has them (a failed job's).
    async fn write_all(&self, dir: &Path) -> Result<(), ActionError> {
        std::fs::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
        self.copy(
            ResultKind::Successful,
            "successful.csv",
            &["sf__Id", "sf__Created"],
        )
        .await?;
        self.copy(ResultKind::Unprocessed, "unprocessed.csv", &[])
            .await?;
        self.each_failure(|_| Ok(())).await
    }

    /// Whether the org's result file of this kind can hold rows of `job`.
    fn worth_asking(kind: ResultKind, job: &sfkit_client::LoadedJob) -> bool {
        match kind {
            ResultKind::Successful => job.successful() > 0,
            ResultKind::Failed => job.info.number_records_failed > 0,
            _ => job.has_unprocessed() || job.info.failure().is_some(),
        }
    }

    /// Streams one kind of result file of every job into `name` in the results directory (when
    /// there is one), counting what it holds. `lead` is the columns before the row's own.
    async fn copy(
        &self,
        kind: ResultKind,
        name: &str,
        lead: &[&str],
    ) -> Result<Counts, ActionError> {
        let mut counts = Counts::default();
        let mut file = match self.dir {
            Some(dir) => Some(ResultFile::create(&dir.join(name))?),
            None => None,
        };
        for job in &self.load.jobs {
            if !Self::worth_asking(kind, job) {
                continue;
            }
            let mut rows = self.bulk.result_rows(&job.info.id, kind).await?;
            let created_at = rows.header().iter().position(|h| h == b"sf__Created");
            if let Some(f) = &mut file {
                f.header(rows.header())?;
            }
            while let Some(row) = rows.next().await? {
                if created_at.and_then(|i| row.get(i)) == Some(b"true".as_slice()) {
                    counts.created += 1;
                }
                if let Some(f) = &mut file {
                    f.row(&row)?;
                }
            }
            if kind == ResultKind::Unprocessed {
                counts.unprocessed += rows.count();
            }
        }
        if let Some(mut f) = file {
            // A file nobody had rows for still says what its columns are.
            let mut header: Vec<&str> = lead.to_vec();
            header.extend(self.load.columns.iter().map(String::as_str));
            f.header(&ByteRecord::from(header))?;
            f.finish()?;
        }
        Ok(counts)
    }

    /// Each failed row of every job, to `f` as it arrives; written to `failed.csv` too.
    async fn each_failure(
        &self,
        mut f: impl FnMut(&BulkFailure) -> Result<(), ActionError>,
    ) -> Result<(), ActionError> {
        let mut file = match self.dir {
            Some(dir) => Some(ResultFile::create(&dir.join("failed.csv"))?),
            None => None,
        };
        for job in &self.load.jobs {
            if !Self::worth_asking(ResultKind::Failed, job) {
                continue;
            }
            let mut rows = self
                .bulk
                .result_rows(&job.info.id, ResultKind::Failed)
                .await?;
            let header: Vec<String> = rows
                .header()
                .iter()
                .map(|h| String::from_utf8_lossy(h).into_owned())
                .collect();
            if let Some(file) = &mut file {
                file.header(rows.header())?;
            }
            while let Some(row) = rows.next().await? {
                if let Some(file) = &mut file {
                    file.row(&row)?;
                }
                f(&BulkFailure::from_row(&header, &row))?;
            }
        }
        if let Some(mut file) = file {
            let mut header = vec!["sf__Id", "sf__Error"];
            header.extend(self.load.columns.iter().map(String::as_str));
            file.header(&ByteRecord::from(header))?;
            file.finish()?;
        }
        Ok(())
    }
}

/// A result file being written: the header once (from the first job that has one), then rows.
struct ResultFile {
    path: PathBuf,
    w: csv::Writer<BufWriter<File>>,
    has_header: bool,
}

impl ResultFile {
    fn create(path: &Path) -> Result<Self, ActionError> {
        let file = File::create(path).map_err(|e| write_error(path, &e))?;
        Ok(ResultFile {
            path: path.to_owned(),
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(BufWriter::new(file)),
            has_header: false,
        })
    }

    fn header(&mut self, h: &ByteRecord) -> Result<(), ActionError> {
        // A job that failed before reading its header answers with an empty one.
        if self.has_header || h.iter().all(<[u8]>::is_empty) {
            return Ok(());
        }
        self.has_header = true;
        self.row(h)
    }

    fn row(&mut self, r: &ByteRecord) -> Result<(), ActionError> {
        let path = &self.path;
        self.w
            .write_byte_record(r)
            .map_err(|e| write_error(path, &std::io::Error::other(e)))
    }

    fn finish(mut self) -> Result<(), ActionError> {
        self.w.flush().map_err(|e| write_error(&self.path, &e))
    }
}

fn write_error(path: &Path, e: &std::io::Error) -> ActionError {
    ActionError::invalid(
        "INVALID_ARGUMENT",
        format!("writing {}: {e}", path.display()),
        Vec::new(),
    )
}

fn stdout_error(e: std::io::Error) -> ActionError {
    ActionError::invalid("OUTPUT_FAILED", e.to_string(), Vec::new())
}

/// Why a row failed, in one line.
fn why(f: &BulkFailure) -> String {
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
    why.join("; ")
}

/// A failed insert has no id: show the row's first non-empty cells instead.
fn row_label(f: &BulkFailure) -> String {
    let cells: Vec<String> = f
        .row
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| format!("{k}={s}")))
        .take(2)
        .collect();
    format!("row [{}]", cells.join(", "))
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

/// Progress on stderr when it is a terminal; nothing otherwise.
#[derive(Clone)]
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new(rows: u64) -> Self {
        Self::styled(
            Some(rows),
            "{spinner} {msg:<14} [{bar:30}] {human_pos}/{human_len} rows {prefix} ({elapsed})",
            ("uploading", "uploaded"),
        )
    }

    fn counter() -> Self {
        Self::styled(
            None,
            "{spinner} {human_pos} rows exported ({rate}, {elapsed})",
            ("", ""),
        )
    }

    fn styled(len: Option<u64>, template: &str, (what, counted): (&str, &'static str)) -> Self {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        // Drawn only once set up: each setting draws a frame.
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
        bar.set_message(what.to_owned());
        bar.set_prefix(counted);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> ").with_key(
                "rate",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", s.per_sec());
                },
            ));
        }
        bar.set_draw_target(ProgressDrawTarget::stderr());
        // The spinner and clock move between status checks, which can be seconds apart.
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar(Some(bar))
    }

    /// What is going on (`uploading`, the job's state), and what the count is of.
    fn phase(&self, what: &str, counted: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(what.to_owned());
            bar.set_prefix(counted);
        }
    }

    fn load_progress(&self, p: &LoadProgress) {
        let Some(bar) = &self.0 else { return };
        match p {
            LoadProgress::Uploaded { rows, total } => {
                bar.set_length(*total);
                bar.set_position(*rows);
            }
            LoadProgress::Status {
                state,
                processed,
                total,
                ..
            } => {
                bar.set_length(*total);
                bar.set_position(*processed);
                self.phase(state, "processed");
            }
            _ => {}
        }
    }

    fn set(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(n);
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn export(target: &connect::Target, args: ExportArgs) -> anyhow::Result<ExitCode> {
    crate::data::with_connection(target, false, |ctx| async move {
        let bulk = ctx.client.bulk();
        let mut rows = bulk.query_rows(&args.soql, args.all).await?;
        let sink: Box<dyn Write> = match &args.output {
            Some(p) => Box::new(File::create(p).map_err(|e| write_error(p, &e))?),
            None => Box::new(std::io::stdout().lock()),
        };
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(BufWriter::with_capacity(64 * 1024, sink));
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
            Err(ExportError::Write(e)) => {
                return Err(ActionError::invalid(
                    "OUTPUT_FAILED",
                    e.to_string(),
                    Vec::new(),
                ));
            }
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
