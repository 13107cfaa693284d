//! The delay between a signal and a delayed copy of it (a codec's priming
//! samples, a chain's latency): the lag in `0..=max_lag` frames at which
//! their cross-correlation peaks, taken over a window around the loudest
//! stretch of the reference (where the signal is well above any noise the
//! copy picked up). Plain time-domain correlation: the window and the lag
//! range are small, a few tens of millions of multiply-adds at most.

/// Frames in the correlation window.
const WINDOW: usize = 8192;

/// The lag (frames, `0..=max_lag`) by which `delayed` trails `reference`;
/// 0 when either is too short or silent.
pub fn delay_frames(reference: &[f32], delayed: &[f32], max_lag: usize) -> usize {
    let usable = reference.len().min(delayed.len().saturating_sub(max_lag));
    if usable < WINDOW {
        return 0;
    }
    // The loudest window of the reference, in steps of half a window.
    let energy = |s: usize| reference[s..s + WINDOW].iter().map(|v| v * v).sum::<f32>();
    let start = (0..=usable - WINDOW)
        .step_by(WINDOW / 2)
        .max_by(|&a, &b| energy(a).total_cmp(&energy(b)))
        .unwrap_or(0);
    let r = &reference[start..start + WINDOW];
    let mut best = (0, f64::NEG_INFINITY);
    for lag in 0..=max_lag {
        let d = &delayed[start + lag..start + lag + WINDOW];
        let c: f64 = r
            .iter()
            .zip(d)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum();
        if c > best.1 {
            best = (lag, c);
        }
    }
    if best.1 > 0.0 {
        best.0
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_delay_of_a_changed_copy() {
        // A chirp (100 Hz → 10 kHz over the second): its autocorrelation has
        // one sharp peak, so only the true lag lines the copy up.
        let sr = 48_000.0f32;
        let x: Vec<f32> = (0..48_000)
            .map(|n| {
                let t = n as f32 / sr;
                (std::f32::consts::TAU * (100.0 * t + 0.5 * 9_900.0 * t * t)).sin()
            })
            .collect();
        for lag in [0usize, 1, 312, 1000] {
            let mut y = vec![0.0f32; lag];
            // Quieter, and with a hum the reference does not have.
            y.extend(x.iter().enumerate().map(|(n, v)| {
                0.7 * v + 0.1 * (std::f32::consts::TAU * 50.0 * n as f32 / sr).sin()
            }));
            assert_eq!(delay_frames(&x, &y, 1200), lag);
        }
        assert_eq!(delay_frames(&x[..100], &x[..100], 10), 0, "too short");
    }
}
