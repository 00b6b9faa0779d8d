//! `query` and `queryAll`: the first page of an answer, and later pages through its
//! [query locator](crate::http::query_locator).

use axum::extract::{Path, Query as UrlQuery, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value as Json;

use crate::api_error::ApiError;
use crate::http::{Session, State, blocking, json_response, json_text_response, version};
use crate::soql::{self, Env};

#[derive(serde::Deserialize)]
pub(super) struct QParam {
    q: Option<String>,
    /// `columns=true`: describe the query's columns instead of running it.
    columns: Option<String>,
}

pub(super) async fn query(
    st: AxState<State>,
    v: Path<String>,
    p: UrlQuery<QParam>,
    s: Session,
    h: HeaderMap,
) -> Response {
    run_query(st.0, v.0, p.0, s, &h, false).await
}

pub(super) async fn query_all(
    st: AxState<State>,
    v: Path<String>,
    p: UrlQuery<QParam>,
    s: Session,
    h: HeaderMap,
) -> Response {
    run_query(st.0, v.0, p.0, s, &h, true).await
}

/// `Sforce-Query-Options: batchSize=N`, clamped to Salesforce's 200..=2000.
fn batch_size(h: &HeaderMap) -> usize {
    h.get("Sforce-Query-Options")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|p| p.trim().strip_prefix("batchSize="))
        })
        .and_then(|n| n.trim().parse::<usize>().ok())
        .map_or(2000, |n| n.clamp(200, 2000))
}

async fn run_query(
    state: State,
    v: String,
    p: QParam,
    s: Session,
    h: &HeaderMap,
    all: bool,
) -> Response {
    let batch = batch_size(h);
    blocking(&state, move |st| {
        let v = version(&v)?;
        let Some(q) = p.q.filter(|q| !q.trim().is_empty()) else {
            return Err(ApiError::bad_request(
                "MALFORMED_QUERY",
                "A query string has to be specified",
            ));
        };
        if p.columns.as_deref() == Some("true") {
            let body = soql::columns(st.store.schema(), &q)?;
            return Ok(json_response(StatusCode::OK, &body));
        }
        let schema = st.store.schema().clone();
        let env = Env {
            schema: &schema,
            today: chrono::Utc::now().date_naive(),
            fiscal_start: 1,
            all_rows: all,
            plans: Some(&st.store.plans),
        };
        let user_id = &s.actor.user_id;
        let page = {
            let conn = st.store.reader();
            let mut open = st.query_locators.for_children(user_id, batch);
            soql::execute(&conn, env, &q, batch, &v, Some(&mut open))?
        };
        let next = st.query_locators.after_first_page(
            page.plan,
            page.rest,
            page.total_size,
            batch,
            user_id,
            &v,
        );
        Ok(json_text_response(
            StatusCode::OK,
            query_body(page.total_size, next.as_deref(), &page.records.json),
        ))
    })
    .await
}

/// A query answer's text: `{"totalSize","done"[,"nextRecordsUrl"],"records"}`, Salesforce's
/// member order; `records` is already a JSON array.
pub(in crate::http) fn query_body(total: usize, next: Option<&str>, records: &str) -> String {
    let mut body = String::with_capacity(records.len() + 128);
    body.push_str(&format!(
        "{{\"totalSize\":{total},\"done\":{}",
        next.is_none()
    ));
    if let Some(url) = next {
        body.push_str(",\"nextRecordsUrl\":");
        body.push_str(&Json::from(url).to_string());
    }
    body.push_str(",\"records\":");
    body.push_str(records);
    body.push('}');
    body
}

pub(super) async fn query_more(
    AxState(state): AxState<State>,
    Path((v, locator)): Path<(String, String)>,
    s: Session,
) -> Response {
    blocking(&state, move |st| {
        let v = version(&v)?;
        let invalid = || ApiError::bad_request("INVALID_QUERY_LOCATOR", "invalid query locator");
        let (id, offset) = locator.rsplit_once('-').ok_or_else(invalid)?;
        let offset: usize = offset.parse().map_err(|_| invalid())?;
        let page = st
            .query_locators
            .page(id, &s.actor.user_id, offset)
            .ok_or_else(invalid)?;
        let records = {
            let conn = st.store.reader();
            let mut open = st.query_locators.for_children(&s.actor.user_id, page.batch);
            soql::fetch(
                &conn,
                st.store.schema(),
                &page.plan,
                &page.ids,
                &v,
                Some(&mut open),
            )?
        };
        let next = (page.next < page.total)
            .then(|| format!("/services/data/v{v}/query/{id}-{}", page.next));
        Ok(json_text_response(
            StatusCode::OK,
            query_body(page.total, next.as_deref(), &records.json),
        ))
    })
    .await
}
