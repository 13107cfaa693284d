//! The risk-driven loop (step 2 in [`super`]): take the highest-priority risk
//! still `minor` or worse that a move can answer, try its candidate moves
//! least destructive first (screened on an excerpt on long tracks), keep the
//! best one only if the whole track, re-analysed, says its risk dropped and no
//! other risk rose a level; otherwise leave the risk and say why.

use std::collections::BTreeMap;

use super::decide::{self, Context, Move, Verdict, LATE_RISKS};
use super::intent::Character;
use super::screening::{screen, Screening};
use super::track::Track;
use super::{decision, severity_summary, Raw, MAX_MOVES_PER_RISK, MAX_STEPS};
use crate::audio::{AudioBuffer, Samples};
use crate::chain::Chain;
use crate::error::Result;
use crate::parallel::map_parallel;
use crate::progress::Stage;
use crate::report::{Decision, Iteration, Report, StereoInfo};
use crate::risks::{Level, Risk};

/// The track with the moves kept so far, and what was decided on the way.
pub(super) struct Corrected<'a> {
    pub(super) decisions: Vec<Decision>,
    pub(super) iterations: Vec<Iteration>,
    /// The input through the kept moves (the input itself until one is).
    pub(super) track: Track<'a>,
    /// Its analysis, and the unrounded figures of that analysis.
    pub(super) report: Report,
    pub(super) raw: Raw,
    /// The input's stereo measures ([`decide::Context::input_stereo`]).
    pub(super) input_stereo: StereoInfo,
}

impl<'a> Corrected<'a> {
    /// Nothing kept yet: the input and its analysis (iteration 0); `hold`:
    /// whether the track's samples are held (see [`Track`]).
    pub(super) fn start(
        input: Samples<'a>,
        hold: bool,
        before: &Report,
        before_sev: &BTreeMap<String, f64>,
        raw: Raw,
    ) -> Self {
        Self {
            decisions: Vec::new(),
            iterations: vec![Iteration {
                step: 0,
                risk_severity: severity_summary(before_sev),
                accepted: Vec::new(),
                rejected: Vec::new(),
            }],
            track: Track::new(input, hold),
            report: before.clone(),
            raw,
            input_stereo: before.stereo.clone(),
        }
    }
}

/// A candidate's whole-track trial: its render (`None` once let go: a
/// partial improvement kept aside lets its copy of the track go before
/// another candidate is rendered, and is rendered again if it is kept; with
/// no trial after it, its render is kept), that render's analysis and the
/// risk's severity after it.
type Trial = (Option<AudioBuffer>, (Report, Raw), f64);

/// How a step's candidates fared on the whole track.
struct Judged {
    /// The candidates, with a re-sized move appended when one was made.
    cands: Vec<Move>,
    /// The kept candidate (index into `cands`) and its trial.
    best: Option<(usize, Trial)>,
    /// Whether the kept candidate halved the risk.
    sufficient: bool,
    /// The re-sized move's label and whether it is at its size limit.
    resized: Option<(String, bool)>,
    /// The screening excerpt, seconds, when the candidates were screened.
    screened_on: Option<[f64; 2]>,
}

