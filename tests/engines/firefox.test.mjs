// The main flow in Firefox ESR (Debian's firefox-esr, headless), driven by
// puppeteer-core over WebDriver BiDi, against the built site (dist/):
// load, pick a WAV through the file input, see the command line's
// integrated loudness, Play through the AudioWorklet. Also counts what the
// first visit downloads (each wasm once).
// Headless Firefox has no sound device here: the pref
// media.cubeb.force_mock_context gives it a mock one, or the AudioContext
// never leaves "suspended".
// Run: scripts/test-engines.sh (or `cd tests && node --test engines/firefox.test.mjs`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import puppeteer from 'puppeteer-core';
import { serveDist, saveArtifact } from '../e2e/support.mjs';
import {
  ANALYSIS_TIMEOUT_MS, LOAD_TIMEOUT_MS, assertLoudness, assertReadableMenus, builtWasm, expectedWasmFetches, installAudioTap,
  downloaded, loadedMarks, mixAndReport, mp3AndReport, pageWasmFetches, showsFile, playbackState, readIntegrated, requireInstalled, selectColours, since, loadState, codecPeers, aacOffered,
  streamThroughServiceWorker, tmp,
} from './common.mjs';
import { join } from 'node:path';

const FIREFOX = process.env.FIREFOX || '/usr/lib/firefox-esr/firefox-esr';
let browser;

before(async () => {
  requireInstalled(FIREFOX, 'Firefox ESR');
  const t0 = Date.now();
  browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: {
      'media.cubeb.force_mock_context': true,
      // Downloads are saved to the suite's folder without asking.
      'browser.download.dir': tmp,
      'browser.download.folderList': 2,
      'browser.download.useDownloadDir': true,
      'browser.download.always_ask_before_handling_new_types': false,
    },
  });
  console.log(`${await browser.version()} started in ${since(t0)}`);
});
after(async () => { await browser?.close(); });

/** A new tab on `url`, collecting page errors and console errors. */
async function open(url) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  const errors = [];
  const warnings = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e?.stack || e}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
    if (m.type() === 'warn' || m.type() === 'warning') warnings.push(m.text());
  });
  await page.goto(url);
  return { page, errors, warnings };
}

/** Waits for the app's load marks; a timeout says what the page reached. */
async function loaded(page) {
  try {
    return await (await page.waitForFunction(loadedMarks, { timeout: LOAD_TIMEOUT_MS })).jsonValue();
  } catch (e) {
    let state;
    try { state = await page.evaluate(loadState); } catch (e2) { state = `(no answer: ${e2.message})`; }
    e.message += `\n  waiting for the app to load; the page: ${state}`;
    throw e;
  }
}

/** Saves tests/artifacts/engine-firefox.png (the full page). */
async function screenshot(page) {
  try {
    return await saveArtifact('engine-firefox.png', Buffer.from(await page.screenshot({ fullPage: true })));
  } catch (e) {
    return `(no screenshot: ${e.message})`;
  }
}

test('Firefox: the first visit fetches each wasm once (the Workers\' engine once per Worker)', async () => {
  const server = await serveDist();
  const { page, errors } = await open(server.url);
  try {
    await loaded(page);
    await new Promise((ok) => setTimeout(ok, 500));
    const wasm = await builtWasm();
    const counts = pageWasmFetches(server.log, wasm);
    console.log(`Firefox wasm fetches by the page (not the service worker): ${JSON.stringify(counts)}`);
    assert.deepEqual(counts, expectedWasmFetches(wasm));
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await server.close();
  }
});

