//! Aggregate queries (GROUP BY, COUNT, SUM, ...) and their result rows.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, params_from_iter};
use sfkit_soql::{Expr, Function, GroupByKind, Query, RowCount, SelectItem};

use super::compile::{Compiler, Env};
use super::errors::malformed;
use super::execute::{FirstPage, Records};
use super::json::{finish, push_key, push_value};
use super::limits::check_params;
use super::plan::{order_by, push_limits};
use crate::api_error::ApiError;
use crate::schema::{FieldType, SObjectType};

/// One selected item of an aggregate query: its JSON key, its SQL and the type of its values.
struct Item {
    key: String,
    sql: String,
    kind: FieldType,
}

/// Aggregate queries: COUNT(), GROUP BY (with ROLLUP and CUBE), HAVING. Rows are
/// `AggregateResult`s; unaliased aggregates are named `expr0`, `expr1`, ...
pub(super) fn aggregate(
    conn: &Connection,
    env: Env<'_>,
    soql: &str,
    root: &SObjectType,
    q: &Query,
) -> Result<FirstPage, ApiError> {
    let mut c = Compiler::new(env, soql, root, q.from.alias.as_deref(), "t");
    let alias = c.root_alias();
    let bare_count = matches!(q.select.as_slice(), [SelectItem::Expr { expr: Expr::Call(call), .. }] if call.args.is_empty());
    let mut wheres = Vec::new();
    if !env.all_rows {
        wheres.push(format!("{alias}.\"IsDeleted\" = 0"));
    }
    // Columns first (joins they need), then WHERE.
    let items = if bare_count {
        Vec::new()
    } else {
        selected_items(&mut c, q)?
    };
    if let Some(w) = &q.where_clause {
        wheres.push(c.condition(w, false)?);
    }
    let where_sql = if wheres.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wheres.join(" AND "))
    };
    if bare_count {
        return count_only(conn, &c, q, &where_sql);
    }
    let keys: Vec<String> = match &q.group_by {
        Some(g) => g
            .keys
            .iter()
            .map(|k| c.expr(k, false).map(|x| x.sql))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let having = match &q.having {
        Some(h) => format!(" HAVING {}", c.condition(h, true)?),
        None => String::new(),
    };
    let order = order_by(&mut c, &q.order_by, true)?;
    let kind = q.group_by.as_ref().map_or(GroupByKind::Plain, |g| g.kind);
    let sets = grouping_sets(kind, keys.len());
    let from = c.tables_sql();
    let from_where = format!("FROM {from}{where_sql}");
    let selects: Vec<String> = sets
        .iter()
        .map(|set| grouping_select(&items, &keys, set, &from_where, &having))
        .collect();
    // Each grouping set repeats the parameters, numbered anew.
    let nparams = c.params.len();
    let mut sql = String::new();
    let mut params = Vec::new();
    for (i, s) in selects.iter().enumerate() {
        if i > 0 {
            sql.push_str(" UNION ALL ");
        }
        sql.push_str(&renumber(s, i * nparams));
        params.extend(c.params.iter().cloned());
    }
    if !order.is_empty() && sets.len() == 1 {
        sql.push_str(&format!(" ORDER BY {}", renumber(&order, 0)));
    }
    push_limits(&mut sql, q)?;
    c.check_joins()?;
    check_params(params.len())?;
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let (records, len) = aggregate_results(&mut rows, &items)?;
    Ok(FirstPage {
        total_size: len,
        records,
        rest: Vec::new(),
        plan: None,
    })
}

/// The SELECT list of an aggregate query, compiled: fields under their name (or alias),
/// functions under their alias or `exprN`. COUNT and COUNT_DISTINCT are integers whatever they
/// count.
fn selected_items(c: &mut Compiler<'_>, q: &Query) -> Result<Vec<Item>, ApiError> {
    let mut items = Vec::new();
    let mut expr_n = 0;
    for item in &q.select {
        let SelectItem::Expr { expr, alias } = item else {
            return Err(malformed(
                "only fields and aggregate functions can be selected in an aggregate query",
            ));
        };
        let operand = c.expr(expr, true)?;
        let key = match (alias, expr) {
            (Some(a), _) => a.clone(),
            (None, Expr::Field { .. }) => operand
                .field
                .map_or_else(|| "expr".to_owned(), |f| f.field.name.clone()),
            (None, _) => {
                let k = format!("expr{expr_n}");
                expr_n += 1;
                k
            }
        };
        let kind = match expr {
            Expr::Call(call)
                if matches!(call.function, Function::Count | Function::CountDistinct) =>
            {
                FieldType::Int
            }
            _ => operand.kind,
        };
        items.push(Item {
            key,
            sql: operand.sql,
            kind,
        });
    }
    Ok(items)
}

