//! `health_doc::parse` for every format, auto detection included, on arbitrary bodies
//! and content types: never panic, and what it returns stays within its limits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_check_http_health::health_doc::{HealthFormat, parse};

const FORMATS: [HealthFormat; 7] = [
    HealthFormat::Auto,
    HealthFormat::None,
    HealthFormat::Spring,
    HealthFormat::Ietf,
    HealthFormat::MicroProfile,
    HealthFormat::AspNet,
    HealthFormat::K8s,
];

fuzz_target!(|bytes: &[u8]| {
    // The first byte picks the content type; the rest is the body.
    let (content_type, body) = match bytes.split_first() {
        Some((0, body)) => (Some("application/health+json"), body),
        Some((1, body)) => (Some("application/json"), body),
        Some((2, body)) => (Some("text/plain"), body),
        Some((_, _)) => (None, bytes),
        None => (None, bytes),
    };
    for format in FORMATS {
        let Ok(Some(document)) = parse(format, content_type, body) else {
            continue;
        };
        assert!(
            document.components.len() <= 500,
            "{format:?}: components are capped"
        );
        for component in &document.components {
            if let Some(detail) = &component.detail {
                assert!(
                    detail.chars().count() <= 210,
                    "{format:?}: detail is capped"
                );
            }
            if let Some(observed) = &component.observed {
                assert!(
                    observed.value.is_finite(),
                    "{format:?}: observed {}",
                    observed.value
                );
            }
        }
        let _ = format!("{document:?}");
    }
});
