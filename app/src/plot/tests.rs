//! Unit tests of the plot geometry: scales both ways, ticks, axis domains,
//! path data and spans.

use super::*;

const FRAME: Frame = Frame {
    width: 800.0,
    height: 300.0,
    left: 50.0,
    right: 10.0,
    top: 10.0,
    bottom: 30.0,
};

#[test]
fn frame_edges_and_view_box() {
    assert_eq!((FRAME.x0(), FRAME.x1()), (50.0, 790.0));
    assert_eq!((FRAME.y0(), FRAME.y1()), (10.0, 270.0));
    assert_eq!(FRAME.view_box(), "0 0 800 300");
}

#[test]
fn linear_scale_maps_and_inverts() {
    let x = Scale::linear((0.0, 20.0), (50.0, 790.0));
    assert_eq!(x.at(0.0), 50.0);
    assert_eq!(x.at(10.0), 420.0);
    assert_eq!(x.invert(420.0), 10.0);
    // Clicks outside the data area land on its ends.
    assert_eq!(x.invert(0.0), 0.0);
    assert_eq!(x.invert(800.0), 20.0);
    // An inverted range (dB up = y down).
    let y = Scale::linear((-30.0, 0.0), (270.0, 10.0));
    assert_eq!(y.at(-30.0), 270.0);
    assert_eq!(y.at(-15.0), 140.0);
    assert_eq!(y.at_clamped(-70.0), 270.0);
    assert_eq!(y.range(), (10.0, 270.0));
}

#[test]
fn log_scale_puts_decades_equally_apart() {
    let f = Scale::log((20.0, 20_000.0), (50.0, 790.0));
    let d = f.at(1000.0) - f.at(100.0);
    assert!((f.at(10_000.0) - f.at(1000.0) - d).abs() < 1e-9);
    assert!((f.at(20.0) - 50.0).abs() < 1e-9);
    assert!((f.invert(f.at(1000.0)) - 1000.0).abs() < 1e-6);
    let (lo, hi) = f.domain();
    assert!((lo - 20.0).abs() < 1e-9 && (hi - 20_000.0).abs() < 1e-6);
}

#[test]
fn ticks_are_multiples_inside_the_interval() {
    assert_eq!(ticks(-27.0, -3.0, 6.0), vec![-24.0, -18.0, -12.0, -6.0]);
    assert_eq!(ticks(0.0, 20.0, 5.0), vec![0.0, 5.0, 10.0, 15.0, 20.0]);
    assert!(ticks(5.0, 1.0, 1.0).is_empty());
    assert!(ticks(0.0, 1.0, 0.0).is_empty());
}

#[test]
fn time_steps_keep_the_axis_readable() {
    assert_eq!(time_step(20.0, 8), 5.0);
    assert_eq!(time_step(240.0, 8), 60.0);
    assert_eq!(time_step(8.0, 8), 2.0);
    assert_eq!(time_step(600.0, 8), 120.0);
    for d in [3.0, 20.0, 95.0, 240.0, 600.0, 3000.0] {
        let s = time_step(d, 8);
        assert!(ticks(0.0, d, s).len() <= 8, "{d} s with step {s}");
    }
}

#[test]
fn db_domain_pads_snaps_and_drops_silence() {
    let v = [-70.0, -20.4, -9.2, -14.0];
    assert_eq!(
        db_domain(v, -69.9, 2.0, 6.0, (18.0, 48.0)),
        Some((-24.0, -6.0))
    );
    // A wide range keeps the loud top and cuts the quiet bottom.
    let wide = [-65.0, -5.0];
    assert_eq!(
        db_domain(wide, -69.9, 2.0, 6.0, (18.0, 36.0)),
        Some((-36.0, 0.0))
    );
    // A flat series still gets a readable span.
    assert_eq!(
        db_domain([-14.0], -69.9, 1.0, 6.0, (18.0, 48.0)),
        Some((-30.0, -12.0))
    );
    assert_eq!(
        db_domain([-70.0, f64::NAN], -69.9, 2.0, 6.0, (18.0, 48.0)),
        None
    );
}

