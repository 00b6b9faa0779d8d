//! The actions, by family. Each family's file holds, for each of its actions, the definition
//! (name, description, parameters, output schema, effect) and, beside it, what running it does,
//! as ripgrep keeps a flag's name, docs and behaviour together: adding an action touches its
//! family's file only.
//!
//! - `records`: get/create/update/delete of each standard object (getAccount, createLead,
//!   ...) and of any object (getRecord, ..., upsertRecord);
//! - `lists`: each standard object's list (listAccounts, with filters) and full-text search
//!   (searchAccounts), paged by keyset;
//! - `leads`: convertLead, and what createLead and updateLead do about a lead's status;
//! - `opportunities`: closeOpportunity;
//! - `query`: query (SOQL) and search (SOSL), as the caller writes them;
//! - `org`: describeObject, listObjects, getLimits.
//!
//! The catalog is `all` of them, in a fixed order; running one is a call of its behaviour
//! (`Action::run`) once its parameters are checked.

mod leads;
mod lists;
mod opportunities;
mod org;
mod query;
mod records;

use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use sfkit_soql::FieldPath;

use crate::cursor::Cursors;
use crate::entities::{ALL, Entity};
use crate::error::ActionError;
use crate::params::{self, Checked, Kind, Param};

/// What actions run against.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The Salesforce client.
    pub client: sfkit_client::Client,
    /// Seals the cursors handed out, bound to this caller.
    pub cursors: Cursors,
}

/// Every action, in a stable order: each standard object's own, then the others by family.
pub(crate) fn all() -> Vec<Action> {
    let mut all = Vec::new();
    for e in ALL.iter().copied() {
        all.extend(records::for_entity(e));
        all.extend(lists::for_entity(e));
    }
    all.extend(leads::actions());
    all.extend(opportunities::actions());
    all.extend(query::actions());
    all.extend(records::actions());
    all.extend(org::actions());
    all
}

/// The object parameter of the actions that work on any object.
const SOBJECT: Param = Param::req(
    "sobject",
    Kind::String,
    "the object's API name (Account, Invoice__c, ...)",
);

/// The `sobject` parameter, which must be one API name (not a path).
fn sobject_param(c: &Checked) -> Result<&str, ActionError> {
    let s = c.required("sobject")?;
    if FieldPath::parse(s)
        .map(|p| p.segments.len() == 1)
        .unwrap_or(false)
    {
        Ok(s)
    } else {
        Err(ActionError::invalid(
            "INVALID_TYPE",
            format!("{s:?} is not an object API name"),
            vec!["sobject".into()],
        ))
    }
}

/// The cursor parameter of the actions that page.
const CURSOR: Param = Param::opt(
    "cursor",
    Kind::String,
    "the nextCursor of the previous page",
);

/// What running an action does to the org, as clients are told it (MCP's annotations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Changes nothing: reads, lists, queries, describes.
    Reads,
    /// Only adds records; running it twice adds twice.
    Adds,
    /// Overwrites or removes what is there; running it twice is running it once (updates,
    /// deletes, upserts, closings).
    Changes,
    /// Overwrites, and running it twice is not running it once (conversions).
    Converts,
}

/// The answer an action's behaviour gives, in time.
type Answer<'a> = BoxFuture<'a, Result<Value, ActionError>>;

/// One run of an action.
#[derive(Clone, Copy)]
struct Call<'a> {
    /// What it runs against.
    ctx: &'a Ctx,
    /// The action's name: the cursors it hands out are sealed to it.
    action: &'a str,
    /// Its checked parameters.
    params: &'a Checked,
}

/// What running an action does.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Runs on its parameters.
    Plain(for<'a> fn(Call<'a>) -> Answer<'a>),
    /// Runs on one standard object (getAccount, listLeads, ...).
    OnEntity(
        &'static Entity,
        for<'a> fn(Call<'a>, &'static Entity) -> Answer<'a>,
    ),
}

