//! Saved logins ("profiles"): what is not secret in `profiles.json`, what is (refresh and
//! access tokens, client secrets, auth URLs) in `secrets.bin`, encrypted with AES-256-GCM under
//! a key in `secret.key` that only the user can read (mode 0600). Both live in sfkit's data
//! directory. Nothing secret is ever written in plain text or printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use serde::{Deserialize, Serialize};
use sfkit_client::TokenSource;
use sfkit_client::auth::{ClientCredentials, JwtBearer, RefreshToken, SfCliLogin, StaticToken};

/// How a profile logs in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// The web-server flow's refresh token.
    Web,
    /// JWT bearer with a key file.
    Jwt,
    /// Client credentials.
    ClientCredentials,
    /// A fixed access token.
    Token,
    /// Imported from the Salesforce CLI (an SFDX auth URL or an access token).
    SfCli,
}

/// A saved login, without its secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Profile {
    pub(crate) kind: Kind,
    pub(crate) instance_url: String,
    #[serde(default)]
    pub(crate) login_url: Option<String>,
    #[serde(default)]
    pub(crate) client_id: Option<String>,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) key_file: Option<PathBuf>,
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

const MAGIC: &[u8] = b"SFKIT1";

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
        std::fs::create_dir_all(&self.dir)?;
        write_private(
            &self.dir.join("profiles.json"),
            &serde_json::to_vec_pretty(index)?,
        )
    }

    /// The key, made on first use, readable by the user only.
    fn key(&self) -> anyhow::Result<LessSafeKey> {
        let path = self.dir.join("secret.key");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut k = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut k)
                    .map_err(|_| anyhow::anyhow!("no randomness for the secret key"))?;
                std::fs::create_dir_all(&self.dir)?;
                write_private(&path, &k)?;
                k.to_vec()
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", path.display()))?;
        Ok(LessSafeKey::new(unbound))
    }

    fn secrets(&self) -> anyhow::Result<BTreeMap<String, Secrets>> {
        let path = self.dir.join("secrets.bin");
        let sealed = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let rest = sealed
            .strip_prefix(MAGIC)
            .filter(|r| r.len() > 12)
            .with_context(|| format!("{} is not sfkit's secrets file", path.display()))?;
        let (nonce, ciphertext) = rest.split_at(12);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| anyhow::anyhow!("{}: bad nonce", path.display()))?;
        let mut buf = ciphertext.to_vec();
        let plain = self
            .key()?
            .open_in_place(nonce, Aad::from(MAGIC), &mut buf)
            .map_err(|_| {
                anyhow::anyhow!(
                    "{} cannot be decrypted with {} (was the key replaced?); log in again",
                    path.display(),
                    self.dir.join("secret.key").display()
                )
            })?;
        Ok(serde_json::from_slice(plain)?)
    }

    fn save_secrets(&self, all: &BTreeMap<String, Secrets>) -> anyhow::Result<()> {
        let key = self.key()?;
        let mut nonce = [0u8; 12];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("no randomness"))?;
        let mut buf = serde_json::to_vec(all)?;
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(MAGIC),
            &mut buf,
        )
        .map_err(|_| anyhow::anyhow!("encrypting the secrets failed"))?;
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        write_private(&self.dir.join("secrets.bin"), &out)
    }

    /// Saves a profile and its secrets, and makes it the default.
    pub(crate) fn save(
        &self,
        name: &str,
        profile: Profile,
        secrets: Secrets,
    ) -> anyhow::Result<()> {
        let mut all = self.secrets()?;
        all.insert(name.to_owned(), secrets);
        self.save_secrets(&all)?;
        let mut index = self.index()?;
        index.profiles.insert(name.to_owned(), profile);
        index.default = Some(name.to_owned());
        self.save_index(&index)
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
    Ok(match p.kind {
        Kind::Web => {
            let mut r = RefreshToken::new(
                client_id,
                s.refresh_token
                    .context("the saved login has no refresh token; log in again")?,
            )
            .login_url(login_url);
            if let Some(secret) = s.client_secret {
                r = r.client_secret(secret);
            }
            Box::new(r)
        }
        Kind::Jwt => {
            let key = p
                .key_file
                .clone()
                .context("the saved login has no key file")?;
            Box::new(
                JwtBearer::from_key_file(client_id, p.username.clone().unwrap_or_default(), &key)?
                    .login_url(login_url),
            )
        }
        Kind::ClientCredentials => Box::new(ClientCredentials::new(
            p.instance_url.clone(),
            client_id,
            s.client_secret
                .context("the saved login has no client secret")?,
        )),
        Kind::Token => Box::new(StaticToken::new(
            s.access_token
                .context("the saved login has no access token")?,
            p.instance_url.clone(),
        )),
        Kind::SfCli => match (s.auth_url, s.access_token) {
            (Some(url), _) => Box::new(SfCliLogin::from_auth_url(&url)?),
            (None, Some(token)) => Box::new(StaticToken::new(token, p.instance_url.clone())),
            _ => bail!("the saved Salesforce CLI login has neither an auth URL nor a token"),
        },
    })
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
