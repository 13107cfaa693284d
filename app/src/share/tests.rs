//! Unit tests of share links: a real analysis and master round trip and fit
//! in a chat link, the worst case is trimmed to fit, SHA-256 matches the
//! FIPS 180-2 vectors, and every kind of damaged or hostile link is refused
//! with its error (never a panic, never a large allocation).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::OnceLock;

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::chain::Module;
use dsp_wasm::master::{master, MasterOptions};
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::{analyze, Decision, Source};
use dsp_wasm::risks::Risk;
use proptest::prelude::*;
use serde_json::json;

use super::*;

// ---------------------------------------------------------------- fixtures

/// Six seconds of a stereo mix with several problems: a loud 38 Hz sub,
/// a 250 Hz build-up, a harsh 3.5 kHz line, a DC offset, the left channel
/// 5 dB louder, and hard clipping at full scale.
fn problem_mix() -> AudioBuffer {
    let rate = 44_100u32;
    let n = rate as usize * 6;
    let mut noise = 0x2545_f491_u32;
    let mut left = Vec::with_capacity(n);
    let mut right = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f32 / rate as f32;
        let tau = std::f32::consts::TAU;
        noise = noise.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let white = (noise >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
        let beat = t % 0.5;
        let kick = (-beat * 18.0).exp() * (tau * 55.0 * beat).sin();
        let x = 0.45 * (tau * 38.0 * t).sin()
            + 0.5 * kick
            + 0.25 * (tau * 250.0 * t).sin()
            + 0.2 * (tau * 3_500.0 * t).sin() * (0.6 + 0.4 * (tau * 2.0 * t).sin())
            + 0.15 * white;
        let l = (1.6 * x + 0.03).clamp(-1.0, 1.0);
        let r = (0.9 * x + 0.2 * (tau * 180.0 * t).sin() + 0.03).clamp(-1.0, 1.0);
        left.push(l);
        right.push(r);
    }
    AudioBuffer {
        sample_rate: rate,
        channels: vec![left, right],
    }
}

const NAME: &str = "Night Drive (final mix v3).wav";

/// The analysis and master of [`problem_mix`], made once.
fn real() -> &'static (Report, MasterReport) {
    static REAL: OnceLock<(Report, MasterReport)> = OnceLock::new();
    REAL.get_or_init(|| {
        let audio = problem_mix();
        let report = analyze(
            &audio,
            &Source::pcm(NAME),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        let options = MasterOptions {
            input_name: NAME.into(),
            ..MasterOptions::default()
        };
        let mastered = master(&audio, &options, None, |_, _| {}).expect("the mix masters");
        (report, mastered.report)
    })
}

/// A digest of the right shape (not of any file).
const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn real_payload() -> SharePayload {
    let (report, master) = real();
    payload(report, Some(master), SHA)
}

/// A fragment of `json` as [`encode`] would pack it.
fn pack(json: &[u8]) -> String {
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(json, 10);
    format!("share=1.{}", URL_SAFE_NO_PAD.encode(packed))
}

/// The real payload as JSON, changed by `edit`, packed.
fn tampered(edit: impl FnOnce(&mut Value)) -> String {
    let mut v = serde_json::to_value(real_payload()).unwrap();
    edit(&mut v);
    pack(v.to_string().as_bytes())
}

/// The parameters of the first decision that writes them out (whose
/// parameters are not derived from its chain module).
fn params_of(v: &mut Value) -> &mut Value {
    v["m"]["d"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find_map(|d| d.get_mut("p"))
        .expect("a decision with parameters of its own")
}

/// Puts `chain` in the payload, without the decisions (which name modules
/// of the old chain).
fn replace_chain(v: &mut Value, chain: Value) {
    v["m"]["c"] = chain;
    v["m"].as_object_mut().unwrap().remove("d");
}

// ------------------------------------------------ allocation watch (bombs)

/// The system allocator, noting the largest single request made on a thread
/// while that thread watches ([`largest_allocation`]).
struct Watching;

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = WATCHING.try_with(|w| {
        if w.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
        }
    });
}

// SAFETY: every call is passed on unchanged to the system allocator.
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

/// Runs `f` and returns its result with the largest single allocation it made.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    WATCHING.with(|w| w.set(true));
    let out = f();
    WATCHING.with(|w| w.set(false));
    (out, LARGEST.with(Cell::get))
}

// ------------------------------------------------------------ round trips

