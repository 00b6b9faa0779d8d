//! OAuth 2.0 token sources that talk to `/services/oauth2/token`, a fixed token, and the
//! web-server (authorization code) flow's helpers with PKCE.

use base64::Engine as _;
use serde::Deserialize;

use super::{BoxFuture, Fetch, Token, TokenSource};
use crate::error::{AuthError, Error, WebFlowFailure};
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

    /// The flow as sfkit uses it to make a login that can be kept: scope `api refresh_token`.
    pub fn for_refresh_token(
        login_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Option<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        let flow = AuthorizationRequest::new(login_url, client_id, redirect_uri)
            .scope("api refresh_token");
        match client_secret {
            Some(secret) => flow.client_secret(secret),
            None => flow,
        }
    }

    /// Finishes the flow from what the redirect brought back: checks the state, reports a
    /// refusal, trades the code for tokens and requires a refresh token. The CLI's local
    /// callback and the server's callback route both end here.
    pub async fn finish(
        &self,
        http: &reqwest::Client,
        redirect: &Redirect,
    ) -> Result<WebLogin, Error> {
        if redirect.state.as_deref() != Some(self.state.as_str()) {
            return Err(WebFlowFailure::UnknownState.into());
        }
        if let Some(error) = &redirect.error {
            return Err(WebFlowFailure::Refused {
                error: error.clone(),
                description: redirect.error_description.clone().unwrap_or_default(),
            }
            .into());
        }
        let code = redirect.code.as_deref().ok_or(WebFlowFailure::NoCode)?;
        let token = self.exchange(http, code).await?;
        let refresh_token = token.refresh_token.ok_or(WebFlowFailure::NoRefreshToken)?;
        Ok(WebLogin {
            login_url: self.login_url.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            refresh_token,
            instance_url: token.instance_url,
        })
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

/// What the browser brings back to the redirect URI, from its query string: Salesforce's code
/// and the state, or OAuth's error.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[non_exhaustive]
pub struct Redirect {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` the flow sent.
    pub state: Option<String>,
    /// OAuth's `error` when the login was refused.
    pub error: Option<String>,
    /// OAuth's `error_description`.
    pub error_description: Option<String>,
}

impl Redirect {
    /// The redirect's parameters from a query string (`code=...&state=...`); others are ignored.
    pub fn from_query(query: &str) -> Redirect {
        let mut r = Redirect::default();
        let Ok(url) = reqwest::Url::parse(&format!("http://localhost/?{query}")) else {
            return r;
        };
        for (k, v) in url.query_pairs() {
            let slot = match k.as_ref() {
                "code" => &mut r.code,
                "state" => &mut r.state,
                "error" => &mut r.error,
                "error_description" => &mut r.error_description,
                _ => continue,
            };
            *slot = Some(v.into_owned());
        }
        r
    }

    /// Whether this is the flow's answer at all (a code or an error), rather than some other
    /// request to the callback's address (a browser asking for its icon).
    pub fn is_answer(&self) -> bool {
        self.code.is_some() || self.error.is_some()
    }
}

/// A login won through the web-server flow: a refresh token and what it is used with.
/// `Debug` shows no secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebLogin {
    /// Where the token endpoint is.
    pub login_url: String,
    /// The connected app.
    pub client_id: String,
    /// The app's secret, when it needs one to refresh.
    pub client_secret: Option<Secret>,
    /// The refresh token to keep.
    pub refresh_token: Secret,
    /// The org's URL, as the token answer named it.
    pub instance_url: Option<String>,
}

impl WebLogin {
    /// The login, as data that makes a token source.
    pub fn login(&self) -> super::Login {
        super::Login::RefreshToken {
            login_url: self.login_url.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            refresh_token: self.refresh_token.clone(),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> AuthorizationRequest {
        AuthorizationRequest::for_refresh_token(
            "https://login.example.invalid",
            "app",
            None,
            "http://localhost:1717/OauthRedirect",
        )
    }

    #[test]
    fn a_redirect_is_read_from_its_query() {
        let r = Redirect::from_query("code=aPrx%2Bc%3D%3D&state=s1&other=x");
        assert_eq!(r.code.as_deref(), Some("aPrx+c=="));
        assert_eq!(r.state.as_deref(), Some("s1"));
        assert!(r.is_answer());
        let refused = Redirect::from_query(
            "error=access_denied&error_description=end-user+denied+authorization&state=s1",
        );
        assert_eq!(refused.error.as_deref(), Some("access_denied"));
        assert_eq!(
            refused.error_description.as_deref(),
            Some("end-user denied authorization")
        );
        assert!(!Redirect::from_query("").is_answer());
        assert!(!Redirect::from_query("favicon").is_answer());
    }

    /// Each way a redirect can fail is told apart before any request is made (the login URL
    /// here does not resolve: reaching the token endpoint would be a transport error).
    #[tokio::test]
    async fn a_redirect_that_brings_no_login_says_why() {
        let flow = flow();
        let http = crate::http_client().unwrap();
        let failure = |e: Error| match e {
            Error::WebFlow(f) => f,
            other => panic!("not a web flow failure: {other}"),
        };
        let wrong_state = Redirect::from_query("code=c&state=another");
        let e = failure(flow.finish(&http, &wrong_state).await.unwrap_err());
        assert_eq!(e, WebFlowFailure::UnknownState);
        assert_eq!(e.code(), "INVALID_STATE");
        let state = flow.state().to_owned();
        let refused = Redirect::from_query(&format!(
            "error=access_denied&error_description=no&state={state}"
        ));
        let e = failure(flow.finish(&http, &refused).await.unwrap_err());
        assert_eq!(e.code(), "OAUTH_DENIED");
        assert_eq!(
            e.to_string(),
            "Salesforce refused the login: access_denied no"
        );
        let no_code = Redirect::from_query(&format!("state={state}"));
        let e = failure(flow.finish(&http, &no_code).await.unwrap_err());
        assert_eq!(e, WebFlowFailure::NoCode);
    }
}
