//! The SOQL statement and its clauses.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::Serialize;

use super::expr::write_list;
use super::{Condition, Expr, FieldPath, Value, value::BindVariable};
use crate::{Error, Span};

/// A SOQL query: the top-level statement, a child-relationship subquery in a SELECT list, or
/// the subquery of a semi-join or anti-join. Clauses appear in Salesforce's fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Query {
    /// The SELECT list, never empty.
    pub select: Vec<SelectItem>,
    /// The FROM clause.
    pub from: FromClause,
    /// `USING SCOPE scope` (`mine`, `everything`, `team`, a named scoping rule, ...).
    pub using_scope: Option<String>,
    /// The WHERE condition.
    #[serde(rename = "where")]
    pub where_clause: Option<Condition>,
    /// The WITH clauses, in source order.
    pub with: Vec<WithClause>,
    /// GROUP BY, with ROLLUP or CUBE.
    pub group_by: Option<GroupBy>,
    /// HAVING; only present with GROUP BY.
    pub having: Option<Condition>,
    /// ORDER BY keys, in order; empty when absent.
    pub order_by: Vec<OrderByItem>,
    /// LIMIT.
    pub limit: Option<RowCount>,
    /// OFFSET (at most 2,000 in Salesforce; the parser keeps whatever non-negative integer was
    /// written and leaves the range check to the executor, which answers
    /// NUMBER_OUTSIDE_VALID_RANGE as Salesforce does).
    pub offset: Option<RowCount>,
    /// FOR VIEW, FOR REFERENCE or FOR UPDATE.
    pub for_clause: Option<ForClause>,
    /// UPDATE TRACKING or UPDATE VIEWSTAT (Knowledge articles).
    pub update: Option<UpdateClause>,
}

impl Query {
    /// A query with just SELECT and FROM; set the other clauses by assigning fields.
    pub fn new(select: Vec<SelectItem>, from: FromClause) -> Self {
        Query {
            select,
            from,
            using_scope: None,
            where_clause: None,
            with: Vec::new(),
            group_by: None,
            having: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
            for_clause: None,
            update: None,
        }
    }

    /// A query selecting `fields` (API names or dotted paths) from `sobject`, each checked to be
    /// a name SOQL can carry, so text from outside cannot smuggle syntax in. Values added later
    /// (in WHERE and so on) are escaped by the printer. The tree is the program's, so its names
    /// have no position.
    pub fn select_from<I, S>(fields: I, sobject: &str) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let select = fields
            .into_iter()
            .map(|f| {
                Ok(SelectItem::Expr {
                    expr: Expr::field(FieldPath::parse(f.as_ref())?.with_spans(Vec::new())),
                    alias: None,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let sobject = FieldPath::parse(sobject)?.with_spans(Vec::new());
        if sobject.segments.len() != 1 {
            return Err(Error::at(
                &sobject.to_string(),
                0,
                "an object API name without dots",
                crate::error::describe(&sobject.to_string()),
            ));
        }
        Ok(Query::new(
            select,
            FromClause {
                sobject,
                alias: None,
                related: Vec::new(),
            },
        ))
    }

    /// True for an aggregate query (`COUNT()`, GROUP BY, or an aggregate in the SELECT list).
    pub fn is_aggregate(&self) -> bool {
        self.group_by.is_some()
            || self.select.iter().any(|item| match item {
                SelectItem::Expr { expr, .. } => expr.is_aggregate(),
                _ => false,
            })
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        write_list(f, &self.select)?;
        write!(f, " FROM {}", self.from)?;
        if let Some(scope) = &self.using_scope {
            write!(f, " USING SCOPE {scope}")?;
        }
        if let Some(w) = &self.where_clause {
            write!(f, " WHERE {w}")?;
        }
        for w in &self.with {
            write!(f, " WITH {w}")?;
        }
        if let Some(g) = &self.group_by {
            write!(f, " GROUP BY {g}")?;
        }
        if let Some(h) = &self.having {
            write!(f, " HAVING {h}")?;
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
        if let Some(fc) = &self.for_clause {
            write!(f, " {fc}")?;
        }
        if let Some(u) = &self.update {
            write!(f, " {u}")?;
        }
        Ok(())
    }
}

/// One item of a SELECT list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum SelectItem {
    /// A field path or a function call, with an optional alias (`MAX(Amount) maxAmt`).
    Expr {
        /// The field or function.
        expr: Expr,
        /// The alias; SOQL has no `AS`.
        alias: Option<String>,
    },
    /// A child-relationship subquery: `(SELECT LastName FROM Contacts)`.
    SubQuery {
        /// The subquery; its FROM names a child relationship.
        query: Box<Query>,
    },
    /// `TYPEOF What WHEN Account THEN Phone ... ELSE Name END`.
    TypeOf(TypeOf),
    /// `FIELDS(ALL)`, `FIELDS(STANDARD)` or `FIELDS(CUSTOM)`.
    Fields {
        /// Which group.
        group: FieldsGroup,
    },
}

impl fmt::Display for SelectItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Expr { expr, alias } => {
                expr.fmt(f)?;
                if let Some(a) = alias {
                    write!(f, " {a}")?;
                }
                Ok(())
            }
            SelectItem::SubQuery { query } => write!(f, "({query})"),
            SelectItem::TypeOf(t) => t.fmt(f),
            SelectItem::Fields { group } => write!(f, "FIELDS({group})"),
        }
    }
}