#[test]
fn a_real_master_round_trips_and_fits_in_a_chat_link() {
    let (report, master) = real();
    assert!(
        report.risks.len() >= 3,
        "the fixture should have several risks: {:?}",
        report.risks.iter().map(|r| &r.id).collect::<Vec<_>>()
    );
    assert!(
        !master.decisions.is_empty(),
        "the fixture should need moves"
    );
    let p = real_payload();
    let link = encode(&p);
    println!(
        "typical link: {} characters ({} risks, {} decisions, {} modules; JSON {} bytes)",
        link.len(),
        p.risks.len(),
        master.decisions.len(),
        master.chain.modules.len(),
        serde_json::to_vec(&p).unwrap().len()
    );
    assert!(link.len() <= LINK_BUDGET, "{} characters", link.len());
    assert_eq!(decode(&link), Ok(p.clone()));
    assert_eq!(decode(&format!("#{link}")), Ok(p.clone()));

    // What it says is what the reports say.
    assert_eq!(p.file.name, NAME);
    assert_eq!(p.file.sha256, SHA);
    assert!((p.file.duration_s - 6.0).abs() < 1e-9);
    let l = &report.loudness;
    let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 0.005 + 1e-12,
        (a, b) => a.is_none() && b.is_none(),
    };
    assert!(near(p.before.integrated_lufs, l.integrated_lufs));
    assert!(near(p.before.true_peak_dbtp, l.true_peak_dbtp));
    assert!(near(p.before.range_lu, l.range_lu));
    assert!(near(p.before.plr_db, l.plr_db));
    let m = p.master.as_ref().expect("a master");
    let after = &master.after.loudness;
    assert!(near(m.after.integrated_lufs, after.integrated_lufs));
    assert!(near(m.after.true_peak_dbtp, after.true_peak_dbtp));
    assert_eq!(m.chain, master.chain);
    assert_eq!(m.intent.target, "streaming");
    assert_eq!(m.intent.target_lufs, master.intent.target_lufs);
    assert_eq!(m.intent.character, "balanced");
    assert_eq!(m.decisions.len(), master.decisions.len());
    for (s, d) in m.decisions.iter().zip(&master.decisions) {
        assert_eq!(s.r#move, d.r#move);
        assert_eq!(s.label, d.label);
        assert_eq!(s.params, d.params, "params as in the master report");
        assert_eq!(s.addresses, d.addresses);
        assert!(d.why.starts_with(s.why.trim_end_matches('…')));
    }
    for r in &report.risks {
        let s = p.risks.iter().find(|s| s.id == r.id).expect("every risk");
        assert_eq!(s.before, Some(r.level));
        let a = master.after.risks.iter().find(|a| a.id == r.id);
        assert_eq!(s.after, a.map(|a| a.level));
        assert!(r
            .explanation
            .starts_with(s.explanation.trim_end_matches('…')));
        let info_only = s.before.max(s.after) <= Some(Level::Info);
        assert!(!s.explanation.is_empty() || p.trimmed && info_only);
    }
    for a in &master.after.risks {
        assert!(p.risks.iter().any(|s| s.id == a.id), "{} after", a.id);
    }
}

#[test]
fn an_analysis_alone_round_trips() {
    let (report, _) = real();
    let p = payload(report, None, &SHA.to_ascii_uppercase());
    assert!(p.master.is_none());
    assert_eq!(p.file.sha256, SHA, "the digest is written in lowercase");
    assert!(p.risks.iter().all(|r| r.after.is_none()));
    let link = encode(&p);
    println!("analysis-only link: {} characters", link.len());
    assert!(link.len() <= LINK_BUDGET);
    assert_eq!(decode(&link), Ok(p));
}

/// A small deterministic generator for varied (badly compressible) fixtures.
struct Lcg(u64);

impl Lcg {
    /// A number in `lo..hi`, rounded to `1 / scale`.
    fn in_range(&mut self, lo: f64, hi: f64, scale: f64) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let unit = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        round_to(lo + unit * (hi - lo), scale)
    }
}

/// A module of kind `k % 8` with varied parameters, rounded to `1 / scale`,
/// all within the engine's ranges.
fn varied_module(k: usize, g: &mut Lcg, scale: f64) -> Module {
    let mut r = |lo, hi| g.in_range(lo, hi, scale);
    match k % 8 {
        0 => Module::Gain {
            gain_db: r(-12.0, 12.0),
        },
        1 => Module::DcBlocker {
            cutoff_hz: r(2.0, 20.0),
        },
        2 => Module::Eq {
            kind: dsp_wasm::chain::FilterKind::Peaking,
            freq_hz: r(40.0, 12_000.0),
            q: r(0.3, 4.0),
            gain_db: r(-9.0, 6.0),
            target: Default::default(),
        },
        3 => Module::DynamicEq {
            freq_hz: r(80.0, 10_000.0),
            q: r(0.5, 3.0),
            threshold_db: r(-50.0, -5.0),
            ratio: r(1.5, 8.0),
            max_cut_db: r(0.5, 9.0),
            attack_ms: r(0.5, 30.0),
            release_ms: r(40.0, 400.0),
            target: Default::default(),
        },
        4 => Module::LowControl {
            crossover_hz: r(60.0, 250.0),
            threshold_db: r(-40.0, -10.0),
            ratio: r(1.5, 6.0),
            max_cut_db: r(0.5, 8.0),
            attack_ms: r(1.0, 30.0),
            release_ms: r(80.0, 500.0),
        },
        5 => Module::StereoImage {
            mono_below_hz: r(0.0, 160.0),
            flip_low: Default::default(),
            width: r(0.6, 1.4),
            balance_db: r(-4.0, 4.0),
            invert: Default::default(),
        },
        6 => Module::SpikeControl {
            above_rms_db: r(10.0, 18.0),
            max_cut_db: r(3.0, 24.0),
            release_ms: r(5.0, 80.0),
        },
        _ => Module::Limiter {
            ceiling_dbtp: r(-2.0, -0.1),
            lookahead_ms: r(1.0, 8.0),
            release_ms: r(30.0, 300.0),
        },
    }
}

