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
    #[error(
        "could not reach Salesforce ({context}): {source}{}",
        root_cause(source)
    )]
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
    /// A Bulk API job that failed, was aborted, or did not finish in time.
    #[error("Bulk API job {job} is {state}: {message}")]
    Bulk {
        /// The job id.
        job: String,
        /// Its state.
        state: String,
        /// Salesforce's reason, or why sfkit stopped waiting.
        message: String,
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
}

/// What lies under an HTTP client error ("error sending request" says nothing): the innermost
/// cause, and for a certificate the server's CA is not trusted, what to do about it.
fn root_cause(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut inner: &dyn std::error::Error = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    if e.source().is_none() {
        return String::new();
    }
    let text = inner.to_string();
    if text.contains("certificate") || text.contains("UnknownIssuer") {
        return format!(
            ": {text}. The server's certificate is not trusted: add its CA with SSL_CERT_FILE=<ca.pem> (for sfkit's local org served with --tls, <data dir>/org/tls/ca.pem)"
        );
    }
    format!(": {text}")
}

impl Error {
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
    /// An error this client answers for Salesforce, in its shape, when it can tell without a
    /// call that Salesforce would refuse (a SOQL statement past the length limit).
    pub(crate) fn local(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self::new(
            status,
            vec![ApiErrorEntry {
                message: message.into(),
                error_code: code.to_owned(),
                fields: Vec::new(),
            }],
        )
    }

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
    /// Who refused: Salesforce's token endpoint, or the service that holds the connection
    /// (Nango), so the message sends the person to the right place.
    pub(crate) refused_by: &'static str,
}

