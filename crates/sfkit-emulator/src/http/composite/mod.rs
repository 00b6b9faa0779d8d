//! The composite family: composite (with references and allOrNone), composite batch, tree,
//! graph, and sObject Collections (`collections`, `tree`).
//!
//! Subrequests run inside one SQLite transaction, so allOrNone is exact: a failure rolls back
//! every write of the request. Subrequests never go back through HTTP; they are dispatched here
//! to the store, which is why only the resources composite allows (sObject rows, upsert, query)
//! are accepted.

use std::collections::HashMap;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, patch, post};
use serde_json::{Map, Value as Json, json};

use super::{
    Cursor, OrgState, Session, State, blocking, json_response, no_content, parse_body, version,
};
use crate::api_error::{ApiError, ApiErrorItem};
use crate::soql::{self, Env};
use crate::store::{Actor, Batch, Upserted};

mod collections;
mod tree;

// The parts share one namespace, as when they were one file.
pub(crate) use collections::*;
pub(crate) use tree::*;

pub(super) fn routes() -> Router<State> {
    Router::new()
        .route("/services/data/{v}/composite", post(composite))
        .route("/services/data/{v}/composite/batch", post(batch))
        .route("/services/data/{v}/composite/graph", post(graph))
        .route("/services/data/{v}/composite/tree/{ty}", post(tree))
        .route(
            "/services/data/{v}/composite/sobjects",
            post(collection_create)
                .patch(collection_update)
                .delete(collection_delete),
        )
        .route(
            "/services/data/{v}/composite/sobjects/{ty}",
            get(collection_retrieve).post(collection_retrieve_post),
        )
        .route(
            "/services/data/{v}/composite/sobjects/{ty}/{field}",
            patch(collection_upsert),
        )
}

/// The outcome of one subrequest.
#[derive(Debug, Clone)]
pub(crate) struct Sub {
    pub(crate) status: u16,
    pub(crate) body: Json,
    pub(crate) location: Option<String>,
}

impl Sub {
    fn error(e: &ApiError) -> Self {
        Sub {
            status: e.status,
            body: serde_json::to_value(&e.items).unwrap_or(Json::Null),
            location: None,
        }
    }

    fn ok(&self) -> bool {
        self.status < 400
    }
}

pub(crate) fn upsert_url(v: &str, ty: &str, id: &str) -> String {
    format!("/services/data/v{v}/sobjects/{ty}/{id}")
}

