//! Why each risk the master leaves major was left: the master's summary must
//! not stay silent on a major risk (a mix problem mastering cannot fix, a
//! move that would cost more than it saves, a risk that only appears at the
//! master's loudness …). Read from the decisions and the iteration log, so the
//! words are the loop's own reasons.

use super::decide::FINAL_STAGE_RISKS;
use super::MAX_STEPS;
use crate::report::{Decision, Iteration, LeftRisk, Report};
use crate::risks::{with_reason, Level};

/// Every risk major in `after`, with why it was left.
pub(super) fn left_risks(
    before: &Report,
    after: &Report,
    decisions: &[Decision],
    iterations: &[Iteration],
) -> Vec<LeftRisk> {
    after
        .risks
        .iter()
        .filter(|r| r.level == Level::Major)
        .map(|r| LeftRisk {
            id: r.id.clone(),
            level: r.level,
            why: why_left(&r.id, before, after, decisions, iterations),
        })
        .collect()
}

/// The line of one step's log (`"LABEL: WHY"`, as [`super::decide::judge`]
/// and the screening write them) that says best why no move was kept: the
/// first move that raised another risk a level, else the first that did
/// not lower the risk enough.
pub(super) fn telling_trial(lines: &[String]) -> Option<&str> {
    let find = |what: &str| lines.iter().find(|l| l.contains(what));
    find(" rose from ")
        .or_else(|| find(" did not drop "))
        .map(String::as_str)
}

/// How a "left as it is" line of the log begins when no move answered the
/// risk at that step ([`super::corrective`]).
const EVERY_MOVE_FAILED: &str = "every move either failed to lower it or raised another risk; ";

