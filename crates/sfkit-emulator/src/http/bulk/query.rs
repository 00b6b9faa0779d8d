//! Query jobs: the query runs when the job is created and its rows are kept as CSV cells;
//! results are read in pages behind `Sforce-Locator`, the last page saying `null`.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State as AxState};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use serde_json::Value as Json;
use sfkit_soql::{Expr, SelectItem};

use super::dialect::{Dialect, csv_response};
use super::jobs::{
    Job, JobState, Operation, body_map, invalid_job, state_change, with_job, wrong_state,
};
use crate::api_error::ApiError;
use crate::http::{OrgState, Session, State, answer, blocking, json_response, version};
use crate::store::values::now_ms;

/// Query-result rows per page when the client names no `maxRecords`.
const DEFAULT_PAGE: usize = 50_000;

pub(super) async fn create_query(
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

pub(super) async fn query_info(
    AxState(state): AxState<State>,
    Path((v, id)): Path<(String, String)>,
    _s: Session,
) -> Response {
    let r = version(&v)
        .and_then(|_| with_job(&state, &id, false, |job| Ok(job.info(true))))
        .map(|info| json_response(StatusCode::OK, &info));
    answer(&state, r)
}

pub(super) async fn patch_query(
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

/// A results request's `locator` and `maxRecords`.
#[derive(serde::Deserialize)]
pub(super) struct ResultsParams {
    locator: Option<String>,
    #[serde(rename = "maxRecords")]
    max_records: Option<String>,
}

pub(super) async fn results(
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
