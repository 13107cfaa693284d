//! The engine's layers: dependencies between the top-level modules of
//! `dsp-wasm/src` flow one way, and the engine knows nothing of the web.
//!
//! Reads the sources (comments stripped), collects every `crate::module`
//! path per top-level module, and checks it against the rank table below: a
//! module may use only modules of a lower rank (base modules may use each
//! other, but no two modules anywhere may use each other, directly or
//! through a cycle). The command line (`src/bin`) sits above everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every top-level module of the engine and its layer, lowest first. A new
/// module must be added here (the test fails on an unknown one).
const RANKS: [(&str, u32); 15] = [
    // base: no knowledge of audio judgement at all
    ("error", 0),
    ("units", 0),
    ("audio", 0),
    ("lanes", 0),
    ("parallel", 0),
    ("progress", 0),
    // files in and out; measurements; playback models
    ("io", 1),
    ("measure", 1),
    ("playback", 1),
    // processors (the limiter meters with measure's true-peak interpolator); detectors
    ("dsp", 2),
    ("risks", 2),
    // the chain of processors; what is heard after it
    ("chain", 3),
    ("monitor", 3),
    // the report documents and the analysis entry points
    ("report", 4),
    // mastering: decisions, loudness, verification
    ("master", 5),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dsp-wasm/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without `//` comments (doc comments name modules freely).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            // Keep `//` inside string literals (e.g. URLs) from cutting code:
            // an odd number of quotes before it means it sits in a string.
            Some(i) if l[..i].matches('"').count() % 2 == 0 => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Top-level modules named by `crate::…` paths in `code`, including the
/// items of `use crate::{a::…, b};`.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Only the first segment of each item (nested braces belong to it).
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.insert(ident(&item));
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out
}

/// The top-level module a file belongs to (`None` for lib.rs and the bins).
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src_dir()).expect("under src");
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    match first.as_str() {
        "lib.rs" | "bin" => None,
        f => Some(f.trim_end_matches(".rs").to_string()),
    }
}

/// `module → modules it uses`, over the whole engine.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let Some(m) = module_of(&f) else { continue };
        let code = code_of(&std::fs::read_to_string(&f).expect("read source"));
        let uses = g.entry(m.clone()).or_default();
        uses.extend(crate_refs(&code).into_iter().filter(|u| *u != m));
    }
    g
}

fn rank(m: &str) -> Option<u32> {
    RANKS.iter().find(|(n, _)| *n == m).map(|&(_, r)| r)
}

#[test]
fn every_top_level_module_has_a_layer() {
    let unknown: Vec<_> = graph().into_keys().filter(|m| rank(m).is_none()).collect();
    assert!(
        unknown.is_empty(),
        "modules without a layer in RANKS: {unknown:?}"
    );
}

#[test]
fn dependencies_flow_one_way() {
    let mut wrong = Vec::new();
    for (m, uses) in graph() {
        let Some(r) = rank(&m) else { continue };
        for u in uses {
            match rank(&u) {
                Some(ru) if ru < r || (ru == 0 && r == 0) => {}
                Some(ru) => wrong.push(format!("{m} (layer {r}) uses {u} (layer {ru})")),
                None => wrong.push(format!("{m} uses {u}, which is no module of the engine")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "upward or sideways dependencies:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_modules_depend_on_each_other() {
    let g = graph();
    // Depth-first search for a cycle; reports the first one found.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for u in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(u, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        let cycle = visit(m, &g, &mut Vec::new(), &mut done);
        assert!(
            cycle.is_none(),
            "import cycle: {}",
            cycle.unwrap().join(" → ")
        );
    }
}

#[test]
fn the_engine_knows_nothing_of_the_web() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    for f in files {
        let code = code_of(&std::fs::read_to_string(&f).expect("read source"));
        for web in ["web_sys", "js_sys", "wasm_bindgen", "leptos"] {
            assert!(!code.contains(web), "{} names {web}", f.display());
        }
    }
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../dsp-wasm/Cargo.toml"),
    )
    .expect("read manifest");
    for web in ["web-sys", "js-sys", "wasm-bindgen", "leptos"] {
        assert!(!manifest.contains(web), "dsp-wasm depends on {web}");
    }
}

/// The checker itself: an upward use and a cycle are seen.
#[test]
fn the_checker_sees_paths_in_all_their_forms() {
    let refs = crate_refs(
        "use crate::{audio::AudioBuffer, measure::{self, Stage}, units};\nlet x = crate::master::f();",
    );
    let want: BTreeSet<String> = ["audio", "measure", "units", "master"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(refs, want);
    assert_eq!(code_of("let a = 1; // crate::master"), "let a = 1; ");
    assert_eq!(
        code_of(r#"let u = "http://x"; crate::io"#),
        r#"let u = "http://x"; crate::io"#
    );
}
