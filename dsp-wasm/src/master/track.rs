//! The track being mastered: the input through the moves kept so far.
//!
//! Every trial (a corrective candidate, a reference correction, a gain of
//! the loudness stage, the delivery render) is a render of this track
//! through one more module. Holding the track's samples makes each trial one
//! module's render; not holding them makes each trial a render of the kept
//! moves as well, but takes a whole copy of the track out of the peak, where
//! the input, this track and a trial render would otherwise sit side by side.
//! Where candidates are judged one at a time (in wasm, whose memory never
//! shrinks) and the track is long, that copy is most of the difference
//! between about three and four times the decoded audio ([`super::hold_track`]).
//!
//! Either way a trial gives the same samples: the kept moves are rendered one
//! segment after the other over a copy of the input ([`chain::render_in_place`]
//! each), exactly as they were when each was kept over the track before it.

use std::borrow::Cow;

use crate::audio::{AudioBuffer, Samples};
use crate::chain::{self, Chain, Module};
use crate::error::Result;

/// The input through the kept segments, held or made again when needed.
pub(super) struct Track<'a> {
    input: Samples<'a>,
    /// The kept moves, each rendered over the track before it.
    segments: Vec<Chain>,
    /// The input through `segments` (`None`: nothing kept, or not held).
    held: Option<AudioBuffer>,
    hold: bool,
}

impl<'a> Track<'a> {
    /// The input with nothing kept; `hold` keeps the samples of what is kept.
    pub(super) fn new(input: Samples<'a>, hold: bool) -> Self {
        Self {
            input,
            segments: Vec::new(),
            held: None,
            hold,
        }
    }

    /// The track is `segment` rendered over `input` (the rescale's one
    /// chain); held if `hold`.
    pub(super) fn rendered(input: Samples<'a>, segment: Chain, hold: bool) -> Result<Self> {
        let mut track = Self::new(input, hold);
        track.keep(segment, None)?;
        Ok(track)
    }

    /// Every kept module, in order.
    pub(super) fn modules(&self) -> Vec<Module> {
        self.segments
            .iter()
            .flat_map(|s| s.modules.iter().cloned())
            .collect()
    }

    /// Whether the samples are held as `f32` (a look at them costs no
    /// whole-track copy): what is kept, or the input itself while nothing
    /// is, unless it is stored as integers.
    pub(super) fn holds(&self) -> bool {
        self.held.is_some() || (self.segments.is_empty() && matches!(self.input, Samples::Float(_)))
    }

    /// The track's samples: borrowed when held (or nothing is kept and the
    /// input is `f32`), else made now — let them go before rendering a
    /// trial.
    pub(super) fn audio(&self) -> Result<Cow<'_, AudioBuffer>> {
        match (&self.held, self.segments.is_empty()) {
            (Some(a), _) => Ok(Cow::Borrowed(a)),
            (None, true) => self.input.audio(),
            (None, false) => Ok(Cow::Owned(self.render_with(&Chain::new(Vec::new()))?)),
        }
    }

    /// The track through `extra` as well: one whole-track copy (with a
    /// render's room), the samples of `chain::render(extra, track)`.
    pub(super) fn render_with(&self, extra: &Chain) -> Result<AudioBuffer> {
        let mut out = match &self.held {
            Some(a) => chain::copy_with_room(a, 0),
            None => {
                let mut a = self.input.copy_with_room(0)?;
                for s in &self.segments {
                    chain::render_in_place(s, &mut a)?;
                }
                a
            }
        };
        if !extra.modules.is_empty() {
            chain::render_in_place(extra, &mut out)?;
        }
        Ok(out)
    }

    /// Keeps `segment`. `rendered` is [`Track::render_with`] of it when the
    /// caller still has it; a track that holds its samples renders it
    /// otherwise, one that does not lets it go.
    pub(super) fn keep(&mut self, segment: Chain, rendered: Option<AudioBuffer>) -> Result<()> {
        self.held = if self.hold {
            Some(match rendered {
                Some(a) => a,
                None => self.render_with(&segment)?,
            })
        } else {
            None
        };
        self.segments.push(segment);
        Ok(())
    }

    /// Whether the track keeps what it renders (a trial's render is
    /// then worth keeping until it is decided on).
    pub(super) fn keeps_renders(&self) -> bool {
        self.hold
    }

    /// [`Track::render_with`], rendering over the held samples themselves
    /// when they are held (no copy).
    pub(super) fn into_render_with(self, extra: &Chain) -> Result<AudioBuffer> {
        match self.held {
            Some(mut a) => {
                if !extra.modules.is_empty() {
                    chain::render_in_place(extra, &mut a)?;
                }
                Ok(a)
            }
            None => self.render_with(extra),
        }
    }
}
