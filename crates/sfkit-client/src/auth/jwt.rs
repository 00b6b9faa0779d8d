//! The OAuth 2.0 JWT bearer flow: an assertion signed with the connected app's private key
//! (RS256) is traded for an access token. No secret crosses the wire and no refresh token is
//! kept: a new assertion is signed whenever a token is needed.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject as _;

use super::oauth::{DEFAULT_LOGIN_URL, token_request};
use super::{BoxFuture, Fetch, Token, TokenSource};
use crate::error::Error;

/// How long an assertion is valid; Salesforce accepts up to three minutes.
const ASSERTION_LIFETIME_SECS: u64 = 180;

/// JWT bearer: the connected app `client_id`, the user to act as, and the app's RSA key.
///
/// ```no_run
/// # async fn run() -> Result<(), sfkit_client::Error> {
/// use sfkit_client::Client;
/// use sfkit_client::auth::JwtBearer;
///
/// let source = JwtBearer::from_key_file(
///     "3MVG9...",
///     "integration@example.com",
///     std::path::Path::new("server.key"),
/// )?
/// .login_url("https://login.salesforce.com");
/// let client = Client::builder().token_source(source).build()?;
/// // The first call signs an assertion and trades it for a token.
/// println!("{}", client.instance_url().await?);
/// # Ok(())
/// # }
/// ```
pub struct JwtBearer {
    login_url: String,
    audience: Option<String>,
    client_id: String,
    username: String,
    key: RsaKeyPair,
}

impl std::fmt::Debug for JwtBearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtBearer")
            .field("login_url", &self.login_url)
            .field("audience", &self.audience)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("key", &"***")
            .finish()
    }
}

impl JwtBearer {
    /// From a PEM private key (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`).
    pub fn from_pem(
        client_id: impl Into<String>,
        username: impl Into<String>,
        key_pem: &[u8],
    ) -> Result<Self, Error> {
        let der = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| Error::Config(format!("JWT key: not a PEM private key ({e})")))?;
        let key = match &der {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => {
                return Err(Error::Config(
                    "JWT key: an RSA key is needed (PKCS#8 or PKCS#1)".into(),
                ));
            }
        }
        .map_err(|e| Error::Config(format!("JWT key: not a usable RSA key ({e})")))?;
        Ok(JwtBearer {
            login_url: DEFAULT_LOGIN_URL.into(),
            audience: None,
            client_id: client_id.into(),
            username: username.into(),
            key,
        })
    }

    /// From a PEM key file.
    pub fn from_key_file(
        client_id: impl Into<String>,
        username: impl Into<String>,
        path: &Path,
    ) -> Result<Self, Error> {
        let pem = std::fs::read(path)
            .map_err(|e| Error::Config(format!("JWT key file {}: {e}", path.display())))?;
        Self::from_pem(client_id, username, &pem)
    }

    /// Where the token endpoint is (default [`DEFAULT_LOGIN_URL`]).
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = url.into();
        self
    }

    /// The assertion's `aud` (default: the login URL; `https://test.salesforce.com` for
    /// sandboxes).
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.audience = Some(aud.into());
        self
    }

    fn assertion(&self) -> Result<String, Error> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = serde_json::json!({
            "iss": self.client_id,
            "sub": self.username,
            "aud": self.audience.as_deref().unwrap_or(&self.login_url),
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            b64.encode(br#"{"alg":"RS256"}"#),
            b64.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| Error::Config("JWT key: signing failed".into()))?;
        Ok(format!("{signing_input}.{}", b64.encode(sig)))
    }
}

impl TokenSource for JwtBearer {
    fn fetch<'a>(
        &'a self,
        http: &'a reqwest::Client,
        _why: Fetch,
    ) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            let assertion = self.assertion()?;
            token_request(
                http,
                &self.login_url,
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", &assertion),
                ],
            )
            .await
        })
    }
}
