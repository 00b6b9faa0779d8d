//! Logs in with the OAuth 2.0 JWT bearer flow (a connected app's certificate key, no password
//! and no secret on the wire), then prints who the token belongs to and the org's API usage.
//!
//! Settings (environment):
//! - `SF_CLIENT_ID`: the connected app's consumer key;
//! - `SF_USERNAME`: the user to act as (pre-authorized for the app);
//! - `SF_JWT_KEY_FILE`: the app certificate's private key, PEM (PKCS#8 or PKCS#1 RSA);
//! - `SF_LOGIN_URL`: where to log in (default `https://login.salesforce.com`; a sandbox uses
//!   `https://test.salesforce.com`), also the assertion's audience unless `SF_AUDIENCE` says
//!   otherwise.
//!
//! ```text
//! SF_CLIENT_ID=3MVG9... SF_USERNAME=integration@example.com SF_JWT_KEY_FILE=server.key \
//!   cargo run -p sfkit-client --example jwt_login
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a program that prints"
)]

use std::path::Path;
use std::process::ExitCode;

use sfkit_client::Client;
use sfkit_client::auth::{DEFAULT_LOGIN_URL, JwtBearer};

type Failure = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jwt_login: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The environment variable `name`, or an error that names it and says what it is for.
fn var(name: &str, what: &str) -> Result<String, Failure> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(format!("set {name}: {what}").into()),
    }
}

async fn run() -> Result<(), Failure> {
    let client_id = var("SF_CLIENT_ID", "the connected app's consumer key")?;
    let username = var("SF_USERNAME", "the user to log in as")?;
    let key_file = var("SF_JWT_KEY_FILE", "the app certificate's private key (PEM)")?;
    let login_url = std::env::var("SF_LOGIN_URL").unwrap_or_else(|_| DEFAULT_LOGIN_URL.into());

    let mut source =
        JwtBearer::from_key_file(client_id, username, Path::new(&key_file))?.login_url(login_url);
    if let Ok(audience) = std::env::var("SF_AUDIENCE") {
        source = source.audience(audience);
    }
    let client = Client::builder().token_source(source).build()?;

    // The first call signs an assertion and trades it for an access token.
    let me = client.userinfo().await?;
    let field = |k: &str| me.get(k).and_then(|v| v.as_str()).unwrap_or("-").to_owned();
    println!("instance  {}", client.instance_url().await?);
    println!("user      {}", field("preferred_username"));
    println!("org       {}", field("organization_id"));
    if let Some(usage) = client.api_usage() {
        println!("API usage {} of {} today", usage.used, usage.max);
    }
    Ok(())
}
