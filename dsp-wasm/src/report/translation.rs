//! Translation: how the track holds up on the playback systems of risks.md.
//!
//! Each system is the model of [`crate::playback::systems`], applied to the
//! track's ⅓-octave band powers (from the shared spectrogram: left, right and
//! their cross term, so mono summing is exact per band).
//!
//! Metrics per system (all dB): `level_change_db` (K-weighted loudness
//! through the system minus hifi), `bass_change_db` (energy below 150 Hz vs
//! hifi), `presence_change_db` (1–4 kHz vs hifi) and system-specific ones.
//! A system `holds` when no major risk exposing it was found and its own
//! checks pass (documented next to each).

use std::collections::BTreeMap;

use crate::measure::spectrum::power_db;
use crate::measure::stereo::k_weight_power;
use crate::measure::Measurements;
use crate::playback::systems::{model, mono_below, response, SYSTEMS};
use crate::report::document::TranslationInfo;
use crate::risks::{Level, Risk};
use crate::units::{self, db_to_power};

/// Evaluates every system.
pub fn evaluate(m: &Measurements, risks: &[Risk]) -> Vec<TranslationInfo> {
    let s = &m.spec;
    if m.loudness.integrated_lufs.is_none() || s.frames == 0 {
        return SYSTEMS
            .iter()
            .map(|&sys| TranslationInfo {
                system: sys.to_string(),
                holds: true,
                notes: format!("Nothing to play: {}.", super::NOTHING_MEASURED),
                metrics: BTreeMap::new(),
            })
            .collect();
    }
    let nb = s.bands();
    let (sl, sr, sc) = s.sums(0, s.frames);
    let n = s.frames as f64;
    let kw: Vec<f64> = s
        .bands_hz
        .iter()
        .map(|&f| k_weight_power(f, m.sample_rate))
        .collect();
    // Power a listener gets per band through a system (mean of the two ears/speakers).
    let through = |sys: &str, b: usize| {
        let f = s.bands_hz[b];
        let g = response(sys, f);
        let p = if f < mono_below(sys) {
            (sl[b] + sr[b] + 2.0 * sc[b]) / 4.0
        } else {
            (sl[b] + sr[b]) / 2.0
        };
        g * p.max(0.0) / n
    };
    let sum = |sys: &str, lo: f64, hi: f64, weighted: bool| {
        power_db(
            (0..nb)
                .filter(|&b| s.bands_hz[b] >= lo && s.bands_hz[b] <= hi)
                .map(|b| through(sys, b) * if weighted { kw[b] } else { 1.0 })
                .sum(),
        )
    };
    let ref_level = sum("hifi", 0.0, 1e9, true);
    let ref_bass = sum("hifi", 0.0, 150.0, false);
    let ref_pres = sum("hifi", 1000.0, 4000.0, false);
    SYSTEMS
        .iter()
        .map(|&sys| {
            let mut metrics = BTreeMap::new();
            let level = sum(sys, 0.0, 1e9, true);
            let level_change = level - ref_level;
            let bass = sum(sys, 0.0, 150.0, false) - ref_bass;
            let pres = sum(sys, 1000.0, 4000.0, false) - ref_pres;
            metrics.insert("level_change_db".to_string(), r1(level_change));
            metrics.insert("bass_change_db".to_string(), r1(bass));
            metrics.insert("presence_change_db".to_string(), r1(pres));
            let mut fails: Vec<String> = Vec::new();
            match sys {
                "phone" => {
                    // Check: summed to mono, the track keeps its loudness within 3 dB
                    // of the same system fed a perfectly centred mix.
                    let mono = sum(sys, 0.0, 1e9, true);
                    let stereo_equiv = power_db(
                        (0..nb)
                            .map(|b| response(sys, s.bands_hz[b]) * kw[b] * (sl[b] + sr[b]) / 2.0 / n)
                            .sum(),
                    );
                    let loss = stereo_equiv - mono;
                    metrics.insert("mono_loss_db".to_string(), r1(loss));
                    if loss > 3.0 {
                        fails.push(format!("{loss:.1} dB is lost in the mono sum"));
                    }
                }
                "club" => {
                    let low = m.stereo.low_correlation.unwrap_or(1.0);
                    metrics.insert("low_correlation".to_string(), r2(low));
                    // Check: mono subs need a mono-compatible low end (correlation ≥ 0.3).
                    if low < 0.3 {
                        fails.push(if low < 0.0 {
                            format!("the low end is out of phase (correlation {}) and cancels on mono subs", units::fmt2(low))
                        } else {
                            format!("the low end is wide (correlation {}) and thins out on mono subs", units::fmt2(low))
                        });
                    }
                    metrics.insert("plr_db".to_string(), r1(m.true_peak_dbtp.unwrap_or(0.0) - m.loudness.integrated_lufs.unwrap_or(0.0)));
                }
                "car" => {
                    // Road noise against the quietest sections' vocal range.
                    let snr = car_presence_snr(m);
                    metrics.insert("presence_snr_quiet_db".to_string(), r1(snr));
                    // Check: in the quietest active sections the 1–4 kHz centre stays ≥ 3 dB above the noise.
                    if snr < 3.0 {
                        fails.push(if snr < 0.0 {
                            format!("in quiet sections the vocal range sits {:.1} dB under road noise", -snr)
                        } else {
                            format!("in quiet sections the vocal range sits only {snr:.1} dB above road noise")
                        });
                    }
                }
                "headphones" | "earbuds" => {
                    if let Some(b) = m.stereo.balance_db {
                        metrics.insert("balance_db".to_string(), r2(b));
                    }
                    metrics.insert(
                        "harsh_band_change_db".to_string(),
                        r1(sum(sys, 2500.0, 8000.0, false) - sum("hifi", 2500.0, 8000.0, false)),
                    );
                }
                _ => {}
            }
            let exposing: Vec<&Risk> = risks
                .iter()
                .filter(|r| r.systems.iter().any(|x| x == sys) && r.level >= Level::Minor)
                .collect();
            let majors: Vec<&&Risk> = exposing.iter().filter(|r| r.level == Level::Major).collect();
            let holds = majors.is_empty() && fails.is_empty();
            let mut notes = String::new();
            if holds {
                notes.push_str("Holds up");
                if !exposing.is_empty() {
                    notes.push_str("; keep an eye on: ");
                    notes.push_str(&exposing.iter().map(|r| r.title.to_lowercase()).collect::<Vec<_>>().join(", "));
                }
                notes.push('.');
            } else {
                let mut parts: Vec<String> = majors.iter().map(|r| r.title.to_lowercase()).collect();
                parts.extend(fails);
                notes = format!("Breaks: {}.", parts.join("; "));
            }
            TranslationInfo {
                system: sys.to_string(),
                holds,
                notes,
                metrics,
            }
        })
        .collect()
}

