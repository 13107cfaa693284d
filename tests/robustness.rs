//! Property tests standing in for the `cargo fuzz` target (fuzz/, nightly):
//! random bytes and mutated valid files go through decode and the full
//! analysis; nothing panics, errors are typed, and every number in a report
//! is finite (or null where undefined).
//!
//! "Finite" is checked where it can fail: serde writes a NaN or an infinity
//! as `null`, so the serialised text never contains `NaN`. Instead
//! [`assert_numbers_finite`] walks `docs/contract/report.schema.json` and
//! the report together: a field the schema types as a number must be a JSON
//! number (serde_json's numbers are always finite), and a `null` in a field
//! typed number-or-null must be the engine's "undefined" (`None`), not a
//! non-finite `Some`.

use std::path::Path;

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::decode::decode;
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::{analyze, Report, Source};
use dsp_wasm::risks::detect_checked;
use preflight_tests::mixes::{mix, Style};
use preflight_tests::scratch_dir;
use preflight_tests::wav::{wav_bytes, write_wav, WavFormat};
use proptest::prelude::*;
use serde_json::Value;

/// The contract's JSON Schema.
fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/contract/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("schema JSON")
}

/// `schema` with a `{"$ref": "#/$defs/…"}` followed.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("local $ref");
            resolve(root, root.pointer(pointer).expect("$ref resolves"))
        }
        None => schema,
    }
}

