//! A Nango connection as a token source: Nango holds the OAuth connection (and refreshes it);
//! the client asks Nango's connection endpoint for the current access token and instance URL,
//! with Nango's secret key. When Salesforce rejects the token, the client asks again with
//! `force_refresh=true`, once per call: if Salesforce rejects that token too, the call fails
//! with [`Error::Reconnect`] (the connection must be re-authorized in Nango).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{BoxFuture, Fetch, Token, TokenSource};
use crate::error::{AuthError, Error};
use crate::secret::Secret;

/// Nango Cloud's API.
pub const NANGO_CLOUD_URL: &str = "https://api.nango.dev";

/// A connection held by Nango.
#[derive(Debug, Clone)]
pub struct Nango {
    base_url: String,
    secret_key: Secret,
    connection_id: String,
    provider_config_key: String,
}

#[derive(Deserialize)]
struct Connection {
    #[serde(default)]
    connection_config: Map<String, Value>,
    credentials: Credentials,
}

#[derive(Deserialize)]
struct Credentials {
    access_token: String,
    #[serde(default)]
    raw: Map<String, Value>,
}

impl Nango {
    /// The connection `connection_id` of the integration `provider_config_key`, on Nango Cloud
    /// (see [`Self::base_url`] for a self-hosted Nango).
    pub fn new(
        secret_key: impl Into<Secret>,
        provider_config_key: impl Into<String>,
        connection_id: impl Into<String>,
    ) -> Self {
        Nango {
            base_url: NANGO_CLOUD_URL.into(),
            secret_key: secret_key.into(),
            connection_id: connection_id.into(),
            provider_config_key: provider_config_key.into(),
        }
    }

    /// A self-hosted Nango server's URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }
}

impl Nango {
    /// Nango's error answer, `{"error": {"code", "message"}}` (older servers: a string), with
    /// what to check where the status says it.
    fn refusal(&self, status: u16, body: &[u8]) -> AuthError {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let error = v.get("error").unwrap_or(&Value::Null);
        let (code, message) = match error {
            Value::Object(e) => (
                e.get("code")
                    .and_then(Value::as_str)
                    .unwrap_or("nango_error"),
                e.get("message").and_then(Value::as_str).unwrap_or_default(),
            ),
            Value::String(s) => ("nango_error", s.as_str()),
            _ => ("nango_error", ""),
        };
        let check = match status {
            401 | 403 => "; check the Nango secret key",
            404 => "; check the integration id and the connection id",
            _ => "",
        };
        AuthError {
            status,
            error: code.to_owned(),
            description: format!(
                "Nango could not hand out the connection {:?} of the integration {:?}: {message}{check}",
                self.connection_id, self.provider_config_key
            ),
            refused_by: "Nango",
        }
    }
}

impl TokenSource for Nango {
    fn fetch<'a>(
        &'a self,
        http: &'a reqwest::Client,
        why: Fetch,
    ) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            let context = "asking Nango for the connection's token";
            let mut url = reqwest::Url::parse(&self.base_url)
                .map_err(|e| Error::Config(format!("Nango URL {:?}: {e}", self.base_url)))?;
            url.path_segments_mut()
                .map_err(|()| Error::Config(format!("Nango URL {:?}", self.base_url)))?
                .pop_if_empty()
                .extend(["connection", &self.connection_id]);
            url.query_pairs_mut()
                .append_pair("provider_config_key", &self.provider_config_key)
                .append_pair(
                    "force_refresh",
                    if why == Fetch::Rejected {
                        "true"
                    } else {
                        "false"
                    },
                );
            let r = http
                .get(url)
                .bearer_auth(self.secret_key.expose())
                .send()
                .await
                .map_err(|e| Error::transport(context, e))?;
            let status = r.status().as_u16();
            let body = r.bytes().await.map_err(|e| Error::transport(context, e))?;
            if !(200..300).contains(&status) {
                return Err(Error::Auth(self.refusal(status, &body)));
            }
            let c: Connection =
                crate::json::from_slice(&body).map_err(|e| Error::decode(context, e))?;
            let instance_url = c
                .connection_config
                .get("instance_url")
                .or_else(|| c.credentials.raw.get("instance_url"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            Ok(Token::new(c.credentials.access_token, instance_url))
        })
    }

    /// Once: a forced refresh has Nango trade its refresh token with Salesforce there and then,
    /// so a token rejected right after one means the connection itself is broken (revoked,
    /// its user deactivated) and asking again would only repeat the round trip; the person
    /// has to re-authorize the connection in Nango.
    fn renewals_per_call(&self) -> u32 {
        1
    }
}
