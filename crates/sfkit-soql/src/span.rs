//! Where a name was written in the statement's text.
//!
//! The tree keeps a [`Span`] on the names a consumer reports errors about (field paths, object
//! names, TYPEOF's relationship, literal arguments), as sqlparser-rs does on its identifiers: equality, hashing and
//! serialization ignore it, so a printed and re-parsed tree still equals the original and the
//! JSON tree does not change. [`line_col`] turns a span's offset into the row and column that
//! Salesforce's error messages show.

/// A byte range `start..end` of the statement's text.
///
/// The default (`0..0`) means "no position": the node was built by a program rather than
/// parsed. A parsed name is never empty, so an empty span is always this case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset just past the last byte.
    pub end: usize,
}

impl Span {
    /// The range `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// True if this span holds no position (the default, or an empty range).
    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }

    /// The smallest span covering both; a span with no position adds nothing.
    pub fn union(self, other: Span) -> Span {
        match (self.is_empty(), other.is_empty()) {
            (true, _) => other,
            (_, true) => self,
            _ => Span::new(self.start.min(other.start), self.end.max(other.end)),
        }
    }
}

/// The row and column of byte `offset` in `text`, as Salesforce shows them
/// (`ERROR at Row:1:Column:8`): the row counts from 1 and the column counts characters, not
/// bytes, from 1. An offset past the end, or inside a character, is taken as the nearest
/// character start before it.
///
/// ```
/// use sfkit_soql::line_col;
///
/// assert_eq!(line_col("SELECT Foo FROM Account", 7), (1, 8));
/// assert_eq!(line_col("SELECT Id\nFROM Nöpe", 15), (2, 6));
/// ```
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or(text);
    let row = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (row, column)
}
