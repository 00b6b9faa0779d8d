//! One error type for everything the client does. Salesforce's own error body is kept as data
//! (every entry's code, message and fields), the code is typed ([`ErrorCode`]) so callers can
//! match on it, and each error's message says what a person should do about it.

use std::fmt;

use serde::Deserialize;

/// Everything that can go wrong talking to Salesforce.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Salesforce answered with an error (REST's `[{message, errorCode, fields}]`).
    #[error("{0}")]
    Api(ApiError),
    /// The OAuth token endpoint refused (`{error, error_description}`).
    #[error("{0}")]
    Auth(AuthError),
    /// The session was rejected and could not be renewed: the connection must be re-made.
    #[error(
        "the Salesforce session expired and could not be renewed ({cause}); reconnect: log in again or re-authorize the connection"
    )]
    Reconnect {
        /// Why renewing failed.
        cause: String,
    },
    /// The org's daily API budget is past the configured stop threshold, so the call was not
    /// made.
    #[error(
        "the org has used {used} of its {max} daily API requests ({percent:.1}%), past sfkit's stop threshold of {stop:.0}%; calls resume as the 24-hour window frees requests (or raise the threshold)"
    )]
    BudgetExhausted {
        /// Requests used, from `Sforce-Limit-Info`.
        used: u64,
        /// The daily allowance.
        max: u64,
        /// `used` as a percentage of `max`.
        percent: f64,
        /// The stop threshold, in percent.
        stop: f64,
    },
    /// The request could not be sent or its answer not read.
    #[error("could not reach Salesforce ({context}): {source}")]
    Transport {
        /// What was being done.
        context: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// An answer that is not what the API documents.
    #[error("unexpected answer from Salesforce ({context}): {message}")]
    Decode {
        /// Which call.
        context: String,
        /// What did not fit, with the JSON path where known.
        message: String,
    },
    /// A call made of several requests failed after the first `done` records were processed
    /// (their outcomes are final); the rest were not.
    #[error("{done} records were processed before this failure; the rest were not: {source}")]
    Partial {
        /// Records processed by the requests that succeeded.
        done: usize,
        /// The failure.
        #[source]
        source: Box<Error>,
    },
    /// The client was set up wrongly (a bad URL, an unreadable key file, ...).
    #[error("client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The Salesforce error code, when Salesforce answered with one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api(e) => Some(&e.code),
            Error::Partial { source, .. } => source.code(),
            _ => None,
        }
    }

    /// True when trying the same call again later can succeed without changing it: row locks,
    /// a server that was unavailable, a lost connection. The client already retries these where
    /// it is safe; this tells callers about what is left.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.is_retryable(),
            Error::Transport { source, .. } => source.is_connect() || source.is_timeout(),
            _ => false,
        }
    }

    pub(crate) fn decode(context: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::Decode {
            context: context.into(),
            message: message.to_string(),
        }
    }

    pub(crate) fn transport(context: impl Into<String>, source: reqwest::Error) -> Self {
        // reqwest's message can carry the URL; ours never hold secrets (tokens travel in
        // headers and bodies), but drop it anyway so a future one cannot leak.
        Error::Transport {
            context: context.into(),
            source: source.without_url(),
        }
    }
}

/// One entry of Salesforce's error array.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApiErrorEntry {
    /// Salesforce's text.
    #[serde(default)]
    pub message: String,
    /// The code as sent.
    #[serde(default)]
    pub error_code: String,
    /// The fields concerned.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// An error answer from the REST API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The first entry's code, typed.
    pub code: ErrorCode,
    /// Every entry, as sent.
    pub errors: Vec<ApiErrorEntry>,
}

impl ApiError {
    /// Builds the error from a status and the body Salesforce sent (an error array, a single
    /// error object, or anything else, kept as the message).
    pub(crate) fn from_body(status: u16, body: &[u8]) -> Self {
        let errors = serde_json::from_slice::<Vec<ApiErrorEntry>>(body)
            .or_else(|_| serde_json::from_slice::<ApiErrorEntry>(body).map(|e| vec![e]))
            .unwrap_or_else(|_| {
                vec![ApiErrorEntry {
                    message: String::from_utf8_lossy(body).chars().take(500).collect(),
                    error_code: String::new(),
                    fields: Vec::new(),
                }]
            });
        Self::new(status, errors)
    }

    pub(crate) fn new(status: u16, errors: Vec<ApiErrorEntry>) -> Self {
        let code = errors
            .first()
            .map(|e| ErrorCode::from(e.error_code.as_str()))
            .unwrap_or_else(|| ErrorCode::from(""));
        ApiError {
            status,
            code,
            errors,
        }
    }

    /// The first entry's message.
    pub fn message(&self) -> &str {
        self.errors.first().map_or("", |e| e.message.as_str())
    }

    /// Every field any entry names.
    pub fn fields(&self) -> Vec<&str> {
        self.errors
            .iter()
            .flat_map(|e| e.fields.iter().map(String::as_str))
            .collect()
    }

