//! OAuth 2.0 token sources that talk to `/services/oauth2/token`, a fixed token, and the
//! web-server (authorization code) flow's helpers with PKCE.

use base64::Engine as _;
use serde::Deserialize;

use super::{BoxFuture, Fetch, Token, TokenSource};
use crate::error::{AuthError, Error};
use crate::secret::Secret;

/// Salesforce's production login URL; sandboxes use `https://test.salesforce.com`, and orgs
/// with My Domain their own.
pub const DEFAULT_LOGIN_URL: &str = "https://login.salesforce.com";

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    instance_url: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct OAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// POSTs a grant to `{login_url}/services/oauth2/token`.
pub(crate) async fn token_request(
    http: &reqwest::Client,
    login_url: &str,
    form: &[(&str, &str)],
) -> Result<Token, Error> {
    let url = format!("{}/services/oauth2/token", login_url.trim_end_matches('/'));
    let context = "token request";
    let r = http
        .post(&url)
        .form(form)
        .send()
        .await
        .map_err(|e| Error::transport(context, e))?;
    let status = r.status().as_u16();
    let body = r.bytes().await.map_err(|e| Error::transport(context, e))?;
    if !(200..300).contains(&status) {
        let e: OAuthError = serde_json::from_slice(&body).unwrap_or(OAuthError {
            error: format!("HTTP {status}"),
            error_description: String::from_utf8_lossy(&body).chars().take(200).collect(),
        });
        return Err(Error::Auth(AuthError::salesforce(
            status,
            e.error,
            e.error_description,
        )));
    }
    let t: TokenAnswer = crate::json::from_slice(&body).map_err(|e| Error::decode(context, e))?;
    Ok(Token {
        access_token: Secret::new(t.access_token),
        instance_url: t.instance_url,
        refresh_token: t.refresh_token.map(Secret::new),
    })
}

/// A token obtained elsewhere. It cannot be renewed: once Salesforce rejects it, calls fail with
/// [`Error::Reconnect`].
#[derive(Debug, Clone)]
pub struct StaticToken {
    token: Secret,
    instance_url: String,
}

impl StaticToken {
    /// A token for the org at `instance_url`.
    pub fn new(token: impl Into<Secret>, instance_url: impl Into<String>) -> Self {
        StaticToken {
            token: token.into(),
            instance_url: instance_url.into(),
        }
    }
}

impl TokenSource for StaticToken {
    fn fetch<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        why: Fetch,
    ) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            match why {
                Fetch::Initial => Ok(Token::new(
                    self.token.clone(),
                    Some(self.instance_url.clone()),
                )),
                Fetch::Rejected => Err(Error::Reconnect {
                    cause: "the fixed access token was rejected and there is no way to renew it"
                        .into(),
                }),
            }
        })
    }
}

/// The refresh token grant: a long-lived refresh token (from the web-server flow, for
/// instance) traded for access tokens as they expire.
#[derive(Debug, Clone)]
pub struct RefreshToken {
    login_url: String,
    client_id: String,
    client_secret: Option<Secret>,
    refresh_token: Secret,
}

impl RefreshToken {
    /// A refresh token for the connected app `client_id`.
    pub fn new(client_id: impl Into<String>, refresh_token: impl Into<Secret>) -> Self {
        RefreshToken {
            login_url: DEFAULT_LOGIN_URL.into(),
            client_id: client_id.into(),
            client_secret: None,
            refresh_token: refresh_token.into(),
        }
    }

    /// The connected app's secret, when it requires one for refresh.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Where the token endpoint is (default [`DEFAULT_LOGIN_URL`]; an org's My Domain URL works).
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = url.into();
        self
    }
}

impl TokenSource for RefreshToken {
    fn fetch<'a>(
        &'a self,
        http: &'a reqwest::Client,
        _why: Fetch,
    ) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            let mut form = vec![
                ("grant_type", "refresh_token"),
                ("client_id", self.client_id.as_str()),
                ("refresh_token", self.refresh_token.expose()),
            ];
            if let Some(s) = &self.client_secret {
                form.push(("client_secret", s.expose()));
            }
            token_request(http, &self.login_url, &form).await
        })
    }
}

