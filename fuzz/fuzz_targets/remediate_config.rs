//! `remediate`'s configuration loader on arbitrary text, as TOML and as JSON: never
//! panic, whatever the structure, numbers or strings.

#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_remediate::config::{Format, parse};

fuzz_target!(|text: &str| {
    for format in [Format::Toml, Format::Json] {
        if let Err(error) = parse(text, format, "fuzz") {
            let _ = error.to_string();
        }
    }
});
