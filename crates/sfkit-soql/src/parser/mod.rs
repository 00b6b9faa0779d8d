//! The recursive-descent parser.
//!
//! One [`Parser`] walks the token vector with arbitrary lookahead (SOQL needs it: `Order` is an
//! object name unless `BY` follows; `OFFSET` is an alias unless a number follows). Each clause
//! lives in its own module. Every recursive step goes through [`Parser::enter`], which enforces
//! the recursion limit so that no input can overflow the stack.

mod condition;
mod expr;
mod query;
mod search;
mod search_expr;
mod strings;
mod value;

use crate::ast::{BindVariable, Query, Search};
use crate::error::{Error, describe};
use crate::lexer::{Kind, Token, tokenize};
use crate::{ParseOptions, Span};

/// Words that can never be an alias or a bare field name. Salesforce documents the first group;
/// the rest would make clauses ambiguous (`FROM Account For` must not read `For` as an alias).
#[rustfmt::skip]
const RESERVED: &[&str] = &[
    "AND", "ASC", "DESC", "EXCLUDES", "FIRST", "FROM", "GROUP", "HAVING", "IN", "INCLUDES",
    "LAST", "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OR", "SELECT", "USING", "WHERE", "WITH",
    // Not on Salesforce's list, but each would make a clause ambiguous or an error unclear.
    "ORDER", "FOR", "UPDATE", "TRUE", "FALSE", "ELSE", "END", "WHEN", "THEN", "RETURNING",
    "FIND", "AS",
];

pub(crate) fn parse_query(src: &str, opts: &ParseOptions) -> Result<Query, Error> {
    let mut p = Parser::new(src, opts)?;
    let q = p.query(query::QueryKind::Top)?;
    p.expect_end("the end of the query")?;
    Ok(q)
}

pub(crate) fn parse_field_path(src: &str) -> Result<crate::ast::FieldPath, Error> {
    let opts = ParseOptions::default();
    let mut p = Parser::new(src, &opts)?;
    let path = p.field_path("a field API name such as Name or Account.Owner.Name")?;
    p.expect_end("the end of the field name")?;
    Ok(path)
}

