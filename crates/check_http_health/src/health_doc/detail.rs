//! Component details rendered as one bounded line of text.

use super::node::{Map, Node};
use super::{MAX_DETAIL_CHARS, MAX_SPRING_DEPTH};

/// Collapses whitespace (Java exception messages span lines) and caps the length.
pub(super) fn one_line(text: &str) -> Option<String> {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        None
    } else if line.chars().count() > MAX_DETAIL_CHARS {
        Some(
            line.chars()
                .take(MAX_DETAIL_CHARS - 3)
                .chain("...".chars())
                .collect(),
        )
    } else {
        Some(line)
    }
}

/// `key=value, key=value`, nested values in braces; stops growing well past what
/// `one_line` keeps so a huge details object costs little.
pub(super) fn render_map(map: &Map) -> String {
    let mut out = String::new();
    render_entries(map, &mut out, 0);
    out
}

fn render_entries(map: &Map, out: &mut String, depth: usize) {
    for (index, (key, value)) in map.iter().enumerate() {
        if out.len() > 4 * MAX_DETAIL_CHARS {
            return;
        }
        if index > 0 {
            out.push_str(", ");
        }
        out.push_str(key);
        out.push('=');
        render(value, out, depth + 1);
    }
}

fn render(node: &Node, out: &mut String, depth: usize) {
    if depth > MAX_SPRING_DEPTH {
        out.push_str("...");
        return;
    }
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Node::Number(value) => out.push_str(&value.to_string()),
        Node::Text(text) => out.push_str(text),
        Node::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if out.len() > 4 * MAX_DETAIL_CHARS {
                    break;
                }
                if index > 0 {
                    out.push_str(", ");
                }
                render(item, out, depth + 1);
            }
            out.push(']');
        }
        Node::Object(map) => {
            out.push('{');
            render_entries(map, out, depth);
            out.push('}');
        }
    }
}