/// The most a real master can say: every risk major before and minor after
/// with a long explanation of its own, 14 moves (the engine's 10 corrective
/// steps, reference shelves, loudness and limiter) with their own numbers,
/// long reasons and parameters the chain does not give, and a long, hostile
/// file name.
fn worst_case() -> (Report, MasterReport) {
    let (report, master) = real();
    let (mut report, mut master) = (report.clone(), master.clone());
    let mut g = Lcg(7);
    report.input.name = format!("{}\u{202E}\n.wav", "Très long nom de fichier ".repeat(12));
    let long = |g: &mut Lcg, id: &str| {
        format!(
            "During {}:{:02}–{}:{:02} the {id} reading reaches {} dB over a balance that fits this track ({} dB against its neighbours at {} Hz), so it breaks first on {}. {}",
            g.in_range(0.0, 3.0, 1.0),
            g.in_range(0.0, 59.0, 1.0),
            g.in_range(3.0, 9.0, 1.0),
            g.in_range(0.0, 59.0, 1.0),
            g.in_range(1.0, 20.0, 10.0),
            g.in_range(1.0, 20.0, 10.0),
            g.in_range(20.0, 16_000.0, 1.0),
            ["earbuds", "a phone", "a laptop", "car speakers", "club systems"][id.len() % 5],
            "A second sentence that is never shared. ".repeat(3)
        )
    };
    report.risks = RISK_IDS
        .iter()
        .map(|id| Risk {
            id: id.to_string(),
            severity: 0.9,
            unclamped_severity: 0.9,
            level: Level::Major,
            title: id.to_string(),
            explanation: long(&mut g, id),
            time_ranges_s: vec![],
            band_hz: None,
            systems: vec![],
            evidence: Default::default(),
        })
        .collect();
    master.after.risks = report
        .risks
        .iter()
        .map(|r| Risk {
            level: Level::Minor,
            ..r.clone()
        })
        .collect();
    master.chain = Chain::new((0..14).map(|k| varied_module(k, &mut g, 10.0)).collect());
    master.decisions = master
        .chain
        .modules
        .iter()
        .enumerate()
        .map(|(i, module)| {
            let mut params = serde_json::to_value(module).unwrap();
            params["module_index"] = json!(i);
            params["measured_db"] = json!(g.in_range(-30.0, 0.0, 100.0));
            let id = RISK_IDS[i % RISK_IDS.len()];
            Decision {
                r#move: module.kind().to_string(),
                label: format!(
                    "{} at {} Hz, up to −{} dB",
                    module.kind(),
                    g.in_range(30.0, 16_000.0, 1.0),
                    g.in_range(0.5, 9.0, 10.0)
                ),
                params,
                addresses: RISK_IDS
                    .iter()
                    .skip(i % 11)
                    .take(1 + i % 4)
                    .map(|s| s.to_string())
                    .collect(),
                why: long(&mut g, id),
                trade_off: "Some air goes with it.".into(),
            }
        })
        .collect();
    (report, master)
}

