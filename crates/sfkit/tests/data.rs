//! The built binary working with an org: `run`, `actions`, `query`, `search`, `describe`,
//! `limits`, on the embedded default (a local org in a temporary data directory) and through
//! `SF_INSTANCE_URL`/`SF_ACCESS_TOKEN`; output formats and exit codes (0, 2 validation, 3
//! Salesforce, 4 connection).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;
use std::process::Output;

use common::Dir;
use serde_json::{Value, json};

fn sfkit(dir: &Path, args: &[&str]) -> Output {
    common::sfkit_command()
        .args(args)
        .env("SFKIT_DATA_DIR", dir)
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json_ok(o: &Output) -> Value {
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
    let o = common::sfkit_command()
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
    let o = common::sfkit_command()
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
    let mut emulator = common::sfkit_command()
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
    let o = common::sfkit_command()
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
    let o = sfkit(
        &d.0,
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

    // Export: every row, quotes intact, a header first.
    let o = sfkit(
        &d.0,
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

    // Delete the exported ids through a load, JSON out.
    let ids = sfkit(
        &d.0,
        &[
            "bulk",
            "export",
            "SELECT Id FROM Account WHERE Industry = 'CliBulk'",
        ],
    );
    let ids_file = d.0.join("ids.csv");
    std::fs::write(&ids_file, out(&ids)).unwrap();
    let o = sfkit(
        &d.0,
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
        &d.0,
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

    // Usage errors: exit 2, nothing sent.
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
        let o = sfkit(&d.0, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
    }
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
    let mut child = common::sfkit_command()
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

/// The positions, in display columns, of the column separators on each line of a table.
fn separator_columns(table: &str) -> Vec<Vec<usize>> {
    use unicode_width::UnicodeWidthChar as _;
    table
        .lines()
        .map(|line| {
            let mut at = 0;
            let mut seps = Vec::new();
            for c in line.chars() {
                if c == '│' || c == '┼' {
                    seps.push(at);
                }
                at += c.width().unwrap_or(0);
            }
            seps
        })
        .collect()
}

fn display_width(line: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(line)
}

/// Today's tables counted chars, so a CJK name or an emoji (two columns each on a terminal)
/// pushed its row's borders right. Measured in display columns, every line's borders sit in
/// the same places, piped and on a terminal, where the table is also cut to the width.
#[test]
fn tables_line_up_with_cjk_and_emoji_and_fit_the_terminal() {
    let d = Dir::new("width");
    let long = "A description long enough to need cutting on a narrow terminal, ".repeat(3);
    for (name, industry) in [
        ("東京ガス株式会社", "Energy"),
        ("Zoë 🚀 Rockets", "Aerospace 🛰"),
        ("Plain Name", "Retail"),
    ] {
        json_ok(&sfkit(
            &d.0,
            &[
                "run",
                "createAccount",
                "-p",
                &format!("name={name}"),
                "-p",
                &format!("industry={industry}"),
                "-p",
                &format!("description={long}"),
            ],
        ));
    }
    let soql = "SELECT Name, Industry, Description FROM Account ORDER BY Name";
    let piped = sfkit(&d.0, &["query", soql]);
    let table = out(&piped);
    assert!(table.contains("東京ガス株式会社") && table.contains("Zoë 🚀 Rockets"));
    let seps = separator_columns(&table);
    assert_eq!(seps.len(), 5, "{table}");
    assert_eq!(seps[0].len(), 2, "{table}");
    assert!(seps.iter().all(|s| *s == seps[0]), "{seps:?}\n{table}");
    // Piped, nothing is cut.
    assert!(table.contains(long.trim_end()), "{table}");

    #[cfg(unix)]
    {
        let mut cmd = common::sfkit_command();
        cmd.args(["query", soql])
            .env("SFKIT_DATA_DIR", &d.0)
            .env_remove("SF_INSTANCE_URL")
            .env_remove("SF_ACCESS_TOKEN");
        let t = common::on_terminal(cmd, 60, false);
        assert_eq!(t.code, Some(0), "{}", t.stderr);
        let lines: Vec<&str> = t.terminal.lines().collect();
        assert_eq!(lines.len(), 5, "{}", t.terminal);
        assert!(
            lines.iter().all(|l| display_width(l) <= 60),
            "fits 60 columns:\n{}",
            t.terminal
        );
        let seps = separator_columns(&t.terminal);
        assert!(
            seps.iter().all(|s| *s == seps[0]),
            "{seps:?}\n{}",
            t.terminal
        );
        assert!(
            t.terminal.contains('…'),
            "the description is cut: {}",
            t.terminal
        );
    }
}

/// Child subqueries show their records: nested `{totalSize, done, records}` in JSON, one line
/// per child under its parent in a table, joined with `;` in a CSV cell (one row per parent),
/// with the columns there even when the first parent has no children.
#[test]
fn query_shows_child_records_in_every_format() {
    let d = Dir::new("children");
    let create = |args: &[&str]| -> String {
        json_ok(&sfkit(&d.0, args))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    create(&["run", "createAccount", "-p", "name=A Lonely"]);
    let b = create(&["run", "createAccount", "-p", "name=B Busy"]);
    let account = format!("accountId={b}");
    create(&[
        "run",
        "createContact",
        "-p",
        "lastName=Ng",
        "-p",
        &account,
        "-p",
        "email=ng@example.com",
    ]);
    create(&["run", "createContact", "-p", "lastName=Lee", "-p", &account]);
    let soql = "SELECT Name, (SELECT LastName, Email FROM Contacts ORDER BY LastName DESC) \
                FROM Account ORDER BY Name";
    let as_json = json_ok(&sfkit(&d.0, &["query", soql, "--json"]));
    assert_eq!(as_json[0]["Name"], "A Lonely");
    assert_eq!(
        as_json[1]["Contacts"],
        json!({"totalSize": 2, "done": true, "records": [
            {"LastName": "Ng", "Email": "ng@example.com"},
            {"LastName": "Lee", "Email": null},
        ]})
    );
    let csv = sfkit(&d.0, &["query", soql, "--format", "csv"]);
    assert_eq!(
        out(&csv),
        "Name,Contacts.LastName,Contacts.Email\nA Lonely,,\nB Busy,Ng;Lee,ng@example.com;\n",
        "{}",
        err(&csv)
    );
    let table = sfkit(&d.0, &["query", soql]);
    let text = out(&table);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    let cells = |l: &str| -> Vec<String> { l.split('│').map(|c| c.trim().to_owned()).collect() };
    assert_eq!(
        cells(lines[0]),
        ["Name", "Contacts.LastName", "Contacts.Email"]
    );
    assert_eq!(cells(lines[2]), ["A Lonely", "", ""]);
    assert_eq!(cells(lines[3]), ["B Busy", "Ng", "ng@example.com"]);
    assert_eq!(cells(lines[4]), ["", "Lee", ""]);
    assert!(err(&table).contains("2 records"), "{}", err(&table));
}

/// Salesforce-shaped records for the page server: attributes at two depths, a parent, text
/// that needs escapes, numbers as Salesforce writes them.
fn wire_records(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "attributes": {"type": "Account", "url": format!("/services/data/v66.0/sobjects/Account/001{i:015}")},
                "Id": format!("001{i:015}"),
                "Name": format!("Account \"{i}\" — Zoë 東京"),
                "AnnualRevenue": (i as f64) * 1.5,
                "Owner": {"attributes": {"type": "User", "url": "/u"}, "Name": "Admin"},
            })
        })
        .collect()
}

/// `sfkit query` follows `nextRecordsUrl` to the end and passes each record through without
/// its attributes. Piped, stderr says which org and nothing else: no progress noise.
#[test]
fn query_streams_every_page_and_piped_stderr_stays_quiet() {
    let d = Dir::new("wire");
    // A data directory others can read draws a warning on stderr, which is not this test's.
    #[cfg(unix)]
    std::fs::set_permissions(&d.0, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let records = wire_records(4_500);
    let server = common::PageServer::start(&records, 2_000);
    let run = |args: &[&str]| {
        common::sfkit_command()
            .args(args)
            .env("SFKIT_DATA_DIR", &d.0)
            .env("SF_INSTANCE_URL", &server.url)
            .env("SF_ACCESS_TOKEN", "00Dtest!token")
            .output()
            .unwrap()
    };
    let soql = "SELECT Id, Name, AnnualRevenue, Owner.Name FROM Account";
    let o = run(&["query", soql, "--format", "json"]);
    let got = json_ok(&o);
    let want: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let m = r.as_object_mut().unwrap();
            m.shift_remove("attributes");
            m["Owner"]
                .as_object_mut()
                .unwrap()
                .shift_remove("attributes");
            r
        })
        .collect();
    assert_eq!(got, Value::Array(want));
    assert_eq!(
        err(&o),
        format!(
            "sfkit: using the org at {} (SF_INSTANCE_URL, SF_ACCESS_TOKEN)\n",
            server.url
        )
    );
    let o = run(&["query", soql, "--format", "csv"]);
    assert_eq!(out(&o).lines().count(), 4_501, "{}", err(&o));
    assert!(out(&o).starts_with("Id,Name,AnnualRevenue,Owner.Name\n"));
    assert!(!err(&o).contains("records"), "{}", err(&o));

    // On a terminal, stderr shows the records so far past the first page.
    #[cfg(unix)]
    {
        let mut cmd = common::sfkit_command();
        cmd.args(["query", soql, "--format", "json"])
            .env("SFKIT_DATA_DIR", &d.0)
            .env("SF_INSTANCE_URL", &server.url)
            .env("SF_ACCESS_TOKEN", "00Dtest!token");
        let t = common::on_terminal(cmd, 100, true);
        assert_eq!(t.code, Some(0), "{}", t.terminal);
        assert!(t.terminal.contains(" records ("), "{}", t.terminal);
    }
}

/// On a terminal `sfkit run` prints for people: key/value lines for a record, a table for a
/// list with its count and the command for the next page, errors as a sentence on stderr.
/// `--json` still prints JSON there.
#[cfg(unix)]
#[test]
fn run_on_a_terminal_prints_tables_and_key_values() {
    let d = Dir::new("tty");
    let mut ids = Vec::new();
    for name in ["Tty One", "Tty Two", "Tty Three"] {
        let o = sfkit(
            &d.0,
            &["run", "createAccount", "-p", &format!("name={name}")],
        );
        ids.push(json_ok(&o)["id"].as_str().unwrap().to_owned());
    }
    let term = |args: &[&str]| {
        let mut cmd = common::sfkit_command();
        cmd.args(args)
            .env("SFKIT_DATA_DIR", &d.0)
            .env_remove("SF_INSTANCE_URL")
            .env_remove("SF_ACCESS_TOKEN");
        common::on_terminal(cmd, 120, false)
    };
    let one = term(&["run", "getAccount", "-p", &format!("id={}", ids[0])]);
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    let pairs: Vec<(String, String)> = one
        .terminal
        .lines()
        .filter_map(|l| l.split_once('│'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    assert!(
        pairs.contains(&("Name".to_owned(), "Tty One".to_owned())),
        "{}",
        one.terminal
    );
    assert!(
        pairs.contains(&("Id".to_owned(), ids[0].clone())),
        "{}",
        one.terminal
    );
    assert!(!one.terminal.contains('{'), "{}", one.terminal);

    let list = term(&["run", "listAccounts", "-p", "limit=2", "-p", "orderBy=name"]);
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    let lines: Vec<&str> = list.terminal.lines().collect();
    assert!(
        lines[0].contains("Name") && lines[1].starts_with("───"),
        "{}",
        list.terminal
    );
    assert!(
        lines[2].contains("Tty One") && lines[3].contains("Tty Three"),
        "{}",
        list.terminal
    );
    assert!(
        lines
            .iter()
            .any(|l| l.split('│').map(str::trim).eq(["totalSize", "3"])),
        "{}",
        list.terminal
    );
    let hint = lines
        .iter()
        .find_map(|l| l.strip_prefix("next page: sfkit run listAccounts -p cursor="))
        .unwrap_or_else(|| panic!("a next-page hint: {}", list.terminal));
    let rest = json_ok(&sfkit(
        &d.0,
        &["run", "listAccounts", "-p", &format!("cursor={hint}")],
    ));
    assert_eq!(rest["records"][0]["Name"], "Tty Two");

    let as_json = term(&[
        "run",
        "getAccount",
        "-p",
        &format!("id={}", ids[1]),
        "--json",
    ]);
    let v: Value = serde_json::from_str(&as_json.terminal).unwrap();
    assert_eq!(v["Name"], "Tty Two");

    let refused = term(&["run", "createLead", "-p", "lastName=Ng"]);
    assert_eq!(refused.code, Some(2));
    assert_eq!(refused.terminal, "");
    assert!(
        refused.stderr.contains("REQUIRED_FIELD_MISSING") && refused.stderr.contains("company"),
        "{}",
        refused.stderr
    );
}
