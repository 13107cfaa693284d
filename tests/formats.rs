//! Decoding of every supported container/codec: a generated WAV is encoded
//! by ffmpeg (the peer, installed by scripts/setup.sh) to FLAC, MP3, Ogg Vorbis
//! and AAC/M4A; the engine must decode each at the file's own sample rate with
//! the same length and loudness as the source.

use std::path::{Path, PathBuf};
use std::process::Command;

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::decode::decode_file;
use dsp_wasm::measure::loudness;

fn tmp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("preflight-formats-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn source(sample_rate: u32, channels: usize, seconds: f64) -> AudioBuffer {
    let n = (seconds * f64::from(sample_rate)) as usize;
    let chans = (0..channels)
        .map(|c| {
            (0..n)
                .map(|i| {
                    let t = i as f64 / f64::from(sample_rate);
                    let env = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 0.5 * t).sin();
                    (env * (0.25 * (2.0 * std::f64::consts::PI * 110.0 * t).sin()
                        + 0.1
                            * (2.0 * std::f64::consts::PI * (880.0 + 110.0 * c as f64) * t).sin()))
                        as f32
                })
                .collect()
        })
        .collect();
    AudioBuffer {
        sample_rate,
        channels: chans,
    }
}

fn ffmpeg(input: &Path, output: &Path, codec_args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(input)
        .args(codec_args)
        .arg(output)
        .status()
        .expect("ffmpeg is required for the format tests (scripts/setup.sh installs it)");
    assert!(status.success(), "ffmpeg failed for {}", output.display());
}

#[test]
fn every_codec_decodes_at_its_own_rate_with_the_same_loudness() {
    let dir = tmp_dir();
    for (rate, channels) in [(44_100u32, 2usize), (48_000, 1)] {
        let src = source(rate, channels, 4.0);
        let wav = dir.join(format!("src-{rate}-{channels}.wav"));
        dsp_wasm::io::wav::write(&wav, &src, dsp_wasm::io::wav::SampleFormat::Int24).unwrap();
        let reference = loudness::measure(&src, |_| {}).integrated_lufs.unwrap();
        let cases: [(&str, &[&str], f64, &str); 5] = [
            ("flac", &["-c:a", "flac"], 0.01, "flac"),
            ("mp3", &["-c:a", "libmp3lame", "-b:a", "192k"], 0.3, "mp3"),
            (
                "ogg",
                &["-c:a", "libvorbis", "-q:a", "6"],
                0.3,
                "ogg_vorbis",
            ),
            ("m4a", &["-c:a", "aac", "-b:a", "192k"], 0.3, "aac"),
            // Raw ADTS stream (read without a byte length, see decode.rs).
            ("aac", &["-c:a", "aac", "-b:a", "192k"], 0.3, "aac"),
        ];
        for (ext, args, tol_lu, format) in cases {
            let out = dir.join(format!("enc-{rate}-{channels}.{ext}"));
            ffmpeg(&wav, &out, args);
            let d = decode_file(&out).unwrap_or_else(|e| panic!("{ext}: {e}"));
            assert_eq!(d.format.format, format, "{ext}");
            assert_eq!(d.audio.sample_rate, rate, "{ext}");
            assert_eq!(d.audio.num_channels(), channels, "{ext}");
            // Lossy codecs add priming/padding frames: within 0.1 s.
            assert!(
                (d.audio.duration_s() - 4.0).abs() < 0.1,
                "{ext}: {} s",
                d.audio.duration_s()
            );
            let got = loudness::measure(&d.audio, |_| {}).integrated_lufs.unwrap();
            assert!(
                (got - reference).abs() <= tol_lu,
                "{ext} at {rate} Hz: {got:.2} vs {reference:.2} LUFS"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
