//! A decision's label ("de-esser 4.0–12 kHz: bursts 16.4 dB over …, at
//! most −12.0 dB") read as the move and its amount, so that a move stacked
//! on an earlier one of the same kind at the same place is told as its
//! second pass, in the page and in the command line's summary alike, not
//! named again as a new move (issue 13: a master never lists the same move
//! twice).

/// A move's label split at its first ", " or ": " into the move
/// ("dynamic cut at 4472 Hz", "de-esser 4.0–12 kHz") and its amount, with
/// the separator; a label with neither is all move.
pub fn split_label(label: &str) -> (&str, &str) {
    match [", ", ": "].iter().filter_map(|p| label.find(p)).min() {
        Some(at) => label.split_at(at),
        None => (label, ""),
    }
}

/// What a second pass is told by: the label's last clause with its
/// separator (", at most −5.1 dB", ", up to −6.1 dB"), or the amount after
/// ": " when the label has no ", ".
pub fn pass_amount(label: &str) -> &str {
    match label.rfind(", ") {
        Some(at) => &label[at..],
        None => split_label(label).1,
    }
}

/// Whether the move labelled `label` repeats one of `earlier` on what it
/// left: the same move (kind and place), a second amount. A "gentle"
/// candidate is the same move at a smaller amount.
pub fn second_pass<'a>(label: &str, mut earlier: impl Iterator<Item = &'a str>) -> bool {
    fn kind_and_place(label: &str) -> &str {
        let head = split_label(label).0;
        head.strip_prefix("gentle ").unwrap_or(head)
    }
    !split_label(label).1.is_empty() && earlier.any(|e| kind_and_place(e) == kind_and_place(label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_its_move_and_its_amount() {
        let again = "de-esser 4.0–12 kHz: bursts 16.4 dB over the balance cut towards 3 dB, at most −12.0 dB";
        assert_eq!(split_label(again).0, "de-esser 4.0–12 kHz");
        assert_eq!(pass_amount(again), ", at most −12.0 dB");
        assert!(second_pass(again, ["de-esser 4.0–12 kHz: bursts 26.4 dB over the balance cut towards 3 dB, at most −12.0 dB"].into_iter()));
        assert!(!second_pass(
            again,
            ["dynamic cut at 4472 Hz, up to −6.0 dB"].into_iter()
        ));
        assert!(
            !second_pass("width 0.9", ["width 0.9"].into_iter()),
            "no amount, no pass"
        );
        // A gentle dynamic cut kept after the full one at the same place
        // (nexuiz "brokenlight", a major mud) is its second pass.
        assert!(second_pass(
            "gentle dynamic cut at 274 Hz, up to −2.9 dB",
            ["dynamic cut at 274 Hz, up to −6.0 dB"].into_iter()
        ));
    }
}
