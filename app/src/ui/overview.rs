//! The overview under the figures: what streaming normalisation and other
//! playback systems do to the mix (and to the master, once there is one).

use dsp_wasm::report::{PlatformInfo, TranslationInfo};
use leptos::prelude::*;

use super::streaming::StreamingTable;
use super::systems::SystemsGrid;

/// The streaming table beside the playback-systems grid.
#[component]
pub fn Overview(
    /// The input's `platforms` table.
    platforms: Vec<PlatformInfo>,
    /// The input's `translation` verdicts.
    translation: Vec<TranslationInfo>,
    /// Whether the input has a loudness to measure (not silent, not under
    /// 400 ms).
    measurable: bool,
) -> impl IntoView {
    view! {
        <section class="overview" aria-label="Streaming and playback systems">
            <StreamingTable platforms=platforms />
            <SystemsGrid translation=translation measurable=measurable />
        </section>
    }
}
