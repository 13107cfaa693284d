//! "Save a preview": one self-contained HTML page an artist can send by any
//! means — the report's summary (the risks, the moves, the figures before and
//! after) and the before/after clip as two players, the audio inside the file
//! (`data:` URLs), no script, nothing fetched. Every text is HTML-escaped.
//! Pure; the engine Worker renders the clip and writes the page.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use dsp_wasm::report::{Level, MasterReport, Report};
use serde::{Deserialize, Serialize};

/// What the preview page says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviewSummary {
    pub name: String,
    /// Where the clip is in the file, e.g. "1:02 – 1:32".
    pub section: String,
    /// `(label, before, after)` rows, already formatted.
    pub figures: Vec<(String, String, String)>,
    /// `(level, title, explanation)` of each risk minor or worse.
    pub risks: Vec<(String, String, String)>,
    /// The moves, as the report names them.
    pub moves: Vec<String>,
}

impl PreviewSummary {
    /// The summary of `report` and its `master`, for the clip at `section`.
    pub fn of(report: &Report, master: Option<&MasterReport>, section: String) -> Self {
        let after = master.map(|m| &m.after.loudness);
        let b = &report.loudness;
        let row = |label: &str, v: Option<f64>, a: Option<Option<f64>>, unit: &str| {
            (
                label.to_string(),
                crate::fmt::figure(v, unit),
                a.map_or_else(String::new, |a| crate::fmt::figure(a, unit)),
            )
        };
        Self {
            name: report.input.name.clone(),
            section,
            figures: vec![
                row(
                    "Integrated",
                    b.integrated_lufs,
                    after.map(|a| a.integrated_lufs),
                    "LUFS",
                ),
                row(
                    "True peak",
                    b.true_peak_dbtp,
                    after.map(|a| a.true_peak_dbtp),
                    "dBTP",
                ),
                row(
                    "Loudness range",
                    b.range_lu,
                    after.map(|a| a.range_lu),
                    "LU",
                ),
            ],
            risks: report
                .risks
                .iter()
                .filter(|r| r.level >= Level::Minor)
                .map(|r| {
                    let level = if r.level == Level::Major {
                        "major"
                    } else {
                        "minor"
                    };
                    (level.to_string(), r.title.clone(), r.explanation.clone())
                })
                .collect(),
            moves: master
                .map(|m| {
                    m.decisions
                        .iter()
                        .map(|d| {
                            if d.label.is_empty() {
                                d.r#move.replace('_', " ")
                            } else {
                                d.label.clone()
                            }
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Text safe inside HTML elements and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The preview page: `summary`, and the two halves of the clip as WAV bytes.
pub fn html(summary: &PreviewSummary, before_wav: &[u8], after_wav: &[u8]) -> String {
    let e = escape;
    let player = |label: &str, id: &str, wav: &[u8]| {
        format!(
            "<figure><figcaption>{label}</figcaption><audio id=\"{id}\" controls preload=\"metadata\" src=\"data:audio/wav;base64,{}\"></audio></figure>",
            STANDARD.encode(wav)
        )
    };
    let figures: String = summary
        .figures
        .iter()
        .map(|(l, b, a)| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(l),
                e(b),
                e(a)
            )
        })
        .collect();
    let risks: String = summary
        .risks
        .iter()
        .map(|(level, title, why)| {
            format!(
                "<li class=\"{}\"><strong>{}</strong> <span>{}</span><p>{}</p></li>",
                e(level),
                e(title),
                e(level),
                e(why)
            )
        })
        .collect();
    let moves: String = summary
        .moves
        .iter()
        .map(|m| format!("<li>{}</li>", e(m)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; media-src data:; style-src 'unsafe-inline'\">\
<title>{name} — Preflight preview</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:680px;margin:24px auto;padding:0 16px;background:#0f1318;color:#e8edf2;line-height:1.45}}\
h1{{font-size:22px;word-break:break-all}}figure{{margin:12px 0}}audio{{width:100%}}table{{border-collapse:collapse}}\
td,th{{padding:4px 16px 4px 0;text-align:left;border-bottom:1px solid #2a3442}}li p{{margin:2px 0 10px;color:#cdd6df}}\
li.major span{{color:#ff6b5e}}li.minor span{{color:#f5b642}}.muted{{color:#93a1b1;font-size:14px}}</style></head><body>\
<h1>{name}</h1><p class=\"muted\">A Preflight preview: {section}, as the mix is and as mastered, at matched loudness.</p>\
{before}{after}\
<h2>Figures</h2><table><tr><th></th><th>Before</th><th>After</th></tr>{figures}</table>\
<h2>What breaks first</h2><ul>{risks}</ul>\
{moves_block}\
<p class=\"muted\">Made locally by Preflight; nothing was uploaded.</p></body></html>\n",
        name = e(&summary.name),
        section = e(&summary.section),
        before = player("Before — the mix", "before", before_wav),
        after = player("After — the master", "after", after_wav),
        moves_block = if moves.is_empty() {
            String::new()
        } else {
            format!("<h2>Moves</h2><ol>{moves}</ol>")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_escaped_and_the_audio_is_inside() {
        let s = PreviewSummary {
            name: "<script>alert(1)</script> & \"mix\".wav".into(),
            section: "0:10 – 0:40".into(),
            figures: vec![("Integrated".into(), "-9.0 LUFS".into(), "-14.0 LUFS".into())],
            risks: vec![(
                "major".into(),
                "Harsh <b>mids</b>".into(),
                "It's 'loud'".into(),
            )],
            moves: vec!["Dynamic cut at 3 kHz".into()],
        };
        let page = html(&s, b"RIFFbefore", b"RIFFafter");
        assert!(!page.contains("<script>"), "markup in a name is text");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;mix&quot;.wav"));
        assert!(page.contains("Harsh &lt;b&gt;mids&lt;/b&gt;"));
        assert!(page.contains("It&#39;s &#39;loud&#39;"));
        assert!(page.contains(&format!(
            "data:audio/wav;base64,{}",
            STANDARD.encode(b"RIFFbefore")
        )));
        assert!(page.contains(&format!(
            "data:audio/wav;base64,{}",
            STANDARD.encode(b"RIFFafter")
        )));
        assert_eq!(page.matches("<audio ").count(), 2);
        assert!(!page.contains("<script"), "no script at all");
    }
}
