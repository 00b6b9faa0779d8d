//! The org itself: its objects (describeObject, listObjects) and its limits (getLimits).

use serde_json::{Map, Value, json};

use super::{Action, Call, Effect, SOBJECT, sobject_param};
use crate::error::ActionError;
use crate::params::{Kind, Param};

/// describeObject, listObjects and getLimits.
pub(super) fn actions() -> [Action; 3] {
    [
        Action::new(
            "describeObject",
            "An object's fields (name, label, type, required, picklist values, references).",
            Effect::Reads,
            |call| Box::pin(describe_object(call)),
        )
        .with([SOBJECT])
        .output(json!({"type": "object"})),
        Action::new(
            "listObjects",
            "Every object of the org.",
            Effect::Reads,
            |call| Box::pin(list_objects(call)),
        )
        .with([Param::opt(
            "customOnly",
            Kind::Boolean,
            "custom objects only",
        )])
        .output(json!({"type": "object"})),
        Action::new(
            "getLimits",
            "The org's limits, with the daily API requests used and left.",
            Effect::Reads,
            |call| Box::pin(get_limits(call)),
        )
        .output(json!({"type": "object"})),
    ]
}

async fn describe_object(call: Call<'_>) -> Result<Value, ActionError> {
    let d = call
        .ctx
        .client
        .sobjects(sobject_param(call.params)?)
        .describe()
        .await?;
    let fields: Vec<Value> = d
        .fields
        .iter()
        .map(|f| {
            json!({
                "name": f.name, "label": f.label, "type": f.kind,
                "required": f.is_required(), "createable": f.createable,
                "updateable": f.updateable, "length": f.length,
                "externalId": f.external_id, "referenceTo": f.reference_to,
                "relationshipName": f.relationship_name,
                "picklistValues": f.picklist_values.iter().filter(|p| p.active).map(|p| p.value.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({
        "name": d.name, "label": d.label, "custom": d.custom, "keyPrefix": d.key_prefix,
        "createable": d.createable, "updateable": d.updateable, "deletable": d.deletable,
        "fields": fields,
    }))
}

async fn list_objects(call: Call<'_>) -> Result<Value, ActionError> {
    let g = call.ctx.client.describe_global().await?;
    let custom_only = call.params.bool("customOnly").unwrap_or(false);
    let objects: Vec<Value> = g
        .sobjects
        .iter()
        .filter(|o| !custom_only || o.custom)
        .map(|o| json!({"name": o.name, "label": o.label, "custom": o.custom, "queryable": o.queryable}))
        .collect();
    Ok(json!({"objects": objects, "totalSize": objects.len()}))
}

async fn get_limits(call: Call<'_>) -> Result<Value, ActionError> {
    let limits = call.ctx.client.limits().await?;
    let map: Map<String, Value> = limits
        .into_iter()
        .map(|(k, l)| (k, json!({"max": l.max, "remaining": l.remaining})))
        .collect();
    Ok(Value::Object(map))
}
