//! The WAL checkpointer: SQLite WAL checkpoints on a thread of their own, off the write path.
//! (Not to be confused with the replay checkpoints subscriptions keep elsewhere in sfkit: this
//! one only copies committed pages from the WAL file into the database file.)
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, with two
//! fsyncs (the WAL, then the database), while that commit holds the writer: every create queued
//! behind it waits. The writer connection has it off (`wal_autocheckpoint=0`). Instead, every
//! release of the writer nudges this thread, which runs a PASSIVE checkpoint from its own
//! connection (it copies committed frames into the database without taking the writer) and then
//! lets frames gather for [`INTERVAL`], so each checkpoint's fsyncs cover many commits. Once the
//! WAL is past half of [`WAL_LIMIT`], checkpoints follow each other without that pause.
//!
//! A PASSIVE checkpoint alone would let the WAL grow for as long as writes keep coming: SQLite
//! starts the WAL over only when a write begins with every frame already copied, and a busy
//! writer appends new frames while each checkpoint runs. So once the WAL holds [`WAL_LIMIT`]
//! frames, the thread takes the writer for one more checkpoint, which then copies only what the
//! last one left (about a millisecond, two small fsyncs), and the next write starts the WAL over.
//! That bounds the WAL at `WAL_LIMIT` pages plus what is written during one checkpoint, unless a
//! reader holds an old snapshot all that time (which holds back any checkpoint, SQLite's own too)
//! or one transaction is larger than that by itself.
//!
//! Durability is SQLite's: a checkpoint only copies frames already committed to the WAL, and
//! recovery after a kill replays the WAL as before.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, MutexGuard};
use rusqlite::Connection;

use super::Writer;
use crate::Error;

/// The least time between two checkpoints while writes keep coming.
const INTERVAL: Duration = Duration::from_millis(50);

/// WAL frames (pages) past which the next checkpoint also takes the writer, so the WAL starts
/// over: 8,192 pages of 4 KiB, a 32 MiB WAL file at most in steady use.
const WAL_LIMIT: i64 = 8192;

/// Tells the checkpointer that something was written.
#[derive(Clone)]
pub(crate) struct Nudge(Arc<Shared>);

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// Written to since the last checkpoint began.
    dirty: bool,
    /// The store is being dropped.
    stop: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }
}

impl Nudge {
    /// A write committed (or the writer was used): a checkpoint is due.
    pub(crate) fn wrote(&self) {
        let mut st = self.0.state();
        if !st.dirty {
            st.dirty = true;
            self.0.wake.notify_one();
        }
    }
}

/// The WAL checkpointer thread; stopped and joined on drop.
pub(super) struct WalCheckpointer {
    nudge: Nudge,
    thread: Option<JoinHandle<()>>,
}

impl WalCheckpointer {
    /// Starts the thread on its own connection; `writer` is taken only to bound the WAL.
    pub(super) fn start(conn: Connection, writer: Arc<Mutex<Writer>>) -> Result<Self, Error> {
        let nudge = Nudge(Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        }));
        let shared = Arc::clone(&nudge.0);
        let thread = std::thread::Builder::new()
            .name("sfkit-checkpoint".into())
            .spawn(move || run(&shared, &conn, &writer))
            .map_err(|source| Error::Io {
                context: "starting the checkpoint thread".into(),
                source,
            })?;
        Ok(WalCheckpointer {
            nudge,
            thread: Some(thread),
        })
    }

    /// A handle for writers to nudge the thread with.
    pub(super) fn nudge(&self) -> &Nudge {
        &self.nudge
    }
}

impl Drop for WalCheckpointer {
    fn drop(&mut self) {
        self.nudge.0.state().stop = true;
        self.nudge.0.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(shared: &Shared, conn: &Connection, writer: &Mutex<Writer>) {
    loop {
        {
            let mut st = shared.state();
            while !st.dirty && !st.stop {
                shared.wake.wait(&mut st);
            }
            if st.stop {
                // Closing the last connection checkpoints what is left.
                return;
            }
            st.dirty = false;
        }
        match passive(conn) {
            Ok(frames) if frames >= WAL_LIMIT => {
                let _writer = writer.lock();
                if let Err(e) = passive(conn) {
                    tracing::warn!(error = %e, "WAL checkpoint (holding the writer) failed");
                }
            }
            // Past half the limit, checkpoints follow each other without a pause, so the
            // limit is noticed soon after the WAL reaches it, even under a fast writer.
            Ok(frames) if frames >= WAL_LIMIT / 2 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
        let mut st = shared.state();
        // The pause between checkpoints; only stopping cuts it short.
        shared.wake.wait_while_for(&mut st, |st| !st.stop, INTERVAL);
        if st.stop {
            return;
        }
    }
}

/// Runs a PASSIVE checkpoint; returns how many frames the WAL holds.
fn passive(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::WAL_LIMIT;
    use crate::schema::Schema;
    use crate::store::{ADMIN_USERNAME, Actor, Store};

    /// With the writer's own checkpoints off, only this thread keeps the WAL from growing
    /// without end while writes keep coming.
    #[test]
    fn the_wal_stays_bounded_under_continuous_writes() {
        let store = Store::open(None, Arc::new(Schema::standard().unwrap())).unwrap();
        let actor = Actor {
            user_id: store.user_id(ADMIN_USERNAME).unwrap().unwrap(),
            read_only: false,
        };
        let wal = store.path().with_extension("sqlite3-wal");
        let shm = store.path().with_extension("sqlite3-shm");
        let frame = 4096 + 24;
        // The WAL's frame count, read from the wal-index header (`mxFrame`, a native-endian u32
        // at byte 16) rather than through SQLite, whose PRAGMA would checkpoint as it reports.
        let written = || {
            let header = std::fs::read(&shm).unwrap();
            i64::from(u32::from_ne_bytes(header[16..20].try_into().unwrap()))
        };
        // Creates one at a time, each its own transaction, until four WAL_LIMITs of frames have
        // gone by (the frame count falls back whenever the WAL starts over). The WAL may pass
        // the limit by what is written while the thread sleeps and checkpoints, hence the slack.
        let (mut total, mut last, mut restarts) = (0, written(), 0);
        let mut i = 0;
        while total < 4 * WAL_LIMIT {
            let fields = json!({"Name": format!("wal {i}"), "Industry": "Energy"});
            store
                .insert(&actor, "Account", fields.as_object().unwrap())
                .unwrap();
            i += 1;
            let now = written();
            if now < last {
                restarts += 1;
                last = 0;
            }
            total += now - last;
            last = now;
        }
        assert!(restarts >= 2, "the WAL started over {restarts} times");
        let size = std::fs::metadata(&wal).unwrap().len();
        let bound = u64::try_from(3 * WAL_LIMIT * frame).unwrap();
        assert!(size < bound, "WAL file {size} bytes, bound {bound}");
    }
}
