//! The results of an analysed file: its facts, measurements, notices, the
//! player, the risks and the master panel.

use dsp_wasm::report::Report;
use leptos::prelude::*;

use super::master_panel::MasterPanel;
use super::measurements::Measurements;
use super::overview::Overview;
use super::player_bar::PlayerBar;
use super::risks::RiskList;
use super::share::ShareBox;
use super::spectrum::SpectrumPlot;
use super::store::use_store;
use super::timeline::TimelinePlot;
use crate::fmt;
use crate::model::Phase;

/// Facts, figures, the overview, the player and timeline, the risks, the
/// spectrum and mastering, for an analysed file.
#[component]
pub fn Results(
    /// The analysis of the current file.
    report: Report,
) -> impl IntoView {
    let i = report.input.clone();
    let notices = report.notices.clone();
    let timeline = report.timeline.clone();
    let duration_s = i.duration_s;
    let risks = report.risks.clone();
    // Silent, or under the 400 ms BS.1770 needs: nothing to judge or play.
    let measurable = report.loudness.integrated_lufs.is_some();
    let store = use_store();
    // A new file is being analysed: this result stays, dimmed and inert,
    // until its report replaces it (or comes back if it fails).
    let stale = move || store.phase.with(|p| matches!(p, Phase::Working { .. }));
    view! {
        <section class="results" class:stale=stale inert=stale aria-busy=move || stale().to_string()>
            <div class="file-facts">
                <h2 id="file-name">{i.name.clone()}</h2>
                <p class="facts">
                    <span id="duration">{fmt::duration(i.duration_s)}</span>" · "
                    <span id="sample-rate">{fmt::rate(i.sample_rate)}</span>" · "
                    <span id="channels">{fmt::channels(i.channels)}</span>" · "
                    <span>{i.format.to_uppercase()}</span>
                    {i.bit_depth.map(|b| format!(" · {b}-bit"))}
                </p>
            </div>
            <Measurements loudness=report.loudness.clone() />
            {(!notices.is_empty()).then(|| view! {
                <ul class="notices">{notices.into_iter().map(|n| view! { <li>{fmt::prose(&n)}</li> }).collect_view()}</ul>
            })}
            <Overview platforms=report.platforms translation=report.translation measurable=measurable />
            <PlayerBar />
            {timeline.map(|t| view! { <TimelinePlot timeline=t duration_s=duration_s risks=risks.clone() /> })}
            <RiskList risks=risks measurable=measurable />
            <SpectrumPlot spectrum=report.spectrum loudness_lufs=report.loudness.integrated_lufs />
            <MasterPanel />
            <ShareBox />
        </section>
    }
}
