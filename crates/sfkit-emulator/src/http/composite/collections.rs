//! sObject Collections: create, update, upsert, delete and retrieve up to 200 records in one
//! request, each item's outcome reported (allOrNone rolls them all back).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value as Json, json};

use super::references::json_text;
use crate::api_error::{ApiError, ApiErrorItem};
use crate::http::{OrgState, Session, State, blocking, json_response, parse_body, version};
use crate::store::{Batch, Upserted};

/// Errors inside collections and trees use `statusCode` where REST uses `errorCode`.
pub(super) fn status_errors(items: &[ApiErrorItem]) -> Json {
    Json::Array(
        items
            .iter()
            .map(|i| json!({"statusCode": i.error_code, "message": i.message, "fields": i.fields.clone().unwrap_or_default()}))
            .collect(),
    )
}

pub(super) fn rolled_back() -> Json {
    json!([{
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
        "fields": [],
    }])
}

/// Runs `op` on each item in one transaction, as sObject Collections do.
pub(super) fn collection<T>(
    state: &OrgState,
    items: &[T],
    all_or_none: bool,
    op: impl Fn(&mut Batch<'_>, &T) -> Result<Json, ApiError>,
) -> Result<Vec<Json>, ApiError> {
    if items.len() > 200 {
        return Err(ApiError::bad_request(
            "EXCEEDED_ID_LIMIT",
            "Record limit reached. Maximum number of records allowed per request is 200",
        ));
    }
    let mut out: Vec<Result<Json, ApiError>> = Vec::new();
    state.store.write_batch(|batch| {
        let whole = batch.attempt(|b| {
            // Every record is tried, each in its own savepoint, so each invalid record reports
            // its own error; with allOrNone, any failure then rolls the whole request back.
            for item in items {
                out.push(b.attempt(|inner| op(inner, item)));
            }
            if all_or_none && out.iter().any(Result::is_err) {
                return Err(ApiError::bad_request(
                    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                    "rolled back",
                ));
            }
            Ok(())
        });
        let _ = whole;
        Ok(())
    })?;
    let failed = out.iter().any(Result::is_err);
    let mut results = Vec::with_capacity(items.len());
    for i in 0..items.len() {
        results.push(match out.get(i) {
            Some(Ok(v)) if !(failed && all_or_none) => v.clone(),
            Some(Err(e)) => {
                json!({"id": null, "success": false, "errors": status_errors(&e.items)})
            }
            _ => json!({"id": null, "success": false, "errors": rolled_back()}),
        });
    }
    Ok(results)
}

pub(super) fn collection_body(body: &[u8]) -> Result<(bool, Vec<Json>), ApiError> {
    let req = parse_body(body)?;
    let all_or_none = req
        .get("allOrNone")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let records = req
        .get("records")
        .and_then(Json::as_array)
        .cloned()
        .ok_or_else(|| {
            ApiError::bad_request(
                "JSON_PARSER_ERROR",
                "records is required and must be an array",
            )
        })?;
    Ok((all_or_none, records))
}

pub(super) fn record_type(r: &Json) -> Result<String, ApiError> {
    r.get("attributes")
        .and_then(|a| a.get("type"))
        .and_then(Json::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad_request("INVALID_TYPE", "Must send a concrete entity type."))
}

pub(super) fn record_fields(r: &Json) -> Map<String, Json> {
    let mut m = r.as_object().cloned().unwrap_or_default();
    m.remove("attributes");
    m
}

pub(super) async fn collection_create(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let (all, records) = collection_body(&body)?;
        let results = collection(&st, &records, all, |b, rec| {
            let ty = record_type(rec)?;
            let mut fields = record_fields(rec);
            if fields.keys().any(|k| k.eq_ignore_ascii_case("Id")) {
                return Err(ApiError::bad_request(
                    "INVALID_FIELD",
                    "Cannot specify Id in an insert call",
                ));
            }
            fields.retain(|k, _| k != "attributes");
            let id = b.insert(
                &s.actor,
                &ty,
                &fields,
                crate::store::WriteOptions::default(),
            )?;
            Ok(json!({"id": id, "success": true, "errors": []}))
        })?;
        Ok(json_response(StatusCode::OK, &Json::Array(results)))
    })
    .await
}

