//! Bulk API 2.0 under `/services/data/vNN.N/jobs`: ingest jobs (create, one CSV upload, close or
//! abort, per-record results as CSV) and query jobs (results as CSV pages behind
//! `Sforce-Locator`, the last page saying `null`).
//!
//! An ingest job is applied when it is closed (`UploadComplete`), on a blocking thread, in
//! transactions of 10,000 records (Salesforce's internal batch size) with a savepoint per record:
//! one bad row fails alone and the others are kept, as Salesforce does. A query job runs when it
//! is created; its rows are kept as CSV cells. Jobs live in memory for the org's life (Salesforce
//! keeps them seven days), at most [`MAX_JOBS`] of them: past that the oldest finished one goes.
//! `hardDelete` deletes as `delete` does (the rows go to the recycle bin, where Salesforce would
//! skip it).
//!
//! UNVERIFIED: the error codes of job-level failures (`INVALIDJOB`, `INVALIDJOBSTATE`), the
//! header row repeated on every query-result page (jsforce parses each page on its own), the
//! default page size of query results (50,000 here, simple-salesforce's choice), and the failed
//! state of a job closed without data.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query as UrlQuery, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, put};
use base64::Engine as _;
use serde_json::{Map, Value as Json, json};
use sfkit_soql::{Expr, SelectItem};

use super::{OrgState, Session, State, answer, blocking, json_response, no_content, version};
use crate::api_error::ApiError;
use crate::store::values::format_datetime;
use crate::store::{Actor, Batch, Upserted, WriteOptions};

/// Records per transaction when a job is applied.
const CHUNK: usize = 10_000;
/// Records per savepoint within a transaction ([`apply_group`]).
const GROUP: usize = 200;
/// Largest CSV upload (Salesforce: 150 MB).
const MAX_UPLOAD: usize = 150 * 1024 * 1024;
/// Query-result rows per page when the client names no `maxRecords`.
const DEFAULT_PAGE: usize = 50_000;
/// Jobs kept at once.
const MAX_JOBS: usize = 1_000;

