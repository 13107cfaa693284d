//! The master's words (issue: "words that are true"): every move is named with
//! its amount, no move is listed twice, and every risk the master leaves
//! major says why it was left.

use dsp_wasm::master::{master, MasterOptions};
use dsp_wasm::risks::Level;
use preflight_tests::mixes::{inject, Style};

#[test]
fn moves_carry_their_amounts_and_every_major_risk_left_says_why() {
    for id in ["mud", "harshness", "sub_excess", "vocal_masking"] {
        let input = inject(id, Style::SynthPop, 48_000, 12.0, 9);
        let m = master(&input, &MasterOptions::default(), None, |_, _| {}).unwrap();
        let r = &m.report;
        let mut seen = Vec::new();
        for d in &r.decisions {
            assert!(
                d.label.chars().any(|c| c.is_ascii_digit()),
                "{id}: move without an amount: {d:?}"
            );
            assert!(
                !seen.contains(&d.label),
                "{id}: the same move listed twice: {}",
                d.label
            );
            seen.push(d.label.clone());
        }
        let majors: Vec<&str> = r
            .after
            .risks
            .iter()
            .filter(|x| x.level == Level::Major)
            .map(|x| x.id.as_str())
            .collect();
        let left: Vec<&str> = r.left.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(majors, left, "{id}: every major risk left is named");
        for l in &r.left {
            assert!(l.why.len() > 20, "{id}: {} left without a reason", l.id);
        }
        println!("{id}: moves {seen:?}; left {:?}", r.left);
    }
}
