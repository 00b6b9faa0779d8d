//! An existing Salesforce CLI login: the JSON `sf org display --json` prints (with
//! `--verbose` it includes the SFDX auth URL), or an SFDX auth URL on its own
//! (`force://CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN@INSTANCE`). With an auth URL the login
//! renews itself through its refresh token; with only an access token it lasts as long as that
//! token.

use serde::Deserialize;

use super::oauth::{RefreshToken, StaticToken};
use super::{BoxFuture, Fetch, Token, TokenSource};
use crate::error::Error;

/// A login taken from the Salesforce CLI.
#[derive(Debug, Clone)]
pub enum SfCliLogin {
    /// An access token only.
    Token(StaticToken),
    /// An auth URL's refresh token.
    Refresh(RefreshToken),
}

#[derive(Deserialize)]
struct Display {
    result: DisplayResult,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DisplayResult {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    instance_url: Option<String>,
    #[serde(default)]
    sfdx_auth_url: Option<String>,
}

impl SfCliLogin {
    /// From `sf org display --json [--verbose]` output.
    pub fn from_org_display_json(json: &str) -> Result<Self, Error> {
        let d: Display = serde_json::from_str(json).map_err(|e| {
            Error::Config(format!(
                "not the JSON `sf org display --json` prints ({e}); run it with --json"
            ))
        })?;
        if let Some(url) = d.result.sfdx_auth_url.filter(|u| !u.is_empty()) {
            return Self::from_auth_url(&url);
        }
        match (d.result.access_token, d.result.instance_url) {
            (Some(token), Some(instance)) => Ok(SfCliLogin::Token(StaticToken::new(token, instance))),
            _ => Err(Error::Config(
                "the CLI's output has neither an auth URL nor an access token and instance URL; is the org logged in?"
                    .into(),
            )),
        }
    }

    /// From an SFDX auth URL.
    pub fn from_auth_url(url: &str) -> Result<Self, Error> {
        let bad = || {
            Error::Config(
                "an SFDX auth URL looks like force://CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN@INSTANCE"
                    .into(),
            )
        };
        let rest = url.trim().strip_prefix("force://").ok_or_else(bad)?;
        let (creds, instance) = rest.rsplit_once('@').ok_or_else(bad)?;
        let mut parts = creds.splitn(3, ':');
        let (Some(client_id), Some(secret), Some(refresh)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if client_id.is_empty() || refresh.is_empty() || instance.is_empty() {
            return Err(bad());
        }
        let instance = if instance.starts_with("http://") || instance.starts_with("https://") {
            instance.to_owned()
        } else {
            format!("https://{instance}")
        };
        let mut source = RefreshToken::new(client_id, refresh).login_url(instance);
        if !secret.is_empty() {
            source = source.client_secret(secret);
        }
        Ok(SfCliLogin::Refresh(source))
    }
}

impl TokenSource for SfCliLogin {
    fn fetch<'a>(
        &'a self,
        http: &'a reqwest::Client,
        why: Fetch,
    ) -> BoxFuture<'a, Result<Token, Error>> {
        match self {
            SfCliLogin::Token(t) => t.fetch(http, why),
            SfCliLogin::Refresh(r) => r.fetch(http, why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_urls_and_display_json() {
        let login = SfCliLogin::from_auth_url(
            "force://PlatformCLI::5Aep861abc:def@example.my.salesforce.com",
        )
        .unwrap();
        let SfCliLogin::Refresh(r) = login else {
            panic!("a refresh login")
        };
        let shown = format!("{r:?}");
        assert!(
            shown.contains("https://example.my.salesforce.com"),
            "{shown}"
        );
        assert!(
            !shown.contains("5Aep861"),
            "the refresh token is hidden: {shown}"
        );
        assert!(SfCliLogin::from_auth_url("https://nope").is_err());
        assert!(SfCliLogin::from_auth_url("force://id:secret@host").is_err());

        let json = r#"{"status":0,"result":{"id":"00D","accessToken":"00D!tok","instanceUrl":"https://x.my.salesforce.com","username":"a@b.c","connectedStatus":"Connected"}}"#;
        assert!(matches!(
            SfCliLogin::from_org_display_json(json).unwrap(),
            SfCliLogin::Token(_)
        ));
        assert!(SfCliLogin::from_org_display_json("{}").is_err());
    }
}
