//! The search expression inside `FIND {...}`: words, "phrases", wildcards, AND / OR / AND NOT
//! and parentheses.
//!
//! Grammar (AND binds tighter than OR; words side by side bind tightest):
//! ```text
//! or       := and (OR and)*
//! and      := adjacent (AND [NOT] adjacent)*
//! adjacent := primary+
//! primary  := '(' or ')' | '"' phrase '"' | word
//! ```
//! A backslash makes the next character literal, so `\-` is a hyphen and `\and` is the word
//! "and", not the operator.

use super::Parser;
use crate::ast::{SearchExpr, SearchPart, SearchText};
use crate::error::{Error, describe};

#[derive(Debug)]
enum Tok {
    LParen,
    RParen,
    /// A word; `plain` if written without escapes or wildcards (so it may be an operator).
    Word {
        text: SearchText,
        raw: String,
        plain: bool,
    },
    Phrase(SearchText),
    End,
}

struct SearchParser<'p, 'a> {
    parser: &'p mut Parser<'a>,
    toks: Vec<(Tok, usize)>,
    pos: usize,
    base: usize,
}

impl<'a> Parser<'a> {
    /// Parses `text`, which starts at byte `base` of the source.
    pub(super) fn search_expr(&mut self, text: &str, base: usize) -> Result<SearchExpr, Error> {
        let mut toks = lex(text)
            .map_err(|(at, expected, found)| Error::at(self.src, base + at, expected, found))?;
        // The end has a position too: errors there point after the last term, not at the start.
        toks.push((Tok::End, text.len()));
        let mut sp = SearchParser {
            parser: self,
            toks,
            pos: 0,
            base,
        };
        let e = sp.or()?;
        match sp.peek() {
            Tok::End => Ok(e),
            _ => Err(sp.error("AND, OR or the end of the search")),
        }
    }
}

impl SearchParser<'_, '_> {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::End, |(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(0, |(_, o)| *o)
    }

    fn error(&self, expected: &str) -> Error {
        let found = match self.peek() {
            Tok::LParen => "'('".to_owned(),
            Tok::RParen => "')'".to_owned(),
            Tok::Word { raw, .. } => describe(raw),
            Tok::Phrase(_) => "a phrase".to_owned(),
            Tok::End => "the end of the search".to_owned(),
        };
        Error::at(self.parser.src, self.base + self.offset(), expected, found)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Word { raw, plain: true, .. } if raw.eq_ignore_ascii_case(op))
    }

    fn or(&mut self) -> Result<SearchExpr, Error> {
        let mut items = vec![self.and()?];
        while self.is_op("OR") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            SearchExpr::Or(items)
        })
    }

    fn and(&mut self) -> Result<SearchExpr, Error> {
        let mut items = vec![self.adjacent()?];
        while self.is_op("AND") {
            self.pos += 1;
            if self.is_op("NOT") {
                self.pos += 1;
                items.push(SearchExpr::Not(Box::new(self.adjacent()?)));
            } else {
                items.push(self.adjacent()?);
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            SearchExpr::And(items)
        })
    }

    fn adjacent(&mut self) -> Result<SearchExpr, Error> {
        let mut items = vec![self.primary()?];
        loop {
            let starts_primary = match self.peek() {
                Tok::LParen | Tok::Phrase(_) => true,
                Tok::Word { .. } => !(self.is_op("AND") || self.is_op("OR") || self.is_op("NOT")),
                Tok::RParen | Tok::End => false,
            };
            if !starts_primary {
                break;
            }
            items.push(self.primary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            SearchExpr::Adjacent(items)
        })
    }

    fn primary(&mut self) -> Result<SearchExpr, Error> {
        if self.is_op("AND") || self.is_op("OR") || self.is_op("NOT") {
            return Err(
                self.error("a search term (quote \"and\", \"or\" and \"not\" to search for them)")
            );
        }
        match self.peek() {
            Tok::LParen => {
                self.pos += 1;
                self.parser.enter()?;
                let e = self.or()?;
                self.parser.leave();
                if !matches!(self.peek(), Tok::RParen) {
                    return Err(self.error("')' to close the group"));
                }
                self.pos += 1;
                Ok(e)
            }
            Tok::Phrase(t) => {
                let e = SearchExpr::Phrase(t.clone());
                self.pos += 1;
                Ok(e)
            }
            Tok::Word { text, .. } => {
                let e = SearchExpr::Term(text.clone());
                self.pos += 1;
                Ok(e)
            }
            Tok::RParen | Tok::End => Err(self.error("a search term")),
        }
    }
}

type LexError = (usize, &'static str, String);

/// Splits search text into tokens with their byte offsets.
fn lex(text: &str) -> Result<Vec<(Tok, usize)>, LexError> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push((Tok::LParen, i));
            }
            ')' => {
                chars.next();
                out.push((Tok::RParen, i));
            }
            '"' => {
                chars.next();
                let mut t = SearchText::default();
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some((_, e)) => t.push(SearchPart::Text(e.to_string())),
                            None => break,
                        },
                        '*' => t.push(SearchPart::AnyChars),
                        '?' => t.push(SearchPart::OneChar),
                        c => t.push(SearchPart::Text(c.to_string())),
                    }
                }
                if !closed {
                    return Err((
                        i,
                        "'\"' to close the phrase that starts here",
                        "the end of the search".into(),
                    ));
                }
                out.push((Tok::Phrase(t), i));
            }
            _ => {
                let mut t = SearchText::default();
                let mut raw = String::new();
                let mut plain = true;
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '"') {
                        break;
                    }
                    chars.next();
                    raw.push(c);
                    match c {
                        '\\' => {
                            plain = false;
                            match chars.next() {
                                Some((_, e)) => {
                                    raw.push(e);
                                    t.push(SearchPart::Text(e.to_string()));
                                }
                                None => {
                                    return Err((
                                        i,
                                        "a character after '\\'",
                                        "the end of the search".into(),
                                    ));
                                }
                            }
                        }
                        '*' => {
                            plain = false;
                            t.push(SearchPart::AnyChars);
                        }
                        '?' => {
                            plain = false;
                            t.push(SearchPart::OneChar);
                        }
                        c => t.push(SearchPart::Text(c.to_string())),
                    }
                }
                out.push((
                    Tok::Word {
                        text: t,
                        raw,
                        plain,
                    },
                    i,
                ));
            }
        }
    }
    Ok(out)
}
