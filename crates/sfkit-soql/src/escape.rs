//! Escaping helpers: the only sanctioned way user text enters SOQL or SOSL.
//!
//! Callers either build an AST (a [`Value::String`](crate::Value::String), a
//! [`LikePattern`](crate::LikePattern), a [`SearchExpr::phrase`](crate::SearchExpr::phrase)) and
//! print it, or use these functions when they assemble text themselves. Either way the escaping
//! below runs; nothing else in sfkit writes quotes or backslashes into a query.
//!
//! SOQL string escapes are `\n \r \t \b \f \" \' \\` and `\uXXXX`; inside LIKE patterns also
//! `\%` and `\_`. SOSL reserves ``? & | ! { } [ ] ( ) ^ ~ * : \ " ' + -`` in search terms, each
//! escaped with a backslash.

use std::fmt::{self, Write as _};

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// Writes `s` as the body of a SOQL string literal. With `like`, `%` and `_` are escaped too so
/// they match literally inside a LIKE pattern.
pub(crate) fn write_escaped<W: fmt::Write>(out: &mut W, s: &str, like: bool) -> fmt::Result {
    for c in s.chars() {
        match c {
            '\'' => out.write_str("\\'")?,
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\u{8}' => out.write_str("\\b")?,
            '\u{c}' => out.write_str("\\f")?,
            '%' if like => out.write_str("\\%")?,
            '_' if like => out.write_str("\\_")?,
            c if c.is_control() => write!(out, "\\u{:04x}", u32::from(c))?,
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

/// Writes `s` as a quoted SOQL string literal.
pub(crate) fn write_quoted<W: fmt::Write>(out: &mut W, s: &str) -> fmt::Result {
    out.write_char('\'')?;
    write_escaped(out, s, false)?;
    out.write_char('\'')
}

/// `s` as a complete SOQL string literal, quotes included: `O'Brien` becomes `'O\'Brien'`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    // Writing to a String cannot fail.
    let _ = write_quoted(&mut out, s);
    out
}

/// `s` escaped for use between the quotes of a SOQL string literal.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let _ = write_escaped(&mut out, s, false);
    out
}

/// `s` escaped for use inside a LIKE pattern, where it matches literally: `50%_off` becomes
/// `50\%\_off`. Add your own `%` around it for a contains match, or use
/// [`LikePattern::contains`](crate::LikePattern::contains).
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let _ = write_escaped(&mut out, s, true);
    out
}

/// The characters SOSL reserves in search terms.
pub const SOSL_RESERVED: &[char] = &[
    '?', '&', '|', '!', '{', '}', '[', ']', '(', ')', '^', '~', '*', ':', '\\', '"', '\'', '+', '-',
];

/// Writes `s` with SOSL's reserved characters escaped.
pub(crate) fn write_sosl_escaped<W: fmt::Write>(out: &mut W, s: &str) -> fmt::Result {
    for c in s.chars() {
        if SOSL_RESERVED.contains(&c) {
            out.write_char('\\')?;
        }
        out.write_char(c)?;
    }
    Ok(())
}

/// `s` with every SOSL reserved character backslash-escaped, for use inside `FIND {...}`:
/// `C++ (beta)` becomes `C\+\+ \(beta\)`. The result still searches word by word; to search the
/// text as one phrase, use [`SearchExpr::phrase`](crate::SearchExpr::phrase).
pub fn escape_sosl(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let _ = write_sosl_escaped(&mut out, s);
    out
}

/// A date as a SOQL date literal: `2024-01-31`.
pub fn format_date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// An instant as a SOQL dateTime literal in UTC: `2024-01-31T23:59:59Z`, with milliseconds
/// (`.250Z`) when the instant has a fraction of a second.
pub fn format_datetime(t: DateTime<Utc>) -> String {
    let mut out = format!(
        "{}T{:02}:{:02}:{:02}",
        format_date(t.date_naive()),
        t.hour(),
        t.minute(),
        t.second()
    );
    let millis = t.nanosecond() / 1_000_000 % 1000;
    if millis != 0 {
        let _ = write!(out, ".{millis:03}");
    }
    out.push('Z');
    out
}
