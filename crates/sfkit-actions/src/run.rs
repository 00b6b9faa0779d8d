//! Running an action: the parameters are checked first (nothing is sent if they are wrong),
//! then the calls are made through the client. Every query is built as a sfkit-soql tree, so a
//! user's text only ever reaches SOQL or SOSL as an escaped literal.

use chrono::NaiveDate;
use futures_util::TryStreamExt as _;
use serde_json::{Map, Value, json};
use sfkit_client::{Client, LeadConvert, QueryOptions, Record};
use sfkit_soql::{
    CompareOp, Condition, DateTimeLiteral, Expr, FieldPath, Function, FunctionCall, LikeOperand,
    LikePattern, NullsOrder, Number, OrderByItem, Predicate, Query, ReturningObject, RowCount,
    Search, SearchExpr, SelectItem, SortDirection, Value as Literal,
};

use crate::catalog::{Action, Op};
use crate::cursor::{Cursors, digest};
use crate::entities::{Entity, OrderField, Test};
use crate::error::ActionError;
use crate::params::{Checked, Kind};

/// What actions run against.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The Salesforce client.
    pub client: Client,
    /// Seals the cursors handed out, bound to this caller.
    pub cursors: Cursors,
}

/// Removes Salesforce's `attributes` members, at every depth.
pub fn strip_attributes(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.shift_remove("attributes");
            m.values_mut().for_each(strip_attributes);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_attributes),
        _ => {}
    }
}

fn internal(message: impl Into<String>) -> ActionError {
    ActionError::invalid("UNEXPECTED_ANSWER", message, Vec::new())
}

fn path(field: &str) -> Result<Expr, ActionError> {
    FieldPath::parse(field)
        .map(Expr::field)
        .map_err(|e| internal(format!("field path {field}: {e}")))
}

fn compare(field: &str, op: CompareOp, rhs: Literal) -> Result<Condition, ActionError> {
    Ok(Condition::predicate(Predicate::Compare {
        lhs: path(field)?,
        op,
        rhs,
    }))
}

fn and(mut conditions: Vec<Condition>) -> Option<Condition> {
    match conditions.len() {
        0 => None,
        1 => conditions.pop(),
        _ => Some(Condition::And(conditions)),
    }
}

fn or(conditions: Vec<Condition>) -> Condition {
    Condition::Or(conditions)
}

/// A checked parameter value as a SOQL literal of the filter's or order's type.
fn literal(kind: Kind, v: &Value) -> Result<Literal, ActionError> {
    let bad = || ActionError::invalid("INVALID_CURSOR", format!("unusable value {v}"), Vec::new());
    Ok(match (kind, v) {
        (_, Value::Null) => Literal::Null,
        (Kind::Boolean, Value::Bool(b)) => Literal::Boolean(*b),
        (Kind::Number { .. } | Kind::Integer { .. }, Value::Number(n)) => {
            Literal::Number(Number::parse(&n.to_string()).ok_or_else(bad)?)
        }
        (Kind::Date, Value::String(s)) => {
            Literal::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad())?)
        }
        (Kind::DateTime, Value::String(s)) => {
            let t = chrono::DateTime::parse_from_rfc3339(s)
                .or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
                .map_err(|_| bad())?;
            Literal::DateTime(DateTimeLiteral::utc(
                t.with_timezone(&chrono::Utc).naive_utc(),
            ))
        }
        (_, Value::String(s)) => Literal::String(s.clone()),
        _ => return Err(bad()),
    })
}

fn page(records: Vec<Value>, total: u64, next: Option<String>) -> Value {
    json!({
        "records": records,
        "totalSize": total,
        "done": next.is_none(),
        "nextCursor": next,
    })
}

fn saved(id: &str) -> Value {
    json!({"id": id, "success": true})
}

