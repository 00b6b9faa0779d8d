//! Ingest jobs: a CSV file scanned once ([`CsvUpload`]), uploaded as a stream from disk in one
//! job (or more past [`UPLOAD_LIMIT`]), waited for, and its result files read a row at a time.

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt as _};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::rows::{CsvRows, RowCounter};
use super::{Bulk, BulkOperation, JobInfo, header_names, to_record};
use crate::client::{Req, Upload, data};
use crate::error::{ApiErrorEntry, Error};
use crate::sobjects::Record;

/// Bytes of CSV per ingest job before a load is split into more jobs. Salesforce takes 150 MB
/// per upload after base64 encoding; 100 MiB of CSV is 140 MB encoded.
pub const UPLOAD_LIMIT: u64 = 100 * 1024 * 1024;

/// How much of a file is read at a time, scanning it or uploading it.
const CHUNK: usize = 64 * 1024;

/// Where a load's CSV is.
#[derive(Debug, Clone)]
enum Source {
    File(PathBuf),
    Memory(Bytes),
}

/// One upload: a byte range of the source's rows, sent after the header.
#[derive(Debug, Clone, Copy)]
struct Part {
    start: u64,
    end: u64,
    rows: u64,
}

/// CSV to load (a header row of field API names, then rows), scanned once: its header, how many
/// rows it has, its line ending, and where it splits into uploads of at most [`UPLOAD_LIMIT`]
/// bytes. Nothing but the header is kept in memory: each upload is read from the file again.
#[derive(Debug, Clone)]
pub struct CsvUpload {
    source: Source,
    header: Bytes,
    columns: Vec<String>,
    crlf: bool,
    parts: Vec<Part>,
    rows: u64,
}

impl CsvUpload {
    /// Scans the CSV file at `path` (blocking file reads; a buffer at a time).
    pub fn scan(path: impl Into<PathBuf>) -> Result<Self, Error> {
        Self::scan_with_limit(path, UPLOAD_LIMIT)
    }

    /// [`Self::scan`], splitting at `limit` bytes per upload instead of [`UPLOAD_LIMIT`].
    pub fn scan_with_limit(path: impl Into<PathBuf>, limit: u64) -> Result<Self, Error> {
        let path = path.into();
        let io = |e: std::io::Error| Error::Config(format!("reading {}: {e}", path.display()));
        let mut file = std::fs::File::open(&path).map_err(io)?;
        let mut scanner = Scanner::new(limit);
        let mut buf = vec![0; CHUNK];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io(e)),
            };
            scanner
                .feed(buf.get(..n).unwrap_or_default())
                .map_err(|m| Error::Config(format!("{}: {m}", path.display())))?;
        }
        scanner
            .finish(Source::File(path.clone()))
            .map_err(|m| Error::Config(format!("{}: {m}", path.display())))
    }

    /// CSV already in memory.
    pub fn from_bytes(csv: impl Into<Bytes>) -> Result<Self, Error> {
        Self::from_bytes_with_limit(csv, UPLOAD_LIMIT)
    }

    /// [`Self::from_bytes`], splitting at `limit` bytes per upload.
    pub fn from_bytes_with_limit(csv: impl Into<Bytes>, limit: u64) -> Result<Self, Error> {
        let csv = csv.into();
        let mut scanner = Scanner::new(limit);
        scanner
            .feed(&csv)
            .map_err(|m| Error::Config(format!("the CSV: {m}")))?;
        scanner
            .finish(Source::Memory(csv))
            .map_err(|m| Error::Config(format!("the CSV: {m}")))
    }

    /// The columns of the header row.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Rows after the header (empty lines are not rows).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// How many jobs the load takes (one unless it passes the upload limit).
    pub fn jobs(&self) -> usize {
        self.parts.len()
    }

    /// The body of one upload: the header, then the part's rows, streamed; rows are counted
    /// into `progress` as they go (on top of `before`, the rows of the parts already sent).
    fn body(&self, part: Part, before: u64, progress: Progress) -> reqwest::Body {
        let header = self.header.clone();
        let mut counter = RowCounter::default();
        let mut count = move |chunk: &Bytes| {
            counter.feed(chunk);
            progress(before + counter.rows);
        };
        let rest: std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>> =
            match &self.source {
                Source::Memory(all) => {
                    let slice = all.slice(
                        usize::try_from(part.start).unwrap_or(usize::MAX)
                            ..usize::try_from(part.end).unwrap_or(usize::MAX),
                    );
                    Box::pin(stream::iter([Ok(slice)]))
                }
                Source::File(path) => Box::pin(file_range(path.clone(), part.start, part.end)),
            };
        let rows = rest.inspect(move |c| {
            if let Ok(c) = c {
                count(c);
            }
        });
        let chunks = stream::iter([Ok(header)]).chain(rows);
        reqwest::Body::wrap_stream(chunks)
    }
}

