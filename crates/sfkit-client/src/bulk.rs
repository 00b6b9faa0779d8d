//! Bulk API 2.0: load records in ingest jobs and read large query results as CSV pages.
//!
//! What users of other clients trip on, and what this does instead:
//! - **One load is one job** unless the data passes [`UPLOAD_LIMIT`] bytes (Salesforce takes
//!   150 MB per upload): only then is it split, at row boundaries, each part keeping the header.
//! - **Failed rows are never hidden**: a load returns every row's outcome, the failures with
//!   Salesforce's code, message and fields parsed from `sf__Error`, and the rows Salesforce did
//!   not process; a job that fails as a whole is an [`Error::Bulk`] with its message.
//! - **Memory stays flat** on queries: [`Bulk::query`] streams records a result page at a time
//!   (`maxRecords` per page), following `Sforce-Locator` until it says `null`.
//!
//! Every request goes through the client's transport (limiter, budget, retries, re-auth).
//! CSV cells come back as strings; an empty cell is `null` (Salesforce stores no empty strings).

use std::time::{Duration, Instant};

use futures_util::stream::{self, Stream};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::client::{Client, Req, data};
use crate::error::{ApiErrorEntry, Error};
use crate::sobjects::Record;

/// Bytes of CSV per ingest job upload before a load is split into more jobs.
pub const UPLOAD_LIMIT: usize = 100 * 1024 * 1024;
/// Records per query-result page unless told otherwise.
pub const QUERY_PAGE: usize = 50_000;

/// What an ingest job does to each row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkOperation {
    /// Create records.
    Insert,
    /// Update records by their `Id` column.
    Update,
    /// Create or update by this external id field (or `Id`).
    Upsert {
        /// The external id field's API name.
        external_id: String,
    },
    /// Delete by `Id` (to the recycle bin).
    Delete,
    /// Delete by `Id`, skipping the recycle bin (needs the Bulk API Hard Delete permission).
    HardDelete,
}

impl BulkOperation {
    fn name(&self) -> &'static str {
        match self {
            BulkOperation::Insert => "insert",
            BulkOperation::Update => "update",
            BulkOperation::Upsert { .. } => "upsert",
            BulkOperation::Delete => "delete",
            BulkOperation::HardDelete => "hardDelete",
        }
    }
}

/// A job as Salesforce describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobInfo {
    /// The job id (`750...`).
    pub id: String,
    /// `Open`, `UploadComplete`, `InProgress`, `JobComplete`, `Failed` or `Aborted`.
    pub state: String,
    /// The sObject type.
    #[serde(default)]
    pub object: String,
    /// `insert`, `query`, ...
    #[serde(default)]
    pub operation: String,
    /// Rows processed so far.
    #[serde(default)]
    pub number_records_processed: u64,
    /// Rows that failed (ingest jobs).
    #[serde(default)]
    pub number_records_failed: u64,
    /// Why a failed job failed.
    #[serde(default)]
    pub error_message: Option<String>,
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

/// Every row's outcome of a load.
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

/// The Bulk API 2.0 handler: [`Client::bulk`].
#[derive(Debug, Clone)]
pub struct Bulk {
    client: Client,
    poll: Duration,
    timeout: Duration,
    page: usize,
}

impl Client {
    /// Bulk API 2.0 loads and queries.
    pub fn bulk(&self) -> Bulk {
        Bulk {
            client: self.clone(),
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(60 * 60),
            page: QUERY_PAGE,
        }
    }
}

/// Job states after which nothing changes.
fn finished(state: &str) -> bool {
    matches!(state, "JobComplete" | "Failed" | "Aborted")
}

impl Bulk {
    /// The first wait between job status checks (it doubles up to 10 s; default 500 ms).
    pub fn poll_interval(mut self, d: Duration) -> Self {
        self.poll = d;
        self
    }

