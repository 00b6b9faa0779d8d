//! The SOSL statement: FIND, IN, RETURNING, WITH, LIMIT, UPDATE, and the search expression
//! inside FIND's braces.

use std::fmt;

use serde::Serialize;

use super::expr::write_list;
use super::query::write_data_categories;
use super::{
    Condition, DataCategoryFilter, OrderByItem, RowCount, SelectItem, UpdateClause, Value,
    value::BindVariable,
};
use crate::escape::{write_escaped, write_sosl_escaped};

/// A SOSL search.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Search {
    /// What to search for.
    pub find: FindClause,
    /// `IN ... FIELDS`; `None` means the default, ALL FIELDS.
    pub in_fields: Option<SearchGroup>,
    /// `RETURNING` object specs; empty when absent.
    pub returning: Vec<ReturningObject>,
    /// The WITH clauses, in source order.
    pub with: Vec<SearchWith>,
    /// The overall LIMIT.
    pub limit: Option<RowCount>,
    /// UPDATE TRACKING or UPDATE VIEWSTAT.
    pub update: Option<UpdateClause>,
}

impl Search {
    /// `FIND {expr}` with no other clause.
    pub fn find(expr: SearchExpr) -> Self {
        Search {
            find: FindClause::Braces(expr),
            in_fields: None,
            returning: Vec::new(),
            with: Vec::new(),
            limit: None,
            update: None,
        }
    }
}

impl fmt::Display for Search {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FIND {}", self.find)?;
        if let Some(group) = &self.in_fields {
            write!(f, " IN {group} FIELDS")?;
        }
        if !self.returning.is_empty() {
            f.write_str(" RETURNING ")?;
            write_list(f, &self.returning)?;
        }
        for w in &self.with {
            write!(f, " WITH {w}")?;
        }
        if let Some(l) = &self.limit {
            write!(f, " LIMIT {l}")?;
        }
        if let Some(u) = &self.update {
            write!(f, " {u}")?;
        }
        Ok(())
    }
}

/// The argument of FIND.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "form", content = "query")]
pub enum FindClause {
    /// `FIND {...}`: the REST and SOAP form.
    Braces(SearchExpr),
    /// `FIND '...'`: the Apex form.
    Quotes(SearchExpr),
    /// `FIND :term`: an Apex bind.
    Bind(BindVariable),
}

impl fmt::Display for FindClause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindClause::Braces(e) => write!(f, "{{{e}}}"),
            FindClause::Quotes(e) => {
                // The search text is itself a SOQL string here: escape it a second time.
                f.write_str("'")?;
                write_escaped(f, &e.to_string(), false)?;
                f.write_str("'")
            }
            FindClause::Bind(b) => b.fmt(f),
        }
    }
}

/// A search expression: terms, phrases and the operators AND, OR, AND NOT.
///
/// As with [`Condition`], the tree holds no parentheses; the printer adds them wherever an
/// operand is itself compound.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "value")]
pub enum SearchExpr {
    /// A single word, possibly with wildcards: `Acme*`.
    Term(SearchText),
    /// A quoted phrase: `"Joe Smith"`.
    Phrase(SearchText),
    /// Words written side by side, with no operator between them.
    Adjacent(Vec<SearchExpr>),
    /// `a AND b ...`; an operand may be [`SearchExpr::Not`], printed `AND NOT b`.
    And(Vec<SearchExpr>),
    /// `a OR b ...`.
    Or(Vec<SearchExpr>),
    /// The right operand of `AND NOT`; never first in an AND.
    Not(Box<SearchExpr>),
}

impl SearchExpr {
    /// A phrase matching `text` exactly: every reserved character is escaped when printed.
    /// This is how user text goes into a search.
    pub fn phrase(text: &str) -> Self {
        SearchExpr::Phrase(SearchText::literal(text))
    }

    fn is_compound(&self) -> bool {
        !matches!(self, SearchExpr::Term(_) | SearchExpr::Phrase(_))
    }

