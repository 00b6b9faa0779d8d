//! Salesforce's limits on a query (its length, child subqueries and parent relationships, the
//! strings of its WHERE clause) and SQLite's on the statements it becomes.

use sfkit_soql::{Query, SelectItem};

use super::errors::{malformed, too_complicated};
use crate::api_error::ApiError;

/// Salesforce refuses a statement over 100,000 characters before reading it, in these words
/// (captured with the limit at 20,000: "MALFORMED_QUERY: SOQL statements can not be longer than
/// 20000 characters.", RoseSilverSoftware/IlluminatedCloud issue 466).
pub(super) fn check_length(soql: &str) -> Result<(), ApiError> {
    let max = sfkit_soql::MAX_QUERY_LENGTH;
    if soql.len() > max && soql.chars().count() > max {
        return Err(malformed(format!(
            "SOQL statements can not be longer than {max} characters."
        )));
    }
    Ok(())
}

/// Salesforce's cap on child subqueries (parent-to-child relationships) in one query.
pub(super) const MAX_CHILD_SUBQUERIES: usize = 20;

/// SQLite's cap on a statement's bound parameters (SQLITE_MAX_VARIABLE_NUMBER).
pub(super) const MAX_SQL_PARAMS: usize = 32_766;

/// A compiled statement's parameters must fit SQLite's cap. Long lists travel as one JSON
/// parameter, so only a statement of tens of thousands of separate comparisons gets here.
pub(super) fn check_params(n: usize) -> Result<(), ApiError> {
    if n > MAX_SQL_PARAMS {
        return Err(too_complicated(&format!(
            "it compares {n} separate values, at most {MAX_SQL_PARAMS} can be compared"
        )));
    }
    Ok(())
}

/// UNVERIFIED wording: Salesforce documents the cap of 20 (relationship query limitations),
/// not the error's text.
pub(super) fn check_child_subqueries(q: &Query) -> Result<(), ApiError> {
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

/// Salesforce's cap on each string in a WHERE clause, in characters.
pub(super) const MAX_WHERE_STRING: usize = 4000;

/// Salesforce's cap on child-to-parent relationships in one query.
pub(super) const MAX_PARENT_RELATIONSHIPS: usize = 55;

/// SQLite joins at most 64 tables in one SELECT (polymorphic relationships join one table per
/// type they can point to, so Salesforce's 55 relationships can still be more).
pub(super) const MAX_SQL_TABLES: usize = 64;

/// A string of a WHERE clause over Salesforce's 4,000 characters. UNVERIFIED: the limit is
/// documented (the limits cheat sheet, "SOQL WHERE clause"), the error's wording is not.
pub(super) fn check_where_string(s: &str) -> Result<(), ApiError> {
    if s.len() > MAX_WHERE_STRING {
        check_where_string_len(s.chars().count())?;
    }
    Ok(())
}

pub(super) fn check_where_string_len(chars: usize) -> Result<(), ApiError> {
    if chars > MAX_WHERE_STRING {
        return Err(malformed(format!(
            "String too long: a string in a WHERE clause can be at most {MAX_WHERE_STRING} characters, this one has {chars}"
        )));
    }
    Ok(())
}
