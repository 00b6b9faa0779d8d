//! SOQL execution: parse with sfkit-soql, compile to SQLite ([`compile`]), run, and write the
//! rows as Salesforce's JSON ([`json`]). A query runs as one statement; the first batch of rows
//! becomes JSON and the rest are kept as row ids behind a query locator, fetched a batch at a
//! time by a second statement that joins on those ids. Child subqueries run as one statement
//! per batch of parents; a parent's children past [`CHILD_BATCH`] go behind a locator of their
//! own, as Salesforce pages them.

mod columns;
mod compile;
pub(crate) mod dates;
mod json;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, Rows, params_from_iter};
use serde_json::Value as Json;
use sfkit_soql::{
    Expr, FieldsGroup, GroupByKind, NullsOrder, OrderByItem, Query, RowCount, SelectItem,
    SortDirection,
};

pub(crate) use compile::Env;
use compile::{Compiler, Out, invalid_type, malformed};
use json::{finish, open_record, push_key, push_string, push_value, record_head, text, text_bytes};

use crate::api_error::ApiError;
use crate::schema::{FieldType, SObjectType, Schema};

/// How many of one parent's child records a query answer holds inline; the rest follow through
/// the child relationship's own `nextRecordsUrl`. UNVERIFIED: Salesforce documents no number;
/// users report child results cut at 499 records with a locator ending `-499` (jsforce issue 577,
/// simple-salesforce issue 311).
pub(crate) const CHILD_BATCH: usize = 499;

/// A compiled query, kept behind a locator to fetch later batches.
#[derive(Debug)]
pub(crate) struct Plan {
    root: String,
    /// `SELECT rowid, cols FROM json_each(?1) ... ORDER BY p.key`.
    page_sql: String,
    ncols: usize,
    out: Vec<Out>,
    children: Vec<ChildPlan>,
}

#[derive(Debug)]
struct ChildPlan {
    /// `SELECT parent id, rowid, cols ... WHERE parent IN json_each(?N)`.
    sql: String,
    params: Vec<Sql>,
    limit: Option<u64>,
    /// The child records' own plan, for their locators.
    page: Arc<Plan>,
}

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

/// Mean radius of the Earth in kilometres (IUGG). UNVERIFIED: Salesforce does not document the
/// model its DISTANCE() uses; a sphere of this radius is within 0.5% of the ellipsoid.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Registers the SQL functions compiled queries call, on every connection:
/// `sfkit_distance(lat1, lon1, lat2, lon2, km_per_unit)`, the haversine great-circle distance
/// in the unit (null when any input is null). SQLite evaluates it inside the statement.
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "sfkit_distance",
        5,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let mut v = [0.0f64; 5];
            for (i, slot) in v.iter_mut().enumerate() {
                match ctx.get::<Option<f64>>(i)? {
                    Some(x) => *slot = x,
                    None => return Ok(None),
                }
            }
            let [lat1, lon1, lat2, lon2, per_unit] = v;
            let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
            let dp = (lat2 - lat1).to_radians();
            let dl = (lon2 - lon1).to_radians();
            let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            let km = 2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin();
            Ok(Some(km / per_unit))
        },
    )
}

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
    run(conn, env, soql, batch, version, locators).map_err(|e| locate(soql, e))
}

/// The column metadata of a query (`columns=true`), without running it.
pub(crate) fn columns(schema: &Schema, soql: &str) -> Result<Json, ApiError> {
    check_length(soql)?;
    columns::describe(schema, soql).map_err(|e| locate(soql, e))
}

/// Salesforce refuses a statement over 100,000 characters before reading it, in these words
/// (captured with the limit at 20,000: "MALFORMED_QUERY: SOQL statements can not be longer than
/// 20000 characters.", RoseSilverSoftware/IlluminatedCloud issue 466).
fn check_length(soql: &str) -> Result<(), ApiError> {
    let max = sfkit_soql::MAX_QUERY_LENGTH;
    if soql.len() > max && soql.chars().count() > max {
        return Err(malformed(format!(
            "SOQL statements can not be longer than {max} characters."
        )));
    }
    Ok(())
}

/// Salesforce's cap on child subqueries (parent-to-child relationships) in one query.
const MAX_CHILD_SUBQUERIES: usize = 20;

/// SQLite's cap on a statement's bound parameters (SQLITE_MAX_VARIABLE_NUMBER).
const MAX_SQL_PARAMS: usize = 32_766;

/// A compiled statement's parameters must fit SQLite's cap. Long lists travel as one JSON
/// parameter, so only a statement of tens of thousands of separate comparisons gets here.
fn check_params(n: usize) -> Result<(), ApiError> {
    if n > MAX_SQL_PARAMS {
        return Err(compile::too_complicated(&format!(
            "it compares {n} separate values, at most {MAX_SQL_PARAMS} can be compared"
        )));
    }
    Ok(())
}

