//! Scaling a master's moves (`master::rescale`), checked from outside: at
//! 100 % every move the master is reproduced sample for sample; at 0 % the
//! harsh band's physical excess over the clean mix (measured with the test
//! support's own filters, not the engine's detectors) comes back to what the
//! mix had, and at 150 % it goes below the master's; at every amount the
//! delivered file holds the ceiling (by the engine's true-peak meter,
//! conformance-tested, and ffmpeg when present) and the target loudness.

use dsp_wasm::chain::{FilterKind, Module};
use dsp_wasm::master::{master, rescale, MasterOptions, MAX_AMOUNT};
use dsp_wasm::measure::loudness;
use dsp_wasm::measure::true_peak::true_peak;
use dsp_wasm::units::to_db;
use preflight_tests::bands::band_vs_all_db;
use preflight_tests::master_mix::{clean, eq, gain, through};

const SR: u32 = 48_000;

/// `m` rescaled with every move at 100 %.
fn at_full_amount(
    mix: &dsp_wasm::AudioBuffer,
    options: &MasterOptions,
    m: &dsp_wasm::master::Mastered,
) -> dsp_wasm::master::Mastered {
    let n = m.corrections.modules.len();
    rescale(
        mix,
        options,
        &m.report,
        &m.corrections,
        &vec![1.0; n],
        |_, _| {},
    )
    .unwrap()
}

#[test]
fn amounts_scale_the_moves_and_the_master_still_holds() {
    let clean_mix = clean(SR, 12.0);
    let harsh = gain(
        &through(&clean_mix, vec![eq(FilterKind::Peaking, 4000.0, 0.8, 14.0)]),
        -3.0,
    );
    let options = MasterOptions::default();
    let m = master(&harsh, &options, None, |_, _| {}).unwrap();
    let n = m.corrections.modules.len();
    assert!(n > 0, "the harsh mix must get a corrective move");
    let excess = |a: &dsp_wasm::AudioBuffer| {
        band_vs_all_db(a, 2500.0, 8000.0) - band_vs_all_db(&clean_mix, 2500.0, 8000.0)
    };

    // 100 %: the same master.
    let same = at_full_amount(&harsh, &options, &m);
    assert_eq!(same.report.chain, m.report.chain);
    assert_eq!(same.audio, m.audio);

    let at = |f: f64| {
        let r = rescale(
            &harsh,
            &options,
            &m.report,
            &m.corrections,
            &vec![f; n],
            |_, _| {},
        )
        .unwrap();
        let tp = to_db(f64::from(true_peak(&r.audio.as_slices())));
        assert!(
            tp <= options.intent.ceiling_dbtp,
            "at {f}: true peak {tp:.2} dBTP"
        );
        let lufs = loudness::measure(&r.audio, |_| {}).integrated_lufs.unwrap();
        assert!((lufs - -14.0).abs() < 0.5, "at {f}: {lufs:.2} LUFS");
        // The chain carries the scaled moves, the decisions their amounts.
        for (i, module) in m.corrections.modules.iter().enumerate() {
            assert_eq!(r.report.chain.modules[i], module.scaled(f));
        }
        assert!(r
            .report
            .decisions
            .iter()
            .filter(|d| d.params.get("module_index").is_some())
            .all(|d| d.params["amount"].as_f64() == Some(f)));
        r
    };
    let (off, more) = (at(0.0), at(MAX_AMOUNT));
    let (e_mix, e_master, e_off, e_more) = (
        excess(&harsh),
        excess(&m.audio),
        excess(&off.audio),
        excess(&more.audio),
    );
    assert!(
        e_master < e_mix - 1.0,
        "the master tames the band: {e_mix:.2} → {e_master:.2} dB"
    );
    assert!(
        (e_off - e_mix).abs() < 0.5,
        "at 0 % the mix's excess: {e_mix:.2} vs {e_off:.2} dB"
    );
    assert!(
        e_more < e_master - 0.3,
        "at 150 % more taming: {e_master:.2} → {e_more:.2} dB"
    );
    assert!(off
        .report
        .decisions
        .iter()
        .any(|d| d.label.contains("at 0 %")));
    // A move scaled to nothing is no harsh-band move any more.
    assert!(
        matches!(off.report.chain.modules[0], Module::Eq { gain_db, .. } | Module::DynamicEq { max_cut_db: gain_db, .. } if gain_db == 0.0)
            || off.report.chain.modules[0]
                .amount()
                .is_none_or(|(_, v)| v == 0.0)
    );

    // Wrong number of amounts: refused with a reason.
    assert!(rescale(
        &harsh,
        &options,
        &m.report,
        &m.corrections,
        &[1.0; 9],
        |_, _| {}
    )
    .is_err());
}

