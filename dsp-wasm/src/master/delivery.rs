//! Delivery (step 5 in [`super`]): render at the delivery rate (the limiter
//! runs at that rate, so its ceiling holds in the file), quantise (16-bit:
//! TPDF dither), hand the samples to the caller while exactly they are
//! analysed, and lower the gain if the delivered file's true peak (the engine's meter)
//! is over the ceiling — at most [`VERIFY_PASSES`] times, each re-render
//! measured again; a master still over its ceiling is
//! [`Error::CeilingNotHeld`], never delivered.

use super::track::Track;
use super::{tp_dbtp, MasterOptions, Raw};
use crate::audio::{AudioBuffer, Samples};
use crate::chain::{self, Chain, Module};
use crate::error::{Error, Result};
use crate::io::{export, resample};
use crate::measure::AnalysisOptions;
use crate::parallel::join;
use crate::progress::Stage;
use crate::report::{analyze, Report, Source};

/// What the delivery step needs from the master.
pub(super) struct Delivery<'a> {
    /// The (sanitised) input, at its own rate.
    pub(super) input: Samples<'a>,
    pub(super) options: &'a MasterOptions,
    pub(super) aopts: &'a AnalysisOptions,
    /// Receives the delivered samples (e.g. writes the file).
    pub(super) deliver: &'a (dyn Fn(&AudioBuffer) -> Result<()> + Sync),
}

impl Delivery<'_> {
    /// Renders the master and verifies it. `corrected` is the input through
    /// the corrective moves; `loudness` the loudness stage's modules, and
    /// `rendered` its last trial render when that is exactly them. Returns the
    /// delivered samples, the whole chain and the analysis of what was
    /// delivered; verification notes go to `notes`.
    pub(super) fn render_and_verify(
        &self,
        corrected: Track<'_>,
        loudness: Vec<Module>,
        rendered: Option<AudioBuffer>,
        notes: &mut Vec<String>,
        progress: &mut impl FnMut(Stage, f64),
    ) -> Result<(AudioBuffer, Chain, Report)> {
        let (input, options) = (self.input, self.options);
        let out_rate = options.output_rate.unwrap_or(input.sample_rate());
        let mut final_modules = corrected.modules();
        final_modules.extend(loudness.iter().cloned());
        let mut chain_out = Chain::new(final_modules);
        // At the input's rate the corrections are already rendered: only the
        // loudness modules run now (or nothing, when the loudness stage's last
        // trial render is exactly them). At another rate the whole chain runs
        // on the resampled input, so the limiter sees the delivered rate.
        let delivery_input = if out_rate == input.sample_rate() {
            None
        } else {
            Some(resample::resample(&*input.audio()?, out_rate)?)
        };
        let mut audio_out = match (&delivery_input, rendered) {
            (Some(d), _) => {
                drop(corrected);
                chain::render(&chain_out, d)?
            }
            // The corrected track goes now, not after the verification's
            // analysis: one whole copy of the track fewer while it runs.
            (None, Some(r)) => {
                drop(corrected);
                r
            }
            (None, None) => corrected.into_render_with(&Chain::new(loudness))?,
        };
        self.quantize(&mut audio_out);
        progress(Stage::Verify, 0.9);
        // The analysis of the delivered file measures its true peak with the
        // same meter; it is kept unless the file has to be rendered again.
        let (first_after, first_m) = self.deliver_and_analyse(&audio_out, progress)?;
        let first_tp = Raw::of(&first_m).true_peak_dbtp;
        drop(first_m);
        // The limiter guarantees its ceiling; a gain-only master (no limiter was
        // needed at the input rate) may still gain an over from resampling or
        // dither: then the gain comes down by the excess.
        // Every re-render is measured again, the last one too: a master
        // still over its ceiling after the last pass is an error, never
        // delivered (the first render, delivered while it was analysed, is
        // removed by the caller when mastering fails).
        let ceiling = options.intent.ceiling_dbtp;
        let mut tp = first_tp;
        let mut passes = 0;
        while !ceiling_held(tp, ceiling) {
            if passes == VERIFY_PASSES || !tp.is_finite() {
                return Err(Error::CeilingNotHeld {
                    true_peak_dbtp: tp,
                    ceiling_dbtp: ceiling,
                });
            }
            let excess = tp - ceiling + 0.05;
            lower_gain(&mut chain_out, excess);
            notes.push(format!(
                "Gain lowered by {excess:.2} dB after verification: the delivered file's true peak was {tp:.2} dBTP"
            ));
            audio_out = match &delivery_input {
                Some(d) => chain::render(&chain_out, d)?,
                None => chain::render_samples(&chain_out, input)?,
            };
            self.quantize(&mut audio_out);
            passes += 1;
            tp = tp_dbtp(&audio_out);
        }
        let rerendered = passes > 0;
        let after = if rerendered {
            self.deliver_and_analyse(&audio_out, progress)?.0
        } else {
            first_after
        };
        Ok((audio_out, chain_out, after))
    }

    /// Quantises to the delivery word length (dithered per the contract).
    fn quantize(&self, audio: &mut AudioBuffer) {
        let format = self.options.output_format;
        export::quantize_in_place(audio, format, export::default_dither(format));
    }

    /// Hands `audio` to the caller while analysing it as the delivered file
    /// (natively on two threads).
    fn deliver_and_analyse(
        &self,
        audio: &AudioBuffer,
        progress: &mut impl FnMut(Stage, f64),
    ) -> Result<(Report, crate::measure::Measurements)> {
        let bits = u32::from(self.options.output_format.bits());
        let source = Source {
            // Read as the input was (a lossy decode's clipping through the
            // codec's ripple), though delivered as WAV.
            lossy: Source::is_lossy_format(&self.options.input_format),
            ..Source::in_format(&self.options.input_name, "wav", Some(bits))
        };
        let (delivered, analysed) = join(
            || (self.deliver)(audio),
            || {
                analyze(audio, &source, self.aopts, |_, f| {
                    progress(Stage::Verify, 0.9 + 0.1 * f)
                })
                .into_parts()
            },
        );
        delivered?;
        Ok(analysed)
    }
}

