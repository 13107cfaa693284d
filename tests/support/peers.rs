//! The peer tool the tests compare against: ffmpeg (scripts/setup.sh installs
//! it) — libavfilter's EBU R128 meter (`ebur128=peak=true`) and its encoders.

use std::path::Path;
use std::process::Command;

const REQUIRED: &str =
    "ffmpeg is required for these tests (apt-get install ffmpeg; scripts/setup.sh installs it) but was not found on PATH";

/// True when ffmpeg is installed and runs.
fn have_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Fails the test loudly when ffmpeg is missing (for tests that need it).
pub fn require_ffmpeg() {
    assert!(have_ffmpeg(), "{REQUIRED}");
}

/// ffmpeg's `ebur128=peak=true` over a whole file, unrounded: read from the
/// filter's per-frame metadata (`metadata=1`, printed by `ametadata`), where
/// loudness has three decimals and the true peak is a linear value with
/// three, instead of its summary's one decimal. The integrated loudness and
/// range are the last frame's (the measures so far, at the end: the
/// summary's values unrounded); the true peak is the largest of every
/// frame's.
#[derive(Clone, Copy, Debug)]
pub struct Ebur128 {
    /// Integrated loudness, LUFS.
    pub integrated_lufs: f64,
    /// Loudness range, LU.
    pub range_lu: f64,
    /// True peak, dBTP (ffmpeg labels it dBFS).
    pub true_peak_dbtp: f64,
}

/// Measures a file with ffmpeg's `ebur128` filter; the error carries
/// ffmpeg's output when its figures cannot be read.
pub fn ebur128(path: &Path) -> Result<Ebur128, String> {
    let out = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-nostats",
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
        ])
        .arg(path)
        .args([
            "-af",
            "ebur128=peak=true:metadata=1,ametadata=mode=print:file=pipe\\\\:1",
            "-f",
            "null",
            "-",
        ])
        .output()
        .map_err(|e| format!("run ffmpeg: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let values = |key: &str| -> Vec<f64> {
        text.lines()
            .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .filter_map(|v| v.trim().parse().ok())
            .collect()
    };
    let last = |key: &str| -> Result<f64, String> {
        values(key).last().copied().ok_or_else(|| {
            format!(
                "no {key} in ffmpeg's metadata:\n{}{}",
                text.lines().take(20).collect::<Vec<_>>().join("\n"),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    let peak = values("lavfi.r128.true_peak")
        .into_iter()
        .fold(f64::NEG_INFINITY, f64::max);
    if !peak.is_finite() {
        return Err(format!(
            "no true peak in ffmpeg's metadata: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(Ebur128 {
        integrated_lufs: last("lavfi.r128.I")?,
        range_lu: last("lavfi.r128.LRA")?,
        true_peak_dbtp: 20.0 * peak.log10(),
    })
}

/// Runs ffmpeg with `args` (after `-hide_banner -loglevel error -y`): the
/// test fails if ffmpeg is missing or fails.
pub fn ffmpeg(args: &[&std::ffi::OsStr]) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect(REQUIRED);
    assert!(status.success(), "ffmpeg failed: {args:?}");
}

/// Converts `input` to `output` with ffmpeg (`codec_args` before the output,
/// e.g. `["-c:a", "flac"]`; the container follows the output's extension).
pub fn ffmpeg_convert(input: &Path, output: &Path, codec_args: &[&str]) {
    let mut args = vec![std::ffi::OsStr::new("-i"), input.as_os_str()];
    args.extend(codec_args.iter().map(std::ffi::OsStr::new));
    args.push(output.as_os_str());
    ffmpeg(&args);
}

/// Has ffmpeg write `input` as a WAV to a pipe (`-f wav pipe:1`, `codec_args`
/// before it, e.g. `["-c:a", "pcm_s16le"]`) and keeps what came through in
/// `output`: a WAV whose header gives no length (ffmpeg cannot seek back to
/// fill in the sizes), as any WAV streamed to a pipe is.
pub fn ffmpeg_to_pipe(input: &Path, output: &Path, codec_args: &[&str]) {
    let out = std::fs::File::create(output).expect("create the piped WAV");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(input)
        .args(codec_args)
        .args(["-f", "wav", "pipe:1"])
        .stdout(out)
        .status()
        .expect(REQUIRED);
    assert!(status.success(), "ffmpeg to a pipe failed: {codec_args:?}");
}
