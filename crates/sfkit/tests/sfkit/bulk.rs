//! `sfkit bulk load` and `sfkit bulk export` through the built binary against a local org in
//! another process (`sfkit emulator`, over HTTP): a load of a realistic size with a few bad
//! rows (exit code, summary, each result file row by row), the export of what it loaded, a job
//! that fails as a whole, files that cannot load (no API call made), standard input, and
//! stderr with and without a terminal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::Path;
use std::process::{Output, Stdio};

use crate::common::{Dir, Emulator};
use serde_json::Value;

/// An org in its own process, and a token for it.
struct Org {
    emulator: Emulator,
    token: String,
}

impl Org {
    fn start() -> Self {
        let emulator = Emulator::start();
        let token = runtime().block_on(async {
            let v: Value = reqwest::Client::new()
                .post(format!("{}/services/oauth2/token", emulator.url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("grant_type=password&client_id=sfkit-local&client_secret=sfkit-local-secret&username=admin%40sfkit.local&password=sfkit-local")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["access_token"].as_str().unwrap().to_owned()
        });
        Org { emulator, token }
    }

    /// `sfkit ARGS` against this org, with `stdin` as its standard input.
    fn sfkit_with(&self, dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut child = crate::common::sfkit_command()
            .args(args)
            .env("SFKIT_DATA_DIR", dir.join("data"))
            .env("TMPDIR", dir.join("tmp"))
            .env("SF_INSTANCE_URL", &self.emulator.url)
            .env("SF_ACCESS_TOKEN", &self.token)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    fn sfkit(&self, dir: &Path, args: &[&str]) -> Output {
        self.sfkit_with(dir, args, None)
    }

    /// API requests the org has left today; reading it costs one.
    fn remaining(&self) -> u64 {
        runtime().block_on(async {
            let v: Value = reqwest::Client::new()
                .get(format!("{}/services/data/v66.0/limits", self.emulator.url))
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["DailyApiRequests"]["Remaining"].as_u64().unwrap()
        })
    }

    /// API requests `f` made.
    fn calls<T>(&self, f: impl FnOnce() -> T) -> (T, u64) {
        let before = self.remaining();
        let out = f();
        let after = self.remaining();
        (out, before - after - 1)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    // The bare reqwest client here needs rustls's provider chosen for the process.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn work(tag: &str) -> Dir {
    let d = Dir::new(tag);
    std::fs::create_dir_all(d.0.join("tmp")).unwrap();
    d
}

fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Piped stderr carries sentences, no progress display: no carriage returns, no escapes.
fn assert_quiet(o: &Output) {
    let e = err(o);
    assert!(
        !e.contains('\r') && !e.contains('\x1b'),
        "progress noise on a pipe: {e:?}"
    );
}

/// A CSV file as rows of cells, header first.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// `rows` Accounts of industry `industry`; every `bad_every`th has no name (Salesforce refuses
/// it), and row 7 has a comma, quotes and a line break in its description.
fn accounts(industry: &str, rows: usize, bad_every: usize) -> (String, BTreeSet<String>, usize) {
    let mut text = String::from("Name,Industry,Description,NumberOfEmployees\n");
    let (mut good, mut bad) = (BTreeSet::new(), 0);
    for i in 0..rows {
        if i % bad_every == bad_every - 1 {
            text.push_str(&format!(",{industry},nameless {i},{i}\n"));
            bad += 1;
            continue;
        }
        let name = format!("Bulk {industry} {i:05}");
        let description = if i == 7 {
            "\"says \"\"hi\"\", twice\nand again\"".to_owned()
        } else {
            format!("row {i}")
        };
        text.push_str(&format!("{name},{industry},{description},{i}\n"));
        good.insert(name);
    }
    (text, good, bad)
}

#[test]
fn a_load_of_20000_rows_reports_every_row_and_exports_back() {
    let org = Org::start();
    let d = work("bulk-load");
    let (text, good, bad) = accounts("BulkTwenty", 20_000, 5_000);
    assert_eq!(bad, 4);
    let file = d.0.join("accounts.csv");
    std::fs::write(&file, &text).unwrap();
    let results = d.0.join("results");
    let (o, calls) = org.calls(|| {
        org.sfkit(
            &d.0,
            &[
                "bulk",
                "load",
                "Account",
                file.to_str().unwrap(),
                "--results",
                results.to_str().unwrap(),
            ],
        )
    });
    // Refused rows are Salesforce's answer: exit 3, every one of them named.
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("20000 rows processed in job 750")
            && e.contains("19996 succeeded (19996 created), 4 failed, 0 unprocessed"),
        "{e}"
    );
    let failed_lines: Vec<&str> = e.lines().filter(|l| l.starts_with("  failed ")).collect();
    assert_eq!(failed_lines.len(), 4, "{e}");
    assert!(
        failed_lines
            .iter()
            .all(|l| l.contains("REQUIRED_FIELD_MISSING") && l.contains("Description=nameless")),
        "{e}"
    );
    assert_quiet(&o);
    assert!(out(&o).is_empty(), "stdout stays empty: {}", out(&o));
    // Create, upload, close, status checks, then the two result files that hold rows: the
    // unprocessed rows are known to be none without asking. (The bench counts exactly.)
    assert!(calls <= 20, "{calls} API calls");
    check_the_20000_row_result_files(&results, &good);
    check_the_20000_rows_export_back(&org, &d.0, &good);
}

/// The result files of the 20,000-row load: every good row once, the 4 bad ones, none
/// unprocessed.
fn check_the_20000_row_result_files(results: &Path, good: &BTreeSet<String>) {
    let ok = read_csv(&results.join("successful.csv"));
    assert_eq!(
        ok[0],
        [
            "sf__Id",
            "sf__Created",
            "Name",
            "Industry",
            "Description",
            "NumberOfEmployees"
        ]
    );
    assert_eq!(ok.len(), 1 + 19_996);
    assert!(
        ok[1..]
            .iter()
            .all(|r| r[0].starts_with("001") && r[1] == "true")
    );
    let names: BTreeSet<String> = ok[1..].iter().map(|r| r[2].clone()).collect();
    assert_eq!(&names, good, "every good row once");
    let seven = ok.iter().find(|r| r[2] == "Bulk BulkTwenty 00007").unwrap();
    assert_eq!(seven[4], "says \"hi\", twice\nand again");
    let failed = read_csv(&results.join("failed.csv"));
    assert_eq!(failed.len(), 1 + 4);
    assert_eq!(failed[0][..2], ["sf__Id", "sf__Error"]);
    for r in &failed[1..] {
        assert_eq!(r[0], "", "a failed insert has no id");
        assert_eq!(
            r[1],
            "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"
        );
        assert!(r[4].starts_with("nameless "), "{r:?}");
    }
    let unprocessed = read_csv(&results.join("unprocessed.csv"));
    assert_eq!(
        unprocessed,
        [["Name", "Industry", "Description", "NumberOfEmployees"]]
    );
}

/// Export what was loaded: every good row, cells intact, to a file and to a pipe.
fn check_the_20000_rows_export_back(org: &Org, dir: &Path, good: &BTreeSet<String>) {
    let exported = dir.join("exported.csv");
    let soql =
        "SELECT Name, Description, NumberOfEmployees FROM Account WHERE Industry = 'BulkTwenty'";
    let o = org.sfkit(
        dir,
        &[
            "bulk",
            "export",
            soql,
            "--output",
            exported.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        err(&o).contains("sfkit: 19996 records exported"),
        "{}",
        err(&o)
    );
    assert_quiet(&o);
    let rows = read_csv(&exported);
    assert_eq!(rows[0], ["Name", "Description", "NumberOfEmployees"]);
    let names: BTreeSet<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(&names, good);
    let seven = rows
        .iter()
        .find(|r| r[0] == "Bulk BulkTwenty 00007")
        .unwrap();
    assert_eq!(seven[1..], ["says \"hi\", twice\nand again", "7"]);
    let piped = org.sfkit(dir, &["bulk", "export", soql]);
    assert_eq!(piped.status.code(), Some(0), "{}", err(&piped));
    assert_eq!(out(&piped), std::fs::read_to_string(&exported).unwrap());
    assert_quiet(&piped);
}

#[test]
fn updates_from_stdin_and_json_output() {
    let org = Org::start();
    let d = work("bulk-stdin");
    let (text, _, _) = accounts("BulkStdin", 40, 40);
    let o = org.sfkit_with(
        &d.0,
        &["bulk", "load", "Account", "-", "--json"],
        Some(text.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(3), "one nameless row: {}", err(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(
        (v["processed"].as_u64(), v["successful"].as_u64()),
        (Some(40), Some(39))
    );
    assert_eq!(v["created"], 39);
    assert_eq!(v["unprocessed"], 0);
    assert_eq!(v["failed"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["failed"][0]["errors"][0]["errorCode"],
        "REQUIRED_FIELD_MISSING"
    );
    assert_eq!(v["failed"][0]["row"]["Description"], "nameless 39");
    assert!(v["jobs"][0].as_str().unwrap().starts_with("750"));
    // The spooled copy of standard input is gone.
    assert_eq!(std::fs::read_dir(d.0.join("tmp")).unwrap().count(), 0);

    // Update what was loaded: ids from an export, a new description each; nothing is created.
    let ids = org.sfkit(
        &d.0,
        &[
            "bulk",
            "export",
            "SELECT Id FROM Account WHERE Industry = 'BulkStdin'",
        ],
    );
    let mut update = String::from("Id,Description\n");
    for id in out(&ids).lines().skip(1) {
        update.push_str(&format!("{id},updated\n"));
    }
    let o = org.sfkit_with(
        &d.0,
        &["bulk", "load", "Account", "-", "--operation", "update"],
        Some(update.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        err(&o).contains("39 succeeded (0 created), 0 failed, 0 unprocessed"),
        "{}",
        err(&o)
    );
    let check = org.sfkit(
        &d.0,
        &[
            "bulk",
            "export",
            "SELECT Description FROM Account WHERE Industry = 'BulkStdin'",
        ],
    );
    assert_eq!(out(&check).lines().filter(|l| *l == "updated").count(), 39);
}

#[test]
fn a_failed_job_is_a_clear_error_and_unloadable_files_cost_no_call() {
    let org = Org::start();
    let d = work("bulk-fail");
    let file = d.0.join("bad.csv");
    std::fs::write(&file, "Name,Nope__c\nA,1\nB,2\n").unwrap();
    let results = d.0.join("results");
    let o = org.sfkit(
        &d.0,
        &[
            "bulk",
            "load",
            "Account",
            file.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("sfkit: BULK_JOB_FAILED: Bulk API job 750")
            && e.contains("is Failed: InvalidBatch : Field name not found : Nope__c"),
        "{e}"
    );
    assert!(
        !e.contains("rows processed"),
        "no summary of a job that failed: {e}"
    );
    // What the org kept is written, with the file's own columns.
    assert_eq!(
        read_csv(&results.join("failed.csv")),
        [["sf__Id", "sf__Error", "Name", "Nope__c"]]
    );
    let o = org.sfkit(
        &d.0,
        &["bulk", "load", "Account", file.to_str().unwrap(), "--json"],
    );
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["error"]["code"], "BULK_JOB_FAILED", "{v}");

    // Files that cannot load are refused before any request: exit 2.
    for (name, content, why) in [
        ("empty.csv", "", "empty"),
        ("header.csv", "Name,Industry\n", "no rows"),
        ("open.csv", "Name\n\"A\n", "never closed"),
    ] {
        let path = d.0.join(name);
        std::fs::write(&path, content).unwrap();
        let (o, calls) =
            org.calls(|| org.sfkit(&d.0, &["bulk", "load", "Account", path.to_str().unwrap()]));
        assert_eq!(o.status.code(), Some(2), "{name}: {}", err(&o));
        assert!(err(&o).contains(why), "{name}: {}", err(&o));
        assert_eq!(calls, 0, "{name}");
    }
}

/// On a terminal, stderr shows the load's progress; `script` gives the binary one.
#[test]
fn a_terminal_shows_progress() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` to give the binary a terminal");
        return;
    }
    let org = Org::start();
    let d = work("bulk-tty");
    let (text, _, _) = accounts("BulkTty", 3_000, 1_000);
    let file = d.0.join("a.csv");
    std::fs::write(&file, &text).unwrap();
    let command = format!(
        "{} bulk load Account {}",
        env!("CARGO_BIN_EXE_sfkit"),
        file.display()
    );
    let o = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("SFKIT_KEYRING", "off")
        .env("SFKIT_DATA_DIR", d.0.join("data"))
        .env("SF_INSTANCE_URL", &org.emulator.url)
        .env("SF_ACCESS_TOKEN", &org.token)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // The terminal's output: the progress display, then the summary.
    let screen = out(&o);
    assert_eq!(o.status.code(), Some(3), "{screen}");
    assert!(
        screen.contains("uploading") && screen.contains("rows uploaded ("),
        "the upload's progress: {screen:?}"
    );
    assert!(
        screen.contains("rows processed ("),
        "the job's progress: {screen:?}"
    );
    assert!(
        screen.contains("3000 rows processed in job 750") && screen.contains("3 failed"),
        "then the summary: {screen:?}"
    );
}
