//! sObject rows by id: create, read, update and delete.

use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value as Json, json};

use crate::api_error::ApiError;
use crate::http::{
    Session, State, answer, blocking, json_response, no_content, parse_body, run_blocking, version,
};

fn body_object(body: &[u8]) -> Result<Map<String, Json>, ApiError> {
    match parse_body(body)? {
        Json::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request(
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of sObject from a value that is not a JSON object",
        )),
    }
}

pub(super) async fn create(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    s: Session,
    body: Bytes,
) -> Response {
    // No blocking-pool hop: the create is queued for the store's writer thread and its answer
    // awaited, so a request costs one hand-off there and one back.
    let r = async {
        let v = version(&v)?;
        let fields = if body.len() > PARSE_INLINE_MAX {
            // A large body is parsed off the async workers, which it would otherwise hold up.
            run_blocking(move || body_object(&body)).await?
        } else {
            body_object(&body)?
        };
        let object = state.store.sobject(&ty)?.name.clone();
        let id = state.store.insert_async(&s.actor, &object, fields).await?;
        let mut resp = json_response(
            StatusCode::CREATED,
            &json!({"id": id, "success": true, "errors": []}),
        );
        if let Ok(loc) = format!("/services/data/v{v}/sobjects/{object}/{id}").parse() {
            resp.headers_mut().insert(axum::http::header::LOCATION, loc);
        }
        Ok(resp)
    }
    .await;
    answer(&state, r)
}

/// The largest create body parsed on an async worker (a record's JSON is usually well under).
const PARSE_INLINE_MAX: usize = 64 * 1024;

#[derive(serde::Deserialize)]
pub(super) struct FieldsParam {
    fields: Option<String>,
}

pub(super) async fn read(
    AxState(state): AxState<State>,
    Path((v, ty, id)): Path<(String, String, String)>,
    UrlQuery(p): UrlQuery<FieldsParam>,
    _s: Session,
) -> Response {
    blocking(&state, move |st| {
        let v = version(&v)?;
        let fields: Option<Vec<String>> =
            p.fields.map(|f| f.split(',').map(str::to_owned).collect());
        let rec = st.store.get(&ty, &id, fields.as_deref(), &v)?;
        Ok(json_response(StatusCode::OK, &Json::Object(rec)))
    })
    .await
}

pub(super) async fn update(
    AxState(state): AxState<State>,
    Path((v, ty, id)): Path<(String, String, String)>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let fields = body_object(&body)?;
        st.store.update(&s.actor, &ty, &id, &fields)?;
        Ok(no_content())
    })
    .await
}

pub(super) async fn delete(
    AxState(state): AxState<State>,
    Path((v, ty, id)): Path<(String, String, String)>,
    s: Session,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        st.store.delete(&s.actor, &ty, &id)?;
        Ok(no_content())
    })
    .await
}
