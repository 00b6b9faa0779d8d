//! One error type for everything the client does. Salesforce's own error body is kept as data
//! (every entry's code, message and fields), the code is typed ([`ErrorCode`]) so callers can
//! match on it, and each error's message says what a person should do about it.

use std::fmt;

pub use crate::error_code::ErrorCode;

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
    /// The OAuth web-server flow's redirect brought no login back.
    #[error(transparent)]
    WebFlow(#[from] WebFlowFailure),
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

/// Why the web-server flow's redirect brought no login back
/// ([`AuthorizationRequest::finish`](crate::auth::AuthorizationRequest::finish)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebFlowFailure {
    /// The redirect's `state` is not the one this flow sent: another login's, expired or used.
    #[error("this login is unknown, expired or already used; start again")]
    UnknownState,
    /// Salesforce (or the person) refused: OAuth's `error` and `error_description`.
    #[error("Salesforce refused the login: {error} {description}")]
    Refused {
        /// OAuth's `error`, e.g. `access_denied`.
        error: String,
        /// OAuth's `error_description`.
        description: String,
    },
    /// The redirect carries neither a code nor an error.
    #[error("the redirect carries no authorization code")]
    NoCode,
    /// The code was traded, but no refresh token came: nothing could be kept.
    #[error("Salesforce gave no refresh token: add the refresh_token scope to the connected app")]
    NoRefreshToken,
}

impl WebFlowFailure {
    /// The code sfkit reports it with, in Salesforce's style.
    pub fn code(&self) -> &'static str {
        match self {
            WebFlowFailure::UnknownState => "INVALID_STATE",
            WebFlowFailure::Refused { .. } => "OAUTH_DENIED",
            WebFlowFailure::NoCode => "REQUIRED_FIELD_MISSING",
            WebFlowFailure::NoRefreshToken => "NO_REFRESH_TOKEN",
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