/// UNVERIFIED wording: Salesforce documents the cap of 20 (relationship query limitations),
/// not the error's text.
fn check_child_subqueries(q: &Query) -> Result<(), ApiError> {
    let n = q
        .select
        .iter()
        .filter(|i| matches!(i, SelectItem::SubQuery { .. }))
        .count();
    if n > MAX_CHILD_SUBQUERIES {
        return Err(malformed(format!(
            "SOQL statements cannot query more than {MAX_CHILD_SUBQUERIES} parent-to-child relationships, this one queries {n}"
        )));
    }
    Ok(())
}

/// Selecting the same field twice: Salesforce's words and code, from the SOQL reference's
/// FIELDS() section (`SELECT Id, FIELDS(ALL) FROM User LIMIT 200` answers
/// `[{"message": "duplicate field selected: Id", "errorCode": "INVALID_FIELD"}]`).
fn duplicate_field(name: &str) -> ApiError {
    ApiError::bad_request("INVALID_FIELD", format!("duplicate field selected: {name}"))
}

/// Salesforce prefixes a query's name errors with the query, a caret under the offending name
/// and its row and column. The tree keeps no positions, so the name quoted in the message is
/// found in the text (its first whole-word occurrence).
fn locate(soql: &str, mut e: ApiError) -> ApiError {
    if !matches!(e.code(), "INVALID_FIELD" | "INVALID_TYPE") {
        return e;
    }
    let Some(item) = e.items.first_mut() else {
        return e;
    };
    if item.message.starts_with('\n') {
        return e;
    }
    let name = quoted_name(&item.message).to_ascii_lowercase();
    let lower = soql.to_ascii_lowercase();
    let is_word = |b: Option<u8>| b.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_');
    let at = (!name.is_empty())
        .then(|| {
            lower.match_indices(&name).map(|(i, _)| i).find(|&i| {
                !is_word(
                    i.checked_sub(1)
                        .and_then(|j| lower.as_bytes().get(j).copied()),
                ) && !is_word(lower.as_bytes().get(i + name.len()).copied())
            })
        })
        .flatten();
    let Some(at) = at else { return e };
    let before = soql.get(..at).unwrap_or_default();
    let row = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    let line = soql
        .get(line_start..)
        .and_then(|l| l.lines().next())
        .unwrap_or_default();
    item.message = format!(
        "\n{line}\n{}^\nERROR at Row:{row}:Column:{column}\n{}",
        " ".repeat(column - 1),
        item.message
    );
    e
}

