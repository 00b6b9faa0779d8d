//! Salesforce's limits on a query (length, child subqueries, parameters) and how a parse or
//! name error is pointed at the text the user wrote.

use super::*;

/// Salesforce refuses a statement over 100,000 characters before reading it, in these words
/// (captured with the limit at 20,000: "MALFORMED_QUERY: SOQL statements can not be longer than
/// 20000 characters.", RoseSilverSoftware/IlluminatedCloud issue 466).
pub(crate) fn check_length(soql: &str) -> Result<(), ApiError> {
    let max = sfkit_soql::MAX_QUERY_LENGTH;
    if soql.len() > max && soql.chars().count() > max {
        return Err(malformed(format!(
            "SOQL statements can not be longer than {max} characters."
        )));
    }
    Ok(())
}

/// Salesforce's cap on child subqueries (parent-to-child relationships) in one query.
pub(crate) const MAX_CHILD_SUBQUERIES: usize = 20;

/// SQLite's cap on a statement's bound parameters (SQLITE_MAX_VARIABLE_NUMBER).
pub(crate) const MAX_SQL_PARAMS: usize = 32_766;

/// A compiled statement's parameters must fit SQLite's cap. Long lists travel as one JSON
/// parameter, so only a statement of tens of thousands of separate comparisons gets here.
pub(crate) fn check_params(n: usize) -> Result<(), ApiError> {
    if n > MAX_SQL_PARAMS {
        return Err(compile::too_complicated(&format!(
            "it compares {n} separate values, at most {MAX_SQL_PARAMS} can be compared"
        )));
    }
    Ok(())
}

/// UNVERIFIED wording: Salesforce documents the cap of 20 (relationship query limitations),
/// not the error's text.
pub(crate) fn check_child_subqueries(q: &Query) -> Result<(), ApiError> {
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
pub(crate) fn duplicate_field(name: &str) -> ApiError {
    ApiError::bad_request("INVALID_FIELD", format!("duplicate field selected: {name}"))
}

/// Salesforce prefixes a query's name errors with the query, a caret under the offending name
/// and its row and column. The tree keeps no positions, so the name quoted in the message is
/// found in the text (its first whole-word occurrence).
pub(crate) fn locate(soql: &str, mut e: ApiError) -> ApiError {
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
pub(crate) fn quoted_name(message: &str) -> &str {
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
