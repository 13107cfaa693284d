//! The page: a drop zone, progress, the measurements and risks of the file,
//! and a player that previews it through the AudioWorklet chain.
//!
//! Signals hold plain UI state only; the Worker and the audio graph are
//! reached through [`worker_client`] and [`player`].

use dsp_wasm::chain::{Chain, Module};
use dsp_wasm::report::{Level, MasterReport, Report, Risk};
use js_sys::{Array, Uint8Array};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::protocol::{self, object};
use crate::{fmt, player, worker_client};

/// Largest file the page reads into memory (browsers cap ArrayBuffers near 2 GiB).
const MAX_FILE_BYTES: f64 = 1.5 * 1024.0 * 1024.0 * 1024.0;

/// Streaming reference level for the preview (Spotify, YouTube, Tidal, Amazon: −14 LUFS; risks.md).
const PREVIEW_LUFS: f64 = -14.0;
/// Peak ceiling the preview gain respects, dBTP.
const PREVIEW_CEILING_DBTP: f64 = -1.0;

/// Where the page is in handling a file.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Idle,
    Working {
        name: String,
        stage: String,
        percent: f64,
    },
    Done,
    Failed(String),
}

/// Reactive state shared by the components.
#[derive(Clone, Copy)]
struct State {
    phase: RwSignal<Phase>,
    report: RwSignal<Option<Report>>,
    job: RwSignal<u32>,
    playing: RwSignal<bool>,
    bypass: RwSignal<bool>,
    player_error: RwSignal<Option<String>>,
    /// The chain the player runs: the streaming preview, then the master's.
    chain_json: RwSignal<String>,
    /// Progress of a running master (stage, percent).
    mastering: RwSignal<Option<(String, f64)>>,
    master: RwSignal<Option<MasterReport>>,
    master_error: RwSignal<Option<String>>,
    /// A/B at matched loudness (the processed path turned to the original's level).
    matched: RwSignal<bool>,
    /// The decoded samples have reached the page (they follow the report).
    track_ready: RwSignal<bool>,
}

/// The chain the preview plays: a gain to the streaming reference level,
/// limited so the true peak stays under the ceiling (what a normalising
/// platform does, without its limiter). The real mastering chain replaces it.
pub fn preview_chain(report: &Report) -> Chain {
    Chain::new(vec![Module::Gain {
        gain_db: preview_gain_db(report),
    }])
}

/// The preview's gain, dB (rounded to 0.01 dB).
fn preview_gain_db(report: &Report) -> f64 {
    let to_target = report
        .loudness
        .integrated_lufs
        .map_or(0.0, |i| PREVIEW_LUFS - i);
    let headroom = report
        .loudness
        .true_peak_dbtp
        .map_or(0.0, |tp| PREVIEW_CEILING_DBTP - tp);
    let gain_db = to_target.min(headroom).clamp(-40.0, 24.0);
    (gain_db * 100.0).round() / 100.0
}

