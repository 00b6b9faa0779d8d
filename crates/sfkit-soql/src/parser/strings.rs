//! Decoding of string literals: plain strings and LIKE patterns.

use super::Parser;
use crate::ast::{LikePart, LikePattern};
use crate::error::{Error, describe};
use crate::lexer::Token;

/// What one source character of a string literal decodes to.
enum Piece {
    Char(char),
    /// `\%` or `\_`: a literal `%` or `_` (LIKE only).
    LikeEscape(char),
    /// Unescaped `%` or `_`.
    Wildcard(char),
}

impl Parser<'_> {
    /// Decodes a string token into its value. `\%` and `\_` are errors here.
    pub(super) fn string_value(&self, t: Token) -> Result<String, Error> {
        let mut out = String::with_capacity(t.end.saturating_sub(t.start));
        self.decode(t, false, |p| match p {
            Piece::Char(c) | Piece::Wildcard(c) | Piece::LikeEscape(c) => out.push(c),
        })?;
        Ok(out)
    }

    /// Decodes a string token as a LIKE pattern.
    pub(super) fn like_pattern(&self, t: Token) -> Result<LikePattern, Error> {
        let mut pattern = LikePattern::default();
        let mut text = String::new();
        self.decode(t, true, |p| match p {
            Piece::Char(c) | Piece::LikeEscape(c) => text.push(c),
            Piece::Wildcard(c) => {
                pattern.push(LikePart::Text(std::mem::take(&mut text)));
                pattern.push(if c == '%' {
                    LikePart::AnyChars
                } else {
                    LikePart::OneChar
                });
            }
        })?;
        pattern.push(LikePart::Text(text));
        Ok(pattern)
    }

    fn decode(&self, t: Token, like: bool, mut emit: impl FnMut(Piece)) -> Result<(), Error> {
        let body_start = t.start + 1;
        let body = self
            .src
            .get(body_start..t.end.saturating_sub(1))
            .unwrap_or_default();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    let bad = |s: &str| {
                        Error::at(
                            self.src,
                            body_start + i,
                            if like {
                                "an escape sequence (\\n \\r \\t \\b \\f \\\" \\' \\\\ \\uXXXX \\% \\_)"
                            } else {
                                "an escape sequence (\\n \\r \\t \\b \\f \\\" \\' \\\\ \\uXXXX)"
                            },
                            describe(s),
                        )
                    };
                    let Some((_, e)) = chars.next() else {
                        return Err(bad("\\"));
                    };
                    let piece = match e {
                        'n' | 'N' => Piece::Char('\n'),
                        'r' | 'R' => Piece::Char('\r'),
                        't' | 'T' => Piece::Char('\t'),
                        'b' | 'B' => Piece::Char('\u{8}'),
                        'f' | 'F' => Piece::Char('\u{c}'),
                        '"' | '\'' | '\\' => Piece::Char(e),
                        '%' | '_' if like => Piece::LikeEscape(e),
                        'u' | 'U' => {
                            let hex: String = chars.clone().take(4).map(|(_, h)| h).collect();
                            let code = (hex.len() == 4)
                                .then(|| u32::from_str_radix(&hex, 16).ok())
                                .flatten()
                                .and_then(char::from_u32);
                            match code {
                                Some(ch) => {
                                    for _ in 0..4 {
                                        chars.next();
                                    }
                                    Piece::Char(ch)
                                }
                                None => return Err(bad(&format!("\\{e}{hex}"))),
                            }
                        }
                        other => return Err(bad(&format!("\\{other}"))),
                    };
                    emit(piece);
                }
                '%' | '_' if like => emit(Piece::Wildcard(c)),
                c => emit(Piece::Char(c)),
            }
        }
        Ok(())
    }
}
