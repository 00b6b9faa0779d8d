//! Salesforce-shaped errors: an HTTP status and a list of `{message, errorCode, fields}`.

use serde::Serialize;

/// One error entry, as REST returns it in its error array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorItem {
    /// Human-readable text.
    pub message: String,
    /// Salesforce's error code, e.g. `REQUIRED_FIELD_MISSING`.
    pub error_code: String,
    /// The fields concerned, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

/// An error answer: status plus entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The entries (usually one).
    pub items: Vec<ApiErrorItem>,
}

impl ApiError {
    /// One entry with no `fields`.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            items: vec![ApiErrorItem {
                message: message.into(),
                error_code: code.to_owned(),
                fields: None,
            }],
        }
    }

    /// One entry naming fields.
    pub fn with_fields(
        status: u16,
        code: &str,
        message: impl Into<String>,
        fields: Vec<String>,
    ) -> Self {
        ApiError {
            status,
            items: vec![ApiErrorItem {
                message: message.into(),
                error_code: code.to_owned(),
                fields: Some(fields),
            }],
        }
    }

    /// 400 with the given code.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// 404 NOT_FOUND, "The requested resource does not exist".
    pub fn not_found() -> Self {
        Self::new(404, "NOT_FOUND", "The requested resource does not exist")
    }

    /// The first entry's code.
    pub fn code(&self) -> &str {
        self.items.first().map_or("", |i| i.error_code.as_str())
    }

    /// The first entry's message.
    pub fn message(&self) -> &str {
        self.items.first().map_or("", |i| i.message.as_str())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code(), self.message())
    }
}

/// SQLite's words when a statement is past one of its limits: the statement's size came from
/// the request (a query's terms, values, columns or tables), so the answer is the caller's
/// error, not the org's. The compiler keeps statements inside these limits; this is the net
/// under it.
const SQLITE_LIMITS: &[&str] = &[
    "Expression tree is too large",
    "too many SQL variables",
    "too many columns",
    "too many terms",
    "tables in a join",
    "too many FROM clause terms",
    "too many arguments on function",
    "parser stack overflow",
    "LIKE or GLOB pattern too complex",
    "fts5 expression tree is too large",
];

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        let text = e.to_string();
        if let Some(limit) = SQLITE_LIMITS.iter().find(|l| text.contains(*l)) {
            tracing::warn!(error = %e, "a statement past one of SQLite's limits");
            return ApiError::bad_request(
                "QUERY_TOO_COMPLICATED",
                format!(
                    "Query is too complicated: {}. Please simplify the query.",
                    limit.to_ascii_lowercase()
                ),
            );
        }
        tracing::error!(error = %e, "storage error");
        ApiError::new(
            500,
            "UNKNOWN_EXCEPTION",
            "An unexpected error occurred. Please include this ErrorId if you contact support: storage",
        )
    }
}
