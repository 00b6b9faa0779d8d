//! End-to-end tests of the `sfkit` binary: `soql fmt|parse` and `sosl fmt|parse` with a
//! statement argument or `-` for standard input, `--json`, `--apex` and `--comments`, `--help`,
//! and the exit codes: 0 on success, 2 with the positioned error (and a caret line) on stderr
//! and nothing on stdout when the statement does not parse or the arguments are wrong, 1 when
//! the input cannot be read.
// Test helpers outside #[test] functions report failures by panicking.
#![allow(clippy::expect_used)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::Value as Json;

/// Runs the built binary with `args`, feeding `stdin` (or nothing) to it.
fn sfkit(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfkit"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sfkit binary starts");
    {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        if let Some(bytes) = stdin {
            pipe.write_all(bytes).expect("writing to sfkit's stdin");
        }
    }
    child.wait_with_output().expect("sfkit runs to completion")
}

fn stdout(o: &Output) -> &str {
    std::str::from_utf8(&o.stdout).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> &str {
    std::str::from_utf8(&o.stderr).expect("stderr is UTF-8")
}

/// Asserts success and returns stdout.
fn ok(o: &Output) -> &str {
    assert_eq!(
        o.status.code(),
        Some(0),
        "expected success; stderr: {}",
        stderr(o)
    );
    assert_eq!(stderr(o), "", "nothing on stderr on success");
    stdout(o)
}

/// Asserts exit status 2, an empty stdout, and returns stderr.
fn parse_failure(o: &Output) -> &str {
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit status 2; stdout: {}; stderr: {}",
        stdout(o),
        stderr(o)
    );
    assert_eq!(stdout(o), "", "nothing on stdout when parsing fails");
    stderr(o)
}

fn json(o: &Output) -> Json {
    serde_json::from_str(ok(o)).expect("stdout is JSON")
}

#[test]
fn help_lists_the_commands() {
    let o = sfkit(&["--help"], None);
    let out = ok(&o);
    assert!(out.contains("Usage: sfkit [OPTIONS] <COMMAND>"), "{out}");
    for command in [
        "soql", "sosl", "emulator", "actions", "run", "query", "search", "describe", "limits",
    ] {
        assert!(
            out.contains(&format!("\n  {command} ")),
            "{command} in {out}"
        );
    }

    let o = sfkit(&["soql", "--help"], None);
    let out = ok(&o);
    assert!(
        out.contains("Usage: sfkit soql [OPTIONS] <COMMAND>"),
        "{out}"
    );
    assert!(out.contains("fmt") && out.contains("parse"), "{out}");

    let o = sfkit(&["soql", "parse", "--help"], None);
    let out = ok(&o);
    for flag in ["--json", "--apex", "--comments"] {
        assert!(out.contains(flag), "{flag} missing from {out}");
    }
}

