//! The crate's one error type.

/// Why a query or search did not parse, and where.
///
/// Every error reads the same way: `Expected X, found Y at line L, column C`, with line and
/// column counted from 1 (columns in characters, not bytes). `offset` is the byte offset into
/// the input, for tools that underline the spot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("Expected {expected}, found {found} at line {line}, column {column}")]
pub struct Error {
    /// What the parser was looking for.
    pub expected: String,
    /// What it found instead: a quoted token, or `end of input`.
    pub found: String,
    /// Line of the offending token, from 1.
    pub line: u32,
    /// Column of the offending token, from 1, in characters.
    pub column: u32,
    /// Byte offset of the offending token.
    pub offset: usize,
}

impl Error {
    /// Builds an error at a byte offset of `src`, computing line and column.
    pub(crate) fn at(
        src: &str,
        offset: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        let offset = offset.min(src.len());
        let (line, column) = crate::line_col(src, offset);
        Error {
            expected: expected.into(),
            found: found.into(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            offset,
        }
    }
}

/// Quotes a piece of source for an error message, shortened if long.
pub(crate) fn describe(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() > MAX {
        let short: String = text.chars().take(MAX).collect();
        format!("'{short}...'")
    } else {
        format!("'{text}'")
    }
}