/// The argument of `FIELDS()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FieldsGroup {
    /// Every field (needs LIMIT 200 or less).
    #[serde(rename = "ALL")]
    All,
    /// Standard fields.
    #[serde(rename = "STANDARD")]
    Standard,
    /// Custom fields (needs LIMIT 200 or less).
    #[serde(rename = "CUSTOM")]
    Custom,
}

impl fmt::Display for FieldsGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldsGroup::All => "ALL",
            FieldsGroup::Standard => "STANDARD",
            FieldsGroup::Custom => "CUSTOM",
        })
    }
}

/// A TYPEOF expression over a polymorphic relationship.
///
/// Equality, hashing and serialization ignore `relationship_span`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeOf {
    /// The polymorphic relationship (`What`, `Who`, `Owner`).
    pub relationship: String,
    /// Where the relationship was written; empty when built by a program.
    #[serde(skip)]
    pub relationship_span: Span,
    /// The WHEN arms, at least one.
    pub whens: Vec<TypeOfWhen>,
    /// The ELSE fields, if any.
    pub else_fields: Option<Vec<FieldPath>>,
}

impl PartialEq for TypeOf {
    fn eq(&self, other: &Self) -> bool {
        self.relationship == other.relationship
            && self.whens == other.whens
            && self.else_fields == other.else_fields
    }
}

impl Eq for TypeOf {}

impl Hash for TypeOf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.relationship.hash(state);
        self.whens.hash(state);
        self.else_fields.hash(state);
    }
}

impl fmt::Display for TypeOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TYPEOF {}", self.relationship)?;
        for w in &self.whens {
            write!(f, " WHEN {} THEN ", w.sobject)?;
            write_list(f, &w.fields)?;
        }
        if let Some(fields) = &self.else_fields {
            f.write_str(" ELSE ")?;
            write_list(f, fields)?;
        }
        f.write_str(" END")
    }
}

/// `WHEN Account THEN Phone, NumberOfEmployees`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeOfWhen {
    /// The object type this arm applies to.
    pub sobject: String,
    /// The fields selected for that type.
    pub fields: Vec<FieldPath>,
}

