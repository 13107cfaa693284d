//! The page's state as a plain struct, and the pure rules that change it.
//!
//! [`PageModel`] holds everything the page shows; [`apply`] turns one parsed
//! Worker message ([`WorkerEvent`]) into a change of it, and answers with the
//! [`Effect`]s the browser side must carry out (the player, downloads, the
//! values exposed to the timing script). Nothing here touches the browser, so
//! it is unit-tested natively (`cargo test -p app --lib`); `ui::store` mirrors
//! the model into signals and performs the effects.

use dsp_wasm::chain::{Chain, Module};
use dsp_wasm::report::{MasterReport, Report};

use crate::listening::{Heard, Hearing};
use crate::share::SharePayload;

mod sharing;

/// Largest file the page reads into memory (browsers cap ArrayBuffers near 2 GiB).
pub const MAX_FILE_BYTES: f64 = 1.5 * 1024.0 * 1024.0 * 1024.0;

/// Files at least this large are analysed by two Workers at once (below it,
/// copying the bytes costs more than the second core saves) …
pub const SPLIT_MIN_BYTES: f64 = 2_000_000.0;
/// … and at most this large: a longer file is analysed by the engine Worker
/// alone, so that it is decoded once, not once per Worker (memory over
/// speed: `tests/bench/long_file_memory.mjs`).
pub const SPLIT_MAX_BYTES: f64 = 100_000_000.0;

/// Streaming reference level for the preview (Spotify, YouTube, Tidal, Amazon: −14 LUFS; risks.md).
pub const PREVIEW_LUFS: f64 = -14.0;
/// Peak ceiling the preview gain respects, dBTP.
const PREVIEW_CEILING_DBTP: f64 = -1.0;

/// Where the page is in handling a file.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Idle,
    Working {
        name: String,
        stage: String,
        percent: f64,
    },
    Done,
    Failed(String),
    /// The user stopped the analysis of this file.
    Cancelled(String),
}

/// The codec check's AAC half.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AacCheck {
    /// This browser offers no AAC encoder (WebCodecs): only Opus is checked.
    NotOffered,
    /// The master's true peak after AAC-LC at 256 kb/s and decoding, dBTP
    /// (`None`: the browser offered the encoder, but the round trip failed).
    TruePeak(Option<f64>),
}

/// An exported master larger than this (256 MiB: 15.5 min of 24-bit
/// 48 kHz stereo) is streamed to the download through the service worker
/// instead of being built as a Blob first (the Blob's bytes, 0.75× the
/// decoded audio at 24 bits, were what took a long file's export over 3×,
/// README "Long files and memory"). Smaller files stay Blobs: a download
/// the service worker answers is a navigation, after which the browser asks
/// the server for `sw.js` (its check for a new build), so the server would
/// learn when an export happened — worth it only where memory is at stake.
pub const STREAM_EXPORT_ABOVE_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// Everything the page shows, as plain data.
#[derive(Clone, Debug, PartialEq)]
pub struct PageModel {
    pub phase: Phase,
    pub report: Option<Report>,
    /// The id of the current file's job; messages about other ids are stale.
    pub job: u32,
    pub playing: bool,
    /// Playback position, seconds (polled from the player while playing, set by a seek).
    pub position_s: f64,
    /// A/B switch: true while the original is heard.
    pub bypass: bool,
    pub player_error: Option<String>,
    /// The chain the player runs: the streaming preview, then the master's.
    pub chain_json: String,
    /// Progress of a running master (stage, percent).
    pub mastering: Option<(String, f64)>,
    pub master: Option<MasterReport>,
    pub master_error: Option<String>,
    /// A/B at matched loudness (the processed path turned to the original's level).
    pub matched: bool,
    /// The decoded samples have reached the page (they follow the report).
    pub track_ready: bool,
    /// The playback system listened through (index of the report's systems; 0 = hifi).
    pub system: usize,
    /// A risk heard on a loop ("Hear it").
    pub hearing: Option<Hearing>,
    /// Only the heard risk's band plays.
    pub solo: bool,
    /// What the AudioWorklet reports it plays (`None` before it runs).
    pub heard: Option<Heard>,
    /// The keyboard shortcuts' help is open.
    pub help_open: bool,
    /// The amount of each corrective move of the master (index = the move's
    /// `module_index`; 1 = as decided).
    pub amounts: Vec<f64>,
    /// The SHA-256 of the current file, once the Worker has computed it.
    pub sha256: Option<String>,
    /// A share link opened in this page, waiting for its file (see [`sharing`]).
    pub shared: Option<SharePayload>,
    /// One line about sharing: a broken link, a file that does not match …
    pub share_note: Option<String>,
    /// The fragment of the link made for this file and master.
    pub share_link: Option<String>,
    /// A link was asked for before the file's SHA-256 was known.
    pub share_wanted: bool,
    /// The master came from a share link (its moves cannot be re-scaled here).
    pub master_shared: bool,
    /// True peak of the master after an Opus round trip, dBTP (the codec check).
    pub codec_true_peak: Option<f64>,
    /// The codec check's AAC half (`None` until a check has run).
    pub codec_aac: Option<AacCheck>,
    /// "After Opus": the master after the codec round trip is heard in place
    /// of the master (only while that round trip is current).
    pub codec_heard: bool,
    /// The reference track the masters match (kept across files).
    pub reference: Option<ReferenceTrack>,
    /// Why the last reference track could not be used (one line).
    pub reference_error: Option<String>,
}

