//! `--seed demo`: a realistic, deterministic sample org.
//!
//! 300 accounts with two to four contacts each, leads in every status, opportunities across
//! every stage, tasks and cases. The same seed gives the same records (names, amounts, dates) on
//! every machine: a fixed pseudo-random sequence and fixed dates, nothing from the clock.

use serde_json::{Map, Value as Json, json};

use crate::api_error::ApiError;
use crate::store::{ADMIN_USERNAME, Actor, Batch, Store, WriteOptions};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or_default()
    }
}

const NAMES: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Cyberdyne",
    "Tyrell",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Pied Piper",
    "Aperture",
    "Black Mesa",
    "Massive Dynamic",
    "Oscorp",
    "Gringotts",
    "Monarch",
    "Blue Sun",
];
const SUFFIXES: &[&str] = &[
    "Corp",
    "Labs",
    "Group",
    "Holdings",
    "Industries",
    "Partners",
    "Systems",
    "Logistics",
    "Foods",
    "Energy",
    "Health",
    "Media",
    "Capital",
    "Works",
    "Retail",
];
const INDUSTRIES: &[&str] = &[
    "Technology",
    "Banking",
    "Manufacturing",
    "Healthcare",
    "Retail",
    "Energy",
    "Media",
    "Education",
    "Transportation",
    "Consulting",
];
const TYPES: &[&str] = &[
    "Customer - Direct",
    "Customer - Channel",
    "Prospect",
    "Partner",
    "Other",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("San Francisco", "CA", "USA"),
    ("New York", "NY", "USA"),
    ("Austin", "TX", "USA"),
    ("Chicago", "IL", "USA"),
    ("Seattle", "WA", "USA"),
    ("Boston", "MA", "USA"),
    ("London", "", "United Kingdom"),
    ("Paris", "", "France"),
    ("Berlin", "", "Germany"),
    ("Tokyo", "", "Japan"),
    ("Toronto", "ON", "Canada"),
    ("Sydney", "NSW", "Australia"),
];
const FIRST: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Katherine",
    "Edsger",
    "Sophie",
    "Guido",
    "Hedy",
    "Donald",
    "Anita",
    "Niklaus",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "McCarthy",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "Dijkstra",
    "Wilson",
    "van Rossum",
    "Lamarr",
    "Knuth",
    "Borg",
    "Wirth",
];
const TITLES: &[&str] = &[
    "CEO",
    "CTO",
    "VP Sales",
    "Director of Operations",
    "Procurement Manager",
    "Engineer",
    "Analyst",
    "Head of IT",
];
const SOURCES: &[&str] = &[
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
];
const LEAD_STATUSES: &[&str] = &[
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
];
const STAGES: &[&str] = &[
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
];
const TASK_SUBJECTS: &[&str] = &["Call", "Send Quote", "Send Letter", "Follow up", "Demo"];
const TASK_STATUSES: &[&str] = &[
    "Not Started",
    "In Progress",
    "Completed",
    "Waiting on someone else",
    "Deferred",
];
const CASE_SUBJECTS: &[&str] = &[
    "Cannot log in",
    "Invoice question",
    "Feature request",
    "Outage report",
    "Shipping delay",
    "Integration error",
];
const CASE_STATUSES: &[&str] = &["New", "Working", "Escalated", "Closed"];

fn map(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(m) => m,
        _ => Map::new(),
    }
}

/// A date `days` after 2026-01-01 (fixed, so the sample never changes).
fn date(days: usize) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    (base + chrono::Days::new(days as u64))
        .format("%Y-%m-%d")
        .to_string()
}

/// Loads the demo sample unless the org already holds it.
pub(crate) fn demo(store: &Store) -> Result<(), ApiError> {
    if store.meta("seeded")?.as_deref() == Some("demo") {
        return Ok(());
    }
    let admin = store
        .user_id(ADMIN_USERNAME)?
        .ok_or_else(ApiError::not_found)?;
    let actor = Actor {
        user_id: admin,
        read_only: false,
    };
    store.write_batch(|b| {
        load(b, &actor)?;
        b.set_meta("seeded", "demo")
    })
}