/// The username-password flow (the password followed by the user's security token where the
/// org asks for one). Salesforce discourages it; it is here for orgs that still allow it.
#[derive(Debug, Clone)]
pub struct Password {
    login_url: String,
    client_id: String,
    client_secret: Secret,
    username: String,
    password: Secret,
}

impl Password {
    /// A login as `username` through the connected app.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        Password {
            login_url: DEFAULT_LOGIN_URL.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            username: username.into(),
            password: password.into(),
        }
    }

    /// Where the token endpoint is (default [`DEFAULT_LOGIN_URL`]).
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = url.into();
        self
    }
}

impl TokenSource for Password {
    fn fetch<'a>(
        &'a self,
        http: &'a reqwest::Client,
        _why: Fetch,
    ) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            token_request(
                http,
                &self.login_url,
                &[
                    ("grant_type", "password"),
                    ("client_id", &self.client_id),
                    ("client_secret", self.client_secret.expose()),
                    ("username", &self.username),
                    ("password", self.password.expose()),
                ],
            )
            .await
        })
    }
}

/// The client credentials flow: the connected app's own integration user. The token endpoint
/// must be the org's My Domain URL.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    login_url: String,
    client_id: String,
    client_secret: Secret,
}

impl ClientCredentials {
    /// The app `client_id` at the org whose My Domain URL is `my_domain_url`.
    pub fn new(
        my_domain_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        ClientCredentials {
            login_url: my_domain_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }
}

impl TokenSource for ClientCredentials {
    fn fetch<'a>(
        &'a self,
        http: &'a reqwest::Client,
        _why: Fetch,
    ) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            token_request(
                http,
                &self.login_url,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &self.client_id),
                    ("client_secret", self.client_secret.expose()),
                ],
            )
            .await
        })
    }
}

/// The web-server (authorization code) flow with PKCE: send the person to [`Self::url`], then
/// trade the `code` Salesforce hands the redirect URI for tokens with [`Self::exchange`].
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    login_url: String,
    client_id: String,
    client_secret: Option<Secret>,
    redirect_uri: String,
    verifier: Secret,
    state: String,
    scope: Option<String>,
}

impl AuthorizationRequest {
    /// A new request, with a fresh PKCE verifier and `state`.
    pub fn new(
        login_url: impl Into<String>,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        AuthorizationRequest {
            login_url: login_url.into(),
            client_id: client_id.into(),
            client_secret: None,
            redirect_uri: redirect_uri.into(),
            verifier: Secret::new(random_token(64)),
            state: random_token(24),
            scope: None,
        }
    }

    /// The connected app's secret, if it requires one at the exchange.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// OAuth scopes, space separated (e.g. `api refresh_token`).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The `state` value: check that the redirect carries it back.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The URL to send the person to.
    pub fn url(&self) -> Result<reqwest::Url, Error> {
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA256,
                self.verifier.expose().as_bytes(),
            )
            .as_ref(),
        );
        let base = format!(
            "{}/services/oauth2/authorize",
            self.login_url.trim_end_matches('/')
        );
        let mut url = reqwest::Url::parse(&base)
            .map_err(|e| Error::Config(format!("login URL {base:?}: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("state", &self.state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(scope) = &self.scope {
            url.query_pairs_mut().append_pair("scope", scope);
        }
        Ok(url)
    }

    /// Trades the code for a token (with its refresh token, if the app's scopes grant one).
    pub async fn exchange(&self, http: &reqwest::Client, code: &str) -> Result<Token, Error> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_verifier", self.verifier.expose()),
        ];
        if let Some(s) = &self.client_secret {
            form.push(("client_secret", s.expose()));
        }
        token_request(http, &self.login_url, &form).await
    }
}

/// A random URL-safe string of `len` characters.
fn random_token(len: usize) -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            let i = rng.random_range(0..ALPHABET.len());
            ALPHABET.get(i).map_or('A', |&b| char::from(b))
        })
        .collect()
}
