//! Salesforce's error answers to a query: the name errors (INVALID_FIELD, INVALID_TYPE) in
//! Salesforce's words, MALFORMED_QUERY, and the caret that points an error at the text.
//!
//! A name error is pointed at the name the user wrote: the tree keeps each name's span, and
//! [`located`] renders the caret from it with [`sfkit_soql::line_col`].

use sfkit_soql::Span;

use crate::api_error::ApiError;

/// A field the object does not have.
pub(super) fn no_such_column(name: &str, object: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_FIELD",
        format!(
            "No such column '{name}' on entity '{object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

/// A relationship in a field path that the object does not have.
pub(super) fn bad_relationship(name: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_FIELD",
        format!(
            "Didn't understand relationship '{name}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

/// MALFORMED_QUERY: the query is not one the org can run as written.
pub(super) fn malformed(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("MALFORMED_QUERY", message)
}

/// A query SQLite cannot run as compiled (too many tables, terms or values). Salesforce names
/// the same class of failure QUERY_TOO_COMPLICATED; the message is the org's own.
pub(super) fn too_complicated(why: &str) -> ApiError {
    ApiError::bad_request(
        "QUERY_TOO_COMPLICATED",
        format!("Query is too complicated: {why}. Please simplify the query."),
    )
}

/// An object type the org does not have.
pub(super) fn invalid_type(name: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_TYPE",
        format!(
            "sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

/// A subquery's FROM that names no child relationship of the parent.
pub(super) fn child_relationship_error(rel_name: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_TYPE",
        format!(
            "Didn't understand relationship '{rel_name}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

/// Selecting the same field twice: Salesforce's words and code, from the SOQL reference's
/// FIELDS() section (`SELECT Id, FIELDS(ALL) FROM User LIMIT 200` answers
/// `[{"message": "duplicate field selected: Id", "errorCode": "INVALID_FIELD"}]`).
pub(super) fn duplicate_field(name: &str) -> ApiError {
    ApiError::bad_request("INVALID_FIELD", format!("duplicate field selected: {name}"))
}

/// Salesforce prefixes a query's name errors with the query's line where the name is, a caret
/// under it and its row and column. `at` is where the name that failed was written; with no
/// position (a name the org made up, not the user), the error stays as it is.
pub(super) fn located(soql: &str, at: Span, mut e: ApiError) -> ApiError {
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
fn caret(text: &str, row: usize, column: usize) -> String {
    let line = text.lines().nth(row.saturating_sub(1)).unwrap_or_default();
    let pad = " ".repeat(column.saturating_sub(1));
    format!("\n{line}\n{pad}^\nERROR at Row:{row}:Column:{column}")
}

/// MALFORMED_QUERY in Salesforce's layout: the query, a caret, the row and column.
pub(super) fn parse_error(soql: &str, e: &sfkit_soql::Error) -> ApiError {
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
