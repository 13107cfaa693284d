//! EBU conformance, synthesized from the published definitions:
//! EBU Tech 3341 (loudness meter) stereo 1 kHz sine cases, EBU Tech 3342
//! (loudness range) cases, and true peak (ITU-R BS.1770-4 Annex 2) on signals
//! whose true peak is known analytically.

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::measure::loudness;
use dsp_wasm::measure::true_peak;
use preflight_tests::signals::{sine, stereo_sections};

const RATE: u32 = 48_000;

/// Stereo 1 kHz sine sections `(dBFS, seconds)` back to back.
fn sections(parts: &[(f64, f64)]) -> AudioBuffer {
    let s: Vec<Vec<f32>> = parts
        .iter()
        .map(|&(db, secs)| sine(RATE, 1000.0, db, secs))
        .collect();
    stereo_sections(RATE, &s)
}

fn integrated(parts: &[(f64, f64)]) -> f64 {
    loudness::measure(&sections(parts), |_| {})
        .integrated_lufs
        .expect("defined")
}

fn lra(parts: &[(f64, f64)]) -> f64 {
    loudness::measure(&sections(parts), |_| {})
        .range_lu
        .expect("defined")
}

fn assert_close(name: &str, got: f64, want: f64, tol: f64) {
    println!("{name}: {got:.3} (expected {want} ±{tol})");
    assert!(
        (got - want).abs() <= tol,
        "{name}: got {got:.3}, expected {want} ±{tol}"
    );
}

#[test]
fn tech3341_case1_minus23_dbfs_reads_minus23_lufs() {
    assert_close("case 1", integrated(&[(-23.0, 20.0)]), -23.0, 0.1);
}

#[test]
fn tech3341_case2_minus33_dbfs_reads_minus33_lufs() {
    assert_close("case 2", integrated(&[(-33.0, 20.0)]), -33.0, 0.1);
}

#[test]
fn tech3341_case3_relative_gate() {
    assert_close(
        "case 3",
        integrated(&[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]),
        -23.0,
        0.1,
    );
}

#[test]
fn tech3341_case4_absolute_and_relative_gate() {
    let parts = [
        (-72.0, 10.0),
        (-36.0, 10.0),
        (-23.0, 60.0),
        (-36.0, 10.0),
        (-72.0, 10.0),
    ];
    assert_close("case 4", integrated(&parts), -23.0, 0.1);
}

#[test]
fn tech3341_case5_minus26_minus20_minus26() {
    assert_close(
        "case 5",
        integrated(&[(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)]),
        -23.0,
        0.1,
    );
}

#[test]
fn tech3341_momentary_and_short_term_of_a_steady_sine() {
    let l = loudness::measure(&sections(&[(-23.0, 20.0)]), |_| {});
    assert_close("max momentary", l.max_momentary_lufs.unwrap(), -23.0, 0.1);
    assert_close("max short-term", l.max_short_term_lufs.unwrap(), -23.0, 0.1);
}

#[test]
fn tech3342_case1_minus20_minus30() {
    assert_close("LRA 1", lra(&[(-20.0, 20.0), (-30.0, 20.0)]), 10.0, 1.0);
}

#[test]
fn tech3342_case2_minus20_minus15() {
    assert_close("LRA 2", lra(&[(-20.0, 20.0), (-15.0, 20.0)]), 5.0, 1.0);
}

#[test]
fn tech3342_case3_minus40_minus20() {
    assert_close("LRA 3", lra(&[(-40.0, 20.0), (-20.0, 20.0)]), 20.0, 1.0);
}

#[test]
fn tech3342_case4_five_sections() {
    let parts = [
        (-50.0, 20.0),
        (-35.0, 20.0),
        (-20.0, 20.0),
        (-35.0, 20.0),
        (-50.0, 20.0),
    ];
    assert_close("LRA 4", lra(&parts), 15.0, 1.0);
}

#[test]
fn conformance_holds_at_other_sample_rates() {
    for rate in [44_100u32, 96_000] {
        let s: Vec<Vec<f32>> = [(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)]
            .iter()
            .map(|&(db, secs)| sine(rate, 1000.0, db, secs))
            .collect();
        let l = loudness::measure(&stereo_sections(rate, &s), |_| {});
        assert_close(
            &format!("{rate} Hz"),
            l.integrated_lufs.unwrap(),
            -23.0,
            0.1,
        );
    }
}

/// A sine at exactly fs/4 with phase π/4: every sample sits at ±A/√2 (−3.01 dB)
/// while the waveform's crests, halfway between samples, reach A.
#[test]
fn true_peak_of_a_quarter_rate_sine_sampled_off_its_crest() {
    let a = 0.5f64; // −6.02 dBFS
    let x: Vec<f32> = (0..RATE as usize)
        .map(|i| {
            (a * (std::f64::consts::FRAC_PI_2 * i as f64 + std::f64::consts::FRAC_PI_4).sin())
                as f32
        })
        .collect();
    let sp = 20.0 * f64::from(x.iter().fold(0.0f32, |m, s| m.max(s.abs()))).log10();
    let tp = 20.0 * f64::from(true_peak::true_peak(&[&x, &x])).log10();
    let expected = 20.0 * a.log10();
    assert_close("sample peak", sp, expected - 3.01, 0.01);
    // BS.1770-4 Annex 2: a 4× interpolator may under-read by a few tenths of a dB.
    assert!(
        tp <= expected + 0.1 && tp >= expected - 0.4,
        "true peak {tp:.3} vs {expected:.3}"
    );
}

/// A 1 kHz sine's true peak equals its amplitude (oversampling adds nothing at low frequencies).
#[test]
fn true_peak_of_a_low_sine_is_its_amplitude() {
    let x = sine(RATE, 997.0, -1.0, 1.0);
    let tp = 20.0 * f64::from(true_peak::true_peak(&[&x])).log10();
    assert_close("997 Hz", tp, -1.0, 0.05);
}

/// EBU Tech 3341 case 19-like: 0 dBFS-peak samples of a sine at fs/6 whose
/// true peak (at the unsampled crest) is +0.0 dBTP above… computed analytically:
/// a sine at fs/6 with phase such that samples fall 30° off the crest reads
/// A·cos(30°) at the samples and A in between.
#[test]
fn true_peak_of_a_sixth_rate_sine() {
    let a = 0.9f64;
    let w = 2.0 * std::f64::consts::PI / 6.0;
    let x: Vec<f32> = (0..RATE as usize)
        .map(|i| (a * (w * i as f64 + w / 2.0).cos()) as f32)
        .collect();
    let tp = 20.0 * f64::from(true_peak::true_peak(&[&x])).log10();
    let expected = 20.0 * a.log10();
    assert!(
        tp <= expected + 0.1 && tp >= expected - 0.3,
        "true peak {tp:.3} vs {expected:.3}"
    );
}
