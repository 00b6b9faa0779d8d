//! Bulk API 2.0: load records in ingest jobs and read large query results as CSV.
//!
//! What users of other clients trip on, and what this does instead:
//! - **Memory stays flat** whatever the size. A load is streamed from its file
//!   ([`CsvUpload::scan`] reads it once, a buffer at a time, to count its rows and find where
//!   it splits); result files ([`Bulk::result_rows`]) and query results ([`Bulk::query_rows`])
//!   are parsed as they arrive, a chunk at a time, never held whole.
//! - **One load is one job** unless the file passes [`UPLOAD_LIMIT`] bytes (Salesforce takes
//!   150 MB per upload after base64 encoding, about 100 MB of CSV): only then is it split, at
//!   row boundaries, each part keeping the header.
//! - **Done when the job is**: the status is polled at a short interval that grows to a cap
//!   ([`Bulk::max_poll_interval`]); once Salesforce reports rows processed, the next check is
//!   timed for when the job should end at that rate, so a long job costs a handful of calls
//!   and is seen finished within about a poll interval.
//! - **Failed rows are never hidden**: results carry Salesforce's code, message and fields
//!   parsed from `sf__Error`, and the rows Salesforce did not process; a job that fails as a
//!   whole is an [`Error::Bulk`] with its message.
//!
//! Every request goes through the client's transport (limiter, budget, retries, re-auth); an
//! upload is re-read from its file if it has to be sent again. CSV cells of [`Record`]s come
//! back as strings; an empty cell is `null` (Salesforce stores no empty strings).

mod ingest;
mod query;
mod rows;
mod upload;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::client::{Client, Req, data};
use crate::error::Error;
use crate::sobjects::Record;

pub use ingest::{
    BulkFailure, BulkSuccess, IngestResults, Load, LoadProgress, LoadedJob, ResultKind,
};
pub use query::QueryRows;
pub use rows::CsvRows;
pub use upload::{CsvUpload, UPLOAD_LIMIT};

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

impl JobInfo {
    /// True once nothing about the job changes any more.
    pub fn is_finished(&self) -> bool {
        matches!(self.state.as_str(), "JobComplete" | "Failed" | "Aborted")
    }

    /// The job as an [`Error::Bulk`] when it ended other than `JobComplete`.
    pub fn failure(&self) -> Option<Error> {
        (self.is_finished() && self.state != "JobComplete").then(|| Error::Bulk {
            job: self.id.clone(),
            state: self.state.clone(),
            message: self
                .error_message
                .clone()
                .unwrap_or_else(|| "no reason given".into()),
        })
    }
}

type Observer = Arc<dyn Fn(&LoadProgress) + Send + Sync>;

/// The Bulk API 2.0 handler: [`Client::bulk`].
#[derive(Clone)]
pub struct Bulk {
    client: Client,
    poll: Duration,
    max_poll: Duration,
    timeout: Duration,
    page: usize,
    observer: Option<Observer>,
}

impl std::fmt::Debug for Bulk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bulk")
            .field("poll", &self.poll)
            .field("max_poll", &self.max_poll)
            .field("timeout", &self.timeout)
            .field("page", &self.page)
            .field("observer", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Bulk API 2.0 loads and queries.
    pub fn bulk(&self) -> Bulk {
        Bulk {
            client: self.clone(),
            poll: Duration::from_millis(150),
            max_poll: Duration::from_secs(1),
            timeout: Duration::from_secs(60 * 60),
            page: QUERY_PAGE,
            observer: None,
        }
    }
}

/// The longest wait between status checks when the job's own pace says it has that long to go:
/// rates change (a slow chunk, a busy org), so even a long job is looked at now and then.
const MAX_PREDICTED_WAIT: Duration = Duration::from_secs(10);

impl Bulk {
    /// The first wait between job status checks (default 150 ms); it doubles up to
    /// [`Self::max_poll_interval`].
    pub fn poll_interval(mut self, d: Duration) -> Self {
        self.poll = d;
        self.max_poll = self.max_poll.max(d);
        self
    }

    /// The longest wait between status checks while the job's pace is unknown (default 1 s).
    pub fn max_poll_interval(mut self, d: Duration) -> Self {
        self.max_poll = d.max(self.poll);
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

    /// Called as a load goes: rows uploaded, each status check's state and rows processed.
    /// It runs on the task doing the load: keep it quick (update a progress bar).
    pub fn on_progress(mut self, f: impl Fn(&LoadProgress) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(f));
        self
    }

