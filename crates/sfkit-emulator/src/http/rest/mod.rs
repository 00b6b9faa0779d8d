//! REST resources under `/services/data`: the index of versions and resources, and limits
//! here; sObject describes, sObject rows, queries and replication in the modules below.

mod describe;
mod query;
mod replication;
mod sobject;

use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value as Json, json};

use super::{OrgState, Session, State, answer, json_response, version};
use describe::{basic_info, describe, describe_global};
pub(super) use query::query_body;
use query::{query, query_all, query_more};
use replication::{deleted, updated};
use sobject::{create, delete, read, update};

pub(super) fn routes() -> Router<State> {
    Router::new()
        .route("/services/data", get(versions))
        .route("/services/data/{v}", get(resources))
        .route("/services/data/{v}/limits", get(limits))
        .route("/services/data/{v}/sobjects", get(describe_global))
        .route(
            "/services/data/{v}/sobjects/{ty}",
            get(basic_info).post(create),
        )
        .route("/services/data/{v}/sobjects/{ty}/describe", get(describe))
        .route("/services/data/{v}/sobjects/{ty}/deleted", get(deleted))
        .route("/services/data/{v}/sobjects/{ty}/updated", get(updated))
        .route(
            "/services/data/{v}/sobjects/{ty}/{id}",
            get(read).patch(update).delete(delete),
        )
        .route("/services/data/{v}/query", get(query))
        .route("/services/data/{v}/queryAll", get(query_all))
        .route("/services/data/{v}/query/{locator}", get(query_more))
        .route("/services/data/{v}/queryAll/{locator}", get(query_more))
}

async fn versions() -> Response {
    let list: Vec<Json> = (20..=66)
        .map(|v| json!({"label": release_label(v), "url": format!("/services/data/v{v}.0"), "version": format!("{v}.0")}))
        .collect();
    json_response(StatusCode::OK, &Json::Array(list))
}

/// The release name of an API version (three releases a year, Winter '11 was 20.0).
fn release_label(v: u32) -> String {
    let n = v.saturating_sub(20);
    let season = match n % 3 {
        0 => "Winter",
        1 => "Spring",
        _ => "Summer",
    };
    let year = 11 + n / 3;
    format!("{season} '{year:02}")
}

async fn resources(AxState(state): AxState<State>, Path(v): Path<String>, _s: Session) -> Response {
    let r = version(&v).map(|v| {
        let base = format!("/services/data/v{v}");
        json_response(
            StatusCode::OK,
            &json!({
                "sobjects": format!("{base}/sobjects"),
                "query": format!("{base}/query"),
                "queryAll": format!("{base}/queryAll"),
                "search": format!("{base}/search"),
                "parameterizedSearch": format!("{base}/parameterizedSearch"),
                "limits": format!("{base}/limits"),
                "composite": format!("{base}/composite"),
                "identity": format!("{}/id/{}/{}", state.base_url, state.store.org_id(), _s.actor.user_id),
            }),
        )
    });
    answer(&state, r)
}

async fn limits(AxState(state): AxState<State>, Path(v): Path<String>, _s: Session) -> Response {
    let r = version(&v).map(|_| json_response(StatusCode::OK, &limits_body(&state)));
    answer(&state, r)
}

/// The `/limits` document: the daily request budget as used so far, fixed figures elsewhere.
pub(super) fn limits_body(state: &OrgState) -> Json {
    let used = state.api_used.load(Ordering::Relaxed);
    let max = state.daily_limit;
    json!({
        "DailyApiRequests": {"Max": max, "Remaining": max.saturating_sub(used)},
        "DailyBulkApiRequests": {"Max": 10000, "Remaining": 10000},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DailyStreamingApiEvents": {"Max": 10000, "Remaining": 10000},
        "DailyDurableStreamingApiEvents": {"Max": 10000, "Remaining": 10000},
        "DataStorageMB": {"Max": 1024, "Remaining": 1024},
        "FileStorageMB": {"Max": 1024, "Remaining": 1024},
        "SingleEmail": {"Max": 15, "Remaining": 15},
        "MassEmail": {"Max": 10, "Remaining": 10},
        "StreamingApiConcurrentClients": {"Max": 20, "Remaining": 20},
    })
}
