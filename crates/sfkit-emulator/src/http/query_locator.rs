//! Query locators: what stands behind a query answer's `nextRecordsUrl`
//! (`/services/data/vNN.N/query/01g...-2000`), the query's plan and the row ids of the records
//! not yet returned. The REST query resources and composite subrequests open them; `query/{locator}`
//! reads the next page through them.
//!
//! Like Salesforce's, a locator belongs to the user who ran the query, lives
//! [`LOCATOR_TTL`] after its last use, and a user keeps at most [`LOCATORS_PER_USER`] open (the
//! oldest goes first). The org keeps row ids rather than rows: a later page shows the records as
//! they are when it is read.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::soql::{Overflow, Plan};

/// How long an idle locator lives.
const LOCATOR_TTL: Duration = Duration::from_secs(15 * 60);
/// Open locators per user; the oldest is dropped past this.
const LOCATORS_PER_USER: usize = 10;

/// An open query locator.
struct QueryLocator {
    plan: Arc<Plan>,
    /// Row ids of the records after the first page.
    rest: Vec<i64>,
    /// How many records the first page held.
    first: usize,
    total: usize,
    batch: usize,
    user_id: String,
    touched: Instant,
}

/// A later page of a locator: what to fetch and where the page after it starts.
pub(super) struct NextPage {
    pub(super) plan: Arc<Plan>,
    /// Row ids of this page's records.
    pub(super) ids: Vec<i64>,
    pub(super) total: usize,
    /// The offset the following page starts at (`total` when this is the last).
    pub(super) next: usize,
    pub(super) batch: usize,
}

/// The org's open locators, by id.
#[derive(Default)]
pub(crate) struct QueryLocators {
    open: Mutex<HashMap<String, QueryLocator>>,
}

impl QueryLocators {
    /// Keeps `locator` (first forgetting expired ones, and the user's oldest past the limit);
    /// its id.
    fn open(&self, locator: QueryLocator) -> String {
        let id = format!(
            "01g{}",
            &crate::ids::mint("01g", rand::random::<u32>().into())[3..15]
        );
        let mut open = self.open.lock();
        open.retain(|_, l| l.touched.elapsed() < LOCATOR_TTL);
        let mine: Vec<(String, Instant)> = open
            .iter()
            .filter(|(_, l)| l.user_id == locator.user_id)
            .map(|(k, l)| (k.clone(), l.touched))
            .collect();
        if let (true, Some((oldest, _))) = (
            mine.len() >= LOCATORS_PER_USER,
            mine.iter().min_by_key(|(_, t)| *t),
        ) {
            open.remove(oldest);
        }
        open.insert(id.clone(), locator);
        id
    }

    /// Keeps what a query's first page left out behind a new locator; the page's
    /// `nextRecordsUrl`, or `None` when the page held every record.
    pub(super) fn after_first_page(
        &self,
        plan: Option<Arc<Plan>>,
        rest: Vec<i64>,
        total: usize,
        batch: usize,
        user_id: &str,
        v: &str,
    ) -> Option<String> {
        let plan = plan.filter(|_| !rest.is_empty())?;
        let first = total - rest.len();
        let id = self.open(QueryLocator {
            plan,
            rest,
            first,
            total,
            batch,
            user_id: user_id.to_owned(),
            touched: Instant::now(),
        });
        Some(format!("/services/data/v{v}/query/{id}-{first}"))
    }

    /// The page of locator `id` that starts at `offset`, if the locator is `user_id`'s, still
    /// open, and has a page there.
    pub(super) fn page(&self, id: &str, user_id: &str, offset: usize) -> Option<NextPage> {
        let mut open = self.open.lock();
        let l = open
            .get_mut(id)
            .filter(|l| l.user_id == user_id && l.touched.elapsed() < LOCATOR_TTL)?;
        l.touched = Instant::now();
        if offset < l.first || offset > l.total {
            return None;
        }
        let start = offset - l.first;
        let end = (start + l.batch).min(l.rest.len());
        let ids: Vec<i64> = l
            .rest
            .get(start..end)
            .map(<[i64]>::to_vec)
            .unwrap_or_default();
        Some(NextPage {
            plan: Arc::clone(&l.plan),
            ids,
            total: l.total,
            next: offset + (end - start),
            batch: l.batch,
        })
    }

    /// Opens locators for child relationships with more records than fit in one answer; they
    /// page like the query's own locator.
    pub(super) fn for_children<'a>(
        &'a self,
        user_id: &'a str,
        batch: usize,
    ) -> impl FnMut(Overflow) -> String + 'a {
        move |o: Overflow| {
            self.open(QueryLocator {
                plan: o.plan,
                rest: o.rest,
                first: o.first,
                total: o.total,
                batch,
                user_id: user_id.to_owned(),
                touched: Instant::now(),
            })
        }
    }
}
