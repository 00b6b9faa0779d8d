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

/// The lead being converted, with what every record made from it takes.
struct Source {
    lead: Map<String, Json>,
    lead_id: String,
    /// The owner of the new records: the one asked for, or the lead's.
    owner: Json,
    company: String,
}

impl Source {
    /// A field of the lead, as [`text`] reads it.
    fn text(&self, key: &str) -> Json {
        text(&self.lead, key)
    }
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
        let lead = self.convertible_lead(c)?;
        let status = self.converted_status(c)?;
        let source = Source {
            lead_id: lead
                .get("Id")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
            owner: c
                .owner_id
                .clone()
                .map(Json::String)
                .unwrap_or_else(|| text(&lead, "OwnerId")),
            company: lead
                .get("Company")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
            lead,
        };
        let account_id = self.converted_account(actor, c, &source)?;
        let contact_id = self.converted_contact(actor, c, &source, &account_id)?;
        let opportunity_id = if c.do_not_create_opportunity {
            None
        } else {
            Some(self.converted_opportunity(actor, c, &source, &account_id)?)
        };
        let now = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let mut marks = compact(json!({
            "Status": status, "IsConverted": true, "ConvertedDate": now,
            "ConvertedAccountId": account_id, "ConvertedContactId": contact_id,
        }));
        if let Some(o) = &opportunity_id {
            marks.insert("ConvertedOpportunityId".into(), json!(o));
        }
        self.update_system(actor, "Lead", &source.lead_id, &marks)?;
        Ok(LeadConvertResult {
            account_id,
            contact_id,
            opportunity_id,
        })
    }

    /// The lead named, if it exists and is not converted yet.
    fn convertible_lead(&mut self, c: &LeadConvert) -> Result<Map<String, Json>, ApiError> {
        let lead = self.get("Lead", &c.lead_id, None, "60.0").map_err(|_| {
            invalid(
                "INVALID_CROSS_REFERENCE_KEY",
                format!("invalid cross reference id: {}", c.lead_id),
                vec!["leadId".into()],
            )
        })?;
        if lead.get("IsConverted").and_then(Json::as_bool) == Some(true) {
            return Err(invalid(
                "CANNOT_UPDATE_CONVERTED_LEAD",
                "cannot reference converted lead".into(),
                vec![],
            ));
        }
        Ok(lead)
    }

    /// The status asked for, if it is a LeadStatus that marks a lead converted.
    fn converted_status(&mut self, c: &LeadConvert) -> Result<String, ApiError> {
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
        Ok(status)
    }

    /// The account named, or a new one from the lead's company and address.
    fn converted_account(
        &mut self,
        actor: &Actor,
        c: &LeadConvert,
        s: &Source,
    ) -> Result<String, ApiError> {
        if let Some(id) = &c.account_id {
            let existing = self.get("Account", id, Some(&["Id".to_owned()]), "60.0")?;
            return Ok(existing
                .get("Id")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned());
        }
        self.insert(
            actor,
            "Account",
            &compact(json!({
                "Name": if s.company.is_empty() { s.text("LastName") } else { json!(s.company) },
                "Industry": s.text("Industry"), "Phone": s.text("Phone"), "Website": s.text("Website"),
                "BillingStreet": s.text("Street"), "BillingCity": s.text("City"), "BillingState": s.text("State"),
                "BillingPostalCode": s.text("PostalCode"), "BillingCountry": s.text("Country"),
                "NumberOfEmployees": s.text("NumberOfEmployees"), "AnnualRevenue": s.text("AnnualRevenue"),
                "AccountSource": s.text("LeadSource"), "OwnerId": s.owner,
            })),
            WriteOptions::default(),
        )
    }

    /// The contact named (its lead source overwritten when asked), or a new one from the lead.
    fn converted_contact(
        &mut self,
        actor: &Actor,
        c: &LeadConvert,
        s: &Source,
        account_id: &str,
    ) -> Result<String, ApiError> {
        if let Some(id) = &c.contact_id {
            let fields = ["Id".to_owned(), "LeadSource".to_owned()];
            let existing = self.get("Contact", id, Some(&fields), "60.0")?;
            let contact_id = existing
                .get("Id")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned();
            if c.overwrite_lead_source && !s.text("LeadSource").is_null() {
                let source = compact(json!({"LeadSource": s.text("LeadSource")}));
                self.update(actor, "Contact", &contact_id, &source)?;
            }
            return Ok(contact_id);
        }
        self.insert(
            actor,
            "Contact",
            &compact(json!({
                "FirstName": s.text("FirstName"), "LastName": s.text("LastName"), "Salutation": s.text("Salutation"),
                "Title": s.text("Title"), "Email": s.text("Email"), "Phone": s.text("Phone"),
                "MobilePhone": s.text("MobilePhone"), "AccountId": account_id, "LeadSource": s.text("LeadSource"),
                "MailingStreet": s.text("Street"), "MailingCity": s.text("City"), "MailingState": s.text("State"),
                "MailingPostalCode": s.text("PostalCode"), "MailingCountry": s.text("Country"),
                "Description": s.text("Description"), "OwnerId": s.owner,
            })),
            WriteOptions::default(),
        )
    }

    /// A new opportunity at the first open stage, closing at the end of this quarter.
    fn converted_opportunity(
        &mut self,
        actor: &Actor,
        c: &LeadConvert,
        s: &Source,
        account_id: &str,
    ) -> Result<String, ApiError> {
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
        let quarter_end = crate::soql::dates::range(sfkit_soql::DateLiteral::ThisQuarter, today, 1)
            .1
            - chrono::Days::new(1);
        let name = c
            .opportunity_name
            .clone()
            .unwrap_or_else(|| format!("{}-", s.company));
        self.insert(
            actor,
            "Opportunity",
            &compact(json!({
                "Name": name, "AccountId": account_id, "StageName": stage,
                "CloseDate": quarter_end.format("%Y-%m-%d").to_string(), "LeadSource": s.text("LeadSource"),
                "OwnerId": s.owner,
            })),
            WriteOptions::default(),
        )
    }
}
