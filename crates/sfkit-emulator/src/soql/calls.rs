//! SOQL's functions compiled to SQL: aggregates, the wrappers that pass their field through
//! (toLabel, FORMAT, convertCurrency, convertTimezone), date functions, DISTANCE and FORMULA.

use rusqlite::types::Value as Sql;
use sfkit_soql::{Expr, FieldPath, Function, FunctionCall, Span, Value};

use super::compile::{Compiler, Operand};
use super::errors::malformed;
use crate::api_error::ApiError;
use crate::schema::FieldType;

impl<'a> Compiler<'a> {
    pub(super) fn call(
        &mut self,
        call: &FunctionCall,
        aggregates_ok: bool,
    ) -> Result<Operand<'a>, ApiError> {
        use Function as F;
        let arg = call.args.first();
        if call.function.is_aggregate() && !aggregates_ok {
            return Err(malformed(format!(
                "Aggregate functions are not allowed here: {call}"
            )));
        }
        let inner = |c: &mut Self| -> Result<Operand<'a>, ApiError> {
            match arg {
                Some(a) => c.expr(a, false),
                None => Err(malformed(format!("{} needs a field", call.function.name()))),
            }
        };
        let int = |sql: String| Ok(Operand::computed(sql, FieldType::Int));
        let double = |sql: String| Ok(Operand::computed(sql, FieldType::Double));
        match call.function {
            F::Count if arg.is_none() => int("COUNT(*)".into()),
            F::Count => int(format!("COUNT({})", inner(self)?.sql)),
            F::CountDistinct => int(format!("COUNT(DISTINCT {})", inner(self)?.sql)),
            F::Sum => double(format!("SUM({})", inner(self)?.sql)),
            F::Avg => double(format!("AVG({})", inner(self)?.sql)),
            F::Min | F::Max => {
                // The field passes through: MIN(Amount) has Amount's type, and its name.
                let mut operand = inner(self)?;
                let f = if call.function == F::Min {
                    "MIN"
                } else {
                    "MAX"
                };
                operand.sql = format!("{f}({})", operand.sql);
                Ok(operand)
            }
            F::Grouping => Err(malformed(
                "GROUPING() is only allowed with GROUP BY ROLLUP or CUBE",
            )),
            F::ToLabel | F::ConvertCurrency | F::ConvertTimezone | F::Format => inner(self),
            F::CalendarYear
            | F::CalendarMonth
            | F::CalendarQuarter
            | F::DayInMonth
            | F::DayInWeek
            | F::DayInYear
            | F::DayOnly
            | F::FiscalMonth
            | F::FiscalQuarter
            | F::FiscalYear
            | F::HourInDay
            | F::WeekInMonth
            | F::WeekInYear => {
                let operand = inner(self)?;
                self.date_function(call.function, operand)
            }
            F::Distance => self.distance(call),
            F::Geolocation => Err(malformed(
                "GEOLOCATION() can only be the second argument of DISTANCE()",
            )),
            F::Formula => self.formula(call),
        }
    }

    /// CALENDAR_YEAR and the other date functions over a date or dateTime operand.
    fn date_function(
        &self,
        function: Function,
        operand: Operand<'a>,
    ) -> Result<Operand<'a>, ApiError> {
        use Function as F;
        let sql = operand.sql;
        let date = match operand.kind {
            FieldType::Datetime => format!("datetime({sql} / 1000, 'unixepoch')"),
            FieldType::Date => sql,
            _ => {
                return Err(malformed(format!(
                    "{} needs a date or dateTime field",
                    function.name()
                )));
            }
        };
        let fy = i64::from(self.env.fiscal_start.clamp(1, 12));
        let month = format!("CAST(strftime('%m', {date}) AS INTEGER)");
        let fiscal_month = format!("((({month}) - {fy} + 12) % 12 + 1)");
        let sql = match function {
            F::CalendarYear => format!("CAST(strftime('%Y', {date}) AS INTEGER)"),
            F::CalendarMonth => month,
            F::CalendarQuarter => format!("(({month} + 2) / 3)"),
            F::DayInMonth => format!("CAST(strftime('%d', {date}) AS INTEGER)"),
            F::DayInWeek => format!("(CAST(strftime('%w', {date}) AS INTEGER) + 1)"),
            F::DayInYear => format!("CAST(strftime('%j', {date}) AS INTEGER)"),
            F::DayOnly => return Ok(Operand::computed(format!("date({date})"), FieldType::Date)),
            F::HourInDay => format!("CAST(strftime('%H', {date}) AS INTEGER)"),
            F::WeekInMonth => format!("((CAST(strftime('%d', {date}) AS INTEGER) - 1) / 7 + 1)"),
            F::WeekInYear => format!("((CAST(strftime('%j', {date}) AS INTEGER) - 1) / 7 + 1)"),
            F::FiscalMonth => fiscal_month,
            F::FiscalQuarter => format!("(({fiscal_month} + 2) / 3)"),
            _ => format!(
                "(CAST(strftime('%Y', {date}) AS INTEGER) + CASE WHEN {fy} > 1 AND {month} >= {fy} THEN 1 ELSE 0 END)"
            ),
        };
        Ok(Operand::computed(sql, FieldType::Int))
    }

    /// `DISTANCE(location, GEOLOCATION(lat, lon), 'mi'|'km')`: the great-circle distance from
    /// a location (a geolocation field `Loc__c`, read from `Loc__Latitude__s` and
    /// `Loc__Longitude__s`, or an address such as `BillingAddress`, read from `BillingLatitude`
    /// and `BillingLongitude`) to a point, by the `sfkit_distance` SQL function.
    fn distance(&mut self, call: &FunctionCall) -> Result<Operand<'a>, ApiError> {
        let usage = || {
            malformed(
                "DISTANCE() takes a location field, GEOLOCATION(latitude, longitude) and 'mi' or 'km'",
            )
        };
        let [
            Expr::Field { path },
            Expr::Call(geo),
            Expr::Literal { value: unit, .. },
        ] = call.args.as_slice()
        else {
            return Err(usage());
        };
        let point = match (geo.function, geo.args.as_slice()) {
            (
                Function::Geolocation,
                [
                    Expr::Literal {
                        value: Value::Number(lat),
                        ..
                    },
                    Expr::Literal {
                        value: Value::Number(lon),
                        ..
                    },
                ],
            ) => (lat.to_f64(), lon.to_f64()),
            _ => return Err(usage()),
        };
        if !(-90.0..=90.0).contains(&point.0) || !(-180.0..=180.0).contains(&point.1) {
            return Err(malformed(format!(
                "GEOLOCATION({}, {}) is not a valid latitude and longitude",
                point.0, point.1
            )));
        }
        // Kilometres per unit; the SQL function works on a sphere of the Earth's mean radius.
        let per_unit = match unit {
            Value::String(u) if u.eq_ignore_ascii_case("km") => 1.0,
            Value::String(u) if u.eq_ignore_ascii_case("mi") => 1.609_344,
            _ => return Err(usage()),
        };
        let name = path.field();
        let (lat_name, lon_name) = match name.len().checked_sub(3).and_then(|n| name.get(..n)) {
            Some(base) if name.to_ascii_lowercase().ends_with("__c") => (
                format!("{base}__Latitude__s"),
                format!("{base}__Longitude__s"),
            ),
            _ => match name.len().checked_sub(7).and_then(|n| name.get(..n)) {
                Some(base) if name.to_ascii_lowercase().ends_with("address") => {
                    (format!("{base}Latitude"), format!("{base}Longitude"))
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "INVALID_FIELD",
                        format!("DISTANCE() needs a location or address field, not {path}"),
                    ));
                }
            },
        };
        // The component's name was not written: only the relationships before it have a place.
        let relationships = path.segments.len().saturating_sub(1);
        let component = |c: &mut Self, last: String| {
            let mut segments = path.segments.clone();
            if let Some(l) = segments.last_mut() {
                *l = last;
            }
            let spans = path.spans().iter().take(relationships).copied().collect();
            c.resolve(&FieldPath::from_segments(segments).with_spans(spans))
                .map(|r| r.sql)
        };
        let lat = component(self, lat_name)?;
        let lon = component(self, lon_name)?;
        let (plat, plon, unit) = (
            self.bind(Sql::Real(point.0)),
            self.bind(Sql::Real(point.1)),
            self.bind(Sql::Real(per_unit)),
        );
        Ok(Operand::computed(
            format!("sfkit_distance({lat}, {lon}, {plat}, {plon}, {unit})"),
            FieldType::Double,
        ))
    }

    /// `FORMULA('Amount - ExpectedRevenue')`: arithmetic (`+ - * /`, parentheses, numbers) on
    /// number fields, compiled to SQL; division by zero gives null, so the row does not match.
    fn formula(&mut self, call: &FunctionCall) -> Result<Operand<'a>, ApiError> {
        let [
            Expr::Literal {
                value: Value::String(text),
                span: literal,
            },
        ] = call.args.as_slice()
        else {
            return Err(malformed("FORMULA() takes one quoted formula"));
        };
        let bad = |why: &str| malformed(format!("Invalid formula '{text}': {why}"));
        let mut sql = String::new();
        let mut depth = 0usize;
        // Alternates operand / operator; `expect_operand` is true where an operand must come.
        let mut expect_operand = true;
        let mut chars = text.char_indices().peekable();
        while let Some((i, ch)) = chars.next() {
            match ch {
                ' ' | '\t' | '\n' | '\r' => {}
                '(' if expect_operand => {
                    depth += 1;
                    sql.push('(');
                }
                ')' if !expect_operand && depth > 0 => {
                    depth -= 1;
                    sql.push(')');
                }
                '+' | '-' | '*' | '/' if !expect_operand => {
                    sql.push_str(&format!(" {ch} "));
                    expect_operand = true;
                }
                // With a space: two minus signs together would start an SQL comment.
                '-' if expect_operand => sql.push_str(" -"),
                c if expect_operand && (c.is_ascii_alphanumeric() || c == '_' || c == '.') => {
                    let mut end = i + c.len_utf8();
                    while let Some(&(j, d)) = chars.peek() {
                        if d.is_ascii_alphanumeric() || d == '_' || d == '.' {
                            end = j + d.len_utf8();
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    let word = text.get(i..end).unwrap_or_default();
                    if let Some(n) = sfkit_soql::Number::parse(word) {
                        sql.push_str(&self.bind(Sql::Real(n.to_f64())));
                    } else {
                        let path = FieldPath::parse(word)
                            .map(|p| in_query(self.src, *literal, text, i, p))
                            .map_err(|_| bad(&format!("'{word}' is not a field")))?;
                        let r = self.resolve(&path)?;
                        if !matches!(
                            r.field.kind,
                            FieldType::Currency
                                | FieldType::Double
                                | FieldType::Percent
                                | FieldType::Int
                        ) {
                            return Err(ApiError::bad_request(
                                "INVALID_FIELD",
                                format!(
                                    "FORMULA() works on number fields; {} is not one",
                                    r.field.name
                                ),
                            ));
                        }
                        sql.push_str(&format!("CAST({} AS REAL)", r.sql));
                    }
                    expect_operand = false;
                }
                other => return Err(bad(&format!("unexpected '{other}'"))),
            }
        }
        if expect_operand || depth > 0 {
            return Err(bad("it is incomplete"));
        }
        Ok(Operand::computed(format!("({sql})"), FieldType::Double))
    }
}

/// A path parsed from a formula's text, at byte `at` of it, with its spans moved into the query
/// text `src`, whose `literal` holds the formula. The spans are exact when the literal's text up
/// to the path reads as the formula does (no escape sequence before it; a formula needs none);
/// otherwise every segment points at the literal.
fn in_query(src: &str, literal: Span, text: &str, at: usize, path: FieldPath) -> FieldPath {
    if literal.is_empty() {
        return FieldPath::from_segments(path.segments);
    }
    // After the opening quote.
    let body = literal.start + 1;
    let end = at + path.span().end;
    let verbatim = src
        .get(body..body + end)
        .is_some_and(|raw| Some(raw) == text.get(..end));
    let spans = path
        .spans()
        .iter()
        .map(|s| {
            if verbatim {
                Span::new(body + at + s.start, body + at + s.end)
            } else {
                literal
            }
        })
        .collect();
    FieldPath::from_segments(path.segments).with_spans(spans)
}
