//! Literal values and LIMIT/OFFSET counts.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::Parser;
use crate::ast::{CurrencyLiteral, DateLiteral, DateTimeLiteral, Number, RowCount, Value};
use crate::error::{Error, describe};
use crate::lexer::{Kind, Token};

const VALUE: &str = "a value (string, number, date, dateTime, date literal, NULL, TRUE or FALSE)";

impl Parser<'_> {
    /// A literal value.
    pub(super) fn value(&mut self) -> Result<Value, Error> {
        let t = self.peek();
        let v = match t.kind {
            Kind::Str => Value::String(self.string_value(t)?),
            Kind::Number => Value::Number(self.number_token(t, false)?),
            Kind::Minus | Kind::Plus => {
                let n = self.peek_at(1);
                if n.kind != Kind::Number || n.start != t.end {
                    return Err(self.unexpected(VALUE));
                }
                self.bump();
                Value::Number(self.number_token(n, t.kind == Kind::Minus)?)
            }
            Kind::Date => Value::Date(self.date(t)?),
            Kind::DateTime => Value::DateTime(self.datetime(t)?),
            Kind::Time => Value::Time(self.time(t)?),
            Kind::Colon => return Ok(Value::Bind(self.bind()?)),
            Kind::Ident => return self.word_value(),
            _ => return Err(self.unexpected(VALUE)),
        };
        self.bump();
        Ok(v)
    }

    /// NULL, TRUE, FALSE, a date literal or a currency literal.
    fn word_value(&mut self) -> Result<Value, Error> {
        let t = self.peek();
        let s = self.text(t);
        if s.eq_ignore_ascii_case("NULL") {
            self.bump();
            return Ok(Value::Null);
        }
        if s.eq_ignore_ascii_case("TRUE") || s.eq_ignore_ascii_case("FALSE") {
            self.bump();
            return Ok(Value::Boolean(s.eq_ignore_ascii_case("TRUE")));
        }
        if let Some(d) = DateLiteral::fixed(s) {
            self.bump();
            return Ok(Value::DateLiteral(d));
        }
        if DateLiteral::is_counted_name(s) {
            self.bump();
            self.expect(
                Kind::Colon,
                &format!("':' and a count after {}", s.to_ascii_uppercase()),
            )?;
            let n = self.count_u32()?;
            return DateLiteral::counted(s, n)
                .map(Value::DateLiteral)
                .ok_or_else(|| self.error_at(t, VALUE));
        }
        if let Some(c) = self.currency()? {
            return Ok(Value::Currency(c));
        }
        Err(self.unexpected(VALUE))
    }

    /// `USD5000`, `USD5000.01`, `USD-500`: an ISO code fused to a number. The lexer sees an
    /// identifier (and perhaps `.` or `-` and a number), so the pieces must touch.
    fn currency(&mut self) -> Result<Option<CurrencyLiteral>, Error> {
        let t = self.peek();
        let s = self.text(t);
        let (code, digits) = s.split_at_checked(3).unwrap_or((s, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Ok(None);
        }
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            self.bump();
            let mut text = digits.to_owned();
            let (dot, frac) = (self.peek(), self.peek_at(1));
            if dot.kind == Kind::Dot
                && dot.start == t.end
                && frac.kind == Kind::Number
                && frac.start == dot.end
            {
                let f = self.text(frac);
                if !f.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(self.error_at(frac, "the digits of a currency amount"));
                }
                text.push('.');
                text.push_str(f);
                self.bump();
                self.bump();
            }
            let amount = Number::parse(&text).ok_or_else(|| self.error_at(t, VALUE))?;
            return Ok(Some(CurrencyLiteral {
                iso_code: code.to_owned(),
                amount,
            }));
        }
        let (sign, num) = (self.peek_at(1), self.peek_at(2));
        if digits.is_empty()
            && matches!(sign.kind, Kind::Minus | Kind::Plus)
            && sign.start == t.end
            && num.kind == Kind::Number
            && num.start == sign.end
        {
            self.bump();
            self.bump();
            self.bump();
            let amount = self.number_token(num, sign.kind == Kind::Minus)?;
            return Ok(Some(CurrencyLiteral {
                iso_code: code.to_owned(),
                amount,
            }));
        }
        Ok(None)
    }

    fn number_token(&self, t: Token, negative: bool) -> Result<Number, Error> {
        let text = self.text(t);
        let signed = if negative {
            format!("-{text}")
        } else {
            text.to_owned()
        };
        Number::parse(&signed).ok_or_else(|| self.error_at(t, "a number"))
    }

    fn date(&self, t: Token) -> Result<NaiveDate, Error> {
        NaiveDate::parse_from_str(self.text(t), "%Y-%m-%d")
            .map_err(|_| self.error_at(t, "a valid calendar date (YYYY-MM-DD)"))
    }

    fn datetime(&self, t: Token) -> Result<DateTimeLiteral, Error> {
        let s = self.text(t);
        let bad = || self.error_at(t, "a valid dateTime (YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm))");
        // The lexer guarantees the shape; here only the calendar and clock values are checked.
        let (local, zone) = match s.find(['Z', 'z']) {
            Some(i) => (s.get(..i).unwrap_or_default(), None),
            None => {
                let i = s.rfind(['+', '-']).filter(|&i| i > 10).ok_or_else(bad)?;
                (s.get(..i).unwrap_or_default(), s.get(i..))
            }
        };
        let (date, clock) = local.split_once('T').ok_or_else(bad)?;
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| bad())?;
        let time = parse_clock(clock).ok_or_else(bad)?;
        let offset_minutes = match zone {
            None => None,
            Some(z) => {
                let negative = z.starts_with('-');
                let digits: String = z.chars().filter(char::is_ascii_digit).collect();
                let (h, m) = digits.split_at_checked(2).ok_or_else(bad)?;
                let (h, m): (i16, i16) =
                    (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
                if h > 14 || m > 59 {
                    return Err(bad());
                }
                let total = h * 60 + m;
                Some(if negative { -total } else { total })
            }
        };
        Ok(DateTimeLiteral {
            local: NaiveDateTime::new(date, time),
            offset_minutes,
        })
    }

    fn time(&self, t: Token) -> Result<NaiveTime, Error> {
        let s = self.text(t);
        s.get(..s.len().saturating_sub(1))
            .and_then(parse_clock)
            .ok_or_else(|| self.error_at(t, "a valid time (hh:mm:ss[.fff]Z)"))
    }

    /// A non-negative integer that fits in u32 (date literal counts).
    fn count_u32(&mut self) -> Result<u32, Error> {
        let t = self.peek();
        if t.kind != Kind::Number || self.text(t).contains('.') {
            return Err(self.unexpected("a whole number"));
        }
        let n = self
            .text(t)
            .parse()
            .map_err(|_| self.error_at(t, "a whole number below 4294967296"))?;
        self.bump();
        Ok(n)
    }

    /// A LIMIT or OFFSET count: a non-negative integer, or a bind.
    pub(super) fn row_count(&mut self) -> Result<RowCount, Error> {
        let t = self.peek();
        if t.kind == Kind::Colon {
            return Ok(RowCount::Bind(self.bind()?));
        }
        if t.kind != Kind::Number || self.text(t).contains('.') {
            return Err(self.unexpected("a non-negative whole number"));
        }
        let n = self.text(t).parse().map_err(|_| {
            Error::at(
                self.src,
                t.start,
                "a whole number that fits in 64 bits",
                describe(self.text(t)),
            )
        })?;
        self.bump();
        Ok(RowCount::Literal(n))
    }
}

/// `hh:mm:ss[.f...]`, keeping up to nanoseconds of the fraction (later digits are dropped).
fn parse_clock(s: &str) -> Option<NaiveTime> {
    let (hms, frac) = match s.split_once('.') {
        Some((a, b)) => (a, b),
        None => (s, ""),
    };
    let mut it = hms.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, sec) = (it.next()??, it.next()??, it.next()??);
    let nanos = if frac.is_empty() {
        0
    } else {
        let mut digits: String = frac.chars().take(9).collect();
        while digits.len() < 9 {
            digits.push('0');
        }
        digits.parse().ok()?
    };
    NaiveTime::from_hms_nano_opt(h, m, sec, nanos)
}
