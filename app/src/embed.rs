//! Embed mode: Preflight as a widget in a studio's page (an `<iframe>` of
//! `index.html?embed&…`). Configuration comes from the query string and is
//! untrusted: every value is checked here, and anything invalid is dropped
//! (the widget still works, without that option). Pure; the browser side is
//! `ui::embed`.
//!
//! | parameter | meaning | accepted |
//! |---|---|---|
//! | `embed` | embed mode on | present |
//! | `studio` | the studio's name, shown as text | ≤ 60 characters, no control characters |
//! | `accent` | accent colour | `#rgb` or `#rrggbb` |
//! | `cta`, `cta_url` | call-to-action text and link, opened in a new tab | text ≤ 60 characters; an absolute `https:` (or `http:`) URL ≤ 500 characters |
//! | `max_s` | longest file accepted, seconds | 1 – 7200 |
//! | `parent` | the host page's origin: the only one messages go to and come from | `http(s)://host[:port]`, nothing else |
//!
//! Messages to the host (`postMessage` to `parent` only; none without it):
//! `{type: "preflight:ready"}`, `{type: "preflight:report", summary}`,
//! `{type: "preflight:cta", summary}`, `{type: "preflight:resize", height}`.
//! From the host (any other origin is ignored): `{type: "preflight:request-report"}`,
//! answered by `preflight:report` when there is one.

use dsp_wasm::report::{Level, Report};
use serde::Serialize;

/// The widget's configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EmbedConfig {
    pub studio: Option<String>,
    pub accent: Option<String>,
    pub cta: Option<(String, String)>,
    pub max_s: Option<f64>,
    pub parent: Option<String>,
}

const TEXT_CHARS: usize = 60;
const URL_CHARS: usize = 500;

/// The configuration in `search` (`?embed&studio=…`), or `None` when the page
/// is not embedded.
pub fn parse(search: &str) -> Option<EmbedConfig> {
    let pairs: Vec<(String, String)> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    get("embed")?;
    let cta = match (get("cta").and_then(text), get("cta_url").and_then(web_url)) {
        (Some(t), Some(u)) => Some((t, u)),
        _ => None,
    };
    Some(EmbedConfig {
        studio: get("studio").and_then(text),
        accent: get("accent").and_then(colour),
        cta,
        max_s: get("max_s")
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| (1.0..=7200.0).contains(v)),
        parent: get("parent").and_then(origin),
    })
}

/// Percent-decoding of one query component (`+` is a space); invalid
/// escapes are kept as they are, invalid UTF-8 replaced.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Short plain text: trimmed, no control characters, at most [`TEXT_CHARS`].
fn text(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && v.chars().count() <= TEXT_CHARS && !v.chars().any(char::is_control))
        .then(|| v.to_string())
}

/// `#rgb` or `#rrggbb`.
fn colour(v: &str) -> Option<String> {
    let hex = v.strip_prefix('#')?;
    (matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("#{}", hex.to_ascii_lowercase()))
}

/// An absolute http(s) URL with a host, no spaces, quotes or control characters.
fn web_url(v: &str) -> Option<String> {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()
        && v.len() <= URL_CHARS
        && !v
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "\"'<>\\`".contains(c)))
    .then(|| v.to_string())
}

/// `http(s)://host[:port]` exactly (no path, user or query).
fn origin(v: &str) -> Option<String> {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))?;
    let (host, port) = rest.split_once(':').unwrap_or((rest, ""));
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let port_ok = port.is_empty() || (port.len() <= 5 && port.chars().all(|c| c.is_ascii_digit()));
    (host_ok && port_ok).then(|| v.to_string())
}

/// What the host page gets about a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub name: String,
    pub duration_s: f64,
    pub integrated_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub range_lu: Option<f64>,
    pub risks: Vec<SummaryRisk>,
}

/// One risk as the host gets it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryRisk {
    pub id: String,
    pub level: &'static str,
    pub title: String,
}

/// The summary of `report` for the host (risks minor or worse).
pub fn summary(report: &Report) -> Summary {
    Summary {
        name: report.input.name.clone(),
        duration_s: report.input.duration_s,
        integrated_lufs: report.loudness.integrated_lufs,
        true_peak_dbtp: report.loudness.true_peak_dbtp,
        range_lu: report.loudness.range_lu,
        risks: report
            .risks
            .iter()
            .filter(|r| r.level >= Level::Minor)
            .map(|r| SummaryRisk {
                id: r.id.clone(),
                level: if r.level == Level::Major {
                    "major"
                } else {
                    "minor"
                },
                title: r.title.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_studio_configures_the_widget() {
        let c = parse("?embed&studio=Blue+Room%20Mastering&accent=%23FF0066&cta=Book+a+master&cta_url=https%3A%2F%2Fblue.example%2Fbook&max_s=600&parent=https%3A%2F%2Fblue.example").unwrap();
        assert_eq!(c.studio.as_deref(), Some("Blue Room Mastering"));
        assert_eq!(c.accent.as_deref(), Some("#ff0066"));
        assert_eq!(
            c.cta,
            Some(("Book a master".into(), "https://blue.example/book".into()))
        );
        assert_eq!(c.max_s, Some(600.0));
        assert_eq!(c.parent.as_deref(), Some("https://blue.example"));
        assert_eq!(parse("?studio=x"), None, "not embedded");
        assert_eq!(parse("?embed"), Some(EmbedConfig::default()));
    }

    #[test]
    fn hostile_parameters_are_dropped() {
        let c = parse("?embed&cta=Go&cta_url=javascript:alert(1)&accent=red;background:url(x)&parent=https://a.example/path&max_s=1e9&studio=%01bad").unwrap();
        assert_eq!(c, EmbedConfig::default());
        for url in [
            "data:text/html,x",
            "https://",
            "//evil.example",
            "https://a.example/\"onmouseover=x",
            "https://a .example",
        ] {
            assert_eq!(web_url(url), None, "{url}");
        }
        for o in [
            "*",
            "null",
            "https://a.example:99999x",
            "https://u@a.example",
            "ftp://a.example",
        ] {
            assert_eq!(origin(o), None, "{o}");
        }
        // Markup in a name is kept as text (rendered as text by the page).
        assert_eq!(
            text("<img src=x onerror=alert(1)>").as_deref(),
            Some("<img src=x onerror=alert(1)>")
        );
        // Broken escapes do not panic.
        assert!(parse("?embed&studio=%E2%8&x=%").is_some());
        assert!(parse("?embed&studio=%a\u{e9}%\u{e9}\u{e9}").is_some());
    }
}