/// Runs the loop over `state` ([`MAX_STEPS`] steps at most).
pub(super) fn correct(
    state: &mut Corrected<'_>,
    character: Character,
    analyse: &(impl Fn(&AudioBuffer) -> (Report, Raw) + Sync),
    width: usize,
    progress: &mut impl FnMut(Stage, f64),
) -> Result<()> {
    // Risks visited (one entry per visit) and risks finished with.
    let mut settled: Vec<String> = Vec::new();
    let mut done: Vec<String> = Vec::new();
    let mut pending: Option<String> = None;
    let mut entry_level: BTreeMap<String, Level> = BTreeMap::new();
    for step in 1..=MAX_STEPS {
        progress(
            Stage::Decide,
            0.15 + 0.5 * (step - 1) as f64 / MAX_STEPS as f64,
        );
        let Some(mut risk) = next_risk(&state.report, pending.take(), &done) else {
            break;
        };
        // A risk keeps the level it was first visited at: a major risk that a
        // first move took to minor is still corrected, not merely touched.
        let first = *entry_level.entry(risk.id.clone()).or_insert(risk.level);
        risk.level = risk.level.max(first);
        // A risk is visited again only after a partial improvement.
        let visits = settled.iter().filter(|id| **id == risk.id).count() + 1;
        let kept = state.track.modules();
        // The track's samples (rendered now when they are not held) serve
        // the candidates and their screening, and go before any whole-track
        // trial is rendered.
        let (cands, repeats, screening) = {
            let audio = state.track.audio()?;
            let proposed = decide::candidates(
                &risk,
                &Context {
                    audio: &audio,
                    report: &state.report,
                    input_stereo: &state.input_stereo,
                    character,
                },
            );
            // A move already kept is not stacked again as it is (the same
            // module twice doubles its cost for a second, smaller gain; a
            // re-sized move has another amount, so another label).
            let repeats = proposed.len();
            let cands: Vec<Move> = proposed
                .into_iter()
                .filter(|c| !state.decisions.iter().any(|d| d.label == c.label))
                .filter_map(|c| decide::within_budget(c, &kept, risk.level))
                .collect();
            let repeats = repeats - cands.len();
            let screening = if cands.is_empty() {
                None
            } else {
                screen(&risk, &cands, &audio, analyse, width)
            };
            (cands, repeats, screening)
        };
        let mut it = Iteration {
            step: step as u32,
            risk_severity: BTreeMap::new(),
            accepted: Vec::new(),
            rejected: Vec::new(),
        };
        settled.push(risk.id.clone());
        let finished = if cands.is_empty() {
            let not_here =
                decide::left_at_level_reason(&risk).or(decide::not_addressable_reason(&risk.id));
            let why = match (repeats, not_here) {
                (0, Some(why)) => why,
                (0, None) => {
                    "No processing move answers this risk without costing more than it saves."
                }
                _ => "the moves that answer it are already in the chain; stacking them again would double their cost.",
            };
            it.rejected
                .push(format!("{}: left as it is — {why}", risk.id));
            true
        } else {
            let cur_sev = decide::severities(&state.report);
            let judged = judge_candidates(
                &risk,
                cands,
                screening,
                state,
                &cur_sev,
                character.max_limiter_tonal_change_db(),
                analyse,
                width,
                &mut it,
            );
            let sb = cur_sev.get(&risk.id).copied().unwrap_or(0.0);
            keep(state, judged, &risk, sb, visits, &mut it)?
        };
        if finished {
            done.push(risk.id.clone());
        } else {
            pending = Some(risk.id.clone());
        }
        it.risk_severity = severity_summary(&decide::severities(&state.report));
        state.iterations.push(it);
    }
    Ok(())
}

/// The risk to work on: after a partial improvement the same one again (even
/// if it is now below minor, so a move can be re-sized on the re-analysed
/// track), else the first one still minor or worse that the loop owns, the
/// [`LATE_RISKS`] last.
fn next_risk(current: &Report, pending: Option<String>, done: &[String]) -> Option<Risk> {
    let continued = pending.and_then(|id| current.risks.iter().find(|r| r.id == id).cloned());
    let open = |late: bool| {
        current
            .risks
            .iter()
            .find(|r| {
                r.level >= Level::Minor
                    && !done.contains(&r.id)
                    && !decide::FINAL_STAGE_RISKS.contains(&r.id.as_str())
                    && LATE_RISKS.contains(&r.id.as_str()) == late
            })
            .cloned()
    };
    continued.or_else(|| open(false)).or_else(|| open(true))
}

