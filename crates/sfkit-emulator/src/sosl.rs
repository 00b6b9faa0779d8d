//! SOSL over SQLite's FTS5 full-text index.
//!
//! Every write of a searchable record refreshes one row of `search_index` (keyed by the
//! sequence number inside the record's id), with the name, email and phone fields in their own
//! columns so `IN NAME FIELDS` and friends can target them. A search turns the FIND expression
//! into an FTS5 query and runs each RETURNING spec (fields, WHERE, ORDER BY, LIMIT, OFFSET) as
//! an ordinary SOQL query joined to that FTS5 query, so every filter SOQL supports works here
//! too, over every match, in one statement whose size does not depend on how many records match.
//! Salesforce's caps hold: at most 2,000 records per search, OFFSET at most 2,000.

use rusqlite::Connection;
use rusqlite::types::Value as Sql;
use serde_json::Value as Json;
use sfkit_soql::{
    FindClause, ReturningObject, RowCount, Search, SearchExpr, SearchGroup, SearchPart, SearchText,
};

use crate::api_error::ApiError;
use crate::ids;
use crate::schema::{FieldType, SObjectType};
use crate::soql::{self, Env};

/// The FTS5 table, created with the store's other tables.
pub(crate) const DDL: &str = "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5(\
    record_id UNINDEXED, sobject UNINDEXED, name, email, phone, body, \
    tokenize = 'unicode61 remove_diacritics 2')";

/// The FTS row key of a record: the sequence number inside its id.
fn key(id: &str) -> Option<i64> {
    ids::sequence(id).and_then(|n| i64::try_from(n).ok())
}

