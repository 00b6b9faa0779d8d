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
//!    pre-built pages (issue 11; see `benches/cli/mod.rs`).
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

// ---------------------------------------------------------------------------------------------
// 1. Overhead per request: sfkit_client::Client against bare reqwest

/// What one side of the comparison sends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Request {
    /// `GET /services/data/v66.0/limits/`, a small answer the org builds without SQLite.
    Limits,
    /// `GET /services/data/v66.0/sobjects/Account/{id}`, one record read from SQLite.
    Record,
}

/// Who sends it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// `sfkit_client::Client` (`limits()`, `sobjects("Account").get::<Record>`).
    Sfkit,
    /// A `reqwest::Client` built here, bearer header set by hand: its own connection.
    Bare,
    /// A second one built the same way: the control, to show the method's noise floor.
    BareControl,
    /// The `reqwest::Client` inside the sfkit client (`Client::http()`), called bare: the same
    /// connection, TLS setup, timeouts and user agent, without sfkit's layer.
    SfkitHttp,
}

const VIAS: [Via; 4] = [Via::Sfkit, Via::Bare, Via::BareControl, Via::SfkitHttp];

fn via_name(v: Via) -> &'static str {
    match v {
        Via::Sfkit => "sfkit Client",
        Via::Bare => "bare reqwest::Client",
        Via::BareControl => "(control: a second bare reqwest::Client)",
        Via::SfkitHttp => "(bare call through Client::http())",
    }
}

/// `/limits` decoded the way `Client::limits` decodes it.
#[derive(serde::Deserialize)]
struct BareLimit {
    #[serde(rename = "Max", default)]
    max: i64,
    #[serde(rename = "Remaining", default)]
    remaining: i64,
}

struct Sides {
    client: Client,
    bare: reqwest::Client,
    control: reqwest::Client,
    url: String,
    token: String,
    id: String,
}

impl Sides {
    async fn run(&self, request: Request, via: Via) {
        let http = match via {
            Via::Sfkit => return self.sfkit(request).await,
            Via::Bare => &self.bare,
            Via::BareControl => &self.control,
            Via::SfkitHttp => self.client.http(),
        };
        match request {
            Request::Limits => {
                let bytes = self
                    .bare_get(http, format!("{}/services/data/v{API}/limits/", self.url))
                    .await;
                let limits: BTreeMap<String, BareLimit> =
                    serde_json::from_slice(bytes.as_ref()).expect("limits JSON");
                assert!(limits.contains_key("DailyApiRequests"));
                black_box(limits.values().map(|l| l.max + l.remaining).sum::<i64>());
            }
            Request::Record => {
                let bytes = self
                    .bare_get(
                        http,
                        format!(
                            "{}/services/data/v{API}/sobjects/Account/{}",
                            self.url, self.id
                        ),
                    )
                    .await;
                let record: Map<String, Value> =
                    serde_json::from_slice(bytes.as_ref()).expect("record JSON");
                assert_eq!(record["Id"], self.id.as_str());
                black_box(record);
            }
        }
    }

    async fn sfkit(&self, request: Request) {
        match request {
            Request::Limits => {
                let limits = self.client.limits().await.expect("sfkit limits");
                assert!(limits.contains_key("DailyApiRequests"));
                black_box(limits);
            }
            Request::Record => {
                let record: Record = self
                    .client
                    .sobjects("Account")
                    .get(&self.id)
                    .await
                    .expect("sfkit get");
                assert_eq!(record["Id"], self.id.as_str());
                black_box(record);
            }
        }
    }

    async fn bare_get(&self, http: &reqwest::Client, url: String) -> impl AsRef<[u8]> {
        let resp = http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("bare request");
        assert!(resp.status().is_success(), "bare status {}", resp.status());
        resp.bytes().await.expect("bare body")
    }
}

struct OverheadResult {
    /// Per request, per side (in `VIAS` order): the times of every iteration.
    times: Vec<(Request, Vec<Vec<Duration>>)>,
}

