//! The playback systems as heard (dsp-wasm's `SystemSim` and `Monitor`),
//! measured from outside: pure tones through the simulation read back by
//! lock-in (quadrature) detection, noise levels by a Welch periodogram, mono
//! folding by anti-phase cancellation. The oracles are textbook values of
//! the documented prototypes (a 4th-order Butterworth is −48 dB two octaves
//! below its corner) and the report's own integration of the same model
//! (`systems::response`): the audio must be the model the verdicts use.

use dsp_wasm::monitor::{Listening, Monitor, SystemSim};
use dsp_wasm::playback::systems::{model, response, SYSTEMS};

const SR: f64 = 48_000.0;

fn listening(id: &str) -> Listening {
    Listening {
        system: model(id).unwrap(),
        solo_hz: None,
        programme_lufs: -14.0,
    }
}

fn tone(f: f64, amp: f64, n: usize, phase: f64) -> Vec<f32> {
    (0..n)
        .map(|i| (amp * (std::f64::consts::TAU * f * i as f64 / SR + phase).sin()) as f32)
        .collect()
}

/// Amplitude of `f` in `x[from..]` by quadrature detection over whole cycles.
fn amplitude(x: &[f32], from: usize, f: f64) -> f64 {
    let period = SR / f;
    let cycles = ((x.len() - from) as f64 / period).floor();
    let n = (cycles * period).round() as usize;
    let (mut s, mut c) = (0.0, 0.0);
    for (i, &v) in x[from..from + n].iter().enumerate() {
        let w = std::f64::consts::TAU * f * (from + i) as f64 / SR;
        s += f64::from(v) * w.sin();
        c += f64::from(v) * w.cos();
    }
    2.0 * (s * s + c * c).sqrt() / n as f64
}

fn run(sim: &mut SystemSim, l: &mut [f32], r: &mut [f32]) {
    for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
        sim.process(&mut [a, b]);
    }
}

/// Gain (dB) of `system` for an in-phase stereo tone at `f`.
fn measured_gain_db(id: &str, f: f64) -> f64 {
    let n = (SR * 0.5) as usize;
    let mut l = tone(f, 0.25, n, 0.0);
    let mut r = l.clone();
    let mut sim = SystemSim::new(&listening(id), SR);
    run(&mut sim, &mut l, &mut r);
    20.0 * (amplitude(&l, n / 2, f) / 0.25).log10()
}

#[test]
fn each_system_plays_the_response_its_verdicts_integrate() {
    for id in SYSTEMS.iter().filter(|&&s| s != "car") {
        for f in [
            40.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 3500.0, 6000.0, 10_000.0,
        ] {
            let want = 10.0 * response(id, f).log10() + model(id).unwrap().monitor_trim_db;
            let got = measured_gain_db(id, f);
            // Deep stop bands are limited by the measurement, not the model;
            // near Nyquist the bilinear transform bends the response (the
            // 12 kHz low-pass reads 0.4 dB high at 10 kHz at 48 kHz).
            let tol = if want < -40.0 {
                3.0
            } else if f > 0.15 * SR {
                0.5
            } else {
                0.3
            };
            assert!(
                (got - want).abs() < tol || (want < -60.0 && got < -55.0),
                "{id} at {f} Hz: heard {got:.2} dB, model {want:.2} dB"
            );
        }
    }
}

#[test]
fn the_phone_is_mono_with_little_below_300_hz() {
    let n = (SR * 0.5) as usize;
    // Textbook: 4th-order Butterworth at 400 Hz is −48 dB at 100 Hz.
    let trim = model("phone").unwrap().monitor_trim_db;
    let bass = measured_gain_db("phone", 100.0) - trim;
    assert!(
        (bass + 48.2).abs() < 1.5,
        "100 Hz through the phone: {bass:.1} dB"
    );
    assert!(measured_gain_db("phone", 200.0) < -20.0);
    // Anti-phase content vanishes in the mono sum; left and right are equal.
    let mut l = tone(1000.0, 0.25, n, 0.0);
    let mut r: Vec<f32> = l.iter().map(|x| -x).collect();
    let mut sim = SystemSim::new(&listening("phone"), SR);
    run(&mut sim, &mut l, &mut r);
    assert!(amplitude(&l, n / 2, 1000.0) < 1e-6);
    let mut l = tone(1000.0, 0.25, n, 0.0);
    let mut r = tone(1500.0, 0.25, n, 0.0);
    let mut sim = SystemSim::new(&listening("phone"), SR);
    run(&mut sim, &mut l, &mut r);
    assert!(l.iter().zip(&r).all(|(a, b)| a == b));
}

