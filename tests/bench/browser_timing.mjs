// Browser timing of the full analysis (decode + every measurement + risks) of
// a 4-minute 48 kHz stereo file of real music (./music.mjs) in the Worker, against ffmpeg's
// loudness + true-peak pass alone on the same file, measured in the same run.
//
//   node tests/bench/browser_timing.mjs [seconds=240] [runs=3]
//
// Needs the built site (dist/) and the release CLI (scripts/test.sh builds both).
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { serveDist, launchBrowser, openApp, PREFLIGHT, readWav } from '../e2e/support.mjs';
import { realMusic } from './music.mjs';

const seconds = Number(process.argv[2] || 240);
const runs = Number(process.argv[3] || 3);
const path = join(tmpdir(), `preflight-bench-${seconds}s.wav`);
realMusic(path, seconds);
const amountPath = join(tmpdir(), `preflight-bench-${seconds}s-reference.wav`);
realMusic(amountPath, seconds, { track: 'reference' });

/** 30 s from the middle of the bench track and the chain the worklet runs
 *  over them (the same as the native `quantum_times` example's). */
function quantumInput() {
  const { channels, sampleRate } = readWav(readFileSync(path));
  if (sampleRate !== 48000) throw new Error(`the bench track is ${sampleRate} Hz`);
  const n = Math.min(30 * sampleRate, channels[0].length);
  const start = Math.floor((channels[0].length - n) / 2);
  // As base64 of the float bytes: 2.9 million numbers cross into the page quicker so.
  const [left, right] = [channels[0], channels[1] ?? channels[0]]
    .map((c) => Buffer.from(c.slice(start, start + n).buffer).toString('base64'));
  const full = readFileSync(new URL('./every_module.chain.json', import.meta.url), 'utf8').trim();
  return { left, right, full };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn) => { const t = process.hrtime.bigint(); fn(); return Number(process.hrtime.bigint() - t) / 1e6; };

const ffmpegMs = [];
for (let i = 0; i < runs; i++) {
  ffmpegMs.push(time(() => execFileSync('ffmpeg', ['-hide_banner', '-nostats', '-i', path, '-af', 'ebur128=peak=true', '-f', 'null', '-'], { stdio: 'ignore' })));
}
const cliMs = [];
for (let i = 0; i < runs; i++) {
  cliMs.push(time(() => execFileSync(PREFLIGHT, ['analyze', path, '--json', join(tmpdir(), 'preflight-bench.json')], { stdio: 'ignore' })));
}

