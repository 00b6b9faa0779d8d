//! What the output looks like: tables measured in display columns and fitted to a terminal,
//! child records in every format, a query's pages streamed through, and `sfkit run` on a
//! terminal (key/value lines, tables, errors as sentences).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{Value, json};

use crate::common::Dir;
use crate::data::{err, json_ok, out, sfkit};

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
        let mut cmd = crate::common::sfkit_command();
        cmd.args(["query", soql])
            .env("SFKIT_DATA_DIR", &d.0)
            .env_remove("SF_INSTANCE_URL")
            .env_remove("SF_ACCESS_TOKEN");
        let t = crate::common::on_terminal(cmd, 60, false);
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
    let server = crate::common::PageServer::start(&records, 2_000);
    let run = |args: &[&str]| {
        crate::common::sfkit_command()
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
        let mut cmd = crate::common::sfkit_command();
        cmd.args(["query", soql, "--format", "json"])
            .env("SFKIT_DATA_DIR", &d.0)
            .env("SF_INSTANCE_URL", &server.url)
            .env("SF_ACCESS_TOKEN", "00Dtest!token");
        let t = crate::common::on_terminal(cmd, 100, true);
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
        let mut cmd = crate::common::sfkit_command();
        cmd.args(args)
            .env("SFKIT_DATA_DIR", &d.0)
            .env_remove("SF_INSTANCE_URL")
            .env_remove("SF_ACCESS_TOKEN");
        crate::common::on_terminal(cmd, 120, false)
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
