//! The composite family: composite (subrequests with references, allOrNone), composite batch,
//! sObject tree, graph, and sObject collections. Collections take any number of records: they
//! go 200 to a request (Salesforce's cap), allOrNone applying per request, and the outcomes
//! come back in the input order.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{Client, Req, data};
use crate::error::{ApiErrorEntry, Error};
use crate::sobjects::Record;

/// Records per sObject Collections request (Salesforce's limit).
pub const COLLECTION_CHUNK: usize = 200;
/// Ids per collections retrieve request (Salesforce's limit).
pub const RETRIEVE_CHUNK: usize = 2000;

/// One composite subrequest. `url` is the resource path (`/services/data/v66.0/sobjects/Account`);
/// later subrequests refer to earlier results as `@{referenceId.id}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subrequest {
    /// HTTP method.
    pub method: String,
    /// Resource path.
    pub url: String,
    /// The name later subrequests use for this one's result.
    pub reference_id: String,
    /// The JSON body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl Subrequest {
    /// A subrequest.
    pub fn new(method: Method, url: impl Into<String>, reference_id: impl Into<String>) -> Self {
        Subrequest {
            method: method.as_str().to_owned(),
            url: url.into(),
            reference_id: reference_id.into(),
            body: None,
        }
    }

    /// With a JSON body.
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// One subrequest's answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubResponse {
    /// The answer's body (an error array on failure).
    #[serde(default)]
    pub body: Value,
    /// Its status.
    pub http_status_code: u16,
    /// The subrequest's reference id.
    #[serde(default)]
    pub reference_id: String,
    /// Headers such as `Location`.
    #[serde(default)]
    pub http_headers: Map<String, Value>,
}

impl SubResponse {
    /// True for a 2xx answer.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.http_status_code)
    }
}

/// Composite batch's answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BatchResponse {
    /// Some subrequest failed.
    pub has_errors: bool,
    /// The answers, in order.
    pub results: Vec<BatchResult>,
}

/// One composite batch answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BatchResult {
    /// Its status.
    pub status_code: u16,
    /// Its body.
    #[serde(default)]
    pub result: Value,
}

/// sObject tree's answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TreeResponse {
    /// Nothing was saved when true.
    pub has_errors: bool,
    /// Each record's reference id and new id (or errors).
    pub results: Vec<TreeResult>,
}

/// One record of a tree answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TreeResult {
    /// The reference id the request gave it.
    pub reference_id: String,
    /// Its new id.
    #[serde(default)]
    pub id: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub errors: Vec<Value>,
}

/// A graph's answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GraphResponse {
    /// The graph's id.
    pub graph_id: String,
    /// All its subrequests succeeded (and were kept).
    pub is_successful: bool,
    /// Its subrequests' answers.
    pub graph_response: GraphBody,
}

/// The subrequest answers of a graph.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GraphBody {
    /// In order.
    pub composite_response: Vec<SubResponse>,
}

/// One record's outcome in a collections call.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct SaveOutcome {
    /// The record's id (absent when a create failed).
    #[serde(default)]
    pub id: Option<String>,
    /// It was saved.
    pub success: bool,
    /// Why not.
    #[serde(default)]
    pub errors: Vec<CollectionError>,
    /// For upserts: a new record was made.
    #[serde(default)]
    pub created: Option<bool>,
}

/// An error entry in a collections answer (`statusCode`, not `errorCode`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CollectionError {
    /// The code.
    #[serde(default)]
    pub status_code: String,
    /// The text.
    #[serde(default)]
    pub message: String,
    /// The fields concerned.
    #[serde(default)]
    pub fields: Vec<String>,
}

impl From<CollectionError> for ApiErrorEntry {
    fn from(e: CollectionError) -> Self {
        ApiErrorEntry {
            message: e.message,
            error_code: e.status_code,
            fields: e.fields,
        }
    }
}

