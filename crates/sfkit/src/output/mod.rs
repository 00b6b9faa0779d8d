//! How results look: every table, JSON and CSV the commands print is made here.
//!
//! For a person at a terminal: tables and key/value lines ([`table`]), drawn by comfy-table,
//! which measures each cell's display width (a CJK character or an emoji takes two columns, so
//! borders line up) and fits the table to the terminal's width, cutting cells that do not fit
//! with `…`. When stdout is not a terminal a table is not fitted: nothing is cut.
//!
//! For programs (stdout piped, or `--json`): JSON ([`json`]) or CSV ([`csv`], written by the
//! csv crate), the same whatever the terminal.
//!
//! Records are laid out once for CSV and tables ([`records`]): parent fields as `Owner.Name`
//! columns, and a child subquery's records as `Contacts.LastName` columns, one line per child
//! record in a table (the first beside its parent, the rest below with the parent's cells
//! blank) and joined with `;` in a CSV cell (one row per parent, as programs expect).
//!
//! A query's JSON output re-emits each record's own text without Salesforce's `attributes`
//! ([`json::write_record`]): the records are only passed through, so they are never decoded
//! into maps. [`stream`] prints a query's records as they arrive, in any of the formats, with
//! [`progress`] on a terminal's stderr.

pub(crate) mod csv;
pub(crate) mod json;
pub(crate) mod progress;
pub(crate) mod records;
pub(crate) mod stream;
pub(crate) mod table;

use std::io::IsTerminal as _;

use clap::ValueEnum;
use serde_json::Value;

pub(crate) use records::Shape;
pub(crate) use table::{readable, table};

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns, for people.
    Table,
    /// JSON.
    Json,
    /// CSV with a header row (nested fields as `Parent.Field`).
    Csv,
}

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

/// A value as a table or CSV cell.
pub(crate) fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}
