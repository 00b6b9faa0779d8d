//! The org's data in SQLite.
//!
//! One table per sObject type (`o_account`, ...), one column per field, indexes on Id, the name
//! field, external ids, references and SystemModstamp. The database runs in WAL mode with
//! `synchronous=NORMAL`: a killed process loses no committed transaction. One writer connection
//! sits behind a mutex (SQLite has one writer at a time anyway); a few reader connections serve
//! queries concurrently. Every call runs on a blocking thread, never on the async workers, except
//! [`Store::insert_async`], which only queues its create for the writer thread and awaits the
//! answer.

mod dml;
mod lead_convert;
pub(crate) mod values;
mod wal_checkpointer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use parking_lot::{Mutex, MutexGuard};
use rusqlite::{Connection, OptionalExtension};

#[cfg(test)]
pub(crate) use dml::attributes as attributes_json;
pub use dml::{Actor, Batch, Upserted, WriteOptions};
pub use lead_convert::{LeadConvert, LeadConvertResult};

use crate::Error;
use crate::api_error::ApiError;
use crate::schema::{SObjectType, Schema};

/// The users every org starts with.
pub const ADMIN_USERNAME: &str = "admin@sfkit.local";
/// The read-only user.
pub const VIEWER_USERNAME: &str = "viewer@sfkit.local";

/// The data store.
pub struct Store {
    schema: Arc<Schema>,
    /// Shared with the writer thread, which takes it for each group of creates; every other
    /// write takes it directly.
    writer: Arc<Mutex<Writer>>,
    /// Single-record creates for the writer thread. `None` only while the store is dropped
    /// (closing the queue is what stops the thread).
    inserts: Option<mpsc::Sender<dml::InsertJob>>,
    writer_thread: Option<JoinHandle<()>>,
    /// Checkpoints the WAL off the write path; nudged whenever the writer is released.
    wal_checkpointer: wal_checkpointer::WalCheckpointer,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Compiled SOQL, by query text.
    pub(crate) plans: crate::soql::PlanCache,
    org_id: String,
    path: PathBuf,
    /// A temporary directory removed when the store is dropped (`--memory`).
    temp_dir: Option<PathBuf>,
    /// Held (locked) for the store's life; see [`Store::open`].
    _lock: std::fs::File,
}

pub(crate) struct Writer {
    pub(crate) conn: Connection,
    /// The next id sequence number; persisted in `meta` by every write that takes one.
    pub(crate) seq: u64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("org_id", &self.org_id)
            .finish_non_exhaustive()
    }
}

const READERS: usize = 3;

fn open_conn(path: &Path) -> Result<Connection, Error> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; \
         PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32000;",
    )?;
    crate::soql::register_functions(&conn)?;
    Ok(conn)
}

/// Creates the data directory, the owner's alone (the database holds live access and refresh
/// tokens), and locks it: one process per org. The lock lasts as long as the returned file (the
/// OS drops it when the process ends, however it ends).
fn hold_dir(dir: &Path) -> Result<std::fs::File, Error> {
    let mut private_dir = std::fs::DirBuilder::new();
    private_dir.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut private_dir, 0o700);
    private_dir.create(dir).map_err(|source| Error::Io {
        context: format!("creating {}", dir.display()),
        source,
    })?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("org.lock"))
        .map_err(|source| Error::Io {
            context: format!("opening {}", dir.join("org.lock").display()),
            source,
        })?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::InUse {
            dir: dir.to_path_buf(),
            served_at: None,
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::Io {
            context: format!("locking {}", dir.join("org.lock").display()),
            source,
        }),
    }
}

/// The database file, made the owner's alone before SQLite opens it, so that its -wal and -shm
/// files take its mode.
fn private_database(dir: &Path) -> Result<PathBuf, Error> {
    let path = dir.join("org.sqlite3");
    let mut private_file = std::fs::OpenOptions::new();
    private_file.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut private_file, 0o600);
    private_file.open(&path).map_err(|source| Error::Io {
        context: format!("creating {}", path.display()),
        source,
    })?;
    Ok(path)
}