/// A peak control (a fast limiter some dB under the track's highest peak)
/// is a move with an amount like any other: its slider scales its depth
/// under the peak. Measured on the rendered module by the true-peak meter
/// (conformance-tested against ITU-R BS.1770-4's test signals): at 50 % the
/// track's peak sits half as far under the input's.
#[test]
fn a_peak_control_is_scaled_by_its_depth_under_the_peak() {
    use dsp_wasm::chain::{render, Chain};
    let mix = clean(SR, 8.0);
    let options = MasterOptions::default();
    let m = master(&mix, &options, None, |_, _| {}).unwrap();
    let peak = to_db(f64::from(true_peak(&mix.as_slices())));
    let depth = 3.0;
    let control = Module::Limiter {
        ceiling_dbtp: ((peak - depth) * 10.0).round() / 10.0,
        lookahead_ms: 2.0,
        release_ms: 30.0,
    };
    // The master's report with one corrective move: this peak control, as
    // the decide loop records it.
    let mut previous = m.report.clone();
    previous
        .decisions
        .retain(|d| d.params.get("module_index").is_none());
    let mut params = serde_json::to_value(&control).unwrap();
    params["module_index"] = 0.into();
    params["amount_param"] = "ceiling_dbtp".into();
    params["under_peak_dbtp"] = peak.into();
    previous.decisions.insert(
        0,
        dsp_wasm::report::Decision {
            r#move: "peak_control".into(),
            label: format!("peak control {depth:.1} dB under the highest peak"),
            params,
            addresses: vec!["transient_spikes".into()],
            why: String::new(),
            trade_off: String::new(),
        },
    );
    let corrections = Chain::new(vec![control.clone()]);
    let peak_after = |a: f64| {
        let r = rescale(&mix, &options, &previous, &corrections, &[a], |_, _| {}).unwrap();
        let module = r.report.chain.modules[0].clone();
        let label = &r.report.decisions[0].label;
        // The words give the depth the module now has under that peak.
        if let Module::Limiter { ceiling_dbtp, .. } = module {
            let now = format!(
                "peak control {:.1} dB under the highest peak",
                peak - ceiling_dbtp
            );
            assert!(
                a == 1.0
                    || (a == 0.0 && label.ends_with("— off (at 0 %)"))
                    || (label.starts_with(&now)
                        && label.contains(&format!("at {:.0} %", a * 100.0))),
                "{label} (expected {now})"
            );
        }
        let out = render(&Chain::new(vec![module]), &mix).unwrap();
        to_db(f64::from(true_peak(&out.as_slices())))
    };
    let (full, half, none) = (peak_after(1.0), peak_after(0.5), peak_after(0.0));
    assert!(
        (peak - full - depth).abs() < 0.2,
        "at 100 %: {peak:.2} → {full:.2} dBTP"
    );
    assert!(
        (peak - half - depth / 2.0).abs() < 0.2,
        "at 50 %: {peak:.2} → {half:.2} dBTP"
    );
    assert!(
        (peak - none).abs() < 0.1,
        "at 0 % nothing shaved: {peak:.2} → {none:.2} dBTP"
    );
}

