//! Applying a closed ingest job, on a blocking thread: the CSV is read against the object's
//! fields, then written in transactions of [`CHUNK`] records (Salesforce's internal batch size),
//! under savepoints ([`apply_group`]) so that one bad row fails alone and the others are kept.

use std::time::Instant;

use axum::body::Bytes;
use serde_json::{Map, Value as Json};

use super::dialect::Dialect;
use super::jobs::{Job, JobState, Operation, invalid_job};
use crate::api_error::ApiError;
use crate::http::OrgState;
use crate::store::values::now_ms;
use crate::store::{Actor, Batch, Upserted, WriteOptions};

/// Records per transaction when a job is applied.
const CHUNK: usize = 10_000;
/// Records per savepoint within a transaction ([`apply_group`]).
const GROUP: usize = 200;

/// How a CSV column is written.
#[derive(Debug, Clone)]
enum Column {
    /// The record id (update, delete, upsert by Id).
    Id,
    /// A field, by its API name.
    Field(String),
    /// `Relationship.ExternalId`: the parent found by that external id fills `field`.
    Parent {
        field: String,
        target: String,
        key: String,
    },
}

/// Maps a header to columns, or says which name is unknown the way Salesforce does.
fn columns(st: &OrgState, object: &str, header: &[String]) -> Result<Vec<Column>, String> {
    let schema = st.store.schema();
    let o = schema
        .get(object)
        .ok_or_else(|| format!("InvalidBatch : sObject type '{object}' is not supported"))?;
    header
        .iter()
        .map(|name| {
            let name = name.trim();
            if name.eq_ignore_ascii_case("Id") {
                return Ok(Column::Id);
            }
            if let Some(f) = o.field(name) {
                return Ok(Column::Field(f.name.clone()));
            }
            if let Some((rel, key)) = name.split_once('.') {
                let parent = o.relationship(rel).and_then(|f| {
                    let target = f.reference_to.first()?;
                    let t = schema.get(target)?;
                    let k = t.field(key).filter(|k| k.external_id || k.name == "Id")?;
                    Some(Column::Parent {
                        field: f.name.clone(),
                        target: t.name.clone(),
                        key: k.name.clone(),
                    })
                });
                if let Some(p) = parent {
                    return Ok(p);
                }
            }
            Err(format!("InvalidBatch : Field name not found : {name}"))
        })
        .collect()
}

/// What a closed job hands to the blocking thread that applies it.
struct Upload {
    data: Option<Bytes>,
    dialect: Dialect,
    operation: Operation,
    object: String,
    external_id: Option<String>,
}

/// A job's CSV, read: its header, the columns it maps to and its rows.
struct Parsed {
    header: Vec<String>,
    cols: Vec<Column>,
    rows: Vec<Vec<String>>,
}

/// A row's outcome: the id written and whether it was created, or the id given and the error.
type RowResult = Result<(String, bool), (String, ApiError)>;

/// Applies a closed ingest job; runs on a blocking thread.
pub(super) fn apply_job(st: &OrgState, id: &str, actor: &Actor) {
    let started = Instant::now();
    let Some(upload) = start(st, id) else {
        return;
    };
    let Parsed { header, cols, rows } = match parse(st, &upload) {
        Ok(parsed) => parsed,
        Err(msg) => {
            finish(st, id, started, |j| {
                j.state = JobState::Failed;
                j.error_message = Some(msg);
            });
            return;
        }
    };
    let spec = Spec {
        operation: upload.operation,
        object: &upload.object,
        external_id: upload.external_id.as_deref(),
        cols: &cols,
        actor,
    };
    let mut successes = Vec::new();
    let mut failures = Vec::new();
    for chunk in rows.chunks(CHUNK) {
        let mut failed_here = 0u64;
        for (row, r) in chunk.iter().zip(apply_chunk(st, &spec, chunk)) {
            // Result rows repeat the row after `sf__Id` and `sf__Created` or `sf__Error`.
            let (mut out, into) = match r {
                Ok((rid, created)) => (vec![rid, created.to_string()], &mut successes),
                Err((rid, e)) => {
                    failed_here += 1;
                    (vec![rid, sf_error(&e)], &mut failures)
                }
            };
            out.extend(row.iter().cloned());
            into.push(out);
        }
        // Salesforce counts rows as its internal batches finish: a client polling the job
        // sees its progress, not a jump from nothing to everything.
        if let Some(j) = st.bulk.lock().get_mut(id) {
            j.processed += chunk.len() as u64;
            j.failed_so_far += failed_here;
        }
    }
    let processed = rows.len() as u64;
    finish(st, id, started, |j| {
        j.state = JobState::JobComplete;
        j.header = header;
        j.successes = successes;
        j.failures = failures;
        j.processed = processed;
    });
}

