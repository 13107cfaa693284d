//! `preflight` — the command line of docs/contract/README.md.
//!
//! Exit 0 on success, 2 with one line on stderr for bad input or arguments
//! (an input that cannot be read — missing, a folder, no permission — is
//! bad input, named with its path), 1 for environment failures while
//! writing (disk full, a folder without write permission). Never a panic trace:
//! a panic (in the engine or a decoder it uses) goes to [`on_panic`], which
//! prints one line, removes what was being written and exits 2.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use dsp_wasm::chain::{self, Chain};
use dsp_wasm::error::Error;
use dsp_wasm::io::decode::decode_file;
use dsp_wasm::io::wav::{self, SampleFormat};
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::Report;
use dsp_wasm::report::{analyze, Source};

const USAGE: &str = "usage:
  preflight analyze INPUT [--json OUT.json]
  preflight analyze INPUT INPUT... [--json FOLDER]   (a batch check: a summary or report per file)
  preflight master  INPUT -o OUTPUT.wav [--json OUT.json] [--target streaming|loud|dynamic|<LUFS>]
                    [--ceiling <dBTP>] [--character open|balanced|dense] [--reference REF]
                    [--bits 16|24|32f] [--rate <Hz>]
  preflight render  INPUT -o OUTPUT.wav --chain CHAIN.json [--bits 16|24|32f]";

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| on_panic(info.payload())));
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("preflight: {e}");
            ExitCode::from(if e.is_bad_input() { 2 } else { 1 })
        }
    }
}

/// What the command is doing, for the line a panic prints ("while decoding
/// mix.wav").
static DOING: Mutex<String> = Mutex::new(String::new());

/// Files this run made (temporary files, and outputs once they took their
/// place), removed if the process dies of a panic. A file that was at an
/// output's path before is not on it until this run replaced it, so a panic
/// never takes away what was there.
static WRITING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn doing(what: String) {
    *DOING.lock().unwrap_or_else(|e| e.into_inner()) = what;
}

/// Notes a file this run made (see [`WRITING`]).
fn made(path: PathBuf) {
    WRITING.lock().unwrap_or_else(|e| e.into_inner()).push(path);
}

/// Writes `path` through `write` (a temporary file renamed into place),
/// noted in [`WRITING`] so that a panic anywhere (this thread or another)
/// leaves no partial file behind.
fn writing<T>(path: &Path, write: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    made(wav::temporary_path(path));
    let done = write().map_err(|e| e.unwritable(path))?;
    made(path.to_path_buf());
    Ok(done)
}

/// Refuses, before any work, an output whose folder does not exist or
/// which is itself a folder (else the failure would come only when the
/// file is written, after the whole analysis or master).
fn check_output(path: &Path) -> Result<(), Error> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let reason = if path.is_dir() {
        "it is a folder"
    } else if !folder.is_dir() {
        "there is no such folder"
    } else {
        return Ok(());
    };
    Err(Error::Unwritable {
        path: path.display().to_string(),
        reason: reason.to_string(),
    })
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// The one line a panic prints on stderr.
fn internal_error_line(doing: &str, message: &str) -> String {
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let doing = match one_line(doing) {
        d if d.is_empty() => "running".to_string(),
        d => d,
    };
    format!(
        "preflight: internal error while {doing} — please report it: {}",
        one_line(message)
    )
}

/// The panic hook: one line on stderr, nothing half-written left behind,
/// exit 2. With `panic = "abort"` (the release profile) a hook is the only
/// code that runs after a panic; it runs the same way with unwinding (the
/// test profile), so the command line behaves alike in both. A second panic
/// (another thread, or this hook) waits for the first to exit.
fn on_panic(payload: &(dyn Any + Send)) {
    static PANICKING: AtomicBool = AtomicBool::new(false);
    if PANICKING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    let doing = DOING.try_lock().map(|d| d.clone()).unwrap_or_default();
    eprintln!("{}", internal_error_line(&doing, panic_message(payload)));
    let files = WRITING.try_lock().map(|w| w.clone()).unwrap_or_default();
    for path in files {
        let _ = std::fs::remove_file(&path);
    }
    std::process::exit(2);
}

