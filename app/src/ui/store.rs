//! The page's one state store: a [`PageModel`] mirrored into signals.
//!
//! Every field of the model has a signal here, so each component re-renders
//! only for what it shows. Changes go through [`Store::update`]: it takes the
//! model out of the signals, lets plain code (the rules in [`crate::model`])
//! change it, and sets back only the signals whose value changed. The store
//! is provided by [`provide_store`] and found with [`use_store`].

use dsp_wasm::report::{MasterReport, Report};
use leptos::prelude::*;

use crate::listening::{Heard, Hearing};
use crate::model::{AacCheck, PageModel, Phase, ReferenceTrack};
use crate::player;
use crate::share::SharePayload;

/// Signals of every [`PageModel`] field (see there for what each means).
#[derive(Clone, Copy)]
pub struct Store {
    pub phase: RwSignal<Phase>,
    pub report: RwSignal<Option<Report>>,
    pub job: RwSignal<u32>,
    pub playing: RwSignal<bool>,
    pub position_s: RwSignal<f64>,
    pub bypass: RwSignal<bool>,
    pub player_error: RwSignal<Option<String>>,
    pub chain_json: RwSignal<String>,
    pub mastering: RwSignal<Option<(String, f64)>>,
    pub master: RwSignal<Option<MasterReport>>,
    pub master_error: RwSignal<Option<String>>,
    pub matched: RwSignal<bool>,
    pub track_ready: RwSignal<bool>,
    pub system: RwSignal<usize>,
    pub hearing: RwSignal<Option<Hearing>>,
    pub solo: RwSignal<bool>,
    pub heard: RwSignal<Option<Heard>>,
    pub help_open: RwSignal<bool>,
    pub amounts: RwSignal<Vec<f64>>,
    pub sha256: RwSignal<Option<String>>,
    pub shared: RwSignal<Option<SharePayload>>,
    pub share_note: RwSignal<Option<String>>,
    pub share_link: RwSignal<Option<String>>,
    pub share_wanted: RwSignal<bool>,
    pub master_shared: RwSignal<bool>,
    pub codec_true_peak: RwSignal<Option<f64>>,
    pub codec_aac: RwSignal<Option<AacCheck>>,
    pub codec_heard: RwSignal<bool>,
    pub reference: RwSignal<Option<ReferenceTrack>>,
    pub reference_error: RwSignal<Option<String>>,
}

impl Store {
    /// Signals holding `model`.
    fn new(model: PageModel) -> Self {
        Self {
            phase: RwSignal::new(model.phase),
            report: RwSignal::new(model.report),
            job: RwSignal::new(model.job),
            playing: RwSignal::new(model.playing),
            position_s: RwSignal::new(model.position_s),
            bypass: RwSignal::new(model.bypass),
            player_error: RwSignal::new(model.player_error),
            chain_json: RwSignal::new(model.chain_json),
            mastering: RwSignal::new(model.mastering),
            master: RwSignal::new(model.master),
            master_error: RwSignal::new(model.master_error),
            matched: RwSignal::new(model.matched),
            track_ready: RwSignal::new(model.track_ready),
            system: RwSignal::new(model.system),
            hearing: RwSignal::new(model.hearing),
            solo: RwSignal::new(model.solo),
            heard: RwSignal::new(model.heard),
            help_open: RwSignal::new(model.help_open),
            amounts: RwSignal::new(model.amounts),
            sha256: RwSignal::new(model.sha256),
            shared: RwSignal::new(model.shared),
            share_note: RwSignal::new(model.share_note),
            share_link: RwSignal::new(model.share_link),
            share_wanted: RwSignal::new(model.share_wanted),
            master_shared: RwSignal::new(model.master_shared),
            codec_true_peak: RwSignal::new(model.codec_true_peak),
            codec_aac: RwSignal::new(model.codec_aac),
            codec_heard: RwSignal::new(model.codec_heard),
            reference: RwSignal::new(model.reference),
            reference_error: RwSignal::new(model.reference_error),
        }
    }

