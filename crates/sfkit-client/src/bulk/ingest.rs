//! Ingest jobs: a [`CsvUpload`] loaded in one job (or more past its upload limit), each waited
//! for, and their result files read a row at a time.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::Method;
use serde_json::{Value, json};

use super::rows::CsvRows;
use super::upload::{CsvUpload, Progress};
use super::{Bulk, BulkOperation, JobInfo, header_names, to_record};
use crate::client::{Req, Upload, data};
use crate::error::{ApiErrorEntry, Error};
use crate::sobjects::Record;

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
    /// The jobs the load ran (one unless it passed [`UPLOAD_LIMIT`](super::UPLOAD_LIMIT)).
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
    ///
    /// ```no_run
    /// # async fn run(client: sfkit_client::Client) -> Result<(), sfkit_client::Error> {
    /// use sfkit_client::{BulkFailure, BulkOperation, CsvUpload, ResultKind};
    ///
    /// let bulk = client.bulk();
    /// // Scanned once for its rows, then streamed from the file, split past Salesforce's limit.
    /// let csv = CsvUpload::scan("accounts.csv")?;
    /// let load = bulk.load("Account", &BulkOperation::Insert, &csv).await?;
    /// if let Some(e) = load.failure() {
    ///     return Err(e);
    /// }
    /// println!("{} rows saved, {} refused", load.successful(), load.failed());
    /// for job in &load.jobs {
    ///     let mut failed = bulk.result_rows(&job.info.id, ResultKind::Failed).await?;
    ///     let header: Vec<String> = failed
    ///         .header()
    ///         .iter()
    ///         .map(|h| String::from_utf8_lossy(h).into_owned())
    ///         .collect();
    ///     while let Some(row) = failed.next().await? {
    ///         let failure = BulkFailure::from_row(&header, &row);
    ///         println!("{:?}: {:?}", failure.row.get("Name"), failure.errors);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
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