pub(super) fn routes() -> Router<State> {
    Router::new()
        .route(
            "/services/data/{v}/jobs/ingest",
            get(list_ingest).post(create_ingest),
        )
        .route(
            "/services/data/{v}/jobs/ingest/{id}",
            get(ingest_info).patch(patch_ingest).delete(delete_job),
        )
        .route(
            "/services/data/{v}/jobs/ingest/{id}/batches",
            put(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route(
            "/services/data/{v}/jobs/ingest/{id}/{file}",
            get(result_file),
        )
        .route(
            "/services/data/{v}/jobs/query",
            get(list_query).post(create_query),
        )
        .route(
            "/services/data/{v}/jobs/query/{id}",
            get(query_info).patch(patch_query).delete(delete_job),
        )
        .route("/services/data/{v}/jobs/query/{id}/results", get(results))
}

/// The org's jobs.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    map: Mutex<HashMap<String, Job>>,
    seq: AtomicU64,
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn next_id(&self) -> String {
        crate::ids::mint("750", self.seq.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Keeps `job`, making room first by forgetting the oldest finished jobs.
    fn add(&self, job: Job) {
        let mut jobs = self.lock();
        while jobs.len() >= MAX_JOBS {
            let oldest = jobs
                .values()
                .filter(|j| {
                    matches!(
                        j.state,
                        JobState::JobComplete | JobState::Failed | JobState::Aborted
                    )
                })
                .min_by_key(|j| (j.modstamp_ms, j.id.clone()))
                .map(|j| j.id.clone());
            match oldest {
                Some(id) => {
                    jobs.remove(&id);
                }
                None => break,
            }
        }
        jobs.insert(job.id.clone(), job);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobState {
    Open,
    UploadComplete,
    InProgress,
    JobComplete,
    Failed,
    Aborted,
}

impl JobState {
    fn name(self) -> &'static str {
        match self {
            JobState::Open => "Open",
            JobState::UploadComplete => "UploadComplete",
            JobState::InProgress => "InProgress",
            JobState::JobComplete => "JobComplete",
            JobState::Failed => "Failed",
            JobState::Aborted => "Aborted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Insert,
    Update,
    Upsert,
    Delete,
    HardDelete,
    Query,
    QueryAll,
}

impl Operation {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "insert" => Operation::Insert,
            "update" => Operation::Update,
            "upsert" => Operation::Upsert,
            "delete" => Operation::Delete,
            "hardDelete" => Operation::HardDelete,
            "query" => Operation::Query,
            "queryAll" => Operation::QueryAll,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Operation::Insert => "insert",
            Operation::Update => "update",
            Operation::Upsert => "upsert",
            Operation::Delete => "delete",
            Operation::HardDelete => "hardDelete",
            Operation::Query => "query",
            Operation::QueryAll => "queryAll",
        }
    }
}

/// CSV dialect of a job.
#[derive(Debug, Clone, Copy)]
struct Dialect {
    delimiter: u8,
    delimiter_name: &'static str,
    crlf: bool,
}

impl Dialect {
    fn from_body(body: &Map<String, Json>) -> Result<Self, ApiError> {
        let text = |k: &str| body.get(k).and_then(Json::as_str);
        let (delimiter, delimiter_name) = match text("columnDelimiter").unwrap_or("COMMA") {
            "COMMA" => (b',', "COMMA"),
            "TAB" => (b'\t', "TAB"),
            "PIPE" => (b'|', "PIPE"),
            "SEMICOLON" => (b';', "SEMICOLON"),
            "CARET" => (b'^', "CARET"),
            "BACKQUOTE" => (b'`', "BACKQUOTE"),
            other => {
                return Err(invalid_job(format!(
                    "columnDelimiter {other:?} is not one of BACKQUOTE, CARET, COMMA, PIPE, SEMICOLON, TAB"
                )));
            }
        };
        let crlf = match text("lineEnding").unwrap_or("LF") {
            "LF" => false,
            "CRLF" => true,
            other => {
                return Err(invalid_job(format!(
                    "lineEnding {other:?} is not LF or CRLF"
                )));
            }
        };
        if let Some(ct) = text("contentType").filter(|c| *c != "CSV") {
            return Err(invalid_job(format!(
                "contentType {ct:?} is not supported; use CSV"
            )));
        }
        Ok(Dialect {
            delimiter,
            delimiter_name,
            crlf,
        })
    }

    /// Rows as CSV text: a header, then every row; every cell quoted.
    fn write(&self, header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(self.delimiter)
            .quote_style(csv::QuoteStyle::Always)
            .terminator(if self.crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(Vec::new());
        // Writing to memory cannot fail.
        let _ = w.write_record(header);
        for r in rows {
            let _ = w.write_record(r);
        }
        w.into_inner().unwrap_or_default()
    }
}

#[derive(Debug)]
struct Job {
    id: String,
    operation: Operation,
    object: String,
    external_id: Option<String>,
    state: JobState,
    created_by: String,
    created_ms: i64,
    modstamp_ms: i64,
    api_version: String,
    dialect: Dialect,
    /// The uploaded CSV, until the job is applied.
    data: Option<Bytes>,
    /// Result rows: `sf__Id, sf__Created, <row>`; `sf__Id, sf__Error, <row>`; `<row>`.
    header: Vec<String>,
    successes: Vec<Vec<String>>,
    failures: Vec<Vec<String>>,
    unprocessed: Vec<Vec<String>>,
    processed: u64,
    /// Rows failed so far while the job runs (`failures` is filled when it ends).
    failed_so_far: u64,
    error_message: Option<String>,
    processing_ms: u64,
    /// Query jobs: the column names and every row.
    rows: Vec<Vec<String>>,
}

impl Job {
    fn ingest(&self) -> bool {
        !matches!(self.operation, Operation::Query | Operation::QueryAll)
    }

    fn info(&self, full: bool) -> Json {
        let mut m = json!({
            "id": self.id,
            "operation": self.operation.name(),
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": format_datetime(self.created_ms),
            "systemModstamp": format_datetime(self.modstamp_ms),
            "state": self.state.name(),
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": self.api_version.parse::<f64>().unwrap_or(0.0),
            "lineEnding": if self.dialect.crlf { "CRLF" } else { "LF" },
            "columnDelimiter": self.dialect.delimiter_name,
        });
        let Json::Object(map) = &mut m else {
            return m;
        };
        if self.ingest() {
            if let Some(ext) = &self.external_id {
                map.insert("externalIdFieldName".into(), json!(ext));
            }
            map.insert(
                "contentUrl".into(),
                json!(format!(
                    "services/data/v{}/jobs/ingest/{}/batches",
                    self.api_version, self.id
                )),
            );
            map.insert("jobType".into(), json!("V2Ingest"));
        } else {
            map.insert("jobType".into(), json!("V2Query"));
        }
        if full {
            map.insert("numberRecordsProcessed".into(), json!(self.processed));
            if self.ingest() {
                map.insert(
                    "numberRecordsFailed".into(),
                    json!((self.failures.len() as u64).max(self.failed_so_far)),
                );
                map.insert("apexProcessingTime".into(), json!(0));
                map.insert("apiActiveProcessingTime".into(), json!(self.processing_ms));
            } else {
                map.insert("isPkChunkingSupported".into(), json!(false));
            }
            map.insert("retries".into(), json!(0));
            map.insert("totalProcessingTime".into(), json!(self.processing_ms));
            if let Some(msg) = &self.error_message {
                map.insert("errorMessage".into(), json!(msg));
            }
        }
        m
    }
}

fn invalid_job(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("INVALIDJOB", message)
}

fn wrong_state(job: &Job, wanted: &str) -> ApiError {
    ApiError::bad_request(
        "INVALIDJOBSTATE",
        format!(
            "Job {} is {}; this needs it {wanted}",
            job.id,
            job.state.name()
        ),
    )
}

fn no_such_job() -> ApiError {
    ApiError::new(404, "NOT_FOUND", "The requested resource does not exist")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn body_map(body: &[u8]) -> Result<Map<String, Json>, ApiError> {
    match super::parse_body(body)? {
        Json::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request(
            "JSON_PARSER_ERROR",
            "the job definition must be a JSON object",
        )),
    }
}

/// Runs `f` on job `id` of the wanted family (ingest or query).
fn with_job<T>(
    st: &OrgState,
    id: &str,
    ingest: bool,
    f: impl FnOnce(&mut Job) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut jobs = st.bulk.lock();
    let job = jobs
        .get_mut(id)
        .filter(|j| j.ingest() == ingest)
        .ok_or_else(no_such_job)?;
    f(job)
}

// ----- ingest -----

async fn create_ingest(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    s: Session,
    body: Bytes,
) -> Response {
    let r = (|| {
        let v = version(&v)?;
        let body = body_map(&body)?;
        let text = |k: &str| body.get(k).and_then(Json::as_str);
        let operation = text("operation")
            .and_then(Operation::parse)
            .filter(|o| !matches!(o, Operation::Query | Operation::QueryAll))
            .ok_or_else(|| {
                invalid_job("operation must be one of insert, update, upsert, delete, hardDelete")
            })?;
        let object_name = text("object").ok_or_else(|| invalid_job("object is required"))?;
        let object =
            state.store.schema().get(object_name).ok_or_else(|| {
                invalid_job(format!("sObject type '{object_name}' is not supported"))
            })?;
        let external_id = match (operation, text("externalIdFieldName")) {
            (Operation::Upsert, Some(f)) => {
                let field = object.field(f).filter(|x| x.external_id || x.name == "Id");
                Some(
                    field
                        .ok_or_else(|| {
                            invalid_job(format!(
                                "{f} is not an external id field of {}",
                                object.name
                            ))
                        })?
                        .name
                        .clone(),
                )
            }
            (Operation::Upsert, None) => {
                return Err(invalid_job("an upsert job needs externalIdFieldName"));
            }
            _ => None,
        };
        let dialect = Dialect::from_body(&body)?;
        let now = now_ms();
        let job = Job {
            id: state.bulk.next_id(),
            operation,
            object: object.name.clone(),
            external_id,
            state: JobState::Open,
            created_by: s.actor.user_id.clone(),
            created_ms: now,
            modstamp_ms: now,
            api_version: v,
            dialect,
            data: None,
            header: Vec::new(),
            successes: Vec::new(),
            failures: Vec::new(),
            unprocessed: Vec::new(),
            processed: 0,
            failed_so_far: 0,
            error_message: None,
            processing_ms: 0,
            rows: Vec::new(),
        };
        let info = job.info(false);
        state.bulk.add(job);
        Ok(json_response(StatusCode::OK, &info))
    })();
    answer(&state, r)
}

async fn upload(
    AxState(state): AxState<State>,
    Path((v, id)): Path<(String, String)>,
    _s: Session,
    body: Bytes,
) -> Response {
    let r = (|| {
        version(&v)?;
        with_job(&state, &id, true, |job| {
            if job.state != JobState::Open {
                return Err(wrong_state(job, "Open"));
            }
            if job.data.is_some() {
                return Err(ApiError::bad_request(
                    "INVALIDJOBSTATE",
                    "This job already has its data: a job takes one upload",
                ));
            }
            if body.iter().all(u8::is_ascii_whitespace) {
                return Err(ApiError::bad_request(
                    "INVALIDJOB",
                    "the upload is empty: send CSV with a header row",
                ));
            }
            job.data = Some(body);
            job.modstamp_ms = now_ms();
            Ok(())
        })?;
        Ok(Response::builder()
            .status(StatusCode::CREATED)
            .body(Body::empty())
            .unwrap_or_default())
    })();
    answer(&state, r)
}

#[derive(serde::Deserialize)]
struct StateChange {
    state: String,
}

fn state_change(body: &[u8]) -> Result<String, ApiError> {
    let v = super::parse_body(body)?;
    serde_json::from_value::<StateChange>(v)
        .map(|c| c.state)
        .map_err(|_| {
            ApiError::bad_request(
                "JSON_PARSER_ERROR",
                "the body must be {\"state\": \"UploadComplete\"} or {\"state\": \"Aborted\"}",
            )
        })
}

async fn patch_ingest(
    AxState(state): AxState<State>,
    Path((v, id)): Path<(String, String)>,
    s: Session,
    body: Bytes,
) -> Response {
    let r = (|| {
        version(&v)?;
        let wanted = state_change(&body)?;
        let info = with_job(&state, &id, true, |job| {
            match (wanted.as_str(), job.state) {
                ("UploadComplete", JobState::Open) => job.state = JobState::UploadComplete,
                ("Aborted", JobState::Open | JobState::UploadComplete) => {
                    job.state = JobState::Aborted;
                }
                ("UploadComplete" | "Aborted", _) => {
                    return Err(wrong_state(
                        job,
                        if wanted == "Aborted" {
                            "Open or UploadComplete"
                        } else {
                            "Open"
                        },
                    ));
                }
                (other, _) => {
                    return Err(ApiError::bad_request(
                        "INVALIDJOBSTATE",
                        format!(
                            "{other:?} is not a state a client can set: use UploadComplete or Aborted"
                        ),
                    ));
                }
            }
            job.modstamp_ms = now_ms();
            Ok(job.info(false))
        })?;
        if wanted == "UploadComplete" {
            let st = state.clone();
            let actor = s.actor.clone();
            tokio::task::spawn_blocking(move || apply_job(&st, &id, &actor));
        }
        Ok(json_response(StatusCode::OK, &info))
    })();
    answer(&state, r)
}

async fn ingest_info(
    AxState(state): AxState<State>,
    Path((v, id)): Path<(String, String)>,
    _s: Session,
) -> Response {
    let r = version(&v)
        .and_then(|_| with_job(&state, &id, true, |job| Ok(job.info(true))))
        .map(|info| json_response(StatusCode::OK, &info));
    answer(&state, r)
}

async fn list_ingest(st: AxState<State>, v: Path<String>, s: Session) -> Response {
    list(st.0, v.0, s, true)
}

async fn list_query(st: AxState<State>, v: Path<String>, s: Session) -> Response {
    list(st.0, v.0, s, false)
}

fn list(state: State, v: String, _s: Session, ingest: bool) -> Response {
    let r = version(&v).map(|_| {
        let jobs = state.bulk.lock();
        let mut infos: Vec<(i64, String, Json)> = jobs
            .values()
            .filter(|j| j.ingest() == ingest)
            .map(|j| (j.created_ms, j.id.clone(), j.info(false)))
            .collect();
        infos.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let records: Vec<Json> = infos.into_iter().map(|(_, _, i)| i).collect();
        json_response(
            StatusCode::OK,
            &json!({"done": true, "records": records, "nextRecordsUrl": null}),
        )
    });
    answer(&state, r)
}

async fn delete_job(
    AxState(state): AxState<State>,
    Path((v, id)): Path<(String, String)>,
    _s: Session,
) -> Response {
    let r = (|| {
        version(&v)?;
        let mut jobs = state.bulk.lock();
        let job = jobs.get(&id).ok_or_else(no_such_job)?;
        if matches!(job.state, JobState::InProgress) {
            return Err(wrong_state(job, "finished or aborted"));
        }
        jobs.remove(&id);
        Ok(no_content())
    })();
    answer(&state, r)
}

fn csv_response(body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=UTF-8"),
    );
    r
}

/// One of an ingest job's result files.
fn ingest_results(state: &State, v: &str, id: &str, which: Which) -> Response {
    let r = (|| {
        version(v)?;
        with_job(state, id, true, |job| {
            let (lead, rows): (&[&str], &[Vec<String>]) = match which {
                Which::Successful => (&["sf__Id", "sf__Created"], &job.successes),
                Which::Failed => (&["sf__Id", "sf__Error"], &job.failures),
                Which::Unprocessed => (&[], &job.unprocessed),
            };
            if which != Which::Unprocessed
                && !matches!(job.state, JobState::JobComplete | JobState::Failed)
            {
                return Err(wrong_state(job, "JobComplete or Failed"));
            }
            let mut header: Vec<String> = lead.iter().map(|s| (*s).to_owned()).collect();
            header.extend(job.header.iter().cloned());
            Ok(csv_response(job.dialect.write(&header, rows)))
        })
    })();
    answer(state, r)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Successful,
    Failed,
    Unprocessed,
}

/// `successfulResults`, `failedResults` or `unprocessedrecords`.
async fn result_file(
    AxState(state): AxState<State>,
    Path((v, id, file)): Path<(String, String, String)>,
    _s: Session,
) -> Response {
    let which = match file.as_str() {
        "successfulResults" => Which::Successful,
        "failedResults" => Which::Failed,
        "unprocessedrecords" => Which::Unprocessed,
        _ => return answer(&state, Err(ApiError::not_found())),
    };
    ingest_results(&state, &v, &id, which)
}

/// How a CSV column is written.
#[derive(Debug, Clone)]
enum Column {
    /// The record id (update, delete, upsert by Id).
    Id,
    /// A field, by its API name.
    Field(String),
    /// `Relationship.ExternalId`: the parent found by that external id fills `field`.
    Parent {
        field: String,
        target: String,
        key: String,
    },
}

/// Maps a header to columns, or says which name is unknown the way Salesforce does.
fn columns(st: &OrgState, object: &str, header: &[String]) -> Result<Vec<Column>, String> {
    let schema = st.store.schema();
    let o = schema
        .get(object)
        .ok_or_else(|| format!("InvalidBatch : sObject type '{object}' is not supported"))?;
    header
        .iter()
        .map(|name| {
            let name = name.trim();
            if name.eq_ignore_ascii_case("Id") {
                return Ok(Column::Id);
            }
            if let Some(f) = o.field(name) {
                return Ok(Column::Field(f.name.clone()));
            }
            if let Some((rel, key)) = name.split_once('.') {
                let parent = o.relationship(rel).and_then(|f| {
                    let target = f.reference_to.first()?;
                    let t = schema.get(target)?;
                    let k = t.field(key).filter(|k| k.external_id || k.name == "Id")?;
                    Some(Column::Parent {
                        field: f.name.clone(),
                        target: t.name.clone(),
                        key: k.name.clone(),
                    })
                });
                if let Some(p) = parent {
                    return Ok(p);
                }
            }
            Err(format!("InvalidBatch : Field name not found : {name}"))
        })
        .collect()
}

/// Applies a closed ingest job; runs on a blocking thread.
fn apply_job(st: &OrgState, id: &str, actor: &Actor) {
    let started = Instant::now();
    let taken = {
        let mut jobs = st.bulk.lock();
        jobs.get_mut(id)
            .filter(|j| j.state == JobState::UploadComplete)
            .map(|j| {
                j.state = JobState::InProgress;
                j.modstamp_ms = now_ms();
                (
                    j.data.take(),
                    j.dialect,
                    j.operation,
                    j.object.clone(),
                    j.external_id.clone(),
                )
            })
    };
    let Some((data, dialect, operation, object, external_id)) = taken else {
        return;
    };
    let outcome = (|| {
        let data = data.ok_or_else(|| "InvalidBatch : the job has no data".to_owned())?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(dialect.delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(data.as_ref());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("InvalidBatch : {e}"))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_owned())
            .collect();
        let cols = columns(st, &object, &header)?;
        let mut rows = Vec::new();
        for r in reader.records() {
            let r = r.map_err(|e| format!("InvalidBatch : {e}"))?;
            rows.push(r.iter().map(str::to_owned).collect::<Vec<String>>());
        }
        Ok((header, cols, rows))
    })();
    let (header, cols, rows) = match outcome {
        Ok(x) => x,
        Err(msg) => {
            finish(st, id, started, |j| {
                j.state = JobState::Failed;
                j.error_message = Some(msg);
            });
            return;
        }
    };
    let mut successes = Vec::new();
    let mut failures = Vec::new();
    let job_spec = Spec {
        operation,
        object: &object,
        external_id: external_id.as_deref(),
        cols: &cols,
        actor,
    };
    for chunk in rows.chunks(CHUNK) {
        let mut results: Vec<Result<(String, bool), (String, ApiError)>> = Vec::new();
        let applied = st.store.write_batch(|b| {
            for group in chunk.chunks(GROUP) {
                results.extend(apply_group(b, &job_spec, group));
            }
            Ok(())
        });
        if let Err(e) = applied {
            // The transaction itself failed: nothing of this chunk was kept.
            results = chunk
                .iter()
                .map(|row| Err((given_id(&cols, row), e.clone())))
                .collect();
        }
        let mut failed_here = 0u64;
        for (row, r) in chunk.iter().zip(results) {
            match r {
                Ok((rid, created)) => {
                    let mut out = vec![rid, created.to_string()];
                    out.extend(row.iter().cloned());
                    successes.push(out);
                }
                Err((rid, e)) => {
                    let mut out = vec![rid, sf_error(&e)];
                    out.extend(row.iter().cloned());
                    failures.push(out);
                    failed_here += 1;
                }
            }
        }
        // Salesforce counts rows as its internal batches finish: a client polling the job
        // sees its progress, not a jump from nothing to everything.
        let mut jobs = st.bulk.lock();
        if let Some(j) = jobs.get_mut(id) {
            j.processed += chunk.len() as u64;
            j.failed_so_far += failed_here;
        }
    }
    let processed = rows.len() as u64;
    finish(st, id, started, |j| {
        j.state = JobState::JobComplete;
        j.header = header;
        j.successes = successes;
        j.failures = failures;
        j.processed = processed;
    });
}

fn finish(st: &OrgState, id: &str, started: Instant, f: impl FnOnce(&mut Job)) {
    let mut jobs = st.bulk.lock();
    if let Some(j) = jobs.get_mut(id) {
        f(j);
        j.modstamp_ms = now_ms();
        j.processing_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    }
}

/// `CODE:message:fields --`, as Salesforce writes `sf__Error`.
fn sf_error(e: &ApiError) -> String {
    e.items
        .iter()
        .map(|i| {
            format!(
                "{}:{}:{} --",
                i.error_code,
                i.message,
                i.fields.as_deref().unwrap_or_default().join(",")
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Spec<'a> {
    operation: Operation,
    object: &'a str,
    external_id: Option<&'a str>,
    cols: &'a [Column],
    actor: &'a Actor,
}

/// The row's `Id` cell, or empty (what `sf__Id` shows for a failed insert).
fn given_id(cols: &[Column], row: &[String]) -> String {
    cols.iter()
        .zip(row)
        .find(|(c, _)| matches!(c, Column::Id))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

fn missing(what: &str, op: Operation) -> ApiError {
    ApiError::bad_request(
        "MISSING_ARGUMENT",
        format!("{what} not specified in an {} call", op.name()),
    )
}

/// Applies rows under one savepoint, falling back to a savepoint per row when one fails, so
/// that a bad row fails alone. A savepoint is not free (SQLite's full-text index flushes at
/// each), and most rows succeed: one per group keeps a load at the speed of its inserts.
fn apply_group(
    b: &mut Batch<'_>,
    spec: &Spec<'_>,
    group: &[Vec<String>],
) -> Vec<Result<(String, bool), (String, ApiError)>> {
    let together = b.attempt(|b| {
        group
            .iter()
            .map(|row| apply_row(b, spec, row))
            .collect::<Result<Vec<_>, ApiError>>()
    });
    match together {
        Ok(done) => done.into_iter().map(Ok).collect(),
        // Rolled back whole (ids minted in it too): again, one row at a time.
        Err(_) => group
            .iter()
            .map(|row| {
                b.attempt(|b| apply_row(b, spec, row))
                    .map_err(|e| (given_id(spec.cols, row), e))
            })
            .collect(),
    }
}

/// Writes one row; the id written and whether it was created.
fn apply_row(
    b: &mut Batch<'_>,
    spec: &Spec<'_>,
    row: &[String],
) -> Result<(String, bool), ApiError> {
    let mut fields = Map::new();
    let mut id = String::new();
    for (col, raw) in spec.cols.iter().zip(row) {
        match col {
            Column::Id => id = raw.trim().to_owned(),
            // Empty leaves a field alone; #N/A clears it.
            _ if raw.is_empty() => {}
            Column::Field(name) => {
                let v = if raw == "#N/A" {
                    Json::Null
                } else {
                    Json::String(raw.clone())
                };
                fields.insert(name.clone(), v);
            }
            Column::Parent { field, target, key } => {
                let found = b.find_by(target, key, raw)?;
                match found.as_slice() {
                    [one] => {
                        fields.insert(field.clone(), Json::String(one.clone()));
                    }
                    [] => {
                        return Err(ApiError::with_fields(
                            400,
                            "INVALID_FIELD",
                            format!(
                                "Foreign key external ID: {raw} not found for field {key} in entity {target}"
                            ),
                            vec![field.clone()],
                        ));
                    }
                    _ => {
                        return Err(ApiError::bad_request(
                            "DUPLICATE_EXTERNAL_ID",
                            format!(
                                "{key}: more than one record found for external id field: {found:?}"
                            ),
                        ));
                    }
                }
            }
        }
    }
    let actor = spec.actor;
    match spec.operation {
        Operation::Insert => {
            if !id.is_empty() {
                return Err(ApiError::with_fields(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "cannot specify Id in an insert call",
                    vec!["Id".into()],
                ));
            }
            let new = b.insert(actor, spec.object, &fields, WriteOptions::default())?;
            Ok((new, true))
        }
        Operation::Update => {
            if id.is_empty() {
                return Err(missing("Id", spec.operation));
            }
            b.update(actor, spec.object, &id, &fields)?;
            Ok((id, false))
        }
        Operation::Delete | Operation::HardDelete => {
            if id.is_empty() {
                return Err(missing("Id", spec.operation));
            }
            b.delete(actor, spec.object, &id)?;
            Ok((id, false))
        }
        Operation::Upsert => {
            let key = spec.external_id.unwrap_or("Id");
            let value = if key == "Id" {
                id.clone()
            } else {
                match fields.shift_remove(key) {
                    Some(Json::String(s)) => s,
                    _ => String::new(),
                }
            };
            if value.is_empty() {
                return Err(missing(key, spec.operation));
            }
            match b.upsert(actor, spec.object, key, &value, &fields, false)? {
                Upserted::Created(new) => Ok((new, true)),
                Upserted::Updated(existing) => Ok((existing, false)),
                Upserted::Multiple(ids) => Err(ApiError::bad_request(
                    "DUPLICATE_EXTERNAL_ID",
                    format!("{key}: more than one record found for external id field: {ids:?}"),
                )),
            }
        }
        Operation::Query | Operation::QueryAll => Err(invalid_job("not an ingest operation")),
    }
}

// ----- query -----

async fn create_query(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        let v = version(&v)?;
        let body = body_map(&body)?;
        let text = |k: &str| body.get(k).and_then(Json::as_str);
        let operation = text("operation")
            .and_then(Operation::parse)
            .filter(|o| matches!(o, Operation::Query | Operation::QueryAll))
            .ok_or_else(|| invalid_job("operation must be query or queryAll"))?;
        let soql = text("query")
            .filter(|q| !q.trim().is_empty())
            .ok_or_else(|| invalid_job("query is required"))?;
        let dialect = Dialect::from_body(&body)?;
        let started = Instant::now();
        let Found {
            object,
            header,
            rows,
        } = run_query(&st, soql, operation == Operation::QueryAll, &v)?;
        let now = now_ms();
        let job = Job {
            id: st.bulk.next_id(),
            operation,
            object,
            external_id: None,
            // Answered as a job just accepted; it has in fact already run.
            state: JobState::UploadComplete,
            created_by: s.actor.user_id.clone(),
            created_ms: now,
            modstamp_ms: now,
            api_version: v,
            dialect,
            data: None,
            processed: rows.len() as u64,
            failed_so_far: 0,
            header,
            successes: Vec::new(),
            failures: Vec::new(),
            unprocessed: Vec::new(),
            error_message: None,
            processing_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            rows,
        };
        let info = job.info(false);
        st.bulk.add(Job {
            state: JobState::JobComplete,
            ..job
        });
        Ok(json_response(StatusCode::OK, &info))
    })
    .await
}

/// What a Bulk query found: its object, its column names (as the query spells them) and its
/// rows.
struct Found {
    object: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Runs a Bulk query.
fn run_query(st: &OrgState, soql: &str, all_rows: bool, v: &str) -> Result<Found, ApiError> {
    let parsed = sfkit_soql::parse_query(soql)
        .map_err(|e| ApiError::bad_request("MALFORMED_QUERY", e.to_string()))?;
    let unsupported = |what: &str| {
        ApiError::bad_request(
            "API_ERROR",
            format!("{what} is not supported by Bulk API query jobs"),
        )
    };
    if parsed.is_aggregate() {
        return Err(unsupported("An aggregate query"));
    }
    if parsed.offset.is_some() {
        return Err(unsupported("OFFSET"));
    }
    let alias = parsed.from.alias.as_deref();
    let mut header = Vec::new();
    let mut paths: Vec<Vec<String>> = Vec::new();
    for item in &parsed.select {
        match item {
            SelectItem::Expr {
                expr: Expr::Field { path },
                ..
            } => {
                let mut segs = path.segments.clone();
                if segs.len() > 1
                    && alias
                        .is_some_and(|a| segs.first().is_some_and(|s| s.eq_ignore_ascii_case(a)))
                {
                    segs.remove(0);
                }
                header.push(segs.join("."));
                paths.push(segs);
            }
            SelectItem::SubQuery { .. } => return Err(unsupported("A nested query")),
            SelectItem::TypeOf(_) => return Err(unsupported("TYPEOF")),
            SelectItem::Fields { .. } => return Err(unsupported("FIELDS()")),
            SelectItem::Expr { .. } => return Err(unsupported("A function in the SELECT list")),
        }
    }
    let object = st
        .store
        .schema()
        .get(&parsed.from.sobject.to_string())
        .map(|o| o.name.clone())
        .unwrap_or_else(|| parsed.from.sobject.to_string());
    let env = crate::soql::Env {
        schema: st.store.schema(),
        today: chrono::Utc::now().date_naive(),
        fiscal_start: 1,
        all_rows,
        plans: Some(&st.store.plans),
    };
    let page = {
        let conn = st.store.reader();
        crate::soql::execute(&conn, env, soql, usize::MAX, v, None)?
    };
    let records = page.records.into_values()?;
    let rows = records
        .iter()
        .map(|r| paths.iter().map(|p| cell(r, p)).collect())
        .collect();
    Ok(Found {
        object,
        header,
        rows,
    })
}

/// The value at a path in a record (relationship objects walked by name, any case), as CSV text.
fn cell(record: &Json, path: &[String]) -> String {
    let mut at = record;
    for seg in path {
        let next = at.as_object().and_then(|m| {
            m.get(seg.as_str()).or_else(|| {
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(seg))
                    .map(|(_, v)| v)
            })
        });
        match next {
            Some(v) => at = v,
            None => return String::new(),
        }
    }
    match at {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn query_info(
    AxState(state): AxState<State>,
    Path((v, id)): Path<(String, String)>,
    _s: Session,
) -> Response {
    let r = version(&v)
        .and_then(|_| with_job(&state, &id, false, |job| Ok(job.info(true))))
        .map(|info| json_response(StatusCode::OK, &info));
    answer(&state, r)
}

async fn patch_query(
    AxState(state): AxState<State>,
    Path((v, id)): Path<(String, String)>,
    _s: Session,
    body: Bytes,
) -> Response {
    let r = (|| {
        version(&v)?;
        let wanted = state_change(&body)?;
        with_job(&state, &id, false, |job| {
            if wanted != "Aborted" {
                return Err(ApiError::bad_request(
                    "INVALIDJOBSTATE",
                    "a query job can only be set to Aborted",
                ));
            }
            if matches!(job.state, JobState::JobComplete | JobState::Failed) {
                return Err(wrong_state(job, "not finished"));
            }
            job.state = JobState::Aborted;
            job.modstamp_ms = now_ms();
            Ok(json_response(StatusCode::OK, &job.info(false)))
        })
    })();
    answer(&state, r)
}

#[derive(serde::Deserialize)]
struct ResultsParams {
    locator: Option<String>,
    #[serde(rename = "maxRecords")]
    max_records: Option<String>,
}

async fn results(
    AxState(state): AxState<State>,
    Path((v, id)): Path<(String, String)>,
    UrlQuery(p): UrlQuery<ResultsParams>,
    _s: Session,
) -> Response {
    let r = (|| {
        let v = version(&v)?;
        let invalid_locator = || ApiError::bad_request("INVALID_LOCATOR", "invalid locator");
        let start = match p
            .locator
            .as_deref()
            .filter(|l| !l.is_empty() && *l != "null")
        {
            None => 0,
            Some(l) => base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(l)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or_else(invalid_locator)?,
        };
        let max = match p.max_records.as_deref() {
            None => DEFAULT_PAGE,
            Some(m) => m.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                ApiError::bad_request("INVALIDJOB", "maxRecords must be a positive whole number")
            })?,
        };
        with_job(&state, &id, false, |job| {
            if job.state != JobState::JobComplete {
                return Err(wrong_state(job, "JobComplete"));
            }
            if job.api_version != v {
                return Err(ApiError::new(
                    409,
                    "INVALIDJOB",
                    format!(
                        "the results of this job are read with API version {}, the version that created it",
                        job.api_version
                    ),
                ));
            }
            if start > job.rows.len() {
                return Err(invalid_locator());
            }
            let end = start.saturating_add(max).min(job.rows.len());
            let page = job.rows.get(start..end).unwrap_or_default();
            let mut resp = csv_response(job.dialect.write(&job.header, page));
            let next = if end < job.rows.len() {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(end.to_string())
            } else {
                "null".to_owned()
            };
            let h = resp.headers_mut();
            if let Ok(n) = HeaderValue::from_str(&page.len().to_string()) {
                h.insert("Sforce-NumberOfRecords", n);
            }
            if let Ok(l) = HeaderValue::from_str(&next) {
                h.insert("Sforce-Locator", l);
            }
            Ok(resp)
        })
    })();
    answer(&state, r)
}
