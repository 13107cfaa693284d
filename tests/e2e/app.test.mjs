// End-to-end: the built site (dist/) in real headless Chromium.
// Build first: `trunk build --release --offline --skip-version-check` and
// `cargo build --release -p dsp-wasm` (scripts/test.sh does both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { browserSuite, tempDir, openApp, musicLike, wavBytes, readWav, cli, saveArtifact } from './support.mjs';

const env = browserSuite();
const tmp = tempDir('e2e');

async function cliAnalyze(path) {
  const json = join(tmp, 'report-' + Math.random().toString(36).slice(2) + '.json');
  const r = cli(['analyze', path, '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(await readFile(json, 'utf8'));
}

async function shownValue(page, id) {
  const el = await page.waitForSelector(`#${id}[data-value]`, { timeout: 60_000 });
  return parseFloat(await el.getAttribute('data-value'));
}

test('a picked WAV is analysed in the Worker: the page shows the command line\'s loudness', async () => {
  const path = join(tmp, 'picked mix.wav');
  await writeFile(path, wavBytes(musicLike(48000, 8, 7), 48000, 'int16'));
  const expected = await cliAnalyze(path);
  const { page, errors, warnings } = await openApp(env.browser, env.server.url);
  await page.setInputFiles('#file-input', path);
  const integrated = await shownValue(page, 'integrated');
  assert.ok(Math.abs(integrated - expected.loudness.integrated_lufs) <= 0.1,
    `page ${integrated} LUFS vs CLI ${expected.loudness.integrated_lufs} LUFS`);
  const tp = await shownValue(page, 'true-peak');
  assert.ok(Math.abs(tp - expected.loudness.true_peak_dbtp) <= 0.1, `page ${tp} dBTP vs CLI ${expected.loudness.true_peak_dbtp}`);
  assert.equal(await page.textContent('#file-name'), 'picked mix.wav');
  assert.equal(await page.textContent('#sample-rate'), '48 kHz');
  assert.equal(await page.textContent('#channels'), 'stereo');
  assert.equal(await page.textContent('#duration'), '0:08');
  // Playback starts through the AudioWorklet without errors.
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#play').textContent === 'Pause');
  await page.click('#before');
  await page.waitForTimeout(300);
  await page.click('#play');
  await saveArtifact('app-analysed.png', await page.screenshot({ fullPage: true }));
  assert.deepEqual(errors, []);
  // Nor a warning: both analysis Workers started (wasm-bindgen warned in each
  // when a loader shim called it the old way) and playback ran.
  assert.deepEqual(warnings, []);
  await page.close();
});

test('a long file is measured by two Workers at once: the report equals the command line\'s', async () => {
  // 40 s of 48 kHz stereo 16-bit (7.7 MB) is over the page's split size: the
  // engine Worker measures loudness/spectrum/limiting and levels, the helper true peak (as it reads the file).
  const path = join(tmp, 'long mix.wav');
  await writeFile(path, wavBytes(musicLike(48000, 40, 11), 48000, 'int16'));
  const expected = await cliAnalyze(path);
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setInputFiles('#file-input', path);
  const integrated = await shownValue(page, 'integrated');
  const timings = await page.evaluate(() => window.__preflightTimings);
  assert.ok(typeof timings.ownHalfMs === 'number', `the analysis was split: ${JSON.stringify(timings)}`);
  assert.equal(timings.helperHalf, true, `the helper Worker measured its half: ${JSON.stringify(timings)}`);
  assert.ok(Math.abs(integrated - expected.loudness.integrated_lufs) <= 0.01, `${integrated} vs ${expected.loudness.integrated_lufs}`);
  for (const [id, key] of [['true-peak', 'true_peak_dbtp'], ['lra', 'range_lu'], ['plr', 'plr_db']]) {
    const v = await shownValue(page, id);
    assert.ok(Math.abs(v - expected.loudness[key]) <= 0.01, `${id}: page ${v} vs CLI ${expected.loudness[key]}`);
  }
  // The risks (minor and major) in the CLI's order, then the info readings,
  // folded apart, in the CLI's order too.
  const ids = (level) => expected.risks.filter((r) => (level === 'info') === (r.level === 'info')).map((r) => r.id);
  const shownRisks = await page.$$eval('#risks [data-risk]', (els) => els.map((e) => e.dataset.risk));
  assert.deepEqual(shownRisks, ids('risk'));
  const shownNotes = await page.$$eval('#notes [data-risk]', (els) => els.map((e) => e.dataset.risk));
  assert.deepEqual(shownNotes, ids('info'));
  // Stable names for outside checks: each risk card is a list item with
  // data-risk-id; each overview figure a data-metric whose text is the number.
  const cards = await page.$$eval('li[data-risk-id]', (els) => els.map((e) => e.dataset.riskId));
  assert.deepEqual(cards, [...ids('risk'), ...ids('info')]);
  for (const key of ['integrated_lufs', 'true_peak_dbtp', 'range_lu', 'plr_db']) {
    const text = await page.$eval(`[data-metric="${key}"]`, (e) => e.textContent.trim());
    assert.ok(Math.abs(parseFloat(text) - expected.loudness[key]) <= 0.051, `${key}: text "${text}" vs CLI ${expected.loudness[key]}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

/** The page's loudness figures and risk ids against the CLI's report of the same file. */
async function assertShowsCli(page, expected, label) {
  const integrated = await shownValue(page, 'integrated');
  assert.ok(Math.abs(integrated - expected.loudness.integrated_lufs) <= 0.01, `${label}: ${integrated} vs ${expected.loudness.integrated_lufs}`);
  for (const [id, key] of [['true-peak', 'true_peak_dbtp'], ['lra', 'range_lu'], ['plr', 'plr_db']]) {
    const v = await shownValue(page, id);
    assert.ok(Math.abs(v - expected.loudness[key]) <= 0.01, `${label}, ${id}: page ${v} vs CLI ${expected.loudness[key]}`);
  }
  const cards = await page.$$eval('li[data-risk-id]', (els) => els.map((e) => e.dataset.riskId));
  const ids = (info) => expected.risks.filter((r) => info === (r.level === 'info')).map((r) => r.id);
  assert.deepEqual(cards, [...ids(false), ...ids(true)], label);
}

test('a long FLAC is split too: each Worker reads it itself, the report equals the command line\'s', async () => {
  // The engine reads a plain WAV once and passes the bytes to the helper; a
  // FLAC it cannot convert so, and the helper reads the file itself.
  const wav = join(tmp, 'long flac source.wav');
  await writeFile(wav, wavBytes(musicLike(44100, 40, 5), 44100, 'int16'));
  const path = join(tmp, 'long mix.flac');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', wav, '-c:a', 'flac', path]);
  assert.ok(statSync(path).size >= 2_000_000, 'the FLAC is large enough to be split');
  const expected = await cliAnalyze(path);
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setInputFiles('#file-input', path);
  await assertShowsCli(page, expected, 'FLAC');
  const timings = await page.evaluate(() => window.__preflightTimings);
  assert.equal(timings.helperHalf, true, `the helper Worker measured its half: ${JSON.stringify(timings)}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a long WAV picked while another is analysed: the second report is the command line\'s', async () => {
  // The first file's reading stops and its helper half (which can arrive
  // after the second file's request) must not end the second's.
  const [a, b] = [join(tmp, 'first long.wav'), join(tmp, 'second long.wav')];
  await writeFile(a, wavBytes(musicLike(48000, 60, 21), 48000, 'int16'));
  await writeFile(b, wavBytes(musicLike(48000, 30, 22), 48000, 'float32'));
  const expected = await cliAnalyze(b);
  const { page, errors } = await openApp(env.browser, env.server.url);
  for (const wait of [0, 40, 150]) {
    await page.setInputFiles('#file-input', a);
    await page.waitForTimeout(wait);
    await page.setInputFiles('#file-input', b);
    await page.waitForFunction(() => document.querySelector('#file-name')?.textContent === 'second long.wav'
      && document.querySelector('#integrated[data-value]') && !document.querySelector('.results.stale'), null, { timeout: 60_000 });
    await assertShowsCli(page, expected, `second file ${wait} ms after the first`);
    const timings = await page.evaluate(() => window.__preflightTimings);
    assert.equal(timings.helperHalf, true, `the helper Worker measured its half: ${JSON.stringify(timings)}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('a dropped file is analysed too (real drop event)', async () => {
  const bytes = wavBytes(musicLike(44100, 6, 3), 44100, 'float32');
  const path = join(tmp, 'dropped.wav');
  await writeFile(path, bytes);
  const expected = await cliAnalyze(path);
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.evaluate(async (b64) => {
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bin], 'dropped.wav', { type: 'audio/wav' }));
    const zone = document.querySelector('#dropzone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes.toString('base64'));
  const integrated = await shownValue(page, 'integrated');
  assert.ok(Math.abs(integrated - expected.loudness.integrated_lufs) <= 0.1,
    `page ${integrated} vs CLI ${expected.loudness.integrated_lufs}`);
  assert.equal(await page.textContent('#sample-rate'), '44.1 kHz');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the AudioWorklet runs the same chain as the native engine (max |diff| < 1e-5)', async () => {
  const sr = 48000;
  const channels = musicLike(sr, 3, 11);
  const input = join(tmp, 'worklet-in.wav');
  await writeFile(input, wavBytes(channels, sr, 'float32'));
  const chain = { format: 'preflight.chain/1', modules: [{ module: 'gain', gain_db: -4.5 }] };
  const chainPath = join(tmp, 'chain.json');
  await writeFile(chainPath, JSON.stringify(chain));
  const out = join(tmp, 'worklet-native.wav');
  const r = cli(['render', input, '-o', out, '--chain', chainPath, '--bits', '32f']);
  assert.equal(r.code, 0, r.stderr);
  const native = readWav(await readFile(out));
  const { page, errors } = await openApp(env.browser, env.server.url);
  const browserOut = await page.evaluate(async ({ chs, sr, chain }) => {
    const rendered = await window.__preflight.renderOffline(chs.map((c) => Float32Array.from(c)), sr, chain);
    return rendered.map((c) => Array.from(c));
  }, { chs: channels.map((c) => Array.from(c)), sr, chain: JSON.stringify(chain) });
  assert.equal(browserOut.length, 2);
  let maxDiff = 0;
  for (let c = 0; c < 2; c++) {
    assert.equal(browserOut[c].length, native.channels[c].length);
    for (let i = 0; i < browserOut[c].length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(browserOut[c][i] - native.channels[c][i]));
    }
  }
  // The gain really applied (not a passthrough): compare with the input.
  const g = Math.pow(10, -4.5 / 20);
  assert.ok(Math.abs(browserOut[0][sr] - channels[0][sr] * g) < 1e-5);
  assert.ok(maxDiff < 1e-5, `max |worklet - native| = ${maxDiff}`);
  assert.deepEqual(errors, []);
  await page.close();
});

/** A 16-bit stereo 48 kHz WAV header declaring `seconds` of audio, then `bytes` of silence. */
function longHeader(seconds, bytes) {
  const dataLen = seconds * 48000 * 4;
  const b = Buffer.alloc(44 + bytes);
  b.write('RIFF', 0); b.writeUInt32LE((36 + dataLen) >>> 0, 4); b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(2, 22); b.writeUInt32LE(48000, 24);
  b.writeUInt32LE(192000, 28); b.writeUInt16LE(4, 32); b.writeUInt16LE(16, 34);
  b.write('data', 36); b.writeUInt32LE(dataLen >>> 0, 40);
  return b;
}

test('bad files get one clear line and the page stays usable', async () => {
  const good = wavBytes(musicLike(48000, 3, 5), 48000, 'int16');
  const sixCh = wavBytes(Array.from({ length: 6 }, () => new Float32Array(48000).fill(0.1)), 48000, 'int16');
  const cases = [
    { name: 'notes.txt', bytes: Buffer.from('these are lyrics, not audio\n'.repeat(40)), expect: /^notes.txt: Not a supported audio file/ },
    // A format Preflight does not read is named (here by WavPack's magic number).
    { name: 'mix.wv', bytes: Buffer.concat([Buffer.from('wvpk'), Buffer.alloc(4000, 7)]), expect: /^mix.wv: Not a supported audio file: it is a WavPack file/ },
    { name: 'empty.wav', bytes: Buffer.alloc(0), expect: /^empty.wav: The file is empty/ },
    { name: 'truncated.wav', bytes: good.subarray(0, 44 + 48000 * 4), expect: /^truncated.wav: The file is corrupt or truncated/ },
    { name: 'surround.wav', bytes: sixCh, expect: /^surround.wav: The file has 6 channels/ },
    // Its header says four hours: refused from the header, before the rest is read.
    { name: 'four-hours.wav', bytes: longHeader(4 * 3600, 2 << 20), expect: /^four-hours.wav: The file is 4:00:00 long; .* at most 30:00/ },
  ];
  const { page, errors } = await openApp(env.browser, env.server.url);
  for (const c of cases) {
    const path = join(tmp, c.name);
    await writeFile(path, c.bytes);
    await page.setInputFiles('#file-input', path);
    const el = await page.waitForSelector('#error', { timeout: 30_000 });
    const text = await el.textContent();
    assert.match(text, c.expect, `${c.name}: ${text}`);
    assert.ok(!text.includes('panicked'), text);
    // The command line refuses the same file with exit 2 and one line.
    const r = cli(['analyze', path]);
    assert.equal(r.code, 2, `${c.name}: CLI exit ${r.code}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  await saveArtifact('app-error.png', await page.screenshot({ fullPage: true }));
  const goodPath = join(tmp, 'after-errors.wav');
  await writeFile(goodPath, good);
  await page.setInputFiles('#file-input', goodPath);
  const integrated = await shownValue(page, 'integrated');
  assert.ok(Number.isFinite(integrated));
  assert.equal(await page.$('#error'), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a silent file is told there is nothing to judge, play or master — not that the mix works', async () => {
  const path = join(tmp, 'silence.wav');
  await writeFile(path, wavBytes([new Float32Array(48000 * 3), new Float32Array(48000 * 3)], 48000, 'int16'));
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setInputFiles('#file-input', path);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  const risks = await page.textContent('.risks .no-risks');
  assert.match(risks, /^Nothing to judge: the file is silent/, risks);
  const systems = await page.textContent('#systems-summary');
  assert.match(systems, /^Nothing to play on any system/, systems);
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value]', { timeout: 60_000 });
  const moves = await page.textContent('.master-result .no-risks');
  assert.match(moves, /^Nothing to master: the file is silent/, moves);
  const body = await page.textContent('body');
  assert.ok(!/already holds together|mix is left as it is|holds on all/.test(body), 'no praise for silence');
  assert.deepEqual(errors, []);
  await page.close();
});

test('mastering in the Worker: decisions shown, the downloaded master meets the target and the ceiling', async () => {
  const path = join(tmp, 'to master.wav');
  // Quiet, peaky source: needs gain and limiting to reach −14 LUFS under −1 dBTP.
  const chans = musicLike(48000, 10, 21).map((c) => c.map((v) => v * 0.5));
  await writeFile(path, wavBytes(chans, 48000, 'int16'));
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setInputFiles('#file-input', path);
  await shownValue(page, 'integrated');
  await page.click('#master');
  const afterI = await shownValue(page, 'after-integrated');
  const afterTp = await shownValue(page, 'after-true-peak');
  assert.ok(afterTp <= -1.0 + 1e-9, `after true peak ${afterTp} dBTP over the −1 dBTP ceiling`);
  assert.ok(Math.abs(afterI - -14) <= 0.5, `after ${afterI} LUFS, target −14`);
  // The player now runs the master's chain; A/B toggles without errors.
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#after').title === 'The master');
  await page.click('#before');
  await page.click('#match');
  assert.equal(await page.isChecked('#match'), false);
  await page.click('#play');
  await saveArtifact('app-mastered.png', await page.screenshot({ fullPage: true }));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  assert.equal(download.suggestedFilename(), 'to master (Preflight master).wav');
  // A short master is a Blob (local): only one over 256 MiB streams through
  // the service worker (tests/bench/long_file_memory.mjs exports such a one).
  assert.match(download.url(), /^blob:/, download.url());
  const saved = join(tmp, 'downloaded-master.wav');
  await download.saveAs(saved);
  // The command line measures the downloaded file independently.
  const measured = await cliAnalyze(saved);
  assert.equal(measured.input.bit_depth, 24);
  assert.ok(measured.loudness.true_peak_dbtp <= -1.0 + 1e-6, `downloaded TP ${measured.loudness.true_peak_dbtp}`);
  assert.ok(Math.abs(measured.loudness.integrated_lufs - afterI) <= 0.1,
    `downloaded ${measured.loudness.integrated_lufs} LUFS vs shown ${afterI}`);
  // The overview shows each figure before → after: the master's under the
  // mix's, as a number alone (data-metric-after), as the downloaded file
  // measures (to the 0.1 shown; the export is dithered 24-bit).
  for (const [key, tol] of [['integrated_lufs', 0.15], ['true_peak_dbtp', 0.15], ['range_lu', 0.25], ['plr_db', 0.25]]) {
    const text = await page.$eval(`[data-metric-after="${key}"]`, (e) => e.textContent.trim());
    assert.match(text, /^-?\d+\.\d$/, `${key}: "${text}"`);
    assert.ok(Math.abs(parseFloat(text) - measured.loudness[key]) <= tol, `${key}: overview ${text} vs downloaded ${measured.loudness[key]}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('a 10-minute 48 kHz stereo file does not freeze the page; progress moves', async () => {
  const path = join(tmp, 'ten minutes.wav');
  await writeFile(path, wavBytes(musicLike(48000, 600, 4), 48000, 'int16'));
  const { page, errors } = await openApp(env.browser, env.server.url);
  // Watch the main thread: the longest gap between timer ticks, and every progress value shown.
  await page.evaluate(() => {
    window.__watch = { last: performance.now(), maxGap: 0, progress: new Set() };
    window.__watchTimer = setInterval(() => {
      const now = performance.now();
      window.__watch.maxGap = Math.max(window.__watch.maxGap, now - window.__watch.last);
      window.__watch.last = now;
      const p = document.querySelector('#progress');
      if (p) window.__watch.progress.add(Math.round(p.value));
    }, 20);
  });
  await page.setInputFiles('#file-input', path);
  const t0 = Date.now();
  await page.waitForSelector('#integrated[data-value]', { timeout: 300_000 });
  const elapsed = Date.now() - t0;
  const watch = await page.evaluate(() => {
    clearInterval(window.__watchTimer);
    return { maxGap: window.__watch.maxGap, progress: [...window.__watch.progress] };
  });
  console.log(`10-minute file: ${elapsed} ms until the report; longest main-thread gap ${watch.maxGap.toFixed(0)} ms; progress values seen: ${watch.progress.length}`);
  assert.equal(await page.textContent('#duration'), '10:00');
  // Reading the file and building the playback buffer are the only main-thread work: no long stall.
  assert.ok(watch.maxGap < 500, `the page stalled for ${watch.maxGap} ms`);
  assert.ok(watch.progress.length >= 3, `progress shown: ${watch.progress}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the select menus are readable in the dark theme (color-scheme dark, explicit colours)', async () => {
  const path = join(tmp, 'menus.wav');
  await writeFile(path, wavBytes(musicLike(44100, 3, 8), 44100, 'int16'));
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setInputFiles('#file-input', path);
  await shownValue(page, 'integrated');
  const styles = await page.evaluate(() => {
    const rgb = (s) => s.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const contrast = (a, b) => { const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const els = [...document.querySelectorAll('select, select option')];
    return {
      scheme: getComputedStyle(document.documentElement).colorScheme,
      items: els.map((e) => {
        const cs = getComputedStyle(e);
        const alpha = Number((cs.backgroundColor.match(/[\d.]+/g)[3]) ?? 1);
        return { id: e.id || e.value, bg: cs.backgroundColor, fg: cs.color, alpha, contrast: contrast(cs.color, cs.backgroundColor), bgLum: lum(rgb(cs.backgroundColor)) };
      }),
    };
  });
  assert.equal(styles.scheme, 'dark');
  assert.ok(styles.items.length >= 12, `three menus and their options: ${styles.items.length}`);
  for (const item of styles.items) {
    // An explicit, opaque background: a transparent one leaves the menu's colour to the engine.
    assert.equal(item.alpha, 1, `${item.id}: background ${item.bg} is not set`);
    assert.ok(item.bgLum < 0.1, `${item.id}: light background ${item.bg}`);
    assert.ok(item.contrast >= 7, `${item.id}: ${item.fg} on ${item.bg}, contrast ${item.contrast.toFixed(1)}`);
  }
  await page.focus('#bits');
  await saveArtifact('app-menus.png', await page.locator('#bits').locator('xpath=ancestor::*[contains(@class,"intent")][1]').screenshot());
  assert.deepEqual(errors, []);
  await page.close();
});