#[test]
fn the_worst_case_is_trimmed_to_fit() {
    let (report, master) = worst_case();
    let full = build(&report, Some(&master), SHA, &Trim::FULL);
    let full_len = encode(&full).len();
    let p = payload(&report, Some(&master), SHA);
    let link = encode(&p);
    println!(
        "worst case: {full_len} characters untrimmed, {} trimmed ({} risks, {} decisions, {} modules)",
        link.len(),
        p.risks.len(),
        master.decisions.len(),
        master.chain.modules.len()
    );
    assert!(full_len > LINK_BUDGET, "the worst case needs trimming");
    assert!(p.trimmed);
    assert!(link.len() <= LINK_BUDGET, "{} characters", link.len());
    assert_eq!(decode(&link), Ok(p.clone()));
    // What is never trimmed: the chain, the intent, the figures, the moves,
    // the risks that are not info.
    let m = p.master.as_ref().unwrap();
    assert_eq!(m.chain, master.chain);
    assert_eq!(m.decisions.len(), master.decisions.len());
    assert_eq!(p.risks.len(), RISK_IDS.len());
    // The untrimmed payload is valid too, only long.
    assert_eq!(decode(&encode(&full)), Ok(full.clone()));
    assert!(!full.file.name.contains(['\n', '\u{202E}']));
    assert_eq!(full.file.name.chars().count(), NAME_CHARS);
    assert!(full.file.name.ends_with('…'));
    assert!(full
        .risks
        .iter()
        .all(|r| !r.explanation.contains("second sentence")));
    assert!(full
        .risks
        .iter()
        .all(|r| r.explanation.chars().count() <= FULL_LINE));
}

/// Past anything the engine makes (the most modules a link may hold, with
/// unrounded numbers), the link is as short as it can be, still opens and
/// stays well under the size limit.
#[test]
fn even_the_largest_chain_opens() {
    let (report, mut master) = worst_case();
    let mut g = Lcg(11);
    master.chain = Chain::new(
        (0..MAX_MODULES)
            .map(|k| varied_module(k, &mut g, 1e12))
            .collect(),
    );
    let p = payload(&report, Some(&master), SHA);
    let link = encode(&p);
    println!(
        "largest chain ({MAX_MODULES} modules, unrounded): {} characters",
        link.len()
    );
    assert!(p.trimmed && p.risks.iter().all(|r| r.explanation.is_empty()));
    assert!(link.len() < MAX_FRAGMENT_LEN / 2, "{}", link.len());
    assert_eq!(decode(&link), Ok(p));
}

/// A typical master that does not fit whole keeps the longest texts that
/// fit: one more character would not.
#[test]
fn trimming_keeps_the_longest_text_that_fits() {
    let (report, master) = real();
    let p = payload(report, Some(master), SHA);
    if !p.trimmed {
        return;
    }
    let cap = (MIN_LINE..=FULL_LINE)
        .rev()
        .find(|&c| build(report, Some(master), SHA, &Trim::shortened(c)) == p)
        .expect("a typical master is shortened, not stripped");
    println!("typical master: texts cut to {cap} characters");
    assert!(cap >= 80, "a typical master keeps readable lines: {cap}");
    if cap < FULL_LINE {
        let longer = build(report, Some(master), SHA, &Trim::shortened(cap + 1));
        assert!(encode(&longer).len() > LINK_BUDGET);
    }
    assert!(p
        .risks
        .iter()
        .filter(|r| r.before.max(r.after) <= Some(Level::Info))
        .all(|r| r.explanation.is_empty()));
}

#[test]
fn texts_are_one_clean_line() {
    assert_eq!(line("First one. Second one.", 80), "First one.");
    assert_eq!(
        line("Cut at 3.5 dB here. Not this.", 80),
        "Cut at 3.5 dB here."
    );
    assert_eq!(
        line("  Tabs\tand\n\nnew  lines  ", 80),
        "Tabs and new lines"
    );
    assert_eq!(
        line("Bell\u{7} and \u{202E}override", 80),
        "Bell and override"
    );
    assert_eq!(
        line("Ends with a question? Yes.", 80),
        "Ends with a question?"
    );
    assert_eq!(line("abcdefghij", 5), "abcd…");
    assert_eq!(
        line("abc def ghij", 5),
        "abc…",
        "no space before the ellipsis"
    );
    assert_eq!(line("éèêëē", 3), "éè…", "cut on characters, not bytes");
    assert_eq!(line("anything", 0), "");
    assert_eq!(word("Dynamic EQ!"), "dynamiceq");
    assert_eq!(word("!!"), "move");
}

// ---------------------------------------------------------------- SHA-256

#[test]
fn sha256_matches_the_fips_180_2_vectors() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
    // One million 'a', fed in uneven pieces.
    let mut h = FileHasher::new();
    let a = vec![b'a'; 1_000_000];
    for piece in a.chunks(65_537) {
        h.update(piece);
    }
    assert_eq!(
        h.finish(),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    );
    assert!(is_digest(&sha256_hex(b"any file")));
}

// ---------------------------------------------------------------- rejects

