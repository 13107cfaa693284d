//! Share links: what "Copy share link" puts in the URL fragment (which the
//! browser never sends to a server), and the strict reader of it. Pure: no
//! browser code, unit-tested natively.
//!
//! # What a link carries
//! A [`SharePayload`]: the file's name, duration and SHA-256 (no audio); the
//! key figures of the analysis (integrated loudness, true peak, loudness
//! range, peak-to-loudness ratio); its risks with their level and a one-line
//! explanation; and, once mastered, the intent, the decisions (move, label,
//! parameters as in the master report, risk ids addressed, one-line why), the
//! exact [`Chain`] the player runs, the level each risk is left at and the
//! key figures after. The recipient's page shows that summary at once; a
//! dropped file whose [`sha256_hex`] matches hears the same chain.
//!
//! # Format
//! `share=<version>.<data>`, with `<version>` the decimal [`SHARE_VERSION`]
//! (outside the compressed part, so a link from a newer Preflight is told
//! apart from a damaged one) and `<data>` the payload's JSON (short field
//! names), zlib-compressed (RFC 1950: deflate plus an Adler-32 checksum, so a
//! mistyped character is caught) and base64url-encoded without padding (RFC
//! 4648 §5: every character is safe in a fragment).
//!
//! # A link is untrusted input
//! [`decode`] checks, in this order: the fragment is at most
//! [`MAX_FRAGMENT_LEN`] bytes (before anything is decoded); the prefix and
//! version; base64url (no padding, no stray bits); zlib with at most
//! [`MAX_JSON_LEN`] bytes of output (a deflate bomb fails without growing
//! memory past that), the checksum, and no bytes after the stream; JSON that
//! parses into the payload's types exactly (unknown fields rejected, the
//! chain as the engine writes it); then [`SharePayload::validate`]: every
//! number finite and in a sane range, every text short and free of control
//! and bidirectional-override characters, risk ids and levels from the known
//! sets, the SHA-256 as 64 lowercase hex digits, the chain accepted by the
//! engine's own checks ([`ChainProcessor::new`]). Texts are data: the page
//! renders them as text, never as HTML. Every failure is a [`ShareError`]
//! whose `Display` is one line for the user, never quoting the link.
//!
//! # Link length
//! [`payload`] keeps the link under [`LINK_BUDGET`] characters (so the whole
//! URL stays under ~2,000, short enough for a chat), taking the first of
//! these that fits, and marks a trimmed payload ([`SharePayload::trimmed`]):
//! 1. everything: one-line texts (first sentences) up to 140 characters;
//! 2. the risks that are `info` both before and after lose their
//!    explanation, and every one-line text and label is cut to the longest
//!    cap between 140 and 48 characters that fits;
//! 3. the decisions' parameters dropped (the chain and the labels still say
//!    every amount, but the page's per-move amount controls need them), the
//!    `info` risks dropped, texts and labels up to 40 characters, the name
//!    up to 60;
//! 4. no explanations, whys or labels, the name up to 40: ids, levels,
//!    figures, intent, moves and chain (the chain is never cut: it is what
//!    the recipient hears).
//!
//! A decision's parameters that are exactly what the engine derives from its
//! chain module (the module's JSON with `module_index` and `amount_param`)
//! are written as the module's index, so they cost a few characters.
//!
//! Measured (`share/tests.rs`): the master of a problem-heavy mix (12 risks,
//! 6 moves, 6 modules) takes 2,248 characters whole and 1,896 at step 2
//! (texts cut to 93 characters); its analysis alone 1,211; the most an
//! engine master can say (15 major risks, 14 moves with parameters of their
//! own, 14 modules) 2,828 whole and 1,843 at step 3. Only a chain past what
//! the engine makes (32 modules of unrounded numbers) can stay over the
//! budget (2,491 at step 4), well under [`MAX_FRAGMENT_LEN`].

mod hash;

