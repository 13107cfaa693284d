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
    let same = rescale(
        &harsh,
        &options,
        &m.report,
        &m.corrections,
        &vec![1.0; n],
        |_, _| {},
    )
    .unwrap();
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
