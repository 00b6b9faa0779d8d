//! Part 4, **cli**: `sfkit query --format json` (the built binary) against the raw fetch of the
//! same pages and the peers, from a server that costs nothing: every page is built before the
//! clock starts and answered with one write (HTTPS, keep-alive, a `nextRecordsUrl` chain of
//! 2,000-record pages, Salesforce's layout). What is left is the client.
//!
//! Each client is a process of its own, started by a small wrapper (this binary again,
//! `SFKIT_CLIENT_BENCH_ROLE=measure`) that drains its stdout, times it from start to exit and
//! reads its peak RSS from the kernel once it has exited (`getrusage(RUSAGE_CHILDREN)`: the
//! wrapper's only child), so the numbers cover interpreters' start-up and every byte printed.
//!
//! The sides: curl fetching every page (their URLs given up front, one connection), a bare
//! `reqwest` loop following `nextRecordsUrl` and writing each page out (this binary,
//! `SFKIT_CLIENT_BENCH_ROLE=fetch`), `sfkit query --format json`, and simple-salesforce's
//! `query_all_iter` and jsforce's `autoFetch` (the part 3 scripts) when they are installed.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::{ROLE_ENV, Scale, account, median_f64, mib, runtime, target_dir, verdict};

mod server;

use server::{StaticServer, build_pages, next_path, start_server};

/// Records per page, as Salesforce sends them by default.
const PAGE: usize = 2_000;
const TOKEN: &str = "00Dbench!static-token";
const SOQL: &str = "SELECT Id, Name, Industry, Type, BillingCity, BillingCountry, Phone, \
     Website, AnnualRevenue, NumberOfEmployees, CreatedDate FROM Account";

// ---------------------------------------------------------------------------------------------
// The wrapper and the bare fetch, each in a process of its own

/// `SFKIT_CLIENT_BENCH_ROLE=measure`: runs the command in `SFKIT_MEASURE_CMD` (a JSON array),
/// counts its stdout's bytes and lines, keeps its last line (the peers' report), and prints one
/// JSON line: wall seconds, peak RSS (KiB), bytes, lines, last line, exit status.
pub(super) fn measure_worker() {
    let argv: Vec<String> = serde_json::from_str(
        &std::env::var("SFKIT_MEASURE_CMD").expect("SFKIT_MEASURE_CMD is set"),
    )
    .expect("SFKIT_MEASURE_CMD is a JSON array");
    let (program, args) = argv.split_first().expect("a program");
    let t = Instant::now();
    let mut child = Command::new(program);
    // The wrapper's own role is not the child's: a child that is this binary again gets
    // `SFKIT_MEASURE_ROLE` as its role.
    child.env_remove(ROLE_ENV);
    if let Ok(role) = std::env::var("SFKIT_MEASURE_ROLE") {
        child.env(ROLE_ENV, role);
    }
    let mut child = child
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {program}: {e}"));
    let mut err_pipe = child.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let mut out = child.stdout.take().expect("stdout");
    let (mut bytes, mut lines) = (0usize, 0usize);
    let mut tail: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = out.read(&mut buf).expect("read the client's output");
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        bytes += n;
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        tail.extend_from_slice(chunk);
        if tail.len() > 8192 {
            tail.drain(..tail.len() - 4096);
        }
    }
    let status = child.wait().expect("wait for the client");
    let seconds = t.elapsed().as_secs_f64();
    // The wrapper's only child has exited and been waited for: the children's peak is its own.
    #[cfg(unix)]
    let (hwm_kib, cpu) = {
        let u = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
            .expect("getrusage");
        let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
        (u.max_rss(), secs(u.user_time()) + secs(u.system_time()))
    };
    #[cfg(not(unix))]
    let (hwm_kib, cpu) = (-1, f64::NAN);
    let tail = String::from_utf8_lossy(&tail);
    let last = tail.trim_end().lines().last().unwrap_or("").to_owned();
    println!(
        "{}",
        json!({
            "seconds": seconds,
            // Linux reports ru_maxrss in KiB.
            "hwm_kib": hwm_kib,
            "cpu_seconds": cpu,
            "bytes": bytes,
            "lines": lines,
            "last": last,
            "ok": status.success(),
            "stderr": errors.join().unwrap_or_default(),
        })
    );
}