#[test]
fn versions_are_checked_before_the_data() {
    let link = encode(&real_payload());
    let data = link.strip_prefix("share=1.").unwrap();
    assert_eq!(
        decode(&format!("share=2.{data}")),
        Err(ShareError::NewerVersion(2))
    );
    assert_eq!(
        decode("share=17.whatever-a-newer-preflight-writes"),
        Err(ShareError::NewerVersion(17))
    );
    assert!(ShareError::NewerVersion(2)
        .to_string()
        .contains("newer version"));
    for bad in [
        "share=0.",
        "share=01.",
        "share=1",
        "share=.x",
        "share=-1.x",
        "share=1x.y",
    ] {
        assert_eq!(decode(bad), Err(ShareError::Damaged), "{bad}");
    }
    assert_eq!(decode(&format!("share=0.{data}")), Err(ShareError::Damaged));
    assert_eq!(
        decode(&format!("share=99999999999.{data}")),
        Err(ShareError::Damaged)
    );
    for not in ["", "#", "report", "#t=3", "Share=1.x", " share=1.x"] {
        assert_eq!(decode(not), Err(ShareError::NotShareLink), "{not:?}");
    }
}

#[test]
fn a_truncated_link_is_refused() {
    let link = encode(&real_payload());
    let start = "share=1.".len();
    for cut in start..link.len() {
        let r = decode(&link[..cut]);
        assert!(
            matches!(r, Err(ShareError::Damaged)),
            "cut at {cut} of {}: {r:?}",
            link.len()
        );
    }
}

#[test]
fn a_changed_character_is_caught() {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let p = real_payload();
    let link = encode(&p);
    let start = "share=1.".len();
    let mut unnoticed = 0;
    for i in start..link.len() {
        let mut bytes = link.clone().into_bytes();
        let at = ALPHABET.iter().position(|&c| c == bytes[i]).unwrap();
        bytes[i] = ALPHABET[(at + 17) % 64];
        let changed = String::from_utf8(bytes).unwrap();
        match decode(&changed) {
            Err(_) => {}
            // Only bits that carry nothing (the padding after the last
            // deflate block) may change without an error, and then the
            // payload is the same.
            Ok(q) => {
                assert_eq!(q, p, "a change at {i} altered the payload unnoticed");
                unnoticed += 1;
            }
        }
    }
    assert!(unnoticed <= 2, "{unnoticed} changes went unnoticed");
    // Padding and characters outside base64url.
    assert_eq!(decode(&format!("{link}=")), Err(ShareError::Damaged));
    assert_eq!(
        decode(&link.replacen('A', "+", 1)),
        Err(ShareError::Damaged)
    );
    // Bytes after the zlib stream.
    let mut packed = URL_SAFE_NO_PAD.decode(&link[start..]).unwrap();
    packed.extend_from_slice(b"tail");
    let extended = format!("share=1.{}", URL_SAFE_NO_PAD.encode(packed));
    assert_eq!(decode(&extended), Err(ShareError::Damaged));
}

#[test]
fn an_oversized_link_is_refused_before_decoding() {
    let long = format!("share=1.{}", "A".repeat(MAX_FRAGMENT_LEN));
    assert_eq!(
        decode(&long),
        Err(ShareError::TooLong {
            len: MAX_FRAGMENT_LEN + 8
        })
    );
    // The limit counts bytes, so multi-byte text cannot slip past it.
    let wide = format!("share=1.{}", "é".repeat(MAX_FRAGMENT_LEN / 2));
    assert!(matches!(decode(&wide), Err(ShareError::TooLong { .. })));
    let (r, largest) = largest_allocation(|| decode(&long));
    assert!(r.is_err());
    assert_eq!(largest, 0, "nothing is allocated for an oversized link");
    // Just under the limit is decoded (and refused for what it is).
    let under = format!("share=1.{}", "A".repeat(MAX_FRAGMENT_LEN - 8));
    assert_eq!(decode(&under), Err(ShareError::Damaged));
    assert!(ShareError::TooLong { len: 9000 }
        .to_string()
        .contains("too long"));
}

#[test]
fn a_deflate_bomb_is_refused_without_inflating_it() {
    // 10 MB of zeros packs into a link too long to read at all.
    let bomb = pack(&vec![0u8; 10_000_000]);
    println!("10 MB bomb: {} characters", bomb.len());
    let (r, largest) = largest_allocation(|| decode(&bomb));
    assert!(matches!(r, Err(ShareError::TooLong { .. })), "{r:?}");
    assert_eq!(largest, 0);

    // 4 MB of JSON white space fits under the size limit: inflating stops at
    // MAX_JSON_LEN.
    let bomb = pack(&vec![b' '; 4_000_000]);
    assert!(bomb.len() <= MAX_FRAGMENT_LEN, "{}", bomb.len());
    let (r, largest) = largest_allocation(|| decode(&bomb));
    assert_eq!(r, Err(ShareError::TooLarge));
    assert!(
        largest <= 2 * MAX_JSON_LEN,
        "largest allocation {largest} bytes"
    );
    // The watch itself sees a big allocation when one is made.
    let packed = URL_SAFE_NO_PAD.decode(&bomb["share=1.".len()..]).unwrap();
    let (all, largest) =
        largest_allocation(|| miniz_oxide::inflate::decompress_to_vec_zlib(&packed).unwrap());
    assert_eq!(all.len(), 4_000_000);
    assert!(largest >= 4_000_000);
    // Exactly at the limit is still read (and refused as not a payload).
    assert_eq!(
        decode(&pack(&vec![b' '; MAX_JSON_LEN])),
        Err(ShareError::Malformed)
    );
}

