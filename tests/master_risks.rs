//! For each risk a move can answer: a generated mix with that problem,
//! mastered: a major risk corrected (severity at least halved), a minor one
//! touched only (no octave band moved more than 1.5 dB), a band problem's
//! physical excess — measured against the clean mix with the test support's
//! own filters — never made worse and, when major, at least halved; no new
//! major risk;
//! the master's true peak stays under the ceiling (engine meter and ffmpeg)
//! and its loudness lands within 0.5 LU of the target when the report says
//! the target was reached.

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::chain::{FilterKind, Module, StereoTarget};
use dsp_wasm::io::wav;
use dsp_wasm::master::decide;
use dsp_wasm::master::{master, recheck, MasterOptions, Mastered, SCREEN_MIN_S};
use dsp_wasm::measure::true_peak::true_peak;
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::{analyze, Source};
use dsp_wasm::report::{Level, Report};
use dsp_wasm::units::to_db;
use preflight_tests::bands::{band_vs_all_db, max_octave_change_db};
use preflight_tests::master_mix::{clean, eq, gain, mix, through, MixSpec};
use preflight_tests::noise::Xorshift32;
use preflight_tests::peers::{ebur128, require_ffmpeg};
use preflight_tests::report_of;
use preflight_tests::spikes::spike_over_surroundings_db;
use preflight_tests::stereo::{balance_db, dc, low_mono_loss_db};

const SR: u32 = 48_000;
const SECONDS: f32 = 12.0;

/// The reported severity (0..1).
fn sev(r: &Report, id: &str) -> f64 {
    decide::severities(r).get(id).map_or(0.0, |s| s.min(1.0))
}

/// The engine's integrated loudness of `audio`, unrounded (the report's is
/// rounded to 0.01 for display).
fn integrated(audio: &AudioBuffer) -> Option<f64> {
    dsp_wasm::measure::loudness::measure(audio, |_| {}).integrated_lufs
}

