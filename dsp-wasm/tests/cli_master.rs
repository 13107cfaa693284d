//! `preflight master` at the command line: outputs, exit codes, no partial files.
//!
//! The one integration test left in dsp-wasm: it runs the `preflight` binary
//! through `CARGO_BIN_EXE_preflight`, which Cargo sets only for tests of the
//! package that owns the binary. Its signals come from the shared support
//! crate (`preflight-tests`, a dev-dependency).

use std::path::PathBuf;
use std::process::Command;

use dsp_wasm::io::decode::decode_file;
use preflight_tests::master_mix::clean;
use preflight_tests::wav::{write_wav, WavFormat};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("preflight-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn preflight(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn masters_a_file_to_wav_and_json() {
    let d = dir("ok");
    let input = d.join("mix.wav");
    write_wav(&input, &clean(48_000, 6.0), WavFormat::Int24).unwrap();
    let out = d.join("master.wav");
    let json = d.join("master.json");
    let o = preflight(&[
        "master",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--bits",
        "16",
        "--rate",
        "44100",
        "--target",
        "-12",
        "--character",
        "dense",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let decoded = decode_file(&out).unwrap();
    assert_eq!(decoded.audio.sample_rate, 44_100);
    assert_eq!(decoded.format.bit_depth, Some(16));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["schema"], "preflight.master/1");
    assert_eq!(doc["intent"]["target_lufs"], -12.0);
    assert_eq!(doc["intent"]["character"], "dense");
    assert_eq!(doc["before"]["schema"], "preflight.report/1");
    let tp = doc["after"]["loudness"]["true_peak_dbtp"].as_f64().unwrap();
    assert!(tp <= -1.0, "{tp}");
    let i = doc["after"]["loudness"]["integrated_lufs"]
        .as_f64()
        .unwrap();
    assert!((i + 12.0).abs() <= 0.5, "{i}");
    // Without --json a human summary goes to stdout.
    let o = preflight(&[
        "master",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("LUFS"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn help_after_a_command_prints_the_usage_and_exits_0() {
    for cmd in ["analyze", "master", "render"] {
        for flag in ["--help", "-h"] {
            let o = preflight(&[cmd, flag]);
            let out = String::from_utf8_lossy(&o.stdout);
            assert!(
                o.status.success() && out.starts_with("usage:") && o.stderr.is_empty(),
                "{cmd} {flag}: exit {:?}, stdout {out:?}, stderr {:?}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
    // An option no command has is still bad input.
    let o = preflight(&["analyze", "--hepl"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A batch check: `preflight analyze A B C` prints each file's summary; a
/// bad file in between gets its one named line on stderr, the files after
/// it are still checked, and the exit code says a file was bad (2).
#[test]
fn analyze_checks_several_files_and_names_the_bad_one() {
    let d = dir("batch");
    let (a, bad, b) = (d.join("a.wav"), d.join("bad.wav"), d.join("b.flac.wav"));
    write_wav(&a, &clean(48_000, 3.0), WavFormat::Int16).unwrap();
    std::fs::write(&bad, b"RIFF but no audio").unwrap();
    write_wav(&b, &clean(44_100, 3.0), WavFormat::Float32).unwrap();
    let paths = [&a, &bad, &b].map(|p| p.to_str().unwrap().to_string());
    let o = preflight(&["analyze", &paths[0], &paths[1], &paths[2]]);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(2), "stdout {out}\nstderr {err}");
    // Each good file's summary, in order, headed by its name and rate.
    let heads: Vec<&str> = out.lines().filter(|l| l.contains("  wav  ")).collect();
    assert_eq!(heads.len(), 2, "{out}");
    assert!(heads[0].starts_with("a.wav") && heads[0].contains("48000 Hz"));
    assert!(heads[1].starts_with("b.flac.wav") && heads[1].contains("44100 Hz"));
    assert_eq!(out.matches("Integrated loudness").count(), 2, "{out}");
    // The bad one: one line, naming it.
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("preflight: ") && err.contains("bad.wav"),
        "{err}"
    );
    // All good: exit 0.
    let o = preflight(&["analyze", &paths[0], &paths[2]]);
    assert!(o.status.success());
    // A bad file first: the first summary still starts the output.
    let o = preflight(&["analyze", &paths[1], &paths[0]]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("a.wav"));
    // `--json FOLDER`: each good file's report there, named after it; none
    // for the bad one, whose line is still told.
    let reports = d.join("reports");
    std::fs::create_dir(&reports).unwrap();
    let r = reports.to_str().unwrap();
    let o = preflight(&["analyze", &paths[0], &paths[1], &paths[2], "--json", r]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(reports.join(name)).unwrap()).unwrap()
    };
    assert_eq!(read("a.json")["input"]["sample_rate"], 48_000);
    assert_eq!(read("b.flac.json")["input"]["sample_rate"], 44_100);
    assert_eq!(names_in(&reports), ["a.json", "b.flac.json"]);
    // Refused before any work: several INPUTs with `--json` a file, and two
    // INPUTs that would write one report.
    let json = d.join("r.json");
    let o = preflight(&[
        "analyze",
        &paths[0],
        &paths[2],
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("takes a folder"));
    assert!(!json.exists());
    let twin = d.join("twin");
    std::fs::create_dir(&twin).unwrap();
    std::fs::copy(&a, twin.join("a.wav")).unwrap();
    let o = preflight(&[
        "analyze",
        &paths[0],
        twin.join("a.wav").to_str().unwrap(),
        "--json",
        r,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("would both write"));
    // One INPUT with `--json FOLDER` writes its report there too.
    std::fs::remove_file(reports.join("a.json")).unwrap();
    assert!(preflight(&["analyze", &paths[0], "--json", r])
        .status
        .success());
    assert_eq!(read("a.json")["input"]["channels"], 2);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_input_exits_2_with_one_line_and_leaves_no_file() {
    let d = dir("bad");
    let input = d.join("notes.wav");
    std::fs::write(&input, b"this is not audio at all").unwrap();
    let out = d.join("master.wav");
    let o = preflight(&[
        "master",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!out.exists());
    // Only the input is left in the folder (no temporary files either).
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
    let good = d.join("mix.wav");
    write_wav(&good, &clean(44_100, 2.0), WavFormat::Int16).unwrap();
    for args in [
        vec!["--target", "quiet"],
        vec!["--ceiling", "3"],
        vec!["--character", "warm"],
        vec!["--bits", "12"],
        vec!["--rate", "1000"],
    ] {
        let mut a = vec![
            "master",
            good.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        a.extend(args.iter());
        let o = preflight(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!out.exists(), "{args:?}");
    }
    let o = preflight(&["master", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&d);
}

/// A reference track that can be read but not used (not audio, six
/// channels) is named as the reference in its one line, so it is not taken
/// for the input's fault (it read "not a supported audio file: …" alone,
/// the same words as a bad input); exit 2, no output left.
#[test]
fn a_bad_reference_is_named_as_the_reference() {
    let d = dir("bad-reference");
    let good = d.join("mix.wav");
    write_wav(&good, &clean(44_100, 2.0), WavFormat::Int16).unwrap();
    let text = d.join("notes.wav");
    std::fs::write(&text, b"this is not audio at all").unwrap();
    let six = d.join("six.wav");
    let mut wide = clean(44_100, 1.0);
    wide.channels = (0..6).map(|i| wide.channels[i % 2].clone()).collect();
    write_wav(&six, &wide, WavFormat::Int16).unwrap();
    let out = d.join("master.wav");
    for (reference, reason) in [(&text, "not a supported audio file"), (&six, "6 channels")] {
        let o = preflight(&[
            "master",
            good.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--reference",
            reference.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        let named = format!("the reference track {}: ", reference.display());
        assert!(err.contains(&named) && err.contains(reason), "{err}");
        assert!(!out.exists());
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// An input that cannot be read — missing, a folder, a missing reference or
/// chain — is the user's input: exit 2 (the contract's "unreadable"), one
/// line that names the path, no output left.
#[test]
fn an_unreadable_input_exits_2_naming_it() {
    let d = dir("unreadable");
    let good = d.join("mix.wav");
    write_wav(&good, &clean(44_100, 2.0), WavFormat::Int16).unwrap();
    let missing = d.join("no such mix.wav");
    let out = d.join("master.wav");
    let (g, m, f, o) = (
        good.to_str().unwrap(),
        missing.to_str().unwrap(),
        d.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    for (args, named, reason) in [
        (vec!["analyze", m], m, "there is no such file"),
        (vec!["master", m, "-o", o], m, "there is no such file"),
        (vec!["analyze", f], f, "it is a folder"),
        (
            vec!["master", g, "-o", o, "--reference", m],
            m,
            "there is no such file",
        ),
        (
            vec!["render", g, "-o", o, "--chain", m],
            m,
            "there is no such file",
        ),
    ] {
        let r = preflight(&args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains(&format!("cannot read {named}: {reason}")) && !err.contains("os error"),
            "{args:?}: {err}"
        );
        assert!(!out.exists(), "{args:?}");
    }
    // An output that cannot be written is refused before any work, with
    // its path: exit 1 (the environment, not the input).
    let nowhere = d.join("no such folder").join("master.wav");
    let n = nowhere.to_str().unwrap();
    let chain = d.join("chain.json");
    std::fs::write(
        &chain,
        r#"{"format": "preflight.chain/1", "modules": [{"module": "gain", "gain_db": -1.0}]}"#,
    )
    .unwrap();
    let c = chain.to_str().unwrap();
    for args in [
        vec!["analyze", g, "--json", n],
        vec!["master", g, "-o", n],
        vec!["master", g, "-o", o, "--json", n],
        vec!["master", g, "-o", f],
        vec!["render", g, "-o", n, "--chain", c],
    ] {
        let r = preflight(&args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("cannot write ") && !err.contains("os error"),
            "{args:?}: {err}"
        );
        assert!(!out.exists(), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// A stereo IMA ADPCM WAV whose block size leaves a partial group of 8 data
/// bytes (block_align 17 = 2·4 header bytes + 9): symphonia-codec-adpcm
/// 0.5.5's `decode_stereo` indexes past its block buffer and panics ("index
/// out of bounds: the len is 10 but the index is 10").
fn ima_adpcm_partial_group() -> Vec<u8> {
    let (channels, align, rate): (u16, u16, u32) = (2, 17, 44_100);
    let frames_per_block = (align - 4 * channels) * 8 / (4 * channels) + 1;
    let mut data = Vec::new();
    for _ in 0..200 {
        for _ in 0..channels {
            data.extend_from_slice(&[0, 0, 0, 0]); // predictor, step index, reserved
        }
        data.extend(std::iter::repeat_n(
            0x12u8,
            usize::from(align - 4 * channels),
        ));
    }
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&0x11u16.to_le_bytes()); // IMA ADPCM
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    let byte_rate = rate * u32::from(align) / u32::from(frames_per_block);
    fmt.extend_from_slice(&byte_rate.to_le_bytes());
    fmt.extend_from_slice(&align.to_le_bytes());
    fmt.extend_from_slice(&4u16.to_le_bytes()); // bits per sample
    fmt.extend_from_slice(&2u16.to_le_bytes()); // extension size
    fmt.extend_from_slice(&frames_per_block.to_le_bytes());
    let mut body = b"WAVEfmt ".to_vec();
    body.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    body.extend(fmt);
    body.extend_from_slice(b"data");
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend(data);
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend(body);
    file
}

/// An input that once made a dependency panic (see [`ima_adpcm_partial_group`];
/// the decoder now refuses it with a typed error): exit 2 with one line on
/// stderr, no panic trace, no file left behind. The panic path itself is
/// tested by [`a_master_that_dies_after_writing_keeps_the_file_that_was_there`]
/// (a real panic in the binary) and as a unit in `src/bin/preflight.rs`.
#[test]
fn a_panicking_input_exits_2_with_one_line_and_leaves_no_file() {
    let d = dir("panic");
    let input = d.join("ima.wav");
    std::fs::write(&input, ima_adpcm_partial_group()).unwrap();
    let out = d.join("master.wav");
    let json = d.join("report.json");
    for args in [
        vec![
            "master",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        vec![
            "analyze",
            input.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        vec!["analyze", input.to_str().unwrap()],
    ] {
        let o = preflight(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("preflight: "), "{err}");
        assert!(!err.contains("panicked at"), "{err}");
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!out.exists() && !json.exists(), "{args:?}");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1, "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// A master that dies after its file was written — a real panic, raised on
/// purpose while the written samples are verified
/// (`PREFLIGHT_TEST_PANIC_WHILE_VERIFYING`, test builds only): exit 2 with
/// one line naming what was being done, the file that was at the output's
/// path before left whole, and no other file. Before, the master was renamed
/// into place as soon as it was written and the panic hook then removed it,
/// the earlier file lost with it; a master now takes its place only once it
/// passed. The same file is then mastered without the fault: replaced.
#[test]
fn a_master_that_dies_after_writing_keeps_the_file_that_was_there() {
    let d = dir("dies");
    let input = d.join("mix.wav");
    write_wav(&input, &clean(48_000, 3.0), WavFormat::Int24).unwrap();
    let out = d.join("master.wav");
    let earlier = b"an earlier master, not a WAV file".to_vec();
    std::fs::write(&out, &earlier).unwrap();
    let args = [
        "master",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    let o = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .env("PREFLIGHT_TEST_PANIC_WHILE_VERIFYING", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("preflight: internal error while mastering "),
        "{err}"
    );
    assert!(!err.contains("panicked at"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), earlier);
    assert_eq!(names_in(&d), ["master.wav", "mix.wav"]);
    // Without the fault the master replaces it.
    let o = preflight(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let master = decode_file(&out).unwrap();
    assert_eq!(master.audio.sample_rate, 48_000);
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 2);
    let _ = std::fs::remove_dir_all(&d);
}

/// A file whose header says it is far too long is refused from its header:
/// a 4 GB sparse WAV (its data never read: no memory, no time), exit 2, one
/// line giving the length and the limit.
#[test]
fn an_over_long_file_is_refused_from_its_header_before_it_is_read() {
    let d = dir("long-header");
    let path = d.join("four-hours.wav");
    let frames: u32 = 4 * 3600 * 48_000;
    let data_len = frames * 4; // 16-bit stereo: 2.76 GB
    let mut head = Vec::new();
    head.extend_from_slice(b"RIFF");
    head.extend_from_slice(&(36 + data_len).to_le_bytes());
    head.extend_from_slice(b"WAVEfmt ");
    head.extend_from_slice(&16u32.to_le_bytes());
    head.extend_from_slice(&1u16.to_le_bytes());
    head.extend_from_slice(&2u16.to_le_bytes());
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&(48_000u32 * 4).to_le_bytes());
    head.extend_from_slice(&4u16.to_le_bytes());
    head.extend_from_slice(&16u16.to_le_bytes());
    head.extend_from_slice(b"data");
    head.extend_from_slice(&data_len.to_le_bytes());
    std::fs::write(&path, &head).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(head.len() as u64 + u64::from(data_len)).unwrap(); // sparse
    drop(f);
    let started = std::time::Instant::now();
    let o = preflight(&["analyze", path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("4:00:00 long") && err.contains("at most 30:00"),
        "{err}"
    );
    assert!(
        started.elapsed().as_secs_f64() < 5.0,
        "read before refusing?"
    );
    let _ = std::fs::remove_file(&path);
}

/// A silent file has nothing to master or judge, and the summaries say so
/// instead of praising the mix ("the mix already works").
#[test]
fn a_silent_file_is_not_told_it_already_works() {
    let d = dir("silent");
    let silent = d.join("silence.wav");
    let audio = dsp_wasm::audio::AudioBuffer {
        sample_rate: 48_000,
        channels: vec![vec![0.0; 48_000 * 3]; 2],
    };
    write_wav(&silent, &audio, WavFormat::Int16).unwrap();
    let (s, out) = (silent.to_str().unwrap(), d.join("master.wav"));
    let text = |args: &[&str]| {
        let r = preflight(args);
        assert!(
            r.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        String::from_utf8_lossy(&r.stdout).into_owned()
    };
    let analysed = text(&["analyze", s]);
    assert!(
        analysed.contains("no music to judge") && !analysed.contains("already works"),
        "{analysed}"
    );
    let mastered = text(&["master", s, "-o", out.to_str().unwrap()]);
    assert!(
        mastered.contains("no music to master") && !mastered.contains("already works"),
        "{mastered}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// The names of the files in `dir`, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