/// `SFKIT_CLIENT_BENCH_ROLE=fetch`: the floor. A bare `reqwest::Client` gets the first page,
/// then each `nextRecordsUrl`, found in the body by a plain search (nothing decoded), and
/// writes every body to stdout.
pub(super) fn fetch_worker() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is set"));
    let (url, token, soql) = (var("SFKIT_URL"), var("SFKIT_TOKEN"), var("SFKIT_SOQL"));
    let ca = std::fs::read(var("SFKIT_CA")).expect("the CA");
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async move {
            let http = reqwest::Client::builder()
                .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("the CA"))
                .build()
                .expect("a client");
            let mut out = std::io::stdout().lock();
            let mut req = http
                .get(format!("{url}/services/data/v66.0/query"))
                .query(&[("q", soql.as_str())]);
            const KEY: &[u8] = b"\"nextRecordsUrl\":\"";
            loop {
                let resp = req.bearer_auth(&token).send().await.expect("a page");
                assert!(resp.status().is_success(), "status {}", resp.status());
                let body = resp.bytes().await.expect("its body");
                out.write_all(&body).expect("write");
                let next = body
                    .windows(KEY.len())
                    .position(|w| w == KEY)
                    .map(|at| &body[at + KEY.len()..])
                    .and_then(|rest| {
                        let end = rest.iter().position(|b| *b == b'"')?;
                        std::str::from_utf8(&rest[..end]).ok()
                    });
                match next {
                    Some(path) => req = http.get(format!("{url}{path}")),
                    None => break,
                }
            }
            out.flush().expect("flush");
        });
}

// ---------------------------------------------------------------------------------------------
// The comparison

struct Measured {
    seconds: f64,
    /// User plus system CPU time of the whole process.
    cpu: f64,
    hwm_kib: i64,
    bytes: usize,
    lines: usize,
    /// The peers' own report: their query time, without interpreter start-up.
    reported_seconds: Option<f64>,
}

/// The built `sfkit`: `SFKIT_BENCH_SFKIT` if set (to compare two builds), else
/// `target/release/sfkit` in a full run and `target/debug/sfkit` in a smoke run (this bench
/// does not build another package; `cargo build --release -p sfkit` first).
fn sfkit_binary(scale: &Scale) -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("SFKIT_BENCH_SFKIT") {
        return Ok(PathBuf::from(bin));
    }
    let profile = if scale.full { "release" } else { "debug" };
    let bin = target_dir().join(profile).join("sfkit");
    if !bin.exists() {
        return Err(format!(
            "no {} (cargo build {}-p sfkit)",
            bin.display(),
            if scale.full { "--release " } else { "" }
        ));
    }
    Ok(bin)
}

/// Says so when a source file is newer than the binary: the figures would be an old build's.
fn staleness(bin: &Path) -> Option<String> {
    let built = std::fs::metadata(bin).and_then(|m| m.modified()).ok()?;
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let newer = std::fs::read_dir(crates)
        .ok()?
        .flatten()
        .find_map(|c| newer_source(&c.path().join("src"), built))?;
    Some(format!(
        "{} is newer than {}: rebuild it for figures of this code",
        newer.display(),
        bin.display()
    ))
}

fn newer_source(dir: &Path, than: std::time::SystemTime) -> Option<PathBuf> {
    std::fs::read_dir(dir).ok()?.flatten().find_map(|e| {
        let path = e.path();
        if path.is_dir() {
            newer_source(&path, than)
        } else {
            let modified = e.metadata().and_then(|m| m.modified()).ok()?;
            (modified > than).then_some(path)
        }
    })
}

fn measured(cmd: &[String], env: &[(&str, String)], name: &str) -> Measured {
    let mut wrapper = Command::new(std::env::current_exe().expect("the bench's path"));
    wrapper
        .env(ROLE_ENV, "measure")
        .env(
            "SFKIT_MEASURE_CMD",
            serde_json::to_string(cmd).expect("JSON"),
        )
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        wrapper.env(k, v);
    }
    let out = wrapper.output().expect("start the wrapper");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        let start: String = text.chars().take(300).collect();
        panic!("{name}: the wrapper said {start:?}...: {e}")
    });
    assert!(
        v["ok"].as_bool() == Some(true),
        "{name} failed: {}",
        v["stderr"]
    );
    let reported_seconds = serde_json::from_str::<Value>(v["last"].as_str().unwrap_or(""))
        .ok()
        .and_then(|r| r["seconds"].as_f64());
    Measured {
        seconds: v["seconds"].as_f64().expect("seconds"),
        cpu: v["cpu_seconds"].as_f64().unwrap_or(f64::NAN),
        hwm_kib: v["hwm_kib"].as_i64().expect("hwm"),
        bytes: v["bytes"].as_u64().expect("bytes") as usize,
        lines: v["lines"].as_u64().expect("lines") as usize,
        reported_seconds,
    }
}

