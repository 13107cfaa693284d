// Privacy, in headless Chromium against the built site (dist/), served the
// way a deployment should serve it: with the Content-Security-Policy header.
// - After the page has loaded (both Workers warm, the worklet engine
//   compiled, the service worker in control), the whole flow (analyse, play,
//   master, play the master, export two formats) makes no network request:
//   the server receives nothing, and the page's only fetch — the worklet's
//   processor.js for the new AudioContext — is answered by the service
//   worker's cache. Without a service worker, that fetch is the one request.
//   No request ever goes to another origin.
// - Under the policy, that flow works and nothing is refused: no
//   `securitypolicyviolation` in the page, no CSP error in any console, no
//   violation report (report-uri) from the page, the Workers, the worklet or
//   the service worker.
// Build first: `trunk build --release --offline --skip-version-check` and
// `cargo build --release -p dsp-wasm` (scripts/test.sh does both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync, readFileSync } from 'node:fs';
import {
  ROOT, serveDist, launchBrowser, musicLike, wavBytes, cli, saveArtifact, metaCsp, headerCsp, waitUntilLoaded,
} from './support.mjs';

const REPORT_PATH = '/__csp-report';
let server, browser, csp;
const tmp = mkdtempSync(join(tmpdir(), 'preflight-privacy-'));