/// Consumer headphones are not a second hi-fi: their bass sits over the
/// reference by a low shelf (+4 dB, midpoint 105 Hz — textbook values of the
/// cookbook shelf: the full gain far below, half of it at the midpoint, none
/// three octaves up), and the channels stay apart (a left-only signal
/// leaves the right ear silent; no speaker crosstalk).
#[test]
fn headphones_lift_the_bass_and_keep_the_ears_apart() {
    let trim = model("headphones").unwrap().monitor_trim_db;
    let deep = measured_gain_db("headphones", 25.0) - trim;
    let mid = measured_gain_db("headphones", 105.0) - trim;
    let voice = measured_gain_db("headphones", 1000.0) - trim;
    assert!((deep - 4.0).abs() < 0.3, "25 Hz: {deep:.2} dB");
    assert!((mid - 2.0).abs() < 0.2, "105 Hz: {mid:.2} dB");
    assert!(voice.abs() < 0.2, "1 kHz: {voice:.2} dB");
    assert!(
        (measured_gain_db("hifi", 25.0)).abs() < 0.1,
        "the hi-fi stays the flat reference"
    );
    let n = (SR * 0.5) as usize;
    let mut l = tone(60.0, 0.25, n, 0.0);
    let mut r = vec![0.0f32; n];
    let mut sim = SystemSim::new(&listening("headphones"), SR);
    run(&mut sim, &mut l, &mut r);
    assert!(r.iter().all(|&x| x == 0.0), "the right ear hears the left");
    let left = 20.0 * (amplitude(&l, n / 2, 60.0) / 0.25).log10() - trim;
    assert!(left > 2.5, "60 Hz in the left ear: {left:.2} dB");
}

#[test]
fn the_club_sums_the_low_end_only() {
    let n = (SR * 1.0) as usize;
    let through = |f: f64| {
        let mut l = tone(f, 0.25, n, 0.0);
        let mut r: Vec<f32> = l.iter().map(|x| -x).collect();
        let mut sim = SystemSim::new(&listening("club"), SR);
        run(&mut sim, &mut l, &mut r);
        20.0 * (amplitude(&l, n / 2, f) / 0.25).log10()
    };
    // Anti-phase 50 Hz cancels on mono subs (LR4 at 120 Hz: its low band is
    // −24 dB/oct past the split, so what is left at 50 Hz is the high band's
    // −30 dB skirt); anti-phase 2 kHz plays on.
    assert!(through(50.0) < -25.0, "{}", through(50.0));
    assert!(through(2000.0).abs() < 0.2, "{}", through(2000.0));
}

/// Welch estimate of the one-sided power spectral density of `x` at `f`
/// (Hann, 8192-sample segments, half overlap), per Hz.
fn psd(x: &[f32], f: f64) -> f64 {
    let seg = 8192;
    let w: Vec<f64> = (0..seg)
        .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / seg as f64).cos())
        .collect();
    let u: f64 = w.iter().map(|v| v * v).sum();
    let (mut total, mut count) = (0.0, 0);
    let mut start = 0;
    while start + seg <= x.len() {
        let (mut re, mut im) = (0.0, 0.0);
        for i in 0..seg {
            let ph = std::f64::consts::TAU * f * i as f64 / SR;
            let v = f64::from(x[start + i]) * w[i];
            re += v * ph.cos();
            im -= v * ph.sin();
        }
        total += (re * re + im * im) * 2.0 / (SR * u);
        count += 1;
        start += seg / 2;
    }
    total / count as f64
}

/// Power in the ⅓-octave band centred at `fc`, dB, integrating the PSD at 9 points.
fn third_octave_db(x: &[f32], fc: f64) -> f64 {
    let (lo, hi) = (fc * 2f64.powf(-1.0 / 6.0), fc * 2f64.powf(1.0 / 6.0));
    let k = 9;
    let df = (hi - lo) / k as f64;
    let p: f64 = (0..k)
        .map(|i| psd(x, lo + (i as f64 + 0.5) * df) * df)
        .sum();
    10.0 * p.log10()
}

