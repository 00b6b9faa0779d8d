//! Property tests for the printer and the parser over generated syntax trees.
//!
//! Strategies build random *valid* SOQL [`Query`] and SOSL [`Search`] trees: SELECT items
//! (fields and relationship paths with aliases, every function in every place the parser allows
//! it, with its legal nestings such as `FORMAT(MIN(convertCurrency(x)))` and
//! `HOUR_IN_DAY(convertTimezone(x))`, `DISTANCE(.., GEOLOCATION(..), 'mi')`, `COUNT()` alone,
//! child subqueries, TYPEOF, FIELDS), FROM with alias and alias notation, USING SCOPE, WHERE and
//! HAVING conditions (nested AND/OR/NOT, every predicate, semi-join subqueries, every value kind
//! with strings full of quotes, backslashes, control characters, unicode, `%` and `_`, LIKE
//! patterns mixing text and wildcards, FORMULA on the left of WHERE), every WITH clause,
//! GROUP BY (plain, ROLLUP, CUBE), ORDER BY, LIMIT, OFFSET, FOR and UPDATE; and FIND with terms,
//! phrases, adjacent words, AND / OR / AND NOT over text holding every SOSL reserved character
//! and the words and/or/not, in braces and in quotes, IN ... FIELDS, RETURNING object specs,
//! every search WITH clause, LIMIT and UPDATE. Names include contextual words (`OFFSET`,
//! `TYPEOF`, `FIELDS`, function and date literal names, ...), `Group`/`Order`, and reserved words
//! wherever the parser reads any identifier (after a dot, USING SCOPE, binds, ...). Each
//! round-trip property runs twice: without Apex binds (default options) and with them (`:name`
//! in every place a bind may stand).
//!
//! Properties:
//! * printing a generated tree and parsing the text gives back the same tree, and printing that
//!   tree again gives the same text;
//! * arbitrary strings, and strings spliced together from fragments of SOQL and SOSL, never panic
//!   the parsers; every error reads `Expected ... at line ...`; whatever parses round-trips;
//! * a path `FieldPath::parse` accepts prints back to itself and round-trips in SELECT, WHERE,
//!   GROUP BY and ORDER BY.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use proptest::test_runner::FailurePersistence;
use sfkit_soql::{
    BindVariable, CategorySelector, CompareOp, Condition, CurrencyLiteral, DataCategoryFilter,
    DateLiteral, DateTimeLiteral, Expr, FieldPath, FieldsGroup, FindClause, ForClause, FromClause,
    Function, FunctionCall, GroupBy, GroupByKind, InOperand, IncludesOp, LikeOperand, LikePart,
    LikePattern, NetworkFilter, NullsOrder, Number, OrderByItem, ParseOptions, Predicate, Query,
    RelatedAlias, ReturningObject, RowCount, Search, SearchExpr, SearchGroup, SearchPart,
    SearchText, SearchWith, SelectItem, SortDirection, Span, TypeOf, TypeOfWhen, UpdateClause,
    Value, WithClause, WithParam, parse_query_with, parse_search_with,
};

/// The words the parser reserves (`RESERVED` in `src/parser/mod.rs`).
#[rustfmt::skip]
const RESERVED: &[&str] = &[
    "AND", "ASC", "DESC", "EXCLUDES", "FIRST", "FROM", "GROUP", "HAVING", "IN", "INCLUDES",
    "LAST", "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OR", "SELECT", "USING", "WHERE", "WITH",
    "ORDER", "FOR", "UPDATE", "TRUE", "FALSE", "ELSE", "END", "WHEN", "THEN", "RETURNING",
    "FIND", "AS",
];

/// Contextual words: keywords only next to particular tokens (`TYPEOF x WHEN`, `FIELDS(`,
/// `OFFSET 5`, `ROLLUP(`, `USING SCOPE`, `WITH DATA CATEGORY`, ...), ordinary names elsewhere,
/// so plain names include them (the exceptions are in `NEVER_PLAIN`).
#[rustfmt::skip]
const CONTEXTUAL: &[&str] = &[
    "OFFSET", "TYPEOF", "FIELDS", "SCOPE", "ROLLUP", "CUBE", "VIEW", "REFERENCE", "TRACKING",
    "VIEWSTAT", "DATA", "CATEGORY", "RecordVisibilityContext", "AT", "ABOVE", "BELOW",
    "ABOVE_OR_BELOW", "ALL", "STANDARD", "CUSTOM", "ListView", "DIVISION", "SNIPPET", "NETWORK",
    "PricebookId", "METADATA", "HIGHLIGHT", "SPELL_CORRECTION", "target_length", "NAME",
    "EMAIL", "PHONE", "SIDEBAR", "COUNT", "toLabel", "FORMAT", "GEOLOCATION", "FORMULA",
    "TODAY", "LAST_N_DAYS",
];

/// Words that are not plain names anywhere: `BY` (after an object named `Group` or `Order` it
/// would read as GROUP BY / ORDER BY) and the WITH keywords that a `WITH field = value` filter
/// cannot be named.
const NEVER_PLAIN: &[&str] = &["BY", "SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"];

