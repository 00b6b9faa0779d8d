//! Each standard object's list (listAccounts, listOpportunities, ...: its filters, all of which
//! must match, and its orders) and full-text search (searchAccounts, ...), made from its
//! description in [`crate::entities`] and paged by keyset ([`crate::paging`]). Filters are
//! built as sfkit-soql trees, so a filter's text only ever reaches SOQL as an escaped literal.

use std::collections::BTreeMap;

use futures_util::TryStreamExt as _;
use parking_lot::Mutex;
use serde_json::{Map, Value, json};
use sfkit_client::{QueryOptions, Record};
use sfkit_soql::{
    CompareOp, Condition, Expr, FieldPath, Function, FunctionCall, LikeOperand, LikePattern,
    Predicate, Query, ReturningObject, RowCount, Search, SearchExpr, SelectItem,
};

use super::{Action, CURSOR, Call, Ctx, Effect};
use crate::entities::{Entity, OrderField, Test};
use crate::error::ActionError;
use crate::output::{page, page_schema, strip_attributes};
use crate::paging::{after, continue_listing, keyset_order, position, position_of};
use crate::params::{Kind, Param};
use crate::soql::{and, compare, literal, path};

const LIMIT: Param = Param::opt(
    "limit",
    Kind::Integer {
        min: Some(1),
        max: Some(2000),
    },
    "records per page, 1 to 2,000 (default 100)",
);

/// The list of the standard object `e`, and its search when it has one.
pub(super) fn for_entity(e: &'static Entity) -> Vec<Action> {
    let mut out = vec![
        Action::on_entity(
            e,
            format!("list{}", e.plural),
            format!(
                "Lists {} matching the filters given (all of them must match), one page at a time.",
                e.plural
            ),
            Effect::Reads,
            |call, e| Box::pin(list(call, e)),
        )
        .with(e.filters.iter().map(|f| f.param))
        .with([
            Param::opt("orderBy", Kind::Enum(order_names(e)), "the field to order by"),
            Param::opt(
                "orderDirection",
                Kind::Enum(&["asc", "desc"]),
                "asc (default) or desc",
            ),
            LIMIT,
            CURSOR,
            Param::opt(
                "fields",
                Kind::StringList,
                "API names of the fields to return (default: the usual ones; Id and the order's field always come)",
            ),
            Param::opt(
                "all",
                Kind::Boolean,
                "every matching record in one answer (pages of 2,000 underneath; at most 50,000), instead of one page",
            ),
        ])
        .output(page_schema(e.sobject)),
    ];
    if e.search {
        out.push(
            Action::on_entity(
                e,
                format!("search{}", e.plural),
                format!(
                    "Full-text search (SOSL) for {} whose fields contain the term.",
                    e.plural
                ),
                Effect::Reads,
                |call, e| Box::pin(search(call, e)),
            )
            .with([
                Param::opt(
                    "query",
                    Kind::String,
                    "the term to search for (2 characters or more); required without a cursor",
                ),
                Param::opt(
                    "limit",
                    Kind::Integer {
                        min: Some(1),
                        max: Some(2000),
                    },
                    "records per page, 1 to 2,000 (default 25)",
                ),
                CURSOR,
            ])
            .output(page_schema(e.sobject)),
        );
    }
    out
}

