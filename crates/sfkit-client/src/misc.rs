//! The org-wide resources: versions, describeGlobal, limits, userinfo, SOSL search and
//! parameterizedSearch, and a raw request for anything else.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::{Client, Req, Target, data};
use crate::error::Error;
use crate::sobjects::Record;

/// An API version the org serves.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct ApiVersion {
    /// The release name, e.g. `Winter '26`.
    pub label: String,
    /// Its resource path.
    pub url: String,
    /// The number, e.g. `65.0`.
    pub version: String,
}

/// One type in describeGlobal.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GlobalSObject {
    /// API name.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// Custom object.
    #[serde(default)]
    pub custom: bool,
    /// Queryable.
    #[serde(default)]
    pub queryable: bool,
    /// Id prefix.
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// Every other member.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// describeGlobal.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DescribeGlobal {
    /// Records per batch call the org takes.
    #[serde(default)]
    pub max_batch_size: u64,
    /// Every type.
    #[serde(default)]
    pub sobjects: Vec<GlobalSObject>,
}

/// One limit from `/limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Limit {
    /// The allowance.
    #[serde(rename = "Max")]
    pub max: i64,
    /// What is left.
    #[serde(rename = "Remaining")]
    pub remaining: i64,
}

impl Client {
    /// The API versions the org serves.
    pub async fn versions(&self) -> Result<Vec<ApiVersion>, Error> {
        let req = Req::new(
            Method::GET,
            Target::Root(vec!["services".into(), "data".into(), String::new()]),
        );
        self.send_json(&req, "versions").await
    }

    /// Every sObject type.
    pub async fn describe_global(&self) -> Result<DescribeGlobal, Error> {
        self.send_json(&Req::get(&["sobjects", ""]), "describeGlobal")
            .await
    }

    /// The org's limits by name (`DailyApiRequests`, ...).
    pub async fn limits(&self) -> Result<BTreeMap<String, Limit>, Error> {
        #[derive(Deserialize)]
        struct AnyLimit {
            #[serde(rename = "Max", default)]
            max: i64,
            #[serde(rename = "Remaining", default)]
            remaining: i64,
        }
        let raw: BTreeMap<String, AnyLimit> =
            self.send_json(&Req::get(&["limits", ""]), "limits").await?;
        Ok(raw
            .into_iter()
            .map(|(k, l)| {
                (
                    k,
                    Limit {
                        max: l.max,
                        remaining: l.remaining,
                    },
                )
            })
            .collect())
    }

    /// The connected user (OpenID Connect userinfo).
    pub async fn userinfo(&self) -> Result<Value, Error> {
        let req = Req::new(
            Method::GET,
            Target::Root(vec!["services".into(), "oauth2".into(), "userinfo".into()]),
        );
        self.send_json(&req, "userinfo").await
    }

    /// Runs SOSL; the matching records of every type returned.
    pub async fn search(&self, sosl: &str) -> Result<Vec<Record>, Error> {
        let req = Req::get(&["search", ""]).query("q", sosl);
        search_records(self.send_json(&req, "search").await?)
    }

    /// parameterizedSearch: a search described as JSON (`q`, `fields`, `sobjects`, `in`,
    /// `overallLimit`, ...), with no SOSL to build.
    pub async fn parameterized_search(&self, body: &Value) -> Result<Vec<Record>, Error> {
        let req = Req::new(Method::POST, data(&["parameterizedSearch", ""]))
            .json(body)?
            .idempotent(true);
        search_records(self.send_json(&req, "parameterizedSearch").await?)
    }

    /// Any request under the instance: `path` like `/services/data/v66.0/limits` (with its
    /// query string), an optional JSON body; the JSON answer, or `None` for an empty one.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, Error> {
        if !path.starts_with('/') {
            return Err(Error::Config(format!(
                "a request path starts with /: {path:?}"
            )));
        }
        let mut req = Req::new(method, Target::Raw(path.to_owned()));
        if let Some(b) = body {
            req = req.json(b)?;
        }
        let answer = self.send(&req).await?;
        if answer.body.is_empty() {
            return Ok(None);
        }
        answer.json(path).map(Some)
    }
}

/// `{"searchRecords": [...]}` (v37+) or a bare array (earlier versions).
fn search_records(v: Value) -> Result<Vec<Record>, Error> {
    let (list, at) = match v {
        Value::Object(mut m) => (
            m.remove("searchRecords")
                .unwrap_or(Value::Array(Vec::new())),
            "searchRecords",
        ),
        other => (other, ""),
    };
    crate::json::from_value(list).map_err(|e| Error::decode("search", e.within(at)))
}
