//! Pink noise (power falling 3 dB per octave: equal power in every
//! fractional-octave band), shaped by an optional one-pole low-pass, with a
//! gain set from the wanted power in one ⅓-octave band.
//!
//! What is modelled: white noise from a xorshift32 generator (G. Marsaglia,
//! "Xorshift RNGs", J. Stat. Softw. 8(14), 2003), uniform in [−1, 1), through
//! Paul Kellet's "economy" pinking filter (three one-pole sections plus a
//! direct path, ±0.5 dB of −3 dB/oct from 10 Hz to Nyquist at 44.1 kHz; the
//! poles are moved to keep their frequencies at other rates). The gain is
//! computed from the filter's exact complex response at the reference
//! frequency, so the level is right by construction, not by a measured
//! constant. No allocation; `Copy`.

/// Kellet's pole radii at 44.1 kHz and the gains of the three sections, then the direct path.
const KELLET_POLES_44K: [f64; 3] = [0.997_65, 0.963_00, 0.570_00];
const KELLET_GAINS: [f64; 3] = [0.099_046_0, 0.296_516_4, 1.052_691_3];
const KELLET_DIRECT: f64 = 0.1848;

/// Variance of white noise uniform in [−1, 1).
const WHITE_VARIANCE: f64 = 1.0 / 3.0;

/// Pink noise generator for one channel.
#[derive(Clone, Copy, Debug)]
pub struct PinkNoise {
    rng: u32,
    poles: [f64; 3],
    gains: [f64; 3],
    sections: [f64; 3],
    /// One-pole low-pass coefficient (`y += a·(x − y)`); 1 = none.
    lp_a: f64,
    lp_y: f64,
    gain: f64,
}

impl PinkNoise {
    /// Pink noise, low-passed at `corner_hz` (first order; `None` = full band),
    /// whose ⅓-octave band centred at `ref_hz` has mean-square power
    /// `band_power_db` dB(FS). `seed` picks the sequence (0 is replaced).
    pub fn new(
        sample_rate: f64,
        corner_hz: Option<f64>,
        ref_hz: f64,
        band_power_db: f64,
        seed: u32,
    ) -> Self {
        let sr = sample_rate.max(1.0);
        let tau = std::f64::consts::TAU;
        let mut poles = [0.0; 3];
        let mut gains = [0.0; 3];
        for i in 0..3 {
            // Same pole frequency at every rate; same DC gain per section.
            poles[i] = KELLET_POLES_44K[i].powf(44_100.0 / sr);
            gains[i] = KELLET_GAINS[i] * (1.0 - poles[i]) / (1.0 - KELLET_POLES_44K[i]);
        }
        let lp_a = corner_hz.map_or(1.0, |fc| 1.0 - (-tau * fc / sr).exp());
        let mut noise = Self {
            rng: if seed == 0 { 0x9E37_79B9 } else { seed },
            poles,
            gains,
            sections: [0.0; 3],
            lp_a,
            lp_y: 0.0,
            gain: 1.0,
        };
        // One-sided PSD at ref_hz per unit gain: σ²·|H|²·2/fs; times the band's width.
        let h2 = noise.power_response(ref_hz, sr);
        let width = ref_hz * (2f64.powf(1.0 / 6.0) - 2f64.powf(-1.0 / 6.0));
        let unit_band_power = WHITE_VARIANCE * h2 * 2.0 / sr * width;
        noise.gain = (10f64.powf(band_power_db / 10.0) / unit_band_power).sqrt();
        noise
    }

    /// `|H(e^{jω})|²` of the pinking filter and low-pass at `f` Hz (unit gain).
    pub fn power_response(&self, f: f64, sample_rate: f64) -> f64 {
        let w = std::f64::consts::TAU * f / sample_rate;
        let (c, s) = (w.cos(), -w.sin()); // z⁻¹
        let div = |num: (f64, f64), den: (f64, f64)| {
            let d = den.0 * den.0 + den.1 * den.1;
            (
                (num.0 * den.0 + num.1 * den.1) / d,
                (num.1 * den.0 - num.0 * den.1) / d,
            )
        };
        let mut h = (KELLET_DIRECT, 0.0);
        for i in 0..3 {
            let t = div(
                (self.gains[i], 0.0),
                (1.0 - self.poles[i] * c, -self.poles[i] * s),
            );
            h = (h.0 + t.0, h.1 + t.1);
        }
        let lp = div(
            (self.lp_a, 0.0),
            (1.0 - (1.0 - self.lp_a) * c, -(1.0 - self.lp_a) * s),
        );
        (h.0 * h.0 + h.1 * h.1) * (lp.0 * lp.0 + lp.1 * lp.1)
    }

    /// Continues `other`'s sequence at this generator's own level: the same
    /// white noise and filter state from here on (both built at one sample
    /// rate and corner), so a level change crossfaded between the two is a
    /// change of level, not a mix of two unrelated noises (whose powers add:
    /// 3 dB under either at the middle of a linear crossfade).
    pub fn continue_from(&mut self, other: &Self) {
        self.rng = other.rng;
        self.sections = other.sections;
        self.lp_y = other.lp_y;
    }

    /// The next sample.
    #[inline]
    pub fn tick(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        let white = f64::from(x) / 2_147_483_648.0 - 1.0;
        let mut pink = KELLET_DIRECT * white;
        for i in 0..3 {
            self.sections[i] = self.poles[i] * self.sections[i] + self.gains[i] * white;
            pink += self.sections[i];
        }
        self.lp_y += self.lp_a * (pink - self.lp_y);
        self.gain * self.lp_y
    }
}