/// Reports rows uploaded so far.
type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// Bytes `start..end` of a file, a chunk at a time.
fn file_range(
    path: PathBuf,
    start: u64,
    end: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    struct At {
        path: PathBuf,
        file: Option<tokio::fs::File>,
        left: u64,
        start: u64,
    }
    let at = At {
        path,
        file: None,
        left: end.saturating_sub(start),
        start,
    };
    stream::try_unfold(at, |mut at| async move {
        if at.left == 0 {
            return Ok(None);
        }
        let file = match &mut at.file {
            Some(f) => f,
            None => {
                let mut f = tokio::fs::File::open(&at.path).await?;
                f.seek(std::io::SeekFrom::Start(at.start)).await?;
                at.file.insert(f)
            }
        };
        let want = usize::try_from(at.left).unwrap_or(CHUNK).min(CHUNK);
        let mut buf = vec![0; want];
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("{} got shorter while it was uploaded", at.path.display()),
            ));
        }
        buf.truncate(n);
        at.left -= n as u64;
        Ok(Some((Bytes::from(buf), at)))
    })
}

/// Finds the header, the rows and the split points of CSV fed to it in pieces.
#[derive(Debug)]
struct Scanner {
    limit: u64,
    /// Bytes seen so far; the offset of the next byte.
    at: u64,
    quoted: bool,
    filled: bool,
    line_start: u64,
    /// Unquoted line breaks seen, for messages that name a line.
    lines: u64,
    header: Vec<u8>,
    header_done: bool,
    crlf: bool,
    last: u8,
    parts: Vec<Part>,
    part_start: u64,
    part_rows: u64,
    rows: u64,
}

