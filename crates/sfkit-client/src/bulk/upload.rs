//! A CSV file to load, scanned once ([`CsvUpload`]) and streamed from disk for each upload,
//! split at row boundaries past [`UPLOAD_LIMIT`].

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::header_names;
use super::rows::RowCounter;
use crate::error::Error;

/// Bytes of CSV per ingest job before a load is split into more jobs. Salesforce takes 150 MB
/// per upload after base64 encoding; 100 MiB of CSV is 140 MB encoded.
pub const UPLOAD_LIMIT: u64 = 100 * 1024 * 1024;

/// How much of a file is read at a time, scanning it or uploading it.
const CHUNK: usize = 64 * 1024;

/// Where a load's CSV is.
#[derive(Debug, Clone)]
enum Source {
    File(PathBuf),
    Memory(Bytes),
}

/// One upload: a byte range of the source's rows, sent after the header.
#[derive(Debug, Clone, Copy)]
pub(super) struct Part {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) rows: u64,
}

/// CSV to load (a header row of field API names, then rows), scanned once: its header, how many
/// rows it has, its line ending, and where it splits into uploads of at most [`UPLOAD_LIMIT`]
/// bytes. Nothing but the header is kept in memory: each upload is read from the file again.
#[derive(Debug, Clone)]
pub struct CsvUpload {
    source: Source,
    pub(super) header: Bytes,
    pub(super) columns: Vec<String>,
    pub(super) crlf: bool,
    pub(super) parts: Vec<Part>,
    pub(super) rows: u64,
}

impl CsvUpload {
    /// Scans the CSV file at `path` (blocking file reads; a buffer at a time).
    pub fn scan(path: impl Into<PathBuf>) -> Result<Self, Error> {
        Self::scan_with_limit(path, UPLOAD_LIMIT)
    }

    /// [`Self::scan`], splitting at `limit` bytes per upload instead of [`UPLOAD_LIMIT`].
    pub fn scan_with_limit(path: impl Into<PathBuf>, limit: u64) -> Result<Self, Error> {
        let path = path.into();
        let io = |e: std::io::Error| Error::Config(format!("reading {}: {e}", path.display()));
        let mut file = std::fs::File::open(&path).map_err(io)?;
        let mut scanner = Scanner::new(limit);
        let mut buf = vec![0; CHUNK];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io(e)),
            };
            scanner
                .feed(buf.get(..n).unwrap_or_default())
                .map_err(|m| Error::Config(format!("{}: {m}", path.display())))?;
        }
        scanner
            .finish(Source::File(path.clone()))
            .map_err(|m| Error::Config(format!("{}: {m}", path.display())))
    }

    /// CSV already in memory.
    pub fn from_bytes(csv: impl Into<Bytes>) -> Result<Self, Error> {
        Self::from_bytes_with_limit(csv, UPLOAD_LIMIT)
    }

    /// [`Self::from_bytes`], splitting at `limit` bytes per upload.
    pub fn from_bytes_with_limit(csv: impl Into<Bytes>, limit: u64) -> Result<Self, Error> {
        let csv = csv.into();
        let mut scanner = Scanner::new(limit);
        scanner
            .feed(&csv)
            .map_err(|m| Error::Config(format!("the CSV: {m}")))?;
        scanner
            .finish(Source::Memory(csv))
            .map_err(|m| Error::Config(format!("the CSV: {m}")))
    }

    /// The columns of the header row.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Rows after the header (empty lines are not rows).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// How many jobs the load takes (one unless it passes the upload limit).
    pub fn jobs(&self) -> usize {
        self.parts.len()
    }

    /// The body of one upload: the header, then the part's rows, streamed; rows are counted
    /// into `progress` as they go (on top of `before`, the rows of the parts already sent).
    pub(super) fn body(&self, part: Part, before: u64, progress: Progress) -> reqwest::Body {
        let header = self.header.clone();
        let mut counter = RowCounter::default();
        let mut count = move |chunk: &Bytes| {
            counter.feed(chunk);
            progress(before + counter.rows);
        };
        let rest: std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>> =
            match &self.source {
                Source::Memory(all) => {
                    // The part came from scanning these very bytes; clamped all the same.
                    let end = usize::try_from(part.end).map_or(all.len(), |e| e.min(all.len()));
                    let start = usize::try_from(part.start).map_or(end, |s| s.min(end));
                    Box::pin(stream::iter([Ok(all.slice(start..end))]))
                }
                Source::File(path) => Box::pin(file_range(path.clone(), part.start, part.end)),
            };
        let rows = rest.inspect(move |c| {
            if let Ok(c) = c {
                count(c);
            }
        });
        let chunks = stream::iter([Ok(header)]).chain(rows);
        reqwest::Body::wrap_stream(chunks)
    }
}