/// The names a list's `orderBy` takes, from the entity's orders: made once per entity (the
/// parameter's enum needs a `'static` list) and kept for the process's life.
fn order_names(e: &'static Entity) -> &'static [&'static str] {
    static NAMES: Mutex<BTreeMap<&'static str, &'static [&'static str]>> =
        Mutex::new(BTreeMap::new());
    NAMES.lock().entry(e.sobject).or_insert_with(|| {
        let names: Vec<&'static str> = e.orders.iter().map(|o| o.name).collect();
        Box::leak(names.into_boxed_slice())
    })
}

/// The most records `all: true` returns in one answer: past it, page with the cursor.
const MAX_ALL: u64 = 50_000;

async fn list(call: Call<'_>, e: &'static Entity) -> Result<Value, ActionError> {
    let Call {
        ctx,
        action,
        params: c,
    } = call;
    let (params, state) = continue_listing(&ctx.cursors, action, c)?;
    let all = params.get("all").and_then(Value::as_bool) == Some(true);
    if all && (params.contains_key("limit") || state.is_some()) {
        return Err(ActionError::invalid(
            "INVALID_INPUT",
            "all: true reads every page itself (2,000 records a request); give it no limit or cursor",
            vec!["all".into()],
        ));
    }
    let limit = if all {
        2000
    } else {
        params.get("limit").and_then(Value::as_u64).unwrap_or(100)
    };
    let order: &OrderField = match params.get("orderBy").and_then(Value::as_str) {
        Some(name) => e.orders.iter().find(|o| o.name == name),
        None => e.orders.first(),
    }
    .ok_or_else(|| ActionError::unexpected("no order for this list"))?;
    let desc = params.get("orderDirection").and_then(Value::as_str) == Some("desc");
    let filters = filters(e, &params)?;
    let select = list_select(e, order, &params)?;
    // The total counted for the first page rides along in the cursor, so later pages cost
    // no second COUNT() call.
    let mut total: Option<u64> = None;
    let mut from: Option<(Value, String)> = None;
    if let Some(state) = &state {
        total = state.get("t").and_then(Value::as_u64);
        from = Some(position_of(state)?);
    }
    let mut out: Vec<Value> = Vec::new();
    loop {
        let mut conditions = filters.clone();
        if let Some((v, id)) = &from {
            conditions.push(after(order, desc, v, id)?);
        }
        let mut q = Query::select_from(select.iter().map(String::as_str), e.sobject)
            .map_err(|err| ActionError::unexpected(err.to_string()))?;
        q.where_clause = and(conditions);
        q.order_by = keyset_order(order, desc)?;
        q.limit = Some(RowCount::Literal(limit + 1));
        let mut records: Vec<Record> = ctx
            .client
            .query_with(&q.to_string(), QueryOptions::default())
            .try_collect()
            .await?;
        let more = records.len() as u64 > limit;
        records.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let n = match total {
            Some(t) => t,
            // Everything fitted on the first page: the page is the total.
            None if !more => records.len() as u64,
            None => count(ctx, e.sobject, and(filters.clone())).await?,
        };
        total = Some(n);
        if all && n > MAX_ALL {
            return Err(ActionError::invalid(
                "TOO_MANY_RECORDS",
                format!(
                    "{n} records match; all: true returns at most {MAX_ALL}: page with limit and cursor, or narrow the filters"
                ),
                vec!["all".into()],
            ));
        }
        from = match (more, records.last()) {
            (true, Some(last)) => {
                let (v, id) = position(order, last);
                Some((v, id.as_str().unwrap_or_default().to_owned()))
            }
            _ => None,
        };
        out.extend(records.into_iter().map(Value::Object));
        if !all || from.is_none() {
            break;
        }
    }
    let total = total.unwrap_or(out.len() as u64);
    let next = match from {
        Some((v, id)) => Some(
            ctx.cursors
                .seal(action, &json!({"p": params, "t": total, "v": v, "id": id}))?,
        ),
        None => None,
    };
    out.iter_mut().for_each(strip_attributes);
    Ok(page(out, total, next))
}

/// The conditions of the filters given, in the entity's order of filters.
fn filters(e: &Entity, params: &Map<String, Value>) -> Result<Vec<Condition>, ActionError> {
    let mut filters = Vec::new();
    for f in e.filters {
        if let Some(v) = params.get(f.param.name) {
            filters.push(filter_condition(
                f.param.name,
                f.field,
                f.test,
                f.param.kind,
                v,
            )?);
        }
    }
    Ok(filters)
}

/// Salesforce's limit on one string in a WHERE clause, in characters.
const MAX_WHERE_STRING: usize = 4000;

fn filter_condition(
    param: &str,
    field: &str,
    test: Test,
    kind: Kind,
    v: &Value,
) -> Result<Condition, ActionError> {
    // Checked here so the caller learns which parameter and which limit, and nothing is sent.
    if let Some(text) = v.as_str() {
        let room = match test {
            // `%text%`
            Test::Contains => MAX_WHERE_STRING - 2,
            _ => MAX_WHERE_STRING,
        };
        let n = text.chars().count();
        if n > room {
            return Err(ActionError::invalid(
                "STRING_TOO_LONG",
                format!(
                    "{param} has {n} characters; Salesforce takes at most {room} here \
                     ({MAX_WHERE_STRING} per string in a query's WHERE clause)"
                ),
                vec![param.to_owned()],
            ));
        }
    }
    let lit = literal(kind, v)?;
    Ok(match test {
        Test::Equals | Test::Is => compare(field, CompareOp::Eq, lit)?,
        Test::AtLeast => compare(field, CompareOp::Ge, lit)?,
        Test::AtMost => compare(field, CompareOp::Le, lit)?,
        Test::After => compare(field, CompareOp::Gt, lit)?,
        Test::Before => compare(field, CompareOp::Lt, lit)?,
        Test::Contains => {
            let text = v.as_str().unwrap_or_default();
            Condition::predicate(Predicate::Like {
                lhs: path(field)?,
                pattern: LikeOperand::Pattern(LikePattern::contains(text)),
            })
        }
    })
}

/// The fields a list selects: the caller's `fields` (with `Id` and the order's field, which
/// paging needs), else the entity's list fields.
fn list_select(
    e: &Entity,
    order: &OrderField,
    params: &Map<String, Value>,
) -> Result<Vec<String>, ActionError> {
    let Some(asked) = params.get("fields").and_then(Value::as_array) else {
        return Ok(e.list_fields.iter().map(|f| (*f).to_owned()).collect());
    };
    let mut out: Vec<String> = Vec::new();
    for name in ["Id", order.field]
        .into_iter()
        .chain(asked.iter().filter_map(Value::as_str))
    {
        if FieldPath::parse(name).is_err() {
            return Err(ActionError::invalid(
                "INVALID_FIELD",
                format!("{name:?} is not a field name (API names such as Name or Owner.Name)"),
                vec!["fields".into()],
            ));
        }
        if !out.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            out.push(name.to_owned());
        }
    }
    Ok(out)
}

/// `SELECT COUNT() FROM sobject WHERE filters`: how many records a list matches in all.
async fn count(ctx: &Ctx, sobject: &str, filters: Option<Condition>) -> Result<u64, ActionError> {
    let mut q = Query::select_from(["Id"], sobject)
        .map_err(|err| ActionError::unexpected(err.to_string()))?;
    q.select = vec![SelectItem::Expr {
        expr: Expr::Call(FunctionCall {
            function: Function::Count,
            args: Vec::new(),
        }),
        alias: None,
    }];
    q.where_clause = filters;
    let p = ctx
        .client
        .query_page(&q.to_string(), QueryOptions::default())
        .await?;
    Ok(p.total_size)
}

/// The most records one SOSL search returns.
const SOSL_MAX_ROWS: u64 = 2000;

/// Full-text search, paged like a list: SOSL finds the records, in the entity's list order
/// (not relevance), each page starting after the last record of the one before. SOSL does
/// not count matches, so `totalSize` is the number found so far; it is final once `done`.
async fn search(call: Call<'_>, e: &'static Entity) -> Result<Value, ActionError> {
    let Call {
        ctx,
        action,
        params: c,
    } = call;
    let (params, state) = continue_listing(&ctx.cursors, action, c)?;
    let term = params
        .get("query")
        .and_then(Value::as_str)
        .ok_or_else(|| ActionError::missing("query"))?
        .trim()
        .to_owned();
    if term.chars().count() < 2 {
        return Err(ActionError::invalid(
            "INVALID_SEARCH",
            "search terms need at least 2 characters",
            vec!["query".into()],
        ));
    }
    let limit = params.get("limit").and_then(Value::as_u64).unwrap_or(25);
    let order = e
        .orders
        .first()
        .ok_or_else(|| ActionError::unexpected("no order for this search"))?;
    let fields = Query::select_from(e.list_fields.iter().copied(), e.sobject)
        .map_err(|err| ActionError::unexpected(err.to_string()))?
        .select;
    let mut s = Search::find(SearchExpr::phrase(&term));
    let mut returning = ReturningObject::new(e.sobject, fields);
    let mut seen = 0;
    if let Some(state) = &state {
        seen = state.get("n").and_then(Value::as_u64).unwrap_or(0);
        let (v, id) = position_of(state)?;
        returning.where_clause = Some(after(order, false, &v, &id)?);
    }
    returning.order_by = keyset_order(order, false)?;
    // One more than a page tells whether there is a next page; SOSL answers at most 2,000,
    // so a full 2,000-record page may be followed by an empty last one.
    let fetch = (limit + 1).min(SOSL_MAX_ROWS);
    returning.limit = Some(RowCount::Literal(fetch));
    s.returning.push(returning);
    let mut records: Vec<Record> = ctx.client.search(&s.to_string()).await?;
    let more = records.len() as u64 > limit || (fetch == limit && records.len() as u64 == limit);
    records.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let found = seen + records.len() as u64;
    let next = match (more, records.last()) {
        (true, Some(last)) => {
            let (v, id) = position(order, last);
            Some(
                ctx.cursors
                    .seal(action, &json!({"p": params, "n": found, "v": v, "id": id}))?,
            )
        }
        _ => None,
    };
    let mut records: Vec<Value> = records.into_iter().map(Value::Object).collect();
    records.iter_mut().for_each(strip_attributes);
    Ok(page(records, found, next))
}
