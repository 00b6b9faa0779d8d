//! The tokenizer: one pass over the bytes, producing tokens that point into the source.
//!
//! Tokens hold byte ranges, not copies, so lexing allocates only the token vector. Keywords are
//! not tokens of their own: SOQL has many contextual keywords (`Group` is an object, `Format` a
//! field), so the parser decides from an identifier's text and position. Date, dateTime and time
//! literals are recognised here because nothing else in SOQL starts with `dddd-` or `dd:`.
//! String escapes are checked and decoded by the parser, which knows whether a string is a LIKE
//! pattern (the only place `\%` and `\_` are allowed).

use crate::error::{Error, describe};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A name or keyword: `[A-Za-z_][A-Za-z0-9_]*`.
    Ident,
    /// Unsigned digits with an optional fraction.
    Number,
    /// A single-quoted string; the range includes the quotes.
    Str,
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM-DDThh:mm:ss[.f](Z|±hh[:]mm)`.
    DateTime,
    /// `hh:mm:ss[.f]Z`.
    Time,
    /// `{...}`: a SOSL search query; the range includes the braces.
    Braced,
    LParen,
    RParen,
    Comma,
    Dot,
    Colon,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    LBracket,
    RBracket,
    Semicolon,
    /// End of input; always the last token.
    Eof,
}

/// A token: its kind and byte range in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits `src` into tokens, ending with [`Kind::Eof`].
pub(crate) fn tokenize(src: &str, allow_comments: bool) -> Result<Vec<Token>, Error> {
    let mut lx = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        tokens: Vec::with_capacity(src.len() / 4 + 4),
    };
    lx.run(allow_comments)?;
    Ok(lx.tokens)
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    /// The byte at `i`, or 0 past the end (0 never appears in valid SOQL).
    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        self.tokens.push(Token { kind, start, end });
        self.pos = end;
    }

    fn run(&mut self, allow_comments: bool) -> Result<(), Error> {
        loop {
            let start = self.pos;
            let b = self.at(start);
            match b {
                0 if start >= self.bytes.len() => {
                    self.push(Kind::Eof, start, start);
                    return Ok(());
                }
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'/' if allow_comments && self.at(start + 1) == b'/' => {
                    let rest = self.bytes.get(start..).unwrap_or_default();
                    self.pos += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
                }
                b'/' if allow_comments && self.at(start + 1) == b'*' => {
                    let body = self.src.get(start + 2..).unwrap_or_default();
                    match body.find("*/") {
                        Some(i) => self.pos = start + 2 + i + 2,
                        None => {
                            return Err(Error::at(
                                self.src,
                                start,
                                "'*/' to close the comment",
                                "end of input",
                            ));
                        }
                    }
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let mut end = start + 1;
                    while matches!(self.at(end), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_') {
                        end += 1;
                    }
                    self.push(Kind::Ident, start, end);
                }
                b'0'..=b'9' => self.number_or_date(start)?,
                b'\'' => self.string(start)?,
                b'{' => self.braced(start)?,
                b'(' => self.push(Kind::LParen, start, start + 1),
                b')' => self.push(Kind::RParen, start, start + 1),
                b',' => self.push(Kind::Comma, start, start + 1),
                b'.' => self.push(Kind::Dot, start, start + 1),
                b':' => self.push(Kind::Colon, start, start + 1),
                b'=' => self.push(Kind::Eq, start, start + 1),
                b'+' => self.push(Kind::Plus, start, start + 1),
                b'-' => self.push(Kind::Minus, start, start + 1),
                b'[' => self.push(Kind::LBracket, start, start + 1),
                b']' => self.push(Kind::RBracket, start, start + 1),
                b';' => self.push(Kind::Semicolon, start, start + 1),
                b'!' if self.at(start + 1) == b'=' => self.push(Kind::Ne, start, start + 2),
                b'<' => match self.at(start + 1) {
                    b'=' => self.push(Kind::Le, start, start + 2),
                    b'>' => self.push(Kind::Ne, start, start + 2),
                    _ => self.push(Kind::Lt, start, start + 1),
                },
                b'>' => match self.at(start + 1) {
                    b'=' => self.push(Kind::Ge, start, start + 2),
                    _ => self.push(Kind::Gt, start, start + 1),
                },
                b'"' => {
                    return Err(Error::at(
                        self.src,
                        start,
                        "a single-quoted string (SOQL has no double quotes)",
                        "'\"'",
                    ));
                }
                _ => {
                    let ch = self
                        .src
                        .get(start..)
                        .and_then(|s| s.chars().next())
                        .unwrap_or('?');
                    let what = if ch.is_control() {
                        format!("character U+{:04X}", u32::from(ch))
                    } else {
                        describe(&ch.to_string())
                    };
                    return Err(Error::at(self.src, start, "a SOQL token", what));
                }
            }
        }
    }

    fn digits(&self, mut i: usize) -> usize {
        while self.at(i).is_ascii_digit() {
            i += 1;
        }
        i
    }

    /// True if exactly `n` digits start at `i`.
    fn has_digits(&self, i: usize, n: usize) -> bool {
        (i..i + n).all(|j| self.at(j).is_ascii_digit())
    }

    /// `hh:mm:ss[.fff]` at `i`; returns its end.
    fn clock(&self, i: usize) -> Option<usize> {
        let ok = self.has_digits(i, 2)
            && self.at(i + 2) == b':'
            && self.has_digits(i + 3, 2)
            && self.at(i + 5) == b':'
            && self.has_digits(i + 6, 2);
        if !ok {
            return None;
        }
        let mut end = i + 8;
        if self.at(end) == b'.' && self.at(end + 1).is_ascii_digit() {
            end = self.digits(end + 1);
        }
        Some(end)
    }

    fn number_or_date(&mut self, start: usize) -> Result<(), Error> {
        let is_date = self.has_digits(start, 4)
            && self.at(start + 4) == b'-'
            && self.has_digits(start + 5, 2)
            && self.at(start + 7) == b'-'
            && self.has_digits(start + 8, 2)
            && !self.at(start + 10).is_ascii_digit();
        if is_date {
            let date_end = start + 10;
            if self.at(date_end) != b'T' {
                self.push(Kind::Date, start, date_end);
                return Ok(());
            }
            let bad = |lx: &Self, end: usize| {
                let text = lx.src.get(start..end).unwrap_or_default();
                Error::at(
                    lx.src,
                    start,
                    "a dateTime like 2024-01-31T23:59:59Z",
                    describe(text),
                )
            };
            let Some(mut end) = self.clock(date_end + 1) else {
                return Err(bad(self, self.ident_like_end(date_end)));
            };
            match self.at(end) {
                b'Z' | b'z' => end += 1,
                b'+' | b'-' if self.has_digits(end + 1, 2) => {
                    end += 3;
                    if self.at(end) == b':' {
                        end += 1;
                    }
                    if !self.has_digits(end, 2) {
                        return Err(bad(self, end));
                    }
                    end += 2;
                }
                _ => return Err(bad(self, end)),
            }
            self.push(Kind::DateTime, start, end);
            return Ok(());
        }
        if let Some(end) = self.clock(start) {
            if matches!(self.at(end), b'Z' | b'z') {
                self.push(Kind::Time, start, end + 1);
                return Ok(());
            }
            let text = self.src.get(start..end).unwrap_or_default();
            return Err(Error::at(
                self.src,
                start,
                "a time like 13:30:00.000Z (with Z)",
                describe(text),
            ));
        }
        let mut end = self.digits(start);
        if self.at(end) == b'.' && self.at(end + 1).is_ascii_digit() {
            end = self.digits(end + 1);
        }
        self.push(Kind::Number, start, end);
        Ok(())
    }

    /// Where a run of letters, digits and date punctuation ends: for quoting a bad literal.
    fn ident_like_end(&self, mut i: usize) -> usize {
        while matches!(self.at(i), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b':' | b'.' | b'-' | b'+')
        {
            i += 1;
        }
        i
    }

    fn string(&mut self, start: usize) -> Result<(), Error> {
        let mut i = start + 1;
        loop {
            match self.bytes.get(i) {
                None => {
                    return Err(Error::at(
                        self.src,
                        start,
                        "a closing quote for the string that starts here",
                        "end of input",
                    ));
                }
                Some(b'\\') => i += 2,
                Some(b'\'') => {
                    self.push(Kind::Str, start, i + 1);
                    return Ok(());
                }
                Some(_) => i += 1,
            }
        }
    }

    fn braced(&mut self, start: usize) -> Result<(), Error> {
        let mut i = start + 1;
        loop {
            match self.bytes.get(i) {
                None => {
                    return Err(Error::at(
                        self.src,
                        start,
                        "'}' to close the search query that starts here",
                        "end of input",
                    ));
                }
                Some(b'\\') => i += 2,
                Some(b'}') => {
                    self.push(Kind::Braced, start, i + 1);
                    return Ok(());
                }
                Some(_) => i += 1,
            }
        }
    }
}
