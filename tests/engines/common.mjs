// What the Firefox and WebKit runs share: the test mix and the command
// line's figures for it, the audio tap that shows the AudioWorklet's output,
// the per-file count of what the page downloaded, and the page-side error
// collector for a driver that reports no console (WebKitWebDriver).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, cli, musicLike, wavBytes } from '../e2e/support.mjs';

/** How close the page's integrated loudness must be to the command line's (LU). */
export const LUFS_TOLERANCE = 0.05;
/**
 * The app's load (every mark: both Workers warm, the worklet compiled, the
 * service worker in control), generously: it takes ~2 s here, 5 s under
 * load; the project's CI once saw WebKit miss 30 s (cause unknown, not seen
 * here), so a timeout now also says what the page reached (`loadState`).
 */
export const LOAD_TIMEOUT_MS = 60_000;
/** Analysis of the 8 s test mix, generously (it takes ~1–3 s). */
export const ANALYSIS_TIMEOUT_MS = 60_000;

/** The test's own files (the mix, the command line's report), removed when the run ends. */
export const tmp = mkdtempSync(join(tmpdir(), 'preflight-engines-'));
process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Fails with one clear line when an engine's program is missing. */
export function requireInstalled(path, what) {
  if (!existsSync(path)) {
    throw new Error(`${what} is not installed (${path} missing): apt-get install -y firefox-esr webkit2gtk-driver xvfb`);
  }
}

/**
 * The test mix (8 s, 48 kHz stereo 16-bit, under the page's split size:
 * one Worker analyses it whole) and the command line's report of it.
 */
export async function mixAndReport(name = 'engine mix.wav') {
  const path = join(tmp, name);
  await writeFile(path, wavBytes(musicLike(48000, 8, 7), 48000, 'int16'));
  const json = join(tmp, `${name}.json`);
  const r = cli(['analyze', path, '--json', json]);
  assert.equal(r.code, 0, `preflight analyze: ${r.stderr}`);
  return { path, report: JSON.parse(await readFile(json, 'utf8')) };
}

/**
 * The command line's master of `path` (the page's defaults: streaming,
 * −1 dBTP, 24-bit) and the true peak of that master after a round trip
 * through ffmpeg's encoders — libopus at 128 kb/s, its AAC-LC at 256 kb/s —
 * measured by the command line: the peers of the page's codec check.
 */
export function codecPeers(path) {
  const master = join(tmp, 'codec-master.wav');
  const m = cli(['master', path, '-o', master]);
  assert.equal(m.code, 0, `preflight master: ${m.stderr}`);
  const after = (ext, args) => {
    const coded = join(tmp, `codec-master.${ext}`), decoded = join(tmp, `codec-master-${ext}.wav`);
    execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', master, ...args, coded]);
    execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', coded, '-c:a', 'pcm_f32le', decoded]);
    const r = cli(['analyze', decoded, '--json', `${decoded}.json`]);
    assert.equal(r.code, 0, `preflight analyze: ${r.stderr}`);
    return JSON.parse(readFileSync(`${decoded}.json`, 'utf8')).loudness.true_peak_dbtp;
  };
  return { master, opus: after('opus', ['-c:a', 'libopus', '-b:a', '128k']), aac: after('m4a', ['-c:a', 'aac', '-b:a', '256k']) };
}

/** In the page: whether WebCodecs offers an AAC-LC encoder at 256 kb/s (its own answer). */
export async function aacOffered() {
  return typeof AudioEncoder !== 'undefined'
    && (await AudioEncoder.isConfigSupported({ codec: 'mp4a.40.2', sampleRate: 48000, numberOfChannels: 2, bitrate: 256000 })).supported;
}

/** Asserts the page's figure (the `data-metric` text and the raw `data-value`) against the CLI's. */
export function assertLoudness(engine, shown, report) {
  const cliLufs = report.loudness.integrated_lufs;
  const text = parseFloat(shown.text);
  const raw = parseFloat(shown.raw);
  assert.ok(Number.isFinite(text), `${engine}: integrated loudness text "${shown.text}"`);
  // The text is rounded to 0.1: up to 0.05 from the exact value.
  assert.ok(Math.abs(text - cliLufs) <= LUFS_TOLERANCE + 1e-9,
    `${engine}: page shows ${shown.text} LUFS, the command line ${cliLufs} LUFS`);
  assert.ok(Math.abs(raw - cliLufs) <= LUFS_TOLERANCE,
    `${engine}: page's data-value ${shown.raw} LUFS, the command line ${cliLufs} LUFS`);
}

/** In the page: the integrated-loudness figure once the report is shown, or null. */
export function readIntegrated() {
  const metric = document.querySelector('[data-metric="integrated_lufs"]');
  const meter = document.querySelector('#integrated[data-value]');
  if (!metric || !meter || meter.dataset.value === '') return null;
  return { text: metric.textContent.trim(), raw: meter.dataset.value };
}

