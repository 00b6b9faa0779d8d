//! Ingest jobs: create, the one CSV upload, close (which starts [`apply`](super::apply)) or
//! abort, and the three result files.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value as Json;

use super::apply::apply_job;
use super::dialect::{Dialect, csv_response};
use super::jobs::{
    Job, JobState, Operation, body_map, invalid_job, state_change, with_job, wrong_state,
};
use crate::api_error::ApiError;
use crate::http::{Session, State, answer, json_response, version};
use crate::store::values::now_ms;

pub(super) async fn create_ingest(
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

pub(super) async fn upload(
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

pub(super) async fn patch_ingest(
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

pub(super) async fn ingest_info(
    AxState(state): AxState<State>,
    Path((v, id)): Path<(String, String)>,
    _s: Session,
) -> Response {
    let r = version(&v)
        .and_then(|_| with_job(&state, &id, true, |job| Ok(job.info(true))))
        .map(|info| json_response(StatusCode::OK, &info));
    answer(&state, r)
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
pub(super) async fn result_file(
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
