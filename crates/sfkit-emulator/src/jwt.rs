//! The JWT bearer flow's keys and assertion checks.
//!
//! The local connected app has a certificate, as a real one does: its RSA key pair lives in the
//! data directory (`jwt/server.key`, `jwt/server.crt`), made on first use. Clients sign
//! assertions with `server.key` (RS256); the org checks them with the certificate's key.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use rcgen::{CertificateParams, DnType, KeyPair};
use serde::Deserialize;

use crate::Error;

/// Where the JWT bearer key and certificate are.
#[derive(Debug, Clone)]
pub struct JwtFiles {
    /// The private key clients sign with (PEM).
    pub key_pem: PathBuf,
    /// The connected app's certificate (PEM).
    pub cert_pem: PathBuf,
}

fn err(context: &str, e: impl std::fmt::Display) -> Error {
    Error::Io {
        context: context.to_owned(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// The key pair in `dir/jwt`, made on first use.
pub fn load_or_create(dir: &Path) -> Result<JwtFiles, Error> {
    let jwt_dir = dir.join("jwt");
    let files = JwtFiles {
        key_pem: jwt_dir.join("server.key"),
        cert_pem: jwt_dir.join("server.crt"),
    };
    if files.key_pem.exists() && files.cert_pem.exists() {
        return Ok(files);
    }
    std::fs::create_dir_all(&jwt_dir).map_err(|source| Error::Io {
        context: format!("creating {}", jwt_dir.display()),
        source,
    })?;
    let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
        .map_err(|e| err("generating the JWT key", e))?;
    let mut params =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| err("JWT certificate", e))?;
    params
        .distinguished_name
        .push(DnType::CommonName, "sfkit-local connected app");
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let cert = params
        .self_signed(&key)
        .map_err(|e| err("signing the JWT certificate", e))?;
    let write = |p: &Path, text: &str| {
        std::fs::write(p, text).map_err(|source| Error::Io {
            context: format!("writing {}", p.display()),
            source,
        })
    };
    write(&files.key_pem, &key.serialize_pem())?;
    write(&files.cert_pem, &cert.pem())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&files.key_pem, std::fs::Permissions::from_mode(0o600));
    }
    Ok(files)
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
}

/// The claims the org reads.
#[derive(Debug, Deserialize)]
pub(crate) struct Claims {
    pub(crate) iss: String,
    pub(crate) sub: String,
    pub(crate) aud: serde_json::Value,
    pub(crate) exp: serde_json::Value,
}

/// Checks an assertion's signature with the key in `files`; returns its claims, or the OAuth
/// error description.
pub(crate) fn verify(files: &JwtFiles, assertion: &str) -> Result<Claims, String> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = assertion.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("invalid assertion".into());
    };
    let header: Header = b64
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("invalid assertion")?;
    if header.alg != "RS256" {
        return Err("invalid assertion: only RS256 is accepted".into());
    }
    let signature = b64.decode(s).map_err(|_| "invalid assertion")?;
    let pem =
        std::fs::read_to_string(&files.key_pem).map_err(|_| "the org's JWT key cannot be read")?;
    let key = KeyPair::from_pem(&pem).map_err(|_| "the org's JWT key is invalid")?;
    let public = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        key.public_key_raw(),
    );
    let signed = format!("{h}.{c}");
    public
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| "invalid assertion signature")?;
    b64.decode(c)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| "invalid assertion".into())
}
