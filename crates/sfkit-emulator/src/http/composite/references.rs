//! `@{ref.path}` references: a subrequest's URL and body naming values from earlier
//! subrequests' answers.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::api_error::ApiError;

/// `@{ref.path}` references: their values, looked up in earlier subrequests' bodies.
pub(super) fn resolve_refs(text: &str, refs: &HashMap<String, Json>) -> Result<String, ApiError> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + 2..).unwrap_or_default();
        let end = after
            .find('}')
            .ok_or_else(|| ApiError::bad_request("INVALID_REFERENCE", "unterminated reference"))?;
        let expr = after.get(..end).unwrap_or_default();
        out.push_str(&json_text(&lookup(expr, refs)?));
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

pub(super) fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn lookup(expr: &str, refs: &HashMap<String, Json>) -> Result<Json, ApiError> {
    let name_end = expr.find(['.', '[']).unwrap_or(expr.len());
    let name = expr.get(..name_end).unwrap_or_default();
    let halted = || {
        ApiError::bad_request(
            "PROCESSING_HALTED",
            format!("Invalid reference specified. No value for {expr} found in {name}."),
        )
    };
    let mut cur = refs.get(name).ok_or_else(halted)?;
    let mut path = expr.get(name_end..).unwrap_or_default();
    while !path.is_empty() {
        if let Some(p) = path.strip_prefix('.') {
            let end = p.find(['.', '[']).unwrap_or(p.len());
            let key = p.get(..end).unwrap_or_default();
            // Field names in references are matched case-insensitively (`id` and `Id`).
            cur = match cur {
                Json::Object(m) => m
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v),
                _ => None,
            }
            .ok_or_else(halted)?;
            path = p.get(end..).unwrap_or_default();
        } else if let Some(p) = path.strip_prefix('[') {
            let end = p.find(']').ok_or_else(halted)?;
            let i: usize = p
                .get(..end)
                .and_then(|n| n.parse().ok())
                .ok_or_else(halted)?;
            cur = cur.get(i).ok_or_else(halted)?;
            path = p.get(end + 1..).unwrap_or_default();
        } else {
            return Err(halted());
        }
    }
    if cur.is_null() {
        return Err(halted());
    }
    Ok(cur.clone())
}

/// Replaces references in every string of a body; a string that is one whole reference takes
/// the referenced value's type.
pub(super) fn resolve_body(v: &Json, refs: &HashMap<String, Json>) -> Result<Json, ApiError> {
    Ok(match v {
        Json::String(s)
            if s.starts_with("@{") && s.ends_with('}') && s.matches("@{").count() == 1 =>
        {
            lookup(s.get(2..s.len() - 1).unwrap_or_default(), refs)?
        }
        Json::String(s) => Json::String(resolve_refs(s, refs)?),
        Json::Array(a) => Json::Array(
            a.iter()
                .map(|x| resolve_body(x, refs))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, x)| resolve_body(x, refs).map(|x| (k.clone(), x)))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

pub(super) fn valid_reference_id(r: &str) -> bool {
    r.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