/// Car: the mid channel's 1–4 kHz level in the quietest active 3 s sections
/// (10th percentile) over the road noise of the car's model in the same
/// range ([`band_power_db`](crate::playback::systems::RoadNoise::band_power_db), the noise the monitor plays), dB.
fn car_presence_snr(m: &Measurements) -> f64 {
    let s = &m.spec;
    let nb = s.bands();
    let pres = s.bands_in(1000.0, 4000.0);
    let all_db = |f: usize| power_db((0..nb).map(|b| s.stereo(f, b)).sum());
    let lt_total = power_db(m.long_term_db.iter().map(|&d| db_to_power(d)).sum());
    let (Some(noise_model), Some(lufs)) = (
        model("car").and_then(|c| c.noise),
        m.loudness.integrated_lufs,
    ) else {
        return f64::INFINITY;
    };
    let noise: f64 = pres
        .clone()
        .map(|b| db_to_power(noise_model.band_power_db(lufs, s.bands_hz[b])))
        .sum();
    let per = ((3.0 / s.frame_step_s).round() as usize).max(1);
    let mut vals = Vec::new();
    let mut f = 0;
    while f < s.frames {
        let end = (f + per).min(s.frames);
        let tot =
            power_db((f..end).map(|fr| db_to_power(all_db(fr))).sum::<f64>() / (end - f) as f64);
        if tot > lt_total - 20.0 {
            let p: f64 = (f..end)
                .map(|fr| pres.clone().map(|b| s.mid(fr, b)).sum::<f64>())
                .sum::<f64>()
                / (end - f) as f64;
            vals.push(power_db(p));
        }
        f = end;
    }
    if vals.is_empty() {
        return 0.0;
    }
    vals.sort_by(f64::total_cmp);
    vals[vals.len() / 10] - power_db(noise)
}

fn r1(x: f64) -> f64 {
    if x.is_finite() {
        units::round1(x)
    } else {
        0.0
    }
}

fn r2(x: f64) -> f64 {
    if x.is_finite() {
        units::round2(x)
    } else {
        0.0
    }
}