/// The first `'Name'` in a message: an identifier between single quotes (so the apostrophe of
/// "Didn't" is not taken for one).
fn quoted_name(message: &str) -> &str {
    let bytes = message.as_bytes();
    let mut i = 0;
    while let Some(start) = message.get(i..).and_then(|m| m.find('\'')).map(|p| p + i) {
        let name_end = message
            .get(start + 1..)
            .and_then(|m| m.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
            .map(|p| p + start + 1);
        match name_end {
            Some(end) if end > start + 1 && bytes.get(end) == Some(&b'\'') => {
                return message.get(start + 1..end).unwrap_or_default();
            }
            _ => i = start + 1,
        }
    }
    ""
}

/// How many compiled queries a [`PlanCache`] keeps; past this it starts over.
const PLAN_CACHE_SIZE: usize = 256;

/// Compiled queries by their text, so a query asked again (the usual case for an integration
/// polling the same shapes) skips parsing and compiling. Keyed by everything compiling reads
/// besides the schema, which is fixed for an org's life: the text, queryAll or not, the API
/// version, and today's date (relative date literals become bound dates).
#[derive(Debug, Default)]
pub(crate) struct PlanCache {
    map: Mutex<HashMap<PlanKey, Arc<Compiled>>>,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct PlanKey {
    soql: String,
    all_rows: bool,
    version: String,
    today: chrono::NaiveDate,
}

/// A non-aggregate query ready to run.
#[derive(Debug)]
struct Compiled {
    sql: String,
    params: Vec<Sql>,
    plan: Arc<Plan>,
}

impl PlanCache {
    fn get(&self, key: &PlanKey) -> Option<Arc<Compiled>> {
        let map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(key).cloned()
    }

    fn put(&self, key: PlanKey, compiled: Arc<Compiled>) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= PLAN_CACHE_SIZE {
            map.clear();
        }
        map.insert(key, compiled);
    }
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
            let compiled = match compile_query(env, &q, version, None)? {
                Some(compiled) => Arc::new(compiled),
                None => {
                    let root = q.from.sobject.to_string();
                    let root = env.schema.get(&root).ok_or_else(|| invalid_type(&root))?;
                    return aggregate(conn, env, root, &q);
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
    let run = || {
        check_length(soql)?;
        let q = sfkit_soql::parse_query(soql).map_err(|e| parse_error(soql, &e))?;
        let compiled = compile_query(env, &q, version, Some(found))?
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
    };
    run().map_err(|e| locate(soql, e))
}

/// Compiles a query; `None` for an aggregate query, which runs by [`aggregate`]. With `found`,
/// the query is restricted to a search's matches, ranked.
fn compile_query(
    env: Env<'_>,
    q: &Query,
    version: &str,
    found: Option<&SearchMatch<'_>>,
) -> Result<Option<Compiled>, ApiError> {
    let name = q.from.sobject.to_string();
    let root = env.schema.get(&name).ok_or_else(|| invalid_type(&name))?;
    if let Some(RowCount::Literal(n)) = q.offset
        && n > 2000
    {
        return Err(ApiError::bad_request(
            "NUMBER_OUTSIDE_VALID_RANGE",
            format!("Maximum SOQL offset allowed is 2000, but was {n}"),
        ));
    }
    if q.is_aggregate() {
        return Ok(None);
    }
    check_child_subqueries(q)?;
    let mut c = Compiler::new(env, root, q.from.alias.as_deref(), "t");
    let root_alias = c.root_alias();
    c.push_column(format!("{root_alias}.\"Id\""));
    let mut out = Vec::new();
    let mut children = Vec::new();
    for item in &q.select {
        select_item(&mut c, &mut out, &mut children, item, q, version)?;
    }
    let mut wheres = Vec::new();
    if !env.all_rows {
        wheres.push(format!("{root_alias}.\"IsDeleted\" = 0"));
    }
    if let Some(w) = &q.where_clause {
        wheres.push(c.condition(w, false)?);
    }
    let mut order = order_by(&mut c, &q.order_by, false)?;
    c.check_joins()?;
    let cols = c.columns.join(", ");
    let from = c.tables_sql();
    // A search's matches join as a table of their own; only the first statement has them (a
    // search answers in one batch, so the plan's paging statement never needs them).
    let mut from_here = from.clone();
    if let Some(found) = found {
        let (m, o) = (
            c.bind(Sql::Text(found.matcher.to_owned())),
            c.bind(Sql::Text(found.sobject.to_owned())),
        );
        from_here.push_str(&format!(
            " JOIN (SELECT record_id, rank FROM search_index WHERE search_index MATCH {m} AND sobject = {o}) AS sr ON sr.record_id = {root_alias}.\"Id\""
        ));
        if order.is_empty() {
            order = "sr.rank".to_owned();
        }
    }
    check_params(c.params.len())?;
    let mut sql = format!("SELECT {root_alias}.rowid, {cols} FROM {from_here}");
    if !wheres.is_empty() {
        sql.push_str(&format!(" WHERE {}", wheres.join(" AND ")));
    }
    // Without ORDER BY the order is SQLite's (Salesforce promises none either); sorting by row
    // id would cost a temporary B-tree whenever an index other than the table's serves the
    // filter. Paging stays stable: the remaining row ids are kept in the order first read.
    if !order.is_empty() {
        sql.push_str(&format!(" ORDER BY {order}, {root_alias}.rowid"));
    }
    push_limits(&mut sql, q)?;
    let plan = Arc::new(Plan {
        root: root.name.clone(),
        page_sql: page_sql(root, &root_alias, &cols, &from),
        ncols: c.columns.len(),
        out,
        children,
    });
    Ok(Some(Compiled {
        sql,
        params: c.params,
        plan,
    }))
}

/// The statement that fetches a later batch of a query's records by row id, in the ids' order.
fn page_sql(root: &SObjectType, alias: &str, cols: &str, from: &str) -> String {
    let page_from = from.replacen(
        &format!("{} {alias}", root.table()),
        &format!(
            "json_each(?1) AS p JOIN {} {alias} ON {alias}.rowid = p.value",
            root.table()
        ),
        1,
    );
    format!("SELECT {alias}.rowid, {cols} FROM {page_from} ORDER BY p.key")
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

fn push_limits(sql: &mut String, q: &Query) -> Result<(), ApiError> {
    match &q.limit {
        Some(RowCount::Literal(n)) => sql.push_str(&format!(" LIMIT {n}")),
        Some(RowCount::Bind(_)) => {
            return Err(malformed("bind variables are not SOQL over the API"));
        }
        None if q.offset.is_some() => sql.push_str(" LIMIT -1"),
        None => {}
    }
    match &q.offset {
        Some(RowCount::Literal(n)) => sql.push_str(&format!(" OFFSET {n}")),
        Some(RowCount::Bind(_)) => {
            return Err(malformed("bind variables are not SOQL over the API"));
        }
        None => {}
    }
    Ok(())
}

/// MALFORMED_QUERY in Salesforce's layout: the query, a caret, the row and column.
pub(crate) fn parse_error(soql: &str, e: &sfkit_soql::Error) -> ApiError {
    let line = soql
        .lines()
        .nth(e.line.saturating_sub(1) as usize)
        .unwrap_or("");
    let pad = " ".repeat(e.column.saturating_sub(1) as usize);
    malformed(format!(
        "\n{line}\n{pad}^\nERROR at Row:{}:Column:{}\nunexpected token: {} (expected {})",
        e.line, e.column, e.found, e.expected
    ))
}

fn order_by(
    c: &mut Compiler<'_>,
    items: &[OrderByItem],
    aggregates_ok: bool,
) -> Result<String, ApiError> {
    let mut parts = Vec::new();
    for item in items {
        let (sql, _, _) = c.expr(&item.expr, aggregates_ok)?;
        let dir = match item.direction {
            Some(SortDirection::Desc) => " DESC",
            _ => " ASC",
        };
        let nulls = match (item.nulls, item.direction) {
            (Some(NullsOrder::First), _) => " NULLS FIRST",
            (Some(NullsOrder::Last), _) => " NULLS LAST",
            (None, Some(SortDirection::Desc)) => " NULLS LAST",
            (None, _) => " NULLS FIRST",
        };
        parts.push(format!("{sql}{dir}{nulls}"));
    }
    Ok(parts.join(", "))
}

/// Adds one SELECT item's columns and output nodes.
fn select_item(
    c: &mut Compiler<'_>,
    out: &mut Vec<Out>,
    children: &mut Vec<ChildPlan>,
    item: &SelectItem,
    q: &Query,
    version: &str,
) -> Result<(), ApiError> {
    match item {
        SelectItem::Expr {
            expr: Expr::Field { path },
            ..
        } => {
            let r = c.resolve(path)?;
            let (field_name, kind, sql, chain) =
                (r.field.name.clone(), r.field.kind, r.sql, r.chain);
            let col = c.push_column(sql);
            let mut level = out;
            for index in chain {
                let Some(join) = c.join(index) else { continue };
                let key = join.relationship.clone();
                let pos = level
                    .iter()
                    .position(|o| matches!(o, Out::Parent { key: k, .. } if *k == key));
                let pos = match pos {
                    Some(p) => p,
                    None => {
                        let id_col = c.push_column(c.join_id_sql(index));
                        level.push(Out::Parent {
                            key,
                            id_col,
                            items: Vec::new(),
                        });
                        level.len() - 1
                    }
                };
                level = match level.get_mut(pos) {
                    Some(Out::Parent { items, .. }) => items,
                    _ => return Err(malformed("internal: parent node")),
                };
            }
            if level
                .iter()
                .any(|o| matches!(o, Out::Column { key, .. } if *key == field_name))
            {
                return Err(duplicate_field(&path.to_string()));
            }
            level.push(Out::Column {
                key: field_name,
                col,
                kind,
            });
        }
        SelectItem::Expr {
            expr: Expr::Call(call),
            alias,
        } => {
            // toLabel, FORMAT and convertCurrency show the field's own value under its name.
            let (sql, kind, field) = c.expr(&Expr::Call(call.clone()), false)?;
            let key = alias
                .clone()
                .or_else(|| field.map(|f| f.name.clone()))
                .unwrap_or_else(|| "expr0".into());
            // Two items under one key would be one JSON key twice.
            if out
                .iter()
                .any(|o| matches!(o, Out::Column { key: k, .. } if *k == key))
            {
                return Err(duplicate_field(&key));
            }
            let col = c.push_column(sql);
            out.push(Out::Column { key, col, kind });
        }
        SelectItem::Expr {
            expr: Expr::Literal { .. },
            ..
        } => return Err(malformed("unexpected literal in SELECT")),
        SelectItem::Fields { group } => {
            if matches!(group, FieldsGroup::All | FieldsGroup::Custom)
                && !matches!(q.limit, Some(RowCount::Literal(n)) if n <= 200)
            {
                return Err(malformed(
                    "The SOQL FIELDS function must have a LIMIT defined; FIELDS(ALL) and FIELDS(CUSTOM) need LIMIT 200 or less",
                ));
            }
            let root = c.root;
            let alias = c.root_alias();
            for f in &root.fields {
                let custom = f.name.ends_with("__c");
                let wanted = match group {
                    FieldsGroup::All => true,
                    FieldsGroup::Standard => !custom,
                    FieldsGroup::Custom => custom,
                };
                if !wanted {
                    continue;
                }
                if out
                    .iter()
                    .any(|o| matches!(o, Out::Column { key, .. } if *key == f.name))
                {
                    return Err(duplicate_field(&f.name));
                }
                let col = c.push_column(format!("{alias}.\"{}\"", f.name));
                out.push(Out::Column {
                    key: f.name.clone(),
                    col,
                    kind: f.kind,
                });
            }
        }
        SelectItem::SubQuery { query } => {
            let plan = child_plan(c.env, c.root, query, version)?;
            if out
                .iter()
                .any(|o| matches!(o, Out::Child { key, .. } if *key == plan.0))
            {
                return Err(duplicate_field(&plan.0));
            }
            out.push(Out::Child {
                key: plan.0,
                index: children.len(),
            });
            children.push(plan.1);
        }
        SelectItem::TypeOf(t) => {
            // Resolving `rel.Id` creates the join with one alias per possible target type.
            let probe = sfkit_soql::FieldPath {
                segments: vec![t.relationship.clone(), "Id".into()],
            };
            let r = c.resolve(&probe)?;
            let index = *r
                .chain
                .last()
                .ok_or_else(|| malformed("TYPEOF needs a relationship"))?;
            let join = c
                .join(index)
                .cloned()
                .ok_or_else(|| malformed("TYPEOF needs a relationship"))?;
            if join.targets.len() < 2 {
                return Err(malformed(format!(
                    "TYPEOF can only be used on a polymorphic relationship, not {}",
                    t.relationship
                )));
            }
            let id_col = c.push_column(c.join_id_sql(index));
            let schema = c.env.schema;
            let column_for = |c: &mut Compiler<'_>,
                              targets: &[(String, String)],
                              path: &sfkit_soql::FieldPath| {
                let name = path.field();
                let mut exprs = Vec::new();
                let mut found = None;
                for (alias, ty) in targets {
                    if let Some(f) = schema.get(ty).and_then(|o| o.field(name)) {
                        found.get_or_insert((f.name.clone(), f.kind));
                        exprs.push(format!("{alias}.\"{}\"", f.name));
                    }
                }
                let (field, kind) =
                    found.ok_or_else(|| compile::no_such_column(name, &t.relationship))?;
                let sql = if exprs.len() == 1 {
                    exprs.concat()
                } else {
                    format!("COALESCE({})", exprs.join(", "))
                };
                Ok::<Out, ApiError>(Out::Column {
                    key: field,
                    col: c.push_column(sql),
                    kind,
                })
            };
            let mut branches = Vec::new();
            for w in &t.whens {
                let target: Vec<(String, String)> = join
                    .targets
                    .iter()
                    .filter(|(_, ty)| ty.eq_ignore_ascii_case(&w.sobject))
                    .cloned()
                    .collect();
                if target.is_empty() {
                    return Err(malformed(format!(
                        "{} is not a type {} can refer to",
                        w.sobject, t.relationship
                    )));
                }
                let items = w
                    .fields
                    .iter()
                    .map(|f| column_for(c, &target, f))
                    .collect::<Result<Vec<_>, _>>()?;
                branches.push((
                    target.first().map(|(_, ty)| ty.clone()).unwrap_or_default(),
                    items,
                ));
            }
            let else_items = match &t.else_fields {
                Some(fields) => fields
                    .iter()
                    .map(|f| column_for(c, &join.targets, f))
                    .collect::<Result<Vec<_>, _>>()?,
                None => Vec::new(),
            };
            out.push(Out::TypeOf {
                key: join.relationship.clone(),
                id_col,
                branches,
                else_items,
            });
        }
    }
    Ok(())
}

/// A subquery's FROM that names no child relationship of the parent.
pub(crate) fn child_relationship_error(rel_name: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_TYPE",
        format!(
            "Didn't understand relationship '{rel_name}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

fn child_plan(
    env: Env<'_>,
    parent: &SObjectType,
    q: &Query,
    version: &str,
) -> Result<(String, ChildPlan), ApiError> {
    let rel_name = q.from.sobject.field();
    let rel = parent
        .child_relationship(rel_name)
        .ok_or_else(|| child_relationship_error(rel_name))?;
    let child = env
        .schema
        .get(&rel.child)
        .ok_or_else(|| invalid_type(&rel.child))?;
    let mut c = Compiler::new(env, child, q.from.alias.as_deref(), "c");
    let alias = c.root_alias();
    c.push_column(format!("{alias}.\"Id\""));
    let mut out = Vec::new();
    let mut nested = Vec::new();
    for item in &q.select {
        if matches!(item, SelectItem::SubQuery { .. }) {
            return Err(malformed(
                "nested child subqueries are not supported by the local org yet",
            ));
        }
        select_item(&mut c, &mut out, &mut nested, item, q, version)?;
    }
    let mut wheres = Vec::new();
    if !env.all_rows {
        wheres.push(format!("{alias}.\"IsDeleted\" = 0"));
    }
    if let Some(w) = &q.where_clause {
        wheres.push(c.condition(w, false)?);
    }
    let order = order_by(&mut c, &q.order_by, false)?;
    c.check_joins()?;
    check_params(c.params.len() + 1)?;
    let ids_param = c.params.len() + 1;
    wheres.push(format!(
        "{alias}.\"{}\" IN (SELECT value FROM json_each(?{ids_param}))",
        rel.field
    ));
    let cols = c.columns.join(", ");
    let from = c.tables_sql();
    let sql = format!(
        "SELECT {alias}.\"{}\", {alias}.rowid, {cols} FROM {from} WHERE {} ORDER BY {}",
        rel.field,
        wheres.join(" AND "),
        if order.is_empty() {
            format!("{alias}.rowid")
        } else {
            format!("{order}, {alias}.rowid")
        }
    );
    let limit = match q.limit {
        Some(RowCount::Literal(n)) => Some(n),
        _ => None,
    };
    let page = Arc::new(Plan {
        root: child.name.clone(),
        page_sql: page_sql(child, &alias, &cols, &from),
        ncols: c.columns.len(),
        out,
        children: Vec::new(),
    });
    Ok((
        rel.name.clone(),
        ChildPlan {
            sql,
            params: c.params,
            limit,
            page,
        },
    ))
}

/// One result row's values by output column (column 0 is the record's Id).
trait Values {
    fn value(&self, col: usize) -> ValueRef<'_>;
}

impl Values for [Sql] {
    fn value(&self, col: usize) -> ValueRef<'_> {
        self.get(col).map_or(ValueRef::Null, ValueRef::from)
    }
}

/// A row being stepped, whose first `skip` columns are not output columns.
struct Stepped<'a, 'b> {
    row: &'a rusqlite::Row<'b>,
    skip: usize,
}

impl Values for Stepped<'_, '_> {
    fn value(&self, col: usize) -> ValueRef<'_> {
        self.row.get_ref(col + self.skip).unwrap_or(ValueRef::Null)
    }
}

/// Writes result rows as Salesforce's JSON records.
struct Shaper<'a> {
    conn: &'a Connection,
    schema: &'a Schema,
    version: &'a str,
}

impl Shaper<'_> {
    /// Writes up to `batch` records from `rows` (whose column 0 is the row id) and returns them
    /// with the row ids past the batch and the total row count. Without child subqueries each
    /// record is written as its row is stepped; with them, the batch's rows are kept until the
    /// children of the whole batch are in.
    fn page(
        &self,
        plan: &Plan,
        rows: &mut Rows<'_>,
        batch: usize,
        mut locators: Locators<'_>,
    ) -> Result<(Records, Vec<i64>, usize), ApiError> {
        let mut json = Vec::with_capacity(4096);
        json.push(b'[');
        let head = record_head(&plan.root, self.version);
        let mut len = 0usize;
        let mut kept: Vec<Vec<Sql>> = Vec::new();
        let mut rest = Vec::new();
        let mut total = 0usize;
        while let Some(r) = rows.next()? {
            total += 1;
            if len >= batch {
                rest.push(r.get(0)?);
                continue;
            }
            if plan.children.is_empty() {
                if len > 0 {
                    json.push(b',');
                }
                self.record(
                    &mut json,
                    &head,
                    &plan.out,
                    &Stepped { row: r, skip: 1 },
                    &mut [],
                );
            } else {
                kept.push(
                    (0..plan.ncols)
                        .map(|i| r.get::<_, Sql>(i + 1))
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
            len += 1;
        }
        if !kept.is_empty() {
            let mut kids = self.children(plan, &kept, &mut locators)?;
            for (i, vals) in kept.iter().enumerate() {
                if i > 0 {
                    json.push(b',');
                }
                let id = text(vals.value(0)).unwrap_or_default();
                let mut mine: Vec<Option<Vec<u8>>> =
                    kids.iter_mut().map(|m| m.remove(id)).collect();
                self.record(&mut json, &head, &plan.out, vals.as_slice(), &mut mine);
            }
        }
        json.push(b']');
        Ok((Records { json: finish(json) }, rest, total))
    }

    /// Runs each child subquery for a batch of parents: per subquery, each parent's child
    /// result (`{"totalSize":..,"done":..,"records":[..]}`) by parent id.
    fn children(
        &self,
        plan: &Plan,
        parents: &[Vec<Sql>],
        locators: &mut Locators<'_>,
    ) -> Result<Vec<HashMap<String, Vec<u8>>>, ApiError> {
        let ids: Vec<&str> = parents.iter().filter_map(|r| text(r.value(0))).collect();
        let ids = Json::from(ids).to_string();
        let inline = if locators.is_some() {
            CHILD_BATCH
        } else {
            usize::MAX
        };
        let mut all = Vec::with_capacity(plan.children.len());
        for cp in &plan.children {
            struct Acc {
                json: Vec<u8>,
                len: usize,
                total: usize,
                rest: Vec<i64>,
            }
            let mut by_parent: HashMap<String, Acc> = HashMap::new();
            let mut params = cp.params.clone();
            params.push(Sql::Text(ids.clone()));
            let head = record_head(&cp.page.root, self.version);
            let mut stmt = self.conn.prepare_cached(&cp.sql)?;
            let mut rs = stmt.query(params_from_iter(params.iter()))?;
            while let Some(r) = rs.next()? {
                let Some(parent) = text(r.get_ref(0)?) else {
                    continue;
                };
                let acc = match by_parent.get_mut(parent) {
                    Some(acc) => acc,
                    None => by_parent.entry(parent.to_owned()).or_insert(Acc {
                        json: Vec::new(),
                        len: 0,
                        total: 0,
                        rest: Vec::new(),
                    }),
                };
                if cp.limit.is_some_and(|l| acc.total as u64 >= l) {
                    continue;
                }
                acc.total += 1;
                if acc.len >= inline {
                    acc.rest.push(r.get(1)?);
                    continue;
                }
                if acc.len > 0 {
                    acc.json.push(b',');
                }
                self.record(
                    &mut acc.json,
                    &head,
                    &cp.page.out,
                    &Stepped { row: r, skip: 2 },
                    &mut [],
                );
                acc.len += 1;
            }
            let mut results = HashMap::with_capacity(by_parent.len());
            for (parent, acc) in by_parent {
                let mut out = Vec::with_capacity(acc.json.len() + 128);
                out.extend_from_slice(
                    format!(
                        "{{\"totalSize\":{},\"done\":{}",
                        acc.total,
                        acc.rest.is_empty()
                    )
                    .as_bytes(),
                );
                if !acc.rest.is_empty()
                    && let Some(open) = locators.as_mut()
                {
                    let first = acc.len;
                    let locator = open(Overflow {
                        plan: Arc::clone(&cp.page),
                        rest: acc.rest,
                        first,
                        total: acc.total,
                    });
                    out.extend_from_slice(b",\"nextRecordsUrl\":");
                    push_string(
                        &mut out,
                        format!("/services/data/v{}/query/{locator}-{first}", self.version)
                            .as_bytes(),
                    );
                }
                out.extend_from_slice(b",\"records\":[");
                out.extend_from_slice(&acc.json);
                out.extend_from_slice(b"]}");
                results.insert(parent, out);
            }
            all.push(results);
        }
        Ok(all)
    }

    /// Writes one record: `{"attributes":{..},"Field":value,...}`.
    fn record<V: Values + ?Sized>(
        &self,
        buf: &mut Vec<u8>,
        head: &[u8],
        out: &[Out],
        vals: &V,
        kids: &mut [Option<Vec<u8>>],
    ) {
        open_record(buf, head, text_bytes(vals.value(0)).unwrap_or_default());
        self.fields(buf, out, vals, kids);
        buf.push(b'}');
    }

    fn fields<V: Values + ?Sized>(
        &self,
        buf: &mut Vec<u8>,
        out: &[Out],
        vals: &V,
        kids: &mut [Option<Vec<u8>>],
    ) {
        for o in out {
            buf.push(b',');
            match o {
                Out::Column { key, col, kind } => {
                    push_key(buf, key);
                    push_value(buf, *kind, vals.value(*col));
                }
                Out::Parent { key, id_col, items } => {
                    push_key(buf, key);
                    self.parent(buf, vals, *id_col, |_| items.as_slice());
                }
                Out::TypeOf {
                    key,
                    id_col,
                    branches,
                    else_items,
                } => {
                    push_key(buf, key);
                    self.parent(buf, vals, *id_col, |ty| {
                        branches
                            .iter()
                            .find(|(b, _)| b.eq_ignore_ascii_case(ty))
                            .map_or(else_items.as_slice(), |(_, items)| items.as_slice())
                    });
                }
                Out::Child { key, index } => {
                    push_key(buf, key);
                    match kids.get_mut(*index).and_then(Option::take) {
                        Some(result) => buf.extend_from_slice(&result),
                        None => buf.extend_from_slice(b"null"),
                    }
                }
            }
        }
    }

    /// A parent record: `null` when its id is, else an object with its own `attributes` and
    /// the items `pick` chooses for its type.
    fn parent<'o, V: Values + ?Sized>(
        &self,
        buf: &mut Vec<u8>,
        vals: &V,
        id_col: usize,
        pick: impl FnOnce(&str) -> &'o [Out],
    ) {
        let Some(id) = text(vals.value(id_col)) else {
            buf.extend_from_slice(b"null");
            return;
        };
        let ty = self
            .schema
            .by_prefix(crate::ids::prefix(id))
            .map_or("", |t| t.name.as_str());
        open_record(buf, &record_head(ty, self.version), id.as_bytes());
        self.fields(buf, pick(ty), vals, &mut []);
        buf.push(b'}');
    }
}

/// Aggregate queries: COUNT(), GROUP BY (with ROLLUP and CUBE), HAVING. Rows are
/// `AggregateResult`s; unaliased aggregates are named `expr0`, `expr1`, ...
fn aggregate(
    conn: &Connection,
    env: Env<'_>,
    root: &SObjectType,
    q: &Query,
) -> Result<FirstPage, ApiError> {
    let mut c = Compiler::new(env, root, q.from.alias.as_deref(), "t");
    let alias = c.root_alias();
    let bare_count = matches!(q.select.as_slice(), [SelectItem::Expr { expr: Expr::Call(call), .. }] if call.args.is_empty());
    let mut wheres = Vec::new();
    if !env.all_rows {
        wheres.push(format!("{alias}.\"IsDeleted\" = 0"));
    }
    // Columns first (joins they need), then WHERE.
    let mut items: Vec<(String, String, FieldType)> = Vec::new();
    let mut expr_n = 0;
    if !bare_count {
        for item in &q.select {
            let SelectItem::Expr { expr, alias: a } = item else {
                return Err(malformed(
                    "only fields and aggregate functions can be selected in an aggregate query",
                ));
            };
            let (sql, kind, field) = c.expr(expr, true)?;
            let key = match (a, expr) {
                (Some(a), _) => a.clone(),
                (None, Expr::Field { .. }) => {
                    field.map_or_else(|| "expr".to_owned(), |f| f.name.clone())
                }
                (None, _) => {
                    let k = format!("expr{expr_n}");
                    expr_n += 1;
                    k
                }
            };
            let kind = match expr {
                Expr::Call(call)
                    if matches!(
                        call.function,
                        sfkit_soql::Function::Count | sfkit_soql::Function::CountDistinct
                    ) =>
                {
                    FieldType::Int
                }
                _ => kind,
            };
            items.push((key, sql, kind));
        }
    }
    if let Some(w) = &q.where_clause {
        wheres.push(c.condition(w, false)?);
    }
    let where_sql = if wheres.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wheres.join(" AND "))
    };
    if bare_count {
        c.check_joins()?;
        check_params(c.params.len())?;
        let sql = format!("SELECT COUNT(*) FROM {}{where_sql}", c.tables_sql());
        let n: i64 = conn.query_row(&sql, params_from_iter(c.params.iter()), |r| r.get(0))?;
        let mut n = usize::try_from(n).unwrap_or(0);
        if let Some(RowCount::Literal(l)) = q.limit {
            n = n.min(usize::try_from(l).unwrap_or(usize::MAX));
        }
        return Ok(FirstPage {
            total_size: n,
            records: Records { json: "[]".into() },
            rest: Vec::new(),
            plan: None,
        });
    }
    let keys: Vec<String> = match &q.group_by {
        Some(g) => g
            .keys
            .iter()
            .map(|k| c.expr(k, false).map(|x| x.0))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let having = match &q.having {
        Some(h) => format!(" HAVING {}", c.condition(h, true)?),
        None => String::new(),
    };
    let order = order_by(&mut c, &q.order_by, true)?;
    let kind = q.group_by.as_ref().map_or(GroupByKind::Plain, |g| g.kind);
    let sets: Vec<Vec<usize>> = match kind {
        GroupByKind::Plain => vec![(0..keys.len()).collect()],
        GroupByKind::Rollup => (0..=keys.len()).rev().map(|n| (0..n).collect()).collect(),
        GroupByKind::Cube => {
            let n = keys.len().min(8);
            (0..(1usize << n))
                .rev()
                .map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).collect())
                .collect()
        }
    };
    let cols: Vec<&str> = items.iter().map(|(_, sql, _)| sql.as_str()).collect();
    let from = c.tables_sql();
    let mut selects = Vec::new();
    for set in &sets {
        let projected: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, col)| {
                let grouped_out = keys
                    .iter()
                    .enumerate()
                    .any(|(k, key)| key == col && !set.contains(&k));
                format!("{} AS a{i}", if grouped_out { "NULL" } else { col })
            })
            .collect();
        let group = if set.is_empty() || keys.is_empty() {
            String::new()
        } else {
            format!(
                " GROUP BY {}",
                set.iter()
                    .filter_map(|&k| keys.get(k).cloned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        selects.push(format!(
            "SELECT {} FROM {from}{where_sql}{group}{having}",
            projected.join(", ")
        ));
    }
    // Each grouping set repeats the parameters, numbered anew.
    let nparams = c.params.len();
    let mut sql = String::new();
    let mut params = Vec::new();
    for (i, s) in selects.iter().enumerate() {
        if i > 0 {
            sql.push_str(" UNION ALL ");
        }
        sql.push_str(&renumber(s, i * nparams));
        params.extend(c.params.iter().cloned());
    }
    if !order.is_empty() && sets.len() == 1 {
        sql.push_str(&format!(" ORDER BY {}", renumber(&order, 0)));
    }
    push_limits(&mut sql, q)?;
    c.check_joins()?;
    check_params(params.len())?;
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let mut json = b"[".to_vec();
    let mut len = 0usize;
    while let Some(r) = rows.next()? {
        if len > 0 {
            json.push(b',');
        }
        json.extend_from_slice(b"{\"attributes\":{\"type\":\"AggregateResult\"}");
        for (i, (key, _, kind)) in items.iter().enumerate() {
            let v = match (kind, r.get_ref(i)?) {
                (
                    FieldType::Double | FieldType::Currency | FieldType::Percent,
                    ValueRef::Integer(n),
                ) => ValueRef::Real(n as f64),
                (_, v) => v,
            };
            json.push(b',');
            push_key(&mut json, key);
            push_value(&mut json, *kind, v);
        }
        json.push(b'}');
        len += 1;
    }
    json.push(b']');
    Ok(FirstPage {
        total_size: len,
        records: Records { json: finish(json) },
        rest: Vec::new(),
        plan: None,
    })
}

/// Shifts `?N` placeholders by `by`.
fn renumber(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut in_str = false;
    while let Some(ch) = chars.next() {
        out.push(ch);
        if ch == '\'' {
            in_str = !in_str;
        }
        if ch == '?' && !in_str {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            let n: usize = digits.parse().unwrap_or(0);
            out.push_str(&(n + by).to_string());
        }
    }
    out
}
