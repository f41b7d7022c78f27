//! Users by name and uid, through the C library so NSS sources (LDAP, sssd) count too.

use std::ffi::{CStr, CString};
use std::path::PathBuf;

/// A passwd entry: the two fields a process filter needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Numeric user id.
    pub uid: u32,
    /// Login name.
    pub name: String,
}

/// A passwd entry with what running a command as its user takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Numeric user id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Login name.
    pub name: String,
    /// Home directory.
    pub home: PathBuf,
    /// Login shell.
    pub shell: String,
}

impl Account {
    /// The account's supplementary groups, as `initgroups(3)` would set them (its primary
    /// group included).
    pub fn groups(&self) -> Vec<u32> {
        let Ok(name) = CString::new(self.name.as_str()) else {
            return vec![self.gid];
        };
        let mut count: libc::c_int = 32;
        loop {
            let mut groups: Vec<libc::gid_t> = vec![0; count as usize];
            let asked = count;
            // SAFETY: the buffer holds `count` gids and `count` says so; name is NUL-ended.
            let rc = unsafe {
                libc::getgrouplist(name.as_ptr(), self.gid, groups.as_mut_ptr(), &mut count)
            };
            if rc >= 0 {
                groups.truncate(count.max(0) as usize);
                return groups;
            }
            if count <= asked || count > 65_536 {
                return vec![self.gid];
            }
        }
    }
}

/// The account with this login name, if there is one.
pub fn account_by_name(name: &str) -> Option<Account> {
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

/// The account with this uid, if the passwd database has one.
pub fn account_by_uid(uid: u32) -> Option<Account> {
    lookup(|entry, buffer, result| {
        // SAFETY: every pointer is valid for the call; the buffer's length is passed.
        unsafe { libc::getpwuid_r(uid, entry, buffer.as_mut_ptr(), buffer.len(), result) }
    })
}

/// The id of the group with this name, if there is one.
pub fn group_by_name(name: &str) -> Option<u32> {
    let c_name = CString::new(name).ok()?;
    let mut size = 1024;
    while size <= 1 << 20 {
        let mut buffer: Vec<libc::c_char> = vec![0; size];
        let mut entry = std::mem::MaybeUninit::<libc::group>::uninit();
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; the buffer's length is passed.
        let rc = unsafe {
            libc::getgrnam_r(
                c_name.as_ptr(),
                entry.as_mut_ptr(),
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut result,
            )
        };
        match rc {
            0 if result.is_null() => return None,
            // SAFETY: on success `result` points at the initialised `entry`.
            0 => return Some(unsafe { entry.assume_init() }.gr_gid),
            libc::ERANGE => size *= 4,
            _ => return None,
        }
    }
    None
}

/// The user with this login name, if there is one.
pub fn user_by_name(name: &str) -> Option<User> {
    account_by_name(name).map(User::from)
}

/// The user with this uid, if the passwd database has one.
pub fn user_by_uid(uid: u32) -> Option<User> {
    account_by_uid(uid).map(User::from)
}

impl From<Account> for User {
    fn from(account: Account) -> User {
        User {
            uid: account.uid,
            name: account.name,
        }
    }
}

/// Calls a `getpw*_r` function, growing the buffer on ERANGE.
fn lookup<F>(mut call: F) -> Option<Account>
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
                // SAFETY: the strings are NUL-terminated inside `buffer` (or null).
                let text = |field: *const libc::c_char| {
                    if field.is_null() {
                        String::new()
                    } else {
                        unsafe { CStr::from_ptr(field) }
                            .to_string_lossy()
                            .into_owned()
                    }
                };
                return Some(Account {
                    uid: entry.pw_uid,
                    gid: entry.pw_gid,
                    name: text(entry.pw_name),
                    home: PathBuf::from(text(entry.pw_dir)),
                    shell: text(entry.pw_shell),
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
    fn roots_account_has_its_home_shell_and_groups() {
        let root = account_by_name("root").expect("root");
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(root.home, PathBuf::from("/root"));
        assert!(!root.shell.is_empty());
        assert!(root.groups().contains(&0));
        assert_eq!(account_by_uid(0), Some(root));
        assert_eq!(group_by_name("root"), Some(0));
        assert_eq!(group_by_name("no-such-group-triage"), None);
    }

    #[test]
    fn unknown_users_are_none() {
        assert_eq!(user_by_name("no-such-user-triage"), None);
        assert_eq!(user_by_name("nul\0inside"), None);
        assert_eq!(user_by_uid(3_999_999_999), None);
    }
}
