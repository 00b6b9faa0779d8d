//! The one error every action answers with: Salesforce's shape (`code`, `message`, `fields`)
//! plus whether trying again can help, and where it came from (so the CLI can pick its exit
//! code and the server its status).

use serde::Serialize;
use sfkit_client::Error as ClientError;

/// Where an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Origin {
    /// The parameters were refused before any call.
    Validation,
    /// Salesforce answered with an error.
    Salesforce,
    /// Salesforce could not be reached or the login failed.
    Connection,
}

/// An action's error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
#[non_exhaustive]
pub struct ActionError {
    /// Salesforce's error code when Salesforce gave one, else ours in the same style.
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
    /// The parameters or fields concerned.
    pub fields: Vec<String>,
    /// Trying the same call again later may succeed.
    pub retryable: bool,
    /// Where it came from.
    #[serde(skip)]
    pub origin: Origin,
}

impl ActionError {
    /// A validation error.
    pub fn invalid(code: &str, message: impl Into<String>, fields: Vec<String>) -> Self {
        ActionError {
            code: code.to_owned(),
            message: message.into(),
            fields,
            retryable: false,
            origin: Origin::Validation,
        }
    }

    /// Salesforce could not be reached or the login failed.
    pub fn connection(message: impl Into<String>) -> Self {
        ActionError {
            code: "CONNECTION_FAILED".into(),
            message: message.into(),
            fields: Vec::new(),
            retryable: false,
            origin: Origin::Connection,
        }
    }

    /// Salesforce answered something sfkit cannot use, or the catalog built a query it could
    /// not print: not the caller's doing. One origin with the client's own UNEXPECTED_ANSWER
    /// (see `From<ClientError>`), so the CLI's exit code and the server's status are the same
    /// whoever notices it.
    pub fn unexpected(message: impl Into<String>) -> Self {
        ActionError {
            origin: Origin::Salesforce,
            ..Self::invalid("UNEXPECTED_ANSWER", message, Vec::new())
        }
    }

    /// A required parameter is missing.
    pub fn missing(param: &str) -> Self {
        Self::invalid(
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{param}]"),
            vec![param.to_owned()],
        )
    }
}

impl From<ClientError> for ActionError {
    fn from(e: ClientError) -> Self {
        let retryable = e.is_retryable();
        match &e {
            ClientError::Api(api) => ActionError {
                code: api.code.as_str().to_owned(),
                // Salesforce's text and what to do; the code travels in its own member.
                message: match api.code.remedy() {
                    Some(fix) => format!("{}. {fix}", api.message().trim_end_matches('.')),
                    None => api.message().to_owned(),
                },
                fields: api.fields().into_iter().map(str::to_owned).collect(),
                retryable,
                origin: Origin::Salesforce,
            },
            ClientError::Partial { source, .. } => {
                let inner = ActionError::from(clone_shallow(source));
                ActionError {
                    message: e.to_string(),
                    ..inner
                }
            }
            ClientError::BudgetExhausted { .. } => ActionError {
                code: "REQUEST_LIMIT_EXCEEDED".into(),
                message: e.to_string(),
                fields: Vec::new(),
                retryable: true,
                origin: Origin::Salesforce,
            },
            ClientError::Reconnect { .. } => ActionError {
                code: "INVALID_SESSION_ID".into(),
                message: e.to_string(),
                fields: Vec::new(),
                retryable: false,
                origin: Origin::Connection,
            },
            ClientError::Auth(a) => ActionError {
                code: a.error.to_ascii_uppercase(),
                message: e.to_string(),
                fields: Vec::new(),
                retryable: false,
                origin: Origin::Connection,
            },
            ClientError::Bulk { .. } => ActionError {
                code: "BULK_JOB_FAILED".into(),
                message: e.to_string(),
                fields: Vec::new(),
                retryable: false,
                origin: Origin::Salesforce,
            },
            // The person's login through the browser did not come back usable.
            ClientError::WebFlow(f) => ActionError {
                code: f.code().into(),
                message: e.to_string(),
                fields: Vec::new(),
                retryable: false,
                origin: Origin::Connection,
            },
            ClientError::Transport { .. } => ActionError {
                code: "CONNECTION_FAILED".into(),
                message: e.to_string(),
                fields: Vec::new(),
                retryable,
                origin: Origin::Connection,
            },
            _ => ActionError {
                code: "UNEXPECTED_ANSWER".into(),
                message: e.to_string(),
                fields: Vec::new(),
                retryable,
                origin: Origin::Salesforce,
            },
        }
    }
}

/// The parts of a boxed client error an action error needs (client errors are not `Clone`).
fn clone_shallow(e: &ClientError) -> ClientError {
    match e {
        ClientError::Api(api) => ClientError::Api(api.clone()),
        other => ClientError::Config(other.to_string()),
    }
}