    fn notify(&self, p: &LoadProgress) {
        if let Some(f) = &self.observer {
            f(p);
        }
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

    /// Polls a job until it is finished. `rows`, when known, is how many rows the job has: with
    /// Salesforce's count of rows processed so far it says when the job should end.
    async fn wait(
        &self,
        kind: &str,
        id: &str,
        rows: Option<u64>,
        on_status: &(dyn Fn(&JobInfo) + Send + Sync),
    ) -> Result<JobInfo, Error> {
        let started = Instant::now();
        let mut pace = Pace::new(self.poll, self.max_poll, rows);
        loop {
            tokio::time::sleep(pace.next_wait()).await;
            let info: JobInfo = self
                .client
                .send_json(&Req::get(&["jobs", kind, id]), "bulk job status")
                .await?;
            on_status(&info);
            if info.is_finished() {
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
            pace.saw(started.elapsed(), info.number_records_processed);
        }
    }
}

/// When to check a job next.
///
/// Without a pace (no rows processed yet, or the job's size unknown) the wait doubles from the
/// first interval up to the cap: a small job is seen done at once, a long one costs a check per
/// cap. Once two checks have found rows processed, the rate between them says when the rest will
/// be done: the next check is then, slightly early (a little before is one more short check, a
/// little after is time lost), up to [`MAX_PREDICTED_WAIT`]. So a long job costs a handful of
/// checks and is seen finished within about one first interval of its end.
#[derive(Debug)]
struct Pace {
    first: Duration,
    delay: Duration,
    max: Duration,
    rows: Option<u64>,
    /// The first check that found rows processed: when, and how many.
    first_seen: Option<(Duration, u64)>,
    /// The wait before the next check.
    next: Duration,
}

impl Pace {
    fn new(first: Duration, max: Duration, rows: Option<u64>) -> Self {
        Pace {
            first,
            delay: first,
            max,
            rows,
            first_seen: None,
            next: first,
        }
    }

    fn next_wait(&self) -> Duration {
        self.next
    }

    /// A check `elapsed` after the job was closed found `processed` rows done.
    fn saw(&mut self, elapsed: Duration, processed: u64) {
        self.delay = (self.delay * 2).min(self.max);
        self.next = self.delay;
        let Some(rows) = self.rows.filter(|r| *r > 0) else {
            return;
        };
        if processed == 0 {
            return;
        }
        if processed >= rows {
            // Every row is done: only the job's closing remains.
            self.next = self.first;
            return;
        }
        let to_do = (rows - processed) as f64;
        match self.first_seen {
            None => {
                // One count says little about the pace: the time before it includes the job's
                // start (reading the whole upload), so the rate it gives is too slow. It may
                // only bring the next check closer.
                self.first_seen = Some((elapsed, processed));
                let left = elapsed.as_secs_f64() * to_do / processed as f64;
                self.next = self.aim(left).min(self.max);
            }
            Some((t0, p0)) if processed > p0 && elapsed > t0 => {
                let left = (elapsed - t0).as_secs_f64() * to_do / (processed - p0) as f64;
                self.next = self.aim(left);
                // Past the predicted end the job is late: check often again.
                self.delay = self.first;
            }
            // No progress since the first count: keep doubling.
            Some(_) => {}
        }
    }

    /// When `left` seconds of work remain: a little early (rates drift, and one more short
    /// check costs less than a late one), within bounds.
    fn aim(&self, left: f64) -> Duration {
        Duration::from_secs_f64(left * 0.9)
            .min(MAX_PREDICTED_WAIT)
            .max(self.first)
    }
}

/// The columns of a CSV header, as text.
fn header_names(header: &csv::ByteRecord) -> Vec<String> {
    header
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect()
}

/// A CSV row under its header as a record; an empty cell is `null`.
fn to_record(header: &[String], row: &csv::ByteRecord) -> Record {
    let mut rec = Record::with_capacity(header.len());
    for (k, v) in header.iter().zip(row.iter()) {
        let value = if v.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::Value::String(String::from_utf8_lossy(v).into_owned())
        };
        rec.insert(k.clone(), value);
    }
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn unknown_pace_doubles_to_the_cap() {
        let mut p = Pace::new(ms(100), ms(1000), None);
        let mut waits = vec![p.next_wait()];
        for i in 1..7 {
            p.saw(ms(i * 100), 0);
            waits.push(p.next_wait());
        }
        assert_eq!(
            waits,
            [
                ms(100),
                ms(200),
                ms(400),
                ms(800),
                ms(1000),
                ms(1000),
                ms(1000)
            ]
        );
    }

    #[test]
    fn a_known_pace_times_the_next_check_for_the_end() {
        let mut p = Pace::new(ms(100), ms(1000), Some(100_000));
        p.saw(ms(100), 0);
        assert_eq!(p.next_wait(), ms(200));
        // A first count (10,000 rows after 0.3 s) brings the next check no later than the cap.
        p.saw(ms(300), 10_000);
        assert_eq!(p.next_wait(), ms(1000));
        // A second: 40,000 rows a second since the first, 50,000 to go: 1.25 s, aimed at 90%.
        p.saw(ms(1300), 50_000);
        assert_eq!(p.next_wait().as_millis(), 1125);
        // Not quite there: the rest, at the same pace.
        p.saw(ms(2425), 90_000);
        assert_eq!(p.next_wait().as_millis(), 239);
        // Every row processed: only the closing is left.
        p.saw(ms(2664), 100_000);
        assert_eq!(p.next_wait(), ms(100));
        // No progress between counts: back to doubling.
        let mut stuck = Pace::new(ms(100), ms(1000), Some(100_000));
        stuck.saw(ms(100), 10_000);
        stuck.saw(ms(200), 10_000);
        assert_eq!(stuck.next_wait(), ms(400));
        // A very slow job is still looked at within the longest predicted wait.
        let mut slow = Pace::new(ms(100), ms(1000), Some(1_000_000));
        slow.saw(ms(1000), 10);
        slow.saw(ms(2000), 20);
        assert_eq!(slow.next_wait(), MAX_PREDICTED_WAIT);
    }
}
