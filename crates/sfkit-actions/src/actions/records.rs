//! Records one at a time: get, create, update and delete of each standard object
//! (getAccount, createLead, updateOpportunity, deleteTask, ...), made from its description in
//! [`crate::entities`], and of any object by its API name (getRecord, createRecord,
//! updateRecord, deleteRecord, upsertRecord). Fields beyond the parameters are checked against
//! the object's describe before anything is written.

use serde_json::{Map, Value, json};

use super::{Action, Call, Ctx, Effect, SOBJECT, leads, sobject_param};
use crate::entities::Entity;
use crate::error::ActionError;
use crate::output::{record_schema, save_schema, saved, strip_attributes};
use crate::params::{Checked, Kind, Param};

const ID_PARAM: Param = Param::req("id", Kind::Id, "the record's id");
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

/// The record actions of the standard object `e`: get, create, update, delete.
pub(super) fn for_entity(e: &'static Entity) -> [Action; 4] {
    [
        Action::on_entity(
            e,
            format!("get{}", e.noun),
            format!("Reads one {} by id, every field (or those named).", e.sobject),
            Effect::Reads,
            |call, e| Box::pin(get(call, e)),
        )
        .with([ID_PARAM, FIELD_LIST])
        .output(record_schema(e.sobject)),
        Action::on_entity(
            e,
            format!("create{}", e.noun),
            format!(
                "Creates a {}. Takes the parameters below and any other field by its API name.",
                e.sobject
            ),
            Effect::Adds,
            |call, e| Box::pin(create(call, e)),
        )
        .with(e.fields.iter().copied())
        .api_fields()
        .output(save_schema()),
        Action::on_entity(
            e,
            format!("update{}", e.noun),
            format!(
                "Updates a {}: the fields given, by parameter or API name; others stay as they are.",
                e.sobject
            ),
            Effect::Changes,
            |call, e| Box::pin(update(call, e)),
        )
        .with([ID_PARAM])
        .with(e.fields.iter().map(|p| p.optional()))
        .api_fields()
        .output(save_schema()),
        Action::on_entity(
            e,
            format!("delete{}", e.noun),
            format!("Deletes a {} (to the recycle bin).", e.sobject),
            Effect::Changes,
            |call, e| Box::pin(delete(call, e)),
        )
        .with([ID_PARAM])
        .output(save_schema()),
    ]
}

async fn get(call: Call<'_>, e: &'static Entity) -> Result<Value, ActionError> {
    let c = call.params;
    get_record(call.ctx, e.sobject, c.required("id")?, c).await
}

async fn create(call: Call<'_>, e: &'static Entity) -> Result<Value, ActionError> {
    let Call { ctx, params: c, .. } = call;
    let mut fields = record_fields(e, c);
    check_fields(ctx, e.sobject, &c.extra_fields, true).await?;
    leads::default_status(e, &mut fields);
    let r = ctx.client.sobjects(e.sobject).create(&fields).await?;
    Ok(saved(&r.id))
}

async fn update(call: Call<'_>, e: &'static Entity) -> Result<Value, ActionError> {
    let Call { ctx, params: c, .. } = call;
    let id = c.required("id")?;
    let fields = record_fields(e, c);
    if fields.is_empty() {
        return Err(ActionError::invalid(
            "REQUIRED_FIELD_MISSING",
            "nothing to update: give at least one field",
            Vec::new(),
        ));
    }
    check_fields(ctx, e.sobject, &c.extra_fields, false).await?;
    leads::check_status(ctx, e, &fields).await?;
    ctx.client.sobjects(e.sobject).update(id, &fields).await?;
    Ok(saved(id))
}

async fn delete(call: Call<'_>, e: &'static Entity) -> Result<Value, ActionError> {
    let id = call.params.required("id")?;
    call.ctx.client.sobjects(e.sobject).delete(id).await?;
    Ok(saved(id))
}

/// The record actions of any object, named by its API name.
pub(super) fn actions() -> [Action; 5] {
    [
        Action::new(
            "getRecord",
            "Reads any object's record by id.",
            Effect::Reads,
            |call| Box::pin(get_any(call)),
        )
        .with([SOBJECT, ID_PARAM, FIELD_LIST])
        .output(record_schema("the record")),
        Action::new(
            "createRecord",
            "Creates a record of any object.",
            Effect::Adds,
            |call| Box::pin(create_any(call)),
        )
        .with([SOBJECT, FIELDS])
        .output(save_schema()),
        Action::new(
            "updateRecord",
            "Updates fields of any object's record.",
            Effect::Changes,
            |call| Box::pin(update_any(call)),
        )
        .with([SOBJECT, ID_PARAM, FIELDS])
        .output(save_schema()),
        Action::new(
            "deleteRecord",
            "Deletes any object's record.",
            Effect::Changes,
            |call| Box::pin(delete_any(call)),
        )
        .with([SOBJECT, ID_PARAM])
        .output(save_schema()),
        Action::new(
            "upsertRecord",
            "Creates or updates the record whose external id field has the given value.",
            Effect::Changes,
            |call| Box::pin(upsert_any(call)),
        )
        .with([
            SOBJECT,
            Param::req("externalIdField", Kind::String, "the external id field's API name"),
            Param::req("externalId", Kind::String, "its value"),
            FIELDS,
        ])
        .output(json!({
            "type": "object",
            "properties": {"id": {"type": "string"}, "created": {"type": "boolean"}, "success": {"type": "boolean"}}
        })),
    ]
}

