//! Mastering: the decide → render → re-analyse loop, the final loudness
//! stage, and export — the `preflight.master/1` document.
//!
//! "Controlled processing → translation testing → final validation":
//!
//! 1. Analyse the input at the user's target and ceiling ([`crate::report::analyze`]
//!    simulates the limiter at the target, so risks that only appear under
//!    loudness are seen before anything is done).
//! 2. Loop ([`MAX_STEPS`] at most): take the highest-priority risk still
//!    `minor` or worse that a module can answer; try its moves least
//!    destructive first ([`crate::master::decide`]); render each candidate over the
//!    whole track, analyse the whole track again, keep it only if its risk
//!    dropped and no other risk rose a level. A risk no move helps is left,
//!    and the report says why. A mix with no such risk gets no corrective move.
//!    On tracks of [`SCREEN_MIN_S`] or more, the candidates are first tried on
//!    a [`SCREEN_EXCERPT_S`] excerpt around the risk's worst moment; only the
//!    promising ones get the whole-track trial, which alone decides (the log
//!    names what was screened out and why). When no candidate halves the
//!    risk there, the best partial move is re-sized from how the risk
//!    answered the amounts tried ([`decide::resize`], bounded) and screened
//!    too: one right-sized move instead of two stacked ones. A short track's
//!    whole-track trials serve the same way: when all are partial, the
//!    re-sized move gets a whole-track trial of its own.
//! 3. With a reference track: bounded corrections (±3 dB) of the smoothed
//!    octave-band difference, Matchering-style, but each judged by the same
//!    loop rule, and the reference's loudness as target unless one was given.
//! 4. Loudness, last: a gain to the target and, only when the peaks need it,
//!    the true-peak limiter. An over-compressed mix is not pushed louder than
//!    it is ("not louder, but controlled"); limiting is capped per character,
//!    and when the target cannot be reached within that the report says so.
//! 5. Render at the delivery rate (the limiter runs at that rate, so its
//!    ceiling holds in the file), quantise (16-bit: TPDF dither), verify the
//!    true peak of exactly what is written with the 4× meter, and analyse it.

pub mod decide;
pub mod intent;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::json;

use crate::audio::AudioBuffer;
use crate::chain::{self, Chain, FilterKind, Module, StereoTarget};
use crate::dsp::limiter::{DEFAULT_LOOKAHEAD_MS, SAFETY_MARGIN_DB};
use crate::error::{Error, Result};
use crate::io::export;
use crate::io::resample;
use crate::io::wav::SampleFormat;
use crate::measure::loudness;
use crate::measure::octave_bands;
use crate::measure::true_peak;
use crate::measure::{AnalysisOptions, Measurements};
use crate::parallel::{join, map_parallel};
use crate::progress::Stage;
use crate::report::{analyze, Source};
use crate::report::{Decision, Iteration, Level, MasterReport, Report, MASTER_SCHEMA};
use crate::units::to_db;
use decide::{Context, Move, Verdict};
use intent::MasterIntent;

/// Most corrective steps (one risk each) before loudness is set.
pub const MAX_STEPS: usize = 10;

/// Most moves kept for one risk (a partial improvement may be followed by a
/// second, re-sized move on the re-analysed track).
pub const MAX_MOVES_PER_RISK: usize = 2;

/// Loudness is aimed this close to the target, LU (the contract allows 0.5).
pub const LOUDNESS_TOLERANCE_LU: f64 = 0.05;

/// Peak reduction allowed for an over-compressed or clipped mix, dB: none
/// beyond what inter-sample safety needs.
pub const HELD_PEAK_REDUCTION_DB: f64 = 0.5;

/// Short-term PSR (dB) at or under which the input itself counts as
/// over-compressed (the `overcompressed` detector's minor anchor).
pub const OWN_PSR_OVERCOMPRESSED_DB: f64 = 8.0;

/// Largest reference-matching correction per band, dB.
pub const MAX_REFERENCE_CORRECTION_DB: f64 = 3.0;

/// How a master is made and delivered.
#[derive(Clone, Debug)]
pub struct MasterOptions {
    pub intent: MasterIntent,
    /// With a reference and no explicit target: aim at the reference's loudness.
    pub loudness_from_reference: bool,
    /// Delivery sample rate (`None` = the input's).
    pub output_rate: Option<u32>,
    /// Delivery word length; 16-bit is dithered.
    pub output_format: SampleFormat,
    /// Shown in the `before` report's `input` object.
    pub input_name: String,
    pub input_format: String,
    pub input_bit_depth: Option<u32>,
}

impl Default for MasterOptions {
    fn default() -> Self {
        Self {
            intent: MasterIntent::default(),
            loudness_from_reference: false,
            output_rate: None,
            output_format: SampleFormat::Int24,
            input_name: "input".into(),
            input_format: "pcm".into(),
            input_bit_depth: None,
        }
    }
}

/// A finished master: the delivered samples (on the output format's grid, at
/// the output rate) and the document.
#[derive(Clone, Debug)]
pub struct Mastered {
    pub audio: AudioBuffer,
    pub report: MasterReport,
    /// The corrective moves only (before loudness), for re-checks after scaling.
    pub corrections: Chain,
}

/// Candidates evaluated at once: two natively (the machines this runs on
/// have at least two cores; more would multiply the whole-track buffers held
/// at once), one in wasm (no threads in the browser worker).
#[cfg(not(target_arch = "wasm32"))]
pub const CANDIDATE_PARALLELISM: usize = 2;
#[cfg(target_arch = "wasm32")]
pub const CANDIDATE_PARALLELISM: usize = 1;

