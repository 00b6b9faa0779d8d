//! Saved logins ("profiles"): what is not secret in `profiles.json`, what is (refresh and
//! access tokens, client secrets, auth URLs, Nango secret keys) in `secrets.bin`, sealed with
//! AES-256-GCM under the data directory's key, which lives in the OS keyring when there is one
//! and otherwise in a key file only the user can read (see `keys`). Nothing secret is ever
//! written in plain text or printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use sfkit_client::{Secret, TokenSource};

use crate::keys::Home;
use sfkit_client::auth::{JwtKey, Login, LoginKind};

/// Where a Nango login's connection is (nothing secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct NangoConnection {
    /// Nango's API (Nango Cloud or a self-hosted server).
    pub(crate) host: String,
    /// The integration's id (Nango's provider config key).
    pub(crate) integration_id: String,
    /// The connection's id.
    pub(crate) connection_id: String,
}

/// A saved login, without its secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Profile {
    /// How it logs in (`refresh_token`, `jwt`, ...; `web` in files written before the kinds
    /// had one spelling across sfkit).
    pub(crate) kind: LoginKind,
    pub(crate) instance_url: String,
    #[serde(default)]
    pub(crate) login_url: Option<String>,
    #[serde(default)]
    pub(crate) client_id: Option<String>,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) key_file: Option<PathBuf>,
    /// Kind `nango`: the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nango: Option<NangoConnection>,
}

impl Profile {
    /// A login of `kind` to `instance_url`, checked as `username`; the kind's other settings
    /// are added with struct update syntax.
    pub(crate) fn new(kind: LoginKind, instance_url: String, username: &str) -> Self {
        Profile {
            kind,
            instance_url,
            login_url: None,
            client_id: None,
            username: Some(username.to_owned()),
            key_file: None,
            nango: None,
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// A profile's secrets.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Secrets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nango_secret_key: Option<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(***)")
    }
}

/// The profiles in a data directory.
pub(crate) struct Store {
    dir: PathBuf,
}

/// The associated data that binds the sealed file to its use.
const PURPOSE: &str = "sfkit profiles secrets";

impl Store {
    pub(crate) fn new(dir: &Path) -> Self {
        Store {
            dir: dir.to_path_buf(),
        }
    }

