//! Sealing secrets: AES-256-GCM with a random nonce per value, the value's purpose bound in as
//! associated data (a sealed refresh token cannot be passed off as another field).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use base64::Engine as _;

use crate::Error;

const VERSION: &[u8] = b"s1";

/// A sealing key.
pub struct Cipher {
    key: LessSafeKey,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(***)")
    }
}

impl Cipher {
    /// From 32 key bytes.
    pub fn new(key: &[u8]) -> Result<Self, Error> {
        let unbound = UnboundKey::new(&AES_256_GCM, key)
            .map_err(|_| Error::Secret("the key must be 32 bytes".into()))?;
        Ok(Cipher {
            key: LessSafeKey::new(unbound),
        })
    }

    /// From base64 text (how `SFKIT_SECRET_KEY` carries it).
    pub fn from_base64(text: &str) -> Result<Self, Error> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| Error::Secret("the key is not base64".into()))?;
        Self::new(&bytes)
    }

    /// A new random key, as base64.
    pub fn generate() -> Result<String, Error> {
        let mut k = [0u8; 32];
        SystemRandom::new()
            .fill(&mut k)
            .map_err(|_| Error::Secret("no randomness".into()))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(k))
    }

    /// Seals `plain` for `purpose`.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> Result<Vec<u8>, Error> {
        let mut nonce = [0u8; 12];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::Secret("no randomness".into()))?;
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut buf,
            )
            .map_err(|_| Error::Secret("sealing failed".into()))?;
        let mut out = VERSION.to_vec();
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Opens what [`Self::seal`] sealed for the same purpose.
    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, Error> {
        let rest = sealed
            .strip_prefix(VERSION)
            .filter(|r| r.len() >= 12 + 16)
            .ok_or_else(|| Error::Secret("not a sealed value".into()))?;
        let (nonce, ciphertext) = rest.split_at(12);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| Error::Secret("bad nonce".into()))?;
        let mut buf = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buf)
            .map_err(|_| {
                Error::Secret(
                    "a stored secret cannot be opened with this key (was SFKIT_SECRET_KEY or the key file changed?)"
                        .into(),
                )
            })?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_refuse_the_wrong_key_or_purpose() {
        let c = Cipher::from_base64(&Cipher::generate().unwrap()).unwrap();
        let sealed = c.seal("refresh_token", b"5Aep-secret").unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"5Aep-secret"));
        assert_eq!(c.open("refresh_token", &sealed).unwrap(), b"5Aep-secret");
        assert!(c.open("client_secret", &sealed).is_err());
        let other = Cipher::from_base64(&Cipher::generate().unwrap()).unwrap();
        assert!(other.open("refresh_token", &sealed).is_err());
        assert!(Cipher::new(b"short").is_err());
        assert_eq!(format!("{c:?}"), "Cipher(***)");
    }
}
