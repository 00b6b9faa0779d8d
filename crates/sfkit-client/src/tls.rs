//! TLS trust: the system's roots plus the PEM bundle `SSL_CERT_FILE` names (how users point the
//! client at the local org's certificate or a corporate proxy's), plus any the builder adds.
//! rustls with the aws-lc-rs provider, configured here rather than process-wide.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use crate::error::Error;

/// Where Unix systems keep their bundle. `rustls-native-certs` reads `SSL_CERT_FILE` *instead*
/// of the system store when it is set, so with it set the system bundle is added from here.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Certificates from a PEM file.
fn pem_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::Config(format!("certificates in {}: {e}", path.display())))
}

/// The roots to trust: the platform's, `ssl_cert_file`'s, and `extra` (PEM).
pub(crate) fn roots(
    ssl_cert_file: Option<&Path>,
    extra: &[Vec<u8>],
) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(file) = ssl_cert_file {
        for cert in pem_file(file)? {
            roots
                .add(cert)
                .map_err(|e| Error::Config(format!("a certificate in {}: {e}", file.display())))?;
        }
        if let Some(bundle) = SYSTEM_BUNDLES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
        {
            roots.add_parsable_certificates(pem_file(&bundle).unwrap_or_default());
        }
    }
    for pem in extra {
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| Error::Config(format!("trusted certificate: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::Config(format!("trusted certificate: {e}")))?;
        }
    }
    Ok(roots)
}

/// The rustls configuration for the HTTP client.
pub(crate) fn config(roots: RootCertStore) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
