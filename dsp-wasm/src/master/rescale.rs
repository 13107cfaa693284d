//! Scaling the decided moves: the artist sets an amount per corrective move
//! (0 = off, 1 = as decided, up to [`MAX_AMOUNT`]), and the whole track is
//! checked again — the corrective chain re-rendered with each move's amount
//! parameter scaled ([`Module::scaled`]; a peak control its depth under the
//! peak it was set under, [`scaled_module`]), the loudness stage re-run on the
//! result (the master still reaches its target under its ceiling), delivered
//! and verified exactly as a fresh master, and analysed again, so the
//! report, the risks left and what is heard all follow the new amounts.
//! The decisions are those of the original master, each re-labelled with its
//! amount; nothing is re-decided.

use serde_json::json;

use super::delivery::Delivery;
use super::loudness_stage::loudness_stage;
use super::track::Track;
use super::{
    decide, hold_track, left, sanitized, severity_summary, validate, MasterOptions, Mastered, Raw,
    CANDIDATE_PARALLELISM,
};
use crate::audio::Samples;
use crate::chain::{Chain, Module};
use crate::dsp::limiter::SAFETY_MARGIN_DB;
use crate::error::{Error, Result};
use crate::measure::AnalysisOptions;
use crate::progress::Stage;
use crate::report::{analyze, Decision, Iteration, MasterReport, Source};

/// Largest amount a move can be scaled to (150 %).
pub const MAX_AMOUNT: f64 = 1.5;

/// The decision parameter holding the highest true peak (dBTP) a corrective
/// limiter — a peak control — was set under.
pub const UNDER_PEAK_PARAM: &str = "under_peak_dbtp";

/// `m` with its amount scaled by `amount` ([`Module::scaled`]). A corrective
/// limiter (a peak control, "2.0 dB under the highest peak") has its depth
/// under `under_peak_dbtp` scaled: at 50 % it sits half as far under the
/// peak, at 0 % on it (shaving nothing; the depth is counted to where the
/// limiter aims, [`SAFETY_MARGIN_DB`] under its ceiling). The delivery's true-peak limiter is
/// not a corrective move and is never scaled; a limiter with no recorded
/// peak stays as it is.
pub fn scaled_module(m: &Module, amount: f64, under_peak_dbtp: Option<f64>) -> Module {
    match (m, under_peak_dbtp) {
        (
            Module::Limiter {
                ceiling_dbtp,
                lookahead_ms,
                release_ms,
            },
            Some(peak),
        ) if peak.is_finite() && amount != 1.0 => {
            // The depth to where the limiter aims, its safety margin under
            // the ceiling: at 0 % that aim is the peak itself.
            let depth = (peak - ceiling_dbtp + SAFETY_MARGIN_DB).max(0.0);
            let ceiling = (peak - depth * amount.max(0.0) + SAFETY_MARGIN_DB).clamp(-30.0, 0.0);
            Module::Limiter {
                ceiling_dbtp: (ceiling * 100.0).round() / 100.0,
                lookahead_ms: *lookahead_ms,
                release_ms: *release_ms,
            }
        }
        _ => m.scaled(amount),
    }
}

/// The peak a corrective module was set under, from its decision (see
/// [`UNDER_PEAK_PARAM`]).
fn under_peak(previous: &MasterReport, index: usize) -> Option<f64> {
    previous
        .decisions
        .iter()
        .find(|d| d.params.get("module_index").and_then(|v| v.as_u64()) == Some(index as u64))
        .and_then(|d| d.params.get(UNDER_PEAK_PARAM)?.as_f64())
}

/// Re-masters `input` with the corrective moves of `previous` (its
/// [`Mastered::corrections`] are `corrections`) scaled by `amounts`, one per
/// corrective module (clamped to `0..=`[`MAX_AMOUNT`]).
pub fn rescale<'a>(
    input: impl Into<Samples<'a>>,
    options: &MasterOptions,
    previous: &MasterReport,
    corrections: &Chain,
    amounts: &[f64],
    progress: impl FnMut(Stage, f64),
) -> Result<Mastered> {
    let input = input.into();
    let hold = hold_track(input, CANDIDATE_PARALLELISM);
    rescale_holding(
        input,
        options,
        previous,
        corrections,
        amounts,
        progress,
        hold,
    )
}

