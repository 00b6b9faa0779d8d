//! Connections: what is stored, and the clients built from them (one per connection, kept).

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;
use sfkit_client::auth::{ClientCredentials, JwtBearer, Password, RefreshToken, StaticToken};
use sfkit_client::{Client, TokenSource};
use sfkit_store::{Connection, Store};

/// The kinds of connection and the settings/secrets each takes.
pub(crate) const KINDS: &[&str] = &[
    "refresh_token",
    "jwt",
    "client_credentials",
    "token",
    "local",
];

fn text<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// The token source of a stored connection.
pub(crate) fn source(conn: &Connection, secrets: &Value) -> Result<Box<dyn TokenSource>, String> {
    let s = &conn.settings;
    let login_url = text(s, "loginUrl").unwrap_or(&conn.instance_url).to_owned();
    let need = |v: Option<&str>, what: &str| {
        v.map(str::to_owned)
            .ok_or_else(|| format!("connection {:?} has no {what}", conn.name))
    };
    Ok(match conn.kind.as_str() {
        "refresh_token" => {
            let mut r = RefreshToken::new(
                need(text(s, "clientId"), "settings.clientId")?,
                need(text(secrets, "refreshToken"), "secrets.refreshToken")?,
            )
            .login_url(login_url);
            if let Some(secret) = text(secrets, "clientSecret") {
                r = r.client_secret(secret);
            }
            Box::new(r)
        }
        "jwt" => Box::new(
            JwtBearer::from_pem(
                need(text(s, "clientId"), "settings.clientId")?,
                need(text(s, "username"), "settings.username")?,
                need(text(secrets, "privateKey"), "secrets.privateKey")?.as_bytes(),
            )
            .map_err(|e| e.to_string())?
            .login_url(login_url),
        ),
        "client_credentials" => Box::new(ClientCredentials::new(
            conn.instance_url.clone(),
            need(text(s, "clientId"), "settings.clientId")?,
            need(text(secrets, "clientSecret"), "secrets.clientSecret")?,
        )),
        "token" => Box::new(StaticToken::new(
            need(text(secrets, "accessToken"), "secrets.accessToken")?,
            conn.instance_url.clone(),
        )),
        "local" => Box::new(
            Password::new(
                sfkit_emulator::CLIENT_ID,
                sfkit_emulator::CLIENT_SECRET,
                sfkit_emulator::ADMIN_USERNAME,
                sfkit_emulator::PASSWORD,
            )
            .login_url(conn.instance_url.clone()),
        ),
        other => {
            return Err(format!(
                "unknown connection kind {other:?}; one of {}",
                KINDS.join(", ")
            ));
        }
    })
}

/// Clients by connection name, built on first use.
#[derive(Debug, Default)]
pub(crate) struct Clients {
    by_name: Mutex<HashMap<String, Client>>,
}

impl Clients {
    /// The client of `name`, from the store.
    pub(crate) async fn get(
        &self,
        store: &dyn Store,
        name: &str,
    ) -> Result<Option<Client>, String> {
        if let Some(c) = self
            .by_name
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
        {
            return Ok(Some(c.clone()));
        }
        let Some((conn, secrets)) = store
            .get_connection(name)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let client = Client::builder()
            .instance_url(conn.instance_url.clone())
            .token_source(source(&conn, &secrets)?)
            .build()
            .map_err(|e| e.to_string())?;
        self.by_name
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_owned(), client.clone());
        Ok(Some(client))
    }

    /// Forgets a client (its connection changed or went).
    pub(crate) fn forget(&self, name: &str) {
        self.by_name
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(name);
    }

    /// Each built client's API usage: (connection, used, max).
    pub(crate) fn usage(&self) -> Vec<(String, u64, u64)> {
        let map = self
            .by_name
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out: Vec<(String, u64, u64)> = map
            .iter()
            .filter_map(|(n, c)| c.api_usage().map(|u| (n.clone(), u.used, u.max)))
            .collect();
        out.sort();
        out
    }
}