fn check_input(audio: &AudioBuffer) -> Result<()> {
    if !(1..=2).contains(&audio.num_channels()) {
        return Err(Error::TooManyChannels {
            channels: audio.num_channels(),
        });
    }
    if !(8_000..=192_000).contains(&audio.sample_rate) {
        return Err(Error::SampleRate {
            sample_rate: audio.sample_rate,
        });
    }
    if audio.frames() == 0 {
        return Err(Error::NoAudio);
    }
    Ok(())
}

/// `audio` with NaN/Inf replaced by silence (borrowed when it has none).
fn sanitized(audio: &AudioBuffer) -> Cow<'_, AudioBuffer> {
    if audio.channels.iter().all(|c| crate::lanes::all_finite(c)) {
        Cow::Borrowed(audio)
    } else {
        let mut a = audio.clone();
        a.sanitize();
        Cow::Owned(a)
    }
}

fn tp_dbtp(audio: &AudioBuffer) -> f64 {
    to_db(f64::from(true_peak::true_peak(&audio.as_slices())))
}

/// The unrounded figures of an analysis that the loudness stage and the
/// verification set gains from (the report's are rounded for display).
#[derive(Clone, Copy, Debug)]
struct Raw {
    integrated_lufs: Option<f64>,
    /// By the 4× meter (the maximum of the analysis' true-peak series,
    /// which is exactly [`true_peak::true_peak`]); −∞ for digital silence.
    true_peak_dbtp: f64,
    /// Integrated loudness after the analysis' simulated limiter at the target.
    limited_lufs: Option<f64>,
}

impl Raw {
    fn of(m: &Measurements) -> Self {
        Self {
            integrated_lufs: m.loudness.integrated_lufs,
            true_peak_dbtp: m.true_peak_dbtp.unwrap_or(f64::NEG_INFINITY),
            limited_lufs: m.after.as_ref().and_then(|a| a.integrated_lufs),
        }
    }
}

fn integrated(audio: &AudioBuffer) -> Option<f64> {
    loudness::measure(audio, |_| {}).integrated_lufs
}

/// The iteration log's severities: on the report's 0..1 scale.
fn severity_summary(s: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    s.iter()
        .map(|(k, v)| (k.clone(), (v.min(1.0) * 1000.0).round() / 1000.0))
        .collect()
}

fn decision(m: &Move, module_index: usize) -> Decision {
    let mut params = serde_json::to_value(&m.module).unwrap_or_else(|_| json!({}));
    if let Some(obj) = params.as_object_mut() {
        obj.insert("module_index".into(), json!(module_index));
        if let Some((name, _)) = m.module.amount() {
            obj.insert("amount_param".into(), json!(name));
        }
    }
    Decision {
        r#move: m.kind.to_string(),
        params,
        addresses: m.addresses.clone(),
        why: m.why.clone(),
        trade_off: m.trade_off.clone(),
    }
}

/// Renders `chain` over `input` and analyses the result (the re-check after
/// a user scales a move's amount, or any chain edit).
pub fn recheck(input: &AudioBuffer, chain: &Chain, options: &AnalysisOptions) -> Result<Report> {
    let out = chain::render(chain, &sanitized(input))?;
    Ok(analyze(&out, &Source::pcm("recheck"), options, |_, _| {}).report)
}

/// Masters `input` (see the module docs). `progress(stage, fraction)`.
pub fn master(
    input: &AudioBuffer,
    options: &MasterOptions,
    reference: Option<&AudioBuffer>,
    progress: impl FnMut(Stage, f64),
) -> Result<Mastered> {
    master_delivering(input, options, reference, progress, &|_| Ok(()))
}

/// [`master`], handing the delivered audio to `deliver` (e.g. writing the
/// file) while it is verified — natively on a second thread. If the
/// verification has to render again (a gain-only master gained an over from
/// resampling or dither), `deliver` is called again with the corrected
/// audio, which is also what the result holds.
pub fn master_delivering(
    input: &AudioBuffer,
    options: &MasterOptions,
    reference: Option<&AudioBuffer>,
    progress: impl FnMut(Stage, f64),
    deliver: &(dyn Fn(&AudioBuffer) -> Result<()> + Sync),
) -> Result<Mastered> {
    master_with_parallelism(
        input,
        options,
        reference,
        progress,
        CANDIDATE_PARALLELISM,
        deliver,
    )
}

