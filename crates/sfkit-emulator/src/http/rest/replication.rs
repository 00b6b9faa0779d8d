//! Replication: the ids of records deleted or updated in a window of time.

use std::collections::HashMap;

use axum::extract::{Path, Query as UrlQuery, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value as Json, json};

use crate::api_error::ApiError;
use crate::http::{Session, State, blocking, json_response, version};
use crate::store::values::{format_datetime, parse_datetime};

/// `start` and `end` of a replication request, as epoch milliseconds.
fn replication_window(p: &HashMap<String, String>) -> Result<(i64, i64), ApiError> {
    let parse = |k: &str| -> Result<i64, ApiError> {
        let raw = p.get(k).ok_or_else(|| {
            ApiError::bad_request(
                "MISSING_ARGUMENT",
                format!("{k} is required, as an ISO 8601 dateTime"),
            )
        })?;
        parse_datetime(raw)
            .map(|t| t.timestamp_millis())
            .ok_or_else(|| {
                ApiError::bad_request(
                    "INVALID_REPLICATION_DATE",
                    format!("{k} is not a valid dateTime: {raw}"),
                )
            })
    };
    let (start, end) = (parse("start")?, parse("end")?);
    if start >= end {
        return Err(ApiError::bad_request(
            "INVALID_REPLICATION_DATE",
            "start must be before end",
        ));
    }
    Ok((start, end))
}

/// Dates in replication answers are covered to the minute.
fn minute(ms: i64) -> String {
    format_datetime(ms - ms.rem_euclid(60_000))
}

pub(super) async fn deleted(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    UrlQuery(p): UrlQuery<HashMap<String, String>>,
    _s: Session,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let (start, end) = replication_window(&p)?;
        let table = st.store.sobject(&ty)?.table();
        let rows: Vec<(String, i64)> = st.store.with_reader(|conn| -> Result<_, rusqlite::Error> {
            let mut stmt = conn.prepare(&format!(
                "SELECT \"Id\", \"SystemModstamp\" FROM {table} WHERE \"IsDeleted\" = 1 AND \"SystemModstamp\" >= ?1 AND \"SystemModstamp\" <= ?2 ORDER BY \"SystemModstamp\""
            ))?;
            let rows = stmt.query_map([start, end], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        let earliest = rows.first().map_or(start, |(_, t)| *t);
        let records: Vec<Json> = rows
            .iter()
            .map(|(id, t)| json!({"id": id, "deletedDate": format_datetime(*t)}))
            .collect();
        Ok(json_response(
            StatusCode::OK,
            &json!({"deletedRecords": records, "earliestDateAvailable": minute(earliest), "latestDateCovered": minute(end)}),
        ))
    })
    .await
}

pub(super) async fn updated(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    UrlQuery(p): UrlQuery<HashMap<String, String>>,
    _s: Session,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let (start, end) = replication_window(&p)?;
        let table = st.store.sobject(&ty)?.table();
        let ids: Vec<String> = st.store.with_reader(|conn| -> Result<_, rusqlite::Error> {
            let mut stmt = conn.prepare(&format!(
                "SELECT \"Id\" FROM {table} WHERE \"IsDeleted\" = 0 AND \"SystemModstamp\" >= ?1 AND \"SystemModstamp\" <= ?2 ORDER BY \"SystemModstamp\""
            ))?;
            let ids = stmt.query_map([start, end], |r| r.get(0))?.collect::<Result<Vec<_>, _>>()?;
            Ok(ids)
        })?;
        Ok(json_response(StatusCode::OK, &json!({"ids": ids, "latestDateCovered": minute(end)})))
    })
    .await
}
