//! Leads: convertLead, and what createLead and updateLead do about a lead's status beyond
//! what every record action does (those actions are made in `records` with the others).

use futures_util::TryStreamExt as _;
use serde_json::{Map, Value, json};
use sfkit_client::{LeadConvert, Record};

use super::{Action, Call, Ctx, Effect};
use crate::entities::{Entity, LEAD};
use crate::error::{ActionError, Origin};
use crate::params::{Kind, Param};

/// The lead actions that are not made from the entity.
pub(super) fn actions() -> [Action; 1] {
    [Action::new(
        "convertLead",
        "Converts a lead into an account, a contact and (unless told not to) an opportunity.",
        Effect::Converts,
        |call| Box::pin(convert_lead(call)),
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
        Param::opt(
            "opportunityName",
            Kind::String,
            "the new opportunity's name",
        ),
        Param::opt(
            "doNotCreateOpportunity",
            Kind::Boolean,
            "create no opportunity",
        ),
        Param::opt("ownerId", Kind::Id, "the owner of the new records"),
        Param::opt(
            "overwriteLeadSource",
            Kind::Boolean,
            "replace the contact's lead source with the lead's",
        ),
        Param::opt(
            "sendNotificationEmail",
            Kind::Boolean,
            "email the new owner",
        ),
    ])
    .output(json!({
        "type": "object",
        "properties": {
            "leadId": {"type": "string"}, "accountId": {"type": "string"},
            "contactId": {"type": "string"}, "opportunityId": {"type": ["string", "null"]},
            "success": {"type": "boolean"}
        }
    }))]
}

async fn convert_lead(call: Call<'_>) -> Result<Value, ActionError> {
    let Call { ctx, params: c, .. } = call;
    let status = match c.str("convertedStatus") {
        Some(s) => s.to_owned(),
        None => {
            // No user text: a constant query.
            let rows: Vec<Record> = ctx
                .client
                .query("SELECT ApiName, MasterLabel FROM LeadStatus WHERE IsConverted = true ORDER BY SortOrder LIMIT 1")
                .try_collect()
                .await?;
            rows.first()
                .and_then(|r| r.get("ApiName").or_else(|| r.get("MasterLabel")))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ActionError::invalid(
                        "INVALID_STATUS",
                        "the org has no converted lead status; give convertedStatus",
                        vec!["convertedStatus".into()],
                    )
                })?
        }
    };
    let convert = LeadConvert {
        lead_id: c.required("leadId")?.to_owned(),
        converted_status: Some(status),
        account_id: c.str("accountId").map(str::to_owned),
        contact_id: c.str("contactId").map(str::to_owned),
        opportunity_name: c.str("opportunityName").map(str::to_owned),
        do_not_create_opportunity: c.bool("doNotCreateOpportunity").unwrap_or(false),
        owner_id: c.str("ownerId").map(str::to_owned),
        overwrite_lead_source: c.bool("overwriteLeadSource").unwrap_or(false),
        send_notification_email: c.bool("sendNotificationEmail").unwrap_or(false),
    };
    let results = ctx.client.soap().convert_lead(&[convert]).await?;
    let r = results
        .into_iter()
        .next()
        .ok_or_else(|| ActionError::unexpected("convertLead answered no result"))?;
    if !r.success {
        let first = r.errors.first();
        let code = first.map_or("UNKNOWN_EXCEPTION".into(), |e| e.error_code.clone());
        let mut message = first.map_or("the lead was not converted".into(), |e| e.message.clone());
        // The fix a user needs, as every other error carries it.
        if let Some(fix) = sfkit_client::ErrorCode::from(code.as_str()).remedy() {
            message = format!("{message}. {fix}");
        }
        return Err(ActionError {
            code,
            message,
            fields: first.map(|e| e.fields.clone()).unwrap_or_default(),
            retryable: false,
            origin: Origin::Salesforce,
        });
    }
    Ok(json!({
        "leadId": r.lead_id,
        "accountId": r.account_id,
        "contactId": r.contact_id,
        "opportunityId": r.opportunity_id,
        "success": true,
    }))
}

/// createLead: a lead given no status is created `New`, the spec's default.
pub(super) fn default_status(e: &Entity, fields: &mut Map<String, Value>) {
    if e.sobject == LEAD.sobject && !fields.contains_key("Status") {
        fields.insert("Status".into(), json!("New"));
    }
}

/// updateLead: a status given must be one of the org's active lead statuses.
pub(super) async fn check_status(
    ctx: &Ctx,
    e: &Entity,
    fields: &Map<String, Value>,
) -> Result<(), ActionError> {
    if e.sobject == LEAD.sobject
        && let Some(status) = fields.get("Status").and_then(Value::as_str)
    {
        check_picklist(ctx, "Lead", "Status", "status", status).await?;
    }
    Ok(())
}

/// Checks a value against the org's own active values of a picklist field, so a typo is
/// refused with the values that would do instead of being saved (Salesforce keeps unknown
/// values of unrestricted picklists, and a lead with an unknown status falls out of every
/// view and conversion).
async fn check_picklist(
    ctx: &Ctx,
    sobject: &str,
    field: &str,
    param: &str,
    value: &str,
) -> Result<(), ActionError> {
    let d = ctx.client.sobjects(sobject).describe().await?;
    let Some(f) = d.field(field) else {
        return Ok(());
    };
    let active: Vec<&str> = f
        .picklist_values
        .iter()
        .filter(|p| p.active)
        .map(|p| p.value.as_str())
        .collect();
    if active.is_empty() || active.contains(&value) {
        return Ok(());
    }
    Err(ActionError::invalid(
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        format!(
            "{field}: bad value for picklist field: {value:?}; the org's values are {}",
            active.join(", ")
        ),
        vec![param.to_owned()],
    ))
}