/// `SELECT COUNT() ...`: a count and no records (LIMIT caps the count).
fn count_only(
    conn: &Connection,
    c: &Compiler<'_>,
    q: &Query,
    where_sql: &str,
) -> Result<FirstPage, ApiError> {
    c.check_joins()?;
    check_params(c.params.len())?;
    let sql = format!("SELECT COUNT(*) FROM {}{where_sql}", c.tables_sql());
    let n: i64 = conn.query_row(&sql, params_from_iter(c.params.iter()), |r| r.get(0))?;
    let mut n = usize::try_from(n).unwrap_or(0);
    if let Some(RowCount::Literal(l)) = q.limit {
        n = n.min(usize::try_from(l).unwrap_or(usize::MAX));
    }
    Ok(FirstPage {
        total_size: n,
        records: Records { json: "[]".into() },
        rest: Vec::new(),
        plan: None,
    })
}

/// The grouping sets, as indexes into the GROUP BY keys: one set for a plain GROUP BY (or
/// none), each prefix for ROLLUP (the subtotals), every subset for CUBE (of at most 8 keys).
fn grouping_sets(kind: GroupByKind, keys: usize) -> Vec<Vec<usize>> {
    match kind {
        GroupByKind::Plain => vec![(0..keys).collect()],
        GroupByKind::Rollup => (0..=keys).rev().map(|n| (0..n).collect()).collect(),
        GroupByKind::Cube => {
            let n = keys.min(8);
            (0..(1usize << n))
                .rev()
                .map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).collect())
                .collect()
        }
    }
}

/// One grouping set's SELECT: the items, with a key grouped out of this set read as NULL (a
/// subtotal row), then `FROM ... WHERE ...`, the set's GROUP BY and the HAVING.
fn grouping_select(
    items: &[Item],
    keys: &[String],
    set: &[usize],
    from_where: &str,
    having: &str,
) -> String {
    let projected: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let grouped_out = keys
                .iter()
                .enumerate()
                .any(|(k, key)| *key == item.sql && !set.contains(&k));
            format!("{} AS a{i}", if grouped_out { "NULL" } else { &item.sql })
        })
        .collect();
    let group = if set.is_empty() || keys.is_empty() {
        String::new()
    } else {
        format!(
            " GROUP BY {}",
            set.iter()
                .filter_map(|&k| keys.get(k).cloned())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!(
        "SELECT {} {from_where}{group}{having}",
        projected.join(", ")
    )
}

/// The result rows as `AggregateResult` records, and how many there are.
fn aggregate_results(
    rows: &mut rusqlite::Rows<'_>,
    items: &[Item],
) -> Result<(Records, usize), ApiError> {
    let mut json = b"[".to_vec();
    let mut len = 0usize;
    while let Some(r) = rows.next()? {
        if len > 0 {
            json.push(b',');
        }
        json.extend_from_slice(b"{\"attributes\":{\"type\":\"AggregateResult\"}");
        for (i, item) in items.iter().enumerate() {
            let v = match (item.kind, r.get_ref(i)?) {
                (
                    FieldType::Double | FieldType::Currency | FieldType::Percent,
                    ValueRef::Integer(n),
                ) => ValueRef::Real(n as f64),
                (_, v) => v,
            };
            json.push(b',');
            push_key(&mut json, &item.key);
            push_value(&mut json, item.kind, v);
        }
        json.push(b'}');
        len += 1;
    }
    json.push(b']');
    Ok((Records { json: finish(json) }, len))
}

/// Shifts `?N` placeholders by `by`.
pub(super) fn renumber(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut in_str = false;
    while let Some(ch) = chars.next() {
        out.push(ch);
        if ch == '\'' {
            in_str = !in_str;
        }
        if ch == '?' && !in_str {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            let n: usize = digits.parse().unwrap_or(0);
            out.push_str(&(n + by).to_string());
        }
    }
    out
}
