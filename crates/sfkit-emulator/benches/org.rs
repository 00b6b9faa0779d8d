//! The local org under load (issue 3), with 100,000 Accounts and 300,000 Contacts:
//!
//! 1. a selective SOQL query (an indexed `LIKE` prefix, 100 rows) through `Store::query`, against
//!    the hand-written SQLite statement that reads the same rows and columns, interleaved in one
//!    run (target: within 1.5x);
//! 2. exporting every Account over HTTP with `query` and `nextRecordsUrl` (target: 50,000
//!    records/s, memory not growing with the result size);
//! 3. single-record creates over HTTP from 8 concurrent clients (target: 5,000/s).
//!
//! Run with `cargo bench -p sfkit-emulator --bench org`. The data set is built once into
//! `target/bench-data/org-100000` and reused while its counts are right. Without `--bench` in its
//! arguments (as `cargo test --benches` runs it) it does a small smoke run in a temporary
//! directory instead. Figures and how to read them are in docs/benchmarks.md.
#![allow(missing_docs)]
// A bench that carried on past a failed step would print nonsense: stop instead. It reports on
// stdout and shows progress on stderr.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr
)]

use parking_lot::Mutex;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::trace::{TraceEvent, TraceEventCodes};
use serde_json::{Map, Value, json};
use sfkit_emulator::store::{Actor, Store, WriteOptions};
use sfkit_emulator::{ADMIN_USERNAME, CLIENT_ID, Org, OrgConfig, OrgHandle, PASSWORD};

/// How big a run is.
struct Scale {
    full: bool,
    accounts: usize,
    /// Interleaved iterations of each side of the selective-query comparison.
    query_iters: usize,
    /// Full exports timed (the median is reported), after one warm-up export.
    exports: usize,
    /// A smaller export, to compare memory growth against the full one.
    small_export: usize,
    creates: usize,
    clients: usize,
}

const FULL: Scale = Scale {
    full: true,
    accounts: 100_000,
    query_iters: 1_000,
    exports: 3,
    small_export: 10_000,
    creates: 20_000,
    clients: 8,
};

const SMOKE: Scale = Scale {
    full: false,
    accounts: 2_000,
    query_iters: 20,
    exports: 1,
    small_export: 500,
    creates: 200,
    clients: 8,
};

const CONTACTS_PER_ACCOUNT: usize = 3;
const CHUNK: usize = 10_000;
const API: &str = "v60.0";
/// Marks a complete data set in the org's `meta` table: a load cut short is rebuilt.
const DATASET_KEY: &str = "bench_dataset";
/// Names of the Accounts the create benchmark adds; removed after each run.
const CREATED_PREFIX: &str = "Bench create ";

/// `Name LIKE 'Acct 004%'`: Accounts 00400 to 00499, 100 rows through the Name index.
const SELECTIVE_SOQL: &str = "SELECT Id, Name, Industry FROM Account WHERE Name LIKE 'Acct 004%'";
const SELECTIVE_SQL: &str = "SELECT \"Id\", \"Name\", \"Industry\" FROM \"o_account\" \
     WHERE \"Name\" LIKE ?1 AND \"IsDeleted\" = 0";
const SELECTIVE_PATTERN: &str = "Acct 004%";
const SELECTIVE_ROWS: usize = 100;
const EXPORT_SOQL: &str = "SELECT Id, Name, Industry, BillingCity, AnnualRevenue FROM Account";

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let scale = if std::env::args().any(|a| a == "--bench") {
        &FULL
    } else {
        &SMOKE
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = data_dir(scale);
    let t = Instant::now();
    let org = rt.block_on(open_dataset(scale, dir.as_deref()));
    let load = t.elapsed();
    let store = org.store().clone();

    // `SFKIT_BENCH_ONLY=query|export|create` runs one part (for profiling).
    let only = std::env::var("SFKIT_BENCH_ONLY").ok();
    let wanted = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let q = wanted("query").then(|| selective_query(&store, scale));
    let e = wanted("export").then(|| rt.block_on(export(&org, scale)));
    let c = wanted("create").then(|| rt.block_on(creates(&org, scale)));
    remove_created(&store);

    report_data(scale, &store, load);
    if let Some(q) = &q {
        report_query(scale, q);
    }
    if let Some(e) = &e {
        report_export(scale, e);
    }
    if let Some(c) = &c {
        report_creates(scale, c);
    }
    rt.block_on(org.shutdown());
}

