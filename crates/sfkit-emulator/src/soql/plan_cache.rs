//! Compiled queries by their text, so a repeated query skips parsing and planning.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use rusqlite::types::Value as Sql;

use super::Plan;

/// How many compiled queries a [`PlanCache`] keeps; past this it starts over.
pub(super) const PLAN_CACHE_SIZE: usize = 256;

/// Compiled queries by their text, so a query asked again (the usual case for an integration
/// polling the same shapes) skips parsing and compiling. Keyed by everything compiling reads
/// besides the schema, which is fixed for an org's life: the text, queryAll or not, the API
/// version, and today's date (relative date literals become bound dates).
#[derive(Debug, Default)]
pub(crate) struct PlanCache {
    map: Mutex<HashMap<PlanKey, Arc<Compiled>>>,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct PlanKey {
    pub(super) soql: String,
    pub(super) all_rows: bool,
    pub(super) version: String,
    pub(super) today: chrono::NaiveDate,
}

/// A non-aggregate query ready to run.
#[derive(Debug)]
pub(super) struct Compiled {
    pub(super) sql: String,
    pub(super) params: Vec<Sql>,
    pub(super) plan: Arc<Plan>,
}

impl PlanCache {
    pub(super) fn get(&self, key: &PlanKey) -> Option<Arc<Compiled>> {
        self.map.lock().get(key).cloned()
    }

    pub(super) fn put(&self, key: PlanKey, compiled: Arc<Compiled>) {
        let mut map = self.map.lock();
        if map.len() >= PLAN_CACHE_SIZE {
            map.clear();
        }
        map.insert(key, compiled);
    }
}
