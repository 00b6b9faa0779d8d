//! A property: paging through any listing (random filters, order, direction and page size),
//! following only the cursor, gives every matching record exactly once and nothing else, and
//! every page reports the listing's true total. The oracle is the seeded data itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use sfkit_actions::{Catalog, Ctx, Cursors};
use sfkit_client::Client;
use sfkit_client::auth::Password;
use sfkit_emulator::store::{Actor, WriteOptions};
use sfkit_emulator::{
    ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, Org, OrgConfig, OrgHandle, PASSWORD,
};

const INDUSTRIES: [Option<&str>; 4] = [Some("Banking"), Some("Retail"), Some("Energy"), None];
const TYPES: [Option<&str>; 3] = [Some("Customer"), Some("Partner"), None];
const NAMES: [&str; 6] = ["Alpha", "beta", "Gamma Co", "ALPHA beta", "Delta", "gamma"];
const CONTAINS: [&str; 5] = ["alpha", "Beta", "a", "co", "zz"];

struct Seeded {
    id: String,
    name: String,
    industry: Option<&'static str>,
    kind: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct Listing {
    industry: Option<&'static str>,
    kind: Option<&'static str>,
    contains: Option<&'static str>,
    order: &'static str,
    desc: bool,
    limit: u64,
}

fn listings() -> impl Strategy<Value = Listing> {
    (
        prop::option::of(prop::sample::select(&["Banking", "Retail", "Energy"][..])),
        prop::option::of(prop::sample::select(&["Customer", "Partner"][..])),
        prop::option::of(prop::sample::select(&CONTAINS[..])),
        prop::sample::select(&["name", "annualRevenue", "createdDate", "id"][..]),
        any::<bool>(),
        1u64..80,
    )
        .prop_map(|(industry, kind, contains, order, desc, limit)| Listing {
            industry,
            kind,
            contains,
            order,
            desc,
            limit,
        })
}

impl Listing {
    fn input(&self) -> Value {
        let mut m = Map::new();
        if let Some(i) = self.industry {
            m.insert("industry".into(), json!(i));
        }
        if let Some(t) = self.kind {
            m.insert("type".into(), json!(t));
        }
        if let Some(c) = self.contains {
            m.insert("nameContains".into(), json!(c));
        }
        m.insert("orderBy".into(), json!(self.order));
        m.insert(
            "orderDirection".into(),
            json!(if self.desc { "desc" } else { "asc" }),
        );
        m.insert("limit".into(), json!(self.limit));
        Value::Object(m)
    }

    fn matches(&self, r: &Seeded) -> bool {
        self.industry.is_none_or(|i| r.industry == Some(i))
            && self.kind.is_none_or(|t| r.kind == Some(t))
            && self
                .contains
                .is_none_or(|c| r.name.to_lowercase().contains(&c.to_lowercase()))
    }
}

#[test]
fn paging_any_listing_gives_every_matching_record_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (org, seeded) = rt.block_on(seed_600_accounts());
    let client = Client::builder()
        .token_source(
            Password::new(CLIENT_ID, CLIENT_SECRET, ADMIN_USERNAME, PASSWORD).login_url(org.url()),
        )
        .build()
        .unwrap();
    let ctx = Ctx {
        client,
        cursors: Cursors::ephemeral("property"),
    };
    let catalog = Catalog::new();

    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&listings(), |listing| {
            rt.block_on(async {
                let want: HashSet<&str> = seeded
                    .iter()
                    .filter(|r| listing.matches(r))
                    .map(|r| r.id.as_str())
                    .collect();
                let mut page = catalog
                    .run(&ctx, "listAccounts", &listing.input())
                    .await
                    .map_err(|e| TestCaseError::fail(format!("{e}")))?;
                let mut seen: Vec<String> = Vec::new();
                let mut pages = 0u64;
                loop {
                    pages += 1;
                    prop_assert_eq!(page["totalSize"].as_u64(), Some(want.len() as u64));
                    let records = page["records"].as_array().unwrap();
                    prop_assert!(records.len() as u64 <= listing.limit);
                    seen.extend(records.iter().map(|r| r["Id"].as_str().unwrap().to_owned()));
                    let Some(cursor) = page["nextCursor"].as_str() else {
                        prop_assert_eq!(&page["done"], &json!(true));
                        break;
                    };
                    prop_assert_eq!(
                        records.len() as u64,
                        listing.limit,
                        "only the last page is short"
                    );
                    prop_assert!(pages <= 700, "runaway paging");
                    page = catalog
                        .run(&ctx, "listAccounts", &json!({"cursor": cursor}))
                        .await
                        .map_err(|e| TestCaseError::fail(format!("{e}")))?;
                }
                let unique: HashSet<&str> = seen.iter().map(String::as_str).collect();
                prop_assert_eq!(unique.len(), seen.len(), "a record came twice");
                prop_assert_eq!(unique, want, "exactly the matching records");
                Ok(())
            })
        })
        .unwrap();
    rt.block_on(org.shutdown());
}

/// A local org with 600 accounts over a few industries, types, names and revenues (many ties,
/// and nulls, to page across), and what was seeded.
async fn seed_600_accounts() -> (OrgHandle, Vec<Seeded>) {
    let org = Org::start(OrgConfig::default()).await.unwrap();
    let store = org.store();
    let actor = Actor {
        user_id: store.user_id(ADMIN_USERNAME).unwrap().unwrap(),
        read_only: false,
    };
    let mut seeded = Vec::new();
    store
        .write_batch(|b| {
            for i in 0..600usize {
                let industry = INDUSTRIES[i % 4];
                let kind = TYPES[(i / 4) % 3];
                // Few names and revenues: many ties, and nulls, to page across.
                let name = format!("{} {}", NAMES[i % 6], i % 7);
                let revenue = if i % 5 == 0 {
                    Value::Null
                } else {
                    json!((i % 9) * 1000)
                };
                let fields = json!({"Name": name, "Industry": industry, "Type": kind, "AnnualRevenue": revenue});
                let id = b.insert(
                    &actor,
                    "Account",
                    fields.as_object().unwrap(),
                    WriteOptions::default(),
                )?;
                seeded.push(Seeded {
                    id,
                    name,
                    industry,
                    kind,
                });
            }
            Ok(())
        })
        .unwrap();
    (org, seeded)
}
