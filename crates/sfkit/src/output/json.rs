//! Records passed through as JSON: each record's own text re-emitted without Salesforce's
//! `attributes` ([`write_record`]), never decoded into maps.

use std::io::Write;

use serde::de;
use serde_json::value::RawValue;

/// Why a record could not be passed through.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PassError {
    /// The record is not the JSON object it should be.
    #[error("a record in the answer is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The record's text ends inside a value (the client checked it: a bug if seen).
    #[error("a record in the answer ends early")]
    Truncated,
    /// Writing failed (a full disk, a closed pipe).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<::csv::Error> for PassError {
    fn from(e: ::csv::Error) -> Self {
        // A failed write stays an I/O error, so a closed pipe is still recognised as one.
        match e.into_kind() {
            ::csv::ErrorKind::Io(io) => PassError::Io(io),
            other => PassError::Io(std::io::Error::other(format!("{other:?}"))),
        }
    }
}

/// Writes a record as the answer had it, less the members named `attributes` (at any depth:
/// parents and child records have theirs too); with `with_type`, the record's own
/// `attributes` keeps its `type`.
///
/// `record` is JSON already checked (when its page was split into records), which is what
/// makes a byte search enough: in valid JSON, `"attributes"` not preceded by an escaping
/// backslash opens a string (a closing quote is never followed by a letter), and a string
/// followed by `:` is a key. Everything else is copied in spans, never decoded. This is most of
/// what `sfkit query --format json` spends per record.
pub(crate) fn write_record(
    out: &mut impl Write,
    record: &str,
    with_type: bool,
) -> Result<(), PassError> {
    static KEY: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    let text = record.as_bytes();
    if text.first() != Some(&b'{') {
        return Err(PassError::Json(de::Error::custom(
            "a record is not an object",
        )));
    }
    let finder = KEY.get_or_init(|| memchr::memmem::Finder::new(b"\"attributes\""));
    let mut copied = 0; // text[..copied] is written (or dropped)
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| finder.find(rest)) {
        let at = from + found;
        let key_end = at + b"\"attributes\"".len();
        from = key_end;
        let escapes = text
            .get(..at)
            .map_or(0, |t| t.iter().rev().take_while(|b| **b == b'\\').count());
        let colon = skip_ws(text, key_end);
        if escapes % 2 == 1 || text.get(colon) != Some(&b':') {
            // Inside a string, or a value that happens to read "attributes".
            continue;
        }
        let cut = cut_member(text, at, colon)?;
        out.write_all(text.get(copied..cut.from).ok_or(PassError::Truncated)?)?;
        if with_type && depth_at(text, at)? == 1 {
            write_type(out, text, &cut, at)?;
        }
        copied = cut.to;
        from = cut.to;
    }
    out.write_all(text.get(copied..).ok_or(PassError::Truncated)?)?;
    Ok(())
}

/// What removing one member takes out of the text.
struct Cut {
    /// The span removed: the member and one comma.
    from: usize,
    to: usize,
    /// The member's value.
    value: std::ops::Range<usize>,
}

/// The member whose key opens at `key` (its colon at `colon`), with one comma: the one before
/// it, else the one after it, so what is left is still JSON.
fn cut_member(text: &[u8], key: usize, colon: usize) -> Result<Cut, PassError> {
    let value = skip_ws(text, colon + 1);
    let value_end = value_end(text, value)?;
    let before = text
        .get(..key)
        .map_or(0, |t| t.len() - trim_end_ws(t).len());
    let comma_before = (key - before)
        .checked_sub(1)
        .filter(|c| text.get(*c) == Some(&b','));
    let (from, to) = match comma_before {
        Some(c) => (c, value_end),
        None => {
            let after = skip_ws(text, value_end);
            match text.get(after) {
                Some(b',') => (key, after + 1),
                _ => (key, value_end),
            }
        }
    };
    Ok(Cut {
        from,
        to,
        value: value..value_end,
    })
}

/// How deep `at` is: 1 for the record's own members. Only for search results (at most 2,000
/// records), so a plain scan from the start.
fn depth_at(text: &[u8], at: usize) -> Result<usize, PassError> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < at {
        match text.get(i) {
            Some(b'"') => {
                i = string_end(text, i)?;
                continue;
            }
            Some(b'{' | b'[') => depth += 1,
            Some(b'}' | b']') => depth = depth.saturating_sub(1),
            Some(_) => {}
            None => return Err(PassError::Truncated),
        }
        i += 1;
    }
    Ok(depth)
}

/// Writes `"attributes":{"type":...}` in place of the member `cut` removed.
fn write_type(out: &mut impl Write, text: &[u8], cut: &Cut, key: usize) -> Result<(), PassError> {
    #[derive(serde::Deserialize)]
    struct Attributes<'a> {
        #[serde(borrow, rename = "type")]
        kind: Option<&'a RawValue>,
    }
    let attributes = text.get(cut.value.clone()).ok_or(PassError::Truncated)?;
    if let Some(kind) = serde_json::from_slice::<Attributes<'_>>(attributes)?.kind {
        // Put back the comma the cut took.
        out.write_all(if cut.from < key { b"," } else { b"" })?;
        out.write_all(b"\"attributes\":{\"type\":")?;
        out.write_all(kind.get().as_bytes())?;
        out.write_all(if cut.to > cut.value.end { b"}," } else { b"}" })?;
    }
    Ok(())
}

