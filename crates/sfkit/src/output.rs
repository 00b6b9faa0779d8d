//! How results look.
//!
//! For a person at a terminal: tables and key/value lines, drawn by comfy-table, which measures
//! each cell's display width (a CJK character or an emoji takes two columns, so borders line up)
//! and fits the table to the terminal's width, cutting cells that do not fit with `…`. When
//! stdout is not a terminal a table is not fitted: nothing is cut.
//!
//! For programs (stdout piped, or `--json`): JSON or CSV, the same whatever the terminal.
//!
//! Records are laid out once for CSV and tables ([`Flat`]): parent fields as `Owner.Name`
//! columns, and a child subquery's records as `Contacts.LastName` columns, one line per child
//! record in a table (the first beside its parent, the rest below with the parent's cells
//! blank) and joined with `;` in a CSV cell (one row per parent, as programs expect).
//!
//! A query's JSON output re-emits each record's own text without Salesforce's `attributes`
//! ([`write_record`]): the records are only passed through, so they are never decoded into maps.

use std::collections::HashMap;
use std::io::{IsTerminal as _, Write};

use comfy_table::{Cell, ContentArrangement, ContentLineStyle, LineStyle, Row, Table, TableStyle};
use serde::de;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Columns split by `│`, a rule under the header, no outer border: the shape of psql's output,
/// which copies and greps well.
const STYLE: TableStyle = TableStyle::new()
    .header_lines(ContentLineStyle::none().junction('│'))
    .header_separator(LineStyle::none().fill('─').junction('┼'))
    .content_lines(ContentLineStyle::none().junction('│'));

/// The width to fit tables to: the terminal's when stdout is one, else none (no fitting).
pub(crate) fn stdout_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    // A terminal that does not say its size (a bare pseudo-terminal) gets the classic 80.
    let cols = console::Term::stdout()
        .size_checked()
        .map_or(0, |(_, cols)| cols);
    Some(if cols == 0 { 80 } else { cols })
}

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

/// A value as a table or CSV cell.
pub(crate) fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Progress

/// Records past this many are a second page (Salesforce's default page size): a query that
/// fits one page is over before progress would help.
const FIRST_PAGE: u64 = 2_000;

/// Records so far and their rate, on stderr, past the first page, and only when stderr is a
/// terminal: a program reading stderr sees no progress noise.
pub(crate) struct Progress {
    enabled: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    pub(crate) fn new() -> Self {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    /// `n` records so far.
    pub(crate) fn set(&mut self, n: u64) {
        if !self.enabled || n <= FIRST_PAGE {
            return;
        }
        match &self.bar {
            // The bar redraws at most 20 times a second anyway: no need to tell it every record.
            Some(bar) => {
                if n.is_multiple_of(256) {
                    bar.set_position(n);
                }
            }
            None => {
                let bar = indicatif::ProgressBar::new_spinner();
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{spinner} {human_pos} records ({per_sec:0}, {elapsed})",
                ) {
                    bar.set_style(style);
                }
                bar.set_position(n);
                // Keeps it moving while a slow page is on its way.
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                self.bar = Some(bar);
            }
        }
    }

    /// Takes the bar off the screen (before a table is printed, or at the end).
    pub(crate) fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Records laid out as columns

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

// ---------------------------------------------------------------------------------------------
// Records passed through as JSON

/// Why a record could not be passed through.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PassError {
    /// The record is not the JSON object it should be.
    #[error("a record in the answer is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The record's text ends inside a value (the client checked it: a bug if seen).
    #[error("a record in the answer ends early")]
    Truncated,
    /// Writing failed (a full disk, a closed pipe).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Writes a record as the answer had it, less the members named `attributes` (at any depth:
/// parents and child records have theirs too); with `with_type`, the record's own
/// `attributes` keeps its `type`.
///
/// `record` is JSON already checked (when its page was split into records), which is what
/// makes a byte search enough: in valid JSON, `"attributes"` not preceded by an escaping
/// backslash opens a string (a closing quote is never followed by a letter), and a string
/// followed by `:` is a key. Everything else is copied in spans, never decoded. This is most of
/// what `sfkit query --format json` spends per record.
pub(crate) fn write_record(
    out: &mut impl Write,
    record: &str,
    with_type: bool,
) -> Result<(), PassError> {
    static KEY: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    let text = record.as_bytes();
    if text.first() != Some(&b'{') {
        return Err(PassError::Json(de::Error::custom(
            "a record is not an object",
        )));
    }
    let finder = KEY.get_or_init(|| memchr::memmem::Finder::new(b"\"attributes\""));
    let mut copied = 0; // text[..copied] is written (or dropped)
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| finder.find(rest)) {
        let at = from + found;
        let key_end = at + b"\"attributes\"".len();
        from = key_end;
        let escapes = text
            .get(..at)
            .map_or(0, |t| t.iter().rev().take_while(|b| **b == b'\\').count());
        let colon = skip_ws(text, key_end);
        if escapes % 2 == 1 || text.get(colon) != Some(&b':') {
            // Inside a string, or a value that happens to read "attributes".
            continue;
        }
        let cut = cut_member(text, at, colon)?;
        out.write_all(text.get(copied..cut.from).ok_or(PassError::Truncated)?)?;
        if with_type && depth_at(text, at)? == 1 {
            write_type(out, text, &cut, at)?;
        }
        copied = cut.to;
        from = cut.to;
    }
    out.write_all(text.get(copied..).ok_or(PassError::Truncated)?)?;
    Ok(())
}