/// Realistic names, so that failures read like real queries.
#[rustfmt::skip]
const NAMES: &[&str] = &[
    "Id", "Name", "Account", "Contact", "Contacts", "Owner", "What", "Who", "Amount",
    "CreatedDate", "CloseDate", "StageName", "Industry", "Location__c", "ns__Field__c",
    "Line_Items__r", "a", "x1", "mine", "Geography__c", "usa__c",
];

const AGGREGATES: &[Function] = &[
    Function::Count,
    Function::CountDistinct,
    Function::Sum,
    Function::Avg,
    Function::Min,
    Function::Max,
    Function::Grouping,
];

const DATE_FUNCTIONS: &[Function] = &[
    Function::CalendarMonth,
    Function::CalendarQuarter,
    Function::CalendarYear,
    Function::DayInMonth,
    Function::DayInWeek,
    Function::DayInYear,
    Function::DayOnly,
    Function::FiscalMonth,
    Function::FiscalQuarter,
    Function::FiscalYear,
    Function::HourInDay,
    Function::WeekInMonth,
    Function::WeekInYear,
];

/// Characters that stress the escaping of SOQL strings, LIKE patterns and SOSL text.
const TRICKY_CHARS: &[char] = &[
    '\'', '"', '\\', '\n', '\r', '\t', '\u{8}', '\u{c}', '\0', '\u{7f}', '\u{85}', '\u{a0}',
    '\u{2028}', '%', '_', ' ', '{', '}', '[', ']', '(', ')', '*', '?', ':', '-', '+', '&', '|',
    '!', '^', '~', ';', ',', '.', '/', 'é', 'ß', '日', '😀', 'a', 'Z', '0',
];

/// Generation settings.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    /// Generate Apex bind variables (and parse with `apex_binds`).
    binds: bool,
}

/// Where an expression stands (mirrors the parser's rules for which function may appear).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Select,
    Where,
    Having,
    GroupBy,
    OrderBy,
}

/// Which kind of query is being generated (mirrors the parser's `QueryKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Top,
    Child,
    SemiJoin,
}

fn one_of<T: std::fmt::Debug + 'static>(alts: Vec<BoxedStrategy<T>>) -> BoxedStrategy<T> {
    Union::new(alts).boxed()
}

// ---------------------------------------------------------------------------------------------
// Names

fn is_reserved(s: &str) -> bool {
    RESERVED
        .iter()
        .chain(NEVER_PLAIN)
        .any(|k| k.eq_ignore_ascii_case(s))
}

/// A name that is not reserved: valid as a field, alias, object, ... Contextual words are
/// included on purpose: the parser must keep them apart from the keywords by position.
fn plain_ident() -> BoxedStrategy<String> {
    prop_oneof![
        6 => select(NAMES).prop_map(str::to_owned),
        4 => "[A-Za-z][A-Za-z0-9_]{0,10}".prop_filter("a reserved word", |s| !is_reserved(s)),
        1 => select(CONTEXTUAL).prop_map(str::to_owned),
        1 => select(CONTEXTUAL).prop_map(str::to_ascii_lowercase),
    ]
    .boxed()
}

/// Any identifier, keywords included, for places that read any identifier (a path's later
/// segments, USING SCOPE, bind names, data category names, ...).
fn any_ident() -> BoxedStrategy<String> {
    prop_oneof![
        4 => plain_ident(),
        1 => select(RESERVED).prop_map(str::to_owned),
        1 => select(NEVER_PLAIN).prop_map(str::to_ascii_lowercase),
        1 => select(DateLiteral::NAMES).prop_map(str::to_owned),
    ]
    .boxed()
}

/// A path whose first name may be anything the parser reads as a name: a plain word, `Group` or
/// `Order` (objects and relationships too), or any reserved word when a dot follows
/// (`Select.Name`, `Not.x`).
fn field_path() -> BoxedStrategy<FieldPath> {
    prop_oneof![
        12 => (plain_ident(), vec(any_ident(), 0..3)),
        1 => (object_word(), vec(any_ident(), 0..3)),
        1 => (select(RESERVED).prop_map(str::to_owned), vec(any_ident(), 1..3)),
    ]
    .prop_map(|(first, rest)| {
        let mut segments = vec![first];
        segments.extend(rest);
        FieldPath::from_segments(segments)
    })
    .boxed()
}

/// `Group` or `Order`: reserved, yet names of objects and relationships unless BY follows.
fn object_word() -> BoxedStrategy<String> {
    select(&["Group", "Order", "ORDER", "group"][..])
        .prop_map(str::to_owned)
        .boxed()
}

