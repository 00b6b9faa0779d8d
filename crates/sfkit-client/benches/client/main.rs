//! The client's performance (issue 4), against the local org:
//!
//! 1. **overhead**: one request through `sfkit_client::Client` against the same request sent with
//!    a bare `reqwest::Client` (bearer header set by hand), every side decoding the JSON answer
//!    into the same shape, in a random order each iteration, against an org in this process over
//!    plain HTTP (target: within 10%). Two more sides: a second bare client (the control: how far
//!    two identical sides differ) and a bare call through the sfkit client's own
//!    `reqwest::Client` (same connection and settings, without sfkit's layer);
//! 2. **stream**: 200,000 Accounts streamed through `Client::query` by a fresh process whose own
//!    peak RSS (VmHWM) is read at the end (target: under 50 MB);
//! 3. **peers**: 100,000 rows through sfkit's query stream, simple-salesforce's `query_all_iter`
//!    (Python) and jsforce's `autoFetch` (Node), each in its own process, against the same org
//!    and data in one run: time and peak RSS of each;
//! 4. **cli**: `sfkit query --format json` (the built binary) against curl and a bare reqwest
//!    loop fetching the same pages, and the two peers, from a static HTTPS server answering
//!    pre-built pages (issue 11; see `benches/client/cli.rs`).
//!
//! Parts 2 and 3 run the org in a separate process (this binary again, with
//! `SFKIT_CLIENT_BENCH_ROLE=org`), serving HTTPS over a data set built once into
//! `target/bench-data/client-200000` and reused while its marker and count are right. The sfkit
//! side of parts 2 and 3 is this binary too (`SFKIT_CLIENT_BENCH_ROLE=stream`), so each client is
//! a process of its own and its VmHWM is its own. The Python and Node scripts are in
//! `benches/peers/`.
//!
//! Run with `cargo bench -p sfkit-client --bench client`;
//! `SFKIT_BENCH_ONLY=overhead|stream|peers|cli` runs one part. Part 4 runs `target/release/sfkit`
//! (`cargo build --release -p sfkit` first; the smoke run uses `target/debug/sfkit`). Part 3 needs `target/bench-venv` (or `SFKIT_BENCH_PYTHON`) with
//! `tests/compat/requirements.txt` installed, and `npm ci` done in `tests/compat`; a client that
//! is missing is skipped with a message. Without `--bench` in its arguments (as
//! `cargo test --benches` runs it) it does a small smoke run: 2,000 Accounts in a temporary
//! directory, and no Python or Node. Figures are in docs/benchmarks.md.
//!
//! One module per part: `overhead.rs` (1), `stream.rs` (2, and the client processes parts 2 and 3
//! run), `peers.rs` (3), `cli.rs` with `cli/server.rs` (4); this file holds the scales, the data
//! set and the org process they share.
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

use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::{Map, Value, json};
use sfkit_client::auth::StaticToken;
use sfkit_client::{Client, Record};
use sfkit_emulator::store::{Actor, Store, WriteOptions};
use sfkit_emulator::{ADMIN_USERNAME, Org, OrgConfig, OrgHandle};

/// How big a run is.
struct Scale {
    full: bool,
    /// Interleaved iterations of each side of the overhead comparison, after `overhead_warmup`.
    overhead_iters: usize,
    overhead_warmup: usize,
    /// Accounts in the data set; part 2 streams all of them.
    accounts: usize,
    /// A smaller stream, to compare peak memory against the full one.
    small_stream: usize,
    /// Full and small streams each, in part 2.
    stream_rounds: usize,
    /// Rows each client reads in part 3, and how many rounds (0: part 3 is skipped).
    peer_rows: usize,
    peer_rounds: usize,
}

const FULL: Scale = Scale {
    full: true,
    overhead_iters: 5_000,
    overhead_warmup: 300,
    accounts: 200_000,
    small_stream: 10_000,
    stream_rounds: 3,
    peer_rows: 100_000,
    peer_rounds: 3,
};

const SMOKE: Scale = Scale {
    full: false,
    overhead_iters: 30,
    overhead_warmup: 5,
    accounts: 2_000,
    small_stream: 500,
    stream_rounds: 1,
    peer_rows: 1_000,
    peer_rounds: 0,
};

const ROLE_ENV: &str = "SFKIT_CLIENT_BENCH_ROLE";
const API: &str = "66.0";
const CHUNK: usize = 10_000;
/// Marks a complete data set in the org's `meta` table: a load cut short is rebuilt.
const DATASET_KEY: &str = "sfkit_client_bench_dataset";
/// Every client streams these columns.
const STREAM_SOQL: &str = "SELECT Id, Name, Industry, Type, BillingCity, BillingCountry, Phone, \
     Website, AnnualRevenue, NumberOfEmployees, CreatedDate FROM Account";
/// 50 MB, decimal (47.7 MiB): the stricter reading of the target.
const STREAM_LIMIT_BYTES: f64 = 50e6;

