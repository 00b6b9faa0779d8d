//! Conversions between Salesforce's JSON values and SQLite's, field type by field type.
//!
//! Storage: text types as TEXT (NOCASE collation, so equality and ordering ignore case as SOQL
//! does), checkboxes as 0/1, numbers as REAL or INTEGER, dates as `YYYY-MM-DD` text, dateTimes
//! as INTEGER milliseconds since the epoch (UTC), times as `hh:mm:ss.sss` text.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use rusqlite::types::Value as Sql;
use serde_json::Value as Json;

use crate::schema::{Field, FieldType};

/// Why a JSON value does not fit a field: the Jackson-style message Salesforce sends with
/// JSON_PARSER_ERROR.
pub(crate) fn type_mismatch(field: &Field, value: &Json) -> String {
    let kind = match value {
        Json::String(_) => "VALUE_STRING",
        Json::Number(_) => "VALUE_NUMBER",
        Json::Bool(true) => "VALUE_TRUE",
        Json::Bool(false) => "VALUE_FALSE",
        Json::Array(_) => "START_ARRAY",
        Json::Object(_) => "START_OBJECT",
        Json::Null => "VALUE_NULL",
    };
    let shown = match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!(
        "Cannot deserialize instance of {} from {kind} value {shown} or request may be missing a required field",
        type_name(field.kind)
    )
}

fn type_name(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Boolean => "boolean",
        FieldType::Currency => "currency",
        FieldType::Double => "double",
        FieldType::Percent => "percent",
        FieldType::Int => "int",
        FieldType::Date => "date",
        FieldType::Datetime => "datetime",
        FieldType::Time => "time",
        FieldType::Id | FieldType::Reference => "reference",
        _ => "string",
    }
}

/// The SQLite value for a JSON value written to `field`; `Err` when it does not fit.
pub(crate) fn to_sql(field: &Field, value: &Json) -> Result<Sql, ()> {
    if value.is_null() {
        return Ok(Sql::Null);
    }
    // Salesforce stores an empty string as null (so "" does not satisfy a required field).
    if value.as_str() == Some("") && field.kind != FieldType::Boolean {
        return Ok(Sql::Null);
    }
    let text = || match value {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        _ => Err(()),
    };
    match field.kind {
        FieldType::Boolean => match value {
            Json::Bool(b) => Ok(Sql::Integer(i64::from(*b))),
            Json::String(s) if s.eq_ignore_ascii_case("true") => Ok(Sql::Integer(1)),
            Json::String(s) if s.eq_ignore_ascii_case("false") => Ok(Sql::Integer(0)),
            _ => Err(()),
        },
        FieldType::Currency | FieldType::Double | FieldType::Percent => {
            let n = match value {
                Json::Number(n) => n.as_f64(),
                Json::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            n.filter(|f| f.is_finite()).map(Sql::Real).ok_or(())
        }
        FieldType::Int => {
            let n = match value {
                Json::Number(n) => n
                    .as_i64()
                    .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
                Json::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            n.map(Sql::Integer).ok_or(())
        }
        FieldType::Date => match value {
            Json::String(s) => parse_date(s)
                .map(|d| Sql::Text(d.format("%Y-%m-%d").to_string()))
                .ok_or(()),
            _ => Err(()),
        },
        FieldType::Datetime => match value {
            Json::String(s) => parse_datetime(s)
                .map(|t| Sql::Integer(t.timestamp_millis()))
                .ok_or(()),
            _ => Err(()),
        },
        FieldType::Time => match value {
            Json::String(s) => parse_time(s)
                .map(|t| Sql::Text(t.format("%H:%M:%S%.3f").to_string()))
                .ok_or(()),
            _ => Err(()),
        },
        _ => text().map(Sql::Text),
    }
}

/// The JSON value Salesforce shows for a stored value.
pub(crate) fn to_json(kind: FieldType, value: Sql) -> Json {
    match (kind, value) {
        (_, Sql::Null) => Json::Null,
        (FieldType::Boolean, Sql::Integer(i)) => Json::Bool(i != 0),
        (FieldType::Datetime, Sql::Integer(ms)) => Json::String(format_datetime(ms)),
        (_, Sql::Integer(i)) => Json::from(i),
        (_, Sql::Real(f)) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        (_, Sql::Text(s)) => Json::String(s),
        (_, Sql::Blob(_)) => Json::Null,
    }
}

/// Now, as the epoch milliseconds dateTime fields are stored in.
pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// `2011-07-07T00:37:00.000+0000`, Salesforce's dateTime format.
pub(crate) fn format_datetime(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
        None => String::new(),
    }
}

/// A date `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// An ISO 8601 instant in the forms clients send: `Z`, `+hh:mm`, `+hhmm`, with or without a
/// fraction of a second.
pub(crate) fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    None
}

/// A time `hh:mm:ss[.sss][Z]`.
pub(crate) fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim().trim_end_matches('Z');
    NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
        .ok()
        .or_else(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
}
