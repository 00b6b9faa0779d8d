//! The catalog: every action by name, its parameters, schemas, and what running it does.
//! Actions of the standard objects are made from [`crate::entities`]; the others are listed
//! here by hand.

use serde_json::{Value, json};

use crate::entities::{ALL, Entity};
use crate::params::{self, Kind, Param};

/// What an action does when run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    Get(&'static Entity),
    Create(&'static Entity),
    Update(&'static Entity),
    Delete(&'static Entity),
    List(&'static Entity),
    Search(&'static Entity),
    ConvertLead,
    CloseOpportunity,
    Query,
    Sosl,
    GetRecord,
    CreateRecord,
    UpdateRecord,
    DeleteRecord,
    UpsertRecord,
    DescribeObject,
    ListObjects,
    GetLimits,
}

/// One action.
#[derive(Debug, Clone)]
pub struct Action {
    name: String,
    description: String,
    params: Vec<Param>,
    api_fields: bool,
    read_only: bool,
    output: Value,
    pub(crate) op: Op,
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
        self.read_only
    }

    /// True when it may overwrite or remove what is there (updates, deletes, conversions);
    /// false for reads and for creates, which only add.
    pub fn destructive(&self) -> bool {
        matches!(
            self.op,
            Op::Update(_)
                | Op::Delete(_)
                | Op::UpdateRecord
                | Op::DeleteRecord
                | Op::UpsertRecord
                | Op::ConvertLead
                | Op::CloseOpportunity
        )
    }

    /// True when running it twice with the same parameters has the effect of running it once
    /// (reads, updates, deletes, upserts); creates and conversions are not.
    pub fn idempotent(&self) -> bool {
        !matches!(self.op, Op::Create(_) | Op::CreateRecord | Op::ConvertLead)
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
            "readOnly": self.read_only,
            "inputSchema": self.input_schema(),
            "outputSchema": self.output_schema(),
        })
    }
}

const ID_PARAM: Param = Param::req("id", Kind::Id, "the record's id");
const SOBJECT: Param = Param::req(
    "sobject",
    Kind::String,
    "the object's API name (Account, Invoice__c, ...)",
);
const FIELDS: Param = Param::req(
    "fields",
    Kind::Fields,
    "the record's fields by API name, e.g. {\"Name\": \"Acme\", \"Custom__c\": 5}",
);
const FIELD_LIST: Param = Param::opt(
    "fields",
    Kind::StringList,
    "API names of the fields to return (default: all)",
);
const LIMIT: Param = Param::opt(
    "limit",
    Kind::Integer {
        min: Some(1),
        max: Some(2000),
    },
    "records per page, 1 to 2,000 (default 100)",
);
const CURSOR: Param = Param::opt(
    "cursor",
    Kind::String,
    "the nextCursor of the previous page",
);

fn record_schema(what: &str) -> Value {
    json!({
        "type": "object",
        "description": format!("{what}: Salesforce API field names to values"),
        "additionalProperties": true
    })
}

fn save_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"id": {"type": "string"}, "success": {"type": "boolean"}},
        "required": ["id", "success"]
    })
}

fn page_schema(what: &str) -> Value {
    json!({
        "type": "object",
        "properties": {
            "records": {"type": "array", "items": record_schema(what)},
            "totalSize": {"type": "integer", "description": "records matching in all pages (counted once, on the first page)"},
            "done": {"type": "boolean", "description": "no more pages"},
            "nextCursor": {"type": ["string", "null"], "description": "pass as cursor for the next page"}
        },
        "required": ["records", "totalSize", "done", "nextCursor"]
    })
}

impl Action {
    fn new(name: impl Into<String>, description: impl Into<String>, op: Op) -> Self {
        Action {
            name: name.into(),
            description: description.into(),
            params: Vec::new(),
            api_fields: false,
            read_only: true,
            output: json!({"type": "object"}),
            op,
        }
    }

    fn with(mut self, params: impl IntoIterator<Item = Param>) -> Self {
        self.params.extend(params);
        self
    }

    fn writes(mut self) -> Self {
        self.read_only = false;
        self
    }

    fn api_fields(mut self) -> Self {
        self.api_fields = true;
        self
    }

    fn output(mut self, schema: Value) -> Self {
        self.output = schema;
        self
    }
}