impl Scanner {
    fn new(limit: u64) -> Self {
        Scanner {
            limit,
            at: 0,
            quoted: false,
            filled: false,
            line_start: 0,
            lines: 0,
            header: Vec::new(),
            header_done: false,
            crlf: false,
            last: 0,
            parts: Vec::new(),
            part_start: 0,
            part_rows: 0,
            rows: 0,
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), String> {
        for &b in chunk {
            let offset = self.at;
            self.at += 1;
            if !self.header_done {
                // The header is kept whole: it goes first in every upload.
                self.header.push(b);
                if self.header.len() as u64 > self.limit {
                    return Err(format!(
                        "the header row is longer than one upload takes ({} bytes)",
                        self.limit
                    ));
                }
            }
            match b {
                b'"' => {
                    self.quoted = !self.quoted;
                    self.filled = true;
                }
                b'\n' if !self.quoted => {
                    self.lines += 1;
                    self.line_end(offset + 1)?;
                }
                b'\r' if !self.quoted => {}
                _ => self.filled = true,
            }
            self.last = b;
        }
        Ok(())
    }

    /// A line ended just before `end`.
    fn line_end(&mut self, end: u64) -> Result<(), String> {
        let filled = std::mem::replace(&mut self.filled, false);
        let start = std::mem::replace(&mut self.line_start, end);
        if !self.header_done {
            if filled {
                self.header_done = true;
                self.crlf = self.last == b'\r';
                self.part_start = end;
            } else {
                // Empty lines before the header are not sent.
                self.header.clear();
            }
            return Ok(());
        }
        if !filled {
            return Ok(());
        }
        let header = self.header.len() as u64;
        if header + (end - start) > self.limit {
            return Err(format!(
                "the row ending on line {} is {} bytes: more than one upload takes ({} bytes with the header)",
                self.lines,
                end - start,
                self.limit
            ));
        }
        if self.part_rows > 0 && header + (end - self.part_start) > self.limit {
            self.parts.push(Part {
                start: self.part_start,
                end: start,
                rows: self.part_rows,
            });
            self.part_start = start;
            self.part_rows = 0;
        }
        self.part_rows += 1;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self, source: Source) -> Result<CsvUpload, String> {
        if self.quoted {
            return Err("a quoted cell is never closed".into());
        }
        if self.filled {
            // The last row has no line break.
            self.lines += 1;
            if !self.header_done {
                return Err("there are no rows after the header".into());
            }
            let end = self.at;
            self.line_end(end)?;
        }
        if !self.header_done {
            return Err("it is empty: a CSV load needs a header row of field names".into());
        }
        if self.part_rows == 0 {
            return Err("there are no rows after the header".into());
        }
        self.parts.push(Part {
            start: self.part_start,
            end: self.at,
            rows: self.part_rows,
        });
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(self.header.as_slice());
        let mut columns = csv::ByteRecord::new();
        reader
            .read_byte_record(&mut columns)
            .map_err(|e| format!("the header row cannot be read: {e}"))?;
        let mut columns = header_names(&columns);
        if let Some(first) = columns.first_mut() {
            // A byte order mark is no part of the first name.
            *first = first.trim_start_matches('\u{feff}').to_owned();
        }
        let header = self.header;
        Ok(CsvUpload {
            source,
            header: Bytes::from(header),
            columns,
            crlf: self.crlf,
            parts: self.parts,
            rows: self.rows,
        })
    }
}

/// A step of a load, for progress displays ([`Bulk::on_progress`]). Counts are of the whole
/// load (every job).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LoadProgress {
    /// Rows handed to the connection so far.
    Uploaded {
        /// Rows sent.
        rows: u64,
        /// Rows in the load.
        total: u64,
    },
    /// What a status check of a job found.
    Status {
        /// The job id.
        job: String,
        /// Its state.
        state: String,
        /// Rows processed so far.
        processed: u64,
        /// Rows in the load.
        total: u64,
    },
}

/// A job a load ran.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadedJob {
    /// The job as last seen (finished).
    pub info: JobInfo,
    /// Rows uploaded to it.
    pub rows: u64,
}

impl LoadedJob {
    /// Rows the job applied.
    pub fn successful(&self) -> u64 {
        self.info
            .number_records_processed
            .saturating_sub(self.info.number_records_failed)
    }

    /// True when some rows were not processed (their result file has them).
    pub fn has_unprocessed(&self) -> bool {
        self.info.number_records_processed < self.rows
    }
}

/// What a load did: its jobs, each finished. A job that fails as a whole stops the load: it is
/// the last one, and [`Load::failure`] says why.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Load {
    /// The jobs, in order.
    pub jobs: Vec<LoadedJob>,
    /// The CSV's columns (the result files' columns after their `sf__` ones).
    pub columns: Vec<String>,
}

impl Load {
    /// Rows processed, applied or refused.
    pub fn processed(&self) -> u64 {
        self.jobs
            .iter()
            .map(|j| j.info.number_records_processed)
            .sum()
    }

    /// Rows refused.
    pub fn failed(&self) -> u64 {
        self.jobs.iter().map(|j| j.info.number_records_failed).sum()
    }

    /// Rows applied.
    pub fn successful(&self) -> u64 {
        self.jobs.iter().map(LoadedJob::successful).sum()
    }

    /// The job that failed as a whole or was aborted, as an error.
    pub fn failure(&self) -> Option<Error> {
        self.jobs.iter().find_map(|j| j.info.failure())
    }
}

/// One of an ingest job's result files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResultKind {
    /// `successfulResults`: `sf__Id`, `sf__Created`, then the row.
    Successful,
    /// `failedResults`: `sf__Id`, `sf__Error`, then the row.
    Failed,
    /// `unprocessedrecords`: the rows as sent.
    Unprocessed,
}

