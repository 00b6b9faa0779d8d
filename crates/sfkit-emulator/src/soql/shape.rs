//! Result shaping: rows to records as Salesforce nests them (parents, children, attributes).
//! The plan says how ([`Out`]); the JSON is written straight into bytes ([`super::json`]).

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, Rows, params_from_iter};
use serde_json::Value as Json;

use super::execute::{Locators, Overflow, Records};
use super::json::{
    finish, open_record, push_key, push_string, push_value, record_head, text, text_bytes,
};
use super::plan::{ChildPlan, Plan};
use crate::api_error::ApiError;
use crate::schema::{FieldType, Schema};

/// How many of one parent's child records a query answer holds inline; the rest follow through
/// the child relationship's own `nextRecordsUrl`. UNVERIFIED: Salesforce documents no number;
/// users report child results cut at 499 records with a locator ending `-499` (jsforce issue 577,
/// simple-salesforce issue 311).
pub(super) const CHILD_BATCH: usize = 499;

/// How a selected value becomes JSON.
#[derive(Debug, Clone)]
pub(super) enum Out {
    /// A column, shown under `key`.
    Column {
        key: String,
        col: usize,
        kind: FieldType,
    },
    /// A parent record: `null` when its id column is null, else an object.
    Parent {
        key: String,
        id_col: usize,
        items: Vec<Out>,
    },
    /// A child subquery, by index.
    Child { key: String, index: usize },
    /// A TYPEOF over a polymorphic relationship: the branch is chosen by the referenced record's
    /// type (from its id prefix); `else_items` serve types no WHEN names.
    TypeOf {
        key: String,
        id_col: usize,
        branches: Vec<(String, Vec<Out>)>,
        else_items: Vec<Out>,
    },
}

/// One result row's values by output column (column 0 is the record's Id).
pub(super) trait Values {
    fn value(&self, col: usize) -> ValueRef<'_>;
}

impl Values for [Sql] {
    fn value(&self, col: usize) -> ValueRef<'_> {
        self.get(col).map_or(ValueRef::Null, ValueRef::from)
    }
}

/// A row being stepped, whose first `skip` columns are not output columns.
pub(super) struct Stepped<'a, 'b> {
    pub(super) row: &'a rusqlite::Row<'b>,
    pub(super) skip: usize,
}

impl Values for Stepped<'_, '_> {
    fn value(&self, col: usize) -> ValueRef<'_> {
        self.row.get_ref(col + self.skip).unwrap_or(ValueRef::Null)
    }
}

/// One parent's child records as they are read: the inline ones as JSON, the rest by row id.
struct Acc {
    json: Vec<u8>,
    len: usize,
    total: usize,
    rest: Vec<i64>,
}

/// Writes result rows as Salesforce's JSON records.
pub(super) struct Shaper<'a> {
    pub(super) conn: &'a Connection,
    pub(super) schema: &'a Schema,
    pub(super) version: &'a str,
}

