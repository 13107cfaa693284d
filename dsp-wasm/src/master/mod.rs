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
//!    both in peak reduction and in how far it may shift the octave balance
//!    (limiting turns down the moments that carry the peaks; when they sound
//!    unlike the rest the whole track's tone moves), and when the target
//!    cannot be reached within that the report says so.
//! 5. Render at the delivery rate (the limiter runs at that rate, so its
//!    ceiling holds in the file), quantise (16-bit: TPDF dither), verify the
//!    true peak of exactly what is written with the engine's meter, and analyse it.
//!
//! Afterwards the artist may scale each corrective move ([`rescale`]): the
//! same moves at new amounts, steps 4–5 again, the whole track re-analysed.

mod corrective;
pub mod decide;
mod delivery;
pub mod intent;
mod left;
mod loudness_stage;
mod reference;
mod rescale;
mod screening;
mod track;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::json;

use crate::audio::{AudioBuffer, Samples};
use crate::chain::{self, Chain};
use crate::error::{Error, Result};
use crate::io::wav::SampleFormat;
use crate::measure::loudness;
use crate::measure::true_peak;
use crate::measure::{AnalysisOptions, Measurements};
use crate::progress::Stage;
use crate::report::{analyze, Source};
use crate::report::{Decision, Iteration, MasterReport, Report, MASTER_SCHEMA};
use crate::units::to_db;
use corrective::Corrected;
use decide::Move;
use delivery::Delivery;
use intent::MasterIntent;
use loudness_stage::loudness_stage;
pub use rescale::{rescale, MAX_AMOUNT};
pub use screening::{SCREEN_EXCERPT_S, SCREEN_MIN_S};

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

/// Decoded size (32-bit samples, bytes) from which a master that judges one
/// candidate at a time stops holding the track through the kept moves: each
/// trial then renders the kept moves again from the input ([`track`]), so
/// the input, that track and a trial render are never held at once (in the
/// page: about 4 → 3 times the decoded audio, for some more rendering). A
/// 4-minute 48 kHz stereo song (92 MB) is held.
pub const HOLD_TRACK_MAX_BYTES: usize = 128 << 20;

/// Whether mastering `input` `width` candidates at a time holds the track
/// through the kept moves: always when candidates are judged side by side
/// (natively; each holds a render of its own already), else under
/// [`HOLD_TRACK_MAX_BYTES`].
fn hold_track(input: Samples<'_>, width: usize) -> bool {
    width > 1 || input.float_bytes() < HOLD_TRACK_MAX_BYTES
}

