//! The SOAP partner API, for the two calls clients still make there: `login` (simple-salesforce
//! with a username and password, the Salesforce CLI) and `convertLead` (the only way to convert
//! a lead from outside Salesforce; jsforce uses it).

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use quick_xml::Reader;
use quick_xml::events::Event;

use super::{State, mint_access_token, run_blocking};
use crate::CLIENT_ID;
use crate::api_error::ApiError;
use crate::store::{LeadConvert, LeadConvertResult};

pub(super) fn routes() -> Router<State> {
    Router::new()
        .route("/services/Soap/u/{v}", post(soap))
        .route("/services/Soap/u/{v}/{org}", post(soap))
}

/// The parts of an envelope the two calls need.
#[derive(Debug, Default)]
struct Envelope {
    /// The body's first element: the operation.
    operation: String,
    session_id: Option<String>,
    /// Text of the operation's simple children (`username`, `password`).
    fields: HashMap<String, String>,
    /// One map per `leadConverts` element.
    converts: Vec<HashMap<String, String>>,
}

fn parse(xml: &[u8]) -> Result<Envelope, String> {
    let text = std::str::from_utf8(xml).map_err(|_| "the request is not UTF-8".to_owned())?;
    let mut reader = Reader::from_str(text);
    let mut env = Envelope::default();
    let mut path: Vec<String> = Vec::new();
    loop {
        match reader
            .read_event()
            .map_err(|e| format!("malformed XML: {e}"))?
        {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let depth_in_body = path
                    .iter()
                    .position(|p| p == "Body")
                    .map(|i| path.len() - i);
                if depth_in_body == Some(1) && env.operation.is_empty() {
                    env.operation.clone_from(&name);
                }
                if depth_in_body == Some(2) && name == "leadConverts" {
                    env.converts.push(HashMap::new());
                }
                path.push(name);
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Empty(_) => {}
            Event::Text(t) => {
                let value = t
                    .unescape()
                    .map_err(|e| format!("malformed XML: {e}"))?
                    .trim()
                    .to_owned();
                let Some(leaf) = path.last().cloned() else {
                    continue;
                };
                if leaf == "sessionId" && path.iter().any(|p| p == "Header") {
                    env.session_id = Some(value);
                } else if path.iter().any(|p| p == "leadConverts") {
                    if let Some(c) = env.converts.last_mut() {
                        c.insert(leaf, value);
                    }
                } else if path.iter().any(|p| p == "Body") {
                    env.fields.insert(leaf, value);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if env.operation.is_empty() {
        return Err("no SOAP body".to_owned());
    }
    Ok(env)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns=\"urn:partner.soap.sforce.com\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xmlns:sf=\"urn:fault.partner.soap.sforce.com\"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )
}

fn xml_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=UTF-8"),
    );
    r
}

/// A SOAP fault, HTTP 500 as Salesforce sends them.
fn fault(code: &str, message: &str, kind: &str) -> Response {
    let body = format!(
        "<soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {m}</faultstring><detail>\
         <sf:{kind} xsi:type=\"sf:{kind}\"><sf:exceptionCode>{code}</sf:exceptionCode>\
         <sf:exceptionMessage>{m}</sf:exceptionMessage></sf:{kind}></detail></soapenv:Fault>",
        m = xml_escape(message)
    );
    xml_response(StatusCode::INTERNAL_SERVER_ERROR, envelope(&body))
}

async fn soap(
    AxState(state): AxState<State>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let v = params.get("v").cloned().unwrap_or_default();
    let Ok(v) = super::version(&format!("v{v}")) else {
        return fault(
            "UNSUPPORTED_API_VERSION",
            "Invalid Api version specified on URL",
            "UnexpectedErrorFault",
        );
    };
    let env = match parse(&body) {
        Ok(e) => e,
        Err(m) => return fault("INVALID_XML", &m, "UnexpectedErrorFault"),
    };
    match env.operation.as_str() {
        "login" => login(state, env, &v).await,
        "convertLead" => convert(state, env).await,
        other => fault(
            "INVALID_OPERATION",
            &format!("the local org does not implement the SOAP call {other}"),
            "UnexpectedErrorFault",
        ),
    }
}

async fn login(state: State, env: Envelope, v: &str) -> Response {
    let username = env.fields.get("username").cloned().unwrap_or_default();
    let password = env.fields.get("password").cloned().unwrap_or_default();
    let st = state.clone();
    let result = run_blocking(move || {
        let Some(user_id) = st
            .store
            .user_id(&username)?
            .filter(|_| password == crate::PASSWORD)
        else {
            return Ok(None);
        };
        let token = mint_access_token(&st, &user_id, CLIENT_ID)?;
        Ok(Some((user_id, username, token)))
    })
    .await;
    match result {
        Ok(Some((user_id, username, token))) => {
            let org = state.store.org_id();
            let base = &state.base_url;
            let secs = state.token_ttl.as_secs();
            let body = format!(
                "<loginResponse><result><metadataServerUrl>{base}/services/Soap/m/{v}/{org}</metadataServerUrl>\
                 <passwordExpired>false</passwordExpired><sandbox>false</sandbox>\
                 <serverUrl>{base}/services/Soap/u/{v}/{org}</serverUrl><sessionId>{token}</sessionId>\
                 <userId>{user_id}</userId><userInfo><accessibilityMode>false</accessibilityMode>\
                 <currencySymbol>$</currencySymbol><orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode>\
                 <organizationId>{org}</organizationId><organizationMultiCurrency>false</organizationMultiCurrency>\
                 <organizationName>sfkit Local Org</organizationName><sessionSecondsValid>{secs}</sessionSecondsValid>\
                 <userDefaultCurrencyIsoCode xsi:nil=\"true\"/><userEmail>{u}</userEmail><userFullName>{u}</userFullName>\
                 <userId>{user_id}</userId><userLanguage>en_US</userLanguage><userLocale>en_US</userLocale>\
                 <userName>{u}</userName><userTimeZone>GMT</userTimeZone><userType>Standard</userType>\
                 </userInfo></result></loginResponse>",
                u = xml_escape(&username)
            );
            xml_response(StatusCode::OK, envelope(&body))
        }
        Ok(None) => fault(
            "INVALID_LOGIN",
            "Invalid username, password, security token; or user locked out.",
            "LoginFault",
        ),
        Err(e) => fault("UNKNOWN_EXCEPTION", e.message(), "UnexpectedErrorFault"),
    }
}

fn flag(m: &HashMap<String, String>, k: &str) -> bool {
    m.get(k).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

async fn convert(state: State, env: Envelope) -> Response {
    let invalid = || {
        fault(
            "INVALID_SESSION_ID",
            "Invalid Session ID found in SessionHeader: Illegal Session",
            "UnexpectedErrorFault",
        )
    };
    let Some(token) = env.session_id.clone() else {
        return invalid();
    };
    let st = state.clone();
    let actor = match run_blocking(move || super::lookup_session(&st, &token)).await {
        Ok(Some(a)) => a,
        _ => return invalid(),
    };
    state.api_used.fetch_add(1, Ordering::Relaxed);
    if env.converts.is_empty() || env.converts.len() > 100 {
        return fault(
            "INVALID_BATCH_SIZE",
            "convertLead takes between 1 and 100 leadConverts",
            "UnexpectedErrorFault",
        );
    }
    let st = state.clone();
    let results = run_blocking(move || {
        let converts: Vec<LeadConvert> = env
            .converts
            .iter()
            .map(|m| LeadConvert {
                lead_id: m.get("leadId").cloned().unwrap_or_default(),
                converted_status: m.get("convertedStatus").cloned(),
                account_id: m.get("accountId").cloned().filter(|s| !s.is_empty()),
                contact_id: m.get("contactId").cloned().filter(|s| !s.is_empty()),
                opportunity_name: m.get("opportunityName").cloned().filter(|s| !s.is_empty()),
                do_not_create_opportunity: flag(m, "doNotCreateOpportunity"),
                owner_id: m.get("ownerId").cloned().filter(|s| !s.is_empty()),
                overwrite_lead_source: flag(m, "overwriteLeadSource"),
            })
            .collect();
        st.store.write_batch(|b| {
            Ok(converts
                .iter()
                .map(|c| {
                    (
                        c.lead_id.clone(),
                        b.attempt(|inner| inner.convert_lead(&actor, c)),
                    )
                })
                .collect::<Vec<_>>())
        })
    })
    .await;
    let results: Vec<(String, Result<LeadConvertResult, ApiError>)> = match results {
        Ok(r) => r,
        Err(e) => return fault("UNKNOWN_EXCEPTION", e.message(), "UnexpectedErrorFault"),
    };
    let mut body = String::from("<convertLeadResponse>");
    for (lead_id, r) in results {
        match r {
            Ok(ok) => {
                let opp = ok.opportunity_id.map_or_else(
                    || "<opportunityId xsi:nil=\"true\"/>".to_owned(),
                    |o| format!("<opportunityId>{o}</opportunityId>"),
                );
                body.push_str(&format!(
                    "<result><accountId>{}</accountId><contactId>{}</contactId><leadId>{}</leadId>{opp}<success>true</success></result>",
                    ok.account_id,
                    ok.contact_id,
                    xml_escape(&lead_id)
                ));
            }
            Err(e) => {
                let errors: String = e
                    .items
                    .iter()
                    .map(|i| {
                        let fields: String = i.fields.iter().flatten().map(|f| format!("<fields>{}</fields>", xml_escape(f))).collect();
                        format!("<errors>{fields}<message>{}</message><statusCode>{}</statusCode></errors>", xml_escape(&i.message), i.error_code)
                    })
                    .collect();
                body.push_str(&format!(
                    "<result><accountId xsi:nil=\"true\"/><contactId xsi:nil=\"true\"/>{errors}<leadId>{}</leadId>\
                     <opportunityId xsi:nil=\"true\"/><success>false</success></result>",
                    xml_escape(&lead_id)
                ));
            }
        }
    }
    body.push_str("</convertLeadResponse>");
    xml_response(StatusCode::OK, envelope(&body))
}