    fn index(&self) -> anyhow::Result<Index> {
        let path = self.dir.join("profiles.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("reading {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    fn save_index(&self, index: &Index) -> anyhow::Result<()> {
        crate::keys::create_data_dir(&self.dir)?;
        write_private(
            &self.dir.join("profiles.json"),
            &serde_json::to_vec_pretty(index)?,
        )
    }

    fn secrets(&self) -> anyhow::Result<BTreeMap<String, Secrets>> {
        let path = self.dir.join("secrets.bin");
        let sealed = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let (cipher, home) = crate::keys::cipher(&self.dir)?;
        let plain = cipher.open(PURPOSE, &sealed).map_err(|_| {
            anyhow::anyhow!(
                "{} cannot be opened with the key in {home} (was the key replaced?); delete it and log in again",
                path.display()
            )
        })?;
        serde_json::from_slice(&plain).with_context(|| format!("reading {}", path.display()))
    }

    /// Seals and writes every profile's secrets; says where the key lives.
    fn save_secrets(&self, all: &BTreeMap<String, Secrets>) -> anyhow::Result<Home> {
        crate::keys::create_data_dir(&self.dir)?;
        let (cipher, home) = crate::keys::cipher(&self.dir)?;
        let sealed = cipher.seal(PURPOSE, &serde_json::to_vec(all)?)?;
        write_private(&self.dir.join("secrets.bin"), &sealed)?;
        Ok(home)
    }

    /// Saves a profile and its secrets, and makes it the default; says where the key that
    /// seals the secrets lives.
    pub(crate) fn save(
        &self,
        name: &str,
        profile: Profile,
        secrets: Secrets,
    ) -> anyhow::Result<Home> {
        let mut all = self.secrets()?;
        all.insert(name.to_owned(), secrets);
        let home = self.save_secrets(&all)?;
        let mut index = self.index()?;
        index.profiles.insert(name.to_owned(), profile);
        index.default = Some(name.to_owned());
        self.save_index(&index)?;
        Ok(home)
    }

    /// Forgets a profile.
    pub(crate) fn remove(&self, name: &str) -> anyhow::Result<bool> {
        let mut index = self.index()?;
        let had = index.profiles.remove(name).is_some();
        if index.default.as_deref() == Some(name) {
            index.default = index.profiles.keys().next().cloned();
        }
        self.save_index(&index)?;
        let mut all = self.secrets()?;
        all.remove(name);
        self.save_secrets(&all)?;
        Ok(had)
    }

    /// Every profile, and the default's name.
    pub(crate) fn list(&self) -> anyhow::Result<(Option<String>, BTreeMap<String, Profile>)> {
        let index = self.index()?;
        Ok((index.default, index.profiles))
    }

    /// The profile to use: `name`, or the default; `None` when there is none at all.
    pub(crate) fn resolve(
        &self,
        name: Option<&str>,
    ) -> anyhow::Result<Option<(String, Box<dyn TokenSource>)>> {
        let index = self.index()?;
        let name = match name {
            Some(n) => n.to_owned(),
            None => match index.default {
                Some(d) => d,
                None => return Ok(None),
            },
        };
        let Some(p) = index.profiles.get(&name) else {
            let known: Vec<&str> = index.profiles.keys().map(String::as_str).collect();
            bail!(
                "no saved login named {name:?} (saved: {}); `sfkit login` saves one",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        };
        let secrets = self.secrets()?.remove(&name).unwrap_or_default();
        Ok(Some((p.instance_url.clone(), source(p, secrets)?)))
    }
}

/// The token source of a profile.
fn source(p: &Profile, s: Secrets) -> anyhow::Result<Box<dyn TokenSource>> {
    let login_url = p
        .login_url
        .clone()
        .unwrap_or_else(|| p.instance_url.clone());
    let client_id = p.client_id.clone().unwrap_or_default();
    let login = match p.kind {
        LoginKind::RefreshToken => Login::RefreshToken {
            login_url,
            client_id,
            client_secret: s.client_secret.map(Secret::from),
            refresh_token: s
                .refresh_token
                .context("the saved login has no refresh token; log in again")?
                .into(),
        },
        LoginKind::Jwt => Login::JwtBearer {
            login_url,
            client_id,
            username: p.username.clone().unwrap_or_default(),
            key: JwtKey::File(
                p.key_file
                    .clone()
                    .context("the saved login has no key file")?,
            ),
        },
        LoginKind::ClientCredentials => Login::ClientCredentials {
            instance_url: p.instance_url.clone(),
            client_id,
            client_secret: s
                .client_secret
                .context("the saved login has no client secret")?
                .into(),
        },
        LoginKind::Token => Login::AccessToken {
            instance_url: p.instance_url.clone(),
            access_token: s
                .access_token
                .context("the saved login has no access token")?
                .into(),
        },
        LoginKind::SfCli => match (s.auth_url, s.access_token) {
            (Some(url), _) => Login::SfdxAuthUrl {
                auth_url: url.into(),
            },
            (None, Some(token)) => Login::AccessToken {
                instance_url: p.instance_url.clone(),
                access_token: token.into(),
            },
            _ => bail!("the saved Salesforce CLI login has neither an auth URL nor a token"),
        },
        LoginKind::Nango => {
            let n = p
                .nango
                .clone()
                .context("the saved Nango login has no connection; log in again")?;
            Login::Nango {
                host: n.host,
                integration_id: n.integration_id,
                connection_id: n.connection_id,
                secret_key: s
                    .nango_secret_key
                    .context("the saved Nango login has no secret key; log in again")?
                    .into(),
            }
        }
        other => bail!("a saved login cannot be of kind {other}; log in again"),
    };
    Ok(login.token_source()?)
}

/// Writes a file only the user can read (replacing it whole).
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_saved_as_web_still_read_and_are_written_as_refresh_token() {
        let old: Profile = serde_json::from_str(
            r#"{"kind": "web", "instance_url": "https://x.my.salesforce.com"}"#,
        )
        .unwrap();
        assert_eq!(old.kind, LoginKind::RefreshToken);
        let written = serde_json::to_value(&old).unwrap();
        assert_eq!(written["kind"], "refresh_token");
    }
}
