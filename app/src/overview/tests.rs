//! Unit tests of the overview's rows and sentences.

use super::*;

fn platform(name: &str, gain: Option<f64>, peak: Option<f64>) -> PlatformInfo {
    PlatformInfo {
        name: name.into(),
        reference_lufs: -14.0,
        gain_db: gain,
        true_peak_after_dbtp: peak,
    }
}

fn system(id: &str, holds: bool, notes: &str) -> TranslationInfo {
    TranslationInfo {
        system: id.into(),
        holds,
        notes: notes.into(),
        metrics: Default::default(),
    }
}

#[test]
fn platform_sentences_say_what_the_platform_does() {
    let n = |g, p| Normalised {
        gain_db: g,
        peak_dbtp: p,
    };
    assert_eq!(
        platform_sentence("Spotify", "this", &n(Some(-4.2), Some(-6.6))),
        "Spotify turns this down 4.2 dB; its peaks then sit at −6.6 dBTP."
    );
    assert_eq!(
        platform_sentence("Apple Music", "the master", &n(Some(1.7), Some(-1.0))),
        "Apple Music turns the master up 1.7 dB; its peaks then sit at −1.0 dBTP."
    );
    assert_eq!(
        platform_sentence("Tidal", "this", &n(Some(0.0), Some(-3.0))),
        "Tidal plays this as it is; its peaks stay at −3.0 dBTP."
    );
    assert_eq!(
        platform_sentence("YouTube", "this", &n(None, None)),
        "YouTube cannot measure the loudness of this (silent or too short)."
    );
}

#[test]
fn platform_rows_pair_the_master_by_name() {
    let before = [
        platform("Spotify", Some(-4.2), Some(-0.5)),
        platform("Tidal", Some(-4.2), Some(-0.5)),
    ];
    let after = [platform("Spotify", Some(-0.3), Some(-1.3))];
    let rows = platform_rows(&before, Some(&after));
    assert_eq!(rows.len(), 2);
    assert!(
        rows[0].before.hot(),
        "−0.5 dBTP is over the −1 dBTP ceiling"
    );
    assert!(!rows[0].after.unwrap().hot());
    assert_eq!(rows[1].after, None);
    assert_eq!(
        streaming_lead(&rows),
        "Spotify turns this down 4.2 dB; its peaks then sit at −0.5 dBTP. \
         It turns the master down 0.3 dB; its peaks then sit at −1.3 dBTP."
    );
    assert!(platform_rows(&before, None)
        .iter()
        .all(|r| r.after.is_none()));
    assert_eq!(streaming_lead(&[]), "");
}

#[test]
fn cells_show_before_and_after() {
    assert_eq!(before_after(Some(-4.2), None, true), "−4.2");
    assert_eq!(
        before_after(Some(-4.2), Some(Some(0.31)), true),
        "−4.2 → +0.3"
    );
    assert_eq!(before_after(Some(-6.6), Some(None), false), "−6.6 → –");
}

#[test]
fn system_rows_reasons_and_summary() {
    let before = [
        system("hifi", true, "Holds up."),
        system("phone", false, "Breaks: low-mid build-up."),
    ];
    let rows = system_rows(&before, None);
    assert_eq!(rows[0].name(), "Hi-fi");
    assert_eq!(rows[1].name(), "Phone");
    assert_eq!(rows[1].before.notes, "Breaks: low-mid build-up.");
    assert_eq!(rows[1].after, None);
    assert!(!rows[1].holds_now());
    assert_eq!(
        systems_summary(&rows, true),
        "Your mix breaks on 1 of 2 systems."
    );
    assert!(systems_summary(&rows, false).starts_with("Nothing to play"));

    let after = [
        system("hifi", true, "Holds up."),
        system("phone", true, "Holds up."),
    ];
    let rows = system_rows(&before, Some(&after));
    assert!(rows[1].holds_now());
    assert!(!rows[1].before.holds);
    assert_eq!(rows[1].after.as_ref().unwrap().notes, "Holds up.");
    assert_eq!(
        systems_summary(&rows, true),
        "Your mix breaks on 1 of 2 systems; the master holds on all of them."
    );
    assert_eq!(verdict_word(false), "Breaks");
}