test('Firefox: a picked WAV shows the command line\'s integrated loudness, and Play runs the AudioWorklet', async () => {
  const { path, report } = await mixAndReport();
  const server = await serveDist();
  const t0 = Date.now();
  const { page, errors, warnings } = await open(server.url);
  try {
    await page.waitForSelector('#dropzone', { timeout: 30_000 });
    const marks = await loaded(page);
    console.log(`Firefox: loaded in ${since(t0)} (offline: ${marks.offline})`);
    const input = await page.$('#file-input');
    await input.uploadFile(path);
    const t1 = Date.now();
    const shown = await (await page.waitForFunction(readIntegrated, { timeout: ANALYSIS_TIMEOUT_MS, polling: 100 })).jsonValue();
    console.log(`Firefox: analysed in ${since(t1)}: page ${shown.text} LUFS (raw ${shown.raw}), CLI ${report.loudness.integrated_lufs}`);
    assertLoudness('Firefox', shown, report);
    assert.equal(await page.$eval('#file-name', (e) => e.textContent), 'engine mix.wav');

    await page.evaluate(installAudioTap);
    await page.click('#play');
    const playing = await (await page.waitForFunction(playbackState, { timeout: 15_000, polling: 100 }, 0.5)).jsonValue();
    console.log(`Firefox: playing ${JSON.stringify(playing)}`);
    assert.equal(playing.error, undefined, `the player failed: ${playing.error}`);
    assert.equal(playing.state, 'running');
    assert.equal(playing.connected, 1);
    await page.click('#play');
    await page.waitForFunction(() => document.querySelector('#play').textContent.trim() === 'Play', { timeout: 5000 });
    await screenshot(page);
    assertReadableMenus('Firefox', await page.evaluate(selectColours));
    await saveArtifact('engine-firefox-menus.png', Buffer.from(await (await page.$('section.master')).screenshot()));

    // An MP3 goes through the decoder Worker (loaded now, not before).
    const mp3 = await mp3AndReport(path);
    await (await page.$('#file-input')).uploadFile(mp3.path);
    await page.waitForFunction(showsFile, { timeout: ANALYSIS_TIMEOUT_MS, polling: 100 }, 'engine mix.mp3');
    const shownMp3 = await (await page.waitForFunction(readIntegrated, { timeout: ANALYSIS_TIMEOUT_MS, polling: 100 })).jsonValue();
    console.log(`Firefox: the MP3: page ${shownMp3.text} LUFS (raw ${shownMp3.raw}), CLI ${mp3.report.loudness.integrated_lufs}`);
    assertLoudness('Firefox (MP3)', shownMp3, mp3.report);
    if (warnings.length) console.log(`Firefox console warnings: ${JSON.stringify([...new Set(warnings)])}`);
    assert.deepEqual(errors, []);
  } catch (e) {
    const shot = await screenshot(page);
    e.message += `\n  page errors: ${JSON.stringify(errors)}\n  warnings: ${JSON.stringify(warnings)}\n  screenshot: ${shot}`;
    throw e;
  } finally {
    await page.close();
    await server.close();
  }
});

test('Firefox: the codec check sends the master through Opus (WebCodecs), its true peak near ffmpeg\'s libopus, AAC as WebCodecs offers it, and "After Opus" is heard', async () => {
  const { path } = await mixAndReport('codec mix.wav');
  const peers = codecPeers(path);
  const server = await serveDist();
  const { page, errors } = await open(server.url);
  try {
    await loaded(page);
    await (await page.$('#file-input')).uploadFile(path);
    await page.waitForFunction(readIntegrated, { timeout: ANALYSIS_TIMEOUT_MS, polling: 100 });
    await page.click('#master');
    await page.waitForSelector('#codec-check', { timeout: 120_000 });
    await page.click('#codec-check');
    const opusTp = parseFloat(await (await page.waitForSelector('#codec-result', { timeout: 60_000 })).evaluate((e) => e.dataset.truePeak));
    const aac = await page.waitForSelector('#codec-aac', { timeout: 60_000 });
    const [offered, text, aacTp] = [await page.evaluate(aacOffered), await aac.evaluate((e) => e.textContent), await aac.evaluate((e) => e.dataset.truePeak)];
    console.log(`Firefox codec check: Opus ${opusTp} dBTP (ffmpeg libopus ${peers.opus}); AAC offered ${offered}${offered ? `: ${aacTp} dBTP (ffmpeg aac ${peers.aac})` : ''}`);
    assert.ok(Number.isFinite(opusTp) && Math.abs(opusTp - peers.opus) < 1.0, `Opus: page ${opusTp} vs ffmpeg ${peers.opus}`);
    assert.equal(await aac.evaluate((e) => e.dataset.offered), String(offered), text);
    if (offered) {
      assert.ok(Math.abs(parseFloat(aacTp) - peers.aac) < 1.0, `AAC: page ${aacTp} vs ffmpeg ${peers.aac}`);
    } else {
      assert.match(text, /offers no AAC encoder/);
    }
    await page.click('#play');
    await page.click('#after-codec');
    await page.waitForSelector('#heard[data-heard-codec="true"]', { timeout: 10_000 });
    await page.click('#play');
    assert.deepEqual(errors, []);
  } catch (e) {
    e.message += `\n  page errors: ${JSON.stringify(errors)}\n  screenshot: ${await screenshot(page)}`;
    throw e;
  } finally {
    await page.close();
    await server.close();
  }
});

