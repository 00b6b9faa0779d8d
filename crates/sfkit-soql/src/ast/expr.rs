//! Expressions (field paths, function calls, literal arguments) and the boolean conditions of
//! WHERE and HAVING.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::Serialize;

use super::{FieldPath, Query, Value, value::BindVariable};
use crate::Span;
use crate::escape::write_escaped;

/// An expression: what a SELECT item, a GROUP BY or ORDER BY key, or the left side of a
/// condition is made of.
///
/// Equality and hashing ignore a literal's span, as they do a path's.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Expr {
    /// A field or relationship path.
    Field {
        /// The path.
        path: FieldPath,
    },
    /// A function call such as `COUNT(Id)` or `CALENDAR_YEAR(CreatedDate)`.
    Call(FunctionCall),
    /// A literal argument (GEOLOCATION's coordinates, DISTANCE's unit, FORMULA's text).
    Literal {
        /// The value.
        value: Value,
        /// Where it was written (a string's quotes included); empty when built by a program.
        #[serde(skip)]
        span: Span,
    },
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Expr::Field { path: a }, Expr::Field { path: b }) => a == b,
            (Expr::Call(a), Expr::Call(b)) => a == b,
            (Expr::Literal { value: a, .. }, Expr::Literal { value: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for Expr {}

impl Hash for Expr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Expr::Field { path } => path.hash(state),
            Expr::Call(call) => call.hash(state),
            Expr::Literal { value, .. } => value.hash(state),
        }
    }
}

impl Expr {
    /// A field expression from a path of names.
    pub fn field(path: FieldPath) -> Self {
        Expr::Field { path }
    }

    /// A literal argument, with no position.
    pub fn literal(value: Value) -> Self {
        Expr::Literal {
            value,
            span: Span::default(),
        }
    }

    /// True if this is an aggregate call (COUNT, SUM, ...), possibly wrapped in FORMAT or
    /// convertCurrency.
    pub fn is_aggregate(&self) -> bool {
        match self {
            Expr::Call(call) => {
                call.function.is_aggregate() || call.args.iter().any(Expr::is_aggregate)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Field { path } => path.fmt(f),
            Expr::Call(call) => call.fmt(f),
            Expr::Literal { value, .. } => value.fmt(f),
        }
    }
}

/// A call of one of SOQL's built-in functions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCall {
    /// Which function.
    pub function: Function,
    /// Its arguments; empty for `COUNT()`.
    pub args: Vec<Expr>,
}

impl fmt::Display for FunctionCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.function.name())?;
        f.write_str("(")?;
        write_list(f, &self.args)?;
        f.write_str(")")
    }
}

macro_rules! functions {
    ($($(#[$doc:meta])* $variant:ident => $name:literal, $kind:ident;)*) => {
        /// SOQL's built-in functions. The printer uses the spelling Salesforce documents.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum Function {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl Function {
            /// The function with this name, case-insensitively.
            pub fn from_name(name: &str) -> Option<Self> {
                $(if name.eq_ignore_ascii_case($name) { return Some(Function::$variant); })*
                None
            }

            /// The documented spelling, e.g. `COUNT_DISTINCT`, `toLabel`.
            pub fn name(self) -> &'static str {
                match self { $(Function::$variant => $name,)* }
            }

            /// What kind of function this is.
            pub fn kind(self) -> FunctionKind {
                match self { $(Function::$variant => FunctionKind::$kind,)* }
            }
        }
    };
}