impl ResultKind {
    fn path(self) -> &'static str {
        match self {
            ResultKind::Successful => "successfulResults",
            ResultKind::Failed => "failedResults",
            ResultKind::Unprocessed => "unprocessedrecords",
        }
    }
}

/// A row Salesforce applied.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BulkSuccess {
    /// The record's id.
    pub id: String,
    /// Created (rather than updated or deleted).
    pub created: bool,
    /// The row as sent.
    pub row: Record,
}

/// A row Salesforce refused.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BulkFailure {
    /// The record's id, when the row named one (never for a failed insert).
    pub id: Option<String>,
    /// Why, parsed from `sf__Error`.
    pub errors: Vec<ApiErrorEntry>,
    /// The row as sent.
    pub row: Record,
}

impl BulkFailure {
    /// A `failedResults` row (`sf__Id`, `sf__Error`, then the row's cells) under its header.
    pub fn from_row(header: &[String], row: &csv::ByteRecord) -> Self {
        let mut row = to_record(header, row);
        let mut take = |k: &str| match row.shift_remove(k) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let id = take("sf__Id");
        let errors = parse_sf_error(&take("sf__Error").unwrap_or_default());
        BulkFailure { id, errors, row }
    }
}

/// Every row's outcome of a load, held in memory: for loads small enough to hold.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct IngestResults {
    /// The jobs the load ran (one unless it passed [`UPLOAD_LIMIT`]).
    pub jobs: Vec<JobInfo>,
    /// Rows applied.
    pub successful: Vec<BulkSuccess>,
    /// Rows refused.
    pub failed: Vec<BulkFailure>,
    /// Rows Salesforce did not get to.
    pub unprocessed: Vec<Record>,
}

impl Bulk {
    /// Loads `csv` into `object`: one job per upload, each streamed from its source, closed and
    /// waited for. Returns when every job is finished, or at the first that failed as a whole
    /// (see [`Load::failure`]); read the rows' outcomes with [`Self::result_rows`].
    pub async fn load(
        &self,
        object: &str,
        operation: &BulkOperation,
        csv: &CsvUpload,
    ) -> Result<Load, Error> {
        let total = csv.rows;
        let mut load = Load {
            jobs: Vec::new(),
            columns: csv.columns.clone(),
        };
        let (mut sent, mut processed) = (0u64, 0u64);
        for &part in &csv.parts {
            let job = self.create_ingest(object, operation, csv.crlf).await?;
            let observer = self.observer.clone();
            let progress: Progress = Arc::new(move |rows| {
                if let Some(f) = &observer {
                    f(&LoadProgress::Uploaded { rows, total });
                }
            });
            let source = csv.clone();
            let before = sent;
            let mut upload = Req::new(Method::PUT, data(&["jobs", "ingest", &job.id, "batches"]));
            upload.upload = Some(Upload {
                content_type: "text/csv",
                length: Some(csv.header.len() as u64 + (part.end - part.start)),
                make: Arc::new(move || Ok(source.body(part, before, progress.clone()))),
            });
            if let Err(e) = self.client.send(&upload).await {
                // Leave no open job behind.
                let _ = self.set_state("ingest", &job.id, "Aborted").await;
                return Err(e);
            }
            sent += part.rows;
            // The last row may have no line break, which the count as it went could not see.
            self.notify(&LoadProgress::Uploaded { rows: sent, total });
            self.set_state("ingest", &job.id, "UploadComplete").await?;
            let on_status = |info: &JobInfo| {
                self.notify(&LoadProgress::Status {
                    job: info.id.clone(),
                    state: info.state.clone(),
                    processed: processed + info.number_records_processed,
                    total,
                });
            };
            let info = self
                .wait("ingest", &job.id, Some(part.rows), &on_status)
                .await?;
            processed += info.number_records_processed;
            let failed = info.failure().is_some();
            load.jobs.push(LoadedJob {
                info,
                rows: part.rows,
            });
            if failed {
                break;
            }
        }
        Ok(load)
    }

