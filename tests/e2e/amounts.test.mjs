// Scaling a move in headless Chromium: each decided move has an amount
// slider (0–150 %); letting go re-masters the whole track in the Worker. The
// chain the player runs then carries the scaled move, the decision says its
// amount, the after figures follow, and the downloaded master is exactly
// what the AudioWorklet plays: the file equals the worklet's rendering of
// the same chain within 1e-4 (latency found by alignment) — the whole
// master, corrective moves, loudness gain and a true-peak limiter that has
// peaks to hold (the test asserts it is there and needed) — and the command
// line measures it under the ceiling and within 0.5 LU of the target. The
// codec check's round trip can be heard ("After Opus") in step with the master.
// Build first (scripts/test.sh does): trunk build, cargo build --release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browserSuite, tempDir, openApp, musicLike, wavBytes, readWav, cli, saveArtifact } from './support.mjs';

const env = browserSuite();
const tmp = tempDir('amounts');
const SR = 48000;

const chainNow = (page) => page.evaluate(() => JSON.parse(window.__preflightChain));
const afterValue = (page, id) => page.$eval(`#${id}`, (e) => e.dataset.value);

test('a move\'s amount re-masters the track; the file is what the worklet plays', async () => {
  // 16 s of the music-like mix with a harsh 3.15 kHz tone throughout its
  // second half, and a kick on every beat whose peaks the loudness gain
  // would take past the ceiling, so the master ends in a limiter at work.
  const chans = musicLike(SR, 16, 5);
  for (let i = 0; i < 16 * SR; i++) {
    const beat = (i / SR) % 0.5;
    const kick = 0.55 * Math.sin(2 * Math.PI * 55 * beat) * Math.exp(-beat * 25);
    const v = i >= 8 * SR ? 0.2 * Math.sin(2 * Math.PI * 3150 * i / SR) : 0;
    chans[0][i] = 0.5 * (chans[0][i] + v + kick);
    chans[1][i] = 0.5 * (chans[1][i] + v + kick);
  }
  const mix = join(tmp, 'harsh.wav');
  await writeFile(mix, wavBytes(chans, SR, 'float32'));
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setInputFiles('#file-input', mix);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  await page.click('#master');
  const slider = page.locator('input[type=range][data-module-index]').first();
  await slider.waitFor({ timeout: 120_000 });
  const index = Number(await slider.getAttribute('data-module-index'));
  const decided = await chainNow(page);
  const amountOf = (m) => m.gain_db ?? m.max_cut_db ?? (m.width !== undefined ? m.width - 1 : undefined);
  const original = amountOf(decided.modules[index]);
  assert.ok(original !== undefined && original !== 0, `a scalable move: ${JSON.stringify(decided.modules[index])}`);
  const before = { i: await afterValue(page, 'after-integrated'), tp: await afterValue(page, 'after-true-peak') };

  // Half the move: the chain, the decision's words and the figures follow.
  const t0 = Date.now();
  await slider.fill('50');
  await page.waitForFunction(({ index, original }) => {
    const m = JSON.parse(window.__preflightChain).modules[index];
    const a = m.gain_db ?? m.max_cut_db ?? m.width - 1;
    return Math.abs(a - original / 2) < 1e-9;
  }, { index, original }, { timeout: 60_000 });
  const said = await page.locator('#decisions li:has-text("at 50 %")').first().textContent({ timeout: 10_000 });
  console.log(`the decision at 50 %: ${said}`);
  // The words give the amount the move now has, not the one decided.
  const m = decided.modules[index];
  if (m.gain_db !== undefined || m.max_cut_db !== undefined) {
    const half = Math.abs(original) / 2;
    const numbers = (said.match(/\d+\.\d/g) ?? []).map(Number);
    assert.ok(numbers.some((n) => Math.abs(n - half) <= 0.051), `"${said}" names ${half.toFixed(2)} dB`);
    assert.ok(!numbers.some((n) => Math.abs(n - Math.abs(original)) <= 0.051), `"${said}" no longer names the decided ${original} dB`);
  }
  console.log(`amount change to updated report: ${Date.now() - t0} ms (including Playwright's polling)`);
  const now = { i: await afterValue(page, 'after-integrated'), tp: await afterValue(page, 'after-true-peak') };
  assert.notDeepEqual(now, before, 'the after figures are those of the new master');
  assert.equal(await page.inputValue('input[type=range][data-module-index]'), '50');

  // The download is the rescaled master, and exactly what the worklet plays.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const saved = join(tmp, 'rescaled.wav');
  await download.saveAs(saved);
  const json = `${saved}.json`;
  const r = cli(['analyze', saved, '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const measured = JSON.parse(await readFile(json, 'utf8'));
  assert.ok(measured.loudness.true_peak_dbtp <= -1.0, `TP ${measured.loudness.true_peak_dbtp}`);
  assert.ok(Math.abs(measured.loudness.integrated_lufs - -14) <= 0.5, `${measured.loudness.integrated_lufs} LUFS`);
  const file = readWav(await readFile(saved));
  const chainObj = await chainNow(page);
  const chain = JSON.stringify(chainObj);
  // The comparison covers the whole master: the corrective move, the
  // loudness gain and a true-peak limiter that really limits (the mix's
  // peak raised by the chain's gains would pass the ceiling).
  const kinds = chainObj.modules.map((m) => m.module);
  assert.ok(kinds.includes('limiter'), `a limiter in the chain: ${kinds.join(', ')}`);
  const gainDb = chainObj.modules.filter((m) => m.module === 'gain').reduce((s, m) => s + m.gain_db, 0);
  const inPeak = Math.max(...chans.map((c) => c.reduce((p, v) => Math.max(p, Math.abs(v)), 0)));
  assert.ok(20 * Math.log10(inPeak) + gainDb > -1, `the limiter has peaks to hold (peak ${(20 * Math.log10(inPeak)).toFixed(1)} dBFS, gain ${gainDb.toFixed(1)} dB)`);
  const played = await page.evaluate(async ({ chs, sr, chain }) => {
    const out = await window.__preflight.renderOffline(chs.map((c) => Float32Array.from(c)), sr, chain);
    return out.map((c) => Array.from(c));
  }, { chs: chans.map((c) => Array.from(c)), sr: SR, chain });
  // The worklet is late by the chain's look-ahead: find it (up to 50 ms).
  let best = { lag: 0, err: Infinity };
  for (let lag = 0; lag < 0.05 * SR; lag++) {
    let err = 0;
    for (let i = 2 * SR; i < 2 * SR + 4000; i += 7) err += Math.abs(played[0][i + lag] - file.channels[0][i]);
    if (err < best.err) best = { lag, err };
  }
  let maxDiff = 0;
  for (let c = 0; c < 2; c++) {
    for (let i = SR; i < file.channels[c].length - best.lag; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(played[c][i + best.lag] - file.channels[c][i]));
    }
  }
  console.log(`worklet vs downloaded master (${kinds.join(' → ')}): lag ${best.lag} frames, max |diff| ${maxDiff.toExponential(2)}`);
  assert.ok(maxDiff < 1e-4, `the file differs from what the worklet plays by ${maxDiff}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('exports: the before/after clip is the loudest passage at matched loudness; the JSON report is the master\'s', async () => {
  // 50 s: a quiet 0:00–0:20, a loud, harsh 0:20–0:50 (the clip's section).
  const chans = musicLike(SR, 50, 8);
  for (let i = 0; i < chans[0].length; i++) {
    const loud = i >= 20 * SR;
    const v = loud ? 0.15 * Math.sin(2 * Math.PI * 3150 * i / SR) : 0;
    for (const c of chans) c[i] = (loud ? 1 : 0.3) * c[i] + v;
  }
  const mix = join(tmp, 'clip me.wav');
  await writeFile(mix, wavBytes(chans, SR, 'int16'));
  const { page, errors } = await openApp(env.browser, env.server.url);
  await page.setInputFiles('#file-input', mix);
  await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value]', { timeout: 120_000 });

  const [clipDl] = await Promise.all([page.waitForEvent('download'), page.click('#export-clip')]);
  assert.equal(clipDl.suggestedFilename(), 'clip me (Preflight before-after clip).wav');
  const clipPath = join(tmp, 'clip.wav');
  await clipDl.saveAs(clipPath);
  const clip = readWav(await readFile(clipPath));
  const half = 30 * SR;
  assert.equal(clip.channels[0].length, 2 * half + SR, '30 s, 1 s of silence, 30 s');
  // The before half is the mix's loud passage (0:20–0:50), level aside.
  let dot = 0, nb = 0, nm = 0;
  for (let i = 0; i < half; i += 3) {
    const b = clip.channels[0][i], m = chans[0][20 * SR + i];
    dot += b * m; nb += b * b; nm += m * m;
  }
  assert.ok(dot / Math.sqrt(nb * nm) > 0.999, `before half vs the mix at 0:20: r = ${dot / Math.sqrt(nb * nm)}`);
  // Matched loudness by the command line.
  const lufs = async (from, name) => {
    const part = clip.channels.map((c) => c.slice(from, from + half));
    const p = join(tmp, name);
    await writeFile(p, wavBytes(part, SR, 'float32'));
    const r = cli(['analyze', p, '--json', `${p}.json`]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(await readFile(`${p}.json`, 'utf8')).loudness.integrated_lufs;
  };
  const [b, a] = [await lufs(0, 'clip-before.wav'), await lufs(half + SR, 'clip-after.wav')];
  assert.ok(Math.abs(b - a) <= 0.5, `clip halves at ${b} and ${a} LUFS`);

  // Save a preview: one HTML page with the summary and both halves playable, nothing fetched.
  const [previewDl] = await Promise.all([page.waitForEvent('download'), page.click('#save-preview')]);
  assert.equal(previewDl.suggestedFilename(), 'clip me (Preflight preview).html');
  const previewPath = join(tmp, 'preview.html');
  await previewDl.saveAs(previewPath);
  const html = await readFile(previewPath, 'utf8');
  assert.ok(!/<script/i.test(html), 'no script in the preview');
  const viewer = await env.browser.newPage();
  const fetched = [];
  viewer.on('request', (r) => { if (!r.url().startsWith('data:') && !r.url().startsWith('file:')) fetched.push(r.url()); });
  await viewer.goto(`file://${previewPath}`);
  const durations = await viewer.evaluate(() => Promise.all([...document.querySelectorAll('audio')].map((a) =>
    new Promise((ok) => (a.readyState >= 1 ? ok(a.duration) : a.addEventListener('loadedmetadata', () => ok(a.duration)))))));
  assert.equal(durations.length, 2);
  for (const d of durations) assert.ok(Math.abs(d - 30) < 0.05, `a preview clip lasts ${d} s`);
  assert.match(await viewer.textContent('h1'), /clip me\.wav/);
  assert.ok((await viewer.$$('li')).length > 0, 'the risks are listed');
  assert.deepEqual(fetched, []);
  await viewer.close();

  // The codec check: the master through Opus 128 kb/s in the Worker (WebCodecs),
  // against ffmpeg's libopus at the same bitrate on the downloaded master.
  await page.click('#codec-check');
  const codecTp = parseFloat(await (await page.waitForSelector('#codec-result', { timeout: 60_000 })).getAttribute('data-true-peak'));
  const [masterDl] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const masterPath = join(tmp, 'codec-master.wav');
  await masterDl.saveAs(masterPath);
  const { execFileSync } = await import('node:child_process');
  const opus = join(tmp, 'master.opus'), decoded = join(tmp, 'master-opus.wav');
  execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', masterPath, '-c:a', 'libopus', '-b:a', '128k', opus]);
  execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', opus, '-c:a', 'pcm_f32le', decoded]);
  const peer = cli(['analyze', decoded, '--json', `${decoded}.json`]);
  assert.equal(peer.code, 0, peer.stderr);
  const peerTp = JSON.parse(await readFile(`${decoded}.json`, 'utf8')).loudness.true_peak_dbtp;
  console.log(`true peak after Opus 128 kb/s: page (WebCodecs) ${codecTp} dBTP, ffmpeg libopus ${peerTp} dBTP`);
  assert.ok(Number.isFinite(codecTp) && Math.abs(codecTp - peerTp) < 1.0, `page ${codecTp} vs ffmpeg ${peerTp}`);
  // AAC where the browser offers an encoder (WebCodecs' own answer, asked
  // here): its true peak, checked against ffmpeg's AAC encoder at the same
  // bitrate; otherwise the page says only Opus was checked.
  const aacOffered = await page.evaluate(async () => typeof AudioEncoder !== 'undefined'
    && (await AudioEncoder.isConfigSupported({ codec: 'mp4a.40.2', sampleRate: 48000, numberOfChannels: 2, bitrate: 256000 })).supported);
  const aac = await page.waitForSelector('#codec-aac', { timeout: 60_000 });
  assert.equal(await aac.getAttribute('data-offered'), String(aacOffered));
  if (aacOffered) {
    const aacTp = parseFloat(await aac.getAttribute('data-true-peak'));
    const m4a = join(tmp, 'master.m4a'), aacDecoded = join(tmp, 'master-aac.wav');
    execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', masterPath, '-c:a', 'aac', '-b:a', '256k', m4a]);
    execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', m4a, '-c:a', 'pcm_f32le', aacDecoded]);
    const aacPeer = cli(['analyze', aacDecoded, '--json', `${aacDecoded}.json`]);
    assert.equal(aacPeer.code, 0, aacPeer.stderr);
    const aacPeerTp = JSON.parse(await readFile(`${aacDecoded}.json`, 'utf8')).loudness.true_peak_dbtp;
    console.log(`true peak after AAC 256 kb/s: page (WebCodecs) ${aacTp} dBTP, ffmpeg aac ${aacPeerTp} dBTP`);
    assert.ok(Number.isFinite(aacTp) && Math.abs(aacTp - aacPeerTp) < 1.0, `page ${aacTp} vs ffmpeg ${aacPeerTp}`);
  } else {
    console.log('this Chromium offers no AAC encoder: the page says only Opus was checked');
    assert.match(await aac.textContent(), /offers no AAC encoder/);
  }

  // "After Opus" is heard in place of the master: the player bar offers it
  // once the round trip is back, and the worklet says it plays it.
  await page.click('#play');
  await page.click('#after-codec');
  await page.waitForSelector('#heard[data-heard-codec="true"]', { timeout: 10_000 });
  assert.equal(await page.getAttribute('#after-codec', 'aria-pressed'), 'true');
  await saveArtifact('player-after-opus.png', await page.locator('.player').screenshot());
  await page.click('#after');
  await page.waitForSelector('#heard[data-heard-codec="false"][data-heard-bypass="false"]', { timeout: 10_000 });
  await page.click('#play');
  // What it sounds like, against an independent decoding: ffmpeg's libopus
  // round trip of the downloaded master fed to the worklet's second input.
  // Rendered with it selected, the worklet's output lines up with its
  // rendering of the master sample for sample (lag 0 of ±50), at the same
  // level, and is not the master itself (the codec's changes are heard).
  const opusDecoded = readWav(await readFile(decoded));
  const chainJson = JSON.stringify(await chainNow(page));
  const m = await page.evaluate(async ({ chs, sr, chain, codec }) => {
    const f = (a) => a.map((c) => Float32Array.from(c));
    const [after] = await window.__preflight.renderOffline(f(chs), sr, chain, {});
    const [heard] = await window.__preflight.renderOffline(f(chs), sr, chain, { codec: true, codecChannels: f(codec), codecRate: sr });
    const [from, to] = [4 * sr, 12 * sr];
    const corr = (lag) => {
      let xy = 0, xx = 0, yy = 0;
      for (let i = from; i < to; i += 3) {
        const x = after[i], y = heard[i + lag];
        xy += x * y; xx += x * x; yy += y * y;
      }
      return { r: xy / Math.sqrt(xx * yy), db: 10 * Math.log10(yy / xx) };
    };
    let best = { lag: 0, r: -Infinity };
    for (let lag = -50; lag <= 50; lag++) {
      const { r } = corr(lag);
      if (r > best.r) best = { lag, r };
    }
    let diff = 0;
    for (let i = from; i < to; i++) diff = Math.max(diff, Math.abs(after[i] - heard[i]));
    return { lag: best.lag, ...corr(0), diff };
  }, {
    // 16 s of the loud passage, the file and the decoded master alike.
    chs: chans.map((c) => Array.from(c.slice(20 * SR, 36 * SR))),
    codec: opusDecoded.channels.map((c) => Array.from(c.slice(20 * SR, 36 * SR))),
    sr: SR,
    chain: chainJson,
  });
  const [best, at0, diff] = [{ lag: m.lag }, m, m.diff];
  console.log(`After Opus vs After in the worklet: best lag ${best.lag}, r ${at0.r.toFixed(4)}, level ${at0.db.toFixed(2)} dB, largest difference ${diff.toFixed(4)}`);
  assert.equal(best.lag, 0, 'the codec path is heard in step with the master');
  assert.ok(at0.r > 0.95 && Math.abs(at0.db) < 0.5, `r ${at0.r}, ${at0.db} dB`);
  assert.ok(diff > 1e-3, 'what is heard is the codec\'s output, not the master');

  const [jsonDl] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  assert.equal(jsonDl.suggestedFilename(), 'clip me (Preflight report).json');
  const jsonPath = join(tmp, 'report.json');
  await jsonDl.saveAs(jsonPath);
  const doc = JSON.parse(await readFile(jsonPath, 'utf8'));
  assert.equal(doc.schema, 'preflight.master/1');
  assert.deepEqual(doc.chain, JSON.parse(await page.evaluate(() => window.__preflightChain)));
  assert.deepEqual(errors, []);
  await page.close();
});