    /// The model as the signals hold it now (read without subscribing).
    pub fn snapshot(&self) -> PageModel {
        PageModel {
            phase: self.phase.get_untracked(),
            report: self.report.get_untracked(),
            job: self.job.get_untracked(),
            playing: self.playing.get_untracked(),
            position_s: self.position_s.get_untracked(),
            bypass: self.bypass.get_untracked(),
            player_error: self.player_error.get_untracked(),
            chain_json: self.chain_json.get_untracked(),
            mastering: self.mastering.get_untracked(),
            master: self.master.get_untracked(),
            master_error: self.master_error.get_untracked(),
            matched: self.matched.get_untracked(),
            track_ready: self.track_ready.get_untracked(),
            system: self.system.get_untracked(),
            hearing: self.hearing.get_untracked(),
            solo: self.solo.get_untracked(),
            heard: self.heard.get_untracked(),
            help_open: self.help_open.get_untracked(),
            amounts: self.amounts.get_untracked(),
            sha256: self.sha256.get_untracked(),
            shared: self.shared.get_untracked(),
            share_note: self.share_note.get_untracked(),
            share_link: self.share_link.get_untracked(),
            share_wanted: self.share_wanted.get_untracked(),
            master_shared: self.master_shared.get_untracked(),
            codec_true_peak: self.codec_true_peak.get_untracked(),
            codec_aac: self.codec_aac.get_untracked(),
            codec_heard: self.codec_heard.get_untracked(),
            reference: self.reference.get_untracked(),
            reference_error: self.reference_error.get_untracked(),
        }
    }

    /// Sets every signal whose value differs from `model`'s.
    fn sync(&self, model: PageModel) {
        set_if_changed(self.phase, model.phase);
        set_if_changed(self.report, model.report);
        set_if_changed(self.job, model.job);
        set_if_changed(self.playing, model.playing);
        set_if_changed(self.position_s, model.position_s);
        set_if_changed(self.bypass, model.bypass);
        set_if_changed(self.player_error, model.player_error);
        set_if_changed(self.chain_json, model.chain_json);
        set_if_changed(self.mastering, model.mastering);
        set_if_changed(self.master, model.master);
        set_if_changed(self.master_error, model.master_error);
        set_if_changed(self.matched, model.matched);
        set_if_changed(self.track_ready, model.track_ready);
        set_if_changed(self.system, model.system);
        set_if_changed(self.hearing, model.hearing);
        set_if_changed(self.solo, model.solo);
        set_if_changed(self.heard, model.heard);
        set_if_changed(self.help_open, model.help_open);
        set_if_changed(self.amounts, model.amounts);
        set_if_changed(self.sha256, model.sha256);
        set_if_changed(self.shared, model.shared);
        set_if_changed(self.share_note, model.share_note);
        set_if_changed(self.share_link, model.share_link);
        set_if_changed(self.share_wanted, model.share_wanted);
        set_if_changed(self.master_shared, model.master_shared);
        set_if_changed(self.codec_true_peak, model.codec_true_peak);
        set_if_changed(self.codec_aac, model.codec_aac);
        set_if_changed(self.codec_heard, model.codec_heard);
        set_if_changed(self.reference, model.reference);
        set_if_changed(self.reference_error, model.reference_error);
    }

    /// Changes the model with `f` and updates the signals that changed.
    pub fn update<R>(&self, f: impl FnOnce(&mut PageModel) -> R) -> R {
        let mut model = self.snapshot();
        let out = f(&mut model);
        self.sync(model);
        out
    }

    /// Moves the playback position to `seconds` (clamped to the file); a
    /// playing file continues from there.
    pub fn seek(&self, seconds: f64) {
        let duration = self
            .report
            .with_untracked(|r| r.as_ref().map_or(0.0, |r| r.input.duration_s));
        let s = seconds.clamp(0.0, duration);
        player::seek(s);
        self.position_s.set(s);
    }

    /// The player's loudness-matching gain for the current state, dB.
    pub fn match_db(&self) -> f64 {
        self.snapshot().match_db()
    }

    /// Tells the player everything about what is heard: A/B, loudness
    /// matching, the playback system, the solo band and the loop (a no-op
    /// before the audio graph exists; `play` calls it once it does).
    pub fn apply_listening(&self) {
        let m = self.snapshot();
        let codec = m.codec_heard && m.codec_true_peak.is_some();
        player::set_bypass(m.bypass && !codec);
        player::set_codec_heard(codec);
        player::set_match_db(m.match_db());
        player::set_listening(m.system, m.solo_band(), m.heard_lufs());
        player::set_loop(m.hearing.as_ref().and_then(|h| h.range_s));
    }
}

fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.with_untracked(|old| *old != value) {
        signal.set(value);
    }
}

/// Creates the store for a fresh page and provides it to every component below.
pub fn provide_store() -> Store {
    let store = Store::new(PageModel::default());
    provide_context(store);
    store
}

/// The store provided by the page ([`provide_store`]).
pub fn use_store() -> Store {
    expect_context::<Store>()
}
