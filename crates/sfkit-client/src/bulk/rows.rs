//! CSV read as it arrives: a Bulk answer's body is parsed a network chunk at a time, so a result
//! file of any size costs one row of memory, not the file.

use bytes::{Buf as _, Bytes};
use csv_core::ReadRecordResult;

use crate::client::Streamed;
use crate::error::Error;

/// An incremental CSV parser: give it chunks, take whole rows.
#[derive(Debug)]
pub(crate) struct RowParser {
    core: csv_core::Reader,
    /// The cells of the row being read, end to end, and where each ends.
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// Input not parsed yet.
    pending: Bytes,
    /// No more input will come.
    eof: bool,
    done: bool,
}

impl RowParser {
    pub(crate) fn new(delimiter: u8) -> Self {
        RowParser {
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; 4096],
            out_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            pending: Bytes::new(),
            eof: false,
            done: false,
        }
    }

    /// More input; only call once [`Self::row`] has returned `None`.
    pub(crate) fn push(&mut self, chunk: Bytes) {
        self.pending = chunk;
    }

    /// There is no more input.
    pub(crate) fn finish(&mut self) {
        self.eof = true;
    }

    /// True once the input has ended and every row has been taken.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// The next whole row, or `None` when the input so far holds no more (push more, or
    /// [`Self::finish`]) or everything has been read ([`Self::is_done`]).
    pub(crate) fn row(&mut self) -> Option<csv::ByteRecord> {
        loop {
            if self.done {
                return None;
            }
            // csv-core takes empty input as the end of the data: only say so at the end.
            if self.pending.is_empty() && !self.eof {
                return None;
            }
            let (result, read, written, ended) = self.core.read_record(
                &self.pending,
                self.out.get_mut(self.out_len..).unwrap_or_default(),
                self.ends.get_mut(self.ends_len..).unwrap_or_default(),
            );
            self.pending.advance(read.min(self.pending.len()));
            self.out_len += written;
            self.ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let n = self.out.len() * 2;
                    self.out.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                ReadRecordResult::Record => return Some(self.take()),
                ReadRecordResult::End => {
                    self.done = true;
                    return None;
                }
            }
        }
    }

    fn take(&mut self) -> csv::ByteRecord {
        let ends = self.ends.get(..self.ends_len).unwrap_or_default();
        let mut rec = csv::ByteRecord::with_capacity(self.out_len, ends.len());
        let mut start = 0;
        for &end in ends {
            rec.push_field(self.out.get(start..end).unwrap_or_default());
            start = end;
        }
        self.out_len = 0;
        self.ends_len = 0;
        rec
    }
}

/// The rows of a CSV answer (a Bulk result file, a query-result page), parsed as they arrive.
#[derive(Debug)]
pub struct CsvRows {
    body: Streamed,
    parser: RowParser,
    header: csv::ByteRecord,
    rows: u64,
}

impl CsvRows {
    /// Reads the header row of `body`.
    pub(crate) async fn open(body: Streamed, delimiter: u8) -> Result<Self, Error> {
        let mut rows = CsvRows {
            body,
            parser: RowParser::new(delimiter),
            header: csv::ByteRecord::new(),
            rows: 0,
        };
        // An empty answer (no rows, and no header either) reads as no rows.
        rows.header = rows.next_record().await?.unwrap_or_default();
        rows.rows = 0;
        Ok(rows)
    }

    /// The header row: the columns, as Salesforce named them.
    pub fn header(&self) -> &csv::ByteRecord {
        &self.header
    }

    /// Rows read so far.
    pub fn count(&self) -> u64 {
        self.rows
    }

    /// The next row; `None` after the last.
    pub async fn next(&mut self) -> Result<Option<csv::ByteRecord>, Error> {
        self.next_record().await
    }

    async fn next_record(&mut self) -> Result<Option<csv::ByteRecord>, Error> {
        loop {
            if let Some(row) = self.parser.row() {
                self.rows += 1;
                return Ok(Some(row));
            }
            if self.parser.is_done() {
                return Ok(None);
            }
            match self.body.chunk().await? {
                Some(chunk) => self.parser.push(chunk),
                None => self.parser.finish(),
            }
        }
    }

    /// The `Sforce-Locator` the answer came with.
    pub(crate) fn locator(&self) -> Option<&str> {
        self.body.locator.as_deref()
    }
}

/// Counts CSV rows in bytes as they pass, a chunk at a time: a line break ends a row unless it
/// is inside quotes (an escaped quote `""` flips the state twice, so it needs no special case);
/// empty lines are no rows, and a last row without a line break is not counted.
#[derive(Debug, Default, Clone)]
pub(crate) struct RowCounter {
    quoted: bool,
    /// The current line has bytes other than line endings.
    filled: bool,
    pub(crate) rows: u64,
}

impl RowCounter {
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            match b {
                b'"' => {
                    self.quoted = !self.quoted;
                    self.filled = true;
                }
                b'\n' if !self.quoted => {
                    if self.filled {
                        self.rows += 1;
                    }
                    self.filled = false;
                }
                b'\r' if !self.quoted => {}
                _ => self.filled = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_chunks(text: &[u8], size: usize) -> Vec<Vec<String>> {
        let mut p = RowParser::new(b',');
        let mut rows = Vec::new();
        let mut drain = |p: &mut RowParser| {
            while let Some(r) = p.row() {
                rows.push(
                    r.iter()
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect(),
                );
            }
        };
        for chunk in text.chunks(size) {
            p.push(Bytes::copy_from_slice(chunk));
            drain(&mut p);
        }
        p.finish();
        drain(&mut p);
        assert!(p.is_done());
        rows
    }

    #[test]
    fn rows_split_anywhere_parse_the_same() {
        let text = b"\"sf__Id\",\"sf__Error\",\"Name\"\n\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\",\"\"\n\"001x\",\"\",\"line one\nline \"\"two\"\", with a comma\"\nlast,row,no newline";
        let whole = parse_in_chunks(text, text.len());
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[2][2], "line one\nline \"two\", with a comma");
        assert_eq!(whole[3], ["last", "row", "no newline"]);
        for size in [1, 2, 3, 7, 64] {
            assert_eq!(parse_in_chunks(text, size), whole, "chunks of {size}");
        }
        // A cell longer than the parser's first buffer.
        let long = "x".repeat(10_000);
        let rows = parse_in_chunks(format!("a,b\n{long},1\n").as_bytes(), 999);
        assert_eq!(rows[1][0].len(), 10_000);
        assert!(parse_in_chunks(b"", 5).is_empty());
    }

    #[test]
    fn row_counter_ignores_quoted_breaks_and_empty_lines() {
        let text = b"Name,Description\r\nA,\"two\r\nlines\"\r\n\r\nB,\"say \"\"hi\"\"\"\nC,last";
        for size in [1, 4, text.len()] {
            let mut c = RowCounter::default();
            for chunk in text.chunks(size) {
                c.feed(chunk);
            }
            // The header and two rows; the last has no line break yet.
            assert_eq!(c.rows, 3, "chunks of {size}");
        }
    }
}
