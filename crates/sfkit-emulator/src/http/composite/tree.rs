//! sObject Tree: a tree of records inserted parents first, children with their parent's id.

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value as Json, json};

use super::collections::{record_fields, status_errors};
use crate::api_error::ApiError;
use crate::http::{Session, State, blocking, json_response, parse_body, version};
use crate::store::{Actor, Batch};

/// A tree of records to insert: parents first, children after with their parent's id.
fn insert_tree(
    b: &mut Batch<'_>,
    actor: &Actor,
    ty: &str,
    records: &[Json],
    parent: Option<(&str, &str)>,
    results: &mut Vec<Json>,
    count: &mut usize,
) -> Result<(), (String, ApiError)> {
    for rec in records {
        *count += 1;
        let reference = rec
            .get("attributes")
            .and_then(|a| a.get("referenceId"))
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        if *count > 200 {
            return Err((
                reference,
                ApiError::bad_request("LIMIT_EXCEEDED", "A tree may hold at most 200 records"),
            ));
        }
        let rec_ty = rec
            .get("attributes")
            .and_then(|a| a.get("type"))
            .and_then(Json::as_str)
            .unwrap_or(ty)
            .to_owned();
        let object = b
            .sobject_name(&rec_ty)
            .map_err(|e| (reference.clone(), e))?;
        let mut fields = Map::new();
        let mut children = Vec::new();
        for (k, v) in record_fields(rec) {
            match v.get("records").and_then(Json::as_array) {
                Some(kids) if v.is_object() => children.push((k, kids.clone())),
                _ => {
                    fields.insert(k, v);
                }
            }
        }
        if let Some((field, id)) = parent {
            fields.insert(field.to_owned(), Json::String(id.to_owned()));
        }
        let id = b
            .insert(
                actor,
                &object,
                &fields,
                crate::store::WriteOptions::default(),
            )
            .map_err(|e| (reference.clone(), e))?;
        results.push(json!({"referenceId": reference, "id": id}));
        for (rel, kids) in children {
            let (child_ty, fk) = b
                .child_relationship(&object, &rel)
                .map_err(|e| (reference.clone(), e))?;
            insert_tree(b, actor, &child_ty, &kids, Some((&fk, &id)), results, count)?;
        }
    }
    Ok(())
}

pub(super) async fn tree(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let req = parse_body(&body)?;
        let records = req.get("records").and_then(Json::as_array).cloned().ok_or_else(|| ApiError::bad_request("JSON_PARSER_ERROR", "records is required"))?;
        let mut results = Vec::new();
        let mut failure = None;
        st.store.write_batch(|batch| {
            let outcome = batch.attempt(|b| {
                let mut count = 0;
                insert_tree(b, &s.actor, &ty, &records, None, &mut results, &mut count)
                    .map_err(|(r, e)| {
                        failure = Some((r, e));
                        ApiError::bad_request("PROCESSING_HALTED", "rolled back")
                    })
            });
            let _ = outcome;
            Ok(())
        })?;
        Ok(match failure {
            None => json_response(StatusCode::CREATED, &json!({"hasErrors": false, "results": results})),
            Some((reference, e)) => json_response(
                StatusCode::BAD_REQUEST,
                &json!({"hasErrors": true, "results": [{"referenceId": reference, "errors": status_errors(&e.items)}]}),
            ),
        })
    })
    .await
}
