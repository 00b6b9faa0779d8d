//! sfkit's Salesforce client: what the actions, the CLI and the server use to talk to an org,
//! real or local.
//!
//! The design, in layers (see DESIGN §3):
//! - **Tokens** ([`auth`]): a [`TokenSource`] hands out access tokens: a fixed token, a refresh
//!   token, JWT bearer, client credentials, username-password, or the web-server flow's code.
//!   The client's session renews single-flight: N calls that find the token rejected make one
//!   token request, and each call re-authenticates at most once.
//! - **Transport** ([`Client`]): one HTTP client trusting the system's roots plus
//!   `SSL_CERT_FILE` (the same one bare, for calls made before there is a token:
//!   [`ClientBuilder::build_http`]); at most N requests in flight (default 25); the daily budget read from
//!   `Sforce-Limit-Info`, with a warning threshold and a stop threshold past which calls fail
//!   fast ([`Error::BudgetExhausted`]); retries with backoff and jitter only where safe (503,
//!   row locks, connection failures before sending, and 502/504 for idempotent requests). A
//!   create is never retried after Salesforce may have applied it.
//! - **Resources**: [`Client::sobjects`] (records, upsert, describe), [`Client::query`] as a
//!   stream that follows every locator (children too) in constant memory, search, limits,
//!   versions, userinfo, Bulk API 2.0 loads and queries ([`Client::bulk`]), and
//!   [`Client::request`] for anything else.
//! - **Errors** ([`Error`]): Salesforce's body kept as data with a typed [`ErrorCode`], and a
//!   message that says what to do; an answer that does not decode names the JSON path that
//!   failed (`records[3].Amount`). Secrets never appear in `Debug` output or messages
//!   ([`Secret`]).
//!
//! Where each part lives:
//! - [`auth`]: [`TokenSource`] and every source (`oauth`: fixed, refresh token, password,
//!   client credentials, the web-server flow; `jwt`; `nango`; `sf_cli`; `login`: a login
//!   described as data), and the session that renews tokens single-flight.
//! - `client`: [`Client`] and its budget (`mod.rs`), [`ClientBuilder`] and the HTTP client with
//!   this crate's TLS trust (`builder.rs`, also bare: [`http_client`]), the request and answer
//!   types the handlers share (`request.rs`), [`RetryPolicy`] and the one table of what is
//!   tried again (`retry.rs`), and the send loop (`send.rs`).
//! - `sobjects`: records by id and external id, describe, deleted/updated windows.
//! - `query`: SOQL as a record stream, every page and every child page.
//! - `composite`: Composite, batch, tree, graph and sObject Collections (chunked by 200).
//! - `bulk`: Bulk API 2.0: jobs (`mod.rs`), loads (`ingest.rs`), queries (`query.rs`), CSV
//!   uploads split past the upload limit (`upload.rs`) and result rows parsed as they arrive
//!   (`rows.rs`).
//! - `soap`: the SOAP partner API's `convertLead`.
//! - `misc`: limits, versions, userinfo, describe global, search, and raw requests.
//! - `error`: the error types; `error_code`: the table of Salesforce's error codes;
//!   `json`: decoding with the failing path; `secret`: [`Secret`]; `tls`: the roots trusted.
//!
//! Runnable programs are in `examples/`, each documented at its top: `query_every_page`,
//! `convert_lead` (a Lead created, then converted), `bulk_load` and `jwt_login`. They read the
//! org from the environment, and run against sfkit's local org (`sfkit emulator`) as well.

pub mod auth;
mod bulk;
mod client;
mod composite;
mod error;
mod error_code;
mod json;
mod misc;
mod query;
mod secret;
mod soap;
mod sobjects;
mod tls;

pub use auth::{Token, TokenSource};
pub use bulk::{
    Bulk, BulkFailure, BulkOperation, BulkSuccess, CsvRows, CsvUpload, IngestResults, JobInfo,
    Load, LoadProgress, LoadedJob, QUERY_PAGE, QueryRows, ResultKind, UPLOAD_LIMIT,
};
pub use client::{
    ApiUsage, Budget, Client, ClientBuilder, DEFAULT_API_VERSION, RetryPolicy, http_client,
};
pub use composite::{
    BatchResponse, BatchResult, COLLECTION_CHUNK, CollectionError, GraphBody, GraphResponse,
    RETRIEVE_CHUNK, SaveOutcome, SubResponse, Subrequest, TreeResponse, TreeResult,
};
/// Rows of Bulk API CSV ([`CsvRows`], [`QueryRows`]) are `csv` records.
pub use csv::ByteRecord;
pub use error::{ApiError, ApiErrorEntry, AuthError, Error, ErrorCode, WebFlowFailure};
pub use misc::{ApiVersion, DescribeGlobal, GlobalSObject, Limit};
pub use query::{MAX_SOQL_CHARS, QueryOptions, QueryPage, RawRecord};
pub use secret::Secret;
pub use soap::{LeadConvert, LeadConvertResult, Soap};
pub use sobjects::{
    ChildRelationship, DeletedRecord, DeletedRecords, FieldDescribe, PicklistEntry, Record,
    SObjectDescribe, SObjects, SaveResult, UpdatedRecords, UpsertResult, is_not_found,
};

/// Re-exported so callers can name request methods for [`Client::request`].
pub use reqwest::Method;