/// A reference track the engine keeps: what the page shows of it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceTrack {
    pub name: String,
    /// Integrated loudness, LUFS (`None` when undefined: silence, < 400 ms).
    pub lufs: Option<f64>,
    pub duration_s: f64,
    /// Why the master sets it aside (too short, silent), in the engine's words.
    pub note: Option<String>,
}

impl Default for PageModel {
    fn default() -> Self {
        Self {
            phase: Phase::Idle,
            report: None,
            job: 0,
            playing: false,
            position_s: 0.0,
            bypass: false,
            player_error: None,
            chain_json: Chain::default().to_json(),
            mastering: None,
            master: None,
            master_error: None,
            matched: true,
            track_ready: false,
            system: 0,
            hearing: None,
            solo: false,
            heard: None,
            help_open: false,
            amounts: Vec::new(),
            sha256: None,
            shared: None,
            share_note: None,
            share_link: None,
            share_wanted: false,
            master_shared: false,
            codec_true_peak: None,
            codec_aac: None,
            codec_heard: false,
            reference: None,
            reference_error: None,
        }
    }
}

/// One message from the engine Worker, parsed (see `protocol` for the wire form).
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerEvent {
    /// The job the message is about (`None` when it names none).
    pub job: Option<u32>,
    pub kind: EventKind,
}

/// What a Worker message says. Samples and bytes stay in the JS message; the
/// effects that need them ([`Effect::LoadTrack`], [`Effect::Download`]) take
/// them from there.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    Progress {
        stage: String,
        percent: f64,
    },
    /// The decoded samples for playback.
    Decoded {
        sample_rate: u32,
    },
    /// A `preflight.report/1` document as JSON text.
    Report {
        json: String,
    },
    /// A `preflight.master/1` document as JSON text.
    Mastered {
        json: String,
    },
    /// The master's WAV bytes.
    Exported,
    /// The before/after clip's WAV bytes.
    ClipExported,
    /// The preview page's bytes (HTML).
    PreviewExported,
    /// The master's true peak after an Opus round trip (AAC follows).
    CodecChecked {
        true_peak_dbtp: f64,
        /// The rate of the decoded master the message carries (`None`: it
        /// carries none).
        sample_rate: Option<u32>,
    },
    /// The codec check's AAC half, after its Opus half.
    AacChecked(AacCheck),
    /// The current file's SHA-256.
    Hashed {
        sha256: String,
    },
    /// The analysis (`preflight.report/1` JSON) of the file through a shared chain.
    Applied {
        json: String,
    },
    /// The engine keeps this reference track.
    ReferenceReady(ReferenceTrack),
    /// The reference track `name` could not be read (why, one line).
    ReferenceError {
        name: String,
        message: String,
    },
    Error {
        message: String,
    },
    /// Anything the page does not act on (`ready`, `warm`, `rendered`, …).
    Other,
}