/// Whether a JSON Schema type name admits `value`.
fn type_admits(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.is_u64() || value.is_i64(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

/// The type names a schema declares (`"type": "x"` or `"type": [...]`).
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Walks `schema` and `value` together. A field typed as a number (or an
/// integer) that is not a JSON number goes to `errors`; one typed
/// number-or-null that is `null` goes to `nulls` (JSON pointers).
fn walk(
    root: &Value,
    schema: &Value,
    value: &Value,
    path: &str,
    nulls: &mut Vec<String>,
    errors: &mut Vec<String>,
) {
    let schema = resolve(root, schema);
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        for b in branches {
            let b = resolve(root, b);
            if types(b).iter().any(|t| type_admits(t, value)) {
                walk(root, b, value, path, nulls, errors);
            }
        }
    }
    let t = types(schema);
    if t.contains(&"number") || t.contains(&"integer") {
        if value.is_null() && t.contains(&"null") {
            nulls.push(path.to_string());
        } else if !value.is_number() {
            errors.push(format!("{path}: {value} where the schema says {t:?}"));
        }
    }
    if let (Some(obj), Some(props)) = (
        value.as_object(),
        schema.get("properties").and_then(Value::as_object),
    ) {
        for (k, s) in props {
            if let Some(v) = obj.get(k) {
                walk(root, s, v, &format!("{path}/{k}"), nulls, errors);
            }
        }
    }
    if let (Some(obj), Some(s)) = (value.as_object(), schema.get("additionalProperties")) {
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, v) in obj {
            if !props.is_some_and(|p| p.contains_key(k)) {
                walk(root, s, v, &format!("{path}/{k}"), nulls, errors);
            }
        }
    }
    if let Some(arr) = value.as_array() {
        let prefix = schema.get("prefixItems").and_then(Value::as_array);
        for (i, v) in arr.iter().enumerate() {
            let item = prefix.and_then(|p| p.get(i)).or(schema.get("items"));
            if let Some(s) = item {
                walk(root, s, v, &format!("{path}/{i}"), nulls, errors);
            }
        }
    }
}

/// The report's number-or-null fields as the engine holds them, by JSON
/// pointer: `None` is "undefined" (null by design); a `Some` must be finite.
fn optional_numbers(r: &Report) -> Vec<(String, Option<f64>)> {
    let (l, s) = (&r.loudness, &r.stereo);
    let mut fields: Vec<(String, Option<f64>)> = [
        ("/input/bit_depth", r.input.bit_depth.map(f64::from)),
        ("/loudness/integrated_lufs", l.integrated_lufs),
        ("/loudness/range_lu", l.range_lu),
        ("/loudness/max_momentary_lufs", l.max_momentary_lufs),
        ("/loudness/max_short_term_lufs", l.max_short_term_lufs),
        ("/loudness/true_peak_dbtp", l.true_peak_dbtp),
        ("/loudness/sample_peak_dbfs", l.sample_peak_dbfs),
        ("/loudness/plr_db", l.plr_db),
        ("/stereo/correlation", s.correlation),
        ("/stereo/low_correlation", s.low_correlation),
        ("/stereo/mono_loss_db", s.mono_loss_db),
        ("/stereo/balance_db", s.balance_db),
    ]
    .into_iter()
    .map(|(p, v)| (p.to_string(), v))
    .collect();
    for (i, p) in r.platforms.iter().enumerate() {
        fields.push((format!("/platforms/{i}/gain_db"), p.gain_db));
        fields.push((
            format!("/platforms/{i}/true_peak_after_dbtp"),
            p.true_peak_after_dbtp,
        ));
    }
    fields
}

/// Every number the schema declares in `r` is a finite number (or, where the
/// schema allows null, the engine's `None`).
fn assert_numbers_finite(r: &Report, what: &str) {
    let root = schema();
    let value = serde_json::to_value(r).expect("report serialises");
    let (mut nulls, mut errors) = (Vec::new(), Vec::new());
    walk(
        &root,
        &root["$defs"]["report"],
        &value,
        "",
        &mut nulls,
        &mut errors,
    );
    let typed = optional_numbers(r);
    for (path, v) in &typed {
        if v.is_some_and(|x| !x.is_finite()) {
            errors.push(format!("{path}: {v:?} (written as null)"));
        }
    }
    for path in &nulls {
        if !typed.iter().any(|(p, _)| p == path) {
            errors.push(format!(
                "{path}: null in a number-or-null field this test does not know: list it in optional_numbers"
            ));
        }
    }
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn valid_wav() -> Vec<u8> {
    wav_bytes(&mix(Style::Electronic, 22_050, 1.5, 4), WavFormat::Int16)
}

fn run(bytes: Vec<u8>, name: &str) {
    if let Ok(d) = decode(bytes, Some(name)) {
        if d.audio.duration_s() > 10.0 {
            return;
        }
        let (r, m) = analyze(
            &d.audio,
            &Source::decoded(&d, name),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .into_parts();
        assert_numbers_finite(&r, name);
        if let Err(e) = detect_checked(&m) {
            panic!("{name}: {e}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), ext in 0usize..5) {
        let name = ["x.wav", "x.flac", "x.mp3", "x.ogg", "x.m4a"][ext];
        run(bytes, name);
    }

    #[test]
    fn mutated_wavs_never_panic(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..24),
        cut in 0.0f64..2.0,
    ) {
        let mut bytes = valid_wav();
        for (at, v) in flips {
            let i = at % bytes.len();
            bytes[i] ^= v;
        }
        // Half the cases keep their length: a file cut by more than 1 % is
        // refused as truncated before analysis, and the other half should
        // reach the analysis (and its checks) with flipped samples.
        if cut < 1.0 {
            let keep = ((bytes.len() as f64) * (0.2 + 0.8 * cut)) as usize;
            bytes.truncate(keep.max(1));
        }
        run(bytes, "x.wav");
    }
}

/// Edge inputs analysed directly: each report's numbers are finite (or
/// undefined by design).
#[test]
fn edge_inputs_report_only_finite_numbers() {
    let rate = 44_100;
    let n = rate as usize * 2;
    let sine = |f: f64, a: f32| -> Vec<f32> {
        (0..n)
            .map(|i| a * (2.0 * std::f64::consts::PI * f * i as f64 / f64::from(rate)).sin() as f32)
            .collect()
    };
    let stereo = |l: Vec<f32>, r: Vec<f32>| AudioBuffer {
        sample_rate: rate,
        channels: vec![l, r],
    };
    let mut with_nan = sine(440.0, 0.5);
    for i in (0..n).step_by(997) {
        with_nan[i] = if i % 2 == 0 { f32::NAN } else { f32::INFINITY };
    }
    let square: Vec<f32> = (0..n)
        .map(|i| if (i / 50) % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let cases: Vec<(&str, AudioBuffer)> = vec![
        ("silence", AudioBuffer::silent(rate, 2, n)),
        ("one frame", AudioBuffer::silent(rate, 2, 1)),
        (
            "100 ms",
            stereo(
                sine(440.0, 0.5)[..4410].to_vec(),
                sine(440.0, 0.5)[..4410].to_vec(),
            ),
        ),
        (
            "mono sine",
            AudioBuffer {
                sample_rate: rate,
                channels: vec![sine(1000.0, 0.5)],
            },
        ),
        ("left only", stereo(sine(1000.0, 0.5), vec![0.0; n])),
        ("inverted", stereo(sine(80.0, 0.5), sine(80.0, -0.5))),
        ("NaN and Inf samples", stereo(with_nan.clone(), with_nan)),
        ("full-scale square", stereo(square.clone(), square)),
        ("DC", stereo(vec![0.25; n], vec![0.25; n])),
        ("mix", mix(Style::Electronic, rate, 2.0, 4)),
    ];
    for (what, audio) in cases {
        let (r, m) = analyze(
            &audio,
            &Source::pcm(what),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .into_parts();
        assert_numbers_finite(&r, what);
        if let Err(e) = detect_checked(&m) {
            panic!("{what}: {e}");
        }
    }
}

/// Regression (found by `cargo fuzz`): a FLAC file whose Vorbis comment
/// declares a 2.5 GB length made the demuxer allocate it and abort; it is now
/// a typed "corrupt" error.
#[test]
fn flac_comment_with_absurd_length_is_corrupt_not_an_abort() {
    let bytes = include_bytes!("support/data/fuzz-oom-flac-comment.bin");
    let err = decode(bytes[1..].to_vec(), Some("x.flac")).expect_err("corrupt");
    assert!(err.to_string().contains("corrupt"), "{err}");
}

/// One seed per compressed format the engine reads, made by real encoders
/// (ffmpeg's MP3, Vorbis, AAC in MP4 and ADTS, FLAC) from a short mix.
fn encoded_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let dir = scratch_dir("robust-seeds");
    let wav = dir.join("seed.wav");
    write_wav(
        &wav,
        &mix(Style::Acoustic, 44_100, 1.2, 6),
        WavFormat::Int16,
    )
    .unwrap();
    let seeds = encodings_of(&wav, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    seeds
}

/// `wav` encoded by ffmpeg in every compressed format the engine reads.
fn encodings_of(wav: &std::path::Path, dir: &std::path::Path) -> Vec<(&'static str, Vec<u8>)> {
    preflight_tests::peers::require_ffmpeg();
    let mut seeds = Vec::new();
    for (name, args) in [
        ("x.mp3", &["-c:a", "libmp3lame", "-b:a", "96k"][..]),
        ("x.ogg", &["-c:a", "libvorbis", "-q:a", "3"][..]),
        ("x.m4a", &["-c:a", "aac", "-b:a", "96k"][..]),
        ("x.aac", &["-c:a", "aac", "-b:a", "96k", "-f", "adts"][..]),
        ("x.flac", &["-c:a", "flac"][..]),
    ] {
        let out = dir.join(name);
        preflight_tests::peers::ffmpeg_convert(wav, &out, args);
        seeds.push((name, std::fs::read(&out).unwrap()));
    }
    seeds
}

/// Mutated real encodings (bytes flipped, runs overwritten, cut, a block
/// repeated) never panic in decode or analysis: MP3, Ogg Vorbis, MP4/AAC,
/// ADTS and FLAC (issue: only WAV and FLAC metadata were guarded). A fixed
/// seed, so a failure names its case; PREFLIGHT_MUTATIONS raises the count.
#[test]
fn mutated_encodings_never_panic() {
    mutate(&encoded_seeds(), 600);
}

/// [`mutated_encodings_never_panic`] seeded from real recordings: 1.5 s
/// from the middle of every clean recording in the folder
/// `PREFLIGHT_REAL_SEEDS` names (`scripts/test.sh` points it at the
/// judgement step's slice of Debian's music packages, which it has just
/// built; `*--clean.*`, in whatever format the slice keeps each), encoded in
/// each format, 200 mutations each. Run
/// with `--ignored`; without the folder it fails, it does not skip.
#[test]
#[ignore = "needs PREFLIGHT_REAL_SEEDS (scripts/test.sh sets it after the judgement step)"]
fn mutated_real_encodings_never_panic() {
    let folder = std::env::var("PREFLIGHT_REAL_SEEDS")
        .expect("PREFLIGHT_REAL_SEEDS: a folder of real recordings (*--clean.wav)");
    let mut clean: Vec<_> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{folder}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("--clean."))
        })
        .collect();
    clean.sort();
    assert!(!clean.is_empty(), "no *--clean.* recording in {folder}");
    let dir = scratch_dir("robust-real-seeds");
    let mut seeds = Vec::new();
    for path in &clean {
        let cut = dir.join("cut.wav");
        // (A cut through ffmpeg's own decoder: the seed is its re-encoding.)
        let mut args: Vec<&std::ffi::OsStr> = ["-ss", "8", "-t", "1.5", "-i"]
            .iter()
            .map(std::ffi::OsStr::new)
            .collect();
        args.extend([path.as_os_str(), cut.as_os_str()]);
        preflight_tests::peers::ffmpeg(&args);
        seeds.extend(encodings_of(&cut, &dir));
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("{} seeds from {} recordings", seeds.len(), clean.len());
    mutate(&seeds, 200);
}

/// Mutates each seed `default_count` ways (bytes flipped, runs overwritten,
/// cut, a block repeated; PREFLIGHT_MUTATIONS sets the count) and runs each
/// through decode and analysis: no panic, none slower than 2 s.
fn mutate(seeds: &[(&'static str, Vec<u8>)], default_count: usize) {
    let per_seed: usize = std::env::var("PREFLIGHT_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_count);
    let mut rng = preflight_tests::noise::Xorshift64::new(17);
    let mut next = |n: usize| ((rng.next_f64() * 0.5 + 0.5) * n as f64) as usize % n.max(1);
    let mut panics = Vec::new();
    let mut slow = Vec::new();
    for (name, seed) in seeds {
        for case in 0..per_seed {
            let mut b = seed.clone();
            match case % 4 {
                0 => {
                    for _ in 0..1 + next(16) {
                        let i = next(b.len());
                        b[i] ^= 1 << next(8);
                    }
                }
                1 => {
                    let i = next(b.len());
                    let n = (1 + next(64)).min(b.len() - i);
                    let v = next(256) as u8;
                    b[i..i + n].fill(v);
                }
                2 => {
                    let keep = 1 + next(b.len());
                    b.truncate(keep);
                }
                _ => {
                    let i = next(b.len());
                    let n = (1 + next(512)).min(b.len() - i);
                    let block = b[i..i + n].to_vec();
                    let at = next(b.len());
                    b.splice(at..at, block);
                }
            }
            if std::env::var("PREFLIGHT_MUTATIONS_DUMP").is_ok() {
                eprintln!("{name} case {case}");
                let _ = std::fs::write(format!("/tmp/mutation-{name}"), &b);
            }
            let started = std::time::Instant::now();
            let outcome = std::panic::catch_unwind(|| run(b.clone(), name));
            if outcome.is_err() {
                panics.push(format!("{name} case {case}"));
            }
            let took = started.elapsed().as_secs_f64();
            if took > 2.0 {
                slow.push(format!("{name} case {case}: {took:.1} s"));
            }
        }
    }
    assert!(panics.is_empty(), "panics: {panics:?}");
    assert!(slow.is_empty(), "slower than 2 s: {slow:?}");
}