/// Refreshes a record's index row from its stored values (`row` in field order).
pub(crate) fn index(
    tx: &Connection,
    object: &SObjectType,
    id: &str,
    row: &[Sql],
) -> Result<(), ApiError> {
    if !object.searchable {
        return Ok(());
    }
    let Some(k) = key(id) else { return Ok(()) };
    let (mut name, mut email, mut phone, mut body) =
        (String::new(), String::new(), String::new(), String::new());
    for (f, v) in object.fields.iter().zip(row) {
        let Sql::Text(text) = v else { continue };
        if matches!(f.kind, FieldType::Id | FieldType::Reference) {
            continue;
        }
        if f.name_field {
            push(&mut name, text);
        }
        match f.kind {
            FieldType::Email => push(&mut email, text),
            FieldType::Phone => push(&mut phone, text),
            _ => {}
        }
        if f.kind.is_text() {
            push(&mut body, text);
        }
    }
    tx.prepare_cached("DELETE FROM search_index WHERE rowid = ?1")?
        .execute([k])?;
    tx.prepare_cached(
        "INSERT INTO search_index (rowid, record_id, sobject, name, email, phone, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(rusqlite::params![k, id, object.name, name, email, phone, body])?;
    Ok(())
}

fn push(buf: &mut String, text: &str) {
    if !buf.is_empty() {
        buf.push(' ');
    }
    buf.push_str(text);
}

/// Drops a record from the index (it went to the recycle bin).
pub(crate) fn remove(tx: &Connection, id: &str) -> Result<(), ApiError> {
    if let Some(k) = key(id) {
        tx.prepare_cached("DELETE FROM search_index WHERE rowid = ?1")?
            .execute([k])?;
    }
    Ok(())
}

/// Salesforce's cap on the records of one search, all objects together.
const MAX_RECORDS: usize = 2000;

/// A search query longer than this returns no rows (SOSL syntax reference).
const MAX_SEARCH_TEXT: usize = 10_000;

/// A search query longer than this loses its logical operators (SOSL syntax reference).
const MAX_SEARCH_OPERATORS_TEXT: usize = 4_000;

fn malformed(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("MALFORMED_SEARCH", message)
}

/// Runs a SOSL search; returns the flat list of records.
pub(crate) fn execute(
    conn: &Connection,
    env: Env<'_>,
    sosl: &str,
    version: &str,
) -> Result<Vec<Json>, ApiError> {
    let search = parse(sosl)?;
    let Some(matcher) = fts_matcher(&search)? else {
        return Ok(Vec::new());
    };
    let specs: Vec<(String, Option<&ReturningObject>)> = if search.returning.is_empty() {
        env.schema
            .objects()
            .iter()
            .filter(|o| o.searchable)
            .map(|o| (o.name.clone(), None))
            .collect()
    } else {
        search
            .returning
            .iter()
            .map(|r| (r.sobject.clone(), Some(r)))
            .collect()
    };
    check_matcher(conn, &matcher)?;
    let overall = match search.limit {
        Some(RowCount::Literal(n)) => usize::try_from(n).unwrap_or(usize::MAX).min(MAX_RECORDS),
        _ => MAX_RECORDS,
    };
    let mut out = Vec::new();
    for (name, spec) in specs {
        let object = env.schema.get(&name).ok_or_else(|| {
            ApiError::bad_request(
                "INVALID_TYPE",
                format!("sObject type '{name}' is not supported."),
            )
        })?;
        if let Some(RowCount::Literal(n)) = spec.and_then(|s| s.offset.clone())
            && n > 2000
        {
            return Err(ApiError::bad_request(
                "INVALID_SEARCH",
                "SOSL offset should be between 0 to 2000",
            ));
        }
        let remaining = overall.saturating_sub(out.len());
        if remaining == 0 {
            break;
        }
        let found = soql::SearchMatch {
            matcher: &matcher,
            sobject: &object.name,
        };
        let records = run_spec(conn, env, object, spec, &found, remaining, version)?;
        out.extend(records);
    }
    Ok(out)
}

/// Parses a search, with Salesforce's own error for a FIND without braces.
fn parse(sosl: &str) -> Result<Search, ApiError> {
    let trimmed = sosl.trim_start();
    let after_find = trimmed.get(4..).unwrap_or_default().trim_start();
    if trimmed
        .get(..4)
        .is_some_and(|f| f.eq_ignore_ascii_case("FIND"))
        && !after_find.starts_with('{')
    {
        return Err(malformed(
            "No search term found. The search term must be enclosed in braces.",
        ));
    }
    sfkit_soql::parse_search(sosl).map_err(|e| malformed(soql::parse_error_message(sosl, &e)))
}

/// The FTS5 query for FIND (limited to IN's field group); `None` when the search text is so
/// long that Salesforce returns no rows.
fn fts_matcher(search: &Search) -> Result<Option<String>, ApiError> {
    let expr = match &search.find {
        FindClause::Braces(e) | FindClause::Quotes(e) => e,
        FindClause::Bind(_) => return Err(malformed("bind variables are not SOSL over the API")),
    };
    check_lengths(expr)?;
    // Salesforce: a search query over 10,000 characters returns no rows; over 4,000 characters
    // its logical operators are dropped, so every term counts as OR'ed (SOSL syntax reference).
    let text_len = expr.to_string().chars().count();
    if text_len > MAX_SEARCH_TEXT {
        return Ok(None);
    }
    let query = if text_len > MAX_SEARCH_OPERATORS_TEXT {
        let mut terms = Vec::new();
        leaves(expr, &mut terms);
        fts_query(&SearchExpr::Or(terms))
    } else {
        fts_query(expr)
    };
    let column = match search.in_fields {
        Some(SearchGroup::Name) => Some("name"),
        Some(SearchGroup::Email) => Some("email"),
        Some(SearchGroup::Phone) => Some("phone"),
        _ => None,
    };
    Ok(Some(match column {
        Some(c) => format!("{{{c}}} : ({query})"),
        None => query,
    }))
}

fn check_lengths(e: &SearchExpr) -> Result<(), ApiError> {
    match e {
        SearchExpr::Term(t) | SearchExpr::Phrase(t) if t.min_len() < 2 => {
            Err(ApiError::bad_request(
                "INVALID_SEARCH",
                "search term must be longer than one character",
            ))
        }
        SearchExpr::Term(_) | SearchExpr::Phrase(_) => Ok(()),
        SearchExpr::Adjacent(items) | SearchExpr::And(items) | SearchExpr::Or(items) => {
            items.iter().try_for_each(check_lengths)
        }
        SearchExpr::Not(inner) => check_lengths(inner),
    }
}

/// An FTS5 string for a term or phrase: literal text quoted, a trailing wildcard as a prefix
/// match. FTS5 has no infix wildcards, so text after the first wildcard is dropped (the match
/// widens rather than misses).
fn fts_text(t: &SearchText) -> String {
    let mut literal = String::new();
    let mut prefix = false;
    for p in t.parts() {
        match p {
            // FTS5 reads its query as C text, so a NUL would end it inside the quotes
            // ("unterminated string"). The index's tokenizer splits words at control
            // characters anyway: a space is the same separator, and safe.
            SearchPart::Text(s) => {
                literal.extend(s.chars().map(|c| if c.is_control() { ' ' } else { c }));
            }
            SearchPart::AnyChars | SearchPart::OneChar => {
                prefix = true;
                break;
            }
        }
    }
    let quoted = format!("\"{}\"", literal.replace('"', "\"\""));
    if prefix { format!("{quoted}*") } else { quoted }
}

fn fts_query(e: &SearchExpr) -> String {
    match e {
        SearchExpr::Term(t) | SearchExpr::Phrase(t) => fts_text(t),
        SearchExpr::Adjacent(items) => items
            .iter()
            .map(|i| format!("({})", fts_query(i)))
            .collect::<Vec<_>>()
            .join(" AND "),
        SearchExpr::Or(items) => items
            .iter()
            .map(|i| format!("({})", fts_query(i)))
            .collect::<Vec<_>>()
            .join(" OR "),
        SearchExpr::And(items) => {
            let mut s = String::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    SearchExpr::Not(inner) if i > 0 => {
                        s.push_str(&format!(" NOT ({})", fts_query(inner)))
                    }
                    other if i > 0 => s.push_str(&format!(" AND ({})", fts_query(other))),
                    other => s.push_str(&format!("({})", fts_query(other))),
                }
            }
            s
        }
        SearchExpr::Not(inner) => fts_query(inner),
    }
}