/// What the browser side must do after a change of the model.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Give the player the message's samples at this rate.
    LoadTrack { sample_rate: u32 },
    /// Take the track away from the player.
    ClearTrack,
    /// Give the player the message's decoded master after the codec, at this rate.
    LoadCodec { sample_rate: u32 },
    /// Take the master after the codec away from the player (a new master).
    ClearCodec,
    /// The new file's report arrived: it becomes the current file (its
    /// handle is kept for hashing and reloading), the last file's track goes.
    AcceptFile,
    /// Expose the report's timings (with when it arrived and was shown).
    PublishReportTimings,
    /// Expose the master's chain and stage times, and run the chain in the player.
    PublishMaster { chain_json: String },
    /// Set the player's loudness-matching gain, dB.
    SetMatchDb(f64),
    /// Offer the message's bytes as a file of this name.
    Download { file_name: String },
    /// Ask the Worker for the current file's SHA-256.
    RequestHash,
    /// Ask the Worker to run a shared chain over the current file.
    ApplyShared {
        chain_json: String,
        target_lufs: f64,
        ceiling_dbtp: f64,
    },
}

impl PageModel {
    /// Starts a new file: a new job. The last file's result stays shown
    /// (inert) until this one's report arrives, and comes back if this one
    /// fails or is cancelled: bad input loses nothing. A master still being
    /// made for the last file is abandoned (its result would be stale).
    /// Returns the job id, or `None` when the file is refused (empty or too
    /// large; the phase then says why, and nothing else changes).
    pub fn begin_file(&mut self, name: &str, size_bytes: f64) -> Option<u32> {
        if size_bytes == 0.0 {
            self.phase = Phase::Failed(format!("{name}: The file is empty (0 bytes)"));
            return None;
        }
        if size_bytes > MAX_FILE_BYTES {
            self.phase = Phase::Failed(format!(
                "{name}: The file is larger than 1.5 GB; export a shorter or compressed version"
            ));
            return None;
        }
        self.job += 1;
        if self.mastering.take().is_some() {
            self.drop_master();
        }
        self.hearing = None;
        self.share_note = None;
        self.phase = Phase::Working {
            name: name.to_string(),
            stage: "reading".into(),
            percent: 0.0,
        };
        Some(self.job)
    }

    /// The last result shown while a new file is analysed: the shown
    /// report's file name (`None` when nothing is shown or nothing is running).
    pub fn stale_result(&self) -> Option<&str> {
        match (&self.phase, &self.report) {
            (Phase::Working { .. }, Some(r)) => Some(r.input.name.as_str()),
            _ => None,
        }
    }

    /// Everything of the last file forgotten (its report arrived: the new
    /// file replaces it); the listening choices are kept.
    fn start_fresh(&mut self) {
        *self = Self {
            job: self.job,
            phase: std::mem::replace(&mut self.phase, Phase::Idle),
            matched: self.matched,
            system: self.system,
            help_open: self.help_open,
            shared: self.shared.take(),
            reference: self.reference.take(),
            ..Self::default()
        };
    }

    /// The master and what hangs on it go; the preview chain plays again.
    fn drop_master(&mut self) {
        self.master = None;
        self.master_shared = false;
        self.amounts.clear();
        self.share_link = None;
        self.codec_true_peak = None;
        self.codec_aac = None;
        self.codec_heard = false;
        if let Some(r) = &self.report {
            self.chain_json = preview_chain(r).to_json();
        }
    }

