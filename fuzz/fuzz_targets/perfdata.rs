//! `Perfdata` rendering: whatever the label, value, unit and thresholds, the text is one
//! line that a guideline parser (`'label'=value[UOM];[warn];[crit];[min];[max]`) reads
//! back to the same label, value, ranges and bounds.

#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use triage_core::{Perfdata, Range, Thresholds, Uom};

const UOMS: [Uom; 10] = [
    Uom::None,
    Uom::Seconds,
    Uom::Milliseconds,
    Uom::Microseconds,
    Uom::Percent,
    Uom::Bytes,
    Uom::Kilobytes,
    Uom::Megabytes,
    Uom::Terabytes,
    Uom::Counter,
];

#[derive(Arbitrary, Debug)]
struct Metric {
    label: String,
    value: f64,
    uom: u8,
    warn: Option<String>,
    crit: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
}

/// One metric as a guideline parser reads it.
#[derive(Debug)]
struct Parsed {
    label: String,
    value: String,
    fields: Vec<String>,
}

fuzz_target!(|metric: Metric| {
    let parse_range = |text: &Option<String>| text.as_deref().and_then(|t| Range::parse(t).ok());
    let thresholds = Thresholds::new(parse_range(&metric.warn), parse_range(&metric.crit));
    let uom = UOMS[usize::from(metric.uom) % UOMS.len()];
    let mut perfdata = Perfdata::new(metric.label.clone(), metric.value)
        .uom(uom)
        .thresholds(&thresholds);
    perfdata.min = metric.min;
    perfdata.max = metric.max;

    let text = perfdata.to_string();
    assert!(!text.contains(['\n', '\r']), "not one line: {text:?}");
    assert!(
        !text.contains('|'),
        "a '|' ends the perfdata section: {text:?}"
    );
    let parsed = parse(&text).unwrap_or_else(|| panic!("does not parse: {text:?}"));

    // The label comes back as given, with only '|' and control characters replaced.
    let expected: String = metric
        .label
        .chars()
        .map(|c| if c == '|' || c.is_control() { '_' } else { c })
        .collect();
    assert_eq!(parsed.label, expected, "label of {text:?}");
    // Unquoted labels must not hold what would split or end them.
    if !text.starts_with('\'') {
        assert!(!parsed.label.is_empty() && !parsed.label.contains([' ', '=', '\'']));
    }

    match perfdata.value {
        None => assert_eq!(parsed.value, "U"),
        Some(value) => {
            let number = parsed
                .value
                .strip_suffix(uom.suffix())
                .unwrap_or_else(|| panic!("unit {:?} missing in {text:?}", uom.suffix()));
            let read: f64 = number
                .parse()
                .unwrap_or_else(|_| panic!("value {number:?} in {text:?}"));
            assert!(
                number
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
            );
            assert!(close(read, value), "value {read} != {value} in {text:?}");
        }
    }

    let any_field = thresholds.warning.is_some()
        || thresholds.critical.is_some()
        || metric.min.is_some_and(f64::is_finite)
        || metric.max.is_some_and(f64::is_finite);
    if !any_field {
        assert!(parsed.fields.is_empty(), "no fields expected in {text:?}");
        return;
    }
    assert_eq!(parsed.fields.len(), 4, "four fields in {text:?}");
    for (field, range) in parsed.fields[..2]
        .iter()
        .zip([&thresholds.warning, &thresholds.critical])
    {
        match range {
            None => assert_eq!(field, ""),
            Some(range) => assert_eq!(Range::parse(field).as_ref(), Ok(range), "{text:?}"),
        }
    }
    for (field, bound) in parsed.fields[2..].iter().zip([metric.min, metric.max]) {
        match bound.filter(|b| b.is_finite()) {
            None => assert_eq!(field, ""),
            Some(bound) => {
                let read: f64 = field
                    .parse()
                    .unwrap_or_else(|_| panic!("bound in {text:?}"));
                assert!(close(read, bound), "bound {read} != {bound} in {text:?}");
            }
        }
    }
});

/// Six decimals are kept; beyond that values may round.
fn close(read: f64, value: f64) -> bool {
    read == value || (read - value).abs() <= 5e-7 + value.abs() * 1e-15
}

/// The guideline grammar: a label, quoted with `''` for `'` when needed, then `=` and
/// `;`-separated fields, all up to the end of the text (one metric, no spaces outside the
/// quotes).
fn parse(text: &str) -> Option<Parsed> {
    let (label, rest) = match text.strip_prefix('\'') {
        Some(quoted) => {
            let mut label = String::new();
            let mut chars = quoted.char_indices().peekable();
            loop {
                let (at, c) = chars.next()?;
                if c != '\'' {
                    label.push(c);
                } else if chars.peek().map(|&(_, c)| c) == Some('\'') {
                    chars.next();
                    label.push('\'');
                } else {
                    break (label, &quoted[at + 1..]);
                }
            }
        }
        None => {
            let at = text.find('=')?;
            (text[..at].to_owned(), &text[at..])
        }
    };
    let rest = rest.strip_prefix('=')?;
    if rest.contains(' ') {
        return None;
    }
    let mut parts = rest.split(';').map(str::to_owned);
    let value = parts.next()?;
    Some(Parsed {
        label,
        value,
        fields: parts.collect(),
    })
}