impl Shaper<'_> {
    /// Writes up to `batch` records from `rows` (whose column 0 is the row id) and returns them
    /// with the row ids past the batch and the total row count. Without child subqueries each
    /// record is written as its row is stepped; with them, the batch's rows are kept until the
    /// children of the whole batch are in.
    pub(super) fn page(
        &self,
        plan: &Plan,
        rows: &mut Rows<'_>,
        batch: usize,
        mut locators: Locators<'_>,
    ) -> Result<(Records, Vec<i64>, usize), ApiError> {
        let mut json = Vec::with_capacity(4096);
        json.push(b'[');
        let head = record_head(&plan.root, self.version);
        let mut len = 0usize;
        let mut kept: Vec<Vec<Sql>> = Vec::new();
        let mut rest = Vec::new();
        let mut total = 0usize;
        while let Some(r) = rows.next()? {
            total += 1;
            if len >= batch {
                rest.push(r.get(0)?);
                continue;
            }
            if plan.children.is_empty() {
                if len > 0 {
                    json.push(b',');
                }
                self.record(
                    &mut json,
                    &head,
                    &plan.out,
                    &Stepped { row: r, skip: 1 },
                    &mut [],
                );
            } else {
                kept.push(
                    (0..plan.ncols)
                        .map(|i| r.get::<_, Sql>(i + 1))
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
            len += 1;
        }
        if !kept.is_empty() {
            let mut kids = self.children(plan, &kept, &mut locators)?;
            for (i, vals) in kept.iter().enumerate() {
                if i > 0 {
                    json.push(b',');
                }
                let id = text(vals.value(0)).unwrap_or_default();
                let mut mine: Vec<Option<Vec<u8>>> =
                    kids.iter_mut().map(|m| m.remove(id)).collect();
                self.record(&mut json, &head, &plan.out, vals.as_slice(), &mut mine);
            }
        }
        json.push(b']');
        Ok((Records { json: finish(json) }, rest, total))
    }

    /// Runs each child subquery for a batch of parents: per subquery, each parent's child
    /// result (`{"totalSize":..,"done":..,"records":[..]}`) by parent id.
    pub(super) fn children(
        &self,
        plan: &Plan,
        parents: &[Vec<Sql>],
        locators: &mut Locators<'_>,
    ) -> Result<Vec<HashMap<String, Vec<u8>>>, ApiError> {
        let ids: Vec<&str> = parents.iter().filter_map(|r| text(r.value(0))).collect();
        let ids = Json::from(ids).to_string();
        let inline = if locators.is_some() {
            CHILD_BATCH
        } else {
            usize::MAX
        };
        let mut all = Vec::with_capacity(plan.children.len());
        for cp in &plan.children {
            let mut by_parent: HashMap<String, Acc> = HashMap::new();
            let mut params = cp.params.clone();
            params.push(Sql::Text(ids.clone()));
            let head = record_head(&cp.page.root, self.version);
            let mut stmt = self.conn.prepare_cached(&cp.sql)?;
            let mut rs = stmt.query(params_from_iter(params.iter()))?;
            while let Some(r) = rs.next()? {
                let Some(parent) = text(r.get_ref(0)?) else {
                    continue;
                };
                let acc = match by_parent.get_mut(parent) {
                    Some(acc) => acc,
                    None => by_parent.entry(parent.to_owned()).or_insert(Acc {
                        json: Vec::new(),
                        len: 0,
                        total: 0,
                        rest: Vec::new(),
                    }),
                };
                if cp.limit.is_some_and(|l| acc.total as u64 >= l) {
                    continue;
                }
                acc.total += 1;
                if acc.len >= inline {
                    acc.rest.push(r.get(1)?);
                    continue;
                }
                if acc.len > 0 {
                    acc.json.push(b',');
                }
                self.record(
                    &mut acc.json,
                    &head,
                    &cp.page.out,
                    &Stepped { row: r, skip: 2 },
                    &mut [],
                );
                acc.len += 1;
            }
            let results = by_parent
                .into_iter()
                .map(|(parent, acc)| (parent, self.child_result(cp, acc, locators)))
                .collect();
            all.push(results);
        }
        Ok(all)
    }

    /// One parent's child result: `{"totalSize":..,"done":..,"nextRecordsUrl":..,"records":[..]}`,
    /// the records past the inline batch kept behind a locator of their own.
    fn child_result(&self, cp: &ChildPlan, acc: Acc, locators: &mut Locators<'_>) -> Vec<u8> {
        let mut out = Vec::with_capacity(acc.json.len() + 128);
        out.extend_from_slice(
            format!(
                "{{\"totalSize\":{},\"done\":{}",
                acc.total,
                acc.rest.is_empty()
            )
            .as_bytes(),
        );
        if !acc.rest.is_empty()
            && let Some(open) = locators.as_mut()
        {
            let first = acc.len;
            let locator = open(Overflow {
                plan: Arc::clone(&cp.page),
                rest: acc.rest,
                first,
                total: acc.total,
            });
            out.extend_from_slice(b",\"nextRecordsUrl\":");
            push_string(
                &mut out,
                format!("/services/data/v{}/query/{locator}-{first}", self.version).as_bytes(),
            );
        }
        out.extend_from_slice(b",\"records\":[");
        out.extend_from_slice(&acc.json);
        out.extend_from_slice(b"]}");
        out
    }

    /// Writes one record: `{"attributes":{..},"Field":value,...}`.
    pub(super) fn record<V: Values + ?Sized>(
        &self,
        buf: &mut Vec<u8>,
        head: &[u8],
        out: &[Out],
        vals: &V,
        kids: &mut [Option<Vec<u8>>],
    ) {
        open_record(buf, head, text_bytes(vals.value(0)).unwrap_or_default());
        self.fields(buf, out, vals, kids);
        buf.push(b'}');
    }

    pub(super) fn fields<V: Values + ?Sized>(
        &self,
        buf: &mut Vec<u8>,
        out: &[Out],
        vals: &V,
        kids: &mut [Option<Vec<u8>>],
    ) {
        for o in out {
            buf.push(b',');
            match o {
                Out::Column { key, col, kind } => {
                    push_key(buf, key);
                    push_value(buf, *kind, vals.value(*col));
                }
                Out::Parent { key, id_col, items } => {
                    push_key(buf, key);
                    self.parent(buf, vals, *id_col, |_| items.as_slice());
                }
                Out::TypeOf {
                    key,
                    id_col,
                    branches,
                    else_items,
                } => {
                    push_key(buf, key);
                    self.parent(buf, vals, *id_col, |ty| {
                        branches
                            .iter()
                            .find(|(b, _)| b.eq_ignore_ascii_case(ty))
                            .map_or(else_items.as_slice(), |(_, items)| items.as_slice())
                    });
                }
                Out::Child { key, index } => {
                    push_key(buf, key);
                    match kids.get_mut(*index).and_then(Option::take) {
                        Some(result) => buf.extend_from_slice(&result),
                        None => buf.extend_from_slice(b"null"),
                    }
                }
            }
        }
    }

    /// A parent record: `null` when its id is, else an object with its own `attributes` and
    /// the items `pick` chooses for its type.
    pub(super) fn parent<'o, V: Values + ?Sized>(
        &self,
        buf: &mut Vec<u8>,
        vals: &V,
        id_col: usize,
        pick: impl FnOnce(&str) -> &'o [Out],
    ) {
        let Some(id) = text(vals.value(id_col)) else {
            buf.extend_from_slice(b"null");
            return;
        };
        let ty = self
            .schema
            .by_prefix(crate::ids::prefix(id))
            .map_or("", |t| t.name.as_str());
        open_record(buf, &record_head(ty, self.version), id.as_bytes());
        self.fields(buf, pick(ty), vals, &mut []);
        buf.push(b'}');
    }
}
