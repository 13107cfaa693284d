//! Detection: for every risk id, a generated mix with that problem injected is
//! flagged (≥ minor) and the same mix without it is not flagged major — in
//! three different styles (`vocal_masking`, a reading, stays under minor). And restraint: a clean mix has no major risk at all.

use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::{analyze, Source};
use dsp_wasm::report::{Level, Report};
use dsp_wasm::risks::RISK_IDS;
use preflight_tests::bands::band_vs_all_db;
use preflight_tests::filters::{filter_all, Biquad};
use preflight_tests::mixes::{inject, mix, Style, STYLES};
use preflight_tests::report_of;

const RATE: u32 = 44_100;
const SECONDS: f64 = 24.0;

fn severity(r: &Report, id: &str) -> f64 {
    r.risks
        .iter()
        .find(|x| x.id == id)
        .map_or(0.0, |x| x.severity)
}

fn seed(style: Style) -> u64 {
    match style {
        Style::SynthPop => 11,
        Style::Acoustic => 23,
        Style::Electronic => 37,
    }
}

fn summary(r: &Report) -> String {
    r.risks
        .iter()
        .map(|x| format!("{}={:.2}", x.id, x.severity))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The risk `id` of `r`, which must be there (`what`: the case, for the message).
fn reading<'a>(r: &'a Report, id: &str, what: &str) -> &'a dsp_wasm::report::Risk {
    r.risks
        .iter()
        .find(|x| x.id == id)
        .unwrap_or_else(|| panic!("{what}: no {id} reading: {}", summary(r)))
}

