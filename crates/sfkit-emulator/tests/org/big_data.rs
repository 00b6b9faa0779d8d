//! Issue 10, "no 500 on big data": searches and queries whose size comes from the data or the
//! input (thousands of matches, long IN lists, many ORs, deep nesting, many bound values, long
//! LIKE patterns, wide SELECTs, many child subqueries, semi-joins over many values, long URLs)
//! either work or answer Salesforce's own limit error, never `500 UNKNOWN_EXCEPTION`.
//!
//! One org with 100,000 Accounts serves the whole file. Every Account's name holds the word
//! `Common`; one in twenty also holds `Quasar` (5,000), the rest `Nebula`; one in seven is in
//! the Energy industry. The first 2,000 Accounts have a Contact each. Statements longer than a
//! URL may carry go through the Composite API, as Salesforce recommends.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use std::sync::OnceLock;

use common::{Reply, TestOrg, data, form};
use reqwest::Method;
use serde_json::{Value, json};
use sfkit_emulator::OrgConfig;

const ACCOUNTS: usize = 100_000;
const CONTACTS: usize = 2_000;

/// A custom object with 21 lookups to Account: 21 child relationships on Account, one past
/// Salesforce's 20 child subqueries per query.
const PROBES: &str = r#"
[[object]]
name = "Probe__c"
prefix = "a0P"

[[object.fields]]
name = "Tags__c"
type = "multipicklist"
"#;

/// The picklist values of `Tags__c`: t0000 to t2999.
fn tag_values() -> String {
    let values: Vec<String> = (0..3000).map(|i| format!("\"t{i:04}\"")).collect();
    format!("values = [{}]\n", values.join(", "))
}

fn probe_schema() -> String {
    let mut s = PROBES.to_owned();
    s.push_str(&tag_values());
    for i in 1..=21 {
        s.push_str(&format!(
            "\n[[object.fields]]\nname = \"Account{i}__c\"\ntype = \"reference\"\nto = [\"Account\"]\nrelationship = \"Account{i}__r\"\nchildren = \"Probes{i}__r\"\n"
        ));
    }
    s
}

fn account_name(i: usize) -> String {
    let tag = if i.is_multiple_of(20) {
        "Quasar"
    } else {
        "Nebula"
    };
    format!("Common {tag} {i:06}")
}

fn is_energy(i: usize) -> bool {
    i.is_multiple_of(7)
}

struct Shared {
    rt: tokio::runtime::Runtime,
    t: TestOrg,
}

/// The org every test here shares, seeded once.
fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let t = rt.block_on(async {
            let t = TestOrg::start_with(OrgConfig::default().schema(probe_schema(), "probes.toml"))
                .await;
            let accounts: Vec<Value> = (0..ACCOUNTS)
                .map(|i| {
                    let mut a = json!({"Name": account_name(i), "NumberOfEmployees": i % 10});
                    if is_energy(i) {
                        a["Industry"] = json!("Energy");
                    }
                    a
                })
                .collect();
            let ids = t.seed("Account", accounts).await;
            let contacts: Vec<Value> = ids
                .iter()
                .take(CONTACTS)
                .enumerate()
                .map(|(i, id)| json!({"LastName": format!("Star {i:06}"), "AccountId": id}))
                .collect();
            t.seed("Contact", contacts).await;
            t.seed(
                "Probe__c",
                vec![
                    json!({"Name": "p1", "Tags__c": "t0001;t0002"}),
                    json!({"Name": "p2", "Tags__c": "t2999"}),
                    json!({"Name": "p3"}),
                ],
            )
            .await;
            t
        });
        Shared { rt, t }
    })
}

