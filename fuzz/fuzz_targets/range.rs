//! `Range::parse`, `parse_duration` and `parse_bytes` on arbitrary text: never panic, and
//! what they render (the perfdata form) reads back as the same range.

#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_core::Range;

fuzz_target!(|text: &str| {
    if let Ok(range) = Range::parse(text) {
        check_shape(text, &range);
        // Plain ranges are written exactly as given, so they round-trip exactly.
        let rendered = range.to_string();
        assert_eq!(rendered, text, "a plain range renders as given");
        let again = Range::parse(&rendered).expect("a rendered range parses");
        assert_eq!(again, range, "{text:?} does not round-trip");
    }
    for (kind, parse) in [
        (
            "duration",
            Range::parse_duration as fn(&str) -> Result<Range, _>,
        ),
        ("bytes", Range::parse_bytes),
    ] {
        let Ok(range) = parse(text) else { continue };
        check_shape(text, &range);
        // Unit ranges are written in plain numbers (seconds, bytes) for perfdata: the text
        // must read back as a plain range with the same bounds, up to the six decimals
        // the renderer keeps.
        let rendered = range.to_string();
        let plain = Range::parse(&rendered)
            .unwrap_or_else(|e| panic!("{kind} {text:?} renders as {rendered:?}: {e}"));
        assert_eq!(plain.alerts_inside(), range.alerts_inside());
        assert_close(plain.start(), range.start(), kind, text, &rendered);
        assert_close(plain.end(), range.end(), kind, text, &rendered);
        // Plain numbers are valid unit ranges too: reading the text back that way agrees.
        let again = parse(&rendered).expect("a rendered unit range parses");
        assert_close(again.start(), range.start(), kind, text, &rendered);
        assert_close(again.end(), range.end(), kind, text, &rendered);
    }
});

/// Bounds are ordered, never NaN, and infinite only where the text leaves them open.
fn check_shape(text: &str, range: &Range) {
    assert!(!range.start().is_nan() && !range.end().is_nan());
    assert!(range.start() <= range.end());
    let body = text.strip_prefix('@').unwrap_or(text);
    let (start_text, end_text) = body.split_once(':').unwrap_or(("", body));
    if start_text != "~" {
        assert!(
            range.start().is_finite(),
            "{text:?}: a given start became infinite"
        );
    }
    if !end_text.is_empty() {
        assert!(
            range.end().is_finite(),
            "{text:?}: a given end became infinite"
        );
    }
}

fn assert_close(read: f64, parsed: f64, kind: &str, text: &str, rendered: &str) {
    let same = read == parsed || (read - parsed).abs() <= 1e-6 + parsed.abs() * 1e-12;
    assert!(
        same,
        "{kind} {text:?} rendered {rendered:?}: {read} != {parsed}"
    );
}
