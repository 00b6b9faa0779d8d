//! A query's column metadata: what `GET /query?q=...&columns=true` answers instead of records.
//!
//! Salesforce describes the columns a query would return without running it: one entry per
//! selected item, parent relationships as an entry whose `joinColumns` hold the parent's fields
//! (nested for deeper paths), child subqueries as an `aggregate` entry whose `joinColumns` are
//! the subquery's columns, and functions as `aggregate` entries named by their alias or `exprN`
//! with the call as `displayName`. The Salesforce CLI asks for it after every `sf data query` to
//! lay out its table and CSV. The names are the ones the records carry, so a client can read
//! each record by them.

use serde_json::{Value as Json, json};
use sfkit_soql::{Expr, FieldPath, FieldsGroup, Function, FunctionCall, Query, SelectItem, TypeOf};

use super::errors::{
    bad_relationship, child_relationship_error, invalid_type, located, malformed, no_such_column,
    parse_error,
};
use crate::api_error::ApiError;
use crate::schema::{Field, FieldType, SObjectType, Schema};

/// One column of a query.
#[derive(Debug)]
struct Column {
    name: String,
    display: String,
    aggregate: bool,
    apex_type: Option<&'static str>,
    boolean: bool,
    number: bool,
    text: bool,
    custom: bool,
    /// The reference field of a parent relationship column.
    foreign_key: Option<String>,
    insertable: bool,
    updatable: bool,
    join: Vec<Column>,
}

impl Column {
    fn field(f: &Field) -> Self {
        Column {
            name: f.name.clone(),
            display: f.name.clone(),
            aggregate: false,
            apex_type: Some(apex_type(f.kind)),
            boolean: f.kind == FieldType::Boolean,
            number: f.kind.is_number(),
            text: f.kind.is_text() && !matches!(f.kind, FieldType::Id | FieldType::Reference),
            custom: f.name.ends_with("__c"),
            foreign_key: None,
            insertable: f.createable && !f.calculated,
            updatable: f.updateable && !f.calculated,
            join: Vec::new(),
        }
    }

    /// A column that is not a field: a relationship or a function.
    fn other(name: &str, display: &str, aggregate: bool) -> Self {
        Column {
            name: name.to_owned(),
            display: display.to_owned(),
            aggregate,
            apex_type: None,
            boolean: false,
            number: false,
            text: false,
            custom: name.ends_with("__r"),
            foreign_key: None,
            insertable: false,
            updatable: false,
            join: Vec::new(),
        }
    }

    fn to_json(&self) -> Json {
        json!({
            "aggregate": self.aggregate,
            "apexType": self.apex_type,
            "booleanType": self.boolean,
            "columnName": self.name,
            "custom": self.custom,
            "displayName": self.display,
            "foreignKeyName": self.foreign_key,
            "insertable": self.insertable,
            "joinColumns": self.join.iter().map(Column::to_json).collect::<Vec<_>>(),
            "numberType": self.number,
            "textType": self.text,
            "updatable": self.updatable,
        })
    }
}

/// The Apex type of a field's values.
fn apex_type(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Id | FieldType::Reference => "Id",
        FieldType::Boolean => "Boolean",
        FieldType::Int => "Integer",
        FieldType::Currency | FieldType::Double | FieldType::Percent => "Decimal",
        FieldType::Date => "Date",
        FieldType::Datetime => "Datetime",
        FieldType::Time => "Time",
        FieldType::String
        | FieldType::Textarea
        | FieldType::Picklist
        | FieldType::Multipicklist
        | FieldType::Combobox
        | FieldType::Email
        | FieldType::Phone
        | FieldType::Url => "String",
    }
}

/// The column metadata of a query: `{columnMetadata, entityName, groupBy, idSelected,
/// keyPrefix}`.
pub(super) fn describe(schema: &Schema, soql: &str) -> Result<Json, ApiError> {
    let q = sfkit_soql::parse_query(soql).map_err(|e| parse_error(soql, &e))?;
    let name = q.from.sobject.to_string();
    let root = schema
        .get(&name)
        .ok_or_else(|| located(soql, q.from.sobject.span(), invalid_type(&name)))?;
    let columns = if q.is_aggregate() {
        aggregate_columns(schema, soql, root, &q)?
    } else {
        query_columns(schema, soql, root, &q)?
    };
    let id_selected = columns
        .iter()
        .any(|c| c.name == "Id" && c.join.is_empty() && !c.aggregate);
    Ok(json!({
        "columnMetadata": columns.iter().map(Column::to_json).collect::<Vec<_>>(),
        "entityName": root.name,
        "groupBy": q.group_by.is_some(),
        "idSelected": id_selected,
        "keyPrefix": root.key_prefix,
    }))
}