/// Checks extra fields against the object's describe: each must exist and be writable.
async fn check_fields(
    ctx: &Ctx,
    sobject: &str,
    fields: &Map<String, Value>,
    creating: bool,
) -> Result<(), ActionError> {
    if fields.is_empty() {
        return Ok(());
    }
    let d = ctx.client.sobjects(sobject).describe().await?;
    let mut unknown = Vec::new();
    let mut readonly = Vec::new();
    for key in fields.keys() {
        match d.field(key) {
            None => unknown.push(key.clone()),
            Some(f) if (creating && !f.createable) || (!creating && !f.updateable) => {
                readonly.push(key.clone());
            }
            Some(_) => {}
        }
    }
    if !unknown.is_empty() {
        return Err(ActionError::invalid(
            "INVALID_FIELD",
            format!(
                "No such field{} on {sobject}: {} (describeObject lists the fields)",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.join(", ")
            ),
            unknown,
        ));
    }
    if !readonly.is_empty() {
        return Err(ActionError::invalid(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to {} fields: {}",
                if creating { "create" } else { "update" },
                readonly.join(", ")
            ),
            readonly,
        ));
    }
    Ok(())
}

/// Checks a value against the org's own active values of a picklist field, so a typo is
/// refused with the values that would do instead of being saved (Salesforce keeps unknown
/// values of unrestricted picklists, and a lead with an unknown status falls out of every
/// view and conversion).
async fn check_picklist(
    ctx: &Ctx,
    sobject: &str,
    field: &str,
    param: &str,
    value: &str,
) -> Result<(), ActionError> {
    let d = ctx.client.sobjects(sobject).describe().await?;
    let Some(f) = d.field(field) else {
        return Ok(());
    };
    let active: Vec<&str> = f
        .picklist_values
        .iter()
        .filter(|p| p.active)
        .map(|p| p.value.as_str())
        .collect();
    if active.is_empty() || active.contains(&value) {
        return Ok(());
    }
    Err(ActionError::invalid(
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        format!(
            "{field}: bad value for picklist field: {value:?}; the org's values are {}",
            active.join(", ")
        ),
        vec![param.to_owned()],
    ))
}

/// The API fields of a create or update: mapped parameters plus extra API-named fields.
fn record_fields(e: &Entity, c: &Checked) -> Map<String, Value> {
    let mut out = Map::new();
    for p in e.fields {
        if let (Some(field), Some(v)) = (p.field, c.values.get(p.name)) {
            out.insert(field.to_owned(), v.clone());
        }
    }
    for (k, v) in &c.extra_fields {
        out.insert(k.clone(), v.clone());
    }
    out
}

fn sobject_param(c: &Checked) -> Result<&str, ActionError> {
    let s = c.required("sobject")?;
    if FieldPath::parse(s)
        .map(|p| p.segments.len() == 1)
        .unwrap_or(false)
    {
        Ok(s)
    } else {
        Err(ActionError::invalid(
            "INVALID_TYPE",
            format!("{s:?} is not an object API name"),
            vec!["sobject".into()],
        ))
    }
}

