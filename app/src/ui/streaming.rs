//! The streaming table: per platform, the gain its loudness normalisation
//! applies and where the true peaks then sit, for the mix and (after an
//! arrow) the master.

use dsp_wasm::report::PlatformInfo;
use leptos::prelude::*;

use super::store::use_store;
use crate::fmt;
use crate::overview::{self, PlatformRow};

/// One sentence for the first platform, then the table.
#[component]
pub fn StreamingTable(
    /// The input's `platforms` table.
    platforms: Vec<PlatformInfo>,
) -> impl IntoView {
    let store = use_store();
    let rows = Memo::new(move |_| {
        let after = store
            .master
            .with(|m| m.as_ref().map(|m| m.after.platforms.clone()));
        overview::platform_rows(&platforms, after.as_deref())
    });
    let mastered = move || rows.with(|r| r.iter().any(|r| r.after.is_some()));
    let hot = move || {
        rows.with(|r| {
            r.iter()
                .any(|r| r.before.hot() || r.after.is_some_and(|a| a.hot()))
        })
    };
    view! {
        <div class="streaming">
            <h3 id="streaming-title">"After streaming normalisation"</h3>
            <p class="lead" id="streaming-lead">{move || rows.with(|r| overview::streaming_lead(r))}</p>
            <table id="streaming" class="streaming-table" aria-labelledby="streaming-title">
                {move || mastered().then(|| view! { <caption>"Mix → master"</caption> })}
                <thead>
                    <tr>
                        <th scope="col">"Platform"</th>
                        <th scope="col" class="num">"Plays at"<small>"LUFS"</small></th>
                        <th scope="col" class="num">"Gain"<small>"dB"</small></th>
                        <th scope="col" class="num">"Peaks then"<small>"dBTP"</small></th>
                    </tr>
                </thead>
                <tbody>
                    {move || rows.get().into_iter().map(|row| view! { <Row row=row /> }).collect_view()}
                </tbody>
            </table>
            {move || hot().then(|| view! {
                <p class="note"><span class="hot">"Red"</span>" peaks sit over −1 dBTP after the platform's gain: its lossy encode may clip them."</p>
            })}
        </div>
    }
}

/// One platform's row (its sentence as the row's tooltip).
#[component]
fn Row(
    /// What the platform does to the mix and the master.
    row: PlatformRow,
) -> impl IntoView {
    let sentence = overview::platform_sentence(&row.name, "this", &row.before);
    let gain = overview::before_after(row.before.gain_db, row.after.map(|a| a.gain_db), true);
    let peak = overview::before_after(row.before.peak_dbtp, row.after.map(|a| a.peak_dbtp), false);
    let hot = row.after.map_or(row.before.hot(), |a| a.hot());
    let name = row.name.clone();
    view! {
        <tr data-platform=name title=sentence>
            <th scope="row">{row.name}</th>
            <td class="num muted">{fmt::minus(row.reference_lufs, 0)}</td>
            <td class="num">{gain}</td>
            <td class="num" class:hot=hot>{peak}</td>
        </tr>
    }
}