/// [`rescale`], holding the scaled track or rendering it again when needed
/// (`hold`, see [`Track`]); the result does not depend on it.
pub(super) fn rescale_holding(
    input: Samples<'_>,
    options: &MasterOptions,
    previous: &MasterReport,
    corrections: &Chain,
    amounts: &[f64],
    mut progress: impl FnMut(Stage, f64),
    hold: bool,
) -> Result<Mastered> {
    validate(input, options, None)?;
    if amounts.len() != corrections.modules.len() || amounts.iter().any(|a| !a.is_finite()) {
        return Err(Error::InvalidChain(format!(
            "{} amounts for {} moves",
            amounts.len(),
            corrections.modules.len()
        )));
    }
    let amounts: Vec<f64> = amounts.iter().map(|a| a.clamp(0.0, MAX_AMOUNT)).collect();
    let cleaned = match input {
        Samples::Float(a) => Some(sanitized(a)),
        Samples::Stored(_) => None,
    };
    let input = cleaned.as_deref().map_or(input, Samples::Float);
    let intent = &options.intent;
    let target_lufs = previous.intent.target_lufs;
    let aopts = AnalysisOptions {
        target_lufs,
        ceiling_dbtp: intent.ceiling_dbtp,
    };
    let modules: Vec<Module> = corrections
        .modules
        .iter()
        .zip(&amounts)
        .enumerate()
        .map(|(i, (m, &a))| scaled_module(m, a, under_peak(previous, i)))
        .collect();

    progress(Stage::Analyse, 0.0);
    // The scaled moves as one chain over the input; on a long track in the
    // page its samples are not held, but made again when needed ([`Track`]).
    let corrected = Track::rendered(input, Chain::new(modules.clone()), hold)?;
    progress(Stage::Analyse, 0.4);
    let (current, current_m) = analyze(
        &*corrected.audio()?,
        &Source::rendered("rescaled", Source::is_lossy_format(&options.input_format)),
        &aopts,
        |_, _| {},
    )
    .into_parts();
    let before = &previous.before;
    let before_sev = decide::severities(before);

    progress(Stage::Loudness, 0.6);
    let loud = loudness_stage(
        &corrected,
        Raw::of(&current_m),
        &current,
        before,
        &before_sev,
        intent,
        target_lufs,
    )?;
    drop(current_m);
    let mut notes = loud.notes.clone();
    let mut decisions: Vec<Decision> = previous
        .decisions
        .iter()
        .filter_map(|d| scaled_decision(d, &corrections.modules, &modules, &amounts))
        .collect();
    decisions.extend(loud.decisions.iter().cloned());

    progress(Stage::Render, 0.8);
    let delivery = Delivery {
        input,
        options,
        aopts: &aopts,
        deliver: &|_| Ok(()),
    };
    let (audio, chain, mut after) = delivery.render_and_verify(
        corrected,
        loud.modules,
        loud.rendered,
        &mut notes,
        &mut progress,
    )?;
    after.notices.extend(notes);
    super::keep_input_traits(before, &mut after);
    let mut iterations = previous.iterations.clone();
    iterations.push(Iteration {
        step: iterations.len() as u32,
        risk_severity: severity_summary(&decide::severities(&after)),
        accepted: amounts
            .iter()
            .enumerate()
            .filter(|(_, &a)| a != 1.0)
            .map(|(i, a)| format!("move {} at {:.0} %", i + 1, a * 100.0))
            .chain(loud.labels)
            .collect(),
        rejected: Vec::new(),
    });
    let left = left::left_risks(before, &after, &decisions, &iterations);
    progress(Stage::Verify, 1.0);
    Ok(Mastered {
        audio,
        report: MasterReport {
            intent: previous.intent.clone(),
            decisions,
            iterations,
            chain,
            before: before.clone(),
            after,
            left,
            ..previous.clone()
        },
        corrections: corrections.clone(),
    })
}

/// A corrective decision (one naming a `module_index`) with its module's
/// new parameters and its amount; `None` for the loudness stage's, which
/// are decided again. `decided` are the modules as decided (`modules` as
/// scaled).
fn scaled_decision(
    d: &Decision,
    decided: &[Module],
    modules: &[Module],
    amounts: &[f64],
) -> Option<Decision> {
    let index = d.params.get("module_index")?.as_u64()? as usize;
    let module = modules.get(index)?;
    let amount = amounts[index];
    let mut params = serde_json::to_value(module).unwrap_or_else(|_| json!({}));
    if let (Some(obj), Some(old)) = (params.as_object_mut(), d.params.as_object()) {
        for key in ["module_index", "amount_param", UNDER_PEAK_PARAM] {
            if let Some(v) = old.get(key) {
                obj.insert(key.into(), v.clone());
            }
        }
        obj.insert("amount".into(), json!(amount));
    }
    let under = d.params.get(UNDER_PEAK_PARAM).and_then(|v| v.as_f64());
    let label = match decided.get(index) {
        Some(was) => scaled_label(&d.label, was, module, amount, under),
        None => d.label.clone(),
    };
    Some(Decision {
        params,
        label,
        ..d.clone()
    })
}

