//! Strategies for names (plain, contextual and reserved words, field paths, binds) and values
//! (strings full of tricky characters, numbers, dates, times, date literals, LIKE patterns).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use sfkit_soql::{
    BindVariable, CurrencyLiteral, DateLiteral, DateTimeLiteral, FieldPath, LikePart, LikePattern,
    Number, RowCount, Value,
};

use super::{CONTEXTUAL, Ctx, NAMES, NEVER_PLAIN, RESERVED, TRICKY_CHARS, one_of};

fn is_reserved(s: &str) -> bool {
    RESERVED
        .iter()
        .chain(NEVER_PLAIN)
        .any(|k| k.eq_ignore_ascii_case(s))
}

/// A name that is not reserved: valid as a field, alias, object, ... Contextual words are
/// included on purpose: the parser must keep them apart from the keywords by position.
pub(super) fn plain_ident() -> BoxedStrategy<String> {
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
pub(super) fn any_ident() -> BoxedStrategy<String> {
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
pub(super) fn field_path() -> BoxedStrategy<FieldPath> {
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
pub(super) fn object_word() -> BoxedStrategy<String> {
    select(&["Group", "Order", "ORDER", "group"][..])
        .prop_map(str::to_owned)
        .boxed()
}

pub(super) fn bind() -> BoxedStrategy<BindVariable> {
    vec(any_ident(), 1..3)
        .prop_map(|path| BindVariable { path })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Values

pub(super) fn tricky_text(max: usize) -> BoxedStrategy<String> {
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

pub(super) fn number() -> BoxedStrategy<Number> {
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

pub(super) fn value(ctx: Ctx) -> BoxedStrategy<Value> {
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

pub(super) fn string_value(ctx: Ctx) -> BoxedStrategy<Value> {
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

pub(super) fn like_pattern() -> BoxedStrategy<LikePattern> {
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

pub(super) fn row_count(ctx: Ctx) -> BoxedStrategy<RowCount> {
    let small = prop_oneof![3 => 0u64..3000, 1 => any::<u64>()];
    if ctx.binds {
        prop_oneof![3 => small.prop_map(RowCount::Literal), 1 => bind().prop_map(RowCount::Bind)]
            .boxed()
    } else {
        small.prop_map(RowCount::Literal).boxed()
    }
}