impl OverheadResult {
    fn of(&self, request: Request, via: Via) -> &[Duration] {
        let (_, sides) = self
            .times
            .iter()
            .find(|(r, _)| *r == request)
            .expect("measured");
        &sides[VIAS.iter().position(|v| *v == via).expect("a side")]
    }
}

fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("bare reqwest client")
}

async fn overhead(scale: &Scale) -> OverheadResult {
    use rand::SeedableRng as _;
    use rand::seq::SliceRandom as _;

    eprintln!("overhead per request ...");
    let org = Org::start(OrgConfig::default())
        .await
        .expect("start the org");
    let store = org.store().clone();
    let id = store
        .insert(&admin(&store), "Account", &account(42))
        .expect("insert an Account");
    let token = org.mint_token(ADMIN_USERNAME).expect("a token");
    let url = org.url().to_owned();
    let client = Client::builder()
        .token_source(StaticToken::new(token.clone(), url.clone()))
        .build()
        .expect("sfkit client");
    // reqwest's rustls backend is built without a provider: use aws-lc-rs, as the client does.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sides = Sides {
        client,
        bare: bare_client(),
        control: bare_client(),
        url,
        token,
        id,
    };
    let mut all: Vec<(Request, Via)> = [Request::Limits, Request::Record]
        .into_iter()
        .flat_map(|r| VIAS.map(|v| (r, v)))
        .collect();
    for _ in 0..scale.overhead_warmup {
        for &(r, v) in &all {
            sides.run(r, v).await;
        }
    }
    // Every iteration runs each side once, in a new random order: which side runs first, and
    // which connection was used just before, changes the time (by 10 µs and more), so no side
    // may keep a fixed place.
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); all.len()];
    let index = all.clone();
    for _ in 0..scale.overhead_iters {
        all.shuffle(&mut rng);
        for &(r, v) in &all {
            let t = Instant::now();
            sides.run(r, v).await;
            let k = index.iter().position(|s| *s == (r, v)).expect("a side");
            times[k].push(t.elapsed());
        }
    }
    drop(sides);
    org.shutdown().await;
    let mut times = times.into_iter();
    let times = [Request::Limits, Request::Record]
        .into_iter()
        .map(|r| (r, times.by_ref().take(VIAS.len()).collect()))
        .collect();
    OverheadResult { times }
}