impl Store {
    /// Opens (creating if needed) the org in `dir`, or in a temporary directory removed on drop.
    pub fn open(dir: Option<&Path>, schema: Arc<Schema>) -> Result<Self, Error> {
        let (dir, temp_dir) = match dir {
            Some(d) => (d.to_path_buf(), None),
            None => {
                let unique = format!("sfkit-org-{}-{}", std::process::id(), rand::random::<u64>());
                let d = std::env::temp_dir().join(unique);
                (d.clone(), Some(d))
            }
        };
        let lock = hold_dir(&dir)?;
        let path = private_database(&dir)?;
        let mut conn = open_conn(&path)?;
        migrate(&mut conn, &schema)?;
        let seq: u64 = conn
            .query_row("SELECT value FROM meta WHERE key = 'seq'", [], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
            .map_or(1, |v| u64::try_from(v).unwrap_or(1));
        let org_id: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'org_id'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let mut writer = Writer { conn, seq };
        let org_id = match org_id {
            Some(id) => id,
            None => dml::bootstrap(&mut writer, &schema)?,
        };
        // The WAL checkpointer checkpoints instead, so no commit waits for one.
        writer.conn.execute_batch("PRAGMA wal_autocheckpoint=0;")?;
        let readers = (0..READERS)
            .map(|_| open_conn(&path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        let writer = Arc::new(Mutex::new(writer));
        let wal_checkpointer =
            wal_checkpointer::WalCheckpointer::start(open_conn(&path)?, Arc::clone(&writer))?;
        let (inserts, queue) = mpsc::channel();
        let writer_thread = {
            let (writer, schema) = (Arc::clone(&writer), Arc::clone(&schema));
            let nudge = wal_checkpointer.nudge().clone();
            std::thread::Builder::new()
                .name("sfkit-writer".into())
                .spawn(move || dml::serve_inserts(&writer, &schema, &queue, &nudge))
                .map_err(|source| Error::Io {
                    context: "starting the writer thread".into(),
                    source,
                })?
        };
        Ok(Store {
            schema,
            writer,
            inserts: Some(inserts),
            writer_thread: Some(writer_thread),
            wal_checkpointer,
            readers,
            next_reader: AtomicUsize::new(0),
            plans: crate::soql::PlanCache::default(),
            org_id,
            path,
            temp_dir,
            _lock: lock,
        })
    }

    /// The schema.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// The 18-character Organization id.
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The type with this name, or Salesforce's NOT_FOUND answer.
    pub fn sobject(&self, name: &str) -> Result<&SObjectType, ApiError> {
        self.schema.get(name).ok_or_else(ApiError::not_found)
    }

    /// The writer connection, for one write; releasing it nudges the WAL checkpointer.
    pub(crate) fn writer(&self) -> WriterGuard<'_> {
        WriterGuard {
            guard: self.writer.lock(),
            nudge: self.wal_checkpointer.nudge(),
        }
    }

    /// The writer if no one holds it.
    pub(crate) fn try_writer(&self) -> Option<WriterGuard<'_>> {
        Some(WriterGuard {
            guard: self.writer.try_lock()?,
            nudge: self.wal_checkpointer.nudge(),
        })
    }

    /// A reader connection (round robin; waits if all are busy).
    pub(crate) fn reader(&self) -> MutexGuard<'_, Connection> {
        for _ in 0..self.readers.len() {
            let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
            if let Some(guard) = self.readers.get(i).and_then(Mutex::try_lock) {
                return guard;
            }
        }
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        match self.readers.get(i) {
            Some(m) => m.lock(),
            None => unreachable_reader(),
        }
    }

    /// Runs a SOQL query in-process and returns the first page as the JSON text REST answers
    /// (`{totalSize, done, records}`; child records all inline; later pages are only reachable
    /// over HTTP).
    pub fn query(&self, soql: &str, all_rows: bool, version: &str) -> Result<String, ApiError> {
        let env = crate::soql::Env {
            schema: &self.schema,
            today: chrono::Utc::now().date_naive(),
            fiscal_start: 1,
            all_rows,
            plans: Some(&self.plans),
        };
        let conn = self.reader();
        let page = crate::soql::execute(&conn, env, soql, 2000, version, None)?;
        Ok(format!(
            "{{\"totalSize\":{},\"done\":{},\"records\":{}}}",
            page.total_size,
            page.rest.is_empty(),
            page.records.json
        ))
    }

