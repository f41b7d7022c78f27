//! The judgement as check_http's familiar line: status line, what is wrong, size and
//! time; the health document's components below it.

use triage_core::CheckResult;

use crate::fetch::Exchange;
use crate::judge::Judgement;

/// `HTTP/1.1 503 Service Unavailable - 2 of 5 components down: db, redis - 179 bytes in
/// 0.012 second response time`, perfdata, and the components as long output when one of
/// them is not OK or `detailed` asks for them all (-v, JSON).
pub fn report(exchange: &Exchange, judgement: Judgement, detailed: bool) -> CheckResult {
    let mut parts = vec![
        format!(
            "{} {} {}",
            exchange.version, exchange.status, exchange.reason
        )
        .trim_end()
        .to_owned(),
    ];
    parts.extend(
        judgement
            .findings
            .iter()
            .filter(|f| !f.text.is_empty())
            .map(|f| f.text.clone()),
    );
    parts.push(format!(
        "{} bytes in {:.3} second response time",
        exchange.body.len(),
        exchange.elapsed.as_secs_f64()
    ));
    let mut result = CheckResult::new(judgement.state, parts.join(" - "));
    if detailed
        || judgement
            .components
            .iter()
            .any(|c| c.state != triage_core::State::Ok)
    {
        result.subchecks = judgement.components;
    }
    result.perfdata = judgement.perfdata;
    result
}
