//! Planning: a parsed query to one SQLite statement for its records and one per child subquery
//! (the SELECT list's items are planned by [`super::select`]).

use std::sync::Arc;

use rusqlite::types::Value as Sql;
use sfkit_soql::{NullsOrder, OrderByItem, Query, RowCount, SelectItem, SortDirection};

use super::compile::{Compiler, Env};
use super::errors::{child_relationship_error, invalid_type, located, malformed};
use super::execute::SearchMatch;
use super::limits::{check_child_subqueries, check_params};
use super::plan_cache::Compiled;
use super::select::select_item;
use super::shape::Out;
use crate::api_error::ApiError;
use crate::schema::SObjectType;

/// A compiled query, kept behind a locator to fetch later batches.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(super) root: String,
    /// `SELECT rowid, cols FROM json_each(?1) ... ORDER BY p.key`.
    pub(super) page_sql: String,
    pub(super) ncols: usize,
    pub(super) out: Vec<Out>,
    pub(super) children: Vec<ChildPlan>,
}

#[derive(Debug)]
pub(super) struct ChildPlan {
    /// `SELECT parent id, rowid, cols ... WHERE parent IN json_each(?N)`.
    pub(super) sql: String,
    pub(super) params: Vec<Sql>,
    pub(super) limit: Option<u64>,
    /// The child records' own plan, for their locators.
    pub(super) page: Arc<Plan>,
}

/// Compiles a query; `None` for an aggregate query, which runs by [`super::aggregate`]. With `found`,
/// the query is restricted to a search's matches, ranked.
pub(super) fn compile_query<'a>(
    env: Env<'a>,
    soql: &'a str,
    q: &Query,
    version: &str,
    found: Option<&SearchMatch<'_>>,
) -> Result<Option<Compiled>, ApiError> {
    let name = q.from.sobject.to_string();
    let root = env
        .schema
        .get(&name)
        .ok_or_else(|| located(soql, q.from.sobject.span(), invalid_type(&name)))?;
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
    let mut c = Compiler::new(env, soql, root, q.from.alias.as_deref(), "t");
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
pub(super) fn page_sql(root: &SObjectType, alias: &str, cols: &str, from: &str) -> String {
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

pub(super) fn push_limits(sql: &mut String, q: &Query) -> Result<(), ApiError> {
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

pub(super) fn order_by(
    c: &mut Compiler<'_>,
    items: &[OrderByItem],
    aggregates_ok: bool,
) -> Result<String, ApiError> {
    let mut parts = Vec::new();
    for item in items {
        let sql = c.expr(&item.expr, aggregates_ok)?.sql;
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

/// A child subquery's plan, under its relationship's name (the JSON key of its results).
pub(super) fn child_plan<'a>(
    env: Env<'a>,
    soql: &'a str,
    parent: &SObjectType,
    q: &Query,
    version: &str,
) -> Result<(String, ChildPlan), ApiError> {
    let rel_name = q.from.sobject.field();
    let rel = parent.child_relationship(rel_name).ok_or_else(|| {
        located(
            soql,
            q.from.sobject.field_span(),
            child_relationship_error(rel_name),
        )
    })?;
    let child = env
        .schema
        .get(&rel.child)
        .ok_or_else(|| invalid_type(&rel.child))?;
    let mut c = Compiler::new(env, soql, child, q.from.alias.as_deref(), "c");
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
