//! SOQL execution: parse with sfkit-soql, plan and compile to SQLite, run, and write the rows as
//! Salesforce's JSON. A query runs as one statement; the first batch of rows becomes JSON and
//! the rest are kept as row ids behind a query locator, fetched a batch at a time by a second
//! statement that joins on those ids. Child subqueries run as one statement per batch of
//! parents; a parent's children past `shape::CHILD_BATCH` go behind a locator of their own,
//! as Salesforce pages them.
//!
//! The modules, in the order a query meets them:
//!
//! * `execute`: the entry points (run a query, fetch a later batch, describe its columns, run a
//!   SOSL search's RETURNING spec) and the pages they answer with.
//! * `limits`: Salesforce's limits on a query and SQLite's on the statements it becomes.
//! * `plan_cache`: compiled queries by text, so a repeated query skips parsing and planning.
//! * `plan`: a parsed query to one statement for its records and one per child subquery;
//!   `select` plans the SELECT list's items.
//! * `compile`: the compiler's core (names resolved against the schema, parent paths as LEFT
//!   JOINs, expressions as SQL over bound parameters); `calls` compiles function calls and
//!   `conditions` WHERE and HAVING.
//! * `aggregate`: GROUP BY, ROLLUP, CUBE and COUNT() queries and their `AggregateResult` rows.
//! * `shape` and `json`: rows to records, nested as Salesforce nests them, written as JSON text.
//! * `columns`: the column metadata of `columns=true`, without running the query.
//! * `errors`: Salesforce's error answers, with the caret pointed at the name that failed.
//! * `functions`: the SQL functions the statements call; `dates`: date literals' ranges.

mod aggregate;
mod calls;
mod columns;
mod compile;
mod conditions;
pub(crate) mod dates;
mod errors;
mod execute;
mod functions;
mod json;
mod limits;
mod plan;
mod plan_cache;
mod select;
mod shape;

pub(crate) use compile::Env;
pub(crate) use errors::parse_error_message;
pub(crate) use execute::{Overflow, SearchMatch, columns, execute, fetch, search};
pub(crate) use functions::register_functions;
pub(crate) use plan::Plan;
pub(crate) use plan_cache::PlanCache;
