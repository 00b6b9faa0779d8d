//! Running a query: the entry points the REST, composite and bulk handlers call, and the pages
//! they answer with. A query runs as one statement; the first batch of rows becomes JSON and
//! the rest are kept as row ids behind a query locator, fetched a batch at a time by a second
//! statement that joins on those ids.

use std::sync::Arc;

use rusqlite::{Connection, params_from_iter};
use serde_json::Value as Json;

use super::aggregate::aggregate;
use super::compile::Env;
use super::errors::{invalid_type, located, malformed, parse_error};
use super::limits::check_length;
use super::plan::{Plan, compile_query};
use super::plan_cache::PlanKey;
use super::shape::Shaper;
use crate::api_error::ApiError;
use crate::schema::Schema;

/// A batch of records as JSON text.
#[derive(Debug, Default)]
pub(crate) struct Records {
    /// A JSON array.
    pub(crate) json: String,
}

impl Records {
    /// The records as values, for answers that embed them in a larger document.
    pub(crate) fn into_values(self) -> Result<Vec<Json>, ApiError> {
        serde_json::from_str(&self.json).map_err(|e| {
            ApiError::new(
                500,
                "UNKNOWN_EXCEPTION",
                format!("query answer is not JSON: {e}"),
            )
        })
    }
}

/// The first batch of a query's answer.
pub(crate) struct FirstPage {
    pub(crate) total_size: usize,
    pub(crate) records: Records,
    /// Row ids of the records not yet returned.
    pub(crate) rest: Vec<i64>,
    pub(crate) plan: Option<Arc<Plan>>,
}

/// Child records past a parent's inline batch, to be kept behind a locator.
pub(crate) struct Overflow {
    pub(crate) plan: Arc<Plan>,
    pub(crate) rest: Vec<i64>,
    /// How many were inline.
    pub(crate) first: usize,
    pub(crate) total: usize,
}

/// Opens a locator for an [`Overflow`] and returns its id. Without one (`None`), child records
/// all come back inline.
pub(crate) type Locators<'a> = Option<&'a mut dyn FnMut(Overflow) -> String>;

/// Runs a query; `batch` is the page size.
pub(crate) fn execute(
    conn: &Connection,
    env: Env<'_>,
    soql: &str,
    batch: usize,
    version: &str,
    locators: Locators<'_>,
) -> Result<FirstPage, ApiError> {
    check_length(soql)?;
    run(conn, env, soql, batch, version, locators)
}

/// The column metadata of a query (`columns=true`), without running it.
pub(crate) fn columns(schema: &Schema, soql: &str) -> Result<Json, ApiError> {
    check_length(soql)?;
    super::columns::describe(schema, soql)
}

fn run(
    conn: &Connection,
    env: Env<'_>,
    soql: &str,
    batch: usize,
    version: &str,
    locators: Locators<'_>,
) -> Result<FirstPage, ApiError> {
    let key = env.plans.map(|cache| {
        let key = PlanKey {
            soql: soql.to_owned(),
            all_rows: env.all_rows,
            version: version.to_owned(),
            today: env.today,
        };
        (cache, key)
    });
    let compiled = match key.as_ref().and_then(|(cache, key)| cache.get(key)) {
        Some(compiled) => compiled,
        None => {
            let q = sfkit_soql::parse_query(soql).map_err(|e| parse_error(soql, &e))?;
            let compiled = match compile_query(env, soql, &q, version, None)? {
                Some(compiled) => Arc::new(compiled),
                None => {
                    let root = q.from.sobject.to_string();
                    let root = env
                        .schema
                        .get(&root)
                        .ok_or_else(|| located(soql, q.from.sobject.span(), invalid_type(&root)))?;
                    return aggregate(conn, env, soql, root, &q);
                }
            };
            if let Some((cache, key)) = key {
                cache.put(key, Arc::clone(&compiled));
            }
            compiled
        }
    };
    // Literals are bound parameters, so a query shape's SQL repeats: keep it prepared.
    let mut stmt = conn.prepare_cached(&compiled.sql)?;
    let mut rows = stmt.query(params_from_iter(compiled.params.iter()))?;
    let shaper = Shaper {
        conn,
        schema: env.schema,
        version,
    };
    let plan = &compiled.plan;
    let (records, rest, total) = shaper.page(plan, &mut rows, batch, locators)?;
    Ok(FirstPage {
        total_size: total,
        records,
        rest,
        plan: Some(Arc::clone(plan)),
    })
}

/// The records of one object a SOSL search matched: an FTS5 query over the search index.
pub(crate) struct SearchMatch<'a> {
    /// The FTS5 query (already checked to parse).
    pub(crate) matcher: &'a str,
    /// The object's API name, as the index keeps it.
    pub(crate) sobject: &'a str,
}

/// Runs a SOSL RETURNING spec, written as a SOQL query, over the records `found` matches. The
/// match is joined into the query's one statement, so the WHERE sees every match (not a first
/// few), nothing grows with the number of matches, and without an ORDER BY the best ranked
/// records come first (and are the ones LIMIT keeps).
pub(crate) fn search(
    conn: &Connection,
    env: Env<'_>,
    soql: &str,
    found: &SearchMatch<'_>,
    version: &str,
) -> Result<Records, ApiError> {
    check_length(soql)?;
    let q = sfkit_soql::parse_query(soql).map_err(|e| parse_error(soql, &e))?;
    let compiled = compile_query(env, soql, &q, version, Some(found))?
        .ok_or_else(|| malformed("aggregate functions are not allowed in a search"))?;
    let mut stmt = conn.prepare(&compiled.sql)?;
    let mut rows = stmt.query(params_from_iter(compiled.params.iter()))?;
    let shaper = Shaper {
        conn,
        schema: env.schema,
        version,
    };
    let (records, _, _) = shaper.page(&compiled.plan, &mut rows, usize::MAX, None)?;
    Ok(records)
}

/// Fetches a later batch by row ids.
pub(crate) fn fetch(
    conn: &Connection,
    schema: &Schema,
    plan: &Plan,
    rowids: &[i64],
    version: &str,
    locators: Locators<'_>,
) -> Result<Records, ApiError> {
    let ids = Json::from(rowids.to_vec()).to_string();
    let mut stmt = conn.prepare_cached(&plan.page_sql)?;
    let mut rows = stmt.query([ids])?;
    let shaper = Shaper {
        conn,
        schema,
        version,
    };
    let (records, _, _) = shaper.page(plan, &mut rows, usize::MAX, locators)?;
    Ok(records)
}
