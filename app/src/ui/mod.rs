//! The page: a drop zone, progress, the measurements and risks of the file,
//! a player that previews it through the AudioWorklet chain, and mastering.
//!
//! One [`store::Store`] (signals mirroring [`crate::model::PageModel`]) is
//! provided to every component; Worker messages change it through
//! [`worker_events`], requests go out through [`requests`]. The Worker and the
//! audio graph are reached through [`crate::worker_client`] and
//! [`crate::player`]. Components:
//! - [`drop_zone::DropZone`]: drag-and-drop target and file picker.
//! - [`status::StatusLine`]: analysis progress or the last file's error.
//! - [`results::Results`]: file facts, notices and the sections below.
//! - [`measurements::Measurements`]: the four loudness meters.
//! - [`overview::Overview`]: [`streaming::StreamingTable`] (what each
//!   platform's normalisation does, mix → master) beside
//!   [`systems::SystemsGrid`] (holds/breaks per playback system, the reason
//!   on hover or focus).
//! - [`player_bar::PlayerBar`]: Play/Pause, position, Before/After at
//!   matched loudness, the playback system listened through, the risk looped
//!   by "Hear it" (solo its band), and what the worklet reports it plays.
//! - [`shortcuts`]: the keyboard shortcuts and their help dialog.
//! - [`embed`]: embed mode (compact layout, accent, the studio's call to
//!   action, messages to and from the host page).
//! - [`share`]: "Copy share link", the summary of an opened link while it
//!   waits for its file, and one line about either.
//! - [`timeline::TimelinePlot`]: short-term loudness over time with the risks'
//!   ranges and the playhead; click to seek.
//! - [`risks::RiskList`] / [`risks::RiskCard`]: what breaks first, with the
//!   band, "Hear it", and the time ranges as chips that play from there.
//! - [`spectrum::SpectrumPlot`]: the ⅓-octave spectrum against what fits.
//! - [`plot_parts`]: the grid and legend the plots share.
//! - [`master_panel::MasterPanel`]: intent controls and mastering progress.
//! - [`master_result::MasterResult`]: before/after, the moves, the download.

pub mod browser;
pub mod drop_zone;
pub mod embed;
pub mod master_panel;
pub mod master_result;
pub mod measurements;
pub mod overview;
pub mod player_bar;
pub mod plot_parts;
pub mod requests;
pub mod results;
pub mod risks;
pub mod share;
pub mod shortcuts;
pub mod spectrum;
pub mod status;
pub mod store;
pub mod streaming;
pub mod systems;
pub mod timeline;
pub mod worker_events;

use leptos::prelude::*;

use crate::model::Phase;
use crate::{offline, player, worker_client};
use drop_zone::DropZone;
use results::Results;
use status::StatusLine;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let store = store::provide_store();
    worker_client::start(move |data| worker_events::handle(store, data));
    if browser::hooks_enabled() {
        player::install_test_hook();
    }
    shortcuts::install(store);
    share::open_from_location();
    embed::start(store);
    offline::preload_worklet();
    offline::register(move || {
        store.report.with_untracked(Option::is_none)
            && !store
                .phase
                .with_untracked(|p| matches!(p, Phase::Working { .. }))
    });
    let busy = Signal::derive(move || store.phase.with(|p| matches!(p, Phase::Working { .. })));

    view! {
        <header class="top">
            <h1>"Preflight"</h1>
            <embed::EmbedBar />
            <p class="tagline">"See what breaks in your track — before your audience hears it. Nothing leaves your computer."</p>
        </header>
        <main>
            <share::ShareNote />
            <share::SharedPreview />
            <DropZone on_file=move |f| requests::analyze_file(store, f) busy=busy />
            <p class="demo-line">
                <button id="demo" class="secondary" disabled=move || busy.get() on:click=move |_| requests::demo(store)>"Try a demo mix"</button>
                " No file at hand? A 24-second song made in your browser, with problems to find: a harsh, sibilant chorus and a booming bass note."
            </p>
            <StatusLine phase=store.phase />
            {move || store.report.get().map(|r| view! { <Results report=r /> })}
        </main>
        <shortcuts::ShortcutHelp />
        <footer>"Analysis runs in Web Workers on your machine (nothing is uploaded); playback runs the same engine in an AudioWorklet."</footer>
    }
}
