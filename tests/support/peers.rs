//! The peer tool the tests compare against: ffmpeg (scripts/setup.sh installs
//! it) — libavfilter's EBU R128 meter (`ebur128=peak=true`) and its encoders.

use std::path::Path;
use std::process::Command;

const REQUIRED: &str =
    "ffmpeg is required for these tests (apt-get install ffmpeg; scripts/setup.sh installs it) but was not found on PATH";

/// True when ffmpeg is installed and runs.
pub fn have_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Fails the test loudly when ffmpeg is missing (for tests that need it).
pub fn require_ffmpeg() {
    assert!(have_ffmpeg(), "{REQUIRED}");
}

/// The summary of ffmpeg's `ebur128=peak=true` over a whole file (ffmpeg
/// prints one decimal).
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
/// ffmpeg's output when its summary cannot be read.
pub fn ebur128(path: &Path) -> Result<Ebur128, String> {
    let out = Command::new("ffmpeg")
        .args(["-nostats", "-hide_banner", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .map_err(|e| format!("run ffmpeg: {e}"))?;
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = text
        .rsplit_once("Summary:")
        .map(|(_, s)| s)
        .ok_or_else(|| format!("no summary in ffmpeg output:\n{text}"))?;
    let value = |key: &str| -> Result<f64, String> {
        summary
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("no {key} in ffmpeg output:\n{summary}"))
    };
    Ok(Ebur128 {
        integrated_lufs: value("I:")?,
        range_lu: value("LRA:")?,
        true_peak_dbtp: value("Peak:")?,
    })
}

/// Converts `input` to `output` with ffmpeg (`codec_args` before the output,
/// e.g. `["-c:a", "flac"]`; the container follows the output's extension).
pub fn ffmpeg_convert(input: &Path, output: &Path, codec_args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(input)
        .args(codec_args)
        .arg(output)
        .status()
        .expect(REQUIRED);
    assert!(status.success(), "ffmpeg failed for {}", output.display());
}
