//! `sfkit emulator` as a process: it prints its URL and logins, data persist across restarts,
//! SIGTERM stops it cleanly, and a kill -9 in the middle of writes loses no acknowledged record
//! and leaves a database that passes SQLite's integrity check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Running {
    child: Child,
    url: String,
    lines: Vec<String>,
}

/// Starts the emulator on a free port and reads its banner (up to the `data:` line).
fn start(dir: &Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfkit"))
        .args(["emulator", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sfkit emulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        let done = line.trim_start().starts_with("data:");
        lines.push(line.trim_end().to_owned());
        if done {
            break;
        }
    }
    // Keep draining stdout so the process never blocks on a full pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    let url = lines
        .first()
        .and_then(|l| l.strip_prefix("sfkit local org listening on "))
        .unwrap_or_else(|| panic!("no banner: {lines:?}"))
        .to_owned();
    Running { child, url, lines }
}

/// A small blocking facade over reqwest's async client, so the tests read top to bottom.
struct Client {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Client {
    fn new() -> Self {
        // The workspace builds reqwest's rustls without a default crypto provider (one provider,
        // aws-lc-rs, for the whole project): install it before the first client.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        Client {
            // Multi-threaded: the writer tasks run while the test's main thread waits.
            rt: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
            http: reqwest::Client::new(),
        }
    }

    fn token(&self, url: &str) -> String {
        self.rt.block_on(async {
            let r: Value = self
                .http
                .post(format!("{url}/services/oauth2/token"))
                .form(&[
                    ("grant_type", "password"),
                    ("client_id", "sfkit-local"),
                    ("username", "admin@sfkit.local"),
                    ("password", "sfkit-local"),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r["access_token"].as_str().unwrap().to_owned()
        })
    }

    fn get(&self, url: &str, token: &str) -> (u16, Value) {
        self.rt.block_on(async {
            let r = self.http.get(url).bearer_auth(token).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        })
    }
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn banner_persistence_and_clean_shutdown() {
    let dir = std::env::temp_dir().join(format!("sfkit-proc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut org = start(&dir);
    let banner = org.lines.join("\n");
    assert!(
        banner.contains("admin@sfkit.local") && banner.contains("viewer@sfkit.local"),
        "{banner}"
    );
    assert!(
        banner.contains("client id sfkit-local, secret sfkit-local-secret"),
        "{banner}"
    );
    assert!(banner.contains("JWT key:"), "{banner}");

    let http = Client::new();
    let tok = http.token(&org.url);
    let url = org.url.clone();
    let id = http.rt.block_on(async {
        let r: Value = http
            .http
            .post(format!("{url}/services/data/v60.0/sobjects/Account"))
            .bearer_auth(&tok)
            .json(&json!({"Name": "Survives restarts"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["id"].as_str().unwrap().to_owned()
    });
    sigterm(&org.child);
    let status = org.child.wait().unwrap();
    assert!(
        status.success(),
        "SIGTERM must stop the org cleanly: {status:?}"
    );

    let mut again = start(&dir);
    let (status, body) = http.get(
        &format!("{}/services/data/v60.0/sobjects/Account/{id}", again.url),
        &tok,
    );
    assert_eq!(
        status, 200,
        "the record and the session survive a restart: {body}"
    );
    assert_eq!(body["Name"], "Survives restarts");
    again.child.kill().unwrap();
    let _ = again.child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kill_9_during_writes_loses_no_acknowledged_record() {
    let dir = std::env::temp_dir().join(format!("sfkit-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut org = start(&dir);
    let http = Client::new();
    let tok = http.token(&org.url);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));

    // Four writers create records as fast as they can; the org is killed while they run.
    let url = org.url.clone();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (client, url, tok, acked) = (
                http.http.clone(),
                url.clone(),
                tok.clone(),
                Arc::clone(&acknowledged),
            );
            http.rt.spawn(async move {
                for i in 0.. {
                    let r = client
                        .post(format!("{url}/services/data/v60.0/sobjects/Account"))
                        .bearer_auth(&tok)
                        .json(&json!({"Name": format!("Crash {w}-{i}")}))
                        .send()
                        .await;
                    // Once the org is killed, requests fail: that is the point.
                    let Ok(r) = r else { break };
                    if r.status().as_u16() != 201 {
                        break;
                    }
                    let Ok(body) = r.json::<Value>().await else {
                        break;
                    };
                    acked
                        .lock()
                        .unwrap()
                        .push(body["id"].as_str().unwrap().to_owned());
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    org.child.kill().unwrap(); // SIGKILL
    let _ = org.child.wait();
    for w in writers {
        let _ = http.rt.block_on(w);
    }
    let acked = acknowledged.lock().unwrap().clone();
    assert!(acked.len() >= 200, "the writers got going: {}", acked.len());

    // The database is intact...
    // (`--data-dir` is sfkit's data directory; the org lives in its `org/`.)
    let db = dir.join("org").join("org.sqlite3");
    assert!(db.exists(), "{}", db.display());
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);

    // ...and every record whose creation was acknowledged is there after a restart.
    let mut again = start(&dir);
    let tok = http.token(&again.url);
    let (_, body) = http.get(
        &format!(
            "{}/services/data/v60.0/query?q=SELECT+COUNT()+FROM+Account+WHERE+Name+LIKE+'Crash%25'",
            again.url
        ),
        &tok,
    );
    let count = body["totalSize"].as_u64().unwrap() as usize;
    assert!(
        count >= acked.len(),
        "{count} stored, {} acknowledged",
        acked.len()
    );
    for id in acked.iter().step_by(17) {
        let (status, _) = http.get(
            &format!("{}/services/data/v60.0/sobjects/Account/{id}", again.url),
            &tok,
        );
        assert_eq!(status, 200, "acknowledged record {id} is missing");
    }
    again.child.kill().unwrap();
    let _ = again.child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
