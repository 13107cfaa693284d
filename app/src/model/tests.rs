//! Unit tests of the page model: how each Worker message changes the page,
//! which effects it asks for, and that stale messages change nothing.

use super::*;
use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::Intent;
use dsp_wasm::report::{analyze, Source};

/// A report of one second of a 440 Hz sine at −12 dBFS peak, named `name`.
fn report(name: &str) -> Report {
    let rate = 48_000u32;
    let tone: Vec<f32> = (0..rate)
        .map(|i| 0.25 * (std::f32::consts::TAU * 440.0 * i as f32 / rate as f32).sin())
        .collect();
    let audio = AudioBuffer {
        sample_rate: rate,
        channels: vec![tone.clone(), tone],
    };
    let mut r = analyze(
        &audio,
        &Source::pcm("audio"),
        &AnalysisOptions::default(),
        |_, _| {},
    )
    .report;
    r.input.name = name.to_string();
    r
}

/// A master of `before` whose result is `after_lufs` loud.
fn master_report(before: &Report, after_lufs: f64) -> MasterReport {
    let mut after = before.clone();
    after.loudness.integrated_lufs = Some(after_lufs);
    MasterReport {
        schema: "preflight.master/1".into(),
        intent: Intent {
            target: "streaming".into(),
            target_lufs: -14.0,
            ceiling_dbtp: -1.0,
            character: "balanced".into(),
            reference: None,
        },
        decisions: Vec::new(),
        iterations: Vec::new(),
        chain: Chain::new(vec![Module::Gain { gain_db: 3.0 }]),
        before: before.clone(),
        after,
        left: Vec::new(),
    }
}

fn event(job: u32, kind: EventKind) -> WorkerEvent {
    WorkerEvent {
        job: Some(job),
        kind,
    }
}

/// A model working on `mix.wav` (job 1).
fn working() -> PageModel {
    let mut m = PageModel::default();
    assert_eq!(m.begin_file("mix.wav", 1e6), Some(1));
    m
}

/// A model showing the report of `mix.wav` (job 1).
fn analysed() -> PageModel {
    let mut m = working();
    let json = serde_json::to_string(&report("mix.wav")).unwrap();
    apply(&mut m, event(1, EventKind::Report { json }));
    m
}

#[test]
fn a_new_file_keeps_the_last_result_until_its_own_report_arrives() {
    let mut m = analysed();
    m.track_ready = true;
    m.playing = true;
    m.bypass = true;
    m.matched = false;
    m.master_error = Some("x".into());
    assert_eq!(m.begin_file("next.wav", 10.0), Some(2));
    assert_eq!(m.job, 2);
    assert_eq!(
        m.phase,
        Phase::Working {
            name: "next.wav".into(),
            stage: "reading".into(),
            percent: 0.0
        }
    );
    // Still shown (inert) and still playable while the new file is analysed.
    assert_eq!(m.stale_result(), Some("mix.wav"));
    assert!(m.report.is_some() && m.track_ready && m.playing);
    assert!(m.busy());
    // Its report replaces everything of the last file.
    let json = serde_json::to_string(&report("next.wav")).unwrap();
    let fx = apply(&mut m, event(2, EventKind::Report { json }));
    assert_eq!(fx, vec![Effect::AcceptFile, Effect::PublishReportTimings]);
    assert_eq!(m.report.as_ref().unwrap().input.name, "next.wav");
    assert_eq!(m.stale_result(), None);
    assert!(m.master_error.is_none());
    assert!(!m.playing && !m.bypass && !m.track_ready);
    assert!(!m.matched, "the loudness-matching choice is kept");
    assert_eq!(m.job, 2);
}

#[test]
fn a_bad_new_file_brings_the_last_result_back() {
    let mut m = analysed();
    let r = m.report.clone().unwrap();
    m.master = Some(master_report(&r, -14.0));
    m.chain_json = "master chain".into();
    m.track_ready = true;
    m.begin_file("broken.wav", 10.0);
    let fx = apply(
        &mut m,
        event(
            2,
            EventKind::Error {
                message: "not a supported audio file".into(),
            },
        ),
    );
    assert!(fx.is_empty(), "the player keeps the last track");
    assert_eq!(
        m.phase,
        Phase::Failed("broken.wav: Not a supported audio file".into())
    );
    assert_eq!(m.report.as_ref(), Some(&r));
    assert!(m.master.is_some() && m.track_ready);
    assert_eq!(m.chain_json, "master chain");
    assert!(m.master_error.is_none(), "not the master's error");
    assert_eq!(m.stale_result(), None, "active again");
}

