//! `sfkit login` and `sfkit logout`: log in to an org by one of its flows, check the login
//! works (userinfo), and save it as a named profile (the newest becomes the default).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use sfkit_client::auth::{
    AuthorizationRequest, ClientCredentials, JwtBearer, Login, NANGO_CLOUD_URL, SfCliLogin,
    StaticToken,
};
use sfkit_client::{Client, TokenSource};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::profiles::{Kind, NangoConnection, Profile, Secrets, Store};

/// Where `sfkit login nango` takes Nango's secret key from: only the environment, so the key is
/// never in the shell's history or the process list.
const NANGO_SECRET_KEY: &str = "NANGO_SECRET_KEY";

/// `sfkit login`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit login web --login-url https://login.salesforce.com --client-id 3MVG9...\n  sfkit login jwt --login-url https://login.salesforce.com --client-id 3MVG9... --username me@acme.com --key-file server.key\n  sf org display --json --verbose -o myorg | sfkit login sf-cli -\n  NANGO_SECRET_KEY=... sfkit login nango --integration-id salesforce --connection-id acme\n  sfkit login list"
)]
pub(crate) struct LoginArgs {
    #[command(subcommand)]
    how: How,
}

#[derive(Debug, Args)]
struct Common {
    /// The profile's name (default: the org's host).
    #[arg(long)]
    name: Option<String>,
}

