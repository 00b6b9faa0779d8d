//! HTTPS for the local org: a private certificate authority and a server certificate for
//! `127.0.0.1` and `localhost`, generated once and kept in the data directory.
//!
//! Clients trust the CA's PEM file (`tls/ca.pem`): simple-salesforce through
//! `REQUESTS_CA_BUNDLE`, Node through `NODE_EXTRA_CA_CERTS`, sfkit's client through
//! `SSL_CERT_FILE`. A CA plus a leaf (rather than one self-signed leaf) is what every TLS stack
//! accepts, the strict ones included.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

/// The files that make up the org's TLS identity.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA certificate clients must trust.
    pub ca_pem: PathBuf,
    /// The server's certificate chain.
    pub cert_pem: PathBuf,
    /// The server's private key.
    pub key_pem: PathBuf,
}

fn tls_err(context: &str, e: impl std::fmt::Display) -> Error {
    Error::Io {
        context: context.to_owned(),
        source: std::io::Error::other(e.to_string()),
    }
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        context: format!("writing {}", path.display()),
        source,
    })
}

/// Loads the org's certificate from `dir/tls`, generating it on first use.
pub fn load_or_create(dir: &Path) -> Result<TlsFiles, Error> {
    let tls_dir = dir.join("tls");
    let files = TlsFiles {
        ca_pem: tls_dir.join("ca.pem"),
        cert_pem: tls_dir.join("server.pem"),
        key_pem: tls_dir.join("server-key.pem"),
    };
    if files.ca_pem.exists() && files.cert_pem.exists() && files.key_pem.exists() {
        return Ok(files);
    }
    std::fs::create_dir_all(&tls_dir).map_err(|source| Error::Io {
        context: format!("creating {}", tls_dir.display()),
        source,
    })?;

    let ca_key = KeyPair::generate().map_err(|e| tls_err("generating the CA key", e))?;
    let mut ca =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_err("CA parameters", e))?;
    ca.distinguished_name
        .push(DnType::CommonName, "sfkit local org CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = rcgen::date_time_ymd(2024, 1, 1);
    ca.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let ca_cert = ca
        .self_signed(&ca_key)
        .map_err(|e| tls_err("signing the CA", e))?;

    let key = KeyPair::generate().map_err(|e| tls_err("generating the server key", e))?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .map_err(|e| tls_err("server certificate parameters", e))?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.is_ca = IsCa::NoCa;
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = rcgen::date_time_ymd(2024, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let leaf_cert = leaf
        .signed_by(&key, &ca_cert, &ca_key)
        .map_err(|e| tls_err("signing the server certificate", e))?;

    write(&files.ca_pem, &ca_cert.pem())?;
    write(
        &files.cert_pem,
        &format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
    )?;
    write(&files.key_pem, &key.serialize_pem())?;
    restrict(&files.key_pem);
    Ok(files)
}

/// Makes a key file readable by its owner only.
fn restrict(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// A rustls server configuration for the files.
pub(crate) fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, Error> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert_pem)
        .map_err(|e| tls_err("reading the server certificate", e))?
        .collect::<Result<_, _>>()
        .map_err(|e| tls_err("reading the server certificate", e))?;
    let key = PrivateKeyDer::from_pem_file(&files.key_pem)
        .map_err(|e| tls_err("reading the server key", e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err("TLS versions", e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| tls_err("TLS certificate", e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