#[test]
fn a_master_in_progress_is_abandoned_by_a_new_file() {
    let mut m = analysed();
    let r = m.report.clone().unwrap();
    m.master = Some(master_report(&r, -14.0));
    m.begin_master();
    m.begin_file("next.wav", 10.0);
    assert!(m.mastering.is_none() && m.master.is_none());
    assert_eq!(m.chain_json, preview_chain(&r).to_json());
    assert!(m.report.is_some());
}

#[test]
fn empty_and_huge_files_are_refused_with_one_line() {
    let mut m = analysed();
    assert_eq!(m.begin_file("empty.wav", 0.0), None);
    assert_eq!(
        m.phase,
        Phase::Failed("empty.wav: The file is empty (0 bytes)".into())
    );
    assert_eq!(m.begin_file("big.wav", MAX_FILE_BYTES + 1.0), None);
    assert!(
        matches!(&m.phase, Phase::Failed(s) if s.starts_with("big.wav: The file is larger than 1.5 GB"))
    );
    assert_eq!(m.job, 1, "a refused file starts no job");
    assert!(m.report.is_some(), "and loses nothing");
}

#[test]
fn progress_moves_the_analysis_then_the_master() {
    let mut m = working();
    let fx = apply(
        &mut m,
        event(
            1,
            EventKind::Progress {
                stage: "loudness".into(),
                percent: 40.0,
            },
        ),
    );
    assert!(fx.is_empty());
    assert!(
        matches!(&m.phase, Phase::Working { stage, percent, .. } if stage == "loudness" && *percent == 40.0)
    );
    let mut m = analysed();
    m.begin_master();
    assert_eq!(m.mastering, Some(("analyse".into(), 0.0)));
    apply(
        &mut m,
        event(
            1,
            EventKind::Progress {
                stage: "decide".into(),
                percent: 55.0,
            },
        ),
    );
    assert_eq!(m.mastering, Some(("decide".into(), 55.0)));
    assert_eq!(m.phase, Phase::Done, "the analysis phase is not touched");
}

#[test]
fn messages_about_a_replaced_file_change_nothing() {
    let mut m = analysed();
    m.begin_file("second.wav", 1e6);
    let before = m.clone();
    let json = serde_json::to_string(&report("mix.wav")).unwrap();
    for kind in [
        EventKind::Report { json },
        EventKind::Decoded {
            sample_rate: 48_000,
        },
        EventKind::Error {
            message: "boom".into(),
        },
        EventKind::Exported,
    ] {
        assert!(apply(&mut m, event(1, kind)).is_empty());
        assert_eq!(m, before);
    }
    // A message naming no job is about the current one.
    let fx = apply(
        &mut m,
        WorkerEvent {
            job: None,
            kind: EventKind::Decoded {
                sample_rate: 44_100,
            },
        },
    );
    assert_eq!(
        fx,
        vec![Effect::LoadTrack {
            sample_rate: 44_100
        }]
    );
    assert!(m.track_ready);
}

#[test]
fn a_report_is_shown_and_the_preview_chain_set() {
    let mut m = working();
    let json = serde_json::to_string(&report("mix.wav")).unwrap();
    // What the page sees (fields the engine keeps to itself are not sent).
    let r: Report = serde_json::from_str(&json).unwrap();
    let fx = apply(&mut m, event(1, EventKind::Report { json }));
    assert_eq!(fx, vec![Effect::AcceptFile, Effect::PublishReportTimings]);
    assert_eq!(m.phase, Phase::Done);
    assert_eq!(m.report.as_ref(), Some(&r));
    assert_eq!(m.chain_json, preview_chain(&r).to_json());
    assert!(!m.busy());
}

#[test]
fn an_unreadable_report_fails_the_file() {
    let mut m = working();
    let fx = apply(&mut m, event(1, EventKind::Report { json: "{".into() }));
    assert_eq!(fx, vec![Effect::ClearTrack]);
    assert!(
        matches!(&m.phase, Phase::Failed(s) if s.starts_with("mix.wav: The report could not be read: "))
    );
}