#[test]
fn unknown_fields_are_refused_everywhere() {
    type Edit = fn(&mut Value);
    let edits: [(&str, Edit); 9] = [
        ("top level", |v| v["x"] = json!(1)),
        ("file", |v| v["f"]["x"] = json!(1)),
        ("figures", |v| v["b"]["x"] = json!(1)),
        ("risk", |v| v["r"][0]["x"] = json!(1)),
        ("master", |v| v["m"]["x"] = json!(1)),
        ("intent", |v| v["m"]["i"]["reference"] = json!("ref.wav")),
        ("decision", |v| v["m"]["d"][0]["trade_off"] = json!("t")),
        ("chain", |v| v["m"]["c"]["x"] = json!(1)),
        ("chain module", |v| {
            v["m"]["c"]["modules"][0]["x"] = json!(1)
        }),
    ];
    for (what, edit) in edits {
        assert_eq!(
            decode(&tampered(edit)),
            Err(ShareError::Malformed),
            "{what}"
        );
    }
    // A module field the engine would default is not accepted missing.
    let mut chain = Chain::new(vec![Module::Eq {
        kind: dsp_wasm::chain::FilterKind::Highpass,
        freq_hz: 30.0,
        q: 0.7,
        gain_db: 0.0,
        target: Default::default(),
    }]);
    let link = tampered(|v| {
        replace_chain(v, serde_json::to_value(&chain).unwrap());
        v["m"]["c"]["modules"][0]
            .as_object_mut()
            .unwrap()
            .remove("gain_db");
    });
    assert_eq!(decode(&link), Err(ShareError::Malformed));
    // ... and with it, it is.
    chain.modules.push(Module::Gain { gain_db: 1.5 });
    let link = tampered(|v| replace_chain(v, serde_json::to_value(&chain).unwrap()));
    assert_eq!(decode(&link).unwrap().master.unwrap().chain, chain);
}

#[test]
fn numbers_must_be_finite_and_sane() {
    let p = real_payload();
    let json = serde_json::to_string(&p).unwrap();
    let d = format!("\"d\":{}", p.file.duration_s);
    assert!(json.contains(&d));
    for bad in ["NaN", "Infinity", "-Infinity", "1e400", "null", "\"6\""] {
        let link = pack(json.replacen(&d, &format!("\"d\":{bad}"), 1).as_bytes());
        assert_eq!(decode(&link), Err(ShareError::Malformed), "{bad}");
    }
    type Edit = fn(&mut Value);
    let edits: [(&str, Edit); 8] = [
        ("negative duration", |v| v["f"]["d"] = json!(-1.0)),
        ("a year long", |v| v["f"]["d"] = json!(3.2e7)),
        ("huge loudness", |v| v["b"]["i"] = json!(1e300)),
        ("huge peak after", |v| v["m"]["a"]["t"] = json!(-1e10)),
        ("ceiling above 0", |v| v["m"]["i"]["c"] = json!(3.0)),
        ("target above 0", |v| v["m"]["i"]["l"] = json!(6.0)),
        ("huge parameter", |v| params_of(v)["x"] = json!(1e9)),
        ("huge integer", |v| params_of(v)["x"] = json!(u64::MAX)),
    ];
    for (what, edit) in edits {
        assert!(
            matches!(decode(&tampered(edit)), Err(ShareError::Invalid(_))),
            "{what}"
        );
    }
}

#[test]
fn the_digest_must_be_64_lowercase_hex_digits() {
    let upper = SHA.to_ascii_uppercase();
    let short = &SHA[..63];
    let long = format!("{SHA}0");
    let g = format!("g{}", &SHA[1..]);
    for bad in [upper.as_str(), short, long.as_str(), g.as_str(), ""] {
        let link = tampered(|v| v["f"]["h"] = json!(bad));
        assert_eq!(
            decode(&link),
            Err(ShareError::Invalid("the file's SHA-256")),
            "{bad}"
        );
    }
}

