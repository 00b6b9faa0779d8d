//! One local org for every sfkit process, and one way to choose an org (issue 11), through the
//! built binary: `sfkit emulator`, `sfkit mcp` and `sfkit run`s on the same data directory at
//! once; a stale address file; embedded runs in parallel; every org-selection path; `sfkit
//! config` and `sfkit org`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Output, Stdio};

use crate::common::Dir;
use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

const INVOICES: &str = r#"
[[object]]
name = "Invoice__c"
label = "Invoice"
prefix = "a07"

[[object.fields]]
name = "Total__c"
label = "Total"
type = "currency"
"#;

/// `sfkit` with the data directory and a settings file of the test's own.
fn sfkit(dir: &Path, args: &[&str]) -> Output {
    command(dir).args(args).output().unwrap()
}

fn command(dir: &Path) -> std::process::Command {
    let mut c = crate::common::sfkit_command();
    c.env("SFKIT_DATA_DIR", dir)
        .env("SFKIT_CONFIG", dir.join("config.toml"))
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN");
    c
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_ok(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        err(o)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            err(o)
        )
    })
}

/// `sfkit emulator` on `dir`, and its URL once it listens.
fn emulator(dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = command(dir)
        .args(["emulator", "--addr", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        if let Some(u) = line.trim().strip_prefix("sfkit local org listening on ") {
            url = u.to_owned();
        }
        if line.trim_start().starts_with("data:") {
            break;
        }
        line.clear();
    }
    let scheme = if extra.contains(&"--tls") {
        "https"
    } else {
        "http"
    };
    assert!(
        url.starts_with(&format!("{scheme}://127.0.0.1:")),
        "no URL: {url:?}"
    );
    std::thread::spawn(move || for _ in out.lines() {});
    (child, url)
}

fn count(dir: &Path, soql: &str) -> i64 {
    let o = sfkit(dir, &["query", soql, "--json"]);
    json_ok(&o)["count"].as_i64().unwrap()
}

fn mcp_text(r: &rmcp::model::CallToolResult) -> Value {
    let block = serde_json::to_value(&r.content[0]).unwrap();
    serde_json::from_str(block["text"].as_str().unwrap()).unwrap()
}

/// The done-when of issue 11: an emulator, an MCP server and two `sfkit run`s on one data
/// directory, all succeeding against one org; the schema given to the emulator outlives it; the
/// MCP server keeps working when the emulator is killed (it serves the org itself then).
#[tokio::test(flavor = "multi_thread")]
async fn emulator_mcp_and_runs_share_one_org() {
    let d = Dir::new("shared");
    let schema = d.0.join("invoices.toml");
    std::fs::write(&schema, INVOICES).unwrap();
    let (mut emu, url) = emulator(&d.0, &["--schema", schema.to_str().unwrap()]);
    let addr: Value =
        serde_json::from_slice(&std::fs::read(d.0.join("org").join("org.addr")).unwrap()).unwrap();
    assert_eq!(addr["url"], url.as_str());
    assert_eq!(addr["pid"], emu.id());

    let mcp = start_mcp(&d.0).await;
    let made = mcp
        .call_tool(
            CallToolRequestParams::new("createRecord").with_arguments(args(
                json!({"sobject": "Invoice__c", "fields": {"Name": "INV-MCP", "Total__c": 10}}),
            )),
        )
        .await
        .unwrap();
    assert_ne!(made.is_error, Some(true), "{made:?}");
    check_two_runs_at_once_use_the_emulator(&d.0, &url, emu.id());
    check_mcp_sees_every_invoice(&mcp).await;

    // The emulator dies without a word: its address file stays behind, stale. The MCP server
    // finds the org again (and serves it itself); a run then uses the MCP server's org.
    emu.kill().unwrap();
    emu.wait().unwrap();
    assert!(d.0.join("org").join("org.addr").exists());
    check_mcp_finds_the_org_again(&mcp, &d.0, &url).await;

    mcp.cancel().await.unwrap();
    check_a_run_serves_the_org_itself(&d.0);
}

/// An MCP client of `sfkit mcp`.
type McpClient = rmcp::service::RunningService<rmcp::RoleClient, ()>;

/// `sfkit mcp` on the data directory `dir`, and a client of it.
async fn start_mcp(dir: &Path) -> McpClient {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_sfkit"));
    cmd.arg("mcp")
        .env("SFKIT_DATA_DIR", dir)
        .env("SFKIT_CONFIG", dir.join("config.toml"))
        .env("SFKIT_KEYRING", "off")
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .env_remove("SFKIT_STORE");
    ().serve(TokioChildProcess::new(cmd).unwrap())
        .await
        .unwrap()
}

/// A JSON object as a tool call's arguments.
fn args(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// Two runs at once, while both other processes hold the org: both served by the emulator.
fn check_two_runs_at_once_use_the_emulator(dir: &Path, url: &str, emu_id: u32) {
    let runs: Vec<_> = (0..2)
        .map(|i| {
            let dir = dir.to_owned();
            std::thread::spawn(move || {
                let fields = format!(r#"fields:={{"Name": "INV-{i}", "Total__c": {i}}}"#);
                sfkit(
                    &dir,
                    &[
                        "run",
                        "createRecord",
                        "-p",
                        "sobject=Invoice__c",
                        "-p",
                        &fields,
                    ],
                )
            })
        })
        .collect();
    for r in runs {
        let o = r.join().unwrap();
        assert_eq!(json_ok(&o)["success"], true);
        assert!(
            err(&o).contains(&format!("served by process {emu_id} at {url}")),
            "{}",
            err(&o)
        );
    }
}

/// The MCP server sees the invoices it and both runs made.
async fn check_mcp_sees_every_invoice(mcp: &McpClient) {
    let listed = mcp
        .call_tool(CallToolRequestParams::new("query").with_arguments(args(
            json!({"query": "SELECT Name FROM Invoice__c ORDER BY Name"}),
        )))
        .await
        .unwrap();
    let names: Vec<String> = mcp_text(&listed)["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["INV-0", "INV-1", "INV-MCP"]);
}

/// With the emulator dead, the MCP server finds the org again and a run uses its org.
async fn check_mcp_finds_the_org_again(mcp: &McpClient, dir: &Path, url: &str) {
    // A read goes again by itself (its kept-alive connection to the dead process fails first),
    // and finds the org anew. A write is not sent twice: one caught on a dead connection would
    // be an error, so the write comes after the read here.
    let read = mcp
        .call_tool(
            CallToolRequestParams::new("query")
                .with_arguments(args(json!({"query": "SELECT COUNT() FROM Invoice__c"}))),
        )
        .await
        .unwrap();
    assert_ne!(read.is_error, Some(true), "{read:?}");
    assert_eq!(mcp_text(&read)["totalSize"], 3);
    let again = mcp
        .call_tool(
            CallToolRequestParams::new("createRecord").with_arguments(args(
                json!({"sobject": "Invoice__c", "fields": {"Name": "INV-AFTER"}}),
            )),
        )
        .await
        .unwrap();
    assert_ne!(again.is_error, Some(true), "{again:?}");
    let o = sfkit(dir, &["query", "SELECT COUNT() FROM Invoice__c", "--json"]);
    assert!(err(&o).contains("served by process"), "{}", err(&o));
    assert!(!err(&o).contains(url), "not the dead emulator: {}", err(&o));
    assert_eq!(json_ok(&o)["count"], 4);
}

/// Nobody serves it now: a run serves it itself, and Invoice__c is still there (kept schema).
fn check_a_run_serves_the_org_itself(dir: &Path) {
    let o = sfkit(dir, &["query", "SELECT COUNT() FROM Invoice__c", "--json"]);
    assert!(err(&o).contains("served by this process"), "{}", err(&o));
    assert_eq!(json_ok(&o)["count"], 4);
    assert!(
        dir.join("org")
            .join("schema")
            .join("invoices.toml")
            .exists()
    );
    assert!(
        !dir.join("org").join("org.addr").exists(),
        "removed on exit"
    );
}

/// Runs that start together with no org running: one serves it, the others use it, and none
/// fails, whichever ends first.
#[test]
fn embedded_runs_in_parallel_share_the_org() {
    let d = Dir::new("parallel");
    let runs: Vec<_> = (0..8)
        .map(|i| {
            let dir = d.0.clone();
            std::thread::spawn(move || {
                sfkit(
                    &dir,
                    &[
                        "run",
                        "createLead",
                        "-p",
                        &format!("lastName=P{i}"),
                        "-p",
                        "company=Acme",
                    ],
                )
            })
        })
        .collect();
    for r in runs {
        assert_eq!(json_ok(&r.join().unwrap())["success"], true);
    }
    assert_eq!(count(&d.0, "SELECT COUNT() FROM Lead"), 8);
}

/// An address file left by a killed process (no lock held) is stale: the next command serves
/// the org itself, and the file then names it.
#[test]
fn a_stale_address_file_is_replaced() {
    let d = Dir::new("stale");
    let org = d.0.join("org");
    assert_eq!(count(&d.0, "SELECT COUNT() FROM Lead"), 0);
    // Nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    std::fs::write(
        org.join("org.addr"),
        json!({"url": dead_url, "pid": 999_999}).to_string(),
    )
    .unwrap();
    let o = sfkit(
        &d.0,
        &["run", "createLead", "-p", "lastName=S", "-p", "company=T"],
    );
    assert_eq!(json_ok(&o)["success"], true);
    assert!(err(&o).contains("served by this process"), "{}", err(&o));
    assert!(!err(&o).contains(&dead_url), "{}", err(&o));
}

/// `sfkit emulator` on an org another process serves says which process, and exits 1.
#[test]
fn a_second_emulator_names_the_one_serving() {
    let d = Dir::new("second");
    let (mut first, url) = emulator(&d.0, &[]);
    let o = sfkit(&d.0, &["emulator", "--addr", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        err(&o).contains(&format!("process {} at {url}", first.id())),
        "{}",
        err(&o)
    );
    first.kill().unwrap();
    first.wait().unwrap();
}

fn token(url: &str) -> String {
    token_trusting(url, None)
}

/// An admin token from the org at `url` (password flow), trusting `ca` when it serves HTTPS.
fn token_trusting(url: &str, ca: Option<&Path>) -> String {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut http = reqwest::Client::builder();
    if let Some(ca) = ca {
        http = http.add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap(),
        );
    }
    let http = http.build().unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let v: Value = http
                .post(format!("{url}/services/oauth2/token"))
                .form(&[
                    ("grant_type", "password"),
                    ("client_id", "sfkit-local"),
                    ("client_secret", "sfkit-local-secret"),
                    ("username", "admin@sfkit.local"),
                    ("password", "sfkit-local"),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["access_token"].as_str().unwrap().to_owned()
        })
}

/// Every path of the org choice: the local org by default; a saved login once made (the newest
/// login); `--org local` beside it; `target-org` over the newest login; the environment over
/// `target-org`; `--org` over everything; an unknown name refused with the known ones.
#[test]
fn each_org_selection_path() {
    let d = Dir::new("choose");
    // Another org (another data directory) to log in to, with an account that says which.
    let other = Dir::new("choose-other");
    let (mut remote, url) = emulator(&other.0, &[]);
    let tok = token(&url);
    let o = command(&other.0)
        .args(["run", "createAccount", "-p", "name=Remote"])
        .output()
        .unwrap();
    assert_eq!(json_ok(&o)["success"], true);

    check_local_org_then_the_newest_login(&d.0, &url, &tok);
    check_target_org_over_the_newest_login(&d.0);
    check_org_flag_and_environment(&d.0, &url, &tok);
    check_unknown_org_names_are_refused(&d.0);
    check_target_org_names_a_login_and_unset(&d.0);

    remote.kill().unwrap();
    remote.wait().unwrap();
}

/// The output of a count of the remote org's marker account run in `dir` with `extra` first,
/// and the count: 1 on the remote org, 0 on the local one.
fn marker(dir: &Path, extra: &[&str]) -> (Output, i64) {
    let mut args: Vec<&str> = extra.to_vec();
    args.extend([
        "query",
        "SELECT COUNT() FROM Account WHERE Name = 'Remote'",
        "--json",
    ]);
    let o = sfkit(dir, &args);
    let n = json_ok(&o)["count"].as_i64().unwrap();
    (o, n)
}

/// 1.–3. The local org with nothing configured; then a saved login, the newest being the
/// default; the local org stays reachable.
fn check_local_org_then_the_newest_login(dir: &Path, url: &str, tok: &str) {
    // 1. Nothing configured: the local org.
    let (o, n) = marker(dir, &[]);
    assert_eq!(n, 0);
    assert!(err(&o).contains("no other org configured"), "{}", err(&o));

    // 2. A saved login: the newest login is the default.
    let o = command(dir)
        .args(["login", "token", "--instance-url", url, "--name", "remote"])
        .env("SF_ACCESS_TOKEN", tok)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let (o, n) = marker(dir, &[]);
    assert_eq!(n, 1);
    assert!(err(&o).contains("the newest saved login"), "{}", err(&o));

    // 3. The local org stays reachable.
    let (o, n) = marker(dir, &["--org", "local"]);
    assert_eq!(n, 0);
    assert!(err(&o).contains("using the local org"), "{}", err(&o));
}

/// 4. target-org over the newest login.
fn check_target_org_over_the_newest_login(dir: &Path) {
    let o = sfkit(dir, &["config", "set", "target-org", "local"]);
    assert!(o.status.success(), "{}", err(&o));
    let got = sfkit(dir, &["config", "get", "target-org"]);
    assert_eq!(String::from_utf8_lossy(&got.stdout).trim(), "local");
    let (o, n) = marker(dir, &[]);
    assert_eq!(n, 0);
    assert!(err(&o).contains("target-org"), "{}", err(&o));
    let listed = json_ok(&sfkit(dir, &["org", "list", "--json"]));
    let default: Vec<&str> = listed["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["default"] == true)
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(default, ["local"]);
    assert_eq!(listed["orgs"].as_array().unwrap().len(), 2);
}

/// 5.–6. `--org` over target-org (`org display` shows who and where); the environment over
/// target-org.
fn check_org_flag_and_environment(dir: &Path, url: &str, tok: &str) {
    let shown = json_ok(&sfkit(
        dir,
        &["--org", "remote", "org", "display", "--json"],
    ));
    assert_eq!(shown["name"], "remote");
    assert_eq!(shown["instanceUrl"], url);
    assert_eq!(shown["username"], "admin@sfkit.local");
    assert_eq!(shown["chosenBy"], "--org");

    // 6. The environment over target-org.
    let o = command(dir)
        .args([
            "query",
            "SELECT COUNT() FROM Account WHERE Name = 'Remote'",
            "--json",
        ])
        .env("SF_INSTANCE_URL", url)
        .env("SF_ACCESS_TOKEN", tok)
        .output()
        .unwrap();
    assert_eq!(json_ok(&o)["count"], 1);
    assert!(
        err(&o).contains(&format!("using the org at {url}")),
        "{}",
        err(&o)
    );
}

/// 7. Unknown names are refused, with the known ones.
fn check_unknown_org_names_are_refused(dir: &Path) {
    let o = sfkit(dir, &["--org", "nope", "limits"]);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("remote"), "{}", err(&o));
    let o = sfkit(dir, &["config", "set", "target-org", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("local") && err(&o).contains("remote"),
        "{}",
        err(&o)
    );
    let o = sfkit(dir, &["config", "set", "no-such-key", "x"]);
    assert_eq!(o.status.code(), Some(2));
}

/// 8. target-org names the login; unset goes back to the newest login.
fn check_target_org_names_a_login_and_unset(dir: &Path) {
    assert!(
        sfkit(dir, &["config", "set", "target-org", "remote"])
            .status
            .success()
    );
    assert_eq!(marker(dir, &[]).1, 1);
    assert!(
        sfkit(dir, &["config", "unset", "target-org"])
            .status
            .success()
    );
    assert_eq!(
        sfkit(dir, &["config", "get", "target-org"]).status.code(),
        Some(1)
    );
    let text = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(!text.contains("target-org ="), "{text}");
}

/// A local org served over HTTPS (`sfkit emulator --tls`): commands on its data directory
/// trust its own CA; a client pointed at it from elsewhere without trusting the CA gets an error
/// that says so and what to do, and works with `SSL_CERT_FILE`.
#[test]
fn the_local_orgs_certificate() {
    let d = Dir::new("tls");
    let (mut emu, url) = emulator(&d.0, &["--tls"]);
    let o = sfkit(
        &d.0,
        &["run", "createLead", "-p", "lastName=T", "-p", "company=L"],
    );
    assert_eq!(json_ok(&o)["success"], true);
    assert!(
        err(&o).contains(&format!("served by process {} at {url}", emu.id())),
        "{}",
        err(&o)
    );

    let elsewhere = Dir::new("tls-else");
    let o = command(&elsewhere.0)
        .args(["limits"])
        .env("SF_INSTANCE_URL", &url)
        .env("SF_ACCESS_TOKEN", "00Dx!whatever")
        .env_remove("SSL_CERT_FILE")
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), err(&o));
    assert!(
        text.contains("certificate is not trusted") && text.contains("SSL_CERT_FILE"),
        "{text}"
    );
    let ca = d.0.join("org").join("tls").join("ca.pem");
    let o = command(&elsewhere.0)
        .args(["query", "SELECT COUNT() FROM Lead", "--json"])
        .env("SF_INSTANCE_URL", &url)
        .env("SF_ACCESS_TOKEN", token_trusting(&url, Some(&ca)))
        .env("SSL_CERT_FILE", &ca)
        .output()
        .unwrap();
    assert_eq!(json_ok(&o)["count"], 1);
    emu.kill().unwrap();
    emu.wait().unwrap();
}

/// `sfkit mcp` chooses its org as every command does: here the environment's org, not the local
/// one; with `--org local` the local org.
#[tokio::test(flavor = "multi_thread")]
async fn mcp_uses_the_chosen_org() {
    let d = Dir::new("mcp-choose");
    let other = Dir::new("mcp-choose-other");
    let (mut remote, url) = emulator(&other.0, &[]);
    let o = command(&other.0)
        .args(["run", "createAccount", "-p", "name=Remote"])
        .output()
        .unwrap();
    assert_eq!(json_ok(&o)["success"], true);
    let tok = tokio::task::spawn_blocking({
        let url = url.clone();
        move || token(&url)
    })
    .await
    .unwrap();
    let args = |v: Value| v.as_object().unwrap().clone();
    let remote_accounts = |org: Option<&'static str>| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_sfkit"));
        if let Some(o) = org {
            cmd.args(["--org", o]);
        }
        cmd.arg("mcp")
            .env("SFKIT_DATA_DIR", &d.0)
            .env("SFKIT_CONFIG", d.0.join("config.toml"))
            .env("SFKIT_KEYRING", "off")
            .env("SF_INSTANCE_URL", &url)
            .env("SF_ACCESS_TOKEN", &tok)
            .env_remove("SFKIT_STORE");
        async move {
            let mcp = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();
            let got = mcp
                .call_tool(CallToolRequestParams::new("query").with_arguments(args(
                    json!({"query": "SELECT COUNT() FROM Account WHERE Name = 'Remote'"}),
                )))
                .await
                .unwrap();
            assert_ne!(got.is_error, Some(true), "{got:?}");
            mcp.cancel().await.unwrap();
            mcp_text(&got)["totalSize"].as_i64().unwrap()
        }
    };
    assert_eq!(remote_accounts(None).await, 1, "the environment's org");
    assert_eq!(remote_accounts(Some("local")).await, 0, "--org local");
    remote.kill().unwrap();
    remote.wait().unwrap();
}

/// `sfkit serve --org NAME`: calls that name no connection use the saved login; the local org
/// is not started for them.
#[test]
fn serve_uses_the_chosen_org() {
    let d = Dir::new("serve-choose");
    let other = Dir::new("serve-choose-other");
    let (mut remote, url) = emulator(&other.0, &[]);
    let o = command(&other.0)
        .args(["run", "createAccount", "-p", "name=Remote"])
        .output()
        .unwrap();
    assert_eq!(json_ok(&o)["success"], true);
    let o = command(&d.0)
        .args(["login", "token", "--instance-url", &url, "--name", "remote"])
        .env("SF_ACCESS_TOKEN", token(&url))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let key = String::from_utf8(sfkit(&d.0, &["apikey", "create", "t"]).stdout).unwrap();
    let mut server = command(&d.0)
        .args(["--org", "remote", "serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("sfkit server listening on ")
        .unwrap()
        .to_owned();
    let answer: Value = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            reqwest::Client::new()
                .post(format!("{base}/v1/actions/query"))
                .bearer_auth(key.trim())
                .json(&json!({"query": "SELECT COUNT() FROM Account WHERE Name = 'Remote'"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
    assert_eq!(answer["totalSize"], 1, "{answer}");
    assert!(
        !d.0.join("org").join("org.addr").exists(),
        "no local org served"
    );
    server.kill().unwrap();
    server.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("calls that name no connection use \"remote\""),
        "{stderr}"
    );
    remote.kill().unwrap();
    remote.wait().unwrap();
}
