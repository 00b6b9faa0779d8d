//! Record writes with Salesforce's validation, and record reads by id.
//!
//! Every write runs in one SQLite transaction: a failed request leaves no trace. Validation
//! follows the schema and answers with Salesforce's error codes, messages (which quote field
//! labels) and `fields` (which list API names).

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use serde_json::{Map, Value as Json};

use super::values::{self, to_json, to_sql};
use super::{ADMIN_USERNAME, Store, VIEWER_USERNAME, Writer};
use crate::api_error::ApiError;
use crate::ids;
use crate::schema::{Field, FieldType, SObjectType, Schema};

/// Who is writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id.
    pub user_id: String,
    /// Read-only users may query but not write.
    pub read_only: bool,
}

/// How to write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Skip the createable/updateable checks (seeding and bootstrap only).
    pub system: bool,
    /// Use this sequence number for the new id instead of the next one (bootstrap only).
    pub(crate) reserved_seq: Option<u64>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn readonly_error() -> ApiError {
    ApiError::with_fields(
        400,
        "INSUFFICIENT_ACCESS_OR_READONLY",
        "insufficient access rights on object id",
        vec![],
    )
}

impl Store {
    /// Creates a record; returns its id. Blocks until the create has committed.
    ///
    /// Single-record creates share transactions (group commit): each is queued for the writer
    /// thread, which commits whatever has queued in one transaction, each create in its own
    /// savepoint so one create's failure touches no other, and answers each after the commit.
    /// A transaction's fixed cost (WAL frames for shared pages, the id sequence, the search
    /// index segment) is then paid once per group instead of once per record.
    pub fn insert(
        &self,
        actor: &Actor,
        sobject: &str,
        fields: &Map<String, Json>,
    ) -> Result<String, ApiError> {
        // A lone caller with the writer free commits its create itself, sparing the two thread
        // hand-offs; concurrent callers find the writer taken and queue.
        if let Some(mut w) = self.try_writer() {
            let create = Create {
                actor: actor.clone(),
                sobject: self.sobject(sobject)?.name.clone(),
                fields: fields.clone(),
            };
            let mut answers = run_inserts(&mut w, &self.schema, &[&create]);
            return answers.pop().unwrap_or_else(|| Err(writer_gone()));
        }
        let (reply, result) = std::sync::mpsc::sync_channel(1);
        self.queue_insert(actor, sobject, fields.clone(), Reply::Wait(reply))?;
        result.recv().unwrap_or_else(|_| Err(writer_gone()))
    }

    /// [`Store::insert`] for async callers: queues the create and awaits its commit without
    /// holding a thread (the HTTP create is answered with no blocking-pool hop).
    pub async fn insert_async(
        &self,
        actor: &Actor,
        sobject: &str,
        fields: Map<String, Json>,
    ) -> Result<String, ApiError> {
        let (reply, result) = tokio::sync::oneshot::channel();
        self.queue_insert(actor, sobject, fields, Reply::Async(reply))?;
        result.await.unwrap_or_else(|_| Err(writer_gone()))
    }

    fn queue_insert(
        &self,
        actor: &Actor,
        sobject: &str,
        fields: Map<String, Json>,
        reply: Reply,
    ) -> Result<(), ApiError> {
        let job = InsertJob {
            create: Create {
                actor: actor.clone(),
                sobject: self.sobject(sobject)?.name.clone(),
                fields,
            },
            reply,
        };
        self.inserts
            .as_ref()
            .ok_or_else(writer_gone)?
            .send(job)
            .map_err(|_| writer_gone())
    }

