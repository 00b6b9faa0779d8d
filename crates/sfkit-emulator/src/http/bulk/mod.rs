//! Bulk API 2.0 under `/services/data/vNN.N/jobs`: ingest jobs (create, one CSV upload, close or
//! abort, per-record results as CSV) and query jobs (results as CSV pages behind
//! `Sforce-Locator`, the last page saying `null`).
//!
//! An ingest job is applied when it is closed (`UploadComplete`), on a blocking thread, in
//! transactions of 10,000 records (Salesforce's internal batch size), rows saved in groups under
//! a savepoint and a group that fails retried row by row (`apply`): one bad row fails alone and
//! the others are kept, as Salesforce does. A query job runs when it
//! is created; its rows are kept as CSV cells. Jobs live in memory for the org's life (Salesforce
//! keeps them seven days), at most [`MAX_JOBS`] of them: past that the oldest finished one goes.
//! `hardDelete` deletes as `delete` does (the rows go to the recycle bin, where Salesforce would
//! skip it).
//!
//! UNVERIFIED: the error codes of job-level failures (`INVALIDJOB`, `INVALIDJOBSTATE`), the
//! header row repeated on every query-result page (jsforce parses each page on its own), the
//! default page size of query results (50,000 here, simple-salesforce's choice), and the failed
//! state of a job closed without data.
//!
//! The modules: [`jobs`] keeps the jobs and shapes their info, [`dialect`] reads and writes
//! their CSV, [`ingest`] and [`query`] serve the two families, and [`apply`] writes a closed
//! ingest job's rows.

mod apply;
mod dialect;
mod ingest;
mod jobs;
mod query;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, put};

use super::State;
use ingest::{create_ingest, ingest_info, patch_ingest, result_file, upload};
pub(super) use jobs::Jobs;
use jobs::{delete_job, list_ingest, list_query};
use query::{create_query, patch_query, query_info, results};

/// Largest CSV upload (Salesforce: 150 MB).
const MAX_UPLOAD: usize = 150 * 1024 * 1024;
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
