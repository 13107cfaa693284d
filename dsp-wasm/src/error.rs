//! Typed errors of the engine. User-facing wording is made once, here, through
//! `Display`; the edges (command line, Worker) print it as one line.

use thiserror::Error;

/// Everything that can go wrong between a file's bytes and a report or a master.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Zero bytes.
    #[error("the file is empty (0 bytes)")]
    Empty,
    /// The container or codec is not one Preflight reads.
    #[error(
        "not a supported audio file: {0} (Preflight reads WAV, AIFF, FLAC, MP3, Ogg Vorbis and AAC/M4A)"
    )]
    Unsupported(String),
    /// MP3, Ogg Vorbis or AAC/M4A (or an unknown file) given to a build
    /// without the compressed-format decoders (the `lossy` feature): the
    /// page's engine Worker, when a file skipped the decoder Worker.
    #[error("this engine was built to read WAV and FLAC only; the file needs the MP3, Ogg Vorbis and AAC/M4A decoders")]
    DecodersNotBuilt,
    /// The container was recognised but its contents are broken.
    #[error("the file is corrupt or truncated: {0}")]
    Corrupt(String),
    /// More channels than a stereo master has.
    #[error("the file has {channels} channels; Preflight masters mono or stereo files — export a stereo mix first")]
    TooManyChannels { channels: usize },
    /// Sample rate outside what the engine supports.
    #[error("the sample rate {sample_rate} Hz is outside the supported 8–192 kHz")]
    SampleRate { sample_rate: u32 },
    /// Decoding succeeded but produced no samples.
    #[error("the file contains no audio samples")]
    NoAudio,
    /// Longer than the engine accepts (memory bound; see
    /// [`crate::io::decode::max_duration_s`]).
    #[error(
        "the file is {} long; at its sample rate and channel count Preflight accepts at most {} (a shorter excerpt works)",
        over_text(*duration_s, *max_s),
        crate::units::mmss(*max_s)
    )]
    TooLong { duration_s: f64, max_s: f64 },
    /// A processing chain that cannot be built (bad parameter, unknown module).
    #[error("invalid processing chain: {0}")]
    InvalidChain(String),
    /// A chain parameter outside its range (or not a finite number). The
    /// numbers are kept, not written out: the text is made only where it is
    /// shown, so the AudioWorklet, which never shows it, carries no float
    /// formatting.
    #[error("invalid processing chain: {}", param_text(name, *value, *lo, *hi))]
    ChainParam {
        name: &'static str,
        value: f64,
        lo: f64,
        hi: f64,
    },
    /// A command-line or API argument that makes no sense.
    #[error("{0}")]
    InvalidArgument(String),
    /// The delivered master's true peak (the engine's meter) is still over the ceiling
    /// after every verification pass: an engine failure; the master is not
    /// delivered.
    #[error("the master's true peak ({true_peak_dbtp:.2} dBTP) stays over its {ceiling_dbtp:.1} dBTP ceiling after every correction, so it was not written — please report it")]
    CeilingNotHeld {
        true_peak_dbtp: f64,
        ceiling_dbtp: f64,
    },
    /// A risk detector computed a score that is not a finite number (an
    /// engine bug: [`crate::risks::ramp`] maps it to "no risk", so the risk
    /// would go unseen). Raised by [`crate::risks::detect_checked`].
    #[error("internal error: {count} risk score(s) of the {detectors} detectors were not finite numbers — please report it")]
    NonFiniteScore { detectors: &'static str, count: u32 },
    /// A long track kept where it is read again from, instead of in
    /// memory ([`crate::audio::Stored::Reread`]), could not be read.
    #[error(
        "the track could not be read again from where it was kept ({0}) — open the file again"
    )]
    Reread(&'static str),
    /// The input file could not be opened or read (missing, a folder, no
    /// permission): the user's input, named with its path.
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    /// An output file could not be written (no such folder, no permission,
    /// disk full): the environment's failure, named with its path.
    #[error("cannot write {path}: {reason}")]
    Unwritable { path: String, reason: String },
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The reference track could not be used, for `reason` (the command
    /// line's `--reference`: named, so its failure is not read as the
    /// input's).
    #[error("the reference track {path}: {reason}")]
    Reference { path: String, reason: Box<Error> },
}

impl Error {
    /// True when the error is the user's input (exit code 2 at the command line),
    /// false for environment failures.
    pub fn is_bad_input(&self) -> bool {
        match self {
            Error::Reference { reason, .. } => reason.is_bad_input(),
            e => !matches!(
                e,
                Error::Io(_)
                    | Error::Unwritable { .. }
                    | Error::DecodersNotBuilt
                    | Error::Reread(_)
            ),
        }
    }

    /// This error as the reference track's (at `path`), see
    /// [`Error::Reference`]; one that names its file already stays as it is.
    pub fn of_reference(self, path: &str) -> Self {
        match self {
            e @ Error::Unreadable { .. } => e,
            e => Error::Reference {
                path: path.to_string(),
                reason: Box::new(e),
            },
        }
    }

    /// [`Error::Unreadable`] for `path`, with the reason in plain words for
    /// the usual kinds (the system's own text otherwise, without its
    /// "(os error N)").
    pub fn unreadable(path: &std::path::Path, e: &std::io::Error) -> Self {
        let reason = match e.kind() {
            std::io::ErrorKind::NotFound => "there is no such file".to_string(),
            std::io::ErrorKind::IsADirectory => "it is a folder, not an audio file".to_string(),
            _ => io_reason(e),
        };
        Error::Unreadable {
            path: path.display().to_string(),
            reason,
        }
    }

    /// [`Error::Unwritable`] for `path` from a failed write (an
    /// [`Error::Io`]); any other error is returned as it is.
    pub fn unwritable(self, path: &std::path::Path) -> Self {
        match self {
            Error::Io(e) => Error::Unwritable {
                path: path.display().to_string(),
                reason: match e.kind() {
                    std::io::ErrorKind::NotFound => "there is no such folder".to_string(),
                    std::io::ErrorKind::IsADirectory => "it is a folder".to_string(),
                    _ => io_reason(&e),
                },
            },
            other => other,
        }
    }
}

/// A length over `max_s` as the words give it: "a little over 30:00" when
/// the two read the same to the second (an MP3's encoder padding), else the
/// length itself.
fn over_text(duration_s: f64, max_s: f64) -> String {
    let (d, m) = (crate::units::mmss(duration_s), crate::units::mmss(max_s));
    if d == m {
        format!("a little over {m}")
    } else {
        d
    }
}

/// An I/O error in plain words: the usual kinds named, the system's own
/// text otherwise, without its "(os error N)".
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::StorageFull => "the disk is full".to_string(),
        ErrorKind::ReadOnlyFilesystem => "the disk is read-only".to_string(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}

/// Result alias used across the engine.
pub type Result<T> = std::result::Result<T, Error>;

fn param_text(name: &str, value: f64, lo: f64, hi: f64) -> String {
    if !value.is_finite() {
        format!("{name} must be a finite number")
    } else if hi.is_infinite() {
        format!("{name} {value} is under {lo}")
    } else {
        format!("{name} {value} is outside {lo}…{hi}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_just_over_the_limit_is_not_told_as_the_limit() {
        let just_over = Error::TooLong {
            duration_s: 1800.05,
            max_s: 1800.0,
        };
        assert!(
            just_over
                .to_string()
                .starts_with("the file is a little over 30:00 long; "),
            "{just_over}"
        );
        let far_over = Error::TooLong {
            duration_s: 4.0 * 3600.0,
            max_s: 1800.0,
        };
        assert!(
            far_over
                .to_string()
                .starts_with("the file is 4:00:00 long; "),
            "{far_over}"
        );
    }
}