    async fn create_ingest(
        &self,
        object: &str,
        operation: &BulkOperation,
        crlf: bool,
    ) -> Result<JobInfo, Error> {
        let mut body = json!({
            "object": object,
            "operation": operation.name(),
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": if crlf { "CRLF" } else { "LF" },
        });
        if let (BulkOperation::Upsert { external_id }, Value::Object(m)) = (operation, &mut body) {
            m.insert("externalIdFieldName".into(), json!(external_id));
        }
        self.client
            .send_json(
                &Req::new(Method::POST, data(&["jobs", "ingest"])).json(&body)?,
                "create bulk ingest job",
            )
            .await
    }

    /// One result file of a finished ingest job, read a row at a time as it arrives.
    pub async fn result_rows(&self, job: &str, kind: ResultKind) -> Result<CsvRows, Error> {
        let answer = self
            .client
            .send_streamed(&Req::get(&["jobs", "ingest", job, kind.path()]))
            .await?;
        CsvRows::open(answer, b',').await
    }

    /// Loads CSV held in memory and returns every row's outcome, held in memory too; a job that
    /// fails as a whole is an [`Error::Bulk`]. For large files, [`Self::load`] a
    /// [`CsvUpload::scan`] and stream [`Self::result_rows`].
    pub async fn ingest_csv(
        &self,
        object: &str,
        operation: BulkOperation,
        csv: &[u8],
    ) -> Result<IngestResults, Error> {
        let upload = CsvUpload::from_bytes(Bytes::copy_from_slice(csv))?;
        let load = self.load(object, &operation, &upload).await?;
        if let Some(e) = load.failure() {
            return Err(e);
        }
        let mut out = IngestResults::default();
        for job in load.jobs {
            self.collect(&job.info.id, &mut out).await?;
            out.jobs.push(job.info);
        }
        Ok(out)
    }

    /// Loads records (maps of field API names to values) as CSV: `null` clears a field
    /// (`#N/A`), a field a record lacks is left alone.
    pub async fn ingest_records(
        &self,
        object: &str,
        operation: BulkOperation,
        records: &[Record],
    ) -> Result<IngestResults, Error> {
        self.ingest_csv(object, operation, &to_csv(records)?).await
    }

    /// Reads a finished ingest job's three result files into `out`.
    async fn collect(&self, id: &str, out: &mut IngestResults) -> Result<(), Error> {
        for kind in [
            ResultKind::Successful,
            ResultKind::Failed,
            ResultKind::Unprocessed,
        ] {
            let mut rows = self.result_rows(id, kind).await?;
            let header = header_names(rows.header());
            while let Some(row) = rows.next().await? {
                match kind {
                    ResultKind::Successful => {
                        let mut row = to_record(&header, &row);
                        let mut take = |k: &str| match row.shift_remove(k) {
                            Some(Value::String(s)) => Some(s),
                            _ => None,
                        };
                        let id = take("sf__Id").unwrap_or_default();
                        let created = take("sf__Created").is_some_and(|c| c == "true");
                        out.successful.push(BulkSuccess { id, created, row });
                    }
                    ResultKind::Failed => out.failed.push(BulkFailure::from_row(&header, &row)),
                    ResultKind::Unprocessed => out.unprocessed.push(to_record(&header, &row)),
                }
            }
        }
        Ok(())
    }
}

/// Records as CSV: the header is every field in order of first appearance.
fn to_csv(records: &[Record]) -> Result<Vec<u8>, Error> {
    let mut header: Vec<&str> = Vec::new();
    for r in records {
        for k in r.keys() {
            if k != "attributes" && !header.contains(&k.as_str()) {
                header.push(k);
            }
        }
    }
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Config(format!("writing CSV: {e}"));
    w.write_record(&header).map_err(fail)?;
    for r in records {
        let row = header.iter().map(|k| match r.get(*k) {
            None => String::new(),
            Some(Value::Null) => "#N/A".to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        });
        w.write_record(row).map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| Error::Config(format!("writing CSV: {e}")))
}

