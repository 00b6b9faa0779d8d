//! One function per kind of login: each gets a token source from its flow, checks it by asking
//! who it logs in as ([`verify`]), and says what to save: the profile, and its secrets apart.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use sfkit_client::auth::{
    AuthorizationRequest, ClientCredentials, JwtBearer, Login, SfCliLogin, StaticToken,
};
use sfkit_client::{Client, TokenSource};

use super::callback::{callback, open_browser};
use super::{
    ClientCredentialsArgs, Common, How, JwtArgs, NANGO_SECRET_KEY, NangoArgs, SfCliArgs, TokenArgs,
    WebArgs,
};
use sfkit_client::auth::LoginKind;

use crate::profiles::{NangoConnection, Profile, Secrets};

/// A login that works, ready to save.
pub(super) struct LoggedIn {
    /// The profile's name: `--name`, else the org's host.
    pub(super) name: String,
    pub(super) profile: Profile,
    pub(super) secrets: Secrets,
    /// Who it logs in as.
    pub(super) user: String,
}

impl LoggedIn {
    fn new(common: Common, profile: Profile, secrets: Secrets, user: String) -> Self {
        LoggedIn {
            name: common
                .name
                .unwrap_or_else(|| host_of(&profile.instance_url)),
            profile,
            secrets,
            user,
        }
    }
}

/// Logs in the way `how` says. `nango_key` is `NANGO_SECRET_KEY`, read (and checked) before.
pub(super) async fn log_in(how: How, nango_key: Option<String>) -> anyhow::Result<LoggedIn> {
    match how {
        How::Web(args) => web(args).await,
        How::Jwt(args) => jwt(args).await,
        How::ClientCredentials(args) => client_credentials(args).await,
        How::Token(args) => token(args).await,
        How::SfCli(args) => sf_cli(args).await,
        How::Nango(args) => nango(args, nango_key).await,
        How::List { .. } => bail!("unreachable: list is handled before logging in"),
    }
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "org".into())
}

/// Checks a token source by asking who it logs in as; returns the instance URL and username.
async fn verify(
    source: impl TokenSource + 'static,
    fallback: Option<&str>,
) -> anyhow::Result<(String, String)> {
    let mut client = Client::builder().token_source(source);
    if let Some(url) = fallback {
        client = client.instance_url(url);
    }
    let client = client.build()?;
    let who = client.userinfo().await.context("checking the login")?;
    let user = who
        .get("preferred_username")
        .and_then(|v| v.as_str())
        .unwrap_or("?")
        .to_owned();
    Ok((client.instance_url().await?, user))
}

/// The OAuth web-server flow: the person logs in in a browser, which is sent back to a local
/// callback with a code; the code is exchanged for a refresh token, which is what is kept.
async fn web(args: WebArgs) -> anyhow::Result<LoggedIn> {
    let WebArgs {
        login_url,
        client_id,
        client_secret,
        port,
        common,
    } = args;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("listening for the callback on port {port}"))?;
    let port = listener.local_addr()?.port();
    let redirect = format!("http://localhost:{port}/OauthRedirect");
    let flow = AuthorizationRequest::for_refresh_token(
        login_url.clone(),
        client_id.clone(),
        client_secret.clone(),
        redirect,
    );
    let url = flow.url()?;
    eprintln!("Open this URL in a browser to log in:\n{url}");
    open_browser(url.as_str());
    let answer = tokio::time::timeout(Duration::from_secs(300), callback(&listener))
        .await
        .context("no login within 5 minutes")??;
    let won = flow.finish(&sfkit_client::http_client()?, &answer).await?;
    let instance = won
        .instance_url
        .clone()
        .unwrap_or_else(|| login_url.clone());
    let refresh = won.refresh_token.clone();
    let source = won.login().token_source()?;
    let (instance, user) = verify(source, Some(&instance)).await?;
    let profile = Profile {
        login_url: Some(login_url),
        client_id: Some(client_id),
        ..Profile::new(LoginKind::RefreshToken, instance, &user)
    };
    let secrets = Secrets {
        refresh_token: Some(refresh.expose().to_owned()),
        client_secret,
        ..Secrets::default()
    };
    Ok(LoggedIn::new(common, profile, secrets, user))
}

/// JWT bearer: nothing secret is kept but the key file's path.
async fn jwt(args: JwtArgs) -> anyhow::Result<LoggedIn> {
    let JwtArgs {
        login_url,
        client_id,
        username,
        key_file,
        common,
    } = args;
    let key_file = std::fs::canonicalize(&key_file)
        .with_context(|| format!("the key file {}", key_file.display()))?;
    let source = JwtBearer::from_key_file(client_id.clone(), username.clone(), &key_file)?
        .login_url(login_url.clone());
    let (instance, user) = verify(source, Some(&login_url)).await?;
    let profile = Profile {
        login_url: Some(login_url),
        client_id: Some(client_id),
        key_file: Some(key_file),
        ..Profile::new(LoginKind::Jwt, instance, &username)
    };
    Ok(LoggedIn::new(common, profile, Secrets::default(), user))
}