fn report_overhead(scale: &Scale, o: &OverheadResult) {
    println!();
    println!(
        "1. overhead per request: in-process org over plain HTTP, {} iterations of each side (after {} warm-up), sides in a random order each iteration, JSON decoded on every side into the same shape",
        scale.overhead_iters, scale.overhead_warmup
    );
    println!("   | request | side | median | p10 | p90 |");
    for (request, name) in [
        (Request::Limits, "GET /limits"),
        (Request::Record, "GET /sobjects/Account/{id}"),
    ] {
        for via in VIAS {
            let s = stats(o.of(request, via).to_vec());
            println!(
                "   | {name} | {} | {} | {} | {} |",
                via_name(via),
                us(s.median),
                us(s.p10),
                us(s.p90)
            );
        }
    }
    for (request, name) in [(Request::Limits, "limits"), (Request::Record, "record GET")] {
        let ratio = |a: Via, b: Via| {
            let (a, b) = (o.of(request, a), o.of(request, b));
            let (sa, sb) = (stats(a.to_vec()), stats(b.to_vec()));
            let paired = median_f64(
                a.iter()
                    .zip(b)
                    .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
                    .collect(),
            );
            (
                sa.median.as_secs_f64() / sb.median.as_secs_f64(),
                (sa.median.as_secs_f64() - sb.median.as_secs_f64()) * 1e6,
                paired,
                sa.p90.as_secs_f64() / sb.p90.as_secs_f64(),
            )
        };
        let show = |what: &str, (r, d, p, p90): (f64, f64, f64, f64)| {
            format!("{what} {r:.3}x ({d:+.1} µs; paired {p:.3}x; p90 {p90:.3}x)")
        };
        let vs_bare = ratio(Via::Sfkit, Via::Bare);
        let vs_http = ratio(Via::Sfkit, Via::SfkitHttp);
        println!(
            "   {name}: {}; {}; {} (target <= 1.10x: {})",
            show("sfkit / bare", vs_bare),
            show("sfkit / its own reqwest bare", vs_http),
            show("control / bare", ratio(Via::BareControl, Via::Bare)),
            verdict(scale, vs_bare.0 <= 1.10 && vs_http.0 <= 1.10)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Clients in their own processes: each prints one JSON line
// {"client","records","name_chars","seconds","rss_start_kib","hwm_kib"}

struct Run {
    records: u64,
    /// Sum of the lengths of every record's Name: the clients read the same rows.
    name_chars: u64,
    /// From the query's first request to its last record, as the process measured it.
    seconds: f64,
    /// The process's CPU time (user + system, every thread) over the same span.
    cpu: f64,
    /// The process's RSS just before the query, and its peak RSS (VmHWM) after it, KiB.
    rss_start_kib: i64,
    hwm_kib: i64,
    /// The whole process, start to exit, as this bench measured it.
    wall: f64,
    /// The org process's CPU time over that span.
    org_cpu: f64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.records as f64 / self.seconds
    }
}

/// This binary with `SFKIT_CLIENT_BENCH_ROLE=stream`: streams `SFKIT_SOQL` through
/// `Client::query` and reports; with `SFKIT_STREAM_VIA=bare`, through a bare `reqwest::Client`
/// following `nextRecordsUrl` by hand, each page decoded once into the same record maps (the
/// floor for the sfkit side).
fn stream_worker() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is set"));
    let (url, token, soql) = (var("SFKIT_URL"), var("SFKIT_TOKEN"), var("SFKIT_SOQL"));
    let expect: u64 = var("SFKIT_EXPECT").parse().expect("SFKIT_EXPECT");
    let ca = std::fs::read(var("SFKIT_CA")).expect("the org's CA");
    let bare = std::env::var("SFKIT_STREAM_VIA").is_ok_and(|v| v == "bare");
    let line = runtime().block_on(async move {
        let client = Client::builder()
            .trust_pem(ca.clone())
            .token_source(StaticToken::new(token.clone(), url.clone()))
            .build()
            .expect("sfkit client");
        let http = bare.then(|| {
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            reqwest::Client::builder()
                .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("the CA"))
                .timeout(Duration::from_secs(120))
                .build()
                .expect("bare reqwest client")
        });
        let (rss_start, _) = rss();
        let cpu_start = cpu_seconds();
        let t = Instant::now();
        let (mut records, mut name_chars) = (0u64, 0u64);
        let mut count = |record: &Map<String, Value>| {
            name_chars += record
                .get("Name")
                .and_then(Value::as_str)
                .map_or(0, |s| s.chars().count() as u64);
            records += 1;
        };
        match &http {
            None => {
                let mut stream = std::pin::pin!(client.query::<Record>(&soql));
                while let Some(record) = stream.next().await {
                    count(&record.expect("a record"));
                }
            }
            Some(http) => {
                #[derive(serde::Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct Page {
                    next_records_url: Option<String>,
                    records: Vec<Map<String, Value>>,
                }
                let mut req = http
                    .get(format!("{url}/services/data/v{API}/query"))
                    .query(&[("q", soql.as_str())]);
                loop {
                    let resp = req.bearer_auth(&token).send().await.expect("query page");
                    assert!(resp.status().is_success(), "status {}", resp.status());
                    let bytes = resp.bytes().await.expect("page body");
                    let page: Page = serde_json::from_slice(&bytes).expect("page JSON");
                    for record in &page.records {
                        count(record);
                    }
                    match page.next_records_url {
                        Some(next) => req = http.get(format!("{url}{next}")),
                        None => break,
                    }
                }
            }
        }
        let seconds = t.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu_start;
        let (_, hwm) = rss();
        assert_eq!(records, expect, "records streamed");
        json!({
            "client": if bare { "bare reqwest" } else { "sfkit" },
            "records": records,
            "name_chars": name_chars,
            "seconds": seconds,
            "cpu_seconds": cpu,
            "rss_start_kib": rss_start,
            "hwm_kib": hwm,
        })
    });
    println!("{line}");
}

