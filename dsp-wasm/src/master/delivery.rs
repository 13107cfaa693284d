//! Delivery (step 5 in [`super`]): render at the delivery rate (the limiter
//! runs at that rate, so its ceiling holds in the file), quantise (16-bit:
//! TPDF dither), hand the samples to the caller while exactly they are
//! analysed, and lower the gain if the delivered file's true peak (4× meter)
//! is over the ceiling.

use std::borrow::Cow;

use super::{tp_dbtp, MasterOptions, Raw};
use crate::audio::AudioBuffer;
use crate::chain::{self, Chain, Module};
use crate::error::Result;
use crate::io::{export, resample};
use crate::measure::AnalysisOptions;
use crate::parallel::join;
use crate::progress::Stage;
use crate::report::{analyze, Report, Source};

/// What the delivery step needs from the master.
pub(super) struct Delivery<'a> {
    /// The (sanitised) input, at its own rate.
    pub(super) input: &'a AudioBuffer,
    pub(super) options: &'a MasterOptions,
    pub(super) aopts: &'a AnalysisOptions,
    /// Receives the delivered samples (e.g. writes the file).
    pub(super) deliver: &'a (dyn Fn(&AudioBuffer) -> Result<()> + Sync),
}

impl Delivery<'_> {
    /// Renders the master and verifies it. `corrected` is the input through
    /// the corrective `modules`; `loudness` the loudness stage's modules, and
    /// `rendered` its last trial render when that is exactly them. Returns the
    /// delivered samples, the whole chain and the analysis of what was
    /// delivered; verification notes go to `notes`.
    pub(super) fn render_and_verify(
        &self,
        corrected: Cow<'_, AudioBuffer>,
        modules: &[Module],
        loudness: Vec<Module>,
        rendered: Option<AudioBuffer>,
        notes: &mut Vec<String>,
        progress: &mut impl FnMut(Stage, f64),
    ) -> Result<(AudioBuffer, Chain, Report)> {
        let (input, options) = (self.input, self.options);
        let out_rate = options.output_rate.unwrap_or(input.sample_rate);
        let mut final_modules = modules.to_vec();
        final_modules.extend(loudness.iter().cloned());
        let mut chain_out = Chain::new(final_modules);
        // At the input's rate the corrections are already rendered: only the
        // loudness modules run now (or nothing, when the loudness stage's last
        // trial render is exactly them). At another rate the whole chain runs
        // on the resampled input, so the limiter sees the delivered rate.
        let delivery_input = if out_rate == input.sample_rate {
            None
        } else {
            Some(resample::resample(input, out_rate)?)
        };
        let mut audio_out = match (&delivery_input, rendered) {
            (Some(d), _) => chain::render(&chain_out, d)?,
            (None, Some(r)) => r,
            (None, None) if loudness.is_empty() => corrected.into_owned(),
            (None, None) => {
                let mut a = corrected.into_owned();
                chain::render_in_place(&Chain::new(loudness), &mut a)?;
                a
            }
        };
        self.quantize(&mut audio_out);
        progress(Stage::Verify, 0.9);
        // The analysis of the delivered file measures its true peak with the
        // same 4× meter; it is kept unless the file has to be rendered again.
        let (first_after, first_m) = self.deliver_and_analyse(&audio_out, progress)?;
        let first_tp = Raw::of(&first_m).true_peak_dbtp;
        drop(first_m);
        // The limiter guarantees its ceiling; a gain-only master (no limiter was
        // needed at the input rate) may still gain an over from resampling or
        // dither: then the gain comes down by the excess.
        let ceiling = options.intent.ceiling_dbtp;
        let mut rerendered = false;
        for pass in 0..3 {
            let tp = if pass == 0 {
                first_tp
            } else {
                tp_dbtp(&audio_out)
            };
            if tp <= ceiling {
                break;
            }
            let excess = tp - ceiling + 0.05;
            lower_gain(&mut chain_out, excess);
            notes.push(format!(
                "Gain lowered by {excess:.2} dB after verification: the delivered file's true peak was {tp:.2} dBTP"
            ));
            audio_out = chain::render(&chain_out, delivery_input.as_ref().unwrap_or(input))?;
            self.quantize(&mut audio_out);
            rerendered = true;
        }
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
        let source = Source::in_format(&self.options.input_name, "wav", Some(bits));
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
