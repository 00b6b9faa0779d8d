//! REST resources under `/services/data`: versions, resources, sObjects (describe and CRUD),
//! query and queryAll with locators, and limits.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value as Json, json};

use super::{
    CURSOR_TTL, CURSORS_PER_USER, Cursor, Session, State, answer, blocking, json_response,
    json_text_response, no_content, parse_body, run_blocking, version,
};
use crate::api_error::ApiError;
use crate::schema::{Field, SObjectType};
use crate::soql::{self, Env};

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
pub(crate) fn limits_body(state: &super::OrgState) -> Json {
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

fn object_summary(o: &SObjectType, v: &str) -> Json {
    let base = format!("/services/data/v{v}/sobjects/{}", o.name);
    json!({
        "activateable": false, "createable": o.createable, "custom": o.custom, "customSetting": false,
        "deepCloneable": false, "deletable": o.deletable, "deprecatedAndHidden": false, "feedEnabled": false,
        "hasSubtypes": false, "isInterface": false, "isSubtype": false, "keyPrefix": o.key_prefix,
        "label": o.label, "labelPlural": o.label_plural, "layoutable": true, "mergeable": false,
        "mruEnabled": false, "name": o.name, "queryable": true, "replicateable": true,
        "retrieveable": true, "searchable": o.searchable, "triggerable": true, "undeletable": o.deletable,
        "updateable": o.updateable,
        "urls": {"sobject": base, "describe": format!("{base}/describe"), "rowTemplate": format!("{base}/{{ID}}")},
    })
}

async fn describe_global(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    _s: Session,
) -> Response {
    let r = version(&v).map(|v| {
        let objects: Vec<Json> = state
            .store
            .schema()
            .objects()
            .iter()
            .map(|o| object_summary(o, &v))
            .collect();
        json_response(
            StatusCode::OK,
            &json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objects}),
        )
    });
    answer(&state, r)
}

async fn basic_info(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    _s: Session,
) -> Response {
    let r = (|| {
        let v = version(&v)?;
        let o = state.store.sobject(&ty)?;
        Ok(json_response(
            StatusCode::OK,
            &json!({"objectDescribe": object_summary(o, &v), "recentItems": []}),
        ))
    })();
    answer(&state, r)
}

fn describe_field(f: &Field) -> Json {
    let numeric = f.kind.is_number();
    json!({
        "aggregatable": true, "autoNumber": f.name == "CaseNumber", "byteLength": if f.kind.is_text() { f.length * 3 } else { 0 },
        "calculated": f.calculated, "calculatedFormula": null, "cascadeDelete": f.cascade_delete,
        "caseSensitive": f.case_sensitive, "compoundFieldName": null, "controllerName": null,
        "createable": f.createable && !f.calculated, "custom": f.name.ends_with("__c"),
        "defaultValue": f.default_value, "defaultValueFormula": null, "defaultedOnCreate": f.defaulted_on_create,
        "dependentPicklist": false, "deprecatedAndHidden": false,
        "digits": if f.kind == crate::schema::FieldType::Int { f.precision } else { 0 },
        "encrypted": false, "externalId": f.external_id, "filterable": true, "groupable": !numeric,
        "htmlFormatted": false, "idLookup": f.name == "Id" || f.external_id || f.unique,
        "inlineHelpText": null, "label": f.label, "length": if f.kind.is_text() { f.length } else { 0 },
        "name": f.name, "nameField": f.name_field, "namePointing": f.reference_to.len() > 1,
        "nillable": f.nillable, "permissionable": f.nillable && !f.calculated,
        "picklistValues": f.picklist.iter().map(|p| json!({
            "active": p.active, "defaultValue": p.default_value, "label": p.label, "validFor": null, "value": p.value,
        })).collect::<Vec<_>>(),
        "polymorphicForeignKey": f.reference_to.len() > 1,
        "precision": if matches!(f.kind, crate::schema::FieldType::Currency | crate::schema::FieldType::Double | crate::schema::FieldType::Percent) { f.precision } else { 0 },
        "referenceTargetField": null, "referenceTo": f.reference_to, "relationshipName": f.relationship_name,
        "relationshipOrder": null, "restrictedDelete": false, "restrictedPicklist": f.restricted_picklist,
        "scale": f.scale, "soapType": f.kind.soap_type(), "sortable": true, "type": f.kind,
        "unique": f.unique, "updateable": f.updateable && !f.calculated, "writeRequiresMasterRead": false,
    })
}