fn sfkit_command(org: &OrgProcess, soql: &str, expect: usize) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("the bench's path"));
    cmd.env(ROLE_ENV, "stream").env("SFKIT_CA", &org.ca);
    with_query_env(&mut cmd, org, soql, expect);
    cmd
}

fn bare_command(org: &OrgProcess, soql: &str, expect: usize) -> Command {
    let mut cmd = sfkit_command(org, soql, expect);
    cmd.env("SFKIT_STREAM_VIA", "bare");
    cmd
}

fn with_query_env(cmd: &mut Command, org: &OrgProcess, soql: &str, expect: usize) {
    cmd.env("SFKIT_URL", &org.url)
        .env("SFKIT_TOKEN", &org.token)
        .env("SFKIT_SOQL", soql)
        .env("SFKIT_EXPECT", expect.to_string())
        .env("SFKIT_API_VERSION", API)
        .stdin(Stdio::null());
}

/// Runs one client process to the end and reads its report.
fn run_client(org: &OrgProcess, mut cmd: Command, name: &str) -> Run {
    let org_pid = org.child.id().to_string();
    let org_cpu = proc_cpu_seconds(&org_pid);
    let t = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("start {name}: {e}"));
    let wall = t.elapsed().as_secs_f64();
    let org_cpu = proc_cpu_seconds(&org_pid) - org_cpu;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name} failed: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("{name} printed no report: {stdout} {stderr}"));
    let v: Value = serde_json::from_str(line).expect("the report is JSON");
    let n = |k: &str| {
        v[k].as_f64()
            .unwrap_or_else(|| panic!("{name}: {k} in {line}"))
    };
    Run {
        records: n("records") as u64,
        name_chars: n("name_chars") as u64,
        seconds: n("seconds"),
        cpu: n("cpu_seconds"),
        rss_start_kib: n("rss_start_kib") as i64,
        hwm_kib: n("hwm_kib") as i64,
        wall,
        org_cpu,
    }
}

fn row(label: &str, r: &Run) {
    println!(
        "   | {label} | {} | {:.2} s | {:.0} | {:.2} s | {:.2} s | {:.2} s | {} | {} | {} |",
        r.records,
        r.seconds,
        r.rate(),
        r.cpu,
        r.wall,
        r.org_cpu,
        mib(r.rss_start_kib),
        mib(r.hwm_kib),
        mib(r.hwm_kib - r.rss_start_kib)
    );
}

const RUN_HEADER: &str = "   | run | records | query time | records/s | client CPU during the query | process wall time | org CPU meanwhile | RSS before the query | peak RSS (VmHWM) | growth |";

// ---------------------------------------------------------------------------------------------
// 2. Streaming every Account through Client::query

struct StreamResult {
    small: Vec<Run>,
    full: Vec<Run>,
}

fn stream(org: &OrgProcess, scale: &Scale) -> StreamResult {
    eprintln!("streaming through Client::query ...");
    let small_soql = format!("{STREAM_SOQL} LIMIT {}", scale.small_stream);
    let (mut small, mut full) = (Vec::new(), Vec::new());
    for _ in 0..scale.stream_rounds {
        small.push(run_client(
            org,
            sfkit_command(org, &small_soql, scale.small_stream),
            "sfkit",
        ));
        full.push(run_client(
            org,
            sfkit_command(org, STREAM_SOQL, scale.accounts),
            "sfkit",
        ));
    }
    StreamResult { small, full }
}