pub use hash::{sha256_hex, FileHasher};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use dsp_wasm::master::intent::Target;
use dsp_wasm::report::{LoudnessInfo, MasterReport, Report};
use dsp_wasm::risks::{Level, RISK_IDS};
use dsp_wasm::{Chain, ChainProcessor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the payload format written by [`encode`].
pub const SHARE_VERSION: u32 = 1;
/// What a share fragment starts with (after the `#`).
pub const FRAGMENT_KEY: &str = "share=";
/// Longest fragment [`decode`] reads, bytes (checked before decoding).
pub const MAX_FRAGMENT_LEN: usize = 8 * 1024;
/// Most JSON a fragment may inflate to, bytes.
pub const MAX_JSON_LEN: usize = 64 * 1024;
/// Longest fragment [`payload`] aims for, characters: with the page's
/// address in front (up to ~100 characters) the link stays under 2,000.
pub const LINK_BUDGET: usize = 1_900;

/// Longest file name, characters.
pub const NAME_CHARS: usize = 120;
/// Longest one-line explanation or why, characters.
pub const LINE_CHARS: usize = 160;
/// Longest decision label, characters.
pub const LABEL_CHARS: usize = 100;
/// Longest word (move name, parameter key or text value, target, character).
pub const WORD_CHARS: usize = 40;
/// Most decisions in a payload.
pub const MAX_DECISIONS: usize = 24;
/// Most modules in a shared chain.
pub const MAX_MODULES: usize = 32;
/// Most JSON values (objects, arrays and leaves) in one decision's parameters.
const MAX_PARAM_NODES: usize = 256;
/// Deepest nesting of one decision's parameters (the object itself is 1).
const MAX_PARAM_DEPTH: usize = 4;
/// Largest magnitude of a number in a decision's parameters.
const PARAM_LIMIT: f64 = 1e6;
/// Largest magnitude of a key figure (LUFS, dBTP, LU, dB).
const FIGURE_LIMIT: f64 = 200.0;
/// Longest file, seconds (48 hours).
const MAX_DURATION_S: f64 = 48.0 * 3600.0;
/// Sample rate the shared chain is checked at (the engine's ranges do not
/// depend on it).
const CHECK_RATE: f32 = 48_000.0;

/// Everything a share link carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharePayload {
    #[serde(rename = "f")]
    pub file: SharedFile,
    /// Key figures of the analysis.
    #[serde(rename = "b")]
    pub before: Figures,
    /// The analysis' risks in its order (what breaks first on top), then
    /// those the master introduced.
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<SharedRisk>,
    /// The master, when the link was made after mastering.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub master: Option<SharedMaster>,
    /// Some details were left out to keep the link short (see the module docs).
    #[serde(rename = "t", default, skip_serializing_if = "std::ops::Not::not")]
    pub trimmed: bool,
}

/// The shared file (its audio never leaves the device).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedFile {
    #[serde(rename = "n")]
    pub name: String,
    /// Seconds, to the millisecond.
    #[serde(rename = "d")]
    pub duration_s: f64,
    /// SHA-256 of the file's bytes, 64 lowercase hex digits.
    #[serde(rename = "h")]
    pub sha256: String,
}

/// Key figures of a report (to 0.01), each absent where undefined.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub integrated_lufs: Option<f64>,
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub true_peak_dbtp: Option<f64>,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub range_lu: Option<f64>,
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub plr_db: Option<f64>,
}

/// One risk: its level before and after the master, and what it means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedRisk {
    /// A risk id of `docs/risks.md`.
    #[serde(rename = "i")]
    pub id: String,
    /// Level in the analysis; absent for a risk the master introduced.
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Level>,
    /// Level after the master; absent when the master cleared it, or when
    /// there is no master.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Level>,
    /// The explanation's first sentence, possibly shortened (may be empty).
    #[serde(rename = "e", default, skip_serializing_if = "String::is_empty")]
    pub explanation: String,
}

/// The master: what was asked, what was done, and the chain that does it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "WireMaster", into = "WireMaster")]
pub struct SharedMaster {
    pub intent: SharedIntent,
    pub decisions: Vec<SharedDecision>,
    /// Exactly what the player runs.
    pub chain: Chain,
    /// Key figures of the master.
    pub after: Figures,
}