#[test]
fn texts_must_be_short_and_without_control_characters() {
    for bad in [
        "a\u{7}b",
        "line\nbreak",
        "tab\t",
        "\u{202E}evil.exe",
        "nul\0",
        "c1\u{85}",
    ] {
        let link = tampered(|v| v["f"]["n"] = json!(bad));
        assert_eq!(
            decode(&link),
            Err(ShareError::Invalid("the file name")),
            "{bad:?}"
        );
        let link = tampered(|v| v["r"][0]["e"] = json!(bad));
        assert!(
            matches!(decode(&link), Err(ShareError::Invalid(_))),
            "{bad:?}"
        );
        let link = tampered(|v| v["m"]["d"][0]["w"] = json!(bad));
        assert!(
            matches!(decode(&link), Err(ShareError::Invalid(_))),
            "{bad:?}"
        );
    }
    let link = tampered(|v| v["f"]["n"] = json!("x".repeat(NAME_CHARS + 1)));
    assert_eq!(decode(&link), Err(ShareError::Invalid("the file name")));
    let link = tampered(|v| v["f"]["n"] = json!("é".repeat(NAME_CHARS)));
    assert!(decode(&link).is_ok(), "the limit counts characters");
    // Markup is text: it is kept as it is, for the page to show as text.
    let markup = "<img src=x onerror=alert(1)>.wav";
    let link = tampered(|v| v["f"]["n"] = json!(markup));
    assert_eq!(decode(&link).unwrap().file.name, markup);
}

#[test]
fn risks_and_intent_come_from_the_known_sets() {
    type Edit = fn(&mut Value);
    let invalid: [(&str, Edit); 9] = [
        ("unknown id", |v| v["r"][0]["i"] = json!("made_up")),
        ("duplicate id", |v| {
            let first = v["r"][0].clone();
            v["r"].as_array_mut().unwrap().push(first)
        }),
        ("no level at all", |v| {
            let r = v["r"][0].as_object_mut().unwrap();
            r.remove("b");
            r.remove("a");
        }),
        ("after without a master", |v| {
            v.as_object_mut().unwrap().remove("m");
            v["r"][0]["a"] = json!("minor");
        }),
        ("unknown address", |v| {
            v["m"]["d"][0]["a"] = json!(["made_up"])
        }),
        ("target", |v| v["m"]["i"]["t"] = json!("very loud")),
        ("character", |v| v["m"]["i"]["k"] = json!("Dense")),
        ("move name", |v| v["m"]["d"][0]["m"] = json!("Drop Table")),
        ("parameters not an object", |v| {
            *params_of(v) = json!([1, 2])
        }),
    ];
    for (what, edit) in invalid {
        assert!(
            matches!(decode(&tampered(edit)), Err(ShareError::Invalid(_))),
            "{what}"
        );
    }
    let malformed: [(&str, Edit); 3] = [
        ("unknown level", |v| v["r"][0]["b"] = json!("severe")),
        ("level in capitals", |v| v["r"][0]["b"] = json!("Major")),
        ("no file", |v| {
            v.as_object_mut().unwrap().remove("f");
        }),
    ];
    for (what, edit) in malformed {
        assert_eq!(
            decode(&tampered(edit)),
            Err(ShareError::Malformed),
            "{what}"
        );
    }
    // Deep or wide parameters.
    let deep = tampered(|v| params_of(v)["x"] = json!({"a": {"b": {"c": 1}}}));
    assert!(matches!(decode(&deep), Err(ShareError::Invalid(_))));
    let wide = tampered(|v| params_of(v)["x"] = json!(vec![1; MAX_PARAM_NODES]));
    assert!(matches!(decode(&wide), Err(ShareError::Invalid(_))));
}

#[test]
fn parameters_derived_from_the_chain_name_their_module() {
    let p = real_payload();
    let json = serde_json::to_value(&p).unwrap();
    let wire = json["m"]["d"].as_array().unwrap();
    let derived = wire.iter().filter(|d| d.get("x").is_some()).count();
    assert!(
        derived >= 3,
        "the engine's module moves are written as indices"
    );
    assert!(wire
        .iter()
        .all(|d| d.get("x").is_none() || d.get("p").is_none()));
    // Read back, they are the master report's parameters (checked against
    // the engine's own decisions in the round trip test).
    let m = decode(&encode(&p)).unwrap().master.unwrap();
    for d in &m.decisions {
        assert!(d.params.is_object());
    }
    // A module index that is not in the chain, or parameters given twice.
    let first_x = wire.iter().position(|d| d.get("x").is_some()).unwrap();
    let link = tampered(|v| v["m"]["d"][first_x]["x"] = json!(99));
    assert_eq!(decode(&link), Err(ShareError::Malformed));
    let link = tampered(|v| v["m"]["d"][first_x]["p"] = json!({"module_index": 0}));
    assert_eq!(decode(&link), Err(ShareError::Malformed));
    let link = tampered(|v| v["m"]["d"][first_x]["x"] = json!(-1));
    assert_eq!(decode(&link), Err(ShareError::Malformed));
}