fn check_input(audio: Samples<'_>) -> Result<()> {
    if !(1..=2).contains(&audio.num_channels()) {
        return Err(Error::TooManyChannels {
            channels: audio.num_channels(),
        });
    }
    if !(8_000..=192_000).contains(&audio.sample_rate()) {
        return Err(Error::SampleRate {
            sample_rate: audio.sample_rate(),
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
    /// By the engine's meter (the maximum of the analysis' true-peak series,
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

/// A kept move as a decision. `peak_dbtp` is the highest true peak of the
/// track the move was judged on: a corrective limiter (a peak control) is
/// set that far under it, and its amount scales that depth
/// ([`rescale::scaled_module`]), so the decision records it.
fn decision(m: &Move, module_index: usize, peak_dbtp: Option<f64>) -> Decision {
    let mut params = serde_json::to_value(&m.module).unwrap_or_else(|_| json!({}));
    if let Some(obj) = params.as_object_mut() {
        obj.insert("module_index".into(), json!(module_index));
        // A limiter's amount is its depth under that peak: with no peak to
        // scale under, it has no amount to offer.
        let scalable = match (&m.module, peak_dbtp.filter(|p| p.is_finite())) {
            (chain::Module::Limiter { .. }, Some(p)) => {
                obj.insert(rescale::UNDER_PEAK_PARAM.into(), json!(p));
                true
            }
            (chain::Module::Limiter { .. }, None) => false,
            _ => true,
        };
        if let Some((name, _)) = m.module.amount().filter(|_| scalable) {
            obj.insert("amount_param".into(), json!(name));
        }
    }
    Decision {
        r#move: m.kind.to_string(),
        label: m.label.clone(),
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

/// Masters `input` (see the module docs): planar `f32`
/// ([`AudioBuffer`]) or a track kept compactly ([`crate::audio::Stored`]).
/// `progress(stage, fraction)`.
pub fn master<'a>(
    input: impl Into<Samples<'a>>,
    options: &MasterOptions,
    reference: Option<&AudioBuffer>,
    progress: impl FnMut(Stage, f64),
) -> Result<Mastered> {
    master_delivering(input, options, reference, progress, &|_| Ok(()))
}

/// [`master`] of a track already analysed with the same options: the
/// measurements the page made when the file was dropped (its two halves,
/// [`crate::measure::combine`], give the report the whole analysis gives)
/// stand in for step 1, so the Worker does not measure the input twice.
/// They are used only when they fit: the options this master analyses with
/// (its target and ceiling), the rate, the channels and the length, and an
/// input without non-finite samples; otherwise the input is analysed as by
/// [`master`]. The result is the same either way (for a lossy decode kept
/// as [`crate::audio::Stored::lossy`], the measurements are of the decode
/// the stored samples lie within 138 dB of).
pub fn master_analysed<'a>(
    input: impl Into<Samples<'a>>,
    options: &MasterOptions,
    reference: Option<&AudioBuffer>,
    analysed: &Measurements,
    progress: impl FnMut(Stage, f64),
) -> Result<Mastered> {
    master_from(
        input.into(),
        options,
        reference,
        Some(analysed),
        progress,
        &|_| Ok(()),
    )
}

/// [`master`], handing the delivered audio to `deliver` (e.g. writing the
/// file) while it is verified — natively on a second thread. If the
/// verification has to render again (a gain-only master gained an over from
/// resampling or dither), `deliver` is called again with the corrected
/// audio, which is also what the result holds.
pub fn master_delivering<'a>(
    input: impl Into<Samples<'a>>,
    options: &MasterOptions,
    reference: Option<&AudioBuffer>,
    progress: impl FnMut(Stage, f64),
    deliver: &(dyn Fn(&AudioBuffer) -> Result<()> + Sync),
) -> Result<Mastered> {
    master_from(input.into(), options, reference, None, progress, deliver)
}

/// The public entries' master: [`CANDIDATE_PARALLELISM`] candidates at a
/// time, the track held as [`hold_track`] says.
fn master_from(
    input: Samples<'_>,
    options: &MasterOptions,
    reference: Option<&AudioBuffer>,
    analysed: Option<&Measurements>,
    progress: impl FnMut(Stage, f64),
    deliver: &(dyn Fn(&AudioBuffer) -> Result<()> + Sync),
) -> Result<Mastered> {
    master_with_parallelism(
        input,
        options,
        reference,
        analysed,
        progress,
        CANDIDATE_PARALLELISM,
        hold_track(input, CANDIDATE_PARALLELISM),
        deliver,
    )
}

/// [`master`] evaluating `width` candidates at once (1 = one after the
/// other), holding the track through the kept moves or not (`hold`, see
/// [`track`]), from `analysed` when it fits (see [`master_analysed`]); the
/// result depends on none of them.
#[allow(clippy::too_many_arguments)]
fn master_with_parallelism(
    input: Samples<'_>,
    options: &MasterOptions,
    reference: Option<&AudioBuffer>,
    analysed: Option<&Measurements>,
    mut progress: impl FnMut(Stage, f64),
    width: usize,
    hold: bool,
    deliver: &(dyn Fn(&AudioBuffer) -> Result<()> + Sync),
) -> Result<Mastered> {
    let width = width.max(1);
    validate(input, options, reference)?;
    // A stored integer track is finite; planar `f32` may need cleaning.
    let cleaned = match input {
        Samples::Float(a) => Some(sanitized(a)),
        Samples::Stored(_) => None,
    };
    let input = cleaned.as_deref().map_or(input, Samples::Float);
    let intent = &options.intent;
    let character = intent.character;
    let mut notes: Vec<String> = Vec::new();
    // A reference that cannot be matched is set aside, and the notes say why.
    let reference = reference.map(sanitized).and_then(|r| {
        let lufs = integrated(&r);
        match unusable_reference(&r, lufs) {
            Some(why) => {
                notes.push(why);
                None
            }
            None => Some((r, lufs)),
        }
    });
    let target_lufs = target_loudness(
        options,
        reference.as_ref().and_then(|(_, lufs)| *lufs),
        &mut notes,
    );
    let reference = reference.map(|(r, _)| r);
    let aopts = AnalysisOptions {
        target_lufs,
        ceiling_dbtp: intent.ceiling_dbtp,
    };
    let source = Source::in_format(
        &options.input_name,
        &options.input_format,
        options.input_bit_depth,
    );
    // A candidate is read as its input is (a lossy decode's clipping
    // through the codec's ripple).
    let candidate = Source::rendered("candidate", source.lossy);
    let analyse = |a: &AudioBuffer| {
        let (r, m) = analyze(a, &candidate, &aopts, |_, _| {}).into_parts();
        (r, Raw::of(&m))
    };

    // 1. Analyse the input.
    progress(Stage::Analyse, 0.0);
    let fits = |m: &&Measurements| {
        m.options == aopts
            && m.sample_rate == input.sample_rate()
            && m.channels == input.num_channels()
            && m.duration_s == input.duration_s()
            && !matches!(cleaned, Some(Cow::Owned(_)))
    };
    let (before, before_raw) = match analysed.filter(fits) {
        Some(m) => (
            crate::report::from_measurements(input, m, &source),
            Raw::of(m),
        ),
        None => {
            // (A stored track is made `f32` for this analysis only.)
            let (r, m) = analyze(&*input.audio()?, &source, &aopts, |_, f| {
                progress(Stage::Analyse, 0.15 * f)
            })
            .into_parts();
            (r, Raw::of(&m))
        }
    };
    let before_sev = decide::severities(&before);
    let mut state = Corrected::start(input, hold, &before, &before_sev, before_raw);

    // 2. The risk-driven loop.
    corrective::correct(&mut state, character, &analyse, width, &mut progress)?;

    // 3. Reference matching through the same rule.
    if let Some(r) = &reference {
        progress(Stage::Reference, 0.65);
        let scale = character.amount_scale();
        if !reference::match_reference(&mut state, r, &analyse, scale) {
            notes.push(
                "Reference tonal balance: no bounded correction was kept (already close, or it raised a risk)".into(),
            );
        }
    }

    // 4. Loudness, last.
    progress(Stage::Loudness, 0.7);
    let Corrected {
        mut decisions,
        mut iterations,
        track: corrected,
        report: current,
        raw: current_raw,
        ..
    } = state;
    let loud = loudness_stage(
        &corrected,
        current_raw,
        &current,
        &before,
        &before_sev,
        intent,
        target_lufs,
    )?;
    notes.extend(loud.notes.iter().cloned());
    decisions.extend(loud.decisions.iter().cloned());

    // 5. Render at the delivery rate, quantise, verify what is written.
    progress(Stage::Render, 0.8);
    let delivery = Delivery {
        input,
        options,
        aopts: &aopts,
        deliver,
    };
    let modules = corrected.modules();
    let (audio, chain, mut after) = delivery.render_and_verify(
        corrected,
        loud.modules,
        loud.rendered,
        &mut notes,
        &mut progress,
    )?;
    after.notices.extend(notes);
    keep_input_traits(&before, &mut after);
    iterations.push(Iteration {
        step: iterations.len() as u32,
        risk_severity: severity_summary(&decide::severities(&after)),
        accepted: loud.labels,
        rejected: Vec::new(),
    });
    let left = left::left_risks(&before, &after, &decisions, &iterations);
    progress(Stage::Verify, 1.0);
    Ok(Mastered {
        audio,
        report: MasterReport {
            schema: MASTER_SCHEMA.to_string(),
            intent: intent.to_report(target_lufs),
            decisions,
            iterations,
            chain,
            before,
            after,
            left,
        },
        corrections: Chain::new(modules),
    })
}

/// What the input's report says of the mix itself, and no move can change,
/// carried into the master's after report: the hard-panned arrangement and
/// the clipping baked into the file. The master and a rescale of it call
/// this one rule, so a move at 100 % tells the same risks either way (the
/// rescale once kept the clipping but read a width touch's lean as a slip).
pub(super) fn keep_input_traits(before: &Report, after: &mut Report) {
    keep_arrangement(before, after);
    keep_baked_in(before, after);
}

/// Clipping the input reads stays in the master: mastering cannot restore
/// a flattened peak, but a move that reshapes the tops (an EQ, a width or
/// balance change mixing the channels) breaks the flat runs, or blurs a
/// lossy file's ledge, so the master's own reading finds less or none of
/// it. The input's reading is then kept in the after report, where the
/// risk card would otherwise say "cleared" and the master's summary leave
/// it out (frozen-bubble "mainzik-2p" clipped severely: major before, none
/// after two 1.5 dB dynamic cuts).
fn keep_baked_in(before: &Report, after: &mut Report) {
    let Some(b) = before.risks.iter().find(|r| r.id == "clipping") else {
        return;
    };
    match after.risks.iter_mut().find(|r| r.id == "clipping") {
        Some(a) if a.severity >= b.severity => return,
        Some(a) => *a = b.clone(),
        None => after.risks.push(b.clone()),
    }
    let rank = |r: &crate::risks::Risk| r.severity + crate::risks::priority(&r.id);
    after.risks.sort_by(|x, y| rank(y).total_cmp(&rank(x)));
}

/// A hard-panned arrangement in the input
/// ([`crate::risks::stereo::panned_arrangement`]) stays the arrangement in
/// the master: a width touch for another risk leaks the loud channel into
/// the quiet one and lifts their correlation (planetblupi 001: 0.18 → 0.50),
/// but the quiet channel still carries other parts, so the master's lean is
/// held to the input's verdict (minor at most) rather than read as a slip.
fn keep_arrangement(before: &Report, after: &mut Report) {
    let st = &before.stereo;
    if !st
        .balance_db
        .is_some_and(|b| crate::risks::stereo::panned_arrangement(b, st.correlation))
    {
        return;
    }
    let cap = crate::risks::stereo::ARRANGEMENT_SEVERITY;
    for r in after
        .risks
        .iter_mut()
        .filter(|r| r.id == "stereo_imbalance")
    {
        if r.severity > cap {
            r.severity = cap;
            r.level = crate::report::Level::from_severity(cap);
        }
    }
}

/// Checks the inputs and options before any work.
fn validate(
    input: Samples<'_>,
    options: &MasterOptions,
    reference: Option<&AudioBuffer>,
) -> Result<()> {
    check_input(input)?;
    options.intent.validate()?;
    if let Some(r) = reference {
        check_input(Samples::Float(r))?;
    }
    if let Some(rate) = options.output_rate {
        if !(8_000..=192_000).contains(&rate) {
            return Err(Error::SampleRate { sample_rate: rate });
        }
    }
    Ok(())
}

/// Shortest reference whose loudness and balance are taken, seconds: one
/// short-term loudness window (3 s, EBU R 128). A shorter one — a click, a
/// test tone, a file cut off — tells nothing of a finished record's
/// loudness or balance.
pub const MIN_REFERENCE_S: f64 = 3.0;

/// Why `reference` (integrated loudness `lufs`) cannot be matched, if it
/// cannot: shorter than [`MIN_REFERENCE_S`], or silent (BS.1770's gates let
/// nothing through). Said in the master's notes, and by the page when the
/// reference is dropped.
pub fn unusable_reference(reference: &AudioBuffer, lufs: Option<f64>) -> Option<String> {
    let seconds = reference.frames() as f64 / f64::from(reference.sample_rate.max(1));
    let taken = "neither its loudness nor its tonal balance is matched";
    if seconds < MIN_REFERENCE_S {
        Some(format!(
            "The reference is {seconds:.1} s long; matching needs at least {MIN_REFERENCE_S:.0} s of music, so {taken}"
        ))
    } else if lufs.is_none() {
        Some(format!("The reference is silent, so {taken}"))
    } else {
        None
    }
}

/// The loudness aimed at: the intent's, or the reference's (`reference_lufs`)
/// when asked for (the choice is noted in `notes`).
fn target_loudness(
    options: &MasterOptions,
    reference_lufs: Option<f64>,
    notes: &mut Vec<String>,
) -> f64 {
    let mut target_lufs = options.intent.target.lufs();
    if let (Some(l), true) = (reference_lufs, options.loudness_from_reference) {
        target_lufs = l.clamp(-30.0, -5.0);
        notes.push(format!(
            "Loudness target taken from the reference: {target_lufs:.1} LUFS"
        ));
    }
    target_lufs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The master's lean keeps the input's verdict of a hard-panned
    /// arrangement (a width touch had read it as a major slip); a lean that
    /// was a slip in the input is left as measured.
    #[test]
    fn a_hard_panned_input_stays_an_arrangement_in_the_master() {
        let report = |right_db: f32| {
            let a = sub_heavy(48_000, 6.0, 7, 0.5);
            // The right channel another signal (the left played backwards)
            // `right_db` down: other parts, not the same music.
            let right = a.channels[0]
                .iter()
                .rev()
                .map(|s| s * 10f32.powf(right_db / 20.0))
                .collect();
            let audio = AudioBuffer {
                sample_rate: a.sample_rate,
                channels: vec![a.channels[0].clone(), right],
            };
            analyze(
                &audio,
                &Source::pcm("t"),
                &AnalysisOptions::default(),
                |_, _| {},
            )
            .report
        };
        let lean_level = |r: &Report| {
            r.risks
                .iter()
                .find(|x| x.id == "stereo_imbalance")
                .map(|x| x.level)
        };
        for (right_db, kept) in [(-17.0, false), (-4.0, true)] {
            let before = report(right_db);
            // The master as a narrowed track would read: a major lean.
            let mut after = before.clone();
            let lean = after
                .risks
                .iter_mut()
                .find(|x| x.id == "stereo_imbalance")
                .unwrap();
            lean.severity = 1.0;
            lean.level = crate::report::Level::Major;
            keep_arrangement(&before, &mut after);
            assert_eq!(
                lean_level(&after) == Some(crate::report::Level::Major),
                kept,
                "{right_db} dB: {:?} (input {:?}, correlation {:?})",
                lean_level(&after),
                lean_level(&before),
                before.stereo.correlation
            );
        }
    }

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

    /// A reference too short to be a record (1 s) or silent (5 s) is set
    /// aside with a note that says which: the master is the one made without
    /// a reference, sample for sample, at the intent's loudness. (The same
    /// 1 s had its balance matched, two ±3 dB shelves, and a silent one was
    /// said to be "already close, or it raised a risk".)
    #[test]
    fn a_reference_too_short_or_silent_is_set_aside_and_said_so() {
        let input = sub_heavy(48_000, 6.0, 7, 0.9);
        let options = |from_reference| MasterOptions {
            loudness_from_reference: from_reference,
            ..MasterOptions::default()
        };
        let plain = master(&input, &options(false), None, |_, _| {}).unwrap();
        let short = sub_heavy(48_000, 1.0, 11, 0.0);
        let silent = AudioBuffer {
            sample_rate: 48_000,
            channels: vec![vec![0.0; 5 * 48_000]; 2],
        };
        for (reference, said) in [
            (&short, "The reference is 1.0 s long"),
            (&silent, "The reference is silent"),
        ] {
            let m = master(&input, &options(true), Some(reference), |_, _| {}).unwrap();
            assert_eq!(m.audio, plain.audio, "{said}");
            assert!(
                m.report
                    .decisions
                    .iter()
                    .all(|d| d.r#move != "reference_eq"),
                "{said}"
            );
            let notes = &m.report.after.notices;
            assert!(notes.iter().any(|n| n.starts_with(said)), "{notes:?}");
            assert!(
                !notes.iter().any(|n| n.contains("taken from the reference")),
                "{notes:?}"
            );
        }
    }

    /// One candidate at a time or two, the track through the kept moves held
    /// or rendered again for every trial: the same master, sample for
    /// sample, and the same document (the mix keeps a corrective move, a
    /// reference correction and the limiter, and its amounts are scaled).
    #[test]
    fn parallel_candidates_and_an_unheld_track_give_the_sequential_master() {
        let input = sub_heavy(48_000, 6.0, 7, 0.9);
        let reference = sub_heavy(48_000, 6.0, 11, 0.0);
        let mut limited = false;
        for (reference, target) in [
            (None, intent::Target::Streaming),
            (Some(&reference), intent::Target::Streaming),
            (None, intent::Target::Loud),
        ] {
            let options = MasterOptions {
                loudness_from_reference: reference.is_some(),
                intent: MasterIntent {
                    target,
                    ..MasterIntent::default()
                },
                ..MasterOptions::default()
            };
            let run = |width, hold| {
                master_with_parallelism(
                    Samples::Float(&input),
                    &options,
                    reference,
                    None,
                    |_, _| {},
                    width,
                    hold,
                    &|_| Ok(()),
                )
                .unwrap()
            };
            let seq = run(1, true);
            assert!(
                !seq.corrections.modules.is_empty(),
                "the test mix must make the loop keep a move"
            );
            assert!(
                seq.report.iterations.iter().any(|i| !i.rejected.is_empty()),
                "the test mix must give more than one candidate"
            );
            limited |= seq
                .report
                .chain
                .modules
                .iter()
                .any(|m| matches!(m, chain::Module::Limiter { .. }));
            for (width, hold) in [(2, true), (1, false), (2, false)] {
                let other = run(width, hold);
                assert_eq!(seq.audio, other.audio, "width {width}, hold {hold}");
                assert_eq!(
                    serde_json::to_value(&seq.report).unwrap(),
                    serde_json::to_value(&other.report).unwrap(),
                    "width {width}, hold {hold}"
                );
                assert_eq!(seq.corrections, other.corrections);
            }
            let amounts: Vec<f64> = (0..seq.corrections.modules.len())
                .map(|i| if i % 2 == 0 { 0.5 } else { 1.3 })
                .collect();
            let rescaled = |hold| {
                rescale::rescale_holding(
                    Samples::Float(&input),
                    &options,
                    &seq.report,
                    &seq.corrections,
                    &amounts,
                    |_, _| {},
                    hold,
                )
                .unwrap()
            };
            let (held, unheld) = (rescaled(true), rescaled(false));
            assert_eq!(held.audio, unheld.audio);
            assert_eq!(
                serde_json::to_value(&held.report).unwrap(),
                serde_json::to_value(&unheld.report).unwrap()
            );
        }
        assert!(
            limited,
            "a loud master of the test mix must need the limiter"
        );
    }

    /// One master as the page's Worker makes it: a candidate at a time, the
    /// track not held.
    fn once(samples: Samples<'_>, options: &MasterOptions) -> Mastered {
        master_with_parallelism(samples, options, None, None, |_, _| {}, 1, false, &|_| {
            Ok(())
        })
        .unwrap()
    }

    /// A track kept as the integers of its 16-bit source (as the page's
    /// Worker keeps a song), or not held but read again from its WAV (as it
    /// keeps a long file), masters and rescales to the same samples and
    /// document as its `f32` samples.
    #[test]
    fn a_stored_integer_track_gives_the_same_master() {
        let mut input = sub_heavy(48_000, 6.0, 5, 0.9);
        for c in &mut input.channels {
            for x in c.iter_mut() {
                *x = (*x * 32_768.0).round().clamp(-32_768.0, 32_767.0) / 32_768.0;
            }
        }
        let stored = crate::audio::Stored::new(input.clone(), Some(16));
        assert!(matches!(stored, crate::audio::Stored::Int16 { .. }));
        // Not held: read again for every render (as the page keeps a long
        // track, from a scratch file on disk).
        let on_disk = std::sync::Arc::new(crate::audio::tests::Kept::new(input.clone()));
        let reread = crate::audio::Stored::Reread(crate::audio::Reread(on_disk.clone()));
        let options = MasterOptions::default();
        let (float, kept) = (
            once(Samples::Float(&input), &options),
            once(Samples::from(&stored), &options),
        );
        assert!(!float.corrections.modules.is_empty());
        assert_eq!(float.audio, kept.audio);
        assert_eq!(
            serde_json::to_value(&float.report).unwrap(),
            serde_json::to_value(&kept.report).unwrap()
        );
        let from_file = once(Samples::from(&reread), &options);
        assert_eq!(float.audio, from_file.audio);
        assert_eq!(
            serde_json::to_value(&float.report).unwrap(),
            serde_json::to_value(&from_file.report).unwrap()
        );
        let amounts = vec![0.7; float.corrections.modules.len()];
        let rescaled = |samples| {
            rescale::rescale_holding(
                samples,
                &options,
                &float.report,
                &float.corrections,
                &amounts,
                |_, _| {},
                false,
            )
            .unwrap()
        };
        let from_input = rescaled(Samples::Float(&input)).audio;
        assert_eq!(from_input, rescaled(Samples::from(&stored)).audio);
        assert_eq!(from_input, rescaled(Samples::from(&reread)).audio);
        // Read again for the trials (the track is not held), not once.
        assert!(on_disk.reads.load(std::sync::atomic::Ordering::Relaxed) > 3);
        // Storage that fails mid-way: an error to tell, no master.
        on_disk
            .gone
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let failed = master_with_parallelism(
            Samples::from(&reread),
            &options,
            None,
            None,
            |_, _| {},
            1,
            false,
            &|_| Ok(()),
        );
        assert!(
            matches!(failed, Err(crate::error::Error::Reread(_))),
            "{:?}",
            failed.err()
        );
    }

    /// A lossy decode kept as 24-bit integers of its own peak (as the page's
    /// Worker and the command line keep an MP3) masters with the same moves
    /// as its `f32` samples, to samples within 1e-5 of theirs (the rounding
    /// is 2^−24 of the scale; a 24-bit master's own step is 2^−23).
    #[test]
    fn a_lossy_track_kept_as_24_bits_gives_the_same_master() {
        let input = sub_heavy(48_000, 6.0, 5, 0.9);
        let stored = crate::audio::Stored::new(input.clone(), None);
        assert!(matches!(stored, crate::audio::Stored::Int24 { .. }));
        let options = MasterOptions {
            output_format: crate::io::wav::SampleFormat::Float32,
            ..MasterOptions::default()
        };
        let (float, kept) = (
            once(Samples::Float(&input), &options),
            once(Samples::from(&stored), &options),
        );
        assert!(!float.corrections.modules.is_empty());
        assert_eq!(float.report.chain, kept.report.chain);
        let worst = float
            .audio
            .channels
            .iter()
            .zip(&kept.audio.channels)
            .flat_map(|(a, b)| a.iter().zip(b).map(|(a, b)| (a - b).abs()))
            .fold(0f32, f32::max);
        assert!(worst < 1e-5, "{worst}");
    }

    /// The measurements made when the file was dropped (whole, or its two
    /// halves put together as the page does) stand in for the master's own
    /// analysis of the input: the same master, audio and report, without
    /// measuring again (no progress inside the analysis stage). Asked for
    /// another target, they do not fit, and the input is analysed anew.
    #[test]
    fn a_master_from_the_drops_measurements_is_the_same_master() {
        use crate::measure::{combine, measure_loudness, measure_peaks};
        let input = sub_heavy(48_000, 6.0, 5, 0.9);
        let source = Source::pcm("input");
        let whole = analyze(&input, &source, &AnalysisOptions::default(), |_, _| {}).measurements;
        let halves = combine(
            &input,
            &AnalysisOptions::default(),
            measure_loudness(&input, &AnalysisOptions::default(), |_, _| {}),
            measure_peaks(&input, |_, _| {}),
        );
        for target in [intent::Target::Streaming, intent::Target::Lufs(-18.0)] {
            let options = MasterOptions {
                intent: MasterIntent {
                    target,
                    ..MasterIntent::default()
                },
                ..MasterOptions::default()
            };
            let mut steps = 0;
            let own = master(&input, &options, None, |stage, f| {
                steps += usize::from(stage == Stage::Analyse && f > 0.0)
            })
            .unwrap();
            assert!(steps > 0, "the plain master analyses the input");
            for m in [&whole, &halves] {
                let mut steps = 0;
                let from = master_analysed(&input, &options, None, m, |stage, f| {
                    steps += usize::from(stage == Stage::Analyse && f > 0.0)
                })
                .unwrap();
                assert_eq!(own.audio, from.audio, "{target:?}");
                assert_eq!(
                    serde_json::to_value(&own.report).unwrap(),
                    serde_json::to_value(&from.report).unwrap(),
                    "{target:?}"
                );
                let fits = target == intent::Target::Streaming;
                assert_eq!(
                    steps == 0,
                    fits,
                    "{target:?}: measured again: {steps} steps"
                );
            }
        }
    }
}
