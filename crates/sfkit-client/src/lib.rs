//! sfkit's Salesforce client: what the actions, the CLI and the server use to talk to an org,
//! real or local.
//!
//! The design, in layers (see DESIGN §3):
//! - **Tokens** ([`auth`]): a [`TokenSource`] hands out access tokens: a fixed token, a refresh
//!   token, JWT bearer, client credentials, username-password, or the web-server flow's code.
//!   The client's session renews single-flight: N calls that find the token rejected make one
//!   token request, and each call re-authenticates at most once.
//! - **Transport** ([`Client`]): one HTTP client trusting the system's roots plus
//!   `SSL_CERT_FILE`; at most N requests in flight (default 25); the daily budget read from
//!   `Sforce-Limit-Info`, with a warning threshold and a stop threshold past which calls fail
//!   fast ([`Error::BudgetExhausted`]); retries with backoff and jitter only where safe (503,
//!   row locks, connection failures before sending, and 502/504 for idempotent requests). A
//!   create is never retried after Salesforce may have applied it.
//! - **Resources**: [`Client::sobjects`] (records, upsert, describe), [`Client::query`] as a
//!   stream that follows every locator (children too) in constant memory, search, limits,
//!   versions, userinfo, Bulk API 2.0 loads and queries ([`Client::bulk`]), and
//!   [`Client::request`] for anything else.
//! - **Errors** ([`Error`]): Salesforce's body kept as data with a typed [`ErrorCode`], and a
//!   message that says what to do. Secrets never appear in `Debug` output or messages
//!   ([`Secret`]).

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
pub use error::{ApiError, ApiErrorEntry, AuthError, Error, ErrorCode};
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
