//! `sfkit login`: log in to an org by one of its flows ([`flows`], one function per kind of
//! login), check the login works (userinfo), and save it as a named profile (the newest becomes
//! the default); `sfkit login list` shows the saved ones. The web flow's local callback is
//! [`callback`]'s.

mod callback;
mod flows;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use sfkit_client::auth::NANGO_CLOUD_URL;

use crate::profiles::Store;

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
    Web(WebArgs),
    /// JWT bearer: a connected app's certificate key signs the login; nothing is stored but
    /// the key file's path. Example: sfkit login jwt --login-url URL --client-id ID
    /// --username me@example.com --key-file server.key
    Jwt(JwtArgs),
    /// Client credentials: the connected app's integration user.
    /// Example: sfkit login client-credentials --instance-url https://acme.my.salesforce.com --client-id ID
    ClientCredentials(ClientCredentialsArgs),
    /// An access token you already have (it cannot be renewed).
    /// Example: SF_ACCESS_TOKEN=00D... sfkit login token --instance-url https://acme.my.salesforce.com
    Token(TokenArgs),
    /// Import a Salesforce CLI login: `sf org display --json --verbose` output (file or `-`
    /// for standard input), or an SFDX auth URL.
    /// Example: sf org display --json --verbose -o myorg | sfkit login sf-cli -
    SfCli(SfCliArgs),
    /// A connection held by Nango: Nango hands out (and refreshes) the token; the secret key
    /// comes from $NANGO_SECRET_KEY only, and is saved sealed.
    /// Example: NANGO_SECRET_KEY=... sfkit login nango --integration-id salesforce --connection-id acme
    Nango(NangoArgs),
    /// The saved logins.
    List {
        /// As JSON: `[{name, default, instanceUrl, kind, username}]`.
        #[arg(long)]
        json: bool,
    },
}

// `sfkit login web`. Its Debug leaves out the client secret.
#[derive(Args)]
struct WebArgs {
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
}

// `sfkit login jwt`.
#[derive(Debug, Args)]
struct JwtArgs {
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
}

// `sfkit login client-credentials`. Its Debug leaves out the client secret.
#[derive(Args)]
struct ClientCredentialsArgs {
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
}

// `sfkit login token`. Its Debug leaves out the token.
#[derive(Args)]
struct TokenArgs {
    /// The org's URL.
    #[arg(long)]
    instance_url: String,
    /// The token (or $SF_ACCESS_TOKEN).
    #[arg(long, env = "SF_ACCESS_TOKEN", hide_env_values = true)]
    access_token: String,
    #[command(flatten)]
    common: Common,
}

// `sfkit login sf-cli`. Its Debug leaves out the auth URL (it holds a refresh token).
#[derive(Args)]
struct SfCliArgs {
    /// The JSON file (`-`: standard input).
    #[arg(conflicts_with = "auth_url")]
    file: Option<PathBuf>,
    /// An SFDX auth URL (force://...).
    #[arg(long, env = "SFDX_AUTH_URL", hide_env_values = true)]
    auth_url: Option<String>,
    #[command(flatten)]
    common: Common,
}

// `sfkit login nango`.
#[derive(Debug, Args)]
struct NangoArgs {
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
}

impl std::fmt::Debug for WebArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebArgs")
            .field("login_url", &self.login_url)
            .field("client_id", &self.client_id)
            .field("port", &self.port)
            .field("common", &self.common)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ClientCredentialsArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentialsArgs")
            .field("instance_url", &self.instance_url)
            .field("client_id", &self.client_id)
            .field("common", &self.common)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for TokenArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenArgs")
            .field("instance_url", &self.instance_url)
            .field("common", &self.common)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SfCliArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SfCliArgs")
            .field("file", &self.file)
            .field("common", &self.common)
            .finish_non_exhaustive()
    }
}

pub(crate) fn run(data_dir: &Path, args: LoginArgs) -> anyhow::Result<ExitCode> {
    let store = Store::new(data_dir);
    if let How::List { json } = args.how {
        return list(&store, json);
    }
    // Refused before anything is asked of Nango: a usage error, like a missing flag.
    let nango_key = match &args.how {
        How::Nango(_) => match std::env::var(NANGO_SECRET_KEY) {
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
    let saved = crate::runtime::block_on(flows::log_in(args.how, nango_key))??;
    let flows::LoggedIn {
        name,
        profile,
        secrets,
        user,
    } = saved;
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

/// `sfkit login list`.
fn list(store: &Store, json: bool) -> anyhow::Result<ExitCode> {
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
    Ok(ExitCode::SUCCESS)
}
