//! Screening a step's candidate moves on an excerpt around the risk's worst
//! moment, so that only the promising ones earn a whole-track trial (render +
//! full re-analysis), which alone decides. See the steps in [`super`].

use std::collections::BTreeMap;

use super::decide::{self, Move, Verdict};
use super::Raw;
use crate::audio::AudioBuffer;
use crate::chain::{self, Chain};
use crate::parallel::map_parallel;
use crate::report::Report;

/// Tracks at least this long have their candidates screened on an excerpt
/// first, seconds (below it a whole-track trial costs little more than one
/// on an excerpt).
pub const SCREEN_MIN_S: f64 = 45.0;

/// Length of the screening excerpt, seconds: long enough for short-term
/// loudness (3 s windows), the limiter simulation and a stable spectrum.
pub const SCREEN_EXCERPT_S: f64 = 20.0;

/// The outcome of screening a step's candidates on an excerpt.
pub(super) struct Screening {
    /// Indices into the candidates, in the order to judge them on the whole
    /// track: predicted sufficient ones (least destructive first), then the
    /// single most promising partial one.
    pub(super) order: Vec<usize>,
    /// Log lines for the candidates not taken to the whole track (and for
    /// the one a re-sized move goes before).
    pub(super) screened_out: Vec<String>,
    /// The excerpt, seconds.
    pub(super) excerpt: [f64; 2],
    /// A move re-sized from the candidates' measured response (see
    /// [`decide::resize`]), when it screened better than any of them; it is
    /// the candidate after the last one (index `cands.len()` in `order`).
    pub(super) resized: Option<decide::Resized>,
    /// Judged on the whole track only if nothing in `order` is kept: the
    /// best partial candidate when a re-sized move goes first, then the
    /// other partial ones, best first. The excerpt is the risk's worst
    /// moment, where a dynamic move acts most: it can screen better there
    /// than a static one that does more over the whole track, so a move
    /// that helped on the excerpt is not dropped unjudged because the one
    /// ranked above it failed on the whole track.
    pub(super) fallback: Vec<usize>,
}

