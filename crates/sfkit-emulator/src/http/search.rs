//! `/search` (SOSL) and `/parameterizedSearch`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value as Json, json};

use super::{Session, State, blocking, json_response, parse_body, version};
use crate::api_error::ApiError;
use crate::soql::Env;

pub(super) fn routes() -> Router<State> {
    Router::new()
        .route("/services/data/{v}/search", get(search))
        .route(
            "/services/data/{v}/parameterizedSearch",
            get(parameterized_get).post(parameterized_post),
        )
}

/// Runs SOSL text and shapes the answer for the version: `{searchRecords}` from v37, a bare
/// array before.
fn run(state: &super::OrgState, sosl: &str, v: &str) -> Result<Response, ApiError> {
    let schema = state.store.schema().clone();
    let env = Env {
        schema: &schema,
        today: chrono::Utc::now().date_naive(),
        fiscal_start: 1,
        all_rows: false,
        // SOSL runs SOQL over the matching ids: a new text each time, not worth keeping.
        plans: None,
    };
    let records = {
        let conn = state.store.reader();
        crate::sosl::execute(&conn, env, sosl, v)?
    };
    let major: u32 = v
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(66);
    let body = if major >= 37 {
        json!({"searchRecords": records})
    } else {
        Json::Array(records)
    };
    Ok(json_response(StatusCode::OK, &body))
}

async fn search(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    UrlQuery(p): UrlQuery<HashMap<String, String>>,
    _s: Session,
) -> Response {
    blocking(&state, move |st| {
        let v = version(&v)?;
        let q = p.get("q").cloned().unwrap_or_default();
        if q.trim().is_empty() {
            return Err(ApiError::bad_request(
                "MALFORMED_SEARCH",
                "No search term found. The search term must be enclosed in braces.",
            ));
        }
        run(&st, &q, &v)
    })
    .await
}

/// One object of a parameterized search.
struct Target {
    name: String,
    fields: Vec<String>,
    where_clause: Option<String>,
    limit: Option<u64>,
}

/// Builds SOSL from parameterized-search inputs; the term is escaped, so it cannot break out of
/// the braces.
fn build(
    q: &str,
    targets: &[Target],
    default_fields: &[String],
    in_group: Option<&str>,
    overall: Option<u64>,
) -> Result<String, ApiError> {
    if q.trim().is_empty() {
        return Err(ApiError::bad_request(
            "MALFORMED_SEARCH",
            "No search term found.",
        ));
    }
    let term = q
        .replace('\\', "\\\\")
        .replace('{', "\\{")
        .replace('}', "\\}");
    let mut sosl = format!("FIND {{{term}}}");
    if let Some(g) = in_group {
        let g = g.to_ascii_uppercase();
        if !["ALL", "NAME", "EMAIL", "PHONE", "SIDEBAR"].contains(&g.as_str()) {
            return Err(ApiError::bad_request(
                "INVALID_SEARCH",
                format!("invalid search group: {g}"),
            ));
        }
        sosl.push_str(&format!(" IN {g} FIELDS"));
    }
    if !targets.is_empty() {
        let specs: Vec<String> = targets
            .iter()
            .map(|t| {
                let fields = if t.fields.is_empty() {
                    default_fields
                } else {
                    &t.fields
                };
                let checked: Vec<String> = fields
                    .iter()
                    .map(|f| sfkit_soql::FieldPath::parse(f.trim()).map(|p| p.to_string()))
                    .collect::<Result<_, _>>()
                    .map_err(|e| ApiError::bad_request("INVALID_FIELD", e.to_string()))?;
                let name = sfkit_soql::FieldPath::parse(&t.name)
                    .map_err(|e| ApiError::bad_request("INVALID_TYPE", e.to_string()))?;
                let mut spec = name.to_string();
                if !checked.is_empty() || t.where_clause.is_some() || t.limit.is_some() {
                    let list = if checked.is_empty() {
                        "Id".to_owned()
                    } else {
                        checked.join(", ")
                    };
                    spec.push_str(&format!("({list}"));
                    if let Some(w) = &t.where_clause {
                        // Parsed alone and printed back, so the text cannot reach past its clause.
                        let q =
                            sfkit_soql::parse_query(&format!("SELECT Id FROM {name} WHERE {w}"))
                                .map_err(|e| {
                                    ApiError::bad_request(
                                        "MALFORMED_SEARCH",
                                        format!("invalid where clause: {e}"),
                                    )
                                })?;
                        if let Some(cond) = q.where_clause {
                            spec.push_str(&format!(" WHERE {cond}"));
                        }
                    }
                    if let Some(l) = t.limit {
                        spec.push_str(&format!(" LIMIT {l}"));
                    }
                    spec.push(')');
                }
                Ok(spec)
            })
            .collect::<Result<_, ApiError>>()?;
        sosl.push_str(&format!(" RETURNING {}", specs.join(", ")));
    }
    if let Some(n) = overall {
        sosl.push_str(&format!(" LIMIT {n}"));
    }
    Ok(sosl)
}

async fn parameterized_get(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    UrlQuery(pairs): UrlQuery<Vec<(String, String)>>,
    _s: Session,
) -> Response {
    blocking(&state, move |st| {
        let v = version(&v)?;
        // `sobject` may repeat (`sobject=Account&sobject=Contact`), as Salesforce documents.
        let sobjects: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k == "sobject")
            .flat_map(|(_, s)| s.split(','))
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect();
        let p: HashMap<String, String> = pairs.into_iter().collect();
        let q = p.get("q").cloned().unwrap_or_default();
        let list = |k: &str| -> Vec<String> {
            p.get(k)
                .map(|s| {
                    s.split(',')
                        .map(str::to_owned)
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let default_fields = list("fields");
        let targets: Vec<Target> = sobjects
            .into_iter()
            .map(|name| Target {
                fields: list(&format!("{name}.fields")),
                where_clause: p.get(&format!("{name}.where")).cloned(),
                limit: p.get(&format!("{name}.limit")).and_then(|l| l.parse().ok()),
                name,
            })
            .collect();
        let overall = p.get("overallLimit").and_then(|l| l.parse().ok());
        let sosl = build(
            &q,
            &targets,
            &default_fields,
            p.get("in").map(String::as_str),
            overall,
        )?;
        run(&st, &sosl, &v)
    })
    .await
}

async fn parameterized_post(
    AxState(state): AxState<State>,
    Path(v): Path<String>,
    _s: Session,
    body: Bytes,
) -> Response {
    blocking(&state, move |st| {
        let v = version(&v)?;
        let req = parse_body(&body)?;
        let strings = |j: Option<&Json>| -> Vec<String> {
            j.and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Json::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let q = req
            .get("q")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let default_fields = strings(req.get("fields"));
        let targets: Vec<Target> = req
            .get("sobjects")
            .and_then(Json::as_array)
            .map(|list| {
                list.iter()
                    .map(|o| Target {
                        name: o
                            .get("name")
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        fields: strings(o.get("fields")),
                        where_clause: o.get("where").and_then(Json::as_str).map(str::to_owned),
                        limit: o.get("limit").and_then(Json::as_u64),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let overall = req.get("overallLimit").and_then(Json::as_u64);
        let sosl = build(
            &q,
            &targets,
            &default_fields,
            req.get("in").and_then(Json::as_str),
            overall,
        )?;
        run(&st, &sosl, &v)
    })
    .await
}
