//! Who a service's commands run as, and whose processes `kill` may signal: its configured
//! `user` (and `group`), else the owner of the heartbeat it writes (from `fstat` on the
//! descriptor that was parsed), else the owner of the heartbeat's directory, else root.
//! A heartbeat owned by anyone but the configured user is refused: whoever can write it
//! could otherwise steer root.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use triage_heartbeat::FileOwner;
use triage_proc::{Account, account_by_name, account_by_uid, group_by_name};

use crate::config::{Check, Service};

/// The user a service's commands run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
    /// Every group the user is in (set with `setgroups` before the command runs).
    pub groups: Vec<u32>,
    /// The login name (the uid in digits for a uid without a passwd entry).
    pub name: String,
    /// Its home directory (`/` without a passwd entry).
    pub home: PathBuf,
    /// Its shell (`/bin/sh` without a passwd entry).
    pub shell: String,
}

impl Identity {
    /// The identity of an account, with its groups.
    pub fn of_account(account: &Account) -> Identity {
        Identity {
            uid: account.uid,
            gid: account.gid,
            groups: account.groups(),
            name: account.name.clone(),
            home: account.home.clone(),
            shell: account.shell.clone(),
        }
    }

    /// The owner of a file: its passwd entry when it has one (primary group and groups
    /// from there, as a login would), else the bare ids (a container's user, a deleted
    /// account), with no supplementary group.
    pub fn of_owner(owner: FileOwner) -> Identity {
        match account_by_uid(owner.uid) {
            Some(account) => Identity::of_account(&account),
            None => Identity {
                uid: owner.uid,
                gid: owner.gid,
                groups: vec![owner.gid],
                name: owner.uid.to_string(),
                home: PathBuf::from("/"),
                shell: "/bin/sh".to_owned(),
            },
        }
    }

    /// Root.
    pub fn root() -> Identity {
        Identity::of_owner(FileOwner { uid: 0, gid: 0 })
    }

    /// A configured `user` and optional `group`.
    pub fn configured(user: &str, group: Option<&str>) -> Result<Identity, String> {
        let account = account_by_name(user).ok_or_else(|| format!("no user named '{user}'"))?;
        let mut identity = Identity::of_account(&account);
        if let Some(group) = group {
            identity.gid =
                group_by_name(group).ok_or_else(|| format!("no group named '{group}'"))?;
            if !identity.groups.contains(&identity.gid) {
                identity.groups.push(identity.gid);
            }
        }
        Ok(identity)
    }

    /// `HOME`, `USER`, `LOGNAME` and `SHELL` for its commands.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("HOME".to_owned(), self.home.display().to_string()),
            ("USER".to_owned(), self.name.clone()),
            ("LOGNAME".to_owned(), self.name.clone()),
            ("SHELL".to_owned(), self.shell.clone()),
        ]
    }

    /// Where its commands start: the service's `cwd`, else its home if that is a
    /// directory, else `/`.
    pub fn working_dir(&self, cwd: Option<&Path>) -> PathBuf {
        match cwd {
            Some(dir) => dir.to_path_buf(),
            None if self.home.is_dir() => self.home.clone(),
            None => PathBuf::from("/"),
        }
    }

    /// Whether running as it needs no change of user: we already are it.
    pub fn is_ours(&self) -> bool {
        // SAFETY: geteuid/getegid cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        self.uid == uid && self.gid == gid
    }

    /// `alice (uid 1000)`, or `uid 4242` for one without a passwd entry.
    pub fn describe(&self) -> String {
        if self.name == self.uid.to_string() {
            format!("uid {}", self.uid)
        } else {
            format!("{} (uid {})", self.name, self.uid)
        }
    }
}

/// Why what `service`'s check read must not be acted on, if so: a heartbeat not owned by
/// the configured user. Cheap for a service without `user` (no passwd lookup), which is
/// why a pass asks this of every service and resolves the identity only to act.
pub fn refusal(service: &Service, heartbeat_owner: Option<FileOwner>) -> Option<String> {
    match (&service.user, heartbeat_owner) {
        (Some(_), Some(_)) => resolve(service, heartbeat_owner).err(),
        _ => None,
    }
}

/// The identity `service` acts as, given who owns the heartbeat its check just read
/// (None when there was none to read); why not, when the heartbeat's owner is not the
/// configured user.
pub fn resolve(service: &Service, heartbeat_owner: Option<FileOwner>) -> Result<Identity, String> {
    if let Some(user) = &service.user {
        let identity = Identity::configured(user, service.group.as_deref())?;
        if let Some(owner) = heartbeat_owner
            && owner.uid != identity.uid
        {
            return Err(format!(
                "the heartbeat is owned by uid {}, not by the service's user {}: \
                 not acted on",
                owner.uid,
                identity.describe()
            ));
        }
        return Ok(identity);
    }
    if let Some(owner) = heartbeat_owner {
        return Ok(Identity::of_owner(owner));
    }
    if let Check::Heartbeat { path, .. } = &service.check
        && let Some(dir) = path.parent()
        && let Ok(meta) = std::fs::metadata(dir)
    {
        return Ok(Identity::of_owner(FileOwner {
            uid: meta.uid(),
            gid: meta.gid(),
        }));
    }
    Ok(Identity::root())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Format, parse};

    fn service(extra: &str) -> Service {
        let text = format!(
            "[services.app]\ncheck = {{ heartbeat = \"/run/app.json\", max_age = \"5m\" }}\n{extra}"
        );
        let config = parse(&text, Format::Toml, "identity.toml").expect("config");
        config.services.into_iter().next().expect("app")
    }

    #[test]
    fn the_heartbeats_owner_is_the_identity_when_no_user_is_configured() {
        let owner = FileOwner {
            uid: 4242,
            gid: 4343,
        };
        let identity = resolve(&service(""), Some(owner)).expect("identity");
        assert_eq!(
            (identity.uid, identity.gid, identity.groups.clone()),
            (4242, 4343, vec![4343])
        );
        assert_eq!(identity.describe(), "uid 4242");
        assert_eq!(identity.working_dir(None), PathBuf::from("/"));
        assert!(
            identity
                .env()
                .contains(&("USER".to_owned(), "4242".to_owned()))
        );
    }

    #[test]
    fn a_heartbeat_not_owned_by_the_configured_user_is_refused() {
        let app = service("user = \"root\"\n");
        let refused = resolve(
            &app,
            Some(FileOwner {
                uid: 4242,
                gid: 4242,
            }),
        )
        .expect_err("refused");
        assert_eq!(
            refused,
            "the heartbeat is owned by uid 4242, not by the service's user root (uid 0): \
             not acted on"
        );
        let root = resolve(&app, Some(FileOwner { uid: 0, gid: 0 })).expect("root");
        assert_eq!((root.uid, root.home.clone()), (0, PathBuf::from("/root")));
        assert_eq!(
            root.working_dir(Some(Path::new("/srv/app"))),
            PathBuf::from("/srv/app")
        );
    }

    #[test]
    fn without_a_heartbeat_the_directory_owner_stands_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = format!(
            "[services.app]\ncheck = {{ heartbeat = \"{}/app.json\", max_age = \"5m\" }}\n",
            dir.path().display()
        );
        let config = parse(&text, Format::Toml, "identity.toml").expect("config");
        let identity = resolve(&config.services[0], None).expect("identity");
        // SAFETY: geteuid cannot fail.
        assert_eq!(identity.uid, unsafe { libc::geteuid() });
    }
}
