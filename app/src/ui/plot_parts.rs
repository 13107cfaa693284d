//! The parts the report's plots share: the grid with its axis labels, and
//! the legend above a plot. Geometry comes from [`crate::plot`]; colours are
//! CSS classes (public/styles.css), so the plots follow the page's palette.

use leptos::prelude::*;

use crate::fmt;
use crate::plot::{Frame, Scale};

/// Horizontal grid lines with dB labels on the left, vertical grid lines
/// with their labels under the data area, and the y unit above the labels
/// (in the top margin, clear of the top label).
#[component]
pub fn Grid(
    /// The plot's box.
    frame: Frame,
    /// The x scale (time or frequency).
    x: Scale,
    /// The y scale (dB).
    y: Scale,
    /// Vertical lines: position, and the label under it (if any).
    x_ticks: Vec<(f64, Option<String>)>,
    /// Horizontal lines at these dB values, each labelled.
    y_ticks: Vec<f64>,
    /// The y unit, written above the labels ("LUFS", "dB").
    y_unit: &'static str,
) -> impl IntoView {
    let label_y = frame.height - 8.0;
    view! {
        <g class="grid" aria-hidden="true">
            {y_ticks.into_iter().map(|v| {
                let py = y.at(v);
                view! {
                    <line x1=frame.x0() x2=frame.x1() y1=py y2=py />
                    <text class="tick" x=frame.x0() - 8.0 y=py dominant-baseline="middle" text-anchor="end">{fmt::minus(v, 0)}</text>
                }
            }).collect_view()}
            {x_ticks.into_iter().map(|(v, label)| {
                let px = x.at(v);
                // A label at the right edge ends there (it would be cut off).
                let anchor = if px >= frame.x1() - 0.5 { "end" } else { "middle" };
                view! {
                    <line x1=px x2=px y1=frame.y0() y2=frame.y1() />
                    {label.map(|l| view! { <text class="tick" x=px y=label_y text-anchor=anchor>{l}</text> })}
                }
            }).collect_view()}
            <text class="unit" x=frame.x0() - 8.0 y=frame.y0() - 14.0 text-anchor="end">{y_unit}</text>
        </g>
    }
}

/// One legend entry: the CSS class of its swatch and its words.
pub type LegendItem = (&'static str, String);

/// The legend: a swatch per curve or area, in the plot's colours.
#[component]
pub fn Legend(
    /// The entries, in order.
    items: Signal<Vec<LegendItem>>,
) -> impl IntoView {
    view! {
        <ul class="legend">
            {move || items.get().into_iter().map(|(class, words)| view! {
                <li><span class=format!("swatch {class}") aria-hidden="true"></span>{words}</li>
            }).collect_view()}
        </ul>
    }
}
