//! A query's SELECT list planned: each item's result columns, and the output nodes that say how
//! a row's columns become the record's JSON (parent records nested, child results by index,
//! TYPEOF branches by the referenced record's type).

use sfkit_soql::{Expr, FieldPath, FieldsGroup, FunctionCall, Query, RowCount, SelectItem, TypeOf};

use super::compile::Compiler;
use super::errors::{duplicate_field, malformed, no_such_column};
use super::plan::{ChildPlan, child_plan};
use super::shape::Out;
use crate::api_error::ApiError;

/// Adds one SELECT item's columns and output nodes: to `out`, and for a child subquery its plan
/// to `children`.
pub(super) fn select_item(
    c: &mut Compiler<'_>,
    out: &mut Vec<Out>,
    children: &mut Vec<ChildPlan>,
    item: &SelectItem,
    q: &Query,
    version: &str,
) -> Result<(), ApiError> {
    match item {
        SelectItem::Expr {
            expr: Expr::Field { path },
            ..
        } => field_item(c, out, path),
        SelectItem::Expr {
            expr: Expr::Call(call),
            alias,
        } => call_item(c, out, call, alias.as_deref()),
        SelectItem::Expr {
            expr: Expr::Literal { .. },
            ..
        } => Err(malformed("unexpected literal in SELECT")),
        SelectItem::Fields { group } => fields_item(c, out, *group, q),
        SelectItem::SubQuery { query } => {
            let (key, plan) = child_plan(c.env, c.src, c.root, query, version)?;
            if out
                .iter()
                .any(|o| matches!(o, Out::Child { key: k, .. } if *k == key))
            {
                return Err(duplicate_field(&key));
            }
            out.push(Out::Child {
                key,
                index: children.len(),
            });
            children.push(plan);
            Ok(())
        }
        SelectItem::TypeOf(t) => type_of_item(c, out, t),
    }
}

/// True if `level` already shows a column under `key`: one JSON key twice is refused.
fn has_column(level: &[Out], key: &str) -> bool {
    level
        .iter()
        .any(|o| matches!(o, Out::Column { key: k, .. } if k == key))
}

/// A field path: its column, under the parent records its relationships walk through (shared
/// with other paths through the same relationships).
fn field_item(c: &mut Compiler<'_>, out: &mut Vec<Out>, path: &FieldPath) -> Result<(), ApiError> {
    let r = c.resolve(path)?;
    let (field_name, kind, chain) = (r.field.name.clone(), r.field.kind, r.chain);
    let col = c.push_column(r.sql);
    let mut level = out;
    for index in chain {
        let Some(join) = c.join(index) else { continue };
        let key = join.relationship.clone();
        let pos = level
            .iter()
            .position(|o| matches!(o, Out::Parent { key: k, .. } if *k == key));
        let pos = match pos {
            Some(p) => p,
            None => {
                let id_col = c.push_column(c.join_id_sql(index));
                level.push(Out::Parent {
                    key,
                    id_col,
                    items: Vec::new(),
                });
                level.len() - 1
            }
        };
        level = match level.get_mut(pos) {
            Some(Out::Parent { items, .. }) => items,
            _ => return Err(malformed("internal: parent node")),
        };
    }
    if has_column(level, &field_name) {
        return Err(duplicate_field(&path.to_string()));
    }
    level.push(Out::Column {
        key: field_name,
        col,
        kind,
    });
    Ok(())
}

/// A function call. toLabel, FORMAT and convertCurrency show the field's own value under its
/// name; other calls go under their alias or `expr0`.
fn call_item(
    c: &mut Compiler<'_>,
    out: &mut Vec<Out>,
    call: &FunctionCall,
    alias: Option<&str>,
) -> Result<(), ApiError> {
    let operand = c.expr(&Expr::Call(call.clone()), false)?;
    let key = alias
        .map(str::to_owned)
        .or_else(|| operand.field.map(|f| f.field.name.clone()))
        .unwrap_or_else(|| "expr0".into());
    if has_column(out, &key) {
        return Err(duplicate_field(&key));
    }
    let col = c.push_column(operand.sql);
    out.push(Out::Column {
        key,
        col,
        kind: operand.kind,
    });
    Ok(())
}