#[test]
fn version() {
    let o = sfkit(&["--version"], None);
    assert_eq!(ok(&o), format!("sfkit {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_arguments_fail_with_usage_on_stderr() {
    for args in [
        &[][..],
        &["soql"][..],
        &["soql", "fmt"][..],
        &["soql", "fmt", "SELECT Id FROM Account", "--bogus"][..],
        &["sql", "fmt", "SELECT Id FROM Account"][..],
    ] {
        let o = sfkit(args, None);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?} should fail with status 2, a usage error"
        );
        assert_eq!(stdout(&o), "", "{args:?}");
        assert!(
            stderr(&o).contains("Usage: sfkit"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn soql_fmt_prints_canonical_text() {
    let o = sfkit(
        &[
            "soql",
            "fmt",
            "select id,name from account where name = 'O\\'Brien' and (industry='Tech' or industry = null) order by name desc nulls last limit 5",
        ],
        None,
    );
    assert_eq!(
        ok(&o),
        "SELECT id, name FROM account WHERE name = 'O\\'Brien' AND (industry = 'Tech' OR industry = NULL) ORDER BY name DESC NULLS LAST LIMIT 5\n"
    );
    // Multi-line input comes out on one line.
    let o = sfkit(
        &[
            "soql",
            "fmt",
            "SELECT Id,\n    Name\nFROM Contact\nWHERE CreatedDate = last_n_days:30",
        ],
        None,
    );
    assert_eq!(
        ok(&o),
        "SELECT Id, Name FROM Contact WHERE CreatedDate = LAST_N_DAYS:30\n"
    );
}

#[test]
fn soql_fmt_output_is_a_fixed_point() {
    let first = sfkit(
        &[
            "soql",
            "fmt",
            "select count() from contact where account.name like 'a%'",
        ],
        None,
    );
    let text = ok(&first).trim_end().to_owned();
    let second = sfkit(&["soql", "fmt", &text], None);
    assert_eq!(ok(&second).trim_end(), text);
}

#[test]
fn soql_parse_json() {
    let o = sfkit(
        &[
            "soql",
            "parse",
            "--json",
            "SELECT Id, COUNT(Name) n FROM Account a WHERE Name LIKE 'Ac%' GROUP BY Id ORDER BY Id LIMIT 5 OFFSET 1",
        ],
        None,
    );
    let v = json(&o);
    for key in [
        "select",
        "from",
        "usingScope",
        "where",
        "with",
        "groupBy",
        "having",
        "orderBy",
        "limit",
        "offset",
        "forClause",
        "update",
    ] {
        assert!(v.get(key).is_some(), "key {key} missing from {v}");
    }
    assert_eq!(v["from"]["sobject"], serde_json::json!(["Account"]));
    assert_eq!(v["from"]["alias"], "a");
    assert_eq!(v["select"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["select"][0]["type"], "expr");
    assert_eq!(v["select"][0]["expr"]["path"], serde_json::json!(["Id"]));
    assert_eq!(v["select"][1]["alias"], "n");
    assert_eq!(v["select"][1]["expr"]["function"], "COUNT");
    assert_eq!(v["where"]["type"], "predicate");
    assert_eq!(v["where"]["operands"]["type"], "like");
    assert_eq!(v["limit"], 5);
    assert_eq!(v["offset"], 1);
    assert_eq!(v["usingScope"], Json::Null);
    assert_eq!(v["with"], serde_json::json!([]));
}

#[test]
fn soql_parse_without_json_prints_the_tree() {
    let o = sfkit(&["soql", "parse", "SELECT Id FROM Account LIMIT 3"], None);
    let out = ok(&o);
    assert!(out.contains("Query"), "{out}");
    assert!(out.contains("\"Account\""), "{out}");
    assert!(out.contains("limit: Some("), "{out}");
    assert!(
        serde_json::from_str::<Json>(out).is_err(),
        "not JSON: {out}"
    );
}

#[test]
fn reads_the_statement_from_stdin() {
    let o = sfkit(
        &["soql", "fmt", "-"],
        Some(b"select id\nfrom account\nwhere name != null\n"),
    );
    assert_eq!(ok(&o), "SELECT id FROM account WHERE name != NULL\n");

    let o = sfkit(
        &["soql", "parse", "--json", "-"],
        Some(b"SELECT Id FROM Contact"),
    );
    assert_eq!(json(&o)["from"]["sobject"], serde_json::json!(["Contact"]));

    let o = sfkit(
        &["sosl", "fmt", "-"],
        Some(b"find {acme} returning account\n"),
    );
    assert_eq!(ok(&o), "FIND {acme} RETURNING account\n");
}

#[test]
fn bad_query_exits_2_with_positioned_error_on_stderr() {
    let o = sfkit(&["soql", "fmt", "SELECT Id FROM Account WHERE"], None);
    assert_eq!(
        parse_failure(&o),
        "Expected a field or function to compare, found end of input at line 1, column 29\n  SELECT Id FROM Account WHERE\n                              ^\n"
    );
    // parse --json fails the same way.
    let o = sfkit(
        &[
            "soql",
            "parse",
            "--json",
            "SELECT Id FROM Account WHERE A = 1 AND B = 2 OR C = 3",
        ],
        None,
    );
    let err = parse_failure(&o);
    assert!(
        err.starts_with("Expected AND or the end of the condition (AND and OR cannot be mixed without parentheses), found 'OR' at line 1, column 46\n"),
        "{err}"
    );
}

#[test]
fn bad_multiline_stdin_points_at_the_right_line() {
    let o = sfkit(
        &["soql", "fmt", "-"],
        Some(b"SELECT Id,\n Name\nFROM Account WHERE Name = \"x\"\n"),
    );
    assert_eq!(
        parse_failure(&o),
        "Expected a single-quoted string (SOQL has no double quotes), found '\"' at line 3, column 27\n  FROM Account WHERE Name = \"x\"\n                            ^\n"
    );
    // Empty input.
    let o = sfkit(&["soql", "fmt", "-"], Some(b""));
    assert_eq!(
        parse_failure(&o),
        "Expected SELECT, found end of input at line 1, column 1\n"
    );
}

#[test]
fn unreadable_stdin_exits_1() {
    let o = sfkit(&["soql", "fmt", "-"], Some(b"SELECT Id FROM \xff\xfe"));
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).starts_with("sfkit: reading the statement from standard input"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn sosl_fmt_and_parse() {
    let o = sfkit(
        &[
            "sosl",
            "fmt",
            "find {Acme* and not \"Acme Labs\"} in name fields returning Account(Id, Name where Industry = 'Tech' limit 10), Contact with snippet limit 50",
        ],
        None,
    );
    assert_eq!(
        ok(&o),
        "FIND {Acme* AND NOT \"Acme Labs\"} IN NAME FIELDS RETURNING Account(Id, Name WHERE Industry = 'Tech' LIMIT 10), Contact WITH SNIPPET LIMIT 50\n"
    );
    let o = sfkit(
        &[
            "sosl",
            "parse",
            "--json",
            "FIND {acme*} IN NAME FIELDS RETURNING Account(Name) LIMIT 5",
        ],
        None,
    );
    let v = json(&o);
    for key in ["find", "inFields", "returning", "with", "limit", "update"] {
        assert!(v.get(key).is_some(), "key {key} missing from {v}");
    }
    assert_eq!(v["find"]["form"], "braces");
    assert_eq!(v["inFields"], "NAME");
    assert_eq!(v["returning"][0]["sobject"], "Account");
    assert_eq!(v["limit"], 5);

    let o = sfkit(&["sosl", "fmt", "FIND {(Acme}"], None);
    assert_eq!(
        parse_failure(&o),
        "Expected ')' to close the group, found the end of the search at line 1, column 12\n  FIND {(Acme}\n             ^\n"
    );
}

#[test]
fn languages_are_not_mixed_up() {
    let o = sfkit(&["soql", "fmt", "FIND {Acme}"], None);
    assert!(parse_failure(&o).starts_with("Expected SELECT, found 'FIND' at line 1, column 1\n"));
    let o = sfkit(&["sosl", "fmt", "SELECT Id FROM Account"], None);
    assert!(parse_failure(&o).starts_with("Expected FIND, found 'SELECT' at line 1, column 1\n"));
}

#[test]
fn apex_flag_accepts_bind_variables() {
    let q = "select id from account where id in :ids limit :n";
    let o = sfkit(&["soql", "fmt", q], None);
    assert!(
        parse_failure(&o).starts_with(
            "Expected a literal value (Apex bind variables are not SOQL over the API), found ':' at line 1, column 36\n"
        ),
        "{}",
        stderr(&o)
    );
    let o = sfkit(&["soql", "fmt", "--apex", q], None);
    assert_eq!(ok(&o), "SELECT id FROM account WHERE id IN :ids LIMIT :n\n");
    let o = sfkit(
        &["sosl", "fmt", "--apex", "FIND :term RETURNING Account"],
        None,
    );
    assert_eq!(ok(&o), "FIND :term RETURNING Account\n");
}

#[test]
fn comments_flag_accepts_comments() {
    let q = "SELECT Id /* the id */ FROM Account // all of them";
    let o = sfkit(&["soql", "fmt", q], None);
    assert!(
        parse_failure(&o).starts_with("Expected a SOQL token, found '/' at line 1, column 11\n"),
        "{}",
        stderr(&o)
    );
    let o = sfkit(&["soql", "fmt", "--comments", q], None);
    assert_eq!(ok(&o), "SELECT Id FROM Account\n");
    // Both flags together, reading stdin.
    let o = sfkit(
        &["soql", "parse", "--json", "--apex", "--comments", "-"],
        Some(b"SELECT Id -- no\nFROM Account"),
    );
    parse_failure(&o);
    let o = sfkit(
        &["soql", "parse", "--json", "--apex", "--comments", "-"],
        Some(b"SELECT Id // yes\nFROM Account WHERE Id = :id"),
    );
    let v = json(&o);
    assert_eq!(v["where"]["operands"]["rhs"]["type"], "bind");
    assert_eq!(
        v["where"]["operands"]["rhs"]["value"],
        serde_json::json!(["id"])
    );
}

#[test]
fn every_command_has_examples_and_completions_exist() {
    for cmd in [
        &["run"][..],
        &["query"],
        &["search"],
        &["describe"],
        &["limits"],
        &["actions"],
        &["login"],
        &["logout"],
        &["emulator"],
        &["serve"],
        &["apikey"],
        &["mcp"],
        &["soql", "fmt"],
        &["soql", "parse"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let o = sfkit(&args, None);
        let out = ok(&o);
        assert!(
            out.contains("Example"),
            "{cmd:?} --help has examples: {out}"
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let o = sfkit(&["completions", shell], None);
        let out = ok(&o);
        assert!(out.contains("sfkit") && out.contains("query"), "{shell}");
        assert!(out.len() > 1000, "{shell}: {} bytes", out.len());
    }
}

/// `--json` means JSON output on every command, `run` included; `run`'s input is `--input`.
#[test]
fn run_takes_input_with_input_and_json_means_output() {
    let o = sfkit(&["run", "--help"], None);
    let out = ok(&o);
    assert!(out.contains("--input <JSON|@FILE|->"), "{out}");
    assert!(
        out.contains("--json") && out.contains("Print JSON"),
        "{out}"
    );
    assert!(out.contains("sfkit run updateAccount --input '{"), "{out}");
    assert!(
        !out.contains("--json '{"),
        "no example uses the old input flag: {out}"
    );
}

/// Regression: `sfkit actions --json | head -c 1` panicked on the closed pipe (exit 101 and a
/// backtrace). A reader that stops early ends the command quietly, with success.
#[test]
fn a_closed_stdout_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfkit"))
        .args(["actions", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sfkit binary starts");
    // Read one byte, then close the pipe: the rest (over 64 KB) cannot be written.
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 1];
    std::io::Read::read_exact(&mut out, &mut first).expect("a first byte");
    drop(out);
    let done = child.wait_with_output().expect("sfkit ends");
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    assert!(!stderr(&done).contains("panicked"), "{}", stderr(&done));
}
