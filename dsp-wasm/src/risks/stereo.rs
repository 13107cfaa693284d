//! Stereo image: `mono_collapse`, `stereo_imbalance`.

use crate::measure::Measurements;
use crate::risks::Risk;
use crate::risks::{
    band_text, is_reading, lower_first, make, num, ramp, ranges_above, when, worst_window, HOLDS,
};
use crate::units::fmt2;

/// Runs both detectors (stereo files only).
pub fn detect(m: &Measurements) -> Vec<Risk> {
    if m.stereo.mono_file || m.channels < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    out.extend(mono_collapse(m));
    out.extend(stereo_imbalance(m));
    out
}

/// Parts that vanish or thin out in mono.
///
/// Three scores, the worst counts:
/// - broadband K-weighted mono-sum loss: anchors 2.5 dB (minor: the mix is
///   mostly wide/decorrelated, unrelated channels lose 3 dB) and 4.5 dB
///   (major: opposite-polarity content cancels);
/// - low-end (≤ 125 Hz) correlation: anchors 0.5 (minor) and 0.0 (major) —
///   the low end should be near mono (> 0.7) for vinyl, club subs and mono
///   phone speakers;
/// - the worst significant band (within 20 dB of the loudest band): its mono
///   loss, anchors 4 dB and 9 dB.
fn mono_collapse(m: &Measurements) -> Option<Risk> {
    let s = &m.stereo;
    // One channel silent: nothing cancels, the image is all on one side
    // (`stereo_imbalance` tells it).
    if s.silent_channel.is_some() {
        return None;
    }
    let broad = s.mono_loss_db?;
    let low_corr = s.low_correlation.unwrap_or(1.0);
    let lt = &m.long_term_db;
    let loudest = lt.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let worst_band = (0..s.band_mono_loss_db.len())
        .filter(|&b| lt.get(b).is_some_and(|&l| l > loudest - 20.0) && m.spec.bands_hz[b] >= 40.0)
        .max_by(|&a, &b| s.band_mono_loss_db[a].total_cmp(&s.band_mono_loss_db[b]));
    let band_loss = worst_band.map_or(0.0, |b| s.band_mono_loss_db[b]);
    let sev_broad = ramp(broad, 2.5, 4.5);
    let sev_low = ramp(-low_corr, -0.5, 0.0);
    let sev_band = ramp(band_loss, 4.0, 9.0);
    let severity = sev_broad.max(sev_low).max(sev_band);
    // Whether the measure that leads says the parts cancel (opposite
    // polarity: a negative correlation, a band losing 6 dB or more, the
    // whole mix past its major anchor) or only come out weaker, as wide,
    // unrelated channels do (they sum 3 dB down, nothing cancels).
    let (lo, hi, what, cancels) = if sev_low >= sev_broad.max(sev_band) {
        (
            20.0,
            125.0,
            format!(
                "the low end (below 125 Hz) has a correlation of {}",
                fmt2(low_corr)
            ),
            low_corr < 0.0,
        )
    } else if sev_band > sev_broad {
        let b = worst_band.unwrap_or(0);
        let (l, h) = crate::measure::spectrum::band_edges_hz(b);
        (
            l,
            h,
            format!(
                "the {} band loses {band_loss:.1} dB when summed to mono",
                band_text(l, h)
            ),
            band_loss >= 6.0,
        )
    } else {
        (
            20.0,
            20_000.0,
            format!("the whole mix loses {broad:.1} dB when summed to mono"),
            broad >= 4.5,
        )
    };
    let mut ranges = ranges_above(
        &s.mono_loss_series_db,
        s.series_step_s / 2.0,
        s.series_step_s,
        s.series_step_s / 2.0,
        2.5,
        1.0,
        5,
    );
    if ranges.is_empty() {
        ranges = worst_window(
            &s.mono_loss_series_db,
            s.series_step_s / 2.0,
            s.series_step_s,
            1.5,
        );
    }
    Some(make(
        "mono_collapse",
        severity,
        "Weak in mono",
        format!("{} {what}{}", when(&ranges, m.duration_s), {
            let correlation = fmt2(s.correlation.unwrap_or(1.0));
            if is_reading(severity) {
                format!(" (correlation {correlation} overall). {HOLDS}")
            } else {
                format!(
                        ". On a phone speaker, a Bluetooth speaker or a club's mono subs those parts {} \
                         (correlation {correlation} overall). Check which element is wide or out of polarity; \
                         narrowing the low end is the usual cure.",
                        if cancels {
                            "cancel and can disappear"
                        } else {
                            "come out weaker than the rest"
                        },
                    )
            }
        },),
        ranges,
        Some([lo, hi]),
        &["phone", "club", "laptop"],
        vec![
            ("mono_loss_db", num(broad)),
            ("correlation", num(s.correlation.unwrap_or(f64::NAN))),
            ("low_correlation", num(low_corr)),
            (
                "worst_band_hz",
                num(worst_band.map_or(f64::NAN, |b| m.spec.bands_hz[b])),
            ),
            ("worst_band_mono_loss_db", num(band_loss)),
            (
                "low_side_to_mid_db",
                num(s.low_side_to_mid_db.unwrap_or(f64::NAN)),
            ),
        ],
    ))
}

