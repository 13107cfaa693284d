//! Reference matching: bounded corrections toward a reference track's
//! smoothed octave balance, judged by the same rule as every other move.
//! See step 3 in [`super`].

use serde_json::json;

use super::corrective::Corrected;
use super::decide;
use super::severity_summary;
use super::track::Track;
use super::{Raw, MAX_REFERENCE_CORRECTION_DB};
use crate::audio::AudioBuffer;
use crate::chain::{Chain, FilterKind, Module, StereoTarget};
use crate::measure::octave_bands;
use crate::report::{Decision, Iteration, Report};
use crate::risks::Level;

/// A kept reference-matching correction.
pub(super) struct ReferenceMove {
    pub(super) modules: Vec<Module>,
    pub(super) label: String,
    pub(super) addresses: Vec<String>,
    pub(super) why: String,
    /// Its render of the track, when the track holds its samples.
    pub(super) audio: Option<AudioBuffer>,
    pub(super) report: (Report, Raw),
}

/// Bounded shelving corrections toward the reference's smoothed octave
/// balance, kept only if no risk rises a level and the tonal distance shrinks.
pub(super) fn reference_move(
    track: &Track<'_>,
    current: &Report,
    reference: &AudioBuffer,
    analyse: &(impl Fn(&AudioBuffer) -> (Report, Raw) + Sync),
    scale: f64,
) -> Option<ReferenceMove> {
    // The track's samples go before a trial is rendered; the two balances
    // are measured side by side.
    let (r, a) = {
        let audio = track.audio().ok()?;
        crate::parallel::join(
            || octave_bands::octave_levels(reference),
            || octave_bands::octave_levels(&audio),
        )
    };
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
    let distance_of = |l: &[(f64, f64)]| {
        let d = diff_of(l);
        d.iter().map(|v| v.abs()).sum::<f64>() / d.len() as f64
    };
    let before = distance_of(&a);
    let cur_sev = decide::severities(current);
    // The full correction first; half of it only when the full one is
    // turned down. One after the other: the first usually stands, and an
    // analysis already keeps the cores busy (two at once took as long as
    // both in turn on two cores).
    let trial_of = |&factor: &f64| {
        let ms: Vec<Module> = modules.iter().map(|m| m.scaled(factor)).collect();
        let out = track.render_with(&Chain::new(ms.clone())).ok()?;
        // Its balance is measured beside its analysis.
        let (levels, rep) =
            crate::parallel::join(|| octave_bands::octave_levels(&out), || analyse(&out));
        Some((ms, out, rep, levels))
    };
    let trials = [1.0, 0.5].iter().map(trial_of);
    for trial in trials {
        let (ms, out, rep, levels) = trial?;
        let sev = decide::severities(&rep.0);
        let rose = sev.iter().any(|(id, &s)| {
            !decide::FINAL_STAGE_RISKS.contains(&id.as_str())
                && Level::from_severity(s)
                    > Level::from_severity(cur_sev.get(id).copied().unwrap_or(0.0))
        });
        let after = distance_of(&levels);
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
            audio: track.keeps_renders().then_some(out),
            report: rep,
        });
    }
    None
}

/// Step 3: the reference correction, kept in `state` when [`reference_move`]
/// finds one. Returns whether one was kept.
pub(super) fn match_reference(
    state: &mut Corrected<'_>,
    reference: &AudioBuffer,
    analyse: &(impl Fn(&AudioBuffer) -> (Report, Raw) + Sync),
    scale: f64,
) -> bool {
    let Some(rm) = reference_move(&state.track, &state.report, reference, analyse, scale) else {
        return false;
    };
    let module_index = state.track.modules().len();
    let decision = Decision {
        r#move: "reference_eq".into(),
        label: rm.label.clone(),
        params: json!({
            "modules": &rm.modules,
            "module_index": module_index,
            "amount_param": "gain_db",
        }),
        addresses: rm.addresses,
        why: rm.why,
        trade_off: "The track's own balance gives way to the reference's where they differ.".into(),
    };
    if state.track.keep(Chain::new(rm.modules), rm.audio).is_err() {
        return false;
    }
    state.decisions.push(decision);
    (state.report, state.raw) = rm.report;
    state.iterations.push(Iteration {
        step: state.iterations.len() as u32,
        risk_severity: severity_summary(&decide::severities(&state.report)),
        accepted: vec![rm.label],
        rejected: Vec::new(),
    });
    true
}
