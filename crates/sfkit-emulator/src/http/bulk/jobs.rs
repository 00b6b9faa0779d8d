//! The org's Bulk API 2.0 jobs: the registry kept for the org's life, a job's state and
//! operation, its info document, and the handlers both families share (list, delete).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use parking_lot::{Mutex, MutexGuard};
use serde_json::{Map, Value as Json, json};

use super::MAX_JOBS;
use super::dialect::Dialect;
use crate::api_error::ApiError;
use crate::http::{
    OrgState, Session, State, answer, json_response, no_content, parse_body, version,
};
use crate::store::values::format_datetime;

/// The org's jobs.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    map: Mutex<HashMap<String, Job>>,
    seq: AtomicU64,
}

impl Jobs {
    pub(super) fn lock(&self) -> MutexGuard<'_, HashMap<String, Job>> {
        self.map.lock()
    }

    pub(super) fn next_id(&self) -> String {
        crate::ids::mint("750", self.seq.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Keeps `job`, making room first by forgetting the oldest finished jobs.
    pub(super) fn add(&self, job: Job) {
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

/// A job's state, as Salesforce names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JobState {
    Open,
    UploadComplete,
    InProgress,
    JobComplete,
    Failed,
    Aborted,
}

impl JobState {
    pub(super) fn name(self) -> &'static str {
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

/// What a job does: one of the ingest operations, or a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Operation {
    Insert,
    Update,
    Upsert,
    Delete,
    HardDelete,
    Query,
    QueryAll,
}

impl Operation {
    pub(super) fn parse(s: &str) -> Option<Self> {
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

    pub(super) fn name(self) -> &'static str {
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

/// One Bulk API 2.0 job, ingest or query.
#[derive(Debug)]
pub(super) struct Job {
    pub(super) id: String,
    pub(super) operation: Operation,
    pub(super) object: String,
    pub(super) external_id: Option<String>,
    pub(super) state: JobState,
    pub(super) created_by: String,
    pub(super) created_ms: i64,
    pub(super) modstamp_ms: i64,
    pub(super) api_version: String,
    pub(super) dialect: Dialect,
    /// The uploaded CSV, until the job is applied.
    pub(super) data: Option<Bytes>,
    /// Result rows: `sf__Id, sf__Created, <row>`; `sf__Id, sf__Error, <row>`; `<row>`.
    pub(super) header: Vec<String>,
    pub(super) successes: Vec<Vec<String>>,
    pub(super) failures: Vec<Vec<String>>,
    pub(super) unprocessed: Vec<Vec<String>>,
    pub(super) processed: u64,
    /// Rows failed so far while the job runs (`failures` is filled when it ends).
    pub(super) failed_so_far: u64,
    pub(super) error_message: Option<String>,
    pub(super) processing_ms: u64,
    /// Query jobs: the column names and every row.
    pub(super) rows: Vec<Vec<String>>,
}

impl Job {
    pub(super) fn ingest(&self) -> bool {
        !matches!(self.operation, Operation::Query | Operation::QueryAll)
    }

    /// The job as its info resource shows it; `full` adds the counts and timings.
    pub(super) fn info(&self, full: bool) -> Json {
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

pub(super) fn invalid_job(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("INVALIDJOB", message)
}

pub(super) fn wrong_state(job: &Job, wanted: &str) -> ApiError {
    ApiError::bad_request(
        "INVALIDJOBSTATE",
        format!(
            "Job {} is {}; this needs it {wanted}",
            job.id,
            job.state.name()
        ),
    )
}

pub(super) fn no_such_job() -> ApiError {
    ApiError::new(404, "NOT_FOUND", "The requested resource does not exist")
}

pub(super) fn body_map(body: &[u8]) -> Result<Map<String, Json>, ApiError> {
    match parse_body(body)? {
        Json::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request(
            "JSON_PARSER_ERROR",
            "the job definition must be a JSON object",
        )),
    }
}

/// Runs `f` on job `id` of the wanted family (ingest or query).
pub(super) fn with_job<T>(
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

#[derive(serde::Deserialize)]
struct StateChange {
    state: String,
}

pub(super) fn state_change(body: &[u8]) -> Result<String, ApiError> {
    let v = parse_body(body)?;
    serde_json::from_value::<StateChange>(v)
        .map(|c| c.state)
        .map_err(|_| {
            ApiError::bad_request(
                "JSON_PARSER_ERROR",
                "the body must be {\"state\": \"UploadComplete\"} or {\"state\": \"Aborted\"}",
            )
        })
}

pub(super) async fn list_ingest(st: AxState<State>, v: Path<String>, s: Session) -> Response {
    list(st.0, v.0, s, true)
}

pub(super) async fn list_query(st: AxState<State>, v: Path<String>, s: Session) -> Response {
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

pub(super) async fn delete_job(
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