pub(crate) fn parse_search(src: &str, opts: &ParseOptions) -> Result<Search, Error> {
    let mut p = Parser::new(src, opts)?;
    let s = p.search()?;
    p.expect_end("the end of the search")?;
    Ok(s)
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    opts: &'a ParseOptions,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, opts: &'a ParseOptions) -> Result<Self, Error> {
        // Salesforce counts the limit in characters. Bytes bound characters from above, so the
        // count is only taken for inputs that might be over.
        let max = opts.max_length;
        if src.len() > max {
            let count = src.chars().count();
            if count > max {
                let offset = src.char_indices().nth(max).map_or(src.len(), |(i, _)| i);
                return Err(Error::at(
                    src,
                    offset,
                    format!("a statement of at most {max} characters"),
                    format!("{count} characters"),
                ));
            }
        }
        let tokens = tokenize(src, opts.allow_comments)?;
        Ok(Parser {
            src,
            tokens,
            pos: 0,
            depth: 0,
            opts,
        })
    }

    /// The token `n` ahead of the cursor (Eof past the end).
    fn peek_at(&self, n: usize) -> Token {
        let eof = Token {
            kind: Kind::Eof,
            start: self.src.len(),
            end: self.src.len(),
        };
        self.tokens.get(self.pos + n).copied().unwrap_or(eof)
    }

    /// Where the last consumed token ends (0 before the first).
    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.end)
    }

    fn peek(&self) -> Token {
        self.peek_at(0)
    }

    fn bump(&mut self) -> Token {
        let t = self.peek();
        if t.kind != Kind::Eof {
            self.pos += 1;
        }
        t
    }

    fn text(&self, t: Token) -> &'a str {
        self.src.get(t.start..t.end).unwrap_or_default()
    }

    /// True if `t` is the identifier `kw`, case-insensitively.
    fn is_kw(&self, t: Token, kw: &str) -> bool {
        t.kind == Kind::Ident && self.text(t).eq_ignore_ascii_case(kw)
    }

    fn peek_kw(&self, kw: &str) -> bool {
        self.is_kw(self.peek(), kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat(&mut self, kind: Kind) -> bool {
        if self.peek().kind == kind {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<Token, Error> {
        if self.peek_kw(kw) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(kw))
        }
    }

    fn expect(&mut self, kind: Kind, what: &str) -> Result<Token, Error> {
        if self.peek().kind == kind {
            Ok(self.bump())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn expect_end(&mut self, what: &str) -> Result<(), Error> {
        if self.peek().kind == Kind::Eof {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// How a token reads in an error message.
    fn describe(&self, t: Token) -> String {
        match t.kind {
            Kind::Eof => "end of input".to_owned(),
            Kind::Str => format!("string {}", describe(self.text(t).trim_matches('\''))),
            Kind::Braced => format!("search {}", describe(self.text(t))),
            _ => describe(self.text(t)),
        }
    }

    /// An error at the current token.
    fn unexpected(&self, expected: &str) -> Error {
        self.error_at(self.peek(), expected)
    }

    fn error_at(&self, t: Token, expected: &str) -> Error {
        Error::at(self.src, t.start, expected, self.describe(t))
    }

    /// Counts one level of nesting; errors past the limit instead of recursing further.
    fn enter(&mut self) -> Result<(), Error> {
        if self.depth >= self.opts.recursion_limit {
            let t = self.peek();
            return Err(Error::at(
                self.src,
                t.start,
                format!("at most {} levels of nesting", self.opts.recursion_limit),
                format!("{} nested at {}", self.describe(t), self.depth + 1),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// True if the identifier `t` is reserved, or starts a clause given what follows it.
    fn is_reserved(&self, t: Token, next: Token) -> bool {
        if t.kind != Kind::Ident {
            return false;
        }
        let s = self.text(t);
        if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s)) {
            return true;
        }
        // OFFSET is an ordinary word unless a count follows it.
        s.eq_ignore_ascii_case("OFFSET")
            && matches!(next.kind, Kind::Number | Kind::Colon | Kind::Minus)
    }

    /// True if `t`, followed by `next`, is an identifier that [`Parser::name`] accepts.
    fn is_name(&self, t: Token, next: Token) -> bool {
        let object_word =
            (self.is_kw(t, "GROUP") || self.is_kw(t, "ORDER")) && !self.is_kw(next, "BY");
        t.kind == Kind::Ident
            && (!self.is_reserved(t, next) || object_word || next.kind == Kind::Dot)
    }

    /// An identifier that may serve as an alias here, consumed.
    fn alias(&mut self) -> Option<String> {
        let t = self.peek();
        if t.kind == Kind::Ident && !self.is_reserved(t, self.peek_at(1)) {
            self.pos += 1;
            Some(self.text(t).to_owned())
        } else {
            None
        }
    }

    /// A name: an identifier that is not reserved here. `Group` and `Order` are objects and
    /// relationships too (`SELECT Group.Name FROM GroupMember`), so they count as names unless
    /// BY follows; so does any word followed by a dot.
    fn name(&mut self, what: &str) -> Result<String, Error> {
        let (t, next) = (self.peek(), self.peek_at(1));
        if self.is_name(t, next) {
            self.pos += 1;
            Ok(self.text(t).to_owned())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// `:name(.name)*` after the colon has been seen, if binds are allowed.
    fn bind(&mut self) -> Result<BindVariable, Error> {
        let colon = self.peek();
        if !self.opts.apex_binds {
            return Err(Error::at(
                self.src,
                colon.start,
                "a literal value (Apex bind variables are not SOQL over the API)",
                describe(self.text(colon)),
            ));
        }
        self.bump();
        let mut path = vec![self.ident_text("a bind variable name")?];
        while self.peek().kind == Kind::Dot && self.peek_at(1).kind == Kind::Ident {
            self.bump();
            path.push(self.ident_text("a name")?);
        }
        Ok(BindVariable { path })
    }

    /// Any identifier, reserved or not.
    fn ident_text(&mut self, what: &str) -> Result<String, Error> {
        self.spanned_ident(what).map(|(name, _)| name)
    }

    /// Any identifier, reserved or not, with where it was written.
    fn spanned_ident(&mut self, what: &str) -> Result<(String, Span), Error> {
        let t = self.expect(Kind::Ident, what)?;
        Ok((self.text(t).to_owned(), Span::new(t.start, t.end)))
    }
}