    /// Cancel: the work in the Workers is abandoned (they are restarted);
    /// a new job id makes any late message stale. Stopping an analysis
    /// brings back the last file's result, if there was one, without its
    /// master (the fresh engine has not made it); stopping a master keeps
    /// the report. Returns true when a report is shown: the fresh Worker
    /// must read that file again.
    pub fn cancel(&mut self) -> bool {
        match &self.phase {
            Phase::Working { name, .. } => {
                let name = name.clone();
                self.job += 1;
                self.phase = Phase::Cancelled(name);
                if self.report.is_none() {
                    return false;
                }
                if self.master.is_some() {
                    self.drop_master();
                    self.master_error = Some(
                        "The master of this file was dropped with the cancelled analysis; master it again.".into(),
                    );
                }
                true
            }
            _ if self.mastering.is_some() => {
                self.mastering = None;
                self.drop_master();
                self.master_error = Some("Mastering cancelled.".into());
                true
            }
            _ => false,
        }
    }

    /// A master was asked for: its progress starts, the last error goes.
    pub fn begin_master(&mut self) {
        self.master_error = None;
        self.mastering = Some(("analyse".into(), 0.0));
    }

    /// True while a file is being analysed.
    pub fn busy(&self) -> bool {
        matches!(self.phase, Phase::Working { .. })
    }

    /// Gain that would bring the processed signal to the original's loudness
    /// (0 when matching is off or either loudness is undefined). The worklet
    /// turns the louder side down by it, never the quieter one up.
    pub fn match_db(&self) -> f64 {
        if !self.matched {
            return 0.0;
        }
        match (self.input_lufs(), self.processed_lufs()) {
            (Some(before), Some(after)) => before - after,
            _ => 0.0,
        }
    }

    /// Integrated loudness of the file as it is, LUFS.
    fn input_lufs(&self) -> Option<f64> {
        self.report.as_ref()?.loudness.integrated_lufs
    }

    /// Integrated loudness of what the chain plays (the master, or the
    /// streaming preview before there is one), LUFS.
    fn processed_lufs(&self) -> Option<f64> {
        let report = self.report.as_ref()?;
        match &self.master {
            Some(m) => m.after.loudness.integrated_lufs,
            None => Some(report.loudness.integrated_lufs? + preview_gain_db(report)),
        }
    }

    /// Integrated loudness of what is heard now, LUFS (sets the level of a
    /// system's noise, which is relative to the programme): with matching,
    /// both sides play at the quieter one's loudness.
    pub fn heard_lufs(&self) -> f64 {
        let (Some(before), Some(processed)) = (self.input_lufs(), self.processed_lufs()) else {
            return PREVIEW_LUFS;
        };
        if self.matched {
            before.min(processed)
        } else if self.bypass {
            before
        } else {
            processed
        }
    }

    /// The band soloed now: the heard risk's, when solo is on.
    pub fn solo_band(&self) -> Option<[f64; 2]> {
        self.hearing
            .as_ref()
            .and_then(|h| h.band_hz)
            .filter(|_| self.solo)
    }

    /// "Hear it": loop the risk on the system that exposes it, starting on
    /// Before (the mix as it is); the artist flips to After.
    pub fn hear(&mut self, hearing: Hearing) {
        self.system = hearing.system;
        self.bypass = true;
        self.codec_heard = false;
        self.hearing = Some(hearing);
    }

    /// What loudness matching does now, for the player bar: which side is
    /// turned down, by how much (`None` when nothing is).
    pub fn match_note(&self) -> Option<String> {
        let db = self.match_db();
        let side = if self.master.is_some() {
            "master"
        } else {
            "preview"
        };
        if db > 0.05 {
            Some(format!("original −{db:.1} dB"))
        } else if db < -0.05 {
            Some(format!("{side} −{:.1} dB", -db))
        } else {
            None
        }
    }

