//! Level and dynamics: `overcompressed`, `transient_spikes`, `loudness_target`.

use crate::measure::loudness::SILENCE_LUFS;
use crate::measure::Measurements;
use crate::risks::integrity::clipping_anchors;
use crate::risks::Risk;
use crate::risks::{is_reading, make, num, ramp, ranges_above, when, worst_window, HOLDS};
use crate::units;

/// Short-term windows per PSR point (3 s of 100 ms sub-blocks).
const WINDOW: usize = 30;

/// Runs the three detectors.
pub fn detect(m: &Measurements) -> Vec<Risk> {
    let mut out = Vec::new();
    out.extend(overcompressed(m));
    out.extend(transient_spikes(m));
    out.extend(loudness_target(m));
    out
}

fn tp_window_db(m: &Measurements, i: usize) -> f64 {
    let s = &m.true_peak_series;
    let lo = (i + 1).saturating_sub(WINDOW);
    let p = s[lo.min(s.len())..(i + 1).min(s.len())]
        .iter()
        .copied()
        .fold(0.0f32, f32::max);
    if p > 0.0 {
        20.0 * f64::from(p).log10()
    } else {
        f64::NAN
    }
}

/// Short-term PSR (peak to short-term loudness ratio), dB, on the short-term
/// loudness grid: true peak of the same 3 s window minus its loudness
/// (the PSR of Ian Shepherd's / MeterPlugs' Dynameter; 0 where silent).
pub fn psr_series(m: &Measurements) -> Vec<f64> {
    m.loudness
        .short_term_lufs
        .iter()
        .enumerate()
        .map(|(i, &st)| {
            let tp = tp_window_db(m, i);
            if st > SILENCE_LUFS && tp.is_finite() {
                tp - st
            } else {
                0.0
            }
        })
        .collect()
}

