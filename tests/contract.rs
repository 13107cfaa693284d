//! The report contract: every document the engine produces validates against
//! `docs/contract/report.schema.json` (the repository's copy of the shared
//! contract, checked byte for byte against `../shared/contract/` when that
//! exists), and the structural promises of the contract hold (sorted risks,
//! severities in range, levels matching severities, time ranges inside the
//! file, known ids). Bad input — corrupt, truncated, empty, non-audio bytes,
//! NaN/Inf samples, digital silence, files shorter than 400 ms, very long
//! files — never panics and yields sane output.

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::decode::decode;
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::playback::systems::SYSTEMS as ALL_SYSTEMS;
use dsp_wasm::report::{analyze, Source};
use dsp_wasm::report::{Level, Report};
use dsp_wasm::risks::RISK_IDS;
use dsp_wasm::Stage;
use preflight_tests::mixes::{inject, mix, Style, STYLES};
use preflight_tests::noise::Xorshift32;
use preflight_tests::scratch_dir;
use preflight_tests::wav::{wav_bytes, WavFormat};
use std::path::{Path, PathBuf};

/// The repository's `docs/`: the contract and the risk taxonomy it names.
fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

/// `../shared/` beside the project, as developers and CI have it (a fresh
/// clone need not).
fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// The files the repository mirrors from `../shared/`, relative to both.
const MIRRORED: [&str; 3] = [
    "contract/README.md",
    "contract/report.schema.json",
    "risks.md",
];