/// One side of the comparison: its command line and environment (besides the inherited
/// ones), or why it cannot run.
struct Side {
    name: &'static str,
    run: super::PeerCommand,
}

fn sides(
    scale: &Scale,
    server: &StaticServer,
    rows: usize,
    (pages, per_page): (usize, usize),
    data_dir: &Path,
) -> Vec<Side> {
    let ca = server.ca.display().to_string();
    let common: Vec<(&'static str, String)> = vec![
        ("SFKIT_URL", server.url.clone()),
        ("SFKIT_TOKEN", TOKEN.to_owned()),
        ("SFKIT_SOQL", SOQL.to_owned()),
        ("SFKIT_EXPECT", rows.to_string()),
        ("SFKIT_API_VERSION", "66.0".to_owned()),
        ("SFKIT_CA", ca.clone()),
    ];
    let exe = std::env::current_exe()
        .expect("the bench's path")
        .display()
        .to_string();
    let mut all = Vec::new();
    let curl_ok = Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    all.push(Side {
        name: "curl (raw fetch)",
        run: if curl_ok {
            let mut cmd: Vec<String> = [
                "curl",
                "-sS",
                "--fail",
                "--cacert",
                &ca,
                "-H",
                &format!("Authorization: Bearer {TOKEN}"),
            ]
            .map(str::to_owned)
            .to_vec();
            cmd.push(format!(
                "{}/services/data/v66.0/query/?q={}",
                server.url,
                SOQL.replace(' ', "+").replace(',', "%2C")
            ));
            cmd.extend((1..pages).map(|p| format!("{}{}", server.url, next_path(p, per_page))));
            Ok((cmd, Vec::new()))
        } else {
            Err("no `curl` on PATH".to_owned())
        },
    });
    let mut fetch_env = common.clone();
    fetch_env.push(("SFKIT_MEASURE_ROLE", "fetch".to_owned()));
    all.push(Side {
        name: "bare reqwest (raw fetch)",
        run: Ok((vec![exe], fetch_env)),
    });
    all.push(Side {
        name: "sfkit query --format json",
        run: sfkit_binary(scale).map(|bin| {
            (
                vec![
                    bin.display().to_string(),
                    "query".into(),
                    SOQL.into(),
                    "--format".into(),
                    "json".into(),
                ],
                vec![
                    ("SF_INSTANCE_URL", server.url.clone()),
                    ("SF_ACCESS_TOKEN", TOKEN.to_owned()),
                    ("SSL_CERT_FILE", ca.clone()),
                    ("SFKIT_DATA_DIR", data_dir.display().to_string()),
                    ("SFKIT_KEYRING", "off".to_owned()),
                ],
            )
        }),
    });
    if scale.peer_rounds > 0 {
        for (name, cmd) in super::peer_script_commands() {
            all.push(Side {
                name,
                run: cmd.map(|(argv, mut env)| {
                    env.extend(common.iter().cloned());
                    env.push(("REQUESTS_CA_BUNDLE", ca.clone()));
                    env.push(("NODE_EXTRA_CA_CERTS", ca.clone()));
                    (argv, env)
                }),
            });
        }
    }
    all
}

