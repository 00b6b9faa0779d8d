//! A finished load's result files, read as they arrive: written to the results directory, the
//! failures printed, the outcome summed up.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::super::Failure;
use serde_json::{Value, json};
use sfkit_client::{Bulk, BulkFailure, BulkOperation, ByteRecord, Load, LoadedJob, ResultKind};

/// Reads a finished load's result files and says how it went.
pub(super) struct Report<'a> {
    pub(super) bulk: &'a Bulk,
    pub(super) load: &'a Load,
    pub(super) operation: &'a BulkOperation,
    pub(super) dir: Option<&'a Path>,
    pub(super) json: bool,
}

/// What the result files held.
#[derive(Default)]
struct Counts {
    created: u64,
    unprocessed: u64,
}

impl Report<'_> {
    pub(super) async fn run(&self) -> Result<ExitCode, Failure> {
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
    pub(super) async fn write_all(&self, dir: &Path) -> Result<(), Failure> {
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
    fn worth_asking(kind: ResultKind, job: &LoadedJob) -> bool {
        match kind {
            ResultKind::Successful => job.successful() > 0,
            ResultKind::Failed => job.info.number_records_failed > 0,
            _ => job.has_unprocessed() || job.info.failure().is_some(),
        }
    }

    /// Streams one kind of result file of every job into `name` in the results directory (when
    /// there is one), counting what it holds. `lead` is the columns before the row's own.
    async fn copy(&self, kind: ResultKind, name: &str, lead: &[&str]) -> Result<Counts, Failure> {
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
        mut f: impl FnMut(&BulkFailure) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
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
    fn create(path: &Path) -> Result<Self, Failure> {
        let file = File::create(path).map_err(|e| write_error(path, &e))?;
        Ok(ResultFile {
            path: path.to_owned(),
            w: crate::output::csv::writer(BufWriter::new(file)),
            has_header: false,
        })
    }

    fn header(&mut self, h: &ByteRecord) -> Result<(), Failure> {
        // A job that failed before reading its header answers with an empty one.
        if self.has_header || h.iter().all(<[u8]>::is_empty) {
            return Ok(());
        }
        self.has_header = true;
        self.row(h)
    }

    fn row(&mut self, r: &ByteRecord) -> Result<(), Failure> {
        let path = &self.path;
        self.w
            .write_byte_record(r)
            .map_err(|e| write_error(path, &std::io::Error::other(e)))
    }

    fn finish(mut self) -> Result<(), Failure> {
        self.w.flush().map_err(|e| write_error(&self.path, &e))
    }
}

pub(super) fn write_error(path: &Path, e: &std::io::Error) -> Failure {
    Failure::local(
        "INVALID_ARGUMENT",
        format!("writing {}: {e}", path.display()),
    )
}

fn stdout_error(e: std::io::Error) -> Failure {
    Failure::output(e)
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