impl std::fmt::Debug for Behaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Behaviour::Plain(_) => f.write_str("Plain"),
            Behaviour::OnEntity(e, _) => f.debug_tuple("OnEntity").field(&e.sobject).finish(),
        }
    }
}

/// One action: its definition and what running it does.
#[derive(Debug, Clone)]
pub struct Action {
    name: String,
    description: String,
    params: Vec<Param>,
    api_fields: bool,
    effect: Effect,
    output: Value,
    behaviour: Behaviour,
}

impl Action {
    /// The name, as the spec gives it (`createLead`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it does.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Its parameters.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// True when it also takes Salesforce fields by API name (creates and updates).
    pub fn takes_api_fields(&self) -> bool {
        self.api_fields
    }

    /// True when it changes nothing in Salesforce.
    pub fn read_only(&self) -> bool {
        self.effect == Effect::Reads
    }

    /// True when it may overwrite or remove what is there (updates, deletes, conversions);
    /// false for reads and for creates, which only add.
    pub fn destructive(&self) -> bool {
        matches!(self.effect, Effect::Changes | Effect::Converts)
    }

    /// True when running it twice with the same parameters has the effect of running it once
    /// (reads, updates, deletes, upserts); creates and conversions are not.
    pub fn idempotent(&self) -> bool {
        !matches!(self.effect, Effect::Adds | Effect::Converts)
    }

    /// A title for people: `createLead` → "Create lead".
    pub fn title(&self) -> String {
        let mut out = String::with_capacity(self.name.len() + 4);
        for (i, c) in self.name.chars().enumerate() {
            if i == 0 {
                out.extend(c.to_uppercase());
            } else if c.is_ascii_uppercase() {
                out.push(' ');
                out.extend(c.to_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The JSON Schema of its parameters.
    pub fn input_schema(&self) -> Value {
        params::schema(&self.params, self.api_fields)
    }

    /// The JSON Schema of its output.
    pub fn output_schema(&self) -> Value {
        self.output.clone()
    }

    /// `{name, description, readOnly, inputSchema, outputSchema}`.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "readOnly": self.read_only(),
            "inputSchema": self.input_schema(),
            "outputSchema": self.output_schema(),
        })
    }

    /// Runs the action on parameters already checked against [`Action::params`].
    pub(crate) async fn run(&self, ctx: &Ctx, params: &Checked) -> Result<Value, ActionError> {
        let call = Call {
            ctx,
            action: &self.name,
            params,
        };
        match self.behaviour {
            Behaviour::Plain(run) => run(call).await,
            Behaviour::OnEntity(e, run) => run(call, e).await,
        }
    }

    /// An action that runs `run` on its parameters; it takes none until [`Action::with`].
    fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        effect: Effect,
        run: for<'a> fn(Call<'a>) -> Answer<'a>,
    ) -> Self {
        Self::with_behaviour(name, description, effect, Behaviour::Plain(run))
    }

    /// An action of the standard object `e` that runs `run` on it.
    fn on_entity(
        e: &'static Entity,
        name: impl Into<String>,
        description: impl Into<String>,
        effect: Effect,
        run: for<'a> fn(Call<'a>, &'static Entity) -> Answer<'a>,
    ) -> Self {
        Self::with_behaviour(name, description, effect, Behaviour::OnEntity(e, run))
    }

    fn with_behaviour(
        name: impl Into<String>,
        description: impl Into<String>,
        effect: Effect,
        behaviour: Behaviour,
    ) -> Self {
        Action {
            name: name.into(),
            description: description.into(),
            params: Vec::new(),
            api_fields: false,
            effect,
            output: json!({"type": "object"}),
            behaviour,
        }
    }

    /// Adds parameters, in order.
    fn with(mut self, params: impl IntoIterator<Item = Param>) -> Self {
        self.params.extend(params);
        self
    }

    /// Also takes Salesforce fields by API name.
    fn api_fields(mut self) -> Self {
        self.api_fields = true;
        self
    }

    /// The JSON Schema of what it answers.
    fn output(mut self, schema: Value) -> Self {
        self.output = schema;
        self
    }
}
