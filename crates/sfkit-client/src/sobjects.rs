//! One sObject type's resources: records by id and by external id, create, update, upsert,
//! delete, describe (cached per client), basic info, and the replication calls (deleted and
//! updated records in a window).

use std::sync::Arc;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Client, Req, data};
use crate::error::{ApiError, ApiErrorEntry, Error, ErrorCode};

/// A record as Salesforce sends it: API field names to values (with `attributes`).
pub type Record = Map<String, Value>;

/// The answer to a create.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct SaveResult {
    /// The new record's id.
    pub id: String,
    /// Always true for a single create that answered 201.
    pub success: bool,
    /// Warnings Salesforce attaches.
    #[serde(default)]
    pub errors: Vec<ApiErrorEntry>,
}

/// The answer to an upsert by external id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UpsertResult {
    /// The record's id.
    pub id: String,
    /// True when no record matched and one was created.
    pub created: bool,
}

/// A field, as describe lists it (the common members; the rest are in `other`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FieldDescribe {
    /// API name.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// Type: `string`, `reference`, `picklist`, `currency`, ...
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Maximum length of text values.
    #[serde(default)]
    pub length: u64,
    /// Can be null (so is not required).
    #[serde(default)]
    pub nillable: bool,
    /// Can be set on create.
    #[serde(default)]
    pub createable: bool,
    /// Can be changed on update.
    #[serde(default)]
    pub updateable: bool,
    /// Given a value on create when none is sent.
    #[serde(default)]
    pub defaulted_on_create: bool,
    /// Usable as an external id in upserts.
    #[serde(default)]
    pub external_id: bool,
    /// Values must be unique.
    #[serde(default)]
    pub unique: bool,
    /// Picklist entries.
    #[serde(default)]
    pub picklist_values: Vec<PicklistEntry>,
    /// Types a reference field can point to.
    #[serde(default)]
    pub reference_to: Vec<String>,
    /// The relationship name for SOQL paths (`Account` for `AccountId`).
    #[serde(default)]
    pub relationship_name: Option<String>,
    /// Every other member, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl FieldDescribe {
    /// True when a create must give this field a value.
    pub fn is_required(&self) -> bool {
        !self.nillable && self.createable && !self.defaulted_on_create && self.kind != "boolean"
    }
}

/// One picklist entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PicklistEntry {
    /// The API value.
    pub value: String,
    /// The label.
    #[serde(default)]
    pub label: Option<String>,
    /// Selectable.
    #[serde(default)]
    pub active: bool,
    /// The default.
    #[serde(default)]
    pub default_value: bool,
}

/// A child relationship, as describe lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChildRelationship {
    /// The child type.
    pub child_s_object: String,
    /// The child's reference field.
    pub field: String,
    /// The name for subqueries (`Contacts`), when there is one.
    #[serde(default)]
    pub relationship_name: Option<String>,
}

/// An sObject type's describe.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SObjectDescribe {
    /// API name.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// The id prefix.
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// A custom object.
    #[serde(default)]
    pub custom: bool,
    /// Records can be created.
    #[serde(default)]
    pub createable: bool,
    /// Records can be updated.
    #[serde(default)]
    pub updateable: bool,
    /// Records can be deleted.
    #[serde(default)]
    pub deletable: bool,
    /// Can be queried.
    #[serde(default)]
    pub queryable: bool,
    /// Fields.
    #[serde(default)]
    pub fields: Vec<FieldDescribe>,
    /// Child relationships.
    #[serde(default)]
    pub child_relationships: Vec<ChildRelationship>,
    /// Every other member, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl SObjectDescribe {
    /// The field with this API name (any case).
    pub fn field(&self, name: &str) -> Option<&FieldDescribe> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

/// Records deleted in a window (`getDeleted`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeletedRecords {
    /// The records, with their deletion time.
    #[serde(default)]
    pub deleted_records: Vec<DeletedRecord>,
    /// The earliest date the org still has deletions for.
    #[serde(default)]
    pub earliest_date_available: Option<String>,
    /// The end of the window covered.
    #[serde(default)]
    pub latest_date_covered: Option<String>,
}

/// One deleted record.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeletedRecord {
    /// Its id.
    pub id: String,
    /// When it was deleted.
    pub deleted_date: String,
}

/// Records updated in a window (`getUpdated`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UpdatedRecords {
    /// Their ids.
    #[serde(default)]
    pub ids: Vec<String>,
    /// The end of the window covered.
    #[serde(default)]
    pub latest_date_covered: Option<String>,
}

/// The resources of one sObject type; from [`Client::sobjects`].
///
/// ```no_run
/// # async fn run(client: sfkit_client::Client) -> Result<(), sfkit_client::Error> {
/// use serde_json::json;
/// use sfkit_client::Record;
///
/// let accounts = client.sobjects("Account");
/// let saved = accounts.create(&json!({"Name": "Acme", "Industry": "Energy"})).await?;
/// accounts.update(&saved.id, &json!({"Industry": "Utilities"})).await?;
/// let read: Record = accounts.get(&saved.id).await?;
/// assert_eq!(read["Industry"], "Utilities");
/// accounts.delete(&saved.id).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SObjects<'a> {
    client: &'a Client,
    name: String,
}