    /// How long to wait for a job before giving up (default one hour).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Query-result records per page (default [`QUERY_PAGE`]).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page = n.max(1);
        self
    }

    /// Loads CSV (a header row of field API names, then rows) into `object`; waits for the
    /// jobs and returns every row's outcome.
    pub async fn ingest_csv(
        &self,
        object: &str,
        operation: BulkOperation,
        csv: &[u8],
    ) -> Result<IngestResults, Error> {
        let mut results = IngestResults::default();
        for part in split(csv, UPLOAD_LIMIT)? {
            let job = self.run_ingest(object, &operation, part).await?;
            self.collect(&job.id, &mut results).await?;
            results.jobs.push(job);
        }
        Ok(results)
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

    async fn run_ingest(
        &self,
        object: &str,
        operation: &BulkOperation,
        csv: Vec<u8>,
    ) -> Result<JobInfo, Error> {
        let mut body = json!({
            "object": object,
            "operation": operation.name(),
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        });
        if let (BulkOperation::Upsert { external_id }, Value::Object(m)) = (operation, &mut body) {
            m.insert("externalIdFieldName".into(), json!(external_id));
        }
        let job: JobInfo = self
            .client
            .send_json(
                &Req::new(Method::POST, data(&["jobs", "ingest"])).json(&body)?,
                "create bulk ingest job",
            )
            .await?;
        let mut upload = Req::new(Method::PUT, data(&["jobs", "ingest", &job.id, "batches"]));
        upload.body = Some((csv, "text/csv"));
        if let Err(e) = self.client.send(&upload).await {
            // Leave no open job behind.
            let _ = self.set_state("ingest", &job.id, "Aborted").await;
            return Err(e);
        }
        self.set_state("ingest", &job.id, "UploadComplete").await?;
        let done = self.wait("ingest", &job.id).await?;
        if done.state != "JobComplete" {
            return Err(Error::Bulk {
                job: done.id.clone(),
                state: done.state.clone(),
                message: done
                    .error_message
                    .clone()
                    .unwrap_or_else(|| "no reason given".into()),
            });
        }
        Ok(done)
    }

    async fn set_state(&self, kind: &str, id: &str, state: &str) -> Result<JobInfo, Error> {
        self.client
            .send_json(
                &Req::new(Method::PATCH, data(&["jobs", kind, id]))
                    .json(&json!({"state": state}))?,
                "change bulk job state",
            )
            .await
    }

    /// Polls a job until it is finished, waiting longer each time (up to 10 s).
    async fn wait(&self, kind: &str, id: &str) -> Result<JobInfo, Error> {
        let started = Instant::now();
        let mut delay = self.poll;
        loop {
            let info: JobInfo = self
                .client
                .send_json(&Req::get(&["jobs", kind, id]), "bulk job status")
                .await?;
            if finished(&info.state) {
                return Ok(info);
            }
            if started.elapsed() >= self.timeout {
                return Err(Error::Bulk {
                    job: id.to_owned(),
                    state: info.state,
                    message: format!(
                        "still running after {}s; it goes on in Salesforce: check it later by its id",
                        self.timeout.as_secs()
                    ),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }

    /// Reads a finished ingest job's three result files into `out`.
    async fn collect(&self, id: &str, out: &mut IngestResults) -> Result<(), Error> {
        for (file, rows) in [
            (
                "successfulResults",
                self.result_file(id, "successfulResults").await?,
            ),
            (
                "failedResults",
                self.result_file(id, "failedResults").await?,
            ),
            (
                "unprocessedrecords",
                self.result_file(id, "unprocessedrecords").await?,
            ),
        ] {
            for mut row in rows {
                let mut take = |k: &str| match row.shift_remove(k) {
                    Some(Value::String(s)) => Some(s),
                    _ => None,
                };
                match file {
                    "successfulResults" => {
                        let id = take("sf__Id").unwrap_or_default();
                        let created = take("sf__Created").is_some_and(|c| c == "true");
                        out.successful.push(BulkSuccess { id, created, row });
                    }
                    "failedResults" => {
                        let id = take("sf__Id");
                        let errors = parse_sf_error(&take("sf__Error").unwrap_or_default());
                        out.failed.push(BulkFailure { id, errors, row });
                    }
                    _ => out.unprocessed.push(row),
                }
            }
        }
        Ok(())
    }

    async fn result_file(&self, id: &str, file: &str) -> Result<Vec<Record>, Error> {
        let answer = self
            .client
            .send(&Req::get(&["jobs", "ingest", id, file]))
            .await?;
        parse_csv(&answer.body, file)
    }

    /// Runs a Bulk query and streams its records, a result page at a time.
    pub fn query(&self, soql: &str) -> impl Stream<Item = Result<Record, Error>> + Send + 'static {
        self.query_op(soql, "query")
    }

    /// [`Self::query`] including deleted and archived records.
    pub fn query_all(
        &self,
        soql: &str,
    ) -> impl Stream<Item = Result<Record, Error>> + Send + 'static {
        self.query_op(soql, "queryAll")
    }

    fn query_op(
        &self,
        soql: &str,
        operation: &'static str,
    ) -> impl Stream<Item = Result<Record, Error>> + Send + 'static {
        struct St {
            bulk: Bulk,
            soql: String,
            job: Option<String>,
            /// `None` before the first page; `Some(None)` after the last.
            locator: Option<Option<String>>,
            ready: std::collections::VecDeque<Record>,
        }
        let st = St {
            bulk: self.clone(),
            soql: soql.to_owned(),
            job: None,
            locator: None,
            ready: Default::default(),
        };
        stream::try_unfold(st, move |mut st| async move {
            loop {
                if let Some(r) = st.ready.pop_front() {
                    return Ok(Some((r, st)));
                }
                if matches!(st.locator, Some(None)) {
                    return Ok(None);
                }
                let job = match &st.job {
                    Some(j) => j.clone(),
                    None => {
                        let body = json!({"operation": operation, "query": st.soql,
                            "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"});
                        let info: JobInfo = st
                            .bulk
                            .client
                            .send_json(
                                &Req::new(Method::POST, data(&["jobs", "query"])).json(&body)?,
                                "create bulk query job",
                            )
                            .await?;
                        let done = st.bulk.wait("query", &info.id).await?;
                        if done.state != "JobComplete" {
                            return Err(Error::Bulk {
                                job: done.id,
                                state: done.state,
                                message: done
                                    .error_message
                                    .unwrap_or_else(|| "no reason given".into()),
                            });
                        }
                        st.job = Some(info.id.clone());
                        info.id
                    }
                };
                let mut req = Req::get(&["jobs", "query", &job, "results"])
                    .query("maxRecords", st.bulk.page.to_string());
                if let Some(Some(l)) = &st.locator {
                    req = req.query("locator", l.clone());
                }
                let answer = st.bulk.client.send(&req).await?;
                let next = answer.locator.filter(|l| !l.is_empty() && l != "null");
                st.locator = Some(next);
                st.ready
                    .extend(parse_csv(&answer.body, "bulk query results")?);
            }
        })
    }
}

/// Splits CSV into parts of at most `limit` bytes at row boundaries, each with the header.
fn split(csv: &[u8], limit: usize) -> Result<Vec<Vec<u8>>, Error> {
    if csv.len() <= limit {
        return Ok(vec![csv.to_vec()]);
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv);
    let header = reader
        .byte_headers()
        .map_err(|e| Error::Config(format!("the CSV header cannot be read: {e}")))?
        .clone();
    // Sizes are counted as written (each cell at worst quoted, plus its separator): the
    // writer buffers, so its output cannot be measured as it goes.
    let measure = |r: &csv::ByteRecord| -> usize { r.iter().map(|c| c.len() * 2 + 3).sum() };
    let header_size = measure(&header);
    let mut parts = Vec::new();
    let mut writer = new_writer(&header)?;
    let mut rows_in_part = 0usize;
    let mut part_size = header_size;
    for row in reader.byte_records() {
        let row = row.map_err(|e| Error::Config(format!("the CSV cannot be read: {e}")))?;
        let size = measure(&row);
        if rows_in_part > 0 && part_size + size > limit {
            parts.push(finish_writer(writer)?);
            writer = new_writer(&header)?;
            rows_in_part = 0;
            part_size = header_size;
        }
        part_size += size;
        writer
            .write_byte_record(&row)
            .map_err(|e| Error::Config(format!("writing CSV: {e}")))?;
        rows_in_part += 1;
    }
    if rows_in_part > 0 {
        parts.push(finish_writer(writer)?);
    }
    Ok(parts)
}

fn new_writer(header: &csv::ByteRecord) -> Result<csv::Writer<Vec<u8>>, Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_byte_record(header)
        .map_err(|e| Error::Config(format!("writing CSV: {e}")))?;
    Ok(w)
}

