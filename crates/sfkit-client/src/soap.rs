//! The SOAP partner API's `convertLead`: the REST API has no lead conversion, so this is the
//! one call made over SOAP. The session id travels in the envelope's `SessionHeader`, filled in
//! by the transport on each attempt (so a renewed session is used after a re-authentication).

use quick_xml::Reader;
use quick_xml::events::Event;
use reqwest::Method;

use crate::client::{Client, Req, SESSION_PLACEHOLDER, Target};
use crate::error::{ApiErrorEntry, Error};

/// One lead to convert.
#[derive(Debug, Clone, Default)]
pub struct LeadConvert {
    /// The lead.
    pub lead_id: String,
    /// The lead status to set; Salesforce requires one marked converted (default: the org's
    /// converted status, which the caller looks up in LeadStatus).
    pub converted_status: Option<String>,
    /// Merge into this account instead of creating one.
    pub account_id: Option<String>,
    /// Merge into this contact instead of creating one.
    pub contact_id: Option<String>,
    /// The new opportunity's name (default: the company).
    pub opportunity_name: Option<String>,
    /// Create no opportunity.
    pub do_not_create_opportunity: bool,
    /// The owner of the new records.
    pub owner_id: Option<String>,
    /// Replace the contact's lead source with the lead's.
    pub overwrite_lead_source: bool,
    /// Email the new owner.
    pub send_notification_email: bool,
}

/// One conversion's outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeadConvertResult {
    /// The lead.
    pub lead_id: String,
    /// It was converted.
    pub success: bool,
    /// The account it went to.
    pub account_id: Option<String>,
    /// The contact it became.
    pub contact_id: Option<String>,
    /// The opportunity made, if any.
    pub opportunity_id: Option<String>,
    /// Why it failed.
    pub errors: Vec<ApiErrorEntry>,
}

/// The SOAP partner API; from [`Client::soap`].
#[derive(Debug, Clone, Copy)]
pub struct Soap<'a> {
    client: &'a Client,
}

impl Client {
    /// The SOAP partner API (lead conversion).
    pub fn soap(&self) -> Soap<'_> {
        Soap { client: self }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

impl Soap<'_> {
    /// Converts up to 100 leads in one call; one outcome per lead, in order.
    ///
    /// ```no_run
    /// # async fn run(client: sfkit_client::Client, lead_id: String) -> Result<(), sfkit_client::Error> {
    /// use sfkit_client::LeadConvert;
    ///
    /// let convert = LeadConvert {
    ///     lead_id,
    ///     converted_status: Some("Closed - Converted".into()),
    ///     do_not_create_opportunity: true,
    ///     ..LeadConvert::default()
    /// };
    /// let out = client.soap().convert_lead(&[convert]).await?;
    /// println!("contact {:?}", out.first().and_then(|r| r.contact_id.as_deref()));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn convert_lead(
        &self,
        converts: &[LeadConvert],
    ) -> Result<Vec<LeadConvertResult>, Error> {
        if converts.is_empty() || converts.len() > 100 {
            return Err(Error::Config(
                "convertLead takes between 1 and 100 leads per call".into(),
            ));
        }
        let mut body = String::new();
        for c in converts {
            body.push_str("<leadConverts>");
            let mut el = |name: &str, value: &str| {
                body.push_str(&format!("<{name}>{}</{name}>", escape(value)));
            };
            if let Some(v) = &c.account_id {
                el("accountId", v);
            }
            if let Some(v) = &c.contact_id {
                el("contactId", v);
            }
            if let Some(v) = &c.converted_status {
                el("convertedStatus", v);
            }
            el(
                "doNotCreateOpportunity",
                &c.do_not_create_opportunity.to_string(),
            );
            el("leadId", &c.lead_id);
            if let Some(v) = &c.opportunity_name {
                el("opportunityName", v);
            }
            el("overwriteLeadSource", &c.overwrite_lead_source.to_string());
            if let Some(v) = &c.owner_id {
                el("ownerId", v);
            }
            el(
                "sendNotificationEmail",
                &c.send_notification_email.to_string(),
            );
            body.push_str("</leadConverts>");
        }
        let envelope = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns=\"urn:partner.soap.sforce.com\">\
             <soapenv:Header><SessionHeader><sessionId>{SESSION_PLACEHOLDER}</sessionId></SessionHeader></soapenv:Header>\
             <soapenv:Body><convertLead>{body}</convertLead></soapenv:Body></soapenv:Envelope>"
        );
        let version = self.client.api_version().to_owned();
        let mut req = Req::new(
            Method::POST,
            Target::Root(vec!["services".into(), "Soap".into(), "u".into(), version]),
        );
        req.soap = Some(("convertLead", envelope));
        let answer = self.client.send(&req).await?;
        parse_results(&answer.body)
    }
}

