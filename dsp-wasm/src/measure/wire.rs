//! The peak half of a split analysis ([`PeakPart`]) as a flat list of
//! numbers, for the crossing between the helper Worker and the engine.
//!
//! The helper posts it as a transferred `Float64Array`. Every field is an
//! `f64`, an `f32` (exact in an `f64`) or a count (exact up to 2⁵³), so the
//! engine gets the helper's measurements bit for bit, and the report of a
//! split analysis equals the report of the whole (`tests/contract.rs`).
//! Through JSON that held only with serde_json's `float_roundtrip` parser,
//! whose tables cost the page and the Worker 27 KB of their download; the
//! numbers are also a third of the JSON's size and need no parsing.
//!
//! Layout: `[PEAK_WIRE_FORMAT, true-peak series, dc offsets, clip times,
//! block peaks, block mean squares, spikes, sample peak, clipped runs,
//! clipped samples, block seconds, peak over p99, median crest, click
//! isolation, clicks, peak pile-up]`, each list its length and then its
//! values, a spike its five fields in declaration order. Nothing may follow.

use super::levels::{Levels, Spike, Transients};
use super::PeakPart;
use crate::error::{Error, Result};

/// Version tag, the first number of the wire form.
pub const PEAK_WIRE_FORMAT: f64 = 1.0;

/// Numbers per [`Spike`].
const SPIKE_FIELDS: usize = 5;

impl PeakPart {
    /// The wire form (module docs).
    pub fn to_wire(&self) -> Vec<f64> {
        let (l, t) = (&self.levels, &self.transients);
        let mut out = Vec::with_capacity(
            16 + self.true_peak_series.len()
                + l.dc_offset.len()
                + l.clip_times_s.len()
                + l.block_peak.len()
                + l.block_ms.len()
                + t.spikes.len() * SPIKE_FIELDS,
        );
        out.push(PEAK_WIRE_FORMAT);
        list(
            &mut out,
            self.true_peak_series.iter().map(|&v| f64::from(v)),
        );
        list(&mut out, l.dc_offset.iter().copied());
        list(&mut out, l.clip_times_s.iter().copied());
        list(&mut out, l.block_peak.iter().map(|&v| f64::from(v)));
        list(&mut out, l.block_ms.iter().map(|&v| f64::from(v)));
        out.push(t.spikes.len() as f64);
        for s in &t.spikes {
            out.extend([
                s.time_s,
                s.peak_db,
                s.over_rms_db,
                s.over_p99_db,
                s.isolation_db,
            ]);
        }
        out.extend([
            f64::from(l.sample_peak),
            l.clipped_runs as f64,
            l.clipped_samples as f64,
            l.block_s,
            t.peak_over_p99_db,
            t.median_crest_db,
            t.click_isolation_db,
            t.clicks as f64,
            t.peak_pileup,
        ]);
        out
    }

    /// Reads the wire form; [`Error::InvalidArgument`] names what is wrong
    /// (another version, a length past the end, numbers left over).
    pub fn from_wire(wire: &[f64]) -> Result<Self> {
        let mut r = Reader { wire, at: 0 };
        let format = r.next()?;
        if format != PEAK_WIRE_FORMAT {
            return Err(invalid(format!("peak wire format {format}")));
        }
        let true_peak_series = r.list()?.iter().map(|&v| v as f32).collect();
        let dc_offset = r.list()?.to_vec();
        let clip_times_s = r.list()?.to_vec();
        let block_peak = r.list()?.iter().map(|&v| v as f32).collect();
        let block_ms = r.list()?.iter().map(|&v| v as f32).collect();
        let n_spikes = r.count()?;
        let spikes = r
            .take(
                n_spikes
                    .checked_mul(SPIKE_FIELDS)
                    .ok_or_else(|| invalid("spike count".into()))?,
            )?
            .chunks_exact(SPIKE_FIELDS)
            .map(|s| Spike {
                time_s: s[0],
                peak_db: s[1],
                over_rms_db: s[2],
                over_p99_db: s[3],
                isolation_db: s[4],
            })
            .collect();
        let [sample_peak, clipped_runs, clipped_samples, block_s, peak_over_p99_db, median_crest_db, click_isolation_db, clicks, peak_pileup] =
            <[f64; 9]>::try_from(r.take(9)?).expect("take gives 9");
        if r.at != wire.len() {
            return Err(invalid(format!(
                "{} numbers after the peak wire form",
                wire.len() - r.at
            )));
        }
        Ok(PeakPart {
            true_peak_series,
            levels: Levels {
                sample_peak: sample_peak as f32,
                dc_offset,
                clipped_runs: whole(clipped_runs, "clipped runs")? as u64,
                clipped_samples: whole(clipped_samples, "clipped samples")? as u64,
                clip_times_s,
                block_peak,
                block_ms,
                block_s,
            },
            transients: Transients {
                peak_over_p99_db,
                spikes,
                median_crest_db,
                click_isolation_db,
                clicks: whole(clicks, "clicks")?,
                peak_pileup,
            },
        })
    }
}