fn handle_worker_message(state: State, data: wasm_bindgen::JsValue) {
    let id = protocol::get_f64(&data, "id");
    if id.is_finite() && id as u32 != state.job.get_untracked() {
        return; // a message about a file the user has replaced
    }
    match protocol::get_str(&data, "type").as_str() {
        "progress" => {
            let stage = protocol::get_str(&data, "stage");
            let percent = protocol::get_f64(&data, "percent");
            if state.mastering.get_untracked().is_some() {
                state.mastering.set(Some((stage, percent)));
                return;
            }
            state.phase.update(|p| {
                if let Phase::Working {
                    stage: s,
                    percent: pc,
                    ..
                } = p
                {
                    *s = stage;
                    *pc = percent;
                }
            });
        }
        "decoded" => {
            let sample_rate = protocol::get_f64(&data, "sampleRate") as u32;
            let channels = protocol::get_channels(&data, "channels");
            player::set_track(Some(player::Track {
                sample_rate,
                channels,
            }));
            state.track_ready.set(true);
        }
        "report" => match serde_json::from_str::<Report>(&protocol::get_str(&data, "json")) {
            Ok(r) => {
                state.chain_json.set(preview_chain(&r).to_json());
                // Exposed for the timing script and tests (plain data, read-only use).
                let timings = protocol::get(&data, "timings");
                let _ = js_sys::Reflect::set(
                    &timings,
                    &"receivedReportAt".into(),
                    &js_sys::Date::now().into(),
                );
                state.report.set(Some(r));
                state.phase.set(Phase::Done);
                let _ =
                    js_sys::Reflect::set(&timings, &"shownAt".into(), &js_sys::Date::now().into());
                if let Some(w) = web_sys::window() {
                    let _ = js_sys::Reflect::set(&w, &"__preflightTimings".into(), &timings);
                }
            }
            Err(e) => state
                .phase
                .set(Phase::Failed(format!("the report could not be read: {e}"))),
        },
        "mastered" => {
            state.mastering.set(None);
            match serde_json::from_str::<MasterReport>(&protocol::get_str(&data, "json")) {
                Ok(m) => {
                    let json = m.chain.to_json();
                    // For the timing script: the chain the worklet now runs
                    // and where the Worker's time went.
                    if let Some(w) = web_sys::window() {
                        let _ = js_sys::Reflect::set(
                            &w,
                            &"__preflightChain".into(),
                            &json.as_str().into(),
                        );
                        let _ = js_sys::Reflect::set(
                            &w,
                            &"__preflightMasterStagesMs".into(),
                            &protocol::get(&data, "stagesMs"),
                        );
                    }
                    player::set_chain(&json);
                    state.chain_json.set(json);
                    state.master.set(Some(m));
                    player::set_match_db(match_db(state));
                }
                Err(e) => state
                    .master_error
                    .set(Some(format!("the master could not be read: {e}"))),
            }
        }
        "exported" => {
            let bytes: Uint8Array = protocol::get(&data, "bytes").unchecked_into();
            let name = state
                .report
                .get_untracked()
                .map(|r| r.input.name)
                .unwrap_or_default();
            let stem = name
                .rsplit_once('.')
                .map_or(name.as_str(), |(s, _)| s)
                .to_string();
            if let Err(e) = download(&bytes, &format!("{stem} (Preflight master).wav")) {
                state.master_error.set(Some(e));
            }
        }
        "error"
            if state.mastering.get_untracked().is_some()
                || state.master.get_untracked().is_some() =>
        {
            state.mastering.set(None);
            state
                .master_error
                .set(Some(capitalise(&protocol::get_str(&data, "message"))));
        }
        "error" => {
            player::set_track(None);
            state.track_ready.set(false);
            state.playing.set(false);
            state.report.set(None);
            let message = protocol::get_str(&data, "message");
            let line = match state.phase.get_untracked() {
                Phase::Working { name, .. } => format!("{name}: {}", capitalise(&message)),
                _ => capitalise(&message),
            };
            state.phase.set(Phase::Failed(line));
        }
        _ => {}
    }
}

/// Offers bytes as a file download (a Blob URL on a temporary link).
fn download(bytes: &Uint8Array, file_name: &str) -> Result<(), String> {
    let fail = |_| "the browser refused the download".to_string();
    let parts = Array::of1(bytes);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("audio/wav");
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(fail)?.unchecked_into();
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Sets `window[key] = Date.now()` (read by the timing script).
fn mark(key: &str) {
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &key.into(), &js_sys::Date::now().into());
    }
}

/// Files at least this large are analysed by two Workers at once (below it,
/// copying the bytes costs more than the second core saves).
const SPLIT_MIN_BYTES: f64 = 2_000_000.0;