/// Judges `cands` on the whole track: on a long track they were first
/// screened on an excerpt around the risk's worst moment (`screening`, see
/// [`screen`]) and only the promising ones get a whole-track trial; the rest
/// are judged in order until one halves the risk. A move meant for a few
/// peaks that moved an octave's share by more than `tonal_bound_db` away
/// from the risk's own moments is turned down ([`decide::tonal_veto`]).
/// Log lines go to `it`.
#[allow(clippy::too_many_arguments)]
fn judge_candidates(
    risk: &Risk,
    mut cands: Vec<Move>,
    screening: Option<Screening>,
    state: &Corrected<'_>,
    cur_sev: &BTreeMap<String, f64>,
    tonal_bound_db: f64,
    analyse: &(impl Fn(&AudioBuffer) -> (Report, Raw) + Sync),
    width: usize,
    it: &mut Iteration,
) -> Judged {
    let sb = cur_sev.get(&risk.id).copied().unwrap_or(0.0);
    let verdict =
        |cand: &Move, trial: &Report, trial_sev: &BTreeMap<String, f64>| match decide::judge(
            &risk.id,
            &cand.module,
            cur_sev,
            trial_sev,
        ) {
            Verdict::Rejected(why) => Verdict::Rejected(why),
            v => decide::tonal_veto(
                &cand.module,
                &state.report,
                trial,
                tonal_bound_db,
                &risk.time_ranges_s,
            )
            .map_or(v, Verdict::Rejected),
        };
    let mut fallback = Vec::new();
    let mut resized: Option<(String, bool)> = None;
    let kept = state.track.modules();
    let (order, screened_on) = match screening {
        Some(s) => {
            it.rejected.extend(s.screened_out);
            fallback.extend(s.fallback);
            if let Some(r) = s.resized.and_then(|r| {
                let at_limit = r.at_limit;
                decide::within_budget(r.candidate, &kept, risk.level).map(|c| (c, at_limit))
            }) {
                resized = Some((r.0.label.clone(), r.1));
                cands.push(r.0);
            }
            (s.order, Some(s.excerpt))
        }
        None => ((0..cands.len()).collect(), None),
    };
    // A trial's render is kept until it is decided on only when the track
    // holds its samples (it becomes them if kept); otherwise it goes once
    // analysed, and a kept move's track is made again when needed.
    let holding = state.track.keeps_renders();
    let trial_of = |cand: &Move| {
        let one = Chain::new(vec![cand.module.clone()]);
        state.track.render_with(&one).ok().map(|a| {
            let r = analyse(&a);
            (holding.then_some(a), r)
        })
    };
    // The risk's severity after each candidate judged on the whole track.
    let mut tried: Vec<Option<f64>> = vec![None; cands.len()];
    let (mut best, mut sufficient) = judge_in_order(
        risk,
        &cands,
        [order.as_slice(), fallback.as_slice()],
        &trial_of,
        &verdict,
        sb,
        width,
        &mut tried,
        it,
    );
    // A short track is not screened: when every whole-track trial was
    // partial, the best move is re-sized from those trials (as screening
    // does on an excerpt) and judged whole too.
    if let (false, None, Some((bi, (_, _, best_sa)))) = (sufficient, screened_on, &best) {
        let r = decide::resize(&cands, &tried, *bi, sb, risk.level).and_then(|r| {
            let at_limit = r.at_limit;
            decide::within_budget(r.candidate, &kept, risk.level).map(|c| (c, at_limit))
        });
        if let Some((candidate, at_limit)) = r {
            let i = cands.len();
            let best_sa = *best_sa;
            cands.push(candidate);
            // The best trial's render goes before the re-sized one is made.
            if let Some(b) = best.as_mut() {
                b.1 .0 = None;
            }
            if let Some((audio, trial)) = trial_of(&cands[i]) {
                let trial_sev = decide::severities(&trial.0);
                let sa = trial_sev.get(&risk.id).copied().unwrap_or(0.0);
                match verdict(&cands[i], &trial.0, &trial_sev) {
                    Verdict::Rejected(why) => {
                        it.rejected.push(format!("{}: {why}", cands[i].label))
                    }
                    v if sa < best_sa => {
                        sufficient = v == Verdict::Sufficient;
                        resized = Some((cands[i].label.clone(), at_limit));
                        best = Some((i, (audio, trial, sa)));
                    }
                    _ => it.rejected.push(format!(
                        "{}: {} only {sb:.2} → {sa:.2}, no better than the move it re-sizes",
                        cands[i].label, risk.id
                    )),
                }
            }
        }
    }
    Judged {
        cands,
        best,
        sufficient,
        resized,
        screened_on,
    }
}