// ---------------------------------------------------------------------------------------------
// The data set

/// `target/bench-data/org-N` for a full run; `None` (a temporary directory) for a smoke run.
fn data_dir(scale: &Scale) -> Option<PathBuf> {
    if !scale.full {
        return None;
    }
    // The bench runs as target/<profile>/deps/org-<hash>.
    let exe = std::env::current_exe().expect("the bench's path");
    let target = exe
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    Some(
        target
            .join("bench-data")
            .join(format!("org-{}", scale.accounts)),
    )
}

fn dataset_marker(scale: &Scale) -> String {
    format!(
        "v1 accounts={} contacts={}",
        scale.accounts,
        scale.accounts * CONTACTS_PER_ACCOUNT
    )
}

/// Starts the org on 127.0.0.1:0 over the data set, building it unless a complete one is there.
async fn open_dataset(scale: &'static Scale, dir: Option<&Path>) -> OrgHandle {
    let config = |d: Option<&Path>| match d {
        Some(d) => OrgConfig::default().data_dir(d),
        None => OrgConfig::default(),
    };
    if let Some(d) = dir.filter(|d| d.exists()) {
        let org = Org::start(config(Some(d))).await.expect("open the org");
        remove_created(org.store());
        let (accounts, contacts) = counts(org.store());
        let marker = org.store().meta(DATASET_KEY).ok().flatten();
        if marker.as_deref() == Some(dataset_marker(scale).as_str())
            && accounts == scale.accounts
            && contacts == scale.accounts * CONTACTS_PER_ACCOUNT
        {
            eprintln!(
                "reusing {} ({accounts} accounts, {contacts} contacts)",
                d.display()
            );
            return org;
        }
        eprintln!(
            "rebuilding {}: {accounts} accounts, {contacts} contacts, marker {marker:?}",
            d.display()
        );
        org.shutdown().await;
        std::fs::remove_dir_all(d).expect("remove the stale data set");
    }
    let org = Org::start(config(dir)).await.expect("start the org");
    let store = org.store().clone();
    tokio::task::spawn_blocking(move || load(&store, scale))
        .await
        .expect("load task");
    org
}

fn counts(store: &Store) -> (usize, usize) {
    store.with_reader(|c| {
        let n = |sql: &str| {
            c.query_row(sql, [], |r| r.get::<_, i64>(0))
                .expect("count rows") as usize
        };
        (
            n("SELECT COUNT(*) FROM \"o_account\" WHERE \"IsDeleted\" = 0"),
            n("SELECT COUNT(*) FROM \"o_contact\" WHERE \"IsDeleted\" = 0"),
        )
    })
}