/// The columns of a query that returns records (no aggregates).
fn query_columns(
    schema: &Schema,
    soql: &str,
    root: &SObjectType,
    q: &Query,
) -> Result<Vec<Column>, ApiError> {
    let alias = q.from.alias.as_deref();
    let mut out: Vec<Column> = Vec::new();
    for item in &q.select {
        match item {
            SelectItem::Expr {
                expr: Expr::Field { path },
                ..
            } => add_path(schema, soql, root, alias, &mut out, path)?,
            SelectItem::Expr {
                expr: Expr::Call(call),
                alias: item_alias,
            } => {
                let col = call_column(schema, soql, root, alias, call, item_alias.as_deref())?;
                push_unique(&mut out, col);
            }
            SelectItem::Expr {
                expr: Expr::Literal { .. },
                ..
            } => return Err(malformed("unexpected literal in SELECT")),
            SelectItem::Fields { group } => {
                for f in &root.fields {
                    let custom = f.name.ends_with("__c");
                    let wanted = match group {
                        FieldsGroup::All => true,
                        FieldsGroup::Standard => !custom,
                        FieldsGroup::Custom => custom,
                    };
                    if wanted {
                        push_unique(&mut out, Column::field(f));
                    }
                }
            }
            SelectItem::SubQuery { query } => {
                let rel_name = query.from.sobject.field();
                let rel = root.child_relationship(rel_name).ok_or_else(|| {
                    let at = query.from.sobject.field_span();
                    located(soql, at, child_relationship_error(rel_name))
                })?;
                let child = schema
                    .get(&rel.child)
                    .ok_or_else(|| invalid_type(&rel.child))?;
                let mut col = Column::other(&rel.name, &rel.name, true);
                col.join = query_columns(schema, soql, child, query)?;
                out.push(col);
            }
            SelectItem::TypeOf(t) => out.push(type_of_column(schema, soql, root, t)?),
        }
    }
    Ok(out)
}

/// A function in a record query's SELECT list. toLabel, FORMAT and convertCurrency keep the
/// field's name; other calls go under their alias or `expr0`.
fn call_column(
    schema: &Schema,
    soql: &str,
    root: &SObjectType,
    alias: Option<&str>,
    call: &FunctionCall,
    item_alias: Option<&str>,
) -> Result<Column, ApiError> {
    let field = call.args.iter().find_map(|a| match a {
        Expr::Field { path } => Some(path),
        _ => None,
    });
    let resolved = field
        .map(|p| resolve(schema, soql, root, alias, p))
        .transpose()?;
    let key = item_alias
        .map(str::to_owned)
        .or_else(|| resolved.as_ref().map(|(_, f)| f.name.clone()))
        .unwrap_or_else(|| "expr0".into());
    let mut col = match &resolved {
        Some((_, f)) => Column::field(f),
        None => Column::other(&key, &key, false),
    };
    col.name.clone_from(&key);
    col.display = key;
    Ok(col)
}

/// A TYPEOF: the relationship's column, whose join columns are every arm's fields.
fn type_of_column(
    schema: &Schema,
    soql: &str,
    root: &SObjectType,
    t: &TypeOf,
) -> Result<Column, ApiError> {
    let field = root
        .relationship(&t.relationship)
        .ok_or_else(|| located(soql, t.relationship_span, bad_relationship(&t.relationship)))?;
    let rel_name = field
        .relationship_name
        .clone()
        .unwrap_or_else(|| t.relationship.clone());
    let mut col = Column::other(&rel_name, &rel_name, false);
    col.foreign_key = Some(field.name.clone());
    let arms = t
        .whens
        .iter()
        .map(|w| (Some(w.sobject.as_str()), &w.fields))
        .chain(t.else_fields.iter().map(|f| (None, f)));
    for (sobject, fields) in arms {
        let targets: Vec<&SObjectType> = field
            .reference_to
            .iter()
            .filter(|ty| sobject.is_none_or(|s| s.eq_ignore_ascii_case(ty)))
            .filter_map(|ty| schema.get(ty))
            .collect();
        for path in fields {
            let f = targets
                .iter()
                .find_map(|o| o.field(path.field()))
                .ok_or_else(|| {
                    let e = no_such_column(path.field(), &t.relationship);
                    located(soql, path.field_span(), e)
                })?;
            push_unique(&mut col.join, Column::field(f));
        }
    }
    Ok(col)
}

