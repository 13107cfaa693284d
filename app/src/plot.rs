//! Plot geometry, pure: the frame of a plot, scales from data to SVG user
//! units and back, tick positions and SVG path data. The timeline and
//! spectrum components (`ui::timeline`, `ui::spectrum`) draw with these;
//! nothing here touches the browser, so it is unit-tested natively.

/// A plot's box in SVG user units (its `viewBox`) and the margins around the
/// inner area where data is drawn (axis labels live in the margins).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    /// Left edge of the data area.
    pub fn x0(&self) -> f64 {
        self.left
    }
    /// Right edge of the data area.
    pub fn x1(&self) -> f64 {
        self.width - self.right
    }
    /// Top edge of the data area.
    pub fn y0(&self) -> f64 {
        self.top
    }
    /// Bottom edge of the data area.
    pub fn y1(&self) -> f64 {
        self.height - self.bottom
    }
    /// The `viewBox` attribute.
    pub fn view_box(&self) -> String {
        format!("0 0 {} {}", self.width, self.height)
    }
}

/// A map from a data interval to a pixel interval, linear or logarithmic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
    log: bool,
}

impl Scale {
    /// `domain.0 → range.0`, `domain.1 → range.1`, linear in between.
    pub fn linear(domain: (f64, f64), range: (f64, f64)) -> Self {
        Self {
            d0: domain.0,
            d1: domain.1,
            r0: range.0,
            r1: range.1,
            log: false,
        }
    }

    /// Linear in `log10` of the value (both domain ends must be positive).
    pub fn log(domain: (f64, f64), range: (f64, f64)) -> Self {
        Self {
            d0: domain.0.log10(),
            d1: domain.1.log10(),
            r0: range.0,
            r1: range.1,
            log: true,
        }
    }

    /// The data interval.
    pub fn domain(&self) -> (f64, f64) {
        if self.log {
            (10f64.powf(self.d0), 10f64.powf(self.d1))
        } else {
            (self.d0, self.d1)
        }
    }

    /// The pixel interval, lower end first.
    pub fn range(&self) -> (f64, f64) {
        (self.r0.min(self.r1), self.r0.max(self.r1))
    }

    /// Pixel position of `v` (not clamped).
    pub fn at(&self, v: f64) -> f64 {
        let v = if self.log { v.log10() } else { v };
        let span = self.d1 - self.d0;
        if span == 0.0 {
            return self.r0;
        }
        self.r0 + (v - self.d0) / span * (self.r1 - self.r0)
    }

    /// Pixel position of `v`, held inside the range.
    pub fn at_clamped(&self, v: f64) -> f64 {
        let (lo, hi) = self.range();
        self.at(v).clamp(lo, hi)
    }

    /// The value at pixel `px` (clamped to the domain).
    pub fn invert(&self, px: f64) -> f64 {
        let span = self.r1 - self.r0;
        let t = if span == 0.0 {
            0.0
        } else {
            ((px - self.r0) / span).clamp(0.0, 1.0)
        };
        let v = self.d0 + t * (self.d1 - self.d0);
        if self.log {
            10f64.powf(v)
        } else {
            v
        }
    }
}

/// SVG path data `M x y L x y …` through the points (one decimal); a
/// non-finite point breaks the line, the next finite one starts a new one.
pub fn line_path(points: impl IntoIterator<Item = (f64, f64)>) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (x, y) in points {
        if !(x.is_finite() && y.is_finite()) {
            pen_down = false;
            continue;
        }
        let cmd = if pen_down { 'L' } else { 'M' };
        if !d.is_empty() {
            d.push(' ');
        }
        d.push_str(&format!("{cmd}{x:.1} {y:.1}"));
        pen_down = true;
    }
    d
}

/// SVG path data of the closed area between two curves over the same x
/// positions: along `upper` left to right, back along `lower`.
pub fn band_path(xs: &[f64], upper: &[f64], lower: &[f64]) -> String {
    let n = xs.len().min(upper.len()).min(lower.len());
    if n == 0 {
        return String::new();
    }
    let forward = (0..n).map(|i| (xs[i], upper[i]));
    let back = (0..n).rev().map(|i| (xs[i], lower[i]));
    let mut d = line_path(forward.chain(back));
    d.push_str(" Z");
    d
}

/// Path of a series sampled every `step_s` seconds, point `i` drawn at
/// `(i + 1) × step_s` (the end of the window it measures, where a meter
/// shows it), thinned to at most `max_points`; values are held inside the
/// y range (silence lies on the bottom edge).
pub fn series_path(values: &[f64], step_s: f64, x: &Scale, y: &Scale, max_points: usize) -> String {
    let k = stride(values.len(), max_points);
    line_path(
        values
            .iter()
            .enumerate()
            .step_by(k)
            .map(|(i, v)| (x.at((i + 1) as f64 * step_s), y.at_clamped(*v))),
    )
}

