//! SOQL and SOSL for sfkit: a hand-written lexer and recursive-descent parser, a typed syntax
//! tree, a canonical printer, and the escaping helpers every other sfkit crate uses to put user
//! text into a query.
//!
//! # Design
//!
//! * `lexer` turns the source into tokens that point back into it (no copies). Keywords are not
//!   tokens: SOQL is full of contextual words (`Group` is an object, `Format` a field, `OFFSET`
//!   an alias unless a number follows), so the parser decides from text and position.
//! * `parser/` is plain recursive descent with unbounded lookahead over the token vector, one
//!   module per part of the statement (`query`, `condition`, `expr`, `value`, `strings`, and for
//!   SOSL `search` and `search_expr`). It follows Salesforce's rules, not SQL's: keywords are
//!   case-insensitive, AND/OR/NOT have no precedence (mixing them at one level without
//!   parentheses is an error), and there is no `AS`. Every recursion is counted against
//!   [`ParseOptions::recursion_limit`], so no input can overflow the stack.
//! * [`ast`] is the tree, one module per statement part (`query`, `expr`, `search`, `value`).
//!   It keeps what the source said, decoded: strings hold their value, LIKE patterns hold
//!   literal text and wildcards apart, numbers keep their digits. `Display` on every node prints
//!   canonical text, and `parse(print(parse(q))) == parse(q)` for every query that parses.
//! * `span` holds [`Span`], the byte range a name or literal was written at. Field paths
//!   ([`FieldPath::segment_span`]), FROM names, TYPEOF relationships and literal arguments keep
//!   one, so that a consumer can point its own errors (an unknown field, say) at the text;
//!   equality, hashing and the JSON tree ignore them. [`line_col`] turns an offset into the row
//!   and column Salesforce shows.
//! * `error` holds [`Error`]: every parse error reads `Expected X, found Y at line L, column C`.
//! * [`escape`] holds the helpers that keep user text from ever being pasted into a query:
//!   string and LIKE escaping, SOSL reserved characters, date and dateTime literals.
//!
//! ```
//! use sfkit_soql::{parse_query, Condition, CompareOp, Expr, FieldPath, Predicate, Value};
//!
//! let q = parse_query("select id, name from account where name = 'O\\'Brien' limit 5")?;
//! assert_eq!(q.to_string(), "SELECT id, name FROM account WHERE name = 'O\\'Brien' LIMIT 5");
//!
//! // Building a query from user input: the printer escapes the value.
//! let mut q = sfkit_soql::Query::select_from(["Id", "Name"], "Account")?;
//! q.where_clause = Some(Condition::predicate(Predicate::Compare {
//!     lhs: Expr::field(FieldPath::parse("Name")?),
//!     op: CompareOp::Eq,
//!     rhs: Value::string("x' OR Name != '"),
//! }));
//! assert_eq!(q.to_string(), "SELECT Id, Name FROM Account WHERE Name = 'x\\' OR Name != \\''");
//! # Ok::<(), sfkit_soql::Error>(())
//! ```

pub mod ast;
mod error;
pub mod escape;
mod lexer;
mod parser;
mod span;

use std::fmt;

pub use ast::*;
pub use error::Error;
use serde::Serialize;
pub use span::{Span, line_col};

/// Salesforce's default maximum length of a SOQL statement, in characters.
pub const MAX_QUERY_LENGTH: usize = 100_000;

/// The default recursion limit: deeper than any real query, far shallower than the stack.
pub const DEFAULT_RECURSION_LIMIT: usize = 64;

/// How to parse. The default is SOQL and SOSL as the REST and SOAP APIs accept them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Accept Apex bind variables (`:name`, `:obj.field`). They are Apex syntax; REST rejects
    /// them. Off by default.
    pub apex_binds: bool,
    /// Accept `//` and `/* */` comments, which some tools allow but the API does not. Off by
    /// default.
    pub allow_comments: bool,
    /// Maximum nesting of parentheses, subqueries and function calls.
    pub recursion_limit: usize,
    /// Maximum statement length in characters (Salesforce's default is 100,000).
    pub max_length: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            apex_binds: false,
            allow_comments: false,
            recursion_limit: DEFAULT_RECURSION_LIMIT,
            max_length: MAX_QUERY_LENGTH,
        }
    }
}

impl ParseOptions {
    /// Accept (or refuse) Apex bind variables.
    pub fn apex_binds(mut self, yes: bool) -> Self {
        self.apex_binds = yes;
        self
    }

    /// Accept (or refuse) comments.
    pub fn allow_comments(mut self, yes: bool) -> Self {
        self.allow_comments = yes;
        self
    }

    /// Set the recursion limit.
    pub fn recursion_limit(mut self, depth: usize) -> Self {
        self.recursion_limit = depth;
        self
    }

    /// Set the maximum statement length in characters.
    pub fn max_length(mut self, chars: usize) -> Self {
        self.max_length = chars;
        self
    }
}

/// Parses a SOQL query with the default options.
pub fn parse_query(src: &str) -> Result<Query, Error> {
    parser::parse_query(src, &ParseOptions::default())
}

/// Parses a SOQL query.
pub fn parse_query_with(src: &str, opts: &ParseOptions) -> Result<Query, Error> {
    parser::parse_query(src, opts)
}

/// Parses a SOSL search with the default options.
pub fn parse_search(src: &str) -> Result<Search, Error> {
    parser::parse_search(src, &ParseOptions::default())
}

/// Parses a SOSL search.
pub fn parse_search_with(src: &str, opts: &ParseOptions) -> Result<Search, Error> {
    parser::parse_search(src, opts)
}

/// A SOQL query or a SOSL search.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "statement", content = "ast")]
pub enum Statement {
    /// A SOQL query.
    Query(Query),
    /// A SOSL search.
    Search(Search),
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Query(q) => q.fmt(f),
            Statement::Search(s) => s.fmt(f),
        }
    }
}

/// Parses either kind of statement, telling them apart by the first word (`FIND` is SOSL;
/// anything else is read as SOQL).
pub fn parse_statement_with(src: &str, opts: &ParseOptions) -> Result<Statement, Error> {
    let first = src.trim_start().get(..4).unwrap_or_default();
    if first.eq_ignore_ascii_case("FIND") {
        parse_search_with(src, opts).map(Statement::Search)
    } else {
        parse_query_with(src, opts).map(Statement::Query)
    }
}