/// Largest channel-level difference a gain slip between the channels
/// explains, dB. A mix leaning a few dB to one side (a pan law, a
/// one-sided effect, a gain slip) is re-centred by a balance correction;
/// beyond this, when the channels also carry different music (correlation
/// under [`SEPARATE_PARTS_CORRELATION`]), the quiet channel carries other
/// parts: a hard-panned arrangement, which a balance control does not
/// re-centre (turning the quiet channel up raises only what is in it).
/// (The judgement corpus's injected leans reach 7 dB; two clean
/// calibration recordings of hard-panned tracker music sit at 15 and 17 dB,
/// their channels correlating at 0.18 and 0.38.)
pub const MAX_REBALANCE_DB: f64 = 10.0;
/// Correlation under which the two channels carry different parts (see
/// [`MAX_REBALANCE_DB`]).
pub const SEPARATE_PARTS_CORRELATION: f64 = 0.5;
/// Highest severity of a lean that is the arrangement (see
/// [`panned_arrangement`]): minor at most.
pub const ARRANGEMENT_SEVERITY: f64 = 0.5;

/// Whether a channel-level difference of `balance_db` between channels that
/// correlate at `correlation` is a hard-panned arrangement rather than a
/// lean (see [`MAX_REBALANCE_DB`]).
pub fn panned_arrangement(balance_db: f64, correlation: Option<f64>) -> bool {
    balance_db.abs() > MAX_REBALANCE_DB
        && correlation.is_some_and(|c| c < SEPARATE_PARTS_CORRELATION)
}

/// Smallest channel-level difference the image-lean risk reports, dB.
pub const LEAN_AUDIBLE_DB: f64 = 0.5;