/// The intent of the master report (the reference track's name is not shared).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedIntent {
    /// `streaming`, `loud`, `dynamic` or a LUFS number as text.
    #[serde(rename = "t")]
    pub target: String,
    #[serde(rename = "l")]
    pub target_lufs: f64,
    #[serde(rename = "c")]
    pub ceiling_dbtp: f64,
    /// `open`, `balanced` or `dense`.
    #[serde(rename = "k")]
    pub character: String,
}

/// One mastering move.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedDecision {
    /// The move's name (`dynamic_eq`, `loudness_gain` …).
    pub r#move: String,
    /// The move with its amount as a person reads it (may be empty).
    pub label: String,
    /// The parameters as in the master report (an object, with the
    /// `module_index` and `amount_param` the page's amount controls read),
    /// or `Null` when trimmed away.
    pub params: Value,
    /// Risk ids the move answers.
    pub addresses: Vec<String>,
    /// The why's first sentence, possibly shortened (may be empty).
    pub why: String,
}

/// [`SharedMaster`] as written: a decision whose parameters are exactly
/// what the engine derives from its chain module ([`module_params`]) names
/// the module (`x`) instead of repeating it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMaster {
    #[serde(rename = "i")]
    intent: SharedIntent,
    #[serde(rename = "d", default, skip_serializing_if = "Vec::is_empty")]
    decisions: Vec<WireDecision>,
    #[serde(rename = "c", with = "strict_chain")]
    chain: Chain,
    #[serde(rename = "a")]
    after: Figures,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireDecision {
    #[serde(rename = "m")]
    r#move: String,
    #[serde(rename = "l", default, skip_serializing_if = "String::is_empty")]
    label: String,
    /// Parameters that are not derived from a module.
    #[serde(rename = "p", default, skip_serializing_if = "Value::is_null")]
    params: Value,
    /// The chain module the parameters are derived from.
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    module: Option<usize>,
    #[serde(rename = "a", default, skip_serializing_if = "Vec::is_empty")]
    addresses: Vec<String>,
    #[serde(rename = "w", default, skip_serializing_if = "String::is_empty")]
    why: String,
}

impl From<SharedMaster> for WireMaster {
    fn from(m: SharedMaster) -> Self {
        let decisions = m
            .decisions
            .into_iter()
            .map(|d| {
                let module = d
                    .params
                    .get("module_index")
                    .and_then(Value::as_u64)
                    .and_then(|i| usize::try_from(i).ok())
                    .filter(|&i| module_params(&m.chain, i).as_ref() == Some(&d.params));
                WireDecision {
                    r#move: d.r#move,
                    label: d.label,
                    params: if module.is_some() {
                        Value::Null
                    } else {
                        d.params
                    },
                    module,
                    addresses: d.addresses,
                    why: d.why,
                }
            })
            .collect();
        Self {
            intent: m.intent,
            decisions,
            chain: m.chain,
            after: m.after,
        }
    }
}

impl TryFrom<WireMaster> for SharedMaster {
    type Error = &'static str;

