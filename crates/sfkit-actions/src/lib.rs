//! sfkit's action catalog: every action of the integration spec (getAccount, createLead,
//! convertLead, closeOpportunity, query, ...), shared by the CLI, the HTTP server and MCP.
//!
//! Each action is data beside the code that runs it: a name, a description, its parameters
//! ([`Param`]), an output schema, what it does to the org (read, add, change), and its
//! behaviour, all in its family's file. The same parameter definitions check the input and
//! produce the JSON Schema clients read, so the two cannot disagree. Running an action checks
//! every parameter first (missing, unknown, wrongly typed or out of range: a Salesforce-shaped
//! error and no call), then calls the action's behaviour, which makes its calls through
//! `sfkit-client`. Lists and searches build SOQL and SOSL as sfkit-soql trees: user text only
//! ever reaches a query as an escaped literal. Outputs carry API field names without
//! `attributes`; errors are [`ActionError`] (`code`, `message`, `fields`, `retryable`).
//!
//! Paging is where integrations lose records, so a `nextCursor` carries the whole listing it
//! continues (filters, order, page size, position), sealed and bound to whoever received it
//! ([`Cursors`]): a cursor alone continues exactly that listing, and a cursor with other
//! parameters, another caller's cursor or an altered one is `INVALID_CURSOR`.
//!
//! # Modules
//!
//! - `actions`: the [`Action`] type, what a run gets ([`Ctx`]), and the catalog assembled from
//!   the families, one file each, every action's definition beside its behaviour:
//!   - `actions::records`: get/create/update/delete of each standard object, and of any
//!     object by API name (getRecord, ..., upsertRecord);
//!   - `actions::lists`: each standard object's list (with filters) and full-text search;
//!   - `actions::leads`: convertLead, and a lead's status on create and update;
//!   - `actions::opportunities`: closeOpportunity;
//!   - `actions::query`: query (SOQL) and search (SOSL);
//!   - `actions::org`: describeObject, listObjects, getLimits.
//! - [`entities`]: the standard objects as data (parameters, list fields, filters, orders),
//!   from which their record, list and search actions are made.
//! - [`params`]: parameter definitions, input checking and JSON Schema.
//! - `paging`: keyset paging of lists and searches (where a page resumes, in which order).
//! - `cursor`: sealing and opening cursors ([`Cursors`]).
//! - `soql`: SOQL conditions from checked values.
//! - `output`: the shapes actions answer in (record, save, page) and their schemas.
//! - `error`: [`ActionError`], the one error every action answers with.

mod actions;
mod cursor;
pub mod entities;
mod error;
mod output;
mod paging;
pub mod params;
mod soql;

use serde_json::Value;

pub use actions::{Action, Ctx};
pub use cursor::{Cursors, KeySource};
pub use error::{ActionError, Origin};
pub use output::strip_attributes;
pub use params::{Kind, Param};

/// Every action.
#[derive(Debug, Clone)]
pub struct Catalog {
    actions: Vec<Action>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

impl Catalog {
    /// The catalog.
    pub fn new() -> Self {
        Catalog {
            actions: actions::all(),
        }
    }

    /// Every action, in a stable order.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The action with this name.
    pub fn get(&self, name: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.name() == name)
    }

    /// Checks `input` and runs the action `name`.
    pub async fn run(&self, ctx: &Ctx, name: &str, input: &Value) -> Result<Value, ActionError> {
        let action = self.get(name).ok_or_else(|| {
            ActionError::invalid(
                "NOT_FOUND",
                format!("no action named {name:?}; `sfkit actions` lists them"),
                Vec::new(),
            )
        })?;
        let checked = params::check(action.params(), input, action.takes_api_fields())?;
        action.run(ctx, &checked).await
    }
}