pub(super) async fn collection_update(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let (all, records) = collection_body(&body)?;
        let results = collection(&st, &records, all, |b, rec| {
            let ty = record_type(rec)?;
            let mut fields = record_fields(rec);
            let id = fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("Id"))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| ApiError::with_fields(400, "MISSING_ARGUMENT", "Id not specified in an update call", vec![]))?;
            fields.retain(|k, _| !k.eq_ignore_ascii_case("Id"));
            b.update(&s.actor, &ty, &id, &fields)?;
            Ok(json!({"id": crate::ids::normalize(&id).unwrap_or(id), "success": true, "errors": []}))
        })?;
        Ok(json_response(StatusCode::OK, &Json::Array(results)))
    })
    .await
}

pub(super) async fn collection_upsert(
    AxState(state): AxState<State>,
    Path((v, ty, field)): Path<(String, String, String)>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let (all, records) = collection_body(&body)?;
        let results = collection(&st, &records, all, |b, rec| {
            let mut fields = record_fields(rec);
            let key = fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&field))
                .map(|(_, v)| json_text(v))
                .ok_or_else(|| {
                    ApiError::with_fields(
                        400,
                        "MISSING_ARGUMENT",
                        format!("{field} not specified"),
                        vec![],
                    )
                })?;
            fields.retain(|k, _| !k.eq_ignore_ascii_case(&field));
            let name = b.sobject_name(&ty)?;
            match b.upsert(&s.actor, &name, &field, &key, &fields, false)? {
                Upserted::Created(id) => {
                    Ok(json!({"id": id, "success": true, "errors": [], "created": true}))
                }
                Upserted::Updated(id) => {
                    Ok(json!({"id": id, "success": true, "errors": [], "created": false}))
                }
                Upserted::Multiple(_) => Err(ApiError::bad_request(
                    "DUPLICATE_EXTERNAL_ID",
                    format!("{field}: more than one record found for external id field"),
                )),
            }
        })?;
        Ok(json_response(StatusCode::OK, &Json::Array(results)))
    })
    .await
}

pub(super) async fn collection_delete(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
    s: Session,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let ids: Vec<String> = params
            .get("ids")
            .map(|i| {
                i.split(',')
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let all = params.get("allOrNone").is_some_and(|a| a == "true");
        let schema = st.store.schema().clone();
        let results = collection(&st, &ids, all, |b, id| {
            let norm = crate::ids::normalize(id).ok_or_else(|| {
                ApiError::with_fields(400, "MALFORMED_ID", format!("malformed id {id}"), vec![])
            })?;
            let ty = schema
                .by_prefix(crate::ids::prefix(&norm))
                .map(|t| t.name.clone())
                .ok_or_else(|| {
                    ApiError::with_fields(
                        400,
                        "INVALID_CROSS_REFERENCE_KEY",
                        "invalid cross reference id",
                        vec![],
                    )
                })?;
            b.delete(&s.actor, &ty, &norm)?;
            Ok(json!({"id": norm, "success": true, "errors": []}))
        })?;
        Ok(json_response(StatusCode::OK, &Json::Array(results)))
    })
    .await
}

pub(super) fn retrieve(
    state: &OrgState,
    v: &str,
    ty: &str,
    ids: &[String],
    fields: &[String],
) -> Result<Response, ApiError> {
    let v = version(v)?;
    if fields.is_empty() {
        return Err(ApiError::with_fields(
            400,
            "MISSING_ARGUMENT",
            "fields not specified",
            vec![],
        ));
    }
    let name = state.store.sobject(ty)?.name.clone();
    let records: Vec<Json> = ids
        .iter()
        .map(|id| {
            state
                .store
                .get(&name, id, Some(fields), &v)
                .map(Json::Object)
                .unwrap_or(Json::Null)
        })
        .collect();
    Ok(json_response(StatusCode::OK, &Json::Array(records)))
}

pub(super) async fn collection_retrieve(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
    _s: Session,
) -> Response {
    blocking(&state, move |st| {
        let split = |k: &str| -> Vec<String> {
            params
                .get(k)
                .map(|x| x.split(',').map(str::to_owned).collect())
                .unwrap_or_default()
        };
        retrieve(&st, &v, &ty, &split("ids"), &split("fields"))
    })
    .await
}

pub(super) async fn collection_retrieve_post(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    _s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        let req = parse_body(&body)?;
        let list = |k: &str| -> Vec<String> {
            req.get(k)
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Json::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        retrieve(&st, &v, &ty, &list("ids"), &list("fields"))
    })
    .await
}