    fn try_from(w: WireMaster) -> Result<Self, Self::Error> {
        let decisions = w
            .decisions
            .into_iter()
            .map(|d| {
                let params = match d.module {
                    None => d.params,
                    Some(i) if d.params.is_null() => {
                        module_params(&w.chain, i).ok_or("a decision names no module")?
                    }
                    Some(_) => return Err("a decision has parameters twice"),
                };
                Ok(SharedDecision {
                    r#move: d.r#move,
                    label: d.label,
                    params,
                    addresses: d.addresses,
                    why: d.why,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            intent: w.intent,
            decisions,
            chain: w.chain,
            after: w.after,
        })
    }
}

/// The parameters the engine writes for a move that is chain module `i`
/// (`dsp_wasm::master`'s decisions): the module's JSON, its `module_index`
/// and, if it has one, its `amount_param`.
fn module_params(chain: &Chain, i: usize) -> Option<Value> {
    let module = chain.modules.get(i)?;
    let mut params = serde_json::to_value(module).ok()?;
    let obj = params.as_object_mut()?;
    obj.insert("module_index".into(), Value::from(i));
    if let Some((name, _)) = module.amount() {
        obj.insert("amount_param".into(), Value::from(name));
    }
    Some(params)
}

/// Why a share link cannot be opened. `Display` is one line for the user;
/// it never quotes the link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareError {
    /// The fragment is not a share link at all.
    NotShareLink,
    /// Longer than [`MAX_FRAGMENT_LEN`] bytes (not decoded).
    TooLong { len: usize },
    /// Made by a newer Preflight (a format this page does not know).
    NewerVersion(u32),
    /// Cut short, mistyped or altered: the version, base64url, zlib stream or
    /// checksum does not hold.
    Damaged,
    /// Inflates to more than [`MAX_JSON_LEN`] bytes.
    TooLarge,
    /// Decodes, but is not a payload: unknown or missing fields, wrong types,
    /// a number JSON cannot hold.
    Malformed,
    /// A payload with a value out of bounds; says which.
    Invalid(&'static str),
}

impl std::fmt::Display for ShareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotShareLink => write!(f, "This is not a Preflight share link."),
            Self::TooLong { len } => write!(
                f,
                "This share link is too long ({len} characters; a Preflight link has at most {MAX_FRAGMENT_LEN})."
            ),
            Self::NewerVersion(v) => write!(
                f,
                "This share link was made by a newer version of Preflight (link format {v}): reload the page to update it."
            ),
            Self::Damaged => write!(
                f,
                "This share link is damaged or incomplete: copy the whole link again."
            ),
            Self::TooLarge => write!(
                f,
                "This share link unpacks to more data than a Preflight link holds."
            ),
            Self::Malformed => write!(
                f,
                "This share link was altered: its contents are not what Preflight writes."
            ),
            Self::Invalid(what) => write!(f, "This share link was altered: {what} is not valid."),
        }
    }
}

impl std::error::Error for ShareError {}

/// The payload for a link to `report` (and its master, if any) of the file
/// whose SHA-256 is `sha256` (64 hex digits, as [`sha256_hex`] gives).
/// Texts are cut to their first sentence, stripped of control characters and
/// shortened; figures are rounded to 0.01; then details are trimmed until the
/// link fits [`LINK_BUDGET`] (see the module docs). `report` is the analysis
/// shown before mastering; the master's `after` gives the levels and figures
/// after. The result always passes [`SharePayload::validate`] when `sha256`
/// is a digest.
pub fn payload(report: &Report, master: Option<&MasterReport>, sha256: &str) -> SharePayload {
    let make = |trim: &Trim| build(report, master, sha256, trim);
    let fits = |p: &SharePayload| encode(p).len() <= LINK_BUDGET;
    let full = make(&Trim::FULL);
    if fits(&full) {
        return full;
    }
    // The longest text cap that fits (the length grows with the cap).
    let shortened = |line: usize| make(&Trim::shortened(line));
    let (mut lo, mut hi) = (MIN_LINE, FULL_LINE);
    if fits(&shortened(lo)) {
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits(&shortened(mid)) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return shortened(lo);
    }
    let lean = make(&Trim::LEAN);
    if fits(&lean) {
        return lean;
    }
    make(&Trim::BARE)
}

/// The fragment text (without `#`): `share=1.<base64url(zlib(json))>`.
pub fn encode(p: &SharePayload) -> String {
    let json = serde_json::to_vec(p).expect("a share payload always serialises");
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(&json, 10);
    format!(
        "{FRAGMENT_KEY}{SHARE_VERSION}.{}",
        URL_SAFE_NO_PAD.encode(packed)
    )
}