test('Firefox: a studio\'s page on another origin embeds the widget; a file picked in it reports the command line\'s loudness to the host', async () => {
  const { path, report } = await mixAndReport('client mix.wav');
  const app = await serveDist(), host = await serveDist();
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e?.stack || e}`));
  const got = (type) => (window.received || []).find((m) => m.type === type);
  try {
    await page.goto(`${host.url}embed-example.html?app=${encodeURIComponent(`${app.url}index.html`)}`);
    await page.waitForFunction(got, { timeout: 30_000 }, 'preflight:ready');
    const frame = page.frames().find((f) => f.url().startsWith(app.url));
    await (await frame.waitForSelector('#file-input')).uploadFile(path);
    const { summary } = await (await page.waitForFunction(got, { timeout: ANALYSIS_TIMEOUT_MS }, 'preflight:report')).jsonValue();
    console.log(`Firefox embed: the host got ${summary.name} at ${summary.integrated_lufs} LUFS (CLI ${report.loudness.integrated_lufs})`);
    assert.equal(summary.name, 'client mix.wav');
    assert.ok(Math.abs(summary.integrated_lufs - report.loudness.integrated_lufs) < 0.05);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await app.close();
    await host.close();
  }
});

test('Firefox: a long export\'s stream through the service worker arrives as the file', async () => {
  const server = await serveDist();
  const { page, errors } = await open(server.url);
  try {
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, { timeout: 60_000 });
    const name = `streamed ${Date.now()}.wav`;
    await page.evaluate(streamThroughServiceWorker, name, 7);
    assert.deepEqual(await downloaded(join(tmp, name), 3000), Buffer.alloc(3000, 7));
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await server.close();
  }
});

test('Firefox without a sound device: Play says so instead of playing silence', async () => {
  // A second Firefox without the mock audio context: its AudioContext never
  // leaves "suspended". The page must say why nothing plays and stay usable.
  const bare = await puppeteer.launch({
    browser: 'firefox', protocol: 'webDriverBiDi', executablePath: FIREFOX, headless: true,
  });
  const { path } = await mixAndReport();
  const server = await serveDist();
  try {
    const page = await bare.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e?.stack || e}`));
    await page.goto(server.url);
    await page.waitForSelector('#dropzone', { timeout: 30_000 });
    await (await page.$('#file-input')).uploadFile(path);
    await page.waitForFunction(() => { const b = document.querySelector('#play'); return b && !b.disabled; }, { timeout: ANALYSIS_TIMEOUT_MS });
    await page.click('#play');
    const message = await (await page.waitForFunction(
      () => document.querySelector('.player-error')?.textContent, { timeout: 15_000, polling: 100 })).jsonValue();
    assert.match(message, /No sound/);
    assert.equal(await page.$eval('#play', (e) => e.textContent.trim()), 'Play');
    assert.deepEqual(errors, []);
  } finally {
    await bare.close();
    await server.close();
  }
});