fn load(b: &mut Batch<'_>, actor: &Actor) -> Result<(), ApiError> {
    let mut rng = Rng(0x5F4B_4954_0001);
    let opts = WriteOptions::default();
    for i in 0..300 {
        let company = format!(
            "{} {}",
            NAMES.get(i % NAMES.len()).unwrap_or(&"Acme"),
            SUFFIXES
                .get(i / NAMES.len() % SUFFIXES.len())
                .unwrap_or(&"Corp")
        );
        let (city, state, country) = CITIES
            .get(rng.below(CITIES.len()))
            .copied()
            .unwrap_or(("Austin", "TX", "USA"));
        let domain: String = company
            .to_ascii_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let account = b.insert(actor, "Account", &map(json!({
            "Name": company, "Industry": rng.pick(INDUSTRIES), "Type": rng.pick(TYPES),
            "BillingCity": city, "BillingState": if state.is_empty() { Json::Null } else { json!(state) },
            "BillingCountry": country, "Phone": format!("+1 555 01{:02}", i % 100),
            "Website": format!("https://www.{domain}.example"),
            "AnnualRevenue": (rng.below(500) + 1) as f64 * 100_000.0,
            "NumberOfEmployees": rng.below(5000) + 10,
        })), opts)?;
        for c in 0..(2 + rng.below(3)) {
            let first = rng.pick(FIRST);
            let last = rng.pick(LAST);
            let contact = b.insert(actor, "Contact", &map(json!({
                "FirstName": first, "LastName": last, "AccountId": account, "Title": rng.pick(TITLES),
                "Email": format!("{}.{}{}@{domain}.example", first.to_ascii_lowercase(), last.to_ascii_lowercase().replace(' ', ""), c),
                "Phone": format!("+1 555 02{:02}", (i + c) % 100), "LeadSource": rng.pick(SOURCES),
                "MailingCity": city, "MailingCountry": country,
            })), opts)?;
            if rng.below(3) == 0 {
                b.insert(actor, "Task", &map(json!({
                    "Subject": rng.pick(TASK_SUBJECTS), "WhoId": contact, "WhatId": account,
                    "Status": rng.pick(TASK_STATUSES), "Priority": if rng.below(4) == 0 { "High" } else { "Normal" },
                    "ActivityDate": date(rng.below(365)),
                })), opts)?;
            }
        }
        for o in 0..(1 + rng.below(2)) {
            let stage = rng.pick(STAGES);
            b.insert(actor, "Opportunity", &map(json!({
                "Name": format!("{company} - Deal {}", o + 1), "AccountId": account, "StageName": stage,
                "CloseDate": date(rng.below(365)), "Amount": (rng.below(200) + 1) as f64 * 1_000.0,
                "LeadSource": rng.pick(SOURCES), "Type": if o == 0 { "New Customer" } else { "Existing Customer - Upgrade" },
            })), opts)?;
        }
        if i % 3 == 0 {
            b.insert(actor, "Case", &map(json!({
                "Subject": rng.pick(CASE_SUBJECTS), "AccountId": account, "Status": rng.pick(CASE_STATUSES),
                "Priority": rng.pick(&["High", "Medium", "Low"]), "Origin": rng.pick(&["Phone", "Email", "Web"]),
            })), opts)?;
        }
    }
    for i in 0..160 {
        let first = rng.pick(FIRST);
        let last = rng.pick(LAST);
        let company = format!("{} {}", rng.pick(LAST), rng.pick(SUFFIXES));
        b.insert(actor, "Lead", &map(json!({
            "FirstName": first, "LastName": last, "Company": company,
            "Status": LEAD_STATUSES.get(i % LEAD_STATUSES.len()).copied().unwrap_or("Open - Not Contacted"),
            "Email": format!("{}.{}@lead{i}.example", first.to_ascii_lowercase(), last.to_ascii_lowercase().replace(' ', "")),
            "LeadSource": rng.pick(SOURCES), "Industry": rng.pick(INDUSTRIES), "Title": rng.pick(TITLES),
            "City": CITIES.get(i % CITIES.len()).map(|c| c.0),
        })), opts)?;
    }
    Ok(())
}