impl Client {
    /// Runs subrequests as one composite request (up to 25; 5 of them queries). With
    /// `all_or_none`, any failure rolls every subrequest back.
    pub async fn composite(
        &self,
        subrequests: &[Subrequest],
        all_or_none: bool,
    ) -> Result<Vec<SubResponse>, Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            composite_response: Vec<SubResponse>,
        }
        let body = json!({"allOrNone": all_or_none, "compositeRequest": subrequests});
        let req = Req::new(Method::POST, data(&["composite"])).json(&body)?;
        let a: Answer = self.send_json(&req, "composite").await?;
        Ok(a.composite_response)
    }

    /// Runs up to 25 independent subrequests (`{method, url, richInput}`) as a batch.
    pub async fn composite_batch(
        &self,
        subrequests: &[Value],
        halt_on_error: bool,
    ) -> Result<BatchResponse, Error> {
        let body = json!({"haltOnError": halt_on_error, "batchRequests": subrequests});
        let req = Req::new(Method::POST, data(&["composite", "batch"])).json(&body)?;
        self.send_json(&req, "composite batch").await
    }

    /// Creates records with their children in one transaction (`records` as sObject tree
    /// takes them, each with `attributes: {type, referenceId}`).
    pub async fn tree(&self, sobject: &str, records: &[Value]) -> Result<TreeResponse, Error> {
        let req = Req::new(Method::POST, data(&["composite", "tree", sobject]))
            .json(&json!({ "records": records }))?;
        self.send_json(&req, "sObject tree").await
    }

    /// Runs composite graphs (`[{graphId, compositeRequest: [...]}]`), each all-or-none.
    pub async fn graph(&self, graphs: &[Value]) -> Result<Vec<GraphResponse>, Error> {
        #[derive(Deserialize)]
        struct Answer {
            graphs: Vec<GraphResponse>,
        }
        let req = Req::new(Method::POST, data(&["composite", "graph"]))
            .json(&json!({ "graphs": graphs }))?;
        let a: Answer = self.send_json(&req, "composite graph").await?;
        Ok(a.graphs)
    }

    /// Creates any number of records of one type; see the module docs for chunking.
    pub async fn create_many(
        &self,
        sobject: &str,
        records: &[Record],
        all_or_none: bool,
    ) -> Result<Vec<SaveOutcome>, Error> {
        self.collection(
            Method::POST,
            data(&["composite", "sobjects"]),
            sobject,
            records,
            all_or_none,
            false,
        )
        .await
    }

    /// Updates any number of records of one type (each with its `Id`).
    pub async fn update_many(
        &self,
        sobject: &str,
        records: &[Record],
        all_or_none: bool,
    ) -> Result<Vec<SaveOutcome>, Error> {
        self.collection(
            Method::PATCH,
            data(&["composite", "sobjects"]),
            sobject,
            records,
            all_or_none,
            true,
        )
        .await
    }

    /// Upserts any number of records of one type by the external id `field` (sObject
    /// Collections, `PATCH /composite/sobjects/{type}/{field}`): each record carries its own
    /// `field` value; a new value creates a record, a known one updates it
    /// ([`SaveOutcome::created`] says which). Sent [`COLLECTION_CHUNK`] records at a time,
    /// outcomes in input order; `all_or_none` holds within each request. Safe to retry: sending
    /// the same upsert twice leaves the same records.
    pub async fn upsert_many(
        &self,
        sobject: &str,
        field: &str,
        records: &[Record],
        all_or_none: bool,
    ) -> Result<Vec<SaveOutcome>, Error> {
        self.collection(
            Method::PATCH,
            data(&["composite", "sobjects", sobject, field]),
            sobject,
            records,
            all_or_none,
            true,
        )
        .await
    }

    /// Deletes any number of records by id.
    pub async fn delete_many(
        &self,
        ids: &[String],
        all_or_none: bool,
    ) -> Result<Vec<SaveOutcome>, Error> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(COLLECTION_CHUNK) {
            let req = Req::new(Method::DELETE, data(&["composite", "sobjects"]))
                .query("ids", chunk.join(","))
                .query("allOrNone", all_or_none.to_string());
            let done = out.len();
            let part: Vec<SaveOutcome> = self
                .send_json(&req, "collections delete")
                .await
                .map_err(|e| partial(done, e))?;
            out.extend(part);
        }
        Ok(out)
    }

    /// Reads any number of records of one type by id, the given fields; `None` where no record
    /// has the id.
    pub async fn retrieve_many(
        &self,
        sobject: &str,
        ids: &[String],
        fields: &[&str],
    ) -> Result<Vec<Option<Record>>, Error> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(RETRIEVE_CHUNK) {
            let req = Req::new(Method::POST, data(&["composite", "sobjects", sobject]))
                .json(&json!({"ids": chunk, "fields": fields}))?
                .idempotent(true);
            let part: Vec<Option<Record>> = self.send_json(&req, "collections retrieve").await?;
            out.extend(part);
        }
        Ok(out)
    }

    async fn collection(
        &self,
        method: Method,
        target: crate::client::Target,
        sobject: &str,
        records: &[Record],
        all_or_none: bool,
        idempotent: bool,
    ) -> Result<Vec<SaveOutcome>, Error> {
        let mut out = Vec::with_capacity(records.len());
        for chunk in records.chunks(COLLECTION_CHUNK) {
            let typed: Vec<Record> = chunk
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    r.insert("attributes".into(), json!({ "type": sobject }));
                    r
                })
                .collect();
            let req = Req::new(method.clone(), target.clone())
                .json(&json!({"allOrNone": all_or_none, "records": typed}))?
                .idempotent(idempotent);
            let done = out.len();
            let part: Vec<SaveOutcome> = self
                .send_json(&req, "collections")
                .await
                .map_err(|e| partial(done, e))?;
            out.extend(part);
        }
        Ok(out)
    }
}

/// Wraps a failure after `done` records were already processed by earlier requests.
fn partial(done: usize, e: Error) -> Error {
    if done == 0 {
        e
    } else {
        Error::Partial {
            done,
            source: Box::new(e),
        }
    }
}
