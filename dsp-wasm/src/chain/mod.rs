//! The processing chain as plain data, and the runtime that executes it.
//!
//! A [`Chain`] is what the decision loop produces and what the report's
//! `chain` field carries: an ordered list of [`Module`]s with their parameters,
//! independent of sample rate and block size. [`ChainProcessor`] turns it into
//! DSP state for one sample rate and runs it over blocks of any size. The very
//! same value runs natively (command line, tests), in the Worker (offline
//! render) and in the AudioWorklet (128-frame quanta), so what the user hears
//! is what is exported.

mod model;
mod processor;
mod record;
mod render;
mod stage;
mod wire;

pub use crate::dsp::mid_side::StereoTarget;
pub use model::*;
pub use processor::*;
pub use render::*;
pub use wire::{MAX_WIRE_MODULES, WIRE_FORMAT};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::AudioBuffer;

    /// An amount slider at 150 % of a move decided at its module's largest
    /// amount (a −24 dB cut, a de-esser at −24 dB) gives a chain the engine
    /// builds, at the range's end, not a refused chain; 0 % gives no effect.
    #[test]
    fn every_module_scaled_past_its_range_stops_at_the_end() {
        let at_most = |m: &Module| -> Module {
            let mut m = m.clone();
            match &mut m {
                Module::Gain { gain_db } => *gain_db = 40.0,
                Module::Eq { gain_db, .. } => *gain_db = -24.0,
                Module::DynamicEq { max_cut_db, .. }
                | Module::DeEsser { max_cut_db, .. }
                | Module::LowControl { max_cut_db, .. } => *max_cut_db = 24.0,
                Module::SpikeControl { max_cut_db, .. } => *max_cut_db = 48.0,
                Module::StereoImage {
                    mono_below_hz,
                    width,
                    balance_db,
                    ..
                } => {
                    *mono_below_hz = MAX_MONO_BELOW_HZ;
                    *width = 0.0;
                    *balance_db = 12.0;
                }
                Module::DcBlocker { .. } | Module::Limiter { .. } => {}
            }
            m
        };
        for m in Chain::every_module().modules.iter().map(at_most) {
            assert!(m.validate().is_ok(), "{m:?}");
            let up = m.scaled(1.5);
            assert!(up.validate().is_ok(), "{up:?}");
            assert_eq!(up.amount(), m.amount(), "{up:?} stops at the range's end");
            if let Some((_, a)) = m.scaled(0.0).amount() {
                if !matches!(m, Module::StereoImage { .. } | Module::Limiter { .. }) {
                    assert_eq!(a, 0.0, "{m:?} at 0 %");
                }
            }
            // A stereo image at 0 % leaves the image as it is: no mono
            // lows, no flip, width 1, no balance.
            if let Module::StereoImage { .. } = m {
                assert_eq!(
                    m.scaled(0.0),
                    Module::StereoImage {
                        mono_below_hz: 0.0,
                        flip_low: FlipLow::None,
                        width: 1.0,
                        balance_db: 0.0,
                        invert: Default::default(),
                    }
                );
            }
        }
    }

    #[test]
    fn per_channel_render_equals_the_stereo_processor() {
        let sr = 48_000u32;
        let frames = 20_000;
        let input = AudioBuffer {
            sample_rate: sr,
            channels: vec![
                (0..frames)
                    .map(|i| (i as f32 * 0.013).sin() * 0.5 + 0.01)
                    .collect(),
                (0..frames)
                    .map(|i| (i as f32 * 0.029).cos() * 0.4)
                    .collect(),
            ],
        };
        let chain = Chain::new(vec![
            Module::DcBlocker { cutoff_hz: 10.0 },
            Module::Eq {
                kind: FilterKind::LowShelf,
                freq_hz: 80.0,
                q: 0.71,
                gain_db: -4.0,
                target: StereoTarget::Stereo,
            },
            Module::Gain { gain_db: 3.0 },
        ]);
        assert!(chain.modules.iter().all(Module::acts_per_channel));
        let rendered = render_with_block(&chain, &input, 1000).unwrap();
        // The worklet's way: both channels through one processor, 128 at a time.
        let mut p = ChainProcessor::new(&chain, sr as f32, 2, 128).unwrap();
        let (mut l, mut r) = (input.channels[0].clone(), input.channels[1].clone());
        for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
            p.process(&mut [a, b]);
        }
        assert_eq!(rendered.channels, vec![l, r]);
        // A linked module makes the chain render both channels together.
        let mut linked = chain.clone();
        linked.modules.push(Module::StereoImage {
            mono_below_hz: 0.0,
            flip_low: Default::default(),
            width: 1.2,
            balance_db: 0.0,
            invert: Default::default(),
        });
        assert!(!linked.modules.iter().all(Module::acts_per_channel));
        // In place, per channel or linked, with or without latency: the same samples.
        let mut limited = linked.clone();
        limited.modules.push(Module::Limiter {
            ceiling_dbtp: -1.0,
            lookahead_ms: crate::dsp::limiter::DEFAULT_LOOKAHEAD_MS,
            release_ms: 100.0,
        });
        for c in [&chain, &linked, &limited] {
            let mut in_place = input.clone();
            render_in_place(c, &mut in_place).unwrap();
            assert_eq!(in_place.channels, render(c, &input).unwrap().channels);
            assert_eq!(in_place.frames(), frames);
        }
    }

    #[test]
    fn json_round_trip() {
        let chain = Chain::new(vec![Module::Gain { gain_db: -3.0 }]);
        let back = Chain::from_json(&chain.to_json()).unwrap();
        assert_eq!(chain, back);
    }

    #[test]
    fn gain_applies_exactly() {
        let input = AudioBuffer {
            sample_rate: 48000,
            channels: vec![vec![0.5; 1000], vec![-0.25; 1000]],
        };
        let out = render(&Chain::new(vec![Module::Gain { gain_db: -6.0 }]), &input).unwrap();
        let g = 10f32.powf(-6.0 / 20.0);
        assert!((out.channels[0][999] - 0.5 * g).abs() < 1e-7);
        assert!((out.channels[1][0] + 0.25 * g).abs() < 1e-7);
    }

    #[test]
    fn bypass_crossfades_without_a_step() {
        let sr = 48000.0;
        let mut p = ChainProcessor::new(
            &Chain::new(vec![Module::Gain { gain_db: -20.0 }]),
            sr,
            1,
            128,
        )
        .unwrap();
        let mut buf = vec![1.0f32; 4800];
        p.set_bypass(true);
        p.process(&mut [&mut buf]);
        let max_step = buf
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(max_step < 1.0 / 900.0, "step {max_step}");
        assert!((buf[4799] - 1.0).abs() < 1e-6);
    }

    /// A bypass switched on a chain with latency hears the original delayed
    /// by that latency from the fade's first sample: the delay line holds
    /// the input of the blocks before, not what was last bypassed (or
    /// nothing). Both sides here are the same tone (a look-ahead limiter
    /// it never reaches), so the switch must not be heard at all.
    #[test]
    fn bypass_hears_the_delayed_original_from_its_first_sample() {
        let sr = 48_000.0;
        let chain = Chain::from_json(
            r#"{"format":"preflight.chain/1","modules":[{"module":"limiter","ceiling_dbtp":-1.0,"lookahead_ms":5.0,"release_ms":120.0}]}"#,
        )
        .unwrap();
        let mut p = ChainProcessor::new(&chain, sr, 1, 128).unwrap();
        let lag = p.latency_frames();
        assert!(lag > 0);
        let input: Vec<f32> = (0..24_000)
            .map(|i| 0.1 * (std::f32::consts::TAU * 440.0 * i as f32 / sr).sin())
            .collect();
        let mut out = Vec::new();
        for (k, block) in input.chunks(128).enumerate() {
            // On, off and on again: the second time, the delay line must not
            // hold the audio of the first bypass.
            match k {
                40 | 120 => p.set_bypass(true),
                80 => p.set_bypass(false),
                _ => {}
            }
            let mut buf = block.to_vec();
            p.process(&mut [&mut buf]);
            out.extend_from_slice(&buf);
        }
        let worst = (2048..out.len())
            .map(|i| (out[i] - input[i - lag]).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-5, "the switch was heard: {worst}");
    }

    #[test]
    fn rejects_bad_parameters() {
        let bad = Chain::new(vec![Module::Gain { gain_db: f64::NAN }]);
        assert!(ChainProcessor::new(&bad, 48000.0, 2, 128).is_err());
        assert!(Chain::from_json(
            "{\"format\":\"preflight.chain/1\",\"modules\":[{\"module\":\"nope\"}]}"
        )
        .is_err());
    }
}