#[test]
fn car_road_noise_sits_where_the_verdict_puts_it() {
    let n = (SR * 6.0) as usize;
    let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
    let car = listening("car");
    let mut sim = SystemSim::new(&car, SR);
    run(&mut sim, &mut l, &mut r);
    let noise = model("car").unwrap().noise.unwrap();
    for (fc, tol) in [(2000.0, 1.0), (1000.0, 1.0), (4000.0, 1.0), (50.0, 2.0)] {
        // The noise is added after the cabin's shelf (the shelf is the
        // music's, not the noise's); the monitor trim lowers both.
        let want = noise.band_power_db(car.programme_lufs, fc) + car.system.monitor_trim_db;
        let got = third_octave_db(&l, fc);
        assert!(
            (got - want).abs() < tol,
            "road noise at {fc} Hz: {got:.2} dB, model {want:.2} dB"
        );
    }
    // Diffuse: the two sides are not the same noise.
    let same = l.iter().zip(&r).filter(|(a, b)| a == b).count();
    assert!(same < n / 100);
    // The level follows the programme: 6 dB louder music, 6 dB louder noise.
    let mut loud = car;
    loud.programme_lufs += 6.0;
    let (mut l2, mut r2) = (vec![0.0f32; n], vec![0.0f32; n]);
    run(&mut SystemSim::new(&loud, SR), &mut l2, &mut r2);
    let rise = third_octave_db(&l2, 2000.0) - third_octave_db(&l, 2000.0);
    assert!((rise - 6.0).abs() < 0.01, "{rise}");
}

#[test]
fn a_solo_band_keeps_only_the_band() {
    let mut solo = listening("hifi");
    solo.solo_hz = Some([2500.0, 8000.0]);
    let gain = |f: f64| {
        let n = (SR * 0.5) as usize;
        let mut l = tone(f, 0.25, n, 0.0);
        let mut r = l.clone();
        run(&mut SystemSim::new(&solo, SR), &mut l, &mut r);
        20.0 * (amplitude(&l, n / 2, f) / 0.25).log10()
    };
    assert!(gain(4500.0).abs() < 0.5, "{}", gain(4500.0));
    assert!(gain(300.0) < -60.0, "{}", gain(300.0));
    assert!(gain(16_000.0) < -20.0, "{}", gain(16_000.0));
}

#[test]
fn switching_systems_is_click_free_and_lands_on_the_new_system() {
    let n = (SR * 1.0) as usize;
    let f = 440.0;
    let amp = 0.5;
    let input = tone(f, amp, n, 0.0);
    let (mut l, mut r) = (input.clone(), input.clone());
    let mut monitor = Monitor::new(SR, 128);
    let switch_at = 128 * 100;
    for (k, (a, b)) in l.chunks_mut(128).zip(r.chunks_mut(128)).enumerate() {
        if k * 128 == switch_at {
            monitor.set(listening("phone"));
        }
        monitor.process(&mut [a, b]);
    }
    // No step larger than the tone's own largest step (a click is a jump).
    let tone_step = amp * std::f64::consts::TAU * f / SR;
    let step = l
        .windows(2)
        .map(|w| f64::from((w[1] - w[0]).abs()))
        .fold(0.0, f64::max);
    assert!(step <= tone_step * 1.05, "step {step} vs tone {tone_step}");
    // After the fade, exactly a phone started at the switch.
    let (mut pl, mut pr) = (input[switch_at..].to_vec(), input[switch_at..].to_vec());
    run(
        &mut SystemSim::new(&listening("phone"), SR),
        &mut pl,
        &mut pr,
    );
    let settled = switch_at + (SR * 0.05) as usize;
    for i in settled..n {
        assert!((l[i] - pl[i - switch_at]).abs() < 1e-6, "at {i}");
    }
    // Before the switch, untouched hifi.
    assert_eq!(&l[..switch_at], &input[..switch_at]);
    assert_eq!(monitor.listening(), listening("phone"));
}