fn run(name: &str, audio: &AudioBuffer, options: &MasterOptions) -> Mastered {
    let m = master(audio, options, None, |_, _| {}).expect("master");
    let ceiling = options.intent.ceiling_dbtp;
    // True peak of exactly what is delivered, with the engine's meter …
    let tp = to_db(f64::from(true_peak(&m.audio.as_slices())));
    assert!(
        tp <= ceiling,
        "{name}: true peak {tp:.3} dBTP over {ceiling}"
    );
    if let Some(after_tp) = m.report.after.loudness.true_peak_dbtp {
        assert!(after_tp <= ceiling, "{name}: report says {after_tp}");
    }
    // … and with ffmpeg's ebur128 (its own oversampling), unrounded; ffmpeg
    // is required, so this check is never skipped.
    require_ffmpeg();
    let path = std::env::temp_dir().join(format!(
        "preflight-master-{name}-{}.wav",
        std::process::id()
    ));
    // The engine's own encoder: this checks the file the engine delivers.
    wav::write(&path, &m.audio, options.output_format).unwrap();
    let peer = ebur128(&path).expect("ffmpeg ebur128");
    let (ff_i, ff_tp) = (peer.integrated_lufs, peer.true_peak_dbtp);
    let _ = std::fs::remove_file(&path);
    assert!(
        ff_tp <= ceiling,
        "{name}: ffmpeg true peak {ff_tp:.4} dBTP over {ceiling}"
    );
    if let Some(i) = integrated(&m.audio) {
        assert!(
            (ff_i - i).abs() < 0.02,
            "{name}: ffmpeg {ff_i:.3} LUFS vs engine {i:.4}"
        );
    }
    // Loudness on target whenever the report says the target was reached.
    let reached = m
        .report
        .decisions
        .iter()
        .find(|d| d.r#move == "loudness_gain")
        .map(|d| {
            (
                d.params["target_reached"].as_bool(),
                d.params["target_lufs"].as_f64(),
            )
        });
    if let Some((Some(true), Some(aim))) = reached {
        let got = m.report.after.loudness.integrated_lufs.unwrap();
        assert!((got - aim).abs() <= 0.5, "{name}: {got} LUFS vs aim {aim}");
    }
    m
}

/// Masters a mix whose problem is `risk_id` and checks the contract, which
/// depends on the level the problem was detected at: a `major` risk is
/// corrected (its severity at least halved), a `minor` one gets a touch (its
/// severity does not rise and no octave band of the master moves by more than
/// 1.5 dB against the input, measured with the test support's own filters,
/// [`preflight_tests::bands`]). No new major risk either way.
fn check(name: &str, audio: &AudioBuffer, risk_id: &str) -> Mastered {
    let options = MasterOptions::default();
    let m = run(name, audio, &options);
    let before = &m.report.before;
    let after = &m.report.after;
    let sb = sev(before, risk_id);
    assert!(
        sb >= 0.25,
        "{name}: the generated problem should be detected as {risk_id} (minor or worse), got {sb:.2}; risks: {:?}",
        before.risks.iter().map(|r| (&r.id, r.severity)).collect::<Vec<_>>()
    );
    let sa = sev(after, risk_id);
    let moves = || {
        m.report
            .decisions
            .iter()
            .map(|d| d.label.clone())
            .collect::<Vec<_>>()
    };
    if Level::from_severity(sb) == Level::Major {
        assert!(
            sa <= 0.5 * sb,
            "{name}: major {risk_id} {sb:.2} → {sa:.2}, not halved; decisions {:?}; iterations {:?}",
            moves(),
            m.report.iterations
        );
    } else {
        assert!(
            sa <= sb + 0.02,
            "{name}: minor {risk_id} rose {sb:.2} → {sa:.2}"
        );
        let moved = max_octave_change_db(audio, &m.audio);
        assert!(
            moved <= 1.5,
            "{name}: a minor {risk_id} got more than a touch: an octave band moved {moved:.2} dB; decisions {:?}",
            moves()
        );
    }
    for r in &after.risks {
        if r.level == Level::Major {
            let was = before
                .risks
                .iter()
                .any(|b| b.id == r.id && b.level == Level::Major);
            assert!(was, "{name}: new major risk {} ({:.2})", r.id, r.severity);
        }
    }
    // Every decision names the risks it answers, and they are real risk ids.
    for d in &m.report.decisions {
        assert!(!d.why.is_empty());
        for id in &d.addresses {
            assert!(
                before.risks.iter().any(|r| &r.id == id),
                "{name}: {} addresses absent {id}",
                d.r#move
            );
        }
    }
    m
}

/// No decision of the master names `risk_id` among the risks it answers.
fn assert_no_move_answers(m: &Mastered, risk_id: &str) {
    let answering: Vec<&str> = m
        .report
        .decisions
        .iter()
        .filter(|d| d.addresses.iter().any(|id| id == risk_id))
        .map(|d| d.label.as_str())
        .collect();
    assert!(
        answering.is_empty(),
        "no move answers {risk_id}: {answering:?}"
    );
}

/// The physical excess of a band problem, measured against the clean mix with
/// the test support's filters (not the engine's detectors): `sign` is +1 when
/// the problem raised `lo..hi`, −1 when it cut it. After mastering the excess
/// is never more than 0.5 dB larger, and a major problem's is at least halved.
fn check_band(
    name: &str,
    clean: &AudioBuffer,
    problem: &AudioBuffer,
    m: &Mastered,
    band: (f64, f64, f64),
) {
    let (lo, hi, sign) = band;
    let reference = band_vs_all_db(clean, lo, hi);
    let before = sign * (band_vs_all_db(problem, lo, hi) - reference);
    let after = sign * (band_vs_all_db(&m.audio, lo, hi) - reference);
    assert!(
        before >= 1.0,
        "{name}: the injected problem is physically there ({before:.2} dB)"
    );
    assert!(
        after <= before + 0.5,
        "{name}: {lo}–{hi} Hz excess made worse, {before:.2} → {after:.2} dB"
    );
    let major = m
        .report
        .before
        .risks
        .iter()
        .any(|r| r.level == Level::Major && r.band_hz.is_some_and(|[a, b]| a < hi && b > lo));
    if major {
        assert!(
            after <= 0.5 * before,
            "{name}: major {lo}–{hi} Hz excess not halved, {before:.2} → {after:.2} dB"
        );
    }
}

#[test]
fn harshness_is_tamed() {
    let a = through(
        &clean(SR, SECONDS),
        vec![eq(FilterKind::Peaking, 4000.0, 0.8, 14.0)],
    );
    let p = gain(&a, -3.0);
    let m = check("harshness", &p, "harshness");
    check_band(
        "harshness",
        &clean(SR, SECONDS),
        &p,
        &m,
        (2500.0, 8000.0, 1.0),
    );
}

#[test]
fn mud_is_thinned() {
    let a = through(
        &clean(SR, SECONDS),
        vec![eq(FilterKind::Peaking, 200.0, 0.7, 12.0)],
    );
    let p = gain(&a, -6.0);
    let m = check("mud", &p, "mud");
    check_band("mud", &clean(SR, SECONDS), &p, &m, (150.0, 500.0, 1.0));
}

/// A mud card's cure is as large as the cut the master makes: a major
/// build-up taken down several dB (measured by the test support's octave
/// filters) is not told "a broad cut of a dB or two".
#[test]
fn a_major_mud_card_names_a_cut_as_large_as_it_gets() {
    let a = through(
        &clean(SR, SECONDS),
        vec![eq(FilterKind::Peaking, 250.0, 0.7, 18.0)],
    );
    let p = gain(&a, -10.0);
    let m = run("major mud", &p, &MasterOptions::default());
    let card = m
        .report
        .before
        .risks
        .iter()
        .find(|r| r.id == "mud")
        .unwrap();
    let moved = max_octave_change_db(&p, &m.audio);
    assert_eq!(card.level, Level::Major, "set-up: a major build-up");
    assert!(moved > 2.5, "set-up: the master cut {moved:.2} dB");
    assert!(
        !card.explanation.contains("a dB or two") && card.explanation.contains("several dB"),
        "a {moved:.1} dB cut told as: {}",
        card.explanation
    );
}

#[test]
fn sub_excess_is_trimmed() {
    let a = through(
        &clean(SR, SECONDS),
        vec![eq(FilterKind::LowShelf, 50.0, 0.71, 12.0)],
    );
    let p = gain(&a, -8.0);
    let m = check("sub_excess", &p, "sub_excess");
    check_band("sub_excess", &clean(SR, SECONDS), &p, &m, (20.0, 60.0, 1.0));
}

/// A dull top is told, not mastered (`master::decide`'s module docs): the
/// risk is read, no move answers it, the report says why, and the master
/// leaves the air band where the mix had it — measured against the mix
/// with the test support's filters, loudness aside (its share of the
/// whole within 0.5 dB). Before session 43 a 9 kHz shelf lifted it.
#[test]
fn a_dull_mix_is_told_and_its_top_left_alone() {
    let a = through(
        &clean(SR, SECONDS),
        vec![eq(FilterKind::HighShelf, 6000.0, 0.71, -18.0)],
    );
    let m = run("dull", &a, &MasterOptions::default());
    let before = sev(&m.report.before, "dull");
    assert!(before >= 0.25, "the dulled mix reads dull: {before:.2}");
    assert_no_move_answers(&m, "dull");
    let said = m
        .report
        .iterations
        .iter()
        .flat_map(|it| &it.rejected)
        .find(|r| r.starts_with("dull:"))
        .expect("the log says why dull was left");
    assert!(said.contains("cannot give back air"), "{said}");
    let air = |x: &AudioBuffer| band_vs_all_db(x, 8000.0, 16000.0);
    let moved = air(&m.audio) - air(&a);
    assert!(moved.abs() <= 0.5, "the air band moved {moved:.2} dB");
}

#[test]
fn sibilance_is_de_essed() {
    let base = clean(SR, SECONDS);
    let mut a = base.clone();
    let mut nz = Xorshift32::new(99);
    let sr = SR as f32;
    // 70 ms bursts of 5–10 kHz noise every 1.3 s, like hard "s" sounds.
    let mut hp = dsp_wasm::dsp::biquad::State::default();
    let bp = dsp_wasm::dsp::biquad::Coefficients::bandpass(f64::from(SR), 7000.0, 1.5);
    for i in 0..a.frames() {
        let t = i as f32 / sr;
        let ph = t % 1.3;
        let env = if (0.3..0.37).contains(&ph) { 1.0 } else { 0.0 };
        let s = hp.tick(&bp, f64::from(nz.next_bipolar())) as f32 * 0.08 * env;
        a.channels[0][i] += s;
        a.channels[1][i] += s;
    }
    let m = check("sibilance", &a, "sibilance");
    check_band("sibilance", &base, &a, &m, (5000.0, 10000.0, 1.0));
}

/// A vocal's "s" sounds 12 dB too loud (the generated song's sibilant stem
/// raised, nothing else): the de-esser must take them down where they fall.
/// Measured with the test support's filters on the stem's own bursts (where
/// the sibilant stem sounds): the 5–10 kHz level there against the clean
/// song's must at least halve, and the 1–4 kHz presence (the vowels, the
/// vocal's body) must not move, inside the bursts or between them, by more
/// than 0.5 dB against the whole. The bell-shaped dynamic cut at 7 kHz the
/// engine had took about 5 dB off the band however far it was pushed.
/// (Between the esses the song's hi-hats, as prominent over the vocal as
/// the esses, are turned down too: the de-esser's stated cost.)
#[test]
fn sibilant_bursts_are_cut_where_they_fall() {
    use preflight_tests::bands::band_in_windows_vs_all_db;
    use preflight_tests::mixes::{stems, Style};
    let st = stems(Style::SynthPop, SR, f64::from(SECONDS), 11);
    let base = st.mix(1.0, 1.0);
    let a = st.mix(1.0, 10f64.powf(12.0 / 20.0));
    // The bursts: runs of the sibilant stem, gaps under 10 ms bridged.
    let gap = (0.01 * f64::from(SR)) as usize;
    let mut windows: Vec<(usize, usize)> = Vec::new();
    for (i, v) in st.sibilants.iter().enumerate() {
        if v.abs() > 1e-6 {
            match windows.last_mut() {
                Some(w) if i <= w.1 + gap => w.1 = i + 1,
                _ => windows.push((i, i + 1)),
            }
        }
    }
    assert!(windows.len() >= 6, "{} bursts", windows.len());
    // Judged physically only (the detector's own reading is the loop's
    // acceptance rule, not an oracle).
    let m = run("sibilant bursts", &a, &MasterOptions::default());
    assert!(
        m.report
            .before
            .risks
            .iter()
            .any(|r| r.id == "sibilance" && r.level == Level::Major),
        "the raised esses read as major sibilance: {:?}",
        m.report
            .before
            .risks
            .iter()
            .map(|r| (&r.id, r.severity))
            .collect::<Vec<_>>()
    );
    let at = |x: &AudioBuffer, inside: bool| {
        band_in_windows_vs_all_db(x, 5000.0, 10_000.0, &windows, inside)
    };
    let clean_db = at(&base, true);
    let before = at(&a, true) - clean_db;
    let after = at(&m.audio, true) - clean_db;
    let presence = |x: &AudioBuffer, inside: bool| {
        band_in_windows_vs_all_db(x, 1000.0, 4000.0, &windows, inside)
    };
    let p_in = presence(&m.audio, true) - presence(&a, true);
    let p_out = presence(&m.audio, false) - presence(&a, false);
    eprintln!(
        "bursts {before:.2} → {after:.2} dB over the clean song; 1–4 kHz {p_in:+.2} dB in them, {p_out:+.2} dB between; decisions {:?}",
        m.report.decisions.iter().map(|d| &d.label).collect::<Vec<_>>()
    );
    assert!(before >= 6.0, "the bursts are there ({before:.2} dB)");
    assert!(
        after <= 0.5 * before,
        "bursts not halved where they fall: {before:.2} → {after:.2} dB"
    );
    assert!(
        p_in.abs() <= 0.5 && p_out.abs() <= 0.5,
        "the 1–4 kHz presence moved {p_in:+.2} dB in the bursts, {p_out:+.2} dB between"
    );
}

#[test]
fn unstable_low_end_is_evened_out() {
    let spec = MixSpec {
        bass_notes: [3.0, 0.6, 1.0, 0.5],
        ..MixSpec::default()
    };
    let a = gain(&mix(&spec, SR, SECONDS, 0x1234_5678), -7.0);
    check("low_end_instability", &a, "low_end_instability");
}

/// One bass note 7.4 dB over the others reads minor: within the spread of
/// finished bass lines, told and left. The ⅓ octave around the note, against
/// the whole (the test support's filters), moves by at most 0.3 dB from the
/// input to the master, and no decision answers the reading; the master log
/// says why. Before, it took a low-band touch of up to 1.5 dB.
#[test]
fn a_minor_uneven_bass_is_left_alone() {
    let spec = MixSpec {
        bass_notes: [2.5, 1.0, 1.0, 1.0],
        ..MixSpec::default()
    };
    let a = gain(&mix(&spec, SR, SECONDS, 0x1234_5678), -7.0);
    let m = run("minor uneven bass", &a, &MasterOptions::default());
    let risk = m
        .report
        .before
        .risks
        .iter()
        .find(|r| r.id == "low_end_instability")
        .expect("the loud note is read");
    assert_eq!(risk.level, Level::Minor, "{}", risk.explanation);
    assert!(
        m.report
            .decisions
            .iter()
            .all(|d| !d.addresses.iter().any(|id| id == "low_end_instability")),
        "{:?}",
        m.report
            .decisions
            .iter()
            .map(|d| &d.label)
            .collect::<Vec<_>>()
    );
    let edge = 2f64.powf(1.0 / 6.0);
    let moved = band_vs_all_db(&m.audio, 55.0 / edge, 55.0 * edge)
        - band_vs_all_db(&a, 55.0 / edge, 55.0 * edge);
    assert!(moved.abs() <= 0.3, "the note's band moved {moved:+.2} dB");
    assert!(m
        .report
        .iterations
        .iter()
        .flat_map(|it| &it.rejected)
        .any(|l| l.starts_with("low_end_instability: left as it is")
            && l.contains("told, not mastered")));
}

/// One bass note rings on every hit (a narrow resonance, Q 8, +12 dB, as a
/// room mode or a resonant bass does): the ⅓-octave band around it, measured
/// against the clean mix with the test support's filters, is at least
/// halved. The dynamic cut that was tried first halved the detector's
/// reading but left the band at 1.25 of 1.65 dB here (and 4.7 of 6.3 dB on
/// a real recording of the judgement corpus); a narrow static cut on the
/// note, tried first now, takes it to 0.4 dB.
#[test]
fn resonant_bass_note_is_cut() {
    let f0 = 73.0;
    let p = gain(
        &through(
            &clean(SR, SECONDS),
            vec![eq(FilterKind::Peaking, f0, 8.0, 12.0)],
        ),
        -6.0,
    );
    let m = check("resonance", &p, "low_end_instability");
    let edge = 2f64.powf(1.0 / 6.0);
    check_band(
        "resonance",
        &clean(SR, SECONDS),
        &p,
        &m,
        (f0 / edge, f0 * edge, 1.0),
    );
}

/// A hard-panned arrangement: the clean mix's left channel, and on the right
/// other parts (the mix played backwards) `down_db` lower.
fn hard_panned(down_db: f32) -> AudioBuffer {
    let left = clean(SR, SECONDS);
    let other: Vec<f32> = left.channels[1]
        .iter()
        .rev()
        .map(|s| s * 10f32.powf(-down_db / 20.0))
        .collect();
    AudioBuffer {
        sample_rate: SR,
        channels: vec![left.channels[0].clone(), other],
    }
}

/// A channel far quieter than the other *and* carrying other parts (a
/// hard-panned arrangement: the right channel another mix, 16 dB down) is
/// the mix's doing: no balance move — the channels' level difference, by the
/// test support's own measure, stays within 1.5 dB (a width touch for
/// another risk may move it a little) — and the report says
/// why. The same 16 dB on the same music in both channels (a gain slip) is
/// still re-centred. (The old engine moved the hard-panned one by 9 dB.)
#[test]
fn a_far_quieter_channel_is_rebalanced_only_when_it_is_a_lean() {
    let left = clean(SR, SECONDS);
    let panned = hard_panned(16.0);
    let m = run("hard-panned", &panned, &MasterOptions::default());
    let (b0, b1) = (balance_db(&panned), balance_db(&m.audio));
    assert!(b0.abs() > 10.0, "the generated balance is {b0:.1} dB");
    assert!(
        (b1 - b0).abs() < 1.5,
        "hard-panned: balance {b0:.1} → {b1:.1} dB; decisions {:?}",
        m.report
            .decisions
            .iter()
            .map(|d| &d.label)
            .collect::<Vec<_>>()
    );
    assert!(m.report.iterations.iter().any(|it| it
        .rejected
        .iter()
        .any(|r| r.starts_with("stereo_imbalance: left as it is"))));

    let mut slip = left.clone();
    for s in slip.channels[1].iter_mut() {
        *s *= 10f32.powf(-16.0 / 20.0);
    }
    let m = run("gain slip", &slip, &MasterOptions::default());
    let (b0, b1) = (balance_db(&slip), balance_db(&m.audio));
    assert!(
        b1.abs() <= 0.5 * b0.abs(),
        "gain slip: balance {b0:.1} → {b1:.1} dB"
    );
}

/// The arrangement is judged on the mix as delivered. A width move taken
/// for another risk narrows a hard-panned mix by leaking the loud channel
/// into the quiet one: their correlation rises (planetblupi 001 in the
/// judgement corpus: 0.18 → 0.50 after width 0.9, the lean 17.4 → 16.1 dB)
/// although the quiet channel still carries other parts — and the old loop,
/// reading the narrowed track, rebalanced it by 9 dB. Here the track as the
/// loop would see it after such a move is given with the input's own
/// measures: no balance move is proposed. The detector calls the
/// arrangement minor at most, and says so.
#[test]
fn a_hard_panned_mix_is_not_rebalanced_after_a_width_move() {
    let panned = hard_panned(17.0);
    let input = preflight_tests::report_of(&panned, "hard-panned");
    let corr = input.stereo.correlation.unwrap();
    assert!(corr < 0.5, "the generated channels correlate at {corr:.2}");
    let lean = input
        .risks
        .iter()
        .find(|r| r.id == "stereo_imbalance")
        .expect("a 17 dB lean goes unsaid");
    assert!(lean.level < Level::Major, "{lean:#?}");
    assert!(
        lean.explanation.contains("panned to one side"),
        "{}",
        lean.explanation
    );
    // The track after a width move, as the loop measures it.
    let mut narrowed = input.clone();
    narrowed.stereo.correlation = Some(0.5);
    narrowed.stereo.balance_db = Some(-16.1);
    let proposed = |input_stereo| {
        decide::candidates(
            lean,
            &decide::Context {
                audio: &panned,
                report: &narrowed,
                input_stereo,
                character: MasterOptions::default().intent.character,
            },
        )
    };
    assert!(
        proposed(&input.stereo).is_empty(),
        "{:?}",
        proposed(&input.stereo)
    );
    // Judged on the narrowed track, the same lean reads as a gain slip.
    assert!(!proposed(&narrowed.stereo).is_empty());
}

/// A centre that is thin at 1–4 kHz is a reading, not a buried vocal: the
/// detector cannot tell a voice from the arrangement (on the judgement
/// corpus it flagged only instrumentals and missed every lowered vocal), so
/// the master leaves the range as it is — its level against the whole,
/// measured with the test support's own filters, moves by well under 1 dB.
#[test]
fn a_thin_centre_is_a_reading_and_gets_no_presence_lift() {
    let a = through(
        &clean(SR, SECONDS),
        vec![Module::Eq {
            kind: FilterKind::Peaking,
            freq_hz: 2000.0,
            q: 0.7,
            gain_db: -9.0,
            target: StereoTarget::Mid,
        }],
    );
    let m = run("vocal_masking", &a, &MasterOptions::default());
    let reading = m
        .report
        .before
        .risks
        .iter()
        .find(|r| r.id == "vocal_masking")
        .expect("the presence reading is reported");
    assert_eq!(reading.level, Level::Info, "{reading:?}");
    assert_no_move_answers(&m, "vocal_masking");
    let (before, after) = (
        band_vs_all_db(&a, 1000.0, 4000.0),
        band_vs_all_db(&m.audio, 1000.0, 4000.0),
    );
    assert!(
        (after - before).abs() < 0.5,
        "1–4 kHz against the whole: {before:.2} → {after:.2} dB"
    );
}

#[test]
fn mono_collapse_is_made_mono_safe() {
    // A bass line that carries the low end, inverted in the right channel.
    let spec = MixSpec {
        kick: 0.3,
        bass: 0.35,
        bass_antiphase: true,
        ..MixSpec::default()
    };
    let a = gain(&mix(&spec, SR, SECONDS, 0x1234_5678), -4.0);
    let m = check("mono_collapse", &a, "mono_collapse");
    check_physical(
        "mono_collapse",
        &m,
        low_mono_loss_db(&a, 150.0),
        low_mono_loss_db(&m.audio, 150.0),
    );
    // Mono-safe by keeping the bass, not by cancelling it: the master's mono
    // sum carries its bass (40–150 Hz against the whole) within 1 dB of the
    // same mix with the bass in polarity. Summing the inverted lows as they
    // are would leave only the kick there.
    let in_polarity = gain(
        &mix(
            &MixSpec {
                bass_antiphase: false,
                ..spec
            },
            SR,
            SECONDS,
            0x1234_5678,
        ),
        -4.0,
    );
    let fold = |x: &AudioBuffer| AudioBuffer {
        sample_rate: x.sample_rate,
        channels: vec![x.channels[0]
            .iter()
            .zip(&x.channels[1])
            .map(|(l, r)| 0.5 * (l + r))
            .collect()],
    };
    let want = band_vs_all_db(&fold(&in_polarity), 40.0, 150.0);
    let got = band_vs_all_db(&fold(&m.audio), 40.0, 150.0);
    let cancelled = band_vs_all_db(&fold(&a), 40.0, 150.0);
    eprintln!("bass in mono: {got:.2} dB (in polarity {want:.2}, as mixed {cancelled:.2})");
    assert!(
        (got - want).abs() < 1.0,
        "the master's mono bass {got:.2} dB, the mix in polarity {want:.2} dB"
    );
}

/// A side channel 12 dB louder than the mix had: narrowed to where the mono
/// sum loses about what the original did, not by a fixed 0.7. Judged by the
/// test support's own broadband mono-sum loss, against the same mix before
/// it was widened.
#[test]
fn a_far_too_wide_image_is_narrowed_towards_a_safe_mono_sum() {
    let c = clean(SR, SECONDS);
    let mut a = c.clone();
    let side_gain = 10f32.powf(12.0 / 20.0);
    let (l, r) = a.channels.split_at_mut(1);
    for (x, y) in l[0].iter_mut().zip(r[0].iter_mut()) {
        let (m, s) = (0.5 * (*x + *y), 0.5 * (*x - *y) * side_gain);
        (*x, *y) = (m + s, m - s);
    }
    let m = check("mono_collapse", &a, "mono_collapse");
    let loss = |x: &AudioBuffer| low_mono_loss_db(x, 20_000.0);
    let (clean_loss, wide, mastered) = (loss(&c), loss(&a), loss(&m.audio));
    eprintln!("mono-sum loss: clean {clean_loss:.2}, widened {wide:.2}, master {mastered:.2} dB");
    for d in &m.report.decisions {
        eprintln!("decision: {} — {}", d.label, d.why);
        // A width at the narrowest the engine goes says so; it does not
        // claim to reach the loss it aimed at.
        if d.label.contains("width 0.4") {
            assert!(
                d.why.contains("narrowest") && !d.why.contains("about"),
                "{}: {}",
                d.label,
                d.why
            );
        }
    }
    check_physical(
        "mono_collapse",
        &m,
        wide - clean_loss,
        mastered - clean_loss,
    );
}

/// A non-band risk judged by a physical measure (`before`, `after`, both
/// "more is worse", 0 = none): never worse by more than 0.5, and when the
/// detector called it major, at least halved.
fn check_physical(name: &str, m: &Mastered, before: f64, after: f64) {
    eprintln!("{name}: physical {before:.2} → {after:.2}");
    assert!(
        before > 0.5,
        "{name}: the problem is physically there ({before:.2})"
    );
    assert!(
        after <= before + 0.5,
        "{name}: made worse, {before:.2} → {after:.2}"
    );
    if m.report
        .before
        .risks
        .iter()
        .any(|r| r.id == name && r.level == Level::Major)
    {
        assert!(
            after <= 0.5 * before,
            "{name}: major, not halved: {before:.2} → {after:.2}"
        );
    }
}

#[test]
fn leaning_image_is_recentred() {
    let mut a = clean(SR, SECONDS);
    let g = 10f32.powf(4.0 / 20.0);
    for s in &mut a.channels[0] {
        *s *= g;
    }
    let p = gain(&a, -3.0);
    let m = check("stereo_imbalance", &p, "stereo_imbalance");
    check_physical(
        "stereo_imbalance",
        &m,
        balance_db(&p).abs(),
        balance_db(&m.audio).abs(),
    );
}

/// The clean mix's centre: what both channels share, (L + R) / 2.
fn centre_stem() -> Vec<f32> {
    let base = clean(SR, SECONDS);
    base.channels[0]
        .iter()
        .zip(&base.channels[1])
        .map(|(l, r)| 0.5 * (l + r))
        .collect()
}

/// Left over right level of a known centre stem in `a`, dB: each channel
/// projected on the stem (its own level in that channel, whatever else the
/// channel carries).
fn centre_lean_db(a: &AudioBuffer, centre: &[f32]) -> f64 {
    let proj = |x: &[f32]| {
        x.iter()
            .zip(centre)
            .map(|(&a, &c)| f64::from(a) * f64::from(c))
            .sum::<f64>()
    };
    20.0 * (proj(&a.channels[0]) / proj(&a.channels[1])).log10()
}

/// A mix that leans by its arrangement — a part panned hard left, 4 dB
/// under the centre — with a 2 dB gain slip on the left on top: the master
/// puts the centre (what both channels share) back in the middle and leaves
/// the arrangement's lean alone. Judged by projecting each channel of the
/// master on the known centre stem — the centre's own level in each
/// channel, not the engine's estimate — within 0.5 dB of level (the
/// just-noticeable interaural level difference). Re-centring the loudness
/// balance instead (+3.5 dB here, the part included) pushes the centre
/// 1.5 dB to the right.
#[test]
fn a_gain_slip_is_measured_on_the_centre_not_on_the_arrangement() {
    let centre = centre_stem();
    // The panned part: other music (the centre played backwards), left only.
    let part = 10f32.powf(-4.0 / 20.0);
    let slip = 10f32.powf(2.0 / 20.0);
    let left: Vec<f32> = centre
        .iter()
        .zip(centre.iter().rev())
        .map(|(c, p)| slip * (c + part * p))
        .collect();
    let mixed = AudioBuffer {
        sample_rate: SR,
        channels: vec![left, centre.clone()],
    };
    let centre_db = |a: &AudioBuffer| centre_lean_db(a, &centre);
    let before = centre_db(&mixed);
    assert!(
        (before - 2.0).abs() < 0.1,
        "the generated slip reads {before:.2} dB"
    );
    assert!(
        balance_db(&mixed) > 3.0,
        "the part leans the mix: {:.2}",
        balance_db(&mixed)
    );
    let m = run("slip over a panned part", &mixed, &MasterOptions::default());
    let after = centre_db(&m.audio);
    assert!(
        after.abs() <= 0.5,
        "the centre sits {before:.2} → {after:.2} dB off; decisions {:?}",
        m.report
            .decisions
            .iter()
            .map(|d| &d.label)
            .collect::<Vec<_>>()
    );
}

#[test]
fn dc_offset_is_removed() {
    let mut a = clean(SR, SECONDS);
    for ch in &mut a.channels {
        for s in ch.iter_mut() {
            *s += 0.05;
        }
    }
    let m = check("dc_offset", &a, "dc_offset");
    // In units of 1 % of full scale.
    check_physical("dc_offset", &m, 100.0 * dc(&a), 100.0 * dc(&m.audio));
}

/// A move meant for a few peaks may not change the track's tone
/// (`master::decide::tonal_veto`). A quiet mix under a busy part of short,
/// bright hits (4 ms bursts around 5.5 kHz every eighth note, 22 dB over the
/// music around them) and three louder hits on top reads isolated peaks; a
/// spike control sized from the loud hits also takes a little off every
/// bright one, and the 4 kHz octave with them. Whatever the master keeps to
/// answer the peaks, each such module alone moves no octave band by more
/// than the balanced character's 1 dB, measured on the mix with the test
/// support's own filters (before, a spike control that alone moved an
/// octave band 6.5 dB was kept: the bright hits lost their edge).
#[test]
fn a_move_for_a_few_peaks_leaves_the_tone_alone() {
    let base = gain(&clean(SR, SECONDS), -12.0);
    let mut a = base.clone();
    let n = a.frames();
    let sr = SR as usize;
    let mut noise = Xorshift32::new(0x5eed_0042);
    let len = (0.004 * SR as f32) as usize;
    let eighth = sr / 4;
    let mut k = sr / 8;
    let mut hit = 0;
    while k + len < n {
        let around: f32 = base.channels[0][k.saturating_sub(sr / 5)..(k + sr / 5).min(n)]
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
            / (2 * sr / 5) as f32;
        // Every 16th hit is 9 dB louder: the few isolated peaks.
        let over = if hit % 16 == 7 { 31.0 } else { 22.0 };
        let top = around.sqrt() * 10f32.powf(over / 20.0);
        let mut band = preflight_tests::filters::Biquad::bandpass(f64::from(SR), 5500.0, 1.0);
        for j in 0..len + len / 2 {
            let env = if j < len {
                (std::f32::consts::PI * j as f32 / len as f32).sin()
            } else {
                0.0
            };
            let v = band.tick(f64::from(noise.next_bipolar() * env)) as f32 * top * 2.5;
            a.channels[0][k + j] += v;
            a.channels[1][k + j] += v;
        }
        hit += 1;
        k += eighth;
    }
    let m = run("few-peaks", &a, &MasterOptions::default());
    let labels: Vec<&String> = m.report.decisions.iter().map(|d| &d.label).collect();
    eprintln!("decisions: {labels:?}");
    assert!(
        sev(&m.report.before, "transient_spikes") >= 0.25,
        "the hits read as isolated peaks: {:.2}",
        sev(&m.report.before, "transient_spikes")
    );
    // The corrective moves (the final limiter is the loudness stage's,
    // bounded there).
    for module in m
        .corrections
        .modules
        .iter()
        .filter(|x| decide::acts_on_peaks(x))
    {
        let alone = through(&a, vec![module.clone()]);
        let moved = max_octave_change_db(&a, &alone);
        assert!(
            moved.abs() <= 1.0,
            "{module:?} alone moved an octave band {moved:.2} dB"
        );
    }
}

/// Isolated clicks far above the music, every 2.3 s, in a mix whose second
/// half is 15 dB quieter: each click sits 20 dB over the music around it,
/// so those in the quiet half peak well under the loud half's. A ceiling
/// under the highest peak cannot reach them; the master must take every
/// click down, measured at the known places against the clean mix with the
/// test support's own measure ([`preflight_tests::spikes`]).
#[test]
fn transient_spikes_are_shaved_where_they_fall() {
    let mut clean_mix = clean(SR, SECONDS);
    let n = clean_mix.frames();
    let sr = SR as usize;
    for ch in &mut clean_mix.channels {
        for (i, s) in ch.iter_mut().enumerate() {
            // A 0.5 s fade to −15 dB at the middle.
            let t = ((i as f32 - n as f32 / 2.0) / (0.5 * SR as f32)).clamp(0.0, 1.0);
            *s *= 10f32.powf(-15.0 * t / 20.0);
        }
    }
    let mut a = clean_mix.clone();
    let mut at = Vec::new();
    let mut k = sr / 3;
    while k + 2 * sr / 5 < n {
        if k.abs_diff(n / 2) > sr {
            at.push(k);
        }
        k += sr * 23 / 10;
    }
    let len = (0.002 * SR as f32) as usize;
    for &i in &at {
        let around: f32 = clean_mix.channels[0][i - sr / 5..i + sr / 5]
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
            / (2 * sr / 5) as f32;
        let top = around.sqrt() * 10f32.powf(20.0 / 20.0);
        for j in 0..len {
            let v = top * (std::f32::consts::PI * j as f32 / len as f32).sin().powi(2);
            a.channels[0][i + j] += v;
            a.channels[1][i + j] += v;
        }
    }
    assert!(at.len() >= 4, "clicks in both halves");
    let m = check("transient_spikes", &a, "transient_spikes");
    let clean_db = spike_over_surroundings_db(&clean_mix.channels, SR, &at);
    let before = spike_over_surroundings_db(&a.channels, SR, &at) - clean_db;
    let after = spike_over_surroundings_db(&m.audio.channels, SR, &at) - clean_db;
    eprintln!(
        "decisions: {:?}",
        m.report
            .decisions
            .iter()
            .map(|d| &d.label)
            .collect::<Vec<_>>()
    );
    check_physical("transient_spikes", &m, before, after);
    // Each click, not just the mean: those in the quiet half come down as
    // far as those in the loud half (a fixed ceiling under the highest peak
    // leaves them as they were), each by at least 40 % (the mean by half,
    // above).
    let mut drops = Vec::new();
    for &i in &at {
        let c = spike_over_surroundings_db(&clean_mix.channels, SR, &[i]);
        let b = spike_over_surroundings_db(&a.channels, SR, &[i]) - c;
        let f = spike_over_surroundings_db(&m.audio.channels, SR, &[i]) - c;
        eprintln!("click at {:.2} s: {b:.2} → {f:.2} dB", i as f64 / SR as f64);
        assert!(
            f <= 0.6 * b,
            "click at {:.2} s: {b:.2} → {f:.2} dB",
            i as f64 / SR as f64
        );
        drops.push((i < n / 2, b - f));
    }
    let mean = |loud: bool| {
        let v: Vec<f64> = drops.iter().filter(|d| d.0 == loud).map(|d| d.1).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(
        mean(false) >= mean(true) - 2.0,
        "quiet half's clicks fell {:.2} dB, loud half's {:.2} dB",
        mean(false),
        mean(true)
    );
}

#[test]
fn intersample_peaks_are_caught() {
    let a = clean(SR, SECONDS);
    let peak = a
        .channels
        .iter()
        .flatten()
        .fold(0.0f32, |m, s| m.max(s.abs()));
    let hot = gain(&a, -20.0 * f64::from(peak).log10() - 0.05);
    check("intersample_peaks", &hot, "intersample_peaks");
}

/// The peak of the ideal reconstruction (32× FFT) of the loudest second of
/// `audio`, dBTP — the independent measure (no code shared with the meter).
fn ideal_true_peak_db(audio: &AudioBuffer) -> f64 {
    to_db(preflight_tests::ideal_peak::loudest_second_peak(
        &audio.channels,
        audio.sample_rate,
    ))
}

/// Sample peak under the ceiling, true peak over it: 12 kHz bursts at 45°
/// of phase (every sample 3 dB under the crest) on the clean mix, samples
/// at −1.5 dBFS, crests at +1.5 dBTP. The master holds −1 dBTP by the ideal
/// reconstruction, by ffmpeg and by the engine's meter (in [`run`]).
#[test]
fn intersample_peaks_over_the_ceiling_with_every_sample_under_it() {
    let base = gain(&clean(SR, SECONDS), -12.0);
    let mut a = base.clone();
    let sr = SR as usize;
    let amp = 10f32.powf(1.5 / 20.0) - base.channels[0].iter().fold(0.0f32, |m, s| m.max(s.abs()));
    let mut k = sr / 2;
    while k + sr / 10 < a.frames() {
        for j in 0..sr / 20 {
            let fade = (std::f32::consts::PI * j as f32 / (sr / 20) as f32).sin();
            let v = amp
                * fade
                * (std::f32::consts::FRAC_PI_2 * j as f32 + std::f32::consts::FRAC_PI_4).sin();
            for ch in &mut a.channels {
                ch[k + j] += v;
            }
        }
        k += sr;
    }
    let sample_peak = to_db(f64::from(
        a.channels
            .iter()
            .flatten()
            .fold(0.0f32, |m, s| m.max(s.abs())),
    ));
    let ideal_in = ideal_true_peak_db(&a);
    assert!(
        sample_peak < -1.0 && ideal_in > 0.5,
        "set-up: sample {sample_peak:.2}, ideal {ideal_in:.2}"
    );
    let m = check("intersample_under_samples", &a, "intersample_peaks");
    let ideal_out = ideal_true_peak_db(&m.audio);
    println!(
        "sample peak {sample_peak:.2} dBFS, ideal true peak {ideal_in:.2} → {ideal_out:.3} dBTP"
    );
    assert!(
        ideal_out <= -1.0,
        "ideal true peak of the master {ideal_out:.3} dBTP"
    );
}

#[test]
fn quiet_mix_reaches_the_target() {
    let a = gain(&clean(SR, SECONDS), -10.0);
    let m = check("loudness_target", &a, "loudness_target");
    let got = m.report.after.loudness.integrated_lufs.unwrap();
    assert!((got + 14.0).abs() <= 0.2, "{got} LUFS");
}

#[test]
fn overcompressed_mix_gets_headroom_back_not_more_limiting() {
    // Push the clean mix 16 dB into a hard clipper, then make it loud.
    let a = clean(SR, SECONDS);
    let mut hot = gain(&a, 16.0);
    for ch in &mut hot.channels {
        for s in ch.iter_mut() {
            *s = s.clamp(-0.7, 0.7) / 0.75;
        }
    }
    let options = MasterOptions::default();
    let m = run("overcompressed", &hot, &options);
    let before = &m.report.before;
    assert!(sev(before, "overcompressed") >= 0.25, "{:?}", before.risks);
    let lin = before.loudness.integrated_lufs.unwrap();
    let lout = m.report.after.loudness.integrated_lufs.unwrap();
    assert!(lout < lin - 2.0, "turned down: {lin} → {lout}");
    // No further limiting: the peak-to-loudness ratio does not shrink.
    let plr_in = before.loudness.plr_db.unwrap();
    let plr_out = m.report.after.loudness.plr_db.unwrap();
    assert!(plr_out >= plr_in - 0.3, "PLR {plr_in} → {plr_out}");
    assert!(!m
        .report
        .decisions
        .iter()
        .any(|d| d.r#move == "true_peak_limiter"
            && d.params["peak_reduction_db"].as_f64().unwrap_or(0.0) > 0.6));
    assert!(sev(&m.report.after, "overcompressed") <= sev(before, "overcompressed") + 0.05);
}

/// On a long track a step's candidates are screened on an excerpt around the
/// worst moment first; what is kept is still judged on the whole track: the
/// severity the log reports after the kept moves is that of a whole-track
/// re-analysis of exactly those moves, and the contract of `check` holds.
#[test]
fn long_tracks_are_screened_on_an_excerpt_then_judged_whole() {
    let seconds = SCREEN_MIN_S as f32 + 15.0;
    let (name, problem, level_db, id) = (
        "harshness-long",
        eq(FilterKind::Peaking, 4000.0, 0.8, 14.0),
        -3.0,
        "harshness",
    );
    let a = gain(&through(&clean(SR, seconds), vec![problem]), level_db);
    let m = check(name, &a, id);
    let it = &m.report.iterations;
    assert!(
        it.iter()
            .flat_map(|i| &i.accepted)
            .any(|a| a.contains("screened on")),
        "{name}: screening ran: {it:#?}"
    );
    // The state after every corrective move (the loudness stage is the
    // last iteration).
    let last = &it[it.len() - 2];
    let logged = last.risk_severity.get(id).copied().unwrap_or(0.0);
    let whole = recheck(&a, &m.corrections, &AnalysisOptions::default()).unwrap();
    let measured = sev(&whole, id);
    assert!(
        (measured - logged).abs() < 0.01,
        "{name}: logged {logged} vs whole-track {measured}"
    );
}

/// When no candidate halves a risk on the screening excerpt, the best
/// partial move is re-sized from how the risk answered the amounts tried, and
/// that one move is judged on the whole track: here the generator's full
/// sub shelf falls just short, the re-sized deeper shelf halves the risk in
/// one step (no second, stacked shelf) and does better than the full shelf
/// would have on the whole track.
#[test]
fn a_partial_move_is_re_sized_in_one_step() {
    let seconds = SCREEN_MIN_S as f32 + 15.0;
    let a = gain(
        &through(
            &clean(SR, seconds),
            vec![eq(FilterKind::Peaking, 45.0, 0.9, 20.0)],
        ),
        -12.0,
    );
    let m = check("sub-resized", &a, "sub_excess");
    let subs: Vec<_> = m
        .report
        .decisions
        .iter()
        .filter(|d| d.addresses.iter().any(|id| id == "sub_excess"))
        .collect();
    assert_eq!(subs.len(), 1, "one move: {:#?}", m.report.iterations);
    let step = m
        .report
        .iterations
        .iter()
        .find(|i| i.accepted.iter().any(|a| a.contains("sub_excess")))
        .unwrap();
    assert!(
        step.accepted[0].contains("sized from how the risk answered"),
        "{step:#?}"
    );
    // The generator's own largest move for the risk, judged whole, is beaten.
    let risk = m
        .report
        .before
        .risks
        .iter()
        .find(|r| r.id == "sub_excess")
        .unwrap();
    let ctx = decide::Context {
        audio: &a,
        report: &m.report.before,
        input_stereo: &m.report.before.stereo,
        character: MasterOptions::default().intent.character,
    };
    let full = decide::candidates(risk, &ctx).remove(0).module;
    let kept = subs[0].params["gain_db"].as_f64().unwrap();
    let Module::Eq { gain_db, .. } = full else {
        panic!("{full:?}")
    };
    assert!(
        kept < gain_db - 0.5,
        "re-sized {kept} dB vs full {gain_db} dB"
    );
    let aopts = AnalysisOptions::default();
    let with_full = sev(
        &recheck(&a, &dsp_wasm::chain::Chain::new(vec![full]), &aopts).unwrap(),
        "sub_excess",
    );
    let with_kept = sev(&recheck(&a, &m.corrections, &aopts).unwrap(), "sub_excess");
    assert!(
        with_kept < with_full && with_kept <= 0.5 * sev(&m.report.before, "sub_excess"),
        "re-sized {with_kept:.2} vs full {with_full:.2}"
    );
}

/// The generated mix's vocal stops between phrases and takes the whole
/// 1–4 kHz band with it, while its hi-hats go on: the hats in those gaps
/// are not "s" bursts (they were once flagged as major sibilance, and no
/// de-esser could lower that).
#[test]
fn hats_between_sung_phrases_are_not_sibilance() {
    for seconds in [12.0, 60.0] {
        let r = analyze(
            &clean(SR, seconds),
            &Source::pcm("clean"),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        let s = sev(&r, "sibilance");
        assert!(s < 0.25, "{seconds} s: sibilance {s:.2}");
    }
}

/// Where the centre is measured with only part confidence, the lean is a
/// blend of the channels' loudness and the centre's; the words give both
/// figures as measured (they printed the blend as "the right channel is
/// 2.3 dB louder" on a clean song whose channels differ by 1.8 dB and whose
/// centre by 3.3). Oracles: the channels' loudness from the test support's
/// BS.1770 balance, the centre's from projecting each channel on the known
/// centre stem.
#[test]
fn a_partly_centred_lean_is_told_with_both_figures() {
    let centre = centre_stem();
    // (figure, side) pairs the words give: "the left channel is 1.2 dB
    // louder" and "comes 2.0 dB louder from the left channel".
    let told = |w: &str| {
        let words: Vec<&str> = w.split_whitespace().collect();
        let mut out = Vec::new();
        for (i, t) in words.iter().enumerate() {
            if *t != "dB" || i == 0 || words.get(i + 1) != Some(&"louder") {
                continue;
            }
            let Ok(db) = words[i - 1].parse::<f64>() else {
                continue;
            };
            let side = if words.get(i + 2) == Some(&"from") {
                words.get(i + 4)
            } else {
                i.checked_sub(4).and_then(|k| words.get(k))
            };
            out.push((db, side.copied().unwrap_or("?").to_string()));
        }
        out
    };
    let mut partly = 0;
    for part_db in [-6.0f32, -3.0, 0.0, 3.0, 6.0] {
        // The centre 2 dB up on the left; a part of other music (the centre
        // backwards) on the right only, from well under to well over it.
        let part = 10f32.powf(part_db / 20.0);
        let slip = 10f32.powf(2.0 / 20.0);
        let left: Vec<f32> = centre.iter().map(|c| slip * c).collect();
        let right: Vec<f32> = centre
            .iter()
            .zip(centre.iter().rev())
            .map(|(c, p)| c + part * p)
            .collect();
        let mixed = AudioBuffer {
            sample_rate: SR,
            channels: vec![left, right],
        };
        let centre_db = centre_lean_db(&mixed, &centre);
        let channels_db = balance_db(&mixed);
        let side = |db: f64| if db > 0.0 { "left" } else { "right" };
        let report = preflight_tests::report_of(&mixed, "lean");
        let Some(lean) = report.risks.iter().find(|x| x.id == "stereo_imbalance") else {
            panic!("part at {part_db} dB: a 2 dB centre or a {channels_db:.1} dB channel lean goes unsaid");
        };
        let w = &lean.explanation;
        let figures = told(w);
        assert!(
            !figures.is_empty(),
            "part at {part_db} dB: no figure in {w}"
        );
        for (db, s) in &figures {
            let fits = |truth: f64| (db - truth.abs()).abs() <= 0.15 && s == side(truth);
            assert!(
                fits(centre_db) || fits(channels_db),
                "part at {part_db} dB: {db} dB louder on the {s} is neither the centre's \
                 {centre_db:.2} dB nor the channels' {channels_db:.2} dB: {w}"
            );
        }
        if figures.len() == 2 {
            partly += 1;
        }
        println!("part at {part_db} dB: {figures:?}: {w}");
    }
    assert!(partly >= 1, "no mix measured with part confidence");
}

/// The decide loop lets no mono reading veto a linked gain (spike control,
/// limiter, gain): one gain on both channels keeps their ratio in every
/// band, so what a mono sum loses stays as it was. Checked physically on a
/// mix whose lows are partly out of polarity, with clicks far over it,
/// through a hard spike control and a limiter 6 dB under its peak: the
/// mono-sum loss under 150 Hz to 10 kHz (the test support's own filters)
/// moves by under 0.1 dB.
#[test]
fn a_linked_gain_leaves_what_mono_loses_as_it_was() {
    let mut a = clean(SR, SECONDS);
    // The right channel's lows half inverted: a real mono loss below 200 Hz.
    let low: Vec<f32> = {
        let mut y = a.channels[1].clone();
        preflight_tests::filters::Biquad::lowpass(f64::from(SR), 200.0, 0.707).run(&mut y);
        y
    };
    for (s, l) in a.channels[1].iter_mut().zip(&low) {
        *s -= 1.5 * l;
    }
    let n = a.frames();
    for k in 1..10 {
        let i = k * n / 10;
        a.channels[0][i] += 0.6;
        a.channels[1][i] -= 0.5;
    }
    let peak = to_db(f64::from(true_peak(&a.as_slices())));
    let shaved = through(
        &a,
        vec![
            Module::SpikeControl {
                above_rms_db: 6.0,
                max_cut_db: 18.0,
                release_ms: 50.0,
            },
            Module::Limiter {
                ceiling_dbtp: peak - 6.0,
                lookahead_ms: 5.0,
                release_ms: 60.0,
            },
        ],
    );
    let level = |x: &AudioBuffer| to_db(f64::from(true_peak(&x.as_slices())));
    assert!(
        level(&shaved) < peak - 5.0,
        "the chain shaved the peaks: {peak:.1} → {:.1} dBTP",
        level(&shaved)
    );
    assert!(low_mono_loss_db(&a, 150.0) > 1.0, "the lows lose in mono");
    for hz in [150.0, 600.0, 2500.0, 10_000.0] {
        let (before, after) = (low_mono_loss_db(&a, hz), low_mono_loss_db(&shaved, hz));
        println!("mono loss under {hz} Hz: {before:.3} → {after:.3} dB");
        assert!(
            (after - before).abs() < 0.1,
            "under {hz} Hz: {before:.2} → {after:.2} dB"
        );
    }
}

/// A mix with one channel silent (a mono mix bounced to the left only) is a
/// major image lean — the whole track in one ear — and not a mono collapse
/// (nothing cancels: the silent channel has nothing to correlate with). The
/// master puts the channel that plays in both: its two channels are the
/// same samples, each the input's left scaled by one gain (checked on the
/// samples, against the input). Before, the balance was undefined (the
/// right channel under the loudness gate), so no image lean was read at
/// all, a major mono collapse was ("those parts cancel"), and the master
/// made only the lows mono, leaving it 9.3 dB to the left.
#[test]
fn a_silent_channel_is_told_and_the_other_put_in_both() {
    let mut input = clean(SR, SECONDS);
    input.channels[1].iter_mut().for_each(|s| *s = 0.0);
    let r = analyze(
        &input,
        &Source::pcm("left only"),
        &AnalysisOptions::default(),
        |_, _| {},
    )
    .report;
    let lean = r
        .risks
        .iter()
        .find(|x| x.id == "stereo_imbalance")
        .expect("an image lean");
    assert_eq!(lean.level, Level::Major, "{}", lean.explanation);
    assert_eq!(lean.evidence["silent_channel"], 1);
    assert!(
        lean.explanation.contains("right channel is silent"),
        "{}",
        lean.explanation
    );
    assert!(
        sev(&r, "mono_collapse") < 0.25,
        "mono collapse read: {}",
        sev(&r, "mono_collapse")
    );
    let m = run("silent-right", &input, &MasterOptions::default());
    let (l, rr) = (&m.audio.channels[0], &m.audio.channels[1]);
    let apart = l
        .iter()
        .zip(rr)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(apart <= 1e-6, "the channels differ by up to {apart}");
    // Each output sample is the input's left times one gain (the limiter
    // does not act on this mix; where it did, the residual would show it).
    let (_, residual) = scaled_copy_residual(l, &input.channels[0]);
    assert!(
        residual <= 1e-4,
        "the master is not the left channel scaled: {residual}"
    );
    assert!(sev(&m.report.after, "stereo_imbalance") < 0.25);
}

/// The least-squares gain of `out` over `reference` and the largest sample
/// left once `reference` times that gain is taken away.
fn scaled_copy_residual(out: &[f32], reference: &[f32]) -> (f64, f64) {
    let (num, den) = out
        .iter()
        .zip(reference)
        .fold((0.0f64, 0.0f64), |(n, d), (&o, &i)| {
            (
                n + f64::from(o) * f64::from(i),
                d + f64::from(i) * f64::from(i),
            )
        });
    let g = num / den;
    let residual = out
        .iter()
        .zip(reference)
        .map(|(&o, &i)| (f64::from(o) - g * f64::from(i)).abs())
        .fold(0.0f64, f64::max);
    (g, residual)
}

/// A mix whose right channel was bounced in opposite polarity (every band
/// cancels in mono) is a major mono collapse, and its other readings are
/// those of the mix in polarity: the voice's "s" sounds, which the mid no
/// longer holds, are read where they now sit (in the side). The master
/// flips that channel back whole: each output channel is the mix's own
/// channel, in polarity, times one gain (checked on the samples against the
/// mix before the inversion). Before, the master flipped and made mono only
/// the lows under 200 Hz, leaving everything above out of polarity, and a
/// left channel in opposite polarity to itself (R = −L) read a false major
/// sibilance from the cancelled mid.
#[test]
fn a_channel_in_opposite_polarity_is_flipped_back_whole() {
    let mix = clean(SR, SECONDS);
    let mut inverted = mix.clone();
    inverted.channels[1].iter_mut().for_each(|s| *s = -*s);
    let r = report_of(&inverted, "right inverted");
    let collapse = r
        .risks
        .iter()
        .find(|x| x.id == "mono_collapse")
        .expect("a mono collapse");
    assert_eq!(collapse.level, Level::Major, "{}", collapse.explanation);
    let m = run("right-inverted", &inverted, &MasterOptions::default());
    for (ch, (out, was)) in m.audio.channels.iter().zip(&mix.channels).enumerate() {
        let (g, residual) = scaled_copy_residual(out, was);
        println!("channel {ch}: gain {g:.4}, residual {residual:.2e}");
        assert!(g > 0.0, "channel {ch} is still inverted (gain {g})");
        assert!(
            residual <= 1e-4,
            "channel {ch} is not the mix's own channel scaled: {residual}"
        );
    }
    assert!(sev(&m.report.after, "mono_collapse") < 0.25);

    // One channel the other's inverse: what the mix centres is all side.
    let mut mono = mix.clone();
    let left = mono.channels[0].clone();
    mono.channels[1] = left.iter().map(|s| -s).collect();
    let mut centred = mix.clone();
    centred.channels[1] = left;
    let (flipped, straight) = (
        report_of(&mono, "left and its inverse"),
        report_of(&centred, "left in both"),
    );
    let m = run("left-and-its-inverse", &mono, &MasterOptions::default());
    for (ch, out) in m.audio.channels.iter().enumerate() {
        let (g, residual) = scaled_copy_residual(out, &mono.channels[0]);
        println!("left and its inverse, channel {ch}: gain {g:.4}, residual {residual:.2e}");
        assert!(
            g > 0.0 && residual <= 1e-4,
            "channel {ch}: gain {g}, residual {residual}"
        );
    }
    for id in ["sibilance", "harshness", "dull", "vocal_masking"] {
        let (a, b) = (sev(&flipped, id), sev(&straight, id));
        println!("{id}: {a:.3} inverted, {b:.3} in polarity");
        assert!(
            (a - b).abs() < 0.05,
            "{id}: {a:.3} inverted, {b:.3} in polarity"
        );
    }
}