/// Just past the string that opens at `start`.
fn string_end(text: &[u8], start: usize) -> Result<usize, PassError> {
    let mut at = start + 1;
    loop {
        let rest = text.get(at..).ok_or(PassError::Truncated)?;
        match memchr::memchr2(b'"', b'\\', rest) {
            Some(k) if rest.get(k) == Some(&b'"') => return Ok(at + k + 1),
            // An escape: the next byte is never the string's end.
            Some(k) => at += k + 2,
            None => return Err(PassError::Truncated),
        }
    }
}

/// Just past the value that starts at `start`.
fn value_end(text: &[u8], start: usize) -> Result<usize, PassError> {
    match text.get(start) {
        Some(b'"') => string_end(text, start),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = start;
            while let Some(&b) = text.get(i) {
                match b {
                    b'"' => {
                        i = string_end(text, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            Err(PassError::Truncated)
        }
        Some(_) => {
            // A number, true, false or null: up to the next delimiter.
            let rest = text.get(start..).ok_or(PassError::Truncated)?;
            Ok(start
                + rest
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                    .unwrap_or(rest.len()))
        }
        None => Err(PassError::Truncated),
    }
}

fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

fn trim_end_ws(text: &[u8]) -> &[u8] {
    let keep = text
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    text.get(..keep).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::{Map, Value};

    fn pass(text: &str, with_type: bool) -> String {
        let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
        let mut out = Vec::new();
        write_record(&mut out, raw.get(), with_type).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn attributes_go_at_every_depth_and_values_stay_as_written() {
        let text = r#"{"attributes":{"type":"Account","url":"/x"},"Id":"001","Amount":1.50,"Owner":{"attributes":{"type":"User"},"Name":"Zoë \u00e9 \"attributes\":{} \\"},"Contacts":{"totalSize":1,"done":true,"records":[{"LastName":"Ng","attributes":{"type":"Contact","url":"/c"}}]},"Na\u006de":["attributes",{"attributes":[]}],"Empty":{"attributes":{}}}"#;
        assert_eq!(
            pass(text, false),
            r#"{"Id":"001","Amount":1.50,"Owner":{"Name":"Zoë \u00e9 \"attributes\":{} \\"},"Contacts":{"totalSize":1,"done":true,"records":[{"LastName":"Ng"}]},"Na\u006de":["attributes",{}],"Empty":{}}"#
        );
        // Whitespace between tokens is allowed, and kept where nothing is cut.
        assert_eq!(
            pass(
                "{ \"a\" : 1 ,\n \"attributes\" : { \"type\" : \"X\" } , \"b\":null }",
                false
            ),
            "{ \"a\" : 1  , \"b\":null }"
        );
        assert_eq!(
            pass(
                r#"{"attributes":{"type":"Lead","url":"/y"},"Name":"Ng"}"#,
                true
            ),
            r#"{"attributes":{"type":"Lead"},"Name":"Ng"}"#
        );
        assert_eq!(
            pass(
                r#"{"Name":"Ng","attributes":{"url":"/y","type":"Lead"}}"#,
                true
            ),
            r#"{"Name":"Ng","attributes":{"type":"Lead"}}"#
        );
    }

    #[test]
    fn a_record_that_is_not_an_object_or_ends_early_is_an_error_not_a_panic() {
        assert!(write_record(&mut Vec::new(), "[1]", false).is_err());
        assert!(write_record(&mut Vec::new(), r#"{"attributes":{"#, false).is_err());
        // Text that is not JSON never comes here (the page was checked); still no panic.
        for bad in [
            r#"{"a":"\"#,
            r#"{"attributes""#,
            r#"{"attributes":"#,
            r#"{"attributes":["#,
        ] {
            let _ = write_record(&mut Vec::new(), bad, false);
            let _ = write_record(&mut Vec::new(), bad, true);
        }
    }

    /// Random records, compact and pretty, with `attributes` as keys at every depth and as
    /// text inside strings and values: the byte pass drops exactly what dropping the members
    /// from the decoded record drops.
    #[test]
    fn the_byte_pass_agrees_with_decoding_on_random_records() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        const WORDS: [&str; 6] = [
            "attributes",
            "\"attributes\":{",
            "a\\",
            "Zoë 東京 🚀",
            "{\"attributes\":1}",
            "x,\"attributes\"",
        ];
        fn value(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> Value {
            match if depth > 3 { next(4) } else { next(7) } {
                0 => Value::Null,
                1 => Value::from(next(1000) as f64 / 8.0),
                2 | 3 => Value::from(WORDS[next(6) as usize]),
                4 => Value::Array((0..next(3)).map(|_| value(next, depth + 1)).collect()),
                _ => Value::Object(object(next, depth + 1)),
            }
        }
        fn object(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> Map<String, Value> {
            let mut m = Map::new();
            for i in 0..next(5) {
                let key = match next(4) {
                    0 => "attributes".to_owned(),
                    1 => WORDS[next(6) as usize].to_owned(),
                    _ => format!("F{i}"),
                };
                m.insert(key, value(next, depth));
            }
            m
        }
        fn strip(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    m.shift_remove("attributes");
                    m.values_mut().for_each(strip);
                }
                Value::Array(items) => items.iter_mut().for_each(strip),
                _ => {}
            }
        }
        for _ in 0..3_000 {
            let record = Value::Object(object(&mut next, 0));
            let mut want = record.clone();
            strip(&mut want);
            for text in [
                serde_json::to_string(&record).unwrap(),
                serde_json::to_string_pretty(&record).unwrap(),
            ] {
                let got: Value = serde_json::from_str(&pass(&text, false))
                    .unwrap_or_else(|e| panic!("{e}: {text}"));
                assert_eq!(got, want, "{text}");
            }
        }
    }
}
