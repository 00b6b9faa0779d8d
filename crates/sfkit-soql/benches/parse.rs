//! Parser speed: a typical ~200-character query, a mix of real-world queries, and linearity in
//! statement length up to Salesforce's 100,000-character maximum.
//!
//! Run with `cargo bench -p sfkit-soql --bench parse`. Figures and how to read them are in
//! docs/benchmarks.md; compare ratios from one run, since the machines are shared and noisy.
#![allow(missing_docs)]
// A bench that silently timed the error path would report nonsense: stop instead.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sfkit_soql::{parse_query, parse_search};

/// About 200 characters: a relationship path, a child subquery, a date literal, ORDER BY, LIMIT.
const TYPICAL: &str = "SELECT Id, Name, Account.Name, (SELECT Id, Subject FROM Tasks WHERE Status = 'Open') \
FROM Contact WHERE Account.Industry = 'Technology' AND CreatedDate = LAST_N_DAYS:30 \
ORDER BY Name ASC NULLS LAST LIMIT 100";

/// Queries of the kinds integrations send, drawn from the shapes in the public corpora.
const MIX: &[&str] = &[
    "SELECT Id FROM User LIMIT 5",
    "SELECT Id, Name, BillingCity FROM Account WHERE Name LIKE 'Acme%' ORDER BY Name",
    "SELECT Id, Name, (SELECT Id, LastName FROM Contacts), (SELECT Id, Subject FROM Tasks) FROM Account WHERE Id = '001xx000003DGb2AAG'",
    "SELECT Id FROM Opportunity WHERE CloseDate >= LAST_N_DAYS:10 AND CloseDate <= TOMORROW AND CloseDate > 2010-11-05 AND CreatedDate < 2010-11-01T19:45:04Z",
    "SELECT LeadSource, COUNT(Name) cnt FROM Lead GROUP BY ROLLUP(LeadSource) HAVING COUNT(Name) > 100",
    "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity WHERE StageName = 'Closed Lost')",
    "SELECT TYPEOF What WHEN Account THEN Phone, NumberOfEmployees WHEN Opportunity THEN Amount, CloseDate ELSE Name, Email END FROM Event",
    "SELECT Id FROM Contact WHERE Languages__c INCLUDES ('English', 'Japanese') AND Certifications__c EXCLUDES ('Oracle')",
    "SELECT Name, StreetAddress__c FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') < 20 ORDER BY DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') DESC LIMIT 10",
    "SELECT CALENDAR_YEAR(CreatedDate) calYear, SUM(Amount) mySum FROM Opportunity GROUP BY CALENDAR_YEAR(CreatedDate)",
    TYPICAL,
];

const SEARCH: &str = "FIND {Acme* AND NOT \"Acme Labs\"} IN NAME FIELDS RETURNING Account(Id, Name WHERE Industry = 'Technology' ORDER BY Name LIMIT 10), Contact(Id, Email) WITH SNIPPET LIMIT 50";

/// A query of about `len` bytes: a long IN list, the usual way queries get big.
fn long_query(len: usize) -> String {
    let mut q = String::from("SELECT Id, Name FROM Account WHERE Id IN (");
    let mut i = 0u64;
    while q.len() + 40 < len {
        if i > 0 {
            q.push_str(", ");
        }
        q.push_str(&format!("'001{i:015}'"));
        i += 1;
    }
    q.push_str(") ORDER BY Name");
    q
}

/// A query of about `len` bytes: a long AND chain of comparisons on relationship paths.
fn long_condition(len: usize) -> String {
    let mut q = String::from("SELECT Id FROM Contact WHERE ");
    let mut i = 0u64;
    while q.len() + 60 < len {
        if i > 0 {
            q.push_str(" AND ");
        }
        q.push_str(&format!("Account.Field{i}__c != 'v{i}'"));
        i += 1;
    }
    q
}

fn bench(c: &mut Criterion) {
    for q in MIX {
        parse_query(q).expect("every benchmarked query parses");
    }
    parse_search(SEARCH).expect("the benchmarked search parses");
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(TYPICAL.len() as u64));
    g.bench_function("typical_200_chars", |b| {
        b.iter(|| parse_query(black_box(TYPICAL)))
    });
    let mix_bytes: usize = MIX.iter().map(|q| q.len()).sum();
    g.throughput(Throughput::Bytes(mix_bytes as u64));
    g.bench_function("corpus_mix_11_queries", |b| {
        b.iter(|| {
            for q in MIX {
                let _ = black_box(parse_query(black_box(q)));
            }
        })
    });
    g.throughput(Throughput::Bytes(SEARCH.len() as u64));
    g.bench_function("sosl_search", |b| {
        b.iter(|| parse_search(black_box(SEARCH)))
    });
    g.finish();

    let mut g = c.benchmark_group("linear");
    for len in [1_000usize, 10_000, 100_000] {
        for (shape, q) in [
            ("in_list", long_query(len)),
            ("and_chain", long_condition(len)),
        ] {
            parse_query(&q).expect("the long query parses");
            g.throughput(Throughput::Bytes(q.len() as u64));
            g.bench_with_input(BenchmarkId::new(shape, len), &q, |b, q| {
                b.iter(|| parse_query(black_box(q)))
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("print");
    let ast = parse_query(TYPICAL).expect("the typical query parses");
    g.bench_function("typical_200_chars", |b| {
        b.iter(|| black_box(&ast).to_string())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
