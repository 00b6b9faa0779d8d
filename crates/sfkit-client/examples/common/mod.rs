//! What the examples share: settings read from the environment, and a client built from them.

use sfkit_client::Client;
use sfkit_client::auth::{DEFAULT_LOGIN_URL, Password, StaticToken};

/// An example's failure: a message for the person who ran it.
pub(crate) type Failure = Box<dyn std::error::Error>;

/// The environment variable `name`, or an error that names it and says what it is for.
pub(crate) fn var(name: &str, what: &str) -> Result<String, Failure> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(format!("set {name}: {what}").into()),
    }
}

/// The environment variable `name`, when set.
pub(crate) fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A client for the org the environment names, in the first of these ways that is set:
/// - `SF_INSTANCE_URL` and `SF_ACCESS_TOKEN`: an access token (`sf org display` shows one);
/// - `SF_USERNAME`, `SF_PASSWORD`, `SF_CLIENT_ID`, `SF_CLIENT_SECRET` and `SF_LOGIN_URL`
///   (default `https://login.salesforce.com`): the username-password flow.
pub(crate) fn client_from_env() -> Result<Client, Failure> {
    let builder = Client::builder();
    let builder = if let Some(token) = optional("SF_ACCESS_TOKEN") {
        let instance = var("SF_INSTANCE_URL", "the org's URL, for SF_ACCESS_TOKEN")?;
        builder.token_source(StaticToken::new(token, instance))
    } else if optional("SF_USERNAME").is_some() {
        let source = Password::new(
            var("SF_CLIENT_ID", "the connected app's consumer key")?,
            var("SF_CLIENT_SECRET", "the connected app's consumer secret")?,
            var("SF_USERNAME", "who logs in")?,
            var(
                "SF_PASSWORD",
                "the user's password (with its security token)",
            )?,
        )
        .login_url(optional("SF_LOGIN_URL").unwrap_or_else(|| DEFAULT_LOGIN_URL.to_owned()));
        builder.token_source(source)
    } else {
        return Err(
            "no org: set SF_INSTANCE_URL and SF_ACCESS_TOKEN, or SF_USERNAME, \
                    SF_PASSWORD, SF_CLIENT_ID and SF_CLIENT_SECRET (and SF_LOGIN_URL)"
                .into(),
        );
    };
    Ok(builder.build()?)
}