#[test]
fn the_preview_gain_reaches_minus_14_lufs_under_the_ceiling() {
    let mut r = report("x.wav");
    r.loudness.integrated_lufs = Some(-20.0);
    r.loudness.true_peak_dbtp = Some(-10.0);
    assert_eq!(preview_gain_db(&r), 6.0);
    r.loudness.true_peak_dbtp = Some(-3.0);
    assert_eq!(preview_gain_db(&r), 2.0, "held under −1 dBTP");
    r.loudness.integrated_lufs = None;
    r.loudness.true_peak_dbtp = None;
    assert_eq!(preview_gain_db(&r), 0.0);
    r.loudness.integrated_lufs = Some(-100.0);
    r.loudness.true_peak_dbtp = Some(-100.0);
    assert_eq!(preview_gain_db(&r), 24.0, "clamped");
}

#[test]
fn a_master_replaces_the_chain_and_matches_loudness() {
    let mut m = analysed();
    m.begin_master();
    let before = m.report.clone().unwrap();
    let lufs = before.loudness.integrated_lufs.unwrap();
    let mr = master_report(&before, lufs + 5.0);
    let json = serde_json::to_string(&mr).unwrap();
    let fx = apply(&mut m, event(1, EventKind::Mastered { json }));
    let chain_json = mr.chain.to_json();
    assert_eq!(m.mastering, None);
    assert_eq!(m.chain_json, chain_json);
    assert_eq!(m.master.as_ref(), Some(&mr));
    assert_eq!(fx.len(), 3);
    assert_eq!(
        fx[0],
        Effect::ClearCodec,
        "the last master's codec round trip goes"
    );
    assert_eq!(fx[1], Effect::PublishMaster { chain_json });
    let Effect::SetMatchDb(db) = fx[2] else {
        panic!("{fx:?}")
    };
    assert!((db - -5.0).abs() < 1e-9, "{db}");
    m.matched = false;
    assert_eq!(m.match_db(), 0.0);
}

#[test]
fn without_a_master_matching_undoes_the_preview_gain() {
    let m = analysed();
    let r = m.report.as_ref().unwrap();
    assert!((m.match_db() + preview_gain_db(r)).abs() < 1e-9);
    assert_eq!(PageModel::default().match_db(), 0.0);
}

#[test]
fn an_unreadable_master_is_the_masters_error() {
    let mut m = analysed();
    m.begin_master();
    let fx = apply(&mut m, event(1, EventKind::Mastered { json: "[]".into() }));
    assert!(fx.is_empty());
    assert_eq!(m.mastering, None);
    assert!(m
        .master_error
        .as_deref()
        .is_some_and(|e| e.starts_with("the master could not be read: ")));
    assert_eq!(m.phase, Phase::Done);
}

#[test]
fn an_analysis_error_names_the_file_and_clears_the_track() {
    let mut m = working();
    apply(
        &mut m,
        event(
            1,
            EventKind::Decoded {
                sample_rate: 48_000,
            },
        ),
    );
    m.playing = true;
    let fx = apply(
        &mut m,
        event(
            1,
            EventKind::Error {
                message: "not a supported audio file".into(),
            },
        ),
    );
    assert_eq!(fx, vec![Effect::ClearTrack]);
    assert_eq!(
        m.phase,
        Phase::Failed("mix.wav: Not a supported audio file".into())
    );
    assert!(!m.track_ready && !m.playing && m.report.is_none());
}

#[test]
fn an_error_while_mastering_keeps_the_report() {
    let mut m = analysed();
    m.begin_master();
    let fx = apply(
        &mut m,
        event(
            1,
            EventKind::Error {
                message: "no file is loaded".into(),
            },
        ),
    );
    assert!(fx.is_empty());
    assert_eq!(m.master_error.as_deref(), Some("No file is loaded"));
    assert_eq!(m.mastering, None);
    assert!(m.report.is_some());
    assert_eq!(m.phase, Phase::Done);
}

#[test]
fn the_export_is_named_after_the_input() {
    let mut m = analysed();
    let fx = apply(&mut m, event(1, EventKind::Exported));
    assert_eq!(
        fx,
        vec![Effect::Download {
            file_name: "mix (Preflight master).wav".into()
        }]
    );
    m.report.as_mut().unwrap().input.name = "no extension".into();
    assert_eq!(m.export_file_name(), "no extension (Preflight master).wav");
}

#[test]
fn capitalise_handles_empty_and_non_ascii() {
    assert_eq!(capitalise(""), "");
    assert_eq!(capitalise("élan"), "Élan");
    assert_eq!(capitalise("x"), "X");
}