    /// Whether the master's WAV is larger than [`STREAM_EXPORT_ABOVE_BYTES`]
    /// (its size from the master's own sample rate, channels, bit depth and
    /// length): such an export streams to the download.
    pub fn streams_export(&self) -> bool {
        self.master.as_ref().is_some_and(|m| {
            let i = &m.after.input;
            let bytes_per_s = f64::from(i.sample_rate * i.channels * i.bit_depth.unwrap_or(32) / 8);
            i.duration_s * bytes_per_s > STREAM_EXPORT_ABOVE_BYTES
        })
    }

    /// The name the exported master is offered under.
    pub fn export_file_name(&self) -> String {
        self.named("Preflight master", "wav")
    }

    /// `"{file's stem} ({what}).{ext}"`.
    pub fn named(&self, what: &str, ext: &str) -> String {
        let name = self
            .report
            .as_ref()
            .map(|r| r.input.name.as_str())
            .unwrap_or_default();
        let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
        format!("{stem} ({what}).{ext}")
    }

    /// The report as the command line writes it: the master's
    /// (`preflight.master/1`) once there is one, else the analysis
    /// (`preflight.report/1`); pretty-printed JSON.
    pub fn report_json(&self) -> Option<String> {
        match (&self.master, &self.report) {
            (Some(m), _) => serde_json::to_string_pretty(m).ok(),
            (None, Some(r)) => serde_json::to_string_pretty(r).ok(),
            _ => None,
        }
    }
}

/// Applies one Worker message to the model; returns what the browser side
/// must do next, in order. Messages about a replaced file change nothing.
pub fn apply(model: &mut PageModel, ev: WorkerEvent) -> Vec<Effect> {
    if ev.job.is_some_and(|j| j != model.job) {
        return Vec::new(); // a message about a file the user has replaced
    }
    match ev.kind {
        EventKind::Progress { stage, percent } => {
            on_progress(model, stage, percent);
            Vec::new()
        }
        EventKind::Decoded { sample_rate } => {
            model.track_ready = true;
            vec![Effect::LoadTrack { sample_rate }]
        }
        EventKind::Report { json } => on_report(model, &json),
        EventKind::Mastered { json } => on_mastered(model, &json),
        EventKind::Exported => vec![Effect::Download {
            file_name: model.export_file_name(),
        }],
        EventKind::ClipExported => vec![Effect::Download {
            file_name: model.named("Preflight before-after clip", "wav"),
        }],
        EventKind::PreviewExported => vec![Effect::Download {
            file_name: model.named("Preflight preview", "html"),
        }],
        EventKind::Error { message } => on_error(model, &message),
        EventKind::Hashed { sha256 } => model.on_hashed(sha256),
        EventKind::CodecChecked {
            true_peak_dbtp,
            sample_rate,
        } => {
            model.codec_true_peak = Some(true_peak_dbtp);
            model.codec_aac = None;
            match sample_rate {
                Some(sample_rate) => vec![Effect::LoadCodec { sample_rate }],
                None => Vec::new(),
            }
        }
        EventKind::AacChecked(aac) => {
            model.codec_aac = Some(aac);
            Vec::new()
        }
        EventKind::Applied { json } => model.on_applied(&json),
        EventKind::ReferenceReady(r) => {
            model.reference = Some(r);
            model.reference_error = None;
            Vec::new()
        }
        EventKind::ReferenceError { name, message } => {
            model.reference_error = Some(format!("{name}: {}", capitalise(&message)));
            Vec::new()
        }
        EventKind::Other => Vec::new(),
    }
}

/// Progress goes to a running master, else to the analysis.
fn on_progress(model: &mut PageModel, stage: String, percent: f64) {
    if model.mastering.is_some() {
        model.mastering = Some((stage, percent));
    } else if let Phase::Working {
        stage: s,
        percent: pc,
        ..
    } = &mut model.phase
    {
        *s = stage;
        *pc = percent;
    }
}