fn load_file(state: State, file: web_sys::File) {
    mark("__preflightPickedAt");
    let name = file.name();
    state.job.update(|j| *j += 1);
    let id = state.job.get_untracked();
    player::set_track(None);
    state.track_ready.set(false);
    state.playing.set(false);
    state.bypass.set(false);
    state.player_error.set(None);
    state.report.set(None);
    state.master.set(None);
    state.master_error.set(None);
    state.mastering.set(None);
    if file.size() == 0.0 {
        state.phase.set(Phase::Failed(format!(
            "{name}: The file is empty (0 bytes)"
        )));
        return;
    }
    if file.size() > MAX_FILE_BYTES {
        state.phase.set(Phase::Failed(format!(
            "{name}: The file is larger than 1.5 GB; export a shorter or compressed version"
        )));
        return;
    }
    state.phase.set(Phase::Working {
        name: name.clone(),
        stage: "reading".into(),
        percent: 0.0,
    });
    // The File itself (a handle, not its bytes) goes to the Workers: each
    // reads it off the main thread. A long file is measured by both at once
    // (see worker_client).
    let split = file.size() >= SPLIT_MIN_BYTES;
    let msg = object(&[
        ("type", "analyze".into()),
        ("id", id.into()),
        ("name", name.as_str().into()),
        ("file", file.clone().into()),
        ("split", split.into()),
    ]);
    mark("__preflightSentAt");
    worker_client::send(msg.into(), Array::new());
    if split && !worker_client::send_to_helper(id, &name, &file) {
        // No helper: the engine measures both halves itself.
        worker_client::send(
            object(&[
                ("type", "peaks".into()),
                ("id", id.into()),
                ("json", wasm_bindgen::JsValue::NULL),
            ])
            .into(),
            Array::new(),
        );
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let state = State {
        phase: RwSignal::new(Phase::Idle),
        report: RwSignal::new(None),
        job: RwSignal::new(0),
        playing: RwSignal::new(false),
        bypass: RwSignal::new(false),
        player_error: RwSignal::new(None),
        chain_json: RwSignal::new(Chain::default().to_json()),
        mastering: RwSignal::new(None),
        master: RwSignal::new(None),
        master_error: RwSignal::new(None),
        matched: RwSignal::new(true),
        track_ready: RwSignal::new(false),
    };
    worker_client::start(move |data| handle_worker_message(state, data));
    player::install_test_hook();

    view! {
        <header class="top">
            <h1>"Preflight"</h1>
            <p class="tagline">"See what breaks in your track — before your audience hears it. Nothing leaves your computer."</p>
        </header>
        <main>
            <DropZone on_file=move |f| load_file(state, f) busy=Signal::derive(move || matches!(state.phase.get(), Phase::Working { .. })) />
            <StatusLine phase=state.phase />
            {move || state.report.get().map(|r| view! { <Results report=r state=state /> })}
        </main>
        <footer>"Analysis runs in Web Workers on your machine (nothing is uploaded); playback runs the same engine in an AudioWorklet."</footer>
    }
}

/// Drag-and-drop target with a file picker.
#[component]
fn DropZone(
    /// Called with the chosen or dropped file.
    on_file: impl Fn(web_sys::File) + Copy + Send + Sync + 'static,
    /// True while a file is being analysed.
    busy: Signal<bool>,
) -> impl IntoView {
    let over = RwSignal::new(false);
    let input_ref: NodeRef<leptos::html::Input> = NodeRef::new();
    view! {
        <section
            id="dropzone"
            class="dropzone"
            class:over=move || over.get()
            class:busy=move || busy.get()
            on:dragover=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                over.set(true);
            }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                over.set(false);
                if let Some(f) = ev.data_transfer().and_then(|dt| dt.files()).and_then(|fs| fs.get(0)) {
                    on_file(f);
                }
            }
            on:click=move |_| {
                if let Some(i) = input_ref.get() {
                    i.click();
                }
            }
        >
            <p class="drop-title">"Drop your finished mix here"</p>
            <p class="drop-sub">"WAV, FLAC, MP3, Ogg Vorbis or AAC — mono or stereo — or "<span class="link">"choose a file"</span></p>
            <input
                id="file-input"
                type="file"
                accept="audio/*,.wav,.flac,.mp3,.ogg,.m4a,.aac"
                node_ref=input_ref
                on:click=move |ev| ev.stop_propagation()
                on:change=move |ev| {
                    let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
                    if let Some(f) = input.files().and_then(|fs| fs.get(0)) {
                        on_file(f);
                    }
                    input.set_value("");
                }
            />
        </section>
    }
}

/// Progress while working, or the error of the last file.
#[component]
fn StatusLine(phase: RwSignal<Phase>) -> impl IntoView {
    move || {
        match phase.get() {
        Phase::Idle | Phase::Done => ().into_any(),
        Phase::Working { name, stage, percent } => view! {
            <div class="status working" role="status">
                <span class="status-text">{format!("Analysing {name} — {stage}… {percent:.0}%")}</span>
                <progress id="progress" max="100" value=percent></progress>
            </div>
        }
        .into_any(),
        Phase::Failed(msg) => view! {
            <div id="error" class="status error" role="alert">{msg}</div>
        }
        .into_any(),
    }
    }
}