/// [`master`] evaluating `width` candidates at once (1 = one after the
/// other); the result does not depend on `width`.
fn master_with_parallelism(
    input: &AudioBuffer,
    options: &MasterOptions,
    reference: Option<&AudioBuffer>,
    mut progress: impl FnMut(Stage, f64),
    width: usize,
    deliver: &(dyn Fn(&AudioBuffer) -> Result<()> + Sync),
) -> Result<Mastered> {
    let width = width.max(1);
    check_input(input)?;
    options.intent.validate()?;
    if let Some(r) = reference {
        check_input(r)?;
    }
    if let Some(rate) = options.output_rate {
        if !(8_000..=192_000).contains(&rate) {
            return Err(Error::SampleRate { sample_rate: rate });
        }
    }
    let input = sanitized(input);
    let intent = &options.intent;
    let ceiling = intent.ceiling_dbtp;
    let character = intent.character;

    // Target: the intent's, or the reference's loudness.
    let reference = reference.map(sanitized);
    let mut target_lufs = intent.target.lufs();
    let mut notes: Vec<String> = Vec::new();
    if let (Some(r), true) = (&reference, options.loudness_from_reference) {
        match integrated(r) {
            Some(l) => {
                target_lufs = l.clamp(-30.0, -5.0);
                notes.push(format!(
                    "Loudness target taken from the reference: {target_lufs:.1} LUFS"
                ));
            }
            None => notes.push("The reference is silent; the target stays at the intent's".into()),
        }
    }
    let aopts = AnalysisOptions {
        target_lufs,
        ceiling_dbtp: ceiling,
    };
    let analyse = |a: &AudioBuffer| {
        let (r, m) = analyze(a, &Source::pcm("candidate"), &aopts, |_, _| {}).into_parts();
        (r, Raw::of(&m))
    };

    progress(Stage::Analyse, 0.0);
    let source = Source::in_format(
        &options.input_name,
        &options.input_format,
        options.input_bit_depth,
    );
    let (before, before_m) = analyze(&input, &source, &aopts, |_, f| {
        progress(Stage::Analyse, 0.15 * f)
    })
    .into_parts();
    let mut current_raw = Raw::of(&before_m);
    drop(before_m);
    let before_sev = decide::severities(&before);

    let mut modules: Vec<Module> = Vec::new();
    let mut decisions: Vec<Decision> = Vec::new();
    let mut iterations = vec![Iteration {
        step: 0,
        risk_severity: severity_summary(&before_sev),
        accepted: Vec::new(),
        rejected: Vec::new(),
    }];
    // The input with the moves kept so far (the input itself until one is).
    let mut current_audio: Cow<'_, AudioBuffer> = Cow::Borrowed(&*input);
    let mut current = before.clone();
    // Risks visited (one entry per visit) and risks finished with.
    let mut settled: Vec<String> = Vec::new();
    let mut done: Vec<String> = Vec::new();
    let mut pending: Option<String> = None;

    // 2. The risk-driven loop.
    for step in 1..=MAX_STEPS {
        progress(
            Stage::Decide,
            0.15 + 0.5 * (step - 1) as f64 / MAX_STEPS as f64,
        );
        // After a partial improvement the same risk is worked on again (even
        // if it is now below minor), so a move can be re-sized on the
        // re-analysed track.
        let continued = pending
            .take()
            .and_then(|id| current.risks.iter().find(|r| r.id == id).cloned());
        let Some(risk) = continued.or_else(|| {
            current
                .risks
                .iter()
                .find(|r| {
                    r.level >= Level::Minor
                        && !done.contains(&r.id)
                        && !decide::FINAL_STAGE_RISKS.contains(&r.id.as_str())
                })
                .cloned()
        }) else {
            break;
        };
        let visits = settled.iter().filter(|id| **id == risk.id).count() + 1;
        // A risk is visited again only after a partial improvement.
        let cands = decide::candidates(
            &risk,
            &Context {
                audio: &current_audio,
                report: &current,
                character,
            },
        );
        let mut it = Iteration {
            step: step as u32,
            risk_severity: BTreeMap::new(),
            accepted: Vec::new(),
            rejected: Vec::new(),
        };
        settled.push(risk.id.clone());
        if cands.is_empty() {
            done.push(risk.id.clone());
            let why = decide::not_addressable_reason(&risk.id).unwrap_or(
                "No processing move answers this risk without costing more than it saves.",
            );
            it.rejected
                .push(format!("{}: left as it is — {why}", risk.id));
            it.risk_severity = severity_summary(&decide::severities(&current));
            iterations.push(it);
            continue;
        }
        let cur_sev = decide::severities(&current);
        let sb = cur_sev.get(&risk.id).copied().unwrap_or(0.0);
        // The kept candidate so far (index into `cands`), its render, its
        // analysis and the risk's severity after it.
        let mut best: Option<(usize, AudioBuffer, (Report, Raw), f64)> = None;
        let mut sufficient = false;
        // On a long track the candidates are first screened on an excerpt
        // around the risk's worst moment; only the promising ones are then
        // rendered and judged on the whole track (see [`screen`]).
        let mut cands = cands;
        let mut fallback = Vec::new();
        // The re-sized move, if one is judged: its label and whether it is
        // at its limit.
        let mut resized: Option<(String, bool)> = None;
        let (order, screened_on) = match screen(&risk, &cands, &current_audio, &analyse, width) {
            Some(s) => {
                it.rejected.extend(s.screened_out);
                fallback.extend(s.fallback);
                if let Some(r) = s.resized {
                    resized = Some((r.candidate.label.clone(), r.at_limit));
                    cands.push(r.candidate);
                }
                (s.order, Some(s.excerpt))
            }
            None => ((0..cands.len()).collect(), None),
        };
        // Candidates are independent (each is one module over the same
        // audio): they are rendered and analysed `CANDIDATE_PARALLELISM` at a
        // time (`width`), and their verdicts taken in order, so the choice is exactly
        // the sequential one.
        let trial_of = |cand: &Move| {
            let one = Chain::new(vec![cand.module.clone()]);
            chain::render(&one, &current_audio).ok().map(|a| {
                let r = analyse(&a);
                (a, r)
            })
        };
        // The risk's severity after each candidate judged on the whole track.
        let mut tried: Vec<Option<f64>> = vec![None; cands.len()];
        // The fallback is judged only when nothing in the order was kept.
        'candidates: for pass in [&order, &fallback] {
            if best.is_some() {
                break;
            }
            for batch in pass.chunks(width) {
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
                    match decide::judge(&risk.id, &cur_sev, &trial_sev) {
                        Verdict::Sufficient => {
                            best = Some((i, trial_audio, trial, sa));
                            sufficient = true;
                            break 'candidates;
                        }
                        Verdict::Partial => {
                            it.rejected.push(format!(
                                "{label}: {} only {sb:.2} → {sa:.2}, trying the next move",
                                risk.id
                            ));
                            if best.as_ref().is_none_or(|b| sa < b.3) {
                                best = Some((i, trial_audio, trial, sa));
                            }
                        }
                        Verdict::Rejected(why) => it.rejected.push(format!("{label}: {why}")),
                    }
                }
            }
        }
        // A short track is not screened: when every whole-track trial was
        // partial, the best move is re-sized from those trials (as screening
        // does on an excerpt) and judged whole too.
        if let (false, None, Some((bi, _, _, best_sa))) = (sufficient, screened_on, &best) {
            if let Some(r) = decide::resize(&cands, &tried, *bi, sb) {
                let i = cands.len();
                let (best_sa, at_limit) = (*best_sa, r.at_limit);
                cands.push(r.candidate);
                if let Some((audio, trial)) = trial_of(&cands[i]) {
                    let trial_sev = decide::severities(&trial.0);
                    let sa = trial_sev.get(&risk.id).copied().unwrap_or(0.0);
                    match decide::judge(&risk.id, &cur_sev, &trial_sev) {
                        Verdict::Rejected(why) => {
                            it.rejected.push(format!("{}: {why}", cands[i].label))
                        }
                        v if sa < best_sa => {
                            sufficient = v == Verdict::Sufficient;
                            resized = Some((cands[i].label.clone(), at_limit));
                            best = Some((i, audio, trial, sa));
                        }
                        _ => it.rejected.push(format!(
                            "{}: {} only {sb:.2} → {sa:.2}, no better than the move it re-sizes",
                            cands[i].label, risk.id
                        )),
                    }
                }
            }
        }
        match best {
            Some((i, audio, report, sa)) => {
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
                    match (screened_on, was_resized.is_some()) {
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
                    },
                    if at_limit && !sufficient {
                        "; at the largest size allowed for this move, the rest is left"
                    } else {
                        ""
                    }
                ));
                decisions.push(decision(&m, modules.len()));
                modules.push(m.module);
                current_audio = Cow::Owned(audio);
                (current, current_raw) = report;
                if sufficient || at_limit || visits >= MAX_MOVES_PER_RISK {
                    done.push(risk.id.clone());
                } else {
                    pending = Some(risk.id.clone());
                }
            }
            None => {
                done.push(risk.id.clone());
                it.rejected.push(format!(
                "{}: left as it is — every move either failed to lower it or raised another risk",
                risk.id
            ))
            }
        }
        it.risk_severity = severity_summary(&decide::severities(&current));
        iterations.push(it);
    }

    // 3. Reference matching through the same rule.
    if let Some(r) = &reference {
        progress(Stage::Reference, 0.65);
        match reference_move(
            &current_audio,
            &current,
            r,
            &analyse,
            character.amount_scale(),
            width,
        ) {
            Some(rm) => {
                decisions.push(Decision {
                    r#move: "reference_eq".into(),
                    params: json!({
                        "modules": rm.modules,
                        "module_index": modules.len(),
                        "amount_param": "gain_db",
                    }),
                    addresses: rm.addresses,
                    why: rm.why,
                    trade_off: "The track's own balance gives way to the reference's where they differ.".into(),
                });
                modules.extend(rm.modules);
                current_audio = Cow::Owned(rm.audio);
                (current, current_raw) = rm.report;
                iterations.push(Iteration {
                    step: iterations.len() as u32,
                    risk_severity: severity_summary(&decide::severities(&current)),
                    accepted: vec![rm.label],
                    rejected: Vec::new(),
                });
            }
            None => notes.push(
                "Reference tonal balance: no bounded correction was kept (already close, or it raised a risk)".into(),
            ),
        }
    }

    // 4. Loudness, last.
    progress(Stage::Loudness, 0.7);
    let corrections = Chain::new(modules.clone());
    let mut loud = loudness_stage(
        &current_audio,
        current_raw,
        &current,
        &before_sev,
        intent,
        target_lufs,
    );
    notes.extend(loud.notes.iter().cloned());
    let mut final_modules = modules.clone();
    final_modules.extend(loud.modules.iter().cloned());
    for m in &loud.decisions {
        decisions.push(m.clone());
    }

    // 5. Render at the delivery rate, quantise, verify what is written.
    progress(Stage::Render, 0.8);
    let out_rate = options.output_rate.unwrap_or(input.sample_rate);
    let dither = export::default_dither(options.output_format);
    let mut chain_out = Chain::new(final_modules);
    // At the input's rate the corrections are already rendered: only the
    // loudness modules run now (or nothing, when the loudness stage's last
    // trial render is exactly them). At another rate the whole chain runs
    // on the resampled input, so the limiter sees the delivered rate.
    let delivery_input = if out_rate == input.sample_rate {
        None
    } else {
        Some(resample::resample(&input, out_rate)?)
    };
    let mut audio_out = match (&delivery_input, loud.rendered.take()) {
        (Some(d), _) => chain::render(&chain_out, d)?,
        (None, Some(r)) => r,
        (None, None) if loud.modules.is_empty() => current_audio.into_owned(),
        (None, None) => {
            let mut a = current_audio.into_owned();
            chain::render_in_place(&Chain::new(loud.modules.clone()), &mut a)?;
            a
        }
    };
    export::quantize_in_place(&mut audio_out, options.output_format, dither);
    // The limiter guarantees its ceiling; a gain-only master (no limiter was
    // needed at the input rate) may still gain an over from resampling or
    // dither: then the gain comes down by the excess.
    let bits = u32::from(options.output_format.bits());
    let analyse_out = |a: &AudioBuffer, progress: &mut dyn FnMut(Stage, f64)| {
        let source = Source::in_format(&options.input_name, "wav", Some(bits));
        analyze(a, &source, &aopts, |_, f| {
            progress(Stage::Verify, 0.9 + 0.1 * f)
        })
        .into_parts()
    };
    progress(Stage::Verify, 0.9);
    // The analysis of the delivered file measures its true peak with the
    // same 4× meter; it is kept unless the file has to be rendered again.
    let (delivered, (first_after, first_m)) = join(
        || deliver(&audio_out),
        || analyse_out(&audio_out, &mut progress),
    );
    delivered?;
    let first_tp = Raw::of(&first_m).true_peak_dbtp;
    drop(first_m);
    let mut rerendered = false;
    for pass in 0..3 {
        let tp = if pass == 0 {
            first_tp
        } else {
            tp_dbtp(&audio_out)
        };
        if tp <= ceiling {
            break;
        }
        let excess = tp - ceiling + 0.05;
        for m in &mut chain_out.modules {
            if let Module::Gain { gain_db } = m {
                *gain_db -= excess;
            }
        }
        if !chain_out
            .modules
            .iter()
            .any(|m| matches!(m, Module::Gain { .. }))
        {
            chain_out.modules.push(Module::Gain { gain_db: -excess });
        }
        notes.push(format!(
            "Gain lowered by {excess:.2} dB after verification: the delivered file's true peak was {tp:.2} dBTP"
        ));
        audio_out = chain::render(&chain_out, delivery_input.as_ref().unwrap_or(&input))?;
        export::quantize_in_place(&mut audio_out, options.output_format, dither);
        rerendered = true;
    }
    let mut after = if rerendered {
        let (delivered, (after, _)) = join(
            || deliver(&audio_out),
            || analyse_out(&audio_out, &mut progress),
        );
        delivered?;
        after
    } else {
        first_after
    };
    after.notices.extend(notes);
    let after_sev = decide::severities(&after);
    iterations.push(Iteration {
        step: iterations.len() as u32,
        risk_severity: severity_summary(&after_sev),
        accepted: loud.labels,
        rejected: Vec::new(),
    });
    progress(Stage::Verify, 1.0);
    Ok(Mastered {
        audio: audio_out,
        report: MasterReport {
            schema: MASTER_SCHEMA.to_string(),
            intent: intent.to_report(target_lufs),
            decisions,
            iterations,
            chain: chain_out,
            before,
            after,
        },
        corrections,
    })
}