const COMPANIES: &[&str] = &[
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Acme",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Cyberdyne",
    "Tyrell",
    "Wonka",
    "Oscorp",
    "Aperture",
    "Nakatomi",
    "Monarch",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Dunder Mifflin",
];
const SUFFIXES: &[&str] = &[
    "Holdings",
    "Logistics",
    "Labs",
    "Foods",
    "Systems",
    "Partners",
    "Industries",
    "Capital",
    "Energy",
    "Media",
    "Inc.",
];
const INDUSTRIES: &[&str] = &[
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Finance",
    "Healthcare",
    "Insurance",
    "Manufacturing",
    "Media",
    "Retail",
    "Technology",
    "Transportation",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("San Francisco", "CA", "USA"),
    ("New York", "NY", "USA"),
    ("Chicago", "IL", "USA"),
    ("Austin", "TX", "USA"),
    ("Seattle", "WA", "USA"),
    ("Boston", "MA", "USA"),
    ("Denver", "CO", "USA"),
    ("Atlanta", "GA", "USA"),
    ("Toronto", "ON", "Canada"),
    ("Vancouver", "BC", "Canada"),
    ("London", "", "United Kingdom"),
    ("Manchester", "", "United Kingdom"),
    ("Paris", "", "France"),
    ("Lyon", "", "France"),
    ("Berlin", "", "Germany"),
    ("Munich", "", "Germany"),
    ("Amsterdam", "", "Netherlands"),
    ("Stockholm", "", "Sweden"),
    ("Oslo", "", "Norway"),
    ("Madrid", "", "Spain"),
    ("Milan", "", "Italy"),
    ("Tokyo", "", "Japan"),
    ("Sydney", "NSW", "Australia"),
    ("São Paulo", "SP", "Brazil"),
];
const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Katherine",
    "Edsger",
    "Hedy",
    "Claude",
    "Sophie",
    "Niklaus",
    "Anita",
    "Guido",
];
const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "McCarthy",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "Dijkstra",
    "Lamarr",
    "Shannon",
    "Wilson",
    "Wirth",
    "Borg",
    "van Rossum",
    "O'Brien",
    "Nakamura",
    "García",
    "Müller",
];
const TITLES: &[&str] = &[
    "CEO",
    "CFO",
    "VP Sales",
    "Head of IT",
    "Procurement Manager",
    "Engineer",
    "Office Manager",
    "Director of Operations",
];

fn pick<T: Copy>(list: &[T], n: usize) -> T {
    list[n % list.len()]
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    }
}

fn account_fields(i: usize) -> Map<String, Value> {
    // Spread the picks with different multipliers so the columns do not move in lockstep.
    let (city, state, country) = pick(CITIES, i * 7 + i / 13);
    let company = pick(COMPANIES, i * 3 + i / 7);
    let industry = pick(INDUSTRIES, i * 11 + i / 17);
    object(json!({
        "Name": format!("Acct {i:05} {company} {}", pick(SUFFIXES, i / 3)),
        "Industry": industry,
        "Type": if i.is_multiple_of(4) { "Prospect" } else { "Customer - Direct" },
        "BillingStreet": format!("{} Market Street", 1 + i % 997),
        "BillingCity": city,
        "BillingState": if state.is_empty() { Value::Null } else { json!(state) },
        "BillingCountry": country,
        "Phone": format!("(555) {:03}-{:04}", i % 1000, (i * 37) % 10_000),
        "Website": format!("https://www.{}.example.com", company.to_lowercase().replace(' ', "")),
        "AnnualRevenue": ((i * 7919) % 5_000 + 1) as f64 * 10_000.0,
        "NumberOfEmployees": 5 + (i * 31) % 20_000,
    }))
}

fn contact_fields(i: usize, j: usize, account_id: &str) -> Map<String, Value> {
    let n = i * CONTACTS_PER_ACCOUNT + j;
    let first = pick(FIRST_NAMES, n * 7 + n / 11);
    let last = pick(LAST_NAMES, n * 5 + n / 19);
    let local: String = format!("{first}.{last}")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    object(json!({
        "FirstName": first,
        "LastName": last,
        "Title": pick(TITLES, n),
        "Email": format!("{local}.{n}@example.com"),
        "Phone": format!("(555) {:03}-{:04}", (n / 10) % 1000, n % 10_000),
        "AccountId": account_id,
    }))
}

/// Loads the Accounts and their Contacts, `CHUNK` Accounts per transaction.
fn load(store: &Store, scale: &Scale) {
    let admin = store
        .user_id(ADMIN_USERNAME)
        .expect("look up the admin")
        .expect("the admin user");
    let actor = Actor {
        user_id: admin,
        read_only: false,
    };
    let t = Instant::now();
    let mut start = 0;
    while start < scale.accounts {
        let end = (start + CHUNK).min(scale.accounts);
        store
            .write_batch(|b| {
                for i in start..end {
                    let id = b.insert(
                        &actor,
                        "Account",
                        &account_fields(i),
                        WriteOptions::default(),
                    )?;
                    for j in 0..CONTACTS_PER_ACCOUNT {
                        b.insert(
                            &actor,
                            "Contact",
                            &contact_fields(i, j, &id),
                            WriteOptions::default(),
                        )?;
                    }
                }
                if end == scale.accounts {
                    b.set_meta(DATASET_KEY, &dataset_marker(scale))?;
                }
                Ok(())
            })
            .expect("load a chunk");
        start = end;
        if scale.full {
            eprintln!(
                "loaded {end} accounts, {} contacts ({:.1} s)",
                end * CONTACTS_PER_ACCOUNT,
                t.elapsed().as_secs_f64()
            );
        }
    }
}