/// Reads a share fragment (with or without its leading `#`), strictly (see
/// the module docs).
pub fn decode(fragment: &str) -> Result<SharePayload, ShareError> {
    if fragment.len() > MAX_FRAGMENT_LEN {
        return Err(ShareError::TooLong {
            len: fragment.len(),
        });
    }
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let rest = fragment
        .strip_prefix(FRAGMENT_KEY)
        .ok_or(ShareError::NotShareLink)?;
    let (version, data) = rest.split_once('.').ok_or(ShareError::Damaged)?;
    let version = parse_version(version).ok_or(ShareError::Damaged)?;
    if version > SHARE_VERSION {
        return Err(ShareError::NewerVersion(version));
    }
    if version != SHARE_VERSION {
        return Err(ShareError::Damaged);
    }
    let packed = URL_SAFE_NO_PAD
        .decode(data)
        .map_err(|_| ShareError::Damaged)?;
    let json = inflate(&packed)?;
    // Parsed as text, like every other JSON the page reads: one set of
    // deserializers in the page's wasm instead of two (str and slice readers).
    let text = std::str::from_utf8(&json).map_err(|_| ShareError::Malformed)?;
    let p: SharePayload = serde_json::from_str(text).map_err(|_| ShareError::Malformed)?;
    p.validate()?;
    Ok(p)
}

impl SharePayload {
    /// Checks every value against the limits of the module docs (what
    /// [`decode`] runs after parsing).
    pub fn validate(&self) -> Result<(), ShareError> {
        self.file.validate()?;
        self.before.validate()?;
        if self.risks.len() > RISK_IDS.len() {
            return Err(ShareError::Invalid("the list of risks"));
        }
        for (i, r) in self.risks.iter().enumerate() {
            if !known_risk(&r.id) || self.risks[..i].iter().any(|o| o.id == r.id) {
                return Err(ShareError::Invalid("a risk id"));
            }
            if (r.before.is_none() && r.after.is_none())
                || (r.after.is_some() && self.master.is_none())
            {
                return Err(ShareError::Invalid("a risk's level"));
            }
            check_text(&r.explanation, LINE_CHARS, "a risk's explanation")?;
        }
        if let Some(m) = &self.master {
            m.validate()?;
        }
        Ok(())
    }
}

impl SharedFile {
    fn validate(&self) -> Result<(), ShareError> {
        check_text(&self.name, NAME_CHARS, "the file name")?;
        check_range(self.duration_s, 0.0, MAX_DURATION_S, "the file's duration")?;
        if !is_digest(&self.sha256) {
            return Err(ShareError::Invalid("the file's SHA-256"));
        }
        Ok(())
    }
}

impl Figures {
    fn validate(&self) -> Result<(), ShareError> {
        for v in [
            self.integrated_lufs,
            self.true_peak_dbtp,
            self.range_lu,
            self.plr_db,
        ]
        .into_iter()
        .flatten()
        {
            check_range(v, -FIGURE_LIMIT, FIGURE_LIMIT, "a loudness figure")?;
        }
        Ok(())
    }
}

impl SharedMaster {
    fn validate(&self) -> Result<(), ShareError> {
        self.intent.validate()?;
        if self.decisions.len() > MAX_DECISIONS {
            return Err(ShareError::Invalid("the list of decisions"));
        }
        for d in &self.decisions {
            d.validate()?;
        }
        check_chain(&self.chain)?;
        self.after.validate()
    }
}

impl SharedIntent {
    fn validate(&self) -> Result<(), ShareError> {
        check_text(&self.target, WORD_CHARS, "the loudness target")?;
        if Target::parse(&self.target).is_err() {
            return Err(ShareError::Invalid("the loudness target"));
        }
        check_range(self.target_lufs, -70.0, 0.0, "the loudness target")?;
        check_range(self.ceiling_dbtp, -20.0, 0.0, "the true-peak ceiling")?;
        if !CHARACTERS.contains(&self.character.as_str()) {
            return Err(ShareError::Invalid("the character"));
        }
        Ok(())
    }
}

