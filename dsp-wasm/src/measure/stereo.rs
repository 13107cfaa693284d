//! Stereo image measurements from the shared spectrogram.
//!
//! What is modelled:
//! - **Inter-channel correlation** (the phase-correlation meter of IEC 60268-18
//!   style meters): `Σ Re(L·R*) / √(Σ|L|² · Σ|R|²)`, broadband and per
//!   ⅓-octave band. +1 = mono, 0 = unrelated, −1 = opposite polarity.
//! - **Mono-sum loss**: how much quieter the track gets when both channels
//!   are summed, `(|L|²+|R|²)/2` against `|(L+R)/2|²`, weighted by the
//!   K-weighting response (BS.1770-4) so the figure is a loudness difference.
//!   A centred (mono) mix loses 0 dB, unrelated channels 3 dB, opposite
//!   polarity everything.
//! - **Balance**: left minus right integrated loudness (BS.1770 gating per
//!   channel), LU. A channel more than 70 dB under the other is **silent**
//!   (a mono mix bounced to one side, a channel lost on the way): there is
//!   no balance then, and no correlation (nothing to correlate with).
//! - **Centre lean**: how far the centre of the mix sits towards one channel
//!   ([`crate::measure::centre_lean`]), blended with the balance by how much
//!   the track has a centre to measure: the figure the image-lean risk and
//!   its correction use.
//! - **Low-end side energy**: side over mid below 120 Hz; low frequencies are
//!   expected near mono (vinyl cutting and club practice: mono below ~100–150 Hz).

use crate::measure::loudness::{self, Loudness};
use crate::measure::spectrum::{power_db, Spectrogram};

/// Upper limit of the "low end" for correlation and side energy, Hz.
pub const LOW_END_HZ: f64 = 125.0;

/// Stereo metrics.
#[derive(Clone, Debug, Default)]
pub struct StereoMetrics {
    /// Broadband correlation (None when silent).
    pub correlation: Option<f64>,
    /// Correlation of the bands up to 125 Hz (upper edge ~141 Hz).
    pub low_correlation: Option<f64>,
    /// K-weighted mono-sum loss, dB (positive = quieter in mono).
    pub mono_loss_db: Option<f64>,
    /// Left minus right loudness, LU (None for mono files or silence).
    pub balance_db: Option<f64>,
    /// Left minus right level of the centre of the mix, dB, and its
    /// confidence 0..1 (see [`crate::measure::centre_lean`]).
    pub centre: Option<(f64, f64)>,
    /// The lean the image-lean risk judges: the centre's where the track has
    /// one, the balance where it has none, in proportion to the confidence.
    pub lean_db: Option<f64>,
    /// Per-band correlation.
    pub band_correlation: Vec<f64>,
    /// Per-band mono-sum loss, dB.
    pub band_mono_loss_db: Vec<f64>,
    /// Side minus mid power below 120 Hz, dB.
    pub low_side_to_mid_db: Option<f64>,
    /// K-weighted mono loss per ~1 s window (for time ranges), dB.
    pub mono_loss_series_db: Vec<f64>,
    /// Seconds between points of `mono_loss_series_db`.
    pub series_step_s: f64,
    /// True for mono input files.
    pub mono_file: bool,
    /// The channel (0 = left, 1 = right) more than [`SILENT_CHANNEL_DB`]
    /// under the other, if one is.
    pub silent_channel: Option<usize>,
}

/// How far under the other a channel is silent, dB: the BS.1770 absolute
/// gate's 70 dB under full scale, taken against the other channel.
pub const SILENT_CHANNEL_DB: f64 = 70.0;

/// How much further out of polarity (side over mid, dB) the lows (under
/// 250 Hz) must be than the middle (250 Hz – 2 kHz) for a track whose side
/// outweighs its mid to be read as one channel inverted rather than a mix
/// widened too far: a finished mix centres its lows more than its middle,
/// widening keeps that order, inverting a channel reverses it
/// (`master::decide`'s `inverted_channel` has the figures;
/// `tests/corpus/polarity_prior.py` prints them).
pub const INVERTED_LOWS_OVER_MIDDLE_DB: f64 = 1.0;

/// Side over mid (dB) of the middle at which the channels cancel all but
/// completely: one is the other inverted (a mono mix bounced with one side
/// flipped); a widened mix would have had no centre at all.
pub const CANCELLED_MIDDLE_DB: f64 = 30.0;

/// Whether a track reads as one channel inverted whole, from the side over
/// mid (dB) of its lows (under 250 Hz), its middle (250 Hz – 2 kHz) and its
/// top (above 2 kHz): each band more out of polarity than in it (a low end
/// inverted alone leaves the rest in polarity), and the lows furthest out,
/// or the middle cancelled all but completely.
pub fn reads_as_inverted(lows_db: f64, middle_db: f64, top_db: f64) -> bool {
    lows_db > 0.0
        && middle_db > 0.0
        && top_db > 0.0
        && (middle_db >= CANCELLED_MIDDLE_DB || lows_db >= middle_db + INVERTED_LOWS_OVER_MIDDLE_DB)
}

