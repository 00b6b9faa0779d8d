//! The typed syntax tree of SOQL and SOSL.
//!
//! Every node derives `Debug, Clone, PartialEq, Eq, Hash` and `Serialize` (the JSON that
//! `sfkit soql parse --json` prints), and implements `Display` as canonical source text: keywords
//! in upper case, one space between tokens, `, ` between list items, parentheses exactly where
//! Salesforce requires them. For every query `q` that parses, `parse(print(parse(q))) ==
//! parse(q)`.
//!
//! Names (objects, fields, aliases) keep the case they were written in: Salesforce resolves them
//! case-insensitively against the schema, which is the executor's business, not the parser's.
//!
//! Field paths, FROM names, TYPEOF relationships and literal arguments also keep where they were
//! written (a [`crate::Span`]), for the executor's own errors; equality, hashing and the JSON
//! ignore it, so the round trip above holds.

mod expr;
mod path;
mod query;
mod search;
mod value;

pub use expr::{
    CompareOp, Condition, Expr, Function, FunctionCall, FunctionKind, InOperand, IncludesOp,
    LikeOperand, LikePart, LikePattern, Predicate,
};
pub use path::FieldPath;
pub use query::{
    CategorySelector, DataCategoryFilter, FieldsGroup, ForClause, FromClause, GroupBy, GroupByKind,
    NullsOrder, OrderByItem, Query, RelatedAlias, RowCount, SelectItem, SortDirection, TypeOf,
    TypeOfWhen, UpdateClause, WithClause, WithParam,
};
pub use search::{
    FindClause, NetworkFilter, ReturningObject, Search, SearchExpr, SearchGroup, SearchPart,
    SearchText, SearchWith,
};
pub use value::{BindVariable, CurrencyLiteral, DateLiteral, DateTimeLiteral, Number, Value};