    fn fmt_operand(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_compound() {
            write!(f, "({self})")
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

impl fmt::Display for SearchExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchExpr::Term(t) => t.fmt_text(f, true),
            SearchExpr::Phrase(t) => {
                f.write_str("\"")?;
                t.fmt_text(f, false)?;
                f.write_str("\"")
            }
            SearchExpr::Adjacent(items) => {
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    e.fmt_operand(f)?;
                }
                Ok(())
            }
            SearchExpr::And(items) | SearchExpr::Or(items) => {
                let op = if matches!(self, SearchExpr::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(op)?;
                    }
                    match e {
                        SearchExpr::Not(inner) if i > 0 => {
                            f.write_str("NOT ")?;
                            inner.fmt_operand(f)?;
                        }
                        other => other.fmt_operand(f)?,
                    }
                }
                Ok(())
            }
            SearchExpr::Not(inner) => {
                f.write_str("NOT ")?;
                inner.fmt_operand(f)
            }
        }
    }
}

/// The text of a term or phrase: literal characters and the wildcards `*` and `?`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct SearchText {
    parts: Vec<SearchPart>,
}

/// One piece of a [`SearchText`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SearchPart {
    /// Characters searched for as they are (reserved ones escaped when printed).
    Text(String),
    /// `*`: zero or more characters.
    AnyChars,
    /// `?`: exactly one character.
    OneChar,
}

impl SearchText {
    /// Text with no wildcards.
    pub fn literal(text: &str) -> Self {
        let mut t = SearchText::default();
        t.push(SearchPart::Text(text.to_owned()));
        t
    }

    /// Appends a part, merging adjacent text so equal texts compare equal.
    pub fn push(&mut self, part: SearchPart) {
        match part {
            SearchPart::Text(s) if s.is_empty() => {}
            SearchPart::Text(s) => match self.parts.last_mut() {
                Some(SearchPart::Text(prev)) => prev.push_str(&s),
                _ => self.parts.push(SearchPart::Text(s)),
            },
            other => self.parts.push(other),
        }
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[SearchPart] {
        &self.parts
    }

    /// The number of characters a match needs at least: literal characters and `?`s. Salesforce
    /// rejects terms under two characters with INVALID_SEARCH.
    pub fn min_len(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                SearchPart::Text(t) => t.chars().count(),
                SearchPart::OneChar => 1,
                SearchPart::AnyChars => 0,
            })
            .sum()
    }

    /// Writes the text escaped. A bare term also needs its spaces escaped, and a term that spells
    /// an operator (`and`, `or`, `not`) its first letter, or it would read back differently.
    fn fmt_text(&self, f: &mut fmt::Formatter<'_>, term: bool) -> fmt::Result {
        let spells_operator = matches!(self.parts.as_slice(), [SearchPart::Text(t)]
            if ["AND", "OR", "NOT"].iter().any(|op| t.eq_ignore_ascii_case(op)));
        for (i, p) in self.parts.iter().enumerate() {
            match p {
                SearchPart::Text(t) if term => {
                    for (j, c) in t.chars().enumerate() {
                        if c.is_whitespace() || (spells_operator && i == 0 && j == 0) {
                            f.write_str("\\")?;
                        }
                        write_sosl_escaped(f, c.encode_utf8(&mut [0; 4]))?;
                    }
                }
                SearchPart::Text(t) => write_sosl_escaped(f, t)?,
                SearchPart::AnyChars => f.write_str("*")?,
                SearchPart::OneChar => f.write_str("?")?,
            }
        }
        Ok(())
    }
}

/// `IN ... FIELDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SearchGroup {
    /// ALL FIELDS
    #[serde(rename = "ALL")]
    All,
    /// NAME FIELDS
    #[serde(rename = "NAME")]
    Name,
    /// EMAIL FIELDS
    #[serde(rename = "EMAIL")]
    Email,
    /// PHONE FIELDS
    #[serde(rename = "PHONE")]
    Phone,
    /// SIDEBAR FIELDS
    #[serde(rename = "SIDEBAR")]
    Sidebar,
}

impl fmt::Display for SearchGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SearchGroup::All => "ALL",
            SearchGroup::Name => "NAME",
            SearchGroup::Email => "EMAIL",
            SearchGroup::Phone => "PHONE",
            SearchGroup::Sidebar => "SIDEBAR",
        })
    }
}

