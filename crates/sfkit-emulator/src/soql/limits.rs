//! Salesforce's limits on a query (length, child subqueries, parameters) and how a parse or
//! name error is pointed at the text the user wrote.

use super::*;
use sfkit_soql::Span;

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

/// Salesforce prefixes a query's name errors with the query's line where the name is, a caret
/// under it and its row and column. `at` is where the name that failed was written; with no
/// position (a name the org made up, not the user), the error stays as it is.
pub(crate) fn located(soql: &str, at: Span, mut e: ApiError) -> ApiError {
    if at.is_empty() {
        return e;
    }
    if let Some(item) = e.items.first_mut() {
        let (row, column) = sfkit_soql::line_col(soql, at.start);
        item.message = format!("{}\n{}", caret(soql, row, column), item.message);
    }
    e
}

/// `\n{line}\n{spaces}^\nERROR at Row:{row}:Column:{column}`: the head of Salesforce's query
/// errors, rows and columns counted from 1.
pub(crate) fn caret(text: &str, row: usize, column: usize) -> String {
    let line = text.lines().nth(row.saturating_sub(1)).unwrap_or_default();
    let pad = " ".repeat(column.saturating_sub(1));
    format!("\n{line}\n{pad}^\nERROR at Row:{row}:Column:{column}")
}

/// MALFORMED_QUERY in Salesforce's layout: the query, a caret, the row and column.
pub(crate) fn parse_error(soql: &str, e: &sfkit_soql::Error) -> ApiError {
    malformed(parse_error_message(soql, e))
}

/// A parse error's message, as Salesforce words it after the caret.
pub(crate) fn parse_error_message(text: &str, e: &sfkit_soql::Error) -> String {
    format!(
        "{}\nunexpected token: {} (expected {})",
        caret(text, e.line as usize, e.column as usize),
        e.found,
        e.expected
    )
}
