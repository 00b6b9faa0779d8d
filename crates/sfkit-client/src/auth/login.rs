//! A login described as data: what a saved CLI profile or a server connection holds, turned into
//! a token source in one place, so every caller builds each kind the same way.

use std::path::PathBuf;

use super::{
    ClientCredentials, JwtBearer, Nango, Password, RefreshToken, SfCliLogin, StaticToken,
    TokenSource,
};
use crate::error::Error;
use crate::secret::Secret;

/// Where a JWT bearer login's private key is.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum JwtKey {
    /// A PEM file, read when the login is used.
    File(PathBuf),
    /// The PEM text itself.
    Pem(Secret),
}

/// How a login is made, spelled one way wherever sfkit stores or shows it: a saved CLI login,
/// a server connection's `kind`, `sfkit org list`. Serialized in snake case
/// (`refresh_token`, `jwt`, ...); `web`, the CLI's older name for a refresh token from the
/// web-server flow, is still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoginKind {
    /// A refresh token from the OAuth web-server flow.
    #[serde(alias = "web")]
    RefreshToken,
    /// JWT bearer with the connected app's certificate key.
    Jwt,
    /// Client credentials (the app's integration user).
    ClientCredentials,
    /// An access token that cannot be renewed.
    Token,
    /// Username and password through a connected app.
    Password,
    /// Imported from the Salesforce CLI (an SFDX auth URL or an access token).
    SfCli,
    /// A connection held by Nango.
    Nango,
    /// The local org's admin.
    Local,
}

impl LoginKind {
    /// Every kind, in the order they are documented.
    pub const ALL: [LoginKind; 8] = [
        LoginKind::RefreshToken,
        LoginKind::Jwt,
        LoginKind::ClientCredentials,
        LoginKind::Token,
        LoginKind::Password,
        LoginKind::SfCli,
        LoginKind::Nango,
        LoginKind::Local,
    ];