before(async () => {
  csp = await headerCsp({ reportTo: REPORT_PATH });
  server = await serveDist({ headers: { 'content-security-policy': csp } });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** A quiet, peaky 10 s mix: mastering has work to do (gain and limiting). */
async function mixFile(name) {
  const path = join(tmp, name);
  await writeFile(path, wavBytes(musicLike(48000, 10, 21).map((c) => c.map((v) => v * 0.5)), 48000, 'int16'));
  return path;
}

/** Everything the page offers after load: analyse, play, master, play the master, export twice, share. */
async function mainFlow(page, path) {
  await page.setInputFiles('#file-input', path);
  const el = await page.waitForSelector('#integrated[data-value]', { timeout: 60_000 });
  const integrated = parseFloat(await el.getAttribute('data-value'));
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#play').textContent === 'Pause');
  await page.waitForTimeout(300);
  await page.click('#play');
  await page.click('#master');
  await page.waitForSelector('#after-integrated[data-value]', { timeout: 60_000 });
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#after').title === 'The master');
  await page.click('#before');
  await page.waitForTimeout(300);
  await page.click('#play');
  const downloads = [];
  for (const bits of ['24', '16']) {
    await page.selectOption('#bits', bits);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const saved = join(tmp, `master-${bits}-${Date.now()}.wav`);
    await download.saveAs(saved);
    downloads.push(saved);
  }
  // Share: the link is made in the page (the file fingerprinted in the Worker); nothing is sent.
  await page.click('#share-button');
  await page.waitForSelector('#share-link', { timeout: 30_000 });
  assert.equal(await page.$('.player-error'), null, 'the player reported an error');
  return { integrated, downloads };
}

/**
 * Loads the app in a fresh context, waits until it has loaded everything,
 * then runs the whole flow. Returns what was requested after load, as
 * Playwright saw it (page, Workers, service worker) and as the server saw it
 * (this also catches the AudioWorklet's module fetch, which Playwright does
 * not report), and checks that nothing ever went to another origin.
 */
async function flowAfterLoad(contextOptions, waitOptions) {
  const origin = new URL(server.url).origin;
  const logStart = server.log.length;
  const context = await browser.newContext({ acceptDownloads: true, ...contextOptions });
  const requests = [];
  const workers = [];
  let loaded = false;
  context.on('request', (r) => requests.push({
    after: loaded, url: r.url(), method: r.method(), type: r.resourceType(), postData: r.postData(), request: r,
  }));
  const page = await context.newPage();
  page.on('worker', (w) => workers.push({ after: loaded, url: w.url() }));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await page.goto(server.url);
  await waitUntilLoaded(page, waitOptions);
  // Anything still in flight from the load (there should be nothing) gets a moment to show.
  await page.waitForTimeout(500);
  loaded = true;
  const logAtLoad = server.log.length;
  const { downloads } = await mainFlow(page, await mixFile('private mix.wav'));
  await page.waitForTimeout(1000);

  // Never another origin, at load or after (blob: URLs name this origin too).
  // Requests from the worklet are not reported by Playwright; the policy
  // (header, with report-uri) would refuse and report them.
  const foreign = requests.filter((r) => !r.url.startsWith(origin + '/') && !r.url.startsWith(`blob:${origin}/`));
  assert.deepEqual(foreign.map((r) => r.url), [], 'requests to another origin');
  assert.deepEqual(server.log.slice(logStart).filter((e) => e.method !== 'GET').map((e) => `${e.method} ${e.path} (${e.body.length} bytes${e.body.startsWith('{') ? `: ${e.body.slice(0, 400)}` : ''})`), [],
    'non-GET requests (uploads or CSP violation reports)');
  // The load itself: GETs only.
  const atLoad = requests.filter((r) => !r.after);
  for (const r of atLoad) assert.equal(r.method, 'GET', `${r.method} ${r.url} at load`);
  // No Worker started after load (a new Worker would fetch its script and wasm again).
  assert.ok(workers.filter((w) => !w.after).length === 2, `both Workers start at load: ${JSON.stringify(workers)}`);
  assert.deepEqual(workers.filter((w) => w.after).map((w) => w.url), [], 'Workers started after load');
  for (const d of downloads) assert.equal((await readFile(d)).subarray(0, 4).toString(), 'RIFF', d);
  assert.deepEqual(errors, []);
  const after = requests.filter((r) => r.after);
  const seen = [];
  for (const r of after) {
    const response = await r.request.response();
    seen.push({ what: `${r.method} ${r.url.replace(origin, '')}`, type: r.type, body: r.postData, fromServiceWorker: !!response?.fromServiceWorker() });
  }
  await context.close();
  const atServer = server.log.slice(logAtLoad).map((e) => `${e.method} ${e.path}`);
  console.log(`${JSON.stringify(contextOptions)}: ${atLoad.length} requests at load; after load, Playwright saw ${JSON.stringify(seen)}, the server ${JSON.stringify(atServer)}`);
  return { seen, atServer };
}

// Chromium fetches the tab's icon again when the page starts playing sound
// (the tab turns "audible"): a request by the browser (type "other"), not by
// the app, for the built icon.
const isTabIcon = (r) => /^GET \/icon-[0-9a-f]+\.svg$/.test(r.what) && r.type === 'other' && r.body === null;

test('after load, the whole flow makes no network request, and no request ever goes to another origin', async () => {
  const { seen, atServer } = await flowAfterLoad({}, { offline: true });
  // The server received nothing at all after load…
  assert.deepEqual(atServer, [], 'the server received requests after load');
  // …and the page asked for nothing but the tab icon, from the service worker's cache.
  assert.deepEqual(seen.filter((r) => !isTabIcon(r)), [], 'requests after load');
  for (const r of seen) assert.ok(r.fromServiceWorker, `${r.what} was not answered by the service worker's cache`);
});

test('without a service worker, the only requests after load are the worklet\'s script for its AudioContext and the tab icon', async () => {
  // Where service workers are unavailable, Web Audio fetches processor.js on
  // each AudioContext's addModule (one here: one file; mastering swaps the
  // chain in the running context). A same-origin GET of a built file: no
  // audio, no data, no body.
  const { seen, atServer } = await flowAfterLoad({ serviceWorkers: 'block' }, { offline: false });
  assert.deepEqual(atServer.filter((p) => !/^GET \/icon-[0-9a-f]+\.svg$/.test(p)), ['GET /processor.js']);
  assert.deepEqual(seen.filter((r) => !isTabIcon(r)), [], 'requests after load');
});

test('under the Content-Security-Policy the main flow works and nothing is refused', async () => {
  // The policy is written once, in index.html's <meta>; the README quotes it exactly.
  const meta = await metaCsp();
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(meta), `README.md does not quote the policy: ${meta}`);
  assert.ok(!/unsafe-inline|unsafe-eval'|\*|https?:|data:|blob:/.test(meta.replace("'wasm-unsafe-eval'", '')),
    `the policy allows more than this origin and wasm compilation: ${meta}`);

  const context = await browser.newContext({ acceptDownloads: true });
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.effectiveDirective} refused ${e.blockedURI || '(inline)'} in ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = await context.newPage();
  const errors = [];
  const cspConsole = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
    if (/Content.Security.Policy|Refused to/i.test(m.text())) cspConsole.push(m.text());
  });
  const logStart = server.log.length;
  const response = await page.goto(`${server.url}?test-hooks`);
  assert.equal(response.headers()['content-security-policy'], csp);
  await waitUntilLoaded(page);
  const path = await mixFile('csp mix.wav');
  const { integrated } = await mainFlow(page, path);
  const expected = cliAnalyze(path);
  assert.ok(Math.abs(integrated - expected.loudness.integrated_lufs) <= 0.1, `page ${integrated} vs CLI ${expected.loudness.integrated_lufs}`);
  // The worklet ran under the policy: an offline render through it gives the expected gain.
  const ratio = await page.evaluate(async () => {
    const input = new Float32Array(4800).map((_, i) => 0.5 * Math.sin(i / 10));
    const [out] = await window.__preflight.renderOffline([input], 48000,
      JSON.stringify({ format: 'preflight.chain/1', modules: [{ module: 'gain', gain_db: -6 }] }));
    return out[2400] / input[2400];
  });
  assert.ok(Math.abs(ratio - 10 ** (-6 / 20)) < 1e-4, `worklet gain ${ratio}`);
  await page.waitForTimeout(1000);
  await saveArtifact('privacy-csp.png', await page.screenshot({ fullPage: true }));
  const violations = await page.evaluate(() => window.__cspViolations);
  const reports = server.log.slice(logStart).filter((e) => e.method === 'POST').map((e) => e.body);
  assert.deepEqual(violations, [], 'securitypolicyviolation events in the page');
  assert.deepEqual(reports, [], 'CSP violation reports (page, Workers, worklet, service worker)');
  assert.deepEqual(cspConsole, [], 'CSP errors in the console');
  assert.deepEqual(errors, []);
  await context.close();
});

function cliAnalyze(path) {
  const json = join(tmp, `report-${Date.now()}.json`);
  const r = cli(['analyze', path, '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(readFileSync(json, 'utf8'));
}