/// The `<result>` elements of a convertLeadResponse.
fn parse_results(xml: &[u8]) -> Result<Vec<LeadConvertResult>, Error> {
    let bad = |e: &dyn std::fmt::Display| Error::decode("convertLead", e);
    let text = std::str::from_utf8(xml).map_err(|e| bad(&e))?;
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    let mut path: Vec<String> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| bad(&e))? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                match (name.as_str(), path.last().map(String::as_str)) {
                    ("result", Some("convertLeadResponse")) => {
                        out.push(LeadConvertResult::default())
                    }
                    ("errors", Some("result")) => {
                        if let Some(r) = out.last_mut() {
                            r.errors.push(ApiErrorEntry {
                                message: String::new(),
                                error_code: String::new(),
                                fields: Vec::new(),
                            });
                        }
                    }
                    _ => {}
                }
                path.push(name);
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let value = t.unescape().map_err(|e| bad(&e))?.trim().to_owned();
                let (Some(leaf), Some(parent)) = (
                    path.last().map(String::as_str),
                    path.len()
                        .checked_sub(2)
                        .and_then(|i| path.get(i))
                        .map(String::as_str),
                ) else {
                    continue;
                };
                let Some(r) = out.last_mut() else { continue };
                match (parent, leaf) {
                    ("result", "leadId") => r.lead_id = value,
                    ("result", "success") => r.success = value == "true",
                    ("result", "accountId") => r.account_id = Some(value),
                    ("result", "contactId") => r.contact_id = Some(value),
                    ("result", "opportunityId") => r.opportunity_id = Some(value),
                    ("errors", field) => {
                        if let Some(e) = r.errors.last_mut() {
                            match field {
                                "message" => e.message = value,
                                "statusCode" => e.error_code = value,
                                "fields" => e.fields.push(value),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// A SOAP fault's `faultcode` (without its `sf:` prefix) and `faultstring`, if `xml` is one.
pub(crate) fn fault(xml: &[u8]) -> Option<ApiErrorEntry> {
    let text = std::str::from_utf8(xml).ok()?;
    let mut reader = Reader::from_str(text);
    let (mut code, mut message) = (None, None);
    let mut leaf = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => leaf = String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
            Event::End(_) => leaf.clear(),
            Event::Text(t) => {
                let v = t.unescape().ok()?.trim().to_owned();
                match leaf.as_str() {
                    "faultcode" => code = Some(v.rsplit(':').next().unwrap_or_default().to_owned()),
                    "faultstring" => message = Some(v),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some(ApiErrorEntry {
        error_code: code?,
        message: message.unwrap_or_default(),
        fields: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_and_faults_parse() {
        let xml = br#"<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="s" xmlns:xsi="x"><soapenv:Body><convertLeadResponse>
            <result><accountId>001A</accountId><contactId>003C</contactId><leadId>00QL</leadId><opportunityId xsi:nil="true"/><success>true</success></result>
            <result><accountId xsi:nil="true"/><errors><fields>Status</fields><message>bad &amp; wrong</message><statusCode>INVALID_STATUS</statusCode></errors><leadId>00QM</leadId><success>false</success></result>
            </convertLeadResponse></soapenv:Body></soapenv:Envelope>"#;
        let r = parse_results(xml).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r[0].success);
        assert_eq!(r[0].account_id.as_deref(), Some("001A"));
        assert_eq!(r[0].opportunity_id, None);
        assert!(!r[1].success);
        assert_eq!(r[1].errors[0].error_code, "INVALID_STATUS");
        assert_eq!(r[1].errors[0].message, "bad & wrong");
        assert_eq!(r[1].errors[0].fields, ["Status"]);
        let f = fault(br#"<e:Envelope xmlns:e="s"><e:Body><e:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: Invalid</faultstring></e:Fault></e:Body></e:Envelope>"#).unwrap();
        assert_eq!(f.error_code, "INVALID_SESSION_ID");
        assert!(fault(b"[]").is_none());
    }
}