/// The words for a move at `amount`: the decided label (`label`, made for
/// `was`) with the amounts the scaled module `now` really has, and the share
/// of the decision it is at ("dynamic cut at 274 Hz, up to −0.8 dB — at 50 %
/// of the decided amount"); at 0 % the decided words, marked off. A peak
/// control says its new depth under the peak it was set under (`under`).
fn scaled_label(
    label: &str,
    was: &Module,
    now: &Module,
    amount: f64,
    under: Option<f64>,
) -> String {
    let pct = amount * 100.0;
    if (amount - 1.0).abs() < 1e-9 {
        return label.to_string();
    }
    if amount <= 0.0 {
        return format!("{label} — off (at 0 %)");
    }
    let words = match (was, now, under) {
        (Module::StereoImage { .. }, _, _) => decide::image_label(now),
        // A peak control's words are its depth under that peak (the decided
        // label may have rounded the depth its ceiling was set from).
        (Module::Limiter { .. }, Module::Limiter { ceiling_dbtp, .. }, Some(peak))
            if label.starts_with("peak control ") =>
        {
            format!(
                "peak control {:.1} dB under the highest peak",
                (peak - ceiling_dbtp).max(0.0)
            )
        }
        _ => decide::relabel(label, was, now),
    };
    format!("{words} — at {pct:.0} % of the decided amount")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEAK_CONTROL: Module = Module::Limiter {
        ceiling_dbtp: -4.0,
        lookahead_ms: 2.0,
        release_ms: 30.0,
    };

    fn ceiling(m: &Module) -> f64 {
        match m {
            Module::Limiter { ceiling_dbtp, .. } => *ceiling_dbtp,
            _ => panic!("not a limiter: {m:?}"),
        }
    }

    #[test]
    fn a_peak_control_scales_its_depth_under_the_peak() {
        // Set 2 dB under a −2 dBTP peak.
        let at = |a| ceiling(&scaled_module(&PEAK_CONTROL, a, Some(-2.0)));
        assert_eq!(at(1.0), -4.0);
        // The depth counts to the limiter's aim, 0.1 dB under its ceiling.
        assert_eq!(at(0.5), -2.95);
        assert_eq!(at(0.0), -1.9);
        assert_eq!(at(1.5), -5.05);
        // Never over 0 dBTP, however hot the input was.
        assert_eq!(ceiling(&scaled_module(&PEAK_CONTROL, 0.0, Some(1.5))), 0.0);
        // With no recorded peak, or at 100 %, the module as decided.
        assert_eq!(scaled_module(&PEAK_CONTROL, 0.5, None), PEAK_CONTROL);
        assert_eq!(scaled_module(&PEAK_CONTROL, 1.0, Some(-2.0)), PEAK_CONTROL);
        // Every other module as `Module::scaled` has it.
        let gain = Module::Gain { gain_db: -2.0 };
        assert_eq!(scaled_module(&gain, 0.5, Some(-2.0)), gain.scaled(0.5));
    }

    #[test]
    fn a_scaled_move_says_the_amount_it_now_has() {
        use crate::chain::{FilterKind, StereoTarget};
        let bell = |gain_db| Module::Eq {
            kind: FilterKind::Peaking,
            freq_hz: 274.0,
            q: 0.9,
            gain_db,
            target: StereoTarget::Stereo,
        };
        let label = "bell 274 Hz -3.0 dB";
        let words = |a: f64| scaled_label(label, &bell(-3.0), &bell(-3.0).scaled(a), a, None);
        assert_eq!(words(1.0), label);
        assert_eq!(
            words(0.5),
            "bell 274 Hz -1.5 dB — at 50 % of the decided amount"
        );
        assert_eq!(
            words(1.5),
            "bell 274 Hz -4.5 dB — at 150 % of the decided amount"
        );
        assert_eq!(words(0.0), "bell 274 Hz -3.0 dB — off (at 0 %)");

        let image = Module::StereoImage {
            mono_below_hz: 120.0,
            flip_low: crate::chain::FlipLow::None,
            width: 0.8,
            balance_db: 1.0,
            invert: Default::default(),
        };
        assert_eq!(
            scaled_label(
                "mono below 120 Hz, width 0.8, balance +1.0 dB",
                &image,
                &image.scaled(0.5),
                0.5,
                None
            ),
            "mono below 60 Hz, width 0.9, balance +0.5 dB — at 50 % of the decided amount"
        );

        // A peak control set 2.0 dB under a −2 dBTP peak, at 25 %: its
        // ceiling −2.425 dBTP, 0.4 dB under that peak.
        let quarter = scaled_module(&PEAK_CONTROL, 0.25, Some(-2.0));
        assert_eq!(
            scaled_label(
                "peak control 2.0 dB under the highest peak",
                &PEAK_CONTROL,
                &quarter,
                0.25,
                Some(-2.0)
            ),
            "peak control 0.4 dB under the highest peak — at 25 % of the decided amount"
        );
    }
}
