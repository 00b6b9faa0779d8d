//! CSV for programs, written by the csv crate: a field is quoted when it holds a comma, a quote
//! or a line break (quotes doubled), and rows end with `\n`. Every CSV sfkit writes (query and
//! search results, Bulk exports and result files) goes through [`writer`].

use std::io::Write;

use super::records::Flat;

/// A CSV writer with sfkit's settings.
pub(crate) fn writer<W: Write>(out: W) -> ::csv::Writer<W> {
    ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

/// Records as CSV rows under a header taken from the first record (a query's records share
/// their columns; a child relationship's values are joined with `;` in one cell).
pub(crate) struct Records<W: Write> {
    w: ::csv::Writer<W>,
    columns: Option<Vec<String>>,
}

impl<W: Write> Records<W> {
    pub(crate) fn new(out: W) -> Self {
        Records {
            w: writer(out),
            columns: None,
        }
    }

    /// Writes `record`, after the header when it is the first.
    pub(crate) fn write(&mut self, record: &Flat) -> Result<(), ::csv::Error> {
        let columns = match &self.columns {
            Some(c) => c,
            None => {
                let c = record.columns();
                self.w.write_record(&c)?;
                self.columns.insert(c)
            }
        };
        self.w.write_record(record.csv_cells(columns))
    }

    /// Writes out what is buffered.
    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

/// A small table (a header and rows) as CSV text, each row ending with `\n`.
pub(crate) fn text(header: &[&str], rows: &[Vec<String>]) -> Result<String, ::csv::Error> {
    let mut w = writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(row)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ::csv::Error::from(std::io::Error::other(e.to_string())))?;
    String::from_utf8(bytes).map_err(|e| ::csv::Error::from(std::io::Error::other(e)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        let rows = vec![vec![
            "plain".to_owned(),
            "a,b".to_owned(),
            "say \"hi\"".to_owned(),
            "two\nlines".to_owned(),
            "cr\r".to_owned(),
        ]];
        assert_eq!(
            text(&["A", "B", "C", "D", "E"], &rows).unwrap(),
            "A,B,C,D,E\nplain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\"\n"
        );
    }
}
