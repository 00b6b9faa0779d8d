//! Planning: a parsed query to one SQLite statement for its records and one per child subquery.

use super::*;

/// Compiles a query; `None` for an aggregate query, which runs by [`aggregate`]. With `found`,
/// the query is restricted to a search's matches, ranked.
pub(crate) fn compile_query<'a>(
    env: Env<'a>,
    soql: &'a str,
    q: &Query,
    version: &str,
    found: Option<&SearchMatch<'_>>,
) -> Result<Option<Compiled>, ApiError> {
    let name = q.from.sobject.to_string();
    let root = env
        .schema
        .get(&name)
        .ok_or_else(|| located(soql, q.from.sobject.span(), invalid_type(&name)))?;
    if let Some(RowCount::Literal(n)) = q.offset
        && n > 2000
    {
        return Err(ApiError::bad_request(
            "NUMBER_OUTSIDE_VALID_RANGE",
            format!("Maximum SOQL offset allowed is 2000, but was {n}"),
        ));
    }
    if q.is_aggregate() {
        return Ok(None);
    }
    check_child_subqueries(q)?;
    let mut c = Compiler::new(env, soql, root, q.from.alias.as_deref(), "t");
    let root_alias = c.root_alias();
    c.push_column(format!("{root_alias}.\"Id\""));
    let mut out = Vec::new();
    let mut children = Vec::new();
    for item in &q.select {
        select_item(&mut c, &mut out, &mut children, item, q, version)?;
    }
    let mut wheres = Vec::new();
    if !env.all_rows {
        wheres.push(format!("{root_alias}.\"IsDeleted\" = 0"));
    }
    if let Some(w) = &q.where_clause {
        wheres.push(c.condition(w, false)?);
    }
    let mut order = order_by(&mut c, &q.order_by, false)?;
    c.check_joins()?;
    let cols = c.columns.join(", ");
    let from = c.tables_sql();
    // A search's matches join as a table of their own; only the first statement has them (a
    // search answers in one batch, so the plan's paging statement never needs them).
    let mut from_here = from.clone();
    if let Some(found) = found {
        let (m, o) = (
            c.bind(Sql::Text(found.matcher.to_owned())),
            c.bind(Sql::Text(found.sobject.to_owned())),
        );
        from_here.push_str(&format!(
            " JOIN (SELECT record_id, rank FROM search_index WHERE search_index MATCH {m} AND sobject = {o}) AS sr ON sr.record_id = {root_alias}.\"Id\""
        ));
        if order.is_empty() {
            order = "sr.rank".to_owned();
        }
    }
    check_params(c.params.len())?;
    let mut sql = format!("SELECT {root_alias}.rowid, {cols} FROM {from_here}");
    if !wheres.is_empty() {
        sql.push_str(&format!(" WHERE {}", wheres.join(" AND ")));
    }
    // Without ORDER BY the order is SQLite's (Salesforce promises none either); sorting by row
    // id would cost a temporary B-tree whenever an index other than the table's serves the
    // filter. Paging stays stable: the remaining row ids are kept in the order first read.
    if !order.is_empty() {
        sql.push_str(&format!(" ORDER BY {order}, {root_alias}.rowid"));
    }
    push_limits(&mut sql, q)?;
    let plan = Arc::new(Plan {
        root: root.name.clone(),
        page_sql: page_sql(root, &root_alias, &cols, &from),
        ncols: c.columns.len(),
        out,
        children,
    });
    Ok(Some(Compiled {
        sql,
        params: c.params,
        plan,
    }))
}

/// The statement that fetches a later batch of a query's records by row id, in the ids' order.
pub(crate) fn page_sql(root: &SObjectType, alias: &str, cols: &str, from: &str) -> String {
    let page_from = from.replacen(
        &format!("{} {alias}", root.table()),
        &format!(
            "json_each(?1) AS p JOIN {} {alias} ON {alias}.rowid = p.value",
            root.table()
        ),
        1,
    );
    format!("SELECT {alias}.rowid, {cols} FROM {page_from} ORDER BY p.key")
}