/// Reports rows uploaded so far.
pub(super) type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// Bytes `start..end` of a file, a chunk at a time.
fn file_range(
    path: PathBuf,
    start: u64,
    end: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    struct At {
        path: PathBuf,
        file: Option<tokio::fs::File>,
        left: u64,
        start: u64,
    }
    let at = At {
        path,
        file: None,
        left: end.saturating_sub(start),
        start,
    };
    stream::try_unfold(at, |mut at| async move {
        if at.left == 0 {
            return Ok(None);
        }
        let file = match &mut at.file {
            Some(f) => f,
            None => {
                let mut f = tokio::fs::File::open(&at.path).await?;
                f.seek(std::io::SeekFrom::Start(at.start)).await?;
                at.file.insert(f)
            }
        };
        let want = usize::try_from(at.left).unwrap_or(CHUNK).min(CHUNK);
        let mut buf = vec![0; want];
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("{} got shorter while it was uploaded", at.path.display()),
            ));
        }
        buf.truncate(n);
        at.left -= n as u64;
        Ok(Some((Bytes::from(buf), at)))
    })
}

/// Finds the header, the rows and the split points of CSV fed to it in pieces.
#[derive(Debug)]
struct Scanner {
    limit: u64,
    /// Bytes seen so far; the offset of the next byte.
    at: u64,
    quoted: bool,
    filled: bool,
    line_start: u64,
    /// Unquoted line breaks seen, for messages that name a line.
    lines: u64,
    header: Vec<u8>,
    header_done: bool,
    crlf: bool,
    last: u8,
    parts: Vec<Part>,
    part_start: u64,
    part_rows: u64,
    rows: u64,
}