    /// Updates a record.
    pub fn update(
        &self,
        actor: &Actor,
        sobject: &str,
        id: &str,
        fields: &Map<String, Json>,
    ) -> Result<(), ApiError> {
        let object = self.sobject(sobject)?;
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        update_in(
            &tx,
            &self.schema,
            actor,
            object,
            id,
            fields,
            WriteOptions::default(),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Moves a record to the recycle bin.
    pub fn delete(&self, actor: &Actor, sobject: &str, id: &str) -> Result<(), ApiError> {
        let object = self.sobject(sobject)?;
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        delete_in(&tx, actor, object, id)?;
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` in one write transaction: committed if it returns `Ok`, rolled back otherwise.
    pub fn write_batch<T>(
        &self,
        f: impl FnOnce(&mut Batch<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut w = self.writer();
        let Writer { conn, seq } = &mut *w;
        let tx = conn.transaction()?;
        let mut batch = Batch {
            tx: &tx,
            seq,
            schema: &self.schema,
        };
        let out = f(&mut batch)?;
        persist_seq(&tx, *batch.seq)?;
        tx.commit()?;
        Ok(out)
    }

    /// A record by id, with all fields or the ones named, shaped as REST returns it.
    pub fn get(
        &self,
        sobject: &str,
        id: &str,
        fields: Option<&[String]>,
        version: &str,
    ) -> Result<Map<String, Json>, ApiError> {
        let object = self.sobject(sobject)?;
        let conn = self.reader();
        read_record(&conn, object, id, fields, version)
    }
}

/// `{"type": ..., "url": ...}`.
pub(crate) fn attributes(sobject: &str, id: &str, version: &str) -> Json {
    // Built by hand: this runs once per record of every query answer.
    let mut m = Map::with_capacity(2);
    m.insert("type".into(), Json::String(sobject.to_owned()));
    m.insert(
        "url".into(),
        Json::String(format!("/services/data/v{version}/sobjects/{sobject}/{id}")),
    );
    Json::Object(m)
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upserted {
    /// No record matched: one was created with this id.
    Created(String),
    /// One record matched and was updated.
    Updated(String),
    /// Several matched; nothing was written.
    Multiple(Vec<String>),
}

fn find_by(
    tx: &Connection,
    object: &SObjectType,
    field: &str,
    value: &str,
    case_sensitive: bool,
) -> Result<Vec<String>, ApiError> {
    let value = if field == "Id" {
        ids::normalize(value).unwrap_or_else(|| value.to_owned())
    } else {
        value.to_owned()
    };
    let collate = if case_sensitive || field == "Id" {
        "BINARY"
    } else {
        "NOCASE"
    };
    let sql = format!(
        "SELECT \"Id\" FROM {} WHERE \"{field}\" = ?1 COLLATE {collate} AND \"IsDeleted\" = 0 ORDER BY rowid LIMIT 50",
        object.table()
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let ids = stmt
        .query_map([value], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// A create waiting for the writer thread.
pub(crate) struct InsertJob {
    create: Create,
    reply: Reply,
}

/// One record to create.
struct Create {
    actor: Actor,
    sobject: String,
    fields: Map<String, Json>,
}

/// Where a queued create's answer goes: a thread blocked on it, or a task awaiting it.
enum Reply {
    Wait(std::sync::mpsc::SyncSender<Result<String, ApiError>>),
    Async(tokio::sync::oneshot::Sender<Result<String, ApiError>>),
}

impl Reply {
    fn send(self, r: Result<String, ApiError>) {
        // A caller that stopped waiting (a client that hung up) just misses its answer; its
        // create is not undone for that.
        let _ = match self {
            Reply::Wait(tx) => tx.send(r).map_err(drop),
            Reply::Async(tx) => tx.send(r).map_err(drop),
        };
    }
}

fn writer_gone() -> ApiError {
    ApiError::new(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred.")
}

/// The most creates committed in one transaction: bounds a group's latency when many clients
/// create at once.
const MAX_GROUP: usize = 256;

/// The writer thread: takes every create queued, commits them as one group, answers each, and
/// repeats until the queue is closed (the store is dropped) and empty.
pub(crate) fn serve_inserts(
    writer: &std::sync::Mutex<Writer>,
    schema: &Schema,
    queue: &std::sync::mpsc::Receiver<InsertJob>,
    checkpoints: &super::checkpoint::Nudge,
) {
    while let Ok(first) = queue.recv() {
        let mut jobs = Vec::with_capacity(16);
        jobs.push(first);
        jobs.extend(queue.try_iter().take(MAX_GROUP - 1));
        let mut w = writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let creates: Vec<&Create> = jobs.iter().map(|j| &j.create).collect();
        let answers = run_inserts(&mut w, schema, &creates);
        drop(w);
        checkpoints.wrote();
        for (job, r) in jobs.into_iter().zip(answers) {
            job.reply.send(r);
        }
    }
}

/// Commits a group of creates in one transaction, each in a savepoint; the answers, in order.
fn run_inserts(
    w: &mut Writer,
    schema: &Schema,
    creates: &[&Create],
) -> Vec<Result<String, ApiError>> {
    let Writer { conn, seq } = w;
    let start_seq = *seq;
    let outcome = (|| -> Result<Vec<Result<String, ApiError>>, ApiError> {
        let tx = conn.transaction()?;
        let mut batch = Batch {
            tx: &tx,
            seq: &mut *seq,
            schema,
        };
        // Each create in its own savepoint: one failure touches no other.
        let rows: Vec<_> = creates
            .iter()
            .map(|c| {
                let object = schema.get(&c.sobject).ok_or_else(ApiError::not_found)?;
                let row = batch.attempt(|b| {
                    insert_row(
                        b.tx,
                        b.seq,
                        schema,
                        &c.actor,
                        object,
                        &c.fields,
                        WriteOptions::default(),
                    )
                })?;
                Ok((object, row))
            })
            .collect();
        // The search rows go in after the savepoints, all at once: an FTS5 table writes its
        // pending rows out as a new index segment at every savepoint, so indexing each create
        // inside its own would write (and later merge) a segment per record.
        for (object, (id, row)) in rows.iter().flatten() {
            crate::sosl::index(&tx, object, id, row)?;
        }
        persist_seq(&tx, *seq)?;
        tx.commit()?;
        Ok(rows.into_iter().map(|r| r.map(|(_, (id, _))| id)).collect())
    })();
    outcome.unwrap_or_else(|e| {
        // Nothing was committed: every create in the group fails alike.
        *seq = start_seq;
        creates.iter().map(|_| Err(e.clone())).collect()
    })
}

/// Several writes in one transaction (collections, composite, seeding).
pub struct Batch<'a> {
    tx: &'a Connection,
    seq: &'a mut u64,
    schema: &'a Schema,
}

impl Batch<'_> {
    /// Creates a record.
    pub fn insert(
        &mut self,
        actor: &Actor,
        sobject: &str,
        fields: &Map<String, Json>,
        opts: WriteOptions,
    ) -> Result<String, ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        insert_in(self.tx, self.seq, self.schema, actor, object, fields, opts)
    }

    /// Updates a record.
    pub fn update(
        &mut self,
        actor: &Actor,
        sobject: &str,
        id: &str,
        fields: &Map<String, Json>,
    ) -> Result<(), ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        update_in(
            self.tx,
            self.schema,
            actor,
            object,
            id,
            fields,
            WriteOptions::default(),
        )
    }

    /// Deletes a record.
    pub fn delete(&mut self, actor: &Actor, sobject: &str, id: &str) -> Result<(), ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        delete_in(self.tx, actor, object, id)
    }

    /// The declared name of a type, or NOT_FOUND.
    pub fn sobject_name(&self, name: &str) -> Result<String, ApiError> {
        self.schema
            .get(name)
            .map(|o| o.name.clone())
            .ok_or_else(ApiError::not_found)
    }

    /// The child type and its reference field for a child relationship of `parent`.
    pub fn child_relationship(
        &self,
        parent: &str,
        relationship: &str,
    ) -> Result<(String, String), ApiError> {
        let p = self.schema.get(parent).ok_or_else(ApiError::not_found)?;
        let rel = p.child_relationship(relationship).ok_or_else(|| {
            ApiError::bad_request(
                "INVALID_FIELD",
                format!("No such relationship {relationship} on {}", p.name),
            )
        })?;
        Ok((rel.child.clone(), rel.field.clone()))
    }

    /// Updates a record bypassing field-level write checks (fields only the org sets).
    pub(crate) fn update_system(
        &mut self,
        actor: &Actor,
        sobject: &str,
        id: &str,
        fields: &Map<String, Json>,
    ) -> Result<(), ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        let opts = WriteOptions {
            system: true,
            reserved_seq: None,
        };
        update_in(self.tx, self.schema, actor, object, id, fields, opts)
    }

    /// The first column of a one-parameter statement, as strings.
    pub(crate) fn query_values(&self, sql: &str, param: &str) -> Result<Vec<String>, ApiError> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let rows = stmt
            .query_map([param], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Sets a value in the org's metadata table.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), ApiError> {
        self.tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// A record by id, seeing this batch's own writes.
    pub fn get(
        &self,
        sobject: &str,
        id: &str,
        fields: Option<&[String]>,
        version: &str,
    ) -> Result<Map<String, Json>, ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        read_record(self.tx, object, id, fields, version)
    }

    /// The connection of this batch's transaction (for queries that must see its writes).
    pub(crate) fn conn(&self) -> &Connection {
        self.tx
    }

    /// Creates or updates the record whose `field` equals `value` (an external id, or `Id`).
    pub fn upsert(
        &mut self,
        actor: &Actor,
        sobject: &str,
        field: &str,
        value: &str,
        fields: &Map<String, Json>,
        update_only: bool,
    ) -> Result<Upserted, ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        let key = object
            .field(field)
            .filter(|f| f.external_id || f.name == "Id")
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "NOT_FOUND",
                    format!(
                        "Provided external ID field does not exist or is not accessible: {field}"
                    ),
                )
            })?;
        let matches = find_by(self.tx, object, &key.name, value, key.case_sensitive)?;
        let mut body = fields.clone();
        match matches.as_slice() {
            [] if update_only || key.name == "Id" => Err(ApiError::not_found()),
            [] => {
                body.insert(key.name.clone(), Json::String(value.to_owned()));
                let opts = WriteOptions::default();
                insert_in(self.tx, self.seq, self.schema, actor, object, &body, opts)
                    .map(Upserted::Created)
            }
            [one] => {
                // The key itself is not rewritten on update.
                body.retain(|k, _| !k.eq_ignore_ascii_case(&key.name));
                update_in(
                    self.tx,
                    self.schema,
                    actor,
                    object,
                    one,
                    &body,
                    WriteOptions::default(),
                )?;
                Ok(Upserted::Updated(one.clone()))
            }
            many => Ok(Upserted::Multiple(many.to_vec())),
        }
    }

    /// Ids of live records whose `field` equals `value`.
    pub fn find_by(
        &self,
        sobject: &str,
        field: &str,
        value: &str,
    ) -> Result<Vec<String>, ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        let f = object.field(field).ok_or_else(ApiError::not_found)?;
        find_by(self.tx, object, &f.name, value, f.case_sensitive)
    }

    /// A savepoint: `f`'s writes are undone if it fails, and the batch goes on.
    pub fn attempt<T>(
        &mut self,
        f: impl FnOnce(&mut Batch<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.tx.execute_batch("SAVEPOINT item")?;
        let seq_before = *self.seq;
        let out = f(self);
        match &out {
            Ok(_) => self.tx.execute_batch("RELEASE item")?,
            Err(_) => {
                self.tx.execute_batch("ROLLBACK TO item; RELEASE item")?;
                *self.seq = seq_before;
            }
        }
        out
    }
}

fn persist_seq(tx: &Connection, seq: u64) -> Result<(), ApiError> {
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('seq', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([i64::try_from(seq).unwrap_or(i64::MAX)])?;
    Ok(())
}

/// The 18-character id for a URL id of `object`, or Salesforce's error for it.
pub(crate) fn checked_id(object: &SObjectType, raw: &str) -> Result<String, ApiError> {
    let Some(id) = ids::normalize(raw) else {
        return Err(ApiError::new(
            404,
            "NOT_FOUND",
            format!("Provided external ID field does not exist or is not accessible: {raw}"),
        ));
    };
    if ids::prefix(&id) != object.key_prefix {
        return Err(ApiError::with_fields(
            400,
            "MALFORMED_ID",
            format!("{} ID: id value of incorrect type: {raw}", object.label),
            vec!["Id".into()],
        ));
    }
    Ok(id)
}

/// Converts and checks the client's fields; returns the values to write, by field name.
fn client_values(
    object: &SObjectType,
    fields: &Map<String, Json>,
    creating: bool,
    opts: WriteOptions,
) -> Result<Vec<(usize, Sql)>, ApiError> {
    let mut out = Vec::with_capacity(fields.len());
    let mut not_writable = Vec::new();
    for (key, value) in fields {
        if key == "attributes" {
            continue;
        }
        let Some(index) = object
            .fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(key))
        else {
            return Err(ApiError::bad_request(
                "INVALID_FIELD",
                format!("No such column '{key}' on sobject of type {}", object.name),
            ));
        };
        let Some(field) = object.fields.get(index) else {
            continue;
        };
        if field.name == "Id" {
            if creating {
                return Err(ApiError::bad_request(
                    "INVALID_FIELD",
                    "The Id field should not be specified in the sobject data.",
                ));
            }
            continue;
        }
        let writable = if creating {
            field.createable
        } else {
            field.updateable
        };
        if !opts.system && (!writable || field.calculated) {
            not_writable.push(field.name.clone());
            continue;
        }
        let sql = to_sql(field, value).map_err(|()| {
            ApiError::bad_request("JSON_PARSER_ERROR", values::type_mismatch(field, value))
        })?;
        // References are stored (and joined, and returned) in the 18-character form.
        let sql = match sql {
            Sql::Text(s) if field.kind == FieldType::Reference => {
                Sql::Text(ids::normalize(&s).unwrap_or(s))
            }
            other => other,
        };
        out.push((index, sql));
    }
    if !not_writable.is_empty() {
        return Err(ApiError::with_fields(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                not_writable.join(", ")
            ),
            not_writable,
        ));
    }
    Ok(out)
}

fn insert_in(
    tx: &Connection,
    seq: &mut u64,
    schema: &Schema,
    actor: &Actor,
    object: &SObjectType,
    fields: &Map<String, Json>,
    opts: WriteOptions,
) -> Result<String, ApiError> {
    let (id, row) = insert_row(tx, seq, schema, actor, object, fields, opts)?;
    crate::sosl::index(tx, object, &id, &row)?;
    Ok(id)
}

/// Validates and inserts a record, leaving its search row to the caller; returns its id and
/// stored values.
fn insert_row(
    tx: &Connection,
    seq: &mut u64,
    schema: &Schema,
    actor: &Actor,
    object: &SObjectType,
    fields: &Map<String, Json>,
    opts: WriteOptions,
) -> Result<(String, Vec<Sql>), ApiError> {
    if actor.read_only && !opts.system {
        return Err(readonly_error());
    }
    if !object.createable && !opts.system {
        return Err(ApiError::bad_request(
            "INVALID_TYPE",
            format!("entity type {} does not support insert", object.name),
        ));
    }
    let given = client_values(object, fields, true, opts)?;
    let mut row: Vec<Sql> = vec![Sql::Null; object.fields.len()];
    for (i, f) in object.fields.iter().enumerate() {
        if let Some(slot) = row.get_mut(i) {
            *slot = default_for(f, actor);
        }
    }
    for (i, v) in given {
        if let Some(slot) = row.get_mut(i) {
            *slot = v;
        }
    }
    let n = opts.reserved_seq.unwrap_or_else(|| {
        let n = *seq;
        *seq += 1;
        n
    });
    let id = ids::mint(&object.key_prefix, n);
    let now = Sql::Integer(now_ms());
    set(object, &mut row, "Id", Sql::Text(id.clone()));
    set(object, &mut row, "IsDeleted", Sql::Integer(0));
    for name in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
        set(object, &mut row, name, now.clone());
    }
    for name in ["CreatedById", "LastModifiedById"] {
        set(object, &mut row, name, Sql::Text(actor.user_id.clone()));
    }
    derive(tx, object, &mut row)?;
    validate(tx, schema, object, &row, None)?;
    let cols: Vec<String> = object
        .fields
        .iter()
        .map(|f| format!("\"{}\"", f.name))
        .collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        object.table(),
        cols.join(", "),
        marks.join(", ")
    );
    tx.prepare_cached(&sql)?
        .execute(params_from_iter(row.iter()))?;
    Ok((id, row))
}

fn update_in(
    tx: &Connection,
    schema: &Schema,
    actor: &Actor,
    object: &SObjectType,
    raw_id: &str,
    fields: &Map<String, Json>,
    opts: WriteOptions,
) -> Result<(), ApiError> {
    if actor.read_only && !opts.system {
        return Err(readonly_error());
    }
    let id = checked_id(object, raw_id)?;
    let mut row = load_row(tx, object, &id)?;
    if row_bool(object, &row, "IsDeleted") {
        return Err(ApiError::with_fields(
            404,
            "ENTITY_IS_DELETED",
            "entity is deleted",
            vec![],
        ));
    }
    let before = row.clone();
    let given = client_values(object, fields, false, opts)?;
    // A new stage brings its default probability and forecast category unless the client
    // sends its own (derive fills the cleared values from the stage).
    if object.name == "Opportunity"
        && let Some(stage) = index_of(object, "StageName")
        && given
            .iter()
            .any(|(i, v)| *i == stage && before.get(*i) != Some(v))
    {
        for name in ["Probability", "ForecastCategoryName"] {
            if let Some(i) = index_of(object, name)
                && !given.iter().any(|(g, _)| *g == i)
            {
                set(object, &mut row, name, Sql::Null);
            }
        }
    }
    for (i, v) in given {
        if let Some(slot) = row.get_mut(i) {
            *slot = v;
        }
    }
    let now = Sql::Integer(now_ms());
    set(object, &mut row, "LastModifiedDate", now.clone());
    set(object, &mut row, "SystemModstamp", now);
    set(
        object,
        &mut row,
        "LastModifiedById",
        Sql::Text(actor.user_id.clone()),
    );
    derive(tx, object, &mut row)?;
    validate(tx, schema, object, &row, Some(&before))?;
    let mut sets = Vec::new();
    let mut params = Vec::new();
    for (f, (new, old)) in object.fields.iter().zip(row.iter().zip(before.iter())) {
        if new != old {
            params.push(new.clone());
            sets.push(format!("\"{}\" = ?{}", f.name, params.len()));
        }
    }
    if sets.is_empty() {
        return Ok(());
    }
    params.push(Sql::Text(id));
    let sql = format!(
        "UPDATE {} SET {} WHERE \"Id\" = ?{}",
        object.table(),
        sets.join(", "),
        params.len()
    );
    tx.execute(&sql, params_from_iter(params.iter()))?;
    if let Some(Sql::Text(id)) = params.last() {
        crate::sosl::index(tx, object, id, &row)?;
    }
    Ok(())
}

fn delete_in(
    tx: &Connection,
    actor: &Actor,
    object: &SObjectType,
    raw_id: &str,
) -> Result<(), ApiError> {
    if actor.read_only {
        return Err(readonly_error());
    }
    if !object.deletable {
        return Err(ApiError::bad_request(
            "INVALID_TYPE",
            format!("entity type {} does not support delete", object.name),
        ));
    }
    let id = checked_id(object, raw_id)?;
    let deleted: Option<bool> = tx
        .query_row(
            &format!(
                "SELECT \"IsDeleted\" FROM {} WHERE \"Id\" = ?1",
                object.table()
            ),
            [&id],
            |r| r.get(0),
        )
        .optional()?;
    match deleted {
        None => return Err(ApiError::not_found()),
        Some(true) => {
            return Err(ApiError::with_fields(
                404,
                "ENTITY_IS_DELETED",
                "entity is deleted",
                vec![],
            ));
        }
        Some(false) => {}
    }
    let now = now_ms();
    tx.execute(
        &format!(
            "UPDATE {} SET \"IsDeleted\" = 1, \"SystemModstamp\" = ?1, \"LastModifiedDate\" = ?1, \"LastModifiedById\" = ?2 WHERE \"Id\" = ?3",
            object.table()
        ),
        rusqlite::params![now, actor.user_id, id],
    )?;
    crate::sosl::remove(tx, &id)?;
    Ok(())
}

fn load_row(tx: &Connection, object: &SObjectType, id: &str) -> Result<Vec<Sql>, ApiError> {
    let cols: Vec<String> = object
        .fields
        .iter()
        .map(|f| format!("\"{}\"", f.name))
        .collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE \"Id\" = ?1",
        cols.join(", "),
        object.table()
    );
    let row = tx
        .query_row(&sql, [id], |r| {
            (0..object.fields.len())
                .map(|i| r.get::<_, Sql>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .optional()?;
    row.ok_or_else(ApiError::not_found)
}

fn index_of(object: &SObjectType, name: &str) -> Option<usize> {
    object.fields.iter().position(|f| f.name == name)
}

fn set(object: &SObjectType, row: &mut [Sql], name: &str, value: Sql) {
    if let Some(slot) = index_of(object, name).and_then(|i| row.get_mut(i)) {
        *slot = value;
    }
}

fn get<'r>(object: &SObjectType, row: &'r [Sql], name: &str) -> Option<&'r Sql> {
    index_of(object, name).and_then(|i| row.get(i))
}

fn text(object: &SObjectType, row: &[Sql], name: &str) -> Option<String> {
    match get(object, row, name) {
        Some(Sql::Text(s)) => Some(s.clone()),
        _ => None,
    }
}

fn row_bool(object: &SObjectType, row: &[Sql], name: &str) -> bool {
    matches!(get(object, row, name), Some(Sql::Integer(i)) if *i != 0)
}

/// The value a field gets when a create does not send one.
fn default_for(f: &Field, actor: &Actor) -> Sql {
    if f.name == "OwnerId" {
        return Sql::Text(actor.user_id.clone());
    }
    if let Some(Ok(sql)) = f.default_value.as_ref().map(|v| to_sql(f, v)) {
        return sql;
    }
    if let Some(p) = f.picklist.iter().find(|p| p.default_value) {
        return Sql::Text(p.value.clone());
    }
    if f.kind == FieldType::Boolean {
        return Sql::Integer(0);
    }
    Sql::Null
}

/// Fields the org computes: full names, an opportunity's state from its stage, closed flags,
/// case numbers.
fn derive(tx: &Connection, object: &SObjectType, row: &mut [Sql]) -> Result<(), ApiError> {
    let calculated = |name: &str| object.field(name).is_some_and(|f| f.calculated);
    if calculated("Name") && object.field("LastName").is_some() {
        let first = text(object, row, "FirstName").filter(|s| !s.trim().is_empty());
        let last = text(object, row, "LastName").unwrap_or_default();
        let full = match first {
            Some(f) => format!("{f} {last}"),
            None => last,
        };
        set(object, row, "Name", Sql::Text(full));
    }
    match object.name.as_str() {
        "Opportunity" => {
            let stage = text(object, row, "StageName").unwrap_or_default();
            let found: Option<(bool, bool, Option<f64>, Option<String>)> = tx
                .query_row(
                    "SELECT \"IsClosed\", \"IsWon\", \"DefaultProbability\", \"ForecastCategoryName\" FROM \"o_opportunitystage\" \
                     WHERE (\"ApiName\" = ?1 OR \"MasterLabel\" = ?1) AND \"IsDeleted\" = 0 LIMIT 1",
                    [&stage],
                    |r| Ok((r.get::<_, Option<bool>>(0)?.unwrap_or(false), r.get::<_, Option<bool>>(1)?.unwrap_or(false), r.get(2)?, r.get(3)?)),
                )
                .optional()
                .unwrap_or(None);
            let (closed, won, probability, forecast) = found.unwrap_or((false, false, None, None));
            if calculated("IsClosed") {
                set(object, row, "IsClosed", Sql::Integer(i64::from(closed)));
            }
            if calculated("IsWon") {
                set(object, row, "IsWon", Sql::Integer(i64::from(won)));
            }
            let unset =
                |row: &[Sql], name: &str| matches!(get(object, row, name), Some(Sql::Null) | None);
            if let (true, Some(p)) = (unset(row, "Probability"), probability) {
                set(object, row, "Probability", Sql::Real(p));
            }
            if let (true, Some(fc)) = (unset(row, "ForecastCategoryName") || closed, forecast) {
                set(object, row, "ForecastCategoryName", Sql::Text(fc));
            }
            // ForecastCategory is the API form of ForecastCategoryName.
            if calculated("ForecastCategory") {
                let api = match text(object, row, "ForecastCategoryName").as_deref() {
                    Some("Best Case") => Sql::Text("BestCase".into()),
                    Some("Commit") => Sql::Text("Forecast".into()),
                    Some(other) => Sql::Text(other.to_owned()),
                    None => Sql::Null,
                };
                set(object, row, "ForecastCategory", api);
            }
            if calculated("ExpectedRevenue") {
                let amount = match get(object, row, "Amount") {
                    Some(Sql::Real(a)) => Some(*a),
                    _ => None,
                };
                let p = match get(object, row, "Probability") {
                    Some(Sql::Real(p)) => Some(*p),
                    _ => None,
                };
                let expected = match (amount, p) {
                    (Some(a), Some(p)) => Sql::Real(a * p / 100.0),
                    _ => Sql::Null,
                };
                set(object, row, "ExpectedRevenue", expected);
            }
        }
        "Task" | "Event" => {
            if calculated("IsClosed") {
                let done = text(object, row, "Status")
                    .is_some_and(|s| s.eq_ignore_ascii_case("Completed"));
                set(object, row, "IsClosed", Sql::Integer(i64::from(done)));
            }
            if calculated("AccountId") {
                // The account of the What record (an account itself, or one that has AccountId),
                // else the account of the Who contact.
                let account =
                    activity_account(tx, text(object, row, "WhatId"), text(object, row, "WhoId"));
                set(
                    object,
                    row,
                    "AccountId",
                    account.map_or(Sql::Null, Sql::Text),
                );
            }
        }
        "Case" => {
            let closed =
                text(object, row, "Status").is_some_and(|s| s.eq_ignore_ascii_case("Closed"));
            if calculated("IsClosed") {
                set(object, row, "IsClosed", Sql::Integer(i64::from(closed)));
            }
            if object.field("ClosedDate").is_some() {
                let was_set = !matches!(get(object, row, "ClosedDate"), Some(Sql::Null) | None);
                match (closed, was_set) {
                    (true, false) => set(object, row, "ClosedDate", Sql::Integer(now_ms())),
                    (false, true) => set(object, row, "ClosedDate", Sql::Null),
                    _ => {}
                }
            }
            if calculated("CaseNumber")
                && matches!(get(object, row, "CaseNumber"), Some(Sql::Null) | None)
            {
                let n: i64 = tx
                    .query_row("SELECT COUNT(*) FROM \"o_case\"", [], |r| r.get(0))
                    .unwrap_or(0);
                set(
                    object,
                    row,
                    "CaseNumber",
                    Sql::Text(format!("{:08}", 1000 + n)),
                );
            }
        }
        _ => {}
    }
    Ok(())
}

/// The account an activity belongs to.
fn activity_account(tx: &Connection, what: Option<String>, who: Option<String>) -> Option<String> {
    let lookup = |sql: &str, id: &str| -> Option<String> {
        tx.query_row(sql, [id], |r| r.get::<_, Option<String>>(0))
            .optional()
            .ok()
            .flatten()
            .flatten()
    };
    if let Some(what) = what {
        match ids::prefix(&what) {
            "001" => return Some(what),
            "006" => {
                return lookup(
                    "SELECT \"AccountId\" FROM \"o_opportunity\" WHERE \"Id\" = ?1",
                    &what,
                );
            }
            "500" => {
                return lookup(
                    "SELECT \"AccountId\" FROM \"o_case\" WHERE \"Id\" = ?1",
                    &what,
                );
            }
            _ => {}
        }
    }
    let who = who?;
    (ids::prefix(&who) == "003")
        .then(|| {
            lookup(
                "SELECT \"AccountId\" FROM \"o_contact\" WHERE \"Id\" = ?1",
                &who,
            )
        })
        .flatten()
}

/// Checks a full row against the schema. `before` is the stored row on update: unchanged values
/// are not re-checked.
fn validate(
    tx: &Connection,
    schema: &Schema,
    object: &SObjectType,
    row: &[Sql],
    before: Option<&[Sql]>,
) -> Result<(), ApiError> {
    let missing: Vec<String> = object
        .fields
        .iter()
        .zip(row)
        .filter(|(f, v)| !f.nillable && !f.calculated && matches!(v, Sql::Null) && f.name != "Id")
        .filter(|(f, _)| f.createable || f.updateable)
        .map(|(f, _)| f.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::with_fields(
            400,
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
            missing,
        ));
    }
    for (i, (f, v)) in object.fields.iter().zip(row).enumerate() {
        if before.and_then(|b| b.get(i)) == Some(v) {
            continue;
        }
        let Sql::Text(s) = v else { continue };
        let bad = |code: &str, message: String| {
            ApiError::with_fields(400, code, message, vec![f.name.clone()])
        };
        if f.kind.is_text() && f.length > 0 && s.chars().count() > f.length as usize {
            return Err(bad(
                "STRING_TOO_LONG",
                format!(
                    "{}: data value too large: {} (max length={})",
                    f.label, s, f.length
                ),
            ));
        }
        match f.kind {
            FieldType::Picklist
                if f.restricted_picklist
                    && !f.picklist.iter().any(|p| p.active && p.value == *s) =>
            {
                return Err(bad(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    format!("{}: bad value for restricted picklist field: {s}", f.label),
                ));
            }
            FieldType::Multipicklist if f.restricted_picklist => {
                for part in s.split(';').filter(|p| !p.is_empty()) {
                    if !f.picklist.iter().any(|p| p.active && p.value == part) {
                        return Err(bad(
                            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                            format!(
                                "{}: bad value for restricted picklist field: {part}",
                                f.label
                            ),
                        ));
                    }
                }
            }
            FieldType::Email if !valid_email(s) => {
                return Err(bad(
                    "INVALID_EMAIL_ADDRESS",
                    format!("{}: invalid email address: {s}", f.label),
                ));
            }
            // The acting user exists: a reference to it (the default owner) needs no lookup.
            FieldType::Reference
                if !f.name.ends_with("ById")
                    && text(object, row, "LastModifiedById").as_deref() != Some(s.as_str()) =>
            {
                let Some(id) = ids::normalize(s) else {
                    return Err(bad(
                        "MALFORMED_ID",
                        format!("{}: id value of incorrect type: {s}", f.label),
                    ));
                };
                let target = schema.by_prefix(ids::prefix(&id)).filter(|t| {
                    f.reference_to
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(&t.name))
                });
                let Some(target) = target else {
                    return Err(bad(
                        "FIELD_INTEGRITY_EXCEPTION",
                        format!("{}: id value of incorrect type: {s}", f.label),
                    ));
                };
                let exists: Option<i64> = tx
                    .prepare_cached(&format!(
                        "SELECT 1 FROM {} WHERE \"Id\" = ?1 AND \"IsDeleted\" = 0",
                        target.table()
                    ))?
                    .query_row([&id], |r| r.get(0))
                    .optional()?;
                if exists.is_none() {
                    return Err(bad(
                        "INVALID_CROSS_REFERENCE_KEY",
                        "invalid cross reference id".to_owned(),
                    ));
                }
            }
            _ => {}
        }
        if f.unique && f.name != "Id" {
            let id = row.first().cloned().unwrap_or(Sql::Null);
            let collate = if f.case_sensitive { "BINARY" } else { "NOCASE" };
            let other: Option<String> = tx
                .prepare_cached(&format!(
                    "SELECT \"Id\" FROM {} WHERE \"{}\" = ?1 COLLATE {collate} AND \"IsDeleted\" = 0 AND \"Id\" IS NOT ?2 LIMIT 1",
                    object.table(),
                    f.name
                ))?
                .query_row(rusqlite::params![s, id], |r| r.get(0))
                .optional()?;
            if let Some(other) = other {
                return Err(bad(
                    "DUPLICATE_VALUE",
                    format!(
                        "duplicate value found: {} duplicates value on record with id: {}",
                        f.name,
                        ids::short(&other)
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == ',' || c == ';')
}

/// Creates the org's fixed records on first open: the Organization, profiles, the two users,
/// opportunity stages and lead statuses. Returns the org id.
pub(super) fn bootstrap(w: &mut Writer, schema: &Schema) -> Result<String, crate::Error> {
    let Writer { conn, seq } = w;
    let tx = conn.transaction()?;
    let org_prefix = schema
        .get("Organization")
        .map_or("00D", |o| o.key_prefix.as_str())
        .to_owned();
    let org_id = ids::mint(&org_prefix, 1);
    let user_prefix = schema
        .get("User")
        .map_or("005", |o| o.key_prefix.as_str())
        .to_owned();
    // The admin creates everything, itself included: reserve its id first.
    let admin_seq = *seq;
    *seq += 1;
    let admin_id = ids::mint(&user_prefix, admin_seq);
    let system = Actor {
        user_id: admin_id.clone(),
        read_only: false,
    };
    let sys = WriteOptions {
        system: true,
        reserved_seq: None,
    };
    let mut batch = Batch {
        tx: &tx,
        seq,
        schema,
    };
    let put_with = |batch: &mut Batch<'_>,
                    sobject: &str,
                    value: Json,
                    opts: WriteOptions|
     -> Result<Option<String>, crate::Error> {
        let Some(object) = schema.get(sobject) else {
            return Ok(None);
        };
        let Json::Object(map) = value else {
            return Ok(None);
        };
        // Only the fields this schema declares: a trimmed schema still boots.
        let fields: Map<String, Json> = map
            .into_iter()
            .filter(|(k, _)| object.field(k).is_some())
            .collect();
        batch
            .insert(&system, sobject, &fields, opts)
            .map(Some)
            .map_err(|e| crate::Error::Schema(format!("bootstrapping {sobject}: {e}")))
    };
    let put =
        |batch: &mut Batch<'_>, sobject: &str, value: Json| put_with(batch, sobject, value, sys);
    let admin_profile = put(
        &mut batch,
        "Profile",
        serde_json::json!({"Name": "System Administrator", "UserType": "Standard"}),
    )?;
    let viewer_profile = put(
        &mut batch,
        "Profile",
        serde_json::json!({"Name": "Read Only", "UserType": "Standard"}),
    )?;
    let user = |username: &str, first: &str, last: &str, alias: &str, profile: &Option<String>| {
        serde_json::json!({
            "Username": username, "Email": username, "FirstName": first, "LastName": last,
            "Alias": alias, "CommunityNickname": alias, "IsActive": true, "ProfileId": profile,
            "UserType": "Standard", "TimeZoneSidKey": "GMT", "LocaleSidKey": "en_US",
            "LanguageLocaleKey": "en_US", "EmailEncodingKey": "UTF-8",
        })
    };
    let admin_opts = WriteOptions {
        system: true,
        reserved_seq: Some(admin_seq),
    };
    let admin = put_with(
        &mut batch,
        "User",
        user(ADMIN_USERNAME, "Local", "Admin", "admin", &admin_profile),
        admin_opts,
    )?;
    if admin.as_deref() != Some(admin_id.as_str()) {
        return Err(crate::Error::Schema(
            "the admin user must be the first record".into(),
        ));
    }
    put(
        &mut batch,
        "User",
        user(
            VIEWER_USERNAME,
            "Local",
            "Viewer",
            "viewer",
            &viewer_profile,
        ),
    )?;
    put(
        &mut batch,
        "Organization",
        serde_json::json!({
            "Name": "sfkit Local Org", "InstanceName": "LOCAL", "IsSandbox": false,
            "OrganizationType": "Developer Edition", "NamespacePrefix": null,
            "TimeZoneSidKey": "GMT", "DefaultLocaleSidKey": "en_US", "LanguageLocaleKey": "en_US",
            "FiscalYearStartMonth": 1, "Country": "US",
        }),
    )?;
    let stages = [
        ("Prospecting", 10.0, "Pipeline", false, false),
        ("Qualification", 10.0, "Pipeline", false, false),
        ("Needs Analysis", 20.0, "Pipeline", false, false),
        ("Value Proposition", 50.0, "Pipeline", false, false),
        ("Id. Decision Makers", 60.0, "Pipeline", false, false),
        ("Perception Analysis", 70.0, "Pipeline", false, false),
        ("Proposal/Price Quote", 75.0, "Pipeline", false, false),
        ("Negotiation/Review", 90.0, "Pipeline", false, false),
        ("Closed Won", 100.0, "Closed", true, true),
        ("Closed Lost", 0.0, "Omitted", true, false),
    ];
    for (i, (name, probability, forecast, closed, won)) in stages.iter().enumerate() {
        put(
            &mut batch,
            "OpportunityStage",
            serde_json::json!({
                "ApiName": name, "MasterLabel": name, "IsActive": true, "IsClosed": closed, "IsWon": won,
                "DefaultProbability": probability, "ForecastCategory": forecast,
                "ForecastCategoryName": forecast, "SortOrder": i + 1,
            }),
        )?;
    }
    let statuses = [
        ("Open - Not Contacted", false, true),
        ("Working - Contacted", false, false),
        ("Closed - Converted", true, false),
        ("Closed - Not Converted", false, false),
    ];
    for (i, (name, converted, default)) in statuses.iter().enumerate() {
        put(
            &mut batch,
            "LeadStatus",
            serde_json::json!({"ApiName": name, "MasterLabel": name, "IsConverted": converted, "IsDefault": default, "SortOrder": i + 1}),
        )?;
    }
    let next = *batch.seq;
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('org_id', ?1)",
        [&org_id],
    )?;
    persist_seq(&tx, next).map_err(|e| crate::Error::Schema(e.to_string()))?;
    tx.commit()?;
    Ok(org_id)
}

/// A record by id from `conn`.
pub(crate) fn read_record(
    conn: &Connection,
    object: &SObjectType,
    id: &str,
    fields: Option<&[String]>,
    version: &str,
) -> Result<Map<String, Json>, ApiError> {
    let id = checked_id(object, id)?;
    let selected: Vec<&Field> = match fields {
        None => object.fields.iter().collect(),
        Some(names) => {
            let mut out = Vec::new();
            for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                let f = object.field(n).ok_or_else(|| {
                    ApiError::bad_request(
                        "INVALID_FIELD",
                        format!(
                            "No such column '{n}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                            object.name
                        ),
                    )
                })?;
                if !out.iter().any(|x: &&Field| x.name == f.name) {
                    out.push(f);
                }
            }
            out
        }
    };
    let cols: Vec<String> = selected.iter().map(|f| format!("\"{}\"", f.name)).collect();
    let sql = format!(
        "SELECT \"IsDeleted\"{}{} FROM {} WHERE \"Id\" = ?1",
        if cols.is_empty() { "" } else { ", " },
        cols.join(", "),
        object.table()
    );
    let row = conn
        .query_row(&sql, [&id], |r| {
            let deleted: bool = r.get(0)?;
            let mut vals = Vec::with_capacity(selected.len());
            for i in 0..selected.len() {
                vals.push(r.get::<_, Sql>(i + 1)?);
            }
            Ok((deleted, vals))
        })
        .optional()?;
    let Some((deleted, vals)) = row else {
        return Err(ApiError::not_found());
    };
    if deleted {
        return Err(ApiError::with_fields(
            404,
            "ENTITY_IS_DELETED",
            "entity is deleted",
            vec![],
        ));
    }
    let mut out = Map::new();
    out.insert("attributes".into(), attributes(&object.name, &id, version));
    for (f, v) in selected.iter().zip(vals) {
        out.insert(f.name.clone(), to_json(f.kind, v));
    }
    // With `?fields=`, Salesforce appends the Id after the fields asked for.
    if fields.is_some() && !out.contains_key("Id") {
        out.insert("Id".into(), Json::String(id));
    }
    Ok(out)
}
