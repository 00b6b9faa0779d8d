//! SOSL over SQLite's FTS5 full-text index.
//!
//! Every write of a searchable record refreshes one row of `search_index` (keyed by the
//! sequence number inside the record's id), with the name, email and phone fields in their own
//! columns so `IN NAME FIELDS` and friends can target them. A search turns the FIND expression
//! into an FTS5 query, takes the matching ids per object in rank order, and then runs the
//! RETURNING spec (fields, WHERE, ORDER BY, LIMIT, OFFSET) as an ordinary SOQL query over those
//! ids, so every filter SOQL supports works here too.

use rusqlite::Connection;
use rusqlite::types::Value as Sql;
use serde_json::Value as Json;
use sfkit_soql::{FindClause, RowCount, SearchExpr, SearchGroup, SearchPart, SearchText};

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
    let search = sfkit_soql::parse_search(sosl).map_err(|e| {
        let line = sosl
            .lines()
            .nth(e.line.saturating_sub(1) as usize)
            .unwrap_or("");
        malformed(format!(
            "\n{line}\n{}^\nERROR at Row:{}:Column:{}\nunexpected token: {} (expected {})",
            " ".repeat(e.column.saturating_sub(1) as usize),
            e.line,
            e.column,
            e.found,
            e.expected
        ))
    })?;
    let expr = match &search.find {
        FindClause::Braces(e) | FindClause::Quotes(e) => e,
        FindClause::Bind(_) => return Err(malformed("bind variables are not SOSL over the API")),
    };
    check_lengths(expr)?;
    let query = fts_query(expr);
    let column = match search.in_fields {
        Some(SearchGroup::Name) => Some("name"),
        Some(SearchGroup::Email) => Some("email"),
        Some(SearchGroup::Phone) => Some("phone"),
        _ => None,
    };
    let matcher = match column {
        Some(c) => format!("{{{c}}} : ({query})"),
        None => query,
    };
    let specs: Vec<(String, Option<&sfkit_soql::ReturningObject>)> = if search.returning.is_empty()
    {
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
    let overall = match search.limit {
        Some(RowCount::Literal(n)) => usize::try_from(n).unwrap_or(usize::MAX).min(2000),
        _ => 2000,
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
        let ids = matching_ids(conn, &matcher, &object.name)?;
        if ids.is_empty() {
            continue;
        }
        let mut records = run_spec(conn, env, object, spec, &ids, version)?;
        if spec.is_none_or(|s| s.order_by.is_empty()) {
            let rank = |r: &Json| {
                let id = r.get("Id").and_then(Json::as_str).or_else(|| {
                    r.get("attributes")
                        .and_then(|a| a.get("url"))
                        .and_then(Json::as_str)
                        .and_then(|u| u.rsplit('/').next())
                });
                id.and_then(|id| ids.iter().position(|x| x == id))
                    .unwrap_or(usize::MAX)
            };
            records.sort_by_key(rank);
        }
        out.extend(records);
        if out.len() >= overall {
            out.truncate(overall);
            break;
        }
    }
    Ok(out)
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
            SearchPart::Text(s) => literal.push_str(s),
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

fn matching_ids(conn: &Connection, matcher: &str, sobject: &str) -> Result<Vec<String>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT record_id FROM search_index WHERE search_index MATCH ?1 AND sobject = ?2 ORDER BY rank LIMIT 2000",
    )?;
    let rows = stmt.query_map(rusqlite::params![matcher, sobject], |r| {
        r.get::<_, String>(0)
    });
    match rows {
        Ok(rows) => Ok(rows.collect::<Result<Vec<_>, _>>()?),
        Err(e) => Err(malformed(format!(
            "the search query could not be evaluated: {e}"
        ))),
    }
}

/// The RETURNING spec as a SOQL query restricted to `ids`.
fn run_spec(
    conn: &Connection,
    env: Env<'_>,
    object: &SObjectType,
    spec: Option<&sfkit_soql::ReturningObject>,
    ids: &[String],
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
    let id_list = ids
        .iter()
        .map(|i| sfkit_soql::escape::quote(i))
        .collect::<Vec<_>>()
        .join(", ");
    let mut soql = format!(
        "SELECT {fields} FROM {} WHERE Id IN ({id_list})",
        object.name
    );
    if let Some(s) = spec {
        if let Some(w) = &s.where_clause {
            soql.push_str(&format!(" AND ({w})"));
        }
        if !s.order_by.is_empty() {
            let keys: Vec<String> = s.order_by.iter().map(ToString::to_string).collect();
            soql.push_str(&format!(" ORDER BY {}", keys.join(", ")));
        }
        if let Some(l) = &s.limit {
            soql.push_str(&format!(" LIMIT {l}"));
        }
        if let Some(o) = &s.offset {
            soql.push_str(&format!(" OFFSET {o}"));
        }
    }
    let page = soql::execute(
        conn,
        Env {
            all_rows: false,
            ..env
        },
        &soql,
        2000,
        version,
        None,
    )?;
    page.records.into_values()
}
