//! Lead conversion, as the SOAP `convertLead` call does it: an Account, a Contact and (unless
//! told not to) an Opportunity from the lead, and the lead marked converted, in one transaction.

use serde_json::{Map, Value as Json, json};

use super::dml::Batch;
use super::{Actor, WriteOptions};
use crate::api_error::ApiError;

/// One `LeadConvert` of the SOAP call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadConvert {
    /// The lead (required).
    pub lead_id: String,
    /// A LeadStatus whose IsConverted is true (required).
    pub converted_status: Option<String>,
    /// Merge into this account instead of creating one.
    pub account_id: Option<String>,
    /// Merge into this contact instead of creating one.
    pub contact_id: Option<String>,
    /// Name of the new opportunity (default: the lead's company).
    pub opportunity_name: Option<String>,
    /// Create no opportunity.
    pub do_not_create_opportunity: bool,
    /// Owner of the new records.
    pub owner_id: Option<String>,
    /// Let the lead's source overwrite the contact's and opportunity's.
    pub overwrite_lead_source: bool,
}

/// What a conversion produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadConvertResult {
    /// The account used or created.
    pub account_id: String,
    /// The contact used or created.
    pub contact_id: String,
    /// The opportunity created, if any.
    pub opportunity_id: Option<String>,
}

fn text(rec: &Map<String, Json>, key: &str) -> Json {
    match rec.get(key) {
        Some(Json::String(s)) if !s.is_empty() => Json::String(s.clone()),
        Some(Json::Number(n)) => Json::Number(n.clone()),
        _ => Json::Null,
    }
}

fn compact(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Map::new(),
    }
}

fn invalid(code: &str, message: String, fields: Vec<String>) -> ApiError {
    ApiError::with_fields(400, code, message, fields)
}

