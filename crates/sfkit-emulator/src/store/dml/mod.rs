//! Record writes with Salesforce's validation, and record reads by id.
//!
//! Every write runs in one SQLite transaction: a failed request leaves no trace. Validation
//! follows the schema and answers with Salesforce's error codes, messages (which quote field
//! labels) and `fields` (which list API names).
//!
//! Here: the [`Store`]'s write and read calls, and what they share ([`Actor`], [`WriteOptions`],
//! [`Upserted`]). The parts: `batch` (a transaction's writes, [`Batch`]), `validate` (the
//! checks), `derive` (defaults and fields the org computes), `read` (a record by id), `writer`
//! (the group-commit writer thread) and `bootstrap` (the fixed records of a new org).

use rusqlite::Connection;
use serde_json::{Map, Value as Json};

use super::{Store, Writer};
use crate::api_error::ApiError;
use crate::ids;
use crate::schema::SObjectType;

mod batch;
mod bootstrap;
mod derive;
mod read;
mod validate;
mod writer;

pub use batch::Batch;
pub(crate) use bootstrap::bootstrap;
pub(crate) use read::read_record;
pub(crate) use writer::{InsertJob, serve_inserts};

use batch::{delete_in, persist_seq, update_in};
use writer::{Create, Reply, run_inserts, writer_gone};

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

pub(crate) fn readonly_error() -> ApiError {
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

pub(crate) fn find_by(
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
