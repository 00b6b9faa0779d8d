//! One subrequest: a REST call run against the request's transaction, never through HTTP.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value as Json, json};

use super::Sub;
use crate::api_error::ApiError;
use crate::http::oauth::form_map;
use crate::http::rest::{limits_body, query_body};
use crate::http::{OrgState, json_response, no_content, version};
use crate::soql::{self, Env};
use crate::store::{Actor, Batch, Upserted, WriteOptions};

pub(in crate::http) fn upsert_url(v: &str, ty: &str, id: &str) -> String {
    format!("/services/data/v{v}/sobjects/{ty}/{id}")
}

/// `%XX` sequences to bytes (invalid UTF-8 replaced); anything else as is.
pub(in crate::http) fn percent_decode(segment: &str) -> String {
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
pub(in crate::http) fn percent_encode(value: &str) -> String {
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
pub(in crate::http) fn dispatch(
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
    let params = form_map(query.as_bytes());
    let method = method.to_ascii_uppercase();
    match (method.as_str(), segs.as_slice()) {
        ("POST", ["sobjects", ty]) => {
            let name = batch.sobject_name(ty)?;
            let id = batch.insert(actor, &name, &body_fields(body)?, WriteOptions::default())?;
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
            Ok(Sub::answer(200, Json::Object(rec)))
        }
        ("PATCH", ["sobjects", ty, id]) => {
            batch.update(actor, ty, id, &body_fields(body)?)?;
            Ok(Sub::answer(204, Json::Null))
        }
        ("DELETE", ["sobjects", ty, id]) => {
            batch.delete(actor, ty, id)?;
            Ok(Sub::answer(204, Json::Null))
        }
        ("PATCH", ["sobjects", ty, field, value]) => {
            let name = batch.sobject_name(ty)?;
            let update_only = params.get("updateOnly").is_some_and(|v| v == "true");
            let fields = body_fields(body)?;
            upsert_sub(batch, actor, &v, &name, field, value, &fields, update_only)
        }
        ("GET", ["sobjects", ty, field, value]) => by_external_id(batch, &v, ty, field, value),
        ("GET", ["limits"]) => Ok(Sub::answer(200, limits_body(state))),
        ("GET", ["query" | "queryAll", ..]) => {
            let all = segs.first() == Some(&"queryAll");
            let q = params.get("q").cloned().unwrap_or_default();
            let body = run_query_on(state, batch, actor, &q, all, &v)?;
            Ok(Sub::answer(200, body))
        }
        _ => Err(ApiError::bad_request(
            "INVALID_URL",
            format!("{method} {url} is not a valid composite subrequest"),
        )),
    }
}

/// A subrequest's body as the fields of a record.
fn body_fields(body: Option<&Json>) -> Result<Map<String, Json>, ApiError> {
    match body {
        Some(Json::Object(m)) => Ok(m.clone()),
        _ => Err(ApiError::bad_request(
            "JSON_PARSER_ERROR",
            "The HTTP entity body is required, but this request has no entity body.",
        )),
    }
}

/// `GET sobjects/{type}/{field}/{value}`: the one record with that external id, or the URLs of
/// every match (300) when there are several.
fn by_external_id(
    batch: &mut Batch<'_>,
    v: &str,
    ty: &str,
    field: &str,
    value: &str,
) -> Result<Sub, ApiError> {
    let name = batch.sobject_name(ty)?;
    let ids = batch.find_by(&name, field, value)?;
    match ids.as_slice() {
        [] => Err(ApiError::not_found()),
        [one] => Ok(Sub::answer(
            200,
            Json::Object(batch.get(&name, one, None, v)?),
        )),
        many => Ok(Sub::answer(
            300,
            json!(
                many.iter()
                    .map(|i| upsert_url(v, &name, i))
                    .collect::<Vec<_>>()
            ),
        )),
    }
}

#[allow(clippy::too_many_arguments)]
pub(in crate::http) fn upsert_sub(
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
fn run_query_on(
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
    let locators = &state.query_locators;
    let page = {
        let mut open = locators.for_children(&actor.user_id, 2000);
        soql::execute(batch.conn(), env, q, 2000, v, Some(&mut open))?
    };
    let next = locators.after_first_page(
        page.plan,
        page.rest,
        page.total_size,
        2000,
        &actor.user_id,
        v,
    );
    // Composite answers embed the body in a larger document, so it is read back as a value.
    serde_json::from_str(&query_body(
        page.total_size,
        next.as_deref(),
        &page.records.json,
    ))
    .map_err(|e| ApiError::new(500, "UNKNOWN_EXCEPTION", format!("query answer: {e}")))
}

pub(in crate::http) fn sub_response(sub: &Sub) -> Response {
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