    /// See [`Error::is_retryable`].
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::UnableToLockRow | ErrorCode::ServerUnavailable | ErrorCode::QueryTimeout
        ) || matches!(self.status, 502..=504)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code.as_str();
        if code.is_empty() {
            write!(f, "Salesforce answered {}", self.status)?;
        } else {
            write!(f, "{code}")?;
        }
        let message = self.message().trim();
        if !message.is_empty() {
            write!(f, ": {message}")?;
        }
        let fields = self.fields();
        if !fields.is_empty() {
            write!(f, " (fields: {})", fields.join(", "))?;
        }
        if let Some(fix) = self.code.remedy() {
            write!(f, ". {fix}")?;
        }
        Ok(())
    }
}

/// An OAuth token endpoint's refusal.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthError {
    /// HTTP status.
    pub status: u16,
    /// OAuth's `error`, e.g. `invalid_grant`.
    pub error: String,
    /// OAuth's `error_description`.
    pub description: String,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Salesforce refused the login: {}", self.error)?;
        if !self.description.is_empty() {
            write!(f, " ({})", self.description)?;
        }
        match self.error.as_str() {
            "invalid_grant" => write!(
                f,
                "; the credentials, refresh token or assertion are not (or no longer) valid: reconnect"
            ),
            "invalid_client" | "invalid_client_id" => {
                write!(f, "; check the connected app's client id and secret")
            }
            "unsupported_grant_type" => {
                write!(f, "; the org does not allow this login flow for the app")
            }
            _ => Ok(()),
        }
    }
}

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// Salesforce's documented `errorCode`s; any other is kept as [`ErrorCode::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
            /// A code this client does not know, as sent (empty when there was none).
            Other(String),
        }

        impl ErrorCode {
            /// The code as Salesforce writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Other(s) => s,
                }
            }
        }

        impl From<&str> for ErrorCode {
            fn from(s: &str) -> Self {
                match s {
                    $($code => ErrorCode::$variant,)*
                    other => ErrorCode::Other(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    /// The session is expired or invalid.
    InvalidSessionId = "INVALID_SESSION_ID",
    /// A required field has no value.
    RequiredFieldMissing = "REQUIRED_FIELD_MISSING",
    /// A unique or external id field already has this value.
    DuplicateValue = "DUPLICATE_VALUE",
    /// A duplicate rule blocked the save.
    DuplicatesDetected = "DUPLICATES_DETECTED",
    /// The record is in the recycle bin.
    EntityIsDeleted = "ENTITY_IS_DELETED",
    /// The record is locked (an approval process, for instance).
    EntityIsLocked = "ENTITY_IS_LOCKED",
    /// The user may not do this to this record or object.
    InsufficientAccessOrReadonly = "INSUFFICIENT_ACCESS_OR_READONLY",
    /// The user may not see a record this one refers to.
    InsufficientAccessOnCrossReferenceEntity = "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
    /// The user lacks a permission.
    InsufficientAccess = "INSUFFICIENT_ACCESS",
    /// A daily or concurrent request limit was hit.
    RequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED",
    /// Another transaction holds the row; retrying later works.
    UnableToLockRow = "UNABLE_TO_LOCK_ROW",
    /// The SOQL is not valid.
    MalformedQuery = "MALFORMED_QUERY",
    /// The SOSL is not valid.
    MalformedSearch = "MALFORMED_SEARCH",
    /// A SOSL search that cannot run as written.
    InvalidSearch = "INVALID_SEARCH",
    /// A field name that does not exist or cannot be used there.
    InvalidField = "INVALID_FIELD",
    /// A field that cannot be written on create or update.
    InvalidFieldForInsertUpdate = "INVALID_FIELD_FOR_INSERT_UPDATE",
    /// An object name that does not exist.
    InvalidType = "INVALID_TYPE",
    /// An id refers to a record that does not exist or of the wrong type.
    InvalidCrossReferenceKey = "INVALID_CROSS_REFERENCE_KEY",
    /// The id in the request is not valid for the call.
    InvalidIdField = "INVALID_ID_FIELD",
    /// Not a Salesforce id.
    MalformedId = "MALFORMED_ID",
    /// Nothing at that URL, or no record with that id.
    NotFound = "NOT_FOUND",
    /// A text value is longer than the field allows.
    StringTooLong = "STRING_TOO_LONG",
    /// An email field's value is not an email address.
    InvalidEmailAddress = "INVALID_EMAIL_ADDRESS",
    /// A restricted picklist got a value it does not list.
    InvalidOrNullForRestrictedPicklist = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    /// A validation rule refused the record.
    FieldCustomValidationException = "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    /// A field's value breaks a rule of the field (e.g. a stage that does not exist).
    FieldIntegrityException = "FIELD_INTEGRITY_EXCEPTION",
    /// The request body is not valid JSON or does not fit the object.
    JsonParserError = "JSON_PARSER_ERROR",
    /// A query locator that expired or never existed.
    InvalidQueryLocator = "INVALID_QUERY_LOCATOR",
    /// An operator that the field's type does not allow.
    InvalidQueryFilterOperator = "INVALID_QUERY_FILTER_OPERATOR",
    /// A query ran too long.
    QueryTimeout = "QUERY_TIMEOUT",
    /// A number outside what the call accepts (OFFSET over 2,000, ...).
    NumberOutsideValidRange = "NUMBER_OUTSIDE_VALID_RANGE",
    /// The org's edition has no API access.
    ApiDisabledForOrg = "API_DISABLED_FOR_ORG",
    /// The user's API access is off.
    ApiCurrentlyDisabled = "API_CURRENTLY_DISABLED",
    /// The user's password expired.
    InvalidOperationWithExpiredPassword = "INVALID_OPERATION_WITH_EXPIRED_PASSWORD",
    /// A trigger, flow or process failed while saving.
    CannotInsertUpdateActivateEntity = "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
    /// The record cannot be deleted (it is referenced, for instance).
    DeleteFailed = "DELETE_FAILED",
    /// The Authorization header is missing or malformed.
    InvalidAuthHeader = "INVALID_AUTH_HEADER",
    /// The HTTP method is not allowed on that resource.
    MethodNotAllowed = "METHOD_NOT_ALLOWED",
    /// The request body is over the size limit.
    RequestEntityTooLarge = "REQUEST_ENTITY_TOO_LARGE",
    /// An allOrNone request stopped at another record's failure.
    AllOrNoneOperationRolledBack = "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    /// A composite request stopped before this subrequest.
    ProcessingHalted = "PROCESSING_HALTED",
    /// Salesforce is unavailable; try again later.
    ServerUnavailable = "SERVER_UNAVAILABLE",
    /// An internal Salesforce error.
    UnknownException = "UNKNOWN_EXCEPTION",
    /// The org's storage is full.
    StorageLimitExceeded = "STORAGE_LIMIT_EXCEEDED",
    /// More ids or records than the call takes.
    ExceededIdLimit = "EXCEEDED_ID_LIMIT",
    /// The lead is already converted.
    ConvertedLead = "CANNOT_UPDATE_CONVERTED_LEAD",
    /// A replication (getDeleted/getUpdated) date outside what the org keeps.
    InvalidReplicationDate = "INVALID_REPLICATION_DATE",
}

impl ErrorCode {
    /// What a person should do, where Salesforce's message alone does not say.
    pub fn remedy(&self) -> Option<&'static str> {
        Some(match self {
            ErrorCode::InvalidSessionId => {
                "The session expired: sfkit renews it by itself; if this persists, reconnect"
            }
            ErrorCode::RequiredFieldMissing => "Give the fields named above a value",
            ErrorCode::DuplicateValue => {
                "Use upsert with the external id, or look up the existing record and update it"
            }
            ErrorCode::EntityIsDeleted => {
                "The record was deleted: check that it exists (it may be in the recycle bin)"
            }
            ErrorCode::InsufficientAccess
            | ErrorCode::InsufficientAccessOrReadonly
            | ErrorCode::InsufficientAccessOnCrossReferenceEntity => {
                "Check the connected user's profile and permission sets for this object and record"
            }
            ErrorCode::RequestLimitExceeded => {
                "The org is out of API requests for now: wait, or lower the rate of calls"
            }
            ErrorCode::UnableToLockRow => {
                "Another process is saving the same records: try again shortly"
            }
            ErrorCode::InvalidField | ErrorCode::InvalidType => {
                "Use API names (e.g. Custom_Field__c), as describe lists them"
            }
            ErrorCode::InvalidQueryLocator => "The query's cursor expired: run the query again",
            ErrorCode::MalformedId | ErrorCode::InvalidCrossReferenceKey => {
                "Check the record id: 15 or 18 characters, of the right object"
            }
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_ones_are_kept() {
        assert_eq!(
            ErrorCode::from("UNABLE_TO_LOCK_ROW"),
            ErrorCode::UnableToLockRow
        );
        assert_eq!(ErrorCode::UnableToLockRow.as_str(), "UNABLE_TO_LOCK_ROW");
        assert_eq!(
            ErrorCode::from("SOMETHING_NEW"),
            ErrorCode::Other("SOMETHING_NEW".into())
        );
    }

    #[test]
    fn api_errors_keep_the_body_and_say_what_to_do() {
        let e = ApiError::from_body(
            400,
            br#"[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]"#,
        );
        assert_eq!(e.code, ErrorCode::RequiredFieldMissing);
        assert_eq!(e.fields(), ["LastName"]);
        let text = e.to_string();
        assert!(text.starts_with("REQUIRED_FIELD_MISSING: Required fields are missing"));
        assert!(text.contains("(fields: LastName)"));
        let odd = ApiError::from_body(502, b"<html>Bad gateway</html>");
        assert!(odd.is_retryable());
        assert_eq!(odd.message(), "<html>Bad gateway</html>");
    }
}