/// Judges the candidates of `passes` in order on the whole track, stopping at
/// the first that halves the risk; the second pass (the fallback) runs only
/// if nothing in the first was kept. Candidates are independent (each is one
/// module over the same audio): they are rendered and analysed `width` at a
/// time and their verdicts taken in order, so the choice is exactly the
/// sequential one. Returns the best trial and whether it was sufficient.
#[allow(clippy::too_many_arguments)]
fn judge_in_order(
    risk: &Risk,
    cands: &[Move],
    passes: [&[usize]; 2],
    trial_of: &(impl Fn(&Move) -> Option<(Option<AudioBuffer>, (Report, Raw))> + Sync),
    verdict: &impl Fn(&Move, &Report, &BTreeMap<String, f64>) -> Verdict,
    sb: f64,
    width: usize,
    tried: &mut [Option<f64>],
    it: &mut Iteration,
) -> (Option<(usize, Trial)>, bool) {
    let mut best: Option<(usize, Trial)> = None;
    for pass in passes {
        if best.is_some() {
            break;
        }
        for batch in pass.chunks(width) {
            // The best partial trial's render goes before the next ones are
            // made (one whole copy at a time beside them); when no trial
            // follows, it is kept and becomes the track if the move is.
            if let Some(b) = best.as_mut() {
                b.1 .0 = None;
            }
            let moves: Vec<&Move> = batch.iter().map(|&i| &cands[i]).collect();
            let trials = map_parallel(&moves, &|m: &&Move| trial_of(m));
            for (&i, trial) in batch.iter().zip(trials) {
                let label = &cands[i].label;
                let Some((trial_audio, trial)) = trial else {
                    it.rejected.push(format!("{label}: could not be built"));
                    continue;
                };
                let trial_sev = decide::severities(&trial.0);
                let sa = trial_sev.get(&risk.id).copied().unwrap_or(0.0);
                tried[i] = Some(sa);
                match verdict(&cands[i], &trial.0, &trial_sev) {
                    Verdict::Sufficient => return (Some((i, (trial_audio, trial, sa))), true),
                    Verdict::Partial => {
                        it.rejected.push(format!(
                            "{label}: {} only {sb:.2} → {sa:.2}, trying the next move",
                            risk.id
                        ));
                        if best.as_ref().is_none_or(|b| sa < b.1 .2) {
                            best = Some((i, (trial_audio, trial, sa)));
                        }
                    }
                    Verdict::Rejected(why) => it.rejected.push(format!("{label}: {why}")),
                }
            }
        }
    }
    (best, false)
}

/// Keeps the judged step's best move in `state` (or logs that the risk is
/// left). Returns whether the risk is finished with (else it is worked on
/// again next step, for a partial improvement).
fn keep(
    state: &mut Corrected<'_>,
    judged: Judged,
    risk: &Risk,
    sb: f64,
    visits: usize,
    it: &mut Iteration,
) -> Result<bool> {
    let Judged {
        mut cands,
        best,
        sufficient,
        resized,
        screened_on,
    } = judged;
    let Some((i, (audio, report, sa))) = best else {
        // The reason names what a move tried did (this step's lines).
        let did = super::left::telling_trial(&it.rejected)
            .map_or(String::new(), |l| format!("; tried {l}"));
        it.rejected.push(format!(
            "{}: left as it is — every move either failed to lower it or raised another risk{did}",
            risk.id
        ));
        return Ok(true);
    };
    let m = cands.swap_remove(i);
    // A partial improvement is kept only if nothing better was found.
    it.rejected
        .retain(|r| !r.starts_with(&format!("{}:", m.label)));
    let was_resized = resized.as_ref().filter(|(label, _)| *label == m.label);
    let at_limit = was_resized.is_some_and(|(_, at)| *at);
    it.accepted.push(format!(
        "{} ({} {sb:.2} → {sa:.2}{}{}{})",
        m.label,
        risk.id,
        if sufficient { "" } else { ", partial" },
        how_sized(screened_on, was_resized.is_some()),
        if sufficient {
            ""
        } else if risk.level < Level::Major {
            "; a minor risk gets one touch, the rest is left"
        } else if at_limit {
            "; at the largest size allowed for this move, the rest is left"
        } else {
            ""
        }
    ));
    state.decisions.push(decision(
        &m,
        state.track.modules().len(),
        state.report.loudness.true_peak_dbtp,
    ));
    // A partial improvement that let its render go (see [`Trial`]): the
    // same module over the same track renders the same samples again.
    state.track.keep(Chain::new(vec![m.module]), audio)?;
    (state.report, state.raw) = report;
    // A risk at minor is within the spread of finished records: one touch
    // ([`decide::proportionate`]), never a stack of them.
    Ok(sufficient || at_limit || visits >= MAX_MOVES_PER_RISK || risk.level < Level::Major)
}

/// The log's note on where a kept move was tried and how it was sized.
fn how_sized(screened_on: Option<[f64; 2]>, resized: bool) -> String {
    match (screened_on, resized) {
        (Some([a, b]), resized) => format!(
            "; screened on {} first{}",
            crate::units::time_range(a, b),
            if resized {
                ", sized from how the risk answered the moves tried there"
            } else {
                ""
            }
        ),
        (None, true) => "; sized from how the risk answered the moves tried".into(),
        (None, false) => String::new(),
    }
}