/// `FIELDS(ALL)`, `FIELDS(STANDARD)` or `FIELDS(CUSTOM)`: the root object's fields of that
/// group, in schema order.
fn fields_item(
    c: &mut Compiler<'_>,
    out: &mut Vec<Out>,
    group: FieldsGroup,
    q: &Query,
) -> Result<(), ApiError> {
    if matches!(group, FieldsGroup::All | FieldsGroup::Custom)
        && !matches!(q.limit, Some(RowCount::Literal(n)) if n <= 200)
    {
        return Err(malformed(
            "The SOQL FIELDS function must have a LIMIT defined; FIELDS(ALL) and FIELDS(CUSTOM) need LIMIT 200 or less",
        ));
    }
    let root = c.root;
    let alias = c.root_alias();
    for f in &root.fields {
        let custom = f.name.ends_with("__c");
        let wanted = match group {
            FieldsGroup::All => true,
            FieldsGroup::Standard => !custom,
            FieldsGroup::Custom => custom,
        };
        if !wanted {
            continue;
        }
        if has_column(out, &f.name) {
            return Err(duplicate_field(&f.name));
        }
        let col = c.push_column(format!("{alias}.\"{}\"", f.name));
        out.push(Out::Column {
            key: f.name.clone(),
            col,
            kind: f.kind,
        });
    }
    Ok(())
}

/// `TYPEOF rel WHEN Type THEN fields ... ELSE fields END`: the relationship joined with one
/// alias per type it can refer to, and per arm the columns read from that type's alias.
fn type_of_item(c: &mut Compiler<'_>, out: &mut Vec<Out>, t: &TypeOf) -> Result<(), ApiError> {
    // Resolving `rel.Id` creates the join with one alias per possible target type.
    let probe = FieldPath::from_segments([t.relationship.as_str(), "Id"])
        .with_spans(vec![t.relationship_span]);
    let r = c.resolve(&probe)?;
    let index = *r
        .chain
        .last()
        .ok_or_else(|| malformed("TYPEOF needs a relationship"))?;
    let join = c
        .join(index)
        .cloned()
        .ok_or_else(|| malformed("TYPEOF needs a relationship"))?;
    if join.targets.len() < 2 {
        return Err(malformed(format!(
            "TYPEOF can only be used on a polymorphic relationship, not {}",
            t.relationship
        )));
    }
    let id_col = c.push_column(c.join_id_sql(index));
    let mut branches = Vec::new();
    for w in &t.whens {
        let target: Vec<(String, String)> = join
            .targets
            .iter()
            .filter(|(_, ty)| ty.eq_ignore_ascii_case(&w.sobject))
            .cloned()
            .collect();
        if target.is_empty() {
            return Err(malformed(format!(
                "{} is not a type {} can refer to",
                w.sobject, t.relationship
            )));
        }
        let items = w
            .fields
            .iter()
            .map(|f| type_of_column(c, t, &target, f))
            .collect::<Result<Vec<_>, _>>()?;
        branches.push((
            target.first().map(|(_, ty)| ty.clone()).unwrap_or_default(),
            items,
        ));
    }
    let else_items = match &t.else_fields {
        Some(fields) => fields
            .iter()
            .map(|f| type_of_column(c, t, &join.targets, f))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    out.push(Out::TypeOf {
        key: join.relationship.clone(),
        id_col,
        branches,
        else_items,
    });
    Ok(())
}

/// One field of a TYPEOF arm, read from whichever of the arm's `targets` (alias, type) has it.
fn type_of_column(
    c: &mut Compiler<'_>,
    t: &TypeOf,
    targets: &[(String, String)],
    path: &FieldPath,
) -> Result<Out, ApiError> {
    let name = path.field();
    let schema = c.env.schema;
    let mut exprs = Vec::new();
    let mut found = None;
    for (alias, ty) in targets {
        if let Some(f) = schema.get(ty).and_then(|o| o.field(name)) {
            found.get_or_insert((f.name.clone(), f.kind));
            exprs.push(format!("{alias}.\"{}\"", f.name));
        }
    }
    let (field, kind) =
        found.ok_or_else(|| c.at(path.field_span(), no_such_column(name, &t.relationship)))?;
    let sql = if exprs.len() == 1 {
        exprs.concat()
    } else {
        format!("COALESCE({})", exprs.join(", "))
    };
    Ok(Out::Column {
        key: field,
        col: c.push_column(sql),
        kind,
    })
}