mod cli;
mod overhead;
mod peers;
mod stream;

use overhead::{overhead, report_overhead};
use peers::{PeerCommand, peer_script_commands, peers};
use stream::{report_stream, run_client, sfkit_command, stream, stream_worker};

fn main() {
    match std::env::var(ROLE_ENV).as_deref() {
        Ok("org") => return serve_org(),
        Ok("stream") => return stream_worker(),
        Ok("measure") => return cli::measure_worker(),
        Ok("fetch") => return cli::fetch_worker(),
        Ok(other) => panic!("unknown {ROLE_ENV}: {other}"),
        Err(_) => {}
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let scale = if std::env::args().any(|a| a == "--bench") {
        &FULL
    } else {
        &SMOKE
    };
    let only = std::env::var("SFKIT_BENCH_ONLY").ok();
    if let Some(o) = only.as_deref() {
        assert!(
            ["overhead", "stream", "peers", "cli"].contains(&o),
            "SFKIT_BENCH_ONLY is one of overhead, stream, peers, cli; not {o:?}"
        );
    }
    let wanted = |part: &str| only.as_deref().is_none_or(|o| o == part);

    println!();
    println!(
        "sfkit-client bench ({} run); {} CPUs, load average at start {}",
        if scale.full { "full" } else { "smoke" },
        std::thread::available_parallelism().map_or(0, usize::from),
        load_average()
    );
    if !scale.full {
        println!(
            "(smoke run: tiny sizes, likely an unoptimized build: it checks the bench works; its verdicts are not measurements)"
        );
    }

    if wanted("overhead") {
        let rt = runtime();
        let o = rt.block_on(overhead(scale));
        report_overhead(scale, &o);
    }
    if wanted("stream") || wanted("peers") {
        let org = OrgProcess::start(scale);
        // Warm the org's page cache and statement cache, unreported.
        eprintln!("warm-up stream ...");
        run_client(
            &org,
            sfkit_command(&org, STREAM_SOQL, scale.accounts),
            "sfkit",
        );
        if wanted("stream") {
            let s = stream(&org, scale);
            report_stream(scale, &s);
        }
        if wanted("peers") {
            peers(&org, scale);
        }
        org.stop();
    }
    if wanted("cli") {
        cli::cli(scale);
    }
    println!();
    println!("load average at end {}", load_average());
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// `(VmRSS, VmHWM)` of this process, KiB.
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

/// User plus system CPU time of this process (every thread), seconds, from `/proc/self/stat`
/// (clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    proc_cpu_seconds("self")
}

/// [`cpu_seconds`] of the process `pid` (`self` for this one).
fn proc_cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name's closing parenthesis start at field 3 (state); utime and
    // stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
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

fn median_f64(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn mib(kib: i64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn verdict(scale: &Scale, ok: bool) -> &'static str {
    match (scale.full, ok) {
        (false, _) => "not judged in a smoke run",
        (true, true) => "met",
        (true, false) => "MISSED",
    }
}

// ---------------------------------------------------------------------------------------------
// The data set

/// The Accounts every part reads: about a dozen filled fields each, deterministic.
fn account(i: usize) -> Map<String, Value> {
    const INDUSTRIES: [&str; 9] = [
        "Banking",
        "Biotechnology",
        "Construction",
        "Education",
        "Energy",
        "Healthcare",
        "Manufacturing",
        "Retail",
        "Technology",
    ];
    const CITIES: [(&str, &str); 10] = [
        ("Lisbon", "Portugal"),
        ("Denver", "USA"),
        ("Osaka", "Japan"),
        ("Nairobi", "Kenya"),
        ("Montréal", "Canada"),
        ("Rotterdam", "Netherlands"),
        ("Porto Alegre", "Brazil"),
        ("Kraków", "Poland"),
        ("Auckland", "New Zealand"),
        ("Glasgow", "United Kingdom"),
    ];
    let (city, country) = CITIES[(i * 7 + i / 11) % CITIES.len()];
    let json = json!({
        "Name": format!("Bench Account {i:06}"),
        "Industry": INDUSTRIES[(i * 5 + i / 3) % INDUSTRIES.len()],
        "Type": if i.is_multiple_of(3) { "Prospect" } else { "Customer - Channel" },
        "BillingStreet": format!("{} Harbour Road", 1 + i % 890),
        "BillingCity": city,
        "BillingCountry": country,
        "Phone": format!("+1 555 {:03} {:04}", i % 1000, (i * 13) % 10_000),
        "Website": format!("https://account-{i}.example.org"),
        "AnnualRevenue": ((i * 7919) % 9_000 + 100) as f64 * 1_000.0,
        "NumberOfEmployees": 1 + (i * 37) % 50_000,
    });
    match json {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    }
}

fn dataset_marker(n: usize) -> String {
    format!("v1 accounts={n}")
}

fn account_count(store: &Store) -> usize {
    let body = store
        .query("SELECT COUNT() FROM Account", false, API)
        .expect("count the Accounts");
    let v: Value = serde_json::from_str(&body).expect("the count is JSON");
    v["totalSize"].as_u64().expect("totalSize") as usize
}

fn admin(store: &Store) -> Actor {
    Actor {
        user_id: store
            .user_id(ADMIN_USERNAME)
            .expect("look up the admin")
            .expect("the admin user"),
        read_only: false,
    }
}

/// Loads `n` Accounts, `CHUNK` per transaction, and marks the data set complete.
fn load(store: &Store, n: usize, verbose: bool) {
    let actor = admin(store);
    let t = Instant::now();
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        store
            .write_batch(|b| {
                for i in start..end {
                    b.insert(&actor, "Account", &account(i), WriteOptions::default())?;
                }
                if end == n {
                    b.set_meta(DATASET_KEY, &dataset_marker(n))?;
                }
                Ok(())
            })
            .expect("load a chunk");
        start = end;
        if verbose {
            eprintln!("loaded {end} accounts ({:.1} s)", t.elapsed().as_secs_f64());
        }
    }
}

/// `target/bench-data/client-N` for a full run; `None` (a temporary directory) for a smoke run.
fn data_dir(scale: &Scale) -> Option<PathBuf> {
    scale.full.then(|| {
        target_dir()
            .join("bench-data")
            .join(format!("client-{}", scale.accounts))
    })
}

/// The bench runs as `target/<profile>/deps/client-<hash>`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the bench's path");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

// ---------------------------------------------------------------------------------------------
// The org in its own process

/// This binary with `SFKIT_CLIENT_BENCH_ROLE=org`: opens (or builds) the data set, serves HTTPS,
/// prints `ready {"url","token","ca"}` and serves until its standard input closes.
fn serve_org() {
    let dir = std::env::var_os("SFKIT_BENCH_DATA_DIR").map(PathBuf::from);
    let n: usize = std::env::var("SFKIT_BENCH_ACCOUNTS")
        .expect("SFKIT_BENCH_ACCOUNTS")
        .parse()
        .expect("SFKIT_BENCH_ACCOUNTS is a number");
    runtime().block_on(async move {
        let org = open_dataset(dir.as_deref(), n).await;
        let ready = json!({
            "url": org.url(),
            "token": org.mint_token(ADMIN_USERNAME).expect("a token"),
            "ca": org.ca_pem().expect("TLS is on"),
        });
        let mut out = std::io::stdout().lock();
        writeln!(out, "ready {ready}").expect("write to the parent");
        out.flush().expect("flush");
        drop(out);
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .expect("wait for the parent");
        org.shutdown().await;
    });
}

async fn open_dataset(dir: Option<&Path>, n: usize) -> OrgHandle {
    let config = |d: Option<&Path>| {
        let c = OrgConfig::default().tls(true);
        match d {
            Some(d) => c.data_dir(d),
            None => c,
        }
    };
    if let Some(d) = dir.filter(|d| d.exists()) {
        let org = Org::start(config(Some(d))).await.expect("open the org");
        let marker = org.store().meta(DATASET_KEY).ok().flatten();
        let count = account_count(org.store());
        if marker.as_deref() == Some(dataset_marker(n).as_str()) && count == n {
            eprintln!("reusing {} ({count} accounts)", d.display());
            return org;
        }
        eprintln!(
            "rebuilding {}: {count} accounts, marker {marker:?}",
            d.display()
        );
        org.shutdown().await;
        std::fs::remove_dir_all(d).expect("remove the stale data set");
    }
    let org = Org::start(config(dir)).await.expect("start the org");
    let store = org.store().clone();
    let verbose = dir.is_some();
    tokio::task::spawn_blocking(move || load(&store, n, verbose))
        .await
        .expect("load task");
    org
}

struct OrgProcess {
    child: Child,
    url: String,
    token: String,
    ca: PathBuf,
}

impl OrgProcess {
    fn start(scale: &Scale) -> Self {
        eprintln!("starting the org process ...");
        let mut cmd = Command::new(std::env::current_exe().expect("the bench's path"));
        cmd.env(ROLE_ENV, "org")
            .env("SFKIT_BENCH_ACCOUNTS", scale.accounts.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(d) = data_dir(scale) {
            cmd.env("SFKIT_BENCH_DATA_DIR", d);
        }
        let mut child = cmd.spawn().expect("start the org process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("read the org's first line");
        let ready: Value = serde_json::from_str(
            line.strip_prefix("ready ")
                .unwrap_or_else(|| panic!("the org did not start: {line:?}")),
        )
        .expect("the ready line is JSON");
        let s = |k: &str| ready[k].as_str().expect("a string").to_owned();
        OrgProcess {
            url: s("url"),
            token: s("token"),
            ca: PathBuf::from(s("ca")),
            child,
        }
    }

    /// Closes its standard input (it shuts down) and waits for it.
    fn stop(mut self) {
        drop(self.child.stdin.take());
        self.child.wait().expect("the org process exits");
    }
}
