// The main flow in WebKitGTK (Debian's webkit2gtk-driver: WebKitWebDriver
// driving the MiniBrowser in automation mode), over plain W3C WebDriver
// (./webdriver.mjs), against the built site (dist/): load, pick a WAV
// through the file input (WebDriver "send keys" of its path), see the
// command line's integrated loudness, Play through the AudioWorklet. Also
// counts what the first visit downloads.
// The MiniBrowser has no headless mode: run under xvfb-run
// (scripts/test-engines.sh does). WebKitWebDriver reports no console, so
// the served start.js is prefixed with a collector of page errors
// (common.mjs CONSOLE_COLLECTOR).
// Run: scripts/test-engines.sh (or `cd tests && xvfb-run -a node --test engines/webkit.test.mjs`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, saveArtifact, readWav } from '../e2e/support.mjs';
import { startDriver, Session } from './webdriver.mjs';
import {
  ANALYSIS_TIMEOUT_MS, LOAD_TIMEOUT_MS, CONSOLE_COLLECTOR, assertLoudness, assertReadableMenus, builtWasm, expectedWasmFetches,
  installAudioTap, loadedMarks, mixAndReport, mp3AndReport, pageWasmFetches, showsFile, painted, playbackState, readIntegrated,
  requireInstalled, selectColours, since, streamThroughServiceWorker, loadState, codecPeers, aacOffered,
} from './common.mjs';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const DRIVER = process.env.WEBKIT_WEBDRIVER || '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.WEBKIT_MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
let driver;

before(async () => {
  requireInstalled(DRIVER, 'WebKitWebDriver (webkit2gtk-driver)');
  requireInstalled(MINIBROWSER, 'WebKitGTK MiniBrowser (webkit2gtk-driver)');
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    throw new Error('no display: the MiniBrowser has no headless mode; run under xvfb-run -a (scripts/test-engines.sh)');
  }
  driver = await startDriver(DRIVER);
});
after(async () => { await driver?.stop(); });

/** A new MiniBrowser on a server whose start.js collects the page's errors. */
async function open() {
  const server = await serveDist();
  server.rewrite = (rel, body) => (rel === '/start.js' ? Buffer.concat([Buffer.from(CONSOLE_COLLECTOR), body]) : body);
  const t0 = Date.now();
  const session = await Session.create(driver.url, {
    'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
  });
  console.log(`MiniBrowser ${session.capabilities.browserVersion} started in ${since(t0)}`);
  await session.setWindowRect({ width: 1100, height: 1400 });
  await session.setTimeouts({ script: 30_000, pageLoad: LOAD_TIMEOUT_MS });
  return { server, session };
}

/**
 * A new MiniBrowser showing the app, loaded (every mark of `loadedMarks`).
 * The project's CI once saw a MiniBrowser never reach them (cause unknown;
 * never seen here in many runs): such a load is reported with what the page
 * had reached, and tried once more in a new MiniBrowser on a new server. A
 * second failure fails the test.
 */
async function openLoaded() {
  for (let attempt = 1; ; attempt += 1) {
    const { server, session } = await open();
    try {
      await session.goto(server.url);
      const marks = await session.waitFor(loadedMarks, { timeoutMs: LOAD_TIMEOUT_MS, what: 'the app to load', explain: loadState });
      return { server, session, marks };
    } catch (e) {
      const shot = await screenshot(session);
      await session.close().catch(() => {});
      await server.close();
      if (attempt >= 2) throw new Error(`${e.message}\n  (the second MiniBrowser; screenshot: ${shot})`);
      console.log(`WebKit: A MINIBROWSER DID NOT LOAD THE APP: ${e.message} (screenshot: ${shot}); once more in a new one`);
    }
  }
}

