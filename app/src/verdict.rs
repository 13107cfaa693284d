//! What the master did about one risk, for its card: the moves that answer
//! it with their trade-offs, or why no move was taken, and the risk's level
//! after mastering. Read from the master's own report (its decisions, the
//! risks it leaves with their reasons, the decide loop's log and the
//! analysis of the master), so the card says what the engine decided and
//! never guesses. Pure: unit-tested natively.

use dsp_wasm::report::{Level, MasterReport};

use crate::model::capitalise;

/// One move that answers the risk.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The move with its amount, as the decisions list names it.
    pub label: String,
    /// What it costs ("" when nothing).
    pub trade_off: String,
}

/// The master's verdict on one risk.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The moves that answer it, in the chain's order (none: see `why_none`).
    pub answers: Vec<Answer>,
    /// Why no move answers it, when none does.
    pub why_none: Option<String>,
    /// Its level in the master's analysis (`None`: no longer read at all).
    pub after: Option<Level>,
}

/// The verdict of `master` on the risk `id`.
pub fn of(master: &MasterReport, id: &str) -> Verdict {
    let answers: Vec<Answer> = master
        .decisions
        .iter()
        .filter(|d| d.addresses.iter().any(|a| a == id))
        .map(|d| Answer {
            label: if d.label.is_empty() {
                d.r#move.replace('_', " ")
            } else {
                d.label.clone()
            },
            trade_off: d.trade_off.clone(),
        })
        .collect();
    let after = master
        .after
        .risks
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.level);
    let why_none = answers.is_empty().then(|| why_none(master, id, after));
    Verdict {
        answers,
        why_none,
        after,
    }
}

/// Why the master took no move for `id`, most specific first: the reason it
/// gives for a risk it leaves major, the decide loop's own reason, a risk
/// the other moves cleared, a reading within the spread of finished records.
fn why_none(master: &MasterReport, id: &str, after: Option<Level>) -> String {
    if let Some(left) = master.left.iter().find(|l| l.id == id) {
        return left.why.clone();
    }
    let prefix = format!("{id}: left as it is — ");
    let told = master
        .iterations
        .iter()
        .flat_map(|it| &it.rejected)
        .find_map(|line| line.strip_prefix(prefix.as_str()));
    if let Some(why) = told {
        return dsp_wasm::risks::with_reason("No move", why);
    }
    let before = master
        .before
        .risks
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.level);
    match (before, after) {
        (Some(b), a) if a.is_none_or(|a| a < b) => match a {
            None => "No move of its own: the other moves cleared it.".into(),
            Some(a) => format!(
                "No move of its own: the other moves took it down to {}.",
                a.word()
            ),
        },
        (Some(Level::Info), _) => {
            "No move: a reading within the spread of finished records, not a risk.".into()
        }
        _ => "No move: a touch for it would have cost more than it saves.".into(),
    }
}

// A move's label, its amount and whether it is a second pass of an earlier
// move: the engine's words, shared with the command line's summary.
pub use dsp_wasm::report::labels::{pass_amount, second_pass, split_label};