/// `%XX` sequences to bytes (invalid UTF-8 replaced); anything else as is.
pub(crate) fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes everything but RFC 3986's unreserved characters, for a path segment.
pub(crate) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs one REST call against the batch's transaction.
pub(crate) fn dispatch(
    state: &OrgState,
    batch: &mut Batch<'_>,
    actor: &Actor,
    method: &str,
    url: &str,
    body: Option<&Json>,
) -> Result<Sub, ApiError> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path = path.trim_start_matches('/').trim_end_matches('/');
    let path = path.strip_prefix("services/data/").unwrap_or(path);
    let (ver, rest) = path.split_once('/').ok_or_else(ApiError::not_found)?;
    let v = version(ver)?;
    // Subrequest URLs are percent-encoded, as on the wire (an external id may hold `?` or `&`).
    let decoded: Vec<String> = rest.split('/').map(percent_decode).collect();
    let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let params = super::oauth::form_map(query.as_bytes());
    let fields_obj = || match body {
        Some(Json::Object(m)) => Ok(m.clone()),
        _ => Err(ApiError::bad_request(
            "JSON_PARSER_ERROR",
            "The HTTP entity body is required, but this request has no entity body.",
        )),
    };
    let method = method.to_ascii_uppercase();
    match (method.as_str(), segs.as_slice()) {
        ("POST", ["sobjects", ty]) => {
            let name = batch.sobject_name(ty)?;
            let id = batch.insert(
                actor,
                &name,
                &fields_obj()?,
                crate::store::WriteOptions::default(),
            )?;
            Ok(Sub {
                status: 201,
                body: json!({"id": id, "success": true, "errors": []}),
                location: Some(upsert_url(&v, &name, &id)),
            })
        }
        ("GET", ["sobjects", ty, id]) => {
            let fields: Option<Vec<String>> = params
                .get("fields")
                .map(|f| f.split(',').map(str::to_owned).collect());
            let rec = batch.get(ty, id, fields.as_deref(), &v)?;
            Ok(Sub {
                status: 200,
                body: Json::Object(rec),
                location: None,
            })
        }
        ("PATCH", ["sobjects", ty, id]) => {
            batch.update(actor, ty, id, &fields_obj()?)?;
            Ok(Sub {
                status: 204,
                body: Json::Null,
                location: None,
            })
        }
        ("DELETE", ["sobjects", ty, id]) => {
            batch.delete(actor, ty, id)?;
            Ok(Sub {
                status: 204,
                body: Json::Null,
                location: None,
            })
        }
        ("PATCH", ["sobjects", ty, field, value]) => {
            let name = batch.sobject_name(ty)?;
            let update_only = params.get("updateOnly").is_some_and(|v| v == "true");
            upsert_sub(
                batch,
                actor,
                &v,
                &name,
                field,
                value,
                &fields_obj()?,
                update_only,
            )
        }
        ("GET", ["sobjects", ty, field, value]) => {
            let name = batch.sobject_name(ty)?;
            let ids = batch.find_by(&name, field, value)?;
            match ids.as_slice() {
                [] => Err(ApiError::not_found()),
                [one] => Ok(Sub {
                    status: 200,
                    body: Json::Object(batch.get(&name, one, None, &v)?),
                    location: None,
                }),
                many => Ok(Sub {
                    status: 300,
                    body: json!(
                        many.iter()
                            .map(|i| upsert_url(&v, &name, i))
                            .collect::<Vec<_>>()
                    ),
                    location: None,
                }),
            }
        }
        ("GET", ["limits"]) => Ok(Sub {
            status: 200,
            body: super::rest::limits_body(state),
            location: None,
        }),
        ("GET", ["query" | "queryAll", ..]) => {
            let all = segs.first() == Some(&"queryAll");
            let q = params.get("q").cloned().unwrap_or_default();
            let body = run_query_on(state, batch, actor, &q, all, &v)?;
            Ok(Sub {
                status: 200,
                body,
                location: None,
            })
        }
        _ => Err(ApiError::bad_request(
            "INVALID_URL",
            format!("{method} {url} is not a valid composite subrequest"),
        )),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn upsert_sub(
    batch: &mut Batch<'_>,
    actor: &Actor,
    v: &str,
    ty: &str,
    field: &str,
    value: &str,
    fields: &Map<String, Json>,
    update_only: bool,
) -> Result<Sub, ApiError> {
    let old_api = v
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .is_some_and(|m| m < 46);
    match batch.upsert(actor, ty, field, value, fields, update_only)? {
        Upserted::Created(id) => Ok(Sub {
            status: 201,
            body: json!({"id": id, "success": true, "errors": [], "created": true}),
            location: Some(upsert_url(v, ty, &id)),
        }),
        Upserted::Updated(_) if old_api => Ok(Sub {
            status: 204,
            body: Json::Null,
            location: None,
        }),
        Upserted::Updated(id) => Ok(Sub {
            status: 200,
            body: json!({"id": id, "success": true, "errors": [], "created": false}),
            location: None,
        }),
        Upserted::Multiple(ids) => Ok(Sub {
            status: 300,
            body: json!(ids.iter().map(|i| upsert_url(v, ty, i)).collect::<Vec<_>>()),
            location: None,
        }),
    }
}

/// A query inside a transaction: sees the transaction's writes; a locator is kept as usual.
pub(crate) fn run_query_on(
    state: &OrgState,
    batch: &Batch<'_>,
    actor: &Actor,
    q: &str,
    all: bool,
    v: &str,
) -> Result<Json, ApiError> {
    if q.trim().is_empty() {
        return Err(ApiError::bad_request(
            "MALFORMED_QUERY",
            "A query string has to be specified",
        ));
    }
    let schema = state.store.schema().clone();
    let env = Env {
        schema: &schema,
        today: chrono::Utc::now().date_naive(),
        fiscal_start: 1,
        all_rows: all,
        plans: Some(&state.store.plans),
    };
    let page = {
        let mut open = super::rest::child_locators(state, &actor.user_id, 2000);
        soql::execute(batch.conn(), env, q, 2000, v, Some(&mut open))?
    };
    let next = match (page.rest.is_empty(), page.plan) {
        (false, Some(plan)) => {
            let first = page.total_size - page.rest.len();
            let cursor = Cursor {
                plan,
                rest: page.rest,
                first,
                total: page.total_size,
                batch: 2000,
                user_id: actor.user_id.clone(),
                touched: Instant::now(),
            };
            let locator = super::rest::store_cursor(state, cursor);
            Some(format!("/services/data/v{v}/query/{locator}-{first}"))
        }
        _ => None,
    };
    // Composite answers embed the body in a larger document, so it is read back as a value.
    serde_json::from_str(&super::rest::query_body(
        page.total_size,
        next.as_deref(),
        &page.records.json,
    ))
    .map_err(|e| ApiError::new(500, "UNKNOWN_EXCEPTION", format!("query answer: {e}")))
}

pub(crate) fn sub_response(sub: &Sub) -> Response {
    if sub.status == 204 {
        return no_content();
    }
    let mut r = json_response(
        StatusCode::from_u16(sub.status).unwrap_or(StatusCode::OK),
        &sub.body,
    );
    if let Some(loc) = sub.location.as_deref().and_then(|l| l.parse().ok()) {
        r.headers_mut().insert(axum::http::header::LOCATION, loc);
    }
    r
}

/// `@{ref.path}` references: their values, looked up in earlier subrequests' bodies.
pub(crate) fn resolve_refs(text: &str, refs: &HashMap<String, Json>) -> Result<String, ApiError> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + 2..).unwrap_or_default();
        let end = after
            .find('}')
            .ok_or_else(|| ApiError::bad_request("INVALID_REFERENCE", "unterminated reference"))?;
        let expr = after.get(..end).unwrap_or_default();
        out.push_str(&json_text(&lookup(expr, refs)?));
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