const server = await serveDist();
const browser = await launchBrowser();
const browserMs = [];
let masterMs = NaN, rescaleMs = NaN, quantum = null, amountMove = null;
try {
  for (let i = 0; i < runs; i++) {
    const { page } = await openApp(browser, server.url);
    // Timed from a page ready for use: both Workers have loaded and warmed
    // the engine up (a few hundred ms after load, before anyone can pick a file).
    await page.waitForSelector('html[data-engine-warm][data-helper-warm]', { timeout: 60_000 });
    // The end is stamped in the page the moment a result appears (Playwright
    // notices it up to ~0.25 s later: its polling is not the app's time).
    // Page and Node read the same system clock.
    await page.evaluate(() => {
      window.__shownAt = {};
      new MutationObserver(() => {
        for (const sel of ['#integrated[data-value]', '#after-integrated[data-value]']) {
          if (!window.__shownAt[sel] && document.querySelector(sel)) window.__shownAt[sel] = Date.now();
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const shownAt = (sel) => page.evaluate((s) => window.__shownAt[s], sel);
    const t0 = Date.now();
    await page.setInputFiles('#file-input', path);
    await page.waitForSelector('#integrated[data-value]', { timeout: 300_000 });
    browserMs.push((await shownAt('#integrated[data-value]')) - t0);
    if (i === 0) {
      console.log('in-Worker timings (ms):', JSON.stringify(await page.evaluate(() => window.__preflightTimings)));
      // The decide loop (analyse, moves, re-analyses, render, verify) in the Worker.
      const m0 = Date.now();
      await page.click('#master');
      await page.waitForSelector('#after-integrated[data-value]', { timeout: 600_000 });
      masterMs = (await shownAt('#after-integrated[data-value]')) - m0;
      console.log('mastering stages in the Worker (ms):', JSON.stringify(await page.evaluate(() => window.__preflightMasterStagesMs)));
      // The real-time chain in the AudioWorklet: render 30 s offline, cost per
      // 128-frame quantum beyond an empty chain's render of the same 30 s. The
      // chain and the audio are the native row's (`cargo run --release -p
      // dsp-wasm --example quantum_times -- TRACK`): every module type at once
      // (`Chain::every_module()`, tests/bench/every_module.chain.json — heavier
      // than any real decision), over 30 s from the middle of the real-music track.
      const q = await page.evaluate(async ({ left, right, full }) => {
        const floats = (b64) => new Float32Array(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)).buffer);
        const chs = [floats(left), floats(right)];
        const sr = 48000, n = chs[0].length;
        const passthrough = JSON.stringify({ format: 'preflight.chain/1', modules: [] });
        const best = async (chain) => {
          let m = Infinity;
          for (let k = 0; k < 3; k++) {
            const t = performance.now();
            await window.__preflight.renderOffline(chs, sr, chain);
            m = Math.min(m, performance.now() - t);
          }
          return m;
        };
        const best2 = async (chain, heard) => {
          let m = Infinity;
          for (let k = 0; k < 3; k++) {
            const t = performance.now();
            await window.__preflight.renderOffline(chs, sr, chain, heard);
            m = Math.min(m, performance.now() - t);
          }
          return m;
        };
        const emptyMs = await best(passthrough);
        const chainMs = await best(full);
        // The playback-system simulation after the full chain: the car (shelf +
        // road noise) and the phone (mono, four biquads), the heaviest two.
        const carMs = await best2(full, { system: 5, lufs: -14 });
        const phoneMs = await best2(full, { system: 3, lufs: -14 });
        return { emptyMs, chainMs, carMs, phoneMs, quanta: Math.floor(n / 128), chain: full };
      }, quantumInput());
      quantum = q;
    }
    await page.close();
  }
  // An amount slider moved: the whole track re-mastered, the report updated.
  // The bench track's master keeps no move with an amount (a 30 Hz high-pass,
  // then the loudness moves, which the target sets), so this is timed on the
  // package's other track, cut to the same length: its master keeps three
  // (a high shelf, a width, a bell).
  {
    const { page } = await openApp(browser, server.url);
    await page.waitForSelector('html[data-engine-warm][data-helper-warm]', { timeout: 60_000 });
    await page.setInputFiles('#file-input', amountPath);
    await page.waitForSelector('#integrated[data-value]', { timeout: 300_000 });
    await page.click('#master');
    await page.waitForSelector('#after-integrated[data-value]', { timeout: 600_000 });
    const slider = page.locator('input[type=range][data-module-index]').first();
    // The decisions' list (with the sliders) is drawn after the figures.
    if (await slider.waitFor({ timeout: 10_000 }).then(() => true, () => false)) {
      amountMove = await slider.getAttribute('aria-label');
      const before = await page.evaluate(() => window.__preflightChain);
      const a0 = Date.now();
      await slider.fill('50');
      await page.waitForFunction((b) => window.__preflightChain !== b, before, { timeout: 600_000, polling: 10 });
      rescaleMs = Date.now() - a0;
    }
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}

const f = (ms) => `${(ms / 1000).toFixed(2)} s`;
const b = median(browserMs), ff = median(ffmpegMs), c = median(cliMs);
console.log(`file: ${seconds} s, 48 kHz stereo 16-bit WAV; median of ${runs} runs`);
console.log(`ffmpeg -af ebur128=peak=true (loudness + true peak only): ${f(ff)}`);
console.log(`preflight analyze, native (decode + full analysis):        ${f(c)}  = ${(ff / c).toFixed(2)}× ffmpeg's speed`);
console.log(`Preflight in Chromium (read + decode + full analysis, two Workers): ${f(b)}  = ${(ff / b).toFixed(2)}× ffmpeg's speed`);
console.log(`mastering (decide loop + render + verify) in the Worker: ${f(masterMs)} = ${(seconds * 1000 / masterMs).toFixed(1)}× real time`);
if (quantum) {
  const perQ = Math.max(0, quantum.chainMs - quantum.emptyMs) / quantum.quanta;
  console.log(`AudioWorklet, full chain (${JSON.parse(quantum.chain).modules.map((m) => m.module).join(' → ')}), 30 s offline, best of 3:`);
  console.log(`  empty chain ${quantum.emptyMs.toFixed(0)} ms, full chain ${quantum.chainMs.toFixed(0)} ms`);
  console.log(`  ${(perQ * 1000).toFixed(1)} µs per 128-frame quantum beyond an empty chain = ${(100 * perQ / (128 / 48)).toFixed(2)} % of the 2.67 ms budget`);
  console.log(`  native, same chain and audio: cargo run --release -p dsp-wasm --example quantum_times -- ${path}`);
  for (const [name, ms] of [['car', quantum.carMs], ['phone', quantum.phoneMs]]) {
    const q = Math.max(0, ms - quantum.emptyMs) / quantum.quanta;
    console.log(`  with the ${name} simulation after it: ${(q * 1000).toFixed(1)} µs per quantum = ${(100 * q / (128 / 48)).toFixed(2)} % of the budget`);
  }
}
console.log(Number.isNaN(rescaleMs)
  ? 'amount slider: not measured (the reference track\'s master kept no move with an amount)'
  : `amount slider to 50 % (${amountMove}; the package's other track, ${seconds} s), to the updated report (whole track re-mastered): ${f(rescaleMs)}`);
// What the page loads, gzip-compressed (as a server would send it).
{
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const { gzipSync } = await import('node:zlib');
  const { DIST } = await import('../e2e/support.mjs');
  // Every file, wasm-bindgen's snippets/ folder included (as e2e/bundle.test.mjs counts them).
  const files = readdirSync(DIST, { recursive: true })
    .filter((n) => statSync(join(DIST, n)).isFile() && !/^embed-example|\.map$/.test(n));
  let raw = 0, gz = 0;
  const rows = [];
  for (const n of files) {
    const b = readFileSync(join(DIST, n));
    const g = gzipSync(b, { level: 9 }).length;
    raw += b.length; gz += g;
    rows.push(`${n} ${(g / 1024).toFixed(0)} KiB`);
  }
  console.log(`everything the page loads: ${(raw / 1048576).toFixed(2)} MB, gzip ${(gz / 1048576).toFixed(2)} MB (${rows.join(', ')})`);
}