/// Runs a test body against the shared org.
fn with_org<F>(f: impl FnOnce(&'static TestOrg) -> F)
where
    F: std::future::Future<Output = ()>,
{
    let s = shared();
    s.rt.block_on(f(&s.t));
}

/// A query through the Composite API (its URL travels in the body, so it may be long): the
/// subrequest's status and body.
async fn composite_query(t: &TestOrg, soql: &str) -> (u64, Value) {
    let url = format!("{}?{}", data("/query"), form(&[("q", soql)]));
    let r = t
        .post(
            &data("/composite"),
            &json!({"compositeRequest": [{"method": "GET", "url": url, "referenceId": "r"}]}),
        )
        .await;
    let body = r.expect(200);
    let sub = &body["compositeResponse"][0];
    (sub["httpStatusCode"].as_u64().unwrap(), sub["body"].clone())
}

/// A query through the Composite API that must succeed.
async fn composite_ok(t: &TestOrg, soql: &str) -> Value {
    let (status, body) = composite_query(t, soql).await;
    assert_eq!(status, 200, "{}: {body}", &soql[..soql.len().min(200)]);
    body
}

/// The error code and message of a subrequest that must fail with 400.
async fn composite_error(t: &TestOrg, soql: &str) -> (String, String) {
    let (status, body) = composite_query(t, soql).await;
    assert_eq!(status, 400, "{}: {body}", &soql[..soql.len().min(200)]);
    let items = body.as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    (
        items[0]["errorCode"].as_str().unwrap().to_owned(),
        items[0]["message"].as_str().unwrap().to_owned(),
    )
}

async fn search(t: &TestOrg, sosl: &str) -> Reply {
    t.get(&format!("{}?{}", data("/search"), form(&[("q", sosl)])))
        .await
}

fn search_records(r: &Reply) -> Vec<Value> {
    let body = r.expect(200);
    body["searchRecords"].as_array().unwrap().clone()
}

/// Asserts an answer is not a server error and has Salesforce's shape.
fn not_a_server_error(r: &Reply, what: &str) {
    assert!(r.status < 500, "{what}: HTTP {} {}", r.status, r.text);
    let body = r.json();
    if r.status >= 400 {
        let items = body.as_array().unwrap_or_else(|| panic!("{what}: {body}"));
        assert!(
            items
                .iter()
                .all(|i| i["errorCode"].is_string() && i["message"].is_string()),
            "{what}: {body}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SOSL over thousands of matches
// ---------------------------------------------------------------------------------------------

#[test]
fn sosl_term_matching_thousands_with_a_where_answers_the_matching_records() {
    with_org(|t| async move {
        let r = search(
            t,
            "FIND {Quasar} IN NAME FIELDS RETURNING Account(Id, Name WHERE Industry = 'Energy')",
        )
        .await;
        let records = search_records(&r);
        let expected = (0..ACCOUNTS)
            .filter(|&i| i.is_multiple_of(20) && is_energy(i))
            .count();
        assert_eq!(records.len(), expected, "every Quasar Account in Energy");
        assert!(
            records
                .iter()
                .all(|a| a["Name"].as_str().unwrap().contains("Quasar"))
        );
    });
}

#[test]
fn sosl_where_filter_sees_every_match_not_only_the_best_ranked() {
    with_org(|t| async move {
        // 100,000 Accounts match `Common`; the WHERE picks one far from the best ranked 2,000.
        let last = account_name(ACCOUNTS - 1);
        let r = search(
            t,
            &format!("FIND {{Common}} RETURNING Account(Name WHERE Name = '{last}')"),
        )
        .await;
        let records = search_records(&r);
        assert_eq!(records.len(), 1, "{records:?}");
        assert_eq!(records[0]["Name"], last);
    });
}

#[test]
fn sosl_answers_at_most_2000_records_in_total() {
    with_org(|t| async move {
        let all = search_records(&search(t, "FIND {Common} RETURNING Account(Id)").await);
        assert_eq!(all.len(), 2000);
        let two = search_records(
            &search(
                t,
                "FIND {Common OR Star} RETURNING Account(Id), Contact(Id)",
            )
            .await,
        );
        assert_eq!(two.len(), 2000, "the cap is for the whole search");
        let limited =
            search_records(&search(t, "FIND {Common} RETURNING Account(Id LIMIT 10)").await);
        assert_eq!(limited.len(), 10);
        let overall =
            search_records(&search(t, "FIND {Common} RETURNING Account(Id) LIMIT 5").await);
        assert_eq!(overall.len(), 5);
        // OFFSET is at most 2,000.
        let at_limit = search(t, "FIND {Common} RETURNING Account(Id OFFSET 2000)").await;
        assert_eq!(at_limit.status, 200, "{}", at_limit.text);
        search(t, "FIND {Common} RETURNING Account(Id OFFSET 2001)")
            .await
            .expect_error(
                400,
                "INVALID_SEARCH",
                "SOSL offset should be between 0 to 2000",
            );
    });
}

#[test]
fn sosl_with_many_ors_is_not_a_server_error() {
    with_org(|t| async move {
        let words: Vec<String> = (0..1500).map(|i| format!("w{i:04}")).collect();
        let r = search(
            t,
            &format!("FIND {{{}}} RETURNING Account(Id)", words.join(" OR ")),
        )
        .await;
        not_a_server_error(&r, "1,500 ORs");
    });
}

// ---------------------------------------------------------------------------------------------
// NUL and control characters
// ---------------------------------------------------------------------------------------------

#[test]
fn nul_in_a_search_term_is_not_a_server_error() {
    with_org(|t| async move {
        for term in [
            "Qua\u{0}sar",
            "\u{0}Quasar",
            "Quasar\u{0}",
            "ab\u{1}cd",
            "ab\u{1f}\u{7f}cd",
        ] {
            let r = search(t, &format!("FIND {{{term}}} RETURNING Account(Id)")).await;
            not_a_server_error(&r, &format!("SOSL {term:?}"));
            let r = t
                .get(&format!(
                    "{}?{}",
                    data("/parameterizedSearch"),
                    form(&[("q", term), ("sobject", "Account")])
                ))
                .await;
            not_a_server_error(&r, &format!("parameterizedSearch GET {term:?}"));
            let r = t
                .post(
                    &data("/parameterizedSearch"),
                    &json!({"q": term, "sobjects": [{"name": "Account"}]}),
                )
                .await;
            not_a_server_error(&r, &format!("parameterizedSearch POST {term:?}"));
        }
    });
}

#[test]
fn nul_and_control_characters_in_soql_strings_are_not_a_server_error() {
    with_org(|t| async move {
        for literal in ["a\u{0}b", "\\u0000", "x\\u0001y", "\u{1}\u{1f}\u{7f}"] {
            for soql in [
                format!("SELECT Id FROM Account WHERE Name = '{literal}'"),
                format!("SELECT Id FROM Account WHERE Name LIKE '%{literal}%'"),
                format!("SELECT Id FROM Account WHERE Name IN ('{literal}', 'x')"),
            ] {
                let r = t.query(&soql).await;
                not_a_server_error(&r, &soql);
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Long SOQL
// ---------------------------------------------------------------------------------------------

#[test]
fn long_in_list_of_names_returns_the_named_records() {
    with_org(|t| async move {
        let names: Vec<String> = (0..4000)
            .map(|i| format!("'{}'", account_name(i * 3)))
            .collect();
        let soql = format!(
            "SELECT Id, Name FROM Account WHERE Name IN ({}) ORDER BY Name",
            names.join(",")
        );
        let body = composite_ok(t, &soql).await;
        assert_eq!(body["totalSize"], 4000);
    });
}

#[test]
fn in_list_of_forty_thousand_numbers_is_answered() {
    with_org(|t| async move {
        // More values than SQLite binds in one statement (32,766).
        let values = vec!["3"; 40_000].join(",");
        let soql = format!("SELECT COUNT() FROM Account WHERE NumberOfEmployees IN ({values})");
        let body = composite_ok(t, &soql).await;
        assert_eq!(body["totalSize"], ACCOUNTS / 10);
    });
}

#[test]
fn thousands_of_ors_are_answered() {
    with_org(|t| async move {
        let ors: Vec<String> = (0..3000)
            .map(|i| format!("Name = '{}'", account_name(i)))
            .collect();
        let soql = format!("SELECT COUNT() FROM Account WHERE {}", ors.join(" OR "));
        let body = composite_ok(t, &soql).await;
        assert_eq!(body["totalSize"], 3000);
        let ands: Vec<String> = (0..3000)
            .map(|_| "NumberOfEmployees = 4".to_owned())
            .collect();
        let soql = format!("SELECT COUNT() FROM Account WHERE {}", ands.join(" AND "));
        let body = composite_ok(t, &soql).await;
        assert_eq!(body["totalSize"], ACCOUNTS / 10);
    });
}

#[test]
fn deep_nesting_works_to_the_parsers_limit_and_is_refused_past_it() {
    with_org(|t| async move {
        let nested = |depth: usize| {
            format!(
                "SELECT COUNT() FROM Account WHERE {}NumberOfEmployees = 4{}",
                "(NOT (NOT ".repeat(depth / 2),
                "))".repeat(depth / 2)
            )
        };
        let body = composite_ok(t, &nested(60)).await;
        assert_eq!(body["totalSize"], ACCOUNTS / 10);
        let (code, _) = composite_error(t, &nested(2000)).await;
        assert_eq!(code, "MALFORMED_QUERY");
    });
}

#[test]
fn long_like_patterns_up_to_4000_characters_work_and_longer_are_refused() {
    with_org(|t| async move {
        let pattern = format!("%Common Quasar 000000%{}", "%".repeat(3978));
        assert_eq!(pattern.chars().count(), 4000);
        let soql = format!("SELECT COUNT() FROM Account WHERE Name LIKE '{pattern}'");
        let body = composite_ok(t, &soql).await;
        assert_eq!(body["totalSize"], 1);
        let long = "x".repeat(60_000);
        let (code, _) = composite_error(
            t,
            &format!("SELECT Id FROM Account WHERE Name LIKE '%{long}%'"),
        )
        .await;
        assert_eq!(code, "MALFORMED_QUERY");
        let (code, _) =
            composite_error(t, &format!("SELECT Id FROM Account WHERE Name = '{long}'")).await;
        assert_eq!(code, "MALFORMED_QUERY");
    });
}

#[test]
fn includes_and_picklist_sets_of_thousands_of_values_are_answered() {
    with_org(|t| async move {
        let tags: Vec<String> = (0..3000).map(|i| format!("'t{i:04}'")).collect();
        let soql = format!(
            "SELECT Name FROM Probe__c WHERE Tags__c INCLUDES ({}) ORDER BY Name",
            tags.join(",")
        );
        let body = composite_ok(t, &soql).await;
        assert_eq!(body["totalSize"], 2, "{body}");
        let soql = format!(
            "SELECT Name FROM Probe__c WHERE Tags__c EXCLUDES ({})",
            tags.join(",")
        );
        let body = composite_ok(t, &soql).await;
        assert_eq!(body["totalSize"], 1, "only the record without tags: {body}");
        // A set of 600 values, within the 4,000 characters of one string.
        let set: Vec<String> = (0..600).map(|i| format!("t{i:04}")).collect();
        let soql = format!(
            "SELECT COUNT() FROM Probe__c WHERE Tags__c = '{}' OR Tags__c = 't0002;t0001'",
            set.join(";")
        );
        let body = composite_ok(t, &soql).await;
        assert_eq!(body["totalSize"], 1, "{body}");
    });
}

#[test]
fn order_by_thousands_of_keys_is_refused_not_a_server_error() {
    with_org(|t| async move {
        let keys = vec!["Name"; 3000].join(", ");
        let (code, message) = composite_error(
            t,
            &format!("SELECT Id FROM Account ORDER BY {keys} LIMIT 1"),
        )
        .await;
        assert_eq!(code, "QUERY_TOO_COMPLICATED", "{message}");
    });
}

#[test]
fn wide_selects_are_answered() {
    with_org(|t| async move {
        let body = composite_ok(
            t,
            "SELECT FIELDS(ALL), Owner.Name, Owner.Email, CreatedBy.Name, LastModifiedBy.Name, \
             Parent.Name, Parent.Owner.Name, Parent.Parent.Name, Parent.Parent.Parent.Name \
             FROM Account LIMIT 200",
        )
        .await;
        assert_eq!(body["totalSize"], 200);
    });
}

#[test]
fn more_than_55_parent_relationships_are_refused_not_a_server_error() {
    with_org(|t| async move {
        // Distinct relationship paths up to five levels: far more tables than SQLite joins.
        let rels = ["Parent", "Owner", "CreatedBy", "LastModifiedBy"];
        let mut paths = Vec::new();
        for a in rels {
            for b in ["CreatedBy", "LastModifiedBy"] {
                for c in ["CreatedBy", "LastModifiedBy"] {
                    for d in ["CreatedBy", "LastModifiedBy"] {
                        paths.push(format!("{a}.{b}.{c}.{d}.Name"));
                    }
                }
            }
        }
        let soql = format!("SELECT {} FROM Account LIMIT 1", paths.join(", "));
        let (status, body) = composite_query(t, &soql).await;
        assert_eq!(status, 400, "{body}");
    });
}

#[test]
fn twenty_child_subqueries_work_and_the_21st_is_refused() {
    with_org(|t| async move {
        let subs = |n: usize| {
            (1..=n)
                .map(|i| format!("(SELECT Id FROM Probes{i}__r)"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let body = composite_ok(t, &format!("SELECT Id, {} FROM Account LIMIT 5", subs(20))).await;
        assert_eq!(body["totalSize"], 5);
        let (code, _) =
            composite_error(t, &format!("SELECT Id, {} FROM Account LIMIT 5", subs(21))).await;
        assert_eq!(code, "MALFORMED_QUERY");
    });
}

#[test]
fn semi_join_over_thousands_of_values_is_answered() {
    with_org(|t| async move {
        let names: Vec<String> = (0..CONTACTS).map(|i| format!("'Star {i:06}'")).collect();
        let soql = format!(
            "SELECT COUNT() FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName IN ({}))",
            names.join(",")
        );
        let body = composite_ok(t, &soql).await;
        assert_eq!(body["totalSize"], CONTACTS);
    });
}

#[test]
fn sixty_thousand_character_soql_through_composite_returns_the_records() {
    with_org(|t| async move {
        let mut names = Vec::new();
        let mut soql = String::new();
        for i in 0.. {
            names.push(format!("'{}'", account_name(i)));
            soql = format!(
                "SELECT Id, Name FROM Account WHERE Name IN ({}) ORDER BY Name",
                names.join(",")
            );
            if soql.len() >= 60_000 {
                break;
            }
        }
        let body = composite_ok(t, &soql).await;
        assert_eq!(body["totalSize"], names.len());
        // The first page holds 2,000 of them, the rest follow behind a locator.
        let mut expected: Vec<String> = (0..names.len()).map(account_name).collect();
        expected.sort();
        expected.truncate(2000);
        let got: Vec<String> = body["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, expected);
    });
}

#[test]
fn soql_longer_than_100000_characters_is_refused_as_salesforce_does() {
    with_org(|t| async move {
        let head = "SELECT Id FROM Account WHERE Name = '";
        let soql = format!("{head}{}'", "x".repeat(100_001 - head.len() - 1));
        assert_eq!(soql.len(), 100_001);
        let (code, message) = composite_error(t, &soql).await;
        assert_eq!(code, "MALFORMED_QUERY");
        assert_eq!(
            message,
            "SOQL statements can not be longer than 100000 characters."
        );
    });
}

// ---------------------------------------------------------------------------------------------
// SOQL Salesforce refuses
// ---------------------------------------------------------------------------------------------

#[test]
fn duplicate_field_selected_is_refused() {
    with_org(|t| async move {
        t.query("SELECT Id, Id FROM Account LIMIT 1")
            .await
            .expect_error(400, "INVALID_FIELD", "duplicate field selected: Id");
        t.query("SELECT Id, FIELDS(STANDARD) FROM Account LIMIT 1")
            .await
            .expect_error(400, "INVALID_FIELD", "duplicate field selected: Id");
    });
}

#[test]
fn semi_join_on_the_same_object_is_refused() {
    with_org(|t| async move {
        t.query("SELECT Id FROM Account WHERE Id IN (SELECT Id FROM Account)")
            .await
            .expect_error(
                400,
                "INVALID_QUERY_FILTER_OPERATOR",
                "The inner and outer selects should not be on the same object type",
            );
    });
}

#[test]
fn nested_semi_joins_are_refused() {
    with_org(|t| async move {
        t.query(
            "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact \
             WHERE Id IN (SELECT ContactId FROM Case))",
        )
        .await
        .expect_error(
            400,
            "INVALID_QUERY_FILTER_OPERATOR",
            "Nesting of semi join sub-selects is not supported",
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Request size
// ---------------------------------------------------------------------------------------------

#[test]
fn a_uri_over_16384_bytes_is_414_in_salesforce_shape() {
    with_org(|t| async move {
        // `1,` is four bytes in a URL (`1%2C`): the URIs are about `len` bytes long.
        let numbers = |len: usize| {
            format!(
                "SELECT Id FROM Account WHERE NumberOfEmployees IN ({})",
                vec!["1"; len / 4].join(",")
            )
        };
        for len in [16_400, 20_000, 60_000] {
            let soql = numbers(len);
            let r = t.query(&soql).await;
            let shown = &r.text[..r.text.len().min(300)];
            assert_eq!(r.status, 414, "{len}: {shown}");
            assert_eq!(r.json()[0]["errorCode"], "URI_TOO_LONG", "{len}: {shown}");
        }
        // Past 64 KiB no HTTP client library builds the request; the org's HTTP layer answers
        // 414 itself (without a body) to a raw one.
        let soql = numbers(70_000);
        let path = format!("{}?{}", data("/query"), form(&[("q", &soql)]));
        let head = raw_get(t, &path).await;
        assert!(head.starts_with("HTTP/1.1 414"), "{head}");
        // Under the cap, the same query is served.
        let r = t.query("SELECT Id FROM Account WHERE Name IN ('x')").await;
        assert_eq!(r.status, 200, "{}", r.text);
    });
}

/// Sends a GET over a plain TCP connection; returns the answer's status line.
async fn raw_get(t: &TestOrg, path: &str) -> String {
    use std::io::{Read, Write};
    let addr = t.org.url().trim_start_matches("http://").to_owned();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        t.token
    );
    tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(&addr).unwrap();
        conn.write_all(req.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = conn.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer);
        text.lines().next().unwrap_or_default().to_owned()
    })
    .await
    .unwrap()
}

#[test]
fn headers_over_16384_bytes_are_431_in_salesforce_shape() {
    with_org(|t| async move {
        let big = "v".repeat(9000);
        let r = t
            .send(
                Method::GET,
                &data("/limits"),
                Some(&format!("Bearer {}", t.token)),
                None,
                &[("X-One", big.as_str()), ("X-Two", big.as_str())],
            )
            .await;
        assert_eq!(r.status, 431, "{}", r.text);
        not_a_server_error(&r, "431");
        // Just under the limit is served.
        let small = "v".repeat(4000);
        let r = t
            .send(
                Method::GET,
                &data("/limits"),
                Some(&format!("Bearer {}", t.token)),
                None,
                &[("X-One", small.as_str()), ("X-Two", small.as_str())],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    });
}