impl Client {
    /// The resources of the sObject type `name` (`Account`, `Invoice__c`, ...).
    pub fn sobjects(&self, name: &str) -> SObjects<'_> {
        SObjects {
            client: self,
            name: name.to_owned(),
        }
    }
}

impl SObjects<'_> {
    fn context(&self, what: &str) -> String {
        format!("{what} {}", self.name)
    }

    /// A record by id, every field.
    pub async fn get<T: DeserializeOwned>(&self, id: &str) -> Result<T, Error> {
        let req = Req::get(&["sobjects", &self.name, id]);
        self.client.send_json(&req, &self.context("get")).await
    }

    /// A record by id, the given fields only.
    pub async fn get_fields<T: DeserializeOwned>(
        &self,
        id: &str,
        fields: &[&str],
    ) -> Result<T, Error> {
        let req = Req::get(&["sobjects", &self.name, id]).query("fields", fields.join(","));
        self.client.send_json(&req, &self.context("get")).await
    }

    /// A record by an external id field's value.
    pub async fn get_by_external_id<T: DeserializeOwned>(
        &self,
        field: &str,
        value: &str,
    ) -> Result<T, Error> {
        let req = Req::get(&["sobjects", &self.name, field, value]);
        self.client.send_json(&req, &self.context("get")).await
    }

    /// Creates a record from fields by API name. Never retried after it may have been applied.
    pub async fn create(&self, fields: &impl Serialize) -> Result<SaveResult, Error> {
        let req = Req::new(Method::POST, data(&["sobjects", &self.name])).json(fields)?;
        self.client.send_json(&req, &self.context("create")).await
    }

    /// Updates fields of a record.
    pub async fn update(&self, id: &str, fields: &impl Serialize) -> Result<(), Error> {
        let req = Req::new(Method::PATCH, data(&["sobjects", &self.name, id])).json(fields)?;
        self.client.send(&req).await.map(drop)
    }

    /// Creates or updates the record whose external id `field` is `value`. Several matches are
    /// an error (Salesforce answers 300 with their URLs).
    pub async fn upsert(
        &self,
        field: &str,
        value: &str,
        fields: &impl Serialize,
    ) -> Result<UpsertResult, Error> {
        let req =
            Req::new(Method::PATCH, data(&["sobjects", &self.name, field, value])).json(fields)?;
        let answer = self.client.send(&req).await?;
        if answer.status == 300 {
            let urls: Vec<String> = answer.json(&self.context("upsert")).unwrap_or_default();
            return Err(Error::Api(ApiError::new(
                300,
                vec![ApiErrorEntry {
                    message: format!(
                        "{} records have {field} = {value:?}: {}; make the external id unique or update by id",
                        urls.len(),
                        urls.join(", ")
                    ),
                    error_code: "MULTIPLE_CHOICES".into(),
                    fields: vec![field.to_owned()],
                }],
            )));
        }
        if answer.body.is_empty() {
            // Before API 46.0 an update answered 204 without a body.
            return Ok(UpsertResult {
                id: String::new(),
                created: false,
            });
        }
        answer.json(&self.context("upsert"))
    }

    /// Deletes a record (to the recycle bin).
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        let req = Req::new(Method::DELETE, data(&["sobjects", &self.name, id]));
        self.client.send(&req).await.map(drop)
    }

    /// The type's describe, cached for the client's life (describes change with deployments,
    /// not between calls); see [`Self::describe_fresh`].
    pub async fn describe(&self) -> Result<Arc<SObjectDescribe>, Error> {
        let key = self.name.to_ascii_lowercase();
        if let Some(d) = self.client.cached_describe(&key) {
            return Ok(d);
        }
        let d = Arc::new(self.describe_fresh().await?);
        self.client.cache_describe(key, Arc::clone(&d));
        Ok(d)
    }

    /// The type's describe, asked again.
    pub async fn describe_fresh(&self) -> Result<SObjectDescribe, Error> {
        let req = Req::get(&["sobjects", &self.name, "describe"]);
        self.client.send_json(&req, &self.context("describe")).await
    }

    /// Basic information: the type's summary and its most recently used records.
    pub async fn basic_info(&self) -> Result<Value, Error> {
        let req = Req::get(&["sobjects", &self.name]);
        self.client
            .send_json(&req, &self.context("basic info"))
            .await
    }

    /// Records deleted between `start` and `end` (ISO 8601 dateTimes).
    pub async fn deleted(&self, start: &str, end: &str) -> Result<DeletedRecords, Error> {
        let req = Req::get(&["sobjects", &self.name, "deleted", ""])
            .query("start", start)
            .query("end", end);
        self.client.send_json(&req, &self.context("deleted")).await
    }

    /// Records updated between `start` and `end` (ISO 8601 dateTimes).
    pub async fn updated(&self, start: &str, end: &str) -> Result<UpdatedRecords, Error> {
        let req = Req::get(&["sobjects", &self.name, "updated", ""])
            .query("start", start)
            .query("end", end);
        self.client.send_json(&req, &self.context("updated")).await
    }
}

/// True for Salesforce's "not found" answers, for callers that treat absence as data.
pub fn is_not_found(e: &Error) -> bool {
    matches!(e.code(), Some(ErrorCode::NotFound))
}