async fn get_any(call: Call<'_>) -> Result<Value, ActionError> {
    let c = call.params;
    get_record(call.ctx, sobject_param(c)?, c.required("id")?, c).await
}

async fn create_any(call: Call<'_>) -> Result<Value, ActionError> {
    let Call { ctx, params: c, .. } = call;
    let sobject = sobject_param(c)?;
    let fields = fields_param(c);
    check_fields(ctx, sobject, &fields, true).await?;
    let r = ctx.client.sobjects(sobject).create(&fields).await?;
    Ok(saved(&r.id))
}

async fn update_any(call: Call<'_>) -> Result<Value, ActionError> {
    let Call { ctx, params: c, .. } = call;
    let sobject = sobject_param(c)?;
    let id = c.required("id")?;
    let fields = fields_param(c);
    check_fields(ctx, sobject, &fields, false).await?;
    ctx.client.sobjects(sobject).update(id, &fields).await?;
    Ok(saved(id))
}

async fn delete_any(call: Call<'_>) -> Result<Value, ActionError> {
    let Call { ctx, params: c, .. } = call;
    let sobject = sobject_param(c)?;
    let id = c.required("id")?;
    ctx.client.sobjects(sobject).delete(id).await?;
    Ok(saved(id))
}

async fn upsert_any(call: Call<'_>) -> Result<Value, ActionError> {
    let Call { ctx, params: c, .. } = call;
    let sobject = sobject_param(c)?;
    let fields = fields_param(c);
    check_fields(ctx, sobject, &fields, true).await?;
    let r = ctx
        .client
        .sobjects(sobject)
        .upsert(
            c.required("externalIdField")?,
            c.required("externalId")?,
            &fields,
        )
        .await?;
    Ok(json!({"id": r.id, "created": r.created, "success": true}))
}

/// Reads a record: every field, or those the `fields` parameter names.
async fn get_record(ctx: &Ctx, sobject: &str, id: &str, c: &Checked) -> Result<Value, ActionError> {
    let fields: Vec<String> = c
        .values
        .get("fields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let h = ctx.client.sobjects(sobject);
    let mut v: Value = if fields.is_empty() {
        h.get(id).await?
    } else {
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        h.get_fields(id, &names).await?
    };
    strip_attributes(&mut v);
    Ok(v)
}

/// The API fields of a create or update: mapped parameters plus extra API-named fields.
fn record_fields(e: &Entity, c: &Checked) -> Map<String, Value> {
    let mut out = Map::new();
    for p in e.fields {
        if let (Some(field), Some(v)) = (p.field, c.values.get(p.name)) {
            out.insert(field.to_owned(), v.clone());
        }
    }
    for (k, v) in &c.extra_fields {
        out.insert(k.clone(), v.clone());
    }
    out
}

fn fields_param(c: &Checked) -> Map<String, Value> {
    c.values
        .get("fields")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Checks extra fields against the object's describe: each must exist and be writable.
async fn check_fields(
    ctx: &Ctx,
    sobject: &str,
    fields: &Map<String, Value>,
    creating: bool,
) -> Result<(), ActionError> {
    if fields.is_empty() {
        return Ok(());
    }
    let d = ctx.client.sobjects(sobject).describe().await?;
    let mut unknown = Vec::new();
    let mut readonly = Vec::new();
    for key in fields.keys() {
        match d.field(key) {
            None => unknown.push(key.clone()),
            Some(f) if (creating && !f.createable) || (!creating && !f.updateable) => {
                readonly.push(key.clone());
            }
            Some(_) => {}
        }
    }
    if !unknown.is_empty() {
        return Err(ActionError::invalid(
            "INVALID_FIELD",
            format!(
                "No such field{} on {sobject}: {} (describeObject lists the fields)",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.join(", ")
            ),
            unknown,
        ));
    }
    if !readonly.is_empty() {
        return Err(ActionError::invalid(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to {} fields: {}",
                if creating { "create" } else { "update" },
                readonly.join(", ")
            ),
            readonly,
        ));
    }
    Ok(())
}