fn fields_param(c: &Checked) -> Map<String, Value> {
    c.values
        .get("fields")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

async fn get_record(ctx: &Ctx, sobject: &str, id: &str, c: &Checked) -> Result<Value, ActionError> {
    let fields: Vec<String> = c
        .values
        .get("fields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let h = ctx.client.sobjects(sobject);
    let mut v: Value = if fields.is_empty() {
        h.get(id).await?
    } else {
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        h.get_fields(id, &names).await?
    };
    strip_attributes(&mut v);
    Ok(v)
}

/// Runs a checked action.
pub(crate) async fn run(action: &Action, ctx: &Ctx, c: Checked) -> Result<Value, ActionError> {
    let client = &ctx.client;
    match action.op {
        Op::Get(e) => get_record(ctx, e.sobject, c.required("id")?, &c).await,
        Op::Create(e) => {
            let mut fields = record_fields(e, &c);
            check_fields(ctx, e.sobject, &c.extra_fields, true).await?;
            if e.sobject == "Lead" && !fields.contains_key("Status") {
                fields.insert("Status".into(), json!("New"));
            }
            let r = client.sobjects(e.sobject).create(&fields).await?;
            Ok(saved(&r.id))
        }
        Op::Update(e) => {
            let id = c.required("id")?;
            let fields = record_fields(e, &c);
            if fields.is_empty() {
                return Err(ActionError::invalid(
                    "REQUIRED_FIELD_MISSING",
                    "nothing to update: give at least one field",
                    Vec::new(),
                ));
            }
            check_fields(ctx, e.sobject, &c.extra_fields, false).await?;
            if e.sobject == "Lead"
                && let Some(status) = fields.get("Status").and_then(Value::as_str)
            {
                check_picklist(ctx, "Lead", "Status", "status", status).await?;
            }
            client.sobjects(e.sobject).update(id, &fields).await?;
            Ok(saved(id))
        }
        Op::Delete(e) => {
            let id = c.required("id")?;
            client.sobjects(e.sobject).delete(id).await?;
            Ok(saved(id))
        }
        Op::List(e) => list(ctx, action.name(), e, &c).await,
        Op::Search(e) => search_entity(ctx, action.name(), e, &c).await,
        Op::ConvertLead => convert_lead(ctx, &c).await,
        Op::CloseOpportunity => close_opportunity(ctx, &c).await,
        Op::Query => query(ctx, &c).await,
        Op::Sosl => {
            let mut records: Vec<Value> = client
                .search(c.required("query")?)
                .await?
                .into_iter()
                .map(Value::Object)
                .collect();
            // A search can return several objects: each record keeps its `attributes` (its
            // type) at the top; only nested ones go.
            for r in &mut records {
                if let Value::Object(m) = r {
                    m.values_mut().for_each(strip_attributes);
                }
            }
            let n = records.len();
            Ok(page(records, n as u64, None))
        }
        Op::GetRecord => get_record(ctx, sobject_param(&c)?, c.required("id")?, &c).await,
        Op::CreateRecord => {
            let sobject = sobject_param(&c)?;
            let fields = fields_param(&c);
            check_fields(ctx, sobject, &fields, true).await?;
            let r = client.sobjects(sobject).create(&fields).await?;
            Ok(saved(&r.id))
        }
        Op::UpdateRecord => {
            let sobject = sobject_param(&c)?;
            let id = c.required("id")?;
            let fields = fields_param(&c);
            check_fields(ctx, sobject, &fields, false).await?;
            client.sobjects(sobject).update(id, &fields).await?;
            Ok(saved(id))
        }
        Op::DeleteRecord => {
            let sobject = sobject_param(&c)?;
            let id = c.required("id")?;
            client.sobjects(sobject).delete(id).await?;
            Ok(saved(id))
        }
        Op::UpsertRecord => {
            let sobject = sobject_param(&c)?;
            let fields = fields_param(&c);
            check_fields(ctx, sobject, &fields, true).await?;
            let r = client
                .sobjects(sobject)
                .upsert(
                    c.required("externalIdField")?,
                    c.required("externalId")?,
                    &fields,
                )
                .await?;
            Ok(json!({"id": r.id, "created": r.created, "success": true}))
        }
        Op::DescribeObject => {
            let d = client.sobjects(sobject_param(&c)?).describe().await?;
            let fields: Vec<Value> = d
                .fields
                .iter()
                .map(|f| {
                    json!({
                        "name": f.name, "label": f.label, "type": f.kind,
                        "required": f.is_required(), "createable": f.createable,
                        "updateable": f.updateable, "length": f.length,
                        "externalId": f.external_id, "referenceTo": f.reference_to,
                        "relationshipName": f.relationship_name,
                        "picklistValues": f.picklist_values.iter().filter(|p| p.active).map(|p| p.value.clone()).collect::<Vec<_>>(),
                    })
                })
                .collect();
            Ok(json!({
                "name": d.name, "label": d.label, "custom": d.custom, "keyPrefix": d.key_prefix,
                "createable": d.createable, "updateable": d.updateable, "deletable": d.deletable,
                "fields": fields,
            }))
        }
        Op::ListObjects => {
            let g = client.describe_global().await?;
            let custom_only = c.bool("customOnly").unwrap_or(false);
            let objects: Vec<Value> = g
                .sobjects
                .iter()
                .filter(|o| !custom_only || o.custom)
                .map(|o| json!({"name": o.name, "label": o.label, "custom": o.custom, "queryable": o.queryable}))
                .collect();
            Ok(json!({"objects": objects, "totalSize": objects.len()}))
        }
        Op::GetLimits => {
            let limits = client.limits().await?;
            let map: Map<String, Value> = limits
                .into_iter()
                .map(|(k, l)| (k, json!({"max": l.max, "remaining": l.remaining})))
                .collect();
            Ok(Value::Object(map))
        }
    }
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
fn continue_listing(
    ctx: &Ctx,
    action: &str,
    c: &Checked,
) -> Result<(Map<String, Value>, Option<Value>), ActionError> {
    let given = listing(c);
    let Some(cursor) = c.str("cursor") else {
        return Ok((given, None));
    };
    let state = ctx.cursors.open(action, cursor)?;
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
fn after(
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
fn keyset_order(order: &OrderField, desc: bool) -> Result<Vec<OrderByItem>, ActionError> {
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
fn position(order: &OrderField, last: &Record) -> (Value, Value) {
    (
        last.get(order.field).cloned().unwrap_or(Value::Null),
        last.get("Id").cloned().unwrap_or(Value::Null),
    )
}

fn position_of(state: &Value) -> Result<(Value, String), ActionError> {
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

/// The most records `all: true` returns in one answer: past it, page with the cursor.
const MAX_ALL: u64 = 50_000;

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

async fn list(ctx: &Ctx, action: &str, e: &Entity, c: &Checked) -> Result<Value, ActionError> {
    let (params, state) = continue_listing(ctx, action, c)?;
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
    .ok_or_else(|| internal("no order for this list"))?;
    let desc = params.get("orderDirection").and_then(Value::as_str) == Some("desc");
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
            .map_err(|err| internal(err.to_string()))?;
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

/// `SELECT COUNT() FROM sobject WHERE filters`: how many records a list matches in all.
async fn count(ctx: &Ctx, sobject: &str, filters: Option<Condition>) -> Result<u64, ActionError> {
    let mut q = Query::select_from(["Id"], sobject).map_err(|err| internal(err.to_string()))?;
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
async fn search_entity(
    ctx: &Ctx,
    action: &str,
    e: &Entity,
    c: &Checked,
) -> Result<Value, ActionError> {
    let (params, state) = continue_listing(ctx, action, c)?;
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
        .ok_or_else(|| internal("no order for this search"))?;
    let fields = Query::select_from(e.list_fields.iter().copied(), e.sobject)
        .map_err(|err| internal(err.to_string()))?
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

/// Whether `url` is exactly a query locator as Salesforce hands them out:
/// `/services/data/vNN.N/query/<locator id>-<offset>` (or `queryAll`). Anything else is never
/// fetched with the connection's token.
fn is_query_locator(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("/services/data/v") else {
        return false;
    };
    let Some((version, rest)) = rest.split_once('/') else {
        return false;
    };
    let version_ok = version.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.len() <= 3
            && b.len() <= 2
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    });
    let Some(locator) = rest
        .strip_prefix("query/")
        .or_else(|| rest.strip_prefix("queryAll/"))
    else {
        return false;
    };
    let Some((id, offset)) = locator.rsplit_once('-') else {
        return false;
    };
    version_ok
        && (15..=18).contains(&id.len())
        && id.bytes().all(|c| c.is_ascii_alphanumeric())
        && !offset.is_empty()
        && offset.len() <= 10
        && offset.bytes().all(|c| c.is_ascii_digit())
}

async fn query(ctx: &Ctx, c: &Checked) -> Result<Value, ActionError> {
    let soql = match (c.str("query"), c.str("cursor")) {
        (Some(q), _) => q,
        (None, Some(_)) => "",
        (None, None) => return Err(ActionError::missing("query")),
    };
    let mut all_rows = c.bool("includeDeleted").unwrap_or(false);
    let bad =
        |message: &str| ActionError::invalid("INVALID_CURSOR", message, vec!["cursor".into()]);
    let mut query_digest = digest(soql);
    let (total, done, next, mut records) = match c.str("cursor") {
        Some(cursor) => {
            let state = ctx.cursors.open("query", cursor)?;
            // The cursor carries its query: an empty one beside it means "the same", and a
            // different one is refused rather than silently ignored.
            let same_query = soql.trim().is_empty()
                || state.get("q").and_then(Value::as_str) == Some(digest(soql).as_str());
            let same_rows = c
                .bool("includeDeleted")
                .is_none_or(|a| state.get("a").and_then(Value::as_bool) == Some(a));
            if !same_query || !same_rows {
                return Err(bad(
                    "the cursor continues another query; pass the same query and includeDeleted as the first page",
                ));
            }
            if let Some(q) = state.get("q").and_then(Value::as_str) {
                q.clone_into(&mut query_digest);
            }
            all_rows = state.get("a").and_then(Value::as_bool).unwrap_or(all_rows);
            let url = state
                .get("u")
                .and_then(Value::as_str)
                .filter(|u| is_query_locator(u))
                .ok_or_else(|| bad("not a query cursor"))?;
            let v = ctx
                .client
                .request(sfkit_client::Method::GET, url, None)
                .await?
                .unwrap_or(Value::Null);
            (
                v.get("totalSize").and_then(Value::as_u64).unwrap_or(0),
                v.get("done").and_then(Value::as_bool).unwrap_or(true),
                v.get("nextRecordsUrl")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                v.get("records")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            )
        }
        None => {
            let p = ctx
                .client
                .query_page(
                    soql,
                    QueryOptions {
                        all_rows,
                        batch_size: None,
                    },
                )
                .await?;
            (
                p.total_size,
                p.done,
                p.next_records_url,
                p.records.into_iter().map(Value::Object).collect(),
            )
        }
    };
    records.iter_mut().for_each(strip_attributes);
    let next = match (done, next) {
        (false, Some(u)) if is_query_locator(&u) => Some(
            ctx.cursors
                .seal("query", &json!({"u": u, "q": query_digest, "a": all_rows}))?,
        ),
        (false, Some(u)) => {
            return Err(internal(format!(
                "Salesforce answered a next page URL of an unknown shape ({} characters); the rest of the query cannot be read",
                u.len()
            )));
        }
        (false, None) => {
            return Err(internal(
                "Salesforce answered done: false with no next page URL",
            ));
        }
        (true, _) => None,
    };
    Ok(json!({
        "records": records,
        "totalSize": total,
        "done": next.is_none(),
        "nextCursor": next,
    }))
}

async fn convert_lead(ctx: &Ctx, c: &Checked) -> Result<Value, ActionError> {
    let status = match c.str("convertedStatus") {
        Some(s) => s.to_owned(),
        None => {
            // No user text: a constant query.
            let rows: Vec<Record> = ctx
                .client
                .query("SELECT ApiName, MasterLabel FROM LeadStatus WHERE IsConverted = true ORDER BY SortOrder LIMIT 1")
                .try_collect()
                .await?;
            rows.first()
                .and_then(|r| r.get("ApiName").or_else(|| r.get("MasterLabel")))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ActionError::invalid(
                        "INVALID_STATUS",
                        "the org has no converted lead status; give convertedStatus",
                        vec!["convertedStatus".into()],
                    )
                })?
        }
    };
    let convert = LeadConvert {
        lead_id: c.required("leadId")?.to_owned(),
        converted_status: Some(status),
        account_id: c.str("accountId").map(str::to_owned),
        contact_id: c.str("contactId").map(str::to_owned),
        opportunity_name: c.str("opportunityName").map(str::to_owned),
        do_not_create_opportunity: c.bool("doNotCreateOpportunity").unwrap_or(false),
        owner_id: c.str("ownerId").map(str::to_owned),
        overwrite_lead_source: c.bool("overwriteLeadSource").unwrap_or(false),
        send_notification_email: c.bool("sendNotificationEmail").unwrap_or(false),
    };
    let results = ctx.client.soap().convert_lead(&[convert]).await?;
    let r = results
        .into_iter()
        .next()
        .ok_or_else(|| internal("convertLead answered no result"))?;
    if !r.success {
        let first = r.errors.first();
        let code = first.map_or("UNKNOWN_EXCEPTION".into(), |e| e.error_code.clone());
        let mut message = first.map_or("the lead was not converted".into(), |e| e.message.clone());
        // The fix a user needs, as every other error carries it.
        if let Some(fix) = sfkit_client::ErrorCode::from(code.as_str()).remedy() {
            message = format!("{message}. {fix}");
        }
        return Err(ActionError {
            code,
            message,
            fields: first.map(|e| e.fields.clone()).unwrap_or_default(),
            retryable: false,
            origin: crate::error::Origin::Salesforce,
        });
    }
    Ok(json!({
        "leadId": r.lead_id,
        "accountId": r.account_id,
        "contactId": r.contact_id,
        "opportunityId": r.opportunity_id,
        "success": true,
    }))
}

async fn close_opportunity(ctx: &Ctx, c: &Checked) -> Result<Value, ActionError> {
    let id = c.required("opportunityId")?;
    let won = c.str("outcome") == Some("won");
    // The stage comes from the org: its own names, whatever they are.
    let mut q = Query::select_from(["ApiName", "MasterLabel", "IsWon"], "OpportunityStage")
        .map_err(|e| internal(e.to_string()))?;
    q.where_clause = and(vec![
        compare("IsActive", CompareOp::Eq, Literal::Boolean(true))?,
        compare("IsClosed", CompareOp::Eq, Literal::Boolean(true))?,
        compare("IsWon", CompareOp::Eq, Literal::Boolean(won))?,
    ]);
    q.order_by.push(OrderByItem {
        expr: path("SortOrder")?,
        direction: Some(SortDirection::Asc),
        nulls: None,
    });
    q.limit = Some(RowCount::Literal(1));
    let rows: Vec<Record> = ctx.client.query(&q.to_string()).try_collect().await?;
    let stage = rows
        .first()
        .and_then(|r| {
            r.get("ApiName")
                .filter(|v| !v.is_null())
                .or_else(|| r.get("MasterLabel"))
        })
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ActionError::invalid(
                "FIELD_INTEGRITY_EXCEPTION",
                format!(
                    "the org has no active closed {} stage",
                    if won { "won" } else { "lost" }
                ),
                vec!["outcome".into()],
            )
        })?;
    let close_date = c.str("closeDate").map(str::to_owned).unwrap_or_else(|| {
        chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string()
    });
    let mut fields = Map::new();
    fields.insert("StageName".into(), json!(stage));
    fields.insert("CloseDate".into(), json!(close_date));
    // The reason goes where the org's users look for it, and never over the Description they
    // wrote: the field named, else the org's win/loss reason field, else a completed task in
    // the opportunity's activity history.
    let reason = c.str("reason").filter(|r| !r.trim().is_empty());
    let reason_field = match reason {
        Some(_) => reason_field(ctx, c.str("reasonField"), won).await?,
        None => None,
    };
    if let (Some(reason), Some(field)) = (reason, &reason_field) {
        fields.insert(field.clone(), json!(reason));
    }
    ctx.client
        .sobjects("Opportunity")
        .update(id, &fields)
        .await?;
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("success".into(), json!(true));
    out.insert("stageName".into(), json!(stage));
    out.insert("closeDate".into(), json!(close_date));
    match (reason, reason_field) {
        (Some(_), Some(field)) => {
            out.insert("reasonRecordedIn".into(), json!({"field": field}));
        }
        (Some(reason), None) => {
            let outcome = if won { "Closed Won" } else { "Closed Lost" };
            let subject: String = format!("{outcome}: {reason}").chars().take(255).collect();
            let task = json!({
                "WhatId": id, "Subject": subject, "Description": reason,
                "Status": "Completed", "Priority": "Normal", "ActivityDate": close_date,
            });
            let made = ctx.client.sobjects("Task").create(&task).await?;
            out.insert("reasonRecordedIn".into(), json!({"taskId": made.id}));
        }
        _ => {}
    }
    Ok(Value::Object(out))
}

/// Custom fields orgs commonly add for why a deal was lost or won, in the order they are
/// looked for (case-insensitively).
const LOSS_REASON_FIELDS: &[&str] = &[
    "Loss_Reason__c",
    "Lost_Reason__c",
    "Reason_Lost__c",
    "Closed_Lost_Reason__c",
    "Win_Loss_Reason__c",
];
const WIN_REASON_FIELDS: &[&str] = &[
    "Win_Reason__c",
    "Won_Reason__c",
    "Reason_Won__c",
    "Closed_Won_Reason__c",
    "Win_Loss_Reason__c",
];

/// The Opportunity field that records a close reason: `named` (which must exist and be
/// updateable), else the first of the common reason fields the org has, else none.
async fn reason_field(
    ctx: &Ctx,
    named: Option<&str>,
    won: bool,
) -> Result<Option<String>, ActionError> {
    let describe = ctx.client.sobjects("Opportunity").describe().await?;
    let find = |name: &str| {
        describe
            .fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name) && f.updateable)
            .map(|f| f.name.clone())
    };
    if let Some(name) = named {
        return find(name).map(Some).ok_or_else(|| {
            ActionError::invalid(
                "INVALID_FIELD",
                format!("Opportunity has no field {name:?} that can be updated"),
                vec!["reasonField".into()],
            )
        });
    }
    let candidates = if won {
        WIN_REASON_FIELDS
    } else {
        LOSS_REASON_FIELDS
    };
    Ok(candidates.iter().find_map(|n| find(n)))
}