fn finish_writer(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, Error> {
    w.into_inner()
        .map_err(|e| Error::Config(format!("writing CSV: {e}")))
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
    finish_writer(w)
}

/// CSV with a header row as records; an empty cell is `null`.
fn parse_csv(body: &[u8], context: &str) -> Result<Vec<Record>, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body);
    let bad = |e: csv::Error| Error::Decode {
        context: context.to_owned(),
        message: format!("not CSV: {e}"),
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(bad)?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(bad)?;
        let mut rec = Map::with_capacity(header.len());
        for (k, v) in header.iter().zip(row.iter()) {
            let value = if v.is_empty() {
                Value::Null
            } else {
                Value::String(v.to_owned())
            };
            rec.insert(k.clone(), value);
        }
        out.push(rec);
    }
    Ok(out)
}

/// `CODE:message:fields --` entries (several may follow one another) as error entries.
fn parse_sf_error(text: &str) -> Vec<ApiErrorEntry> {
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

    #[test]
    fn big_csv_splits_at_rows_and_keeps_the_header() {
        let mut csv = String::from("Name,Description\n");
        for i in 0..100 {
            csv.push_str(&format!("N{i},\"line one\nline two, {i}\"\n"));
        }
        let parts = split(csv.as_bytes(), 300).unwrap();
        assert!(parts.len() > 1);
        let mut names = Vec::new();
        for p in &parts {
            assert!(p.len() <= 300, "{} bytes", p.len());
            let recs = parse_csv(p, "t").unwrap();
            names.extend(recs.into_iter().map(|r| r["Name"].clone()));
        }
        let expected: Vec<Value> = (0..100).map(|i| json!(format!("N{i}"))).collect();
        assert_eq!(names, expected);
        assert_eq!(split(b"A\n1\n", 300).unwrap().len(), 1);
    }

    #[test]
    fn records_become_csv_with_nulls_as_na() {
        let mut a = Map::new();
        a.insert("Name".into(), json!("Acme, Inc."));
        a.insert("NumberOfEmployees".into(), json!(12));
        let mut b = Map::new();
        b.insert("Name".into(), json!("Other"));
        b.insert("Phone".into(), Value::Null);
        let text = String::from_utf8(to_csv(&[a, b]).unwrap()).unwrap();
        assert_eq!(
            text,
            "Name,NumberOfEmployees,Phone\n\"Acme, Inc.\",12,\nOther,,#N/A\n"
        );
    }
}
