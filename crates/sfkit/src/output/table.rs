//! Tables and `key │ value` lines for a person at a terminal, drawn by comfy-table; and an
//! action's result laid out for a person ([`readable`]).

use comfy_table::{Cell, ContentArrangement, ContentLineStyle, LineStyle, Row, Table, TableStyle};
use serde_json::Value;

use super::cell;
use super::records::{Flat, Shape, records_table};

/// Columns split by `│`, a rule under the header, no outer border: the shape of psql's output,
/// which copies and greps well.
const STYLE: TableStyle = TableStyle::new()
    .header_lines(ContentLineStyle::none().junction('│'))
    .header_separator(LineStyle::none().fill('─').junction('┼'))
    .content_lines(ContentLineStyle::none().junction('│'));

/// One line of text: tabs and newlines inside a value would break a table's rows.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn new_table(width: Option<u16>) -> Table {
    let mut t = Table::new();
    t.load_style(STYLE);
    match width {
        Some(w) => {
            t.set_width(w);
            t.set_content_arrangement(ContentArrangement::Dynamic);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    t
}

/// A table with a header row, one line per row (cells cut to fit `width`, if any).
pub(crate) fn table(headers: &[String], rows: &[Vec<String>], width: Option<u16>) -> String {
    let mut t = new_table(width);
    let mut header = Row::from(headers.iter().map(|h| Cell::new(one_line(h))));
    if width.is_some() {
        header.max_height(1);
    }
    t.set_header(header);
    for r in rows {
        let mut row = Row::from(r.iter().map(|c| Cell::new(one_line(c))));
        if width.is_some() {
            row.max_height(1);
        }
        t.add_row(row);
    }
    t.trim_fmt()
}

/// `key │ value` lines; a long value wraps within `width` rather than being cut, since there
/// is one value per line to read.
pub(crate) fn key_values(pairs: &[(String, String)], width: Option<u16>) -> String {
    let mut t = new_table(width);
    for (k, v) in pairs {
        t.add_row([Cell::new(one_line(k)), Cell::new(v)]);
    }
    t.trim_fmt()
}

/// Rows as plain columns: each padded to its widest cell (counted in chars), two spaces
/// apart, no borders, the first row the header; for short lists such as `sfkit org list`.
pub(crate) fn aligned(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(s, w)| format!("{s:<w$}"))
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect();
    lines.join("\n")
}

/// An action's output for a terminal: each list of records as a table, then the other members
/// as `key │ value` lines (parents' fields as `Owner.Name`; empty ones left out), and, when
/// there is a next page, the command that gets it.
pub(crate) fn readable(action: &str, out: &Value, width: Option<u16>) -> String {
    let mut parts: Vec<String> = Vec::new();
    match out {
        Value::Object(m) => {
            let mut pairs = Vec::new();
            let lists: Vec<(&String, &Vec<Value>)> = m
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::Array(items) if is_record_list(k, items) => Some((k, items)),
                    _ => None,
                })
                .collect();
            for (k, items) in &lists {
                if lists.len() > 1 || k.as_str() != "records" {
                    parts.push(format!("{k}:"));
                }
                parts.push(list_table(items, width));
            }
            for (k, v) in m {
                if lists.iter().any(|(l, _)| *l == k) || k == "nextCursor" || k == "attributes" {
                    continue;
                }
                pairs_of(k, v, &mut pairs);
            }
            if !pairs.is_empty() {
                parts.push(key_values(&pairs, width));
            }
            if let Some(cursor) = m.get("nextCursor").and_then(Value::as_str) {
                parts.push(format!("next page: sfkit run {action} -p cursor={cursor}"));
            }
        }
        Value::Array(items) if is_record_list("", items) => parts.push(list_table(items, width)),
        Value::Array(items) => parts.extend(items.iter().map(cell)),
        other => parts.push(cell(other)),
    }
    parts.retain(|p| !p.is_empty());
    parts.join("\n")
}

/// A list of records: objects, or `records` even when empty.
fn is_record_list(key: &str, items: &[Value]) -> bool {
    (key == "records" && items.is_empty())
        || (!items.is_empty() && items.iter().all(Value::is_object))
}

fn list_table(items: &[Value], width: Option<u16>) -> String {
    if items.is_empty() {
        return "(no records)".to_owned();
    }
    let shape = Shape::default();
    let flats: Vec<Flat> = items
        .iter()
        .filter_map(Value::as_object)
        .map(|r| Flat::of(r, &shape, false))
        .collect();
    // An action picks its own default fields; those nobody filled in are only noise.
    records_table(&flats, width, true)
}

fn pairs_of(key: &str, v: &Value, pairs: &mut Vec<(String, String)>) {
    match v {
        Value::Null => {}
        Value::Object(child) if child.get("records").is_some_and(Value::is_array) => {
            let n = child
                .get("records")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            pairs.push((key.to_owned(), format!("({n} records)")));
        }
        Value::Object(m) => {
            for (k, v) in m {
                if k != "attributes" {
                    pairs_of(&format!("{key}.{k}"), v, pairs);
                }
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            let text = items
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            pairs.push((key.to_owned(), text));
        }
        Value::Array(items) => {
            let text = items.iter().map(cell).collect::<Vec<_>>().join(", ");
            pairs.push((key.to_owned(), text));
        }
        other => pairs.push((key.to_owned(), cell(other))),
    }
}
