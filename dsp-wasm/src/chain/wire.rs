//! The chain as a flat list of numbers, for the AudioWorklet.
//!
//! The page hands the worklet its chain as a `Float64Array`, which the
//! processor copies straight into the worklet's wasm memory: the worklet
//! then needs no JSON parser (serde_json and the derived deserialiser of
//! [`Module`] were about a third of its download). Every parameter is an
//! `f64` either way, so a chain goes through this form exactly, bit for
//! bit, as it does through JSON.
//!
//! Layout: `[WIRE_FORMAT, n, module₁ …, moduleₙ]`, each module its tag
//! ([`Module`]'s declaration order, from 0 for `gain`) and then its
//! parameters in declaration order; [`FilterKind`], [`StereoTarget`] and
//! [`FlipLow`] and [`InvertChannel`] are written as the index of their variant. Nothing may
//! follow the last module. The parameters' ranges are checked where a
//! chain is built into a processor, as for JSON.

use super::model::{Chain, FilterKind, FlipLow, InvertChannel, Module, StereoTarget};
use crate::error::{Error, Result};

/// Version tag, the first number of the wire form.
pub const WIRE_FORMAT: f64 = 2.0;

/// Most modules a wire chain may declare (a decided chain has about ten;
/// the bound keeps a corrupt count from reserving memory).
pub const MAX_WIRE_MODULES: usize = 4096;

const FILTER_KINDS: [FilterKind; 5] = [
    FilterKind::Peaking,
    FilterKind::LowShelf,
    FilterKind::HighShelf,
    FilterKind::Highpass,
    FilterKind::Lowpass,
];
const TARGETS: [StereoTarget; 3] = [StereoTarget::Stereo, StereoTarget::Mid, StereoTarget::Side];
const FLIPS: [FlipLow; 3] = [FlipLow::None, FlipLow::Left, FlipLow::Right];
const INVERTS: [InvertChannel; 3] = [
    InvertChannel::None,
    InvertChannel::Left,
    InvertChannel::Right,
];

fn index_of<T: PartialEq>(all: &[T], v: &T) -> f64 {
    all.iter().position(|x| x == v).unwrap_or(0) as f64
}

impl Chain {
    /// The chain as numbers (see the module docs).
    pub fn to_words(&self) -> Vec<f64> {
        let mut w = vec![WIRE_FORMAT, self.modules.len() as f64];
        for m in &self.modules {
            match *m {
                Module::Gain { gain_db } => w.extend([0.0, gain_db]),
                Module::DcBlocker { cutoff_hz } => w.extend([1.0, cutoff_hz]),
                Module::Eq {
                    kind,
                    freq_hz,
                    q,
                    gain_db,
                    target,
                } => w.extend([
                    2.0,
                    index_of(&FILTER_KINDS, &kind),
                    freq_hz,
                    q,
                    gain_db,
                    index_of(&TARGETS, &target),
                ]),
                Module::DynamicEq {
                    freq_hz,
                    q,
                    threshold_db,
                    ratio,
                    max_cut_db,
                    attack_ms,
                    release_ms,
                    target,
                } => w.extend([
                    3.0,
                    freq_hz,
                    q,
                    threshold_db,
                    ratio,
                    max_cut_db,
                    attack_ms,
                    release_ms,
                    index_of(&TARGETS, &target),
                ]),
                Module::DeEsser {
                    split_hz,
                    threshold_db,
                    max_cut_db,
                } => w.extend([4.0, split_hz, threshold_db, max_cut_db]),
                Module::LowControl {
                    crossover_hz,
                    threshold_db,
                    ratio,
                    max_cut_db,
                    attack_ms,
                    release_ms,
                } => w.extend([
                    5.0,
                    crossover_hz,
                    threshold_db,
                    ratio,
                    max_cut_db,
                    attack_ms,
                    release_ms,
                ]),
                Module::StereoImage {
                    mono_below_hz,
                    flip_low,
                    width,
                    balance_db,
                    invert,
                } => w.extend([
                    6.0,
                    mono_below_hz,
                    index_of(&FLIPS, &flip_low),
                    width,
                    balance_db,
                    index_of(&INVERTS, &invert),
                ]),
                Module::SpikeControl {
                    above_rms_db,
                    max_cut_db,
                    release_ms,
                } => w.extend([7.0, above_rms_db, max_cut_db, release_ms]),
                Module::Limiter {
                    ceiling_dbtp,
                    lookahead_ms,
                    release_ms,
                } => w.extend([8.0, ceiling_dbtp, lookahead_ms, release_ms]),
            }
        }
        w
    }

