//! Property tests standing in for the `cargo fuzz` target (fuzz/, nightly):
//! random bytes and mutated valid files go through decode and the full
//! analysis; nothing panics, errors are typed, and every number in a report
//! is finite (or null where undefined).

use dsp_wasm::io::decode::decode;
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::{analyze, Source};
use preflight_tests::mixes::{mix, Style};
use preflight_tests::scratch_dir;
use preflight_tests::wav::{write_wav, WavFormat};
use proptest::prelude::*;

fn valid_wav() -> Vec<u8> {
    let dir = scratch_dir("robust");
    let path = dir.join("seed.wav");
    write_wav(
        &path,
        &mix(Style::Electronic, 22_050, 1.5, 4),
        WavFormat::Int16,
    )
    .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

fn run(bytes: Vec<u8>, name: &str) {
    if let Ok(d) = decode(bytes, Some(name)) {
        if d.audio.duration_s() > 10.0 {
            return;
        }
        let r = analyze(
            &d.audio,
            &Source::decoded(&d, name),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        let text = serde_json::to_string(&r).expect("report serializes (no NaN/inf)");
        assert!(!text.contains("NaN"));
        for risk in &r.risks {
            assert!(risk.severity.is_finite());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), ext in 0usize..5) {
        let name = ["x.wav", "x.flac", "x.mp3", "x.ogg", "x.m4a"][ext];
        run(bytes, name);
    }

    #[test]
    fn mutated_wavs_never_panic(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..24),
        cut in 0.0f64..1.0,
    ) {
        let mut bytes = valid_wav();
        for (at, v) in flips {
            let i = at % bytes.len();
            bytes[i] ^= v;
        }
        let keep = ((bytes.len() as f64) * (0.2 + 0.8 * cut)) as usize;
        bytes.truncate(keep.max(1));
        run(bytes, "x.wav");
    }
}

/// Regression (found by `cargo fuzz`): a FLAC file whose Vorbis comment
/// declares a 2.5 GB length made the demuxer allocate it and abort; it is now
/// a typed "corrupt" error.
#[test]
fn flac_comment_with_absurd_length_is_corrupt_not_an_abort() {
    let bytes = include_bytes!("support/data/fuzz-oom-flac-comment.bin");
    let err = decode(bytes[1..].to_vec(), Some("x.flac")).expect_err("corrupt");
    assert!(err.to_string().contains("corrupt"), "{err}");
}