/// Deletes the Accounts the create benchmark added (and their search rows), so the data set keeps
/// its counts. Raw SQL on a reader connection: the store's delete only moves to the recycle bin.
fn remove_created(store: &Store) {
    store.with_reader(|c| {
        let tx = c.unchecked_transaction().expect("begin");
        let ids: Vec<String> = {
            let mut st = tx
                .prepare("SELECT \"Id\" FROM \"o_account\" WHERE \"Name\" LIKE ?1")
                .expect("prepare");
            st.query_map([format!("{CREATED_PREFIX}%")], |r| r.get(0))
                .expect("select created")
                .collect::<Result<_, _>>()
                .expect("read created")
        };
        {
            let mut del = tx
                .prepare("DELETE FROM search_index WHERE rowid = ?1")
                .expect("prepare");
            for id in &ids {
                if let Some(k) = sfkit_emulator::ids::sequence(id) {
                    del.execute([k as i64]).expect("delete search row");
                }
            }
        }
        tx.execute(
            "DELETE FROM \"o_account\" WHERE \"Name\" LIKE ?1",
            [format!("{CREATED_PREFIX}%")],
        )
        .expect("delete created accounts");
        tx.commit().expect("commit");
    });
}

// ---------------------------------------------------------------------------------------------
// 1. Selective query: Store::query against the hand-written statement

struct QueryResult {
    emulator_sql: String,
    emulator_plan: Vec<String>,
    raw_plan: Vec<String>,
    emulator: Stats,
    raw: Stats,
    /// The emulator's own SQL run by hand from the statement cache: its SQLite share.
    emulator_sql_cached: Stats,
    /// The emulator's own SQL prepared anew each time, as `Store::query` runs it.
    emulator_sql_prepared: Stats,
}

#[derive(Clone, Copy)]
struct Stats {
    median: Duration,
    p10: Duration,
    p90: Duration,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Stats {
        median: at(0.5),
        p10: at(0.1),
        p90: at(0.9),
    }
}

fn run_emulator(store: &Store) -> usize {
    // The answer's JSON text, as the REST API sends it; its count is read from its head (the
    // records themselves are compared once, in `selective_query`).
    let body = store
        .query(SELECTIVE_SOQL, false, "60.0")
        .expect("selective query");
    let total = body
        .strip_prefix("{\"totalSize\":")
        .and_then(|s| s.split(',').next())
        .and_then(|n| n.parse().ok())
        .expect("totalSize");
    black_box(body);
    total
}

fn run_raw(store: &Store) -> usize {
    store.with_reader(|c| {
        let mut st = c.prepare_cached(SELECTIVE_SQL).expect("prepare");
        let mut rows = st.query([SELECTIVE_PATTERN]).expect("query");
        let mut n = 0;
        while let Some(r) = rows.next().expect("step") {
            let id: String = r.get(0).expect("Id");
            let name: String = r.get(1).expect("Name");
            let industry: Option<String> = r.get(2).expect("Industry");
            black_box((id, name, industry));
            n += 1;
        }
        n
    })
}

/// Statements seen by the trace hook: (SQL, SQLite's run time, full-scan steps).
static TRACED: Mutex<Vec<(String, Option<Duration>, i32)>> = Mutex::new(Vec::new());

fn tracer(e: TraceEvent<'_>) {
    let mut t = TRACED.lock();
    match e {
        TraceEvent::Profile(stmt, d) => t.push((
            stmt.sql().into_owned(),
            Some(d),
            stmt.get_status(rusqlite::StatementStatus::FullscanStep),
        )),
        TraceEvent::Stmt(_, sql) => t.push((sql.to_owned(), None, 0)),
        _ => {}
    }
}