/// What removing one member takes out of the text.
struct Cut {
    /// The span removed: the member and one comma.
    from: usize,
    to: usize,
    /// The member's value.
    value: std::ops::Range<usize>,
}

/// The member whose key opens at `key` (its colon at `colon`), with one comma: the one before
/// it, else the one after it, so what is left is still JSON.
fn cut_member(text: &[u8], key: usize, colon: usize) -> Result<Cut, PassError> {
    let value = skip_ws(text, colon + 1);
    let value_end = value_end(text, value)?;
    let before = text
        .get(..key)
        .map_or(0, |t| t.len() - trim_end_ws(t).len());
    let comma_before = (key - before)
        .checked_sub(1)
        .filter(|c| text.get(*c) == Some(&b','));
    let (from, to) = match comma_before {
        Some(c) => (c, value_end),
        None => {
            let after = skip_ws(text, value_end);
            match text.get(after) {
                Some(b',') => (key, after + 1),
                _ => (key, value_end),
            }
        }
    };
    Ok(Cut {
        from,
        to,
        value: value..value_end,
    })
}

/// How deep `at` is: 1 for the record's own members. Only for search results (at most 2,000
/// records), so a plain scan from the start.
fn depth_at(text: &[u8], at: usize) -> Result<usize, PassError> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < at {
        match text.get(i) {
            Some(b'"') => {
                i = string_end(text, i)?;
                continue;
            }
            Some(b'{' | b'[') => depth += 1,
            Some(b'}' | b']') => depth = depth.saturating_sub(1),
            Some(_) => {}
            None => return Err(PassError::Truncated),
        }
        i += 1;
    }
    Ok(depth)
}

/// Writes `"attributes":{"type":...}` in place of the member `cut` removed.
fn write_type(out: &mut impl Write, text: &[u8], cut: &Cut, key: usize) -> Result<(), PassError> {
    #[derive(serde::Deserialize)]
    struct Attributes<'a> {
        #[serde(borrow, rename = "type")]
        kind: Option<&'a RawValue>,
    }
    let attributes = text.get(cut.value.clone()).ok_or(PassError::Truncated)?;
    if let Some(kind) = serde_json::from_slice::<Attributes<'_>>(attributes)?.kind {
        // Put back the comma the cut took.
        out.write_all(if cut.from < key { b"," } else { b"" })?;
        out.write_all(b"\"attributes\":{\"type\":")?;
        out.write_all(kind.get().as_bytes())?;
        out.write_all(if cut.to > cut.value.end { b"}," } else { b"}" })?;
    }
    Ok(())
}

/// Just past the string that opens at `start`.
fn string_end(text: &[u8], start: usize) -> Result<usize, PassError> {
    let mut at = start + 1;
    loop {
        let rest = text.get(at..).ok_or(PassError::Truncated)?;
        match memchr::memchr2(b'"', b'\\', rest) {
            Some(k) if rest.get(k) == Some(&b'"') => return Ok(at + k + 1),
            // An escape: the next byte is never the string's end.
            Some(k) => at += k + 2,
            None => return Err(PassError::Truncated),
        }
    }
}