#[test]
fn the_match_note_names_the_side_turned_down() {
    let mut m = analysed();
    let before = m.report.clone().unwrap();
    let lufs = before.loudness.integrated_lufs.unwrap();
    // A master 5 LU louder than the mix: the master is turned down.
    let mr = master_report(&before, lufs + 5.0);
    let json = serde_json::to_string(&mr).unwrap();
    apply(&mut m, event(1, EventKind::Mastered { json }));
    assert_eq!(m.match_note().as_deref(), Some("master −5.0 dB"));
    // A master 4 LU quieter than a loud mix: the original is turned down,
    // the master is never raised.
    let mr = master_report(&before, lufs - 4.0);
    let json = serde_json::to_string(&mr).unwrap();
    apply(&mut m, event(1, EventKind::Mastered { json }));
    assert_eq!(m.match_note().as_deref(), Some("original −4.0 dB"));
    m.matched = false;
    assert_eq!(m.match_note(), None);
}

#[test]
fn heard_loudness_follows_matching_and_the_side_heard() {
    let mut m = PageModel::default();
    assert_eq!(m.heard_lufs(), PREVIEW_LUFS, "nothing loaded");
    let r = report("a.wav");
    let before = r.loudness.integrated_lufs.unwrap();
    m.report = Some(r.clone());
    m.master = Some(master_report(&r, before + 5.0));
    // Matched: both sides at the quieter one's loudness.
    assert!((m.heard_lufs() - before).abs() < 1e-9);
    m.matched = false;
    assert!(
        (m.heard_lufs() - (before + 5.0)).abs() < 1e-9,
        "the master, at its level"
    );
    m.bypass = true;
    assert!(
        (m.heard_lufs() - before).abs() < 1e-9,
        "the original, at its level"
    );
}

#[test]
fn hear_it_starts_on_before_and_keeps_the_system_across_files() {
    use crate::listening::Hearing;
    let mut m = PageModel::default();
    m.hear(Hearing {
        risk_id: "harshness".into(),
        title: "Harshness".into(),
        range_s: Some([1.0, 5.0]),
        band_hz: Some([2500.0, 8000.0]),
        system: 2,
    });
    assert!(m.bypass);
    assert_eq!(m.system, 2);
    assert_eq!(m.solo_band(), None, "solo is off until asked for");
    m.solo = true;
    assert_eq!(m.solo_band(), Some([2500.0, 8000.0]));
    m.begin_file("next.wav", 100.0);
    assert_eq!(
        (m.system, m.hearing.clone(), m.solo_band()),
        (2, None, None)
    );
}

#[test]
fn a_master_brings_one_amount_per_corrective_move() {
    let r = report("a.wav");
    let mut m = master_report(&r, -14.0);
    let d = |params: serde_json::Value| dsp_wasm::report::Decision {
        r#move: "eq".into(),
        label: String::new(),
        params,
        addresses: vec![],
        why: "w".into(),
        trade_off: String::new(),
    };
    m.decisions = vec![
        d(serde_json::json!({ "module_index": 1, "amount": 0.5 })),
        d(serde_json::json!({ "module_index": 0 })),
        d(serde_json::json!({ "gain_db": 3.0 })), // the loudness stage's: no amount
    ];
    assert_eq!(amounts_of(&m), vec![1.0, 0.5]);
    let mut model = PageModel {
        report: Some(r),
        ..PageModel::default()
    };
    let json = serde_json::to_string(&m).unwrap();
    apply(
        &mut model,
        WorkerEvent {
            job: None,
            kind: EventKind::Mastered { json },
        },
    );
    assert_eq!(model.amounts, vec![1.0, 0.5]);
}

#[test]
fn a_broken_share_link_is_one_line_and_changes_nothing_else() {
    let mut m = PageModel::default();
    m.open_link("#share=1.AAAA");
    assert!(m.shared.is_none());
    let note = m.share_note.clone().unwrap();
    assert!(!note.contains('\n') && note.starts_with("This "), "{note}");
    // Not a share fragment at all: ignored.
    let mut m = PageModel::default();
    m.open_link("#section-2");
    assert_eq!((m.shared.is_none(), m.share_note.is_none()), (true, true));
}