/// The FROM clause: an object (or, in a subquery, a relationship path) with an optional alias,
/// and the old alias notation's extra relationships (`FROM Contact c, c.Account a`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FromClause {
    /// The object's API name, or a child relationship path in a subquery.
    pub sobject: FieldPath,
    /// Its alias.
    pub alias: Option<String>,
    /// Further `path alias` items after commas.
    pub related: Vec<RelatedAlias>,
}

impl fmt::Display for FromClause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.sobject.fmt(f)?;
        if let Some(a) = &self.alias {
            write!(f, " {a}")?;
        }
        for r in &self.related {
            write!(f, ", {}", r.path)?;
            if let Some(a) = &r.alias {
                write!(f, " {a}")?;
            }
        }
        Ok(())
    }
}

/// One `c.Account a` item of the alias notation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelatedAlias {
    /// The relationship path.
    pub path: FieldPath,
    /// Its alias.
    pub alias: Option<String>,
}

/// One WITH clause.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum WithClause {
    /// `WITH SECURITY_ENFORCED`.
    SecurityEnforced,
    /// `WITH USER_MODE`.
    UserMode,
    /// `WITH SYSTEM_MODE`.
    SystemMode,
    /// `WITH DATA CATEGORY Geography__c AT usa__c AND ...`.
    DataCategory {
        /// The filters, joined by AND.
        filters: Vec<DataCategoryFilter>,
    },
    /// `WITH RecordVisibilityContext (maxDescriptorPerRecord=100, ...)`.
    RecordVisibilityContext {
        /// The parameters, in order.
        params: Vec<WithParam>,
    },
    /// A filtering expression such as `WITH UserId = '005...'` (UserProfileFeed).
    Filter {
        /// The field name.
        field: String,
        /// The value.
        value: Value,
    },
}

impl fmt::Display for WithClause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WithClause::SecurityEnforced => f.write_str("SECURITY_ENFORCED"),
            WithClause::UserMode => f.write_str("USER_MODE"),
            WithClause::SystemMode => f.write_str("SYSTEM_MODE"),
            WithClause::DataCategory { filters } => write_data_categories(f, filters),
            WithClause::RecordVisibilityContext { params } => {
                f.write_str("RecordVisibilityContext (")?;
                write_list(f, params)?;
                f.write_str(")")
            }
            WithClause::Filter { field, value } => write!(f, "{field} = {value}"),
        }
    }
}

/// `name=value` inside `WITH RecordVisibilityContext (...)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithParam {
    /// Parameter name.
    pub name: String,
    /// Parameter value.
    pub value: Value,
}

impl fmt::Display for WithParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

/// `Geography__c AT (usa__c, uk__c)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataCategoryFilter {
    /// The data category group.
    pub group: String,
    /// AT, ABOVE, BELOW or ABOVE_OR_BELOW.
    pub selector: CategorySelector,
    /// The categories; one prints bare, several in parentheses.
    pub categories: Vec<String>,
}

impl fmt::Display for DataCategoryFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.group, self.selector)?;
        match self.categories.as_slice() {
            [one] => f.write_str(one),
            many => {
                f.write_str("(")?;
                write_list(f, many)?;
                f.write_str(")")
            }
        }
    }
}

pub(crate) fn write_data_categories(
    f: &mut fmt::Formatter<'_>,
    filters: &[DataCategoryFilter],
) -> fmt::Result {
    f.write_str("DATA CATEGORY ")?;
    for (i, filter) in filters.iter().enumerate() {
        if i > 0 {
            f.write_str(" AND ")?;
        }
        fmt::Display::fmt(filter, f)?;
    }
    Ok(())
}

/// The data category selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CategorySelector {
    /// `AT`
    #[serde(rename = "AT")]
    At,
    /// `ABOVE`
    #[serde(rename = "ABOVE")]
    Above,
    /// `BELOW`
    #[serde(rename = "BELOW")]
    Below,
    /// `ABOVE_OR_BELOW`
    #[serde(rename = "ABOVE_OR_BELOW")]
    AboveOrBelow,
}