impl AuthError {
    /// A refusal of Salesforce's token endpoint.
    pub(crate) fn salesforce(status: u16, error: String, description: String) -> Self {
        AuthError {
            status,
            error,
            description,
            refused_by: "Salesforce",
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} refused the login: {}", self.refused_by, self.error)?;
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
    // The rest of the SOAP API's StatusCode list (Salesforce's documented codes), so a
    // caller can match any of them.
    #[doc = "`ALREADY_IN_PROCESS` (from the SOAP API's StatusCode list)."]
    AlreadyInProcess = "ALREADY_IN_PROCESS",
    #[doc = "`APEX_DATA_ACCESS_RESTRICTION` (from the SOAP API's StatusCode list)."]
    ApexDataAccessRestriction = "APEX_DATA_ACCESS_RESTRICTION",
    #[doc = "`ASSIGNEE_TYPE_REQUIRED` (from the SOAP API's StatusCode list)."]
    AssigneeTypeRequired = "ASSIGNEE_TYPE_REQUIRED",
    #[doc = "`AURA_COMPILE_ERROR` (from the SOAP API's StatusCode list)."]
    AuraCompileError = "AURA_COMPILE_ERROR",
    #[doc = "`AUTH_PROVIDER_NEEDS_AUTH` (from the SOAP API's StatusCode list)."]
    AuthProviderNeedsAuth = "AUTH_PROVIDER_NEEDS_AUTH",
    #[doc = "`AUTH_PROVIDER_NOT_FOUND` (from the SOAP API's StatusCode list)."]
    AuthProviderNotFound = "AUTH_PROVIDER_NOT_FOUND",
    #[doc = "`BAD_CUSTOM_ENTITY_PARENT_DOMAIN` (from the SOAP API's StatusCode list)."]
    BadCustomEntityParentDomain = "BAD_CUSTOM_ENTITY_PARENT_DOMAIN",
    #[doc = "`BCC_NOT_ALLOWED_IF_BCC_COMPLIANCE_ENABLED` (from the SOAP API's StatusCode list)."]
    BccNotAllowedIfBccComplianceEnabled = "BCC_NOT_ALLOWED_IF_BCC_COMPLIANCE_ENABLED",
    #[doc = "`CANNOT_CASCADE_PRODUCT_ACTIVE` (from the SOAP API's StatusCode list)."]
    CannotCascadeProductActive = "CANNOT_CASCADE_PRODUCT_ACTIVE",
    #[doc = "`CANNOT_CHANGE_FIELD_TYPE_OF_APEX_REFERENCED_FIELD` (from the SOAP API's StatusCode list)."]
    CannotChangeFieldTypeOfApexReferencedField = "CANNOT_CHANGE_FIELD_TYPE_OF_APEX_REFERENCED_FIELD",
    #[doc = "`CANNOT_CHANGE_FIELD_TYPE_OF_REFERENCED_FIELD` (from the SOAP API's StatusCode list)."]
    CannotChangeFieldTypeOfReferencedField = "CANNOT_CHANGE_FIELD_TYPE_OF_REFERENCED_FIELD",
    #[doc = "`CANNOT_CREATE_ANOTHER_MANAGED_PACKAGE` (from the SOAP API's StatusCode list)."]
    CannotCreateAnotherManagedPackage = "CANNOT_CREATE_ANOTHER_MANAGED_PACKAGE",
    #[doc = "`CANNOT_DEACTIVATE_DIVISION` (from the SOAP API's StatusCode list)."]
    CannotDeactivateDivision = "CANNOT_DEACTIVATE_DIVISION",
    #[doc = "`CANNOT_DELETE_GLOBAL_ACTION_LIST` (from the SOAP API's StatusCode list)."]
    CannotDeleteGlobalActionList = "CANNOT_DELETE_GLOBAL_ACTION_LIST",
    #[doc = "`CANNOT_DELETE_LAST_DATED_CONVERSION_RATE` (from the SOAP API's StatusCode list)."]
    CannotDeleteLastDatedConversionRate = "CANNOT_DELETE_LAST_DATED_CONVERSION_RATE",
    #[doc = "`CANNOT_DELETE_MANAGED_OBJECT` (from the SOAP API's StatusCode list)."]
    CannotDeleteManagedObject = "CANNOT_DELETE_MANAGED_OBJECT",
    #[doc = "`CANNOT_DISABLE_LAST_ADMIN` (from the SOAP API's StatusCode list)."]
    CannotDisableLastAdmin = "CANNOT_DISABLE_LAST_ADMIN",
    #[doc = "`CANNOT_ENABLE_IP_RESTRICT_REQUESTS` (from the SOAP API's StatusCode list)."]
    CannotEnableIpRestrictRequests = "CANNOT_ENABLE_IP_RESTRICT_REQUESTS",
    #[doc = "`CANNOT_EXECUTE_FLOW_TRIGGER` (from the SOAP API's StatusCode list)."]
    CannotExecuteFlowTrigger = "CANNOT_EXECUTE_FLOW_TRIGGER",
    #[doc = "`CANNOT_FREEZE_SELF` (from the SOAP API's StatusCode list)."]
    CannotFreezeSelf = "CANNOT_FREEZE_SELF",
    #[doc = "`CANNOT_MODIFY_MANAGED_OBJECT` (from the SOAP API's StatusCode list)."]
    CannotModifyManagedObject = "CANNOT_MODIFY_MANAGED_OBJECT",
    #[doc = "`CANNOT_PASSWORD_LOCKOUT` (from the SOAP API's StatusCode list)."]
    CannotPasswordLockout = "CANNOT_PASSWORD_LOCKOUT",
    #[doc = "`CANNOT_POST_TO_ARCHIVED_GROUP` (from the SOAP API's StatusCode list)."]
    CannotPostToArchivedGroup = "CANNOT_POST_TO_ARCHIVED_GROUP",
    #[doc = "`CANNOT_RENAME_APEX_REFERENCED_FIELD` (from the SOAP API's StatusCode list)."]
    CannotRenameApexReferencedField = "CANNOT_RENAME_APEX_REFERENCED_FIELD",
    #[doc = "`CANNOT_RENAME_APEX_REFERENCED_OBJECT` (from the SOAP API's StatusCode list)."]
    CannotRenameApexReferencedObject = "CANNOT_RENAME_APEX_REFERENCED_OBJECT",
    #[doc = "`CANNOT_RENAME_REFERENCED_FIELD` (from the SOAP API's StatusCode list)."]
    CannotRenameReferencedField = "CANNOT_RENAME_REFERENCED_FIELD",
    #[doc = "`CANNOT_RENAME_REFERENCED_OBJECT` (from the SOAP API's StatusCode list)."]
    CannotRenameReferencedObject = "CANNOT_RENAME_REFERENCED_OBJECT",
    #[doc = "`CANNOT_REPARENT_RECORD` (from the SOAP API's StatusCode list)."]
    CannotReparentRecord = "CANNOT_REPARENT_RECORD",
    #[doc = "`CANT_DISABLE_CORP_CURRENCY` (from the SOAP API's StatusCode list)."]
    CantDisableCorpCurrency = "CANT_DISABLE_CORP_CURRENCY",
    #[doc = "`CANT_UNSET_CORP_CURRENCY` (from the SOAP API's StatusCode list)."]
    CantUnsetCorpCurrency = "CANT_UNSET_CORP_CURRENCY",
    #[doc = "`CHILD_SHARE_FAILS_PARENT` (from the SOAP API's StatusCode list)."]
    ChildShareFailsParent = "CHILD_SHARE_FAILS_PARENT",
    #[doc = "`CIRCULAR_DEPENDENCY` (from the SOAP API's StatusCode list)."]
    CircularDependency = "CIRCULAR_DEPENDENCY",
    #[doc = "`CLEAN_SERVICE_ERROR` (from the SOAP API's StatusCode list)."]
    CleanServiceError = "CLEAN_SERVICE_ERROR",
    #[doc = "`CLONE_FIELD_INTEGRITY_EXCEPTION` (from the SOAP API's StatusCode list)."]
    CloneFieldIntegrityException = "CLONE_FIELD_INTEGRITY_EXCEPTION",
    #[doc = "`CLONE_NOT_SUPPORTED` (from the SOAP API's StatusCode list)."]
    CloneNotSupported = "CLONE_NOT_SUPPORTED",
    #[doc = "`COLLISION_DETECTED` (from the SOAP API's StatusCode list)."]
    CollisionDetected = "COLLISION_DETECTED",
    #[doc = "`COMMERCIAL_CONTROL_ERROR` (from the SOAP API's StatusCode list)."]
    CommercialControlError = "COMMERCIAL_CONTROL_ERROR",
    #[doc = "`COMMUNITY_NOT_ACCESSIBLE` (from the SOAP API's StatusCode list)."]
    CommunityNotAccessible = "COMMUNITY_NOT_ACCESSIBLE",
    #[doc = "`CONFLICTING_ENVIRONMENT_HUB_MEMBER` (from the SOAP API's StatusCode list)."]
    ConflictingEnvironmentHubMember = "CONFLICTING_ENVIRONMENT_HUB_MEMBER",
    #[doc = "`CONFLICTING_SSO_USER_MAPPING` (from the SOAP API's StatusCode list)."]
    ConflictingSsoUserMapping = "CONFLICTING_SSO_USER_MAPPING",
    #[doc = "`CONTENT_TYPE_NOT_FOUND` (from the SOAP API's StatusCode list)."]
    ContentTypeNotFound = "CONTENT_TYPE_NOT_FOUND",
    #[doc = "`CUSTOM_APEX_ERROR` (from the SOAP API's StatusCode list)."]
    CustomApexError = "CUSTOM_APEX_ERROR",
    #[doc = "`CUSTOM_CLOB_FIELD_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    CustomClobFieldLimitExceeded = "CUSTOM_CLOB_FIELD_LIMIT_EXCEEDED",
    #[doc = "`CUSTOM_ENTITY_OR_FIELD_LIMIT` (from the SOAP API's StatusCode list)."]
    CustomEntityOrFieldLimit = "CUSTOM_ENTITY_OR_FIELD_LIMIT",
    #[doc = "`CUSTOM_FIELD_INDEX_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    CustomFieldIndexLimitExceeded = "CUSTOM_FIELD_INDEX_LIMIT_EXCEEDED",
    #[doc = "`CUSTOM_INDEX_EXISTS` (from the SOAP API's StatusCode list)."]
    CustomIndexExists = "CUSTOM_INDEX_EXISTS",
    #[doc = "`CUSTOM_LINK_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    CustomLinkLimitExceeded = "CUSTOM_LINK_LIMIT_EXCEEDED",
    #[doc = "`CUSTOM_METADATA_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    CustomMetadataLimitExceeded = "CUSTOM_METADATA_LIMIT_EXCEEDED",
    #[doc = "`CUSTOM_METADATA_REL_FIELD_MANAGEABILITY` (from the SOAP API's StatusCode list)."]
    CustomMetadataRelFieldManageability = "CUSTOM_METADATA_REL_FIELD_MANAGEABILITY",
    #[doc = "`CUSTOM_SETTINGS_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    CustomSettingsLimitExceeded = "CUSTOM_SETTINGS_LIMIT_EXCEEDED",
    #[doc = "`CUSTOM_TAB_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    CustomTabLimitExceeded = "CUSTOM_TAB_LIMIT_EXCEEDED",
    #[doc = "`DATAASSESSMENT_CONFIG_ASSESSMENT_IN_PROGRESS_ERROR` (from the SOAP API's StatusCode list)."]
    DataassessmentConfigAssessmentInProgressError = "DATAASSESSMENT_CONFIG_ASSESSMENT_IN_PROGRESS_ERROR",
    #[doc = "`DATAASSESSMENT_CONFIG_SERVICE_ERROR` (from the SOAP API's StatusCode list)."]
    DataassessmentConfigServiceError = "DATAASSESSMENT_CONFIG_SERVICE_ERROR",
    #[doc = "`DATACLOUDADDRESS_NO_RECORDS_FOUND` (from the SOAP API's StatusCode list)."]
    DatacloudaddressNoRecordsFound = "DATACLOUDADDRESS_NO_RECORDS_FOUND",
    #[doc = "`DATACLOUDADDRESS_PROCESSING_ERROR` (from the SOAP API's StatusCode list)."]
    DatacloudaddressProcessingError = "DATACLOUDADDRESS_PROCESSING_ERROR",
    #[doc = "`DATACLOUDADDRESS_SERVER_ERROR` (from the SOAP API's StatusCode list)."]
    DatacloudaddressServerError = "DATACLOUDADDRESS_SERVER_ERROR",
    #[doc = "`DELETE_NOT_ALLOWED` (from the SOAP API's StatusCode list)."]
    DeleteNotAllowed = "DELETE_NOT_ALLOWED",
    #[doc = "`DELETE_OPERATION_TOO_LARGE` (from the SOAP API's StatusCode list)."]
    DeleteOperationTooLarge = "DELETE_OPERATION_TOO_LARGE",
    #[doc = "`DELETE_REQUIRED_ON_CASCADE` (from the SOAP API's StatusCode list)."]
    DeleteRequiredOnCascade = "DELETE_REQUIRED_ON_CASCADE",
    #[doc = "`DEPENDENCY_EXISTS` (from the SOAP API's StatusCode list)."]
    DependencyExists = "DEPENDENCY_EXISTS",
    #[doc = "`DUPLICATE_CASE_SOLUTION` (from the SOAP API's StatusCode list)."]
    DuplicateCaseSolution = "DUPLICATE_CASE_SOLUTION",
    #[doc = "`DUPLICATE_COMM_NICKNAME` (from the SOAP API's StatusCode list)."]
    DuplicateCommNickname = "DUPLICATE_COMM_NICKNAME",
    #[doc = "`DUPLICATE_CUSTOM_ENTITY_DEFINITION` (from the SOAP API's StatusCode list)."]
    DuplicateCustomEntityDefinition = "DUPLICATE_CUSTOM_ENTITY_DEFINITION",
    #[doc = "`DUPLICATE_CUSTOM_TAB_MOTIF` (from the SOAP API's StatusCode list)."]
    DuplicateCustomTabMotif = "DUPLICATE_CUSTOM_TAB_MOTIF",
    #[doc = "`DUPLICATE_DEVELOPER_NAME` (from the SOAP API's StatusCode list)."]
    DuplicateDeveloperName = "DUPLICATE_DEVELOPER_NAME",
    #[doc = "`DUPLICATE_EXTERNAL_ID` (from the SOAP API's StatusCode list)."]
    DuplicateExternalId = "DUPLICATE_EXTERNAL_ID",
    #[doc = "`DUPLICATE_MASTER_LABEL` (from the SOAP API's StatusCode list)."]
    DuplicateMasterLabel = "DUPLICATE_MASTER_LABEL",
    #[doc = "`DUPLICATE_SENDER_DISPLAY_NAME` (from the SOAP API's StatusCode list)."]
    DuplicateSenderDisplayName = "DUPLICATE_SENDER_DISPLAY_NAME",
    #[doc = "`DUPLICATE_USERNAME` (from the SOAP API's StatusCode list)."]
    DuplicateUsername = "DUPLICATE_USERNAME",
    #[doc = "`EMAIL_ADDRESS_BOUNCED` (from the SOAP API's StatusCode list)."]
    EmailAddressBounced = "EMAIL_ADDRESS_BOUNCED",
    #[doc = "`EMAIL_EXTERNAL_TRANSPORT_CONNECTION_ERROR` (from the SOAP API's StatusCode list)."]
    EmailExternalTransportConnectionError = "EMAIL_EXTERNAL_TRANSPORT_CONNECTION_ERROR",
    #[doc = "`EMAIL_EXTERNAL_TRANSPORT_PERMISSION_ERROR` (from the SOAP API's StatusCode list)."]
    EmailExternalTransportPermissionError = "EMAIL_EXTERNAL_TRANSPORT_PERMISSION_ERROR",
    #[doc = "`EMAIL_EXTERNAL_TRANSPORT_TOKEN_ERROR` (from the SOAP API's StatusCode list)."]
    EmailExternalTransportTokenError = "EMAIL_EXTERNAL_TRANSPORT_TOKEN_ERROR",
    #[doc = "`EMAIL_EXTERNAL_TRANSPORT_TOO_MANY_REQUESTS_ERROR` (from the SOAP API's StatusCode list)."]
    EmailExternalTransportTooManyRequestsError = "EMAIL_EXTERNAL_TRANSPORT_TOO_MANY_REQUESTS_ERROR",
    #[doc = "`EMAIL_EXTERNAL_TRANSPORT_UNKNOWN_ERROR` (from the SOAP API's StatusCode list)."]
    EmailExternalTransportUnknownError = "EMAIL_EXTERNAL_TRANSPORT_UNKNOWN_ERROR",
    #[doc = "`EMAIL_NOT_PROCESSED_DUE_TO_PRIOR_ERROR` (from the SOAP API's StatusCode list)."]
    EmailNotProcessedDueToPriorError = "EMAIL_NOT_PROCESSED_DUE_TO_PRIOR_ERROR",
    #[doc = "`EMAIL_OPTED_OUT` (from the SOAP API's StatusCode list)."]
    EmailOptedOut = "EMAIL_OPTED_OUT",
    #[doc = "`EMAIL_TEMPLATE_FORMULA_ERROR` (from the SOAP API's StatusCode list)."]
    EmailTemplateFormulaError = "EMAIL_TEMPLATE_FORMULA_ERROR",
    #[doc = "`EMAIL_TEMPLATE_MERGEFIELD_ACCESS_ERROR` (from the SOAP API's StatusCode list)."]
    EmailTemplateMergefieldAccessError = "EMAIL_TEMPLATE_MERGEFIELD_ACCESS_ERROR",
    #[doc = "`EMAIL_TEMPLATE_MERGEFIELD_ERROR` (from the SOAP API's StatusCode list)."]
    EmailTemplateMergefieldError = "EMAIL_TEMPLATE_MERGEFIELD_ERROR",
    #[doc = "`EMAIL_TEMPLATE_MERGEFIELD_VALUE_ERROR` (from the SOAP API's StatusCode list)."]
    EmailTemplateMergefieldValueError = "EMAIL_TEMPLATE_MERGEFIELD_VALUE_ERROR",
    #[doc = "`EMAIL_TEMPLATE_PROCESSING_ERROR` (from the SOAP API's StatusCode list)."]
    EmailTemplateProcessingError = "EMAIL_TEMPLATE_PROCESSING_ERROR",
    #[doc = "`EMPTY_SCONTROL_FILE_NAME` (from the SOAP API's StatusCode list)."]
    EmptyScontrolFileName = "EMPTY_SCONTROL_FILE_NAME",
    #[doc = "`ENHANCED_EMAIL_TEMPLATE_COMPILATION_ERROR` (from the SOAP API's StatusCode list)."]
    EnhancedEmailTemplateCompilationError = "ENHANCED_EMAIL_TEMPLATE_COMPILATION_ERROR",
    #[doc = "`ENTITY_FAILED_IFLASTMODIFIED_ON_UPDATE` (from the SOAP API's StatusCode list)."]
    EntityFailedIflastmodifiedOnUpdate = "ENTITY_FAILED_IFLASTMODIFIED_ON_UPDATE",
    #[doc = "`ENTITY_IS_ARCHIVED` (from the SOAP API's StatusCode list)."]
    EntityIsArchived = "ENTITY_IS_ARCHIVED",
    #[doc = "`ENTITY_SAVE_ERROR` (from the SOAP API's StatusCode list)."]
    EntitySaveError = "ENTITY_SAVE_ERROR",
    #[doc = "`ENTITY_SAVE_VALIDATION_ERROR` (from the SOAP API's StatusCode list)."]
    EntitySaveValidationError = "ENTITY_SAVE_VALIDATION_ERROR",
    #[doc = "`ENVIRONMENT_HUB_MEMBERSHIP_CONFLICT` (from the SOAP API's StatusCode list)."]
    EnvironmentHubMembershipConflict = "ENVIRONMENT_HUB_MEMBERSHIP_CONFLICT",
    #[doc = "`ENVIRONMENT_HUB_MEMBERSHIP_ERROR_JOINING_HUB` (from the SOAP API's StatusCode list)."]
    EnvironmentHubMembershipErrorJoiningHub = "ENVIRONMENT_HUB_MEMBERSHIP_ERROR_JOINING_HUB",
    #[doc = "`ENVIRONMENT_HUB_MEMBERSHIP_USER_ALREADY_IN_HUB` (from the SOAP API's StatusCode list)."]
    EnvironmentHubMembershipUserAlreadyInHub = "ENVIRONMENT_HUB_MEMBERSHIP_USER_ALREADY_IN_HUB",
    #[doc = "`ENVIRONMENT_HUB_MEMBERSHIP_USER_NOT_ORG_ADMIN` (from the SOAP API's StatusCode list)."]
    EnvironmentHubMembershipUserNotOrgAdmin = "ENVIRONMENT_HUB_MEMBERSHIP_USER_NOT_ORG_ADMIN",
    #[doc = "`ERROR_IN_MAILER` (from the SOAP API's StatusCode list)."]
    ErrorInMailer = "ERROR_IN_MAILER",
    #[doc = "`EXCEEDED_MAX_SEMIJOIN_SUBSELECTS_WRITE` (from the SOAP API's StatusCode list)."]
    ExceededMaxSemijoinSubselectsWrite = "EXCEEDED_MAX_SEMIJOIN_SUBSELECTS_WRITE",
    #[doc = "`EXCHANGE_WEB_SERVICES_URL_INVALID` (from the SOAP API's StatusCode list)."]
    ExchangeWebServicesUrlInvalid = "EXCHANGE_WEB_SERVICES_URL_INVALID",
    #[doc = "`EXTERNAL_RESOURCE_FORBIDDEN` (from the SOAP API's StatusCode list)."]
    ExternalResourceForbidden = "EXTERNAL_RESOURCE_FORBIDDEN",
    #[doc = "`FAILED_ACTIVATION` (from the SOAP API's StatusCode list)."]
    FailedActivation = "FAILED_ACTIVATION",
    #[doc = "`FIELD_FILTER_VALIDATION_EXCEPTION` (from the SOAP API's StatusCode list)."]
    FieldFilterValidationException = "FIELD_FILTER_VALIDATION_EXCEPTION",
    #[doc = "`FIELD_KEYWORD_LIST_MATCH_LIMIT` (from the SOAP API's StatusCode list)."]
    FieldKeywordListMatchLimit = "FIELD_KEYWORD_LIST_MATCH_LIMIT",
    #[doc = "`FIELD_MAPPING_ERROR` (from the SOAP API's StatusCode list)."]
    FieldMappingError = "FIELD_MAPPING_ERROR",
    #[doc = "`FIELD_MODERATION_RULE_BLOCK` (from the SOAP API's StatusCode list)."]
    FieldModerationRuleBlock = "FIELD_MODERATION_RULE_BLOCK",
    #[doc = "`FIELD_NOT_UPDATABLE` (from the SOAP API's StatusCode list)."]
    FieldNotUpdatable = "FIELD_NOT_UPDATABLE",
    #[doc = "`FILE_EXTENSION_NOT_ALLOWED` (from the SOAP API's StatusCode list)."]
    FileExtensionNotAllowed = "FILE_EXTENSION_NOT_ALLOWED",
    #[doc = "`FILE_SIZE_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    FileSizeLimitExceeded = "FILE_SIZE_LIMIT_EXCEEDED",
    #[doc = "`FILTERED_LOOKUP_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    FilteredLookupLimitExceeded = "FILTERED_LOOKUP_LIMIT_EXCEEDED",
    #[doc = "`FIND_DUPLICATES_ERROR` (from the SOAP API's StatusCode list)."]
    FindDuplicatesError = "FIND_DUPLICATES_ERROR",
    #[doc = "`FLOW_EXCEPTION` (from the SOAP API's StatusCode list)."]
    FlowException = "FLOW_EXCEPTION",
    #[doc = "`FUNCTIONALITY_NOT_ENABLED` (from the SOAP API's StatusCode list)."]
    FunctionalityNotEnabled = "FUNCTIONALITY_NOT_ENABLED",
    #[doc = "`HAS_PUBLIC_REFERENCES` (from the SOAP API's StatusCode list)."]
    HasPublicReferences = "HAS_PUBLIC_REFERENCES",
    #[doc = "`HTML_FILE_UPLOAD_NOT_ALLOWED` (from the SOAP API's StatusCode list)."]
    HtmlFileUploadNotAllowed = "HTML_FILE_UPLOAD_NOT_ALLOWED",
    #[doc = "`IMAGE_TOO_LARGE` (from the SOAP API's StatusCode list)."]
    ImageTooLarge = "IMAGE_TOO_LARGE",
    #[doc = "`INACTIVE_OWNER_OR_USER` (from the SOAP API's StatusCode list)."]
    InactiveOwnerOrUser = "INACTIVE_OWNER_OR_USER",
    #[doc = "`INACTIVE_RULE_ERROR` (from the SOAP API's StatusCode list)."]
    InactiveRuleError = "INACTIVE_RULE_ERROR",
    #[doc = "`INSERT_UPDATE_DELETE_NOT_ALLOWED_DURING_MAINTENANCE` (from the SOAP API's StatusCode list)."]
    InsertUpdateDeleteNotAllowedDuringMaintenance = "INSERT_UPDATE_DELETE_NOT_ALLOWED_DURING_MAINTENANCE",
    #[doc = "`INSUFFICIENT_ACCESS_TO_INSIGHTSEXTERNALDATA` (from the SOAP API's StatusCode list)."]
    InsufficientAccessToInsightsexternaldata = "INSUFFICIENT_ACCESS_TO_INSIGHTSEXTERNALDATA",
    #[doc = "`INSUFFICIENT_CREDITS` (from the SOAP API's StatusCode list)."]
    InsufficientCredits = "INSUFFICIENT_CREDITS",
    #[doc = "`INTERNAL_ERROR` (from the SOAP API's StatusCode list)."]
    InternalError = "INTERNAL_ERROR",
    #[doc = "`INVALID_ACCESS_LEVEL` (from the SOAP API's StatusCode list)."]
    InvalidAccessLevel = "INVALID_ACCESS_LEVEL",
    #[doc = "`INVALID_ACCESS_TOKEN` (from the SOAP API's StatusCode list)."]
    InvalidAccessToken = "INVALID_ACCESS_TOKEN",
    #[doc = "`INVALID_API_INPUT` (from the SOAP API's StatusCode list)."]
    InvalidApiInput = "INVALID_API_INPUT",
    #[doc = "`INVALID_ARGUMENT_TYPE` (from the SOAP API's StatusCode list)."]
    InvalidArgumentType = "INVALID_ARGUMENT_TYPE",
    #[doc = "`INVALID_ASSIGNEE_TYPE` (from the SOAP API's StatusCode list)."]
    InvalidAssigneeType = "INVALID_ASSIGNEE_TYPE",
    #[doc = "`INVALID_ASSIGNMENT_RULE` (from the SOAP API's StatusCode list)."]
    InvalidAssignmentRule = "INVALID_ASSIGNMENT_RULE",
    #[doc = "`INVALID_BATCH_OPERATION` (from the SOAP API's StatusCode list)."]
    InvalidBatchOperation = "INVALID_BATCH_OPERATION",
    #[doc = "`INVALID_CONTENT_TYPE` (from the SOAP API's StatusCode list)."]
    InvalidContentType = "INVALID_CONTENT_TYPE",
    #[doc = "`INVALID_CREDIT_CARD_INFO` (from the SOAP API's StatusCode list)."]
    InvalidCreditCardInfo = "INVALID_CREDIT_CARD_INFO",
    #[doc = "`INVALID_CROSS_REFERENCE_TYPE_FOR_FIELD` (from the SOAP API's StatusCode list)."]
    InvalidCrossReferenceTypeForField = "INVALID_CROSS_REFERENCE_TYPE_FOR_FIELD",
    #[doc = "`INVALID_CURRENCY_CONV_RATE` (from the SOAP API's StatusCode list)."]
    InvalidCurrencyConvRate = "INVALID_CURRENCY_CONV_RATE",
    #[doc = "`INVALID_CURRENCY_CORP_RATE` (from the SOAP API's StatusCode list)."]
    InvalidCurrencyCorpRate = "INVALID_CURRENCY_CORP_RATE",
    #[doc = "`INVALID_CURRENCY_ISO` (from the SOAP API's StatusCode list)."]
    InvalidCurrencyIso = "INVALID_CURRENCY_ISO",
    #[doc = "`INVALID_DATASET_REFERENCE_INPUT` (from the SOAP API's StatusCode list)."]
    InvalidDatasetReferenceInput = "INVALID_DATASET_REFERENCE_INPUT",
    #[doc = "`INVALID_DATA_CATEGORY_GROUP_REFERENCE` (from the SOAP API's StatusCode list)."]
    InvalidDataCategoryGroupReference = "INVALID_DATA_CATEGORY_GROUP_REFERENCE",
    #[doc = "`INVALID_DATA_URI` (from the SOAP API's StatusCode list)."]
    InvalidDataUri = "INVALID_DATA_URI",
    #[doc = "`INVALID_EMPTY_KEY_OWNER` (from the SOAP API's StatusCode list)."]
    InvalidEmptyKeyOwner = "INVALID_EMPTY_KEY_OWNER",
    #[doc = "`INVALID_ENTITY_FOR_MATCH_ENGINE_ERROR` (from the SOAP API's StatusCode list)."]
    InvalidEntityForMatchEngineError = "INVALID_ENTITY_FOR_MATCH_ENGINE_ERROR",
    #[doc = "`INVALID_ENTITY_FOR_MATCH_OPERATION_ERROR` (from the SOAP API's StatusCode list)."]
    InvalidEntityForMatchOperationError = "INVALID_ENTITY_FOR_MATCH_OPERATION_ERROR",
    #[doc = "`INVALID_ENTITY_FOR_UPSERT` (from the SOAP API's StatusCode list)."]
    InvalidEntityForUpsert = "INVALID_ENTITY_FOR_UPSERT",
    #[doc = "`INVALID_ENVIRONMENT_HUB_MEMBER` (from the SOAP API's StatusCode list)."]
    InvalidEnvironmentHubMember = "INVALID_ENVIRONMENT_HUB_MEMBER",
    #[doc = "`INVALID_EVENT_DELIVERY` (from the SOAP API's StatusCode list)."]
    InvalidEventDelivery = "INVALID_EVENT_DELIVERY",
    #[doc = "`INVALID_EVENT_INPUT` (from the SOAP API's StatusCode list)."]
    InvalidEventInput = "INVALID_EVENT_INPUT",
    #[doc = "`INVALID_EVENT_SUBSCRIPTION` (from the SOAP API's StatusCode list)."]
    InvalidEventSubscription = "INVALID_EVENT_SUBSCRIPTION",
    #[doc = "`INVALID_EXTENSION_ID` (from the SOAP API's StatusCode list)."]
    InvalidExtensionId = "INVALID_EXTENSION_ID",
    #[doc = "`INVALID_FIELD_WHEN_USING_TEMPLATE` (from the SOAP API's StatusCode list)."]
    InvalidFieldWhenUsingTemplate = "INVALID_FIELD_WHEN_USING_TEMPLATE",
    #[doc = "`INVALID_FILTER_ACTION` (from the SOAP API's StatusCode list)."]
    InvalidFilterAction = "INVALID_FILTER_ACTION",
    #[doc = "`INVALID_GOOGLE_DOCS_URL` (from the SOAP API's StatusCode list)."]
    InvalidGoogleDocsUrl = "INVALID_GOOGLE_DOCS_URL",
    #[doc = "`INVALID_INET_ADDRESS` (from the SOAP API's StatusCode list)."]
    InvalidInetAddress = "INVALID_INET_ADDRESS",
    #[doc = "`INVALID_INPUT` (from the SOAP API's StatusCode list)."]
    InvalidInput = "INVALID_INPUT",
    #[doc = "`INVALID_INPUT_FORMAT` (from the SOAP API's StatusCode list)."]
    InvalidInputFormat = "INVALID_INPUT_FORMAT",
    #[doc = "`INVALID_KEY_FIELD_INPUT` (from the SOAP API's StatusCode list)."]
    InvalidKeyFieldInput = "INVALID_KEY_FIELD_INPUT",
    #[doc = "`INVALID_LINEITEM_CLONE_STATE` (from the SOAP API's StatusCode list)."]
    InvalidLineitemCloneState = "INVALID_LINEITEM_CLONE_STATE",
    #[doc = "`INVALID_MARKUP` (from the SOAP API's StatusCode list)."]
    InvalidMarkup = "INVALID_MARKUP",
    #[doc = "`INVALID_MASTER_OR_TRANSLATED_SOLUTION` (from the SOAP API's StatusCode list)."]
    InvalidMasterOrTranslatedSolution = "INVALID_MASTER_OR_TRANSLATED_SOLUTION",
    #[doc = "`INVALID_MESSAGE_ID_REFERENCE` (from the SOAP API's StatusCode list)."]
    InvalidMessageIdReference = "INVALID_MESSAGE_ID_REFERENCE",
    #[doc = "`INVALID_NAMESPACE_PREFIX` (from the SOAP API's StatusCode list)."]
    InvalidNamespacePrefix = "INVALID_NAMESPACE_PREFIX",
    #[doc = "`INVALID_OAUTH_URL` (from the SOAP API's StatusCode list)."]
    InvalidOauthUrl = "INVALID_OAUTH_URL",
    #[doc = "`INVALID_OPERATION` (from the SOAP API's StatusCode list)."]
    InvalidOperation = "INVALID_OPERATION",
    #[doc = "`INVALID_OPERATOR` (from the SOAP API's StatusCode list)."]
    InvalidOperator = "INVALID_OPERATOR",
    #[doc = "`INVALID_OWNER` (from the SOAP API's StatusCode list)."]
    InvalidOwner = "INVALID_OWNER",
    #[doc = "`INVALID_PACKAGE_LICENSE` (from the SOAP API's StatusCode list)."]
    InvalidPackageLicense = "INVALID_PACKAGE_LICENSE",
    #[doc = "`INVALID_PACKAGE_VERSION` (from the SOAP API's StatusCode list)."]
    InvalidPackageVersion = "INVALID_PACKAGE_VERSION",
    #[doc = "`INVALID_PARTNER_NETWORK_STATUS` (from the SOAP API's StatusCode list)."]
    InvalidPartnerNetworkStatus = "INVALID_PARTNER_NETWORK_STATUS",
    #[doc = "`INVALID_PAYLOAD_VERSION` (from the SOAP API's StatusCode list)."]
    InvalidPayloadVersion = "INVALID_PAYLOAD_VERSION",
    #[doc = "`INVALID_PERSON_ACCOUNT_OPERATION` (from the SOAP API's StatusCode list)."]
    InvalidPersonAccountOperation = "INVALID_PERSON_ACCOUNT_OPERATION",
    #[doc = "`INVALID_PROVIDER_TYPE` (from the SOAP API's StatusCode list)."]
    InvalidProviderType = "INVALID_PROVIDER_TYPE",
    #[doc = "`INVALID_QUERY_KEY` (from the SOAP API's StatusCode list)."]
    InvalidQueryKey = "INVALID_QUERY_KEY",
    #[doc = "`INVALID_QUERY_VALUE` (from the SOAP API's StatusCode list)."]
    InvalidQueryValue = "INVALID_QUERY_VALUE",
    #[doc = "`INVALID_READ_ONLY_USER_DML` (from the SOAP API's StatusCode list)."]
    InvalidReadOnlyUserDml = "INVALID_READ_ONLY_USER_DML",
    #[doc = "`INVALID_REFRESH_TOKEN` (from the SOAP API's StatusCode list)."]
    InvalidRefreshToken = "INVALID_REFRESH_TOKEN",
    #[doc = "`INVALID_REQUEST_STATE` (from the SOAP API's StatusCode list)."]
    InvalidRequestState = "INVALID_REQUEST_STATE",
    #[doc = "`INVALID_RUNTIME_VALUE` (from the SOAP API's StatusCode list)."]
    InvalidRuntimeValue = "INVALID_RUNTIME_VALUE",
    #[doc = "`INVALID_SAVE_AS_ACTIVITY_FLAG` (from the SOAP API's StatusCode list)."]
    InvalidSaveAsActivityFlag = "INVALID_SAVE_AS_ACTIVITY_FLAG",
    #[doc = "`INVALID_SCS_INBOUND_USER` (from the SOAP API's StatusCode list)."]
    InvalidScsInboundUser = "INVALID_SCS_INBOUND_USER",
    #[doc = "`INVALID_SETUP_OWNER` (from the SOAP API's StatusCode list)."]
    InvalidSetupOwner = "INVALID_SETUP_OWNER",
    #[doc = "`INVALID_SIGNUP_COUNTRY` (from the SOAP API's StatusCode list)."]
    InvalidSignupCountry = "INVALID_SIGNUP_COUNTRY",
    #[doc = "`INVALID_SIGNUP_OPTION` (from the SOAP API's StatusCode list)."]
    InvalidSignupOption = "INVALID_SIGNUP_OPTION",
    #[doc = "`INVALID_SITE_DELETE_EXCEPTION` (from the SOAP API's StatusCode list)."]
    InvalidSiteDeleteException = "INVALID_SITE_DELETE_EXCEPTION",
    #[doc = "`INVALID_SITE_FILE_IMPORTED_EXCEPTION` (from the SOAP API's StatusCode list)."]
    InvalidSiteFileImportedException = "INVALID_SITE_FILE_IMPORTED_EXCEPTION",
    #[doc = "`INVALID_SITE_FILE_TYPE_EXCEPTION` (from the SOAP API's StatusCode list)."]
    InvalidSiteFileTypeException = "INVALID_SITE_FILE_TYPE_EXCEPTION",
    #[doc = "`INVALID_STATUS` (from the SOAP API's StatusCode list)."]
    InvalidStatus = "INVALID_STATUS",
    #[doc = "`INVALID_SUBDOMAIN` (from the SOAP API's StatusCode list)."]
    InvalidSubdomain = "INVALID_SUBDOMAIN",
    #[doc = "`INVALID_TEXT_REPRESENTATION` (from the SOAP API's StatusCode list)."]
    InvalidTextRepresentation = "INVALID_TEXT_REPRESENTATION",
    #[doc = "`INVALID_TYPE_FOR_OPERATION` (from the SOAP API's StatusCode list)."]
    InvalidTypeForOperation = "INVALID_TYPE_FOR_OPERATION",
    #[doc = "`INVALID_TYPE_ON_FIELD_IN_RECORD` (from the SOAP API's StatusCode list)."]
    InvalidTypeOnFieldInRecord = "INVALID_TYPE_ON_FIELD_IN_RECORD",
    #[doc = "`INVALID_USERID` (from the SOAP API's StatusCode list)."]
    InvalidUserid = "INVALID_USERID",
    #[doc = "`IP_RANGE_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    IpRangeLimitExceeded = "IP_RANGE_LIMIT_EXCEEDED",
    #[doc = "`ITEM_NOT_FOUND` (from the SOAP API's StatusCode list)."]
    ItemNotFound = "ITEM_NOT_FOUND",
    #[doc = "`JIGSAW_IMPORT_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    JigsawImportLimitExceeded = "JIGSAW_IMPORT_LIMIT_EXCEEDED",
    #[doc = "`LICENSE_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    LicenseLimitExceeded = "LICENSE_LIMIT_EXCEEDED",
    #[doc = "`LIGHT_PORTAL_USER_EXCEPTION` (from the SOAP API's StatusCode list)."]
    LightPortalUserException = "LIGHT_PORTAL_USER_EXCEPTION",
    #[doc = "`LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    LimitExceeded = "LIMIT_EXCEEDED",
    #[doc = "`LIST_PRICE_NOT_FOUND` (from the SOAP API's StatusCode list)."]
    ListPriceNotFound = "LIST_PRICE_NOT_FOUND",
    #[doc = "`MANAGER_NOT_DEFINED` (from the SOAP API's StatusCode list)."]
    ManagerNotDefined = "MANAGER_NOT_DEFINED",
    #[doc = "`MASSMAIL_RETRY_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MassmailRetryLimitExceeded = "MASSMAIL_RETRY_LIMIT_EXCEEDED",
    #[doc = "`MASS_MAIL_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MassMailLimitExceeded = "MASS_MAIL_LIMIT_EXCEEDED",
    #[doc = "`MATCH_DEFINITION_ERROR` (from the SOAP API's StatusCode list)."]
    MatchDefinitionError = "MATCH_DEFINITION_ERROR",
    #[doc = "`MATCH_OPERATION_ERROR` (from the SOAP API's StatusCode list)."]
    MatchOperationError = "MATCH_OPERATION_ERROR",
    #[doc = "`MATCH_OPERATION_INVALID_ENGINE_ERROR` (from the SOAP API's StatusCode list)."]
    MatchOperationInvalidEngineError = "MATCH_OPERATION_INVALID_ENGINE_ERROR",
    #[doc = "`MATCH_OPERATION_INVALID_RULE_ERROR` (from the SOAP API's StatusCode list)."]
    MatchOperationInvalidRuleError = "MATCH_OPERATION_INVALID_RULE_ERROR",
    #[doc = "`MATCH_OPERATION_MISSING_ENGINE_ERROR` (from the SOAP API's StatusCode list)."]
    MatchOperationMissingEngineError = "MATCH_OPERATION_MISSING_ENGINE_ERROR",
    #[doc = "`MATCH_OPERATION_MISSING_OBJECT_TYPE_ERROR` (from the SOAP API's StatusCode list)."]
    MatchOperationMissingObjectTypeError = "MATCH_OPERATION_MISSING_OBJECT_TYPE_ERROR",
    #[doc = "`MATCH_OPERATION_MISSING_OPTIONS_ERROR` (from the SOAP API's StatusCode list)."]
    MatchOperationMissingOptionsError = "MATCH_OPERATION_MISSING_OPTIONS_ERROR",
    #[doc = "`MATCH_OPERATION_MISSING_RULE_ERROR` (from the SOAP API's StatusCode list)."]
    MatchOperationMissingRuleError = "MATCH_OPERATION_MISSING_RULE_ERROR",
    #[doc = "`MATCH_OPERATION_UNKNOWN_RULE_ERROR` (from the SOAP API's StatusCode list)."]
    MatchOperationUnknownRuleError = "MATCH_OPERATION_UNKNOWN_RULE_ERROR",
    #[doc = "`MATCH_OPERATION_UNSUPPORTED_VERSION_ERROR` (from the SOAP API's StatusCode list)."]
    MatchOperationUnsupportedVersionError = "MATCH_OPERATION_UNSUPPORTED_VERSION_ERROR",
    #[doc = "`MATCH_PRECONDITION_FAILED` (from the SOAP API's StatusCode list)."]
    MatchPreconditionFailed = "MATCH_PRECONDITION_FAILED",
    #[doc = "`MATCH_RUNTIME_ERROR` (from the SOAP API's StatusCode list)."]
    MatchRuntimeError = "MATCH_RUNTIME_ERROR",
    #[doc = "`MATCH_SERVICE_ERROR` (from the SOAP API's StatusCode list)."]
    MatchServiceError = "MATCH_SERVICE_ERROR",
    #[doc = "`MATCH_SERVICE_TIMED_OUT` (from the SOAP API's StatusCode list)."]
    MatchServiceTimedOut = "MATCH_SERVICE_TIMED_OUT",
    #[doc = "`MATCH_SERVICE_UNAVAILABLE_ERROR` (from the SOAP API's StatusCode list)."]
    MatchServiceUnavailableError = "MATCH_SERVICE_UNAVAILABLE_ERROR",
    #[doc = "`MAXIMUM_CCEMAILS_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaximumCcemailsExceeded = "MAXIMUM_CCEMAILS_EXCEEDED",
    #[doc = "`MAXIMUM_DASHBOARD_COMPONENTS_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaximumDashboardComponentsExceeded = "MAXIMUM_DASHBOARD_COMPONENTS_EXCEEDED",
    #[doc = "`MAXIMUM_HIERARCHY_CHILDREN_REACHED` (from the SOAP API's StatusCode list)."]
    MaximumHierarchyChildrenReached = "MAXIMUM_HIERARCHY_CHILDREN_REACHED",
    #[doc = "`MAXIMUM_HIERARCHY_LEVELS_REACHED` (from the SOAP API's StatusCode list)."]
    MaximumHierarchyLevelsReached = "MAXIMUM_HIERARCHY_LEVELS_REACHED",
    #[doc = "`MAXIMUM_HIERARCHY_TREE_SIZE_REACHED` (from the SOAP API's StatusCode list)."]
    MaximumHierarchyTreeSizeReached = "MAXIMUM_HIERARCHY_TREE_SIZE_REACHED",
    #[doc = "`MAXIMUM_SIZE_OF_ATTACHMENT` (from the SOAP API's StatusCode list)."]
    MaximumSizeOfAttachment = "MAXIMUM_SIZE_OF_ATTACHMENT",
    #[doc = "`MAXIMUM_SIZE_OF_DOCUMENT` (from the SOAP API's StatusCode list)."]
    MaximumSizeOfDocument = "MAXIMUM_SIZE_OF_DOCUMENT",
    #[doc = "`MAX_ACTIONS_PER_RULE_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaxActionsPerRuleExceeded = "MAX_ACTIONS_PER_RULE_EXCEEDED",
    #[doc = "`MAX_ACTIVE_RULES_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaxActiveRulesExceeded = "MAX_ACTIVE_RULES_EXCEEDED",
    #[doc = "`MAX_APPROVAL_STEPS_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaxApprovalStepsExceeded = "MAX_APPROVAL_STEPS_EXCEEDED",
    #[doc = "`MAX_DEPTH_IN_FLOW_EXECUTION` (from the SOAP API's StatusCode list)."]
    MaxDepthInFlowExecution = "MAX_DEPTH_IN_FLOW_EXECUTION",
    #[doc = "`MAX_FORMULAS_PER_RULE_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaxFormulasPerRuleExceeded = "MAX_FORMULAS_PER_RULE_EXCEEDED",
    #[doc = "`MAX_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaxLimitExceeded = "MAX_LIMIT_EXCEEDED",
    #[doc = "`MAX_RULES_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaxRulesExceeded = "MAX_RULES_EXCEEDED",
    #[doc = "`MAX_RULE_ENTRIES_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaxRuleEntriesExceeded = "MAX_RULE_ENTRIES_EXCEEDED",
    #[doc = "`MAX_TASK_DESCRIPTION_EXCEEEDED` (from the SOAP API's StatusCode list)."]
    MaxTaskDescriptionExceeeded = "MAX_TASK_DESCRIPTION_EXCEEEDED",
    #[doc = "`MAX_TM_RULES_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaxTmRulesExceeded = "MAX_TM_RULES_EXCEEDED",
    #[doc = "`MAX_TM_RULE_ITEMS_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaxTmRuleItemsExceeded = "MAX_TM_RULE_ITEMS_EXCEEDED",
    #[doc = "`MAX_TRIGGERS_EXCEEDED` (from the SOAP API's StatusCode list)."]
    MaxTriggersExceeded = "MAX_TRIGGERS_EXCEEDED",
    #[doc = "`MERGE_FAILED` (from the SOAP API's StatusCode list)."]
    MergeFailed = "MERGE_FAILED",
    #[doc = "`METADATA_FIELD_UPDATE_ERROR` (from the SOAP API's StatusCode list)."]
    MetadataFieldUpdateError = "METADATA_FIELD_UPDATE_ERROR",
    #[doc = "`MISSING_ARGUMENT` (from the SOAP API's StatusCode list)."]
    MissingArgument = "MISSING_ARGUMENT",
    #[doc = "`MISSING_RECORD` (from the SOAP API's StatusCode list)."]
    MissingRecord = "MISSING_RECORD",
    #[doc = "`MIXED_DML_OPERATION` (from the SOAP API's StatusCode list)."]
    MixedDmlOperation = "MIXED_DML_OPERATION",
    #[doc = "`NONUNIQUE_SHIPPING_ADDRESS` (from the SOAP API's StatusCode list)."]
    NonuniqueShippingAddress = "NONUNIQUE_SHIPPING_ADDRESS",
    #[doc = "`NO_ACCESS_TOKEN` (from the SOAP API's StatusCode list)."]
    NoAccessToken = "NO_ACCESS_TOKEN",
    #[doc = "`NO_ACCESS_TOKEN_FROM_REFRESH` (from the SOAP API's StatusCode list)."]
    NoAccessTokenFromRefresh = "NO_ACCESS_TOKEN_FROM_REFRESH",
    #[doc = "`NO_APPLICABLE_PROCESS` (from the SOAP API's StatusCode list)."]
    NoApplicableProcess = "NO_APPLICABLE_PROCESS",
    #[doc = "`NO_ATTACHMENT_PERMISSION` (from the SOAP API's StatusCode list)."]
    NoAttachmentPermission = "NO_ATTACHMENT_PERMISSION",
    #[doc = "`NO_AUTH_PROVIDER` (from the SOAP API's StatusCode list)."]
    NoAuthProvider = "NO_AUTH_PROVIDER",
    #[doc = "`NO_INACTIVE_DIVISION_MEMBERS` (from the SOAP API's StatusCode list)."]
    NoInactiveDivisionMembers = "NO_INACTIVE_DIVISION_MEMBERS",
    #[doc = "`NO_MASS_MAIL_PERMISSION` (from the SOAP API's StatusCode list)."]
    NoMassMailPermission = "NO_MASS_MAIL_PERMISSION",
    #[doc = "`NO_PARTNER_PERMISSION` (from the SOAP API's StatusCode list)."]
    NoPartnerPermission = "NO_PARTNER_PERMISSION",
    #[doc = "`NO_REFRESH_TOKEN` (from the SOAP API's StatusCode list)."]
    NoRefreshToken = "NO_REFRESH_TOKEN",
    #[doc = "`NO_SUCH_USER_EXISTS` (from the SOAP API's StatusCode list)."]
    NoSuchUserExists = "NO_SUCH_USER_EXISTS",
    #[doc = "`NO_TOKEN_ENDPOINT` (from the SOAP API's StatusCode list)."]
    NoTokenEndpoint = "NO_TOKEN_ENDPOINT",
    #[doc = "`NUM_HISTORY_FIELDS_BY_SOBJECT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    NumHistoryFieldsBySobjectExceeded = "NUM_HISTORY_FIELDS_BY_SOBJECT_EXCEEDED",
    #[doc = "`OPERATION_ENQUEUED` (from the SOAP API's StatusCode list)."]
    OperationEnqueued = "OPERATION_ENQUEUED",
    #[doc = "`OPTED_OUT_OF_MASS_MAIL` (from the SOAP API's StatusCode list)."]
    OptedOutOfMassMail = "OPTED_OUT_OF_MASS_MAIL",
    #[doc = "`OP_WITH_INVALID_USER_TYPE_EXCEPTION` (from the SOAP API's StatusCode list)."]
    OpWithInvalidUserTypeException = "OP_WITH_INVALID_USER_TYPE_EXCEPTION",
    #[doc = "`ORCHESTRATION_INVALID` (from the SOAP API's StatusCode list)."]
    OrchestrationInvalid = "ORCHESTRATION_INVALID",
    #[doc = "`ORDER_MANAGEMENT_ACTION_NOT_ALLOWED` (from the SOAP API's StatusCode list)."]
    OrderManagementActionNotAllowed = "ORDER_MANAGEMENT_ACTION_NOT_ALLOWED",
    #[doc = "`ORDER_MANAGEMENT_RECORD_EXISTS` (from the SOAP API's StatusCode list)."]
    OrderManagementRecordExists = "ORDER_MANAGEMENT_RECORD_EXISTS",
    #[doc = "`ORDER_MANAGEMENT_RECORD_NOT_FOUND` (from the SOAP API's StatusCode list)."]
    OrderManagementRecordNotFound = "ORDER_MANAGEMENT_RECORD_NOT_FOUND",
    #[doc = "`PACKAGE_DISABLED` (from the SOAP API's StatusCode list)."]
    PackageDisabled = "PACKAGE_DISABLED",
    #[doc = "`PACKAGE_LICENSE_REQUIRED` (from the SOAP API's StatusCode list)."]
    PackageLicenseRequired = "PACKAGE_LICENSE_REQUIRED",
    #[doc = "`PACKAGING_API_INSTALL_FAILED` (from the SOAP API's StatusCode list)."]
    PackagingApiInstallFailed = "PACKAGING_API_INSTALL_FAILED",
    #[doc = "`PACKAGING_API_UNINSTALL_FAILED` (from the SOAP API's StatusCode list)."]
    PackagingApiUninstallFailed = "PACKAGING_API_UNINSTALL_FAILED",
    #[doc = "`PALI_INVALID_ACTION_ID` (from the SOAP API's StatusCode list)."]
    PaliInvalidActionId = "PALI_INVALID_ACTION_ID",
    #[doc = "`PALI_INVALID_ACTION_NAME` (from the SOAP API's StatusCode list)."]
    PaliInvalidActionName = "PALI_INVALID_ACTION_NAME",
    #[doc = "`PALI_INVALID_ACTION_TYPE` (from the SOAP API's StatusCode list)."]
    PaliInvalidActionType = "PALI_INVALID_ACTION_TYPE",
    #[doc = "`PAL_INVALID_ASSISTANT_RECOMMENDATION_TYPE_ID` (from the SOAP API's StatusCode list)."]
    PalInvalidAssistantRecommendationTypeId = "PAL_INVALID_ASSISTANT_RECOMMENDATION_TYPE_ID",
    #[doc = "`PAL_INVALID_ENTITY_ID` (from the SOAP API's StatusCode list)."]
    PalInvalidEntityId = "PAL_INVALID_ENTITY_ID",
    #[doc = "`PAL_INVALID_FLEXIPAGE_ID` (from the SOAP API's StatusCode list)."]
    PalInvalidFlexipageId = "PAL_INVALID_FLEXIPAGE_ID",
    #[doc = "`PAL_INVALID_LAYOUT_ID` (from the SOAP API's StatusCode list)."]
    PalInvalidLayoutId = "PAL_INVALID_LAYOUT_ID",
    #[doc = "`PAL_INVALID_PARAMETERS` (from the SOAP API's StatusCode list)."]
    PalInvalidParameters = "PAL_INVALID_PARAMETERS",
    #[doc = "`PAYLOAD_SIZE_EXCEEDED` (from the SOAP API's StatusCode list)."]
    PayloadSizeExceeded = "PAYLOAD_SIZE_EXCEEDED",
    #[doc = "`PA_API_EXCEPTION` (from the SOAP API's StatusCode list)."]
    PaApiException = "PA_API_EXCEPTION",
    #[doc = "`PA_AXIS_FAULT` (from the SOAP API's StatusCode list)."]
    PaAxisFault = "PA_AXIS_FAULT",
    #[doc = "`PA_INVALID_ID_EXCEPTION` (from the SOAP API's StatusCode list)."]
    PaInvalidIdException = "PA_INVALID_ID_EXCEPTION",
    #[doc = "`PA_NO_ACCESS_EXCEPTION` (from the SOAP API's StatusCode list)."]
    PaNoAccessException = "PA_NO_ACCESS_EXCEPTION",
    #[doc = "`PA_NO_DATA_FOUND_EXCEPTION` (from the SOAP API's StatusCode list)."]
    PaNoDataFoundException = "PA_NO_DATA_FOUND_EXCEPTION",
    #[doc = "`PA_URI_SYNTAX_EXCEPTION` (from the SOAP API's StatusCode list)."]
    PaUriSyntaxException = "PA_URI_SYNTAX_EXCEPTION",
    #[doc = "`PA_VISIBLE_ACTIONS_FILTER_ORDERING_EXCEPTION` (from the SOAP API's StatusCode list)."]
    PaVisibleActionsFilterOrderingException = "PA_VISIBLE_ACTIONS_FILTER_ORDERING_EXCEPTION",
    #[doc = "`PLATFORM_EVENT_ENCRYPTION_ERROR` (from the SOAP API's StatusCode list)."]
    PlatformEventEncryptionError = "PLATFORM_EVENT_ENCRYPTION_ERROR",
    #[doc = "`PLATFORM_EVENT_PUBLISHING_UNAVAILABLE` (from the SOAP API's StatusCode list)."]
    PlatformEventPublishingUnavailable = "PLATFORM_EVENT_PUBLISHING_UNAVAILABLE",
    #[doc = "`PLATFORM_EVENT_PUBLISH_FAILED` (from the SOAP API's StatusCode list)."]
    PlatformEventPublishFailed = "PLATFORM_EVENT_PUBLISH_FAILED",
    #[doc = "`PORTAL_NO_ACCESS` (from the SOAP API's StatusCode list)."]
    PortalNoAccess = "PORTAL_NO_ACCESS",
    #[doc = "`PORTAL_USER_ALREADY_EXISTS_FOR_CONTACT` (from the SOAP API's StatusCode list)."]
    PortalUserAlreadyExistsForContact = "PORTAL_USER_ALREADY_EXISTS_FOR_CONTACT",
    #[doc = "`PORTAL_USER_CREATION_RESTRICTED_WITH_ENCRYPTION` (from the SOAP API's StatusCode list)."]
    PortalUserCreationRestrictedWithEncryption = "PORTAL_USER_CREATION_RESTRICTED_WITH_ENCRYPTION",
    #[doc = "`PRICE_NOT_FOUND` (from the SOAP API's StatusCode list)."]
    PriceNotFound = "PRICE_NOT_FOUND",
    #[doc = "`PRIVATE_CONTACT_ON_ASSET` (from the SOAP API's StatusCode list)."]
    PrivateContactOnAsset = "PRIVATE_CONTACT_ON_ASSET",
    #[doc = "`QA_INVALID_CREATE_FEED_ITEM` (from the SOAP API's StatusCode list)."]
    QaInvalidCreateFeedItem = "QA_INVALID_CREATE_FEED_ITEM",
    #[doc = "`QA_INVALID_SUCCESS_MESSAGE` (from the SOAP API's StatusCode list)."]
    QaInvalidSuccessMessage = "QA_INVALID_SUCCESS_MESSAGE",
    #[doc = "`QUICK_ACTION_LIST_ITEM_NOT_ALLOWED` (from the SOAP API's StatusCode list)."]
    QuickActionListItemNotAllowed = "QUICK_ACTION_LIST_ITEM_NOT_ALLOWED",
    #[doc = "`QUICK_ACTION_LIST_NOT_ALLOWED` (from the SOAP API's StatusCode list)."]
    QuickActionListNotAllowed = "QUICK_ACTION_LIST_NOT_ALLOWED",
    #[doc = "`RECORD_IN_USE_BY_WORKFLOW` (from the SOAP API's StatusCode list)."]
    RecordInUseByWorkflow = "RECORD_IN_USE_BY_WORKFLOW",
    #[doc = "`RELATED_ENTITY_FILTER_VALIDATION_EXCEPTION` (from the SOAP API's StatusCode list)."]
    RelatedEntityFilterValidationException = "RELATED_ENTITY_FILTER_VALIDATION_EXCEPTION",
    #[doc = "`REL_FIELD_BAD_ACCESSIBILITY` (from the SOAP API's StatusCode list)."]
    RelFieldBadAccessibility = "REL_FIELD_BAD_ACCESSIBILITY",
    #[doc = "`REPUTATION_MINIMUM_NUMBER_NOT_REACHED` (from the SOAP API's StatusCode list)."]
    ReputationMinimumNumberNotReached = "REPUTATION_MINIMUM_NUMBER_NOT_REACHED",
    #[doc = "`REQUEST_RUNNING_TOO_LONG` (from the SOAP API's StatusCode list)."]
    RequestRunningTooLong = "REQUEST_RUNNING_TOO_LONG",
    #[doc = "`REQUIRED_FEATURE_MISSING` (from the SOAP API's StatusCode list)."]
    RequiredFeatureMissing = "REQUIRED_FEATURE_MISSING",
    #[doc = "`REQUIRE_CONNECTED_APP_SCS` (from the SOAP API's StatusCode list)."]
    RequireConnectedAppScs = "REQUIRE_CONNECTED_APP_SCS",
    #[doc = "`REQUIRE_CONNECTED_APP_SESSION_SCS` (from the SOAP API's StatusCode list)."]
    RequireConnectedAppSessionScs = "REQUIRE_CONNECTED_APP_SESSION_SCS",
    #[doc = "`REQUIRE_RUNAS_USER` (from the SOAP API's StatusCode list)."]
    RequireRunasUser = "REQUIRE_RUNAS_USER",
    #[doc = "`RETRIEVE_EXCHANGE_ATTACHMENT_FAILED` (from the SOAP API's StatusCode list)."]
    RetrieveExchangeAttachmentFailed = "RETRIEVE_EXCHANGE_ATTACHMENT_FAILED",
    #[doc = "`RETRIEVE_EXCHANGE_EMAIL_FAILED` (from the SOAP API's StatusCode list)."]
    RetrieveExchangeEmailFailed = "RETRIEVE_EXCHANGE_EMAIL_FAILED",
    #[doc = "`RETRIEVE_EXCHANGE_EVENT_FAILED` (from the SOAP API's StatusCode list)."]
    RetrieveExchangeEventFailed = "RETRIEVE_EXCHANGE_EVENT_FAILED",
    #[doc = "`RETRIEVE_GOOGLE_EMAIL_FAILED` (from the SOAP API's StatusCode list)."]
    RetrieveGoogleEmailFailed = "RETRIEVE_GOOGLE_EMAIL_FAILED",
    #[doc = "`RETRIEVE_GOOGLE_EVENT_FAILED` (from the SOAP API's StatusCode list)."]
    RetrieveGoogleEventFailed = "RETRIEVE_GOOGLE_EVENT_FAILED",
    #[doc = "`RETRIEVE_USER_CONFIG_ERROR` (from the SOAP API's StatusCode list)."]
    RetrieveUserConfigError = "RETRIEVE_USER_CONFIG_ERROR",
    #[doc = "`SALESFORCE_INBOX_TRANSPORT_CONNECTION_ERROR` (from the SOAP API's StatusCode list)."]
    SalesforceInboxTransportConnectionError = "SALESFORCE_INBOX_TRANSPORT_CONNECTION_ERROR",
    #[doc = "`SALESFORCE_INBOX_TRANSPORT_INVALID_INPUT_ERROR` (from the SOAP API's StatusCode list)."]
    SalesforceInboxTransportInvalidInputError = "SALESFORCE_INBOX_TRANSPORT_INVALID_INPUT_ERROR",
    #[doc = "`SALESFORCE_INBOX_TRANSPORT_TOKEN_ERROR` (from the SOAP API's StatusCode list)."]
    SalesforceInboxTransportTokenError = "SALESFORCE_INBOX_TRANSPORT_TOKEN_ERROR",
    #[doc = "`SALESFORCE_INBOX_TRANSPORT_UNKNOWN_ERROR` (from the SOAP API's StatusCode list)."]
    SalesforceInboxTransportUnknownError = "SALESFORCE_INBOX_TRANSPORT_UNKNOWN_ERROR",
    #[doc = "`SELF_REFERENCE_FROM_FLOW` (from the SOAP API's StatusCode list)."]
    SelfReferenceFromFlow = "SELF_REFERENCE_FROM_FLOW",
    #[doc = "`SELF_REFERENCE_FROM_TRIGGER` (from the SOAP API's StatusCode list)."]
    SelfReferenceFromTrigger = "SELF_REFERENCE_FROM_TRIGGER",
    #[doc = "`SHARE_NEEDED_FOR_CHILD_OWNER` (from the SOAP API's StatusCode list)."]
    ShareNeededForChildOwner = "SHARE_NEEDED_FOR_CHILD_OWNER",
    #[doc = "`SINGLE_EMAIL_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    SingleEmailLimitExceeded = "SINGLE_EMAIL_LIMIT_EXCEEDED",
    #[doc = "`SOCIAL_ACCOUNT_NOT_FOUND` (from the SOAP API's StatusCode list)."]
    SocialAccountNotFound = "SOCIAL_ACCOUNT_NOT_FOUND",
    #[doc = "`SOCIAL_ACTION_INVALID` (from the SOAP API's StatusCode list)."]
    SocialActionInvalid = "SOCIAL_ACTION_INVALID",
    #[doc = "`SOCIAL_PERSONA_NOT_FOUND` (from the SOAP API's StatusCode list)."]
    SocialPersonaNotFound = "SOCIAL_PERSONA_NOT_FOUND",
    #[doc = "`SOCIAL_POST_INVALID` (from the SOAP API's StatusCode list)."]
    SocialPostInvalid = "SOCIAL_POST_INVALID",
    #[doc = "`SOCIAL_POST_NOT_FOUND` (from the SOAP API's StatusCode list)."]
    SocialPostNotFound = "SOCIAL_POST_NOT_FOUND",
    #[doc = "`STANDARD_PRICE_NOT_DEFINED` (from the SOAP API's StatusCode list)."]
    StandardPriceNotDefined = "STANDARD_PRICE_NOT_DEFINED",
    #[doc = "`SUBDOMAIN_IN_USE` (from the SOAP API's StatusCode list)."]
    SubdomainInUse = "SUBDOMAIN_IN_USE",
    #[doc = "`TABSET_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    TabsetLimitExceeded = "TABSET_LIMIT_EXCEEDED",
    #[doc = "`TEMPLATE_NOT_ACTIVE` (from the SOAP API's StatusCode list)."]
    TemplateNotActive = "TEMPLATE_NOT_ACTIVE",
    #[doc = "`TEMPLATE_NOT_FOUND` (from the SOAP API's StatusCode list)."]
    TemplateNotFound = "TEMPLATE_NOT_FOUND",
    #[doc = "`TERMS_OF_SERVICE_UNREAD` (from the SOAP API's StatusCode list)."]
    TermsOfServiceUnread = "TERMS_OF_SERVICE_UNREAD",
    #[doc = "`TERRITORY_REALIGN_IN_PROGRESS` (from the SOAP API's StatusCode list)."]
    TerritoryRealignInProgress = "TERRITORY_REALIGN_IN_PROGRESS",
    #[doc = "`TEXT_DATA_OUTSIDE_SUPPORTED_CHARSET` (from the SOAP API's StatusCode list)."]
    TextDataOutsideSupportedCharset = "TEXT_DATA_OUTSIDE_SUPPORTED_CHARSET",
    #[doc = "`TOO_MANY_APEX_REQUESTS` (from the SOAP API's StatusCode list)."]
    TooManyApexRequests = "TOO_MANY_APEX_REQUESTS",
    #[doc = "`TOO_MANY_ENUM_VALUE` (from the SOAP API's StatusCode list)."]
    TooManyEnumValue = "TOO_MANY_ENUM_VALUE",
    #[doc = "`TOO_MANY_JOBS` (from the SOAP API's StatusCode list)."]
    TooManyJobs = "TOO_MANY_JOBS",
    #[doc = "`TOO_MANY_POSSIBLE_USERS_EXIST` (from the SOAP API's StatusCode list)."]
    TooManyPossibleUsersExist = "TOO_MANY_POSSIBLE_USERS_EXIST",
    #[doc = "`TRANSFER_REQUIRES_READ` (from the SOAP API's StatusCode list)."]
    TransferRequiresRead = "TRANSFER_REQUIRES_READ",
    #[doc = "`UNAVAILABLE_RECORDTYPE_EXCEPTION` (from the SOAP API's StatusCode list)."]
    UnavailableRecordtypeException = "UNAVAILABLE_RECORDTYPE_EXCEPTION",
    #[doc = "`UNAVAILABLE_REF` (from the SOAP API's StatusCode list)."]
    UnavailableRef = "UNAVAILABLE_REF",
    #[doc = "`UNDELETE_FAILED` (from the SOAP API's StatusCode list)."]
    UndeleteFailed = "UNDELETE_FAILED",
    #[doc = "`UNKNOWN_TOKEN_ERROR` (from the SOAP API's StatusCode list)."]
    UnknownTokenError = "UNKNOWN_TOKEN_ERROR",
    #[doc = "`UNSAFE_HTML_CONTENT` (from the SOAP API's StatusCode list)."]
    UnsafeHtmlContent = "UNSAFE_HTML_CONTENT",
    #[doc = "`UNSPECIFIED_EMAIL_ADDRESS` (from the SOAP API's StatusCode list)."]
    UnspecifiedEmailAddress = "UNSPECIFIED_EMAIL_ADDRESS",
    #[doc = "`UNSUPPORTED_APEX_TRIGGER_OPERATON` (from the SOAP API's StatusCode list)."]
    UnsupportedApexTriggerOperaton = "UNSUPPORTED_APEX_TRIGGER_OPERATON",
    #[doc = "`UNSUPPORTED_SOCIAL_PROVIDER` (from the SOAP API's StatusCode list)."]
    UnsupportedSocialProvider = "UNSUPPORTED_SOCIAL_PROVIDER",
    #[doc = "`UNVERIFIED_SENDER_ADDRESS` (from the SOAP API's StatusCode list)."]
    UnverifiedSenderAddress = "UNVERIFIED_SENDER_ADDRESS",
    #[doc = "`UPDATE_GOOGLE_EMAIL_LABEL_FAILED` (from the SOAP API's StatusCode list)."]
    UpdateGoogleEmailLabelFailed = "UPDATE_GOOGLE_EMAIL_LABEL_FAILED",
    #[doc = "`USER_OWNS_PORTAL_ACCOUNT_EXCEPTION` (from the SOAP API's StatusCode list)."]
    UserOwnsPortalAccountException = "USER_OWNS_PORTAL_ACCOUNT_EXCEPTION",
    #[doc = "`USER_WITH_APEX_SHARES_EXCEPTION` (from the SOAP API's StatusCode list)."]
    UserWithApexSharesException = "USER_WITH_APEX_SHARES_EXCEPTION",
    #[doc = "`VF_COMPILE_ERROR` (from the SOAP API's StatusCode list)."]
    VfCompileError = "VF_COMPILE_ERROR",
    #[doc = "`WEBLINK_SIZE_LIMIT_EXCEEDED` (from the SOAP API's StatusCode list)."]
    WeblinkSizeLimitExceeded = "WEBLINK_SIZE_LIMIT_EXCEEDED",
    #[doc = "`WEBLINK_URL_INVALID` (from the SOAP API's StatusCode list)."]
    WeblinkUrlInvalid = "WEBLINK_URL_INVALID",
    #[doc = "`WRONG_CONTROLLER_TYPE` (from the SOAP API's StatusCode list)."]
    WrongControllerType = "WRONG_CONTROLLER_TYPE",
    #[doc = "`XCLEAN_DJ_MATCH_IGNORABLE_ERROR` (from the SOAP API's StatusCode list)."]
    XcleanDjMatchIgnorableError = "XCLEAN_DJ_MATCH_IGNORABLE_ERROR",
    #[doc = "`XCLEAN_DJ_MATCH_INTERNAL_DJ_ERROR` (from the SOAP API's StatusCode list)."]
    XcleanDjMatchInternalDjError = "XCLEAN_DJ_MATCH_INTERNAL_DJ_ERROR",
    #[doc = "`XCLEAN_DJ_MATCH_NON_RETRIABLE_ERROR` (from the SOAP API's StatusCode list)."]
    XcleanDjMatchNonRetriableError = "XCLEAN_DJ_MATCH_NON_RETRIABLE_ERROR",
    #[doc = "`XCLEAN_DJ_MATCH_RETRIABLE_ERROR` (from the SOAP API's StatusCode list)."]
    XcleanDjMatchRetriableError = "XCLEAN_DJ_MATCH_RETRIABLE_ERROR",
    #[doc = "`XCLEAN_DJ_MATCH_UNKNOWN_ERROR` (from the SOAP API's StatusCode list)."]
    XcleanDjMatchUnknownError = "XCLEAN_DJ_MATCH_UNKNOWN_ERROR",
    #[doc = "`XCLEAN_UNEXPECTED_ERROR` (from the SOAP API's StatusCode list)."]
    XcleanUnexpectedError = "XCLEAN_UNEXPECTED_ERROR",
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
        // The SOAP API's StatusCode list is known too, and every code maps back to itself.
        assert_eq!(
            ErrorCode::from("MIXED_DML_OPERATION"),
            ErrorCode::MixedDmlOperation
        );
        for code in [
            "DUPLICATE_EXTERNAL_ID",
            "XCLEAN_UNEXPECTED_ERROR",
            "MALFORMED_QUERY",
        ] {
            let c = ErrorCode::from(code);
            assert!(!matches!(c, ErrorCode::Other(_)), "{code}");
            assert_eq!(c.as_str(), code);
        }
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
