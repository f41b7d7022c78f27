//! Containers as the kernel sees them: every container runtime puts a container's
//! processes in a cgroup whose path carries the 64-hex-digit container id
//! (`/docker/<id>`, `docker-<id>.scope`, `libpod-<id>.scope`, `cri-containerd-<id>.scope`,
//! `crio-<id>.scope`, `/kubepods/.../<id>`).

/// Length of a full container id.
const ID_LEN: usize = 64;

/// The containers a `--container` argument selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSelector {
    /// The argument as given, for the first line.
    pub given: String,
    /// Ids or id prefixes (lower-case hex) of the selected containers.
    pub ids: Vec<String>,
}

impl ContainerSelector {
    /// The containers the engine resolved `given` to (possibly none: not running).
    pub fn resolved(given: &str, ids: Vec<String>) -> ContainerSelector {
        ContainerSelector {
            given: given.to_owned(),
            ids,
        }
    }

    /// Selects by id prefix alone (`--container 3f2a9c`), when the argument is hex; used
    /// when no engine answers.
    pub fn by_id_prefix(given: &str) -> Option<ContainerSelector> {
        let hex = !given.is_empty()
            && given.len() <= ID_LEN
            && given.bytes().all(|b| b.is_ascii_hexdigit());
        hex.then(|| ContainerSelector {
            given: given.to_owned(),
            ids: vec![given.to_ascii_lowercase()],
        })
    }

    /// True when a cgroup file places the process in a selected container.
    pub fn contains(&self, cgroup: &str) -> bool {
        container_ids(cgroup).any(|id| {
            self.ids
                .iter()
                .any(|prefix| id.starts_with(prefix.as_str()))
        })
    }
}

/// The container ids named in a `/proc/<pid>/cgroup` file. The container runtime's own
/// helper (`libpod-conmon-<id>.scope`) is outside the container and is not counted.
pub fn container_ids(cgroup: &str) -> impl Iterator<Item = &str> {
    cgroup
        .lines()
        .filter_map(|line| line.splitn(3, ':').nth(2))
        .flat_map(|path| path.split('/'))
        .filter(|segment| !segment.contains("conmon"))
        .filter_map(|segment| {
            let name = segment.strip_suffix(".scope").unwrap_or(segment);
            let id = name.rsplit('-').next().unwrap_or(name);
            (id.len() == ID_LEN && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
                .then_some(id)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2a9c0b5e8d4f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192";

    #[test]
    fn ids_are_found_in_every_runtime_layout() {
        for cgroup in [
            format!("12:pids:/docker/{ID}\n11:memory:/docker/{ID}\n"),
            format!("0::/system.slice/docker-{ID}.scope\n"),
            format!("0::/machine.slice/libpod-{ID}.scope/container\n"),
            format!("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-{ID}.scope\n"),
            format!("0::/kubepods/besteffort/pod1234/{ID}\n"),
        ] {
            assert_eq!(container_ids(&cgroup).next(), Some(ID), "{cgroup}");
        }
        assert_eq!(container_ids("0::/user.slice/session-3.scope\n").count(), 0);
        assert_eq!(
            container_ids(&format!("0::/machine.slice/libpod-conmon-{ID}.scope\n")).count(),
            0
        );
    }

    #[test]
    fn selectors_match_id_prefixes_only_when_hex() {
        let selector = ContainerSelector::by_id_prefix("3F2A9C").expect("hex");
        assert!(selector.contains(&format!("0::/docker/{ID}\n")));
        assert!(!selector.contains("0::/docker/ffff\n"));
        assert!(!selector.contains("0::/user.slice\n"));
        assert_eq!(ContainerSelector::by_id_prefix("web-1"), None);
        assert_eq!(ContainerSelector::by_id_prefix(""), None);
    }
}