impl fmt::Display for CategorySelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CategorySelector::At => "AT",
            CategorySelector::Above => "ABOVE",
            CategorySelector::Below => "BELOW",
            CategorySelector::AboveOrBelow => "ABOVE_OR_BELOW",
        })
    }
}

/// GROUP BY with its grouping kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupBy {
    /// Plain, ROLLUP or CUBE.
    pub kind: GroupByKind,
    /// The grouping keys (fields or date functions).
    pub keys: Vec<Expr>,
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            GroupByKind::Plain => write_list(f, &self.keys),
            GroupByKind::Rollup | GroupByKind::Cube => {
                f.write_str(if self.kind == GroupByKind::Rollup {
                    "ROLLUP("
                } else {
                    "CUBE("
                })?;
                write_list(f, &self.keys)?;
                f.write_str(")")
            }
        }
    }
}

/// How GROUP BY groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum GroupByKind {
    /// `GROUP BY a, b`
    Plain,
    /// `GROUP BY ROLLUP(a, b)`: subtotals.
    Rollup,
    /// `GROUP BY CUBE(a, b)`: subtotals for every combination.
    Cube,
}

/// One ORDER BY key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderByItem {
    /// Field, aggregate, date function or DISTANCE.
    pub expr: Expr,
    /// ASC or DESC as written; `None` means the default (ascending).
    pub direction: Option<SortDirection>,
    /// NULLS FIRST or NULLS LAST as written; `None` means Salesforce's default.
    pub nulls: Option<NullsOrder>,
}

impl fmt::Display for OrderByItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)?;
        match self.direction {
            Some(SortDirection::Asc) => f.write_str(" ASC")?,
            Some(SortDirection::Desc) => f.write_str(" DESC")?,
            None => {}
        }
        match self.nulls {
            Some(NullsOrder::First) => f.write_str(" NULLS FIRST"),
            Some(NullsOrder::Last) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

/// ASC or DESC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SortDirection {
    /// Ascending.
    #[serde(rename = "ASC")]
    Asc,
    /// Descending.
    #[serde(rename = "DESC")]
    Desc,
}

/// NULLS FIRST or NULLS LAST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum NullsOrder {
    /// Nulls before values.
    #[serde(rename = "FIRST")]
    First,
    /// Nulls after values.
    #[serde(rename = "LAST")]
    Last,
}

/// A LIMIT or OFFSET count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum RowCount {
    /// A non-negative integer.
    Literal(u64),
    /// An Apex bind.
    Bind(BindVariable),
}

impl fmt::Display for RowCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowCount::Literal(n) => n.fmt(f),
            RowCount::Bind(b) => b.fmt(f),
        }
    }
}

/// FOR VIEW, FOR REFERENCE or FOR UPDATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ForClause {
    /// `FOR VIEW`: updates LastViewedDate.
    #[serde(rename = "VIEW")]
    View,
    /// `FOR REFERENCE`: updates LastReferencedDate.
    #[serde(rename = "REFERENCE")]
    Reference,
    /// `FOR UPDATE`: locks the rows (Apex).
    #[serde(rename = "UPDATE")]
    Update,
}

impl fmt::Display for ForClause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ForClause::View => "FOR VIEW",
            ForClause::Reference => "FOR REFERENCE",
            ForClause::Update => "FOR UPDATE",
        })
    }
}

/// UPDATE TRACKING or UPDATE VIEWSTAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum UpdateClause {
    /// `UPDATE TRACKING`: reports Knowledge article searches.
    #[serde(rename = "TRACKING")]
    Tracking,
    /// `UPDATE VIEWSTAT`: updates an article's view statistics.
    #[serde(rename = "VIEWSTAT")]
    Viewstat,
}

impl fmt::Display for UpdateClause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UpdateClause::Tracking => "UPDATE TRACKING",
            UpdateClause::Viewstat => "UPDATE VIEWSTAT",
        })
    }
}