async fn describe(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    _s: Session,
) -> Response {
    let r = (|| {
        let v = version(&v)?;
        let o = state.store.sobject(&ty)?;
        let mut d = object_summary(o, &v);
        if let Json::Object(m) = &mut d {
            m.insert(
                "fields".into(),
                Json::Array(o.fields.iter().map(describe_field).collect()),
            );
            m.insert(
                "childRelationships".into(),
                Json::Array(
                    o.child_relationships
                        .iter()
                        .map(|c| json!({
                            "cascadeDelete": c.cascade_delete, "childSObject": c.child, "deprecatedAndHidden": false,
                            "field": c.field, "junctionIdListNames": [], "junctionReferenceTo": [],
                            "relationshipName": c.name, "restrictedDelete": false,
                        }))
                        .collect(),
                ),
            );
            m.insert("recordTypeInfos".into(), json!([{
                "active": true, "available": true, "defaultRecordTypeMapping": true, "developerName": "Master",
                "master": true, "name": "Master", "recordTypeId": "012000000000000AAA",
                "urls": {"layout": format!("/services/data/v{v}/sobjects/{}/describe/layouts/012000000000000AAA", o.name)},
            }]));
            m.insert(
                "supportedScopes".into(),
                json!([{"label": "All records", "name": "everything"}]),
            );
            m.insert("compactLayoutable".into(), json!(true));
            m.insert("listviewable".into(), json!(true));
            m.insert("lookupLayoutable".into(), json!(true));
            m.insert("searchLayoutable".into(), json!(true));
            m.insert("namedLayoutInfos".into(), json!([]));
            m.insert("networkScopeFieldName".into(), Json::Null);
            m.insert("actionOverrides".into(), json!([]));
        }
        Ok(json_response(StatusCode::OK, &d))
    })();
    answer(&state, r)
}

fn body_object(body: &[u8]) -> Result<Map<String, Json>, ApiError> {
    match parse_body(body)? {
        Json::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request(
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of sObject from a value that is not a JSON object",
        )),
    }
}

