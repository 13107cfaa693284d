//! Reading a [`Module`] from its JSON object.
//!
//! The JSON form is serde's internally tagged enum (`{"module": "eq",
//! "freq_hz": …}`), and it is written that way. Read the same way, serde
//! buffers each module into a generic tree and builds a visitor per module
//! kind: about 50 KB of wasm in each package that reads chains (the page and
//! the engine Worker), for nine small records. Here it is read as one flat
//! record of optional fields, then checked against the kind its `module` tag
//! names. What is accepted is as before: fields of another kind are ignored
//! (though a field some module has must hold its type, where serde's enum
//! skipped it unread), a missing one is an error that names it, the
//! defaults are the same.

use serde::Deserialize;

use super::model::{FilterKind, FlipLow, InvertChannel, Module, StereoTarget};

/// Every field any module has, all optional.
#[derive(Deserialize)]
pub(super) struct Record {
    module: String,
    kind: Option<FilterKind>,
    target: Option<StereoTarget>,
    flip_low: Option<FlipLow>,
    invert: Option<InvertChannel>,
    gain_db: Option<f64>,
    cutoff_hz: Option<f64>,
    freq_hz: Option<f64>,
    q: Option<f64>,
    threshold_db: Option<f64>,
    ratio: Option<f64>,
    max_cut_db: Option<f64>,
    attack_ms: Option<f64>,
    release_ms: Option<f64>,
    split_hz: Option<f64>,
    crossover_hz: Option<f64>,
    mono_below_hz: Option<f64>,
    width: Option<f64>,
    balance_db: Option<f64>,
    above_rms_db: Option<f64>,
    ceiling_dbtp: Option<f64>,
    lookahead_ms: Option<f64>,
}

/// The module tags, in the enum's order (serde's "expected one of" list).
const KINDS: &str = "`gain`, `dc_blocker`, `eq`, `dynamic_eq`, `de_esser`, \
                     `low_control`, `stereo_image`, `spike_control`, `limiter`";