#[test]
fn an_opened_link_waits_for_its_file_and_plays_its_chain_only_on_a_match() {
    use crate::share;
    let r = report("song.wav");
    let mut master = master_report(&r, -14.0);
    master.chain = Chain::new(vec![Module::Gain { gain_db: -2.5 }]);
    let sha = share::sha256_hex(b"the song's bytes");
    let link = share::encode(&share::payload(&r, Some(&master), &sha));

    let open = |sha_of_drop: &str| {
        let mut m = PageModel::default();
        m.open_link(&format!("#{link}"));
        assert!(m.shared.is_some(), "{:?}", m.share_note);
        m.begin_file("song.wav", 100.0);
        assert!(m.shared.is_some(), "the link survives the drop");
        let json = serde_json::to_string(&r).unwrap();
        let effects = apply(
            &mut m,
            WorkerEvent {
                job: None,
                kind: EventKind::Report { json },
            },
        );
        assert!(effects.contains(&Effect::RequestHash));
        let effects = apply(
            &mut m,
            WorkerEvent {
                job: None,
                kind: EventKind::Hashed {
                    sha256: sha_of_drop.into(),
                },
            },
        );
        (m, effects)
    };
    // Another file: its own analysis, and the page says why.
    let (m, effects) = open(&share::sha256_hex(b"another file"));
    assert!(effects.is_empty());
    assert!(m.shared.is_none() && m.master.is_none());
    assert!(m.share_note.unwrap().contains("not the file"));
    // The same file: the link's chain runs, and its analysis becomes the master.
    let (mut m, effects) = open(&sha);
    assert_eq!(
        effects,
        vec![Effect::ApplyShared {
            chain_json: master.chain.to_json(),
            target_lufs: -14.0,
            ceiling_dbtp: -1.0
        }]
    );
    let after = serde_json::to_string(&r).unwrap();
    let effects = apply(
        &mut m,
        WorkerEvent {
            job: None,
            kind: EventKind::Applied { json: after },
        },
    );
    assert!(matches!(effects[0], Effect::PublishMaster { .. }));
    assert_eq!(m.chain_json, master.chain.to_json());
    assert!(m.master_shared && m.shared.is_none());
    assert_eq!(m.master.unwrap().before.input.name, "song.wav");
}

#[test]
fn a_share_link_waits_for_the_fingerprint() {
    use crate::share;
    let mut m = PageModel {
        report: Some(report("a.wav")),
        ..PageModel::default()
    };
    assert!(m.want_share_link(), "no SHA-256 yet: ask the Worker");
    assert!(m.share_link.is_none() && m.share_wanted);
    apply(
        &mut m,
        WorkerEvent {
            job: None,
            kind: EventKind::Hashed {
                sha256: share::sha256_hex(b"x"),
            },
        },
    );
    let link = m.share_link.clone().unwrap();
    assert!(share::decode(&link).is_ok());
    assert!(!m.want_share_link(), "known now: made at once");
}

#[test]
fn cancel_stops_an_analysis_or_a_master_and_late_messages_change_nothing() {
    let mut m = PageModel::default();
    let job = m.begin_file("long.wav", 1e6).unwrap();
    assert!(!m.cancel(), "an analysis: nothing to reload");
    assert_eq!(m.phase, Phase::Cancelled("long.wav".into()));
    // The old Worker's report arrives late: stale.
    let json = serde_json::to_string(&report("long.wav")).unwrap();
    assert!(apply(
        &mut m,
        WorkerEvent {
            job: Some(job),
            kind: EventKind::Report { json }
        }
    )
    .is_empty());
    assert!(m.report.is_none());
    // A new file's analysis over a shown result: the result comes back
    // without its master (the fresh engine has not made it), and the engine
    // must read the shown file again.
    let mut m = analysed();
    let r = m.report.clone().unwrap();
    m.master = Some(master_report(&r, -14.0));
    let job = m.begin_file("next.wav", 1e6).unwrap();
    assert!(m.cancel());
    assert_eq!(m.phase, Phase::Cancelled("next.wav".into()));
    assert_eq!(m.report.as_ref(), Some(&r));
    assert!(m.master.is_none() && m.master_error.is_some());
    assert_eq!(m.chain_json, preview_chain(&r).to_json());
    assert!(m.job > job, "late messages are stale");
    // A master: the report stays, the master goes, the engine needs the file again.
    let r = report("a.wav");
    let mut m = PageModel {
        report: Some(r.clone()),
        phase: Phase::Done,
        ..PageModel::default()
    };
    m.master = Some(master_report(&r, -14.0));
    m.begin_master();
    assert!(m.cancel());
    assert!(m.report.is_some() && m.master.is_none() && m.mastering.is_none());
    assert_eq!(m.chain_json, preview_chain(&r).to_json());
    assert!(!m.cancel(), "nothing left to cancel");
}

