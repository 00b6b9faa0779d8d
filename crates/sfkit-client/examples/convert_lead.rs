//! Creates a Lead through the REST API, then converts it through the SOAP API's `convertLead`
//! into an Account, a Contact and (unless told not to) an Opportunity, and prints their ids.
//!
//! Settings (environment):
//! - the org: `SF_INSTANCE_URL` + `SF_ACCESS_TOKEN`, or `SF_USERNAME`, `SF_PASSWORD`,
//!   `SF_CLIENT_ID`, `SF_CLIENT_SECRET` (+ `SF_LOGIN_URL`) for the username-password flow;
//! - `LEAD_LAST_NAME` and `LEAD_COMPANY`: the lead (defaults `Example` and `Example Co`);
//! - `LEAD_NO_OPPORTUNITY=1`: convert without creating an Opportunity.
//!
//! The converted status is the org's own: the first `LeadStatus` marked converted.
//!
//! ```text
//! SF_INSTANCE_URL=https://example.my.salesforce.com SF_ACCESS_TOKEN=00D... \
//!   LEAD_LAST_NAME=Ng LEAD_COMPANY=Acme cargo run -p sfkit-client --example convert_lead
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a program that prints"
)]

mod common;

use std::process::ExitCode;

use futures_util::TryStreamExt as _;
use serde::Deserialize;
use serde_json::json;
use sfkit_client::LeadConvert;

use common::Failure;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("convert_lead: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A `LeadStatus` row.
#[derive(Deserialize)]
struct LeadStatus {
    #[serde(rename = "MasterLabel")]
    label: String,
}

async fn run() -> Result<(), Failure> {
    let client = common::client_from_env()?;
    let last_name = common::optional("LEAD_LAST_NAME").unwrap_or_else(|| "Example".into());
    let company = common::optional("LEAD_COMPANY").unwrap_or_else(|| "Example Co".into());
    let no_opportunity =
        common::optional("LEAD_NO_OPPORTUNITY").is_some_and(|v| v == "1" || v == "true");

    let lead = client
        .sobjects("Lead")
        .create(&json!({"LastName": last_name, "Company": company}))
        .await?;
    println!("lead         {}", lead.id);

    let statuses: Vec<LeadStatus> = client
        .query("SELECT MasterLabel FROM LeadStatus WHERE IsConverted = true LIMIT 1")
        .try_collect()
        .await?;
    let status = statuses
        .into_iter()
        .next()
        .ok_or("the org has no converted lead status (LeadStatus with IsConverted = true)")?;

    let results = client
        .soap()
        .convert_lead(&[LeadConvert {
            lead_id: lead.id,
            converted_status: Some(status.label),
            do_not_create_opportunity: no_opportunity,
            ..LeadConvert::default()
        }])
        .await?;
    let result = results
        .first()
        .ok_or("convertLead answered with no result")?;
    if !result.success {
        let why: Vec<String> = result
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.error_code, e.message))
            .collect();
        return Err(format!("the lead was not converted: {}", why.join("; ")).into());
    }
    let none = "-";
    println!(
        "account      {}",
        result.account_id.as_deref().unwrap_or(none)
    );
    println!(
        "contact      {}",
        result.contact_id.as_deref().unwrap_or(none)
    );
    println!(
        "opportunity  {}",
        result.opportunity_id.as_deref().unwrap_or(none)
    );
    Ok(())
}
