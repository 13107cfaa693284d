//! Loudness per ITU-R BS.1770-4 / EBU R128 (K-weighting, 400 ms momentary and
//! 3 s short-term windows, absolute −70 LUFS and relative −10 LU gating), and
//! loudness range per EBU Tech 3342, using the `ebur128` crate (a port of
//! libebur128, conformance-tested against EBU Tech 3341/3342).

use ebur128::{EbuR128, Mode};

use crate::audio::AudioBuffer;

/// Loudness of silence or of signals too short to measure is undefined; the
/// report carries `null` then.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loudness {
    /// Integrated (gated) loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// Loudness range, LU (EBU Tech 3342).
    pub range_lu: Option<f64>,
    /// Highest momentary (400 ms) loudness, LUFS.
    pub max_momentary_lufs: Option<f64>,
    /// Highest short-term (3 s) loudness, LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Short-term loudness every [`SHORT_TERM_STEP_S`], LUFS (−70 floor).
    pub short_term_lufs: Vec<f64>,
}

/// Spacing of the short-term loudness series, seconds (10 Hz, as EBU Tech 3341 meters update).
pub const SHORT_TERM_STEP_S: f64 = 0.1;

/// Floor used for undefined or silent loudness values in series.
pub const SILENCE_LUFS: f64 = -70.0;

/// Measures loudness of a mono or stereo buffer. `progress` is called with
/// fractions 0..1 as the measurement advances.
pub fn measure(audio: &AudioBuffer, mut progress: impl FnMut(f64)) -> Loudness {
    let channels = audio.num_channels() as u32;
    let rate = audio.sample_rate;
    let Ok(mut meter) = EbuR128::new(channels, rate, Mode::I | Mode::LRA | Mode::M | Mode::S)
    else {
        return Loudness::default();
    };
    let step = ((SHORT_TERM_STEP_S * f64::from(rate)).round() as usize).max(1);
    let frames = audio.frames();
    let mut max_m = f64::NEG_INFINITY;
    let mut max_s = f64::NEG_INFINITY;
    let mut series = Vec::with_capacity(frames / step + 1);
    let mut pos = 0;
    while pos < frames {
        let end = (pos + step).min(frames);
        let slices: Vec<&[f32]> = audio.channels.iter().map(|c| &c[pos..end]).collect();
        if meter.add_frames_planar_f32(&slices).is_err() {
            break;
        }
        pos = end;
        let elapsed_s = pos as f64 / f64::from(rate);
        if elapsed_s >= 0.4 {
            if let Ok(m) = meter.loudness_momentary() {
                if m.is_finite() {
                    max_m = max_m.max(m);
                }
            }
        }
        let st = if elapsed_s >= 3.0 {
            meter.loudness_shortterm().ok()
        } else {
            meter.loudness_shortterm().ok().filter(|_| elapsed_s >= 0.4)
        };
        if let Some(s) = st.filter(|s| s.is_finite()) {
            if elapsed_s >= 3.0 {
                max_s = max_s.max(s);
            }
            series.push(s.max(SILENCE_LUFS));
        } else {
            series.push(SILENCE_LUFS);
        }
        if series.len() % 256 == 0 {
            progress(pos as f64 / frames as f64);
        }
    }
    // Files shorter than 3 s still have a short-term value over what exists.
    if !max_s.is_finite() {
        if let Ok(s) = meter.loudness_shortterm() {
            if s.is_finite() && frames as f64 / f64::from(rate) >= 0.4 {
                max_s = s;
            }
        }
    }
    let defined = |v: f64| (v.is_finite() && v > SILENCE_LUFS).then_some(v);
    let integrated = meter.loudness_global().ok().and_then(defined);
    let range = integrated.and(meter.loudness_range().ok().filter(|v| v.is_finite()));
    progress(1.0);
    Loudness {
        integrated_lufs: integrated,
        range_lu: range,
        max_momentary_lufs: defined(max_m),
        max_short_term_lufs: defined(max_s),
        short_term_lufs: series,
    }
}