/// Tracks at least this long have their candidates screened on an excerpt
/// first, seconds (below it a whole-track trial costs little more than one
/// on an excerpt).
pub const SCREEN_MIN_S: f64 = 45.0;

/// Length of the screening excerpt, seconds: long enough for short-term
/// loudness (3 s windows), the limiter simulation and a stable spectrum.
pub const SCREEN_EXCERPT_S: f64 = 20.0;

/// The outcome of screening a step's candidates on an excerpt.
struct Screening {
    /// Indices into the candidates, in the order to judge them on the whole
    /// track: predicted sufficient ones (least destructive first), then the
    /// single most promising partial one.
    order: Vec<usize>,
    /// Log lines for the candidates not taken to the whole track (and for
    /// the one a re-sized move goes before).
    screened_out: Vec<String>,
    /// The excerpt, seconds.
    excerpt: [f64; 2],
    /// A move re-sized from the candidates' measured response (see
    /// [`decide::resize`]), when it screened better than any of them; it is
    /// the candidate after the last one (index `cands.len()` in `order`).
    resized: Option<decide::Resized>,
    /// Judged on the whole track only if nothing in `order` is kept (the
    /// best partial candidate, when a re-sized move goes first).
    fallback: Option<usize>,
}

/// Screens `cands` on an excerpt of `audio` around the risk's worst moment:
/// each candidate is rendered and analysed there only, and judged against the
/// excerpt as it is with the same rule as on the whole track. The whole-track
/// trial (render + full re-analysis) still decides: screening only chooses
/// which candidates earn one, so a step costs about one full analysis instead
/// of one per candidate; a step whose every candidate fails on the excerpt
/// gets no whole-track trial at all. `None` for short tracks, or with a
/// single candidate.
fn screen(
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
    let mut out = Vec::new();
    let mut resize_out = None;
    let mut resize_note = None;
    for (i, t) in trials.iter().enumerate() {
        let Some(t) = t else { continue };
        let sa = t.get(&risk.id).copied().unwrap_or(0.0);
        match decide::judge(&risk.id, &here, t) {
            Verdict::Sufficient => order.push(i),
            Verdict::Partial => {
                if best_partial.is_none_or(|(_, s)| sa < s) {
                    best_partial = Some((i, sa));
                }
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
        if let Some(r) = decide::resize(cands, &after, i, sb) {
            let t = on_excerpt(&r.candidate);
            let label = r.candidate.label.clone();
            if let Some(t) = t {
                let sr = t.get(&risk.id).copied().unwrap_or(0.0);
                match decide::judge(&risk.id, &here, &t) {
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
    let mut fallback = None;
    if let Some((i, _)) = best_partial {
        if resized.is_some() {
            fallback = Some(i);
        } else {
            order.push(i);
        }
    }
    // Nothing promising: no whole-track trial, the log says why each failed
    // here — unless the excerpt hardly shows the risk (then it is no fair
    // test, and the least destructive move is judged on the whole track).
    if order.is_empty() && sb < 0.5 * risk.severity {
        order.push(0);
    }
    for (i, t) in trials.iter().enumerate() {
        if order.contains(&i) || fallback == Some(i) || out.iter().any(|(j, _)| *j == i) {
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

/// What the loudness stage decided.
struct LoudnessPlan {
    modules: Vec<Module>,
    /// `modules` rendered over the stage's input, when the gain search
    /// already did exactly that (the final render then reuses it).
    rendered: Option<AudioBuffer>,
    decisions: Vec<Decision>,
    labels: Vec<String>,
    notes: Vec<String>,
}

/// Gain to the target and, only if the peaks need it, the true-peak limiter.
fn loudness_stage(
    audio: &AudioBuffer,
    measured_now: Raw,
    before: &Report,
    before_sev: &BTreeMap<String, f64>,
    intent: &MasterIntent,
    target_lufs: f64,
) -> LoudnessPlan {
    let mut plan = LoudnessPlan {
        modules: Vec::new(),
        rendered: None,
        decisions: Vec::new(),
        labels: Vec::new(),
        notes: Vec::new(),
    };
    let ceiling = intent.ceiling_dbtp;
    let character = intent.character;
    // Loudness and true peak of `audio`, from its last analysis.
    let (tp0, lc) = (measured_now.true_peak_dbtp, measured_now.integrated_lufs);
    let Some(lc) = lc else {
        plan.notes.push(
            "Loudness is undefined (silence or shorter than 400 ms): no loudness gain applied"
                .into(),
        );
        if tp0 > ceiling - SAFETY_MARGIN_DB {
            plan.modules
                .push(limiter(ceiling, character.limiter_release_ms()));
        }
        return plan;
    };
    // Over-compressed *as it is* (its own short-term PSR at or under the
    // detector's 8 dB "minor" anchor), not merely at a loud target: only then
    // is the mix held back from further limiting.
    let overcompressed = before_sev.get("overcompressed").copied().unwrap_or(0.0) >= 0.25
        && before
            .risks
            .iter()
            .find(|r| r.id == "overcompressed")
            .and_then(|r| r.evidence.get("psr_db").and_then(serde_json::Value::as_f64))
            .is_none_or(|psr| psr <= OWN_PSR_OVERCOMPRESSED_DB);
    let clipped = before_sev.get("clipping").copied().unwrap_or(0.0) >= 0.25;
    let aim = target_lufs;
    let mut addresses = vec!["loudness_target".to_string()];
    // "Not louder, but controlled": an over-compressed or clipped mix gets no
    // further limiting (a hair for inter-sample safety only).
    let budget = if overcompressed || clipped {
        HELD_PEAK_REDUCTION_DB
    } else {
        character.max_peak_reduction_db()
    };
    let release = character.limiter_release_ms();
    // Gain at which the limiter would take `budget` dB off the highest peak.
    let g_max = ceiling - SAFETY_MARGIN_DB + budget - tp0;
    let mut g = aim - lc;
    if g.abs() < LOUDNESS_TOLERANCE_LU && tp0 <= ceiling - SAFETY_MARGIN_DB {
        plan.notes.push(format!(
            "Loudness {lc:.1} LUFS already at the target: no gain"
        ));
        return plan;
    }
    let mut capped = false;
    if g > g_max {
        g = g_max;
        capped = true;
        if overcompressed || clipped {
            addresses.push(
                if overcompressed {
                    "overcompressed"
                } else {
                    "clipping"
                }
                .into(),
            );
            plan.notes.push(format!(
                "Target {aim:.1} LUFS not reached on purpose: the mix is already {} — more limiting would collapse it, so the master goes only as loud as its peaks allow without limiting (not louder, but controlled)",
                if overcompressed { "over-compressed" } else { "clipped" }
            ));
        }
    } else if overcompressed && g < 0.0 {
        addresses.push("overcompressed".into());
    }
    let needs_limiter = |g: f64| tp0 + g > ceiling - SAFETY_MARGIN_DB;
    let lim = limiter(ceiling, release);
    let build = |g: f64| {
        let mut v = vec![Module::Gain {
            gain_db: (g * 100.0).round() / 100.0,
        }];
        if needs_limiter(g) {
            v.push(lim.clone());
        }
        v
    };
    // Limiting lowers loudness: iterate the gain on the measured result, by
    // the secant method (the first step assumes 1 LU per dB; later ones use
    // the slope of the last two renders, since limiting harder gives less).
    let mut measured = lc + g;
    // Start from the loss the analysis' simulated limiter predicts at the
    // target (a sample-peak model, so only a first guess).
    if needs_limiter(g) && !capped {
        if let Some(limited) = measured_now.limited_lufs {
            g = (g + (aim - limited).clamp(0.0, 6.0)).min(g_max);
            capped = g >= g_max;
        }
    }
    // The last render and the gain it was made with.
    let mut last: Option<(f64, AudioBuffer)> = None;
    let mut previous: Option<(f64, f64)> = None;
    for _ in 0..6 {
        if !needs_limiter(g) {
            measured = lc + g;
            break;
        }
        let Ok(out) = chain::render(&Chain::new(build(g)), audio) else {
            break;
        };
        measured = integrated(&out).unwrap_or(lc + g);
        last = Some((g, out));
        let err = aim - measured;
        if err.abs() <= LOUDNESS_TOLERANCE_LU || (capped && err > 0.0) {
            break;
        }
        let slope = previous
            .filter(|&(pg, _)| (g - pg).abs() > 1e-6)
            .map_or(1.0, |(pg, pm)| ((measured - pm) / (g - pg)).clamp(0.2, 1.0));
        previous = Some((g, measured));
        let next = (g + err / slope).min(g_max);
        if next == g {
            capped = true;
            break;
        }
        capped = next >= g_max;
        g = next;
    }
    let reached = (aim - measured).abs() <= 0.5;
    if capped && !reached {
        plan.notes.push(format!(
            "Target {aim:.1} LUFS not reached: it would need more than {budget:.0} dB of peak limiting (the '{}' character's limit) under the {ceiling:.1} dBTP ceiling; the master is {measured:.1} LUFS. Choose 'dense', a lower target or a higher ceiling to go further.",
            character.name()
        ));
    }
    plan.modules = build(g);
    plan.rendered = last.filter(|(at, _)| *at == g).map(|(_, out)| out);
    let gain_db = (g * 100.0).round() / 100.0;
    plan.labels.push(format!(
        "loudness gain {gain_db:+.2} dB → {measured:.1} LUFS"
    ));
    plan.decisions.push(Decision {
        r#move: "loudness_gain".into(),
        params: json!({
            "module": "gain",
            "gain_db": gain_db,
            "target_lufs": (aim * 100.0).round() / 100.0,
            "requested_target_lufs": target_lufs,
            "measured_lufs": (measured * 100.0).round() / 100.0,
            "target_reached": reached,
            "amount_param": "gain_db",
        }),
        addresses: addresses.clone(),
        why: if g < 0.0 {
            format!("The mix is {lc:.1} LUFS, louder than the {aim:.1} LUFS aimed at: turning it down restores headroom instead of letting platforms do it.")
        } else {
            format!("The mix is {lc:.1} LUFS; {aim:.1} LUFS is the intent's loudness.")
        },
        trade_off: if g < 0.0 {
            "None: only level changes.".into()
        } else {
            "Level only; any peak control it needs is the limiter's decision.".into()
        },
    });
    if needs_limiter(g) {
        let reduction = tp0 + g - (ceiling - SAFETY_MARGIN_DB);
        let mut addr = vec!["loudness_target".to_string()];
        if before_sev.get("intersample_peaks").copied().unwrap_or(0.0) > 0.0 {
            addr.insert(0, "intersample_peaks".into());
        }
        plan.labels.push(format!(
            "true-peak limiter {ceiling:.1} dBTP (peaks −{reduction:.1} dB)"
        ));
        plan.decisions.push(Decision {
            r#move: "true_peak_limiter".into(),
            params: json!({
                "module": "limiter",
                "ceiling_dbtp": ceiling,
                "lookahead_ms": DEFAULT_LOOKAHEAD_MS,
                "release_ms": release,
                "peak_reduction_db": (reduction * 10.0).round() / 10.0,
                "module_index_from_end": 0,
                "amount_param": "ceiling_dbtp",
            }),
            addresses: addr,
            why: format!(
                "At {measured:.1} LUFS the highest true peak would reach {:.1} dBTP; the limiter holds it under {ceiling:.1} dBTP (measured with 4× oversampling) so codecs and DACs do not clip.",
                tp0 + g
            ),
            trade_off: format!(
                "The highest peaks lose up to {reduction:.1} dB of attack ({} release).",
                if release >= 200.0 { "slow, transparent" } else if release <= 60.0 { "fast, denser" } else { "medium" }
            ),
        });
    }
    plan
}

fn limiter(ceiling_dbtp: f64, release_ms: f64) -> Module {
    Module::Limiter {
        ceiling_dbtp,
        lookahead_ms: DEFAULT_LOOKAHEAD_MS,
        release_ms,
    }
}

/// A kept reference-matching correction.
struct ReferenceMove {
    modules: Vec<Module>,
    label: String,
    addresses: Vec<String>,
    why: String,
    audio: AudioBuffer,
    report: (Report, Raw),
}

/// Bounded shelving corrections toward the reference's smoothed octave
/// balance, kept only if no risk rises a level and the tonal distance shrinks.
fn reference_move(
    audio: &AudioBuffer,
    current: &Report,
    reference: &AudioBuffer,
    analyse: &(impl Fn(&AudioBuffer) -> (Report, Raw) + Sync),
    scale: f64,
    width: usize,
) -> Option<ReferenceMove> {
    let a = octave_bands::octave_levels(audio);
    let r = octave_bands::octave_levels(reference);
    let n = a.len().min(r.len());
    let top = a.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
    let used: Vec<usize> = (0..n)
        .filter(|&i| a[i].1 > top - 50.0 && r[i].1 > -150.0)
        .collect();
    if used.len() < 4 {
        return None;
    }
    // Difference per band, broadband offset removed, smoothed over neighbours.
    let diff_of = |l: &[(f64, f64)]| -> Vec<f64> {
        let d: Vec<f64> = used.iter().map(|&i| r[i].1 - l[i].1).collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        d.iter().map(|v| v - mean).collect()
    };
    let d = diff_of(&a);
    let smooth: Vec<f64> = (0..d.len())
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(1), (i + 1).min(d.len() - 1));
            d[lo..=hi].iter().sum::<f64>() / (hi - lo + 1) as f64
        })
        .collect();
    let avg = |pred: &dyn Fn(f64) -> bool| {
        let v: Vec<f64> = used
            .iter()
            .zip(&smooth)
            .filter(|(&i, _)| pred(a[i].0))
            .map(|(_, &s)| s)
            .collect();
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let bound =
        |x: f64| (x * scale).clamp(-MAX_REFERENCE_CORRECTION_DB, MAX_REFERENCE_CORRECTION_DB);
    let low = bound(avg(&|f| f <= 125.0));
    let high = bound(avg(&|f| f >= 4000.0));
    let mut modules = Vec::new();
    if low.abs() >= 1.0 {
        modules.push(Module::Eq {
            kind: FilterKind::LowShelf,
            freq_hz: 150.0,
            q: 0.71,
            gain_db: (low * 10.0).round() / 10.0,
            target: StereoTarget::Stereo,
        });
    }
    if high.abs() >= 1.0 {
        modules.push(Module::Eq {
            kind: FilterKind::HighShelf,
            freq_hz: 5000.0,
            q: 0.71,
            gain_db: (high * 10.0).round() / 10.0,
            target: StereoTarget::Stereo,
        });
    }
    if modules.is_empty() {
        return None;
    }
    let distance = |x: &AudioBuffer| {
        let l = octave_bands::octave_levels(x);
        let d = diff_of(&l);
        d.iter().map(|v| v.abs()).sum::<f64>() / d.len() as f64
    };
    let before = distance(audio);
    let cur_sev = decide::severities(current);
    // The full correction first, then half of it (`width` at a time; taken
    // in that order, so the choice is the sequential one).
    let trial_of = |&factor: &f64| {
        let ms: Vec<Module> = modules.iter().map(|m| m.scaled(factor)).collect();
        let out = chain::render(&Chain::new(ms.clone()), audio).ok()?;
        let rep = analyse(&out);
        Some((ms, out, rep))
    };
    let trials = [1.0, 0.5]
        .chunks(width)
        .flat_map(|batch| map_parallel(batch, &trial_of));
    for trial in trials {
        let (ms, out, rep) = trial?;
        let sev = decide::severities(&rep.0);
        let rose = sev.iter().any(|(id, &s)| {
            !decide::FINAL_STAGE_RISKS.contains(&id.as_str())
                && Level::from_severity(s)
                    > Level::from_severity(cur_sev.get(id).copied().unwrap_or(0.0))
        });
        let after = distance(&out);
        if rose || after >= before - 0.2 {
            continue;
        }
        let label = ms
            .iter()
            .filter_map(|m| match m {
                Module::Eq {
                    kind,
                    freq_hz,
                    gain_db,
                    ..
                } => Some(format!("{kind:?} {freq_hz:.0} Hz {gain_db:+.1} dB")),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(", ");
        let addresses = cur_sev
            .iter()
            .filter(|(id, s)| {
                **s >= 0.25 && ["sub_excess", "mud", "dull", "harshness"].contains(&id.as_str())
            })
            .map(|(id, _)| id.clone())
            .collect();
        return Some(ReferenceMove {
            modules: ms,
            label: format!("reference match: {label}"),
            addresses,
            why: format!(
                "Moves the tonal balance toward the reference (mean octave distance {before:.1} → {after:.1} dB), bounded to ±{MAX_REFERENCE_CORRECTION_DB:.0} dB per shelf."
            ),
            audio: out,
            report: rep,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A short stereo mix with too much sub (a loud 45 Hz tone under
    /// noise), so the loop has a risk with several candidate moves.
    fn sub_heavy(rate: u32, seconds: f64, seed: u32, tilt: f32) -> AudioBuffer {
        let frames = (f64::from(rate) * seconds) as usize;
        let mut state = seed;
        let mut noise = || {
            // Numerical Recipes LCG (1664525, 1013904223).
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
        };
        let mut l = Vec::with_capacity(frames);
        let mut r = Vec::with_capacity(frames);
        let (mut lp_l, mut lp_r) = (0.0f32, 0.0f32);
        for i in 0..frames {
            let t = i as f32 / rate as f32;
            let sub = 0.5 * (std::f32::consts::TAU * 45.0 * t).sin();
            let (nl, nr) = (noise(), noise());
            // One-pole low-pass (smoothing 0.1), blended in by `tilt`, darkens the noise.
            lp_l += 0.1 * (nl - lp_l);
            lp_r += 0.1 * (nr - lp_r);
            let env = 0.6 + 0.4 * (std::f32::consts::TAU * 2.0 * t).sin();
            l.push(sub + 0.1 * env * (tilt * lp_l + (1.0 - tilt) * nl));
            r.push(sub + 0.1 * env * (tilt * lp_r + (1.0 - tilt) * nr));
        }
        AudioBuffer {
            sample_rate: rate,
            channels: vec![l, r],
        }
    }

    #[test]
    fn parallel_candidates_give_the_sequential_master() {
        let input = sub_heavy(48_000, 6.0, 7, 0.9);
        let reference = sub_heavy(48_000, 6.0, 11, 0.0);
        for reference in [None, Some(&reference)] {
            let options = MasterOptions {
                loudness_from_reference: reference.is_some(),
                ..MasterOptions::default()
            };
            let seq =
                master_with_parallelism(&input, &options, reference, |_, _| {}, 1, &|_| Ok(()))
                    .unwrap();
            let par =
                master_with_parallelism(&input, &options, reference, |_, _| {}, 2, &|_| Ok(()))
                    .unwrap();
            assert!(
                seq.report.iterations.iter().any(|i| !i.accepted.is_empty()),
                "the test mix must make the loop decide something"
            );
            assert!(
                seq.report.iterations.iter().any(|i| !i.rejected.is_empty()),
                "the test mix must give more than one candidate"
            );
            assert_eq!(seq.audio, par.audio);
            assert_eq!(
                serde_json::to_value(&seq.report).unwrap(),
                serde_json::to_value(&par.report).unwrap()
            );
            assert_eq!(seq.corrections, par.corrections);
        }
    }
}
