//! Query answers written as JSON text straight from SQLite's values.
//!
//! Building a `serde_json::Value` per record (a map, a cloned key and value per field, an
//! `attributes` object) cost more than running the SQL; a query answer is only ever sent, so it
//! is written once into a byte buffer instead. The output matches what
//! [`crate::store::values::to_json`] and `serde_json` produce for the same values.

use std::fmt::Write as _;

use rusqlite::types::ValueRef;

use crate::schema::FieldType;
use crate::store::values::format_datetime;

/// Appends `s` as the inside of a JSON string (no quotes).
pub(crate) fn push_escaped(buf: &mut String, s: &str) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x08 => Some("\\b"),
            0x0c => Some("\\f"),
            0..=0x1f => None,
            _ => continue,
        };
        buf.push_str(s.get(start..i).unwrap_or_default());
        match escape {
            Some(e) => buf.push_str(e),
            None => {
                let _ = write!(buf, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    buf.push_str(s.get(start..).unwrap_or_default());
}

/// Appends `s` as a JSON string.
pub(crate) fn push_string(buf: &mut String, s: &str) {
    buf.push('"');
    push_escaped(buf, s);
    buf.push('"');
}

/// Appends `"key":`.
pub(crate) fn push_key(buf: &mut String, key: &str) {
    push_string(buf, key);
    buf.push(':');
}

/// Appends the `"attributes":{...}` member of a record.
pub(crate) fn push_attributes(buf: &mut String, sobject: &str, id: &str, version: &str) {
    buf.push_str("\"attributes\":{\"type\":");
    push_string(buf, sobject);
    buf.push_str(",\"url\":\"/services/data/v");
    push_escaped(buf, version);
    buf.push_str("/sobjects/");
    push_escaped(buf, sobject);
    buf.push('/');
    push_escaped(buf, id);
    buf.push_str("\"}");
}

/// The text of a value, if it is text.
pub(crate) fn text<'a>(v: ValueRef<'a>) -> Option<&'a str> {
    match v {
        ValueRef::Text(t) => std::str::from_utf8(t).ok(),
        _ => None,
    }
}

/// Appends the JSON Salesforce shows for a stored value of a field of `kind`.
pub(crate) fn push_value(buf: &mut String, kind: FieldType, v: ValueRef<'_>) {
    match (kind, v) {
        (_, ValueRef::Null | ValueRef::Blob(_)) => buf.push_str("null"),
        (FieldType::Boolean, ValueRef::Integer(i)) => {
            buf.push_str(if i != 0 { "true" } else { "false" });
        }
        (FieldType::Datetime, ValueRef::Integer(ms)) => push_string(buf, &format_datetime(ms)),
        (_, ValueRef::Integer(i)) => {
            let _ = write!(buf, "{i}");
        }
        (_, ValueRef::Real(f)) => match serde_json::Number::from_f64(f) {
            Some(n) => {
                let _ = write!(buf, "{n}");
            }
            None => buf.push_str("null"),
        },
        (_, ValueRef::Text(t)) => push_string(buf, &String::from_utf8_lossy(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::values::to_json;
    use rusqlite::types::Value as Sql;

    /// Same text as serde_json gives the `Value` the old path built.
    #[test]
    fn values_match_serde_json() {
        let cases = [
            (
                FieldType::String,
                Sql::Text("a \"q\" \\ \n\t\u{1}\u{7f} é 😀".into()),
            ),
            (FieldType::Boolean, Sql::Integer(1)),
            (FieldType::Boolean, Sql::Integer(0)),
            (FieldType::Datetime, Sql::Integer(1_700_000_000_123)),
            (FieldType::Int, Sql::Integer(-42)),
            (FieldType::Currency, Sql::Real(5_000_000.0)),
            (FieldType::Double, Sql::Real(0.1 + 0.2)),
            (FieldType::Double, Sql::Real(1e300)),
            (FieldType::Double, Sql::Real(f64::NAN)),
            (FieldType::String, Sql::Null),
        ];
        for (kind, v) in cases {
            let mut buf = String::new();
            push_value(&mut buf, kind, ValueRef::from(&v));
            assert_eq!(buf, to_json(kind, v.clone()).to_string(), "{kind:?} {v:?}");
        }
    }

    #[test]
    fn attributes_match_the_record_builder() {
        let mut buf = String::from("{");
        push_attributes(&mut buf, "Account", "001S00000000001AAA", "60.0");
        buf.push('}');
        let expected = serde_json::json!({
            "attributes": crate::store::attributes_json("Account", "001S00000000001AAA", "60.0")
        });
        assert_eq!(buf, expected.to_string());
    }
}