/// The names a list's `orderBy` takes, from the entity's orders: made once per entity (the
/// parameter's enum needs a `'static` list) and kept for the process's life.
fn order_names(e: &'static Entity) -> &'static [&'static str] {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashMap<&'static str, &'static [&'static str]>>> = OnceLock::new();
    let mut map = NAMES
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(e.sobject).or_insert_with(|| {
        let names: Vec<&'static str> = e.orders.iter().map(|o| o.name).collect();
        Box::leak(names.into_boxed_slice())
    })
}

fn entity_actions(e: &'static Entity) -> Vec<Action> {
    let mut out = vec![
        Action::new(
            format!("get{}", e.noun),
            format!("Reads one {} by id, every field (or those named).", e.sobject),
            Op::Get(e),
        )
        .with([ID_PARAM, FIELD_LIST])
        .output(record_schema(e.sobject)),
        Action::new(
            format!("create{}", e.noun),
            format!(
                "Creates a {}. Takes the parameters below and any other field by its API name.",
                e.sobject
            ),
            Op::Create(e),
        )
        .with(e.fields.iter().copied())
        .api_fields()
        .writes()
        .output(save_schema()),
        Action::new(
            format!("update{}", e.noun),
            format!(
                "Updates a {}: the fields given, by parameter or API name; others stay as they are.",
                e.sobject
            ),
            Op::Update(e),
        )
        .with([ID_PARAM])
        .with(e.fields.iter().map(|p| p.optional()))
        .api_fields()
        .writes()
        .output(save_schema()),
    ];
    out.push(
        Action::new(
            format!("delete{}", e.noun),
            format!("Deletes a {} (to the recycle bin).", e.sobject),
            Op::Delete(e),
        )
        .with([ID_PARAM])
        .writes()
        .output(save_schema()),
    );
    let order_names = order_names(e);
    out.push(
        Action::new(
            format!("list{}", e.plural),
            format!(
                "Lists {} matching the filters given (all of them must match), one page at a time.",
                e.plural
            ),
            Op::List(e),
        )
        .with(e.filters.iter().map(|f| f.param))
        .with([
            Param::opt("orderBy", Kind::Enum(order_names), "the field to order by"),
            Param::opt(
                "orderDirection",
                Kind::Enum(&["asc", "desc"]),
                "asc (default) or desc",
            ),
            LIMIT,
            CURSOR,
            Param::opt(
                "fields",
                Kind::StringList,
                "API names of the fields to return (default: the usual ones; Id and the order's field always come)",
            ),
            Param::opt(
                "all",
                Kind::Boolean,
                "every matching record in one answer (pages of 2,000 underneath; at most 50,000), instead of one page",
            ),
        ])
        .output(page_schema(e.sobject)),
    );
    if e.search {
        out.push(
            Action::new(
                format!("search{}", e.plural),
                format!(
                    "Full-text search (SOSL) for {} whose fields contain the term.",
                    e.plural
                ),
                Op::Search(e),
            )
            .with([
                Param::opt(
                    "query",
                    Kind::String,
                    "the term to search for (2 characters or more); required without a cursor",
                ),
                Param::opt(
                    "limit",
                    Kind::Integer {
                        min: Some(1),
                        max: Some(2000),
                    },
                    "records per page, 1 to 2,000 (default 25)",
                ),
                CURSOR,
            ])
            .output(page_schema(e.sobject)),
        );
    }
    out
}