/// Re-renders with a lower gain at most this many times before a master
/// still over its ceiling is an error.
const VERIFY_PASSES: usize = 3;

/// Whether a true peak (dBTP, the engine's meter) holds the ceiling; NaN never does,
/// the −∞ of digital silence always does.
fn ceiling_held(true_peak_dbtp: f64, ceiling_dbtp: f64) -> bool {
    true_peak_dbtp <= ceiling_dbtp
}

/// Lowers every gain module of `chain` by `excess` dB (adds one if it has none).
fn lower_gain(chain: &mut Chain, excess: f64) {
    for m in &mut chain.modules {
        if let Module::Gain { gain_db } = m {
            *gain_db -= excess;
        }
    }
    if !chain
        .modules
        .iter()
        .any(|m| matches!(m, Module::Gain { .. }))
    {
        chain.modules.push(Module::Gain { gain_db: -excess });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::io::wav::SampleFormat;

    /// A stereo 1 kHz sine at −6 dBFS.
    fn sine(sample_rate: u32, seconds: f64) -> AudioBuffer {
        let n = (f64::from(sample_rate) * seconds) as usize;
        let ch: Vec<f32> = (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(sample_rate);
                (0.5 * (2.0 * std::f64::consts::PI * 1000.0 * t).sin()) as f32
            })
            .collect();
        AudioBuffer {
            sample_rate,
            channels: vec![ch.clone(), ch],
        }
    }

    /// Verifies `modules` rendered over `input` against the default −1 dBTP
    /// ceiling; returns the result and how often the audio was delivered.
    fn verify(input: &AudioBuffer, modules: &[Module]) -> (Result<f64>, usize) {
        let options = MasterOptions {
            output_format: SampleFormat::Float32,
            ..MasterOptions::default()
        };
        let aopts = AnalysisOptions {
            target_lufs: options.intent.target.lufs(),
            ceiling_dbtp: options.intent.ceiling_dbtp,
        };
        let deliveries = AtomicUsize::new(0);
        let deliver = |_: &AudioBuffer| -> Result<()> {
            deliveries.fetch_add(1, Ordering::Relaxed);
            Ok(())
        };
        let delivery = Delivery {
            input: Samples::Float(input),
            options: &options,
            aopts: &aopts,
            deliver: &deliver,
        };
        let corrected =
            Track::rendered(Samples::Float(input), Chain::new(modules.to_vec()), true).unwrap();
        let result = delivery.render_and_verify(
            corrected,
            Vec::new(),
            None,
            &mut Vec::new(),
            &mut |_, _| {},
        );
        (
            result.map(|(audio, _, _)| tp_dbtp(&audio)),
            deliveries.load(Ordering::Relaxed),
        )
    }

    /// A gain-only over is brought under the ceiling by the verification.
    #[test]
    fn a_gain_only_over_is_lowered_under_the_ceiling() {
        let input = sine(48_000, 2.0);
        let (tp, deliveries) = verify(&input, &[Module::Gain { gain_db: 6.0 }]);
        let tp = tp.expect("a gain can always be lowered");
        assert!(tp <= -1.0, "{tp}");
        assert_eq!(deliveries, 2, "first render, then the corrected one");
    }

    /// A limiter whose own ceiling (0 dBTP) is above the master's (−1 dBTP),
    /// driven 20 dB into it: lowering the gain before it by the excess never
    /// gets the output under −1 dBTP in three passes. Such a master must fail
    /// loudly and the over-ceiling re-render must never be delivered.
    #[test]
    fn a_ceiling_not_held_after_every_pass_is_an_error_not_a_delivery() {
        let input = sine(48_000, 2.0);
        let modules = [
            Module::Gain { gain_db: 20.0 },
            Module::Limiter {
                ceiling_dbtp: 0.0,
                lookahead_ms: 5.0,
                release_ms: 120.0,
            },
        ];
        let (result, deliveries) = verify(&input, &modules);
        match result {
            Err(Error::CeilingNotHeld {
                true_peak_dbtp,
                ceiling_dbtp,
            }) => {
                assert!(true_peak_dbtp > ceiling_dbtp, "{true_peak_dbtp}");
                assert_eq!(ceiling_dbtp, -1.0);
            }
            Err(e) => panic!("unexpected error: {e}"),
            Ok(tp) => panic!("delivered a master at {tp:.2} dBTP over its −1 dBTP ceiling"),
        }
        assert_eq!(
            deliveries, 1,
            "only the first render, analysed while written"
        );
    }
}
