//! The built binary working with an org: `run`, `actions`, `query`, `search`, `describe`,
//! `limits`, on the embedded default (a local org in a temporary data directory) and through
//! `SF_INSTANCE_URL`/`SF_ACCESS_TOKEN`; output formats and exit codes (0, 2 validation, 3
//! Salesforce, 4 connection). How tables and streamed output look is in `output`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Output;

use crate::common::Dir;
use serde_json::{Value, json};

pub(super) fn sfkit(dir: &Path, args: &[&str]) -> Output {
    crate::common::sfkit_command()
        .args(args)
        .env("SFKIT_DATA_DIR", dir)
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .output()
        .unwrap()
}

pub(super) fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub(super) fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

pub(super) fn json_ok(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout {} stderr {}",
        out(o),
        err(o)
    );
    serde_json::from_str(&out(o)).unwrap_or_else(|e| panic!("{e}: {}", out(o)))
}

#[test]
fn a_newcomer_creates_a_lead_and_reads_it_back_on_the_local_org() {
    let d = Dir::new("lead");
    let o = sfkit(
        &d.0,
        &[
            "run",
            "createLead",
            "-p",
            "lastName=Ng",
            "-p",
            "company=Acme Co",
            "-p",
            "email=ng@example.com",
        ],
    );
    let created = json_ok(&o);
    assert_eq!(created["success"], true);
    assert!(err(&o).contains("using the local org in"), "{}", err(&o));
    let id = created["id"].as_str().unwrap();

    let got = json_ok(&sfkit(
        &d.0,
        &["run", "getLead", "--input", &json!({"id": id}).to_string()],
    ));
    assert_eq!(got["Company"], "Acme Co");
    assert_eq!(got["Status"], "New");
    assert!(got.get("attributes").is_none());

    // The same lead through query, in each format.
    let soql = "SELECT Id, Name, Company FROM Lead";
    let as_json = json_ok(&sfkit(&d.0, &["query", soql, "--format", "json"]));
    assert_eq!(
        as_json,
        json!([{"Id": id, "Name": "Ng", "Company": "Acme Co"}])
    );
    let csv = sfkit(&d.0, &["query", soql, "--format", "csv"]);
    assert_eq!(out(&csv), format!("Id,Name,Company\n{id},Ng,Acme Co\n"));
    let table = sfkit(&d.0, &["query", soql]);
    let lines: Vec<String> = out(&table).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "header, rule, one row: {lines:?}");
    assert!(
        lines[0].trim_start().starts_with("Id") && lines[0].contains("Company"),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("───"), "{lines:?}");
    assert!(lines[2].contains("Acme Co"));

    let found = sfkit(
        &d.0,
        &["search", "FIND {Acme} RETURNING Lead(Name)", "--json"],
    );
    assert_eq!(
        json_ok(&found),
        json!([{"attributes": {"type": "Lead"}, "Name": "Ng"}])
    );
    // One search, two objects: each row says which.
    json_ok(&sfkit(
        &d.0,
        &["run", "createAccount", "-p", "name=Acme Holdings"],
    ));
    let found = sfkit(
        &d.0,
        &[
            "search",
            "FIND {Acme} RETURNING Lead(Name), Account(Name)",
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        out(&found),
        "attributes.type,Name\nLead,Ng\nAccount,Acme Holdings\n",
        "{}",
        err(&found)
    );
}