/// The image leans to one side.
///
/// Score: how far the centre of the mix — voice, kick, bass — sits towards
/// one channel, dB ([`crate::measure::centre_lean`]), where the track has a
/// centre to measure; the |left − right| integrated loudness (BS.1770 gating
/// per channel, LU) where it has none (spaced orchestral recordings,
/// hard-panned arrangements), blended by the estimate's confidence. A
/// track that leans by its arrangement while its centre sits in the middle
/// is not at risk.
/// Anchors: 1.0 LU (minor: audible as a lean on headphones, where there is no
/// room to blend the sides) and 3.0 LU (major: the centre image — vocal,
/// kick, bass — is visibly off-centre; a 3 dB level difference moves a
/// phantom centre roughly a third of the way to one side, Blumlein/Bauer
/// panning law data). A hard-panned arrangement ([`panned_arrangement`])
/// is minor at most: it sounds as lopsided on every system as on the
/// artist's own, so nothing breaks in translation; the words ask whether
/// the panning is meant.
fn stereo_imbalance(m: &Measurements) -> Option<Risk> {
    if let Some(silent) = m.stereo.silent_channel {
        return Some(one_channel_silent(m, silent));
    }
    let balance = m.stereo.balance_db?;
    let bal = m.stereo.lean_db.unwrap_or(balance);
    let (centre_db, confidence) = m.stereo.centre.unwrap_or((f64::NAN, 0.0));
    let by_centre = confidence >= 0.5;
    let arrangement = !by_centre && panned_arrangement(balance, m.stereo.correlation);
    let severity = if arrangement {
        ramp(bal.abs(), 1.0, 3.0).min(ARRANGEMENT_SEVERITY)
    } else {
        ramp(bal.abs(), 1.0, 3.0)
    };
    // Worst 3 s windows: the track's lean moved by how far each window's
    // channel balance departs from the whole track's, counted towards the
    // side of the largest one.
    let p = &m.loudness.sub_block_power;
    let n = p[0].len();
    let w = 30usize;
    let mut leans = Vec::new();
    let mut k = 0;
    while k + w <= n {
        let a: f64 = p[0][k..k + w].iter().sum();
        let b: f64 = p[1][k..k + w].iter().sum();
        leans.push(if a > 1e-12 && b > 1e-12 {
            bal + 10.0 * (a / b).log10() - balance
        } else {
            0.0
        });
        k += 10;
    }
    let widest = leans
        .iter()
        .copied()
        .fold(bal, |x, y| if y.abs() > x.abs() { y } else { x });
    let sign = if bal.abs() >= LEAN_AUDIBLE_DB {
        bal.signum()
    } else {
        widest.signum()
    };
    let side = if sign > 0.0 { "left" } else { "right" };
    let diff: Vec<f64> = leans.iter().map(|x| x * sign).collect();
    let mut ranges = ranges_above(&diff, 1.5, 1.0, 1.5, bal.abs().max(1.0), 1.0, 5);
    let covered: f64 = ranges.iter().map(|r| r[1] - r[0]).sum();
    // The figure in the words is the one measured where the words point: the
    // whole track's lean when it leans throughout, else the whole track's and
    // the worst stretch's apart (a lean in one passage is not the track's).
    let worst = diff.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let local = !ranges.is_empty() && covered < 0.6 * m.duration_s && worst > bal.abs() + 0.5;
    // Under about half a dB a level difference between the channels does not
    // move the image (the just-noticeable interaural level difference is
    // 0.5–1 dB, Mills 1960; Blauert, *Spatial Hearing*, 1997, §2.4): no
    // risk, not even a note ("the left channel is 0.0 dB louder"), unless
    // one passage leans.
    let level = bal.abs() < LEAN_AUDIBLE_DB;
    if level && !local {
        return None;
    }
    if ranges.is_empty() {
        ranges = vec![[0.0, m.duration_s]];
    }
    let lean = if level {
        format!(
            "{} the {side} channel is {worst:.1} dB louder than the other (the rest of the track is level).",
            when(&ranges, m.duration_s)
        )
    } else if local {
        format!(
            "Over the whole track the {side} channel is {:.1} dB louder than the other; {} it is {worst:.1} dB louder.",
            bal.abs(),
            lower_first(&when(&ranges, m.duration_s))
        )
    } else if by_centre {
        format!(
            "Throughout the track what is mixed to the centre {}.",
            channel_difference(centre_db, "sits in the middle", |s, d| {
                format!("comes {d:.1} dB louder from the {s} channel than from the other")
            })
        )
    } else if confidence > 0.0 && centre_db.is_finite() {
        // Part centre, part channels: the figure blended from both is not
        // what either measure read, so both are told as measured.
        format!(
            "Throughout the track the image leans {:.1} dB to the {side}: {}, and what is mixed to the centre {}.",
            bal.abs(),
            channel_difference(balance, "the channels are equally loud", |s, d| {
                format!("the {s} channel is {d:.1} dB louder than the other")
            }),
            channel_difference(centre_db, "sits in the middle", |s, d| {
                format!("comes {d:.1} dB louder from the {s} channel")
            }),
        )
    } else if arrangement {
        format!(
            "Throughout the track the {side} channel is {:.1} dB louder than the other, and the two carry \
             different parts (correlation {}): the arrangement is panned to one side, and it sounds \
             as lopsided on every system as it does here.",
            bal.abs(),
            fmt2(m.stereo.correlation.unwrap_or(f64::NAN)),
        )
    } else {
        format!(
            "Throughout the track the {side} channel is {:.1} dB louder than the other.",
            bal.abs()
        )
    };
    Some(make(
        "stereo_imbalance",
        severity,
        "Image leans to one side",
        format!(
            "{lean} {}{}",
            if arrangement || is_reading(severity) {
                ""
            } else {
                "On headphones everything mixed to the centre (voice, kick, bass) sits off-centre. "
            },
            if is_reading(severity) {
                HOLDS
            } else if by_centre && !local {
                "The whole centre moves together, as a level difference between the channels does \
                 (a trim, a balance control or a stereo insert set unevenly): rebalancing the channels puts it back."
            } else if arrangement {
                "Check that this is the panning you want: a balance control cannot re-centre it (turning the \
                 quiet channel up raises only what is in it); re-pan in the mix if it is not."
            } else {
                "Check a panned element or a one-sided effect, or rebalance the channels."
            }
        ),
        ranges,
        None,
        &["headphones", "earbuds"],
        vec![
            ("lean_db", num(bal)),
            ("balance_db", num(balance)),
            ("centre_lean_db", num(centre_db)),
            ("centre_confidence", num(confidence)),
            ("worst_3s_lean_db", num(worst.max(0.0))),
        ],
    ))
}

/// One channel silent throughout ([`crate::measure::stereo::SILENT_CHANNEL_DB`]
/// under the other): the whole track plays from one side — a mono mix
/// bounced to one channel, or a channel lost on the way. Major: it breaks on
/// every system with two speakers or two ears.
fn one_channel_silent(m: &Measurements, silent: usize) -> Risk {
    let (quiet, loud) = if silent == 0 {
        ("left", "right")
    } else {
        ("right", "left")
    };
    make(
        "stereo_imbalance",
        1.0,
        "Image leans to one side",
        format!(
            "The {quiet} channel is silent throughout (more than {:.0} dB under the {loud}): the whole track plays from the {loud}. \
             On headphones it sits in one ear, and on a pair of speakers it comes from one side. \
             A mono mix bounced to one channel, or a channel lost on the way: the master puts the {loud} channel in both.",
            crate::measure::stereo::SILENT_CHANNEL_DB
        ),
        vec![[0.0, m.duration_s]],
        None,
        &["headphones", "earbuds", "hifi", "car"],
        vec![
            ("silent_channel", serde_json::json!(silent)),
            ("lean_db", num(f64::NAN)),
            ("balance_db", num(f64::NAN)),
        ],
    )
}

/// A left − right difference in words: `level` under a rounding's worth,
/// else `louder(side, dB)`.
fn channel_difference(db: f64, level: &str, louder: impl Fn(&str, f64) -> String) -> String {
    if db.abs() < 0.05 {
        level.to_string()
    } else {
        louder(if db > 0.0 { "left" } else { "right" }, db.abs())
    }
}
