//! Strategies for whole statements: SOQL queries clause by clause, and SOSL searches.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use sfkit_soql::{
    CategorySelector, DataCategoryFilter, Expr, FieldPath, FieldsGroup, FindClause, ForClause,
    FromClause, Function, GroupBy, GroupByKind, NetworkFilter, NullsOrder, OrderByItem, Query,
    RelatedAlias, ReturningObject, Search, SearchExpr, SearchGroup, SearchPart, SearchText,
    SearchWith, SelectItem, SortDirection, Span, TypeOf, TypeOfWhen, UpdateClause, WithClause,
    WithParam,
};

use super::exprs::{call, condition, expr};
use super::names::{
    any_ident, bind, field_path, object_word, plain_ident, row_count, tricky_text, value,
};
use super::{Ctx, Kind, Place, one_of};

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
pub(super) fn query(ctx: Ctx, kind: Kind, depth: u32) -> BoxedStrategy<Query> {
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

pub(super) fn search(ctx: Ctx) -> BoxedStrategy<Search> {
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