/// Facts, measurements, risks and the player for an analysed file.
#[component]
fn Results(report: Report, state: State) -> impl IntoView {
    let i = report.input.clone();
    let l = report.loudness.clone();
    let risks = report.risks.clone();
    let notices = report.notices.clone();
    view! {
        <section class="results">
            <div class="file-facts">
                <h2 id="file-name">{i.name.clone()}</h2>
                <p class="facts">
                    <span id="duration">{fmt::duration(i.duration_s)}</span>" · "
                    <span id="sample-rate">{fmt::rate(i.sample_rate)}</span>" · "
                    <span id="channels">{fmt::channels(i.channels)}</span>" · "
                    <span>{i.format.to_uppercase()}</span>
                    {i.bit_depth.map(|b| format!(" · {b}-bit"))}
                </p>
            </div>
            <div class="meters">
                <Meter id="integrated" label="Integrated loudness" value=fmt::num(l.integrated_lufs, "LUFS") raw=l.integrated_lufs />
                <Meter id="true-peak" label="True peak" value=fmt::num(l.true_peak_dbtp, "dBTP") raw=l.true_peak_dbtp />
                <Meter id="lra" label="Loudness range" value=fmt::num(l.range_lu, "LU") raw=l.range_lu />
                <Meter id="plr" label="Peak to loudness" value=fmt::num(l.plr_db, "dB") raw=l.plr_db />
            </div>
            {(!notices.is_empty()).then(|| view! {
                <ul class="notices">{notices.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            })}
            <PlayerBar state=state />
            <RiskList risks=risks />
            <MasterPanel state=state />
        </section>
    }
}

/// One measurement.
#[component]
fn Meter(id: &'static str, label: &'static str, value: String, raw: Option<f64>) -> impl IntoView {
    view! {
        <div class="meter">
            <div class="meter-label">{label}</div>
            <div class="meter-value" id=id data-value=raw.map(|v| format!("{v:.3}")).unwrap_or_default()>{value}</div>
        </div>
    }
}

/// Play/Pause and the A/B switch.
#[component]
fn PlayerBar(state: State) -> impl IntoView {
    let toggle = move |_| {
        if state.playing.get_untracked() {
            player::pause();
            state.playing.set(false);
        } else {
            state.playing.set(true);
            state.player_error.set(None);
            spawn_local(async move {
                let json = state.chain_json.get_untracked();
                let ended = move || {
                    player::rewind();
                    state.playing.set(false);
                };
                if let Err(e) = player::play(&json, ended).await {
                    state.playing.set(false);
                    let msg = e
                        .as_string()
                        .unwrap_or_else(|| "playback could not start in this browser".into());
                    state.player_error.set(Some(msg));
                } else {
                    player::set_bypass(state.bypass.get_untracked());
                    player::set_match_db(match_db(state));
                }
            });
        }
    };
    let ab = move |_| {
        let b = !state.bypass.get_untracked();
        state.bypass.set(b);
        player::set_bypass(b);
    };
    view! {
        <div class="player">
            <button id="play" class="play" on:click=toggle disabled=move || !state.track_ready.get()>{move || if state.playing.get() { "Pause" } else { "Play" }}</button>
            <button id="ab" class="ab" class:bypassed=move || state.bypass.get() on:click=ab>
                {move || match (state.bypass.get(), state.master.with(Option::is_some)) {
                    (true, _) => "Hearing: original",
                    (false, true) => "Hearing: master",
                    (false, false) => "Hearing: streaming preview (−14 LUFS)",
                }}
            </button>
            <label class="match">
                <input id="match" type="checkbox" prop:checked=move || state.matched.get()
                    on:change=move |ev| {
                        state.matched.set(event_target_checked(&ev));
                        player::set_match_db(match_db(state));
                    } />
                " Loudness-matched"
            </label>
            {move || state.player_error.get().map(|e| view! { <span class="player-error">{e}</span> })}
        </div>
    }
}

/// Gain that brings the processed signal to the original's loudness (0 when
/// matching is off or either loudness is undefined).
fn match_db(state: State) -> f64 {
    if !state.matched.get_untracked() {
        return 0.0;
    }
    let Some(report) = state.report.get_untracked() else {
        return 0.0;
    };
    let Some(before) = report.loudness.integrated_lufs else {
        return 0.0;
    };
    let processed = match state.master.get_untracked() {
        Some(m) => m.after.loudness.integrated_lufs,
        None => Some(before + preview_gain_db(&report)),
    };
    processed.map_or(0.0, |after| before - after)
}

/// The risks, what breaks first on top.
#[component]
fn RiskList(risks: Vec<Risk>) -> impl IntoView {
    if risks.is_empty() {
        return view! { <p class="no-risks">"No risks found: this mix already holds together."</p> }.into_any();
    }
    view! {
        <section class="risks">
            <h3>"What breaks first"</h3>
            <ol id="risks">
                {risks.into_iter().map(|r| {
                    let level = match r.level { Level::Major => "major", Level::Minor => "minor", Level::Info => "info" };
                    view! {
                        <li class=format!("risk {level}") data-risk=r.id.clone()>
                            <span class="badge">{level}</span>
                            <strong>{r.title.clone()}</strong>
                            <p>{r.explanation.clone()}</p>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
    .into_any()
}

/// Intent controls, the decide loop's result and the export.
#[component]
fn MasterPanel(state: State) -> impl IntoView {
    let target = RwSignal::new("streaming".to_string());
    let character = RwSignal::new("balanced".to_string());
    let bits = RwSignal::new("24".to_string());
    let start = move |_| {
        state.master_error.set(None);
        state.mastering.set(Some(("analyse".into(), 0.0)));
        let msg = object(&[
            ("type", "master".into()),
            ("id", state.job.get_untracked().into()),
            ("target", target.get_untracked().into()),
            ("character", character.get_untracked().into()),
            ("ceiling", (-1.0).into()),
            ("bits", bits.get_untracked().into()),
        ]);
        worker_client::send(msg.into(), Array::new());
    };
    let export = move |_| {
        let msg = object(&[
            ("type", "export".into()),
            ("id", state.job.get_untracked().into()),
        ]);
        worker_client::send(msg.into(), Array::new());
    };
    let select = |id: &'static str,
                  sig: RwSignal<String>,
                  options: &'static [(&'static str, &'static str)]| {
        view! {
            <select id=id on:change=move |ev| sig.set(event_target_value(&ev)) prop:value=move || sig.get()>
                {options.iter().map(|(v, label)| view! { <option value=*v>{*label}</option> }).collect_view()}
            </select>
        }
    };
    view! {
        <section class="master">
            <h3>"Master it"</h3>
            <div class="intent">
                <label>"Target " {select("target", target, &[("streaming", "Streaming (−14 LUFS)"), ("loud", "Loud (−9 LUFS)"), ("dynamic", "Dynamic (−16 LUFS)")])}</label>
                <label>"Character " {select("character", character, &[("balanced", "Balanced"), ("open", "Open"), ("dense", "Dense")])}</label>
                <label>"Export " {select("bits", bits, &[("24", "24-bit WAV"), ("16", "16-bit WAV (dithered)"), ("32f", "32-bit float WAV")])}</label>
                <button id="master" class="primary" on:click=start disabled=move || state.mastering.with(Option::is_some)>"Decide and master"</button>
            </div>
            {move || state.mastering.get().map(|(stage, pc)| view! {
                <div class="status working"><span>{format!("Mastering — {stage}… {pc:.0}%")}</span><progress max="100" value=pc></progress></div>
            })}
            {move || state.master_error.get().map(|e| view! { <div id="master-error" class="status error" role="alert">{e}</div> })}
            {move || state.master.get().map(|m| view! { <MasterResult master=m on_export=export /> })}
        </section>
    }
}

/// What the decide loop did, before/after, and the download.
#[component]
fn MasterResult(
    master: MasterReport,
    on_export: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let b = master.before.loudness.clone();
    let a = master.after.loudness.clone();
    let count = |r: &Report, l: Level| r.risks.iter().filter(|x| x.level == l).count();
    let before_major = count(&master.before, Level::Major);
    let after_major = count(&master.after, Level::Major);
    let decisions = master.decisions.clone();
    view! {
        <div class="master-result">
            <table class="before-after">
                <tr><th></th><th>"Before"</th><th>"After"</th></tr>
                <tr><td>"Integrated"</td><td>{fmt::num(b.integrated_lufs, "LUFS")}</td><td id="after-integrated" data-value=a.integrated_lufs.map(|v| format!("{v:.3}")).unwrap_or_default()>{fmt::num(a.integrated_lufs, "LUFS")}</td></tr>
                <tr><td>"True peak"</td><td>{fmt::num(b.true_peak_dbtp, "dBTP")}</td><td id="after-true-peak" data-value=a.true_peak_dbtp.map(|v| format!("{v:.3}")).unwrap_or_default()>{fmt::num(a.true_peak_dbtp, "dBTP")}</td></tr>
                <tr><td>"Loudness range"</td><td>{fmt::num(b.range_lu, "LU")}</td><td>{fmt::num(a.range_lu, "LU")}</td></tr>
                <tr><td>"Major risks"</td><td>{before_major}</td><td>{after_major}</td></tr>
            </table>
            <h4>"Moves, each answering a risk"</h4>
            {if decisions.is_empty() {
                view! { <p class="no-risks">"Nothing needed changing: the mix is left as it is."</p> }.into_any()
            } else {
                view! {
                    <ol id="decisions" class="decisions">
                        {decisions.into_iter().map(|d| view! {
                            <li>
                                <strong>{d.r#move.replace('_', " ")}</strong>
                                <span class="addresses">{d.addresses.join(", ").replace('_', " ")}</span>
                                <p>{d.why.clone()}</p>
                                {(!d.trade_off.is_empty()).then(|| view! { <p class="trade-off">"Trade-off: "{d.trade_off.clone()}</p> })}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            <button id="export" class="primary" on:click=on_export>"Download master"</button>
        </div>
    }
}
