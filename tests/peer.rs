//! Peer comparison with ffmpeg's `ebur128` filter (libavfilter's EBU R128
//! meter with `peak=true`): integrated loudness within 0.1 LU, loudness range
//! within 0.5 LU and true peak within 0.2 dB, on generated music-like files at
//! several sample rates and formats, decoded through the engine's own decoder.

use std::path::Path;
use std::process::Command;

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::decode::decode_file;
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::{analyze, Source};
use preflight_tests::mixes::{mix, Style};
use preflight_tests::scratch_dir;
use preflight_tests::wav::{write_wav, WavFormat};

/// ffmpeg is required (CI installs it): fail loudly when it is missing.
fn ffmpeg() -> &'static str {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "ffmpeg is required for the peer comparison (apt-get install ffmpeg) but was not found on PATH");
    "ffmpeg"
}

#[derive(Debug)]
struct Peer {
    integrated: f64,
    lra: f64,
    true_peak: f64,
}

fn ffmpeg_ebur128(path: &Path) -> Peer {
    let out = Command::new(ffmpeg())
        .args(["-nostats", "-hide_banner", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = text.rsplit("Summary:").next().expect("ffmpeg summary");
    let value = |key: &str| -> f64 {
        summary
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in ffmpeg output:\n{summary}"))
    };
    Peer {
        integrated: value("I:"),
        lra: value("LRA:"),
        true_peak: value("Peak:"),
    }
}

/// A mix with sections at different levels (verse / chorus) so LRA is not trivial.
fn dynamic_mix(style: Style, rate: u32, seconds: f64, seed: u64) -> AudioBuffer {
    let mut a = mix(style, rate, seconds, seed);
    let n = a.frames();
    let fs = f64::from(rate);
    let gains_db = [-9.0, 0.0, -5.0, 1.0, -12.0, 0.0];
    for ch in &mut a.channels {
        for (i, s) in ch.iter_mut().enumerate() {
            let pos = i as f64 / n as f64 * gains_db.len() as f64;
            let k = (pos as usize).min(gains_db.len() - 1);
            // 0.5 s crossfade into each section.
            let into = (pos - k as f64) * (n as f64 / gains_db.len() as f64) / fs;
            let prev = if k == 0 { gains_db[0] } else { gains_db[k - 1] };
            let g = if into < 0.5 {
                prev + (gains_db[k] - prev) * into / 0.5
            } else {
                gains_db[k]
            };
            *s *= 10f32.powf(g as f32 / 20.0);
        }
    }
    a
}

fn compare(name: &str, path: &Path) {
    let peer = ffmpeg_ebur128(path);
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
        peer.integrated, peer.lra, peer.true_peak
    );
    // ffmpeg prints one decimal: allow its rounding (±0.05) on top of the tolerance.
    assert!(
        (i - peer.integrated).abs() <= 0.1 + 0.05,
        "{name}: integrated {i:.2} vs ffmpeg {:.1}",
        peer.integrated
    );
    assert!(
        (lra - peer.lra).abs() <= 0.5 + 0.05,
        "{name}: LRA {lra:.2} vs ffmpeg {:.1}",
        peer.lra
    );
    assert!(
        (tp - peer.true_peak).abs() <= 0.2 + 0.05,
        "{name}: true peak {tp:.2} vs ffmpeg {:.1}",
        peer.true_peak
    );
}

#[test]
fn loudness_range_and_true_peak_agree_with_ffmpeg() {
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
            let st = Command::new(ffmpeg())
                .args(["-y", "-loglevel", "error", "-i"])
                .arg(&wav)
                .arg(&flac)
                .status()
                .expect("ffmpeg flac");
            assert!(st.success());
            flac
        } else {
            wav
        };
        compare(&format!("{style:?} {rate} Hz {fmt:?} {ext}"), &path);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
