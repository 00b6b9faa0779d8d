//! Literal values: what may stand on the right of a comparison.

use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::Serialize;

use crate::escape::{self, write_quoted};

/// A literal value in a WHERE or HAVING clause, a GEOLOCATION argument or a SOSL WITH clause.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "value")]
pub enum Value {
    /// `NULL`, in any case.
    Null,
    /// `TRUE` or `FALSE`, in any case.
    Boolean(bool),
    /// An integer or decimal number, optionally signed.
    Number(Number),
    /// A single-quoted string, held decoded (escapes resolved). The printer escapes it again.
    String(String),
    /// A date literal `YYYY-MM-DD`.
    Date(NaiveDate),
    /// A dateTime literal `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)`.
    DateTime(DateTimeLiteral),
    /// A time literal `hh:mm:ss[.fff]Z`, for Time fields.
    Time(NaiveTime),
    /// A relative date literal such as `TODAY` or `LAST_N_DAYS:30`.
    DateLiteral(DateLiteral),
    /// A currency literal: an ISO code fused to a number, as in `USD5000` (multi-currency orgs).
    Currency(CurrencyLiteral),
    /// An Apex bind variable such as `:accountIds`. Only accepted with
    /// [`ParseOptions::apex_binds`](crate::ParseOptions::apex_binds); REST queries never carry them.
    Bind(BindVariable),
}

impl Value {
    /// A string value. The printer escapes it, so any user text is safe here.
    pub fn string(s: impl Into<String>) -> Self {
        Value::String(s.into())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Boolean(true) => f.write_str("TRUE"),
            Value::Boolean(false) => f.write_str("FALSE"),
            Value::Number(n) => n.fmt(f),
            Value::String(s) => write_quoted(f, s),
            Value::Date(d) => f.write_str(&escape::format_date(*d)),
            Value::DateTime(dt) => dt.fmt(f),
            Value::Time(t) => write_time(f, *t).and_then(|()| f.write_str("Z")),
            Value::DateLiteral(d) => d.fmt(f),
            Value::Currency(c) => c.fmt(f),
            Value::Bind(b) => b.fmt(f),
        }
    }
}

/// A number exactly as written (less a leading `+`), so `101.00` prints back as `101.00` and no
/// precision is lost to floating point.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Number {
    text: String,
}

impl Number {
    /// Builds a number from its text if it is `-?digits(.digits)?`.
    pub fn parse(text: &str) -> Option<Self> {
        let body = text.strip_prefix(['-', '+']).unwrap_or(text);
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || frac.is_some_and(|f| !digits(f)) {
            return None;
        }
        let negative = text.starts_with('-');
        Some(Number {
            text: if negative {
                format!("-{body}")
            } else {
                body.to_owned()
            },
        })
    }

    /// The number's text, e.g. `-100.123`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the number has no fractional part.
    pub fn is_integer(&self) -> bool {
        !self.text.contains('.')
    }

    /// The value as a float (lossy; for executors and comparisons).
    pub fn to_f64(&self) -> f64 {
        self.text.parse().unwrap_or(f64::NAN)
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number {
            text: n.to_string(),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A dateTime literal with the offset it was written in. `Z` and `+00:00` are kept apart so the
/// printer gives back what was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DateTimeLiteral {
    /// Date and wall-clock time as written, before the offset is applied.
    pub local: NaiveDateTime,
    /// Offset east of UTC in minutes; `None` means the `Z` designator.
    pub offset_minutes: Option<i16>,
}

impl DateTimeLiteral {
    /// A UTC instant, printed with `Z`.
    pub fn utc(instant: NaiveDateTime) -> Self {
        DateTimeLiteral {
            local: instant,
            offset_minutes: None,
        }
    }

    /// The instant in UTC.
    pub fn to_utc(&self) -> NaiveDateTime {
        let minutes = i64::from(self.offset_minutes.unwrap_or(0));
        self.local - chrono::TimeDelta::minutes(minutes)
    }
}

impl fmt::Display for DateTimeLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.local.date();
        write!(f, "{:04}-{:02}-{:02}T", d.year(), d.month(), d.day())?;
        write_time(f, self.local.time())?;
        match self.offset_minutes {
            None => f.write_str("Z"),
            Some(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                let m = m.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", m / 60, m % 60)
            }
        }
    }
}

/// Writes `hh:mm:ss` and the fraction of a second, if any: milliseconds when they say it all,
/// otherwise up to nanoseconds without trailing zeros.
fn write_time(f: &mut fmt::Formatter<'_>, t: NaiveTime) -> fmt::Result {
    write!(f, "{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())?;
    let nanos = t.nanosecond();
    if nanos == 0 {
        Ok(())
    } else if nanos.is_multiple_of(1_000_000) {
        write!(f, ".{:03}", nanos / 1_000_000)
    } else {
        let digits = format!("{nanos:09}");
        f.write_str(".")?;
        f.write_str(digits.trim_end_matches('0'))
    }
}

/// A currency literal such as `USD5000` or `EUR-12.5`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyLiteral {
    /// The ISO 4217 code as written (three letters).
    pub iso_code: String,
    /// The amount.
    pub amount: Number,
}