/// Marks job `id` in progress and takes its upload, if it is still waiting to be applied.
fn start(st: &OrgState, id: &str) -> Option<Upload> {
    let mut jobs = st.bulk.lock();
    let j = jobs
        .get_mut(id)
        .filter(|j| j.state == JobState::UploadComplete)?;
    j.state = JobState::InProgress;
    j.modstamp_ms = now_ms();
    Some(Upload {
        data: j.data.take(),
        dialect: j.dialect,
        operation: j.operation,
        object: j.object.clone(),
        external_id: j.external_id.clone(),
    })
}

/// Reads the upload's CSV; an error is the job's `errorMessage`.
fn parse(st: &OrgState, upload: &Upload) -> Result<Parsed, String> {
    let data = upload
        .data
        .as_ref()
        .ok_or_else(|| "InvalidBatch : the job has no data".to_owned())?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(upload.dialect.delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(data.as_ref());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("InvalidBatch : {e}"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let cols = columns(st, &upload.object, &header)?;
    let mut rows = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|e| format!("InvalidBatch : {e}"))?;
        rows.push(r.iter().map(str::to_owned).collect::<Vec<String>>());
    }
    Ok(Parsed { header, cols, rows })
}

/// Writes one chunk in one transaction; each row's outcome, in order.
fn apply_chunk(st: &OrgState, spec: &Spec<'_>, chunk: &[Vec<String>]) -> Vec<RowResult> {
    let mut results = Vec::with_capacity(chunk.len());
    let applied = st.store.write_batch(|b| {
        for group in chunk.chunks(GROUP) {
            results.extend(apply_group(b, spec, group));
        }
        Ok(())
    });
    match applied {
        Ok(()) => results,
        // The transaction itself failed: nothing of this chunk was kept.
        Err(e) => chunk
            .iter()
            .map(|row| Err((given_id(spec.cols, row), e.clone())))
            .collect(),
    }
}

fn finish(st: &OrgState, id: &str, started: Instant, f: impl FnOnce(&mut Job)) {
    let mut jobs = st.bulk.lock();
    if let Some(j) = jobs.get_mut(id) {
        f(j);
        j.modstamp_ms = now_ms();
        j.processing_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    }
}