impl SharedDecision {
    fn validate(&self) -> Result<(), ShareError> {
        if !is_word(&self.r#move) {
            return Err(ShareError::Invalid("a move's name"));
        }
        check_text(&self.label, LABEL_CHARS, "a move's label")?;
        check_params(&self.params)?;
        if self.addresses.len() > RISK_IDS.len() || !self.addresses.iter().all(|a| known_risk(a)) {
            return Err(ShareError::Invalid("the risks a move addresses"));
        }
        check_text(&self.why, LINE_CHARS, "a move's reason")
    }
}

/// The characters of `docs/contract/` (`open`, `balanced`, `dense`).
const CHARACTERS: [&str; 3] = ["open", "balanced", "dense"];

/// Longest one-line text [`payload`] writes, characters.
const FULL_LINE: usize = 140;
/// Shortest cap [`payload`] shortens one-line texts to before dropping more.
const MIN_LINE: usize = 48;

/// How much [`payload`] keeps at one trimming step (see the module docs).
struct Trim {
    /// Longest one-line text (explanations, whys); 0 drops them.
    line: usize,
    /// Longest file name.
    name: usize,
    /// Longest label; 0 drops them.
    label: usize,
    /// Keep the decisions' parameters.
    params: bool,
    /// Keep the explanations of risks that are `info` before and after.
    info_text: bool,
    /// Keep risks that are `info` before and after.
    info_risks: bool,
}

impl Trim {
    /// Step 1: everything.
    const FULL: Self = Self {
        line: FULL_LINE,
        name: NAME_CHARS,
        label: LABEL_CHARS,
        params: true,
        info_text: true,
        info_risks: true,
    };
    /// Step 3: no parameters, no `info` risks, short texts.
    const LEAN: Self = Self {
        line: 40,
        name: 60,
        label: 40,
        params: false,
        info_text: false,
        info_risks: false,
    };
    /// Step 4: no texts at all.
    const BARE: Self = Self {
        line: 0,
        name: 40,
        label: 0,
        params: false,
        info_text: false,
        info_risks: false,
    };

    /// Step 2: `info` risks without explanation, texts up to `line`.
    fn shortened(line: usize) -> Self {
        Self {
            line,
            label: line.min(LABEL_CHARS),
            info_text: false,
            ..Self::FULL
        }
    }

    /// Whether this is less than everything.
    fn trims(&self) -> bool {
        self.line < FULL_LINE || !self.params || !self.info_text || !self.info_risks
    }
}

fn build(
    report: &Report,
    master: Option<&MasterReport>,
    sha256: &str,
    trim: &Trim,
) -> SharePayload {
    let file = SharedFile {
        name: clip(&clean(&report.input.name), trim.name),
        duration_s: round_to(
            sane(report.input.duration_s, 0.0, MAX_DURATION_S, 0.0),
            1000.0,
        ),
        sha256: sha256.trim().to_ascii_lowercase(),
    };
    SharePayload {
        file,
        before: figures(&report.loudness),
        risks: risks(report, master, trim),
        master: master.map(|m| shared_master(m, trim)),
        trimmed: trim.trims(),
    }
}

fn risks(report: &Report, master: Option<&MasterReport>, trim: &Trim) -> Vec<SharedRisk> {
    let after_level =
        |id: &str| master.and_then(|m| m.after.risks.iter().find(|r| r.id == id).map(|r| r.level));
    let mut out: Vec<SharedRisk> = Vec::new();
    let before = report
        .risks
        .iter()
        .map(|r| (r, Some(r.level), after_level(&r.id)));
    let introduced = master
        .map(|m| m.after.risks.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|r| !report.risks.iter().any(|b| b.id == r.id))
        .map(|r| (r, None, Some(r.level)));
    for (r, before, after) in before.chain(introduced) {
        let seen = out.iter().any(|o| o.id == r.id);
        let only_info = before.max(after) <= Some(Level::Info);
        if !known_risk(&r.id) || seen || (!trim.info_risks && only_info) {
            continue;
        }
        let explain = trim.info_text || !only_info;
        out.push(SharedRisk {
            id: r.id.clone(),
            before,
            after,
            explanation: if explain {
                line(&r.explanation, trim.line)
            } else {
                String::new()
            },
        });
    }
    out
}