/// Sets or clears the trace hook on every reader connection (they are handed out round robin).
fn trace_readers(store: &Store, on: bool) {
    for _ in 0..16 {
        store.with_reader(|c| match on {
            true => c.trace_v2(
                TraceEventCodes::SQLITE_TRACE_STMT | TraceEventCodes::SQLITE_TRACE_PROFILE,
                Some(tracer),
            ),
            false => c.trace_v2(TraceEventCodes::empty(), None),
        });
    }
}

fn explain(store: &Store, sql: &str) -> Vec<String> {
    store.with_reader(|c| {
        let mut st = c
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("prepare EXPLAIN");
        assert_eq!(st.parameter_count(), 1, "one parameter: the LIKE pattern");
        st.query_map([SELECTIVE_PATTERN], |r| r.get::<_, String>(3))
            .expect("explain")
            .collect::<Result<_, _>>()
            .expect("plan rows")
    })
}

fn selective_query(store: &Store, scale: &Scale) -> QueryResult {
    eprintln!("selective query ...");
    // Same rows on both sides.
    let body = store
        .query(SELECTIVE_SOQL, false, "60.0")
        .expect("selective query");
    let page: serde_json::Value = serde_json::from_str(&body).expect("the answer is JSON");
    let mut emu_ids: Vec<String> = page["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["Id"].as_str().expect("Id").to_owned())
        .collect();
    let mut raw_ids: Vec<String> = store.with_reader(|c| {
        let mut st = c.prepare_cached(SELECTIVE_SQL).expect("prepare");
        st.query_map([SELECTIVE_PATTERN], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    });
    emu_ids.sort();
    raw_ids.sort();
    assert_eq!(page["totalSize"], json!(SELECTIVE_ROWS), "emulator rows");
    assert_eq!(emu_ids, raw_ids, "both sides read the same rows");

    // The statement the emulator runs, from SQLite's trace hook; no step of either statement
    // may be a full-scan step.
    TRACED.lock().clear();
    trace_readers(store, true);
    for _ in 0..scale.query_iters.min(20) {
        run_emulator(store);
        run_raw(store);
    }
    trace_readers(store, false);
    let traced = std::mem::take(&mut *TRACED.lock());
    let emulator_sql = traced
        .iter()
        .find(|(sql, d, _)| d.is_none() && sql.contains("LIKE") && sql.contains("rowid"))
        .map(|(sql, _, _)| sql.clone())
        .expect("the emulator's statement in the trace");
    for sql in [emulator_sql.as_str(), SELECTIVE_SQL] {
        let profiled: Vec<i32> = traced
            .iter()
            .filter(|(s, d, _)| s == sql && d.is_some())
            .map(|(_, _, fullscan)| *fullscan)
            .collect();
        assert!(
            !profiled.is_empty() && profiled.iter().all(|f| *f == 0),
            "no full-scan steps: {sql} {profiled:?}"
        );
    }
    let emulator_plan = explain(store, &emulator_sql);
    let raw_plan = explain(store, SELECTIVE_SQL);
    for (who, plan) in [("emulator", &emulator_plan), ("hand-written", &raw_plan)] {
        assert!(
            plan.iter()
                .any(|l| l.contains("USING INDEX i_account_name")),
            "the {who} statement must use the Name index: {plan:?}"
        );
    }

    // Warm up, then interleave, rotating which side goes first. Sides 2 and 3 split the
    // emulator's time: its statement alone (cached, and prepared each time as it runs it).
    let run = |side: usize| match side {
        0 => run_emulator(store),
        1 => run_raw(store),
        2 => run_sql(store, &emulator_sql, true),
        _ => run_sql(store, &emulator_sql, false),
    };
    for i in 0..scale.query_iters / 10 * 4 {
        run(i % 4);
    }
    let mut times: [Vec<Duration>; 4] = Default::default();
    for i in 0..scale.query_iters {
        for k in 0..4 {
            let side = (i + k) % 4;
            let t = Instant::now();
            assert_eq!(run(side), SELECTIVE_ROWS, "side {side}");
            times[side].push(t.elapsed());
        }
    }
    let [emu, raw, cached, prepared] = times;
    QueryResult {
        emulator_sql,
        emulator_plan,
        raw_plan,
        emulator: stats(emu),
        raw: stats(raw),
        emulator_sql_cached: stats(cached),
        emulator_sql_prepared: stats(prepared),
    }
}

/// Runs the emulator's statement as `soql::execute` does: every column as an owned value.
fn run_sql(store: &Store, sql: &str, cached: bool) -> usize {
    store.with_reader(|c| {
        let mut fresh;
        let mut cached_stmt;
        let st = if cached {
            cached_stmt = c.prepare_cached(sql).expect("prepare");
            &mut *cached_stmt
        } else {
            fresh = c.prepare(sql).expect("prepare");
            &mut fresh
        };
        let ncols = st.column_count();
        let mut rows = st.query([SELECTIVE_PATTERN]).expect("query");
        let mut n = 0;
        while let Some(r) = rows.next().expect("step") {
            let vals: Vec<rusqlite::types::Value> =
                (0..ncols).map(|i| r.get(i).expect("column")).collect();
            black_box(vals);
            n += 1;
        }
        n
    })
}

// ---------------------------------------------------------------------------------------------
// 2. Export over HTTP

struct ExportRun {
    records: usize,
    elapsed: Duration,
    pages: usize,
    /// Peak RSS during the run above the RSS at its start, KiB.
    peak_growth_kib: i64,
    rss_before_kib: i64,
    hwm_kib: i64,
}

impl ExportRun {
    fn rate(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64()
    }
}

struct ExportResult {
    warmups: Vec<ExportRun>,
    small: Vec<ExportRun>,
    full: Vec<ExportRun>,
}

/// One page of a query answer; records are counted, not kept.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    total_size: usize,
    done: bool,
    next_records_url: Option<String>,
    records: Vec<serde::de::IgnoredAny>,
}

fn client() -> reqwest::Client {
    // reqwest's rustls backend is built without a provider: use aws-lc-rs, as the org does.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(64)
        .build()
        .expect("HTTP client")
}

async fn login(http: &reqwest::Client, base: &str) -> String {
    let resp = http
        .post(format!("{base}/services/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("username", ADMIN_USERNAME),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status().as_u16(), 200, "token request");
    let body: Value = resp.json().await.expect("token JSON");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// `(VmRSS, VmHWM)` of this process (the org runs in it), KiB.
fn rss() -> (i64, i64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
            .unwrap_or(-1)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets VmHWM to the current RSS (Linux 4.0+).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn export_once(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    soql: &str,
    expect: usize,
) -> ExportRun {
    reset_peak();
    let (rss_before_kib, _) = rss();
    let t = Instant::now();
    let mut req = http
        .get(format!("{base}/services/data/{API}/query"))
        .query(&[("q", soql)]);
    let mut records = 0;
    let mut pages = 0;
    loop {
        let resp = req.bearer_auth(token).send().await.expect("query request");
        assert_eq!(resp.status().as_u16(), 200, "query page {pages}");
        let bytes = resp.bytes().await.expect("page body");
        let page: Page = serde_json::from_slice(&bytes).expect("page JSON");
        assert_eq!(page.total_size, expect, "totalSize");
        records += page.records.len();
        pages += 1;
        match (page.done, page.next_records_url) {
            (true, _) => break,
            (false, Some(next)) => req = http.get(format!("{base}{next}")),
            (false, None) => panic!("not done, but no nextRecordsUrl"),
        }
    }
    let elapsed = t.elapsed();
    let (_, hwm_kib) = rss();
    assert_eq!(records, expect, "records exported");
    ExportRun {
        records,
        elapsed,
        pages,
        peak_growth_kib: hwm_kib - rss_before_kib,
        rss_before_kib,
        hwm_kib,
    }
}

async fn export(org: &OrgHandle, scale: &Scale) -> ExportResult {
    eprintln!("export over HTTP ...");
    let http = client();
    let base = org.url();
    let token = login(&http, base).await;
    // Warm up: SQLite's page caches (32 MB per connection) and the allocator reach their
    // working size. Then alternate a small and a full export, to compare their peak memory.
    let mut warmups = Vec::new();
    for _ in 0..2 {
        warmups.push(export_once(&http, base, &token, EXPORT_SOQL, scale.accounts).await);
    }
    let small_soql = format!("{EXPORT_SOQL} LIMIT {}", scale.small_export);
    let (mut small, mut full) = (Vec::new(), Vec::new());
    for _ in 0..scale.exports {
        small.push(export_once(&http, base, &token, &small_soql, scale.small_export).await);
        full.push(export_once(&http, base, &token, EXPORT_SOQL, scale.accounts).await);
    }
    ExportResult {
        warmups,
        small,
        full,
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Concurrent single-record creates over HTTP

struct CreateResult {
    total: usize,
    elapsed: Duration,
    /// `Store::insert` called directly, serially: how many, how long.
    direct_n: usize,
    direct: Duration,
    latency: Stats,
    p99: Duration,
}

async fn creates(org: &OrgHandle, scale: &Scale) -> CreateResult {
    eprintln!("creates over HTTP ...");
    let http = client();
    let base = org.url().to_owned();
    let token = login(&http, &base).await;
    let url = format!("{base}/services/data/{API}/sobjects/Account");
    let create = |http: reqwest::Client, url: String, token: String, name: String| async move {
        let body = json!({
            "Name": name,
            "Industry": "Technology",
            "BillingCity": "Oslo",
            "BillingCountry": "Norway",
            "AnnualRevenue": 1_250_000.0,
        });
        let t = Instant::now();
        let resp = http
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("create request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("create body");
        assert_eq!(status, 201, "create: {text}");
        t.elapsed()
    };
    // Warm up the connections.
    for i in 0..scale.clients * 4 {
        create(
            http.clone(),
            url.clone(),
            token.clone(),
            format!("{CREATED_PREFIX}warmup-{i}"),
        )
        .await;
    }
    let per_client = scale.creates / scale.clients;
    let t = Instant::now();
    let tasks: Vec<_> = (0..scale.clients)
        .map(|c| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let name = format!("{CREATED_PREFIX}{c}-{i}");
                    lat.push(create(http.clone(), url.clone(), token.clone(), name).await);
                }
                lat
            })
        })
        .collect();
    let mut lat = Vec::new();
    for task in tasks {
        lat.extend(task.await.expect("client task"));
    }
    let elapsed = t.elapsed();
    let total = lat.len();
    // The same creates in-process, one after another: the store's share of a create.
    let store = org.store().clone();
    let direct_n = scale.creates / 4;
    let direct = tokio::task::spawn_blocking(move || {
        let actor = Actor {
            user_id: store
                .user_id(ADMIN_USERNAME)
                .expect("look up the admin")
                .expect("the admin user"),
            read_only: false,
        };
        let t = Instant::now();
        for i in 0..direct_n {
            let fields = object(json!({
                "Name": format!("{CREATED_PREFIX}direct-{i}"),
                "Industry": "Technology",
                "BillingCity": "Oslo",
                "BillingCountry": "Norway",
                "AnnualRevenue": 1_250_000.0,
            }));
            store
                .insert(&actor, "Account", &fields)
                .expect("direct insert");
        }
        t.elapsed()
    })
    .await
    .expect("direct inserts");
    let mut sorted = lat.clone();
    sorted.sort();
    let p99 = sorted[((sorted.len() - 1) as f64 * 0.99).round() as usize];
    CreateResult {
        total,
        elapsed,
        direct_n,
        direct,
        latency: stats(lat),
        p99,
    }
}

// ---------------------------------------------------------------------------------------------
// Report

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn mib(kib: i64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn report_data(scale: &Scale, store: &Store, load: Duration) {
    let (accounts, contacts) = counts(store);
    let db_bytes = std::fs::metadata(store.path())
        .map(|m| m.len())
        .unwrap_or(0);
    println!();
    println!(
        "sfkit-emulator org bench ({} run): {accounts} Accounts, {contacts} Contacts, {:.0} MiB database; open/load {:.1} s",
        if scale.full { "full" } else { "smoke" },
        db_bytes as f64 / (1024.0 * 1024.0),
        load.as_secs_f64()
    );
}

fn report_query(scale: &Scale, q: &QueryResult) {
    println!();
    println!(
        "1. selective query, {SELECTIVE_ROWS} rows, {} interleaved iterations each",
        scale.query_iters
    );
    println!("   SOQL: {SELECTIVE_SOQL}");
    println!("   emulator SQL: {}", q.emulator_sql);
    println!("   emulator plan: {}", q.emulator_plan.join(" | "));
    println!("   hand-written SQL: {SELECTIVE_SQL}  (?1 = '{SELECTIVE_PATTERN}')");
    println!("   hand-written plan: {}", q.raw_plan.join(" | "));
    println!("   | side | median | p10 | p90 |");
    for (name, s) in [
        ("Store::query", &q.emulator),
        ("hand-written rusqlite", &q.raw),
        ("(emulator's SQL alone, cached)", &q.emulator_sql_cached),
        ("(emulator's SQL alone, prepared)", &q.emulator_sql_prepared),
    ] {
        println!(
            "   | {name} | {} | {} | {} |",
            us(s.median),
            us(s.p10),
            us(s.p90)
        );
    }
    let ratio = q.emulator.median.as_secs_f64() / q.raw.median.as_secs_f64();
    println!(
        "   ratio of medians: {ratio:.2}x (target <= 1.5x: {})",
        verdict(ratio <= 1.5)
    );
}

fn report_export(scale: &Scale, e: &ExportResult) {
    println!();
    println!("2. export over HTTP: {EXPORT_SOQL}");
    println!(
        "   | run | records | pages | time | records/s | RSS at start | peak RSS | peak growth |"
    );
    let row = |name: &str, r: &ExportRun| {
        println!(
            "   | {name} | {} | {} | {:.2} s | {:.0} | {} | {} | {} |",
            r.records,
            r.pages,
            r.elapsed.as_secs_f64(),
            r.rate(),
            mib(r.rss_before_kib),
            mib(r.hwm_kib),
            mib(r.peak_growth_kib)
        );
    };
    for (i, r) in e.warmups.iter().enumerate() {
        row(&format!("warm-up #{} (full)", i + 1), r);
    }
    for (i, (small, full)) in e.small.iter().zip(&e.full).enumerate() {
        row(&format!("LIMIT {} #{}", scale.small_export, i + 1), small);
        row(&format!("full #{}", i + 1), full);
    }
    let mut rates: Vec<f64> = e.full.iter().map(ExportRun::rate).collect();
    rates.sort_by(f64::total_cmp);
    let median_rate = rates[rates.len() / 2];
    println!(
        "   median full export: {median_rate:.0} records/s (target >= 50,000/s: {})",
        verdict(median_rate >= 50_000.0)
    );
    let median_growth = |runs: &[ExportRun]| {
        let mut g: Vec<i64> = runs.iter().map(|r| r.peak_growth_kib).collect();
        g.sort();
        g[g.len() / 2]
    };
    println!(
        "   peak RSS growth after warm-up (median): {} for {} records, {} for {} records",
        mib(median_growth(&e.small)),
        scale.small_export,
        mib(median_growth(&e.full)),
        scale.accounts
    );
}

fn report_creates(scale: &Scale, c: &CreateResult) {
    println!();
    println!(
        "3. single-record creates over HTTP, {} concurrent clients",
        scale.clients
    );
    let rate = c.total as f64 / c.elapsed.as_secs_f64();
    println!(
        "   {} creates in {:.2} s: {rate:.0} creates/s (target >= 5,000/s: {}); latency median {}, p90 {}, p99 {}",
        c.total,
        c.elapsed.as_secs_f64(),
        verdict(rate >= 5_000.0),
        us(c.latency.median),
        us(c.latency.p90),
        us(c.p99)
    );
    println!(
        "   for comparison, Store::insert in-process on one thread: {} creates in {:.2} s, {:.0} creates/s ({} each)",
        c.direct_n,
        c.direct.as_secs_f64(),
        c.direct_n as f64 / c.direct.as_secs_f64(),
        us(c.direct / c.direct_n.max(1) as u32)
    );
}
