//! Fuzz target: arbitrary bytes through decode and the full analysis.
//! Decode must return a typed error or audio; analysis of any decoded audio
//! must not panic and must produce a report whose numbers are finite or null.
//!
//!   cargo +nightly fuzz run decode_analyze -- -max_total_time=300
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the extension hint, so every demuxer gets exercised.
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = ["x.wav", "x.flac", "x.mp3", "x.ogg", "x.m4a", "x"][usize::from(pick) % 6];
    let Ok(decoded) = dsp_wasm::io::decode::decode(bytes.to_vec(), Some(name)) else {
        return;
    };
    // Bound the work per input (the analysis is linear in length).
    if decoded.audio.duration_s() > 20.0 {
        return;
    }
    let report = dsp_wasm::report::analyze(
        &decoded.audio,
        &dsp_wasm::report::Source::decoded(&decoded, "fuzz"),
        &dsp_wasm::measure::AnalysisOptions::default(), |_, _| {}).report;
    let json = loudness_and_stereo_text(&report);
    assert!(
        !json.contains("NaN") && !json.contains("inf"),
        "non-finite number in report"
    );
});

fn loudness_and_stereo_text(r: &dsp_wasm::report::Report) -> String {
    format!("{:?}", r.loudness) + &format!("{:?}", r.stereo)
}
