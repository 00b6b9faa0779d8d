//! The SQLite backend: one connection (WAL) behind a mutex, every call on a blocking thread.

use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use base64::Engine as _;
use rusqlite::{Connection as Db, OptionalExtension as _, params};

use crate::{ApiKey, BoxFuture, Cipher, Connection, Delivery, Error, Event, Scope, Store};

/// The migrations, in order. Never edit one that has shipped: add the next.
const MIGRATIONS: &[&str] = &[
    // 1: connections, API keys, events, outbox, replay checkpoints.
    "CREATE TABLE connections (
        name TEXT PRIMARY KEY,
        instance_url TEXT NOT NULL,
        kind TEXT NOT NULL,
        settings TEXT NOT NULL,
        secrets BLOB NOT NULL,
        created_at INTEGER NOT NULL
     );
     CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        hash BLOB NOT NULL,
        scope TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
     );
     CREATE TABLE events (
        id TEXT PRIMARY KEY,
        connection TEXT NOT NULL,
        source TEXT NOT NULL,
        object TEXT NOT NULL,
        change TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at INTEGER NOT NULL
     );
     CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL REFERENCES events(id),
        target TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        due_at INTEGER NOT NULL,
        last_error TEXT
     );
     CREATE INDEX outbox_due ON outbox(state, due_at);
     CREATE TABLE checkpoints (
        subscription TEXT PRIMARY KEY,
        replay_id TEXT NOT NULL,
        updated_at INTEGER NOT NULL
     );",
];

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn random(len: usize) -> Result<Vec<u8>, Error> {
    let mut b = vec![0u8; len];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| Error::Secret("no randomness".into()))?;
    Ok(b)
}

fn hash(key: &str) -> Vec<u8> {
    digest(&SHA256, key.as_bytes()).as_ref().to_vec()
}

/// The SQLite store.
pub struct SqliteStore {
    db: Arc<Mutex<Db>>,
    cipher: Arc<Cipher>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating) the database at `path`, or one in memory, and migrates it.
    pub async fn open(path: Option<PathBuf>, cipher: Cipher) -> Result<Self, Error> {
        let p = path.clone();
        let db = tokio::task::spawn_blocking(move || -> Result<Db, Error> {
            let mut db = match &p {
                Some(p) => {
                    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                        crate::private::create_dir(dir)
                            .map_err(|e| Error::Corrupt(format!("{}: {e}", dir.display())))?;
                    }
                    // Made before SQLite opens it: the side files SQLite makes take its mode.
                    crate::private::create_file(p)
                        .map_err(|e| Error::Corrupt(format!("{}: {e}", p.display())))?;
                    let db = Db::open(p)?;
                    let files = crate::private::database_files(p);
                    crate::private::warn_exposed(files.iter().map(PathBuf::as_path));
                    db
                }
                None => Db::open_in_memory()?,
            };
            db.execute_batch(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
            )?;
            migrate(&mut db)?;
            Ok(db)
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))??;
        Ok(SqliteStore {
            db: Arc::new(Mutex::new(db)),
            cipher: Arc::new(cipher),
            path,
        })
    }

    /// Runs `f` with the database on a blocking thread.
    fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Db, &Cipher) -> Result<T, Error> + Send + 'static,
    ) -> BoxFuture<'_, Result<T, Error>> {
        let (db, cipher) = (Arc::clone(&self.db), Arc::clone(&self.cipher));
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut guard = db.lock();
                f(&mut guard, &cipher)
            })
            .await
            .map_err(|e| Error::Task(e.to_string()))?
        })
    }
}

/// Applies the migrations not yet recorded, each in its own transaction.
fn migrate(db: &mut Db) -> Result<(), Error> {
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    let done: i64 = db.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(i).unwrap_or(i64::MAX) + 1;
        if version <= done {
            continue;
        }
        let tx = db.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, now_ms()],
        )?;
        tx.commit()?;
    }
    Ok(())
}

fn json_text(v: &serde_json::Value) -> String {
    v.to_string()
}

fn parse_json(s: &str) -> Result<serde_json::Value, Error> {
    serde_json::from_str(s).map_err(|e| Error::Corrupt(e.to_string()))
}

fn row_connection(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Connection, String)> {
    Ok((
        Connection {
            name: r.get(0)?,
            instance_url: r.get(1)?,
            kind: r.get(2)?,
            settings: serde_json::Value::Null,
            created_at: r.get(4)?,
        },
        r.get(3)?,
    ))
}

fn row_key(r: &rusqlite::Row<'_>) -> rusqlite::Result<(ApiKey, String)> {
    Ok((
        ApiKey {
            id: r.get(0)?,
            name: r.get(1)?,
            scope: Scope::default(),
            created_at: r.get(3)?,
            revoked_at: r.get(4)?,
        },
        r.get(2)?,
    ))
}