/// The columns of an aggregate query: grouped fields under their own names (relationship paths
/// flattened, as the records show them), functions under their alias or `exprN`.
fn aggregate_columns(
    schema: &Schema,
    soql: &str,
    root: &SObjectType,
    q: &Query,
) -> Result<Vec<Column>, ApiError> {
    let alias = q.from.alias.as_deref();
    // `SELECT COUNT() FROM ...` returns a count and no records: no columns.
    if matches!(q.select.as_slice(), [SelectItem::Expr { expr: Expr::Call(call), .. }] if call.args.is_empty())
    {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut expr_n = 0;
    for item in &q.select {
        let SelectItem::Expr {
            expr,
            alias: item_alias,
        } = item
        else {
            return Err(malformed(
                "only fields and aggregate functions can be selected in an aggregate query",
            ));
        };
        match expr {
            Expr::Field { path } => {
                let (_, f) = resolve(schema, soql, root, alias, path)?;
                let mut col = Column::field(f);
                if let Some(a) = item_alias {
                    col.name.clone_from(a);
                    col.display.clone_from(a);
                }
                out.push(col);
            }
            Expr::Call(call) => {
                let name = match item_alias {
                    Some(a) => a.clone(),
                    None => {
                        let k = format!("expr{expr_n}");
                        expr_n += 1;
                        k
                    }
                };
                let args: Vec<String> = call.args.iter().map(ToString::to_string).collect();
                let display = format!(
                    "{}({})",
                    call.function.name().to_ascii_lowercase(),
                    args.join(", ")
                );
                let mut col = Column::other(&name, &display, true);
                col.custom = false;
                col.number = match call.function {
                    Function::Min | Function::Max => call
                        .args
                        .iter()
                        .find_map(|a| match a {
                            Expr::Field { path } => resolve(schema, soql, root, alias, path).ok(),
                            _ => None,
                        })
                        .is_some_and(|(_, f)| f.kind.is_number()),
                    _ => true,
                };
                out.push(col);
            }
            Expr::Literal { .. } => return Err(malformed("unexpected literal in SELECT")),
        }
    }
    Ok(out)
}

/// A column whose name is already at this level is not added twice.
fn push_unique(level: &mut Vec<Column>, col: Column) {
    if !level
        .iter()
        .any(|c| c.name == col.name && c.join.is_empty() && c.foreign_key.is_none())
    {
        level.push(col);
    }
}

/// Adds a field path: its relationships become (shared) join columns, its field the innermost.
fn add_path(
    schema: &Schema,
    soql: &str,
    root: &SObjectType,
    alias: Option<&str>,
    out: &mut Vec<Column>,
    path: &FieldPath,
) -> Result<(), ApiError> {
    let (rels, field) = resolve(schema, soql, root, alias, path)?;
    let mut level = out;
    for (rel_name, fk) in rels {
        let pos = match level
            .iter()
            .position(|c| c.foreign_key.is_some() && c.name == rel_name)
        {
            Some(p) => p,
            None => {
                let mut col = Column::other(&rel_name, &rel_name, false);
                col.foreign_key = Some(fk);
                level.push(col);
                level.len() - 1
            }
        };
        level = match level.get_mut(pos) {
            Some(c) => &mut c.join,
            None => return Err(malformed("internal: join column")),
        };
    }
    push_unique(level, Column::field(field));
    Ok(())
}

/// A relationship a field path walks: its API name and its reference field.
type Walked = (String, String);

/// Resolves a field path: the relationships it walks and the field.
fn resolve<'a>(
    schema: &'a Schema,
    soql: &str,
    root: &'a SObjectType,
    alias: Option<&str>,
    path: &FieldPath,
) -> Result<(Vec<Walked>, &'a Field), ApiError> {
    // A first segment naming the queried object or its alias is the object itself.
    let mut skip = 0;
    if let (true, Some(first)) = (path.segments.len() > 1, path.segments.first()) {
        let is_self = alias.is_some_and(|a| a.eq_ignore_ascii_case(first))
            || first.eq_ignore_ascii_case(&root.name);
        if is_self && root.relationship(first).is_none() {
            skip = 1;
        }
    }
    let segs = path.segments.get(skip..).unwrap_or_default();
    let Some((last, rels)) = segs.split_last() else {
        return Err(malformed("empty field path"));
    };
    let mut types: Vec<&SObjectType> = vec![root];
    let mut walked = Vec::new();
    for (i, rel) in rels.iter().enumerate() {
        let field = types
            .first()
            .and_then(|t| t.relationship(rel))
            .ok_or_else(|| located(soql, path.segment_span(skip + i), bad_relationship(rel)))?;
        walked.push((
            field
                .relationship_name
                .clone()
                .unwrap_or_else(|| rel.clone()),
            field.name.clone(),
        ));
        types = field
            .reference_to
            .iter()
            .filter_map(|t| schema.get(t))
            .collect();
    }
    let field = types.iter().find_map(|t| t.field(last)).ok_or_else(|| {
        let object = types
            .first()
            .map_or(root.name.as_str(), |t| t.name.as_str());
        located(soql, path.field_span(), no_such_column(last, object))
    })?;
    Ok((walked, field))
}