pub(crate) fn push_limits(sql: &mut String, q: &Query) -> Result<(), ApiError> {
    match &q.limit {
        Some(RowCount::Literal(n)) => sql.push_str(&format!(" LIMIT {n}")),
        Some(RowCount::Bind(_)) => {
            return Err(malformed("bind variables are not SOQL over the API"));
        }
        None if q.offset.is_some() => sql.push_str(" LIMIT -1"),
        None => {}
    }
    match &q.offset {
        Some(RowCount::Literal(n)) => sql.push_str(&format!(" OFFSET {n}")),
        Some(RowCount::Bind(_)) => {
            return Err(malformed("bind variables are not SOQL over the API"));
        }
        None => {}
    }
    Ok(())
}

pub(crate) fn order_by(
    c: &mut Compiler<'_>,
    items: &[OrderByItem],
    aggregates_ok: bool,
) -> Result<String, ApiError> {
    let mut parts = Vec::new();
    for item in items {
        let sql = c.expr(&item.expr, aggregates_ok)?.sql;
        let dir = match item.direction {
            Some(SortDirection::Desc) => " DESC",
            _ => " ASC",
        };
        let nulls = match (item.nulls, item.direction) {
            (Some(NullsOrder::First), _) => " NULLS FIRST",
            (Some(NullsOrder::Last), _) => " NULLS LAST",
            (None, Some(SortDirection::Desc)) => " NULLS LAST",
            (None, _) => " NULLS FIRST",
        };
        parts.push(format!("{sql}{dir}{nulls}"));
    }
    Ok(parts.join(", "))
}

/// Adds one SELECT item's columns and output nodes.
pub(crate) fn select_item(
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
        } => {
            let r = c.resolve(path)?;
            let (field_name, kind, sql, chain) =
                (r.field.name.clone(), r.field.kind, r.sql, r.chain);
            let col = c.push_column(sql);
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
            if level
                .iter()
                .any(|o| matches!(o, Out::Column { key, .. } if *key == field_name))
            {
                return Err(duplicate_field(&path.to_string()));
            }
            level.push(Out::Column {
                key: field_name,
                col,
                kind,
            });
        }
        SelectItem::Expr {
            expr: Expr::Call(call),
            alias,
        } => {
            // toLabel, FORMAT and convertCurrency show the field's own value under its name.
            let operand = c.expr(&Expr::Call(call.clone()), false)?;
            let key = alias
                .clone()
                .or_else(|| operand.field.map(|f| f.field.name.clone()))
                .unwrap_or_else(|| "expr0".into());
            // Two items under one key would be one JSON key twice.
            if out
                .iter()
                .any(|o| matches!(o, Out::Column { key: k, .. } if *k == key))
            {
                return Err(duplicate_field(&key));
            }
            let col = c.push_column(operand.sql);
            out.push(Out::Column {
                key,
                col,
                kind: operand.kind,
            });
        }
        SelectItem::Expr {
            expr: Expr::Literal { .. },
            ..
        } => return Err(malformed("unexpected literal in SELECT")),
        SelectItem::Fields { group } => {
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
                if out
                    .iter()
                    .any(|o| matches!(o, Out::Column { key, .. } if *key == f.name))
                {
                    return Err(duplicate_field(&f.name));
                }
                let col = c.push_column(format!("{alias}.\"{}\"", f.name));
                out.push(Out::Column {
                    key: f.name.clone(),
                    col,
                    kind: f.kind,
                });
            }
        }
        SelectItem::SubQuery { query } => {
            let plan = child_plan(c.env, c.src, c.root, query, version)?;
            if out
                .iter()
                .any(|o| matches!(o, Out::Child { key, .. } if *key == plan.0))
            {
                return Err(duplicate_field(&plan.0));
            }
            out.push(Out::Child {
                key: plan.0,
                index: children.len(),
            });
            children.push(plan.1);
        }
        SelectItem::TypeOf(t) => {
            // Resolving `rel.Id` creates the join with one alias per possible target type.
            let probe = sfkit_soql::FieldPath::from_segments([t.relationship.as_str(), "Id"])
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
            let schema = c.env.schema;
            let column_for = |c: &mut Compiler<'_>,
                              targets: &[(String, String)],
                              path: &sfkit_soql::FieldPath| {
                let name = path.field();
                let mut exprs = Vec::new();
                let mut found = None;
                for (alias, ty) in targets {
                    if let Some(f) = schema.get(ty).and_then(|o| o.field(name)) {
                        found.get_or_insert((f.name.clone(), f.kind));
                        exprs.push(format!("{alias}.\"{}\"", f.name));
                    }
                }
                let (field, kind) = found.ok_or_else(|| {
                    c.at(
                        path.field_span(),
                        compile::no_such_column(name, &t.relationship),
                    )
                })?;
                let sql = if exprs.len() == 1 {
                    exprs.concat()
                } else {
                    format!("COALESCE({})", exprs.join(", "))
                };
                Ok::<Out, ApiError>(Out::Column {
                    key: field,
                    col: c.push_column(sql),
                    kind,
                })
            };
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
                    .map(|f| column_for(c, &target, f))
                    .collect::<Result<Vec<_>, _>>()?;
                branches.push((
                    target.first().map(|(_, ty)| ty.clone()).unwrap_or_default(),
                    items,
                ));
            }
            let else_items = match &t.else_fields {
                Some(fields) => fields
                    .iter()
                    .map(|f| column_for(c, &join.targets, f))
                    .collect::<Result<Vec<_>, _>>()?,
                None => Vec::new(),
            };
            out.push(Out::TypeOf {
                key: join.relationship.clone(),
                id_col,
                branches,
                else_items,
            });
        }
    }
    Ok(())
}

