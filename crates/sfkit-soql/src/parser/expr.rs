//! Field paths and function calls, with the rules for which function may appear where.

use super::Parser;
use crate::Span;
use crate::ast::{Expr, FieldPath, Function, FunctionCall, FunctionKind, Value};
use crate::error::{Error, describe};
use crate::lexer::{Kind, Token};

/// Where an expression stands; decides which functions are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// A SELECT list item (or a SOSL RETURNING field).
    Select,
    /// The left side of a WHERE condition.
    Where,
    /// The left side of a HAVING condition.
    Having,
    /// A GROUP BY key.
    GroupBy,
    /// An ORDER BY key.
    OrderBy,
}

impl Parser<'_> {
    /// `name(.name)*`. The first name must not be reserved; later ones may be anything.
    pub(super) fn field_path(&mut self, what: &str) -> Result<FieldPath, Error> {
        let first = self.peek();
        let mut segments = vec![self.name(what)?];
        let mut spans = vec![Span::new(first.start, first.end)];
        while self.peek().kind == Kind::Dot {
            self.bump();
            let (name, span) = self.spanned_ident("a field or relationship name after '.'")?;
            segments.push(name);
            spans.push(span);
        }
        Ok(FieldPath::from_segments(segments).with_spans(spans))
    }

    /// A literal argument whose tokens began with `first` and end at the last one consumed.
    fn literal(&self, value: Value, first: Token) -> Expr {
        let end = self.last_end().max(first.start);
        Expr::Literal {
            value,
            span: Span::new(first.start, end),
        }
    }

    /// A field path or a function call.
    pub(super) fn expr(&mut self, place: Place) -> Result<Expr, Error> {
        let t = self.peek();
        if t.kind == Kind::Ident && self.peek_at(1).kind == Kind::LParen {
            return Ok(Expr::Call(self.call(place, None)?));
        }
        let what = match place {
            Place::Select => "a field, function, subquery or TYPEOF",
            Place::Where | Place::Having => "a field or function to compare",
            Place::GroupBy => "a field or date function to group by",
            Place::OrderBy => "a field or function to order by",
        };
        Ok(Expr::field(self.field_path(what)?))
    }

    /// `NAME(args)`, checked against where it stands (`place`) and what encloses it (`parent`).
    fn call(&mut self, place: Place, parent: Option<Function>) -> Result<FunctionCall, Error> {
        let name_tok = self.bump();
        let name = self.text(name_tok);
        let function = Function::from_name(name).ok_or_else(|| {
            Error::at(
                self.src,
                name_tok.start,
                "a SOQL function (COUNT, SUM, toLabel, CALENDAR_YEAR, DISTANCE, ...)",
                describe(name),
            )
        })?;
        if let Some(expected) = misplaced(function, place, parent) {
            return Err(self.error_at(name_tok, &expected));
        }
        self.expect(Kind::LParen, "'('")?;
        self.enter()?;
        let args = self.args(function, place)?;
        self.leave();
        self.expect(Kind::RParen, "')' to close the function's arguments")?;
        Ok(FunctionCall { function, args })
    }

    fn args(&mut self, function: Function, place: Place) -> Result<Vec<Expr>, Error> {
        use Function as F;
        let mut args = Vec::new();
        match function {
            F::Count if self.peek().kind == Kind::RParen => {
                if place != Place::Select {
                    return Err(self.unexpected(
                        "a field: COUNT() with no field is only allowed alone in SELECT",
                    ));
                }
            }
            F::Distance => {
                args.push(Expr::field(
                    self.field_path("a location field as DISTANCE's first argument")?,
                ));
                self.expect(Kind::Comma, "',' after DISTANCE's location field")?;
                let first = self.peek();
                args.push(if first.kind == Kind::Colon {
                    let value = Value::Bind(self.bind()?);
                    self.literal(value, first)
                } else if self.peek_kw("GEOLOCATION") && self.peek_at(1).kind == Kind::LParen {
                    Expr::Call(self.call(place, Some(F::Distance))?)
                } else {
                    return Err(self.unexpected("GEOLOCATION(latitude, longitude)"));
                });
                self.expect(Kind::Comma, "',' before DISTANCE's unit")?;
                let unit = self.peek();
                let value = self.value()?;
                let ok = matches!(&value, Value::String(u) if u.eq_ignore_ascii_case("mi") || u.eq_ignore_ascii_case("km"));
                if !ok {
                    return Err(self.error_at(unit, "the unit 'mi' or 'km'"));
                }
                args.push(self.literal(value, unit));
            }
            F::Geolocation => {
                for i in 0..2 {
                    if i == 1 {
                        self.expect(Kind::Comma, "',' between latitude and longitude")?;
                    }
                    let t = self.peek();
                    let value = self.value()?;
                    if !matches!(value, Value::Number(_) | Value::Bind(_)) {
                        return Err(self.error_at(t, "a latitude or longitude in degrees"));
                    }
                    args.push(self.literal(value, t));
                }
            }
            F::Formula => {
                let t = self.peek();
                if t.kind != Kind::Str {
                    return Err(
                        self.unexpected("a quoted formula such as 'Amount - ExpectedRevenue'")
                    );
                }
                let value = Value::String(self.string_value(t)?);
                self.bump();
                args.push(self.literal(value, t));
            }
            _ => {
                // Every other function takes exactly one argument: a field, or a call that may
                // nest inside this one (FORMAT(MIN(x)), CALENDAR_YEAR(convertTimezone(x))).
                let t = self.peek();
                if t.kind == Kind::Ident && self.peek_at(1).kind == Kind::LParen {
                    args.push(Expr::Call(self.call(place, Some(function))?));
                } else {
                    args.push(Expr::field(self.field_path(&format!(
                        "a field as {}'s argument",
                        function.name()
                    ))?));
                }
            }
        }
        Ok(args)
    }
}

/// Why `function` may not stand here, as the "Expected" half of an error; `None` if it may.
fn misplaced(function: Function, place: Place, parent: Option<Function>) -> Option<String> {
    use Function as F;
    let kind = function.kind();
    if let Some(parent) = parent {
        let ok = match (parent, function) {
            (F::Distance, F::Geolocation) => true,
            (F::Format, f) => f.is_aggregate() || f == F::ConvertCurrency,
            (p, F::ConvertTimezone) => p.kind() == FunctionKind::Date,
            (p, F::ConvertCurrency) => p.is_aggregate(),
            _ => false,
        };
        return (!ok).then(|| format!("a field as {}'s argument", parent.name()));
    }
    match function {
        F::Geolocation => Some("DISTANCE(field, GEOLOCATION(lat, lon), 'mi'|'km'); GEOLOCATION stands only inside DISTANCE".into()),
        F::ConvertTimezone => Some("a date function around convertTimezone(), as in HOUR_IN_DAY(convertTimezone(CreatedDate))".into()),
        F::Formula if place != Place::Where => Some("FORMULA() only on the left of a WHERE condition".into()),
        _ if kind == FunctionKind::Aggregate && place == Place::Where => {
            Some("a field or non-aggregate function (aggregates belong in HAVING)".into())
        }
        _ if kind == FunctionKind::Aggregate && place == Place::GroupBy => Some("a field or date function to group by".into()),
        F::Format if place != Place::Select => Some("FORMAT() only in a SELECT list".into()),
        F::Distance if place == Place::GroupBy || place == Place::Having => {
            Some("DISTANCE() only in SELECT, WHERE or ORDER BY".into())
        }
        _ => None,
    }
}