fn schema() -> serde_json::Value {
    let path = docs_dir().join("contract/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("schema JSON")
}

/// Whether `shared` holds the same bytes as `repo` for every [`MIRRORED`]
/// file: `Ok(None)` when there is no `shared` to compare with, `Ok(Some(n))`
/// with the number of files compared, `Err` naming the first difference. The
/// contract folder must also hold no file the mirror lacks.
fn compare_mirror(repo: &Path, shared: &Path) -> Result<Option<usize>, String> {
    if !shared.is_dir() {
        return Ok(None);
    }
    let names = |dir: &Path| -> Result<Vec<String>, String> {
        let mut names = std::fs::read_dir(dir.join("contract"))
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .map(|entry| entry.map(|e| format!("contract/{}", e.file_name().to_string_lossy())))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        names.sort();
        Ok(names)
    };
    let (in_repo, in_shared) = (names(repo)?, names(shared)?);
    if in_repo != in_shared {
        return Err(format!(
            "contract files differ: repo {in_repo:?}, shared {in_shared:?}"
        ));
    }
    for name in in_repo.iter().map(String::as_str).chain(["risks.md"]) {
        let read = |dir: &Path| std::fs::read(dir.join(name)).map_err(|e| format!("{name}: {e}"));
        if read(repo)? != read(shared)? {
            return Err(format!("{name} differs from the shared copy"));
        }
    }
    Ok(Some(in_repo.len() + 1))
}

/// The repository owns its contract; it stays the shared one byte for byte.
#[test]
fn the_contract_is_the_shared_one() {
    let docs = docs_dir();
    for name in MIRRORED {
        assert!(docs.join(name).is_file(), "docs/{name} is missing");
    }
    match compare_mirror(&docs, &shared_dir()) {
        Ok(Some(n)) => assert_eq!(n, MIRRORED.len()),
        Ok(None) => println!(
            "note: {} does not exist; docs/ not compared with the shared contract",
            shared_dir().display()
        ),
        Err(e) => panic!("docs/ is not a copy of ../shared: {e}"),
    }
}

/// The comparison itself: skipped without a shared folder, a changed byte or
/// an extra contract file is caught.
#[test]
fn the_mirror_check_skips_and_catches() {
    let docs = docs_dir();
    // Everything this test writes lives in this one scratch folder, which it
    // removes at the end (and nothing above it).
    let scratch = scratch_dir("contract-mirror");
    assert_eq!(compare_mirror(&docs, &scratch.join("absent")), Ok(None));

    let copy = scratch.join("shared");
    std::fs::create_dir_all(copy.join("contract")).unwrap();
    for name in MIRRORED {
        std::fs::copy(docs.join(name), copy.join(name)).unwrap();
    }
    assert_eq!(compare_mirror(&docs, &copy), Ok(Some(MIRRORED.len())));
    let mut risks = std::fs::read(copy.join("risks.md")).unwrap();
    risks[0] ^= 1;
    std::fs::write(copy.join("risks.md"), &risks).unwrap();
    assert!(compare_mirror(&docs, &copy).is_err(), "a changed byte");
    std::fs::copy(docs.join("risks.md"), copy.join("risks.md")).unwrap();
    std::fs::write(copy.join("contract/extra.json"), "{}").unwrap();
    assert!(compare_mirror(&docs, &copy).is_err(), "an extra file");
    let _ = std::fs::remove_dir_all(&scratch);
}

/// The engine's risk and system ids are the contract's: the schema's enums
/// and the table of `docs/risks.md` that the contract refers to.
#[test]
fn engine_ids_are_the_contract_ids() {
    let schema = schema();
    let ids = |def: &str| -> Vec<String> {
        schema["$defs"][def]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{def} enum"))
            .iter()
            .map(|v| v.as_str().expect("string id").to_owned())
            .collect()
    };
    assert_eq!(ids("riskId"), RISK_IDS);
    assert_eq!(ids("systemId"), ALL_SYSTEMS);
    let risks_md = std::fs::read_to_string(docs_dir().join("risks.md")).expect("docs/risks.md");
    let table: Vec<&str> = risks_md
        .split("## Risk ids")
        .nth(1)
        .expect("a Risk ids section")
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .collect();
    assert_eq!(table, RISK_IDS);
}

fn check(r: &Report, what: &str) {
    let validator = jsonschema::validator_for(&schema()).expect("valid schema");
    let doc = serde_json::to_value(r).expect("serialize");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what}: schema errors: {errors:#?}");
    for w in r.risks.windows(2) {
        assert!(
            w[0].severity + 0.1 >= w[1].severity,
            "{what}: risks not sorted by priority"
        );
    }
    for risk in &r.risks {
        assert!(
            RISK_IDS.contains(&risk.id.as_str()),
            "{what}: unknown id {}",
            risk.id
        );
        assert!((0.0..=1.0).contains(&risk.severity));
        assert_eq!(
            risk.level,
            Level::from_severity(risk.severity),
            "{what}: {} level",
            risk.id
        );
        assert!(risk
            .systems
            .iter()
            .all(|s| ALL_SYSTEMS.contains(&s.as_str())));
        for t in &risk.time_ranges_s {
            assert!(
                t[0] >= 0.0 && t[1] >= t[0] && t[1] <= r.input.duration_s + 1e-6,
                "{what}: {} range {t:?}",
                risk.id
            );
        }
        assert!(
            !risk.explanation.contains("NaN") && !risk.explanation.contains("inf"),
            "{what}: {}",
            risk.explanation
        );
    }
    assert_eq!(r.translation.len(), ALL_SYSTEMS.len());
    assert_eq!(r.spectrum.bands_hz.len(), r.spectrum.level_db.len());
    assert_eq!(r.spectrum.bands_hz.len(), r.spectrum.target_db.len());
}

#[test]
fn reports_of_clean_and_problem_mixes_validate() {
    for style in STYLES {
        let r = analyze(
            &mix(style, 44_100, 12.0, 5),
            &Source::in_format("clean.wav", "wav", Some(24)),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        check(&r, &format!("{style:?} clean"));
    }
    for id in RISK_IDS {
        let r = analyze(
            &inject(id, Style::SynthPop, 48_000, 12.0, 9),
            &Source::in_format("bad.wav", "wav", Some(24)),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        check(&r, id);
        let risk = r.risks.iter().find(|x| x.id == id).expect("flagged");
        // Explanations of time-localised risks carry times as m:ss (a whole-file
        // DC offset or integrated-loudness verdict has no moment).
        if !matches!(id, "dc_offset" | "loudness_target") {
            assert!(
                risk.explanation.contains(':') || risk.explanation.starts_with("Throughout"),
                "{id}: {}",
                risk.explanation
            );
        }
    }
}

#[test]
fn edge_signals_never_panic_and_validate() {
    let rate = 48_000u32;
    let tone = |secs: f64| -> Vec<f32> {
        (0..(secs * f64::from(rate)) as usize)
            .map(|i| 0.3 * (i as f32 * 0.05).sin())
            .collect()
    };
    let cases: Vec<(&str, AudioBuffer)> = vec![
        ("empty", AudioBuffer::silent(rate, 2, 0)),
        ("one sample", AudioBuffer::silent(rate, 2, 1)),
        ("silence", AudioBuffer::silent(rate, 2, rate as usize * 5)),
        (
            "short 300 ms",
            AudioBuffer {
                sample_rate: rate,
                channels: vec![tone(0.3), tone(0.3)],
            },
        ),
        (
            "mono",
            AudioBuffer {
                sample_rate: rate,
                channels: vec![tone(5.0)],
            },
        ),
        ("8 kHz", mix(Style::Acoustic, 8_000, 6.0, 1)),
        ("192 kHz", mix(Style::Electronic, 192_000, 4.0, 2)),
        (
            "NaN and Inf",
            AudioBuffer {
                sample_rate: rate,
                channels: vec![
                    tone(3.0)
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| if i % 1000 == 0 { f32::NAN } else { v })
                        .collect(),
                    tone(3.0)
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| if i % 777 == 0 { f32::INFINITY } else { v })
                        .collect(),
                ],
            },
        ),
        (
            "full-scale square",
            AudioBuffer {
                sample_rate: rate,
                channels: vec![
                    (0..rate as usize * 2)
                        .map(|i| if (i / 50) % 2 == 0 { 1.0 } else { -1.0 })
                        .collect();
                    2
                ],
            },
        ),
        (
            "DC only",
            AudioBuffer {
                sample_rate: rate,
                channels: vec![vec![0.5; rate as usize * 2]; 2],
            },
        ),
    ];
    for (name, a) in cases {
        let r = analyze(
            &a,
            &Source::pcm(name),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        check(&r, name);
        match name {
            "empty" | "one sample" | "silence" | "short 300 ms" => {
                assert!(
                    r.loudness.integrated_lufs.is_none(),
                    "{name}: loudness must be undefined"
                );
                assert!(
                    r.notices.iter().any(|n| n.contains("undefined")),
                    "{name}: explanation missing"
                );
            }
            "NaN and Inf" => {
                assert!(r.loudness.integrated_lufs.is_some());
                assert!(r.notices.iter().any(|n| n.contains("NaN")), "NaN notice");
            }
            "full-scale square" => {
                assert!(r
                    .risks
                    .iter()
                    .any(|x| x.id == "clipping" && x.level == Level::Major));
            }
            "DC only" => {
                assert!(r
                    .risks
                    .iter()
                    .any(|x| x.id == "dc_offset" && x.level == Level::Major));
            }
            _ => assert!(r.loudness.integrated_lufs.is_some(), "{name}"),
        }
    }
}

#[test]
fn bad_bytes_are_errors_not_panics() {
    let wav = wav_bytes(&mix(Style::SynthPop, 44_100, 2.0, 3), WavFormat::Int16);
    let truncated = wav[..wav.len() / 3].to_vec();
    let mut corrupt = wav.clone();
    for (i, b) in corrupt.iter_mut().enumerate().skip(12).take(40) {
        *b ^= (i as u8).wrapping_mul(37);
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("text", b"this is not audio, just a note\n".repeat(100)),
        (
            "random",
            (0..5000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
                .collect(),
        ),
        ("truncated", truncated),
        ("corrupt header", corrupt),
    ];
    for (name, bytes) in cases {
        match decode(bytes, Some("x.wav")) {
            Err(e) => assert!(!e.to_string().is_empty(), "{name}"),
            Ok(d) => check(
                &analyze(
                    &d.audio,
                    &Source::decoded(&d, name),
                    &AnalysisOptions::default(),
                    |_, _| {},
                )
                .report,
                name,
            ),
        }
    }
}

/// A 10-minute 48 kHz stereo file: progress is reported often enough that the
/// UI never looks frozen (no gap larger than 5 % of the analysis), fractions
/// only grow, and the report is sane.
#[test]
fn long_files_report_progress_regularly() {
    let rate = 48_000u32;
    let n = rate as usize * 600;
    let mut noise = Xorshift32::from_state(0x2545_f491);
    let ch: Vec<f32> = (0..n)
        .map(|i| 0.2 * (i as f32 * 0.02).sin() + 0.05 * noise.next_centred())
        .collect();
    let a = AudioBuffer {
        sample_rate: rate,
        channels: vec![ch.clone(), ch],
    };
    let mut calls: Vec<(Stage, f64)> = Vec::new();
    let r = analyze(
        &a,
        &Source::pcm("long"),
        &AnalysisOptions::default(),
        |st, f| calls.push((st, f)),
    )
    .report;
    check(&r, "long");
    assert!(calls.len() > 20, "only {} progress calls", calls.len());
    let mut last = 0.0;
    for &(_, f) in &calls {
        assert!(
            (0.0..=1.0).contains(&f) && f + 1e-9 >= last,
            "progress went from {last} to {f}"
        );
        assert!(
            f - last <= 0.05 + 1e-9,
            "progress jumped from {last:.3} to {f:.3}"
        );
        last = f;
    }
    assert!((last - 1.0).abs() < 1e-9);
    assert!((r.input.duration_s - 600.0).abs() < 1e-6);
}

/// The browser measures a long file's two halves in two Workers: the helper
/// reads and decodes the file block by block and measures its true-peak
/// series, sample levels and K-weighted loudness powers as it goes
/// (`PeakStream`, never holding the track), the engine the spectra and, once
/// the helper's loudness is in, the limiter at the target: put back together, the report is the one
/// the whole analysis gives, for every style and for a clipped, over-loud
/// mix (each as the float WAV file the helper would read). The in-process
/// analysis runs the same two halves, so that comparison proves the
/// streamed series and the crossing lossless; the peak half itself is checked
/// against measures that never split the file: the true peak of the whole
/// buffer (no 100-ms pieces), the sample peak and each channel's mean
/// computed here, and the report's true peak against the ideal
/// reconstruction of the loudest second (the test support's oracle).
#[test]
fn halves_measured_apart_give_the_same_report() {
    use dsp_wasm::io::decode::decode_blocks;
    use dsp_wasm::measure::{
        combine, finish_loudness, measure_peaks, measure_spectral, PeakStream, StreamedPeaks,
    };
    use dsp_wasm::report::from_measurements;
    let mut cases: Vec<(String, AudioBuffer)> = STYLES
        .iter()
        .enumerate()
        .map(|(i, &s)| (format!("{s:?}"), mix(s, 44_100, 20.0, 40 + i as u64)))
        .collect();
    cases.push((
        "clipping".into(),
        inject("clipping", Style::Electronic, 48_000, 20.0, 9),
    ));
    cases.push(("known clips".into(), known_clips().0));
    let options = AnalysisOptions::default();
    for (what, audio) in cases {
        // The file the helper reads, and the audio the engine decodes from it.
        let bytes = wav_bytes(&audio, WavFormat::Float32);
        let audio = decode(bytes.clone(), Some("x.wav")).expect("decode").audio;
        let whole = analyze(
            &audio,
            &Source::in_format("x.wav", "wav", Some(16)),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        let peaks = measure_peaks(&audio, |_, _| {});
        // The peak half against measures of the unsplit buffer.
        let series_max = peaks.true_peak_series.iter().fold(0.0f32, |m, &v| m.max(v));
        let whole_tp = dsp_wasm::measure::true_peak::true_peak(&audio.as_slices());
        assert_eq!(series_max, whole_tp, "{what}: true peak by pieces vs whole");
        let sample_peak = audio
            .channels
            .iter()
            .flatten()
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert_eq!(peaks.levels.sample_peak, sample_peak, "{what}: sample peak");
        for (c, ch) in audio.channels.iter().enumerate() {
            let mean = ch.iter().map(|&v| f64::from(v)).sum::<f64>() / ch.len() as f64;
            assert!(
                (peaks.levels.dc_offset[c] - mean).abs() < 1e-9,
                "{what}: DC of channel {c}"
            );
        }
        let loudest =
            preflight_tests::ideal_peak::loudest_second_peak(&audio.channels, audio.sample_rate);
        let tp_db = 20.0 * f64::from(whole_tp).log10();
        let ideal_db = 20.0 * loudest.log10();
        assert!(
            tp_db >= ideal_db - 0.05,
            "{what}: true peak {tp_db:.3} dBTP under the ideal reconstruction's {ideal_db:.3}"
        );
        // The helper's way: its measures of the file's blocks as they are
        // decoded (10 007 frames at a time), across the Workers as numbers,
        // then the clipped runs counted on the engine's copy.
        let len = bytes.len() as u64;
        let mut stream: Option<PeakStream> = None;
        decode_blocks(
            std::io::Cursor::new(bytes),
            len,
            Some("x.wav"),
            10_007,
            &mut |b, facts| {
                stream
                    .get_or_insert_with(|| PeakStream::new(b.len(), facts.sample_rate))
                    .push(b);
                Ok(())
            },
        )
        .expect("decode in blocks");
        let mut streamed = StreamedPeaks::from_wire(&stream.expect("blocks").finish().to_wire())
            .expect("wire form");
        assert!(streamed.fits(&audio), "{what}");
        assert_eq!(
            streamed.sub_block_power,
            dsp_wasm::measure::loudness::sub_block_powers(&audio, |_| {}),
            "{what}: the streamed loudness"
        );
        // The engine's way: the spectra of its own copy, the loudness from
        // the helper's powers, then the limiter simulated at the target.
        let loudness_part = finish_loudness(
            &audio,
            &options,
            streamed.loudness(),
            measure_spectral(&audio, |_, _| {}),
            |_, _| {},
        );
        assert_eq!(
            streamed.true_peak_series, peaks.true_peak_series,
            "{what}: the streamed series"
        );
        let streamed = streamed.into_part(&audio);
        assert_eq!(
            serde_json::to_value(&streamed).unwrap(),
            serde_json::to_value(&peaks).unwrap(),
            "{what}: the streamed peak half"
        );
        let peaks = streamed;
        if what == "known clips" {
            // Counted by the construction, not by any measuring code.
            let (_, runs, samples) = known_clips();
            assert_eq!(
                (peaks.levels.clipped_runs, peaks.levels.clipped_samples),
                (runs, samples),
                "{what}: clipped runs and samples of the split path"
            );
        }
        let m = combine(&audio, &options, loudness_part, peaks);
        let apart = from_measurements(
            (&audio).into(),
            &m,
            &Source::in_format("x.wav", "wav", Some(16)),
        );
        assert_eq!(
            serde_json::to_value(&whole).unwrap(),
            serde_json::to_value(&apart).unwrap(),
            "{what}"
        );
        assert!(
            !whole.risks.is_empty() || what != "clipping",
            "{what}: the case has risks"
        );
    }
}

/// A stereo 48 kHz signal with a known number of clipped runs: a 0.5 FS
/// sine (at 997 Hz: no two neighbouring samples equal) with flat runs at
/// ±0.9 FS written into it — 3 to 11 samples long, both signs, one across a
/// 5 ms peak block's edge, one starting on one, one ending the file, some in
/// the right channel only — and two flat pairs that are too short to count. Returns it, the runs and the
/// samples in them.
fn known_clips() -> (AudioBuffer, u64, u64) {
    let sr = 48_000u32;
    let n = sr as usize * 3;
    let sine: Vec<f32> = (0..n)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 997.0 * i as f32 / sr as f32).sin())
        .collect();
    let mut channels = vec![sine.clone(), sine];
    let (mut runs, mut samples) = (0u64, 0u64);
    // (channel, start, length, sign): block edges every 240 samples.
    let clips = [
        (0usize, 1_000usize, 3usize, 1.0f32),
        (0, 4_798, 5, -1.0),
        (1, 9_600, 11, 1.0),
        (0, 30_000, 7, -1.0),
        (1, 30_000, 4, 1.0),
        (0, 100_000, 2, 1.0),
        (1, 120_000, 2, -1.0),
        (0, 143_994, 6, 1.0),
    ];
    for (c, start, len, sign) in clips {
        channels[c][start..start + len].fill(0.9 * sign);
        if len >= 3 {
            runs += 1;
            samples += len as u64;
        }
    }
    (
        AudioBuffer {
            sample_rate: sr,
            channels,
        },
        runs,
        samples,
    )
}

/// The timeline's waveform envelope: each 100 ms of a 48 kHz mix (20 peak
/// blocks of exactly 240 samples) against the largest |sample| of those
/// 4800 samples, found here from the samples themselves; silence reads the
/// −120 dBFS floor, and the envelope covers the whole track.
#[test]
fn the_timeline_envelope_is_each_step_s_sample_peak() {
    let sr = 48_000u32;
    let mut audio = mix(Style::Acoustic, sr, 6.0, 5);
    // Two seconds of digital silence in the middle.
    for ch in &mut audio.channels {
        ch[2 * sr as usize..4 * sr as usize].fill(0.0);
    }
    let r = analyze(
        &audio,
        &Source::in_format("x.wav", "wav", Some(16)),
        &AnalysisOptions::default(),
        |_, _| {},
    )
    .report;
    let t = r.timeline.expect("a timeline");
    let step = (t.step_s * f64::from(sr)).round() as usize;
    assert_eq!(step, 4800);
    let frames = audio.frames();
    assert_eq!(t.peak_dbfs.len(), frames.div_ceil(step));
    for (i, &shown) in t.peak_dbfs.iter().enumerate() {
        let end = ((i + 1) * step).min(frames);
        let peak = audio
            .channels
            .iter()
            .flat_map(|c| &c[i * step..end])
            .fold(0.0f32, |m, v| m.max(v.abs()));
        let expected = if peak > 0.0 {
            (20.0 * f64::from(peak).log10()).max(-120.0)
        } else {
            -120.0
        };
        assert!(
            (shown - expected).abs() <= 0.05 + 1e-9,
            "step {i}: {shown} dBFS vs {expected:.3}"
        );
    }
    assert_eq!(t.peak_dbfs[30], -120.0, "silence at 3 s");
}
