//! SOQL conditions built as sfkit-soql trees from field names the catalog defines and values
//! already checked: a user's text only ever reaches a query as an escaped literal.

use chrono::NaiveDate;
use serde_json::Value;
use sfkit_soql::Value as Literal;
use sfkit_soql::{CompareOp, Condition, DateTimeLiteral, Expr, FieldPath, Number, Predicate};

use crate::error::ActionError;
use crate::params::Kind;

/// A field, by its API name or path (`Account.Name`).
pub(crate) fn path(field: &str) -> Result<Expr, ActionError> {
    FieldPath::parse(field)
        .map(Expr::field)
        .map_err(|e| ActionError::unexpected(format!("field path {field}: {e}")))
}

/// `field op rhs`.
pub(crate) fn compare(field: &str, op: CompareOp, rhs: Literal) -> Result<Condition, ActionError> {
    Ok(Condition::predicate(Predicate::Compare {
        lhs: path(field)?,
        op,
        rhs,
    }))
}

/// All of `conditions`; none when there are none.
pub(crate) fn and(mut conditions: Vec<Condition>) -> Option<Condition> {
    match conditions.len() {
        0 => None,
        1 => conditions.pop(),
        _ => Some(Condition::And(conditions)),
    }
}

/// Any of `conditions`.
pub(crate) fn or(conditions: Vec<Condition>) -> Condition {
    Condition::Or(conditions)
}

/// A checked parameter value as a SOQL literal of the filter's or order's type.
pub(crate) fn literal(kind: Kind, v: &Value) -> Result<Literal, ActionError> {
    let bad = || ActionError::invalid("INVALID_CURSOR", format!("unusable value {v}"), Vec::new());
    Ok(match (kind, v) {
        (_, Value::Null) => Literal::Null,
        (Kind::Boolean, Value::Bool(b)) => Literal::Boolean(*b),
        (Kind::Number { .. } | Kind::Integer { .. }, Value::Number(n)) => {
            Literal::Number(Number::parse(&n.to_string()).ok_or_else(bad)?)
        }
        (Kind::Date, Value::String(s)) => {
            Literal::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad())?)
        }
        (Kind::DateTime, Value::String(s)) => {
            let t = chrono::DateTime::parse_from_rfc3339(s)
                .or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
                .map_err(|_| bad())?;
            Literal::DateTime(DateTimeLiteral::utc(
                t.with_timezone(&chrono::Utc).naive_utc(),
            ))
        }
        (_, Value::String(s)) => Literal::String(s.clone()),
        _ => return Err(bad()),
    })
}
