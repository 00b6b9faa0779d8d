//! Part 2, **stream**, and the processes parts 2 and 3 run: each client queries in a process of
//! its own and prints one JSON line, read here with the process's own CPU time and peak RSS.

use super::*;

// ---------------------------------------------------------------------------------------------
// Clients in their own processes: each prints one JSON line
// {"client","records","name_chars","seconds","rss_start_kib","hwm_kib"}

pub(super) struct Run {
    pub(super) records: u64,
    /// Sum of the lengths of every record's Name: the clients read the same rows.
    pub(super) name_chars: u64,
    /// From the query's first request to its last record, as the process measured it.
    pub(super) seconds: f64,
    /// The process's CPU time (user + system, every thread) over the same span.
    pub(super) cpu: f64,
    /// The process's RSS just before the query, and its peak RSS (VmHWM) after it, KiB.
    pub(super) rss_start_kib: i64,
    pub(super) hwm_kib: i64,
    /// The whole process, start to exit, as this bench measured it.
    pub(super) wall: f64,
    /// The org process's CPU time over that span.
    pub(super) org_cpu: f64,
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
pub(super) fn stream_worker() {
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

pub(super) fn sfkit_command(org: &OrgProcess, soql: &str, expect: usize) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("the bench's path"));
    cmd.env(ROLE_ENV, "stream").env("SFKIT_CA", &org.ca);
    with_query_env(&mut cmd, org, soql, expect);
    cmd
}

pub(super) fn bare_command(org: &OrgProcess, soql: &str, expect: usize) -> Command {
    let mut cmd = sfkit_command(org, soql, expect);
    cmd.env("SFKIT_STREAM_VIA", "bare");
    cmd
}

pub(super) fn with_query_env(cmd: &mut Command, org: &OrgProcess, soql: &str, expect: usize) {
    cmd.env("SFKIT_URL", &org.url)
        .env("SFKIT_TOKEN", &org.token)
        .env("SFKIT_SOQL", soql)
        .env("SFKIT_EXPECT", expect.to_string())
        .env("SFKIT_API_VERSION", API)
        .stdin(Stdio::null());
}

/// Runs one client process to the end and reads its report.
pub(super) fn run_client(org: &OrgProcess, mut cmd: Command, name: &str) -> Run {
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

pub(super) fn row(label: &str, r: &Run) {
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

pub(super) const RUN_HEADER: &str = "   | run | records | query time | records/s | client CPU during the query | process wall time | org CPU meanwhile | RSS before the query | peak RSS (VmHWM) | growth |";

// ---------------------------------------------------------------------------------------------
// 2. Streaming every Account through Client::query

pub(super) struct StreamResult {
    pub(super) small: Vec<Run>,
    pub(super) full: Vec<Run>,
}

pub(super) fn stream(org: &OrgProcess, scale: &Scale) -> StreamResult {
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

pub(super) fn report_stream(scale: &Scale, s: &StreamResult) {
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