fn shared_master(m: &MasterReport, trim: &Trim) -> SharedMaster {
    let i = &m.intent;
    let target = if Target::parse(&i.target).is_ok() && i.target.chars().count() <= WORD_CHARS {
        clean(&i.target)
    } else {
        Target::Lufs(round_to(sane(i.target_lufs, -30.0, -5.0, -14.0), 100.0)).name()
    };
    let character = if CHARACTERS.contains(&i.character.as_str()) {
        i.character.clone()
    } else {
        "balanced".to_string()
    };
    SharedMaster {
        intent: SharedIntent {
            target,
            target_lufs: round_to(sane(i.target_lufs, -70.0, 0.0, -14.0), 100.0),
            ceiling_dbtp: round_to(sane(i.ceiling_dbtp, -20.0, 0.0, -1.0), 100.0),
            character,
        },
        decisions: m
            .decisions
            .iter()
            .take(MAX_DECISIONS)
            .map(|d| SharedDecision {
                r#move: word(&d.r#move),
                label: clip(&clean(&d.label), trim.label),
                params: if trim.params && d.params.is_object() && check_params(&d.params).is_ok() {
                    d.params.clone()
                } else {
                    Value::Null
                },
                addresses: d
                    .addresses
                    .iter()
                    .filter(|a| known_risk(a))
                    .take(RISK_IDS.len())
                    .cloned()
                    .collect(),
                why: line(&d.why, trim.line),
            })
            .collect(),
        chain: m.chain.clone(),
        after: figures(&m.after.loudness),
    }
}

fn figures(l: &LoudnessInfo) -> Figures {
    let f = |v: Option<f64>| {
        v.filter(|x| x.is_finite() && x.abs() <= FIGURE_LIMIT)
            .map(|x| round_to(x, 100.0))
    };
    Figures {
        integrated_lufs: f(l.integrated_lufs),
        true_peak_dbtp: f(l.true_peak_dbtp),
        range_lu: f(l.range_lu),
        plr_db: f(l.plr_db),
    }
}

/// `x` rounded to `1 / scale`.
fn round_to(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}

/// `x` clamped to `lo..=hi`, or `fallback` when it is not a number.
fn sane(x: f64, lo: f64, hi: f64, fallback: f64) -> f64 {
    if x.is_finite() {
        x.clamp(lo, hi)
    } else {
        fallback
    }
}

/// Characters a shared text never holds: controls (C0, DEL, C1) and the
/// bidirectional marks, embeddings, overrides and isolates that could make
/// a text read differently from what it is.
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `s` with runs of white space made one space, forbidden characters
/// dropped, and trimmed.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if !forbidden(c) {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// At most `max` characters of `s`; a cut text ends with `…`.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let kept: String = s.chars().take(max - 1).collect();
    format!("{}…", kept.trim_end())
}

/// The first sentence of `s` (up to a `.`, `!` or `?` followed by white
/// space), cleaned and clipped to `max` characters.
fn line(s: &str, max: usize) -> String {
    let s = clean(s);
    let mut end = s.len();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?') && chars.peek().is_some_and(|&(_, n)| n == ' ') {
            end = i + c.len_utf8();
            break;
        }
    }
    clip(&s[..end], max)
}

/// `s` as a word: lowercase ASCII letters, digits and `_`, at most
/// [`WORD_CHARS`] (`move` when nothing is left).
fn word(s: &str) -> String {
    let w: String = s
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .take(WORD_CHARS)
        .collect();
    if w.is_empty() {
        "move".into()
    } else {
        w
    }
}

