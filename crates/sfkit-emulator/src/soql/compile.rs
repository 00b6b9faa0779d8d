//! The compiler's core: a query's names resolved against the schema, parent paths turned into
//! LEFT JOINs, and expressions into SQL over bound parameters (no value is ever pasted into SQL
//! text). Function calls are compiled in [`super::calls`], conditions in [`super::conditions`].

use chrono::NaiveDate;
use rusqlite::types::Value as Sql;
use sfkit_soql::{Expr, FieldPath, Span};

use super::errors::{bad_relationship, located, malformed, no_such_column, too_complicated};
use super::limits::{MAX_PARENT_RELATIONSHIPS, MAX_SQL_TABLES};
use super::plan_cache::PlanCache;
use crate::api_error::ApiError;
use crate::schema::{Field, FieldType, SObjectType, Schema};

/// What the compiler needs to know about the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) schema: &'a Schema,
    pub(crate) today: NaiveDate,
    pub(crate) fiscal_start: u32,
    /// queryAll: include deleted rows.
    pub(crate) all_rows: bool,
    /// Where compiled queries are kept, if anywhere.
    pub(crate) plans: Option<&'a PlanCache>,
}

/// A LEFT JOIN for one relationship path.
#[derive(Debug, Clone)]
pub(super) struct Join {
    /// Lower-cased path from the root, e.g. `account.owner`.
    key: String,
    /// One alias per target type (several for polymorphic references).
    pub(super) targets: Vec<(String, String)>,
    /// The relationship's API name (`Account`), the JSON key.
    pub(super) relationship: String,
}

/// Compiles one query (or subquery) over `root`: the tables it joins, the columns it selects and
/// the parameters its SQL binds, in order.
pub(super) struct Compiler<'a> {
    pub(super) env: Env<'a>,
    /// The query text, which the tree's spans point into: name errors are shown against it.
    pub(super) src: &'a str,
    pub(super) root: &'a SObjectType,
    alias: Option<String>,
    pub(super) joins: Vec<Join>,
    pub(super) params: Vec<Sql>,
    /// Result columns (SQL expressions), in order.
    pub(super) columns: Vec<String>,
    pub(super) next_alias: usize,
    pub(super) prefix: String,
    /// Compiling a semi-join's inner query, where another semi-join may not nest.
    pub(super) in_semi_join: bool,
}

/// A compiled expression: its SQL, the type of its values, and the field it reads, if it reads
/// one (functions such as toLabel or MIN pass their field through).
pub(super) struct Operand<'a> {
    pub(super) sql: String,
    pub(super) kind: FieldType,
    pub(super) field: Option<FieldRef<'a>>,
}

/// A field an expression reads, and where the query named it.
#[derive(Clone, Copy)]
pub(super) struct FieldRef<'a> {
    pub(super) field: &'a Field,
    pub(super) at: Span,
}

impl<'a> Operand<'a> {
    pub(super) fn computed(sql: String, kind: FieldType) -> Self {
        Operand {
            sql,
            kind,
            field: None,
        }
    }

    /// The field's API name, for messages; `default` when the operand is not a field.
    pub(super) fn field_name<'s>(&'s self, default: &'s str) -> &'s str {
        self.field.map_or(default, |f| f.field.name.as_str())
    }

    /// Where the field was named; no position when the operand is not a field.
    pub(super) fn at(&self) -> Span {
        self.field.map_or(Span::default(), |f| f.at)
    }
}

/// A resolved field path.
pub(super) struct Resolved<'a> {
    pub(super) sql: String,
    pub(super) field: &'a Field,
    /// Indexes into `joins` along the path.
    pub(super) chain: Vec<usize>,
}

impl<'a> Compiler<'a> {
    /// A compiler for a query over `root`; table aliases start with `prefix`.
    pub(super) fn new(
        env: Env<'a>,
        src: &'a str,
        root: &'a SObjectType,
        alias: Option<&str>,
        prefix: &str,
    ) -> Self {
        Compiler {
            env,
            src,
            root,
            alias: alias.map(str::to_ascii_lowercase),
            joins: Vec::new(),
            params: Vec::new(),
            columns: Vec::new(),
            next_alias: 1,
            prefix: prefix.to_owned(),
            in_semi_join: false,
        }
    }

    pub(super) fn root_alias(&self) -> String {
        format!("{}0", self.prefix)
    }

    /// The FROM ... LEFT JOIN ... text.
    pub(super) fn tables_sql(&self) -> String {
        let mut s = format!("{} {}", self.root.table(), self.root_alias());
        for j in &self.joins {
            for (alias, ty) in &j.targets {
                if let Some(t) = self.env.schema.get(ty) {
                    s.push_str(&format!(
                        " LEFT JOIN {} {alias} ON {alias}.\"Id\" = {}",
                        t.table(),
                        self.fk_sql(j)
                    ));
                }
            }
        }
        s
    }

    fn fk_sql(&self, j: &Join) -> String {
        // The join's key records the referencing column as its last element: `path|fk_expr`.
        j.key
            .split_once('|')
            .map(|(_, fk)| fk.to_owned())
            .unwrap_or_default()
    }

    /// `e`, pointed at `at` in the query text.
    pub(super) fn at(&self, at: Span, e: ApiError) -> ApiError {
        located(self.src, at, e)
    }

    /// The index of a result column; the same expression selected twice (`Id` is always
    /// column 0 and often selected again) is read once.
    pub(super) fn push_column(&mut self, sql: String) -> usize {
        if let Some(i) = self.columns.iter().position(|c| *c == sql) {
            return i;
        }
        self.columns.push(sql);
        self.columns.len() - 1
    }