impl Batch<'_> {
    /// Converts a lead.
    pub fn convert_lead(
        &mut self,
        actor: &Actor,
        c: &LeadConvert,
    ) -> Result<LeadConvertResult, ApiError> {
        if actor.read_only {
            return Err(invalid(
                "INSUFFICIENT_ACCESS_OR_READONLY",
                "insufficient access rights on object id".into(),
                vec![],
            ));
        }
        let lead = self.get("Lead", &c.lead_id, None, "60.0").map_err(|_| {
            invalid(
                "INVALID_CROSS_REFERENCE_KEY",
                format!("invalid cross reference id: {}", c.lead_id),
                vec!["leadId".into()],
            )
        })?;
        let lead_id = lead
            .get("Id")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        if lead.get("IsConverted").and_then(Json::as_bool) == Some(true) {
            return Err(invalid(
                "CANNOT_UPDATE_CONVERTED_LEAD",
                "cannot reference converted lead".into(),
                vec![],
            ));
        }
        let status = c.converted_status.clone().unwrap_or_default();
        let statuses = self.query_values(
            "SELECT \"ApiName\" FROM \"o_leadstatus\" WHERE \"IsConverted\" = 1 AND \"IsDeleted\" = 0 AND (\"ApiName\" = ?1 OR \"MasterLabel\" = ?1)",
            &status,
        )?;
        if status.is_empty() || statuses.is_empty() {
            return Err(invalid(
                "INVALID_STATUS",
                format!("invalid convertedStatus: {status}"),
                vec!["convertedStatus".into()],
            ));
        }
        let owner = c
            .owner_id
            .clone()
            .map(Json::String)
            .unwrap_or_else(|| text(&lead, "OwnerId"));
        let company = lead
            .get("Company")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let account_id = match &c.account_id {
            Some(id) => self.get("Account", id, Some(&["Id".to_owned()]), "60.0")?.get("Id").and_then(Json::as_str).unwrap_or_default().to_owned(),
            None => self.insert(
                actor,
                "Account",
                &compact(json!({
                    "Name": if company.is_empty() { text(&lead, "LastName") } else { json!(company) },
                    "Industry": text(&lead, "Industry"), "Phone": text(&lead, "Phone"), "Website": text(&lead, "Website"),
                    "BillingStreet": text(&lead, "Street"), "BillingCity": text(&lead, "City"), "BillingState": text(&lead, "State"),
                    "BillingPostalCode": text(&lead, "PostalCode"), "BillingCountry": text(&lead, "Country"),
                    "NumberOfEmployees": text(&lead, "NumberOfEmployees"), "AnnualRevenue": text(&lead, "AnnualRevenue"),
                    "AccountSource": text(&lead, "LeadSource"), "OwnerId": owner,
                })),
                WriteOptions::default(),
            )?,
        };
        let contact_id = match &c.contact_id {
            Some(id) => {
                let existing = self.get("Contact", id, Some(&["Id".to_owned(), "LeadSource".to_owned()]), "60.0")?;
                let contact_id = existing.get("Id").and_then(Json::as_str).unwrap_or_default().to_owned();
                if c.overwrite_lead_source && !text(&lead, "LeadSource").is_null() {
                    self.update(actor, "Contact", &contact_id, &compact(json!({"LeadSource": text(&lead, "LeadSource")})))?;
                }
                contact_id
            }
            None => self.insert(
                actor,
                "Contact",
                &compact(json!({
                    "FirstName": text(&lead, "FirstName"), "LastName": text(&lead, "LastName"), "Salutation": text(&lead, "Salutation"),
                    "Title": text(&lead, "Title"), "Email": text(&lead, "Email"), "Phone": text(&lead, "Phone"),
                    "MobilePhone": text(&lead, "MobilePhone"), "AccountId": account_id, "LeadSource": text(&lead, "LeadSource"),
                    "MailingStreet": text(&lead, "Street"), "MailingCity": text(&lead, "City"), "MailingState": text(&lead, "State"),
                    "MailingPostalCode": text(&lead, "PostalCode"), "MailingCountry": text(&lead, "Country"),
                    "Description": text(&lead, "Description"), "OwnerId": owner,
                })),
                WriteOptions::default(),
            )?,
        };
        let opportunity_id = if c.do_not_create_opportunity {
            None
        } else {
            let stage = self
                .query_values(
                    "SELECT \"ApiName\" FROM \"o_opportunitystage\" WHERE \"IsClosed\" = 0 AND \"IsActive\" = 1 AND \"IsDeleted\" = 0 AND ?1 = ?1 ORDER BY \"SortOrder\" LIMIT 1",
                    "",
                )?
                .into_iter()
                .next()
                .unwrap_or_else(|| "Prospecting".to_owned());
            // The last day of the current quarter (UNVERIFIED: what Salesforce picks).
            let today = chrono::Utc::now().date_naive();
            let quarter_end =
                crate::soql::dates::range(sfkit_soql::DateLiteral::ThisQuarter, today, 1).1
                    - chrono::Days::new(1);
            let name = c
                .opportunity_name
                .clone()
                .unwrap_or_else(|| format!("{company}-"));
            Some(self.insert(
                actor,
                "Opportunity",
                &compact(json!({
                    "Name": name, "AccountId": account_id, "StageName": stage,
                    "CloseDate": quarter_end.format("%Y-%m-%d").to_string(), "LeadSource": text(&lead, "LeadSource"),
                    "OwnerId": owner,
                })),
                WriteOptions::default(),
            )?)
        };
        let now = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let mut marks = compact(json!({
            "Status": status, "IsConverted": true, "ConvertedDate": now,
            "ConvertedAccountId": account_id, "ConvertedContactId": contact_id,
        }));
        if let Some(o) = &opportunity_id {
            marks.insert("ConvertedOpportunityId".into(), json!(o));
        }
        self.update_system(actor, "Lead", &lead_id, &marks)?;
        Ok(LeadConvertResult {
            account_id,
            contact_id,
            opportunity_id,
        })
    }
}
