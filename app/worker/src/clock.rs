//! Progress reporting with stage timing: a callback for the engine's
//! progress that posts whole percents and records how long each stage took
//! (for `tests/bench/browser_timing.mjs`).

use app::protocol::object;
use wasm_bindgen::JsValue;

use crate::wire::post_progress;

/// A progress callback that posts whole percents within `[from, to]` and
/// records how long each stage took.
pub struct StageClock {
    id: f64,
    from: f64,
    to: f64,
    last_percent: f64,
    stages: Vec<(&'static str, f64)>,
    stage_start: f64,
}

impl StageClock {
    /// A clock for job `id` whose progress spans `from..to` (fractions of the whole).
    pub fn new(id: f64, from: f64, to: f64) -> Self {
        Self {
            id,
            from,
            to,
            last_percent: -1.0,
            stages: Vec::new(),
            stage_start: js_sys::Date::now(),
        }
    }

    /// Reports progress in `stage` (a stage name of the analysis or of
    /// mastering) and times the stages.
    pub fn tick(&mut self, stage: &'static str, fraction: f64) {
        if self.stages.last().map(|s| s.0) != Some(stage) {
            self.close();
            self.stage_start = js_sys::Date::now();
            self.stages.push((stage, 0.0));
        }
        let p = (100.0 * (self.from + (self.to - self.from) * fraction)).floor();
        if p > self.last_percent {
            self.last_percent = p;
            post_progress(self.id, stage, p / 100.0);
        }
    }

    /// Ends the running stage (once: a clock closed while its job waits
    /// for the helper does not count the wait).
    pub fn close(&mut self) {
        let now = js_sys::Date::now();
        if let Some(last) = self
            .stages
            .last_mut()
            .filter(|_| self.stage_start.is_finite())
        {
            last.1 = now - self.stage_start;
        }
        self.stage_start = f64::NAN;
    }

    /// Milliseconds per stage, as a JS object `{stage: ms}`.
    pub fn to_js(&self) -> JsValue {
        object(
            &self
                .stages
                .iter()
                .map(|&(k, v)| (k, v.into()))
                .collect::<Vec<_>>(),
        )
        .into()
    }
}
