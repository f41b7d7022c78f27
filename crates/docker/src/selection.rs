//! Which containers a name the operator typed means.

use crate::model::ContainerSummary;

/// The containers `selector` names, the way an operator means it: containers named exactly
/// so (or with exactly that id), else those whose id starts with it, else those whose name
/// starts with it.
pub fn select<'a>(containers: &'a [ContainerSummary], selector: &str) -> Vec<&'a ContainerSummary> {
    let exact: Vec<_> = containers
        .iter()
        .filter(|c| c.plain_names().any(|n| n == selector) || c.id == selector)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let lower = selector.to_ascii_lowercase();
    let by_id: Vec<_> = containers
        .iter()
        .filter(|c| !lower.is_empty() && c.id.starts_with(&lower))
        .collect();
    if !by_id.is_empty() {
        return by_id;
    }
    containers
        .iter()
        .filter(|c| !selector.is_empty() && c.plain_names().any(|n| n.starts_with(selector)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(id: &str, name: &str) -> ContainerSummary {
        ContainerSummary {
            id: id.repeat(64 / id.len()),
            names: vec![format!("/{name}")],
            ..ContainerSummary::default()
        }
    }

    #[test]
    fn exact_names_win_then_id_prefixes_then_name_prefixes() {
        let all = [
            container("ab", "web"),
            container("cd", "web-2"),
            container("db", "cache"),
        ];
        let names = |sel: &str| {
            select(&all, sel)
                .iter()
                .map(|c| c.name().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names("web"), ["web"]);
        assert_eq!(names("we"), ["web", "web-2"]);
        assert_eq!(names("cdcd"), ["web-2"]);
        assert_eq!(names("DB"), ["cache"]);
        assert!(names("nothing").is_empty());
        assert!(names("").is_empty());
    }
}