/// `CODE:message:fields --`, as Salesforce writes `sf__Error`.
fn sf_error(e: &ApiError) -> String {
    e.items
        .iter()
        .map(|i| {
            format!(
                "{}:{}:{} --",
                i.error_code,
                i.message,
                i.fields.as_deref().unwrap_or_default().join(",")
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Spec<'a> {
    operation: Operation,
    object: &'a str,
    external_id: Option<&'a str>,
    cols: &'a [Column],
    actor: &'a Actor,
}

/// The row's `Id` cell, or empty (what `sf__Id` shows for a failed insert).
fn given_id(cols: &[Column], row: &[String]) -> String {
    cols.iter()
        .zip(row)
        .find(|(c, _)| matches!(c, Column::Id))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

fn missing(what: &str, op: Operation) -> ApiError {
    ApiError::bad_request(
        "MISSING_ARGUMENT",
        format!("{what} not specified in an {} call", op.name()),
    )
}

/// Applies rows under one savepoint, falling back to a savepoint per row when one fails, so
/// that a bad row fails alone. A savepoint is not free (SQLite's full-text index flushes at
/// each), and most rows succeed: one per group keeps a load at the speed of its inserts.
fn apply_group(b: &mut Batch<'_>, spec: &Spec<'_>, group: &[Vec<String>]) -> Vec<RowResult> {
    let together = b.attempt(|b| {
        group
            .iter()
            .map(|row| apply_row(b, spec, row))
            .collect::<Result<Vec<_>, ApiError>>()
    });
    match together {
        Ok(done) => done.into_iter().map(Ok).collect(),
        // Rolled back whole (ids minted in it too): again, one row at a time.
        Err(_) => group
            .iter()
            .map(|row| {
                b.attempt(|b| apply_row(b, spec, row))
                    .map_err(|e| (given_id(spec.cols, row), e))
            })
            .collect(),
    }
}

/// Writes one row; the id written and whether it was created.
fn apply_row(
    b: &mut Batch<'_>,
    spec: &Spec<'_>,
    row: &[String],
) -> Result<(String, bool), ApiError> {
    let (id, mut fields) = row_fields(b, spec.cols, row)?;
    let actor = spec.actor;
    match spec.operation {
        Operation::Insert => {
            if !id.is_empty() {
                return Err(ApiError::with_fields(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "cannot specify Id in an insert call",
                    vec!["Id".into()],
                ));
            }
            let new = b.insert(actor, spec.object, &fields, WriteOptions::default())?;
            Ok((new, true))
        }
        Operation::Update => {
            if id.is_empty() {
                return Err(missing("Id", spec.operation));
            }
            b.update(actor, spec.object, &id, &fields)?;
            Ok((id, false))
        }
        Operation::Delete | Operation::HardDelete => {
            if id.is_empty() {
                return Err(missing("Id", spec.operation));
            }
            b.delete(actor, spec.object, &id)?;
            Ok((id, false))
        }
        Operation::Upsert => {
            let key = spec.external_id.unwrap_or("Id");
            let value = if key == "Id" {
                id.clone()
            } else {
                match fields.shift_remove(key) {
                    Some(Json::String(s)) => s,
                    _ => String::new(),
                }
            };
            if value.is_empty() {
                return Err(missing(key, spec.operation));
            }
            match b.upsert(actor, spec.object, key, &value, &fields, false)? {
                Upserted::Created(new) => Ok((new, true)),
                Upserted::Updated(existing) => Ok((existing, false)),
                Upserted::Multiple(ids) => Err(ApiError::bad_request(
                    "DUPLICATE_EXTERNAL_ID",
                    format!("{key}: more than one record found for external id field: {ids:?}"),
                )),
            }
        }
        Operation::Query | Operation::QueryAll => Err(invalid_job("not an ingest operation")),
    }
}

/// A row's `Id` cell and its field values, parents looked up by their external ids.
fn row_fields(
    b: &mut Batch<'_>,
    cols: &[Column],
    row: &[String],
) -> Result<(String, Map<String, Json>), ApiError> {
    let mut fields = Map::new();
    let mut id = String::new();
    for (col, raw) in cols.iter().zip(row) {
        match col {
            Column::Id => id = raw.trim().to_owned(),
            // Empty leaves a field alone; #N/A clears it.
            _ if raw.is_empty() => {}
            Column::Field(name) => {
                let v = if raw == "#N/A" {
                    Json::Null
                } else {
                    Json::String(raw.clone())
                };
                fields.insert(name.clone(), v);
            }
            Column::Parent { field, target, key } => {
                let parent = parent_id(b, field, target, key, raw)?;
                fields.insert(field.clone(), Json::String(parent));
            }
        }
    }
    Ok((id, fields))
}

/// The id of the `target` record whose external id `key` is `raw`, for the lookup `field`.
fn parent_id(
    b: &mut Batch<'_>,
    field: &str,
    target: &str,
    key: &str,
    raw: &str,
) -> Result<String, ApiError> {
    let found = b.find_by(target, key, raw)?;
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(ApiError::with_fields(
            400,
            "INVALID_FIELD",
            format!("Foreign key external ID: {raw} not found for field {key} in entity {target}"),
            vec![field.to_owned()],
        )),
        _ => Err(ApiError::bad_request(
            "DUPLICATE_EXTERNAL_ID",
            format!("{key}: more than one record found for external id field: {found:?}"),
        )),
    }
}
