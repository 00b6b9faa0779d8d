//! Records laid out once for CSV and tables ([`Flat`]): parent fields as `Owner.Name` columns,
//! and a child subquery's records as `Contacts.LastName` columns, one line per child record in
//! a table and joined with `;` in a CSV cell.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::cell;
use super::table::table;

/// What a query says about its child subqueries: each relationship's columns
/// (`Contacts.LastName`), so that a record with no children (Salesforce answers `null` for the
/// relationship) still has them, and a CSV's header, taken from its first record, has them too.
#[derive(Debug, Default)]
pub(crate) struct Shape {
    children: Vec<(String, Vec<String>)>,
}

impl Shape {
    /// The shape of `soql`'s subqueries; empty when it does not parse (Salesforce will say why).
    pub(crate) fn of_soql(soql: &str) -> Shape {
        use sfkit_soql::{Expr, SelectItem};
        let Ok(q) = sfkit_soql::parse_query(soql) else {
            return Shape::default();
        };
        let children = q
            .select
            .iter()
            .filter_map(|item| match item {
                SelectItem::SubQuery { query } => Some(query),
                _ => None,
            })
            .filter_map(|sub| {
                let rel = sub.from.sobject.segments.last()?.clone();
                let mut cols = Vec::new();
                for item in &sub.select {
                    match item {
                        SelectItem::Expr { alias: Some(a), .. } => cols.push(a.clone()),
                        SelectItem::Expr {
                            expr: Expr::Field { path },
                            alias: None,
                        } => cols.push(path.segments.join(".")),
                        // TYPEOF, FIELDS() and functions name their columns in the answer
                        // only: learn those from the records.
                        _ => return None,
                    }
                }
                Some((rel, cols))
            })
            .collect();
        Shape { children }
    }

    fn child(&self, name: &str) -> Option<&[String]> {
        self.children
            .iter()
            .find(|(rel, _)| rel.eq_ignore_ascii_case(name))
            .map(|(_, cols)| cols.as_slice())
    }
}

/// One value of a laid-out record: its column, and its line (0 for the record's own fields and
/// its first child record, `i` for child record `i`).
#[derive(Debug)]
pub(crate) struct FlatCell {
    key: String,
    value: Value,
    line: usize,
}

/// A record laid out as columns.
#[derive(Debug, Default)]
pub(crate) struct Flat(Vec<FlatCell>);

impl Flat {
    /// Lays `record` out. With `with_type`, `attributes.type` (which object a search row is)
    /// is a column; Salesforce's other attributes (URLs) are noise here.
    pub(crate) fn of(record: &Map<String, Value>, shape: &Shape, with_type: bool) -> Flat {
        let mut flat = Flat::default();
        if with_type && let Some(kind) = record.get("attributes").and_then(|a| a.get("type")) {
            flat.push("attributes.type".into(), kind.clone(), 0);
        }
        flat.add("", record, 0, Some(shape));
        flat
    }

    fn push(&mut self, key: String, value: Value, line: usize) {
        self.0.push(FlatCell { key, value, line });
    }