    /// Reads a chain written by [`Chain::to_words`]. A wrong version, an
    /// unknown tag or variant index, a missing number or a number left over
    /// is an [`Error::InvalidChain`].
    pub fn from_words(words: &[f64]) -> Result<Self> {
        let mut r = Reader { words, at: 0 };
        if r.next()? != WIRE_FORMAT {
            return Err(invalid("not a preflight chain (wire format 1)"));
        }
        let n = r.index(MAX_WIRE_MODULES + 1, "module count")?;
        let mut modules = Vec::with_capacity(n);
        for _ in 0..n {
            let module = match r.index(9, "module tag")? {
                0 => Module::Gain { gain_db: r.next()? },
                1 => Module::DcBlocker {
                    cutoff_hz: r.next()?,
                },
                2 => Module::Eq {
                    kind: FILTER_KINDS[r.index(FILTER_KINDS.len(), "filter kind")?],
                    freq_hz: r.next()?,
                    q: r.next()?,
                    gain_db: r.next()?,
                    target: TARGETS[r.index(TARGETS.len(), "stereo target")?],
                },
                3 => Module::DynamicEq {
                    freq_hz: r.next()?,
                    q: r.next()?,
                    threshold_db: r.next()?,
                    ratio: r.next()?,
                    max_cut_db: r.next()?,
                    attack_ms: r.next()?,
                    release_ms: r.next()?,
                    target: TARGETS[r.index(TARGETS.len(), "stereo target")?],
                },
                4 => Module::DeEsser {
                    split_hz: r.next()?,
                    threshold_db: r.next()?,
                    max_cut_db: r.next()?,
                },
                5 => Module::LowControl {
                    crossover_hz: r.next()?,
                    threshold_db: r.next()?,
                    ratio: r.next()?,
                    max_cut_db: r.next()?,
                    attack_ms: r.next()?,
                    release_ms: r.next()?,
                },
                6 => Module::StereoImage {
                    mono_below_hz: r.next()?,
                    flip_low: FLIPS[r.index(FLIPS.len(), "flipped channel")?],
                    width: r.next()?,
                    balance_db: r.next()?,
                    invert: INVERTS[r.index(INVERTS.len(), "inverted channel")?],
                },
                7 => Module::SpikeControl {
                    above_rms_db: r.next()?,
                    max_cut_db: r.next()?,
                    release_ms: r.next()?,
                },
                _ => Module::Limiter {
                    ceiling_dbtp: r.next()?,
                    lookahead_ms: r.next()?,
                    release_ms: r.next()?,
                },
            };
            modules.push(module);
        }
        if r.at != words.len() {
            return Err(invalid("numbers left over after the last module"));
        }
        Ok(Chain::new(modules))
    }
}

fn invalid(what: &str) -> Error {
    Error::InvalidChain(what.to_string())
}

/// Reads the words in order.
struct Reader<'a> {
    words: &'a [f64],
    at: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<f64> {
        let v = *self
            .words
            .get(self.at)
            .ok_or_else(|| invalid("the chain ends inside a module"))?;
        self.at += 1;
        Ok(v)
    }

    /// A whole number in `0..below` (a count, a tag, a variant index).
    fn index(&mut self, below: usize, what: &str) -> Result<usize> {
        let v = self.next()?;
        if v.fract() == 0.0 && v >= 0.0 && v < below as f64 {
            Ok(v as usize)
        } else {
            Err(Error::InvalidChain(format!("bad {what}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every module and every variant of its enums.
    fn every_variant() -> Chain {
        let mut modules = Chain::every_module().modules;
        for (i, &kind) in FILTER_KINDS.iter().enumerate() {
            modules.push(Module::Eq {
                kind,
                freq_hz: 100.0 * (i + 1) as f64 + 0.1,
                q: std::f64::consts::FRAC_1_SQRT_2,
                gain_db: -1.0 / 3.0,
                target: TARGETS[i % TARGETS.len()],
            });
        }
        for (i, &flip_low) in FLIPS.iter().enumerate() {
            modules.push(Module::StereoImage {
                mono_below_hz: 120.0,
                flip_low,
                width: 0.1 * i as f64,
                balance_db: -0.25,
                invert: INVERTS[(i + 1) % INVERTS.len()],
            });
        }
        for &target in &TARGETS {
            modules.push(Module::DynamicEq {
                freq_hz: 274.0,
                q: 1.1,
                threshold_db: -31.7,
                ratio: 2.5,
                max_cut_db: 1.5,
                attack_ms: 10.0,
                release_ms: 150.0,
                target,
            });
        }
        Chain::new(modules)
    }

    #[test]
    fn every_module_goes_through_exactly_and_matches_its_json() {
        let chain = every_variant();
        let back = Chain::from_words(&chain.to_words()).unwrap();
        assert_eq!(back, chain);
        // The same chain as the JSON path reads it (the worklet used to get JSON).
        assert_eq!(Chain::from_json(&chain.to_json()).unwrap(), back);
        assert_eq!(
            Chain::from_words(&Chain::default().to_words()).unwrap(),
            Chain::default()
        );
    }

    #[test]
    fn broken_words_are_refused() {
        let good = every_variant().to_words();
        let cases: Vec<(&str, Vec<f64>)> = vec![
            ("empty", vec![]),
            (
                "a later version",
                [&[WIRE_FORMAT + 1.0][..], &good[1..]].concat(),
            ),
            // Version 1 had no inverted channel in its stereo image.
            ("version 1", [&[1.0][..], &good[1..]].concat()),
            (
                "bad inverted channel",
                vec![WIRE_FORMAT, 1.0, 6.0, 0.0, 0.0, 1.0, 0.0, 3.0],
            ),
            ("truncated", good[..good.len() - 1].to_vec()),
            ("left over", [&good[..], &[0.0][..]].concat()),
            ("fractional count", vec![WIRE_FORMAT, 0.5]),
            ("huge count", vec![WIRE_FORMAT, 1e12, 0.0, 1.0]),
            ("unknown tag", vec![WIRE_FORMAT, 1.0, 9.0, 1.0, 1.0, 1.0]),
            ("NaN tag", vec![WIRE_FORMAT, 1.0, f64::NAN, 1.0]),
            (
                "bad filter kind",
                vec![WIRE_FORMAT, 1.0, 2.0, 5.0, 100.0, 1.0, 0.0, 0.0],
            ),
            (
                "bad target",
                vec![WIRE_FORMAT, 1.0, 2.0, 0.0, 100.0, 1.0, 0.0, -1.0],
            ),
        ];
        for (what, words) in cases {
            assert!(
                matches!(Chain::from_words(&words), Err(Error::InvalidChain(_))),
                "{what} was accepted"
            );
        }
    }
}
