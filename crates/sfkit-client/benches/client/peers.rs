//! Part 3, **peers**: sfkit, simple-salesforce and jsforce side by side, the same query against
//! the same org, each in a process of its own.

use super::stream::{RUN_HEADER, Run, bare_command, row, with_query_env};
use super::*;

// ---------------------------------------------------------------------------------------------
// 3. sfkit, simple-salesforce and jsforce side by side

/// A peer's command line and the environment it needs besides the query's, or why it cannot
/// run here.
pub(super) type PeerCommand = Result<(Vec<String>, Vec<(&'static str, String)>), String>;

/// simple-salesforce's and jsforce's scripts in `benches/peers`, for parts 3 and 4. Each needs
/// `SFKIT_URL`, `SFKIT_TOKEN`, `SFKIT_SOQL`, `SFKIT_EXPECT`, `SFKIT_API_VERSION` and its
/// runtime's CA variable on top.
pub(super) fn peer_script_commands() -> Vec<(&'static str, PeerCommand)> {
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
pub(super) fn peer_commands(
    org: &OrgProcess,
    soql: &str,
    n: usize,
) -> Vec<(String, Result<Command, String>)> {
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

pub(super) fn peers(org: &OrgProcess, scale: &Scale) {
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
