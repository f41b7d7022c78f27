//! The dependency rule, checked on the source: no module uses one above it in
//! [`LAYERS`], and nothing but `app` uses `render`. A new module must be given its place.

use std::collections::BTreeSet;
use std::path::Path;

/// remediate's modules, top first.
const LAYERS: &[&str] = &[
    "app",
    "render",
    "engine",
    "notify",
    "self_check",
    "probe",
    "act",
    "decide",
    "store",
    "detach",
    "lock",
    "stop",
    "cli",
    "config",
    "model",
];

/// Every `crate::NAME` a file mentions.
fn mentioned(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .map(|(at, _)| {
            text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// (module, file, modules it mentions) for every file under `dir`.
fn uses(dir: &Path, root: &Path, found: &mut Vec<(String, String, BTreeSet<String>)>) {
    for entry in std::fs::read_dir(dir).expect("src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            uses(&path, root, found);
            continue;
        }
        let relative = path.strip_prefix(root).expect("under src");
        let first = relative.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let text = std::fs::read_to_string(&path).expect("read");
        found.push((module, relative.display().to_string(), mentioned(&text)));
    }
}

#[test]
fn no_module_uses_one_above_it_and_only_app_renders() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    uses(&root, &root, &mut found);
    let rank = |name: &str| LAYERS.iter().position(|layer| *layer == name);
    let mut broken = Vec::new();
    for (module, file, mentions) in &found {
        if matches!(module.as_str(), "lib" | "layering") {
            continue;
        }
        let Some(own) = rank(module) else {
            broken.push(format!("{file}: module {module} has no place in LAYERS"));
            continue;
        };
        for used in mentions.iter().filter(|used| *used != module) {
            match rank(used) {
                None => broken.push(format!("{file}: crate::{used} is not a module in LAYERS")),
                Some(theirs) if theirs < own => {
                    broken.push(format!("{file}: {module} uses {used}, which is above it"));
                }
                Some(_) if used == "render" && module != "app" => {
                    broken.push(format!("{file}: only app may use render"));
                }
                Some(_) => {}
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert!(found.len() > 40, "only {} files read", found.len());
}

#[test]
fn the_rule_sees_a_use_of_a_module_above() {
    let mentions = mentioned("use crate::engine::Engine;\nlet t = crate::model::now();");
    assert_eq!(
        mentions.into_iter().collect::<Vec<_>>(),
        ["engine", "model"]
    );
}