fn bind() -> BoxedStrategy<BindVariable> {
    vec(any_ident(), 1..3)
        .prop_map(|path| BindVariable { path })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Values

fn tricky_text(max: usize) -> BoxedStrategy<String> {
    vec(
        prop_oneof![
            3 => select(TRICKY_CHARS),
            1 => any::<char>(),
            2 => proptest::char::range('a', 'z'),
        ],
        0..max,
    )
    .prop_map(|cs| cs.into_iter().collect())
    .boxed()
}

fn number() -> BoxedStrategy<Number> {
    (any::<bool>(), "[0-9]{1,8}", option::of("[0-9]{1,5}"))
        .prop_filter_map("a number", |(negative, int, frac)| {
            let mut s = String::new();
            if negative {
                s.push('-');
            }
            s.push_str(&int);
            if let Some(frac) = frac {
                s.push('.');
                s.push_str(&frac);
            }
            Number::parse(&s)
        })
        .boxed()
}

fn date() -> BoxedStrategy<NaiveDate> {
    (1i32..=9999, 1u32..=12, 1u32..=31)
        .prop_filter_map("a calendar date", |(y, m, d)| {
            NaiveDate::from_ymd_opt(y, m, d)
        })
        .boxed()
}

fn time() -> BoxedStrategy<NaiveTime> {
    let nanos = prop_oneof![
        Just(0u32),
        (0u32..1000).prop_map(|ms| ms * 1_000_000),
        0u32..1_000_000_000,
    ];
    (0u32..24, 0u32..60, 0u32..60, nanos)
        .prop_filter_map("a clock time", |(h, m, s, n)| {
            NaiveTime::from_hms_nano_opt(h, m, s, n)
        })
        .boxed()
}

fn date_literal() -> BoxedStrategy<DateLiteral> {
    (select(DateLiteral::NAMES), any::<u32>())
        .prop_filter_map("a date literal", |(name, n)| {
            if DateLiteral::is_counted_name(name) {
                DateLiteral::counted(name, n)
            } else {
                DateLiteral::fixed(name)
            }
        })
        .boxed()
}

const MAX_OFFSET: i16 = 14 * 60 + 59;

fn value(ctx: Ctx) -> BoxedStrategy<Value> {
    let mut alts = vec![
        Just(Value::Null).boxed(),
        any::<bool>().prop_map(Value::Boolean).boxed(),
        number().prop_map(Value::Number).boxed(),
        tricky_text(12).prop_map(Value::String).boxed(),
        tricky_text(12).prop_map(Value::String).boxed(),
        date().prop_map(Value::Date).boxed(),
        (date(), time(), option::of(-MAX_OFFSET..=MAX_OFFSET))
            .prop_map(|(d, t, offset_minutes)| {
                Value::DateTime(DateTimeLiteral {
                    local: NaiveDateTime::new(d, t),
                    offset_minutes,
                })
            })
            .boxed(),
        time().prop_map(Value::Time).boxed(),
        date_literal().prop_map(Value::DateLiteral).boxed(),
        ("[A-Za-z]{3}", number())
            .prop_map(|(iso_code, amount)| Value::Currency(CurrencyLiteral { iso_code, amount }))
            .boxed(),
    ];
    if ctx.binds {
        alts.push(bind().prop_map(Value::Bind).boxed());
    }
    one_of(alts)
}

fn string_value(ctx: Ctx) -> BoxedStrategy<Value> {
    if ctx.binds {
        prop_oneof![
            3 => tricky_text(12).prop_map(Value::String),
            1 => bind().prop_map(Value::Bind),
        ]
        .boxed()
    } else {
        tricky_text(12).prop_map(Value::String).boxed()
    }
}

fn like_pattern() -> BoxedStrategy<LikePattern> {
    vec(
        prop_oneof![
            3 => tricky_text(6).prop_map(LikePart::Text),
            1 => Just(LikePart::AnyChars),
            1 => Just(LikePart::OneChar),
        ],
        0..6,
    )
    .prop_map(LikePattern::from_parts)
    .boxed()
}

fn row_count(ctx: Ctx) -> BoxedStrategy<RowCount> {
    let small = prop_oneof![3 => 0u64..3000, 1 => any::<u64>()];
    if ctx.binds {
        prop_oneof![3 => small.prop_map(RowCount::Literal), 1 => bind().prop_map(RowCount::Bind)]
            .boxed()
    } else {
        small.prop_map(RowCount::Literal).boxed()
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions

fn call(function: Function, args: Vec<Expr>) -> Expr {
    Expr::Call(FunctionCall { function, args })
}

fn field() -> BoxedStrategy<Expr> {
    field_path().prop_map(Expr::field).boxed()
}

fn convert_currency() -> BoxedStrategy<Expr> {
    field()
        .prop_map(|f| call(Function::ConvertCurrency, vec![f]))
        .boxed()
}

/// `AGG(field)` or `AGG(convertCurrency(field))`.
fn aggregate() -> BoxedStrategy<Expr> {
    (
        select(AGGREGATES),
        prop_oneof![3 => field(), 1 => convert_currency()],
    )
        .prop_map(|(f, arg)| call(f, vec![arg]))
        .boxed()
}

/// `DATE_FN(field)` or `DATE_FN(convertTimezone(field))`.
fn date_function() -> BoxedStrategy<Expr> {
    (
        select(DATE_FUNCTIONS),
        prop_oneof![
            3 => field(),
            1 => field().prop_map(|f| call(Function::ConvertTimezone, vec![f])),
        ],
    )
        .prop_map(|(f, arg)| call(f, vec![arg]))
        .boxed()
}

/// `FORMAT(field | aggregate | convertCurrency(field))`.
fn format() -> BoxedStrategy<Expr> {
    prop_oneof![field(), aggregate(), convert_currency()]
        .prop_map(|arg| call(Function::Format, vec![arg]))
        .boxed()
}

/// `DISTANCE(field, GEOLOCATION(lat, lon) | :bind, 'mi' | 'km')`.
fn distance(ctx: Ctx) -> BoxedStrategy<Expr> {
    let coordinate = if ctx.binds {
        prop_oneof![3 => number().prop_map(Value::Number), 1 => bind().prop_map(Value::Bind)]
            .boxed()
    } else {
        number().prop_map(Value::Number).boxed()
    };
    let geolocation = (coordinate.clone(), coordinate).prop_map(|(lat, lon)| {
        call(
            Function::Geolocation,
            vec![Expr::literal(lat), Expr::literal(lon)],
        )
    });
    let location = if ctx.binds {
        prop_oneof![
            3 => geolocation,
            1 => bind().prop_map(|b| Expr::literal(Value::Bind(b))),
        ]
        .boxed()
    } else {
        geolocation.boxed()
    };
    let unit = select(&["mi", "km", "MI", "Km"][..]);
    (field(), location, unit)
        .prop_map(|(f, loc, unit)| {
            call(
                Function::Distance,
                vec![f, loc, Expr::literal(Value::string(unit))],
            )
        })
        .boxed()
}

fn expr(ctx: Ctx, place: Place) -> BoxedStrategy<Expr> {
    let mut alts = vec![
        field(),
        field(),
        field(),
        field()
            .prop_map(|f| call(Function::ToLabel, vec![f]))
            .boxed(),
        convert_currency(),
        date_function(),
    ];
    if matches!(place, Place::Select | Place::Having | Place::OrderBy) {
        alts.push(aggregate());
        alts.push(aggregate());
    }
    if place == Place::Select {
        alts.push(format());
    }
    if matches!(place, Place::Select | Place::Where | Place::OrderBy) {
        alts.push(distance(ctx));
    }
    if place == Place::Where {
        alts.push(
            tricky_text(16)
                .prop_map(|s| call(Function::Formula, vec![Expr::literal(Value::String(s))]))
                .boxed(),
        );
    }
    one_of(alts)
}

// ---------------------------------------------------------------------------------------------
// Conditions

fn predicate(ctx: Ctx, place: Place, depth: u32) -> BoxedStrategy<Predicate> {
    let compare_op = select(
        &[
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Lt,
            CompareOp::Le,
            CompareOp::Gt,
            CompareOp::Ge,
        ][..],
    );
    let like = if ctx.binds {
        prop_oneof![
            3 => like_pattern().prop_map(LikeOperand::Pattern),
            1 => bind().prop_map(LikeOperand::Bind),
        ]
        .boxed()
    } else {
        like_pattern().prop_map(LikeOperand::Pattern).boxed()
    };
    let mut in_alts = vec![vec(value(ctx), 1..4).prop_map(InOperand::List).boxed()];
    if ctx.binds {
        in_alts.push(bind().prop_map(InOperand::Bind).boxed());
    }
    if depth > 0 && place == Place::Where {
        in_alts.push(
            query(ctx, Kind::SemiJoin, depth - 1)
                .prop_map(|q| InOperand::SubQuery(Box::new(q)))
                .boxed(),
        );
    }
    let lhs = expr(ctx, place);
    prop_oneof![
        4 => (lhs.clone(), compare_op, value(ctx))
            .prop_map(|(lhs, op, rhs)| Predicate::Compare { lhs, op, rhs }),
        2 => (lhs.clone(), like).prop_map(|(lhs, pattern)| Predicate::Like { lhs, pattern }),
        2 => (lhs.clone(), any::<bool>(), one_of(in_alts))
            .prop_map(|(lhs, negated, rhs)| Predicate::In { lhs, negated, rhs }),
        1 => (
            lhs,
            select(&[IncludesOp::Includes, IncludesOp::Excludes][..]),
            vec(string_value(ctx), 1..4),
        )
            .prop_map(|(lhs, op, values)| Predicate::Includes { lhs, op, values }),
    ]
    .boxed()
}

fn condition(ctx: Ctx, place: Place, depth: u32) -> BoxedStrategy<Condition> {
    predicate(ctx, place, depth)
        .prop_map(Condition::predicate)
        .prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                vec(inner.clone(), 2..4).prop_map(Condition::And),
                vec(inner.clone(), 2..4).prop_map(Condition::Or),
                inner.prop_map(|c| Condition::Not(Box::new(c))),
            ]
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Queries

fn type_of() -> BoxedStrategy<TypeOf> {
    let when = (any_ident(), vec(field_path(), 1..3))
        .prop_map(|(sobject, fields)| TypeOfWhen { sobject, fields });
    (
        any_ident(),
        vec(when, 1..3),
        option::of(vec(field_path(), 1..3)),
    )
        .prop_map(|(relationship, whens, else_fields)| TypeOf {
            relationship,
            relationship_span: Span::default(),
            whens,
            else_fields,
        })
        .boxed()
}

fn select_item(ctx: Ctx, kind: Kind, depth: u32) -> BoxedStrategy<SelectItem> {
    let mut alts = vec![
        (expr(ctx, Place::Select), option::of(plain_ident()))
            .prop_map(|(expr, alias)| SelectItem::Expr { expr, alias })
            .boxed(),
        (expr(ctx, Place::Select), option::of(plain_ident()))
            .prop_map(|(expr, alias)| SelectItem::Expr { expr, alias })
            .boxed(),
        (expr(ctx, Place::Select), option::of(plain_ident()))
            .prop_map(|(expr, alias)| SelectItem::Expr { expr, alias })
            .boxed(),
        type_of().prop_map(SelectItem::TypeOf).boxed(),
        select(&[FieldsGroup::All, FieldsGroup::Standard, FieldsGroup::Custom][..])
            .prop_map(|group| SelectItem::Fields { group })
            .boxed(),
    ];
    if kind != Kind::SemiJoin && depth > 0 {
        alts.push(
            query(ctx, Kind::Child, depth - 1)
                .prop_map(|q| SelectItem::SubQuery { query: Box::new(q) })
                .boxed(),
        );
    }
    one_of(alts)
}

fn select_list(ctx: Ctx, kind: Kind, depth: u32) -> BoxedStrategy<Vec<SelectItem>> {
    prop_oneof![
        8 => vec(select_item(ctx, kind, depth), 1..5),
        // COUNT() only ever stands alone.
        1 => option::of(plain_ident()).prop_map(|alias| vec![SelectItem::Expr {
            expr: call(Function::Count, Vec::new()),
            alias,
        }]),
    ]
    .boxed()
}

/// An object name; `Group` and `Order` are objects too, as long as no `BY` follows.
fn object_name() -> BoxedStrategy<String> {
    prop_oneof![6 => plain_ident(), 1 => object_word()].boxed()
}

fn from_clause(kind: Kind) -> BoxedStrategy<FromClause> {
    let sobject = match kind {
        Kind::Child => (object_name(), vec(any_ident(), 0..3))
            .prop_map(|(first, rest)| {
                let mut segments = vec![first];
                segments.extend(rest);
                FieldPath::from_segments(segments)
            })
            .boxed(),
        Kind::Top | Kind::SemiJoin => object_name().prop_map(FieldPath::new).boxed(),
    };
    let related = if kind == Kind::Top {
        vec(
            (field_path(), option::of(plain_ident()))
                .prop_map(|(path, alias)| RelatedAlias { path, alias }),
            0..3,
        )
        .boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (sobject, option::of(plain_ident()), related)
        .prop_map(|(sobject, alias, related)| FromClause {
            sobject,
            alias,
            related,
        })
        .boxed()
}

fn data_categories() -> BoxedStrategy<Vec<DataCategoryFilter>> {
    let selector = select(
        &[
            CategorySelector::At,
            CategorySelector::Above,
            CategorySelector::Below,
            CategorySelector::AboveOrBelow,
        ][..],
    );
    vec(
        (any_ident(), selector, vec(any_ident(), 1..4)).prop_map(
            |(group, selector, categories)| DataCategoryFilter {
                group,
                selector,
                categories,
            },
        ),
        1..3,
    )
    .boxed()
}

fn with_clause(ctx: Ctx) -> BoxedStrategy<WithClause> {
    prop_oneof![
        Just(WithClause::SecurityEnforced),
        Just(WithClause::UserMode),
        Just(WithClause::SystemMode),
        data_categories().prop_map(|filters| WithClause::DataCategory { filters }),
        vec(
            (any_ident(), value(ctx)).prop_map(|(name, value)| WithParam { name, value }),
            1..4
        )
        .prop_map(|params| WithClause::RecordVisibilityContext { params }),
        (plain_ident(), value(ctx)).prop_map(|(field, value)| WithClause::Filter { field, value }),
    ]
    .boxed()
}

fn order_by(ctx: Ctx) -> BoxedStrategy<Vec<OrderByItem>> {
    vec(
        (
            expr(ctx, Place::OrderBy),
            option::of(select(&[SortDirection::Asc, SortDirection::Desc][..])),
            option::of(select(&[NullsOrder::First, NullsOrder::Last][..])),
        )
            .prop_map(|(expr, direction, nulls)| OrderByItem {
                expr,
                direction,
                nulls,
            }),
        0..3,
    )
    .boxed()
}

fn group_by(ctx: Ctx) -> BoxedStrategy<GroupBy> {
    (
        select(&[GroupByKind::Plain, GroupByKind::Rollup, GroupByKind::Cube][..]),
        vec(expr(ctx, Place::GroupBy), 1..4),
    )
        .prop_map(|(kind, keys)| GroupBy { kind, keys })
        .boxed()
}

/// A query of the given kind; `depth` bounds the nesting of subqueries below it.
fn query(ctx: Ctx, kind: Kind, depth: u32) -> BoxedStrategy<Query> {
    let head = (
        select_list(ctx, kind, depth),
        from_clause(kind),
        option::of(any_ident()),
        option::of(condition(ctx, Place::Where, depth)),
        vec(with_clause(ctx), 0..3),
    );
    let grouping = option::of((group_by(ctx), option::of(condition(ctx, Place::Having, 0))));
    let tail = (
        order_by(ctx),
        option::of(row_count(ctx)),
        option::of(row_count(ctx)),
        option::of(select(
            &[ForClause::View, ForClause::Reference, ForClause::Update][..],
        )),
        option::of(select(
            &[UpdateClause::Tracking, UpdateClause::Viewstat][..],
        )),
    );
    (head, grouping, tail)
        .prop_map(
            move |(
                (select, from, using_scope, where_clause, with),
                grouping,
                (order_by, limit, offset, for_clause, update),
            )| {
                // COUNT() takes no GROUP BY (COUNT(field) does).
                let bare_count = matches!(select.as_slice(), [SelectItem::Expr { expr: Expr::Call(c), .. }]
                    if c.function == Function::Count && c.args.is_empty());
                let (group_by, having) = match grouping {
                    Some((g, h)) if !bare_count => (Some(g), h),
                    _ => (None, None),
                };
                let top = kind == Kind::Top;
                Query {
                    select,
                    from,
                    using_scope,
                    where_clause,
                    with,
                    group_by,
                    having,
                    order_by,
                    limit,
                    offset: if kind == Kind::SemiJoin { None } else { offset },
                    for_clause: if top { for_clause } else { None },
                    update: if top { update } else { None },
                }
            },
        )
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Searches

/// Text for terms and phrases: every SOSL reserved character, spaces, unicode, and the words
/// and/or/not (which a term must escape to keep from reading as operators).
fn search_text(non_empty: bool) -> BoxedStrategy<SearchText> {
    let part = prop_oneof![
        4 => tricky_text(5).prop_map(SearchPart::Text),
        1 => select(&["and", "OR", "Not", "AND NOT", "in", "find"][..])
            .prop_map(|s| SearchPart::Text(s.to_owned())),
        1 => Just(SearchPart::AnyChars),
        1 => Just(SearchPart::OneChar),
    ];
    vec(part, 0..4)
        .prop_map(|parts| {
            let mut t = SearchText::default();
            for p in parts {
                t.push(p);
            }
            t
        })
        .prop_filter("a term needs text", move |t| {
            !non_empty || !t.parts().is_empty()
        })
        .boxed()
}

fn search_expr() -> BoxedStrategy<SearchExpr> {
    prop_oneof![
        2 => search_text(true).prop_map(SearchExpr::Term),
        1 => search_text(false).prop_map(SearchExpr::Phrase),
    ]
    .prop_recursive(3, 16, 3, |inner| {
        let and_operand = prop_oneof![
            2 => inner.clone(),
            1 => inner.clone().prop_map(|e| SearchExpr::Not(Box::new(e))),
        ];
        prop_oneof![
            vec(inner.clone(), 2..4).prop_map(SearchExpr::Adjacent),
            (inner.clone(), vec(and_operand, 1..3)).prop_map(|(first, rest)| {
                let mut items = vec![first];
                items.extend(rest);
                SearchExpr::And(items)
            }),
            vec(inner, 2..4).prop_map(SearchExpr::Or),
        ]
    })
    .boxed()
}

fn returning_object(ctx: Ctx) -> BoxedStrategy<ReturningObject> {
    let bare = plain_ident().prop_map(|s| ReturningObject::new(&s, Vec::new()));
    let full = (
        plain_ident(),
        vec(select_item(ctx, Kind::SemiJoin, 0), 1..4),
        option::of(condition(ctx, Place::Where, 1)),
        option::of(any_ident()),
        order_by(ctx),
        option::of(row_count(ctx)),
        option::of(row_count(ctx)),
    )
        .prop_map(
            |(sobject, fields, where_clause, list_view, order_by, limit, offset)| ReturningObject {
                sobject,
                fields,
                where_clause,
                list_view,
                order_by,
                limit,
                offset,
            },
        );
    prop_oneof![1 => bare, 3 => full].boxed()
}

fn search_with(ctx: Ctx) -> BoxedStrategy<SearchWith> {
    prop_oneof![
        value(ctx).prop_map(SearchWith::Division),
        data_categories().prop_map(SearchWith::DataCategory),
        option::of(any::<u64>()).prop_map(SearchWith::Snippet),
        value(ctx).prop_map(|v| SearchWith::Network(NetworkFilter::Eq(v))),
        vec(value(ctx), 1..4).prop_map(|v| SearchWith::Network(NetworkFilter::In(v))),
        value(ctx).prop_map(SearchWith::PricebookId),
        value(ctx).prop_map(SearchWith::Metadata),
        Just(SearchWith::Highlight),
        any::<bool>().prop_map(SearchWith::SpellCorrection),
        Just(SearchWith::SecurityEnforced),
        Just(SearchWith::UserMode),
        Just(SearchWith::SystemMode),
    ]
    .boxed()
}

fn search(ctx: Ctx) -> BoxedStrategy<Search> {
    let mut finds = vec![
        search_expr().prop_map(FindClause::Braces).boxed(),
        search_expr().prop_map(FindClause::Braces).boxed(),
        search_expr().prop_map(FindClause::Quotes).boxed(),
    ];
    if ctx.binds {
        finds.push(bind().prop_map(FindClause::Bind).boxed());
    }
    let group = select(
        &[
            SearchGroup::All,
            SearchGroup::Name,
            SearchGroup::Email,
            SearchGroup::Phone,
            SearchGroup::Sidebar,
        ][..],
    );
    (
        one_of(finds),
        option::of(group),
        vec(returning_object(ctx), 0..3),
        vec(search_with(ctx), 0..3),
        option::of(row_count(ctx)),
        option::of(select(
            &[UpdateClause::Tracking, UpdateClause::Viewstat][..],
        )),
    )
        .prop_map(|(find, in_fields, returning, with, limit, update)| Search {
            find,
            in_fields,
            returning,
            with,
            limit,
            update,
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Properties

fn options(ctx: Ctx) -> ParseOptions {
    ParseOptions::default().apex_binds(ctx.binds)
}

fn check_query(q: &Query, opts: &ParseOptions) -> Result<(), TestCaseError> {
    let printed = q.to_string();
    let parsed = parse_query_with(&printed, opts)
        .map_err(|e| TestCaseError::fail(format!("{e}\n  printed: {printed}\n  tree: {q:?}")))?;
    prop_assert_eq!(&parsed, q, "printed: {}", printed);
    prop_assert_eq!(parsed.to_string(), printed);
    Ok(())
}

fn check_search(s: &Search, opts: &ParseOptions) -> Result<(), TestCaseError> {
    let printed = s.to_string();
    let parsed = parse_search_with(&printed, opts)
        .map_err(|e| TestCaseError::fail(format!("{e}\n  printed: {printed}\n  tree: {s:?}")))?;
    prop_assert_eq!(&parsed, s, "printed: {}", printed);
    prop_assert_eq!(parsed.to_string(), printed);
    Ok(())
}

/// Pieces of SOQL and SOSL to splice into near-miss statements.
#[rustfmt::skip]
const FRAGMENTS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "Id", "Name", "Account", "a.b", ",", "(", ")", "'x'", "'\\''",
    "'\\%'", "'%a_'", "'\\u00e9'", "'\\q'", "'", "=", "!=", "<>", "<", ">=", "AND", "OR", "NOT",
    "IN", "NOT IN", "LIKE", "INCLUDES", "EXCLUDES", "GROUP BY", "ROLLUP(", "CUBE(", "HAVING",
    "ORDER BY", "ASC", "DESC", "NULLS FIRST", "NULLS", "LIMIT", "OFFSET", "5", "-1.5", "+2",
    "2024-01-31", "2024-02-30", "2024-01-31T10:00:00Z", "2024-01-31T10:00:00+05:30",
    "10:00:00Z", "10:00:00", "TODAY", "LAST_N_DAYS:3", "LAST_N_DAYS", "USD5", "USD-5", "EUR5.5",
    "TRUE", "NULL", "TYPEOF", "What", "WHEN", "THEN", "ELSE", "END", "FIELDS(ALL)", "FIELDS(",
    "COUNT()", "COUNT(Id)", "SUM(", "FORMAT(", "toLabel(", "convertCurrency(",
    "convertTimezone(", "CALENDAR_YEAR(", "DISTANCE(", "GEOLOCATION(", "'mi'", "FORMULA(",
    "WITH", "SECURITY_ENFORCED", "DATA CATEGORY", "AT", "ABOVE", "RecordVisibilityContext",
    "USING SCOPE", "mine", "FOR", "VIEW", "UPDATE", "TRACKING", "FIND", "{", "}", "{a AND b}",
    "{\\}", "{\"x y\"}", "'a OR b'", "\"", "RETURNING", "IN ALL FIELDS", "SNIPPET",
    "target_length", "NETWORK", "DIVISION", "SPELL_CORRECTION", "HIGHLIGHT", "ListView", ":x",
    ":", ".", ";", "[", "]", "\\", "/*", "*/", "//", "\n", "é", "😀", "\u{0}", "AS", "Group",
    "Order.Id", "Not.x",
];

fn spliced() -> BoxedStrategy<String> {
    vec(
        (select(FRAGMENTS), select(&["", " ", "  ", "\n"][..])),
        0..24,
    )
    .prop_map(|parts| parts.into_iter().flat_map(|(a, b)| [a, b]).collect())
    .boxed()
}

fn check_error(src: &str, e: &sfkit_soql::Error) -> Result<(), TestCaseError> {
    let msg = e.to_string();
    prop_assert!(
        msg.starts_with("Expected ") && msg.contains(" at line "),
        "error for {:?} is not positioned: {}",
        src,
        msg
    );
    Ok(())
}

/// Parses `src` both ways with `opts`: errors must be well formed, successes must round-trip.
fn check_anything(src: &str, opts: &ParseOptions) -> Result<(), TestCaseError> {
    match parse_query_with(src, opts) {
        Ok(q) => check_query(&q, opts)?,
        Err(e) => check_error(src, &e)?,
    }
    match parse_search_with(src, opts) {
        Ok(s) => check_search(&s, opts)?,
        Err(e) => check_error(src, &e)?,
    }
    Ok(())
}

/// `cases` cases unless `PROPTEST_CASES` asks for another number (for longer local runs).
/// A path `FieldPath::parse` accepts must print back to itself and be safe wherever a path
/// stands: SELECT, WHERE (even `Not.x`), GROUP BY, ORDER BY.
fn check_field_path(src: &str) -> Result<(), TestCaseError> {
    let path = match FieldPath::parse(src) {
        Ok(path) => path,
        Err(e) => return check_error(src, &e),
    };
    let printed = path.to_string();
    prop_assert_eq!(FieldPath::parse(&printed).ok(), Some(path.clone()));
    let mut q = Query::select_from([printed.as_str()], "Account")
        .map_err(|e| TestCaseError::fail(format!("{e}: select_from refused {printed:?}")))?;
    q.where_clause = Some(Condition::predicate(Predicate::Compare {
        lhs: Expr::field(path.clone()),
        op: CompareOp::Eq,
        rhs: Value::Null,
    }));
    q.group_by = Some(GroupBy {
        kind: GroupByKind::Plain,
        keys: vec![Expr::field(path.clone())],
    });
    q.order_by = vec![OrderByItem {
        expr: Expr::field(path),
        direction: None,
        nulls: None,
    }];
    check_query(&q, &ParseOptions::default())
}

fn config(cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            base.cases
        } else {
            cases
        },
        // Failures print the tree and the text; no regression files are written into the tree.
        failure_persistence: None::<Box<dyn FailurePersistence>>,
        ..base
    }
}

const NO_BINDS: Ctx = Ctx { binds: false };
const BINDS: Ctx = Ctx { binds: true };

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn query_round_trips(q in query(NO_BINDS, Kind::Top, 2)) {
        check_query(&q, &options(NO_BINDS))?;
    }

    #[test]
    fn query_with_binds_round_trips(q in query(BINDS, Kind::Top, 2)) {
        check_query(&q, &options(BINDS))?;
    }

    #[test]
    fn search_round_trips(s in search(NO_BINDS)) {
        check_search(&s, &options(NO_BINDS))?;
    }

    #[test]
    fn search_with_binds_round_trips(s in search(BINDS)) {
        check_search(&s, &options(BINDS))?;
    }

    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        check_anything(&src, &ParseOptions::default())?;
        check_anything(&src, &ParseOptions::default().apex_binds(true).allow_comments(true))?;
    }

    #[test]
    fn checked_field_paths_are_safe(src in prop_oneof![
        3 => vec(any_ident(), 1..4).prop_map(|names| names.join(".")),
        1 => spliced(),
        1 => any::<String>(),
    ]) {
        check_field_path(&src)?;
    }

    #[test]
    fn spliced_fragments_never_panic(src in spliced()) {
        check_anything(&src, &ParseOptions::default())?;
        check_anything(&src, &ParseOptions::default().apex_binds(true).allow_comments(true))?;
    }
}

/// Shrunk cases the properties found, kept as plain tests.
#[test]
fn found_cases_round_trip() {
    for q in [
        // A TYPEOF field list read `Group` (a name, unless BY follows) only in first place.
        "SELECT TYPEOF What WHEN Account THEN Id, Group, Order.Name, From.x END FROM Event",
        // `Not.x` is a path, as `Select.x` is; NOT is the operator only when no dot follows.
        "SELECT Id FROM Account WHERE Not.x = 1",
        "SELECT Id FROM Account WHERE a = 1 AND Not.x = 2",
        "SELECT COUNT(Id) FROM Account GROUP BY Name HAVING Not.x = 1",
    ] {
        let parsed =
            parse_query_with(q, &ParseOptions::default()).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(parsed.to_string(), q);
    }
    let err = parse_query_with(
        "SELECT Id FROM Account WHERE a = 1 AND NOT b = 2",
        &ParseOptions::default(),
    )
    .expect_err("AND NOT without parentheses");
    assert!(
        err.to_string()
            .starts_with("Expected a condition after AND"),
        "{err}"
    );
}
