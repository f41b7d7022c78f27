//! The certificate authorities this system trusts, read from its CA bundle once per client.

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::describe_io;

/// Where Debian keeps the system's trusted CAs (update-ca-certificates).
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The roots a TLS client on this system should trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// The system bundle's certificates (DER), in the order of the file.
    System(Vec<CertificateDer<'static>>),
    /// There is no system bundle: trust the TLS stack's built-in (webpki, Mozilla) roots.
    BuiltIn,
}

/// Why the system bundle, which exists, cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RootCertsError {
    /// The bundle cannot be read.
    #[error("system CA bundle: cannot read {}: {}", path.display(), describe_io(source))]
    Unreadable {
        /// The bundle.
        path: PathBuf,
        /// What reading it ran into.
        source: std::io::Error,
    },
    /// The bundle holds no PEM certificate.
    #[error("system CA bundle: no PEM certificate in {}", path.display())]
    Empty {
        /// The bundle.
        path: PathBuf,
    },
}

/// The system's trusted CAs, or [`RootCerts::BuiltIn`] on a system without the bundle.
pub fn system_root_certs() -> Result<RootCerts, RootCertsError> {
    read_bundle(Path::new(SYSTEM_CA_BUNDLE))
}

/// Every certificate in the bundle at `path`; PEM sections that are not certificates, or
/// do not decode, are skipped, as ureq's `parse_pem` skips them for `--ca-file`.
fn read_bundle(path: &Path) -> Result<RootCerts, RootCertsError> {
    if !path.exists() {
        return Ok(RootCerts::BuiltIn);
    }
    let pem = std::fs::read(path).map_err(|source| RootCertsError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(RootCertsError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(RootCerts::System(certs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Not a real certificate: PEM parsing does not look inside the DER.
    const PEM: &str = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";

    #[test]
    fn a_missing_bundle_means_the_built_in_roots() {
        let dir = tempfile::tempdir().expect("temp dir");
        let roots = read_bundle(&dir.path().join("absent.crt")).expect("no error");
        assert_eq!(roots, RootCerts::BuiltIn);
    }

    #[test]
    fn every_certificate_in_the_bundle_is_trusted_and_other_sections_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bundle.crt");
        let key = "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n";
        std::fs::write(&path, format!("{PEM}{key}{PEM}")).expect("write bundle");
        let RootCerts::System(certs) = read_bundle(&path).expect("bundle reads") else {
            panic!("the bundle's certificates expected");
        };
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].as_ref(), [0, 1, 2]);
    }

    #[test]
    fn a_bundle_without_certificates_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("empty.crt");
        std::fs::write(&path, "not PEM\n").expect("write bundle");
        let error = read_bundle(&path).expect_err("no certificate");
        assert_eq!(
            error.to_string(),
            format!("system CA bundle: no PEM certificate in {}", path.display())
        );
    }

    #[test]
    fn an_unreadable_bundle_is_an_error_in_words() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error = read_bundle(dir.path()).expect_err("a directory is not a bundle");
        assert_eq!(
            error.to_string(),
            format!(
                "system CA bundle: cannot read {}: Is a directory",
                dir.path().display()
            )
        );
    }

    #[test]
    fn this_system_has_usable_roots() {
        assert!(system_root_certs().is_ok());
    }
}
