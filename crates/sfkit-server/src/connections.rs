//! Connections: what is stored, and the clients built from them (one per connection, kept).

use parking_lot::Mutex;
use std::collections::HashMap;

use serde_json::Value;
use sfkit_client::auth::{JwtKey, Login, LoginKind, NANGO_CLOUD_URL};
use sfkit_client::{Client, Secret, TokenSource};
use sfkit_store::{Connection, Store};

/// The kinds of connection the server keeps (see [`takes`] for the settings and secrets of
/// each), spelled as everywhere in sfkit ([`LoginKind`]).
pub(crate) const KINDS: &[&str] = &[
    LoginKind::RefreshToken.as_str(),
    LoginKind::Jwt.as_str(),
    LoginKind::ClientCredentials.as_str(),
    LoginKind::Token.as_str(),
    LoginKind::Nango.as_str(),
    LoginKind::Local.as_str(),
];

/// What a kind takes besides `name` and `instanceUrl` (`?`: optional), as the API documents it.
pub(crate) fn takes(kind: &str) -> Option<&'static str> {
    Some(match LoginKind::parse(kind)? {
        LoginKind::RefreshToken => {
            "settings {clientId, loginUrl?}, secrets {refreshToken, clientSecret?}"
        }
        LoginKind::Jwt => "settings {clientId, username, loginUrl?}, secrets {privateKey}",
        LoginKind::ClientCredentials => "settings {clientId}, secrets {clientSecret}",
        LoginKind::Token => "secrets {accessToken}",
        LoginKind::Nango => {
            "settings {integrationId, connectionId, host?} (host: Nango Cloud unless self-hosted), secrets {secretKey}, no instanceUrl needed (Nango names the org)"
        }
        LoginKind::Local => "nothing (the local org's admin)",
        _ => return None,
    })
}

fn text<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// The token source of a stored connection.
pub(crate) fn source(conn: &Connection, secrets: &Value) -> Result<Box<dyn TokenSource>, String> {
    let s = &conn.settings;
    let login_url = text(s, "loginUrl").unwrap_or(&conn.instance_url).to_owned();
    let need = |v: Option<&str>, what: &str| {
        v.map(str::to_owned).ok_or_else(|| {
            format!(
                "connection {:?} has no {what}; a {} connection takes {}",
                conn.name,
                conn.kind,
                takes(&conn.kind).unwrap_or("?")
            )
        })
    };
    let kind = LoginKind::parse(&conn.kind).filter(|k| KINDS.contains(&k.as_str()));
    let login = match kind {
        Some(LoginKind::RefreshToken) => Login::RefreshToken {
            login_url,
            client_id: need(text(s, "clientId"), "settings.clientId")?,
            client_secret: text(secrets, "clientSecret").map(Secret::from),
            refresh_token: need(text(secrets, "refreshToken"), "secrets.refreshToken")?.into(),
        },
        Some(LoginKind::Jwt) => Login::JwtBearer {
            login_url,
            client_id: need(text(s, "clientId"), "settings.clientId")?,
            username: need(text(s, "username"), "settings.username")?,
            key: JwtKey::Pem(need(text(secrets, "privateKey"), "secrets.privateKey")?.into()),
        },
        Some(LoginKind::ClientCredentials) => Login::ClientCredentials {
            instance_url: conn.instance_url.clone(),
            client_id: need(text(s, "clientId"), "settings.clientId")?,
            client_secret: need(text(secrets, "clientSecret"), "secrets.clientSecret")?.into(),
        },
        Some(LoginKind::Token) => Login::AccessToken {
            instance_url: conn.instance_url.clone(),
            access_token: need(text(secrets, "accessToken"), "secrets.accessToken")?.into(),
        },
        Some(LoginKind::Nango) => Login::Nango {
            host: text(s, "host").unwrap_or(NANGO_CLOUD_URL).to_owned(),
            integration_id: need(text(s, "integrationId"), "settings.integrationId")?,
            connection_id: need(text(s, "connectionId"), "settings.connectionId")?,
            secret_key: need(text(secrets, "secretKey"), "secrets.secretKey")?.into(),
        },
        Some(LoginKind::Local) => Login::Password {
            login_url: conn.instance_url.clone(),
            client_id: sfkit_emulator::CLIENT_ID.into(),
            client_secret: sfkit_emulator::CLIENT_SECRET.into(),
            username: sfkit_emulator::ADMIN_USERNAME.into(),
            password: sfkit_emulator::PASSWORD.into(),
        },
        _ => {
            return Err(format!(
                "unknown connection kind {:?}; one of {}",
                conn.kind,
                KINDS.join(", ")
            ));
        }
    };
    login.token_source().map_err(|e| e.to_string())
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
        local_org: Option<&std::sync::Arc<crate::local_org::LocalOrg>>,
    ) -> Result<Option<Client>, String> {
        if let Some(c) = self.by_name.lock().get(name) {
            return Ok(Some(c.clone()));
        }
        let Some((conn, secrets)) = store
            .get_connection(name)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let client = match local_org {
            // The local org of this server's data directory moves with the process serving it.
            Some(org) if conn.kind == LoginKind::Local.as_str() => org.client(),
            _ => Client::builder()
                .instance_url(conn.instance_url.clone())
                .token_source(source(&conn, &secrets)?)
                .build(),
        }
        .map_err(|e| e.to_string())?;
        self.by_name.lock().insert(name.to_owned(), client.clone());
        Ok(Some(client))
    }

    /// Forgets a client (its connection changed or went).
    pub(crate) fn forget(&self, name: &str) {
        self.by_name.lock().remove(name);
    }

    /// Each built client's API usage: (connection, used, max).
    pub(crate) fn usage(&self) -> Vec<(String, u64, u64)> {
        let map = self.by_name.lock();
        let mut out: Vec<(String, u64, u64)> = map
            .iter()
            .filter_map(|(n, c)| c.api_usage().map(|u| (n.clone(), u.used, u.max)))
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_documented() {
        for kind in KINDS {
            assert!(takes(kind).is_some(), "{kind}");
        }
    }
}
