//! Keyset paging of lists and searches: each page starts after the last record of the one
//! before, in a total order (`ORDER BY field [DESC] NULLS LAST, Id`), so no record is skipped
//! or repeated while others are added. The cursor carries the listing's parameters and that
//! position; the next page is the same listing continued, never another one.

use serde_json::{Map, Value};
use sfkit_client::Record;
use sfkit_soql::Value as Literal;
use sfkit_soql::{CompareOp, Condition, NullsOrder, OrderByItem, SortDirection};

use crate::cursor::Cursors;
use crate::entities::OrderField;
use crate::error::ActionError;
use crate::params::Checked;
use crate::soql::{compare, literal, or, path};

/// A listing's parameters: everything but the cursor.
fn listing(c: &Checked) -> Map<String, Value> {
    c.values
        .iter()
        .filter(|(k, _)| k.as_str() != "cursor")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Opens a paging cursor: the listing it continues and where it stopped. Parameters given
/// beside the cursor must be the listing's own: a cursor cannot be pointed at other filters.
pub(crate) fn continue_listing(
    cursors: &Cursors,
    action: &str,
    c: &Checked,
) -> Result<(Map<String, Value>, Option<Value>), ActionError> {
    let given = listing(c);
    let Some(cursor) = c.str("cursor") else {
        return Ok((given, None));
    };
    let state = cursors.open(action, cursor)?;
    let params = state
        .get("p")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| {
            ActionError::invalid(
                "INVALID_CURSOR",
                "not a listing cursor",
                vec!["cursor".into()],
            )
        })?;
    for (name, value) in &given {
        if params.get(name) != Some(value) {
            return Err(ActionError::invalid(
                "INVALID_CURSOR",
                format!(
                    "the cursor continues a listing with {} {name}; pass the cursor alone, or \
                     with the first page's parameters",
                    if params.contains_key(name) {
                        "another"
                    } else {
                        "no"
                    }
                ),
                vec!["cursor".into(), name.clone()],
            ));
        }
    }
    Ok((params, Some(state)))
}

/// Records after (`value`, `id`) in `ORDER BY field [DESC] NULLS LAST, Id`.
pub(crate) fn after(
    order: &OrderField,
    desc: bool,
    value: &Value,
    id: &str,
) -> Result<Condition, ActionError> {
    let id_lit = || Literal::String(id.to_owned());
    if order.field == "Id" {
        return compare(
            "Id",
            if desc { CompareOp::Lt } else { CompareOp::Gt },
            id_lit(),
        );
    }
    let after_id = compare("Id", CompareOp::Gt, id_lit())?;
    if value.is_null() {
        // Past the last value: only the remaining nulls (ordered last), by id.
        return Ok(Condition::And(vec![
            compare(order.field, CompareOp::Eq, Literal::Null)?,
            after_id,
        ]));
    }
    let lit = literal(order.kind, value)?;
    Ok(or(vec![
        compare(
            order.field,
            if desc { CompareOp::Lt } else { CompareOp::Gt },
            lit.clone(),
        )?,
        Condition::And(vec![compare(order.field, CompareOp::Eq, lit)?, after_id]),
        compare(order.field, CompareOp::Eq, Literal::Null)?,
    ]))
}

/// `ORDER BY field [DESC] NULLS LAST, Id`: a total order, so keyset paging is exact.
pub(crate) fn keyset_order(
    order: &OrderField,
    desc: bool,
) -> Result<Vec<OrderByItem>, ActionError> {
    let mut items = vec![OrderByItem {
        expr: path(order.field)?,
        direction: Some(if desc {
            SortDirection::Desc
        } else {
            SortDirection::Asc
        }),
        nulls: Some(NullsOrder::Last),
    }];
    if order.field != "Id" {
        items.push(OrderByItem {
            expr: path("Id")?,
            direction: Some(SortDirection::Asc),
            nulls: None,
        });
    }
    Ok(items)
}

/// The position after the last record of a page, for the next cursor.
pub(crate) fn position(order: &OrderField, last: &Record) -> (Value, Value) {
    (
        last.get(order.field).cloned().unwrap_or(Value::Null),
        last.get("Id").cloned().unwrap_or(Value::Null),
    )
}

/// The position an opened cursor stopped at.
pub(crate) fn position_of(state: &Value) -> Result<(Value, String), ActionError> {
    let id = state
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ActionError::invalid(
                "INVALID_CURSOR",
                "the cursor has no position",
                vec!["cursor".into()],
            )
        })?;
    Ok((
        state.get("v").cloned().unwrap_or(Value::Null),
        id.to_owned(),
    ))
}