#[test]
fn exit_codes_say_whose_fault_it_is() {
    let d = Dir::new("codes");
    // 2: refused before any call, the error as JSON on stdout.
    let o = sfkit(&d.0, &["run", "createLead", "-p", "lastName=Ng"]);
    assert_eq!(o.status.code(), Some(2));
    let e: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(e["error"]["code"], "REQUIRED_FIELD_MISSING");
    assert_eq!(e["error"]["fields"], json!(["company"]));
    let o = sfkit(&d.0, &["run", "noSuchAction"]);
    assert_eq!(o.status.code(), Some(2));
    let o = sfkit(&d.0, &["run", "createLead", "--input", "{not json"]);
    assert_eq!(o.status.code(), Some(2));
    let o = sfkit(
        &d.0,
        &["run", "createLead", "--input", "@/no/such/file.json"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("/no/such/file.json"), "{}", out(&o));
    let o = sfkit(
        &d.0,
        &[
            "run",
            "createAccount",
            "-p",
            "name=x",
            "-p",
            "numberOfEmployees=many",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    // 3: Salesforce said no; a sentence on stderr.
    let o = sfkit(&d.0, &["query", "SELECT Nope FROM Lead"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(err(&o).contains("INVALID_FIELD"), "{}", err(&o));
    let o = sfkit(&d.0, &["query", "SELECT Nope FROM Lead", "--json"]);
    assert_eq!(o.status.code(), Some(3));
    let e: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(e["error"]["code"], "INVALID_FIELD");
    // 4: nothing to talk to.
    let o = crate::common::sfkit_command()
        .args(["limits"])
        .env("SFKIT_DATA_DIR", &d.0)
        .env("SF_INSTANCE_URL", "http://127.0.0.1:9")
        .env("SF_ACCESS_TOKEN", "00Dfake!token")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(
        !err(&o).contains("00Dfake"),
        "no token in messages: {}",
        err(&o)
    );
    let o = crate::common::sfkit_command()
        .args(["limits"])
        .env("SFKIT_DATA_DIR", &d.0)
        .env("SF_INSTANCE_URL", "http://127.0.0.1:9")
        .env_remove("SF_ACCESS_TOKEN")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(err(&o).contains("go together"), "{}", err(&o));
}

#[test]
fn actions_describe_limits() {
    let d = Dir::new("catalog");
    let o = sfkit(&d.0, &["actions"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out(&o)
            .lines()
            .any(|l| l.trim_start().starts_with("convertLead ")),
        "{}",
        out(&o)
    );
    let all = json_ok(&sfkit(&d.0, &["actions", "--json"]));
    assert!(all.as_array().unwrap().len() >= 39);
    let one = json_ok(&sfkit(&d.0, &["actions", "describe", "createOpportunity"]));
    assert_eq!(
        one["inputSchema"]["required"],
        json!(["name", "stageName", "closeDate"])
    );
    assert_eq!(
        sfkit(&d.0, &["actions", "describe", "nope"]).status.code(),
        Some(2)
    );

    let fields = sfkit(&d.0, &["describe", "Account"]);
    assert_eq!(fields.status.code(), Some(0), "{}", err(&fields));
    assert!(
        out(&fields)
            .lines()
            .any(|l| l.trim_start().starts_with("Name ")),
        "{}",
        out(&fields)
    );
    let limits = json_ok(&sfkit(&d.0, &["limits", "--json"]));
    assert!(limits["DailyApiRequests"]["max"].as_i64().unwrap() > 0);
}

/// A real org through the Salesforce CLI's environment variables: here, a local org served by
/// `sfkit emulator` in another process (which also holds the data directory: other commands on
/// it use that process's org through its API).
#[test]
fn sf_instance_url_and_access_token_select_the_org() {
    let d = Dir::new("env");
    let mut emulator = crate::common::sfkit_command()
        .args(["emulator", "--addr", "127.0.0.1:0"])
        .env("SFKIT_DATA_DIR", &d.0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(emulator.stdout.take().unwrap());
    let mut url = String::new();
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0 {
        if let Some(u) = line.trim().strip_prefix("sfkit local org listening on ") {
            url = u.to_owned();
        }
        if line.trim_start().starts_with("data:") {
            break;
        }
        line.clear();
    }
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    // reqwest is built with rustls and no default provider in this workspace.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let token_answer: Value = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            reqwest::Client::new()
                .post(format!("{url}/services/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("grant_type=password&client_id=sfkit-local&client_secret=sfkit-local-secret&username=admin%40sfkit.local&password=sfkit-local")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
    let shared = sfkit(&d.0, &["limits"]);
    assert_eq!(shared.status.code(), Some(0), "{}", err(&shared));
    assert!(
        err(&shared).contains(&format!("served by process {} at {url}", emulator.id())),
        "{}",
        err(&shared)
    );
    let token = token_answer["access_token"].as_str().expect("a token");
    let o = crate::common::sfkit_command()
        .args(["run", "createAccount", "-p", "name=Via env"])
        .env("SFKIT_DATA_DIR", &d.0)
        .env("SF_INSTANCE_URL", &url)
        .env("SF_ACCESS_TOKEN", token)
        .output()
        .unwrap();
    assert_eq!(json_ok(&o)["success"], true);
    assert!(!err(&o).contains("local org"), "{}", err(&o));
    assert!(
        err(&o).contains(&format!("using the org at {url}")),
        "says which org: {}",
        err(&o)
    );
    let _ = emulator.kill();
    let _ = emulator.wait();
}

/// `sfkit bulk load` reports every failed row and writes the result files; `sfkit bulk export`
/// writes the query as CSV; bad arguments are usage errors with nothing sent.
#[test]
fn bulk_load_and_export_on_the_local_org() {
    let d = Dir::new("bulk");
    let csv = d.0.join("in.csv");
    let mut text = String::from("Name,Industry,Description\n");
    for i in 0..30 {
        text.push_str(&format!("Bulk {i:02},CliBulk,\"quoted, \"\"text\"\"\"\n"));
    }
    text.push_str(",CliBulk,no name\n");
    std::fs::write(&csv, text).unwrap();
    let results = d.0.join("results");
    check_load_reports_the_failed_row(&d.0, &csv, &results);
    check_export_writes_every_row(&d.0);
    check_delete_through_a_load(&d.0);
    check_usage_errors_send_nothing(&d.0, &csv);
    // What Bulk queries cannot do is Salesforce's answer: exit 3.
    let o = sfkit(
        &d.0,
        &[
            "bulk",
            "export",
            "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
}

/// The load of `csv`: 30 rows made, the one without a name refused, both result files written.
fn check_load_reports_the_failed_row(dir: &Path, csv: &Path, results: &Path) {
    let o = sfkit(
        dir,
        &[
            "bulk",
            "load",
            "Account",
            csv.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "a refused row: {}", err(&o));
    assert!(
        err(&o).contains("31 rows processed")
            && err(&o).contains("30 succeeded (30 created), 1 failed"),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("REQUIRED_FIELD_MISSING"), "{}", err(&o));
    let failed = std::fs::read_to_string(results.join("failed.csv")).unwrap();
    assert!(
        failed.starts_with("sf__Id,sf__Error,Name,Industry,Description\n"),
        "{failed}"
    );
    assert!(failed.contains("no name"));
    let ok = std::fs::read_to_string(results.join("successful.csv")).unwrap();
    assert_eq!(ok.lines().count(), 31);
}

/// Export: every row, quotes intact, a header first.
fn check_export_writes_every_row(dir: &Path) {
    let o = sfkit(
        dir,
        &[
            "bulk",
            "export",
            "SELECT Name, Description FROM Account WHERE Industry = 'CliBulk' ORDER BY Name",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let exported = out(&o);
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), 31, "{exported}");
    assert_eq!(lines[0], "Name,Description");
    assert_eq!(lines[1], "Bulk 00,\"quoted, \"\"text\"\"\"");
}

/// Delete the exported ids through a load, JSON out; queryAll still sees them.
fn check_delete_through_a_load(dir: &Path) {
    let ids = sfkit(
        dir,
        &[
            "bulk",
            "export",
            "SELECT Id FROM Account WHERE Industry = 'CliBulk'",
        ],
    );
    let ids_file = dir.join("ids.csv");
    std::fs::write(&ids_file, out(&ids)).unwrap();
    let o = sfkit(
        dir,
        &[
            "bulk",
            "load",
            "Account",
            ids_file.to_str().unwrap(),
            "--operation",
            "delete",
            "--json",
        ],
    );
    let v = json_ok(&o);
    assert_eq!(v["successful"], 30);
    assert_eq!(v["failed"], json!([]));
    let o = sfkit(
        dir,
        &[
            "bulk",
            "export",
            "SELECT Id FROM Account WHERE Industry = 'CliBulk'",
            "--all",
        ],
    );
    assert_eq!(
        out(&o).lines().count(),
        31,
        "queryAll sees the deleted rows"
    );
}

/// Usage errors: exit 2, nothing sent.
fn check_usage_errors_send_nothing(dir: &Path, csv: &Path) {
    for args in [
        vec!["bulk", "load", "Account", "/no/such/file.csv"],
        vec![
            "bulk",
            "load",
            "Account",
            csv.to_str().unwrap(),
            "--operation",
            "upsert",
        ],
        vec![
            "bulk",
            "load",
            "Account",
            csv.to_str().unwrap(),
            "--external-id",
            "X__c",
        ],
    ] {
        let o = sfkit(dir, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
    }
}

/// `SELECT COUNT()` answers a count and no rows: the CLI prints the count, in every format.
/// Aggregate queries print their rows. A list's cursor works in a later run of the CLI and
/// keeps the list's filters.
#[test]
fn counts_aggregates_and_cursors_across_runs() {
    let d = Dir::new("count");
    for (name, industry) in [
        ("Count A", "Banking"),
        ("Count B", "Banking"),
        ("Count C", "Banking"),
        ("Count D", "Retail"),
    ] {
        let o = sfkit(
            &d.0,
            &[
                "run",
                "createAccount",
                "-p",
                &format!("name={name}"),
                "-p",
                &format!("industry={industry}"),
            ],
        );
        json_ok(&o);
    }
    let o = sfkit(&d.0, &["query", "SELECT COUNT() FROM Account", "--json"]);
    assert_eq!(json_ok(&o), json!({"count": 4}));
    let o = sfkit(
        &d.0,
        &[
            "query",
            "SELECT COUNT() FROM Account WHERE Industry = 'Banking'",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out(&o), "count\n3\n", "{}", err(&o));
    let o = sfkit(&d.0, &["query", "SELECT COUNT() FROM Account"]);
    assert!(out(&o).lines().any(|l| l.trim() == "4"), "{}", out(&o));

    let o = sfkit(
        &d.0,
        &[
            "query",
            "SELECT Industry, COUNT(Id) n FROM Account GROUP BY Industry ORDER BY Industry",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out(&o), "Industry,n\nBanking,3\nRetail,1\n", "{}", err(&o));

    let first = json_ok(&sfkit(
        &d.0,
        &[
            "run",
            "listAccounts",
            "-p",
            "industry=Banking",
            "-p",
            "limit=2",
        ],
    ));
    assert_eq!(first["totalSize"], 3);
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = json_ok(&sfkit(
        &d.0,
        &["run", "listAccounts", "-p", &format!("cursor={cursor}")],
    ));
    assert_eq!(second["totalSize"], 3);
    assert_eq!(second["done"], true);
    let records = second["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["Industry"], "Banking");
    let o = sfkit(
        &d.0,
        &[
            "run",
            "listAccounts",
            "-p",
            &format!("cursor={cursor}"),
            "-p",
            "industry=Retail",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("INVALID_CURSOR") || err(&o).contains("INVALID_CURSOR"));
}

/// `sfkit` with its stdin fed `input`.
fn sfkit_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write as _;
    let mut child = crate::common::sfkit_command()
        .args(args)
        .env("SFKIT_DATA_DIR", dir)
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `--input` takes the parameters as JSON, from a file (`@FILE`) or from stdin (`-`); `-p`
/// goes on top. Piped, the result is JSON with or without `--json`. `--json` no longer takes
/// the input.
#[test]
fn run_takes_input_as_json_a_file_or_stdin() {
    let d = Dir::new("input");
    let o = sfkit(
        &d.0,
        &[
            "run",
            "createLead",
            "--input",
            r#"{"lastName": "Ng", "company": "Acme"}"#,
        ],
    );
    let id = json_ok(&o)["id"].as_str().unwrap().to_owned();
    let file = d.0.join("params.json");
    std::fs::write(&file, json!({"id": id}).to_string()).unwrap();
    let from_file = json_ok(&sfkit(
        &d.0,
        &["run", "getLead", "--input", &format!("@{}", file.display())],
    ));
    assert_eq!(from_file["Company"], "Acme");
    let from_stdin = sfkit_stdin(
        &d.0,
        &["run", "getLead", "--input", "-", "--json"],
        &json!({"id": id}).to_string(),
    );
    assert_eq!(json_ok(&from_stdin)["LastName"], "Ng");
    // A --param wins over the same key in --input.
    let o = sfkit(
        &d.0,
        &[
            "run",
            "createLead",
            "--input",
            r#"{"lastName": "Ng", "company": "Acme"}"#,
            "-p",
            "company=Other",
        ],
    );
    let id = json_ok(&o)["id"].as_str().unwrap().to_owned();
    let got = json_ok(&sfkit(&d.0, &["run", "getLead", "-p", &format!("id={id}")]));
    assert_eq!(got["Company"], "Other");
    // The old spelling is a usage error now, not silently the output flag.
    let o = sfkit(&d.0, &["run", "getLead", "--json", r#"{"id": "00Q"}"#]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let o = sfkit(&d.0, &["run", "getLead", "--input", "[1, 2]"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        serde_json::from_str::<Value>(&out(&o)).unwrap()["error"]["code"],
        "INVALID_ARGUMENT"
    );
}

/// Output that cannot be written (a full disk) is a local I/O failure: exit 1, as main.rs's
/// table says. It was 2 for records (filed as a usage error) and a panic for `println!`s.
#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written_exits_1() {
    let d = Dir::new("full");
    json_ok(&sfkit(
        &d.0,
        &[
            "run",
            "createLead",
            "-p",
            "lastName=Ng",
            "-p",
            "company=Acme",
        ],
    ));
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(stdout) = full() else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    let o = crate::common::sfkit_command()
        .args(["query", "SELECT Id, Name FROM Lead", "--format", "csv"])
        .env("SFKIT_DATA_DIR", &d.0)
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .stdout(stdout)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("OUTPUT_FAILED"), "{}", err(&o));
    let o = crate::common::sfkit_command()
        .args(["actions", "--json"])
        .env("SFKIT_DATA_DIR", &d.0)
        .stdout(full().unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("OUTPUT_FAILED"), "{}", err(&o));
}
