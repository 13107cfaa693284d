//! What the Worker keeps between messages: the last decoded file, the last
//! master (its samples, and its decisions for rescaling), the reference
//! track, and how long the start-up warm-up took.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use dsp_wasm::audio::{AudioBuffer, Stored};
use dsp_wasm::chain::Chain;
use dsp_wasm::io::wav::SampleFormat;
use dsp_wasm::master::MasterOptions;
use dsp_wasm::measure::Measurements;
use dsp_wasm::report::MasterReport;

/// The last master as decided: what a `rescale` scales.
pub struct Decided {
    pub options: MasterOptions,
    pub report: MasterReport,
    /// Its corrective moves (before loudness), one amount each.
    pub corrections: Chain,
}

/// The last decoded file, kept for renders and masters of it (as the
/// integers of its 16- or 24-bit source when it is one: half or three
/// quarters of the memory, given back as the same samples).
pub struct Current {
    pub audio: Stored,
    pub name: String,
    pub format: String,
    pub bit_depth: Option<u32>,
    /// What the report was made from: a master with the same analysis
    /// options starts from it instead of measuring the file again
    /// ([`dsp_wasm::master::master_analysed`]).
    pub measurements: Measurements,
}

/// The reference track the masters match (kept across files).
pub struct Reference {
    pub name: String,
    pub audio: AudioBuffer,
}

/// Lets the last master's samples go. Called before new ones are made
/// (wasm memory never shrinks: holding them would add a whole track to the
/// peak) and when another file arrives.
pub fn forget_master() {
    MASTERED.with(|m| *m.borrow_mut() = None);
}

thread_local! {
    /// How long the start-up warm-up took (reported with the first timings).
    pub static WARM_UP_MS: Cell<f64> = const { Cell::new(0.0) };
    pub static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
    /// The last master's delivered samples (already on the output grid) and
    /// format; shared, not copied, with a codec check running on them.
    pub static MASTERED: RefCell<Option<(Rc<AudioBuffer>, SampleFormat)>> = const { RefCell::new(None) };
    pub static DECIDED: RefCell<Option<Decided>> = const { RefCell::new(None) };
    pub static REFERENCE: RefCell<Option<Reference>> = const { RefCell::new(None) };
}