fn is_word(s: &str) -> bool {
    (1..=WORD_CHARS).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn known_risk(id: &str) -> bool {
    RISK_IDS.contains(&id)
}

/// The version number: 1 to 9 decimal digits without a leading zero.
fn parse_version(s: &str) -> Option<u32> {
    let ok = (1..=9).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_digit())
        && !(s.len() > 1 && s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

fn check_text(s: &str, max_chars: usize, what: &'static str) -> Result<(), ShareError> {
    if s.chars().count() > max_chars || s.chars().any(forbidden) {
        return Err(ShareError::Invalid(what));
    }
    Ok(())
}

fn check_range(v: f64, lo: f64, hi: f64, what: &'static str) -> Result<(), ShareError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(ShareError::Invalid(what))
    }
}

/// A decision's parameters: absent (`Null`) or an object of at most
/// [`MAX_PARAM_NODES`] values nested at most [`MAX_PARAM_DEPTH`] deep, with
/// word keys, short texts and numbers within ±[`PARAM_LIMIT`].
fn check_params(params: &Value) -> Result<(), ShareError> {
    const WHAT: &str = "a move's parameters";
    fn walk(v: &Value, depth: usize, nodes: &mut usize) -> bool {
        *nodes += 1;
        if *nodes > MAX_PARAM_NODES || depth > MAX_PARAM_DEPTH {
            return false;
        }
        match v {
            Value::Null | Value::Bool(_) => true,
            Value::Number(n) => n
                .as_f64()
                .is_some_and(|x| x.is_finite() && x.abs() <= PARAM_LIMIT),
            Value::String(s) => check_text(s, WORD_CHARS, WHAT).is_ok(),
            Value::Array(a) => a.iter().all(|x| walk(x, depth + 1, nodes)),
            Value::Object(o) => o
                .iter()
                .all(|(k, x)| is_word(k) && walk(x, depth + 1, nodes)),
        }
    }
    let ok = match params {
        Value::Null => true,
        Value::Object(_) => walk(params, 1, &mut 0),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ShareError::Invalid(WHAT))
    }
}

/// The engine's own checks of a chain (format, every parameter in range).
fn check_chain(chain: &Chain) -> Result<(), ShareError> {
    if chain.modules.len() > MAX_MODULES || ChainProcessor::new(chain, CHECK_RATE, 2, 1).is_err() {
        return Err(ShareError::Invalid("the processing chain"));
    }
    Ok(())
}

/// Inflates a zlib stream to at most [`MAX_JSON_LEN`] bytes, into one buffer
/// of that size: a stream that wants more fails ([`ShareError::TooLarge`]);
/// a truncated stream, a wrong checksum or bytes after the stream are
/// [`ShareError::Damaged`].
fn inflate(packed: &[u8]) -> Result<Vec<u8>, ShareError> {
    use miniz_oxide::inflate::core::inflate_flags::{
        TINFL_FLAG_PARSE_ZLIB_HEADER, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
    };
    use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;

    let mut out = vec![0u8; MAX_JSON_LEN + 1];
    let mut state = Box::<DecompressorOxide>::default();
    let flags = TINFL_FLAG_PARSE_ZLIB_HEADER | TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, read, written) = decompress(&mut state, packed, &mut out, 0, flags);
    match status {
        TINFLStatus::Done if written > MAX_JSON_LEN => Err(ShareError::TooLarge),
        TINFLStatus::Done if read == packed.len() => {
            out.truncate(written);
            Ok(out)
        }
        TINFLStatus::HasMoreOutput => Err(ShareError::TooLarge),
        _ => Err(ShareError::Damaged),
    }
}

/// The chain field, read strictly: parsed by the engine's
/// [`Chain::from_json`], and accepted only if writing it back gives the same
/// JSON value (so no unknown field and no defaulted one slips through).
mod strict_chain {
    use dsp_wasm::Chain;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(chain: &Chain, s: S) -> Result<S::Ok, S::Error> {
        chain.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Chain, D::Error> {
        let value = Value::deserialize(d)?;
        let chain =
            Chain::from_json(&value.to_string()).map_err(|_| D::Error::custom("not a chain"))?;
        if serde_json::to_value(&chain).ok().as_ref() != Some(&value) {
            return Err(D::Error::custom(
                "a chain with fields the engine does not write",
            ));
        }
        Ok(chain)
    }
}

#[cfg(test)]
mod tests;