/// The verdict as one line for the card's heading ("Answered by …", "Left
/// as it is: …"). A move stacked on an earlier one of the same kind at the
/// same place is told as its second pass ("…, then a second pass, up to
/// −6.1 dB"), not named again in full.
pub fn headline(v: &Verdict) -> String {
    match (&v.why_none, v.answers.as_slice()) {
        (Some(why), _) => capitalise(why),
        (None, answers) => {
            let labels: Vec<&str> = answers.iter().map(|a| a.label.as_str()).collect();
            let told: Vec<String> = labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if second_pass(l, labels[..i].iter().copied()) {
                        format!("a second pass{}", pass_amount(l))
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            format!("Answered by {}", told.join(", then "))
        }
    }
}

/// What the answers cost, each trade-off once, in the answers' order (two
/// moves of one kind — a cut and a second one stacked on it — cost the same
/// thing, and the card says it once).
pub fn trade_offs(v: &Verdict) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for a in &v.answers {
        let t = a.trade_off.as_str();
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trade_off_shared_by_two_moves_is_said_once() {
        let answer = |label: &str, trade_off: &str| Answer {
            label: label.into(),
            trade_off: trade_off.into(),
        };
        let v = Verdict {
            answers: vec![
                answer("dynamic cut at 4472 Hz, up to −9.4 dB", "Some presence."),
                answer("bell 4472 Hz -2.0 dB", ""),
                answer("dynamic cut at 4472 Hz, up to −6.1 dB", "Some presence."),
                answer("de-esser", "Some bite."),
            ],
            why_none: None,
            after: None,
        };
        assert_eq!(trade_offs(&v), ["Some presence.", "Some bite."]);
        assert_eq!(
            headline(&v),
            "Answered by dynamic cut at 4472 Hz, up to −9.4 dB, then bell 4472 Hz -2.0 dB, \
             then a second pass, up to −6.1 dB, then de-esser"
        );
    }

    #[test]
    fn a_move_stacked_on_the_same_move_is_its_second_pass() {
        let de_ess = "de-esser 4.0–12 kHz: bursts 23.9 dB over the balance cut towards 3 dB, at most −18.9 dB";
        let again = "de-esser 4.0–12 kHz: bursts 16.4 dB over the balance cut towards 3 dB, at most −5.1 dB";
        assert!(second_pass(again, [de_ess].into_iter()));
        assert_eq!(
            split_label(again).1,
            ": bursts 16.4 dB over the balance cut towards 3 dB, at most −5.1 dB"
        );
        // Told by its amount alone: "…, then a second pass, at most −5.1 dB".
        assert_eq!(pass_amount(again), ", at most −5.1 dB");
        assert_eq!(
            pass_amount("dynamic cut at 4472 Hz, up to −6.1 dB"),
            ", up to −6.1 dB"
        );
        assert_eq!(pass_amount("x 1 kHz: −2.0 dB"), ": −2.0 dB");
        assert!(!second_pass(
            "dynamic cut at 310 Hz, up to −2.0 dB",
            ["dynamic cut at 4472 Hz, up to −9.4 dB"].into_iter()
        ));
        assert!(!second_pass(
            "bell 274 Hz -1.0 dB",
            ["bell 274 Hz -2.0 dB"].into_iter()
        ));
        assert!(!second_pass(de_ess, std::iter::empty()));
    }
    use dsp_wasm::audio::AudioBuffer;
    use dsp_wasm::master::MasterOptions;
    use dsp_wasm::report::{Decision, Iteration, LeftRisk, Report};
    use dsp_wasm::risks::Risk;

    fn risk(report: &mut Report, id: &str, level: Level) {
        report.risks.push(Risk {
            id: id.into(),
            severity: 0.5,
            unclamped_severity: 0.5,
            level,
            title: String::new(),
            explanation: String::new(),
            time_ranges_s: Vec::new(),
            band_hz: None,
            systems: Vec::new(),
            evidence: Default::default(),
        });
    }

    /// A real master (the engine's report types, not hand-made JSON) of
    /// three seconds of a tone, emptied of risks and moves, then filled in
    /// by each case.
    fn master() -> MasterReport {
        let sr = 44_100u32;
        let tone: Vec<f32> = (0..sr as usize * 3)
            .map(|i| 0.3 * (std::f32::consts::TAU * 220.0 * i as f32 / sr as f32).sin())
            .collect();
        let audio = AudioBuffer {
            sample_rate: sr,
            channels: vec![tone.clone(), tone],
        };
        let mut m = dsp_wasm::master::master(&audio, &MasterOptions::default(), None, |_, _| {})
            .expect("a tone masters")
            .report;
        m.decisions.clear();
        m.left.clear();
        m.iterations.clear();
        m.before.risks.clear();
        m.after.risks.clear();
        m
    }

    fn decision(label: &str, addresses: &[&str], trade_off: &str) -> Decision {
        Decision {
            r#move: "eq".into(),
            label: label.into(),
            params: serde_json::json!({}),
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
            why: String::new(),
            trade_off: trade_off.into(),
        }
    }

    #[test]
    fn the_moves_that_answer_a_risk_are_named_in_order_with_their_cost() {
        let mut m = master();
        risk(&mut m.before, "mud", Level::Major);
        risk(&mut m.after, "mud", Level::Minor);
        m.decisions = vec![
            decision(
                "dynamic cut at 250 Hz, up to −3.0 dB",
                &["mud"],
                "Some warmth.",
            ),
            decision("high shelf 9 kHz +2.0 dB", &["dull"], "Hiss."),
            decision("bell 250 Hz −1.0 dB", &["mud"], ""),
        ];
        let v = of(&m, "mud");
        assert_eq!(v.answers.len(), 2);
        assert_eq!(v.answers[0].trade_off, "Some warmth.");
        assert_eq!(v.after, Some(Level::Minor));
        assert_eq!(v.why_none, None);
        assert_eq!(
            headline(&v),
            "Answered by dynamic cut at 250 Hz, up to −3.0 dB, then bell 250 Hz −1.0 dB"
        );
    }

    #[test]
    fn a_risk_without_a_move_says_why_most_specific_first() {
        let mut m = master();
        risk(&mut m.before, "sibilance", Level::Major);
        risk(&mut m.after, "sibilance", Level::Major);
        risk(&mut m.before, "dull", Level::Major);
        risk(&mut m.after, "dull", Level::Major);
        risk(&mut m.before, "mud", Level::Minor);
        risk(&mut m.before, "harshness", Level::Info);
        risk(&mut m.after, "harshness", Level::Info);
        risk(&mut m.before, "dc_offset", Level::Minor);
        risk(&mut m.after, "dc_offset", Level::Minor);
        m.left = vec![LeftRisk {
            id: "sibilance".into(),
            level: Level::Major,
            why: "Left as it is: it is in the vocal itself.".into(),
        }];
        m.iterations = vec![Iteration {
            step: 1,
            risk_severity: Default::default(),
            accepted: vec![],
            rejected: vec![
                "high shelf 9 kHz +3.0 dB: sibilance rose".into(),
                "dull: left as it is — every move either failed to lower it or raised another risk; tried high shelf 9 kHz +1.0 dB: sibilance rose from minor to major (0.58 → 0.61)"
                    .into(),
            ],
        }];
        assert_eq!(
            headline(&of(&m, "sibilance")),
            "Left as it is: it is in the vocal itself."
        );
        assert_eq!(
            headline(&of(&m, "dull")),
            "No move: every move either failed to lower it or raised another risk; tried high shelf 9 kHz +1.0 dB: “Spitting \"s\" sounds” rose from minor to major (0.58 → 0.61)."
        );
        let mud = of(&m, "mud");
        assert_eq!(mud.after, None);
        assert_eq!(
            headline(&mud),
            "No move of its own: the other moves cleared it."
        );
        assert!(headline(&of(&m, "harshness")).contains("not a risk"));
        assert!(headline(&of(&m, "dc_offset")).contains("cost more than it saves"));
    }
}
