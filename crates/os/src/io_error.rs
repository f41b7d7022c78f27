//! Operating-system errors in words a user reads.

/// An I/O error's reason without Rust's ` (os error N)` suffix: `Permission denied`.
pub fn describe_io(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_numbers_are_dropped() {
        let error = std::io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(describe_io(&error), "Permission denied");
        let custom = std::io::Error::other("plain words");
        assert_eq!(describe_io(&custom), "plain words");
    }
}