/// Parsed `--flag value` options and positional arguments.
struct Args {
    positional: Vec<String>,
    options: Vec<(String, String)>,
}

impl Args {
    fn parse(args: &[String], flags_with_values: &[&str]) -> Result<Self, Error> {
        let mut positional = Vec::new();
        let mut options = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a.starts_with('-') && a.len() > 1 {
                let (name, inline) = match a.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (a.clone(), None),
                };
                if !flags_with_values.contains(&name.as_str()) {
                    return Err(Error::InvalidArgument(format!(
                        "unknown option {name}\n{USAGE}"
                    )));
                }
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| Error::InvalidArgument(format!("{name} needs a value")))?,
                };
                options.push((name, value));
            } else {
                positional.push(a.clone());
            }
        }
        Ok(Self {
            positional,
            options,
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn input(&self) -> Result<PathBuf, Error> {
        match self.positional.as_slice() {
            [one] => Ok(PathBuf::from(one)),
            [] => Err(Error::InvalidArgument(format!("missing INPUT\n{USAGE}"))),
            _ => Err(Error::InvalidArgument(format!(
                "expected one INPUT, got {}\n{USAGE}",
                self.positional.len()
            ))),
        }
    }
}

fn run(args: &[String]) -> Result<(), Error> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err(Error::InvalidArgument(USAGE.to_string()));
    };
    // `preflight master --help` asks for the usage, as `preflight --help`
    // does; it is no bad option (exit 2) and starts no work.
    let known = matches!(cmd.as_str(), "analyze" | "analyse" | "master" | "render");
    if known && rest.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    match cmd.as_str() {
        "analyze" | "analyse" => {
            let a = Args::parse(rest, &["--json"])?;
            if a.positional.len() > 1 {
                return analyze_several(&a);
            }
            let input = a.input()?;
            let out = a.get("--json").map(|j| json_path(Path::new(j), &input));
            if let Some(out) = &out {
                check_output(out)?;
            }
            let report = analyze_path(&input)?;
            match out {
                Some(out) => {
                    doing(format!("writing {}", out.display()));
                    writing(&out, || write_json(&out, &report))?
                }
                None => print!("{}", summary(&report)),
            }
            Ok(())
        }
        "master" => run_master(rest),
        "render" => {
            let a = Args::parse(rest, &["-o", "--output", "--chain", "--bits"])?;
            let input = a.input()?;
            let out = a
                .get("-o")
                .or(a.get("--output"))
                .ok_or_else(|| Error::InvalidArgument("render needs -o OUTPUT.wav".into()))?;
            let chain_path = a
                .get("--chain")
                .ok_or_else(|| Error::InvalidArgument("render needs --chain CHAIN.json".into()))?;
            let chain = Chain::from_json(
                &std::fs::read_to_string(chain_path)
                    .map_err(|e| Error::unreadable(Path::new(chain_path), &e))?,
            )?;
            let bits = SampleFormat::parse(a.get("--bits").unwrap_or("32f"))?;
            check_output(Path::new(out))?;
            doing(format!("decoding {}", input.display()));
            let decoded = decode_file(&input)?;
            doing(format!("rendering {}", input.display()));
            let rendered = chain::render(&chain, &decoded.audio)?;
            let out = Path::new(out);
            doing(format!("writing {}", out.display()));
            writing(out, || wav::write(out, &rendered, bits))
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(Error::InvalidArgument(format!(
            "unknown command {other:?}\n{USAGE}"
        ))),
    }
}