#[test]
fn clean_mixes_have_no_major_risk() {
    for style in STYLES {
        let r = analyze(
            &mix(style, RATE, SECONDS, seed(style)),
            &Source::pcm("clean"),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        println!("{style:?} clean: {}", summary(&r));
        let majors: Vec<_> = r.risks.iter().filter(|x| x.level == Level::Major).collect();
        assert!(
            majors.is_empty(),
            "{style:?}: clean mix has major risks: {}",
            summary(&r)
        );
    }
}

#[test]
fn every_injected_problem_is_flagged_in_every_style() {
    let mut failures = Vec::new();
    for style in STYLES {
        let clean = analyze(
            &mix(style, RATE, SECONDS, seed(style)),
            &Source::pcm("clean"),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        // `vocal_masking` is a reading, not a risk (no voice detector; see
        // `risks::spectral`): its injection here is a 2 kHz dip in the mid
        // channel — the quantity it reads — so flagging it would prove
        // nothing. It must stay a reading even then.
        for id in RISK_IDS {
            let bad = analyze(
                &inject(id, style, RATE, SECONDS, seed(style)),
                &Source::pcm(id),
                &AnalysisOptions::default(),
                |_, _| {},
            )
            .report;
            let (s_bad, s_clean) = (severity(&bad, id), severity(&clean, id));
            println!("{style:?} {id:20} injected {s_bad:.2}  clean {s_clean:.2}");
            if id == "vocal_masking" {
                if s_bad >= 0.25 {
                    failures.push(format!("{style:?}/{id}: a reading rose to {s_bad:.2}"));
                }
                continue;
            }
            if s_bad < 0.25 {
                failures.push(format!(
                    "{style:?}/{id}: injected severity {s_bad:.2} < minor ({})",
                    summary(&bad)
                ));
            }
            if s_clean >= 0.6 {
                failures.push(format!(
                    "{style:?}/{id}: clean severity {s_clean:.2} is major"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A dark mix is not a harsh one. Its top falling away steeply (two
/// Butterworth low-passes at 3.5 kHz: the air ~30 dB under the presence
/// range, as on the calibration corpus's darkest score) leaves the
/// 2.5–8 kHz range *under* its own lower neighbours, so nothing there stands
/// out; measured against a line drawn down to the empty top, it read as a
/// major bump. The same dark mix with a +10 dB bell at 4 kHz — a bump the
/// test support's own band filter measures against the dark mix — still
/// reads harsh.
#[test]
fn a_dark_top_is_not_read_as_harsh_upper_mids() {
    use dsp_wasm::chain::FilterKind;
    use preflight_tests::bands::band_vs_all_db;
    use preflight_tests::master_mix::{clean, eq, through};
    let dark = through(
        &clean(RATE, SECONDS as f32),
        vec![
            eq(FilterKind::Lowpass, 3500.0, 0.707, 0.0),
            eq(FilterKind::Lowpass, 3500.0, 0.707, 0.0),
        ],
    );
    let harsh = through(&dark, vec![eq(FilterKind::Peaking, 4000.0, 1.0, 10.0)]);
    let presence = |a| band_vs_all_db(a, 2500.0, 8000.0);
    let air_under_presence = presence(&dark) - band_vs_all_db(&dark, 8000.0, 16_000.0);
    assert!(
        air_under_presence > 20.0,
        "the dark mix's air is only {air_under_presence:.1} dB under its presence range"
    );
    let bell = presence(&harsh) - presence(&dark);
    assert!(bell > 3.0, "the bell raised 2.5–8 kHz by only {bell:.1} dB");
    let report = |a, name| {
        analyze(
            a,
            &Source::pcm(name),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report
    };
    let dark_report = report(&dark, "dark");
    let (s_dark, s_harsh) = (
        severity(&dark_report, "harshness"),
        severity(&report(&harsh, "dark+bell"), "harshness"),
    );
    // Its words say what the figure is measured against: not "the ranges
    // either side", which the dark top lies far below.
    if let Some(r) = dark_report.risks.iter().find(|r| r.id == "harshness") {
        assert!(
            r.explanation.contains("falls away more steeply")
                && !r.explanation.contains("ranges either side"),
            "{}",
            r.explanation
        );
    }
    println!("harshness: dark {s_dark:.2}, with a +{bell:.1} dB bell {s_harsh:.2}");
    assert!(
        s_dark < 0.6,
        "a dark mix reads a major harshness ({s_dark:.2})"
    );
    assert!(
        s_harsh >= 0.25 && s_harsh > s_dark + 0.1,
        "the bell on the dark mix reads {s_harsh:.2} (the dark mix alone {s_dark:.2})"
    );
}

/// A file sampled under 24 kHz cannot hold the air band (8–16 kHz): `dull`
/// says so as a reading, naming the file's limit and its sample rate, at
/// every such rate the engine accepts. Before, it gave no word at all below
/// 24 kHz (the detector returned nothing), so a 22.05 kHz export — nothing
/// above 11 kHz on any system — read as if its top were fine. The limit is
/// the file's own: half its sample rate.
/// A dark top is told, never called major (`risks::spectral::dull`): much
/// finished music is dark (orchestral and film scores, old transfers), and
/// nothing in one file tells it from a mix that lost its air, so the
/// reading stops at `minor`. A generated mix through a 30 dB high-shelf
/// cut at 6 kHz (its 12–16 kHz at least 25 dB further under the whole, by
/// the test support's own filters; the detector puts its air 20 dB under
/// its balance, as dark as clean orchestral recordings of the judgement
/// corpus) read a major 0.97 before.
#[test]
fn a_dark_top_is_told_but_never_major() {
    let clean = mix(Style::SynthPop, RATE, SECONDS, 11);
    let mut dark = clean.clone();
    filter_all(
        &mut dark,
        Biquad::high_shelf(f64::from(RATE), 6_000.0, -30.0),
    );
    let air = |a: &dsp_wasm::audio::AudioBuffer| band_vs_all_db(a, 12_000.0, 16_000.0);
    let darker = air(&clean) - air(&dark);
    assert!(darker >= 25.0, "the air band is only {darker:.1} dB darker");
    let r = report_of(&dark, "dark");
    let dull = reading(&r, "dull", "the dark mix");
    assert_eq!(
        dull.level,
        Level::Minor,
        "{:.2} {}",
        dull.severity,
        dull.explanation
    );
}

#[test]
fn a_file_sampled_too_low_for_the_air_band_is_told_so() {
    for rate in [8_000u32, 16_000, 22_050] {
        let r = report_of(&mix(Style::SynthPop, rate, 12.0, 11), "low-rate");
        let dull = reading(&r, "dull", &format!("{rate} Hz"));
        assert_eq!(dull.level, Level::Info, "{rate} Hz");
        assert_eq!(
            dull.evidence["content_limit_hz"],
            f64::from(rate) / 2.0,
            "{rate} Hz"
        );
        assert!(
            dull.explanation.contains(&format!("{rate} Hz")),
            "{rate} Hz: {}",
            dull.explanation
        );
        // Nor do the harsh range's words name a 10–14 kHz the file cannot hold.
        if let Some(h) = r.risks.iter().find(|x| x.id == "harshness") {
            assert!(
                !h.explanation.contains("10–14 kHz"),
                "{rate} Hz: {}",
                h.explanation
            );
        }
    }
}

/// A bright mix, not a harsh one: everything above 1.5 kHz lifted 12 dB by
/// a shelf, so the presence range (2.5–6.3 kHz) rises no more than the top
/// above it (10–14 kHz), by the test support's own band filters on the
/// 48 kHz mix. Sampled at 22.05 kHz the file holds nothing from 10 kHz up,
/// and the line the presence range is measured against guessed the top from
/// the bands below: the synth-pop mix read a major harshness there (0.71,
/// against 0.31 at 48 kHz; the first 20 s of the judgement corpus's clean
/// nexuiz "infight" so resampled took a 14 dB dynamic cut in the master).
/// Without its top a file's harshness is at most minor, and its words say
/// why (`risks::spectral::HARSH_NO_TOP_MAX`).
#[test]
fn a_bright_mix_without_its_top_is_not_called_majorly_harsh() {
    let bright = |style, rate: u32| {
        let mut a = mix(style, rate, 12.0, seed(style));
        filter_all(&mut a, Biquad::high_shelf(f64::from(rate), 1_500.0, 12.0));
        preflight_tests::mixes::normalize_lufs(&mut a, -18.0);
        a
    };
    for style in [Style::SynthPop, Style::Electronic] {
        // A tilt, not a bump: the presence range against the top moved by
        // less than 1 dB with the shelf.
        let presence_over_top = |a: &dsp_wasm::audio::AudioBuffer| {
            band_vs_all_db(a, 2_500.0, 6_300.0) - band_vs_all_db(a, 10_000.0, 14_000.0)
        };
        let moved = presence_over_top(&bright(style, 48_000))
            - presence_over_top(&mix(style, 48_000, 12.0, seed(style)));
        assert!(
            moved.abs() < 1.0,
            "{style:?}: the shelf moved presence over top by {moved:.1} dB"
        );
        let at_48k = report_of(&bright(style, 48_000), "bright 48k");
        assert!(
            severity(&at_48k, "harshness") < 0.6,
            "{style:?} at 48 kHz: {}",
            summary(&at_48k)
        );
        let low = report_of(&bright(style, 22_050), "bright 22k");
        let h = reading(&low, "harshness", &format!("{style:?} at 22.05 kHz"));
        println!(
            "{style:?}: harshness {:.2} at 48 kHz, {:.2} at 22.05 kHz",
            severity(&at_48k, "harshness"),
            h.severity
        );
        assert_ne!(
            h.level,
            Level::Major,
            "{style:?} at 22.05 kHz: {:.2} {}",
            h.severity,
            h.explanation
        );
        if h.level == Level::Minor {
            // Said once (the line's words), not again with the cap's.
            assert_eq!(
                h.explanation.matches("nothing from 10 kHz up").count(),
                1,
                "{}",
                h.explanation
            );
        }
    }
}

/// Drum hits every half second over a soft 110 Hz bed at 44.1 kHz,
/// `seconds` long: hit `k` (at 0.25 + 0.5 k s) at `level_db(k, t, jitter)`
/// dBFS, where `jitter` is ±0.5 dB from a fixed noise seed.
fn drum_hits(
    seconds: f64,
    level_db: impl Fn(u32, f64, f64) -> f64,
) -> dsp_wasm::audio::AudioBuffer {
    let rate = 44_100u32;
    let sr = f64::from(rate);
    let n = (seconds * sr) as usize;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut x: Vec<f32> = (0..n)
        .map(|i| (0.03 * (std::f64::consts::TAU * 110.0 * i as f64 / sr).sin()) as f32)
        .collect();
    let hit_len = (0.2 * sr) as usize;
    for k in 0..(seconds * 2.0) as u32 {
        let t = 0.25 + 0.5 * f64::from(k);
        let db = level_db(k, t, 0.5 * noise());
        let a = 10f64.powf(db / 20.0);
        let at = (t * sr) as usize;
        for j in 0..hit_len.min(n - at) {
            x[at + j] += (a * noise() * (-(j as f64) / (0.025 * sr)).exp()) as f32;
        }
    }
    dsp_wasm::audio::AudioBuffer {
        sample_rate: rate,
        channels: vec![x.clone(), x],
    }
}

/// Drum hits over a soft bed, 150 s ([`drum_hits`]): the verse's at one
/// level, a 20 s chorus's 6 dB louder; `lone`: one verse hit 9 dB over the
/// others, at 40 s.
fn verse_and_chorus(lone: bool) -> dsp_wasm::audio::AudioBuffer {
    drum_hits(150.0, |k, t, jitter| {
        if lone && k == 80 {
            -5.0
        } else if (100.0..120.0).contains(&t) {
            -8.0 + jitter
        } else {
            -14.0 + jitter
        }
    })
}

/// `id` reads nothing, or no more than information.
fn below_minor(r: &Report, id: &str) {
    if let Some(s) = r.risks.iter().find(|x| x.id == id) {
        assert!(
            s.level < Level::Minor,
            "{id}: {:.2} {}",
            s.severity,
            s.explanation
        );
    }
}

/// A louder chorus is not a row of isolated peaks, however long the track
/// around it: its hits are measured against the loud peaks of the 25 s
/// around them, not only against the whole track's, where a short chorus
/// sits over the 99th percentile the verses set (before, this track read
/// minor: "a peak jumps 6.1 dB above the track's usual loud peaks (40
/// isolated peaks in all)"). A lone hit 9 dB over the verse around it is
/// still one.
#[test]
fn a_louder_chorus_is_not_isolated_peaks_but_a_lone_hit_is() {
    let r = report_of(&verse_and_chorus(false), "chorus");
    below_minor(&r, "transient_spikes");
    let r = report_of(&verse_and_chorus(true), "lone hit");
    let s = reading(&r, "transient_spikes", "the lone hit");
    assert!(
        s.level >= Level::Minor,
        "{:.2} {}",
        s.severity,
        s.explanation
    );
    assert!(
        s.time_ranges_s
            .iter()
            .any(|&[a, b]| a <= 40.25 && 40.25 <= b),
        "{:?}",
        s.time_ranges_s
    );
    assert!(
        s.time_ranges_s
            .iter()
            .all(|&[a, _]| !(99.0..121.0).contains(&a)),
        "the chorus: {:?}",
        s.time_ranges_s
    );
}

/// A bass line, 150 s: 2 s notes cycling through A1, C2, D2, E2 at one level
/// (each ±0.5 dB, a fixed noise seed); in a 20 s chorus (100–120 s) the bass
/// plays F1 and G1, 8 dB louder; `boom`: A1 10 dB over the other notes
/// wherever it plays (a resonance on one note).
fn bass_line(boom: bool) -> dsp_wasm::audio::AudioBuffer {
    let rate = 44_100u32;
    let sr = f64::from(rate);
    let n = (150.0 * sr) as usize;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let hz = |midi: f64| 440.0 * 2f64.powf((midi - 69.0) / 12.0);
    let (verse, chorus) = ([33.0, 36.0, 38.0, 40.0], [29.0, 31.0]);
    let mut x = vec![0.0f32; n];
    let note_len = (2.0 * sr) as usize;
    let fade = (0.02 * sr) as usize;
    for k in 0..75 {
        let t = 2.0 * f64::from(k);
        let in_chorus = (100.0..120.0).contains(&t);
        let midi = if in_chorus {
            chorus[k as usize % 2]
        } else {
            verse[k as usize % 4]
        };
        let mut db = if in_chorus { -12.0 } else { -20.0 };
        if boom && midi == 33.0 {
            db += 10.0;
        }
        db += 0.5 * noise();
        let (a, f) = (10f64.powf(db / 20.0), hz(midi));
        let at = (t * sr) as usize;
        for j in 0..note_len.min(n - at) {
            let env = (j.min(note_len - 1 - j) as f64 / fade as f64).min(1.0);
            let ph = std::f64::consts::TAU * f * j as f64 / sr;
            x[at + j] += (a * env * (ph.sin() + 0.3 * (2.0 * ph).sin())) as f32;
        }
    }
    dsp_wasm::audio::AudioBuffer {
        sample_rate: rate,
        channels: vec![x.clone(), x],
    }
}

/// The bass of a louder section is not an uneven bass line, however long the
/// track around it: each note is weighed against the low end of the 25 s
/// around it (`measure::bass_notes::NOTE_WINDOW_S`), as on the 25 s excerpts
/// the anchors were fitted on, not against the whole track's quieter verses
/// (before, the chorus's notes read as booming 8 dB over the others: minor).
/// One note 10 dB over the others wherever it plays still booms, major.
#[test]
fn a_louder_chorus_bass_is_not_a_booming_note_but_a_resonance_is() {
    let r = report_of(&bass_line(false), "chorus bass");
    below_minor(&r, "low_end_instability");
    let r = report_of(&bass_line(true), "booming A1");
    let s = reading(&r, "low_end_instability", "the booming A1");
    assert!(
        s.level >= Level::Major && s.explanation.contains("A1 (55 Hz) booms"),
        "{:.2} {}",
        s.severity,
        s.explanation
    );
}

/// A bass line, 25 s: 0.5 s notes cycling through A1, E2, G2, A2 and B1 at
/// one level; `ring_db`: a steady C2 partial that many dB over the notes
/// sounds all the way through (a kick fundamental or a note left ringing by
/// a narrow resonance), so C2 is the strongest partial of every frame.
fn ringing_bass(ring_db: Option<f64>) -> dsp_wasm::audio::AudioBuffer {
    let rate = 48_000u32;
    let sr = f64::from(rate);
    let n = (25.0 * sr) as usize;
    let hz = |midi: f64| 440.0 * 2f64.powf((midi - 69.0) / 12.0);
    let notes = [33.0, 40.0, 43.0, 45.0, 35.0];
    let note_len = (0.5 * sr) as usize;
    let fade = (0.01 * sr) as usize;
    let a = 10f64.powf(-20.0 / 20.0);
    let mut x = vec![0.0f32; n];
    for (k, at) in (0..n).step_by(note_len).enumerate() {
        let f = hz(notes[k % notes.len()]);
        for j in 0..note_len.min(n - at) {
            let env = (j.min(note_len - 1 - j) as f64 / fade as f64).min(1.0);
            let ph = std::f64::consts::TAU * f * j as f64 / sr;
            x[at + j] += (a * env * ph.sin()) as f32;
        }
    }
    if let Some(db) = ring_db {
        let (a, f) = (10f64.powf((-20.0 + db) / 20.0), hz(36.0));
        for (i, s) in x.iter_mut().enumerate() {
            *s += (a * (std::f64::consts::TAU * f * i as f64 / sr).sin()) as f32;
        }
    }
    dsp_wasm::audio::AudioBuffer {
        sample_rate: rate,
        channels: vec![x.clone(), x],
    }
}

/// A partial that rings 8 dB over every bass note is the strongest in every
/// frame, so the notes played never dominate one: the tracker used to see
/// one note and say nothing at all (a +15 dB, Q 8 resonance in the bass of
/// an orchestral score, `tests/corpus`, read as no `low_end_instability`). The
/// played notes are the frames' runners-up: C2 booms by the 8 dB it was
/// given (±1.5 dB). The same line without the ring reads level notes.
#[test]
fn a_partial_ringing_over_every_note_still_booms() {
    let r = report_of(&ringing_bass(None), "level bass line");
    below_minor(&r, "low_end_instability");
    let r = report_of(&ringing_bass(Some(8.0)), "ringing C2");
    let s = reading(&r, "low_end_instability", "the ringing C2");
    let boom = s.evidence["loudest_note_over_median_db"].as_f64().unwrap();
    assert!(
        s.level >= Level::Minor && s.explanation.contains("C2 (65 Hz) booms"),
        "{:.2} {}",
        s.severity,
        s.explanation
    );
    assert!(
        (boom - 8.0).abs() <= 1.5,
        "C2 booms {boom:.2} dB, rings 8 dB over the notes"
    );
}

/// Drum hits over a soft bed, 120 s ([`drum_hits`]), every tenth 6 dB
/// louder: 24 accents.
fn accented_hits() -> dsp_wasm::audio::AudioBuffer {
    drum_hits(120.0, |k, _, jitter| {
        (if k % 10 == 5 { -8.0 } else { -14.0 }) + jitter
    })
}

/// Two dozen peaks over the loud peaks around them are the music's
/// accents, and the words say so: never "these few hits" (before: "a peak
/// jumps 5.9 dB above the loud peaks around it (24 isolated peaks in all)
/// … Taming these few hits …").
#[test]
fn many_peaks_are_told_as_accents_not_a_few_hits() {
    let r = report_of(&accented_hits(), "accents");
    let s = reading(&r, "transient_spikes", "the accents");
    let n = s.evidence["spikes"].as_u64().unwrap_or(0);
    assert!(n > 5, "{n} spikes: {}", s.explanation);
    assert!(
        s.explanation.contains(&format!(
            "{n} peaks stand out like it: most are the music's own accents"
        )) && !s.explanation.contains("few")
            && !s.explanation.contains("isolated peaks in all"),
        "{}",
        s.explanation
    );
}
