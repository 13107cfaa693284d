//! Peer comparison with ffmpeg's `ebur128` filter (libavfilter's EBU R128
//! meter with `peak=true`): integrated loudness within 0.1 LU, loudness range
//! within 0.5 LU and true peak within 0.2 dB, on generated music-like files at
//! several sample rates and formats, decoded through the engine's own decoder.

use std::path::Path;

use dsp_wasm::io::decode::decode_file;
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::{analyze, Source};
use preflight_tests::mixes::{dynamic_mix, Style};
use preflight_tests::peers::{ebur128, ffmpeg_convert, require_ffmpeg};
use preflight_tests::scratch_dir;
use preflight_tests::wav::{write_wav, WavFormat};

fn compare(name: &str, path: &Path) {
    let peer = ebur128(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let decoded = decode_file(path).expect("decode");
    let r = analyze(
        &decoded.audio,
        &Source::decoded(&decoded, name),
        &AnalysisOptions::default(),
        |_, _| {},
    )
    .report;
    let i = r.loudness.integrated_lufs.expect("integrated");
    let lra = r.loudness.range_lu.expect("lra");
    let tp = r.loudness.true_peak_dbtp.expect("tp");
    println!(
        "{name}: I {i:.2} vs {:.1} | LRA {lra:.2} vs {:.1} | TP {tp:.2} vs {:.1}",
        peer.integrated_lufs, peer.range_lu, peer.true_peak_dbtp
    );
    // ffmpeg prints one decimal: allow its rounding (±0.05) on top of the tolerance.
    assert!(
        (i - peer.integrated_lufs).abs() <= 0.1 + 0.05,
        "{name}: integrated {i:.2} vs ffmpeg {:.1}",
        peer.integrated_lufs
    );
    assert!(
        (lra - peer.range_lu).abs() <= 0.5 + 0.05,
        "{name}: LRA {lra:.2} vs ffmpeg {:.1}",
        peer.range_lu
    );
    assert!(
        (tp - peer.true_peak_dbtp).abs() <= 0.2 + 0.05,
        "{name}: true peak {tp:.2} vs ffmpeg {:.1}",
        peer.true_peak_dbtp
    );
}

#[test]
fn loudness_range_and_true_peak_agree_with_ffmpeg() {
    require_ffmpeg();
    let dir = scratch_dir("peer");
    let cases = [
        (Style::SynthPop, 44_100u32, WavFormat::Int16, "wav"),
        (Style::Electronic, 48_000, WavFormat::Int24, "wav"),
        (Style::Acoustic, 96_000, WavFormat::Float32, "wav"),
        (Style::SynthPop, 32_000, WavFormat::Int16, "flac"),
        (Style::Electronic, 22_050, WavFormat::Int24, "flac"),
    ];
    for (k, (style, rate, fmt, ext)) in cases.into_iter().enumerate() {
        let a = dynamic_mix(style, rate, 30.0, 100 + k as u64);
        let wav = dir.join(format!("case{k}.wav"));
        write_wav(&wav, &a, fmt).expect("write wav");
        let path = if ext == "flac" {
            let flac = dir.join(format!("case{k}.flac"));
            ffmpeg_convert(&wav, &flac, &[]);
            flac
        } else {
            wav
        };
        compare(&format!("{style:?} {rate} Hz {fmt:?} {ext}"), &path);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