    /// The kind's name (`refresh_token`, `jwt`, `client_credentials`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            LoginKind::RefreshToken => "refresh_token",
            LoginKind::Jwt => "jwt",
            LoginKind::ClientCredentials => "client_credentials",
            LoginKind::Token => "token",
            LoginKind::Password => "password",
            LoginKind::SfCli => "sf_cli",
            LoginKind::Nango => "nango",
            LoginKind::Local => "local",
        }
    }

    /// The kind with this name (`web` included, as [`LoginKind::RefreshToken`]).
    pub fn parse(name: &str) -> Option<LoginKind> {
        if name == "web" {
            return Some(LoginKind::RefreshToken);
        }
        LoginKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for LoginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to log in to an org, as stored settings and secrets. `Debug` shows no secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Login {
    /// A refresh token from the web-server flow.
    RefreshToken {
        /// Where the token endpoint is.
        login_url: String,
        /// The connected app.
        client_id: String,
        /// The app's secret, when it needs one to refresh.
        client_secret: Option<Secret>,
        /// The refresh token.
        refresh_token: Secret,
    },
    /// JWT bearer with the connected app's certificate key.
    JwtBearer {
        /// Where the token endpoint is (also the assertion's audience).
        login_url: String,
        /// The connected app.
        client_id: String,
        /// Who logs in.
        username: String,
        /// The signing key.
        key: JwtKey,
    },
    /// Client credentials (the app's integration user).
    ClientCredentials {
        /// The org's My Domain URL.
        instance_url: String,
        /// The connected app.
        client_id: String,
        /// Its secret.
        client_secret: Secret,
    },
    /// An access token that cannot be renewed.
    AccessToken {
        /// The org's URL.
        instance_url: String,
        /// The token.
        access_token: Secret,
    },
    /// Username and password through a connected app.
    Password {
        /// Where the token endpoint is.
        login_url: String,
        /// The connected app.
        client_id: String,
        /// Its secret.
        client_secret: Secret,
        /// Who logs in.
        username: String,
        /// The password (with the security token appended where the org needs it).
        password: Secret,
    },
    /// A Salesforce CLI login as an SFDX auth URL.
    SfdxAuthUrl {
        /// `force://clientId:clientSecret:refreshToken@instance`.
        auth_url: Secret,
    },
    /// A connection held by Nango, which hands out (and refreshes) its token and instance URL.
    Nango {
        /// Nango's API: [`super::NANGO_CLOUD_URL`] or a self-hosted server's URL.
        host: String,
        /// The integration's id (Nango's provider config key).
        integration_id: String,
        /// The connection's id in that integration.
        connection_id: String,
        /// The Nango environment's secret key.
        secret_key: Secret,
    },
}

impl Login {
    /// How this login is made.
    pub fn kind(&self) -> LoginKind {
        match self {
            Login::RefreshToken { .. } => LoginKind::RefreshToken,
            Login::JwtBearer { .. } => LoginKind::Jwt,
            Login::ClientCredentials { .. } => LoginKind::ClientCredentials,
            Login::AccessToken { .. } => LoginKind::Token,
            Login::Password { .. } => LoginKind::Password,
            Login::SfdxAuthUrl { .. } => LoginKind::SfCli,
            Login::Nango { .. } => LoginKind::Nango,
        }
    }

    /// The token source for this login.
    pub fn token_source(self) -> Result<Box<dyn TokenSource>, Error> {
        Ok(match self {
            Login::RefreshToken {
                login_url,
                client_id,
                client_secret,
                refresh_token,
            } => {
                let mut r = RefreshToken::new(client_id, refresh_token).login_url(login_url);
                if let Some(secret) = client_secret {
                    r = r.client_secret(secret);
                }
                Box::new(r)
            }
            Login::JwtBearer {
                login_url,
                client_id,
                username,
                key,
            } => {
                let j = match key {
                    JwtKey::File(path) => JwtBearer::from_key_file(client_id, username, &path)?,
                    JwtKey::Pem(pem) => {
                        JwtBearer::from_pem(client_id, username, pem.expose().as_bytes())?
                    }
                };
                Box::new(j.login_url(login_url))
            }
            Login::ClientCredentials {
                instance_url,
                client_id,
                client_secret,
            } => Box::new(ClientCredentials::new(
                instance_url,
                client_id,
                client_secret,
            )),
            Login::AccessToken {
                instance_url,
                access_token,
            } => Box::new(StaticToken::new(access_token, instance_url)),
            Login::Password {
                login_url,
                client_id,
                client_secret,
                username,
                password,
            } => Box::new(
                Password::new(client_id, client_secret, username, password).login_url(login_url),
            ),
            Login::SfdxAuthUrl { auth_url } => {
                Box::new(SfCliLogin::from_auth_url(auth_url.expose())?)
            }
            Login::Nango {
                host,
                integration_id,
                connection_id,
                secret_key,
            } => {
                // Checked here rather than at the first call, so a saved login or a server
                // connection is refused when it is made, not when it is used.
                let url = reqwest::Url::parse(&host)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
                if url.is_none() {
                    return Err(Error::Config(format!(
                        "the Nango host {host:?} is not an http(s) URL (Nango Cloud: {})",
                        super::NANGO_CLOUD_URL
                    )));
                }
                for (what, value) in [
                    ("integration id", &integration_id),
                    ("connection id", &connection_id),
                ] {
                    if value.trim().is_empty() {
                        return Err(Error::Config(format!("the Nango {what} is empty")));
                    }
                }
                if secret_key.expose().trim().is_empty() {
                    return Err(Error::Config("the Nango secret key is empty".into()));
                }
                Box::new(Nango::new(secret_key, integration_id, connection_id).base_url(host))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_kinds_have_one_spelling_and_read_the_old_one() {
        for k in LoginKind::ALL {
            assert_eq!(LoginKind::parse(k.as_str()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{k}\""));
            assert_eq!(serde_json::from_str::<LoginKind>(&json).unwrap(), k);
        }
        assert_eq!(LoginKind::parse("web"), Some(LoginKind::RefreshToken));
        assert_eq!(
            serde_json::from_str::<LoginKind>("\"web\"").unwrap(),
            LoginKind::RefreshToken
        );
        assert_eq!(LoginKind::parse("Web"), None);
    }

    #[test]
    fn debug_shows_no_secret_and_bad_keys_are_config_errors() {
        let l = Login::RefreshToken {
            login_url: "https://login.salesforce.com".into(),
            client_id: "app".into(),
            client_secret: Some("shh-secret".into()),
            refresh_token: "5Aep-refresh".into(),
        };
        let text = format!("{l:?}");
        assert!(
            !text.contains("shh-secret") && !text.contains("5Aep-refresh"),
            "{text}"
        );
        assert!(l.token_source().is_ok());
        let bad = Login::JwtBearer {
            login_url: "https://login.salesforce.com".into(),
            client_id: "app".into(),
            username: "me@example.com".into(),
            key: JwtKey::Pem("not a key".into()),
        };
        assert!(matches!(bad.token_source(), Err(Error::Config(_))));
        let bad = Login::SfdxAuthUrl {
            auth_url: "https://not-an-auth-url".into(),
        };
        assert!(bad.token_source().is_err());
    }

    #[test]
    fn a_nango_login_is_checked_when_made_and_hides_its_key() {
        let nango = |host: &str, connection_id: &str, key: &str| Login::Nango {
            host: host.into(),
            integration_id: "salesforce".into(),
            connection_id: connection_id.into(),
            secret_key: key.into(),
        };
        let good = nango(super::super::NANGO_CLOUD_URL, "acme", "nango-secret-1");
        assert!(!format!("{good:?}").contains("nango-secret-1"));
        let source = good.token_source().unwrap();
        assert!(!format!("{source:?}").contains("nango-secret-1"));
        assert_eq!(source.renewals_per_call(), 1, "one forced refresh per call");
        for (bad, says) in [
            (nango("api.nango.dev", "acme", "k"), "not an http(s) URL"),
            (
                nango("ftp://nango.example", "acme", "k"),
                "not an http(s) URL",
            ),
            (
                nango("https://nango.example", " ", "k"),
                "connection id is empty",
            ),
            (
                nango("https://nango.example", "acme", ""),
                "secret key is empty",
            ),
        ] {
            let Err(Error::Config(e)) = bad.token_source() else {
                panic!("refused: {says}")
            };
            assert!(e.contains(says), "{e}");
        }
    }
}