    pub(super) fn bind(&mut self, v: Sql) -> String {
        self.params.push(v);
        format!("?{}", self.params.len())
    }

    /// Resolves a field path to SQL, adding joins for its relationships.
    pub(super) fn resolve(&mut self, path: &FieldPath) -> Result<Resolved<'a>, ApiError> {
        // A first segment naming the queried object or its alias is the object itself.
        let mut skip = 0;
        if path.segments.len() > 1 {
            let first = path
                .segments
                .first()
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_default();
            let is_self = self.alias.as_deref() == Some(first.as_str())
                || first.eq_ignore_ascii_case(&self.root.name);
            if is_self && self.root.relationship(&first).is_none() {
                skip = 1;
            }
        }
        let segs = path.segments.get(skip..).unwrap_or_default();
        let Some((last, rels)) = segs.split_last() else {
            return Err(malformed("empty field path"));
        };
        if rels.len() > 5 {
            return Err(malformed(
                "SOQL statements cannot query more than 5 levels of relationships from child to parent",
            ));
        }
        let mut types: Vec<(String, &'a SObjectType)> = vec![(self.root_alias(), self.root)];
        let mut chain = Vec::new();
        let mut key = String::new();
        for (i, rel) in rels.iter().enumerate() {
            let bad = || self.at(path.segment_span(skip + i), bad_relationship(rel));
            let (parent_alias, parent) = types.first().cloned().ok_or_else(bad)?;
            let field = parent.relationship(rel).ok_or_else(bad)?;
            key.push('.');
            key.push_str(&rel.to_ascii_lowercase());
            let fk = format!("{parent_alias}.\"{}\"", field.name);
            let full_key = format!("{key}|{fk}");
            let index = match self.joins.iter().position(|j| j.key == full_key) {
                Some(i) => i,
                None => {
                    let mut targets = Vec::new();
                    for ty in &field.reference_to {
                        if self.env.schema.get(ty).is_some() {
                            let alias = format!("{}{}", self.prefix, self.next_alias);
                            self.next_alias += 1;
                            targets.push((alias, ty.clone()));
                        }
                    }
                    self.joins.push(Join {
                        key: full_key,
                        targets,
                        relationship: field
                            .relationship_name
                            .clone()
                            .unwrap_or_else(|| rel.clone()),
                    });
                    self.joins.len() - 1
                }
            };
            chain.push(index);
            let join = self
                .joins
                .get(index)
                .ok_or_else(|| self.at(path.segment_span(skip + i), bad_relationship(rel)))?;
            types = join
                .targets
                .iter()
                .filter_map(|(a, t)| self.env.schema.get(t).map(|o| (a.clone(), o)))
                .collect();
        }
        let mut found: Option<&'a Field> = None;
        let mut exprs = Vec::new();
        for (alias, ty) in &types {
            if let Some(f) = ty.field(last) {
                found.get_or_insert(f);
                exprs.push(format!("{alias}.\"{}\"", f.name));
            }
        }
        let field = found.ok_or_else(|| {
            let object = types
                .first()
                .map_or(self.root.name.as_str(), |(_, t)| t.name.as_str());
            self.at(path.field_span(), no_such_column(last, object))
        })?;
        let sql = if exprs.len() == 1 {
            exprs.remove(0)
        } else {
            format!("COALESCE({})", exprs.join(", "))
        };
        Ok(Resolved { sql, field, chain })
    }

    /// Refuses a query past Salesforce's 55 child-to-parent relationships, or past the 64
    /// tables SQLite joins in one SELECT. UNVERIFIED: Salesforce documents the 55 (relationship
    /// query limitations), not its error's wording.
    pub(super) fn check_joins(&self) -> Result<(), ApiError> {
        if self.joins.len() > MAX_PARENT_RELATIONSHIPS {
            return Err(malformed(format!(
                "SOQL statements cannot query more than {MAX_PARENT_RELATIONSHIPS} child-to-parent relationships, this one queries {}",
                self.joins.len()
            )));
        }
        let tables = 1 + self.joins.iter().map(|j| j.targets.len()).sum::<usize>();
        if tables > MAX_SQL_TABLES {
            return Err(too_complicated(&format!(
                "its relationships join {tables} tables, at most {MAX_SQL_TABLES} can be joined"
            )));
        }
        Ok(())
    }

    /// The SQL of a join's record id (for nullness and attributes).
    pub(super) fn join_id_sql(&self, index: usize) -> String {
        let ids: Vec<String> = self
            .joins
            .get(index)
            .map(|j| {
                j.targets
                    .iter()
                    .map(|(a, _)| format!("{a}.\"Id\""))
                    .collect()
            })
            .unwrap_or_default();
        if ids.len() == 1 {
            ids.concat()
        } else {
            format!("COALESCE({})", ids.join(", "))
        }
    }

    pub(super) fn join(&self, index: usize) -> Option<&Join> {
        self.joins.get(index)
    }

    /// SQL for an expression on the left of a condition, a GROUP BY or ORDER BY key, or a
    /// selected function; with the type its values have.
    pub(super) fn expr(&mut self, e: &Expr, aggregates_ok: bool) -> Result<Operand<'a>, ApiError> {
        match e {
            Expr::Field { path } => {
                let r = self.resolve(path)?;
                Ok(Operand {
                    sql: r.sql,
                    kind: r.field.kind,
                    field: Some(FieldRef {
                        field: r.field,
                        at: path.field_span(),
                    }),
                })
            }
            Expr::Call(call) => self.call(call, aggregates_ok),
            Expr::Literal { .. } => Err(malformed("unexpected literal")),
        }
    }
}