/// A "mono below N Hz" move is scaled by how far up the lows are made mono:
/// at 50 % the side below half the frequency goes and the side just under
/// the full frequency stays; at 0 % nothing changes. Measured on the side
/// channel `(L − R)/2` of the rendering, tone by tone (each tone's level
/// from its own DFT bin, not the engine's meters).
#[test]
fn mono_lows_are_scaled_by_their_frequency() {
    use dsp_wasm::chain::{render, Chain, FlipLow};
    use std::f64::consts::TAU;
    let frames = SR as usize * 2;
    // Side tones at 40 and 100 Hz (opposite in the two channels) over an
    // in-phase 1 kHz.
    let tone = |f: f64, i: usize| (TAU * f * i as f64 / f64::from(SR)).sin();
    let side = |i: usize| 0.2 * tone(40.0, i) + 0.2 * tone(100.0, i);
    let left: Vec<f32> = (0..frames)
        .map(|i| (side(i) + 0.2 * tone(1000.0, i)) as f32)
        .collect();
    let right: Vec<f32> = (0..frames)
        .map(|i| (-side(i) + 0.2 * tone(1000.0, i)) as f32)
        .collect();
    let input = dsp_wasm::AudioBuffer {
        sample_rate: SR,
        channels: vec![left, right],
    };
    // Level of the side channel at `f`, dB, over the last second.
    let side_db = |a: &dsp_wasm::AudioBuffer, f: f64| {
        let (mut re, mut im) = (0.0, 0.0);
        for i in frames / 2..frames {
            let s = f64::from(a.channels[0][i] - a.channels[1][i]) / 2.0;
            re += s * tone(f, i);
            im += s * (TAU * f * i as f64 / f64::from(SR)).cos();
        }
        to_db((re * re + im * im).sqrt() / (frames / 2) as f64 * 2.0)
    };
    let mono = Module::StereoImage {
        mono_below_hz: 120.0,
        flip_low: FlipLow::None,
        width: 1.0,
        balance_db: 0.0,
        invert: Default::default(),
    };
    let at = |a: f64| render(&Chain::new(vec![mono.scaled(a)]), &input).unwrap();
    let (full, half, none) = (at(1.0), at(0.5), at(0.0));
    let (s40, s100) = (side_db(&input, 40.0), side_db(&input, 100.0));
    // Mono below 120 Hz (a 4th-order Linkwitz–Riley split): the 40 Hz side
    // goes, the 100 Hz one falls by the split's ~10 dB there.
    let (f40, f100) = (side_db(&full, 40.0), side_db(&full, 100.0));
    assert!(
        f40 < s40 - 20.0 && f100 < s100 - 6.0,
        "at 100 %: 40 Hz {s40:.2} → {f40:.2}, 100 Hz {s100:.2} → {f100:.2} dB"
    );
    assert!(
        side_db(&half, 40.0) < s40 - 10.0,
        "at 50 % (mono below 60 Hz) the 40 Hz side goes"
    );
    assert!(
        side_db(&half, 100.0) > s100 - 2.0,
        "at 50 % the 100 Hz side stays: {:.2} vs {s100:.2} dB",
        side_db(&half, 100.0)
    );
    assert!((side_db(&none, 40.0) - s40).abs() < 0.1 && (side_db(&none, 100.0) - s100).abs() < 0.1);
}

/// At 100 % a rescale tells the same risks as the master it scales. A
/// hard-panned arrangement (the right channel other parts, 12 dB down) with
/// its lows in opposite polarity: the master flips the right channel back,
/// which lifts the channels' correlation, and holds the lean to the input's
/// verdict (the parts are panned, not slipped). The rescale once re-read
/// that lean as a major slip, so moving any slider, even back to 100 %,
/// turned a minor risk major.
#[test]
fn at_full_amount_a_rescale_tells_the_masters_risks() {
    let a = clean(SR, 10.0);
    let quiet = 10f32.powf(-12.0 / 20.0);
    let low = |i: usize| 0.4 * (std::f32::consts::TAU * 70.0 * i as f32 / SR as f32).sin();
    let left: Vec<f32> = a.channels[0]
        .iter()
        .enumerate()
        .map(|(i, s)| s + low(i))
        .collect();
    let right: Vec<f32> = a.channels[0]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, s)| (s - low(i)) * quiet)
        .collect();
    let mix = dsp_wasm::AudioBuffer {
        sample_rate: SR,
        channels: vec![left, right],
    };
    let options = MasterOptions::default();
    let m = master(&mix, &options, None, |_, _| {}).unwrap();
    let n = m.corrections.modules.len();
    assert!(n > 0, "the opposite lows must get a move");
    let same = at_full_amount(&mix, &options, &m);
    assert_eq!(same.audio, m.audio);
    let levels = |r: &dsp_wasm::report::Report| {
        r.risks
            .iter()
            .map(|x| (x.id.clone(), x.level))
            .collect::<Vec<_>>()
    };
    assert_eq!(levels(&same.report.after), levels(&m.report.after));
    assert_eq!(same.report.left, m.report.left);
}