async fn create(
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
struct FieldsParam {
    fields: Option<String>,
}

async fn read(
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

async fn update(
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

async fn delete(
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

#[derive(serde::Deserialize)]
struct QParam {
    q: Option<String>,
    /// `columns=true`: describe the query's columns instead of running it.
    columns: Option<String>,
}

async fn query(
    st: AxState<State>,
    v: Path<String>,
    p: UrlQuery<QParam>,
    s: Session,
    h: HeaderMap,
) -> Response {
    run_query(st.0, v.0, p.0, s, &h, false).await
}

async fn query_all(
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
        let user_id = s.actor.user_id.clone();
        let page = {
            let conn = st.store.reader();
            let mut open = child_locators(&st, &user_id, batch);
            soql::execute(&conn, env, &q, batch, &v, Some(&mut open))?
        };
        let next = match (page.rest.is_empty(), page.plan) {
            (false, Some(plan)) => {
                let first = page.total_size - page.rest.len();
                let locator = store_cursor(
                    &st,
                    Cursor {
                        plan,
                        rest: page.rest,
                        first,
                        total: page.total_size,
                        batch,
                        user_id,
                        touched: Instant::now(),
                    },
                );
                Some(format!("/services/data/v{v}/query/{locator}-{first}"))
            }
            _ => None,
        };
        Ok(json_text_response(
            StatusCode::OK,
            query_body(page.total_size, next.as_deref(), &page.records.json),
        ))
    })
    .await
}

/// A query answer's text: `{"totalSize","done"[,"nextRecordsUrl"],"records"}`, Salesforce's
/// member order; `records` is already a JSON array.
pub(crate) fn query_body(total: usize, next: Option<&str>, records: &str) -> String {
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

/// Opens locators for child relationships with more records than fit in one answer; they
/// page like the query's own locator.
pub(crate) fn child_locators<'a>(
    state: &'a super::OrgState,
    user_id: &'a str,
    batch: usize,
) -> impl FnMut(soql::Overflow) -> String + 'a {
    move |o: soql::Overflow| {
        store_cursor(
            state,
            Cursor {
                plan: o.plan,
                rest: o.rest,
                first: o.first,
                total: o.total,
                batch,
                user_id: user_id.to_owned(),
                touched: Instant::now(),
            },
        )
    }
}

pub(crate) fn store_cursor(state: &super::OrgState, cursor: Cursor) -> String {
    let id = format!(
        "01g{}",
        &crate::ids::mint("01g", rand::random::<u32>().into())[3..15]
    );
    let mut cursors = state
        .cursors
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cursors.retain(|_, c| c.touched.elapsed() < CURSOR_TTL);
    let mine: Vec<(String, Instant)> = cursors
        .iter()
        .filter(|(_, c)| c.user_id == cursor.user_id)
        .map(|(k, c)| (k.clone(), c.touched))
        .collect();
    if let (true, Some((oldest, _))) = (
        mine.len() >= CURSORS_PER_USER,
        mine.iter().min_by_key(|(_, t)| *t),
    ) {
        cursors.remove(oldest);
    }
    cursors.insert(id.clone(), cursor);
    id
}

async fn query_more(
    AxState(state): AxState<State>,
    Path((v, locator)): Path<(String, String)>,
    s: Session,
) -> Response {
    blocking(&state, move |st| {
        let v = version(&v)?;
        let invalid = || ApiError::bad_request("INVALID_QUERY_LOCATOR", "invalid query locator");
        let (id, offset) = locator.rsplit_once('-').ok_or_else(invalid)?;
        let offset: usize = offset.parse().map_err(|_| invalid())?;
        let (plan, ids, total, next, batch) = {
            let mut cursors = st
                .cursors
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let c = cursors
                .get_mut(id)
                .filter(|c| c.user_id == s.actor.user_id && c.touched.elapsed() < CURSOR_TTL)
                .ok_or_else(invalid)?;
            c.touched = Instant::now();
            if offset < c.first || offset > c.total {
                return Err(invalid());
            }
            let start = offset - c.first;
            let end = (start + c.batch).min(c.rest.len());
            let ids: Vec<i64> = c
                .rest
                .get(start..end)
                .map(<[i64]>::to_vec)
                .unwrap_or_default();
            (
                Arc::clone(&c.plan),
                ids,
                c.total,
                offset + (end - start),
                c.batch,
            )
        };
        let records = {
            let conn = st.store.reader();
            let mut open = child_locators(&st, &s.actor.user_id, batch);
            soql::fetch(&conn, st.store.schema(), &plan, &ids, &v, Some(&mut open))?
        };
        let next = (next < total).then(|| format!("/services/data/v{v}/query/{id}-{next}"));
        Ok(json_text_response(
            StatusCode::OK,
            query_body(total, next.as_deref(), &records.json),
        ))
    })
    .await
}

/// `start` and `end` of a replication request, as epoch milliseconds.
fn replication_window(
    p: &std::collections::HashMap<String, String>,
) -> Result<(i64, i64), ApiError> {
    let parse = |k: &str| -> Result<i64, ApiError> {
        let raw = p.get(k).ok_or_else(|| {
            ApiError::bad_request(
                "MISSING_ARGUMENT",
                format!("{k} is required, as an ISO 8601 dateTime"),
            )
        })?;
        crate::store::values::parse_datetime(raw)
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
    crate::store::values::format_datetime(ms - ms.rem_euclid(60_000))
}

async fn deleted(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    UrlQuery(p): UrlQuery<std::collections::HashMap<String, String>>,
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
            .map(|(id, t)| json!({"id": id, "deletedDate": crate::store::values::format_datetime(*t)}))
            .collect();
        Ok(json_response(
            StatusCode::OK,
            &json!({"deletedRecords": records, "earliestDateAvailable": minute(earliest), "latestDateCovered": minute(end)}),
        ))
    })
    .await
}

async fn updated(
    AxState(state): AxState<State>,
    Path((v, ty)): Path<(String, String)>,
    UrlQuery(p): UrlQuery<std::collections::HashMap<String, String>>,
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