#[test]
fn an_invalid_chain_is_refused() {
    type Edit = fn(&mut Value);
    let invalid: [(&str, Edit); 4] = [
        ("gain out of range", |v| {
            replace_chain(
                v,
                serde_json::to_value(Chain::new(vec![Module::Gain { gain_db: 100.0 }])).unwrap(),
            )
        }),
        ("limiter above 0 dBTP", |v| {
            replace_chain(
                v,
                serde_json::to_value(Chain::new(vec![Module::Limiter {
                    ceiling_dbtp: 2.0,
                    lookahead_ms: 5.0,
                    release_ms: 100.0,
                }]))
                .unwrap(),
            )
        }),
        ("unknown format", |v| {
            v["m"]["c"]["format"] = json!("preflight.chain/9")
        }),
        ("too many modules", |v| {
            replace_chain(
                v,
                serde_json::to_value(Chain::new(vec![
                    Module::Gain { gain_db: 0.5 };
                    MAX_MODULES + 1
                ]))
                .unwrap(),
            )
        }),
    ];
    for (what, edit) in invalid {
        assert_eq!(
            decode(&tampered(edit)),
            Err(ShareError::Invalid("the processing chain")),
            "{what}"
        );
    }
    let malformed: [(&str, Edit); 3] = [
        ("unknown module", |v| {
            v["m"]["c"]["modules"][0] = json!({"module": "eval", "code": "alert(1)"})
        }),
        ("not a list", |v| v["m"]["c"]["modules"] = json!("gain")),
        ("a number as text", |v| {
            replace_chain(
                v,
                json!({"format": "preflight.chain/1", "modules": [{"module": "gain", "gain_db": "3"}]}),
            )
        }),
    ];
    for (what, edit) in malformed {
        assert_eq!(
            decode(&tampered(edit)),
            Err(ShareError::Malformed),
            "{what}"
        );
    }
}

#[test]
fn every_error_is_one_line_for_the_user() {
    let errors = [
        ShareError::NotShareLink,
        ShareError::TooLong { len: 9000 },
        ShareError::NewerVersion(2),
        ShareError::Damaged,
        ShareError::TooLarge,
        ShareError::Malformed,
        ShareError::Invalid("the file name"),
    ];
    for e in errors {
        let s = e.to_string();
        assert!(s.starts_with("This "), "{s}");
        assert!(
            s.ends_with('.') && !s.contains('\n') && s.len() < 120,
            "{s}"
        );
    }
    assert_eq!(
        ShareError::Damaged.to_string(),
        "This share link is damaged or incomplete: copy the whole link again."
    );
}

// ---------------------------------------------------------------- properties

/// The real payload's JSON (what mutations start from).
fn real_json() -> &'static [u8] {
    static JSON: OnceLock<Vec<u8>> = OnceLock::new();
    JSON.get_or_init(|| serde_json::to_vec(&real_payload()).unwrap())
}

/// `decode` of `fragment`; if it succeeds, re-encoding it gives the same payload.
fn decode_is_stable(fragment: &str) -> Result<(), TestCaseError> {
    if let Ok(p) = decode(fragment) {
        prop_assert_eq!(decode(&encode(&p)), Ok(p));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decode_never_panics_on_any_text(s in "(?s).{0,300}|share=1\\.(?s).{0,300}") {
        decode_is_stable(&s)?;
    }

    #[test]
    fn decode_never_panics_on_base64_after_the_prefix(s in "[A-Za-z0-9_-]{0,600}") {
        decode_is_stable(&format!("share=1.{s}"))?;
    }

    #[test]
    fn decode_never_panics_on_any_packed_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        decode_is_stable(&pack(&bytes))?;
    }

    /// Near-valid payloads: the real JSON with a few bytes changed, inserted
    /// or removed reaches every check after parsing.
    #[test]
    fn decode_never_panics_on_changed_payloads(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..6)
    ) {
        let mut json = real_json().to_vec();
        for (at, byte, kind) in edits {
            let i = at.index(json.len());
            match kind {
                0 => json[i] = byte,
                1 => json.insert(i, byte),
                _ => { json.remove(i); }
            }
        }
        decode_is_stable(&pack(&json))?;
    }

    /// Whatever text a report holds, `payload` makes a link that opens.
    #[test]
    fn any_text_in_a_report_makes_a_valid_link(
        name in "(?s).{0,300}",
        explanation in "(?s).{0,300}",
        why in "(?s).{0,300}",
        label in "(?s).{0,300}",
    ) {
        let (report, master) = real();
        let (mut report, mut master) = (report.clone(), master.clone());
        report.input.name = name;
        report.risks[0].explanation = explanation;
        master.decisions[0].why = why;
        master.decisions[0].label = label;
        let p = payload(&report, Some(&master), SHA);
        prop_assert_eq!(p.validate(), Ok(()));
        prop_assert_eq!(decode(&encode(&p)), Ok(p));
    }
}