fn with_scope((mut key, scope): (ApiKey, String)) -> Result<ApiKey, Error> {
    key.scope = serde_json::from_str(&scope).map_err(|e| Error::Corrupt(e.to_string()))?;
    Ok(key)
}

impl Store for SqliteStore {
    fn put_connection<'a>(
        &'a self,
        conn: Connection,
        secrets: serde_json::Value,
    ) -> BoxFuture<'a, Result<(), Error>> {
        self.with(move |db, cipher| {
            let sealed = cipher.seal(
                &format!("connection:{}", conn.name),
                secrets.to_string().as_bytes(),
            )?;
            db.execute(
                "INSERT INTO connections (name, instance_url, kind, settings, secrets, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(name) DO UPDATE SET instance_url = excluded.instance_url,
                    kind = excluded.kind, settings = excluded.settings, secrets = excluded.secrets",
                params![
                    conn.name,
                    conn.instance_url,
                    conn.kind,
                    json_text(&conn.settings),
                    sealed,
                    now_ms()
                ],
            )?;
            Ok(())
        })
    }

    fn get_connection<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<(Connection, serde_json::Value)>, Error>> {
        let name = name.to_owned();
        self.with(move |db, cipher| {
            let row = db
                .query_row(
                    "SELECT name, instance_url, kind, settings, created_at, secrets FROM connections WHERE name = ?1",
                    [&name],
                    |r| Ok((row_connection(r)?, r.get::<_, Vec<u8>>(5)?)),
                )
                .optional()?;
            let Some(((mut conn, settings), sealed)) = row else {
                return Ok(None);
            };
            conn.settings = parse_json(&settings)?;
            let plain = cipher.open(&format!("connection:{name}"), &sealed)?;
            let secrets = serde_json::from_slice(&plain).map_err(|e| Error::Corrupt(e.to_string()))?;
            Ok(Some((conn, secrets)))
        })
    }

    fn list_connections(&self) -> BoxFuture<'_, Result<Vec<Connection>, Error>> {
        self.with(|db, _| {
            let mut st = db.prepare(
                "SELECT name, instance_url, kind, settings, created_at FROM connections ORDER BY name",
            )?;
            let rows = st
                .query_map([], row_connection)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(mut c, s)| {
                    c.settings = parse_json(&s)?;
                    Ok(c)
                })
                .collect()
        })
    }

    fn delete_connection<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<bool, Error>> {
        let name = name.to_owned();
        self.with(move |db, _| {
            Ok(db.execute("DELETE FROM connections WHERE name = ?1", [name])? > 0)
        })
    }

    fn create_api_key<'a>(
        &'a self,
        name: &'a str,
        scope: Scope,
    ) -> BoxFuture<'a, Result<(ApiKey, String), Error>> {
        let name = name.to_owned();
        self.with(move |db, _| {
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let id: String = random(9)?.iter().map(|b| format!("{b:02x}")).collect();
            let key = format!("sfk_{id}_{}", b64.encode(random(32)?));
            let created_at = now_ms();
            let scope_text =
                serde_json::to_string(&scope).map_err(|e| Error::Corrupt(e.to_string()))?;
            let inserted = db.execute(
                "INSERT INTO api_keys (id, name, hash, scope, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(name) DO NOTHING",
                params![id, name, hash(&key), scope_text, created_at],
            )?;
            if inserted == 0 {
                return Err(Error::Exists {
                    kind: "API key",
                    name,
                });
            }
            Ok((
                ApiKey {
                    id,
                    name,
                    scope,
                    created_at,
                    revoked_at: None,
                },
                key,
            ))
        })
    }

    fn verify_api_key<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<ApiKey>, Error>> {
        let key = key.to_owned();
        self.with(move |db, _| {
            let Some(id) = key
                .strip_prefix("sfk_")
                .and_then(|rest| rest.split_once('_'))
                .map(|(id, _)| id.to_owned())
            else {
                return Ok(None);
            };
            let row = db
                .query_row(
                    "SELECT id, name, scope, created_at, revoked_at, hash FROM api_keys WHERE id = ?1",
                    [&id],
                    |r| Ok((row_key(r)?, r.get::<_, Vec<u8>>(5)?)),
                )
                .optional()?;
            let Some((record, stored)) = row else {
                return Ok(None);
            };
            // Compared in constant time: the hash of a guess reveals nothing by timing.
            if aws_lc_rs::constant_time::verify_slices_are_equal(&stored, &hash(&key)).is_err() {
                return Ok(None);
            }
            let key = with_scope(record)?;
            Ok(key.revoked_at.is_none().then_some(key))
        })
    }

    fn list_api_keys(&self) -> BoxFuture<'_, Result<Vec<ApiKey>, Error>> {
        self.with(|db, _| {
            let mut st = db.prepare(
                "SELECT id, name, scope, created_at, revoked_at FROM api_keys ORDER BY created_at, name",
            )?;
            let rows = st.query_map([], row_key)?.collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(with_scope).collect()
        })
    }

    fn revoke_api_key<'a>(&'a self, id_or_name: &'a str) -> BoxFuture<'a, Result<bool, Error>> {
        let k = id_or_name.to_owned();
        self.with(move |db, _| {
            Ok(db.execute(
                "UPDATE api_keys SET revoked_at = ?2 WHERE (id = ?1 OR name = ?1) AND revoked_at IS NULL",
                params![k, now_ms()],
            )? > 0)
        })
    }

    fn api_keys_revision(&self) -> BoxFuture<'_, Result<u64, Error>> {
        // Revocation is never undone and keys are never deleted, so the count of revoked keys
        // grows with every revocation and never comes back to an earlier value.
        self.with(|db, _| {
            let n: i64 =
                db.query_row("SELECT COUNT(revoked_at) FROM api_keys", [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn put_event<'a>(
        &'a self,
        event: Event,
        targets: &'a [String],
    ) -> BoxFuture<'a, Result<bool, Error>> {
        let targets = targets.to_vec();
        self.with(move |db, _| {
            let tx = db.transaction()?;
            let now = now_ms();
            let stored = tx.execute(
                "INSERT INTO events (id, connection, source, object, change, payload, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO NOTHING",
                params![
                    event.id,
                    event.connection,
                    event.source,
                    event.object,
                    event.change,
                    json_text(&event.payload),
                    now
                ],
            )? > 0;
            if stored {
                for t in &targets {
                    tx.execute(
                        "INSERT INTO outbox (event_id, target, due_at) VALUES (?1, ?2, ?3)",
                        params![event.id, t, now],
                    )?;
                }
            }
            tx.commit()?;
            Ok(stored)
        })
    }

    fn claim_deliveries(
        &self,
        limit: usize,
        lease_ms: i64,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, Error>> {
        self.with(move |db, _| {
            let tx = db.transaction()?;
            let now = now_ms();
            let claimed = {
                let mut st = tx.prepare(
                    "SELECT id, event_id, target, attempts FROM outbox
                     WHERE state = 'pending' AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2",
                )?;
                st.query_map(
                    params![now, i64::try_from(limit).unwrap_or(i64::MAX)],
                    |r| {
                        Ok(Delivery {
                            id: r.get(0)?,
                            event_id: r.get(1)?,
                            target: r.get(2)?,
                            attempts: r.get(3)?,
                        })
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?
            };
            // A lease, not a lock: a claim not completed in time becomes due again.
            for d in &claimed {
                tx.execute(
                    "UPDATE outbox SET due_at = ?2 WHERE id = ?1",
                    params![d.id, now + lease_ms],
                )?;
            }
            tx.commit()?;
            Ok(claimed)
        })
    }

    fn complete_delivery(&self, id: i64) -> BoxFuture<'_, Result<(), Error>> {
        self.with(move |db, _| {
            db.execute(
                "UPDATE outbox SET state = 'delivered', attempts = attempts + 1 WHERE id = ?1",
                [id],
            )?;
            Ok(())
        })
    }

    fn fail_delivery<'a>(
        &'a self,
        id: i64,
        error: &'a str,
        retry_in_ms: i64,
        max_attempts: u32,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let error = error.to_owned();
        self.with(move |db, _| {
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, due_at = ?3,
                    state = CASE WHEN attempts + 1 >= ?4 THEN 'dead' ELSE 'pending' END
                 WHERE id = ?1",
                params![id, error, now_ms() + retry_in_ms, max_attempts],
            )?;
            Ok(())
        })
    }

    fn get_event<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Event>, Error>> {
        let id = id.to_owned();
        self.with(move |db, _| {
            let row = db
                .query_row(
                    "SELECT id, connection, source, object, change, payload FROM events WHERE id = ?1",
                    [&id],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(id, connection, source, object, change, payload)| {
                Ok(Event {
                    id,
                    connection,
                    source,
                    object,
                    change,
                    payload: parse_json(&payload)?,
                })
            })
            .transpose()
        })
    }

    fn save_checkpoint<'a>(
        &'a self,
        subscription: &'a str,
        replay_id: &'a str,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let (s, r) = (subscription.to_owned(), replay_id.to_owned());
        self.with(move |db, _| {
            db.execute(
                "INSERT INTO checkpoints (subscription, replay_id, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(subscription) DO UPDATE SET replay_id = excluded.replay_id, updated_at = excluded.updated_at",
                params![s, r, now_ms()],
            )?;
            Ok(())
        })
    }

    fn load_checkpoint<'a>(
        &'a self,
        subscription: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, Error>> {
        let s = subscription.to_owned();
        self.with(move |db, _| {
            Ok(db
                .query_row(
                    "SELECT replay_id FROM checkpoints WHERE subscription = ?1",
                    [s],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }
}