/**
 * In the page, before the first Play: when the app first connects an
 * AudioWorkletNode of a real-time AudioContext (its "preflight-chain" node;
 * today straight to the speakers), also feed that node's output to an
 * AnalyserNode (through a muted gain to the destination, so it is pulled),
 * and record any `processorerror`. `window.__engineTap.read()` then gives the
 * worklet's current output peak: non-zero only if the AudioContext runs and
 * the worklet's process() produces sound.
 */
export function installAudioTap() {
  if (window.__engineTap) return true;
  const tap = { connected: 0, errors: [], peak: 0, state: null, read: null };
  window.__engineTap = tap;
  const tapped = new WeakSet();
  const connect = AudioNode.prototype.connect;
  AudioNode.prototype.connect = function patchedConnect(dest, ...rest) {
    const out = connect.call(this, dest, ...rest);
    if (typeof AudioWorkletNode === 'function' && this instanceof AudioWorkletNode
        && this.context instanceof AudioContext && !tapped.has(this)) {
      tapped.add(this);
      tap.connected += 1;
      const ctx = this.context;
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 2048;
      const mute = ctx.createGain();
      mute.gain.value = 0;
      connect.call(this, analyser);
      connect.call(analyser, mute);
      connect.call(mute, ctx.destination);
      this.addEventListener('processorerror', (e) => tap.errors.push(String(e.message || e.type)));
      const buf = new Float32Array(analyser.fftSize);
      tap.read = () => {
        analyser.getFloatTimeDomainData(buf);
        let m = 0;
        for (let i = 0; i < buf.length; i++) m = Math.max(m, Math.abs(buf[i]));
        tap.peak = Math.max(tap.peak, m);
        tap.state = ctx.state;
        tap.sampleRate = ctx.sampleRate;
        return m;
      };
    }
    return out;
  };
  return true;
}

/**
 * In the page, after clicking Play: the playback state once the button says
 * Pause, the position has moved past `minS` and the worklet's output is not
 * silent; null until then (or a `{ error }` from the player).
 */
export function playbackState(minS) {
  const tap = window.__engineTap;
  const playerError = document.querySelector('.player-error');
  if (playerError) return { error: playerError.textContent };
  if (tap && tap.errors.length) return { error: `processorerror: ${tap.errors.join('; ')}` };
  if (!tap || !tap.read) return null;
  tap.read();
  const button = document.querySelector('#play').textContent.trim();
  const position = parseFloat(document.querySelector('#position').dataset.positionS);
  if (button === 'Pause' && position >= minS && tap.peak > 1e-3) {
    return { button, position, peak: tap.peak, state: tap.state, sampleRate: tap.sampleRate, connected: tap.connected };
  }
  return null;
}

/** In the page: everything the app marks on <html> once it has loaded (both Workers, worklet, offline). */
export function loadedMarks() {
  const root = document.documentElement;
  const ok = root.hasAttribute('data-engine-warm') && root.hasAttribute('data-helper-warm')
    && root.hasAttribute('data-worklet-ready') && root.hasAttribute('data-offline');
  return ok ? { offline: root.dataset.offline } : null;
}

/**
 * What the page has reached towards "loaded", for a timeout's message: the
 * marks on <html>, the document's state, and the service worker's (whether
 * one controls the page, and the states of its registration's workers).
 */
export async function loadState() {
  const root = document.documentElement;
  const marks = [...root.attributes].map((a) => (a.value ? `${a.name}=${a.value}` : a.name)).filter((n) => n.startsWith('data-'));
  const sw = navigator.serviceWorker;
  let registration = 'none';
  try {
    const reg = sw && await sw.getRegistration();
    if (reg) registration = ['installing', 'waiting', 'active'].map((k) => `${k}:${reg[k]?.state ?? '-'}`).join(' ');
  } catch (e) {
    registration = `error ${e}`;
  }
  return `marks [${marks.join(', ')}], document ${document.readyState}, controlled ${Boolean(sw?.controller)}, registration ${registration}`;
}

/** The built wasm files (dist/*.wasm), by path. */
export async function builtWasm() {
  return (await readdir(DIST)).filter((f) => f.endsWith('.wasm')).map((f) => `/${f}`).sort();
}

/** Whether a logged request came from the service worker (its precache: the Referer is sw.js). */
const fromServiceWorker = (e) => /\/sw\.js$/.test(e.headers?.referer || '');

/**
 * How often the page itself (its document, Workers and worklet — not the
 * service worker's precache) fetched each built wasm file, from a server log.
 */
export function pageWasmFetches(log, wasmPaths) {
  const counts = Object.fromEntries(wasmPaths.map((p) => [p, 0]));
  for (const e of log) {
    const path = new URL(e.path, 'http://x').pathname;
    if (path in counts && !fromServiceWorker(e)) counts[path] += 1;
  }
  return counts;
}

/**
 * How often each wasm should be fetched on a first visit: once — except the
 * Workers' engine (worker_bg.wasm), which each of the two Workers (engine and
 * helper) fetches for itself, in Chromium too, and the decoder Worker's
 * (decoder_bg.wasm), fetched only when an MP3, Ogg or M4A file is opened.
 */
