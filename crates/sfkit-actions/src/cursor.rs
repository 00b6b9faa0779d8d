//! Cursors are capabilities: whoever holds one can read the next page, so they must not be
//! forgeable, and one handed to one caller must not work for another. Each cursor is the
//! listing's state sealed with AES-256-GCM; the associated data names the action that made it
//! and the *binding* (in the server: the API key and connection; in the CLI: the target org).
//! Tampering, replay under another key or connection, or use with another action all fail to
//! open, and the caller gets `INVALID_CURSOR` before anything is sent to Salesforce.
//!
//! The key is asked for only when a cursor is made or opened, so a run that pages nothing
//! never touches the key's home (a file, the keyring).

use std::sync::{Arc, OnceLock};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use base64::Engine as _;
use serde_json::Value;

use crate::error::ActionError;

/// Where the sealing key comes from: called at most once, on first use.
pub type KeySource = Box<dyn Fn() -> Result<[u8; 32], String> + Send + Sync>;

struct Key {
    source: KeySource,
    key: OnceLock<Result<LessSafeKey, String>>,
}

/// Seals and opens cursors for one binding.
#[derive(Clone)]
pub struct Cursors {
    key: Arc<Key>,
    binding: Arc<str>,
}

impl std::fmt::Debug for Cursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cursors")
            .field("binding", &self.binding)
            .finish_non_exhaustive()
    }
}

const VERSION: &str = "sfkit-cursor/1";

fn refused(message: &str) -> ActionError {
    ActionError::invalid("INVALID_CURSOR", message, vec!["cursor".into()])
}

impl Cursors {
    /// Cursors under a key from `source`, bound to `binding`.
    pub fn new(source: KeySource, binding: impl Into<String>) -> Self {
        Cursors {
            key: Arc::new(Key {
                source,
                key: OnceLock::new(),
            }),
            binding: binding.into().into(),
        }
    }

    /// Cursors under a new random key that lives as long as this process (and its clones).
    pub fn ephemeral(binding: impl Into<String>) -> Self {
        Self::new(
            Box::new(|| {
                let mut k = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut k)
                    .map_err(|_| "no randomness for the cursor key".to_owned())?;
                Ok(k)
            }),
            binding,
        )
    }

    /// The same key, bound to someone else.
    #[must_use]
    pub fn bound_to(&self, binding: impl Into<String>) -> Self {
        Cursors {
            key: Arc::clone(&self.key),
            binding: binding.into().into(),
        }
    }

    fn key(&self) -> Result<&LessSafeKey, ActionError> {
        self.key
            .key
            .get_or_init(|| {
                let bytes = (self.key.source)()?;
                UnboundKey::new(&AES_256_GCM, &bytes)
                    .map(LessSafeKey::new)
                    .map_err(|_| "the cursor key is not usable".to_owned())
            })
            .as_ref()
            .map_err(|e| {
                ActionError::invalid(
                    "CURSOR_KEY_UNAVAILABLE",
                    format!("cannot seal or open cursors: {e}"),
                    Vec::new(),
                )
            })
    }

    fn aad(&self, kind: &str) -> String {
        format!("{VERSION}|{kind}|{}", self.binding)
    }

    /// Seals `state` as a cursor of `kind` (the action's name).
    pub(crate) fn seal(&self, kind: &str, state: &Value) -> Result<String, ActionError> {
        let key = self.key()?;
        let mut nonce = [0u8; 12];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| refused("no randomness for a cursor"))?;
        let mut buf = state.to_string().into_bytes();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(self.aad(kind).as_bytes()),
            &mut buf,
        )
        .map_err(|_| refused("sealing the cursor failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a cursor of `kind` sealed for this binding.
    pub(crate) fn open(&self, kind: &str, cursor: &str) -> Result<Value, ActionError> {
        let bad = || {
            refused(
                "the cursor is not one this action handed out to this caller and connection \
                 (or it was altered); start again without a cursor",
            )
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor.trim())
            .map_err(|_| bad())?;
        if bytes.len() < 12 + 16 {
            return Err(bad());
        }
        let key = self.key()?;
        let (nonce, sealed) = bytes.split_at(12);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad())?;
        let mut buf = sealed.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(self.aad(kind).as_bytes()), &mut buf)
            .map_err(|_| bad())?;
        serde_json::from_slice(plain).map_err(|_| bad())
    }
}

/// A short digest of text a cursor must stay tied to (a query), without carrying the text.
pub(crate) fn digest(text: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(d.as_ref().get(..16).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sealed_cursors_open_only_for_their_binding_and_kind() {
        let a = Cursors::ephemeral("key1|prod");
        let c = a.seal("listAccounts", &json!({"id": "001"})).unwrap();
        assert_eq!(a.open("listAccounts", &c).unwrap(), json!({"id": "001"}));
        assert!(!c.contains("001"), "the state is not readable");
        assert!(a.open("listContacts", &c).is_err(), "another action");
        assert!(a.bound_to("key2|prod").open("listAccounts", &c).is_err());
        assert!(a.bound_to("key1|dev").open("listAccounts", &c).is_err());
        assert!(
            Cursors::ephemeral("key1|prod")
                .open("listAccounts", &c)
                .is_err(),
            "another key"
        );
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&c)
            .unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let e = a.open("listAccounts", &tampered).unwrap_err();
        assert_eq!(e.code, "INVALID_CURSOR");
        assert!(a.open("listAccounts", "").is_err());
        assert!(a.open("listAccounts", "not base64 !").is_err());
        assert_ne!(
            a.seal("listAccounts", &json!(1)).unwrap(),
            a.seal("listAccounts", &json!(1)).unwrap(),
            "a fresh nonce each time"
        );
    }
}