/// Runs the FTS5 query once, so a query FTS5 cannot read is the caller's MALFORMED_SEARCH
/// here, before it is part of a statement whose errors would be the org's.
fn check_matcher(conn: &Connection, matcher: &str) -> Result<(), ApiError> {
    let probe = conn
        .prepare_cached("SELECT 1 FROM search_index WHERE search_index MATCH ?1 LIMIT 1")
        .and_then(|mut stmt| {
            let mut rows = stmt.query([matcher])?;
            rows.next().map(|_| ())
        });
    probe.map_err(|e| malformed(format!("the search query could not be evaluated: {e}")))
}

/// Every term and phrase of a search expression, operators dropped.
fn leaves(e: &SearchExpr, out: &mut Vec<SearchExpr>) {
    match e {
        SearchExpr::Term(_) | SearchExpr::Phrase(_) => out.push(e.clone()),
        SearchExpr::Adjacent(items) | SearchExpr::And(items) | SearchExpr::Or(items) => {
            items.iter().for_each(|i| leaves(i, out));
        }
        SearchExpr::Not(inner) => leaves(inner, out),
    }
}

/// The RETURNING spec as a SOQL query over the records `found` matches; at most `cap` records.
fn run_spec(
    conn: &Connection,
    env: Env<'_>,
    object: &SObjectType,
    spec: Option<&ReturningObject>,
    found: &soql::SearchMatch<'_>,
    cap: usize,
    version: &str,
) -> Result<Vec<Json>, ApiError> {
    let fields = match spec {
        Some(s) if !s.fields.is_empty() => s
            .fields
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        _ => "Id".to_owned(),
    };
    let mut soql = format!("SELECT {fields} FROM {}", object.name);
    let mut limit = cap;
    if let Some(s) = spec {
        if let Some(w) = &s.where_clause {
            soql.push_str(&format!(" WHERE {w}"));
        }
        if !s.order_by.is_empty() {
            let keys: Vec<String> = s.order_by.iter().map(ToString::to_string).collect();
            soql.push_str(&format!(" ORDER BY {}", keys.join(", ")));
        }
        match &s.limit {
            Some(RowCount::Literal(n)) => {
                limit = limit.min(usize::try_from(*n).unwrap_or(usize::MAX));
            }
            Some(RowCount::Bind(_)) => {
                return Err(malformed("bind variables are not SOSL over the API"));
            }
            None => {}
        }
    }
    soql.push_str(&format!(" LIMIT {limit}"));
    if let Some(o) = spec.and_then(|s| s.offset.as_ref()) {
        soql.push_str(&format!(" OFFSET {o}"));
    }
    soql::search(
        conn,
        Env {
            all_rows: false,
            ..env
        },
        &soql,
        found,
        version,
    )?
    .into_values()
}
