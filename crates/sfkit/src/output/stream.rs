//! A query's or a search's records, printed as they arrive: JSON and CSV a record at a time
//! (constant memory; JSON without decoding the records), a table once all are in (its columns
//! need every row). Past the first page, stderr shows the count and rate when it is a terminal.

use std::io::Write;

use futures_util::TryStreamExt as _;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::json::{PassError, write_record};
use super::progress::Progress;
use super::records::{Flat, Shape, records_table};
use super::{Format, stdout_width};

/// Where the records go, in the format asked for.
enum Sink<W: Write> {
    Json(W),
    Csv(super::csv::Records<W>),
    /// The writer, and the records so far.
    Table(W, Vec<Flat>),
}

/// Prints a stream of records on stdout in `format`. A reader that goes away (`| head`) ends
/// it quietly; in a table, stderr gets the count at the end.
///
/// With `with_type`, each record keeps `attributes.type` (its object), a column of its own in
/// CSV and tables; Salesforce's other attributes (URLs, nested ones) are noise here.
pub(crate) async fn print_records<S, R, E>(
    stream: S,
    format: Format,
    shape: &Shape,
    with_type: bool,
) -> Result<(), PrintError>
where
    S: futures_util::Stream<Item = Result<R, E>>,
    R: RecordText,
    PrintError: From<E>,
{
    let mut stream = std::pin::pin!(stream);
    let mut progress = Progress::new();
    // Large enough that a page of records is a few writes, not thousands.
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut sink = match format {
        Format::Json => Sink::Json(out),
        Format::Csv => Sink::Csv(super::csv::Records::new(out)),
        Format::Table => Sink::Table(out, Vec::new()),
    };
    let mut n = 0u64;
    let printed = async {
        while let Some(raw) = stream.try_next().await.map_err(PrintError::from)? {
            match &mut sink {
                Sink::Json(out) => {
                    // "[" waits for the first record, so an error before it leaves stdout clean.
                    out.write_all(if n == 0 { b"[\n  " } else { b",\n  " })?;
                    write_record(out, raw.text(), with_type)?;
                }
                Sink::Csv(csv) => csv.write(&flat(raw.text(), shape, with_type)?)?,
                Sink::Table(_, table) => table.push(flat(raw.text(), shape, with_type)?),
            }
            n += 1;
            progress.set(n);
        }
        match &mut sink {
            Sink::Json(out) => {
                out.write_all(if n == 0 { b"[]\n" } else { b"\n]\n" })?;
                out.flush()?;
            }
            Sink::Csv(csv) => csv.flush()?,
            Sink::Table(out, table) => {
                progress.clear();
                if !table.is_empty() {
                    let text = records_table(table, stdout_width(), false);
                    writeln!(out, "{text}")?;
                }
                out.flush()?;
            }
        }
        Ok::<(), PrintError>(())
    };
    let result = printed.await;
    progress.clear();
    match result {
        Err(PrintError::Pass(PassError::Io(e))) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    if format == Format::Table {
        eprintln!("{n} record{}", if n == 1 { "" } else { "s" });
    }
    Ok(())
}

fn flat(text: &str, shape: &Shape, with_type: bool) -> Result<Flat, PassError> {
    let record: Map<String, Value> = serde_json::from_str(text)?;
    Ok(Flat::of(&record, shape, with_type))
}

/// A record's JSON text, checked as JSON.
pub(crate) trait RecordText {
    fn text(&self) -> &str;
}

impl RecordText for sfkit_client::RawRecord {
    fn text(&self) -> &str {
        self.get()
    }
}

impl RecordText for Box<RawValue> {
    fn text(&self) -> &str {
        self.get()
    }
}

/// Why printing records stopped.
#[derive(Debug)]
pub(crate) enum PrintError {
    /// The query failed (Salesforce's answer, the connection).
    Query(sfkit_client::Error),
    /// A record could not be printed (a local failure).
    Pass(PassError),
}

impl From<sfkit_client::Error> for PrintError {
    fn from(e: sfkit_client::Error) -> Self {
        PrintError::Query(e)
    }
}

impl From<serde_json::Error> for PrintError {
    fn from(e: serde_json::Error) -> Self {
        PrintError::Pass(PassError::Json(e))
    }
}

impl From<PassError> for PrintError {
    fn from(e: PassError) -> Self {
        PrintError::Pass(e)
    }
}

impl From<std::io::Error> for PrintError {
    fn from(e: std::io::Error) -> Self {
        PrintError::Pass(PassError::Io(e))
    }
}

impl From<::csv::Error> for PrintError {
    fn from(e: ::csv::Error) -> Self {
        PrintError::Pass(PassError::from(e))
    }
}