export function expectedWasmFetches(wasmPaths) {
  const times = (p) => ({ '/worker_bg.wasm': 2, '/decoder_bg.wasm': 0 }[p] ?? 1);
  return Object.fromEntries(wasmPaths.map((p) => [p, times(p)]));
}

/**
 * The test mix at `wavPath` encoded as MP3 by ffmpeg (192 kbit/s; read by
 * the decoder Worker), and the command line's report of the MP3.
 */
export async function mp3AndReport(wavPath) {
  const path = wavPath.replace(/\.wav$/, '.mp3');
  execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', wavPath, '-c:a', 'libmp3lame', '-b:a', '192k', path]);
  const json = `${path}.json`;
  const r = cli(['analyze', path, '--json', json]);
  assert.equal(r.code, 0, `preflight analyze: ${r.stderr}`);
  return { path, report: JSON.parse(await readFile(json, 'utf8')) };
}

/** In the page: whether the shown report is of the file `name`. */
export function showsFile(name) {
  return document.querySelector('#file-name')?.textContent === name;
}

/**
 * Prepended to start.js (the page's first script) where the driver reports
 * no console: collects uncaught errors, unhandled rejections and
 * console.error/console.warn in the page into window.__engineConsole.
 */
export const CONSOLE_COLLECTOR = `;(() => {
  const log = window.__engineConsole = { errors: [], warnings: [] };
  const text = (args) => args.map((a) => (a && a.stack) ? String(a.stack) : String(a)).join(' ');
  addEventListener('error', (e) => log.errors.push('uncaught: ' + (e.error && e.error.stack || e.message) + ' @ ' + e.filename + ':' + e.lineno));
  addEventListener('unhandledrejection', (e) => log.errors.push('unhandled rejection: ' + text([e.reason])));
  const error = console.error.bind(console), warn = console.warn.bind(console);
  console.error = (...a) => { log.errors.push(text(a)); error(...a); };
  console.warn = (...a) => { log.warnings.push(text(a)); warn(...a); };
})();
`;

/** Milliseconds since `t0`, as "1.23 s". */
export const since = (t0) => `${((Date.now() - t0) / 1000).toFixed(2)} s`;

/**
 * In the page: the colours of the three <select> menus and their options
 * (WebKit once drew them light on light, issue #16), with the contrast of
 * text on background, as in the Chromium test (e2e/app.test.mjs).
 */
export function selectColours() {
  const rgb = (s) => s.match(/[\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const contrast = (a, b) => { const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  return [...document.querySelectorAll('select, select option')].map((e) => {
    const cs = getComputedStyle(e);
    const alpha = Number(cs.backgroundColor.match(/[\d.]+/g)[3] ?? 1);
    return { id: e.id || e.value, bg: cs.backgroundColor, fg: cs.color, alpha, bgLum: lum(rgb(cs.backgroundColor)), contrast: contrast(cs.color, cs.backgroundColor) };
  });
}

/** Asserts the menus are dark with readable text (explicit, opaque colours). */
export function assertReadableMenus(engine, items) {
  assert.ok(items.length >= 12, `${engine}: three menus and their options: ${items.length}`);
  for (const item of items) {
    assert.equal(item.alpha, 1, `${engine}: ${item.id}: background ${item.bg} is not set`);
    assert.ok(item.bgLum < 0.1, `${engine}: ${item.id}: light background ${item.bg}`);
    assert.ok(item.contrast >= 7, `${engine}: ${item.id}: ${item.fg} on ${item.bg}, contrast ${item.contrast.toFixed(1)}`);
  }
}

/** In the page: resolves after two animation frames (what was changed is painted). */
export function painted() {
  return new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(true))));
}

/**
 * Page-side (run by the driver's evaluate; the service worker must be in
 * control): what app/src/ui/download.js does for a long export, with this
 * page standing in for the engine Worker — hands sw.js a download URL and a
 * MessagePort, and once it answers, opens the URL in a hidden frame; each
 * pull on the port is answered with a 1000-byte piece of `fill`, three in
 * all, then null (the end).
 */
export function streamThroughServiceWorker(name, fill) {
  const url = new URL(`download/0-${Date.now()}/${encodeURIComponent(name)}`, location.href).href;
  const { port1, port2 } = new MessageChannel();
  let pieces = 0;
  port2.onmessage = ({ data }) => {
    if (data === 0) {
      const frame = document.createElement('iframe');
      frame.hidden = true;
      frame.src = url;
      document.body.append(frame);
    } else if (data === 1) {
      pieces += 1;
      port2.postMessage(pieces <= 3 ? new Uint8Array(1000).fill(fill) : null);
    }
  };
  navigator.serviceWorker.controller.postMessage({ type: 'download', url, name, port: port1 }, [port1]);
}

/** Waits until `path` holds `bytes` bytes (a download being written), or throws. */
export async function downloaded(path, bytes, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(path) && statSync(path).size === bytes) return readFileSync(path);
    if (Date.now() > end) throw new Error(`${path}: no ${bytes}-byte download (${existsSync(path) ? statSync(path).size : 'absent'})`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