fn report_stream(scale: &Scale, s: &StreamResult) {
    println!();
    println!(
        "2. {} Accounts through Client::query::<Record>, each run a fresh process (org in another process, HTTPS, 2,000 records a page)",
        scale.accounts
    );
    println!("   SOQL: {STREAM_SOQL}");
    println!("{RUN_HEADER}");
    for (i, (small, full)) in s.small.iter().zip(&s.full).enumerate() {
        row(&format!("LIMIT {} #{}", scale.small_stream, i + 1), small);
        row(&format!("all {} #{}", scale.accounts, i + 1), full);
    }
    let median_kib = |runs: &[Run], f: fn(&Run) -> i64| {
        median_f64(runs.iter().map(|r| f(r) as f64).collect()) as i64
    };
    let hwm = median_kib(&s.full, |r| r.hwm_kib);
    let growth = median_kib(&s.full, |r| r.hwm_kib - r.rss_start_kib);
    let rate = median_f64(s.full.iter().map(Run::rate).collect());
    println!(
        "   median for {} records: {rate:.0} records/s; peak RSS {} ({:.1} MB), growth during the query {}; {} records: peak {}, growth {}",
        scale.accounts,
        mib(hwm),
        hwm as f64 * 1024.0 / 1e6,
        mib(growth),
        scale.small_stream,
        mib(median_kib(&s.small, |r| r.hwm_kib)),
        mib(median_kib(&s.small, |r| r.hwm_kib - r.rss_start_kib)),
    );
    println!(
        "   target: peak memory under 50 MB: {} (whole process's peak RSS)",
        verdict(scale, (hwm as f64) * 1024.0 < STREAM_LIMIT_BYTES)
    );
}

// ---------------------------------------------------------------------------------------------
// 3. sfkit, simple-salesforce and jsforce side by side

