//! sfkit's action catalog: every action of the integration spec (getAccount, createLead,
//! convertLead, closeOpportunity, query, ...), shared by the CLI, the HTTP server and MCP.
//!
//! Each action is data: a name, a description, its parameters ([`Param`]) and an output
//! schema. The same parameter definitions check the input and produce the JSON Schema clients
//! read, so the two cannot disagree. Running an action checks every parameter first (missing,
//! unknown, wrongly typed or out of range: a Salesforce-shaped error and no call), then makes
//! its calls through `sfkit-client`. Lists and searches build SOQL and SOSL as sfkit-soql
//! trees: user text only ever reaches a query as an escaped literal. Outputs carry API field
//! names without `attributes`; errors are [`ActionError`] (`code`, `message`, `fields`,
//! `retryable`).
//!
//! Paging is where integrations lose records, so a `nextCursor` carries the whole listing it
//! continues (filters, order, page size, position), sealed and bound to whoever received it
//! ([`Cursors`]): a cursor alone continues exactly that listing, and a cursor with other
//! parameters, another caller's cursor or an altered one is `INVALID_CURSOR`.

mod catalog;
mod cursor;
pub mod entities;
mod error;
pub mod params;
mod run;

use serde_json::Value;

pub use catalog::Action;
pub use cursor::{Cursors, KeySource};
pub use error::{ActionError, Origin};
pub use params::{Kind, Param};
pub use run::{Ctx, strip_attributes};

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
            actions: catalog::build(),
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
        run::run(action, ctx, checked).await
    }
}