#[test]
fn a_reference_track_outlives_files_and_a_bad_one_loses_nothing() {
    let mut m = analysed();
    let ready = |name: &str| WorkerEvent {
        job: None,
        kind: EventKind::ReferenceReady(ReferenceTrack {
            name: name.into(),
            lufs: Some(-9.5),
            duration_s: 10.0,
            note: None,
        }),
    };
    assert!(apply(&mut m, ready("ref.wav")).is_empty());
    assert_eq!(
        m.reference.as_ref().map(|r| r.name.as_str()),
        Some("ref.wav")
    );
    let fx = apply(
        &mut m,
        WorkerEvent {
            job: None,
            kind: EventKind::ReferenceError {
                name: "notes.txt".into(),
                message: "not a supported audio file".into(),
            },
        },
    );
    assert!(fx.is_empty());
    assert_eq!(
        m.reference_error.as_deref(),
        Some("notes.txt: Not a supported audio file")
    );
    assert_eq!(
        m.reference.as_ref().map(|r| r.name.as_str()),
        Some("ref.wav")
    );
    // A new file's report replaces the file, not the reference.
    m.begin_file("next.wav", 10.0);
    let json = serde_json::to_string(&report("next.wav")).unwrap();
    apply(&mut m, event(2, EventKind::Report { json }));
    assert_eq!(
        m.reference.as_ref().map(|r| r.name.as_str()),
        Some("ref.wav")
    );
    apply(&mut m, ready("other.wav"));
    assert!(m.reference_error.is_none());
}

/// The `mastered` event of a master `louder_lu` louder than `m`'s mix.
fn mastered(m: &PageModel, louder_lu: f64) -> WorkerEvent {
    let before = m.report.clone().unwrap();
    let lufs = before.loudness.integrated_lufs.unwrap();
    let json = serde_json::to_string(&master_report(&before, lufs + louder_lu)).unwrap();
    event(1, EventKind::Mastered { json })
}

#[test]
fn a_codec_round_trip_can_be_heard_until_the_next_master() {
    let mut m = analysed();
    m.begin_master();
    let e = mastered(&m, 5.0);
    apply(&mut m, e);
    let fx = apply(
        &mut m,
        event(
            1,
            EventKind::CodecChecked {
                true_peak_dbtp: -0.4,
                sample_rate: Some(48_000),
            },
        ),
    );
    assert_eq!(
        fx,
        vec![Effect::LoadCodec {
            sample_rate: 48_000
        }]
    );
    assert_eq!(m.codec_true_peak, Some(-0.4));
    assert_eq!(m.codec_aac, None, "AAC is still on its way");
    let fx = apply(
        &mut m,
        event(1, EventKind::AacChecked(AacCheck::TruePeak(Some(-0.2)))),
    );
    assert!(fx.is_empty());
    assert_eq!(m.codec_aac, Some(AacCheck::TruePeak(Some(-0.2))));
    m.codec_heard = true;
    m.begin_master();
    let e = mastered(&m, 3.0);
    apply(&mut m, e);
    assert!(
        !m.codec_heard,
        "a new master is not the one that went through the codec"
    );
    assert_eq!(m.codec_true_peak, None);
    assert_eq!(m.codec_aac, None, "nor did it go through AAC");
}

#[test]
fn only_a_master_over_256_mib_streams_to_its_download() {
    let r = report("long.wav");
    let mut m = analysed();
    assert!(!m.streams_export(), "nothing mastered");
    let mut mr = master_report(&r, -14.0);
    mr.after.input.sample_rate = 48_000;
    mr.after.input.channels = 2;
    mr.after.input.bit_depth = Some(24);
    // 24-bit 48 kHz stereo: 288,000 bytes a second; 256 MiB at 932.1 s.
    for (minutes, streams) in [(5.0, false), (15.5, false), (15.6, true), (30.0, true)] {
        mr.after.input.duration_s = minutes * 60.0;
        m.master = Some(mr.clone());
        assert_eq!(m.streams_export(), streams, "{minutes} min");
    }
    // At 16 bits the same 15.6 minutes are 180 MB: a Blob.
    mr.after.input.bit_depth = Some(16);
    mr.after.input.duration_s = 15.6 * 60.0;
    m.master = Some(mr);
    assert!(!m.streams_export());
}
