//! Query answers written as JSON text straight from SQLite's values.
//!
//! Building a `serde_json::Value` per record (a map, a cloned key and value per field, an
//! `attributes` object) cost more than running the SQL; a query answer is only ever sent, so it
//! is written once into a byte buffer instead. The output matches what
//! [`crate::store::values::to_json`] and `serde_json` produce for the same values.

use std::io::Write as _;

use rusqlite::types::ValueRef;

use crate::schema::FieldType;
use crate::store::values::format_datetime;

/// Appends `s` as the inside of a JSON string (no quotes). Works on bytes: text from SQLite is
/// copied without being validated again here; the finished document is checked once
/// ([`finish`]).
pub(super) fn push_escaped(buf: &mut Vec<u8>, s: &[u8]) {
    // What JSON strings must escape: the quote, the backslash and the control characters.
    let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    // Most text has none: check it all without branching (this loop vectorizes), copy it once.
    if !s.iter().fold(false, |any, &b| any | special(b)) {
        buf.extend_from_slice(s);
        return;
    }
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        if !special(b) {
            continue;
        }
        buf.extend_from_slice(s.get(start..i).unwrap_or_default());
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            _ => {
                let _ = write!(buf, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    buf.extend_from_slice(s.get(start..).unwrap_or_default());
}

/// Appends `s` as a JSON string.
pub(super) fn push_string(buf: &mut Vec<u8>, s: &[u8]) {
    buf.push(b'"');
    push_escaped(buf, s);
    buf.push(b'"');
}

/// Appends `"key":`.
pub(super) fn push_key(buf: &mut Vec<u8>, key: &str) {
    push_string(buf, key.as_bytes());
    buf.push(b':');
}

/// The start of a record of type `sobject`, up to where its id goes:
/// `{"attributes":{"type":"T","url":"/services/data/vV/sobjects/T/`. The same for every record
/// of a type, so it is made once per batch.
pub(super) fn record_head(sobject: &str, version: &str) -> Vec<u8> {
    let mut head = Vec::with_capacity(64 + 2 * sobject.len());
    head.extend_from_slice(b"{\"attributes\":{\"type\":");
    push_string(&mut head, sobject.as_bytes());
    head.extend_from_slice(b",\"url\":\"/services/data/v");
    push_escaped(&mut head, version.as_bytes());
    head.extend_from_slice(b"/sobjects/");
    push_escaped(&mut head, sobject.as_bytes());
    head.push(b'/');
    head
}

/// Opens a record: its head (from [`record_head`]) and id, closing the `attributes` member.
pub(super) fn open_record(buf: &mut Vec<u8>, head: &[u8], id: &[u8]) {
    buf.extend_from_slice(head);
    push_escaped(buf, id);
    buf.extend_from_slice(b"\"}");
}

/// The bytes of a value, if it is text.
pub(super) fn text_bytes(v: ValueRef<'_>) -> Option<&[u8]> {
    match v {
        ValueRef::Text(t) => Some(t),
        _ => None,
    }
}

/// The text of a value, if it is valid UTF-8 text.
pub(super) fn text(v: ValueRef<'_>) -> Option<&str> {
    text_bytes(v).and_then(|t| std::str::from_utf8(t).ok())
}

/// Appends the JSON Salesforce shows for a stored value of a field of `kind`.
pub(super) fn push_value(buf: &mut Vec<u8>, kind: FieldType, v: ValueRef<'_>) {
    match (kind, v) {
        (_, ValueRef::Null | ValueRef::Blob(_)) => buf.extend_from_slice(b"null"),
        (FieldType::Boolean, ValueRef::Integer(i)) => {
            buf.extend_from_slice(if i != 0 { b"true" } else { b"false" });
        }
        (FieldType::Datetime, ValueRef::Integer(ms)) => {
            push_string(buf, format_datetime(ms).as_bytes());
        }
        (_, ValueRef::Integer(i)) => {
            let _ = write!(buf, "{i}");
        }
        (_, ValueRef::Real(f)) => match serde_json::Number::from_f64(f) {
            Some(n) => {
                let _ = write!(buf, "{n}");
            }
            None => buf.extend_from_slice(b"null"),
        },
        (_, ValueRef::Text(t)) => push_string(buf, t),
    }
}

/// The finished document as a `String`. SQLite text written through the API is UTF-8; bytes
/// that are not (a file edited by hand) come out as U+FFFD rather than failing the answer.
pub(super) fn finish(buf: Vec<u8>) -> String {
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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
            let mut buf = Vec::new();
            push_value(&mut buf, kind, ValueRef::from(&v));
            assert_eq!(
                finish(buf),
                to_json(kind, v.clone()).to_string(),
                "{kind:?} {v:?}"
            );
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let mut buf = Vec::new();
        push_value(&mut buf, FieldType::String, ValueRef::Text(b"a\xffb"));
        assert_eq!(finish(buf), "\"a\u{fffd}b\"");
    }

    #[test]
    fn attributes_match_the_record_builder() {
        let mut buf = Vec::new();
        open_record(
            &mut buf,
            &record_head("Account", "60.0"),
            b"001S00000000001AAA",
        );
        buf.push(b'}');
        let buf = finish(buf);
        let expected = serde_json::json!({
            "attributes": crate::store::attributes_json("Account", "001S00000000001AAA", "60.0")
        });
        assert_eq!(buf, expected.to_string());
    }
}