/// Just past the value that starts at `start`.
fn value_end(text: &[u8], start: usize) -> Result<usize, PassError> {
    match text.get(start) {
        Some(b'"') => string_end(text, start),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = start;
            while let Some(&b) = text.get(i) {
                match b {
                    b'"' => {
                        i = string_end(text, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            Err(PassError::Truncated)
        }
        Some(_) => {
            // A number, true, false or null: up to the next delimiter.
            let rest = text.get(start..).ok_or(PassError::Truncated)?;
            Ok(start
                + rest
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                    .unwrap_or(rest.len()))
        }
        None => Err(PassError::Truncated),
    }
}

fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

fn trim_end_ws(text: &[u8]) -> &[u8] {
    let keep = text
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    text.get(..keep).unwrap_or(text)
}

// ---------------------------------------------------------------------------------------------
// An action's result for a person

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pass(text: &str, with_type: bool) -> String {
        let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
        let mut out = Vec::new();
        write_record(&mut out, raw.get(), with_type).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn attributes_go_at_every_depth_and_values_stay_as_written() {
        let text = r#"{"attributes":{"type":"Account","url":"/x"},"Id":"001","Amount":1.50,"Owner":{"attributes":{"type":"User"},"Name":"Zoë \u00e9 \"attributes\":{} \\"},"Contacts":{"totalSize":1,"done":true,"records":[{"LastName":"Ng","attributes":{"type":"Contact","url":"/c"}}]},"Na\u006de":["attributes",{"attributes":[]}],"Empty":{"attributes":{}}}"#;
        assert_eq!(
            pass(text, false),
            r#"{"Id":"001","Amount":1.50,"Owner":{"Name":"Zoë \u00e9 \"attributes\":{} \\"},"Contacts":{"totalSize":1,"done":true,"records":[{"LastName":"Ng"}]},"Na\u006de":["attributes",{}],"Empty":{}}"#
        );
        // Whitespace between tokens is allowed, and kept where nothing is cut.
        assert_eq!(
            pass(
                "{ \"a\" : 1 ,\n \"attributes\" : { \"type\" : \"X\" } , \"b\":null }",
                false
            ),
            "{ \"a\" : 1  , \"b\":null }"
        );
        assert_eq!(
            pass(
                r#"{"attributes":{"type":"Lead","url":"/y"},"Name":"Ng"}"#,
                true
            ),
            r#"{"attributes":{"type":"Lead"},"Name":"Ng"}"#
        );
        assert_eq!(
            pass(
                r#"{"Name":"Ng","attributes":{"url":"/y","type":"Lead"}}"#,
                true
            ),
            r#"{"Name":"Ng","attributes":{"type":"Lead"}}"#
        );
    }

    #[test]
    fn a_record_that_is_not_an_object_or_ends_early_is_an_error_not_a_panic() {
        assert!(write_record(&mut Vec::new(), "[1]", false).is_err());
        assert!(write_record(&mut Vec::new(), r#"{"attributes":{"#, false).is_err());
        // Text that is not JSON never comes here (the page was checked); still no panic.
        for bad in [
            r#"{"a":"\"#,
            r#"{"attributes""#,
            r#"{"attributes":"#,
            r#"{"attributes":["#,
        ] {
            let _ = write_record(&mut Vec::new(), bad, false);
            let _ = write_record(&mut Vec::new(), bad, true);
        }
    }

    /// Random records, compact and pretty, with `attributes` as keys at every depth and as
    /// text inside strings and values: the byte pass drops exactly what dropping the members
    /// from the decoded record drops.
    #[test]
    fn the_byte_pass_agrees_with_decoding_on_random_records() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        const WORDS: [&str; 6] = [
            "attributes",
            "\"attributes\":{",
            "a\\",
            "Zoë 東京 🚀",
            "{\"attributes\":1}",
            "x,\"attributes\"",
        ];
        fn value(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> Value {
            match if depth > 3 { next(4) } else { next(7) } {
                0 => Value::Null,
                1 => Value::from(next(1000) as f64 / 8.0),
                2 | 3 => Value::from(WORDS[next(6) as usize]),
                4 => Value::Array((0..next(3)).map(|_| value(next, depth + 1)).collect()),
                _ => Value::Object(object(next, depth + 1)),
            }
        }
        fn object(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> Map<String, Value> {
            let mut m = Map::new();
            for i in 0..next(5) {
                let key = match next(4) {
                    0 => "attributes".to_owned(),
                    1 => WORDS[next(6) as usize].to_owned(),
                    _ => format!("F{i}"),
                };
                m.insert(key, value(next, depth));
            }
            m
        }
        fn strip(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    m.shift_remove("attributes");
                    m.values_mut().for_each(strip);
                }
                Value::Array(items) => items.iter_mut().for_each(strip),
                _ => {}
            }
        }
        for _ in 0..3_000 {
            let record = Value::Object(object(&mut next, 0));
            let mut want = record.clone();
            strip(&mut want);
            for text in [
                serde_json::to_string(&record).unwrap(),
                serde_json::to_string_pretty(&record).unwrap(),
            ] {
                let got: Value = serde_json::from_str(&pass(&text, false))
                    .unwrap_or_else(|e| panic!("{e}: {text}"));
                assert_eq!(got, want, "{text}");
            }
        }
    }

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
