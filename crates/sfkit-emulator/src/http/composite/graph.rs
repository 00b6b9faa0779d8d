//! Composite and composite graph: subrequests run in order in one transaction, each able to
//! reference the answers of those before it; a composite request (up to 25) is one graph (up to
//! 500 each).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value as Json, json};

use super::Sub;
use super::references::{resolve_body, resolve_refs, valid_reference_id};
use super::subrequest::dispatch;
use crate::api_error::ApiError;
use crate::http::{OrgState, Session, State, blocking, json_response, parse_body, version};
use crate::store::Actor;

pub(super) struct SubRequest {
    pub(super) method: String,
    pub(super) url: String,
    pub(super) reference: String,
    pub(super) body: Option<Json>,
}

pub(super) fn parse_subrequests(
    list: Option<&Json>,
    max: usize,
) -> Result<Vec<SubRequest>, ApiError> {
    let list = list.and_then(Json::as_array).ok_or_else(|| {
        ApiError::bad_request(
            "JSON_PARSER_ERROR",
            "compositeRequest is required and must be an array",
        )
    })?;
    if list.is_empty() || list.len() > max {
        return Err(ApiError::bad_request(
            "LIMIT_EXCEEDED",
            format!("A composite request must have between 1 and {max} subrequests"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    list.iter()
        .map(|s| {
            let field = |k: &str| s.get(k).and_then(Json::as_str).map(str::to_owned);
            let method = field("method").ok_or_else(|| ApiError::bad_request("INVALID_INPUT", "Each subrequest needs a method"))?;
            let url = field("url").ok_or_else(|| ApiError::bad_request("INVALID_INPUT", "Each subrequest needs a url"))?;
            let reference = field("referenceId").ok_or_else(|| ApiError::bad_request("INVALID_INPUT", "Each subrequest needs a referenceId"))?;
            if !valid_reference_id(&reference) {
                return Err(ApiError::bad_request(
                    "INVALID_INPUT",
                    format!("Invalid referenceId {reference}: it must start with a letter or a number, and it can contain only letters, numbers and underscores"),
                ));
            }
            if !seen.insert(reference.clone()) {
                return Err(ApiError::bad_request("INVALID_INPUT", format!("Duplicate referenceId {reference}")));
            }
            Ok(SubRequest { method, url, reference, body: s.get("body").cloned() })
        })
        .collect()
}

/// Runs subrequests in one transaction; with `all_or_none`, any failure rolls everything back.
pub(super) fn run_composite(
    state: &OrgState,
    actor: &Actor,
    subs: &[SubRequest],
    all_or_none: bool,
) -> Result<(Vec<Sub>, bool), ApiError> {
    let mut results: Vec<Sub> = Vec::with_capacity(subs.len());
    let mut failed = false;
    state.store.write_batch(|batch| {
        let outcome = batch.attempt(|b| {
            let mut refs: HashMap<String, Json> = HashMap::new();
            for sub in subs {
                let resolved = resolve_refs(&sub.url, &refs).and_then(|url| {
                    let body = sub
                        .body
                        .as_ref()
                        .map(|b| resolve_body(b, &refs))
                        .transpose()?;
                    Ok((url, body))
                });
                let result = match resolved {
                    Err(e) => Sub::error(&e),
                    Ok((url, body)) if all_or_none => {
                        dispatch(state, b, actor, &sub.method, &url, body.as_ref())
                            .unwrap_or_else(|e| Sub::error(&e))
                    }
                    Ok((url, body)) => b
                        .attempt(|inner| {
                            dispatch(state, inner, actor, &sub.method, &url, body.as_ref())
                        })
                        .unwrap_or_else(|e| Sub::error(&e)),
                };
                if result.ok() {
                    refs.insert(sub.reference.clone(), result.body.clone());
                } else {
                    failed = true;
                }
                results.push(result);
                if failed && all_or_none {
                    break;
                }
            }
            if failed && all_or_none {
                Err(ApiError::bad_request("PROCESSING_HALTED", "rolled back"))
            } else {
                Ok(())
            }
        });
        // A rolled-back allOrNone request still answers 200 with its results.
        match outcome {
            Ok(()) | Err(_) => Ok(()),
        }
    })?;
    if failed && all_or_none {
        let halted = Sub::error(&ApiError::bad_request(
            "PROCESSING_HALTED",
            "The transaction was rolled back since another operation in the same transaction failed.",
        ));
        let mut out = Vec::with_capacity(subs.len());
        for i in 0..subs.len() {
            match results.get(i) {
                Some(r) if !r.ok() => out.push(r.clone()),
                _ => out.push(halted.clone()),
            }
        }
        return Ok((out, false));
    }
    Ok((results, !failed))
}

pub(super) fn composite_response(subs: &[SubRequest], results: &[Sub]) -> Json {
    let items: Vec<Json> = subs
        .iter()
        .zip(results)
        .map(|(s, r)| {
            let headers = match &r.location {
                Some(l) => json!({"Location": l}),
                None => json!({}),
            };
            json!({"body": r.body, "httpHeaders": headers, "httpStatusCode": r.status, "referenceId": s.reference})
        })
        .collect();
    json!({"compositeResponse": items})
}

pub(super) async fn composite(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let req = parse_body(&body)?;
        let all_or_none = req
            .get("allOrNone")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        let subs = parse_subrequests(req.get("compositeRequest"), 25)?;
        let (results, _) = run_composite(&st, &s.actor, &subs, all_or_none)?;
        Ok(json_response(
            StatusCode::OK,
            &composite_response(&subs, &results),
        ))
    })
    .await
}

pub(super) async fn graph(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let req = parse_body(&body)?;
        let graphs = req.get("graphs").and_then(Json::as_array).ok_or_else(|| ApiError::bad_request("JSON_PARSER_ERROR", "graphs is required"))?;
        let mut out = Vec::new();
        for g in graphs {
            let id = g.get("graphId").and_then(Json::as_str).unwrap_or_default().to_owned();
            let subs = parse_subrequests(g.get("compositeRequest"), 500)?;
            let (results, ok) = run_composite(&st, &s.actor, &subs, true)?;
            out.push(json!({"graphId": id, "isSuccessful": ok, "graphResponse": composite_response(&subs, &results)}));
        }
        Ok(json_response(StatusCode::OK, &json!({"graphs": out})))
    })
    .await
}
