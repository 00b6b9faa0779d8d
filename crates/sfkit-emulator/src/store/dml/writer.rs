//! The group-commit writer: creates from many requests queue for one thread, which commits
//! them together (up to `MAX_GROUP` per transaction), so that many small creates cost few commits.

use std::sync::mpsc::{Receiver, SyncSender};

use parking_lot::Mutex;
use serde_json::{Map, Value as Json};

use super::batch::{insert_row, persist_seq};
use super::{Actor, Batch, WriteOptions};
use crate::api_error::ApiError;
use crate::schema::Schema;
use crate::store::Writer;
use crate::store::wal_checkpointer::Nudge;

/// A create waiting for the writer thread.
pub(crate) struct InsertJob {
    pub(super) create: Create,
    pub(super) reply: Reply,
}

/// One record to create.
pub(super) struct Create {
    pub(super) actor: Actor,
    pub(super) sobject: String,
    pub(super) fields: Map<String, Json>,
}

/// Where a queued create's answer goes: a thread blocked on it, or a task awaiting it.
pub(super) enum Reply {
    Wait(SyncSender<Result<String, ApiError>>),
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

pub(super) fn writer_gone() -> ApiError {
    ApiError::new(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred.")
}

/// The most creates committed in one transaction: bounds a group's latency when many clients
/// create at once.
pub(super) const MAX_GROUP: usize = 256;

/// The writer thread: takes every create queued, commits them as one group, answers each, and
/// repeats until the queue is closed (the store is dropped) and empty.
pub(crate) fn serve_inserts(
    writer: &Mutex<Writer>,
    schema: &Schema,
    queue: &Receiver<InsertJob>,
    wal: &Nudge,
) {
    while let Ok(first) = queue.recv() {
        let mut jobs = Vec::with_capacity(16);
        jobs.push(first);
        jobs.extend(queue.try_iter().take(MAX_GROUP - 1));
        let mut w = writer.lock();
        let creates: Vec<&Create> = jobs.iter().map(|j| &j.create).collect();
        let answers = run_inserts(&mut w, schema, &creates);
        drop(w);
        wal.wrote();
        for (job, r) in jobs.into_iter().zip(answers) {
            job.reply.send(r);
        }
    }
}

/// Commits a group of creates in one transaction, each in a savepoint; the answers, in order.
pub(super) fn run_inserts(
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
