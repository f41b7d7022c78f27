//! POSIX extended regular expressions through the C library: the syntax operators know
//! from `grep -E`, exactly what the C check_procs' `regcomp(REG_EXTENDED|REG_NOSUB)`
//! matches, and glibc's engine is already in every process, so it costs no binary size.

use std::ffi::{CStr, CString};

/// A compiled ERE.
#[derive(Debug)]
pub struct PosixRegex {
    compiled: Box<libc::regex_t>,
}

// SAFETY: glibc's regexec takes its own lock on the pattern buffer, and the pattern is
// never changed after regcomp.
unsafe impl Send for PosixRegex {}
// SAFETY: see Send.
unsafe impl Sync for PosixRegex {}

impl PosixRegex {
    /// Compiles `pattern`; the error is regerror's own text ("Unmatched ( or \(").
    pub fn new(pattern: &str) -> Result<PosixRegex, String> {
        let c_pattern =
            CString::new(pattern).map_err(|_| "the pattern contains a NUL byte".to_owned())?;
        // SAFETY: regex_t is plain data that regcomp initialises.
        let mut compiled: Box<libc::regex_t> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: valid pattern and output buffer.
        let rc = unsafe {
            libc::regcomp(
                &mut *compiled,
                c_pattern.as_ptr(),
                libc::REG_EXTENDED | libc::REG_NOSUB,
            )
        };
        if rc == 0 {
            return Ok(PosixRegex { compiled });
        }
        let mut message = [0 as libc::c_char; 256];
        // SAFETY: the buffer's length is passed; regerror NUL-terminates within it.
        unsafe { libc::regerror(rc, &*compiled, message.as_mut_ptr(), message.len()) };
        // SAFETY: regerror wrote a NUL-terminated string into `message`.
        let text = unsafe { CStr::from_ptr(message.as_ptr()) };
        Err(text.to_string_lossy().into_owned())
    }

    /// Compiles `pattern` to match whole texts only (`^(pattern)$`), the way names are
    /// matched: `web` must not select `web-old`.
    pub fn anchored(pattern: &str) -> Result<PosixRegex, String> {
        PosixRegex::new(&format!("^({pattern})$"))
    }

    /// True when the pattern matches anywhere in `text` (text with a NUL never matches
    /// past it, as in C).
    pub fn is_match(&self, text: &str) -> bool {
        let cut = text.split('\0').next().unwrap_or("");
        let Ok(c_text) = CString::new(cut) else {
            return false;
        };
        // SAFETY: compiled pattern and NUL-terminated text; REG_NOSUB needs no match array.
        unsafe { libc::regexec(&*self.compiled, c_text.as_ptr(), 0, std::ptr::null_mut(), 0) == 0 }
    }
}

impl Drop for PosixRegex {
    fn drop(&mut self) {
        // SAFETY: compiled by regcomp in `new` and freed exactly once.
        unsafe { libc::regfree(&mut *self.compiled) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_syntax_matches_like_grep_e() {
        let re = PosixRegex::new("^(nginx|apache2): worker").expect("compiles");
        assert!(re.is_match("nginx: worker process"));
        assert!(re.is_match("apache2: worker"));
        assert!(!re.is_match("/usr/sbin/nginx: worker"));
        assert!(PosixRegex::new("a{2,}").expect("compiles").is_match("baab"));
    }

    #[test]
    fn anchored_patterns_match_whole_names_only() {
        let re = PosixRegex::anchored("web|api-[0-9]+").expect("compiles");
        assert!(re.is_match("web"));
        assert!(re.is_match("api-12"));
        assert!(!re.is_match("web-old"));
        assert!(!re.is_match("old-api-1"));
    }

    #[test]
    fn bad_patterns_report_regerror_text() {
        assert_eq!(
            PosixRegex::new("(").expect_err("fails"),
            "Unmatched ( or \\("
        );
        assert!(PosixRegex::new("a\0b").is_err());
    }
}
