//! The timeline: the mix's waveform envelope (its sample peaks, behind the
//! curves), short-term loudness over time for the mix and the master, the
//! loudness target, each risk's time ranges and the playhead. Local risk
//! ranges are shaded in the plot; every risk with ranges also gets a lane
//! under it (in the order of the risk cards). Click, or use the arrow keys,
//! to seek.

use dsp_wasm::report::{Level, Risk, Timeline};
use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::plot_parts::{Grid, Legend, LegendItem};
use super::store::{use_store, Store};
use crate::fmt;
use crate::model::PREVIEW_LUFS;
use crate::plot::{self, Frame, Scale};

/// Height of a risk lane and the gap under it, user units.
const LANE_H: f64 = 7.0;
const LANE_GAP: f64 = 3.0;
/// Room under the lanes for the time labels, user units.
const AXIS_H: f64 = 36.0;
/// Points drawn per curve at most (about one per user unit).
const MAX_POINTS: usize = 800;
/// Ranges of major risks shorter than this share of the track are shaded in
/// the plot (longer ones would tint all of it; every range has its lane).
const LOCAL_SHARE: f64 = 0.5;
/// Arrow keys move the playhead by this much, seconds.
const KEY_STEP_S: f64 = 5.0;

/// The plot's box for `lanes` risk lanes.
fn frame(lanes: usize) -> Frame {
    let lanes_h = if lanes == 0 {
        0.0
    } else {
        6.0 + lanes as f64 * (LANE_H + LANE_GAP)
    };
    Frame {
        width: 800.0,
        height: 34.0 + 190.0 + lanes_h + AXIS_H,
        left: 60.0,
        right: 14.0,
        top: 34.0,
        bottom: lanes_h + AXIS_H,
    }
}

/// The LUFS scale for the curves shown and the target.
fn loudness_scale(frame: &Frame, series: &[&[f64]], target: f64) -> Scale {
    let values = series
        .iter()
        .flat_map(|s| s.iter().copied())
        .chain([target]);
    let (lo, hi) = plot::db_domain(values, -69.9, 2.0, 6.0, (18.0, 42.0)).unwrap_or((-30.0, 0.0));
    Scale::linear((lo, hi), (frame.y1(), frame.y0()))
}

/// Short-term loudness of the mix (and master) over time, risk ranges, target.
#[component]
pub fn TimelinePlot(
    /// The input's short-term loudness series.
    timeline: Timeline,
    /// The input's duration, seconds.
    duration_s: f64,
    /// The input's risks, in card order.
    risks: Vec<Risk>,
) -> impl IntoView {
    let store = use_store();
    let lanes: Vec<Risk> = risks
        .into_iter()
        .filter(|r| !r.time_ranges_s.is_empty())
        .collect();
    let frame = frame(lanes.len());
    let x = Scale::linear((0.0, duration_s.max(0.1)), (frame.x0(), frame.x1()));
    let master = Memo::new(move |_| {
        store.master.with(|m| {
            m.as_ref()
                .map(|m| (m.after.timeline.clone(), m.intent.target_lufs))
        })
    });
    let target =
        Signal::derive(move || master.with(|m| m.as_ref().map_or(PREVIEW_LUFS, |(_, t)| *t)));
    let input = StoredValue::new(timeline);
    let y = Memo::new(move |_| {
        master.with(|m| {
            input.with_value(|i| {
                let mut series = vec![i.short_term_lufs.as_slice()];
                series.extend(
                    m.as_ref()
                        .and_then(|(t, _)| t.as_ref())
                        .map(|t| t.short_term_lufs.as_slice()),
                );
                loudness_scale(&frame, &series, target.get())
            })
        })
    });
    let curve = move |t: &Timeline| {
        plot::series_path(&t.short_term_lufs, t.step_s, &x, &y.get(), MAX_POINTS)
    };
    let master_curve = move || master.with(|m| m.as_ref().and_then(|(t, _)| t.as_ref().map(curve)));
    let has_envelope = input.with_value(|t| !t.peak_dbfs.is_empty());
    let legend =
        Signal::derive(move || legend(master.with(Option::is_some), target.get(), has_envelope));
    let head_x = move || x.at_clamped(store.position_s.get());
    view! {
        <figure class="plot timeline" id="timeline">
            <figcaption><h3>"Loudness over time"</h3><Legend items=legend /></figcaption>
            <svg viewBox=frame.view_box() width="100%" tabindex="0" role="slider"
                aria-label="Timeline: the mix's waveform and short-term loudness over time with each risk's time ranges; click or use the arrow keys to seek"
                aria-valuemin="0" aria-valuemax=format!("{duration_s:.1}")
                aria-valuenow=move || format!("{:.1}", store.position_s.get())
                aria-valuetext=move || format!("{} of {}", fmt::duration(store.position_s.get()), fmt::duration(duration_s))
                on:click=move |ev: MouseEvent| seek_to_click(store, &ev, &frame, &x)
                on:keydown=move |ev: KeyboardEvent| seek_by_key(store, &ev, duration_s)>
                {move || view! { <TimeGrid frame=frame x=x y=y.get() duration_s=duration_s /> }}
                <path class="envelope" d=input.with_value(|t| envelope(t, &frame, &x)) />
                <LocalSpans risks=lanes.clone() frame=frame x=x duration_s=duration_s />
                <line class="target" x1=frame.x0() x2=frame.x1()
                    y1=move || y.get().at(target.get()) y2=move || y.get().at(target.get()) />
                <path class="curve mix" d=move || input.with_value(curve) />
                {move || master_curve().map(|d| view! { <path class="curve mastered" d=d /> })}
                <RiskLanes risks=lanes frame=frame x=x />
                {move || store.hearing.get().and_then(|h| h.range_s.map(|r| (r, h.title))).map(|([a, b], title)| {
                    let (xa, xb) = (x.at_clamped(a), x.at_clamped(b));
                    view! {
                        <rect class="loop" x=xa y=frame.y0() - 6.0 width=(xb - xa).max(1.0) height=4.0>
                            <title>{format!("Looping {} – {}: {}", fmt::duration(a), fmt::duration(b), title)}</title>
                        </rect>
                    }
                })}
                <line class="playhead" y1=frame.y0() - 6.0 y2=frame.height - AXIS_H x1=head_x x2=head_x />
            </svg>
            <p class="hint">"Shaded: where major risks live. Lanes: every risk, in the order of the cards below (hover a span for its name). Click or use the arrow keys to seek."</p>
        </figure>
    }
}