functions! {
    /// `COUNT()` or `COUNT(field)`.
    Count => "COUNT", Aggregate;
    /// `COUNT_DISTINCT(field)`.
    CountDistinct => "COUNT_DISTINCT", Aggregate;
    /// `SUM(field)`.
    Sum => "SUM", Aggregate;
    /// `AVG(field)`.
    Avg => "AVG", Aggregate;
    /// `MIN(field)`.
    Min => "MIN", Aggregate;
    /// `MAX(field)`.
    Max => "MAX", Aggregate;
    /// `GROUPING(field)`: 1 on ROLLUP/CUBE subtotal rows.
    Grouping => "GROUPING", Aggregate;
    /// `toLabel(field)`: the translated picklist label.
    ToLabel => "toLabel", Wrapper;
    /// `FORMAT(expr)`: a locale-formatted value.
    Format => "FORMAT", Wrapper;
    /// `convertCurrency(field)`: the value in the user's currency.
    ConvertCurrency => "convertCurrency", Wrapper;
    /// `convertTimezone(field)`: only inside a date function.
    ConvertTimezone => "convertTimezone", Wrapper;
    /// `CALENDAR_MONTH(date)`.
    CalendarMonth => "CALENDAR_MONTH", Date;
    /// `CALENDAR_QUARTER(date)`.
    CalendarQuarter => "CALENDAR_QUARTER", Date;
    /// `CALENDAR_YEAR(date)`.
    CalendarYear => "CALENDAR_YEAR", Date;
    /// `DAY_IN_MONTH(date)`.
    DayInMonth => "DAY_IN_MONTH", Date;
    /// `DAY_IN_WEEK(date)`: 1 is Sunday.
    DayInWeek => "DAY_IN_WEEK", Date;
    /// `DAY_IN_YEAR(date)`.
    DayInYear => "DAY_IN_YEAR", Date;
    /// `DAY_ONLY(dateTime)`.
    DayOnly => "DAY_ONLY", Date;
    /// `FISCAL_MONTH(date)`.
    FiscalMonth => "FISCAL_MONTH", Date;
    /// `FISCAL_QUARTER(date)`.
    FiscalQuarter => "FISCAL_QUARTER", Date;
    /// `FISCAL_YEAR(date)`.
    FiscalYear => "FISCAL_YEAR", Date;
    /// `HOUR_IN_DAY(dateTime)`.
    HourInDay => "HOUR_IN_DAY", Date;
    /// `WEEK_IN_MONTH(date)`.
    WeekInMonth => "WEEK_IN_MONTH", Date;
    /// `WEEK_IN_YEAR(date)`.
    WeekInYear => "WEEK_IN_YEAR", Date;
    /// `DISTANCE(location, GEOLOCATION(lat, lon), 'mi'|'km')`.
    Distance => "DISTANCE", Location;
    /// `GEOLOCATION(latitude, longitude)`: only as DISTANCE's second argument.
    Geolocation => "GEOLOCATION", Location;
    /// `FORMULA('field op field')`: arithmetic on two fields, WHERE only (beta).
    Formula => "FORMULA", Formula;
}

/// The families of [`Function`], which decide where a function may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FunctionKind {
    /// COUNT, SUM, ... and GROUPING.
    Aggregate,
    /// toLabel, FORMAT, convertCurrency, convertTimezone.
    Wrapper,
    /// CALENDAR_YEAR and the other date functions.
    Date,
    /// DISTANCE and GEOLOCATION.
    Location,
    /// FORMULA.
    Formula,
}

impl Function {
    /// True for COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX and GROUPING.
    pub fn is_aggregate(self) -> bool {
        self.kind() == FunctionKind::Aggregate
    }
}

/// A boolean condition: the WHERE and HAVING clauses.
///
/// Salesforce has no precedence between AND, OR and NOT: mixing them at one level needs
/// parentheses. So the tree holds no parentheses; the printer adds them around every compound
/// operand, which is exactly where the source must have had them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "operands")]
pub enum Condition {
    /// `a AND b AND ...` (two or more operands).
    And(Vec<Condition>),
    /// `a OR b OR ...` (two or more operands).
    Or(Vec<Condition>),
    /// `NOT a`.
    Not(Box<Condition>),
    /// A single field expression.
    Predicate(Box<Predicate>),
}

impl Condition {
    /// Wraps a predicate.
    pub fn predicate(p: Predicate) -> Self {
        Condition::Predicate(Box::new(p))
    }

    fn is_compound(&self) -> bool {
        !matches!(self, Condition::Predicate(_))
    }

    fn fmt_operand(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_compound() {
            write!(f, "({self})")
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::And(items) | Condition::Or(items) => {
                let op = if matches!(self, Condition::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                for (i, c) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(op)?;
                    }
                    c.fmt_operand(f)?;
                }
                Ok(())
            }
            Condition::Not(inner) => {
                f.write_str("NOT ")?;
                inner.fmt_operand(f)
            }
            Condition::Predicate(p) => p.fmt(f),
        }
    }
}

/// A field expression: a left side, an operator and what it is compared with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Predicate {
    /// `lhs = value` and the other comparison operators.
    Compare {
        /// Field, function or (in WHERE) FORMULA.
        lhs: Expr,
        /// The operator.
        op: CompareOp,
        /// The value.
        rhs: Value,
    },
    /// `lhs LIKE 'pattern'`.
    Like {
        /// The field.
        lhs: Expr,
        /// The pattern.
        pattern: LikeOperand,
    },
    /// `lhs IN (...)` or `lhs NOT IN (...)`, with a value list or a semi-/anti-join subquery.
    In {
        /// The field.
        lhs: Expr,
        /// True for `NOT IN`.
        negated: bool,
        /// The values.
        rhs: InOperand,
    },
    /// `lhs INCLUDES (...)` or `lhs EXCLUDES (...)` on a multi-select picklist.
    Includes {
        /// The field.
        lhs: Expr,
        /// INCLUDES or EXCLUDES.
        op: IncludesOp,
        /// The strings; `;` inside one string means AND.
        values: Vec<Value>,
    },
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Predicate::Compare { lhs, op, rhs } => write!(f, "{lhs} {op} {rhs}"),
            Predicate::Like { lhs, pattern } => write!(f, "{lhs} LIKE {pattern}"),
            Predicate::In { lhs, negated, rhs } => {
                let op = if *negated { "NOT IN" } else { "IN" };
                write!(f, "{lhs} {op} {rhs}")
            }
            Predicate::Includes { lhs, op, values } => {
                write!(f, "{lhs} {op} (")?;
                write_list(f, values)?;
                f.write_str(")")
            }
        }
    }
}