    /// A reader connection for callers that compare against raw SQL (benchmarks).
    pub fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.reader())
    }

    /// A value from the org's metadata table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, ApiError> {
        let conn = self.reader();
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// The user id for a username, if that user exists.
    pub fn user_id(&self, username: &str) -> Result<Option<String>, ApiError> {
        let conn = self.reader();
        Ok(conn
            .query_row(
                "SELECT \"Id\" FROM \"o_user\" WHERE \"Username\" = ?1 AND \"IsDeleted\" = 0",
                [username],
                |r| r.get(0),
            )
            .optional()?)
    }
}

/// The writer, held for one write.
pub(crate) struct WriterGuard<'a> {
    guard: MutexGuard<'a, Writer>,
    nudge: &'a wal_checkpointer::Nudge,
}

impl std::ops::Deref for WriterGuard<'_> {
    type Target = Writer;
    fn deref(&self) -> &Writer {
        &self.guard
    }
}

impl std::ops::DerefMut for WriterGuard<'_> {
    fn deref_mut(&mut self) -> &mut Writer {
        &mut self.guard
    }
}

impl Drop for WriterGuard<'_> {
    fn drop(&mut self) {
        // Whatever was done with the writer has committed or rolled back by now (a transaction
        // borrows the guard), so there may be frames to checkpoint.
        self.nudge.wrote();
    }
}

#[allow(clippy::panic)]
fn unreachable_reader() -> ! {
    // READERS is a non-zero constant, so there is always a reader to lock.
    panic!("the store has no reader connections")
}

impl Drop for Store {
    fn drop(&mut self) {
        // Closing the queue ends the writer thread once it has answered every create queued.
        // Waiting for it means that once the store is gone, so is its every connection (the
        // WAL checkpointer's is joined as its field drops): an org reopened on the same directory
        // right away finds the database free.
        drop(self.inserts.take());
        if let Some(thread) = self.writer_thread.take() {
            let _ = thread.join();
        }
        if let Some(dir) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Creates the metadata tables and one table per sObject type; adds columns for fields a newer
/// schema declares.
fn migrate(conn: &mut Connection, schema: &Schema) -> Result<(), Error> {
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
         CREATE TABLE IF NOT EXISTS sessions (
             token TEXT PRIMARY KEY, user_id TEXT NOT NULL, kind TEXT NOT NULL,
             client_id TEXT NOT NULL, expires_at INTEGER, created_at INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS api_usage (day TEXT PRIMARY KEY, used INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS oauth_codes (
             code TEXT PRIMARY KEY, user_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
             challenge TEXT, method TEXT, expires_at INTEGER NOT NULL);",
    )?;
    tx.execute_batch(crate::sosl::DDL)?;
    for object in schema.objects() {
        let table = object.table();
        let existing: Vec<String> = {
            let mut stmt = tx.prepare(&format!("PRAGMA table_info({table})"))?;
            stmt.query_map([], |r| r.get::<_, String>(1))?
                .collect::<Result<Vec<_>, _>>()?
        };
        if existing.is_empty() {
            let cols: Vec<String> = object
                .fields
                .iter()
                .map(|f| {
                    let collate = if f.kind.is_text()
                        && !matches!(
                            f.kind,
                            crate::schema::FieldType::Id | crate::schema::FieldType::Reference
                        ) {
                        " COLLATE NOCASE"
                    } else {
                        ""
                    };
                    let extra = if f.name == "Id" {
                        " NOT NULL UNIQUE"
                    } else {
                        ""
                    };
                    format!("\"{}\" {}{collate}{extra}", f.name, f.column_type())
                })
                .collect();
            tx.execute_batch(&format!("CREATE TABLE {table} ({})", cols.join(", ")))?;
        } else {
            for f in &object.fields {
                if !existing.iter().any(|c| c.eq_ignore_ascii_case(&f.name)) {
                    tx.execute_batch(&format!(
                        "ALTER TABLE {table} ADD COLUMN \"{}\" {}",
                        f.name,
                        f.column_type()
                    ))?;
                }
            }
        }
        let lower = object.name.to_ascii_lowercase();
        for f in &object.fields {
            let indexed = f.name_field
                || f.external_id
                || f.unique
                || f.kind == crate::schema::FieldType::Reference
                || f.name == "SystemModstamp";
            if indexed && f.name != "Id" {
                tx.execute_batch(&format!(
                    "CREATE INDEX IF NOT EXISTS \"i_{lower}_{}\" ON {table} (\"{}\")",
                    f.name.to_ascii_lowercase(),
                    f.name
                ))?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}