/// Client credentials: the consumer secret is kept.
async fn client_credentials(args: ClientCredentialsArgs) -> anyhow::Result<LoggedIn> {
    let ClientCredentialsArgs {
        instance_url,
        client_id,
        client_secret,
        common,
    } = args;
    let source = ClientCredentials::new(
        instance_url.clone(),
        client_id.clone(),
        client_secret.clone(),
    );
    let (instance, user) = verify(source, Some(&instance_url)).await?;
    let profile = Profile {
        client_id: Some(client_id),
        ..Profile::new(LoginKind::ClientCredentials, instance, &user)
    };
    let secrets = Secrets {
        client_secret: Some(client_secret),
        ..Secrets::default()
    };
    Ok(LoggedIn::new(common, profile, secrets, user))
}

/// An access token given as is: kept, and never renewed.
async fn token(args: TokenArgs) -> anyhow::Result<LoggedIn> {
    let TokenArgs {
        instance_url,
        access_token,
        common,
    } = args;
    let (instance, user) = verify(
        StaticToken::new(access_token.clone(), instance_url.clone()),
        Some(&instance_url),
    )
    .await?;
    let profile = Profile::new(LoginKind::Token, instance, &user);
    let secrets = Secrets {
        access_token: Some(access_token),
        ..Secrets::default()
    };
    Ok(LoggedIn::new(common, profile, secrets, user))
}

/// A Salesforce CLI login: an SFDX auth URL, or `sf org display --json --verbose` output.
async fn sf_cli(args: SfCliArgs) -> anyhow::Result<LoggedIn> {
    let SfCliArgs {
        file,
        auth_url,
        common,
    } = args;
    let (login, secrets, fallback) = match (auth_url, file) {
        (Some(url), _) => from_auth_url(url)?,
        (None, Some(path)) => from_org_display(&path)?,
        (None, None) => {
            bail!("give the `sf org display --json --verbose` output (a file or -) or --auth-url")
        }
    };
    let (instance, user) = verify(login, Some(&fallback)).await?;
    let profile = Profile::new(LoginKind::SfCli, instance, &user);
    Ok(LoggedIn::new(common, profile, secrets, user))
}

/// An SFDX auth URL: the login, its secrets, and the instance its host names.
fn from_auth_url(url: String) -> anyhow::Result<(SfCliLogin, Secrets, String)> {
    let login = SfCliLogin::from_auth_url(&url)?;
    let fallback = url
        .rsplit_once('@')
        .map(|(_, h)| h.to_owned())
        .unwrap_or_default();
    let fallback = if fallback.starts_with("http") {
        fallback
    } else {
        format!("https://{fallback}")
    };
    let secrets = Secrets {
        auth_url: Some(url),
        ..Secrets::default()
    };
    Ok((login, secrets, fallback))
}

/// `sf org display --json --verbose` output from a file or `-` (standard input): the login,
/// its secrets, and the instance it names.
fn from_org_display(path: &Path) -> anyhow::Result<(SfCliLogin, Secrets, String)> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        s
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    let v: serde_json::Value = serde_json::from_str(&text).context("not JSON")?;
    let r = v.get("result");
    let field = |k: &str| {
        r.and_then(|r| r.get(k))
            .and_then(|x| x.as_str())
            .map(str::to_owned)
    };
    let login = SfCliLogin::from_org_display_json(&text)?;
    let secrets = Secrets {
        auth_url: field("sfdxAuthUrl").filter(|u| !u.is_empty()),
        access_token: field("accessToken"),
        ..Secrets::default()
    };
    Ok((login, secrets, field("instanceUrl").unwrap_or_default()))
}

/// A connection held by Nango: Nango's secret key is kept, sealed.
async fn nango(args: NangoArgs, nango_key: Option<String>) -> anyhow::Result<LoggedIn> {
    let NangoArgs {
        host,
        integration_id,
        connection_id,
        common,
    } = args;
    let secret_key = nango_key.with_context(|| format!("{NANGO_SECRET_KEY} is not set"))?;
    let source = Login::Nango {
        host: host.clone(),
        integration_id: integration_id.clone(),
        connection_id: connection_id.clone(),
        secret_key: secret_key.clone().into(),
    }
    .token_source()?;
    // Nango names the instance: nothing to fall back on.
    let (instance, user) = verify(source, None).await?;
    let profile = Profile {
        nango: Some(NangoConnection {
            host,
            integration_id,
            connection_id,
        }),
        ..Profile::new(LoginKind::Nango, instance, &user)
    };
    let secrets = Secrets {
        nango_secret_key: Some(secret_key),
        ..Secrets::default()
    };
    Ok(LoggedIn::new(common, profile, secrets, user))
}
