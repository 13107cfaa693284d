//! The helper Worker's part of a split analysis ([`StreamedPeaks`]) as a
//! flat list of numbers, for the crossing to the engine Worker.
//!
//! The helper posts it as a transferred `Float64Array`. Every field is an
//! `f64` or an `f32` (exact in an `f64`), so the engine gets the helper's
//! measurements bit for bit, and the report of a split analysis equals the
//! report of the whole (`tests/contract.rs`); numbers need no parser (JSON
//! held them exactly only with serde_json's `float_roundtrip` tables, 27 KB
//! of download).
//!
//! Layout: `[WIRE_FORMAT, true-peak series, block peaks, block mean
//! squares, dc offsets, sample peak, block seconds, then per channel its
//! K-weighted sub-block powers]`, each list its length and then its values
//! (as many power lists as dc offsets). Nothing may follow.

use super::levels::Levels;
use super::StreamedPeaks;
use crate::error::{Error, Result};

/// Version tag, the first number of the wire form (1 was the whole peak
/// half, measured by a helper that held the track; 2 had no loudness).
pub const WIRE_FORMAT: f64 = 3.0;

impl StreamedPeaks {
    /// The wire form (module docs).
    pub fn to_wire(&self) -> Vec<f64> {
        let l = &self.levels;
        let mut out = Vec::with_capacity(
            7 + self.true_peak_series.len() + 2 * l.block_peak.len() + l.dc_offset.len(),
        );
        out.push(WIRE_FORMAT);
        let wide = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
        list(&mut out, &wide(&self.true_peak_series));
        list(&mut out, &wide(&l.block_peak));
        list(&mut out, &wide(&l.block_ms));
        list(&mut out, &l.dc_offset);
        out.extend([f64::from(l.sample_peak), l.block_s]);
        for c in &self.sub_block_power {
            list(&mut out, c);
        }
        out
    }

    /// Reads the wire form back; anything malformed is an error (the engine
    /// then measures that half itself).
    pub fn from_wire(v: &[f64]) -> Result<Self> {
        let mut r = Reader { v, at: 0 };
        if r.one()? != WIRE_FORMAT {
            return Err(bad());
        }
        let true_peak_series = r.narrow_list()?;
        let block_peak = r.narrow_list()?;
        let block_ms = r.narrow_list()?;
        let dc_offset = r.list()?.to_vec();
        let sample_peak = r.one()? as f32;
        let block_s = r.one()?;
        let sub_block_power = dc_offset
            .iter()
            .map(|_| r.list().map(<[f64]>::to_vec))
            .collect::<Result<Vec<_>>>()?;
        if r.at != v.len() || block_ms.len() != block_peak.len() {
            return Err(bad());
        }
        Ok(StreamedPeaks {
            true_peak_series,
            levels: Levels {
                sample_peak,
                dc_offset,
                clipped_runs: 0,
                clipped_samples: 0,
                clip_times_s: Vec::new(),
                clip_reading: Default::default(),
                block_peak,
                block_ms,
                block_s,
            },
            sub_block_power,
        })
    }
}

fn list(out: &mut Vec<f64>, values: &[f64]) {
    out.push(values.len() as f64);
    out.extend_from_slice(values);
}

fn bad() -> Error {
    Error::InvalidArgument("the peak wire form".into())
}

struct Reader<'a> {
    v: &'a [f64],
    at: usize,
}

impl<'a> Reader<'a> {
    fn one(&mut self) -> Result<f64> {
        let x = *self.v.get(self.at).ok_or_else(bad)?;
        self.at += 1;
        Ok(x)
    }

    fn list(&mut self) -> Result<&'a [f64]> {
        let n = self.one()?;
        if !(n >= 0.0 && n.fract() == 0.0) {
            return Err(bad());
        }
        let n = n as usize;
        let s = self.v.get(self.at..self.at + n).ok_or_else(bad)?;
        self.at += n;
        Ok(s)
    }

    fn narrow_list(&mut self) -> Result<Vec<f32>> {
        Ok(self.list()?.iter().map(|&x| x as f32).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::AudioBuffer;
    use crate::measure::PeakStream;

    #[test]
    fn the_wire_form_carries_every_number_exactly_and_refuses_a_broken_one() {
        let audio = AudioBuffer {
            sample_rate: 44_100,
            channels: (0..2)
                .map(|c| {
                    (0..30_000)
                        .map(|i| (0.013 * i as f32 + c as f32).sin() * 0.7 + 0.001)
                        .collect()
                })
                .collect(),
        };
        let mut s = PeakStream::new(2, 44_100);
        s.push(&audio.channels);
        let got = s.finish();
        let wire = got.to_wire();
        assert_eq!(StreamedPeaks::from_wire(&wire).unwrap(), got);
        for broken in [
            &wire[..wire.len() - 1],
            &[wire.as_slice(), &[0.0]].concat(),
            &[&[1.0], &wire[1..]].concat(),
            &[],
        ] {
            assert!(StreamedPeaks::from_wire(broken).is_err());
        }
    }
}