fn list(out: &mut Vec<f64>, values: impl ExactSizeIterator<Item = f64>) {
    out.push(values.len() as f64);
    out.extend(values);
}

fn invalid(what: String) -> Error {
    Error::InvalidArgument(what)
}

/// A count: a whole number from 0 to 2⁵³.
fn whole(v: f64, what: &str) -> Result<usize> {
    if v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_992.0 {
        Ok(v as usize)
    } else {
        Err(invalid(format!("{what} {v} in the peak wire form")))
    }
}

struct Reader<'a> {
    wire: &'a [f64],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [f64]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.wire.len());
        let end = end.ok_or_else(|| invalid("the peak wire form ends early".into()))?;
        let s = &self.wire[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn next(&mut self) -> Result<f64> {
        Ok(self.take(1)?[0])
    }

    fn count(&mut self) -> Result<usize> {
        let v = self.next()?;
        whole(v, "a length")
    }

    fn list(&mut self) -> Result<&'a [f64]> {
        let n = self.count()?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part() -> PeakPart {
        PeakPart {
            true_peak_series: vec![0.5, 1.0e-30, 0.999_999_94, f32::MIN_POSITIVE],
            levels: Levels {
                sample_peak: 0.987_654_3,
                dc_offset: vec![1.0e-12 / 3.0, -0.1 - 0.2],
                clipped_runs: 3,
                clipped_samples: 1 << 40,
                clip_times_s: vec![0.1, 12.345_678_901_234_567],
                block_peak: vec![0.25, 0.1],
                block_ms: vec![1.0e-9, 0.3],
                block_s: 0.005,
            },
            transients: Transients {
                peak_over_p99_db: 2.0_f64.sqrt(),
                spikes: vec![Spike {
                    time_s: 1.0 / 3.0,
                    peak_db: -0.123_456_789_012_345_67,
                    over_rms_db: 17.0,
                    over_p99_db: 5.0e-324,
                    isolation_db: 11.1,
                }],
                median_crest_db: std::f64::consts::PI,
                click_isolation_db: 12.2,
                clicks: 7,
                peak_pileup: 0.07,
            },
        }
    }

    #[test]
    fn crosses_bit_for_bit() {
        let p = part();
        let back = PeakPart::from_wire(&p.to_wire()).unwrap();
        // Debug prints every float in full (shortest round-trip form).
        assert_eq!(format!("{back:?}"), format!("{p:?}"));
    }

    #[test]
    fn a_damaged_form_is_refused() {
        let w = part().to_wire();
        assert!(PeakPart::from_wire(&w[..w.len() - 1]).is_err());
        let mut longer = w.clone();
        longer.push(0.0);
        assert!(PeakPart::from_wire(&longer).is_err());
        let mut other = w.clone();
        other[0] = 2.0;
        assert!(PeakPart::from_wire(&other).is_err());
        let mut huge = w;
        huge[1] = 1.0e300;
        assert!(PeakPart::from_wire(&huge).is_err());
        assert!(PeakPart::from_wire(&[]).is_err());
    }
}