impl fmt::Display for CurrencyLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.iso_code, self.amount)
    }
}

/// An Apex bind expression after the colon: `accountIds`, `timeCard.Id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct BindVariable {
    /// The dotted path of the bound Apex variable.
    pub path: Vec<String>,
}

impl fmt::Display for BindVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(":")?;
        f.write_str(&self.path.join("."))
    }
}

macro_rules! date_literals {
    (
        fixed { $($fixed:ident => $fname:literal,)* }
        counted { $($counted:ident => $cname:literal,)* }
    ) => {
        /// A relative date literal. Each one names a half-open range of days computed in the
        /// running user's time zone (the emulator resolves them); the `N` forms take a count.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(tag = "literal", content = "n")]
        pub enum DateLiteral {
            $(
                #[doc = concat!("`", $fname, "`")]
                #[serde(rename = $fname)]
                $fixed,
            )*
            $(
                #[doc = concat!("`", $cname, ":n`")]
                #[serde(rename = $cname)]
                $counted(u32),
            )*
        }

        impl DateLiteral {
            /// Every literal name, fixed ones and counted ones (without `:n`).
            pub const NAMES: &'static [&'static str] = &[$($fname,)* $($cname,)*];

            /// The fixed literal with this name, case-insensitively.
            pub fn fixed(name: &str) -> Option<Self> {
                $(if name.eq_ignore_ascii_case($fname) { return Some(DateLiteral::$fixed); })*
                None
            }

            /// The counted literal with this name (`LAST_N_DAYS`) and count, case-insensitively.
            pub fn counted(name: &str, n: u32) -> Option<Self> {
                $(if name.eq_ignore_ascii_case($cname) { return Some(DateLiteral::$counted(n)); })*
                None
            }

            /// True if `name` is a counted literal's name, which must be followed by `:n`.
            pub fn is_counted_name(name: &str) -> bool {
                false $(|| name.eq_ignore_ascii_case($cname))*
            }

            /// The literal's name, without its count.
            pub fn name(&self) -> &'static str {
                match self {
                    $(DateLiteral::$fixed => $fname,)*
                    $(DateLiteral::$counted(_) => $cname,)*
                }
            }

            /// The count of an `N` literal.
            pub fn count(&self) -> Option<u32> {
                match self {
                    $(DateLiteral::$counted(n) => Some(*n),)*
                    _ => None,
                }
            }
        }
    };
}

date_literals! {
    fixed {
        Yesterday => "YESTERDAY",
        Today => "TODAY",
        Tomorrow => "TOMORROW",
        LastWeek => "LAST_WEEK",
        ThisWeek => "THIS_WEEK",
        NextWeek => "NEXT_WEEK",
        LastMonth => "LAST_MONTH",
        ThisMonth => "THIS_MONTH",
        NextMonth => "NEXT_MONTH",
        Last90Days => "LAST_90_DAYS",
        Next90Days => "NEXT_90_DAYS",
        ThisQuarter => "THIS_QUARTER",
        LastQuarter => "LAST_QUARTER",
        NextQuarter => "NEXT_QUARTER",
        ThisYear => "THIS_YEAR",
        LastYear => "LAST_YEAR",
        NextYear => "NEXT_YEAR",
        ThisFiscalQuarter => "THIS_FISCAL_QUARTER",
        LastFiscalQuarter => "LAST_FISCAL_QUARTER",
        NextFiscalQuarter => "NEXT_FISCAL_QUARTER",
        ThisFiscalYear => "THIS_FISCAL_YEAR",
        LastFiscalYear => "LAST_FISCAL_YEAR",
        NextFiscalYear => "NEXT_FISCAL_YEAR",
    }
    counted {
        LastNDays => "LAST_N_DAYS",
        NextNDays => "NEXT_N_DAYS",
        NDaysAgo => "N_DAYS_AGO",
        LastNWeeks => "LAST_N_WEEKS",
        NextNWeeks => "NEXT_N_WEEKS",
        NWeeksAgo => "N_WEEKS_AGO",
        LastNMonths => "LAST_N_MONTHS",
        NextNMonths => "NEXT_N_MONTHS",
        NMonthsAgo => "N_MONTHS_AGO",
        LastNQuarters => "LAST_N_QUARTERS",
        NextNQuarters => "NEXT_N_QUARTERS",
        NQuartersAgo => "N_QUARTERS_AGO",
        LastNYears => "LAST_N_YEARS",
        NextNYears => "NEXT_N_YEARS",
        NYearsAgo => "N_YEARS_AGO",
        LastNFiscalQuarters => "LAST_N_FISCAL_QUARTERS",
        NextNFiscalQuarters => "NEXT_N_FISCAL_QUARTERS",
        NFiscalQuartersAgo => "N_FISCAL_QUARTERS_AGO",
        LastNFiscalYears => "LAST_N_FISCAL_YEARS",
        NextNFiscalYears => "NEXT_N_FISCAL_YEARS",
        NFiscalYearsAgo => "N_FISCAL_YEARS_AGO",
    }
}

impl fmt::Display for DateLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self.count() {
            Some(n) => write!(f, ":{n}"),
            None => Ok(()),
        }
    }
}