pub(crate) fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn lookup(expr: &str, refs: &HashMap<String, Json>) -> Result<Json, ApiError> {
    let name_end = expr.find(['.', '[']).unwrap_or(expr.len());
    let name = expr.get(..name_end).unwrap_or_default();
    let halted = || {
        ApiError::bad_request(
            "PROCESSING_HALTED",
            format!("Invalid reference specified. No value for {expr} found in {name}."),
        )
    };
    let mut cur = refs.get(name).ok_or_else(halted)?;
    let mut path = expr.get(name_end..).unwrap_or_default();
    while !path.is_empty() {
        if let Some(p) = path.strip_prefix('.') {
            let end = p.find(['.', '[']).unwrap_or(p.len());
            let key = p.get(..end).unwrap_or_default();
            // Field names in references are matched case-insensitively (`id` and `Id`).
            cur = match cur {
                Json::Object(m) => m
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v),
                _ => None,
            }
            .ok_or_else(halted)?;
            path = p.get(end..).unwrap_or_default();
        } else if let Some(p) = path.strip_prefix('[') {
            let end = p.find(']').ok_or_else(halted)?;
            let i: usize = p
                .get(..end)
                .and_then(|n| n.parse().ok())
                .ok_or_else(halted)?;
            cur = cur.get(i).ok_or_else(halted)?;
            path = p.get(end + 1..).unwrap_or_default();
        } else {
            return Err(halted());
        }
    }
    if cur.is_null() {
        return Err(halted());
    }
    Ok(cur.clone())
}

/// Replaces references in every string of a body; a string that is one whole reference takes
/// the referenced value's type.
pub(crate) fn resolve_body(v: &Json, refs: &HashMap<String, Json>) -> Result<Json, ApiError> {
    Ok(match v {
        Json::String(s)
            if s.starts_with("@{") && s.ends_with('}') && s.matches("@{").count() == 1 =>
        {
            lookup(s.get(2..s.len() - 1).unwrap_or_default(), refs)?
        }
        Json::String(s) => Json::String(resolve_refs(s, refs)?),
        Json::Array(a) => Json::Array(
            a.iter()
                .map(|x| resolve_body(x, refs))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, x)| resolve_body(x, refs).map(|x| (k.clone(), x)))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

pub(crate) fn valid_reference_id(r: &str) -> bool {
    r.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(crate) struct SubRequest {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) reference: String,
    pub(crate) body: Option<Json>,
}

pub(crate) fn parse_subrequests(
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
pub(crate) fn run_composite(
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

pub(crate) fn composite_response(subs: &[SubRequest], results: &[Sub]) -> Json {
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

pub(crate) async fn composite(
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

pub(crate) async fn graph(
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

pub(crate) async fn batch(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        version(&v)?;
        let req = parse_body(&body)?;
        let halt = req.get("haltOnError").and_then(Json::as_bool).unwrap_or(false);
        let list = req.get("batchRequests").and_then(Json::as_array).ok_or_else(|| ApiError::bad_request("JSON_PARSER_ERROR", "batchRequests is required"))?;
        if list.is_empty() || list.len() > 25 {
            return Err(ApiError::bad_request("LIMIT_EXCEEDED", "A batch must have between 1 and 25 subrequests"));
        }
        let mut results = Vec::new();
        let mut has_errors = false;
        let mut halted = false;
        for item in list {
            if halted {
                results.push(json!({"statusCode": 412, "result": [{"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}]}));
                continue;
            }
            let method = item.get("method").and_then(Json::as_str).unwrap_or("GET").to_owned();
            let url = item.get("url").and_then(Json::as_str).unwrap_or_default();
            let url = if url.starts_with("/services/data/") { url.to_owned() } else { format!("/services/data/{}", url.trim_start_matches('/')) };
            let body = item.get("richInput").cloned();
            let sub = st
                .store
                .write_batch(|b| dispatch(&st, b, &s.actor, &method, &url, body.as_ref()))
                .unwrap_or_else(|e| Sub::error(&e));
            if !sub.ok() {
                has_errors = true;
                halted = halt;
            }
            results.push(json!({"statusCode": sub.status, "result": sub.body}));
        }
        Ok(json_response(StatusCode::OK, &json!({"hasErrors": has_errors, "results": results})))
    })
    .await
}
