//! Physical measure of isolated spikes at known places: the peak within a
//! few ms of each place over the RMS of the 400 ms around it (the ±10 ms
//! around the spike left out, so the spike does not lift its own reference),
//! averaged over the places, dB. Written for the mastering tests
//! independently of the engine's transient measurement (which works on 5 ms
//! block peaks and the track's 99th percentile) and of its spike control.

/// Mean over `at` (frame indices) of peak |x| within ±3 ms over the RMS of
/// the surrounding ±200 ms without the central ±10 ms, dB (all channels).
pub fn spike_over_surroundings_db(channels: &[Vec<f32>], sample_rate: u32, at: &[usize]) -> f64 {
    let sr = sample_rate as f64;
    let n = channels.iter().map(Vec::len).min().unwrap_or(0);
    let w = (0.003 * sr) as usize;
    let ctx = (0.2 * sr) as usize;
    let gap = (0.01 * sr) as usize;
    let mut sum = 0.0;
    for &i in at {
        let mut peak = 0.0f64;
        let mut sq = 0.0f64;
        let mut count = 0usize;
        for ch in channels {
            for &v in &ch[i.saturating_sub(w)..(i + w + 1).min(n)] {
                peak = peak.max(f64::from(v).abs());
            }
            let from = i.saturating_sub(ctx);
            for (j, &v) in ch.iter().enumerate().take((i + ctx).min(n)).skip(from) {
                if j + gap < i || j > i + gap {
                    sq += f64::from(v).powi(2);
                    count += 1;
                }
            }
        }
        let rms = (sq / count.max(1) as f64).sqrt().max(1e-12);
        sum += 20.0 * (peak.max(1e-12) / rms).log10();
    }
    sum / at.len().max(1) as f64
}