/// The mix's waveform envelope across the plot's height (full scale at
/// its edges), centred on its middle.
fn envelope(t: &Timeline, frame: &Frame, x: &Scale) -> String {
    let (top, bottom) = (frame.y0(), frame.y1());
    let half = (bottom - top) / 2.0;
    plot::envelope_path(&t.peak_dbfs, t.step_s, x, top + half, half, MAX_POINTS)
}

/// The legend's entries.
fn legend(mastered: bool, target: f64, envelope: bool) -> Vec<LegendItem> {
    let mut items = Vec::new();
    if envelope {
        items.push(("envelope", "Peaks of your mix".to_string()));
    }
    items.push(("mix", "Your mix".to_string()));
    if mastered {
        items.push(("mastered", "Master".to_string()));
    }
    let decimals = if target.fract() == 0.0 { 0 } else { 1 };
    items.push((
        "target",
        format!("Target {} LUFS", fmt::minus(target, decimals)),
    ));
    items.push(("major", "Major risk".to_string()));
    items.push(("minor", "Minor risk".to_string()));
    items.push(("info", "Info".to_string()));
    items
}

/// The grid: m:ss under the lanes, LUFS on the left.
#[component]
fn TimeGrid(frame: Frame, x: Scale, y: Scale, duration_s: f64) -> impl IntoView {
    let step = plot::time_step(duration_s, 8);
    let x_ticks = plot::ticks(0.0, duration_s, step)
        .into_iter()
        .map(|t| (t, Some(fmt::duration(t))))
        .collect();
    let (lo, hi) = y.domain();
    view! { <Grid frame=frame x=x y=y x_ticks=x_ticks y_ticks=plot::ticks(lo, hi, 6.0) y_unit="LUFS" /> }
}

/// Shaded spans in the plot for the local ranges of major risks.
#[component]
fn LocalSpans(risks: Vec<Risk>, frame: Frame, x: Scale, duration_s: f64) -> impl IntoView {
    let spans: Vec<_> = risks
        .iter()
        .filter(|r| r.level == Level::Major)
        .flat_map(|r| {
            let local = r
                .time_ranges_s
                .iter()
                .filter(|[a, b]| b - a < LOCAL_SHARE * duration_s);
            local.map(|&[a, b]| {
                (
                    r.level.word(),
                    format!("{}: {}", r.title, fmt::time_range(a, b)),
                    a,
                    b,
                )
            })
        })
        .collect();
    view! {
        <g class="spans">
            {spans.into_iter().map(|(level, title, a, b)| {
                let (px, w) = plot::span_rect(&x, a, b, 2.0);
                view! { <rect class=format!("span {level}") x=px y=frame.y0() width=w height=frame.y1() - frame.y0()><title>{title}</title></rect> }
            }).collect_view()}
        </g>
    }
}

/// One lane per risk under the plot, its ranges coloured by level.
#[component]
fn RiskLanes(risks: Vec<Risk>, frame: Frame, x: Scale) -> impl IntoView {
    let top = frame.y1() + 6.0;
    view! {
        <g class="lanes">
            {risks.into_iter().enumerate().map(|(i, r)| {
                let y = top + i as f64 * (LANE_H + LANE_GAP);
                let spans = r.time_ranges_s.iter().map(|&[a, b]| {
                    let (px, w) = plot::span_rect(&x, a, b, 2.0);
                    let title = format!("{}: {}", r.title, fmt::time_range(a, b));
                    view! { <rect class="lane-span" x=px y=y width=w height=LANE_H><title>{title}</title></rect> }
                }).collect_view();
                view! {
                    <g class=format!("lane {}", r.level.word()) data-lane=r.id.clone()>
                        <rect class="lane-track" x=frame.x0() y=y width=frame.x1() - frame.x0() height=LANE_H />
                        {spans}
                    </g>
                }
            }).collect_view()}
        </g>
    }
}

/// Seeks to the time under a click on the plot.
fn seek_to_click(store: Store, ev: &MouseEvent, frame: &Frame, x: &Scale) {
    let Some(el) = ev
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let rect = el.get_bounding_client_rect();
    if rect.width() > 0.0 {
        let fraction = (f64::from(ev.client_x()) - rect.left()) / rect.width();
        store.seek(plot::value_at_fraction(frame, x, fraction));
    }
}

/// Arrow keys move the playhead, Home and End jump to the ends.
fn seek_by_key(store: Store, ev: &KeyboardEvent, duration_s: f64) {
    let now = store.position_s.get_untracked();
    let to = match ev.key().as_str() {
        "ArrowLeft" | "ArrowDown" => now - KEY_STEP_S,
        "ArrowRight" | "ArrowUp" => now + KEY_STEP_S,
        "Home" => 0.0,
        "End" => duration_s,
        _ => return,
    };
    ev.prevent_default();
    store.seek(to);
}