pub(super) fn cli(scale: &Scale) {
    let rows = if scale.full { 100_000 } else { 1_000 };
    let per_page = if scale.full { PAGE } else { 200 };
    let rounds = if scale.full { 5 } else { 1 };
    let pages = build_pages(rows, per_page);
    let (page_count, body_bytes) = (pages.responses.len(), pages.body_bytes);
    let tmp = std::env::temp_dir().join(format!("sfkit-bench-cli-{}", std::process::id()));
    let data_dir = tmp.join("data");
    std::fs::create_dir_all(&data_dir).expect("a data directory");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o700));
    }
    let server = start_server(pages, per_page, &tmp);

    println!();
    println!(
        "4. `sfkit query --format json` against the raw fetch and the peers: {rows} rows in {page_count} pages of {per_page} ({:.1} MB of JSON) from a static HTTPS server (pages built before the clock starts); each client a process of its own, timed from start to exit, its stdout drained by the wrapper; peak RSS from getrusage once it exited",
        body_bytes as f64 / 1e6
    );
    println!("   SOQL: {SOQL}");
    let sides = sides(scale, &server, rows, (page_count, per_page), &data_dir);
    let mut available = Vec::new();
    for s in &sides {
        match &s.run {
            Ok(_) => available.push(s),
            Err(why) => println!("   {}: skipped: {why}", s.name),
        }
    }
    if let Ok(bin) = sfkit_binary(scale)
        && let Some(warning) = staleness(&bin)
    {
        println!("   WARNING: {warning}");
    }
    eprintln!("cli ...");
    let mut runs: Vec<(&'static str, Vec<Measured>)> =
        available.iter().map(|s| (s.name, Vec::new())).collect();
    for round in 0..rounds {
        // Rotate which client goes first.
        for k in 0..available.len() {
            let i = (round + k) % available.len();
            let side = available[i];
            let Ok((cmd, env)) = &side.run else { continue };
            let m = measured(cmd, env, side.name);
            check_output(side.name, &m, rows, body_bytes);
            runs[i].1.push(m);
        }
    }
    report(scale, &runs);
    drop(server);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The table of part 4's runs, each client against the raw fetch and sfkit, and the targets.
fn report(scale: &Scale, runs: &[(&'static str, Vec<Measured>)]) {
    println!(
        "   | client | median wall time (start to exit) | its own query time | median CPU (user+sys) | median peak RSS | stdout | time vs raw fetch | time vs sfkit | CPU vs sfkit | peak RSS vs sfkit |"
    );
    let med = |v: &[Measured], f: fn(&Measured) -> f64| median_f64(v.iter().map(f).collect());
    let of = |name: &str| {
        runs.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
    };
    let raw = ["curl (raw fetch)", "bare reqwest (raw fetch)"]
        .into_iter()
        .filter_map(|n| of(n).filter(|v| !v.is_empty()))
        .map(|v| med(v, |m| m.seconds))
        .fold(f64::INFINITY, f64::min);
    let sfkit = of("sfkit query --format json").filter(|v| !v.is_empty());
    let (s_time, s_cpu, s_hwm) = sfkit.map_or((f64::NAN, f64::NAN, f64::NAN), |v| {
        (
            med(v, |m| m.seconds),
            med(v, |m| m.cpu),
            med(v, |m| m.hwm_kib as f64),
        )
    });
    for (name, v) in runs {
        if v.is_empty() {
            continue;
        }
        let (t, c, h) = (
            med(v, |m| m.seconds),
            med(v, |m| m.cpu),
            med(v, |m| m.hwm_kib as f64),
        );
        let own = v
            .iter()
            .filter_map(|m| m.reported_seconds)
            .collect::<Vec<_>>();
        let own = if own.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.3} s", median_f64(own))
        };
        println!(
            "   | {name} | {t:.3} s | {own} | {c:.3} s | {} | {:.1} MB | {:.2}x | {:.2}x | {:.2}x | {:.2}x |",
            mib(h as i64),
            v[0].bytes as f64 / 1e6,
            t / raw,
            t / s_time,
            c / s_cpu,
            h / s_hwm,
        );
    }
    let peers: Vec<&[Measured]> = ["simple-salesforce", "jsforce"]
        .into_iter()
        .filter_map(|n| of(n).filter(|v| !v.is_empty()))
        .collect();
    if sfkit.is_some() {
        println!(
            "   target: within 2x of the raw fetch: {:.2}x, {}",
            s_time / raw,
            verdict(scale, s_time <= 2.0 * raw)
        );
        if peers.is_empty() {
            println!("   targets against the peers: not judged (no peer ran)");
        } else {
            let best_time = peers
                .iter()
                .map(|v| med(v, |m| m.seconds))
                .fold(f64::INFINITY, f64::min);
            let best_hwm = peers
                .iter()
                .map(|v| med(v, |m| m.hwm_kib as f64))
                .fold(f64::INFINITY, f64::min);
            println!(
                "   target: at least 4x faster than the fastest peer: {:.2}x, {}",
                best_time / s_time,
                verdict(scale, best_time >= 4.0 * s_time)
            );
            println!(
                "   target: at least 3x smaller peak RSS than the leanest peer: {:.2}x, {}",
                best_hwm / s_hwm,
                verdict(scale, best_hwm >= 3.0 * s_hwm)
            );
        }
    }
}

/// Every side got every row: the raw fetches every byte of every page, sfkit one line per
/// record between `[` and `]`, the peers their own count (they check it and fail otherwise).
fn check_output(name: &str, m: &Measured, rows: usize, body_bytes: usize) {
    if name.contains("raw fetch") {
        assert_eq!(m.bytes, body_bytes, "{name}: bytes fetched");
    } else if name.starts_with("sfkit") {
        assert_eq!(m.lines, rows + 2, "{name}: one line per record");
    }
}
