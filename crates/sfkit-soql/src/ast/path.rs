//! Field and relationship paths, with where each name was written.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::Serialize;

use crate::Span;

/// A field or a relationship path: `Name`, `Account.Owner.Name`, `c.Account.Name`.
///
/// A parsed path knows where each segment was written ([`FieldPath::segment_span`]), so that
/// an error about one name can point at it. Equality, hashing and serialization look at the
/// names only.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct FieldPath {
    /// The dot-separated names, in order. Never empty.
    pub segments: Vec<String>,
    /// Where each segment was written, index for index; empty for a path built by a program.
    #[serde(skip)]
    spans: Vec<Span>,
}

impl PartialEq for FieldPath {
    fn eq(&self, other: &Self) -> bool {
        self.segments == other.segments
    }
}

impl Eq for FieldPath {}

impl Hash for FieldPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.segments.hash(state);
    }
}

impl FieldPath {
    /// A one-segment path from a name the program itself spells (`"Name"`, `"Industry"`). It is
    /// not checked: for a name that comes from outside, use [`FieldPath::parse`].
    pub fn new(name: impl Into<String>) -> Self {
        FieldPath::from_segments([name])
    }

    /// A path from names the program itself spells, with no position. Like [`FieldPath::new`],
    /// the names are not checked.
    pub fn from_segments<S: Into<String>>(segments: impl IntoIterator<Item = S>) -> Self {
        FieldPath {
            segments: segments.into_iter().map(Into::into).collect(),
            spans: Vec::new(),
        }
    }

    /// A path from text such as `Account.Owner.Name`, checked to be API names that SOQL can
    /// carry (letters, digits and underscores, not a reserved word), so that printing it can
    /// never inject syntax. Its spans are offsets into `text`.
    pub fn parse(text: &str) -> Result<Self, crate::Error> {
        crate::parser::parse_field_path(text)
    }

    /// The same path with each segment's position (`spans[i]` for `segments[i]`; missing
    /// entries mean no position).
    pub fn with_spans(mut self, spans: Vec<Span>) -> Self {
        self.spans = spans;
        self
    }

    /// The last segment: the field itself.
    pub fn field(&self) -> &str {
        self.segments.last().map(String::as_str).unwrap_or_default()
    }

    /// Where segment `i` was written; empty if the path was not parsed.
    pub fn segment_span(&self, i: usize) -> Span {
        self.spans.get(i).copied().unwrap_or_default()
    }

    /// Where each segment was written, index for index (empty if the path was not parsed).
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Where the last segment, the field itself, was written; empty if the path was not parsed.
    pub fn field_span(&self) -> Span {
        self.segment_span(self.segments.len().saturating_sub(1))
    }

    /// Where the whole path was written, first segment to last; empty if it was not parsed.
    pub fn span(&self) -> Span {
        self.spans
            .iter()
            .fold(Span::default(), |all, s| all.union(*s))
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(s)?;
        }
        Ok(())
    }
}