/// `Account(Id, Name WHERE ... ORDER BY ... LIMIT n)` after RETURNING.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturningObject {
    /// The object's API name.
    pub sobject: String,
    /// The fields; empty means only Ids (no parentheses printed).
    pub fields: Vec<SelectItem>,
    /// WHERE inside the object spec.
    #[serde(rename = "where")]
    pub where_clause: Option<Condition>,
    /// `USING ListView = name`.
    pub list_view: Option<String>,
    /// ORDER BY inside the object spec.
    pub order_by: Vec<OrderByItem>,
    /// LIMIT for this object.
    pub limit: Option<RowCount>,
    /// OFFSET for this object (at most 2,000).
    pub offset: Option<RowCount>,
}

impl ReturningObject {
    /// `sobject(fields...)` with no other clause.
    pub fn new(sobject: &str, fields: Vec<SelectItem>) -> Self {
        ReturningObject {
            sobject: sobject.to_owned(),
            fields,
            where_clause: None,
            list_view: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
        }
    }
}

impl fmt::Display for ReturningObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sobject)?;
        if self.fields.is_empty() {
            return Ok(());
        }
        f.write_str("(")?;
        write_list(f, &self.fields)?;
        if let Some(w) = &self.where_clause {
            write!(f, " WHERE {w}")?;
        }
        if let Some(v) = &self.list_view {
            write!(f, " USING ListView = {v}")?;
        }
        if !self.order_by.is_empty() {
            f.write_str(" ORDER BY ")?;
            write_list(f, &self.order_by)?;
        }
        if let Some(l) = &self.limit {
            write!(f, " LIMIT {l}")?;
        }
        if let Some(o) = &self.offset {
            write!(f, " OFFSET {o}")?;
        }
        f.write_str(")")
    }
}

/// One WITH clause of a search.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "value")]
pub enum SearchWith {
    /// `WITH DIVISION = 'name'`.
    Division(Value),
    /// `WITH DATA CATEGORY ...`.
    DataCategory(Vec<DataCategoryFilter>),
    /// `WITH SNIPPET` or `WITH SNIPPET (target_length = n)`.
    Snippet(Option<u64>),
    /// `WITH NETWORK = 'id'` or `WITH NETWORK IN ('id', ...)`.
    Network(NetworkFilter),
    /// `WITH PricebookId = 'id'`.
    PricebookId(Value),
    /// `WITH METADATA = 'LABELS'`.
    Metadata(Value),
    /// `WITH HIGHLIGHT`.
    Highlight,
    /// `WITH SPELL_CORRECTION = true|false`.
    SpellCorrection(bool),
    /// `WITH SECURITY_ENFORCED`.
    SecurityEnforced,
    /// `WITH USER_MODE` (Apex).
    UserMode,
    /// `WITH SYSTEM_MODE` (Apex).
    SystemMode,
}

impl fmt::Display for SearchWith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchWith::Division(v) => write!(f, "DIVISION = {v}"),
            SearchWith::DataCategory(filters) => write_data_categories(f, filters),
            SearchWith::Snippet(None) => f.write_str("SNIPPET"),
            SearchWith::Snippet(Some(n)) => write!(f, "SNIPPET (target_length = {n})"),
            SearchWith::Network(NetworkFilter::Eq(v)) => write!(f, "NETWORK = {v}"),
            SearchWith::Network(NetworkFilter::In(values)) => {
                f.write_str("NETWORK IN (")?;
                write_list(f, values)?;
                f.write_str(")")
            }
            SearchWith::PricebookId(v) => write!(f, "PricebookId = {v}"),
            SearchWith::Metadata(v) => write!(f, "METADATA = {v}"),
            SearchWith::Highlight => f.write_str("HIGHLIGHT"),
            SearchWith::SpellCorrection(b) => {
                write!(
                    f,
                    "SPELL_CORRECTION = {}",
                    if *b { "TRUE" } else { "FALSE" }
                )
            }
            SearchWith::SecurityEnforced => f.write_str("SECURITY_ENFORCED"),
            SearchWith::UserMode => f.write_str("USER_MODE"),
            SearchWith::SystemMode => f.write_str("SYSTEM_MODE"),
        }
    }
}

/// The forms of `WITH NETWORK`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "op", content = "value")]
pub enum NetworkFilter {
    /// `= 'id'`
    Eq(Value),
    /// `IN ('id', ...)`
    In(Vec<Value>),
}
