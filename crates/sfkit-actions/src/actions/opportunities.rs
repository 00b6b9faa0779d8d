//! Opportunities: closeOpportunity, with the org's own closed stages and wherever the org keeps
//! a close reason (the other opportunity actions are made in `records` and `lists`).

use futures_util::TryStreamExt as _;
use serde_json::{Map, Value, json};
use sfkit_client::Record;
use sfkit_soql::Value as Literal;
use sfkit_soql::{CompareOp, OrderByItem, Query, RowCount, SortDirection};

use super::{Action, Call, Ctx, Effect};
use crate::error::ActionError;
use crate::params::{Kind, Param};
use crate::soql::{and, compare, path};

/// The opportunity actions that are not made from the entity.
pub(super) fn actions() -> [Action; 1] {
    [Action::new(
        "closeOpportunity",
        "Closes an opportunity as won or lost, with the org's own closed stage.",
        Effect::Changes,
        |call| Box::pin(close_opportunity(call)),
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
    }))]
}

async fn close_opportunity(call: Call<'_>) -> Result<Value, ActionError> {
    let Call { ctx, params: c, .. } = call;
    let id = c.required("opportunityId")?;
    let won = c.str("outcome") == Some("won");
    let stage = closed_stage(ctx, won).await?;
    let close_date = c.str("closeDate").map(str::to_owned).unwrap_or_else(|| {
        chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string()
    });
    let mut fields = Map::new();
    fields.insert("StageName".into(), json!(stage));
    fields.insert("CloseDate".into(), json!(close_date));
    // The reason goes where the org's users look for it, and never over the Description they
    // wrote: the field named, else the org's win/loss reason field, else a completed task in
    // the opportunity's activity history.
    let reason = c.str("reason").filter(|r| !r.trim().is_empty());
    let reason_field = match reason {
        Some(_) => reason_field(ctx, c.str("reasonField"), won).await?,
        None => None,
    };
    if let (Some(reason), Some(field)) = (reason, &reason_field) {
        fields.insert(field.clone(), json!(reason));
    }
    ctx.client
        .sobjects("Opportunity")
        .update(id, &fields)
        .await?;
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("success".into(), json!(true));
    out.insert("stageName".into(), json!(stage));
    out.insert("closeDate".into(), json!(close_date));
    match (reason, reason_field) {
        (Some(_), Some(field)) => {
            out.insert("reasonRecordedIn".into(), json!({"field": field}));
        }
        (Some(reason), None) => {
            let outcome = if won { "Closed Won" } else { "Closed Lost" };
            let subject: String = format!("{outcome}: {reason}").chars().take(255).collect();
            let task = json!({
                "WhatId": id, "Subject": subject, "Description": reason,
                "Status": "Completed", "Priority": "Normal", "ActivityDate": close_date,
            });
            let made = ctx.client.sobjects("Task").create(&task).await?;
            out.insert("reasonRecordedIn".into(), json!({"taskId": made.id}));
        }
        _ => {}
    }
    Ok(Value::Object(out))
}

/// The org's first active closed stage that is won (or lost): its own names, whatever they are.
async fn closed_stage(ctx: &Ctx, won: bool) -> Result<String, ActionError> {
    let mut q = Query::select_from(["ApiName", "MasterLabel", "IsWon"], "OpportunityStage")
        .map_err(|e| ActionError::unexpected(e.to_string()))?;
    q.where_clause = and(vec![
        compare("IsActive", CompareOp::Eq, Literal::Boolean(true))?,
        compare("IsClosed", CompareOp::Eq, Literal::Boolean(true))?,
        compare("IsWon", CompareOp::Eq, Literal::Boolean(won))?,
    ]);
    q.order_by.push(OrderByItem {
        expr: path("SortOrder")?,
        direction: Some(SortDirection::Asc),
        nulls: None,
    });
    q.limit = Some(RowCount::Literal(1));
    let rows: Vec<Record> = ctx.client.query(&q.to_string()).try_collect().await?;
    rows.first()
        .and_then(|r| {
            r.get("ApiName")
                .filter(|v| !v.is_null())
                .or_else(|| r.get("MasterLabel"))
        })
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ActionError::invalid(
                "FIELD_INTEGRITY_EXCEPTION",
                format!(
                    "the org has no active closed {} stage",
                    if won { "won" } else { "lost" }
                ),
                vec!["outcome".into()],
            )
        })
}

/// Custom fields orgs commonly add for why a deal was lost or won, in the order they are
/// looked for (case-insensitively).
const LOSS_REASON_FIELDS: &[&str] = &[
    "Loss_Reason__c",
    "Lost_Reason__c",
    "Reason_Lost__c",
    "Closed_Lost_Reason__c",
    "Win_Loss_Reason__c",
];
const WIN_REASON_FIELDS: &[&str] = &[
    "Win_Reason__c",
    "Won_Reason__c",
    "Reason_Won__c",
    "Closed_Won_Reason__c",
    "Win_Loss_Reason__c",
];

/// The Opportunity field that records a close reason: `named` (which must exist and be
/// updateable), else the first of the common reason fields the org has, else none.
async fn reason_field(
    ctx: &Ctx,
    named: Option<&str>,
    won: bool,
) -> Result<Option<String>, ActionError> {
    let describe = ctx.client.sobjects("Opportunity").describe().await?;
    let find = |name: &str| {
        describe
            .fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name) && f.updateable)
            .map(|f| f.name.clone())
    };
    if let Some(name) = named {
        return find(name).map(Some).ok_or_else(|| {
            ActionError::invalid(
                "INVALID_FIELD",
                format!("Opportunity has no field {name:?} that can be updated"),
                vec!["reasonField".into()],
            )
        });
    }
    let candidates = if won {
        WIN_REASON_FIELDS
    } else {
        LOSS_REASON_FIELDS
    };
    Ok(candidates.iter().find_map(|n| find(n)))
}