    /// `shape` is given at a record's top level only: Salesforce nests subqueries one level.
    fn add(
        &mut self,
        prefix: &str,
        record: &Map<String, Value>,
        line: usize,
        shape: Option<&Shape>,
    ) {
        for (k, v) in record {
            if k == "attributes" {
                continue;
            }
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Object(child) if child.get("records").is_some_and(Value::is_array) => {
                    let records = child.get("records").and_then(Value::as_array);
                    let records = records.map_or(&[][..], Vec::as_slice);
                    if records.is_empty() {
                        self.empty_child(&key, k, shape, line);
                    }
                    for (i, r) in records.iter().enumerate() {
                        if let Value::Object(r) = r {
                            self.add(&key, r, line + i, None);
                        }
                    }
                }
                Value::Null if shape.and_then(|s| s.child(k)).is_some() => {
                    self.empty_child(&key, k, shape, line);
                }
                Value::Object(parent) => self.add(&key, parent, line, None),
                other => self.push(key, other.clone(), line),
            }
        }
    }

    /// A child relationship without records: its columns, blank, when the query names them.
    fn empty_child(&mut self, key: &str, rel: &str, shape: Option<&Shape>, line: usize) {
        for col in shape.and_then(|s| s.child(rel)).unwrap_or_default() {
            self.push(format!("{key}.{col}"), Value::Null, line);
        }
    }

    /// Lines this record takes in a table.
    fn lines(&self) -> usize {
        self.0.iter().map(|c| c.line + 1).max().unwrap_or(1)
    }

    /// The column names, in order, once each (field names are case-insensitive).
    pub(crate) fn columns(&self) -> Vec<String> {
        let mut cols = Columns::default();
        cols.add(self);
        cols.names
    }

    /// The CSV cell of column `col`: a child relationship's values joined with `;`.
    fn joined(&self, col: &str) -> String {
        let values: Vec<String> = self
            .0
            .iter()
            .filter(|c| c.key.eq_ignore_ascii_case(col))
            .map(|c| cell(&c.value))
            .collect();
        values.join(";")
    }

    /// The CSV row for `columns`.
    pub(crate) fn csv_cells(&self, columns: &[String]) -> Vec<String> {
        columns.iter().map(|c| self.joined(c)).collect()
    }
}

/// Column names in first-seen order, compared without case.
#[derive(Default)]
struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    fn add(&mut self, flat: &Flat) {
        self.extend(flat.0.iter().map(|c| &c.key));
    }

    /// [`Self::add`] for the cells that hold something.
    fn add_filled(&mut self, flat: &Flat) {
        self.extend(flat.0.iter().filter(|c| !c.value.is_null()).map(|c| &c.key));
    }

    fn extend<'a>(&mut self, keys: impl Iterator<Item = &'a String>) {
        for key in keys {
            let folded = key.to_ascii_lowercase();
            if !self.index.contains_key(&folded) {
                self.index.insert(folded, self.names.len());
                self.names.push(key.clone());
            }
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.index.get(&key.to_ascii_lowercase()).copied()
    }
}

/// Records as a table: every column any record has (but, with `skip_empty`, those that are
/// empty in every record); child records on lines of their own.
pub(crate) fn records_table(records: &[Flat], width: Option<u16>, skip_empty: bool) -> String {
    let mut cols = Columns::default();
    for r in records {
        if skip_empty {
            cols.add_filled(r);
        } else {
            cols.add(r);
        }
    }
    let mut rows = Vec::new();
    for r in records {
        let mut lines = vec![vec![String::new(); cols.names.len()]; r.lines()];
        for c in &r.0 {
            if let (Some(i), Some(line)) = (cols.position(&c.key), lines.get_mut(c.line))
                && let Some(slot) = line.get_mut(i)
            {
                *slot = cell(&c.value);
            }
        }
        rows.extend(lines);
    }
    table(&cols.names, &rows, width)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn children_get_lines_in_tables_and_joined_cells_in_csv() {
        let shape = Shape::of_soql("SELECT Name, (SELECT LastName FROM Contacts) FROM Account");
        let none: Map<String, Value> =
            serde_json::from_str(r#"{"Name":"A","Contacts":null}"#).unwrap();
        let two: Map<String, Value> = serde_json::from_str(
            r#"{"Name":"B","Contacts":{"totalSize":2,"done":true,"records":[{"LastName":"Ng"},{"LastName":"Lee"}]}}"#,
        )
        .unwrap();
        let (none, two) = (
            Flat::of(&none, &shape, false),
            Flat::of(&two, &shape, false),
        );
        let cols = none.columns();
        assert_eq!(cols, ["Name", "Contacts.LastName"]);
        assert_eq!(two.csv_cells(&cols), ["B", "Ng;Lee"]);
        let t = records_table(&[none, two], None, false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5, "{t}");
        assert!(lines[3].contains('B') && lines[3].contains("Ng"), "{t}");
        assert!(!lines[4].contains('B') && lines[4].contains("Lee"), "{t}");
    }
}