/// A subquery's FROM that names no child relationship of the parent.
pub(crate) fn child_relationship_error(rel_name: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_TYPE",
        format!(
            "Didn't understand relationship '{rel_name}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

pub(crate) fn child_plan<'a>(
    env: Env<'a>,
    soql: &'a str,
    parent: &SObjectType,
    q: &Query,
    version: &str,
) -> Result<(String, ChildPlan), ApiError> {
    let rel_name = q.from.sobject.field();
    let rel = parent.child_relationship(rel_name).ok_or_else(|| {
        located(
            soql,
            q.from.sobject.field_span(),
            child_relationship_error(rel_name),
        )
    })?;
    let child = env
        .schema
        .get(&rel.child)
        .ok_or_else(|| invalid_type(&rel.child))?;
    let mut c = Compiler::new(env, soql, child, q.from.alias.as_deref(), "c");
    let alias = c.root_alias();
    c.push_column(format!("{alias}.\"Id\""));
    let mut out = Vec::new();
    let mut nested = Vec::new();
    for item in &q.select {
        if matches!(item, SelectItem::SubQuery { .. }) {
            return Err(malformed(
                "nested child subqueries are not supported by the local org yet",
            ));
        }
        select_item(&mut c, &mut out, &mut nested, item, q, version)?;
    }
    let mut wheres = Vec::new();
    if !env.all_rows {
        wheres.push(format!("{alias}.\"IsDeleted\" = 0"));
    }
    if let Some(w) = &q.where_clause {
        wheres.push(c.condition(w, false)?);
    }
    let order = order_by(&mut c, &q.order_by, false)?;
    c.check_joins()?;
    check_params(c.params.len() + 1)?;
    let ids_param = c.params.len() + 1;
    wheres.push(format!(
        "{alias}.\"{}\" IN (SELECT value FROM json_each(?{ids_param}))",
        rel.field
    ));
    let cols = c.columns.join(", ");
    let from = c.tables_sql();
    let sql = format!(
        "SELECT {alias}.\"{}\", {alias}.rowid, {cols} FROM {from} WHERE {} ORDER BY {}",
        rel.field,
        wheres.join(" AND "),
        if order.is_empty() {
            format!("{alias}.rowid")
        } else {
            format!("{order}, {alias}.rowid")
        }
    );
    let limit = match q.limit {
        Some(RowCount::Literal(n)) => Some(n),
        _ => None,
    };
    let page = Arc::new(Plan {
        root: child.name.clone(),
        page_sql: page_sql(child, &alias, &cols, &from),
        ncols: c.columns.len(),
        out,
        children: Vec::new(),
    });
    Ok((
        rel.name.clone(),
        ChildPlan {
            sql,
            params: c.params,
            limit,
            page,
        },
    ))
}
