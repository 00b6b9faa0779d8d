//! sObject rows by external id: `GET`, `PATCH` (upsert) and `DELETE` on
//! `/sobjects/{type}/{field}/{value}`, beside the sObject routes. An upsert runs as composite's
//! upsert subrequest does, in one transaction.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value as Json, json};

use super::composite::{dispatch, percent_encode, sub_response, upsert_sub, upsert_url};
use super::{Session, State, blocking, json_response, no_content, parse_body, version};
use crate::api_error::ApiError;

pub(super) fn routes() -> Router<State> {
    Router::new().route(
        "/services/data/{v}/sobjects/{ty}/{field}/{value}",
        get(by_external_id)
            .patch(upsert)
            .delete(delete_by_external_id),
    )
}

/// Upsert, lookup and delete by external id.
pub(crate) async fn upsert(
    AxState(state): AxState<State>,
    Path((v, ty, field, value)): Path<(String, String, String, String)>,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        let v = version(&v)?;
        let fields = match parse_body(&body)? {
            Json::Object(m) => m,
            _ => {
                return Err(ApiError::bad_request(
                    "JSON_PARSER_ERROR",
                    "Cannot deserialize instance of sObject from a non-object value",
                ));
            }
        };
        let update_only = params.get("updateOnly").is_some_and(|u| u == "true");
        let sub = st.store.write_batch(|b| {
            let name = b.sobject_name(&ty)?;
            upsert_sub(b, &s.actor, &v, &name, &field, &value, &fields, update_only)
        })?;
        Ok(sub_response(&sub))
    })
    .await
}

pub(crate) async fn by_external_id(
    AxState(state): AxState<State>,
    Path((v, ty, field, value)): Path<(String, String, String, String)>,
    s: Session,
) -> Response {
    blocking(&state, move |st| {
        let url = format!(
            "/services/data/{v}/sobjects/{ty}/{field}/{}",
            percent_encode(&value)
        );
        let sub = st
            .store
            .write_batch(|b| dispatch(&st, b, &s.actor, "GET", &url, None))?;
        Ok(sub_response(&sub))
    })
    .await
}

pub(crate) async fn delete_by_external_id(
    AxState(state): AxState<State>,
    Path((v, ty, field, value)): Path<(String, String, String, String)>,
    s: Session,
) -> Response {
    blocking(&state, move |st| {
        let v = version(&v)?;
        let (name, several) = st.store.write_batch(|b| {
            let name = b.sobject_name(&ty)?;
            match b.find_by(&name, &field, &value)?.as_slice() {
                [] => Err(ApiError::not_found()),
                [one] => b.delete(&s.actor, &name, one).map(|()| (name, None)),
                many => Ok((name, Some(many.to_vec()))),
            }
        })?;
        Ok(match several {
            // Several records share the value: nothing is deleted, and the answer lists them.
            Some(ids) => json_response(
                StatusCode::MULTIPLE_CHOICES,
                &json!(
                    ids.iter()
                        .map(|i| upsert_url(&v, &name, i))
                        .collect::<Vec<_>>()
                ),
            ),
            None => no_content(),
        })
    })
    .await
}
