//! Users by name and uid, through the C library so NSS sources (LDAP, sssd) count too.

use std::ffi::{CStr, CString};

/// A passwd entry: the two fields a process filter needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Numeric user id.
    pub uid: u32,
    /// Login name.
    pub name: String,
}

/// The user with this login name, if there is one.
pub fn user_by_name(name: &str) -> Option<User> {
    let c_name = CString::new(name).ok()?;
    lookup(|entry, buffer, result| {
        // SAFETY: every pointer is valid for the call; the buffer's length is passed.
        unsafe {
            libc::getpwnam_r(
                c_name.as_ptr(),
                entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                result,
            )
        }
    })
}

/// The user with this uid, if the passwd database has one.
pub fn user_by_uid(uid: u32) -> Option<User> {
    lookup(|entry, buffer, result| {
        // SAFETY: every pointer is valid for the call; the buffer's length is passed.
        unsafe { libc::getpwuid_r(uid, entry, buffer.as_mut_ptr(), buffer.len(), result) }
    })
}

/// Calls a `getpw*_r` function, growing the buffer on ERANGE.
fn lookup<F>(mut call: F) -> Option<User>
where
    F: FnMut(*mut libc::passwd, &mut [libc::c_char], *mut *mut libc::passwd) -> i32,
{
    let mut size = 1024;
    while size <= 1 << 20 {
        let mut buffer: Vec<libc::c_char> = vec![0; size];
        let mut entry = std::mem::MaybeUninit::<libc::passwd>::uninit();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        match call(entry.as_mut_ptr(), &mut buffer, &mut result) {
            0 if result.is_null() => return None,
            0 => {
                // SAFETY: on success `result` points at `entry`, whose strings live in `buffer`.
                let entry = unsafe { entry.assume_init() };
                // SAFETY: pw_name is a NUL-terminated string inside `buffer`.
                let name = unsafe { CStr::from_ptr(entry.pw_name) };
                return Some(User {
                    uid: entry.pw_uid,
                    name: name.to_string_lossy().into_owned(),
                });
            }
            libc::ERANGE => size *= 4,
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_by_name_and_by_uid() {
        let root = User {
            uid: 0,
            name: "root".into(),
        };
        assert_eq!(user_by_name("root"), Some(root.clone()));
        assert_eq!(user_by_uid(0), Some(root));
    }

    #[test]
    fn unknown_users_are_none() {
        assert_eq!(user_by_name("no-such-user-triage"), None);
        assert_eq!(user_by_name("nul\0inside"), None);
        assert_eq!(user_by_uid(3_999_999_999), None);
    }
}