/** Waits for the MiniBrowser's download `name` (in the home folder) to hold `bytes` bytes; returns it, removed. */
async function downloadedInHome(name, bytes, timeoutMs = 30_000) {
  const places = [join(homedir(), name), join(homedir(), 'Downloads', name)];
  const end = Date.now() + timeoutMs;
  try {
    for (;;) {
      const found = places.find((p) => existsSync(p) && statSync(p).size === bytes);
      if (found) return readFileSync(found);
      if (Date.now() > end) throw new Error(`no ${bytes}-byte download ${name} in ${places.join(' or ')}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  } finally {
    for (const p of places) rmSync(p, { force: true });
  }
}

const consoleOf = (session) => session.evaluate(() => window.__engineConsole || { errors: ['(the collector did not run)'], warnings: [] });

async function screenshot(session) {
  try {
    await session.evaluateAsync(painted);
    return await saveArtifact('engine-webkit.png', await session.screenshot());
  } catch (e) {
    return `(no screenshot: ${e.message})`;
  }
}

test('WebKit: the first visit fetches each wasm once (the Workers\' engine once per Worker)', async () => {
  const { server, session } = await openLoaded();
  try {
    await new Promise((ok) => setTimeout(ok, 500));
    const wasm = await builtWasm();
    const counts = pageWasmFetches(server.log, wasm);
    console.log(`WebKit wasm fetches by the page (not the service worker): ${JSON.stringify(counts)}`);
    const expected = expectedWasmFetches(wasm);
    // WebKit used to download the app's wasm twice: the <link rel="preload"
    // as="fetch"> Trunk wrote for it was never reused by wasm-bindgen's
    // fetch() (with its integrity, without it, without crossorigin, with
    // cacheable responses alike). Trunk.toml's pattern_preload now writes
    // only the JS modulepreload, and start.js fetches the wasm itself.
    assert.deepEqual(counts, expected);
    const { errors } = await consoleOf(session);
    assert.deepEqual(errors, []);
  } finally {
    await session.close();
    await server.close();
  }
});

test('WebKit: a picked WAV shows the command line\'s integrated loudness, and Play runs the AudioWorklet', async () => {
  const { path, report } = await mixAndReport();
  const t0 = Date.now();
  const { server, session, marks } = await openLoaded();
  let log = { errors: [], warnings: [] };
  try {
    console.log(`WebKit: loaded in ${since(t0)} (offline: ${marks.offline})`);
    await session.sendKeys(await session.$('#file-input'), path);
    const t1 = Date.now();
    const shown = await session.waitFor(readIntegrated, { timeoutMs: ANALYSIS_TIMEOUT_MS, what: 'the integrated loudness' });
    console.log(`WebKit: analysed in ${since(t1)}: page ${shown.text} LUFS (raw ${shown.raw}), CLI ${report.loudness.integrated_lufs}`);
    assertLoudness('WebKit', shown, report);
    assert.equal(await session.text(await session.$('#file-name')), 'engine mix.wav');

    await session.evaluate(installAudioTap);
    await session.click(await session.$('#play'));
    const playing = await session.waitFor(playbackState, { timeoutMs: 15_000, what: 'playback through the worklet' }, 0.5);
    console.log(`WebKit: playing ${JSON.stringify(playing)}`);
    assert.equal(playing.error, undefined, `the player failed: ${playing.error}`);
    assert.equal(playing.state, 'running');
    assert.equal(playing.connected, 1);
    await session.click(await session.$('#play'));
    await session.waitFor(() => document.querySelector('#play').textContent.trim() === 'Play', { timeoutMs: 5000, what: 'Pause to stop' });
    await screenshot(session);
    // The three menus of the master panel: dark, readable (see the picture too).
    assertReadableMenus('WebKit', await session.evaluate(selectColours));
    // (WebKitGTK's element screenshot of a part scrolled out of view comes out black: scroll, then take the view.)
    await session.evaluate(() => document.querySelector('section.master').scrollIntoView({ block: 'center' }));
    await session.evaluateAsync(painted);
    await saveArtifact('engine-webkit-menus.png', await session.screenshot());

    // An MP3 goes through the decoder Worker (loaded now, not before).
    const mp3 = await mp3AndReport(path);
    await session.sendKeys(await session.$('#file-input'), mp3.path);
    await session.waitFor(showsFile, { timeoutMs: ANALYSIS_TIMEOUT_MS, what: 'the MP3\'s report' }, 'engine mix.mp3');
    const shownMp3 = await session.waitFor(readIntegrated, { timeoutMs: ANALYSIS_TIMEOUT_MS, what: 'the MP3\'s integrated loudness' });
    console.log(`WebKit: the MP3: page ${shownMp3.text} LUFS (raw ${shownMp3.raw}), CLI ${mp3.report.loudness.integrated_lufs}`);
    assertLoudness('WebKit (MP3)', shownMp3, mp3.report);
    log = await consoleOf(session);
    if (log.warnings.length) console.log(`WebKit console warnings: ${JSON.stringify([...new Set(log.warnings)])}`);
    assert.deepEqual(log.errors, []);
  } catch (e) {
    const shot = await screenshot(session);
    try { log = await consoleOf(session); } catch { /* the page is gone */ }
    e.message += `\n  page errors: ${JSON.stringify(log.errors)}\n  warnings: ${JSON.stringify(log.warnings)}\n  screenshot: ${shot}`;
    throw e;
  } finally {
    await session.close();
    await server.close();
  }
});

test('WebKit: the codec check sends the master through Opus and AAC (WebCodecs), each true peak near ffmpeg\'s encoders; "After Opus" is heard; the exported master is the command line\'s', async () => {
  const { path } = await mixAndReport('codec mix.wav');
  const peers = codecPeers(path);
  const { server, session } = await openLoaded();
  try {
    await session.sendKeys(await session.$('#file-input'), path);
    await session.waitFor(readIntegrated, { timeoutMs: ANALYSIS_TIMEOUT_MS, what: 'the integrated loudness' });
    await session.click(await session.$('#master'));
    await session.waitFor(() => document.querySelector('#codec-check') !== null, { timeoutMs: 120_000, what: 'the master' });
    // (The master's report is still laid out when the button appears: a
    // click at where it was lands elsewhere. Centre it, let it paint, click.)
    await session.evaluate(() => document.querySelector('#codec-check').scrollIntoView({ block: 'center' }));
    await session.evaluateAsync(painted);
    await session.click(await session.$('#codec-check'));
    const read = (sel) => {
      const e = document.querySelector(sel);
      return e && { offered: e.dataset.offered ?? null, tp: e.dataset.truePeak ?? null, text: e.textContent };
    };
    const opus = await session.waitFor(read, { timeoutMs: 60_000, what: 'the Opus round trip' }, '#codec-result');
    const aac = await session.waitFor(read, { timeoutMs: 60_000, what: 'the AAC round trip' }, '#codec-aac');
    const offered = await session.evaluateAsync(aacOffered);
    console.log(`WebKit codec check: Opus ${opus.tp} dBTP (ffmpeg libopus ${peers.opus}); AAC offered ${offered}: ${aac.tp} dBTP (ffmpeg aac ${peers.aac})`);
    const opusTp = parseFloat(opus.tp);
    assert.ok(Number.isFinite(opusTp) && Math.abs(opusTp - peers.opus) < 1.0, `Opus: page ${opus.tp} vs ffmpeg ${peers.opus}`);
    assert.equal(aac.offered, String(offered), aac.text);
    if (offered) {
      // WebKitGTK encodes AAC through GStreamer (gstreamer1.0-libav): the
      // path Chromium on Linux never takes (it has no AAC encoder).
      const aacTp = parseFloat(aac.tp);
      assert.ok(Number.isFinite(aacTp) && Math.abs(aacTp - peers.aac) < 1.0, `AAC: page ${aac.tp} vs ffmpeg ${peers.aac}: ${aac.text}`);
    } else {
      assert.match(aac.text, /offers no AAC encoder/);
    }
    await session.evaluate(() => document.querySelector('.codec').scrollIntoView({ block: 'center' }));
    await session.evaluateAsync(painted);
    await saveArtifact('engine-webkit-codec.png', await session.screenshot());
    // "After Opus" is heard in place of the master.
    await session.click(await session.$('#play'));
    await session.click(await session.$('#after-codec'));
    await session.waitFor(() => document.querySelector('#heard[data-heard-codec="true"]') !== null, { timeoutMs: 10_000, what: 'the worklet playing the Opus round trip' });
    await session.click(await session.$('#play'));

    // Export master: the MiniBrowser saves the download in the home folder;
    // it carries the command line's master, sample for sample.
    const name = 'codec mix (Preflight master).wav';
    for (const p of [join(homedir(), name), join(homedir(), 'Downloads', name)]) rmSync(p, { force: true });
    await session.evaluate(() => document.querySelector('#export').scrollIntoView({ block: 'center' }));
    await session.evaluateAsync(painted);
    await session.click(await session.$('#export'));
    const expected = readFileSync(peers.master);
    const got = await downloadedInHome(name, expected.length);
    const [a, b] = [readWav(got), readWav(expected)];
    assert.deepEqual([a.sampleRate, a.channels.length, a.channels[0].length], [b.sampleRate, b.channels.length, b.channels[0].length]);
    // The Worker's wasm and the native command line may round a sample to
    // the neighbouring 24-bit step (their libm differs in the last bit).
    let diff = 0, differing = 0, n = 0;
    a.channels.forEach((ch, c) => ch.forEach((v, i) => {
      const d = Math.abs(v - b.channels[c][i]);
      diff = Math.max(diff, d); differing += d > 0; n += 1;
    }));
    console.log(`WebKit export: ${got.length} bytes (as the command line's), ${a.sampleRate} Hz; ${differing} of ${n} samples differ from the command line's master, by at most ${diff * 2 ** 23} steps of 24 bits`);
    assert.ok(diff <= 2 ** -23 && differing <= n / 100, `the export vs the command line's master: ${differing} samples differ, by up to ${diff}`);
    assert.deepEqual((await consoleOf(session)).errors, []);
  } catch (e) {
    e.message += `\n  screenshot: ${await screenshot(session)}`;
    throw e;
  } finally {
    await session.close();
    await server.close();
  }
});

test('WebKit: a studio\'s page on another origin embeds the widget; a file picked in it reports the command line\'s loudness to the host', async () => {
  const { path, report } = await mixAndReport('client mix.wav');
  const app = await serveDist(), host = await serveDist();
  const session = await Session.create(driver.url, {
    'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
  });
  const got = (type) => (window.received || []).find((m) => m.type === type) || null;
  try {
    await session.setTimeouts({ script: 30_000, pageLoad: LOAD_TIMEOUT_MS });
    await session.goto(`${host.url}embed-example.html?app=${encodeURIComponent(`${app.url}index.html`)}`);
    await session.waitFor(got, { timeoutMs: 30_000, what: 'preflight:ready' }, 'preflight:ready');
    await session.frame(0);
    await session.sendKeys(await session.$('#file-input'), path);
    await session.frame(null);
    const { summary } = await session.waitFor(got, { timeoutMs: ANALYSIS_TIMEOUT_MS, what: 'preflight:report' }, 'preflight:report');
    console.log(`WebKit embed: the host got ${summary.name} at ${summary.integrated_lufs} LUFS (CLI ${report.loudness.integrated_lufs})`);
    assert.equal(summary.name, 'client mix.wav');
    assert.ok(Math.abs(summary.integrated_lufs - report.loudness.integrated_lufs) < 0.05);
  } finally {
    await session.close();
    await app.close();
    await host.close();
  }
});

test('WebKit: a long export\'s stream through the service worker arrives as the file', async () => {
  // Loaded as the other tests are (a MiniBrowser that never loads the app
  // is tried once more in a new one), then taken over by the service worker.
  const { server, session } = await openLoaded();
  // The MiniBrowser saves downloads in the home folder, without asking.
  const name = `preflight-streamed-${Date.now()}.wav`;
  const places = [join(homedir(), name), join(homedir(), 'Downloads', name)];
  try {
    await session.waitFor(() => navigator.serviceWorker.controller !== null, { timeoutMs: 60_000, what: 'the service worker', explain: loadState });
    await session.evaluate(streamThroughServiceWorker, name, 7);
    const end = Date.now() + 15_000;
    let got = null;
    while (!got && Date.now() < end) {
      got = places.map((p) => (existsSync(p) ? readFileSync(p) : null)).find((b) => b && b.length === 3000) ?? null;
      if (!got) await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.ok(got, `no 3000-byte download in ${places.join(' or ')}`);
    assert.deepEqual(got, Buffer.alloc(3000, 7));
    assert.deepEqual((await consoleOf(session)).errors, []);
  } finally {
    for (const p of places) rmSync(p, { force: true });
    await session.close();
    await server.close();
  }
});
