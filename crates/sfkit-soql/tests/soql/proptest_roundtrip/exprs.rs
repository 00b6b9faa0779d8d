//! Strategies for expressions (fields and every function where the parser allows it, with its
//! legal nestings) and for WHERE and HAVING conditions.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use sfkit_soql::{
    CompareOp, Condition, Expr, Function, FunctionCall, InOperand, IncludesOp, LikeOperand,
    Predicate, Value,
};

use super::names::{bind, field_path, like_pattern, number, string_value, tricky_text, value};
use super::statements::query;
use super::{AGGREGATES, Ctx, DATE_FUNCTIONS, Kind, Place, one_of};

pub(super) fn call(function: Function, args: Vec<Expr>) -> Expr {
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

pub(super) fn expr(ctx: Ctx, place: Place) -> BoxedStrategy<Expr> {
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

pub(super) fn condition(ctx: Ctx, place: Place, depth: u32) -> BoxedStrategy<Condition> {
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