fn need<T>(value: Option<T>, field: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{field}`"))
}

impl TryFrom<Record> for Module {
    type Error = String;

    fn try_from(r: Record) -> Result<Self, String> {
        Ok(match r.module.as_str() {
            "gain" => Module::Gain {
                gain_db: need(r.gain_db, "gain_db")?,
            },
            "dc_blocker" => Module::DcBlocker {
                cutoff_hz: need(r.cutoff_hz, "cutoff_hz")?,
            },
            "eq" => Module::Eq {
                kind: need(r.kind, "kind")?,
                freq_hz: need(r.freq_hz, "freq_hz")?,
                q: need(r.q, "q")?,
                gain_db: r.gain_db.unwrap_or_default(),
                target: r.target.unwrap_or_default(),
            },
            "dynamic_eq" => Module::DynamicEq {
                freq_hz: need(r.freq_hz, "freq_hz")?,
                q: need(r.q, "q")?,
                threshold_db: need(r.threshold_db, "threshold_db")?,
                ratio: need(r.ratio, "ratio")?,
                max_cut_db: need(r.max_cut_db, "max_cut_db")?,
                attack_ms: need(r.attack_ms, "attack_ms")?,
                release_ms: need(r.release_ms, "release_ms")?,
                target: r.target.unwrap_or_default(),
            },
            "de_esser" => Module::DeEsser {
                split_hz: need(r.split_hz, "split_hz")?,
                threshold_db: need(r.threshold_db, "threshold_db")?,
                max_cut_db: need(r.max_cut_db, "max_cut_db")?,
            },
            "low_control" => Module::LowControl {
                crossover_hz: need(r.crossover_hz, "crossover_hz")?,
                threshold_db: need(r.threshold_db, "threshold_db")?,
                ratio: need(r.ratio, "ratio")?,
                max_cut_db: need(r.max_cut_db, "max_cut_db")?,
                attack_ms: need(r.attack_ms, "attack_ms")?,
                release_ms: need(r.release_ms, "release_ms")?,
            },
            "stereo_image" => Module::StereoImage {
                mono_below_hz: need(r.mono_below_hz, "mono_below_hz")?,
                flip_low: r.flip_low.unwrap_or_default(),
                width: need(r.width, "width")?,
                balance_db: need(r.balance_db, "balance_db")?,
                invert: r.invert.unwrap_or_default(),
            },
            "spike_control" => Module::SpikeControl {
                above_rms_db: need(r.above_rms_db, "above_rms_db")?,
                max_cut_db: need(r.max_cut_db, "max_cut_db")?,
                release_ms: need(r.release_ms, "release_ms")?,
            },
            "limiter" => Module::Limiter {
                ceiling_dbtp: need(r.ceiling_dbtp, "ceiling_dbtp")?,
                lookahead_ms: need(r.lookahead_ms, "lookahead_ms")?,
                release_ms: need(r.release_ms, "release_ms")?,
            },
            other => {
                return Err(format!(
                    "unknown variant `{other}`, expected one of {KINDS}"
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::Chain;
    use super::*;

    /// One module of every kind, with every optional field set away from
    /// its default.
    fn every_kind() -> Vec<Module> {
        vec![
            Module::Gain { gain_db: -2.5 },
            Module::DcBlocker { cutoff_hz: 5.0 },
            Module::Eq {
                kind: FilterKind::HighShelf,
                freq_hz: 9000.0,
                q: 0.7,
                gain_db: 1.5,
                target: StereoTarget::Side,
            },
            Module::DynamicEq {
                freq_hz: 274.0,
                q: 1.2,
                threshold_db: -30.0,
                ratio: 3.0,
                max_cut_db: 4.0,
                attack_ms: 10.0,
                release_ms: 150.0,
                target: StereoTarget::Mid,
            },
            Module::DeEsser {
                split_hz: 4500.0,
                threshold_db: 6.0,
                max_cut_db: 5.0,
            },
            Module::LowControl {
                crossover_hz: 120.0,
                threshold_db: -20.0,
                ratio: 2.0,
                max_cut_db: 3.0,
                attack_ms: 20.0,
                release_ms: 200.0,
            },
            Module::StereoImage {
                mono_below_hz: 100.0,
                flip_low: FlipLow::Right,
                width: 0.9,
                balance_db: -1.0,
                invert: InvertChannel::Left,
            },
            Module::SpikeControl {
                above_rms_db: 12.0,
                max_cut_db: 8.0,
                release_ms: 30.0,
            },
            Module::Limiter {
                ceiling_dbtp: -1.0,
                lookahead_ms: 5.0,
                release_ms: 120.0,
            },
        ]
    }

    /// The variant's place in the enum, by an exhaustive match: a new kind
    /// of module does not compile here until `every_kind` (and so the
    /// reader, through the round trip below) has it.
    fn place(m: &Module) -> usize {
        match m {
            Module::Gain { .. } => 0,
            Module::DcBlocker { .. } => 1,
            Module::Eq { .. } => 2,
            Module::DynamicEq { .. } => 3,
            Module::DeEsser { .. } => 4,
            Module::LowControl { .. } => 5,
            Module::StereoImage { .. } => 6,
            Module::SpikeControl { .. } => 7,
            Module::Limiter { .. } => 8,
        }
    }

    #[test]
    fn what_serde_writes_reads_back_equal() {
        let places: Vec<usize> = every_kind().iter().map(place).collect();
        assert_eq!(places, (0..9).collect::<Vec<_>>());
        let chain = Chain::new(every_kind());
        assert_eq!(Chain::from_json(&chain.to_json()).unwrap(), chain);
    }

    #[test]
    fn absent_optional_fields_take_their_defaults() {
        let m: Module = serde_json::from_str(
            r#"{"module":"eq","kind":"peaking","freq_hz":1000,"q":1,"ratio":9}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            Module::Eq {
                kind: FilterKind::Peaking,
                freq_hz: 1000.0,
                q: 1.0,
                gain_db: 0.0,
                target: StereoTarget::Stereo,
            }
        );
        let m: Module = serde_json::from_str(
            r#"{"module":"stereo_image","mono_below_hz":0,"width":1,"balance_db":0}"#,
        )
        .unwrap();
        assert!(matches!(
            m,
            Module::StereoImage {
                flip_low: FlipLow::None,
                ..
            }
        ));
    }

    #[test]
    fn a_bad_module_is_an_error_that_says_what_is_wrong() {
        let err = |json: &str| {
            serde_json::from_str::<Module>(json)
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(r#"{"module":"limiter","ceiling_dbtp":-1,"lookahead_ms":5}"#)
                .contains("missing field `release_ms`")
        );
        assert!(err(r#"{"module":"gain","gain_db":null}"#).contains("missing field `gain_db`"));
        let e = err(r#"{"module":"reverb","gain_db":1}"#);
        assert!(
            e.contains("unknown variant `reverb`") && e.contains("`limiter`"),
            "{e}"
        );
        assert!(err(r#"{"gain_db":1}"#).contains("missing field `module`"));
        assert!(err(r#"{"module":"eq","kind":"notch","freq_hz":1,"q":1}"#).contains("notch"));
        assert!(err(r#"{"module":"gain","gain_db":"loud"}"#).contains("invalid type"));
        // Fields of another kind are ignored.
        let m: Module = serde_json::from_str(r#"{"module":"gain","gain_db":1,"width":2}"#).unwrap();
        assert_eq!(m, Module::Gain { gain_db: 1.0 });
    }
}