#[derive(Debug, Subcommand)]
enum How {
    /// The OAuth web flow: open the printed URL, log in, and the local callback saves the login.
    /// Example: sfkit login web --login-url https://login.salesforce.com --client-id 3MVG9...
    Web {
        /// Where to log in (https://login.salesforce.com, https://test.salesforce.com or a My
        /// Domain URL).
        #[arg(long)]
        login_url: String,
        /// The connected app's consumer key.
        #[arg(long)]
        client_id: String,
        /// The consumer secret, if the app requires one (or $SFKIT_CLIENT_SECRET).
        #[arg(long, env = "SFKIT_CLIENT_SECRET", hide_env_values = true)]
        client_secret: Option<String>,
        /// The local port of the callback (`http://localhost:PORT/OauthRedirect`; 0 picks one).
        #[arg(long, default_value_t = 1717)]
        port: u16,
        #[command(flatten)]
        common: Common,
    },
    /// JWT bearer: a connected app's certificate key signs the login; nothing is stored but
    /// the key file's path. Example: sfkit login jwt --login-url URL --client-id ID
    /// --username me@example.com --key-file server.key
    Jwt {
        /// Where to log in.
        #[arg(long)]
        login_url: String,
        /// The connected app's consumer key.
        #[arg(long)]
        client_id: String,
        /// The user to act as.
        #[arg(long)]
        username: String,
        /// The RSA private key (PEM).
        #[arg(long)]
        key_file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Client credentials: the connected app's integration user.
    /// Example: sfkit login client-credentials --instance-url https://acme.my.salesforce.com --client-id ID
    ClientCredentials {
        /// The org's My Domain URL.
        #[arg(long)]
        instance_url: String,
        /// The consumer key.
        #[arg(long)]
        client_id: String,
        /// The consumer secret (or $SFKIT_CLIENT_SECRET).
        #[arg(long, env = "SFKIT_CLIENT_SECRET", hide_env_values = true)]
        client_secret: String,
        #[command(flatten)]
        common: Common,
    },
    /// An access token you already have (it cannot be renewed).
    /// Example: SF_ACCESS_TOKEN=00D... sfkit login token --instance-url https://acme.my.salesforce.com
    Token {
        /// The org's URL.
        #[arg(long)]
        instance_url: String,
        /// The token (or $SF_ACCESS_TOKEN).
        #[arg(long, env = "SF_ACCESS_TOKEN", hide_env_values = true)]
        access_token: String,
        #[command(flatten)]
        common: Common,
    },
    /// Import a Salesforce CLI login: `sf org display --json --verbose` output (file or `-`
    /// for standard input), or an SFDX auth URL.
    /// Example: sf org display --json --verbose -o myorg | sfkit login sf-cli -
    SfCli {
        /// The JSON file (`-`: standard input).
        #[arg(conflicts_with = "auth_url")]
        file: Option<PathBuf>,
        /// An SFDX auth URL (force://...).
        #[arg(long, env = "SFDX_AUTH_URL", hide_env_values = true)]
        auth_url: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// A connection held by Nango: Nango hands out (and refreshes) the token; the secret key
    /// comes from $NANGO_SECRET_KEY only, and is saved sealed.
    /// Example: NANGO_SECRET_KEY=... sfkit login nango --integration-id salesforce --connection-id acme
    Nango {
        /// Nango's API: Nango Cloud, or a self-hosted server's URL.
        #[arg(long, default_value = NANGO_CLOUD_URL)]
        host: String,
        /// The integration's id in Nango (its provider config key).
        #[arg(long)]
        integration_id: String,
        /// The connection's id in that integration.
        #[arg(long)]
        connection_id: String,
        #[command(flatten)]
        common: Common,
    },
    /// The saved logins.
    List {
        /// As JSON: `[{name, default, instanceUrl, kind, username}]`.
        #[arg(long)]
        json: bool,
    },
}

/// `sfkit logout NAME`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  sfkit logout prod")]
pub(crate) struct LogoutArgs {
    /// The profile to forget.
    name: String,
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

pub(crate) fn logout(data_dir: &Path, args: LogoutArgs) -> anyhow::Result<ExitCode> {
    if Store::new(data_dir).remove(&args.name)? {
        eprintln!("sfkit: forgot the login {:?}", args.name);
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("sfkit: no saved login named {:?}", args.name);
        Ok(ExitCode::from(2))
    }
}

pub(crate) fn login(data_dir: &Path, args: LoginArgs) -> anyhow::Result<ExitCode> {
    let store = Store::new(data_dir);
    if let How::List { json } = args.how {
        let (default, profiles) = store.list()?;
        if json {
            let all: Vec<serde_json::Value> = profiles
                .into_iter()
                .map(|(name, p)| {
                    serde_json::json!({
                        "name": name,
                        "default": default.as_deref() == Some(name.as_str()),
                        "instanceUrl": p.instance_url,
                        "kind": p.kind,
                        "username": p.username,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&all)?);
            return Ok(ExitCode::SUCCESS);
        }
        for (name, p) in profiles {
            let mark = if default.as_deref() == Some(name.as_str()) {
                "*"
            } else {
                " "
            };
            println!(
                "{mark} {name}  {}  {:?}{}",
                p.instance_url,
                p.kind,
                p.username.map(|u| format!("  {u}")).unwrap_or_default()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    // Refused before anything is asked of Nango: a usage error, like a missing flag.
    let nango_key = match &args.how {
        How::Nango { .. } => match std::env::var(NANGO_SECRET_KEY) {
            Ok(key) if !key.trim().is_empty() => Some(key),
            _ => {
                eprintln!(
                    "sfkit: set {NANGO_SECRET_KEY} to your Nango environment's secret key; it is read from the environment only, never from a flag"
                );
                return Ok(ExitCode::from(2));
            }
        },
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (name, profile, secrets, user) = runtime.block_on(login_async(args.how, nango_key))?;
    if name == crate::connect::LOCAL {
        // `--org local` is the local org, always.
        anyhow::bail!(
            "the name \"local\" means the local org; save this login under another --name"
        );
    }
    let home = store.save(&name, profile.clone(), secrets)?;
    eprintln!(
        "sfkit: logged in to {} as {user}; saved as {name:?} (the default; choose others with --org NAME); its secrets are sealed with the key in {home}",
        profile.instance_url
    );
    Ok(ExitCode::SUCCESS)
}

async fn login_async(
    how: How,
    nango_key: Option<String>,
) -> anyhow::Result<(String, Profile, Secrets, String)> {
    match how {
        How::Web {
            login_url,
            client_id,
            client_secret,
            port,
            common,
        } => {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .with_context(|| format!("listening for the callback on port {port}"))?;
            let port = listener.local_addr()?.port();
            let redirect = format!("http://localhost:{port}/OauthRedirect");
            let mut flow =
                AuthorizationRequest::new(login_url.clone(), client_id.clone(), redirect)
                    .scope("api refresh_token");
            if let Some(s) = &client_secret {
                flow = flow.client_secret(s.clone());
            }
            let url = flow.url()?;
            eprintln!("Open this URL in a browser to log in:\n{url}");
            open_browser(url.as_str());
            let (code, state) = tokio::time::timeout(Duration::from_secs(300), callback(&listener))
                .await
                .context("no login within 5 minutes")??;
            if state != flow.state() {
                bail!("the login's state does not match this request; try again");
            }
            let http = Client::builder()
                .token_source(StaticToken::new("unused", login_url.clone()))
                .build()?;
            let token = flow.exchange(http.http(), &code).await?;
            let refresh = token
                .refresh_token
                .context("the org gave no refresh token: add the refresh_token scope to the app")?;
            let instance = token
                .instance_url
                .clone()
                .unwrap_or_else(|| login_url.clone());
            let mut source =
                sfkit_client::auth::RefreshToken::new(client_id.clone(), refresh.expose())
                    .login_url(login_url.clone());
            if let Some(s) = &client_secret {
                source = source.client_secret(s.clone());
            }
            let (instance, user) = verify(source, Some(&instance)).await?;
            Ok((
                common.name.unwrap_or_else(|| host_of(&instance)),
                Profile {
                    kind: Kind::Web,
                    instance_url: instance,
                    login_url: Some(login_url),
                    client_id: Some(client_id),
                    username: Some(user.clone()),
                    key_file: None,
                    nango: None,
                },
                Secrets {
                    refresh_token: Some(refresh.expose().to_owned()),
                    client_secret,
                    ..Secrets::default()
                },
                user,
            ))
        }
        How::Jwt {
            login_url,
            client_id,
            username,
            key_file,
            common,
        } => {
            let key_file = std::fs::canonicalize(&key_file)
                .with_context(|| format!("the key file {}", key_file.display()))?;
            let source = JwtBearer::from_key_file(client_id.clone(), username.clone(), &key_file)?
                .login_url(login_url.clone());
            let (instance, user) = verify(source, Some(&login_url)).await?;
            Ok((
                common.name.unwrap_or_else(|| host_of(&instance)),
                Profile {
                    kind: Kind::Jwt,
                    instance_url: instance,
                    login_url: Some(login_url),
                    client_id: Some(client_id),
                    username: Some(username),
                    key_file: Some(key_file),
                    nango: None,
                },
                Secrets::default(),
                user,
            ))
        }
        How::ClientCredentials {
            instance_url,
            client_id,
            client_secret,
            common,
        } => {
            let source = ClientCredentials::new(
                instance_url.clone(),
                client_id.clone(),
                client_secret.clone(),
            );
            let (instance, user) = verify(source, Some(&instance_url)).await?;
            Ok((
                common.name.unwrap_or_else(|| host_of(&instance)),
                Profile {
                    kind: Kind::ClientCredentials,
                    instance_url: instance,
                    login_url: None,
                    client_id: Some(client_id),
                    username: Some(user.clone()),
                    key_file: None,
                    nango: None,
                },
                Secrets {
                    client_secret: Some(client_secret),
                    ..Secrets::default()
                },
                user,
            ))
        }
        How::Token {
            instance_url,
            access_token,
            common,
        } => {
            let (instance, user) = verify(
                StaticToken::new(access_token.clone(), instance_url.clone()),
                Some(&instance_url),
            )
            .await?;
            Ok((
                common.name.unwrap_or_else(|| host_of(&instance)),
                Profile {
                    kind: Kind::Token,
                    instance_url: instance,
                    login_url: None,
                    client_id: None,
                    username: Some(user.clone()),
                    key_file: None,
                    nango: None,
                },
                Secrets {
                    access_token: Some(access_token),
                    ..Secrets::default()
                },
                user,
            ))
        }
        How::SfCli {
            file,
            auth_url,
            common,
        } => {
            let (login, secrets, fallback) = match (auth_url, file) {
                (Some(url), _) => {
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
                    (
                        login,
                        Secrets {
                            auth_url: Some(url),
                            ..Secrets::default()
                        },
                        fallback,
                    )
                }
                (None, Some(path)) => {
                    let text = if path == Path::new("-") {
                        let mut s = String::new();
                        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
                        s
                    } else {
                        std::fs::read_to_string(&path)
                            .with_context(|| format!("reading {}", path.display()))?
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
                    (login, secrets, field("instanceUrl").unwrap_or_default())
                }
                (None, None) => bail!(
                    "give the `sf org display --json --verbose` output (a file or -) or --auth-url"
                ),
            };
            let (instance, user) = verify(login, Some(&fallback)).await?;
            Ok((
                common.name.unwrap_or_else(|| host_of(&instance)),
                Profile {
                    kind: Kind::SfCli,
                    instance_url: instance,
                    login_url: None,
                    client_id: None,
                    username: Some(user.clone()),
                    key_file: None,
                    nango: None,
                },
                secrets,
                user,
            ))
        }
        How::Nango {
            host,
            integration_id,
            connection_id,
            common,
        } => {
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
            Ok((
                common.name.unwrap_or_else(|| host_of(&instance)),
                Profile {
                    kind: Kind::Nango,
                    instance_url: instance,
                    login_url: None,
                    client_id: None,
                    username: Some(user.clone()),
                    key_file: None,
                    nango: Some(NangoConnection {
                        host,
                        integration_id,
                        connection_id,
                    }),
                },
                Secrets {
                    nango_secret_key: Some(secret_key),
                    ..Secrets::default()
                },
                user,
            ))
        }
        How::List { .. } => bail!("unreachable: list is handled before logging in"),
    }
}

/// Opens the URL in the person's browser, when there is a person (a terminal) to see it; the
/// URL is printed either way.
fn open_browser(url: &str) {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() || std::env::var_os("SFKIT_NO_BROWSER").is_some() {
        return;
    }
    let opener: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["cmd", "/C", "start", ""]
    } else {
        &["xdg-open"]
    };
    if let Some((cmd, args)) = opener.split_first() {
        let _ = std::process::Command::new(cmd)
            .args(args)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}

/// Waits for the browser's redirect; answers it with a page saying the login is done.
async fn callback(listener: &tokio::net::TcpListener) -> anyhow::Result<(String, String)> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let mut buf = vec![0u8; 8192];
        let mut len = 0;
        while len < buf.len() {
            let n = stream.read(buf.get_mut(len..).unwrap_or_default()).await?;
            if n == 0 {
                break;
            }
            len += n;
            if buf
                .get(..len)
                .is_some_and(|b| b.windows(4).any(|w| w == b"\r\n\r\n"))
            {
                break;
            }
        }
        let head = String::from_utf8_lossy(buf.get(..len).unwrap_or_default()).into_owned();
        let target = head
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let url = reqwest::Url::parse(&format!("http://localhost{target}"));
        let params: std::collections::HashMap<String, String> = url
            .map(|u| {
                u.query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let (status, body, result) = match (params.get("code"), params.get("error")) {
            (Some(code), _) => (
                "200 OK",
                "Logged in. You can close this tab and go back to the terminal.".to_owned(),
                Some(Ok((
                    code.clone(),
                    params.get("state").cloned().unwrap_or_default(),
                ))),
            ),
            (None, Some(e)) => (
                "400 Bad Request",
                "The login was refused; see the terminal.".to_owned(),
                Some(Err(anyhow::anyhow!(
                    "the login was refused: {e} {}",
                    params.get("error_description").cloned().unwrap_or_default()
                ))),
            ),
            _ => ("404 Not Found", "Not the login callback.".to_owned(), None),
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
        if let Some(r) = result {
            return r;
        }
    }
}
