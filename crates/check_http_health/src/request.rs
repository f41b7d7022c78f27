//! The request the arguments describe: method, headers, credentials and body, read from
//! files and the environment so that no secret has to be on the command line.

use std::path::Path;

use crate::cli::Args;

/// The most request body read from `--data-file`.
const MAX_REQUEST_BODY: u64 = 16 * 1024 * 1024;

/// Method, headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    /// GET, POST, ...
    pub method: String,
    /// Name and value, in order.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

/// Why the request cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A header that is not `Name: value`.
    #[error("'{0}' is not a header: expected 'Name: value'")]
    BadHeader(String),
    /// An environment variable named for a credential is not set.
    #[error("{option}: the environment variable {var} is not set")]
    MissingEnv {
        /// The option that named it.
        option: &'static str,
        /// Its name.
        var: String,
    },
    /// A file could not be read.
    #[error("{option}: cannot read {path}: {reason}")]
    File {
        /// The option that named it.
        option: &'static str,
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The auth file holds no `user:password`.
    #[error("--auth-file: {0} does not hold 'user:password' on its first line")]
    BadAuthFile(String),
}

/// Builds the request from the arguments, reading `env` for credentials.
pub fn request_spec(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RequestSpec, RequestError> {
    let mut headers = Vec::new();
    for text in &args.headers {
        headers.push(split_header(text)?);
    }
    for text in &args.header_env {
        let (name, var) = split_header(text)?;
        let value = env(&var).ok_or(RequestError::MissingEnv {
            option: "--header-env",
            var,
        })?;
        headers.push((name, value));
    }
    if let Some(var) = &args.bearer_env {
        let token = env(var).ok_or_else(|| RequestError::MissingEnv {
            option: "--bearer-env",
            var: var.clone(),
        })?;
        headers.push(("Authorization".into(), format!("Bearer {}", token.trim())));
    }
    let basic = match (&args.auth_file, &args.authorization) {
        (Some(path), _) => Some(read_auth_file(path)?),
        (None, Some(pair)) => Some(pair.clone()),
        (None, None) => None,
    };
    if let Some(pair) = basic {
        headers.push((
            "Authorization".into(),
            format!("Basic {}", base64(pair.as_bytes())),
        ));
    }
    let body = match (&args.data, &args.data_file) {
        (Some(data), _) => Some(data.clone().into_bytes()),
        (None, Some(path)) => Some(read_bounded(path, "--data-file")?),
        (None, None) => None,
    };
    if let (Some(_), Some(kind)) = (&body, &args.content_type) {
        headers.push(("Content-Type".into(), kind.clone()));
    }
    let method = match &args.method {
        Some(method) => method.to_ascii_uppercase(),
        None if body.is_some() => "POST".to_owned(),
        None => "GET".to_owned(),
    };
    Ok(RequestSpec {
        method,
        headers,
        body,
    })
}

fn split_header(text: &str) -> Result<(String, String), RequestError> {
    let (name, value) = text
        .split_once(':')
        .filter(|(name, _)| !name.trim().is_empty() && !name.contains(char::is_whitespace))
        .ok_or_else(|| RequestError::BadHeader(text.to_owned()))?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

fn read_auth_file(path: &Path) -> Result<String, RequestError> {
    let text = read_bounded(path, "--auth-file")?;
    let text = String::from_utf8_lossy(&text);
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if !line.contains(':') {
        return Err(RequestError::BadAuthFile(path.display().to_string()));
    }
    Ok(line.to_owned())
}

fn read_bounded(path: &Path, option: &'static str) -> Result<Vec<u8>, RequestError> {
    use std::io::Read;
    let error = |reason: String| RequestError::File {
        option,
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| error(triage_core::describe_io(&e)))?;
    let mut bytes = Vec::new();
    file.take(MAX_REQUEST_BODY + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| error(triage_core::describe_io(&e)))?;
    if bytes.len() as u64 > MAX_REQUEST_BODY {
        return Err(error(format!("larger than {MAX_REQUEST_BODY} bytes")));
    }
    Ok(bytes)
}

/// Standard base64 with padding (RFC 4648), for Basic credentials.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn spec(argv: &[&str], vars: &[(&str, &str)]) -> Result<RequestSpec, RequestError> {
        let args = Args::try_parse_from([&["check_http_health", "http://h/"], argv].concat())
            .expect("args");
        let env = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        request_spec(&args, &env)
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("user:pa ss", "dXNlcjpwYSBzcw=="),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn credentials_come_from_the_environment_and_files() {
        let s = spec(
            &[
                "--bearer-env",
                "TOKEN",
                "--header-env",
                "X-Api-Key: KEY",
                "-k",
                "Accept: application/json",
            ],
            &[("TOKEN", "abc\n"), ("KEY", "k1")],
        )
        .expect("spec");
        assert_eq!(
            s.headers,
            [
                ("Accept".to_owned(), "application/json".to_owned()),
                ("X-Api-Key".into(), "k1".into()),
                ("Authorization".into(), "Bearer abc".into())
            ]
        );
        assert_eq!(
            spec(&["--bearer-env", "NOPE"], &[]).expect_err("missing"),
            RequestError::MissingEnv {
                option: "--bearer-env",
                var: "NOPE".into()
            }
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("auth");
        std::fs::write(&file, "monitor:s3cret\n").expect("write");
        let s = spec(&["--auth-file", file.to_str().expect("utf-8")], &[]).expect("spec");
        assert_eq!(
            s.headers,
            [(
                "Authorization".to_owned(),
                "Basic bW9uaXRvcjpzM2NyZXQ=".to_owned()
            )]
        );
        std::fs::write(&file, "no colon\n").expect("write");
        assert!(matches!(
            spec(&["--auth-file", file.to_str().expect("utf-8")], &[]),
            Err(RequestError::BadAuthFile(_))
        ));
    }

    #[test]
    fn a_body_makes_a_post_unless_a_method_is_given() {
        let s = spec(&["--data", "{}", "-T", "application/json"], &[]).expect("spec");
        assert_eq!(
            (s.method.as_str(), s.body.as_deref()),
            ("POST", Some(&b"{}"[..]))
        );
        assert_eq!(
            s.headers,
            [("Content-Type".to_owned(), "application/json".to_owned())]
        );
        assert_eq!(spec(&["-j", "head"], &[]).expect("spec").method, "HEAD");
        assert_eq!(
            spec(&["-k", "bad header: x"], &[]).expect_err("bad"),
            RequestError::BadHeader("bad header: x".into())
        );
    }
}