impl Scanner {
    fn new(limit: u64) -> Self {
        Scanner {
            limit,
            at: 0,
            quoted: false,
            filled: false,
            line_start: 0,
            lines: 0,
            header: Vec::new(),
            header_done: false,
            crlf: false,
            last: 0,
            parts: Vec::new(),
            part_start: 0,
            part_rows: 0,
            rows: 0,
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), String> {
        for &b in chunk {
            let offset = self.at;
            self.at += 1;
            if !self.header_done {
                // The header is kept whole: it goes first in every upload.
                self.header.push(b);
                if self.header.len() as u64 > self.limit {
                    return Err(format!(
                        "the header row is longer than one upload takes ({} bytes)",
                        self.limit
                    ));
                }
            }
            match b {
                b'"' => {
                    self.quoted = !self.quoted;
                    self.filled = true;
                }
                b'\n' if !self.quoted => {
                    self.lines += 1;
                    self.line_end(offset + 1)?;
                }
                b'\r' if !self.quoted => {}
                _ => self.filled = true,
            }
            self.last = b;
        }
        Ok(())
    }

    /// A line ended just before `end`.
    fn line_end(&mut self, end: u64) -> Result<(), String> {
        let filled = std::mem::replace(&mut self.filled, false);
        let start = std::mem::replace(&mut self.line_start, end);
        if !self.header_done {
            if filled {
                self.header_done = true;
                self.crlf = self.last == b'\r';
                self.part_start = end;
            } else {
                // Empty lines before the header are not sent.
                self.header.clear();
            }
            return Ok(());
        }
        if !filled {
            return Ok(());
        }
        let header = self.header.len() as u64;
        if header + (end - start) > self.limit {
            return Err(format!(
                "the row ending on line {} is {} bytes: more than one upload takes ({} bytes with the header)",
                self.lines,
                end - start,
                self.limit
            ));
        }
        if self.part_rows > 0 && header + (end - self.part_start) > self.limit {
            self.parts.push(Part {
                start: self.part_start,
                end: start,
                rows: self.part_rows,
            });
            self.part_start = start;
            self.part_rows = 0;
        }
        self.part_rows += 1;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self, source: Source) -> Result<CsvUpload, String> {
        if self.quoted {
            return Err("a quoted cell is never closed".into());
        }
        if self.filled {
            // The last row has no line break.
            self.lines += 1;
            if !self.header_done {
                return Err("there are no rows after the header".into());
            }
            let end = self.at;
            self.line_end(end)?;
        }
        if !self.header_done {
            return Err("it is empty: a CSV load needs a header row of field names".into());
        }
        if self.part_rows == 0 {
            return Err("there are no rows after the header".into());
        }
        self.parts.push(Part {
            start: self.part_start,
            end: self.at,
            rows: self.part_rows,
        });
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(self.header.as_slice());
        let mut columns = csv::ByteRecord::new();
        reader
            .read_byte_record(&mut columns)
            .map_err(|e| format!("the header row cannot be read: {e}"))?;
        let mut columns = header_names(&columns);
        if let Some(first) = columns.first_mut() {
            // A byte order mark is no part of the first name.
            *first = first.trim_start_matches('\u{feff}').to_owned();
        }
        let header = self.header;
        Ok(CsvUpload {
            source,
            header: Bytes::from(header),
            columns,
            crlf: self.crlf,
            parts: self.parts,
            rows: self.rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of an upload as the org would receive them: header, then the part's bytes.
    fn uploads(u: &CsvUpload) -> Vec<Vec<u8>> {
        let Source::Memory(all) = &u.source else {
            panic!("in memory")
        };
        u.parts
            .iter()
            .map(|p| {
                let mut body = u.header.to_vec();
                body.extend_from_slice(&all[p.start as usize..p.end as usize]);
                body
            })
            .collect()
    }

    #[test]
    fn big_csv_splits_at_rows_and_keeps_the_header() {
        let mut csv = String::from("Name,Description\n");
        for i in 0..100 {
            csv.push_str(&format!("N{i},\"line one\nline two, {i}\"\n"));
        }
        let u = CsvUpload::from_bytes_with_limit(csv.clone(), 300).unwrap();
        assert!(u.jobs() > 1);
        assert_eq!(u.rows(), 100);
        assert_eq!(u.columns(), ["Name", "Description"]);
        let mut names = Vec::new();
        let mut rows = 0;
        for body in uploads(&u) {
            assert!(body.len() <= 300, "{} bytes", body.len());
            let mut r = csv::Reader::from_reader(body.as_slice());
            assert_eq!(r.headers().unwrap(), vec!["Name", "Description"]);
            for rec in r.records() {
                names.push(rec.unwrap()[0].to_owned());
                rows += 1;
            }
        }
        let expected: Vec<String> = (0..100).map(|i| format!("N{i}")).collect();
        assert_eq!(names, expected);
        assert_eq!(rows, u.parts.iter().map(|p| p.rows).sum::<u64>());
        assert_eq!(CsvUpload::from_bytes("A\n1\n").unwrap().jobs(), 1);
    }

    #[test]
    fn scanning_finds_line_endings_and_refuses_what_cannot_load() {
        let u = CsvUpload::from_bytes("\u{feff}Name,Phone\r\nA,1\r\n\r\nB,2").unwrap();
        assert!(u.crlf);
        assert_eq!(u.rows(), 2);
        assert_eq!(u.columns(), ["Name", "Phone"]);
        let u = CsvUpload::from_bytes("Name\nA\n").unwrap();
        assert!(!u.crlf);
        for (bad, why) in [
            ("", "empty"),
            ("Name\n", "no rows"),
            ("Name", "no rows"),
            ("Name\n\"A\n", "never closed"),
        ] {
            let e = CsvUpload::from_bytes(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let e = CsvUpload::from_bytes_with_limit(format!("Name\n{}\n", "x".repeat(50)), 20)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
    }
}