/// The comparison operators other than LIKE, IN, INCLUDES and EXCLUDES.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CompareOp {
    /// `=`
    #[serde(rename = "=")]
    Eq,
    /// `!=` (also read from `<>`)
    #[serde(rename = "!=")]
    Ne,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        })
    }
}

/// INCLUDES or EXCLUDES.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum IncludesOp {
    /// `INCLUDES`
    Includes,
    /// `EXCLUDES`
    Excludes,
}

impl fmt::Display for IncludesOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IncludesOp::Includes => "INCLUDES",
            IncludesOp::Excludes => "EXCLUDES",
        })
    }
}

/// The right side of IN / NOT IN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "value")]
pub enum InOperand {
    /// `('a', 'b', ...)`
    List(Vec<Value>),
    /// A semi-join or anti-join: `(SELECT AccountId FROM Contact ...)`.
    SubQuery(Box<Query>),
    /// An Apex bind: `IN :ids`.
    Bind(BindVariable),
}

impl fmt::Display for InOperand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InOperand::List(values) => {
                f.write_str("(")?;
                write_list(f, values)?;
                f.write_str(")")
            }
            InOperand::SubQuery(q) => write!(f, "({q})"),
            InOperand::Bind(b) => b.fmt(f),
        }
    }
}

/// The right side of LIKE.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "value")]
pub enum LikeOperand {
    /// A quoted pattern.
    Pattern(LikePattern),
    /// An Apex bind.
    Bind(BindVariable),
}

impl fmt::Display for LikeOperand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LikeOperand::Pattern(p) => p.fmt(f),
            LikeOperand::Bind(b) => b.fmt(f),
        }
    }
}

/// A LIKE pattern, held as literal text and wildcards so that `\%` (a literal percent sign) and
/// `%` (any characters) can never be confused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LikePattern {
    parts: Vec<LikePart>,
}

/// One piece of a [`LikePattern`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LikePart {
    /// Characters matched literally (case-insensitively).
    Text(String),
    /// `%`: zero or more characters.
    AnyChars,
    /// `_`: exactly one character.
    OneChar,
}

impl LikePattern {
    /// Builds a pattern from parts, merging adjacent text and dropping empty text, so that equal
    /// patterns compare equal.
    pub fn from_parts(parts: impl IntoIterator<Item = LikePart>) -> Self {
        let mut out = LikePattern::default();
        for part in parts {
            out.push(part);
        }
        out
    }

    /// Appends one part, keeping the pattern normalised.
    pub fn push(&mut self, part: LikePart) {
        match part {
            LikePart::Text(t) if t.is_empty() => {}
            LikePart::Text(t) => match self.parts.last_mut() {
                Some(LikePart::Text(prev)) => prev.push_str(&t),
                _ => self.parts.push(LikePart::Text(t)),
            },
            other => self.parts.push(other),
        }
    }

    /// Matches values equal to `text` (wildcard characters in it are literal).
    pub fn exact(text: &str) -> Self {
        Self::from_parts([LikePart::Text(text.to_owned())])
    }

    /// Matches values that contain `text`.
    pub fn contains(text: &str) -> Self {
        Self::from_parts([
            LikePart::AnyChars,
            LikePart::Text(text.to_owned()),
            LikePart::AnyChars,
        ])
    }

    /// Matches values that start with `text`.
    pub fn starts_with(text: &str) -> Self {
        Self::from_parts([LikePart::Text(text.to_owned()), LikePart::AnyChars])
    }

    /// Matches values that end with `text`.
    pub fn ends_with(text: &str) -> Self {
        Self::from_parts([LikePart::AnyChars, LikePart::Text(text.to_owned())])
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[LikePart] {
        &self.parts
    }
}

impl fmt::Display for LikePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("'")?;
        for part in &self.parts {
            match part {
                LikePart::Text(t) => write_escaped(f, t, true)?,
                LikePart::AnyChars => f.write_str("%")?,
                LikePart::OneChar => f.write_str("_")?,
            }
        }
        f.write_str("'")
    }
}

/// Writes items separated by `, `.
pub(crate) fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        item.fmt(f)?;
    }
    Ok(())
}