/// `CODE:message:fields --` entries (several may follow one another) as error entries.
pub(crate) fn parse_sf_error(text: &str) -> Vec<ApiErrorEntry> {
    text.split(" --")
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (code, rest) = part.split_once(':').unwrap_or(("UNKNOWN_EXCEPTION", part));
            // The fields come after the last colon; the message may hold colons itself.
            let (message, fields) = rest.rsplit_once(':').unwrap_or((rest, ""));
            ApiErrorEntry {
                message: message.to_owned(),
                error_code: code.to_owned(),
                fields: fields
                    .split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sf_errors_parse_with_colons_in_messages() {
        let e =
            parse_sf_error("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].error_code, "REQUIRED_FIELD_MISSING");
        assert_eq!(e[0].message, "Required fields are missing: [Name]");
        assert_eq!(e[0].fields, ["Name"]);
        let two = parse_sf_error("A:one:F1,F2 -- B:two: --");
        assert_eq!(two.len(), 2);
        assert_eq!(two[0].fields, ["F1", "F2"]);
        assert_eq!(two[1].error_code, "B");
        assert!(two[1].fields.is_empty());
    }

    /// The parts of an upload as the org would receive them: header, then the part's bytes.
    fn uploads(u: &CsvUpload) -> Vec<Vec<u8>> {
        let Source::Memory(all) = &u.source else {
            panic!("in memory")
        };
        u.parts
            .iter()
            .map(|p| {
                let mut body = u.header.to_vec();
                body.extend_from_slice(&all[p.start as usize..p.end as usize]);
                body
            })
            .collect()
    }

    #[test]
    fn big_csv_splits_at_rows_and_keeps_the_header() {
        let mut csv = String::from("Name,Description\n");
        for i in 0..100 {
            csv.push_str(&format!("N{i},\"line one\nline two, {i}\"\n"));
        }
        let u = CsvUpload::from_bytes_with_limit(csv.clone(), 300).unwrap();
        assert!(u.jobs() > 1);
        assert_eq!(u.rows(), 100);
        assert_eq!(u.columns(), ["Name", "Description"]);
        let mut names = Vec::new();
        let mut rows = 0;
        for body in uploads(&u) {
            assert!(body.len() <= 300, "{} bytes", body.len());
            let mut r = csv::Reader::from_reader(body.as_slice());
            assert_eq!(r.headers().unwrap(), vec!["Name", "Description"]);
            for rec in r.records() {
                names.push(rec.unwrap()[0].to_owned());
                rows += 1;
            }
        }
        let expected: Vec<String> = (0..100).map(|i| format!("N{i}")).collect();
        assert_eq!(names, expected);
        assert_eq!(rows, u.parts.iter().map(|p| p.rows).sum::<u64>());
        assert_eq!(CsvUpload::from_bytes("A\n1\n").unwrap().jobs(), 1);
    }

    #[test]
    fn scanning_finds_line_endings_and_refuses_what_cannot_load() {
        let u = CsvUpload::from_bytes("\u{feff}Name,Phone\r\nA,1\r\n\r\nB,2").unwrap();
        assert!(u.crlf);
        assert_eq!(u.rows(), 2);
        assert_eq!(u.columns(), ["Name", "Phone"]);
        let u = CsvUpload::from_bytes("Name\nA\n").unwrap();
        assert!(!u.crlf);
        for (bad, why) in [
            ("", "empty"),
            ("Name\n", "no rows"),
            ("Name", "no rows"),
            ("Name\n\"A\n", "never closed"),
        ] {
            let e = CsvUpload::from_bytes(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let e = CsvUpload::from_bytes_with_limit(format!("Name\n{}\n", "x".repeat(50)), 20)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn records_become_csv_with_nulls_as_na() {
        let mut a = Record::new();
        a.insert("Name".into(), json!("Acme, Inc."));
        a.insert("NumberOfEmployees".into(), json!(12));
        let mut b = Record::new();
        b.insert("Name".into(), json!("Other"));
        b.insert("Phone".into(), Value::Null);
        let text = String::from_utf8(to_csv(&[a, b]).unwrap()).unwrap();
        assert_eq!(
            text,
            "Name,NumberOfEmployees,Phone\n\"Acme, Inc.\",12,\nOther,,#N/A\n"
        );
    }
}
