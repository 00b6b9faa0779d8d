//! `sfkit bulk load` against simple-salesforce's Bulk API 2.0 insert (issue 11), in one run:
//! the same CSV file of Accounts, loaded by each client into the local org, each client a
//! process of its own, each run on a fresh org (a new process and data directory) so every run
//! starts from the same state. For each run it reports:
//!
//! - **wall time**: from starting the client's process to its exit, as this bench measures it;
//! - **peak RSS**: the client process's VmHWM, sampled from `/proc/<pid>/status` every few
//!   milliseconds while it runs (a high-water mark, so the last sample is the peak up to a few
//!   milliseconds before exit);
//! - **API calls**: the org's count of REST requests (`OrgHandle::api_requests`) before and after;
//! - **the job's time** (its `totalProcessingTime`), and **done after the job**: from the last
//!   job's `systemModstamp` (when it finished) to the client's exit.
//!
//! sfkit also loads a file a tenth the size in each round: its peak RSS next to the full load's
//! shows whether memory grows with the file.
//!
//! The org runs in this binary (`SFKIT_BULK_BENCH_ROLE=org`), over HTTPS (simple-salesforce only
//! speaks HTTPS); it answers `calls` on its standard input with its request count. sfkit is the
//! built `sfkit` binary (`SF_INSTANCE_URL`, `SF_ACCESS_TOKEN`, `SSL_CERT_FILE`); the Python side
//! is `benches/peers/simple_salesforce_bulk2.py`, run with `target/bench-venv` (or
//! `SFKIT_BENCH_PYTHON`) where `tests/compat/requirements.txt` is installed, skipped with a
//! message if absent.
//!
//! Run with `cargo bench -p sfkit --bench bulk`. Without `--bench` in its arguments (as `cargo
//! test --benches` runs it) it does a smoke run: 300 rows, one round, sfkit only. Figures are in
//! docs/benchmarks.md.
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
use std::io::{BufRead as _, BufReader, BufWriter, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use sfkit_client::Client;
use sfkit_client::auth::StaticToken;
use sfkit_emulator::{ADMIN_USERNAME, Org, OrgConfig};

struct Scale {
    full: bool,
    rows: usize,
    small_rows: usize,
    rounds: usize,
    /// Run simple-salesforce too (it waits 5 s before its first status check).
    peers: bool,
}

const FULL: Scale = Scale {
    full: true,
    rows: 100_000,
    small_rows: 10_000,
    rounds: 3,
    peers: true,
};

const SMOKE: Scale = Scale {
    full: false,
    rows: 300,
    small_rows: 30,
    rounds: 1,
    peers: false,
};

const ROLE_ENV: &str = "SFKIT_BULK_BENCH_ROLE";
const API: &str = "66.0";
/// Issue 11's targets.
const RSS_LIMIT_BYTES: f64 = 30e6;
const CALL_LIMIT: u64 = 10;

fn main() {
    if std::env::var(ROLE_ENV).as_deref() == Ok("org") {
        return serve_org();
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let scale = if std::env::args().any(|a| a == "--bench") {
        &FULL
    } else {
        &SMOKE
    };
    println!();
    println!(
        "sfkit bulk bench ({} run); {} CPUs, load average at start {}",
        if scale.full { "full" } else { "smoke" },
        std::thread::available_parallelism().map_or(0, usize::from),
        load_average()
    );
    if !scale.full {
        println!(
            "(smoke run: tiny sizes, likely an unoptimized build: it checks the bench works; its verdicts are not measurements)"
        );
    }
    let work = Work::new(scale);
    let big = work.0.join(format!("accounts-{}.csv", scale.rows));
    let small = work.0.join(format!("accounts-{}.csv", scale.small_rows));
    write_csv(&big, scale.rows);
    write_csv(&small, scale.small_rows);
    println!(
        "CSV: {} rows, {:.1} MB ({}); {} rows, {:.2} MB",
        scale.rows,
        file_mb(&big),
        big.display(),
        scale.small_rows,
        file_mb(&small)
    );
    let python = if scale.peers {
        python()
    } else {
        Err("not in a smoke run".into())
    };
    if let Err(why) = &python {
        println!("simple-salesforce: skipped: {why}");
    }

    // Warm the page cache for the binaries and the file, unreported.
    eprintln!("warm-up ...");
    measure(&work, &Loader::Sfkit, &small, scale.small_rows);

    let mut clients = vec![Loader::Sfkit];
    if let Ok(p) = &python {
        clients.push(Loader::SimpleSalesforce(p.clone()));
    }
    let mut runs: BTreeMap<String, Vec<Run>> = BTreeMap::new();
    println!();
    println!(
        "| run | rows | wall time | peak RSS (VmHWM) | API calls | job's processing time | done after the job |"
    );
    println!("|---|---|---|---|---|---|---|");
    for round in 0..scale.rounds {
        // Rotate which client goes first.
        for k in 0..clients.len() {
            let c = &clients[(round + k) % clients.len()];
            eprintln!("round {}: {} ...", round + 1, c.name());
            let r = measure(&work, c, &big, scale.rows);
            row(&format!("{} #{}", c.name(), round + 1), scale.rows, &r);
            runs.entry(c.name().to_owned()).or_default().push(r);
        }
        let r = measure(&work, &Loader::Sfkit, &small, scale.small_rows);
        row(
            &format!("sfkit, small file #{}", round + 1),
            scale.small_rows,
            &r,
        );
        runs.entry("sfkit small".into()).or_default().push(r);
    }
    summary(scale, &runs);
    println!();
    println!("load average at end {}", load_average());
}

fn summary(scale: &Scale, runs: &BTreeMap<String, Vec<Run>>) {
    let med = |name: &str, f: fn(&Run) -> f64| {
        let mut v: Vec<f64> = runs[name].iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let s_wall = med("sfkit", |r| r.wall.as_secs_f64());
    let s_rss = med("sfkit", |r| r.hwm_kib as f64);
    let s_calls = med("sfkit", |r| r.calls as f64);
    let s_lag = med("sfkit", |r| r.lag_ms as f64);
    let small_rss = med("sfkit small", |r| r.hwm_kib as f64);
    println!();
    println!("medians:");
    println!(
        "| client | wall time | peak RSS | API calls | done after the job | wall vs sfkit | peak RSS vs sfkit |"
    );
    println!("|---|---|---|---|---|---|---|");
    for name in runs.keys().filter(|n| *n != "sfkit small") {
        let (w, h) = (
            med(name, |r| r.wall.as_secs_f64()),
            med(name, |r| r.hwm_kib as f64),
        );
        println!(
            "| {name} | {w:.2} s | {} | {:.0} | {:.0} ms | {:.2}x | {:.2}x |",
            mib(h),
            med(name, |r| r.calls as f64),
            med(name, |r| r.lag_ms as f64),
            w / s_wall,
            h / s_rss
        );
    }
    println!(
        "sfkit peak RSS, {} rows against {} rows: {:.2}x ({} against {})",
        scale.rows,
        scale.small_rows,
        s_rss / small_rss,
        mib(s_rss),
        mib(small_rss)
    );
    let verdict = |ok: bool| match (scale.full, ok) {
        (false, _) => "not judged in a smoke run",
        (true, true) => "met",
        (true, false) => "MISSED",
    };
    println!(
        "target: peak RSS under 30 MB: {} ({:.1} MB)",
        verdict(s_rss * 1024.0 < RSS_LIMIT_BYTES),
        s_rss * 1024.0 / 1e6
    );
    println!(
        "target: at most {CALL_LIMIT} API calls: {} ({s_calls:.0})",
        verdict(s_calls <= CALL_LIMIT as f64)
    );
    println!(
        "target: done within about a second of the job: {} ({s_lag:.0} ms)",
        verdict(s_lag <= 1_000.0)
    );
    if runs.contains_key("simple-salesforce") {
        let p_wall = med("simple-salesforce", |r| r.wall.as_secs_f64());
        println!(
            "target: never slower than simple-salesforce: {} (sfkit {:.2}x its wall time, median; slowest sfkit run {:.2}x its fastest)",
            verdict(s_wall <= p_wall),
            s_wall / p_wall,
            runs["sfkit"]
                .iter()
                .map(|r| r.wall.as_secs_f64())
                .fold(0.0, f64::max)
                / runs["simple-salesforce"]
                    .iter()
                    .map(|r| r.wall.as_secs_f64())
                    .fold(f64::MAX, f64::min),
        );
    }
}

fn row(label: &str, rows: usize, r: &Run) {
    println!(
        "| {label} | {rows} | {:.2} s | {} | {} | {:.2} s | {} ms |",
        r.wall.as_secs_f64(),
        mib(r.hwm_kib as f64),
        r.calls,
        r.job_ms as f64 / 1000.0,
        r.lag_ms
    );
}

fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

fn file_mb(p: &Path) -> f64 {
    std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Accounts as CSV: deterministic, about 44 bytes a row (issue 11's file: 100,000 rows, 4 MB).
fn write_csv(path: &Path, rows: usize) {
    const INDUSTRIES: [&str; 5] = ["Banking", "Energy", "Retail", "Technology", "Education"];
    const CITIES: [&str; 5] = ["Lisbon", "Denver", "Osaka", "Kraków", "Glasgow"];
    let mut w = BufWriter::new(std::fs::File::create(path).expect("create the CSV"));
    writeln!(w, "Name,Industry,BillingCity,NumberOfEmployees").unwrap();
    for i in 0..rows {
        writeln!(
            w,
            "Bench Account {i:06},{},{},{}",
            INDUSTRIES[i % INDUSTRIES.len()],
            CITIES[(i / 7) % CITIES.len()],
            1 + (i * 37) % 5_000
        )
        .unwrap();
    }
    w.flush().unwrap();
}

/// The bench's files: `target/bench-data/bulk` in a full run, a temporary directory in a smoke
/// run; the orgs' directories go under it and are removed after each run.
struct Work(PathBuf);

impl Work {
    fn new(scale: &Scale) -> Self {
        let dir = if scale.full {
            target_dir().join("bench-data").join("bulk")
        } else {
            std::env::temp_dir().join(format!("sfkit-bulk-bench-{}", std::process::id()))
        };
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Work(dir)
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        // The CSV of a full run stays for a look; the orgs are gone already.
        if self.0.starts_with(std::env::temp_dir()) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The bench runs as `target/<profile>/deps/bulk-<hash>`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the bench's path");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn python() -> Result<PathBuf, String> {
    let python = std::env::var_os("SFKIT_BENCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("bench-venv/bin/python"));
    if !python.exists() {
        return Err(format!(
            "no Python at {} (python3 -m venv target/bench-venv && target/bench-venv/bin/pip install -r tests/compat/requirements.txt, or set SFKIT_BENCH_PYTHON)",
            python.display()
        ));
    }
    let ok = Command::new(&python)
        .args(["-c", "import simple_salesforce"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return Err(format!(
            "{} cannot import simple_salesforce (pip install -r tests/compat/requirements.txt)",
            python.display()
        ));
    }
    Ok(python)
}

// ---------------------------------------------------------------------------------------------
// The org in its own process

/// This binary with `SFKIT_BULK_BENCH_ROLE=org`: a fresh org in `SFKIT_BENCH_ORG_DIR` over
/// HTTPS; prints `ready {"url","token","ca"}`, answers each `calls` line on its standard input
/// with its API request count, and stops when its standard input closes.
fn serve_org() {
    let dir = PathBuf::from(std::env::var_os("SFKIT_BENCH_ORG_DIR").expect("SFKIT_BENCH_ORG_DIR"));
    runtime().block_on(async move {
        let org = Org::start(OrgConfig::default().tls(true).data_dir(&dir))
            .await
            .expect("start the org");
        let ready = json!({
            "url": org.url(),
            "token": org.mint_token(ADMIN_USERNAME).expect("a token"),
            "ca": org.ca_pem().expect("TLS is on"),
        });
        println!("ready {ready}");
        std::io::stdout().flush().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        while let Some(line) = rx.recv().await {
            if line.trim() == "calls" {
                println!("{}", org.api_requests());
                std::io::stdout().flush().unwrap();
            }
        }
        org.shutdown().await;
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

struct OrgProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    url: String,
    token: String,
    ca: PathBuf,
    dir: PathBuf,
}

impl OrgProcess {
    fn start(dir: PathBuf) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("the bench's path"))
            .env(ROLE_ENV, "org")
            .env("SFKIT_BENCH_ORG_DIR", &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the org process");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the org's first line");
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
            stdin,
            stdout,
            dir,
        }
    }

    fn calls(&mut self) -> u64 {
        writeln!(self.stdin, "calls").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim().parse().expect("a count")
    }

    fn stop(self) {
        let OrgProcess {
            mut child,
            stdin,
            dir,
            ..
        } = self;
        drop(stdin);
        child.wait().expect("the org process exits");
        let _ = std::fs::remove_dir_all(dir);
    }
}

// ---------------------------------------------------------------------------------------------
// One client's run

enum Loader {
    Sfkit,
    SimpleSalesforce(PathBuf),
}

impl Loader {
    fn name(&self) -> &'static str {
        match self {
            Loader::Sfkit => "sfkit",
            Loader::SimpleSalesforce(_) => "simple-salesforce",
        }
    }

    fn command(&self, org: &OrgProcess, csv: &Path, rows: usize) -> Command {
        match self {
            Loader::Sfkit => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_sfkit"));
                c.arg("--data-dir")
                    .arg(org.dir.join("sfkit-cli"))
                    .args(["bulk", "load", "Account"])
                    .arg(csv)
                    .env("SFKIT_KEYRING", "off")
                    .env("SF_INSTANCE_URL", &org.url)
                    .env("SF_ACCESS_TOKEN", &org.token)
                    .env("SSL_CERT_FILE", &org.ca);
                c
            }
            Loader::SimpleSalesforce(python) => {
                let mut c = Command::new(python);
                c.arg(
                    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                        .join("benches/peers/simple_salesforce_bulk2.py"),
                )
                .env("SFKIT_URL", &org.url)
                .env("SFKIT_TOKEN", &org.token)
                .env("SFKIT_API_VERSION", API)
                .env("SFKIT_CSV", csv)
                .env("SFKIT_EXPECT", rows.to_string())
                .env("REQUESTS_CA_BUNDLE", &org.ca);
                c
            }
        }
    }
}

struct Run {
    wall: Duration,
    hwm_kib: i64,
    calls: u64,
    /// The jobs' `totalProcessingTime`, summed.
    job_ms: u64,
    /// From the last job's end to the client's exit.
    lag_ms: i64,
}

/// Loads `csv` with `client` into a fresh org and measures it.
fn measure(work: &Work, client: &Loader, csv: &Path, rows: usize) -> Run {
    let mut org = OrgProcess::start(work.0.join(format!(
        "org-{}",
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )));
    let before = org.calls();
    let t = Instant::now();
    let mut child = client
        .command(&org, csv, rows)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", client.name()));
    // Drained as it runs: a full pipe would stall the client.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status_file = format!("/proc/{}/status", child.id());
    let mut hwm = 0i64;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the client") {
            break status;
        }
        hwm = hwm.max(vm_hwm(&status_file));
        std::thread::sleep(Duration::from_millis(3));
    };
    let wall = t.elapsed();
    let exited = SystemTime::now();
    let calls = org.calls() - before;
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(
        status.success(),
        "{} failed ({status}): {out} {err}",
        client.name()
    );
    if let Loader::Sfkit = client {
        assert!(
            err.contains(&format!("{rows} rows processed")) && err.contains("0 failed"),
            "sfkit: {err}"
        );
    }
    let (job_ms, end_ms) = jobs(&org);
    org.stop();
    let exit_ms = exited
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    Run {
        wall,
        hwm_kib: hwm,
        calls,
        job_ms,
        lag_ms: exit_ms - end_ms,
    }
}

/// `VmHWM` of a running process, KiB (0 once it is gone).
fn vm_hwm(status_file: &str) -> i64 {
    std::fs::read_to_string(status_file)
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The org's ingest jobs: their processing time, summed, and when the last ended (epoch ms).
fn jobs(org: &OrgProcess) -> (u64, i64) {
    let ca = std::fs::read(&org.ca).unwrap();
    let client = Client::builder()
        .trust_pem(ca)
        .token_source(StaticToken::new(org.token.clone(), org.url.clone()))
        .build()
        .unwrap();
    runtime().block_on(async move {
        let get = |path: String| {
            let client = client.clone();
            async move {
                client
                    .request(sfkit_client::Method::GET, &path, None)
                    .await
                    .unwrap()
                    .unwrap_or(Value::Null)
            }
        };
        let list = get(format!("/services/data/v{API}/jobs/ingest")).await;
        let (mut total, mut end) = (0u64, 0i64);
        for job in list["records"].as_array().cloned().unwrap_or_default() {
            let id = job["id"].as_str().unwrap();
            let info = get(format!("/services/data/v{API}/jobs/ingest/{id}")).await;
            total += info["totalProcessingTime"].as_u64().unwrap_or(0);
            let stamp = info["systemModstamp"].as_str().unwrap();
            let at = chrono::DateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%S%.3f%z")
                .unwrap_or_else(|e| panic!("systemModstamp {stamp:?}: {e}"));
            end = end.max(at.timestamp_millis());
        }
        (total, end)
    })
}
