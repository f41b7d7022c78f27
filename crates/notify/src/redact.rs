//! URLs as they may be shown: chat webhooks (Slack, Mattermost, Discord) and ping services
//! carry their secret in the path or the query, and a URL's user info is a password, so
//! only the scheme, host and port ever reach a log or a message.

/// `scheme://host[:port]/…`: the URL without user info, path, query or fragment.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(a URL without a scheme)".to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, hidden) = rest.split_at(authority_end);
    let host_port = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let tail = if hidden.is_empty() || hidden == "/" {
        "/"
    } else {
        "/…"
    };
    format!("{scheme}://{host_port}{tail}")
}

/// `text` with every occurrence of `url` replaced by its redacted form, for error messages
/// from libraries that quote the URL they were given.
pub(crate) fn scrub(text: &str, url: &str) -> String {
    if url.is_empty() {
        return text.to_owned();
    }
    text.replace(url, &redact(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_webhook_token_in_the_path_is_hidden() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"),
            "https://hooks.slack.com/…"
        );
    }

    #[test]
    fn port_is_kept_and_query_is_hidden() {
        assert_eq!(
            redact("http://chat.example.com:8065/hooks?token=s3cret"),
            "http://chat.example.com:8065/…"
        );
        assert_eq!(
            redact("http://127.0.0.1:9/?token=s3cret"),
            "http://127.0.0.1:9/…"
        );
        assert_eq!(redact("https://example.com#frag"), "https://example.com/…");
    }

    #[test]
    fn user_info_is_hidden() {
        assert_eq!(
            redact("https://alice:pa@ss@example.com/x"),
            "https://example.com/…"
        );
        assert_eq!(redact("https://token@example.com"), "https://example.com/");
    }

    #[test]
    fn bare_host_shows_no_ellipsis() {
        assert_eq!(redact("https://example.com"), "https://example.com/");
        assert_eq!(redact("https://example.com/"), "https://example.com/");
    }

    #[test]
    fn ipv6_host_keeps_its_brackets() {
        assert_eq!(redact("http://[::1]:8080/secret"), "http://[::1]:8080/…");
    }

    #[test]
    fn text_without_a_scheme_is_not_echoed() {
        assert_eq!(
            redact("hooks.slack.com/services/T0/B0/X"),
            "(a URL without a scheme)"
        );
    }

    #[test]
    fn scrub_replaces_the_url_in_error_text() {
        let url = "https://hooks.example.com/services/SECRET";
        assert_eq!(
            scrub(&format!("bad uri: {url}"), url),
            "bad uri: https://hooks.example.com/…"
        );
    }
}