fn on_report(model: &mut PageModel, json: &str) -> Vec<Effect> {
    match serde_json::from_str::<Report>(json) {
        Ok(r) => {
            // A new file's report: the last file's result goes now.
            let new_file = model.busy();
            if new_file {
                model.start_fresh();
            }
            model.chain_json = preview_chain(&r).to_json();
            model.report = Some(r);
            model.phase = Phase::Done;
            let mut effects = Vec::new();
            if new_file {
                effects.push(Effect::AcceptFile);
            }
            effects.push(Effect::PublishReportTimings);
            if model.shared.is_some() {
                effects.push(Effect::RequestHash);
            }
            effects
        }
        Err(e) => on_error(model, &format!("the report could not be read: {e}")),
    }
}

fn on_mastered(model: &mut PageModel, json: &str) -> Vec<Effect> {
    model.mastering = None;
    match serde_json::from_str::<MasterReport>(json) {
        Ok(m) => {
            let chain_json = m.chain.to_json();
            model.chain_json = chain_json.clone();
            model.amounts = amounts_of(&m);
            model.master = Some(m);
            model.master_shared = false;
            model.share_link = None;
            model.codec_true_peak = None;
            model.codec_aac = None;
            model.codec_heard = false;
            vec![
                Effect::ClearCodec,
                Effect::PublishMaster { chain_json },
                Effect::SetMatchDb(model.match_db()),
            ]
        }
        Err(e) => {
            model.master_error = Some(format!("the master could not be read: {e}"));
            Vec::new()
        }
    }
}

/// An error while a new file is analysed fails that file and brings the
/// last result back (nothing is lost); an error during or after a master is
/// the master's; any other is shown on the status line.
fn on_error(model: &mut PageModel, message: &str) -> Vec<Effect> {
    if let Phase::Working { name, .. } = &model.phase {
        model.phase = Phase::Failed(format!("{name}: {}", capitalise(message)));
        if model.report.is_some() {
            return Vec::new();
        }
        model.track_ready = false;
        model.playing = false;
        return vec![Effect::ClearTrack];
    }
    if model.mastering.is_some() || model.master.is_some() {
        model.mastering = None;
        model.master_error = Some(capitalise(message));
        return Vec::new();
    }
    model.phase = Phase::Failed(capitalise(message));
    if model.report.is_some() {
        return Vec::new();
    }
    model.track_ready = false;
    model.playing = false;
    vec![Effect::ClearTrack]
}

/// The amount of each corrective move of `m`, by `module_index` (a move
/// without a recorded amount is as decided).
pub fn amounts_of(m: &MasterReport) -> Vec<f64> {
    let mut amounts = Vec::new();
    for d in &m.decisions {
        let Some(i) = d.params.get("module_index").and_then(|v| v.as_u64()) else {
            continue;
        };
        let i = i as usize;
        if amounts.len() <= i {
            amounts.resize(i + 1, 1.0);
        }
        amounts[i] = d
            .params
            .get("amount")
            .and_then(|v| v.as_f64())
            .unwrap_or(1.0);
    }
    amounts
}

/// The chain the preview plays: a gain to the streaming reference level,
/// limited so the true peak stays under the ceiling (what a normalising
/// platform does, without its limiter). The real mastering chain replaces it.
pub fn preview_chain(report: &Report) -> Chain {
    Chain::new(vec![Module::Gain {
        gain_db: preview_gain_db(report),
    }])
}

/// The preview's gain, dB (rounded to 0.01 dB).
pub fn preview_gain_db(report: &Report) -> f64 {
    let to_target = report
        .loudness
        .integrated_lufs
        .map_or(0.0, |i| PREVIEW_LUFS - i);
    let headroom = report
        .loudness
        .true_peak_dbtp
        .map_or(0.0, |tp| PREVIEW_CEILING_DBTP - tp);
    let gain_db = to_target.min(headroom).clamp(-40.0, 24.0);
    (gain_db * 100.0).round() / 100.0
}

/// The first letter in upper case (Worker messages are sentence fragments).
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
