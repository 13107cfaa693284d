//! The spectrum: the ⅓-octave long-term spectrum of the mix and of the
//! master (level-matched to the mix, so only the balance differs) against
//! the balance that fits this material, drawn as a range around its line.

use dsp_wasm::report::SpectrumInfo;
use leptos::prelude::*;

use super::plot_parts::{Grid, Legend, LegendItem};
use super::store::use_store;
use crate::plot::{self, Frame, Scale};

/// Half-width of the target range, dB: where the spectral detectors begin to
/// flag a region (excess of 2.5–3 dB, `dsp_wasm::risks::spectral`).
const TARGET_RANGE_DB: f64 = 3.0;
/// The frequency axis, Hz.
const F_LO: f64 = 20.0;
const F_HI: f64 = 20_000.0;
/// Vertical grid lines, Hz; the labelled ones.
const F_GRID: [f64; 10] = [20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 2e4];
const F_LABELS: [f64; 3] = [100.0, 1e3, 1e4];

const FRAME: Frame = Frame {
    width: 800.0,
    height: 300.0,
    left: 60.0,
    right: 14.0,
    top: 34.0,
    bottom: 36.0,
};

/// Mix, master and the target range over log frequency.
#[component]
pub fn SpectrumPlot(
    /// The input's long-term spectrum and target.
    spectrum: SpectrumInfo,
    /// The input's integrated loudness (the master is matched to it).
    loudness_lufs: Option<f64>,
) -> impl IntoView {
    let store = use_store();
    let x = Scale::log((F_LO, F_HI), (FRAME.x0(), FRAME.x1()));
    let xs: Vec<f64> = spectrum.bands_hz.iter().map(|f| x.at(*f)).collect();
    let master = Memo::new(move |_| {
        store.master.with(|m| {
            m.as_ref().map(|m| {
                let a = &m.after;
                plot::level_matched(
                    &a.spectrum.level_db,
                    loudness_lufs,
                    a.loudness.integrated_lufs,
                )
            })
        })
    });
    let input = StoredValue::new((xs, spectrum));
    let y = Memo::new(move |_| {
        input.with_value(|(_, s)| {
            let range = s
                .target_db
                .iter()
                .flat_map(|t| [t + TARGET_RANGE_DB, t - TARGET_RANGE_DB]);
            let values = s.level_db.iter().copied().chain(range);
            let all: Vec<f64> = values.chain(master.get().unwrap_or_default()).collect();
            let (lo, hi) =
                plot::db_domain(all, -119.9, 3.0, 6.0, (30.0, 60.0)).unwrap_or((-60.0, 0.0));
            Scale::linear((lo, hi), (FRAME.y1(), FRAME.y0()))
        })
    });
    let curve = move |levels: &[f64]| {
        let y = y.get();
        input.with_value(|(xs, _)| {
            plot::line_path(xs.iter().zip(levels).map(|(px, v)| (*px, y.at_clamped(*v))))
        })
    };
    let target_band = move || {
        let y = y.get();
        input.with_value(|(xs, s)| {
            let at = |d: f64| {
                s.target_db
                    .iter()
                    .map(|t| y.at_clamped(t + d))
                    .collect::<Vec<_>>()
            };
            plot::band_path(xs, &at(TARGET_RANGE_DB), &at(-TARGET_RANGE_DB))
        })
    };
    let target_line = move || input.with_value(|(_, s)| curve(&s.target_db));
    let legend = Signal::derive(move || legend(master.with(Option::is_some)));
    view! {
        <figure class="plot spectrum" id="spectrum">
            <figcaption><h3>"Tonal balance"</h3><Legend items=legend /></figcaption>
            <svg viewBox=FRAME.view_box() width="100%" role="img" aria-labelledby="spectrum-title spectrum-desc">
                <title id="spectrum-title">"Long-term spectrum in ⅓-octave bands"</title>
                <desc id="spectrum-desc">"Your mix and the master against the range of balance that fits this material, from 20 Hz to 20 kHz."</desc>
                {move || view! { <FrequencyGrid x=x y=y.get() /> }}
                <path class="target-range" d=target_band />
                <path class="target" d=target_line />
                <path class="curve mix" d=move || input.with_value(|(_, s)| curve(&s.level_db)) />
                {move || master.get().map(|m| view! { <path class="curve mastered" d=curve(&m) /> })}
                <text class="unit" x=FRAME.x1() y=FRAME.height - 8.0 text-anchor="end">"Hz"</text>
            </svg>
        </figure>
    }
}

/// The legend's entries.
fn legend(mastered: bool) -> Vec<LegendItem> {
    let mut items = vec![("mix", "Your mix".to_string())];
    if mastered {
        items.push(("mastered", "Master (level-matched)".to_string()));
    }
    items.push((
        "target-range",
        format!("What fits this material (±{TARGET_RANGE_DB:.0} dB)"),
    ));
    items
}

/// The grid: decades and their halves, 100 / 1k / 10k labelled; dB on the left.
#[component]
fn FrequencyGrid(x: Scale, y: Scale) -> impl IntoView {
    let x_ticks = F_GRID
        .iter()
        .map(|&f| (f, F_LABELS.contains(&f).then(|| plot::freq_label(f))))
        .collect();
    let (lo, hi) = y.domain();
    let step = if hi - lo > 36.0 { 12.0 } else { 6.0 };
    view! { <Grid frame=FRAME x=x y=y x_ticks=x_ticks y_ticks=plot::ticks(lo, hi, step) y_unit="dB" /> }
}