/// Screens `cands` on an excerpt of `audio` around the risk's worst moment:
/// each candidate is rendered and analysed there only, and judged against the
/// excerpt as it is with the same rule as on the whole track. The whole-track
/// trial (render + full re-analysis) still decides: screening only chooses
/// which candidates earn one, so a step costs about one full analysis instead
/// of one per candidate; a step whose every candidate fails on the excerpt
/// gets no whole-track trial at all. `None` for short tracks, or with a
/// single candidate.
pub(super) fn screen(
    risk: &crate::risks::Risk,
    cands: &[Move],
    audio: &AudioBuffer,
    analyse: &(impl Fn(&AudioBuffer) -> (Report, Raw) + Sync),
    width: usize,
) -> Option<Screening> {
    let duration = audio.duration_s();
    if duration < SCREEN_MIN_S || cands.len() < 2 {
        return None;
    }
    // Centred on the middle of the worst range (or of the track).
    let centre = risk
        .time_ranges_s
        .first()
        .map_or(duration / 2.0, |r| 0.5 * (r[0] + r[1]));
    let start = (centre - SCREEN_EXCERPT_S / 2.0).clamp(0.0, duration - SCREEN_EXCERPT_S);
    let rate = f64::from(audio.sample_rate);
    let (a, b) = (
        (start * rate) as usize,
        (((start + SCREEN_EXCERPT_S) * rate) as usize).min(audio.frames()),
    );
    let excerpt = AudioBuffer {
        sample_rate: audio.sample_rate,
        channels: audio.channels.iter().map(|c| c[a..b].to_vec()).collect(),
    };
    let here = decide::severities(&analyse(&excerpt).0);
    // The severities after one candidate on the excerpt.
    let on_excerpt = |c: &Move| {
        chain::render(&Chain::new(vec![c.module.clone()]), &excerpt)
            .ok()
            .map(|out| decide::severities(&analyse(&out).0))
    };
    let trials: Vec<Option<BTreeMap<String, f64>>> = cands
        .chunks(width.max(1))
        .flat_map(|batch| map_parallel(batch, &on_excerpt))
        .collect();
    let when = crate::units::time_range(start, start + SCREEN_EXCERPT_S);
    let sb = here.get(&risk.id).copied().unwrap_or(0.0);
    let mut order = Vec::new();
    let mut best_partial: Option<(usize, f64)> = None;
    let mut partials: Vec<(usize, f64)> = Vec::new();
    let mut out = Vec::new();
    let mut resize_out = None;
    let mut resize_note = None;
    for (i, t) in trials.iter().enumerate() {
        let Some(t) = t else { continue };
        let sa = t.get(&risk.id).copied().unwrap_or(0.0);
        match decide::judge(&risk.id, &cands[i].module, &here, t) {
            Verdict::Sufficient => order.push(i),
            Verdict::Partial => {
                if best_partial.is_none_or(|(_, s)| sa < s) {
                    best_partial = Some((i, sa));
                }
                partials.push((i, sa));
            }
            Verdict::Rejected(why) => out.push((i, format!("{why} on {when}"))),
        }
    }
    // No candidate halves the risk here: the best partial one's move is
    // re-sized from how the risk answered the amounts tried, screened too,
    // and judged on the whole track instead when it does better — one step
    // rather than two stacked moves.
    let mut resized = None;
    if let (true, Some((i, sa))) = (order.is_empty(), best_partial) {
        let after: Vec<Option<f64>> = trials
            .iter()
            .map(|t| t.as_ref().map(|t| t.get(&risk.id).copied().unwrap_or(0.0)))
            .collect();
        if let Some(r) = decide::resize(cands, &after, i, sb, risk.level) {
            let t = on_excerpt(&r.candidate);
            let label = r.candidate.label.clone();
            if let Some(t) = t {
                let sr = t.get(&risk.id).copied().unwrap_or(0.0);
                match decide::judge(&risk.id, &r.candidate.module, &here, &t) {
                    Verdict::Rejected(why) => {
                        resize_out = Some(format!("{label}: screened out — {why} on {when}"));
                    }
                    _ if sr < sa => {
                        resize_note = Some(format!(
                            "{}: {} only {sb:.2} → {sa:.2} on {when}; re-sized to {label} ({sr:.2} there), judged first",
                            cands[i].label, risk.id
                        ));
                        order.push(cands.len());
                        resized = Some(r);
                    }
                    _ => {}
                }
            }
        }
    }
    // The best partial candidate is judged whole after a re-sized move only
    // if that one fails there.
    let mut fallback = Vec::new();
    if let Some((i, _)) = best_partial {
        if resized.is_some() {
            fallback.push(i);
        } else {
            order.push(i);
        }
        partials.sort_by(|a, b| a.1.total_cmp(&b.1));
        fallback.extend(partials.iter().map(|p| p.0).filter(|&j| j != i));
    }
    // Nothing promising: no whole-track trial, the log says why each failed
    // here — unless the excerpt hardly shows the risk (then it is no fair
    // test, and the least destructive move is judged on the whole track).
    if order.is_empty() && sb < 0.5 * risk.severity {
        order.push(0);
    }
    for (i, t) in trials.iter().enumerate() {
        if order.contains(&i) || fallback.contains(&i) || out.iter().any(|(j, _)| *j == i) {
            continue;
        }
        let sa = t
            .as_ref()
            .and_then(|t| t.get(&risk.id).copied())
            .unwrap_or(sb);
        out.push((
            i,
            format!(
                "{} only {sb:.2} → {sa:.2} on {when}, a better move was judged first",
                risk.id
            ),
        ));
    }
    out.sort_by_key(|(i, _)| *i);
    Some(Screening {
        screened_out: out
            .into_iter()
            .filter(|(i, _)| !order.contains(i))
            .map(|(i, why)| format!("{}: screened out — {why}", cands[i].label))
            .chain(resize_note)
            .chain(resize_out)
            .collect(),
        order,
        fallback,
        excerpt: [start, start + SCREEN_EXCERPT_S],
        resized,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Raw;
    use super::*;
    use crate::chain::Module;

    /// A report whose only risk is `mud` at `severity`.
    fn report(severity: f64) -> Report {
        let silence = AudioBuffer {
            sample_rate: 8000,
            channels: vec![vec![0.0; 8000]; 2],
        };
        let mut r = crate::report::analyze(
            &silence,
            &crate::report::Source::pcm("x"),
            &crate::measure::AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        r.risks = vec![crate::risks::make(
            "mud",
            severity,
            "",
            String::new(),
            vec![[20.0, 40.0]],
            None,
            &[],
            Vec::new(),
        )];
        r
    }

    fn gain(db: f64) -> Move {
        Move {
            module: Module::Gain { gain_db: db },
            kind: "gain",
            label: format!("gain {db} dB"),
            addresses: vec!["mud".into()],
            why: String::new(),
            trade_off: String::new(),
        }
    }

    /// Every candidate that helped on the excerpt without halving the risk
    /// stays a candidate for the whole track: the best is judged first, the
    /// others (best first) if it fails there. Before, the others were
    /// dropped unjudged, so a long track could be left untouched where a
    /// short one — every candidate judged whole — got a move.
    #[test]
    fn every_move_that_helped_on_the_excerpt_can_still_be_judged_whole() {
        let audio = AudioBuffer {
            sample_rate: 8000,
            channels: vec![vec![0.5; 8000 * 60]; 2],
        };
        // The risk follows the level: 0.8 at the track's own.
        let analyse = |a: &AudioBuffer| {
            let x = f64::from(a.channels[0][a.frames() / 2]);
            let raw = Raw {
                integrated_lufs: None,
                true_peak_dbtp: 0.0,
                limited_lufs: None,
            };
            (report(0.8 * (x / 0.5).powi(2)), raw)
        };
        let risk = &report(0.8).risks[0];
        // −0.5, −2 and −1 dB: each lowers it, none halves it.
        let cands = [gain(-0.5), gain(-2.0), gain(-1.0)];
        let s = screen(risk, &cands, &audio, &analyse, 2).unwrap();
        assert_eq!(s.order, vec![1]);
        assert_eq!(s.fallback, vec![2, 0]);
        assert!(s.screened_out.is_empty(), "{:?}", s.screened_out);
    }
}