/// A waveform overview: a closed path around the envelope of `peaks_db`
/// (one sample peak, dBFS, per `step_s`, point `i` over `[i, i + 1) ×
/// step_s`), drawn as a linear amplitude above and below `mid`, full scale
/// `half` user units away; thinned to at most `max_points` points per edge,
/// each the largest peak of the steps it stands for (so no peak is lost).
pub fn envelope_path(
    peaks_db: &[f64],
    step_s: f64,
    x: &Scale,
    mid: f64,
    half: f64,
    max_points: usize,
) -> String {
    if peaks_db.is_empty() {
        return String::new();
    }
    let k = stride(peaks_db.len(), max_points);
    let top: Vec<(f64, f64)> = peaks_db
        .chunks(k)
        .enumerate()
        .map(|(g, c)| {
            let db = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let amp = if db.is_finite() {
                10f64.powf(db / 20.0).min(1.0)
            } else {
                0.0
            };
            // The centre of the steps the point stands for.
            let t = (g * k) as f64 * step_s + c.len() as f64 * step_s / 2.0;
            (x.at(t), amp * half)
        })
        .collect();
    let mut d = line_path(
        top.iter()
            .map(|&(px, a)| (px, mid - a))
            .chain(top.iter().rev().map(|&(px, a)| (px, mid + a))),
    );
    d.push_str(" Z");
    d
}

/// `levels` moved by the loudness difference `from_lufs − to_lufs`, so a
/// louder version's curve is compared at the same loudness (unchanged when
/// either is undefined).
pub fn level_matched(levels: &[f64], to_lufs: Option<f64>, from_lufs: Option<f64>) -> Vec<f64> {
    let shift = to_lufs.zip(from_lufs).map_or(0.0, |(to, from)| to - from);
    levels.iter().map(|v| v + shift).collect()
}

/// Multiples of `step` inside `[lo, hi]` (with a little tolerance at the ends).
pub fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    if !(step > 0.0 && lo.is_finite() && hi.is_finite()) || hi < lo {
        return Vec::new();
    }
    let eps = step * 1e-9;
    let first = ((lo - eps) / step).ceil() as i64;
    let last = ((hi + eps) / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Time-axis step, seconds, from round values (1 s … 30 min) such that a
/// track of `duration_s` gets at most `max_ticks` ticks.
pub fn time_step(duration_s: f64, max_ticks: usize) -> f64 {
    const STEPS: [f64; 13] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
    ];
    let max_ticks = max_ticks.max(2) as f64;
    STEPS
        .into_iter()
        .find(|s| duration_s / s + 1.0 <= max_ticks)
        .unwrap_or(3600.0)
}

/// A dB axis for `values`: from `pad` below the lowest to `pad` above the
/// highest, snapped outward to multiples of `step`, at most `max_span` tall
/// (the top is kept: quiet stretches fall off the bottom, never the loud
/// ones) and at least `min_span`. Values at or below `floor` (silence) are
/// left out. `None` when no value is above the floor.
pub fn db_domain(
    values: impl IntoIterator<Item = f64>,
    floor: f64,
    pad: f64,
    step: f64,
    span: (f64, f64),
) -> Option<(f64, f64)> {
    let (min_span, max_span) = span;
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite() && *v > floor)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return None;
    }
    let top = ((hi + pad) / step).ceil() * step;
    let mut bottom = ((lo - pad) / step).floor() * step;
    bottom = bottom.max(top - max_span);
    if top - bottom < min_span {
        bottom = top - (min_span / step).ceil() * step;
    }
    Some((bottom, top))
}

/// Every how many points to take so that `len` points become at most `max`.
pub fn stride(len: usize, max: usize) -> usize {
    len.div_ceil(max.max(1)).max(1)
}

/// The `(x, width)` of a time span on a time scale, clipped to the scale's
/// range and at least `min_width` wide (so a short moment stays visible).
pub fn span_rect(scale: &Scale, start_s: f64, end_s: f64, min_width: f64) -> (f64, f64) {
    let (lo, hi) = scale.range();
    let a = scale.at_clamped(start_s.min(end_s));
    let b = scale.at_clamped(start_s.max(end_s));
    let w = (b - a).max(min_width).min(hi - lo);
    (a.min(hi - w), w)
}

/// The data value under a click at `fraction` (0..1) of a plot element's
/// rendered width, for a plot drawn in `frame` with `scale` on x.
pub fn value_at_fraction(frame: &Frame, scale: &Scale, fraction: f64) -> f64 {
    scale.invert(fraction * frame.width)
}

/// A frequency as an axis label: `100`, `1k`, `10k`, `2.5k`.
pub fn freq_label(hz: f64) -> String {
    if hz >= 1000.0 {
        let k = hz / 1000.0;
        if (k - k.round()).abs() < 1e-9 {
            format!("{}k", k.round())
        } else {
            format!("{k:.1}k")
        }
    } else {
        format!("{}", hz.round())
    }
}

#[cfg(test)]
mod tests;