/// `preflight master`: decide, render, verify, export (atomically).
fn run_master(rest: &[String]) -> Result<(), Error> {
    use dsp_wasm::master::intent::{parse_ceiling, Character, MasterIntent, Target};

    use dsp_wasm::master::{master_delivering, MasterOptions};
    let a = Args::parse(
        rest,
        &[
            "-o",
            "--output",
            "--json",
            "--target",
            "--ceiling",
            "--character",
            "--reference",
            "--bits",
            "--rate",
        ],
    )?;
    let input = a.input()?;
    let out = a
        .get("-o")
        .or(a.get("--output"))
        .ok_or_else(|| Error::InvalidArgument("master needs -o OUTPUT.wav".into()))?;
    let target_given = a.get("--target").is_some();
    let intent = MasterIntent {
        target: Target::parse(a.get("--target").unwrap_or("streaming"))?,
        ceiling_dbtp: a.get("--ceiling").map_or(Ok(-1.0), parse_ceiling)?,
        character: Character::parse(a.get("--character").unwrap_or("balanced"))?,
        reference: a.get("--reference").map(|r| {
            Path::new(r)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(r)
                .to_string()
        }),
    };
    intent.validate()?;
    let format = SampleFormat::parse(a.get("--bits").unwrap_or("24"))?;
    let rate = match a.get("--rate") {
        Some(r) => Some(r.parse::<u32>().map_err(|_| {
            Error::InvalidArgument(format!("--rate must be a sample rate in Hz, not {r:?}"))
        })?),
        None => None,
    };
    check_output(Path::new(out))?;
    if let Some(j) = a.get("--json") {
        check_output(Path::new(j))?;
    }
    // The input and the reference are decoded side by side (each on its
    // own thread; an error names the file it is about, the input's first).
    doing(match a.get("--reference") {
        Some(r) => format!("decoding {} and the reference {r}", input.display()),
        None => format!("decoding {}", input.display()),
    });
    let (decoded, reference) = std::thread::scope(|s| {
        let reference = a
            .get("--reference")
            .map(|r| s.spawn(move || decode_file(Path::new(r))));
        let decoded = decode_file(&input);
        let reference = reference.map(|h| {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (decoded, reference)
    });
    let decoded = decoded?;
    let reference = reference
        .transpose()
        .map_err(|e| e.of_reference(a.get("--reference").unwrap_or_default()))?;
    let options = MasterOptions {
        intent,
        loudness_from_reference: reference.is_some() && !target_given,
        output_rate: rate,
        output_format: format,
        input_name: input
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("input")
            .to_string(),
        input_format: decoded.format.format.clone(),
        input_bit_depth: decoded.format.bit_depth,
    };
    // The file is written while the master's verification analyses the same
    // samples, to a temporary file beside the output: it takes the output's
    // place only once the master passed (a file already there stays whole
    // until then); if mastering fails, the temporary file is removed.
    let out_path = Path::new(out);
    doing(format!("mastering {}", input.display()));
    // The page masters the samples its engine Worker keeps (`Stored::new`),
    // and so does this: a lossy decode as 24-bit integers of its own peak
    // (`Stored::lossy`). A source with a word length is kept there as its
    // integers only when they give back exactly the decoded values, so here
    // it stays as decoded: the same samples, and no stage converts them
    // again (the 4-min bench track's reference master 2.27-2.36 -> 2.01-2.16 s).
    let stored = match decoded.format.bit_depth {
        Some(_) => dsp_wasm::audio::Stored::Float(decoded.audio),
        None => dsp_wasm::audio::Stored::new(decoded.audio, None),
    };
    let mastered = master_delivering(
        &stored,
        &options,
        reference.as_ref().map(|r| &r.audio),
        |_, _| {},
        &|audio| {
            made(wav::temporary_path(out_path));
            wav::write_staged(out_path, audio, format).map_err(|e| e.unwritable(out_path))?;
            test_fault("PREFLIGHT_TEST_PANIC_WHILE_VERIFYING");
            Ok(())
        },
    )
    .inspect_err(|_| wav::discard_staged(out_path))?;
    wav::place_staged(out_path).map_err(|e| e.unwritable(out_path))?;
    made(out_path.to_path_buf());
    match a.get("--json") {
        Some(j) => {
            let j = Path::new(j);
            doing(format!("writing {}", j.display()));
            writing(j, || write_json(j, &mastered.report))?
        }
        None => print!("{}", master_summary(&mastered.report)),
    }
    Ok(())
}

/// A panic on purpose where the command-line tests ask for one (the
/// environment variable `name` set), so that they can check what a real
/// panic leaves behind; test builds only (`debug_assertions`), nothing in a
/// release build.
fn test_fault(name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os(name).is_some() {
        panic!("{name} is set");
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// Why a master has no moves: the mix works, or there is nothing to master
/// (a silent file, or one under the 400 ms BS.1770 needs: no loudness).
fn no_moves(before: &Report) -> String {
    if before.loudness.integrated_lufs.is_none() {
        format!(
            "No moves: there is no music to master ({}).",
            dsp_wasm::report::NOTHING_MEASURED
        )
    } else {
        "No moves: the mix already works.".to_string()
    }
}

fn master_summary(m: &dsp_wasm::report::MasterReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Target {} ({:.1} LUFS), ceiling {:.1} dBTP, {}",
        m.intent.target, m.intent.target_lufs, m.intent.ceiling_dbtp, m.intent.character
    );
    if m.decisions.is_empty() {
        let _ = writeln!(s, "{}", no_moves(&m.before));
    }
    for (i, d) in m.decisions.iter().enumerate() {
        let name = if d.label.is_empty() {
            &d.r#move
        } else {
            &d.label
        };
        // A move stacked on an earlier one of its kind at the same place is
        // told as that one's second pass, not as a new move with its reason
        // again (as the page tells it).
        let earlier = m.decisions[..i].iter().position(|e| {
            dsp_wasm::report::labels::second_pass(&d.label, std::iter::once(e.label.as_str()))
        });
        let why = match earlier {
            Some(n) => format!("a second pass of move {} on what it left.", n + 1),
            None => d.why.clone(),
        };
        let _ = writeln!(s, "- {name} [{}]: {why}", d.addresses.join(", "));
    }
    for l in &m.left {
        let _ = writeln!(
            s,
            "Still {} in the master: {}: {}",
            l.level.word(),
            l.id,
            l.why
        );
    }
    let l = &m.after.loudness;
    let _ = writeln!(
        s,
        "Master: {}  true peak {}",
        fmt_opt(l.integrated_lufs, "LUFS"),
        fmt_opt(l.true_peak_dbtp, "dBTP")
    );
    for n in &m.after.notices {
        let _ = writeln!(s, "Note: {n}");
    }
    s
}

/// Where `--json PATH` puts `input`'s report: PATH, or, when PATH is a
/// folder, `PATH/<input's name without its extension>.json`.
fn json_path(json: &Path, input: &Path) -> PathBuf {
    if !json.is_dir() {
        return json.to_path_buf();
    }
    let mut name = input
        .file_stem()
        .map_or("input".into(), |s| s.to_os_string());
    name.push(".json");
    json.join(name)
}

/// `preflight analyze A B C … [--json FOLDER]`: a batch check. Each file's
/// summary in turn (a blank line between them), or with `--json` its report
/// in the folder ([`json_path`]); a file that cannot be analysed gets its
/// one line on stderr, named, and the others are still checked. Exit 2 when
/// any file was bad input, as for one.
fn analyze_several(a: &Args) -> Result<(), Error> {
    let inputs: Vec<&Path> = a.positional.iter().map(Path::new).collect();
    let outs: Option<Vec<PathBuf>> = match a.get("--json").map(Path::new) {
        None => None,
        Some(folder) if !folder.is_dir() => {
            return Err(Error::InvalidArgument(format!(
                "--json with several INPUTs takes a folder (one report per file): {} is not one\n{USAGE}",
                folder.display()
            )))
        }
        Some(folder) => {
            let outs: Vec<PathBuf> = inputs.iter().map(|i| json_path(folder, i)).collect();
            // Two inputs with one name (mix.wav, mix.flac) would write one report.
            if let Some((i, o)) = outs
                .iter()
                .enumerate()
                .find(|(i, o)| outs[..*i].contains(o))
            {
                return Err(Error::InvalidArgument(format!(
                    "{} and another INPUT would both write {}: give them different names",
                    inputs[i].display(),
                    o.display()
                )));
            }
            Some(outs)
        }
    };
    let mut worst: Option<Error> = None;
    let mut printed = false;
    for (k, input) in inputs.iter().enumerate() {
        let done = analyze_path(input).and_then(|report| match &outs {
            Some(outs) => {
                let out = &outs[k];
                doing(format!("writing {}", out.display()));
                writing(out, || write_json(out, &report))
            }
            None => {
                if printed {
                    println!();
                }
                printed = true;
                print!("{}", summary(&report));
                Ok(())
            }
        });
        if let Err(e) = done {
            // An unreadable or unwritable file's line names it already.
            match &e {
                Error::Unreadable { .. } | Error::Unwritable { .. } => eprintln!("preflight: {e}"),
                _ => eprintln!("preflight: {}: {e}", input.display()),
            }
            if worst.as_ref().is_none_or(|w| !w.is_bad_input()) {
                worst = Some(e);
            }
        }
    }
    match worst {
        None => Ok(()),
        Some(e) => {
            // Each failure is told already; the exit code says the worst.
            let code = if e.is_bad_input() { 2 } else { 1 };
            let _ = std::io::Write::flush(&mut std::io::stdout());
            std::process::exit(code)
        }
    }
}

fn analyze_path(input: &Path) -> Result<Report, Error> {
    doing(format!("decoding {}", input.display()));
    let decoded = decode_file(input)?;
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("input");
    doing(format!("analysing {}", input.display()));
    Ok(analyze(
        &decoded.audio,
        &Source::decoded(&decoded, name),
        &AnalysisOptions::default(),
        |_, _| {},
    )
    .report)
}

fn write_json<T: serde::Serialize>(path: &Path, doc: &T) -> Result<(), Error> {
    let text =
        serde_json::to_string_pretty(doc).map_err(|e| Error::InvalidArgument(e.to_string()))?;
    wav::write_atomic(path, text.as_bytes())
}

fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| "undefined".to_string(), |x| format!("{x:.1} {unit}"))
}

fn summary(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let i = &r.input;
    let _ = writeln!(
        s,
        "{}  {}  {} Hz  {} ch  {}{}",
        i.name,
        i.format,
        i.sample_rate,
        i.channels,
        dsp_wasm::units::mmss(i.duration_s),
        i.bit_depth.map_or(String::new(), |b| format!("  {b}-bit"))
    );
    let l = &r.loudness;
    let _ = writeln!(
        s,
        "Integrated loudness  {}",
        fmt_opt(l.integrated_lufs, "LUFS")
    );
    let _ = writeln!(s, "Loudness range       {}", fmt_opt(l.range_lu, "LU"));
    let _ = writeln!(
        s,
        "Max short-term       {}",
        fmt_opt(l.max_short_term_lufs, "LUFS")
    );
    let _ = writeln!(
        s,
        "True peak            {}",
        fmt_opt(l.true_peak_dbtp, "dBTP")
    );
    let _ = writeln!(
        s,
        "Sample peak          {}",
        fmt_opt(l.sample_peak_dbfs, "dBFS")
    );
    let _ = writeln!(s, "PLR                  {}", fmt_opt(l.plr_db, "dB"));
    let st = &r.stereo;
    if i.channels > 1 {
        let _ = writeln!(
            s,
            "Stereo               correlation {}, below 125 Hz {}, mono loss {}, balance {}",
            st.correlation.map_or("–".into(), |v| format!("{v:.2}")),
            st.low_correlation.map_or("–".into(), |v| format!("{v:.2}")),
            fmt_opt(st.mono_loss_db, "dB"),
            fmt_opt(st.balance_db, "dB")
        );
    }
    if r.clipped_runs > 0 {
        let _ = writeln!(s, "Clipped runs         {}", r.clipped_runs);
    }
    for n in &r.notices {
        let _ = writeln!(s, "Note: {n}");
    }
    let platforms: Vec<String> = r
        .platforms
        .iter()
        .filter_map(|p| p.gain_db.map(|g| format!("{} {g:+.1} dB", p.name)))
        .collect();
    if !platforms.is_empty() {
        let _ = writeln!(s, "Platforms            {}", platforms.join(", "));
    }
    let broken: Vec<String> = r
        .translation
        .iter()
        .filter(|t| !t.holds)
        .map(|t| format!("{} ({})", t.system, t.notes))
        .collect();
    let _ = writeln!(
        s,
        "Translation          {}",
        if broken.is_empty() {
            "holds on every simulated system".to_string()
        } else {
            broken.join("; ")
        }
    );
    let worth: Vec<_> = r
        .risks
        .iter()
        .filter(|x| x.level != dsp_wasm::report::Level::Info)
        .collect();
    if worth.is_empty() && r.loudness.integrated_lufs.is_none() {
        let _ = writeln!(
            s,
            "No risks judged: there is no music to judge ({}).",
            dsp_wasm::report::NOTHING_MEASURED
        );
    } else if worth.is_empty() {
        let _ = writeln!(
            s,
            "No risks above information level: the mix already works."
        );
    } else {
        let _ = writeln!(s, "Risks, what breaks first on top:");
        for risk in worth {
            let _ = writeln!(
                s,
                "  [{:?} {:.2}] {} — {}",
                risk.level, risk.severity, risk.title, risk.explanation
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_one_line_naming_what_was_being_done() {
        let payload: Box<dyn Any + Send> = Box::new("index out of bounds:\n  the len is 10");
        assert_eq!(
            panic_message(payload.as_ref()),
            "index out of bounds:\n  the len is 10"
        );
        let line = internal_error_line("decoding /tmp/a\nb.wav", panic_message(payload.as_ref()));
        assert_eq!(
            line,
            "preflight: internal error while decoding /tmp/a b.wav — please report it: index out of bounds: the len is 10"
        );
        assert_eq!(line.lines().count(), 1);
        let formatted: Box<dyn Any + Send> = Box::new(format!("step {}", 0));
        assert_eq!(panic_message(formatted.as_ref()), "step 0");
        let other: Box<dyn Any + Send> = Box::new(17u8);
        assert_eq!(panic_message(other.as_ref()), "(no message)");
        assert!(internal_error_line("", "x").contains("while running —"));
    }

    /// The payload a real panic hands the hook is what [`panic_message`]
    /// reads (caught here with unwinding, as the test profile has it).
    #[test]
    fn a_real_panic_payload_is_read() {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let caught = std::panic::catch_unwind(|| {
            let v: Vec<u8> = Vec::new();
            v[usize::from(v.is_empty())]
        });
        std::panic::set_hook(hook);
        let payload = caught.expect_err("it panics");
        assert_eq!(
            panic_message(payload.as_ref()),
            "index out of bounds: the len is 0 but the index is 1"
        );
    }

    /// The summary names each move once: a second de-esser at the same
    /// place is told as the first one's second pass, with its own amount.
    #[test]
    fn a_second_pass_is_told_as_one() {
        let decision = |label: &str, why: &str| dsp_wasm::report::Decision {
            r#move: "de_esser".into(),
            label: label.into(),
            params: serde_json::Value::Null,
            addresses: vec!["sibilance".into()],
            why: why.into(),
            trade_off: String::new(),
        };
        let report = dsp_wasm::report::analyze(
            &dsp_wasm::audio::AudioBuffer {
                sample_rate: 48_000,
                channels: vec![vec![0.0; 48_000]; 2],
            },
            &dsp_wasm::report::Source::pcm("x"),
            &dsp_wasm::measure::AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        let m = dsp_wasm::report::MasterReport {
            decisions: vec![
                decision(
                    "de-esser 4.0–12 kHz: bursts 26.4 dB over, at most −12.0 dB",
                    "S bursts spit.",
                ),
                decision(
                    "de-esser 4.0–12 kHz: bursts 17.9 dB over, at most −12.0 dB",
                    "S bursts spit.",
                ),
            ],
            schema: "preflight.master/1".into(),
            intent: dsp_wasm::report::Intent {
                target: "streaming".into(),
                target_lufs: -14.0,
                ceiling_dbtp: -1.0,
                character: "balanced".into(),
                reference: None,
            },
            iterations: Vec::new(),
            chain: dsp_wasm::chain::Chain::default(),
            before: report.clone(),
            after: report,
            left: vec![dsp_wasm::report::LeftRisk {
                id: "sibilance".into(),
                level: dsp_wasm::risks::Level::Major,
                why: "Reduced by de-esser, but it stays far past the major level.".into(),
            }],
        };
        let text = master_summary(&m);
        assert!(
            text.contains("\nStill major in the master: sibilance: Reduced by de-esser,"),
            "{text}"
        );
        assert_eq!(text.matches("S bursts spit.").count(), 1, "{text}");
        assert!(
            text.contains("at most −12.0 dB [sibilance]: a second pass of move 1 on what it left."),
            "{text}"
        );
    }
}