/// Every action, in a stable order.
pub(crate) fn build() -> Vec<Action> {
    let mut all: Vec<Action> = ALL.iter().flat_map(|e| entity_actions(e)).collect();
    all.extend([
        Action::new(
            "convertLead",
            "Converts a lead into an account, a contact and (unless told not to) an opportunity.",
            Op::ConvertLead,
        )
        .with([
            Param::req("leadId", Kind::Id, "the lead"),
            Param::opt(
                "convertedStatus",
                Kind::String,
                "the converted lead status (default: the org's converted status)",
            ),
            Param::opt("accountId", Kind::Id, "merge into this account"),
            Param::opt("contactId", Kind::Id, "merge into this contact"),
            Param::opt("opportunityName", Kind::String, "the new opportunity's name"),
            Param::opt("doNotCreateOpportunity", Kind::Boolean, "create no opportunity"),
            Param::opt("ownerId", Kind::Id, "the owner of the new records"),
            Param::opt(
                "overwriteLeadSource",
                Kind::Boolean,
                "replace the contact's lead source with the lead's",
            ),
            Param::opt("sendNotificationEmail", Kind::Boolean, "email the new owner"),
        ])
        .writes()
        .output(json!({
            "type": "object",
            "properties": {
                "leadId": {"type": "string"}, "accountId": {"type": "string"},
                "contactId": {"type": "string"}, "opportunityId": {"type": ["string", "null"]},
                "success": {"type": "boolean"}
            }
        })),
        Action::new(
            "closeOpportunity",
            "Closes an opportunity as won or lost, with the org's own closed stage.",
            Op::CloseOpportunity,
        )
        .with([
            Param::req("opportunityId", Kind::Id, "the opportunity"),
            Param::req("outcome", Kind::Enum(&["won", "lost"]), "won or lost"),
            Param::opt("closeDate", Kind::Date, "the close date (default today)"),
            Param::opt(
                "reason",
                Kind::String,
                "why: saved in reasonField, else the org's win/loss reason field (Loss_Reason__c, Win_Reason__c, ...), else as a completed task on the opportunity; the Description is left as it is",
            ),
            Param::opt(
                "reasonField",
                Kind::String,
                "the Opportunity field to save the reason in (API name)",
            ),
        ])
        .writes()
        .output(json!({
            "type": "object",
            "properties": {
                "id": {"type": "string"}, "success": {"type": "boolean"},
                "stageName": {"type": "string"}, "closeDate": {"type": "string"},
                "reasonRecordedIn": {
                    "type": "object",
                    "description": "where the reason was saved: a field's name, or the task made",
                    "properties": {"field": {"type": "string"}, "taskId": {"type": "string"}}
                }
            }
        })),
        Action::new("query", "Runs a SOQL query; one page at a time.", Op::Query)
            .with([
                Param::opt(
                    "query",
                    Kind::String,
                    "the SOQL query; required without a cursor",
                ),
                Param::opt("includeDeleted", Kind::Boolean, "include deleted records (queryAll)"),
                CURSOR,
            ])
            .output(page_schema("a record")),
        Action::new("search", "Runs a SOSL search.", Op::Sosl)
            .with([Param::req("query", Kind::String, "the SOSL search")])
            .output(page_schema("a record")),
        Action::new("getRecord", "Reads any object's record by id.", Op::GetRecord)
            .with([SOBJECT, ID_PARAM, FIELD_LIST])
            .output(record_schema("the record")),
        Action::new("createRecord", "Creates a record of any object.", Op::CreateRecord)
            .with([SOBJECT, FIELDS])
            .writes()
            .output(save_schema()),
        Action::new("updateRecord", "Updates fields of any object's record.", Op::UpdateRecord)
            .with([SOBJECT, ID_PARAM, FIELDS])
            .writes()
            .output(save_schema()),
        Action::new("deleteRecord", "Deletes any object's record.", Op::DeleteRecord)
            .with([SOBJECT, ID_PARAM])
            .writes()
            .output(save_schema()),
        Action::new(
            "upsertRecord",
            "Creates or updates the record whose external id field has the given value.",
            Op::UpsertRecord,
        )
        .with([
            SOBJECT,
            Param::req("externalIdField", Kind::String, "the external id field's API name"),
            Param::req("externalId", Kind::String, "its value"),
            FIELDS,
        ])
        .writes()
        .output(json!({
            "type": "object",
            "properties": {"id": {"type": "string"}, "created": {"type": "boolean"}, "success": {"type": "boolean"}}
        })),
        Action::new(
            "describeObject",
            "An object's fields (name, label, type, required, picklist values, references).",
            Op::DescribeObject,
        )
        .with([SOBJECT])
        .output(json!({"type": "object"})),
        Action::new("listObjects", "Every object of the org.", Op::ListObjects)
            .with([Param::opt("customOnly", Kind::Boolean, "custom objects only")])
            .output(json!({"type": "object"})),
        Action::new(
            "getLimits",
            "The org's limits, with the daily API requests used and left.",
            Op::GetLimits,
        )
        .output(json!({"type": "object"})),
    ]);
    all
}