/// The reason for one risk, most specific first. A risk that a kept move
/// lowered is told so even when a later step left it (a further move was
/// rejected): "Lowered by …; no further move was kept: tried …", never
/// "Left as it is" beside a move in the master's list that answers it.
fn why_left(
    id: &str,
    before: &Report,
    after: &Report,
    decisions: &[Decision],
    iterations: &[Iteration],
) -> String {
    let prefix = format!("{id}: left as it is — ");
    let told = iterations
        .iter()
        .flat_map(|it| &it.rejected)
        .find_map(|line| line.strip_prefix(&prefix));
    let moves: Vec<&str> = decisions
        .iter()
        .filter(|d| d.addresses.iter().any(|a| a == id) && !d.label.is_empty())
        .map(|d| d.label.as_str())
        .collect();
    let severity = |r: &Report| r.risks.iter().find(|x| x.id == id).map(|x| x.severity);
    let was = severity(before);
    let now = severity(after).unwrap_or(0.0);
    // The report's scale ends at 1: a risk far past it can drop and still
    // read 1.00, so the numbers are given only when they moved.
    let lowered = was.filter(|&b| now < b - 0.005);
    let by_moves = || match lowered {
        Some(b) => format!(
            "Lowered by {}, severity {b:.2} → {now:.2}",
            moves.join(", ")
        ),
        None => format!(
            "Reduced by {}, but it stays far past the major level",
            moves.join(", ")
        ),
    };
    match told {
        Some(why) if moves.is_empty() => return with_reason("Left as it is", why),
        Some(why) => {
            let why = why.strip_prefix(EVERY_MOVE_FAILED).unwrap_or(why);
            return with_reason(&format!("{}; no further move was kept", by_moves()), why);
        }
        None => {}
    }
    if FINAL_STAGE_RISKS.contains(&id) {
        return after
            .notices
            .iter()
            .find(|n| n.starts_with("Target"))
            .cloned()
            .unwrap_or_else(|| {
                "Set by the final loudness stage, which keeps the intent's target and ceiling."
                    .into()
            });
    }
    if !moves.is_empty() {
        let ending = match lowered {
            Some(_) => "; more of the same would cost more than it saves.",
            None => {
                ": more of the same would cost more than it saves, so it is best fixed in the mix."
            }
        };
        return format!("{}{ending}", by_moves());
    }
    match before.risks.iter().find(|x| x.id == id).map(|x| x.level) {
        Some(Level::Major) => format!(
            "Not reached within the {MAX_STEPS} corrective steps: risks that break first were worked on before it."
        ),
        _ => "It appears only at the master's loudness, after the corrective moves were judged; lowering the target or choosing the 'open' character keeps it down.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risks::Risk;

    fn report(risks: &[(&str, f64)]) -> Report {
        let mut r: Report = serde_json::from_value(serde_json::json!({
            "schema": "preflight.report/1",
            "input": {"name": "x", "format": "pcm", "sample_rate": 48000, "channels": 2, "duration_s": 10.0},
            "loudness": {"integrated_lufs": -14.0, "range_lu": 5.0, "max_momentary_lufs": -10.0,
                         "max_short_term_lufs": -11.0, "true_peak_dbtp": -1.0, "sample_peak_dbfs": -1.2, "plr_db": 13.0},
            "stereo": {"correlation": 0.5, "low_correlation": 0.9, "mono_loss_db": 1.0, "balance_db": 0.0},
            "dc_offset": [0.0, 0.0], "clipped_runs": 0,
            "spectrum": {"bands_hz": [], "level_db": [], "target_db": []},
            "platforms": [], "translation": [], "risks": []
        }))
        .unwrap();
        r.risks = risks
            .iter()
            .map(|&(id, severity)| Risk {
                id: id.into(),
                severity,
                unclamped_severity: severity,
                level: Level::from_severity(severity),
                title: String::new(),
                explanation: String::new(),
                time_ranges_s: Vec::new(),
                band_hz: None,
                systems: Vec::new(),
                evidence: Default::default(),
            })
            .collect();
        r
    }

    fn log(rejected: &[&str]) -> Vec<Iteration> {
        vec![Iteration {
            step: 1,
            risk_severity: Default::default(),
            accepted: Vec::new(),
            rejected: rejected.iter().map(|s| s.to_string()).collect(),
        }]
    }

    #[test]
    fn the_telling_trial_is_a_move_that_raised_another_risk_first() {
        let lines = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let log = lines(&[
            "bell 9 kHz: screened out — dull did not drop enough (0.83 → 0.81) on 0:10–0:14",
            "high shelf 9 kHz +3.0 dB: sibilance rose from minor to major (0.58 → 0.61)",
        ]);
        assert_eq!(
            telling_trial(&log),
            Some("high shelf 9 kHz +3.0 dB: sibilance rose from minor to major (0.58 → 0.61)")
        );
        assert_eq!(
            telling_trial(&log[..1]),
            Some("bell 9 kHz: screened out — dull did not drop enough (0.83 → 0.81) on 0:10–0:14")
        );
        assert_eq!(telling_trial(&lines(&["x: could not be built"])), None);
    }

    #[test]
    fn a_left_reason_names_the_risks_a_trial_raised_by_their_names() {
        let after = report(&[("dull", 0.8), ("sibilance", 0.61)]);
        let iterations = log(&[
            "dull: left as it is — every move either failed to lower it or raised another risk; tried high shelf 9 kHz +3.0 dB: sibilance rose from minor to major (0.58 → 0.61)",
        ]);
        let left = left_risks(&after, &after, &[], &iterations);
        assert_eq!(
            left[0].why,
            "Left as it is: every move either failed to lower it or raised another risk; tried high shelf 9 kHz +3.0 dB: “Spitting \"s\" sounds” rose from minor to major (0.58 → 0.61)."
        );
        let iterations = log(&[
            "dull: left as it is — tried bell 9 kHz: dull did not drop enough (0.83 → 0.81)",
        ]);
        let left = left_risks(&after, &after, &[], &iterations);
        assert_eq!(
            left[0].why,
            "Left as it is: tried bell 9 kHz: “Little air on top” did not drop enough (0.83 → 0.81)."
        );
    }

    #[test]
    fn a_risk_a_kept_move_lowered_is_not_told_as_left_alone() {
        // The demo's harsh chorus: step 1 keeps a dynamic cut, a later step
        // tries a second one that the sibilance veto rejects.
        let before = report(&[("harshness", 1.0)]);
        let after = report(&[("harshness", 0.8)]);
        let decisions = vec![Decision {
            r#move: "dynamic_eq".into(),
            label: "dynamic cut at 3149 Hz, up to −7.0 dB".into(),
            params: serde_json::json!({}),
            addresses: vec!["harshness".into()],
            why: String::new(),
            trade_off: String::new(),
        }];
        let iterations = log(&[
            "harshness: left as it is — every move either failed to lower it or raised another risk; tried dynamic cut at 3150 Hz, up to −7.0 dB: sibilance rose from info to minor (0.00 → 0.55)",
        ]);
        let left = left_risks(&before, &after, &decisions, &iterations);
        assert_eq!(
            left[0].why,
            "Lowered by dynamic cut at 3149 Hz, up to −7.0 dB, severity 1.00 → 0.80; no further move was kept: tried dynamic cut at 3150 Hz, up to −7.0 dB: “Spitting \"s\" sounds” rose from info to minor (0.00 → 0.55)."
        );
        // Past the top of the scale before and after, and a reason of the
        // "already in the chain" kind.
        let iterations = log(&[
            "harshness: left as it is — the moves that answer it are already in the chain; stacking them again would double their cost.",
        ]);
        let left = left_risks(&before, &before, &decisions, &iterations);
        assert_eq!(
            left[0].why,
            "Reduced by dynamic cut at 3149 Hz, up to −7.0 dB, but it stays far past the major level; no further move was kept: the moves that answer it are already in the chain; stacking them again would double their cost."
        );
    }

    #[test]
    fn every_major_risk_left_has_a_reason() {
        let before = report(&[
            ("harshness", 0.9),
            ("mud", 0.9),
            ("dull", 0.3),
            ("vocal_masking", 0.95),
        ]);
        let after = report(&[
            ("harshness", 0.8),
            ("mud", 0.7),
            ("dull", 0.7),
            ("vocal_masking", 0.95),
            ("sub_excess", 0.3),
        ]);
        let decisions = vec![Decision {
            r#move: "dynamic_eq".into(),
            label: "dynamic cut at 310 Hz, up to −5.4 dB".into(),
            params: serde_json::json!({}),
            addresses: vec!["mud".into()],
            why: String::new(),
            trade_off: String::new(),
        }];
        let iterations = log(&[
            "vocal_masking: left as it is — the vocal sits too far back for mastering to fix",
            "dynamic cut at 310 Hz, up to −2.7 dB: mud only 0.90 → 0.80, trying the next move",
        ]);
        let left = left_risks(&before, &after, &decisions, &iterations);
        let ids: Vec<&str> = left.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(
            ids,
            ["harshness", "mud", "dull", "vocal_masking"],
            "major ones only"
        );
        let why = |id: &str| left.iter().find(|l| l.id == id).unwrap().why.clone();
        assert!(
            why("harshness").starts_with("Not reached"),
            "{}",
            why("harshness")
        );
        assert_eq!(
            why("mud"),
            "Lowered by dynamic cut at 310 Hz, up to −5.4 dB, severity 0.90 → 0.70; more of the same would cost more than it saves."
        );
        assert!(why("dull").starts_with("It appears only at the master's loudness"));
        // Past the top of the scale before and after: no "1.00 → 1.00".
        let after = report(&[("mud", 1.0)]);
        let before = report(&[("mud", 1.0)]);
        let clamped = left_risks(&before, &after, &decisions, &iterations);
        assert!(
            clamped[0]
                .why
                .starts_with("Reduced by dynamic cut at 310 Hz"),
            "{}",
            clamped[0].why
        );
        assert!(!clamped[0].why.contains("1.00 → 1.00"));
        assert_eq!(
            why("vocal_masking"),
            "Left as it is: the vocal sits too far back for mastering to fix."
        );
    }
}