/// A peer's command line and the environment it needs besides the query's, or why it cannot
/// run here.
type PeerCommand = Result<(Vec<String>, Vec<(&'static str, String)>), String>;

/// simple-salesforce's and jsforce's scripts in `benches/peers`, for parts 3 and 4. Each needs
/// `SFKIT_URL`, `SFKIT_TOKEN`, `SFKIT_SOQL`, `SFKIT_EXPECT`, `SFKIT_API_VERSION` and its
/// runtime's CA variable on top.
fn peer_script_commands() -> Vec<(&'static str, PeerCommand)> {
    let peers = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/peers");
    let python = std::env::var_os("SFKIT_BENCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("bench-venv/bin/python"));
    let python_cmd = if !python.exists() {
        Err(format!(
            "no Python at {} (python3 -m venv target/bench-venv && target/bench-venv/bin/pip install -r tests/compat/requirements.txt, or set SFKIT_BENCH_PYTHON)",
            python.display()
        ))
    } else if !Command::new(&python)
        .args(["-c", "import simple_salesforce"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        Err(format!(
            "{} cannot import simple_salesforce (pip install -r tests/compat/requirements.txt)",
            python.display()
        ))
    } else {
        Ok((
            vec![
                python.display().to_string(),
                peers
                    .join("simple_salesforce_stream.py")
                    .display()
                    .to_string(),
            ],
            Vec::new(),
        ))
    };
    let compat = repo_dir().join("tests/compat");
    let node_ok = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let node_cmd = if !node_ok {
        Err("no `node` on PATH".to_owned())
    } else if !compat.join("node_modules/jsforce/package.json").exists() {
        Err("no jsforce in tests/compat/node_modules (run `npm ci` in tests/compat)".to_owned())
    } else {
        Ok((
            vec![
                "node".to_owned(),
                peers.join("jsforce_stream.mjs").display().to_string(),
            ],
            vec![(
                "SFKIT_JSFORCE_FROM",
                compat.join("package.json").display().to_string(),
            )],
        ))
    };
    vec![("simple-salesforce", python_cmd), ("jsforce", node_cmd)]
}

/// How to run one of the three clients, or why it cannot run here.
fn peer_commands(org: &OrgProcess, soql: &str, n: usize) -> Vec<(String, Result<Command, String>)> {
    let mut all = vec![
        ("sfkit".to_owned(), Ok(sfkit_command(org, soql, n))),
        (
            "(bare reqwest + serde_json)".to_owned(),
            Ok(bare_command(org, soql, n)),
        ),
    ];
    for (name, peer) in peer_script_commands() {
        let cmd = peer.map(|(argv, env)| {
            let mut cmd = Command::new(&argv[0]);
            cmd.args(&argv[1..])
                .envs(env)
                .env("REQUESTS_CA_BUNDLE", &org.ca)
                .env("NODE_EXTRA_CA_CERTS", &org.ca);
            with_query_env(&mut cmd, org, soql, n);
            cmd
        });
        all.push((name.to_owned(), cmd));
    }
    all
}

fn peers(org: &OrgProcess, scale: &Scale) {
    println!();
    println!(
        "3. {} rows side by side: sfkit Client::query, simple-salesforce query_all_iter, jsforce autoFetch, and for reference a bare reqwest loop decoding each page once (same org process, HTTPS, 2,000 records a page, each client a process of its own)",
        scale.peer_rows
    );
    if scale.peer_rounds == 0 {
        println!(
            "   skipped in the smoke run (needs Python and Node); run `cargo bench -p sfkit-client --bench client`"
        );
        return;
    }
    eprintln!("peers ...");
    let soql = format!("{STREAM_SOQL} LIMIT {}", scale.peer_rows);
    let clients = peer_commands(org, &soql, scale.peer_rows);
    let mut available = Vec::new();
    for (name, cmd) in &clients {
        match cmd {
            Ok(_) => available.push(name.clone()),
            Err(why) => println!("   {name}: skipped: {why}"),
        }
    }
    println!("   SOQL: {soql}");
    println!("{RUN_HEADER}");
    let mut runs: BTreeMap<String, Vec<Run>> = BTreeMap::new();
    for round in 0..scale.peer_rounds {
        // Rotate which client goes first.
        for k in 0..available.len() {
            let name = &available[(round + k) % available.len()];
            // A `Command` cannot be cloned: build a fresh one for each run.
            let cmd = peer_commands(org, &soql, scale.peer_rows)
                .into_iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, c)| c.ok())
                .expect("a client that ran before");
            let r = run_client(org, cmd, name);
            row(&format!("{name} #{}", round + 1), &r);
            runs.entry(name.clone()).or_default().push(r);
        }
    }
    // Every client read the same rows.
    let sums: Vec<(u64, u64)> = runs
        .values()
        .flatten()
        .map(|r| (r.records, r.name_chars))
        .collect();
    assert!(
        sums.windows(2).all(|w| w[0] == w[1]),
        "the clients read different rows: {sums:?}"
    );
    let median = |v: &[Run], f: fn(&Run) -> f64| median_f64(v.iter().map(f).collect());
    let Some(sfkit) = runs.get("sfkit") else {
        return;
    };
    let (s_time, s_hwm) = (
        median(sfkit, |r| r.seconds),
        median(sfkit, |r| r.hwm_kib as f64),
    );
    let s_cpu = median(sfkit, |r| r.cpu);
    println!(
        "   | client | median query time | records/s | median client CPU | median peak RSS | median growth | time vs sfkit | CPU vs sfkit | peak RSS vs sfkit |"
    );
    for name in &available {
        let v = &runs[name];
        let (t, c, h) = (
            median(v, |r| r.seconds),
            median(v, |r| r.cpu),
            median(v, |r| r.hwm_kib as f64),
        );
        println!(
            "   | {name} | {t:.2} s | {:.0} | {c:.2} s | {} | {} | {:.2}x | {:.2}x | {:.2}x |",
            scale.peer_rows as f64 / t,
            mib(h as i64),
            mib(median(v, |r| (r.hwm_kib - r.rss_start_kib) as f64) as i64),
            t / s_time,
            c / s_cpu,
            h / s_hwm
        );
    }
}