#[test]
fn line_path_breaks_at_gaps() {
    assert_eq!(line_path([(0.0, 1.0), (2.0, 3.25)]), "M0.0 1.0 L2.0 3.2");
    assert_eq!(
        line_path([(0.0, 1.0), (1.0, f64::NAN), (2.0, 2.0), (3.0, 2.0)]),
        "M0.0 1.0 M2.0 2.0 L3.0 2.0"
    );
    assert_eq!(line_path(std::iter::empty()), "");
}

#[test]
fn band_path_closes_around_the_area() {
    let d = band_path(&[0.0, 10.0], &[1.0, 2.0], &[5.0, 6.0]);
    assert_eq!(d, "M0.0 1.0 L10.0 2.0 L10.0 6.0 L0.0 5.0 Z");
    assert_eq!(band_path(&[], &[], &[]), "");
}

#[test]
fn stride_limits_points() {
    assert_eq!(stride(2400, 800), 3);
    assert_eq!(stride(200, 800), 1);
    assert_eq!(stride(0, 800), 1);
}

#[test]
fn spans_are_clipped_and_never_vanish() {
    let x = Scale::linear((0.0, 20.0), (50.0, 790.0));
    assert_eq!(span_rect(&x, 5.0, 10.0, 2.0), (235.0, 185.0));
    // Past the end: clipped to the area.
    assert_eq!(span_rect(&x, 15.0, 30.0, 2.0), (605.0, 185.0));
    // A moment: at least the minimum width, kept inside the area.
    assert_eq!(span_rect(&x, 20.0, 20.0, 4.0), (786.0, 4.0));
}

#[test]
fn clicks_map_to_times() {
    let x = Scale::linear((0.0, 20.0), (50.0, 790.0));
    // Half the element's width is x = 400 of 800 user units.
    let t = value_at_fraction(&FRAME, &x, 0.5);
    assert!((t - 350.0 / 740.0 * 20.0).abs() < 1e-9);
    assert_eq!(value_at_fraction(&FRAME, &x, 0.0), 0.0);
    assert_eq!(value_at_fraction(&FRAME, &x, 1.0), 20.0);
}

#[test]
fn frequency_labels() {
    assert_eq!(freq_label(100.0), "100");
    assert_eq!(freq_label(1000.0), "1k");
    assert_eq!(freq_label(10_000.0), "10k");
    assert_eq!(freq_label(2500.0), "2.5k");
}

#[test]
fn series_are_drawn_at_window_ends_and_thinned() {
    let x = Scale::linear((0.0, 1.0), (0.0, 100.0));
    let y = Scale::linear((-30.0, 0.0), (100.0, 0.0));
    let d = series_path(&[-15.0, -70.0, -3.0, -6.0], 0.25, &x, &y, 10);
    assert_eq!(d, "M25.0 50.0 L50.0 100.0 L75.0 10.0 L100.0 20.0");
    let thinned = series_path(&[-15.0; 9], 0.1, &x, &y, 3);
    assert_eq!(thinned.matches('L').count() + 1, 3);
}

#[test]
fn level_matching_shifts_by_the_loudness_difference() {
    assert_eq!(
        level_matched(&[-20.0, -30.0], Some(-18.0), Some(-12.0)),
        vec![-26.0, -36.0]
    );
    assert_eq!(level_matched(&[-20.0], None, Some(-12.0)), vec![-20.0]);
}

#[test]
fn the_envelope_is_mirrored_and_thinning_keeps_each_groups_largest_peak() {
    let x = Scale::linear((0.0, 4.0), (0.0, 400.0));
    let peaks = [20.0 * 0.5f64.log10(), -120.0, 0.0, -20.0];
    assert_eq!(
        envelope_path(&peaks, 1.0, &x, 100.0, 50.0, 10),
        "M50.0 75.0 L150.0 100.0 L250.0 50.0 L350.0 95.0 L350.0 105.0 L250.0 150.0 L150.0 100.0 L50.0 125.0 Z"
    );
    assert_eq!(
        envelope_path(&peaks, 1.0, &x, 100.0, 50.0, 2),
        "M100.0 75.0 L300.0 50.0 L300.0 150.0 L100.0 125.0 Z"
    );
    assert_eq!(envelope_path(&[], 1.0, &x, 100.0, 50.0, 2), "");
}
