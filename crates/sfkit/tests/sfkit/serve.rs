//! `sfkit serve` and `sfkit apikey` as a person runs them: a key printed alone on stdout, the
//! server on an ephemeral port serving the local org, the key required, SIGTERM stopping it
//! cleanly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use crate::common::Dir;
use serde_json::{Value, json};

fn sfkit(dir: &Dir, args: &[&str]) -> std::process::Output {
    crate::common::sfkit_command()
        .args(args)
        .env("SFKIT_DATA_DIR", &dir.0)
        .env_remove("SFKIT_SECRET_KEY")
        .env_remove("SFKIT_STORE")
        .output()
        .unwrap()
}

#[test]
fn serve_with_an_api_key() {
    let dir = Dir::new("serve");
    let made = sfkit(&dir, &["apikey", "create", "ci"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let key = String::from_utf8(made.stdout).unwrap();
    assert_eq!(key.lines().count(), 1, "the key alone: {key:?}");
    let key = key.trim().to_owned();
    assert!(key.starts_with("sfk_"));
    check_the_key_is_private_and_never_listed(&dir, &key);

    let mut server = crate::common::sfkit_command()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("SFKIT_DATA_DIR", &dir.0)
        .env_remove("SFKIT_SECRET_KEY")
        .env_remove("SFKIT_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("sfkit server listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();

    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let http = reqwest::Client::new();
            let health = http.get(format!("{url}/healthz")).send().await.unwrap();
            assert_eq!(health.status(), 200);
            let refused = http
                .post(format!("{url}/v1/actions/createLead"))
                .json(&json!({"lastName": "Ng", "company": "Acme"}))
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), 401);
            let made: Value = http
                .post(format!("{url}/v1/actions/createLead"))
                .bearer_auth(&key)
                .json(&json!({"lastName": "Ng", "company": "Acme"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(made["success"], true, "{made}");
        });

    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = server.wait().unwrap();
    assert!(
        status.success(),
        "SIGTERM stops the server cleanly: {status:?}"
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(rest.contains("sfkit server stopping"), "{rest}");

    // The key can be revoked from the command line.
    assert!(sfkit(&dir, &["apikey", "revoke", "ci"]).status.success());
    assert_eq!(
        sfkit(&dir, &["apikey", "revoke", "ci"]).status.code(),
        Some(2)
    );
}

/// The new key's file is the user's alone, and listings name the key but never show it.
fn check_the_key_is_private_and_never_listed(dir: &Dir, key: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.0.join("secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the key file is the user's alone: {mode:o}"
        );
    }
    let listed = String::from_utf8(sfkit(dir, &["apikey", "list"]).stdout).unwrap();
    assert!(listed.contains("ci") && !listed.contains(key), "{listed}");
    let listed = String::from_utf8(sfkit(dir, &["apikey", "list", "--json"]).stdout).unwrap();
    let keys: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(keys[0]["name"], "ci");
    assert_eq!(keys[0]["state"], "active");
    assert_eq!(keys[0]["readOnly"], false);
    assert!(!listed.contains(key), "never the key itself");
}

/// Everything the server logs at the most detailed level, over calls that carry an API key, an
/// access token and a client secret: none of them appears.
#[test]
fn logs_hold_no_secret() {
    let dir = Dir::new("redact");
    let key = String::from_utf8(sfkit(&dir, &["apikey", "create", "ops"]).stdout)
        .unwrap()
        .trim()
        .to_owned();
    let mut server = crate::common::sfkit_command()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("SFKIT_DATA_DIR", &dir.0)
        .env("SFKIT_LOG", "trace")
        .env_remove("SFKIT_SECRET_KEY")
        .env_remove("SFKIT_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("sfkit server listening on ")
        .unwrap()
        .to_owned();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (token, secret) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(calls_that_carry_secrets(&url, &key));
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut logs).unwrap();
    server.wait().unwrap();
    assert!(logs.contains("request"), "the server did log: {logs}");
    for s in [
        key.as_str(),
        token.as_str(),
        secret.as_str(),
        "00Dbad!secret-token-value",
        "sfk_wrong_guess",
    ] {
        assert!(!logs.contains(s), "{s:?} leaked into the logs");
    }
}

/// Calls that carry the API key, an access token (good and bad) and the client secret: the
/// token and the secret.
async fn calls_that_carry_secrets(url: &str, key: &str) -> (String, String) {
    let http = reqwest::Client::new();
    let conns: Value = http
        .get(format!("{url}/v1/connections"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = conns["connections"][0]["instanceUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = "sfkit-local-secret";
    let t: Value = http
        .post(format!("{org}/services/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "sfkit-local"),
            ("client_secret", secret),
            ("username", "admin@sfkit.local"),
            ("password", "sfkit-local"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = t["access_token"].as_str().unwrap().to_owned();
    for (name, access) in [
        ("good", token.as_str()),
        ("bad", "00Dbad!secret-token-value"),
    ] {
        http.post(format!("{url}/v1/connections"))
            .bearer_auth(key)
            .json(&json!({"name": name, "instanceUrl": org, "kind": "token", "secrets": {"accessToken": access}}))
            .send()
            .await
            .unwrap();
    }
    let r = http
        .post(format!("{url}/v1/actions/createLead?connection=good"))
        .bearer_auth(key)
        .json(&json!({"lastName": "Logged", "company": "Nowhere"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{url}/v1/actions/getLimits"))
        .bearer_auth("sfk_wrong_guess")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    (token, secret.to_owned())
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
fn chmod(p: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Regression (issue 10): the data directory (0755) and the server's store (0644) were open to
/// other users. A new data directory is the user's alone; one found looser is named in a
/// warning, by every command that opens it and by `sfkit emulator` for the org's database.
#[cfg(unix)]
#[test]
fn the_data_directory_is_the_users_alone() {
    let root = Dir::new("modes");
    let data = Dir(root.0.join("data"));
    let made = sfkit(&data, &["apikey", "create", "ci"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert_eq!(mode(&data.0), 0o700);
    assert_eq!(mode(&data.0.join("secret.key")), 0o600);
    let db = data.0.join("server.db");
    assert_eq!(mode(&db), 0o600);
    for side in ["server.db-wal", "server.db-shm"] {
        let p = data.0.join(side);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{side}");
        }
    }
    let quiet = String::from_utf8_lossy(&made.stderr).to_string();
    assert!(
        !quiet.contains("chmod"),
        "no warning when all is well: {quiet}"
    );

    chmod(&data.0, 0o755);
    chmod(&db, 0o644);
    let listed = sfkit(&data, &["apikey", "list"]);
    assert!(listed.status.success());
    let warned = String::from_utf8_lossy(&listed.stderr);
    for p in [&data.0, &db] {
        assert!(
            warned.contains(&format!("{} is open to other users", p.display())),
            "{} named: {warned}",
            p.display()
        );
    }

    // The local org, run on its own: its database found open to others is named too.
    let org = root.0.join("org");
    std::fs::create_dir_all(&org).unwrap();
    std::fs::write(org.join("org.sqlite3"), b"").unwrap();
    chmod(&org.join("org.sqlite3"), 0o644);
    let mut emulator = crate::common::sfkit_command()
        .args(["emulator", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&root.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(emulator.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening"), "{line}");
    let _ = emulator.kill();
    let _ = emulator.wait();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut emulator.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        err.contains(&format!(
            "{} is open to other users",
            org.join("org.sqlite3").display()
        )),
        "{err}"
    );
}

/// Regression (issue 10): 300 clients that sent half a request line made `/healthz` time out
/// for everyone. Here as it was seen: `sfkit serve` short of file descriptors (`ulimit -n 256`),
/// where the old accept loop could take no new connection until a stalled one left, and none
/// ever did. The deadline is generous: it catches the hang, it times nothing.
#[cfg(unix)]
#[test]
fn health_checks_get_through_stalled_clients_at_the_open_file_limit() {
    use std::io::{Read as _, Write as _};
    use std::time::Duration;

    let dir = Dir::new("fdlimit");
    let mut server = Command::new("sh")
        .args([
            "-c",
            "ulimit -n 256 && exec \"$0\" serve --addr 127.0.0.1:0",
            env!("CARGO_BIN_EXE_sfkit"),
        ])
        .env("SFKIT_KEYRING", "off")
        .env("SFKIT_DATA_DIR", &dir.0)
        .env_remove("SFKIT_SECRET_KEY")
        .env_remove("SFKIT_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("sfkit server listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let stalled: Vec<std::net::TcpStream> = (0..300)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /heal").unwrap();
            s
        })
        .collect();
    let mut health = std::net::TcpStream::connect(&addr).unwrap();
    health
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    health
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let read = health.read_to_string(&mut answer);
    let _ = server.kill();
    let _ = server.wait();
    drop(stalled);
    assert!(read.is_ok(), "/healthz answered: {read:?}");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