/// Power response of the K-weighting filters at `f_hz` (linear).
pub fn k_weight_power(f_hz: f64, sample_rate: u32) -> f64 {
    let (a, b) = loudness::k_weighting(sample_rate);
    let w = 2.0 * std::f64::consts::PI * f_hz / f64::from(sample_rate);
    let resp = |c: &loudness::BiquadCoefs| {
        // |H(e^jw)|² of b0 + b1 z^-1 + b2 z^-2 over 1 + a1 z^-1 + a2 z^-2.
        let (c1, s1, c2, s2) = (w.cos(), w.sin(), (2.0 * w).cos(), (2.0 * w).sin());
        let nr = c.b0 + c.b1 * c1 + c.b2 * c2;
        let ni = -(c.b1 * s1 + c.b2 * s2);
        let dr = 1.0 + c.a1 * c1 + c.a2 * c2;
        let di = -(c.a1 * s1 + c.a2 * s2);
        (nr * nr + ni * ni) / (dr * dr + di * di).max(1e-30)
    };
    resp(&a) * resp(&b)
}

/// Measures the stereo image.
pub fn measure(s: &Spectrogram, l: &Loudness, sample_rate: u32) -> StereoMetrics {
    let nb = s.bands();
    let (sl, sr, sc) = s.sums(0, s.frames);
    let mono_file = l.sub_block_power.len() < 2;
    let kw: Vec<f64> = s
        .bands_hz
        .iter()
        .map(|&f| k_weight_power(f, sample_rate))
        .collect();
    let total_l: f64 = sl.iter().sum();
    let total_r: f64 = sr.iter().sum();
    if total_l + total_r <= 1e-12 || nb == 0 {
        return StereoMetrics {
            mono_file,
            ..Default::default()
        };
    }
    let corr = |l: f64, r: f64, c: f64| {
        if l > 0.0 && r > 0.0 {
            (c / (l * r).sqrt()).clamp(-1.0, 1.0)
        } else {
            1.0
        }
    };
    let loss = |l: f64, r: f64, c: f64| {
        let stereo = (l + r) / 2.0;
        let mid = ((l + r + 2.0 * c) / 4.0).max(stereo * 1e-6);
        power_db(stereo) - power_db(mid)
    };
    let band_correlation: Vec<f64> = (0..nb).map(|b| corr(sl[b], sr[b], sc[b])).collect();
    let band_mono_loss_db: Vec<f64> = (0..nb).map(|b| loss(sl[b], sr[b], sc[b])).collect();
    let silent = |a: f64, b: f64| a < b * crate::units::db_to_power(-SILENT_CHANNEL_DB);
    let silent_channel = if mono_file {
        None
    } else if silent(total_l, total_r) {
        Some(0)
    } else if silent(total_r, total_l) {
        Some(1)
    } else {
        None
    };
    let correlation = corr(total_l, total_r, sc.iter().sum());
    let low = s.bands_in(20.0, LOW_END_HZ);
    let (ll, lr, lc) = low.clone().fold((0.0, 0.0, 0.0), |a, b| {
        (a.0 + sl[b], a.1 + sr[b], a.2 + sc[b])
    });
    let low_correlation = (ll + lr > total_l.max(total_r) * 1e-7 && silent_channel.is_none())
        .then(|| corr(ll, lr, lc));
    let weighted = |from: usize, to: usize| {
        let (mut st, mut mid) = (0.0, 0.0);
        let (wl, wr, wc) = s.sums(from, to);
        for b in 0..nb {
            st += kw[b] * (wl[b] + wr[b]) / 2.0;
            mid += kw[b] * (wl[b] + wr[b] + 2.0 * wc[b]) / 4.0;
        }
        (st, mid)
    };
    let (st, mid) = weighted(0, s.frames);
    let mono_loss_db = Some(power_db(st) - power_db(mid.max(st * 1e-6)));
    let per = ((1.0 / s.frame_step_s.max(1e-9)).round() as usize).max(1);
    let mut series = Vec::new();
    let mut f = 0;
    while f < s.frames {
        let (st, mid) = weighted(f, f + per);
        series.push(if power_db(st) > -80.0 {
            power_db(st) - power_db(mid.max(st * 1e-6))
        } else {
            0.0
        });
        f += per;
    }
    let (mut lside, mut lmid) = (0.0, 0.0);
    for b in s.bands_in(20.0, 120.0) {
        lside += ((sl[b] + sr[b] - 2.0 * sc[b]) / 4.0).max(0.0);
        lmid += (sl[b] + sr[b] + 2.0 * sc[b]) / 4.0;
    }
    let balance_db = match l.channel_lufs.as_slice() {
        [Some(a), Some(b)] if silent_channel.is_none() => Some(a - b),
        _ => None,
    };
    let centre = s.centre.map(|c| (c.lean_db, c.confidence()));
    let lean_db = balance_db.map(|b| match centre {
        Some((c, w)) => w * c + (1.0 - w) * b,
        None => b,
    });
    StereoMetrics {
        centre,
        lean_db,
        correlation: silent_channel.is_none().then_some(correlation),
        low_correlation,
        mono_loss_db,
        balance_db,
        band_correlation,
        band_mono_loss_db,
        low_side_to_mid_db: (lmid + lside > 0.0).then(|| power_db(lside) - power_db(lmid)),
        mono_loss_series_db: series,
        series_step_s: per as f64 * s.frame_step_s,
        mono_file,
        silent_channel,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn k_weighting_response_shape() {
        let g = |f| 10.0 * super::k_weight_power(f, 48_000).log10();
        assert!(g(1000.0).abs() < 1.0);
        assert!((g(10_000.0) - 4.0).abs() < 0.5);
        assert!(g(20.0) < -10.0);
    }
}
