//! The monitor path: what the artist hears after the chain — a playback
//! system of [`crate::playback::systems`] and an optional solo band
//! ([`simulator::SystemSim`]) — switched without a click. Only heard, never
//! exported.
//!
//! A change of [`Listening`] builds the new simulation beside the running one
//! (coefficients only, no allocation) and crossfades linearly from the old to
//! the new over [`CROSSFADE_MS`]; a change that arrives during a crossfade
//! waits for it to finish, so every switch is one full fade. The second path's
//! buffers are allocated once in [`Monitor::new`]; [`Monitor::process`]
//! never allocates.

pub mod simulator;

use crate::dsp::smooth::LinearSmoother;
use crate::playback::systems::MODELS;
pub use simulator::{Listening, SystemSim};

/// Length of the crossfade between two systems, ms.
pub const CROSSFADE_MS: f32 = 30.0;

/// Most channels the monitor takes (as the chain).
const MAX_CHANNELS: usize = 2;

/// A crossfading holder of the current [`SystemSim`].
pub struct Monitor {
    sample_rate: f64,
    listening: Listening,
    active: SystemSim,
    incoming: Option<SystemSim>,
    pending: Option<Listening>,
    fade: LinearSmoother,
    scratch: [Vec<f32>; MAX_CHANNELS],
}

impl Monitor {
    /// A monitor on the flat reference (`hifi`), for blocks of up to `max_frames`.
    pub fn new(sample_rate: f64, max_frames: usize) -> Self {
        let listening = Listening {
            system: &MODELS[0],
            solo_hz: None,
            programme_lufs: -14.0,
        };
        Self {
            sample_rate,
            listening,
            active: SystemSim::new(&listening, sample_rate),
            incoming: None,
            pending: None,
            fade: LinearSmoother::new(0.0, CROSSFADE_MS, sample_rate as f32),
            scratch: [vec![0.0; max_frames], vec![0.0; max_frames]],
        }
    }

    /// What is heard now (the target of any crossfade under way).
    pub fn listening(&self) -> Listening {
        self.pending.unwrap_or(self.listening)
    }

    /// Switches to `listening` with a crossfade (no-op if it is already that).
    pub fn set(&mut self, listening: Listening) {
        if self.listening() == listening {
            return;
        }
        if self.incoming.is_some() {
            self.pending = Some(listening);
        } else {
            self.start(listening);
        }
    }

    fn start(&mut self, listening: Listening) {
        self.listening = listening;
        self.incoming = Some(SystemSim::new(&listening, self.sample_rate));
        self.fade.set_immediate(0.0);
        self.fade.set_target(1.0);
    }

    /// Processes one block in place (at most `max_frames` of [`Self::new`]).
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let Some(incoming) = self.incoming.as_mut() else {
            self.active.process(channels);
            return;
        };
        let n = channels.first().map_or(0, |c| c.len());
        let used = channels.len().min(MAX_CHANNELS);
        let n = n.min(self.scratch[0].len());
        let [s0, s1] = &mut self.scratch;
        s0[..n].copy_from_slice(&channels[0][..n]);
        if used > 1 {
            s1[..n].copy_from_slice(&channels[1][..n]);
        }
        {
            let mut new_path: [&mut [f32]; MAX_CHANNELS] = [&mut s0[..n], &mut s1[..n]];
            incoming.process(&mut new_path[..used]);
        }
        self.active.process(channels);
        for i in 0..n {
            let g = self.fade.tick();
            channels[0][i] += g * (s0[i] - channels[0][i]);
            if used > 1 {
                channels[1][i] += g * (s1[i] - channels[1][i]);
            }
        }
        if !self.fade.is_smoothing() {
            self.active = *incoming;
            self.incoming = None;
            if let Some(next) = self.pending.take() {
                self.start(next);
            }
        }
    }
}