/// Median of the values at points where the short-term loudness is within
/// 10 LU of the integrated loudness (the body of the programme).
fn body_median(values: &[f64], short_term: &[f64], integrated: f64) -> Option<f64> {
    let mut v: Vec<f64> = values
        .iter()
        .zip(short_term)
        .filter(|(x, &st)| x.is_finite() && st >= integrated - 10.0 && st > SILENCE_LUFS)
        .map(|(&x, _)| x)
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// No headroom left: low short-term PSR, before and after a simulated
/// limiter at the target loudness; or the peaks piled against one ceiling.
///
/// Second score, the larger severity counts: the share of loud 5 ms blocks
/// whose peak lies within half a dB of the top
/// ([`crate::measure::levels::Transients::peak_pileup`]), anchors
/// [`PILEUP_MINOR_PERCENT`] / [`PILEUP_MAJOR_PERCENT`]. Not read when the
/// file clips at `clipping`'s minor rate or more (flat tops pile up too).
///
/// Score: the lower of the median short-term PSR before and after limiting.
/// Anchors (decreasing): 8 dB (minor) and 5.5 dB (major) — the PSR guidance of
/// the Dynameter (MeterPlugs / Ian Shepherd: below ~8 dB "heavily compressed";
/// loud commercial masters sit around 6–8 dB, the worst "loudness war" masters below 6) and the
/// PLR figures reported for streaming by AES TD1008 and Katz.
fn overcompressed(m: &Measurements) -> Option<Risk> {
    let i = m.loudness.integrated_lufs?;
    let psr = psr_series(m);
    let st = &m.loudness.short_term_lufs;
    let before = body_median(&psr, st, i)?;
    let ceiling = m.options.ceiling_dbtp;
    let (after, after_series) = match &m.after {
        Some(a) => {
            let g = a.sim.gain_db;
            let series: Vec<f64> = a
                .short_term_lufs
                .iter()
                .enumerate()
                .map(|(k, &s)| {
                    let tp = (tp_window_db(m, k) + g).min(ceiling);
                    if s > SILENCE_LUFS && tp.is_finite() {
                        tp - s
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            let med = a
                .integrated_lufs
                .and_then(|ia| body_median(&series, &a.short_term_lufs, ia));
            (med, series)
        }
        None => (None, Vec::new()),
    };
    let eff = after.map_or(before, |a| a.min(before));
    // A flat loudness envelope (LRA under 3 LU; pop masters measure 4–8 LU,
    // EBU Tech 3342 / Skovenborg 2012 genre survey) counts as up to 1.5 dB less PSR.
    let flat_penalty = m
        .loudness
        .range_lu
        .map_or(0.0, |lra| (0.5 * (3.0 - lra)).clamp(0.0, 1.5));
    let psr_severity = ramp(eff - flat_penalty, 8.0, 5.5);
    // Peaks piled against one ceiling: limited hard already, whatever the
    // PSR left (a very dynamic mix squashed by 8 dB can keep a PSR of 9).
    // Flat-topped clipping piles its peaks up too; that is `clipping`'s.
    let pileup = 100.0 * m.transients.peak_pileup;
    let clips_per_minute = m.levels.clipped_runs as f64 / (m.duration_s / 60.0).max(0.25);
    // Under the minor anchor it is how every mix's loudest hits look: no
    // reading at all.
    let pileup_severity = if clips_per_minute >= clipping_anchors(m.levels.clip_reading).0
        || pileup < PILEUP_MINOR_PERCENT
    {
        0.0
    } else {
        ramp(pileup, PILEUP_MINOR_PERCENT, PILEUP_MAJOR_PERCENT)
    };
    let severity = psr_severity.max(pileup_severity);
    let plr = m.true_peak_dbtp.map(|tp| tp - i);
    let lra = m.loudness.range_lu;
    let use_after = after.is_some_and(|a| a < before);
    let series = if use_after { &after_series } else { &psr };
    // Only complete 3 s windows locate the problem (the first 2.9 s are partial).
    let neg: Vec<f64> = series
        .iter()
        .enumerate()
        .map(|(k, v)| {
            if v.is_finite() && k + 1 >= WINDOW {
                -v
            } else {
                f64::NAN
            }
        })
        .collect();
    let mut ranges = ranges_above(&neg, -1.4, 0.1, 1.5, -eff.min(8.0) + 0.0, 1.0, 5);
    if ranges.is_empty() {
        ranges = worst_window(&neg, -1.4, 0.1, 1.5);
    }
    let target = m.options.target_lufs;
    let target_txt = units::setting(target);
    // Limiting that rounds to 0.0 dB is none: the figure before limiting
    // tells it then.
    let gain_reduction = m.after.as_ref().map_or(0.0, |a| a.sim.max_gr_db.abs());
    let explanation = if is_reading(severity) {
        // A reading: the figure, and that it holds (no consequence, no cure).
        format!(
            "{} the peaks sit {before:.1} dB above the short-term loudness. {HOLDS}",
            when(&ranges, m.duration_s)
        )
    } else if pileup_severity > psr_severity {
        format!(
            "{pileup:.0} % of the loud moments peak within half a dB of the same level: the mix has been limited {}already, \
             and the drums and the groove are flattened against that ceiling (the peaks still stand {before:.1} dB above the \
             short-term loudness, but all at one height). Further limiting has nothing left to take; less limiting on the mix \
             bus gives the punch back, and platforms turn loud masters down anyway.",
            if pileup_severity >= 0.6 { "hard " } else { "" }
        )
    } else if use_after && units::round1(gain_reduction) > 0.0 {
        format!(
            "{} the peaks sit only {:.1} dB above the loudness once the track is limited to {target_txt} LUFS \
             ({:.1} dB before). Getting there needs up to {:.1} dB of limiting, which flattens the drums and the groove; \
             the result sounds dense but small, and normalisation then turns it down anyway. Consider a lower target or \
             less bus compression in the mix.",
            when(&ranges, m.duration_s),
            after.unwrap_or(before),
            before,
            gain_reduction
        )
    } else {
        format!(
            "{} the peaks sit only {before:.1} dB above the short-term loudness: there is little punch left, \
             and any further limiting makes it collapse into a flat wall. Restoring headroom (less limiting, \
             not more) is the first move; platforms turn loud masters down, so the loudness buys nothing.",
            when(&ranges, m.duration_s)
        )
    };
    Some(make(
        "overcompressed",
        severity,
        "Little dynamic headroom left",
        explanation,
        ranges,
        None,
        &["hifi", "headphones", "car", "club"],
        vec![
            ("psr_db", num(before)),
            ("psr_after_limiting_db", num(after.unwrap_or(f64::NAN))),
            ("plr_db", num(plr.unwrap_or(f64::NAN))),
            ("loudness_range_lu", num(lra.unwrap_or(f64::NAN))),
            ("peak_pileup_percent", num(pileup)),
            (
                "limiter_gain_reduction_max_db",
                num(m.after.as_ref().map_or(f64::NAN, |a| a.sim.max_gr_db)),
            ),
            (
                "limiter_active_fraction",
                num(m
                    .after
                    .as_ref()
                    .map_or(f64::NAN, |a| a.sim.fraction_over_1db)),
            ),
            ("target_lufs", num(target)),
        ],
    ))
}

/// Isolated peaks far above everything around them.
///
/// Two scores, the larger severity counts:
/// - **over the loud peaks**: sample peak minus the 99th percentile of 5 ms
///   block peaks (the whole track's, or the 25 s around the peak's if
///   higher), when at least one isolated spike exists (see
///   [`crate::measure::levels::transients`]). Anchors [`LOUD_PEAK_MINOR_DB`]
///   (minor: the limiter spends that much more gain reduction on a handful
///   of events than on the music's own loud peaks, audible as ducking) and
///   [`LOUD_PEAK_MAJOR_DB`] (major: the spike sets the level of the whole
///   master).
/// - **a click**: the most isolated spike's peak over every block peak
///   10–20 ms either side of it ([`CLICK_MINOR_DB`] / [`CLICK_MAJOR_DB`]).
///   A click in a quiet passage sits under the loud peaks, but the master's
///   gain lifts it with the passage, and the limiter ducks the music around
///   it or lets it crack. On the judgement corpus's calibration sources the
///   most isolated musical peak of a clean recording stood 2–8 dB out (10.8
///   dB on a synthetic electronic track); injected 2 ms clicks 10.6–23.6 dB.
///   Clicks that recur more often than [`CLICKS_MAX_PER_MINUTE`] are the
///   arrangement's own (a tracker piece's percussion ticks 53 times a
///   minute), not isolated peaks.
fn transient_spikes(m: &Measurements) -> Option<Risk> {
    let t = &m.transients;
    if t.spikes.is_empty() {
        return None;
    }
    let spike_severity = |s: &crate::measure::levels::Spike| {
        ramp(s.over_p99_db, LOUD_PEAK_MINOR_DB, LOUD_PEAK_MAJOR_DB).max(ramp(
            s.isolation_db,
            CLICK_MINOR_DB,
            CLICK_MAJOR_DB,
        ))
    };
    let loud = ramp(t.peak_over_p99_db, LOUD_PEAK_MINOR_DB, LOUD_PEAK_MAJOR_DB);
    let clicks_per_minute = t.clicks as f64 * 60.0 / m.duration_s.max(1.0);
    let click = if clicks_per_minute > CLICKS_MAX_PER_MINUTE {
        0.0
    } else {
        ramp(t.click_isolation_db, CLICK_MINOR_DB, CLICK_MAJOR_DB)
    };
    let severity = loud.max(click);
    let mut spikes = t.spikes.clone();
    spikes.sort_by(|a, b| spike_severity(b).total_cmp(&spike_severity(a)));
    let ranges: Vec<[f64; 2]> = spikes
        .iter()
        .take(5)
        .map(|s| [(s.time_s - 0.25).max(0.0), s.time_s + 0.25])
        .collect();
    let worst = spikes[0];
    let n = t.spikes.len();
    // A handful is a few hits to tame; more are the music's accents, and
    // the words say so (the list keeps the 50 highest).
    let few = n <= FEW_SPIKES;
    let count = match n {
        1 => "the only isolated peak".to_string(),
        _ if few => format!("{n} isolated peaks in all"),
        50.. => "50 or more peaks stand out like it: most are the music's own accents".to_string(),
        _ => format!("{n} peaks stand out like it: most are the music's own accents"),
    };
    let explanation = if is_reading(severity) {
        // A reading: the figure, and that it holds (no consequence, no cure).
        if click > loud {
            format!(
                "At {} a click stands {:.1} dB above the music within 20 ms of it ({count}). {HOLDS}",
                crate::units::mmss(worst.time_s),
                worst.isolation_db,
            )
        } else {
            format!(
                "At {} a peak jumps {:.1} dB above the loud peaks around it ({count}). {HOLDS}",
                crate::units::mmss(worst.time_s),
                worst.over_p99_db,
            )
        }
    } else if click > loud {
        format!(
            "At {} a click stands {:.1} dB above the music within 20 ms of it ({count}). \
             Once the master's gain lifts the passage, a limiter will duck the music around it, audible as a dip, \
             or let it crack. Taming {} (clip gain or a fast transient control) removes it.",
            crate::units::mmss(worst.time_s),
            worst.isolation_db,
            match n {
                1 => "this peak",
                _ if few => "these few peaks",
                _ => "the highest of them",
            },
        )
    } else {
        let (them, these) = match n {
            1 => ("it", "this hit"),
            _ if few => ("them", "these few hits"),
            _ => ("them", "the highest of them"),
        };
        format!(
            "At {} a peak jumps {:.1} dB above the loud peaks around it ({count}). \
             A limiter pushed to streaming loudness will duck the whole mix around {them}, audible as pumping, \
             or distort {them}. Taming {these} (clip gain or a fast transient control) frees that headroom.",
            crate::units::mmss(worst.time_s),
            worst.over_p99_db,
        )
    };
    Some(make(
        "transient_spikes",
        severity,
        "Isolated peaks",
        explanation,
        ranges,
        None,
        &["club", "car", "hifi"],
        vec![
            ("peak_over_p99_db", num(t.peak_over_p99_db)),
            ("click_isolation_db", num(t.click_isolation_db)),
            ("clicks", serde_json::json!(t.clicks)),
            ("spikes", serde_json::json!(t.spikes.len())),
            // The spike the words name (the most severe, which need not be
            // the one highest over the loud peaks).
            ("worst_over_p99_db", num(worst.over_p99_db)),
            ("worst_isolation_db", num(worst.isolation_db)),
            ("worst_over_rms_db", num(worst.over_rms_db)),
            ("median_crest_db", num(t.median_crest_db)),
        ],
    ))
}

/// Share of loud blocks piled under the top at which `overcompressed` is
/// minor, percent. On the judgement corpus's clean calibration recordings
/// 0.2–2.8 %; the injected hard limiting 6.3–28.5 % (2.8–7.7 dB of crest
/// lost).
pub const PILEUP_MINOR_PERCENT: f64 = 5.0;

/// The same at which `overcompressed` is major, percent.
pub const PILEUP_MAJOR_PERCENT: f64 = 15.0;

/// More spikes than this are not "a few hits" in the words.
const FEW_SPIKES: usize = 5;

/// A peak's height over the loud peaks around it (the 99th percentile of
/// the 5 ms block peaks, [`crate::measure::levels::Spike::over_p99_db`]) at
/// which `transient_spikes` is minor, dB: above the highest a clean
/// recording reaches. On the judgement corpus's calibration sources the
/// clean 25 s excerpts reach 4.75 dB (warzone2100 "track1"; 1–3 dB is
/// usual for drum-driven mixes) and their whole tracks 4.93 dB
/// (`tests/bench/unseen_full.py --set calibration`): a snare accent or a
/// cymbal crash sits that far over the rest of the loud hits and is the
/// music's own. (It was 3.5 dB, under three of the 14 clean calibration
/// excerpts.)
pub const LOUD_PEAK_MINOR_DB: f64 = 5.0;

/// The same height at which `transient_spikes` is major, dB: one hit sets
/// the level of the whole master (the same 3.5 dB span over the minor
/// anchor as before).
pub const LOUD_PEAK_MAJOR_DB: f64 = 8.5;

/// A click's isolation (peak over the music 10–20 ms either side of it) at
/// which `transient_spikes` is minor, dB: above the most isolated musical
/// peak of the clean calibration recordings but one.
pub const CLICK_MINOR_DB: f64 = 10.0;

/// A click's isolation at which `transient_spikes` is major, dB.
pub const CLICK_MAJOR_DB: f64 = 16.0;

/// Clicks per minute above which they are a sound of the arrangement, not
/// a defect (one every 2.5 s).
pub const CLICKS_MAX_PER_MINUTE: f64 = 24.0;

/// Integrated loudness against the user's target.
///
/// Louder than the target: platforms turn it down, so the limiting that bought
/// the loudness only cost dynamics. Anchors 3 LU (minor) and 9 LU (major)
/// over (loud commercial masters at −8 LUFS stay minor; −5 LUFS is major). Quieter: it sounds weak next to other tracks where platforms do not
/// raise it (YouTube, Tidal, Amazon, Deezer) and on radio. Anchors 4 LU
/// (minor) and 12 LU (major) under — a mix delivered for mastering at −18 to
/// −23 LUFS is expected and stays minor.
fn loudness_target(m: &Measurements) -> Option<Risk> {
    let i = m.loudness.integrated_lufs?;
    let target = m.options.target_lufs;
    let target_txt = units::setting(target);
    let diff = i - target;
    // Under the target: the room its peaks leave under the ceiling and the
    // limiting that raising it to the target would take (the words quote
    // both, so the evidence carries them).
    let room = m.true_peak_dbtp.map(|tp| m.options.ceiling_dbtp - tp);
    let limiting = room.map(|r| (-diff - r.max(0.0)).max(0.0));
    let (severity, text) = if units::round1(diff) == 0.0 {
        (
            0.0,
            format!(
                "At {i:.1} LUFS the track sits on the {target_txt} LUFS target: platforms play it as it is."
            ),
        )
    } else if diff >= 0.0 {
        (
            ramp(diff, 3.0, 9.0),
            format!(
                "At {i:.1} LUFS the track is {diff:.1} LU louder than the {target_txt} LUFS target: Spotify, YouTube, Apple Music and Tidal \
                 turn it down by that much, so the loudness was paid for with dynamics and bought nothing. A master around {target_txt} LUFS keeps more punch."
            ),
        )
    } else {
        // Whether gain alone reaches the target under the ceiling.
        let raising = match room {
            // Limiting that rounds to 0.0 dB is none.
            Some(room) if units::round1(-diff - room.max(0.0)) <= 0.0 => format!(
                "Its peaks leave {} dB under the {} dBTP ceiling, so gain alone can raise it — no limiting needed.",
                units::fmt1(room),
                units::setting(m.options.ceiling_dbtp)
            ),
            // Peaks already at (or over) the ceiling leave no room to speak of.
            Some(room) if units::round1(room) <= 0.0 => format!(
                "Its peaks already reach the {} dBTP ceiling, so raising it {:.1} dB means {:.1} dB of limiting — check the risks above first.",
                units::setting(m.options.ceiling_dbtp),
                -diff,
                -diff - room.max(0.0)
            ),
            Some(room) => format!(
                "Its peaks leave {:.1} dB under the {} dBTP ceiling, so raising it {:.1} dB means {:.1} dB of limiting — check the risks above first.",
                room,
                units::setting(m.options.ceiling_dbtp),
                -diff,
                -diff - room
            ),
            None => "Raising it may need limiting — check the risks above first.".to_string(),
        };
        // In proportion: a couple of LU is a fair price for dynamics kept.
        let effect = if -diff >= 4.0 {
            "it will sound weak next to other records"
        } else if -diff >= 2.0 {
            "it plays noticeably quieter than records made for the target — a modest difference, often a fair price for the dynamics it keeps"
        } else {
            "it plays a little quieter than records made for the target — a difference few listeners notice"
        };
        (
            ramp(-diff, 4.0, 12.0),
            format!(
                "At {i:.1} LUFS the track is {:.1} LU quieter than the {target_txt} LUFS target: where platforms don't raise quiet tracks \
                 (YouTube, Tidal, Amazon, Deezer) {effect}. {raising}",
                -diff
            ),
        )
    };
    let st = &m.loudness.short_term_lufs;
    let ranges = if diff >= 0.0 {
        worst_window(st, 0.1, 0.1, 1.5)
    } else {
        vec![[0.0, m.duration_s]]
    };
    let mut evidence = vec![
        ("integrated_lufs", num(i)),
        ("target_lufs", num(target)),
        ("difference_lu", num(diff)),
        (
            "spotify_gain_db",
            num(crate::playback::platforms::gain_db(
                &crate::playback::platforms::PLATFORMS[0],
                i,
                m.true_peak_dbtp,
            )),
        ),
    ];
    if let (true, Some(room), Some(limiting)) = (diff < 0.0, room, limiting) {
        evidence.push(("ceiling_dbtp", num(m.options.ceiling_dbtp)));
        evidence.push(("peak_room_db", num(room)));
        evidence.push(("limiting_to_target_db", num(limiting)));
    }
    Some(make(
        "loudness_target",
        severity,
        if diff >= 0.0 {
            "Louder than the target"
        } else {
            "Quieter than the target"
        },
        text,
        ranges,
        None,
        &[],
        evidence,
    ))
}
